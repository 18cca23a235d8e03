#!/usr/bin/env bash
# ADA detection defaults on unseen point clouds (issue 14 item 4), this checkout vs a reference
# revision (default: c27f8cb, main before the change).
# Usage: benchmarks/ada/run_generators.sh [REF_REV]   (from the repository root)
#  1. recall/precision of the core with default parameters on the four generators of
#     benchmarks/ada/generators.py (2-3 noise cases x seeds 0-3), before and after;
#  2. 1,000,000 points of the towns-and-countryside generator through qgis_process, before and
#     after, with and without OUTPUT_POINTS: wall/CPU time, peak RSS, load, scores;
#  3. stage timings of the core in one process.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
REF="${1:-c27f8cb}"
OUT="$ROOT/.build/bench-ada"
BEFORE="$OUT/ref_$REF"
mkdir -p "$OUT" "$ROOT/.build/plugins" "$BEFORE/plugins"
[ -e "$ROOT/.build/plugins/insar_geohazards" ] || ln -s ../.. "$ROOT/.build/plugins/insar_geohazards"
[ -d "$BEFORE/src" ] || { mkdir -p "$BEFORE/src" && git -C "$ROOT" archive "$REF" | tar -x -C "$BEFORE/src"; }
ln -sfn "$BEFORE/src" "$BEFORE/plugins/insar_geohazards"
export QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}"
PY=/usr/bin/python3
echo "== 1. core, default parameters, generators x noise x seeds 0-3"
$PY "$ROOT/benchmarks/ada/bench_generators.py" > "$OUT/after.jsonl"
$PY "$ROOT/benchmarks/ada/bench_generators.py" --root "$BEFORE/src" > "$OUT/before.jsonl"
$PY "$ROOT/benchmarks/ada/summarize.py" "$OUT/before.jsonl" "$OUT/after.jsonl"
echo "== 2. 1,000,000 points (urban_rural, seed 0) through qgis_process"
[ -f "$OUT/urban_rural_1000000.gpkg" ] || $PY "$ROOT/benchmarks/ada/make_generated.py" "$OUT" urban_rural 1000000
for T in after before; do
  P="$ROOT/.build/plugins"; [ "$T" = before ] && P="$BEFORE/plugins"
  for MODE in polygons points; do
    rm -f "$OUT/ur_${T}_$MODE.gpkg" "$OUT/ur_${T}_${MODE}_pts.gpkg"
    EXTRA=(); [ "$MODE" = points ] && EXTRA=(OUTPUT_POINTS="$OUT/ur_${T}_${MODE}_pts.gpkg")
    echo "-- $T, $MODE, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    QGIS_PLUGINPATH="$P" /usr/bin/time -f "%e s wall, %U s user + %S s sys CPU, %M KB peak RSS" \
      qgis_process.bin run geohazard:adadetection -- INPUT="$OUT/urban_rural_1000000.gpkg" \
      OUTPUT="$OUT/ur_${T}_$MODE.gpkg" "${EXTRA[@]}" > "$OUT/ur_${T}_$MODE.log" 2> "$OUT/ur_${T}_$MODE.time"
    tail -1 "$OUT/ur_${T}_$MODE.time"
  done
  $PY "$ROOT/benchmarks/ada/score_points.py" "$OUT/urban_rural_1000000.npz" "$OUT/ur_${T}_points_pts.gpkg"
done
echo "== 2b. the same 1,000,000 points, this checkout, polygons, tiles on an embedded Dask LocalCluster"
for S in "" local; do
  rm -f "$OUT/ur_dask$S.gpkg"
  echo "-- DASK_SCHEDULER='$S', load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  QGIS_PLUGINPATH="$ROOT/.build/plugins" /usr/bin/time -f "%e s wall, %U s user + %S s sys CPU, %M KB peak RSS" \
    qgis_process.bin run geohazard:adadetection -- INPUT="$OUT/urban_rural_1000000.gpkg" DASK_SCHEDULER="$S" \
    OUTPUT="$OUT/ur_dask$S.gpkg" > "$OUT/ur_dask$S.log" 2> "$OUT/ur_dask$S.time"
  tail -1 "$OUT/ur_dask$S.time"
done
echo "== 3. stage timings (this checkout, one process)"
$PY "$ROOT/benchmarks/ada/stage_times.py" "$OUT/urban_rural_1000000.gpkg"
