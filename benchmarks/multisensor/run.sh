#!/usr/bin/env bash
# Multi-sensor east/up benchmarks: accuracy and honesty on the five scenarios against the baselines,
# north leakage, EGMS Ustica (real data, the docs' figure), and speed/memory on 1 Mpx x 4 stacks x 400 dates
# (ours, baseline (a), the shared input generator; CPU seconds = user + sys, each method in its own process).
# Usage: benchmarks/multisensor/run.sh [OUT_DIR] [ROWS]   (QGIS's /usr/bin/python3; no QGIS needed)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="${1:-$ROOT/.build/bench-multisensor}"
ROWS="${2:-1000}"
mkdir -p "$OUT"
echo "--- MSBAS-2D implementation against closed forms"
/usr/bin/python3 -c "import sys; sys.path.insert(0, '$HERE'); import baselines; print('check_msbas:', baselines.check_msbas())"
echo "--- accuracy and honesty (5 scenarios, seeds 0 and 1)"
/usr/bin/python3 "$HERE/run_accuracy.py" "$OUT/accuracy" --seeds 0,1 | grep -v '^{'
echo "--- north leakage"
/usr/bin/python3 "$HERE/leakage.py" "$OUT/leakage.json"
echo "--- EGMS Ustica"
/usr/bin/python3 "$HERE/egms_ustica.py" --json "$OUT/egms_ustica.json" --figure "$OUT/multisensor_egms_ustica.png" \
  | grep -v '"report"' | head -30
echo "--- speed and memory, ${ROWS} x 1000 px (load before: $(cut -d' ' -f1-3 /proc/loadavg))"
rm -f "$OUT/speed.jsonl"
for kind in ifg series; do
  for method in gen baseline ours; do
    /usr/bin/python3 "$HERE/bench_speed.py" "$method" "$kind" --rows "$ROWS" --json "$OUT/speed.jsonl"
  done
done
