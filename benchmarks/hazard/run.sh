#!/usr/bin/env bash
# Susceptibility (random forest, 8 factors) at the sizes given (rows x cols, default the issue's 10 Mpx), each run in
# a fresh process at a memory budget of MAX_MEMORY_MB (default 64 MiB): time, CPU time, peak RSS.
#   bash benchmarks/hazard/run.sh [ROWS COLS] ...      e.g. bash benchmarks/hazard/run.sh 708 708 1000 1000
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:-$ROOT/.build/bench_hazard}
MB=${MAX_MEMORY_MB:-64}
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(3163 3163)
cd "$ROOT" && make link >/dev/null
while [ ${#SIZES[@]} -ge 2 ]; do
  R=${SIZES[0]}; C=${SIZES[1]}; SIZES=("${SIZES[@]:2}")
  DIR=$WORK/world_${R}x${C}
  [ -f "$DIR/inventory.gpkg" ] || /usr/bin/python3 benchmarks/hazard/bench_susceptibility.py make "$DIR" "$R" "$C"
  QT_QPA_PLATFORM=offscreen /usr/bin/python3 benchmarks/hazard/bench_susceptibility.py run "$DIR" "$WORK/out_${R}x${C}" \
    "$MB" "${THREADS:-}"
done
