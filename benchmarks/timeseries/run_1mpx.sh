#!/usr/bin/env bash
# Issue 14 item 6 in one command: ours (whole qgis_process run) vs MintPy 1.6.4 ifgram_inversion.py -w no
# (whole run) on the 1000 x 1000 px, 202-interferogram stack, same thread count for both, plus the GDAL
# I/O floor; REPEAT=n runs the trio n times back to back. Results: benchmarks/results/sbas/results_1mpx.json
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$ROOT/.build/venv-bench"
if [ ! -x "$VENV/bin/ifgram_inversion.py" ]; then
  /root/.pyenv/versions/3.11.7/bin/python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "mintpy==1.6.4"
fi
mkdir -p "$ROOT/.build/plugins"
[ -e "$ROOT/.build/plugins/insar_geohazards" ] || ln -s ../.. "$ROOT/.build/plugins/insar_geohazards"
export QT_QPA_PLATFORM=offscreen QGIS_PLUGINPATH="$ROOT/.build/plugins"
qgis_process.bin plugins enable insar_geohazards >/dev/null 2>&1 || true
OUT="$ROOT/.build/bench_ts/big"
[ -f "$OUT/stack.json" ] || /usr/bin/python3 "$HERE/make_stack.py" "$OUT" 1000 1000 60
uptime
/usr/bin/python3 "$HERE/bench_sbas_1mpx.py" "$OUT" "$VENV/bin" "$ROOT/benchmarks/results/sbas/results_1mpx.json" \
  --repeat "${REPEAT:-1}" --threads "${THREADS:-2}"
uptime
