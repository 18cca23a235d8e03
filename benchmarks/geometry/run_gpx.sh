#!/usr/bin/env bash
# Distortion tool on a country-size DEM through qgis_process (the whole process under /usr/bin/time -v: wall,
# CPU user+sys, peak RSS, load), then the CPU of each part and the GDAL read+write floor (profile_distortion.py).
# Usage: benchmarks/geometry/run_gpx.sh [ROWS COLS]   (default 31623 x 31623 = 1 Gpx; 16667 60000 for a wide one)
# Needs ~2x 2.6 GB (DEM) + 3.9 GB (outputs) + 5 GB (temporary scan files) free in BENCH_WORK; KEEP=0 deletes the
# DEM and outputs at the end.
set -euo pipefail
source "$(dirname "$0")/../setup_env.sh"
ROWS="${1:-31623}"; COLS="${2:-31623}"
WORK="${BENCH_WORK:-$BUILD/bench-geometry}"
mkdir -p "$WORK"
DEM="$WORK/fractal_${ROWS}x${COLS}.tif"
OUT="$WORK/out_${ROWS}x${COLS}"
[ -f "$DEM" ] || DEM_ZLEVEL=1 /usr/bin/python3 "$HERE/make_fractal_dem.py" "$DEM" "$ROWS" "$COLS" 20 2500
mkdir -p "$OUT"
rm -f "$OUT"/*.tif "$OUT"/*.csv
echo "--- qgis_process run geohazard:geometricdistortion, ${ROWS} x ${COLS}, default parameters (heading -12, incidence 37)"
echo "before: $(stamp)"
/usr/bin/time -v qgis_process.bin run \
  geohazard:geometricdistortion -- DEM="$DEM" HEADING=-12 INCIDENCE=37 OUTPUT_CLASSES="$OUT/classes.tif" \
  OUTPUT_RINDEX="$OUT/rindex.tif" \
  OUTPUT_VISIBILITY="$OUT/visibility.tif" OUTPUT_TABLE="$OUT/shares.csv" >"$OUT/stdout.log" 2>"$OUT/time.log"
grep -E "User time|System time|Elapsed|Maximum resident|Percent of CPU" "$OUT/time.log"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "--- CPU seconds per part (no QGIS, steps one after the other)"
/usr/bin/python3 "$HERE/profile_distortion.py" "$DEM" "$OUT/profile"
if [ "${KEEP:-1}" = "0" ]; then rm -rf "$DEM" "$OUT"; fi
