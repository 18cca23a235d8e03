#!/usr/bin/env bash
# SBAS on a Dask cluster of worker processes: do the workers read their own rows, and how does 1 -> 2 workers scale?
# A 1600 x 1600 px x 300-interferogram stack (88 dates, ZSTD GeoTIFFs, 1.8 GB on disk; make_big_stack.py, ~1 min),
# then geohazard:sbasinversion under /usr/bin/time -v (bench_sbas_scale.py), in the same window:
#   * in this process (numba on 2 threads);
#   * on a LocalCluster of 1, then 2 worker processes (1 thread each) through DASK_SCHEDULER=tcp://..., the
#     GeoTIFFs given by path: each worker reads its own rows;
#   * the same through one VRT per interferogram over the same files (SHIPPED=1, default): VRT inputs are read in
#     the tool's process and each block is shipped to the workers, as every Dask run did before;
# every Dask run's five rasters compared byte for byte with the local run's. Results: one JSON line per run in
# benchmarks/results/sbas/results_dask.json (wall, CPU-s and peak RSS of the tool and of the cluster, the tool's
# block log with the workers' CPU seconds per block). Idle: ~6 min (stack 1 min, then ~1 min per run).
# KEEP=1 keeps the stack and outputs (.build/dask_scale); WORKERS_LIST (default "1 2"), SIZE (default 1600).
set -euo pipefail
source "$(dirname "$0")/../setup_env.sh"
enable_plugin
N="${SIZE:-1600}"
BIG="$ROOT/.build/dask_scale"
STACK="$BIG/stack$N"
RUNS="$BIG/runs"
RES="$ROOT/benchmarks/results/sbas/results_dask.json"
mkdir -p "$RUNS"
lscpu | grep -m1 "Model name"
[ -f "$STACK/stack.json" ] || /usr/bin/time -f "generator: %e s wall, %U s user, %S s sys, %M KB" \
  /usr/bin/python3 "$HERE/make_big_stack.py" "$STACK" "$N" "$N" 88
run() {  # run NAME ARGS...
  local name="$1"; shift
  uptime
  rm -rf "${RUNS:?}/$name"
  /usr/bin/python3 "$HERE/bench_sbas_scale.py" "$STACK" "$RUNS/$name" --results "$RES" "$@" | cut -c1-300
}
same() {  # same DIR: the five rasters of DIR against the local run's
  for f in "$RUNS/local"/output_*.tif; do
    cmp -s "$f" "$1/$(basename "$f")" && echo "file bytes identical: $(basename "$1")/$(basename "$f")" \
      || echo "file bytes DIFFER: $(basename "$1")/$(basename "$f")"
  done
}
run local --label "local, $N rows"
for w in ${WORKERS_LIST:-1 2}; do
  run "dask$w" --workers "$w" --label "dask $w worker process(es), workers read their rows, $N rows"
  same "$RUNS/dask$w"
  if [ "${SHIPPED:-1}" = 1 ]; then
    run "dask${w}_vrt" --workers "$w" --rows "$N" --label "dask $w worker process(es), VRT inputs shipped, $N rows"
    same "$RUNS/dask${w}_vrt"
  fi
done
uptime
[ "${KEEP:-0}" = 1 ] || rm -rf "$BIG"
