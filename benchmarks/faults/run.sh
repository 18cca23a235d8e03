#!/usr/bin/env bash
# Okada speed, side by side in one run: ours (numba, QGIS's Python) vs cutde (CPU) and a Python
# loop over okada_wrapper's DC3D (bench venv). Same 10,000 points x 200 patches for everybody.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$ROOT/.build/venv-bench"
if [ ! -x "$VENV/bin/python" ]; then
  command -v gfortran >/dev/null || { echo "okada_wrapper needs gfortran: apt-get install -y gfortran"; exit 1; }
  /root/.pyenv/versions/3.11.7/bin/python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q numpy cutde
  "$VENV/bin/pip" install -q --no-build-isolation okada_wrapper || "$VENV/bin/pip" install -q okada_wrapper
fi
mkdir -p "$ROOT/benchmarks/results"
/usr/bin/python3 "$HERE/bench_okada.py" make-input "$ROOT/benchmarks/results/okada_input.npz"
/usr/bin/python3 "$HERE/bench_okada.py" ours "$ROOT/benchmarks/results/okada_input.npz" | tee "$ROOT/benchmarks/results/okada_ours.txt"
"$VENV/bin/python" "$HERE/bench_okada.py" peers "$ROOT/benchmarks/results/okada_input.npz" | tee "$ROOT/benchmarks/results/okada_peers.txt"
/usr/bin/python3 "$HERE/bench_okada.py" ours "$ROOT/benchmarks/results/okada_input.npz" | tee -a "$ROOT/benchmarks/results/okada_ours.txt"
# Coulomb map, 1,000 patches onto the full 500 x 500 grid: uniform slip (the issue's case) and
# patch-by-patch variable slip with shared corners, then the per-patch DC3D path on 50 rows.
GRID="$ROOT/benchmarks/results/okada_grid.txt"
GRID_ROWS=500 /usr/bin/python3 "$HERE/bench_okada.py" grid | tee "$GRID"
GRID_ROWS=500 GRID_SLIP=variable /usr/bin/python3 "$HERE/bench_okada.py" grid | tee -a "$GRID"
GRID_ROWS=50 GRID_SLIP=variable GRID_SHARE=0 /usr/bin/python3 "$HERE/bench_okada.py" grid | tee -a "$GRID"
