#!/usr/bin/env bash
# Phase unwrapping benchmark: built-in backend (global and tiled) vs our SNAPHU backend vs snaphu-py
# run directly on synthetic interferograms with known truth (and a 2000 x 2000 one with --big), on the
# family of co-seismic interferograms cut by a surface rupture (rupture.py, true and estimated coherence),
# tiled vs global on synthetic and re-wrapped real interferograms, and the peak memory of the
# built-in backend on 5000 x 5000 (global and tiled) and 10 000 x 10 000 (tiled) interferograms. snaphu (snaphu-py) is installed into a venv that sees the system
# numpy/scipy/numba (--system-site-packages), not into the system Python.
# Usage: benchmarks/unwrap/run.sh [N_SEEDS] [--big]   (from anywhere; --big adds the 2000 x 2000 case and
# the 10 000 x 10 000 memory run, tens of minutes on a loaded machine)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
N="${1:-3}"
BIG="${2:-}"
VENV="$ROOT/.build/venv-unwrap"
make -s -C "$ROOT" link
if [ ! -x "$VENV/bin/python" ]; then
  /usr/bin/python3 -m venv --system-site-packages "$VENV"
  "$VENV/bin/pip" install -q "snaphu==0.4.1"
fi
uptime
echo "== correct-cycle share, built-in vs SNAPHU ($N seeds per case)"
"$VENV/bin/python" "$ROOT/benchmarks/unwrap/compare.py" "$N" 2>/dev/null | grep -v -E \
  "^(snaphu v|[0-9]+ parameters|Reading|No weight|Calculating|Initializing|Running|Maximum|Flow|Found|Growing|Writing|Total|Integrating|Program|Elapsed|$)"
for c in true estimated; do
  echo "== co-seismic interferograms cut by a surface rupture, built-in vs SNAPHU, $c coherence given"
  "$VENV/bin/python" "$ROOT/benchmarks/unwrap/rupture.py" --coherence $c 2>/dev/null | grep -v -E \
    "^(snaphu v|[0-9]+ parameters|Reading|No weight|Calculating|Initializing|Running|Maximum|Flow|Found|Growing|Writing|Total|Integrating|Program|Elapsed|$)"
done
if [ "$BIG" = "--big" ]; then
  echo "== speed, 2000 x 2000: built-in (global, tiled) vs SNAPHU, one process each"
  bash "$ROOT/benchmarks/unwrap/speed_2000.sh" 0
  echo "== correct-cycle share, 2000 x 2000, built-in global / tiled vs SNAPHU"
  "$VENV/bin/python" "$ROOT/benchmarks/unwrap/compare.py" 1 --big 2>/dev/null | grep -v -E \
    "^(snaphu v|[0-9]+ parameters|Reading|No weight|Calculating|Initializing|Running|Maximum|Flow|Found|Growing|Writing|Total|Integrating|Program|Elapsed|$)"
fi
echo "== tiled vs global built-in unwrapping (synthetic and re-wrapped real interferograms)"
/usr/bin/python3 "$ROOT/benchmarks/unwrap/tiles.py" "$N"
SIZES="5000:global 5000:tiled:512 5000:tiled:256"
[ "$BIG" = "--big" ] && SIZES="$SIZES 10000:tiled:512"
for s in $SIZES; do
  echo "== peak memory, built-in backend, ${s//:/ }"
  /usr/bin/time -v "$VENV/bin/python" "$ROOT/benchmarks/unwrap/memory.py" ${s//:/ } 2> "$ROOT/.build/unwrap_mem.txt"
  grep -E "Elapsed|Maximum resident" "$ROOT/.build/unwrap_mem.txt"
done
echo "== peak memory of the tool (qgis_process geohazard:unwrap), 5000 x 5000, default budget"
bash "$ROOT/benchmarks/unwrap/tool_memory.sh" 5000
