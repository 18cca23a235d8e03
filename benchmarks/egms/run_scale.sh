#!/usr/bin/env bash
# loadegms at national scale: EGMS-like tiles (make_tiles.py: two tracks, 5 % overlapping bursts, one damaged
# zip) loaded by whole qgis_process runs with each SERIES_STORAGE form, timed by /usr/bin/time (wall, CPU, peak RSS),
# with the output's size against the zipped tiles; then the cost of a spatial index on the largest layer.
# Usage: bash benchmarks/egms/run_scale.sh [POINTS] [TILES] [MODES]   (from anywhere; POINTS default
# 1000000, TILES default 10 per million points, MODES default "2 1 0": none, table, fields)
set -uo pipefail
source "$(dirname "$0")/../setup_env.sh"
N="${1:-1000000}"
K="${2:-$(( (N + 99999) / 100000 ))}"
MODES="${3:-2 1 0}"
OUT="$ROOT/.build/egms"
TILES="$OUT/tiles_$N"
mkdir -p "$OUT"
stamp
if [ ! -f "$TILES/truth.json" ]; then
  /usr/bin/time -f "generated in %e s wall, %M KB peak RSS" /usr/bin/python3 "$HERE/make_tiles.py" "$TILES" \
    --points "$N" --tiles "$K" --corrupt 1
fi
ZIPPED=$(du -cb "$TILES"/*.zip | tail -1 | cut -f1)
echo "$N points in $K tiles, $(( ZIPPED / 1000000 )) MB zipped"
NAMES=(fields table none)
for m in $MODES; do
  rm -f "$OUT/scale_$N.gpkg"
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f "%e s wall, %U+%S s CPU, %M KB peak RSS" qgis_process.bin run geohazard:loadegms -- \
    INPUTS="$TILES" SERIES_STORAGE="$m" OUTPUT="$OUT/scale_$N.gpkg" > "$OUT/scale_$N.log" 2> "$OUT/scale_$N.time"
  size=$(stat -c %s "$OUT/scale_$N.gpkg" 2>/dev/null || echo 0)
  ratio=$(/usr/bin/python3 -c "print(f'{$size / $ZIPPED:.2f}')")
  echo "SERIES_STORAGE=${NAMES[$m]} (load $load): $(tail -1 "$OUT/scale_$N.time"); output $(( size / 1000000 )) MB = ${ratio}x the zips"
  grep -h "skipped\|repeated" "$OUT/scale_$N.log" "$OUT/scale_$N.time" | sed 's/^/  /' | cut -c1-200 | head -3
done
# the R-tree on the largest layer of the last output: what building it costs, what a map-window query gains
/usr/bin/python3 "$HERE/spatial_index.py" "$OUT/scale_$N.gpkg"
