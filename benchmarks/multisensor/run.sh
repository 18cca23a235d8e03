#!/usr/bin/env bash
# Multi-sensor east/up benchmarks: accuracy against the baselines, honesty over many seeds, north leakage, EGMS Ustica
# (real data, the docs' figure), and speed/memory on 1 Mpx x 4 stacks x 400 dates (ours, baseline (a), the shared
# input generator; CPU seconds = user + sys, each method in its own process; every thread, then one thread).
# Usage: benchmarks/multisensor/run.sh [OUT_DIR] [ROWS] [PARTS]   (QGIS's /usr/bin/python3; no QGIS needed)
#   PARTS: any of accuracy,honesty,leakage,egms,speed (default: all)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="${1:-$ROOT/.build/bench-multisensor}"
ROWS="${2:-1000}"
PARTS="${3:-accuracy,honesty,leakage,egms,speed}"
mkdir -p "$OUT"
has() { [[ ",$PARTS," == *",$1,"* ]]; }
if has accuracy; then
  echo "--- MSBAS-2D implementation against closed forms"
  /usr/bin/python3 -c "import sys; sys.path.insert(0, '$HERE'); import baselines; print('check_msbas:', baselines.check_msbas())"
  echo "--- accuracy (5 scenarios and the 2 hold-outs, seeds 0 and 1)"
  /usr/bin/python3 "$HERE/run_accuracy.py" "$OUT/accuracy" --seeds 0,1 | grep -v '^{'
fi
if has honesty; then
  echo "--- honesty (7 scenarios, seeds 0-5)"
  /usr/bin/python3 "$HERE/honesty.py" "$OUT/honesty.json" | grep -v '^{'
fi
if has leakage; then
  echo "--- north leakage"
  /usr/bin/python3 "$HERE/leakage.py" "$OUT/leakage.json"
fi
if has egms; then
  echo "--- EGMS Ustica"
  /usr/bin/python3 "$HERE/egms_ustica.py" --json "$OUT/egms_ustica.json" --figure "$OUT/multisensor_egms_ustica.png" \
    | grep -v '"report"' | head -30
fi
if has speed; then
  echo "--- speed and memory, ${ROWS} x 1000 px, every thread (load before: $(cut -d' ' -f1-3 /proc/loadavg))"
  rm -f "$OUT/speed.jsonl" "$OUT/speed_1thread.jsonl"
  for kind in ifg series; do
    for method in gen baseline ours; do
      /usr/bin/python3 "$HERE/bench_speed.py" "$method" "$kind" --rows "$ROWS" --json "$OUT/speed.jsonl"
    done
  done
  echo "--- speed, 200 x 1000 px, one thread (numba, OpenMP, BLAS): CPU seconds without idle threads spinning"
  for kind in ifg series; do
    for method in gen baseline ours; do
      NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
        /usr/bin/python3 "$HERE/bench_speed.py" "$method" "$kind" --rows 200 --json "$OUT/speed_1thread.jsonl"
    done
  done
fi
