#!/usr/bin/env bash
# Honesty (8 scenarios, seeds 0-3) and our RMS per period (seeds 0-1) of the committed solver against a git
# revision (default: the scene priors before a gap bordered by one geometry kept its own density), in
# the same run; CPU seconds (user + sys) of each part.
# Usage: benchmarks/multisensor/one_geometry.sh [BEFORE_REV] [OUT_DIR]   (about 100 CPU-s; the before tree compiles its kernels first)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
REV="${1:-f92e0da}"
OUT="${2:-$ROOT/.build/bench-one-geometry}"
mkdir -p "$OUT"
BEFORE="$(mktemp -d)"
trap 'rm -rf "$BEFORE"' EXIT
git -C "$ROOT" archive "$REV" | tar -x -C "$BEFORE"
uptime
for side in before after; do
  dir="$HERE"
  [[ $side == before ]] && dir="$BEFORE/benchmarks/multisensor"
  echo "--- $side: honesty (8 scenarios, seeds 0-3)"
  /usr/bin/time -f "CPU %U s user + %S s sys" /usr/bin/python3 "$dir/honesty.py" "$OUT/honesty_$side.json" \
    overlap4 gap_env_s1 landslide alos_mixed ps_series ers_csk_s1 rsat_tsx_gap rs2_csk_cycle --seeds 0,1,2,3 \
    | grep '^|'
  echo "--- $side: our RMS per period (seeds 0-1)"
  /usr/bin/time -f "CPU %U s user + %S s sys" /usr/bin/python3 "$dir/accuracy_ours.py" --seeds 0,1 | grep '^|'
done
uptime
