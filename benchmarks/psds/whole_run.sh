#!/usr/bin/env bash
# DS phase linking: the whole `qgis_process run geohazard:phaselinking` (EMI, GLRT, 11 x 11, 30 x 200 x 200)
# against dolphin's net phase linking on the same stack, in one run. Prints wall and CPU ratios and the load.
set -euo pipefail
source "$(dirname "$0")/../bench_env.sh"
OUT="$ROOT/benchmarks/results/psds_whole"
mkdir -p "$OUT"
bench_venv dolphin
# dolphin imports GDAL's Python bindings: built against the system GDAL as run.sh does
if ! "$VENV/bin/python" -c "from osgeo import gdal" 2>/dev/null; then
  command -v gdal-config >/dev/null || { apt-get install -y -qq libgdal-dev >/dev/null; }
  "$VENV/bin/pip" install -q setuptools wheel
  "$VENV/bin/pip" install -q --no-build-isolation "gdal==$(gdal-config --version)"
fi
enable_plugin
uptime
BENCH_ROWS=200 BENCH_COLS=200 /usr/bin/python3 "$HERE/bench_psds.py" simulate "$OUT/stack.npz"
/usr/bin/python3 "$HERE/whole_run.py" prepare "$OUT/stack.npz" "$OUT/tifs"
/usr/bin/python3 "$HERE/whole_run.py" ours "$OUT/tifs" "$OUT/ours.json"
"$VENV/bin/python" "$HERE/whole_run.py" dolphin "$OUT/stack.npz" "$OUT/dolphin.json"
/usr/bin/python3 "$HERE/whole_run.py" report "$OUT/ours.json" "$OUT/dolphin.json" "$OUT/stack.npz" "$OUT/tifs" \
  "$OUT/result.json"
uptime
