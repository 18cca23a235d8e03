#!/usr/bin/env bash
# loadegms on EGMS-like tiles (make_tiles.py: two tracks, 5 % overlapping bursts, one damaged zip), made when missing:
# whole qgis_process runs with each SERIES_STORAGE form, timed by /usr/bin/time (wall, CPU, peak RSS), with the
# output's bytes a point (GeoPackage + netCDF files) and its ratio to the zipped tiles. Then the same on the real
# Ustica tiles (tests/data), or with SCALE=1 the last output kept as .build/egms/scale_POINTS.gpkg (what
# spatial_index.py and the ADA cases read).
# Usage: bash benchmarks/egms/series_forms.sh [POINTS] [TILES] [MODES]   (POINTS default 1000000, TILES 10 per
# million, MODES default "3 0 1 2": netcdf, fields, table, none)
set -uo pipefail
source "$(dirname "$0")/../setup_env.sh"
N="${1:-1000000}"
K="${2:-$(( (N + 99999) / 100000 ))}"
MODES="${3:-3 0 1 2}"
OUT="$ROOT/.build/egms"
TILES="$OUT/tiles_$N"
mkdir -p "$OUT"
stamp
if [ ! -f "$TILES/truth.json" ]; then
  /usr/bin/python3 "$HERE/make_tiles.py" "$TILES" --points "$N" --tiles "$K" --corrupt 1
fi
NAMES=(fields table none netcdf auto)
run() {  # run LABEL INPUTS ZIPPED_BYTES POINTS MODE
  local label="$1" inputs="$2" zipped="$3" points="$4" m="$5" dir="$OUT/forms"
  rm -rf "$dir" && mkdir -p "$dir"
  local load
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f "%e s wall, %U+%S s CPU, %M KB peak RSS" qgis_process.bin run geohazard:loadegms -- \
    INPUTS="$inputs" SERIES_STORAGE="$m" OUTPUT="$dir/out.gpkg" > "$dir/log" 2> "$dir/time"
  local gpkg nc
  gpkg=$(stat -c %s "$dir/out.gpkg" 2>/dev/null || echo 0)
  nc=$(cat "$dir"/*.nc 2>/dev/null | wc -c)
  /usr/bin/python3 -c "
g, n, z, p = $gpkg, $nc, $zipped, $points
print(f'$label ${NAMES[$m]} (load $load): $(tail -1 "$dir/time"); GeoPackage {g / 1e6:.1f} MB + netCDF {n / 1e6:.1f} MB'
      f' = {(g + n) / p:.0f} B a point (series file {n / p:.0f} B), {(g + n) / z:.2f}x the zips ({z / p:.0f} B a point)')"
  grep -h "Series written\|SQLite rows\|skipped\|repeated" "$dir/log" "$dir/time" | sed 's/^/  /' | cut -c1-220 | head -3
  if [ "${SCALE:-0}" = 1 ]; then mv "$dir/out.gpkg" "$OUT/scale_$points.gpkg"; fi
}
ZIPPED=$(du -cb "$TILES"/*.zip | tail -1 | cut -f1)
for m in $MODES; do run "synthetic $N" "$TILES" "$ZIPPED" "$N" "$m"; done
[ "${SCALE:-0}" = 1 ] && exit 0
U="$OUT/ustica_zips"  # the two real tiles alone (the data folder also holds CSV extracts)
mkdir -p "$U" && ln -sf "$ROOT"/tests/data/egms_ustica/*.zip "$U"/
UZ=$(du -cbL "$U"/*.zip | tail -1 | cut -f1)
for m in $MODES; do run "Ustica 23349" "$U" "$UZ" 23349 "$m"; done
