#!/usr/bin/env bash
# Time-series models: ours (batched weighted least squares) vs statsmodels OLS and
# scipy.optimize.curve_fit (per series) on the same synthetic series with known truth.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$ROOT/.build/venv-bench"
if [ ! -x "$VENV/bin/python" ]; then
  /root/.pyenv/versions/3.11.7/bin/python3 -m venv "$VENV"
fi
"$VENV/bin/python" -c "import numpy, scipy, statsmodels" 2>/dev/null || "$VENV/bin/pip" install -q numpy scipy statsmodels
mkdir -p "$ROOT/.build/plugins" && ln -sfn ../.. "$ROOT/.build/plugins/insar_geohazards"
PYTHONPATH="$ROOT/.build/plugins" "$VENV/bin/python" "$HERE/compare.py" "$@"
