#!/usr/bin/env bash
# Whole qgis_process runs of adadetection on the 1,000,000-point urban_rural file, this checkout
# and a reference revision alternated (two repetitions, polygons only and with OUTPUT_POINTS),
# then this checkout with DASK_SCHEDULER=local. Needs the file and the reference export made by
# run_generators.sh. Usage: benchmarks/ada/time_1m.sh [REF_REV]   (from the repository root)
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
REF="${1:-9532ed1}"
OUT="$ROOT/.build/bench-ada"
export QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}"
run() {  # label plugins extra-args...
  local label=$1 plugins=$2; shift 2
  rm -f "$OUT"/t_run.gpkg "$OUT"/t_run_pts.gpkg
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  QGIS_PLUGINPATH="$plugins" /usr/bin/time -f "%e s wall, %U+%S s CPU, %M KB peak RSS" qgis_process.bin run \
    geohazard:adadetection -- INPUT="$OUT/urban_rural_1000000.gpkg" OUTPUT="$OUT/t_run.gpkg" "$@" \
    > "$OUT/t_run.log" 2> "$OUT/t_run.time"
  echo "$label, load $load: $(tail -1 "$OUT/t_run.time")"
}
for rep in 1 2; do
  for T in after before; do
    P="$ROOT/.build/plugins"; [ "$T" = before ] && P="$OUT/ref_$REF/plugins"
    run "$rep $T polygons" "$P"
    run "$rep $T points" "$P" OUTPUT_POINTS="$OUT/t_run_pts.gpkg"
  done
done
run "after polygons DASK_SCHEDULER=local" "$ROOT/.build/plugins" DASK_SCHEDULER=local
