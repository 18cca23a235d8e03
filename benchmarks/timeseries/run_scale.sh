#!/usr/bin/env bash
# SBAS at scale: a SIZE x SIZE px x 300-interferogram stack (88 dates, ZSTD GeoTIFFs; make_big_stack.py; SIZE 3200:
# 10 Mpx, ~7.6 GB, ~5 min; 1600: 1.8 GB, ~1 min), then geohazard:sbasinversion under /usr/bin/time -v
# (bench_sbas_scale.py), in the same window:
#   * in this process on the first rows of ROWS_LIST (default "800 1600 0", 0 = the whole stack): peak RSS at
#     several sizes, per-block read / compute / write costs and the projected time from the tool's log;
#   * on a LocalCluster of each of WORKERS_LIST (default "1 2") worker processes (1 thread each) through
#     DASK_SCHEDULER=tcp://..., on the first DASK_ROWS rows (default 800; 0 = the whole stack, the GeoTIFFs given
#     by path: each worker reads its own rows); SHIPPED=1 adds, on the whole stack, the same through one VRT per
#     interferogram (read in the tool's process, each block shipped to the workers);
# every Dask run's five rasters compared byte for byte with the local run's. Results: one JSON line per run in
# benchmarks/results/sbas/results_scale.json. KEEP=1 keeps the stack and the outputs (.build/bigts).
set -euo pipefail
source "$(dirname "$0")/../setup_env.sh"
enable_plugin
N="${SIZE:-3200}"
BIG="$ROOT/.build/bigts"
STACK="$BIG/stack$N"
RUNS="$BIG/runs$N"
RES="$ROOT/benchmarks/results/sbas/results_scale.json"
mkdir -p "$RUNS"
lscpu | grep -m1 "Model name"
[ -f "$STACK/stack.json" ] || /usr/bin/time -f "generator: %e s wall, %U s user, %S s sys, %M KB" \
  /usr/bin/python3 "$HERE/make_big_stack.py" "$STACK" "$N" "$N" 88
run() {  # run NAME ARGS...
  local name="$1"; shift
  uptime
  rm -rf "${RUNS:?}/$name"
  /usr/bin/python3 "$HERE/bench_sbas_scale.py" "$STACK" "$RUNS/$name" --results "$RES" "$@" | cut -c1-400
}
same() {  # same DIR: the five rasters of DIR against the local run's
  for f in "$RUNS/local_$DR"/output_*.tif; do
    cmp -s "$f" "$1/$(basename "$f")" && echo "file bytes identical: $(basename "$1")/$(basename "$f")" \
      || echo "file bytes DIFFER: $(basename "$1")/$(basename "$f")"
  done
}
for rows in ${ROWS_LIST-800 1600 0}; do
  run "local_$rows" --rows "$rows" --label "local, rows $rows of $N"
done
DR="${DASK_ROWS:-800}"
[ -d "$RUNS/local_$DR" ] || run "local_$DR" --rows "$DR" --label "local, rows $DR of $N"
for w in ${WORKERS_LIST:-1 2}; do
  run "dask${w}_$DR" --rows "$DR" --workers "$w" --label "dask $w worker process(es), rows $DR of $N"
  same "$RUNS/dask${w}_$DR"
  if [ "${SHIPPED:-0}" = 1 ] && [ "$DR" = 0 ]; then
    run "dask${w}_vrt" --workers "$w" --rows "$N" --label "dask $w worker process(es), VRT inputs shipped, $N rows"
    same "$RUNS/dask${w}_vrt"
  fi
done
uptime
[ "${KEEP:-0}" = 1 ] || rm -rf "$BIG"
