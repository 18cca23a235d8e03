#!/usr/bin/env bash
# SBAS at scale: a SIZE x SIZE px x 300-interferogram stack (88 dates, ZSTD GeoTIFFs; make_big_stack.py; SIZE 3200:
# 10 Mpx, ~7.6 GB, ~5 min; 1600: 1.8 GB, ~1 min), then geohazard:sbasinversion under /usr/bin/time -v
# (bench_sbas_scale.py), in the same window: in this process, then on a LocalCluster of each of WORKERS_LIST
# (default "1 2") worker processes (1 thread each) through DASK_SCHEDULER=tcp://... (the GeoTIFFs given by path: each
# worker reads its own rows), every Dask run's five rasters compared byte for byte with the local run's. Results: one
# JSON line per run in benchmarks/results/sbas/results_scale.json. KEEP=1 keeps the stack and the outputs (.build/bigts).
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
run local --label "local, $N x $N"
for w in ${WORKERS_LIST:-1 2}; do
  run "dask$w" --workers "$w" --label "dask $w worker process(es), $N x $N"
  for f in "$RUNS/local"/output_*.tif; do
    cmp -s "$f" "$RUNS/dask$w/$(basename "$f")" && echo "file bytes identical: dask$w/$(basename "$f")" \
      || echo "file bytes DIFFER: dask$w/$(basename "$f")"
  done
done
uptime
[ "${KEEP:-0}" = 1 ] || rm -rf "$BIG"
