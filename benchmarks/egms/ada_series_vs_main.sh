#!/usr/bin/env bash
# adadetection with dated fields, this checkout against another git ref (default main) side by side: a fields
# load of the first K tiles of TILE_DIR (make_tiles.py), then each plugin's adadetection on its descending layer
# timed by /usr/bin/time, then the two outputs compared attribute by attribute and outline by outline.
# Usage: bash benchmarks/egms/ada_series_vs_main.sh TILE_DIR [K] [REF]   (K default 4: 400,000 points x 210 dates)
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TILES="$1"
K="${2:-4}"
REF="${3:-main}"
OUT="$ROOT/.build/egms"
OTHER="$(mktemp -d)"
trap 'rm -rf "$OTHER"' EXIT
mkdir -p "$OUT" "$OTHER/insar_geohazards" "$ROOT/.build/plugins"
[ -e "$ROOT/.build/plugins/insar_geohazards" ] || ln -s ../.. "$ROOT/.build/plugins/insar_geohazards"
git -C "$ROOT" archive "$REF" | tar -x -C "$OTHER/insar_geohazards"
export QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}"
ARGS=()
for t in $(ls "$TILES"/*.zip | head -"$K"); do ARGS+=("INPUTS=$t"); done
GPKG="$OUT/ada_series_$K.gpkg"
rm -f "$GPKG"
QGIS_PLUGINPATH="$ROOT/.build/plugins" /usr/bin/time -f "loadegms fields, $K tiles: %e s wall, %U+%S s CPU, %M KB" \
  qgis_process.bin run geohazard:loadegms -- "${ARGS[@]}" SERIES_STORAGE=0 OUTPUT="$GPKG" > "$OUT/ada_series_load.log" 2>&1
tail -1 "$OUT/ada_series_load.log"
LAYER=$(/usr/bin/python3 -c "
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
print([r[0] for r in con.execute(\"SELECT table_name FROM gpkg_contents WHERE data_type='features'\")][0])" "$GPKG")
for who in "$REF" this; do
  if [ "$who" = this ]; then PP="$ROOT/.build/plugins"; else PP="$OTHER"; fi
  rm -f "$OUT/ada_series_$who.gpkg"
  load=$(cut -d' ' -f1 /proc/loadavg)
  QGIS_PLUGINPATH="$PP" /usr/bin/time -f "adadetection $who (load $load): %e s wall, %U+%S s CPU, %M KB peak RSS" \
    qgis_process.bin run geohazard:adadetection -- "INPUT=$GPKG|layername=$LAYER" OUTPUT="$OUT/ada_series_$who.gpkg" \
    > "$OUT/ada_series_$who.log" 2>&1
  tail -1 "$OUT/ada_series_$who.log"
done
/usr/bin/python3 - "$OUT/ada_series_$REF.gpkg" "$OUT/ada_series_this.gpkg" <<'EOF'
import sys
from osgeo import ogr
rows = []
for path in sys.argv[1:3]:
    ds = ogr.Open(path)
    rows.append([(f.items(), f.GetGeometryRef().ExportToWkt()) for f in ds.GetLayer(0)])
dated = sum(1 for k in rows[1][0][0] if k.startswith("D")) if rows[1] else 0
print(f"{len(rows[0])} and {len(rows[1])} ADAs ({dated} dated fields); the same attributes and outlines: {rows[0] == rows[1]}")
EOF
