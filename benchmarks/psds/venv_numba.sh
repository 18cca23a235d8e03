#!/usr/bin/env bash
# A virtual environment with pip's current numba and numpy (.build/venv-numba): what `pip install numba` gives a
# user whose QGIS Python is not Debian's (Windows, macOS). The phase-linking kernel core is pure (no QGIS), so
# kernel_core.py runs there as well as under /usr/bin/python3 (Debian 12: numba 0.56, numpy 1.24).
# Usage: benchmarks/psds/venv_numba.sh  (prints the venv's python; creates it once, ~1 min with a warm pip cache)
set -euo pipefail
source "$(dirname "$0")/../bench_env.sh"
VENV_NUMBA="$ROOT/.build/venv-numba"
[ -x "$VENV_NUMBA/bin/python" ] || "$PEER_PYTHON" -m venv "$VENV_NUMBA"
"$VENV_NUMBA/bin/python" -c "import numba, numpy, scipy" 2>/dev/null || "$VENV_NUMBA/bin/pip" install -q numba numpy scipy
echo "$VENV_NUMBA/bin/python"
