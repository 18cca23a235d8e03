#!/usr/bin/env bash
# Geometry benchmarks: distortion tool on a synthetic fractal DEM (100 MP by default) with peak RSS,
# slope/aspect against gdaldem side by side, and the EGMS Ustica L3-style decomposition check.
# Usage: benchmarks/geometry/run.sh [ROWS COLS]   (uses QGIS's /usr/bin/python3: the tool runs in QGIS)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
ROWS="${1:-10000}"; COLS="${2:-10000}"
WORK="${BENCH_WORK:-$ROOT/.build/bench-geometry}"
mkdir -p "$WORK" "$ROOT/.build/plugins"
[ -e "$ROOT/.build/plugins/insar_geohazards" ] || ln -s ../.. "$ROOT/.build/plugins/insar_geohazards"
DEM="$WORK/fractal_${ROWS}x${COLS}.tif"
[ -f "$DEM" ] || /usr/bin/python3 "$HERE/make_fractal_dem.py" "$DEM" "$ROWS" "$COLS" 20 2500
echo "--- geometricdistortion, ${ROWS}x${COLS} (peak RSS of the whole QGIS process)"
GDAL_CACHEMAX="${GDAL_CACHEMAX:-256}" /usr/bin/python3 "$HERE/bench_distortion.py" "$DEM" "$WORK/out"
echo "--- slope/aspect vs gdaldem (4000 x 4000 window)"
/usr/bin/python3 "$HERE/compare_slope_gdaldem.py" "$DEM" 4000
if [ -d "$ROOT/tests/data/egms_ustica" ]; then
  echo "--- EGMS Ustica: velocity-level vs EGMS L3 (time-series) decomposition"
  /usr/bin/python3 "$HERE/egms_ustica.py" "$ROOT/tests/data/egms_ustica" "$WORK/egms"
fi
