#!/usr/bin/env bash
# Phase unwrapping benchmark: built-in backend vs our SNAPHU backend vs snaphu-py run directly
# on synthetic interferograms with known truth, and the peak memory of the built-in backend on a
# 5000 x 5000 interferogram. snaphu (snaphu-py) is installed into a venv that sees the system
# numpy/scipy/numba (--system-site-packages), not into the system Python.
# Usage: benchmarks/unwrap/run.sh [N_SEEDS]   (from anywhere)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
N="${1:-3}"
VENV="$ROOT/.build/venv-unwrap"
mkdir -p "$ROOT/.build/plugins"
[ -e "$ROOT/.build/plugins/insar_geohazards" ] || ln -s ../.. "$ROOT/.build/plugins/insar_geohazards"
if [ ! -x "$VENV/bin/python" ]; then
  /usr/bin/python3 -m venv --system-site-packages "$VENV"
  "$VENV/bin/pip" install -q "snaphu==0.4.1"
fi
uptime
echo "== correct-cycle share, built-in vs SNAPHU ($N seeds per case)"
"$VENV/bin/python" "$ROOT/benchmarks/unwrap/compare.py" "$N" 2>/dev/null | grep -v -E \
  "^(snaphu v|[0-9]+ parameters|Reading|No weight|Calculating|Initializing|Running|Maximum|Flow|Found|Growing|Writing|Total|Integrating|Program|Elapsed|$)"
echo "== peak memory, built-in backend, 5000 x 5000"
/usr/bin/time -v "$VENV/bin/python" "$ROOT/benchmarks/unwrap/memory.py" 5000 2> "$ROOT/.build/unwrap_mem.txt"
grep -E "Elapsed|Maximum resident" "$ROOT/.build/unwrap_mem.txt"
