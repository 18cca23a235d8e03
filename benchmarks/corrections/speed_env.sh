#!/usr/bin/env bash
# The benchmark venv for the corrections' speed runs: MintPy 1.6.4 with rasterio and h5py (chain_mintpy.py).
set -euo pipefail
source "$(dirname "$0")/../bench_env.sh"
bench_venv --check mintpy "mintpy==1.6.4" rasterio h5py
"$VENV/bin/python" -c "import mintpy, rasterio, h5py; print('mintpy', mintpy.__version__)"
