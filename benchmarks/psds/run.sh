#!/usr/bin/env bash
# PS/DS phase linking: ours vs dolphin (isce-framework) on the same simulated stack, same window, one run.
set -euo pipefail
source "$(dirname "$0")/../bench_env.sh"
OUT="$ROOT/benchmarks/results/psds"
mkdir -p "$OUT"
bench_venv dolphin
# dolphin imports GDAL's Python bindings (a conda dependency, not on PyPI as a wheel): build them
# against the system GDAL (Debian 12: libgdal-dev 3.6.2)
if ! "$VENV/bin/python" -c "from osgeo import gdal" 2>/dev/null; then
  command -v gdal-config >/dev/null || { apt-get install -y -qq libgdal-dev >/dev/null; }
  "$VENV/bin/pip" install -q setuptools wheel
  "$VENV/bin/pip" install -q --no-build-isolation "gdal==$(gdal-config --version)"
fi
/usr/bin/python3 "$HERE/bench_psds.py" simulate "$OUT/stack.npz"
/usr/bin/python3 "$HERE/bench_psds.py" ours "$OUT/stack.npz" "$OUT/ours.npz"
"$VENV/bin/python" "$HERE/bench_dolphin.py" "$OUT/stack.npz" "$OUT/dolphin.npz" "${BENCH_HALF_ROWS:-5}" "${BENCH_HALF_COLS:-5}" "${BENCH_REPEAT:-2}"
/usr/bin/python3 "$HERE/bench_psds.py" compare "$OUT/stack.npz" "$OUT/ours.npz" "$OUT/dolphin.npz" "$OUT/results.json"
