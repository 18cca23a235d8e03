#!/usr/bin/env bash
# The Coulomb map of 1,000 variable-slip patches onto 500 x 500 nodes at 10 km depth (all 9 displacement
# gradients, 250 M point-patch pairs): ours (QGIS's Python, numba) against cutde's matrix-free strain
# (2 triangles per rectangle, bench venv) and Okada's DC3D (okada_wrapper) on a subset of the nodes, in one
# run; then where our time goes (one thread, CPU seconds) and the uniform/variable full maps.
# CPU seconds (user+sys) are the figures to compare on a shared machine; the load is printed.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$ROOT/.build/venv-bench"
OUT="$ROOT/benchmarks/results"
mkdir -p "$OUT"
if [ ! -x "$VENV/bin/python" ]; then
  /root/.pyenv/versions/3.11.7/bin/python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q numpy cutde
fi
# okada_wrapper needs a Fortran compiler; its own venv when the bench venv has none
DC3D_PY="$VENV/bin/python"
if ! "$DC3D_PY" -c "import okada_wrapper" 2>/dev/null; then
  DC3D_PY="$ROOT/.build/venv-dc3d/bin/python"
  if [ ! -x "$DC3D_PY" ] || ! "$DC3D_PY" -c "import okada_wrapper" 2>/dev/null; then
    command -v gfortran >/dev/null || { echo "okada_wrapper needs gfortran: apt-get install -y gfortran"; exit 1; }
    /root/.pyenv/versions/3.11.7/bin/python3 -m venv "$ROOT/.build/venv-dc3d"
    "$ROOT/.build/venv-dc3d/bin/pip" install -q okada_wrapper
  fi
fi
LOG="$OUT/coulomb_grid.txt"
{
  echo "# $(date -u +%FT%TZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) nproc=$(nproc)"
  echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  /usr/bin/python3 "$HERE/bench_okada.py" grid-input "$OUT/coulomb_grid_input.npz"
  "$VENV/bin/python" "$HERE/bench_okada.py" grid-peers "$OUT/coulomb_grid_input.npz"
  if [ "$DC3D_PY" != "$VENV/bin/python" ]; then
    "$DC3D_PY" "$HERE/bench_okada.py" grid-peers "$OUT/coulomb_grid_input.npz"
  fi
  GRID_ROWS=500 GRID_SLIP=variable /usr/bin/python3 "$HERE/bench_okada.py" grid
  GRID_ROWS=500 /usr/bin/python3 "$HERE/bench_okada.py" grid
  /usr/bin/python3 "$HERE/profile_coulomb.py"
  echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} 2>&1 | tee "$LOG"
