#!/usr/bin/env bash
# Built-in unwrapper vs SNAPHU (snaphu-py 0.4.1, smooth cost, MCF init) on compare.py's 2000 x 2000 case,
# each in its own process, in the same run: correct share, wall and CPU seconds, peak RSS.
# Usage: bash benchmarks/unwrap/speed_2000.sh [SEED]   (SNAPHU takes minutes)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SEED="${1:-0}"
VENV="$ROOT/.build/venv-unwrap"
mkdir -p "$ROOT/.build/plugins"
[ -e "$ROOT/.build/plugins/insar_geohazards" ] || ln -s ../.. "$ROOT/.build/plugins/insar_geohazards"
if [ ! -x "$VENV/bin/python" ]; then
  /usr/bin/python3 -m venv --system-site-packages "$VENV"
  "$VENV/bin/pip" install -q "snaphu==0.4.1"
fi
uptime
grep -m1 "model name" /proc/cpuinfo
/usr/bin/python3 "$ROOT/benchmarks/unwrap/speed_2000.py" builtin 0 > /dev/null  # numba's cache, once
for m in builtin tiled; do /usr/bin/python3 "$ROOT/benchmarks/unwrap/speed_2000.py" $m "$SEED"; done
"$VENV/bin/python" "$ROOT/benchmarks/unwrap/speed_2000.py" snaphu "$SEED" 2>/dev/null | grep -E "^snaphu +seed"
for m in builtin tiled; do /usr/bin/python3 "$ROOT/benchmarks/unwrap/speed_2000.py" $m "$SEED"; done
uptime
