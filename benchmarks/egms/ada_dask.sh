#!/usr/bin/env bash
# adadetection on each track layer of a loadegms output (SCALE=1 series_forms.sh POINTS writes it), in this process and on a
# real Dask cluster: a LocalCluster of WORKERS worker processes (one thread each) started outside the tool by
# benchmarks/timeseries/dask_cluster.py, its tcp:// address given as DASK_SCHEDULER, as a cluster is used. Per run:
# wall, CPU-s of the tool (/usr/bin/time) and of the cluster (scheduler, nannies, workers: /proc before and after),
# peak RSS of the tool and of each cluster process (a fresh cluster per run, so VmHWM is that run's); the Dask
# output compared byte for byte with the local one and scored (ada_helpers.py same, score; the Dask one too when
# it differs). Takes ~2 min per layer on an idle 2-core machine, most of it the scoring.
# Usage: bash benchmarks/egms/ada_dask.sh [POINTS] [WORKERS]   (defaults 10000000 and 2)
set -uo pipefail
source "$(dirname "$0")/../setup_env.sh"
N="${1:-10000000}"
W="${2:-2}"
OUT="$ROOT/.build/egms"
GPKG="$OUT/scale_$N.gpkg"
stamp
run() {  # run NAME [DASK_SCHEDULER]
  local name="$1" sched="${2:-}" layer="$LAYER"
  rm -f "$OUT/ada_${name}_$layer.gpkg"
  local load
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f "%e s wall, %U+%S s CPU, %M KB peak RSS" qgis_process.bin run geohazard:adadetection -- \
    "INPUT=$GPKG|layername=$layer" OUTPUT="$OUT/ada_${name}_$layer.gpkg" ${sched:+DASK_SCHEDULER=$sched} \
    > "$OUT/ada_${name}_$layer.log" 2> "$OUT/ada_${name}_$layer.time"
  echo "$name $layer (load $load): $(tail -1 "$OUT/ada_${name}_$layer.time")"
  grep -h "spatial tiles" "$OUT/ada_${name}_$layer.log" | head -1 | sed 's/^/  /'
}
LAYERS=$(/usr/bin/python3 "$HERE/ada_helpers.py" layers "$GPKG")
for LAYER in $LAYERS; do
  run local
  ADDR="$OUT/dask_address"
  rm -f "$ADDR"
  /usr/bin/python3 "$ROOT/benchmarks/timeseries/dask_cluster.py" "$W" "$ADDR" > "$OUT/dask_cluster.log" 2>&1 &
  CPID=$!
  for _ in $(seq 600); do [ -s "$ADDR" ] && break; sleep 0.1; done
  sleep 2  # let the workers register and import
  # the idle cluster's own CPU (heartbeats of scheduler, nannies, workers) over 10 s, then the run's
  idle0=$(/usr/bin/python3 "$HERE/ada_helpers.py" proc-tree "$CPID" | sed 's/cpu_s=\([0-9.]*\).*/\1/')
  sleep 10
  before=$(/usr/bin/python3 "$HERE/ada_helpers.py" proc-tree "$CPID" | sed 's/cpu_s=\([0-9.]*\).*/\1/')
  run dask "$(cat "$ADDR")"
  after=$(/usr/bin/python3 "$HERE/ada_helpers.py" proc-tree "$CPID")
  kill -TERM "$CPID"; wait "$CPID" 2>/dev/null
  cpu=$(echo "$after" | sed 's/cpu_s=\([0-9.]*\).*/\1/')
  echo "  cluster during the run: $(/usr/bin/python3 -c "print(f'{$cpu - $before:.1f}')") CPU-s (idle cluster: $(/usr/bin/python3 -c "print(f'{($before - $idle0) / 10:.3f}')") CPU-s per s); peak RSS MB per process (pid:MB, the first the scheduler's): ${after#*rss_mb=}"
  names="local"  # the Dask output is scored too only when it differs from the local one
  /usr/bin/python3 "$HERE/ada_helpers.py" same "$OUT/ada_local_$LAYER.gpkg" "$OUT/ada_dask_$LAYER.gpkg" > "$OUT/ada_same.txt" || names="local dask"
  sed 's/^/  dask vs local: /' "$OUT/ada_same.txt"
  for name in $names; do
    /usr/bin/python3 "$HERE/ada_helpers.py" score "$OUT/tiles_$N/truth.json" "$GPKG" "$LAYER" "$OUT/ada_${name}_$LAYER.gpkg" | sed "s/^ */  $name /"
  done
done
