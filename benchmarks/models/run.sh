#!/usr/bin/env bash
# Time-series models: ours (batched weighted least squares) vs statsmodels OLS and
# scipy.optimize.curve_fit (per series) on the same synthetic series with known truth.
set -euo pipefail
source "$(dirname "$0")/../bench_env.sh"
bench_venv --check statsmodels numpy scipy statsmodels
PYTHONPATH="$ROOT/.build/plugins" "$VENV/bin/python" "$HERE/compare.py" "$@"
