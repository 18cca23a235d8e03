#!/usr/bin/env bash
# adadetection on each track layer of a loadegms output (run_scale.sh writes it), timed by /usr/bin/time, and
# scored against the areas make_tiles.py planted (ada_score.py: precision / recall as benchmarks/ada).
# Usage: bash benchmarks/egms/ada_scale.sh [POINTS]   (POINTS default 1000000; needs run_scale.sh POINTS first)
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
N="${1:-1000000}"
OUT="$ROOT/.build/egms"
GPKG="$OUT/scale_$N.gpkg"
export QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}"
export QGIS_PLUGINPATH="$ROOT/.build/plugins"
for layer in $(/usr/bin/python3 -c "
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
print(' '.join(r[0] for r in con.execute(\"SELECT table_name FROM gpkg_contents WHERE data_type='features'\")))" "$GPKG"); do
  rm -f "$OUT/ada_$layer.gpkg"
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f "%e s wall, %U+%S s CPU, %M KB peak RSS" qgis_process.bin run geohazard:adadetection -- \
    "INPUT=$GPKG|layername=$layer" OUTPUT="$OUT/ada_$layer.gpkg" > "$OUT/ada_$layer.log" 2> "$OUT/ada_$layer.time"
  echo "adadetection $layer (load $load): $(tail -1 "$OUT/ada_$layer.time")"
  /usr/bin/python3 "$HERE/ada_score.py" "$OUT/tiles_$N/truth.json" "$GPKG" "$layer" "$OUT/ada_$layer.gpkg"
done
