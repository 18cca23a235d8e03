#!/usr/bin/env bash
# SBAS benchmark: geohazard:sbasinversion vs MintPy ifgram_inversion.py on the same synthetic stacks.
# Creates the peer venv (.build/venv-bench with mintpy) if missing, writes the stacks under
# .build/bench_ts (about 3.5 GB of disk for the 1-Mpx stack), runs both tools, prints JSON lines.
# Usage: benchmarks/timeseries/run.sh [ROWS COLS]   (default 1000 1000; the 300x300 stack is always run)
set -euo pipefail
source "$(dirname "$0")/../bench_env.sh"
bench_venv mintpy
enable_plugin
OUT="$ROOT/.build/bench_ts"
ROWS="${1:-1000}"; COLS="${2:-1000}"
# 300 x 300 px, 60 dates, 202 interferograms: both tools, both weightings
[ -f "$OUT/s300/stack.json" ] || /usr/bin/python3 "$HERE/make_stack.py" "$OUT/s300" 300 300 60
/usr/bin/python3 "$HERE/bench_sbas.py" "$OUT/s300" "$VENV/bin"
# >= 1 Mpx: MintPy -w var is skipped there (~1,000 px/s would take 20-40 min on this machine)
[ -f "$OUT/big/stack.json" ] || /usr/bin/python3 "$HERE/make_stack.py" "$OUT/big" "$ROWS" "$COLS" 60
/usr/bin/python3 "$HERE/bench_sbas.py" "$OUT/big" "$VENV/bin" --skip-mintpy-var
# MintPy -w var on the 1-Mpx stack takes ~20-40 min here: FULL=1 runs it (then ours again, and compares)
if [ "${FULL:-0}" = "1" ]; then
  /usr/bin/python3 "$HERE/bench_mintpy_var_big.py" "$OUT/big" "$VENV/bin"
fi
