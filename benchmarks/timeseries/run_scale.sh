#!/usr/bin/env bash
# SBAS at scale: a 3200 x 3200 px (10 Mpx) x 300-interferogram stack (88 dates, ZSTD GeoTIFFs, ~7.6 GB on
# disk; make_big_stack.py, ~5 min), then geohazard:sbasinversion under /usr/bin/time -v:
#   * in this process on the first 800 and 1600 rows and on the whole stack (peak RSS at three sizes,
#     per-block read / compute / write costs and the projected time from the tool's log);
#   * on a LocalCluster of 1, then 2 worker processes (1 thread each) through DASK_SCHEDULER=tcp://...,
#     on the first DASK_ROWS rows (default 800), outputs compared byte for byte with the local run.
# Results: benchmarks/results/sbas/results_scale.json (one JSON line per run). KEEP=1 keeps the stack
# and the outputs (.build/bigts); otherwise they are removed at the end.
# Variables: ROWS_LIST (default "800 1600 0", 0 = whole stack), DASK_ROWS (800), WORKERS_LIST ("1 2").
set -euo pipefail
source "$(dirname "$0")/../setup_env.sh"
enable_plugin
BIG="$ROOT/.build/bigts"
STACK="$BIG/full"
RUNS="$BIG/runs"
RES="$ROOT/benchmarks/results/sbas/results_scale.json"
mkdir -p "$RUNS"
lscpu | grep -m1 "Model name"
[ -f "$STACK/stack.json" ] || /usr/bin/time -f "generator: %e s wall, %U s user, %S s sys, %M KB" \
  /usr/bin/python3 "$HERE/make_big_stack.py" "$STACK" 3200 3200 88
run() {  # run NAME ARGS...
  local name="$1"; shift
  uptime
  /usr/bin/python3 "$HERE/bench_sbas_scale.py" "$STACK" "$RUNS/$name" --results "$RES" "$@" | cut -c1-400
}
for rows in ${ROWS_LIST-800 1600 0}; do
  run "local_$rows" --rows "$rows" --label "local, rows $rows"
done
DR="${DASK_ROWS:-800}"
[ -d "$RUNS/local_$DR" ] || run "local_$DR" --rows "$DR" --label "local, rows $DR"
for w in ${WORKERS_LIST:-1 2}; do
  run "dask${w}_$DR" --rows "$DR" --workers "$w" --label "dask $w worker process(es), rows $DR"
  for f in "$RUNS/local_$DR"/output_*.tif; do
    cmp -s "$f" "$RUNS/dask${w}_$DR/$(basename "$f")" && echo "file bytes identical: $(basename "$f")" \
      || echo "file bytes DIFFER: $(basename "$f")"
  done
done
uptime
[ "${KEEP:-0}" = 1 ] || rm -rf "$BIG"
