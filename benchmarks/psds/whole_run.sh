#!/usr/bin/env bash
# DS phase linking: the whole `qgis_process run geohazard:phaselinking` (EMI, GLRT, 11 x 11, 30 x 200 x 200)
# against dolphin's net phase linking on the same stack, in one run. Prints wall and CPU ratios and the load.
# ROWS=1000 COLS=1000 DOLPHIN_BLOCK_ROWS=50 bash benchmarks/psds/whole_run.sh: another size (default 200 x 200),
# dolphin in row blocks with a halo as its workflow runs (a whole 1 Mpx stack at once asks JAX for ~70 GB).
set -euo pipefail
source "$(dirname "$0")/../bench_env.sh"
ROWS=${ROWS:-200}
COLS=${COLS:-200}
OUT="$ROOT/benchmarks/results/psds_whole"
[ "$ROWS x $COLS" = "200 x 200" ] || OUT="${OUT}_${ROWS}x${COLS}"  # the default stack keeps its folder (other scripts read it)
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
BENCH_ROWS=$ROWS BENCH_COLS=$COLS /usr/bin/python3 "$HERE/bench_psds.py" simulate "$OUT/stack.npz"
/usr/bin/python3 "$HERE/whole_run.py" prepare "$OUT/stack.npz" "$OUT/tifs"
/usr/bin/python3 "$HERE/whole_run.py" ours "$OUT/tifs" "$OUT/ours.json"
"$VENV/bin/python" "$HERE/whole_run.py" dolphin "$OUT/stack.npz" "$OUT/dolphin.json"
/usr/bin/python3 "$HERE/whole_run.py" report "$OUT/ours.json" "$OUT/dolphin.json" "$OUT/stack.npz" "$OUT/tifs" \
  "$OUT/result.json"
uptime
