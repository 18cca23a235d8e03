#!/usr/bin/env bash
# Goldstein filtering, ours against dolphin's goldstein, on the same SIMULATED interferograms (goldstein_compare.py):
# phase error against the noise-free phase and CPU seconds of the filter call, alpha 0.5 and 0.8.
# dolphin (its goldstein needs numpy only) is installed without its other dependencies into its own venv,
# DOLPHIN_VENV (default .build/venv-dolphin), never into the system Python.
# Usage: bash benchmarks/interferograms/run.sh [WORK_FOLDER]     (about a minute)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="${1:-$ROOT/.build/bench_goldstein}"
VENV="${DOLPHIN_VENV:-$ROOT/.build/venv-dolphin}"
PEER_PYTHON="${PEER_PYTHON:-/root/.pyenv/versions/3.11.7/bin/python3}"
make -s -C "$ROOT" link
if [ ! -x "$VENV/bin/python" ]; then
  "$PEER_PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --no-deps "dolphin==0.42.9"
  "$VENV/bin/pip" install -q numpy
fi
uptime
HERE="$ROOT/benchmarks/interferograms"
OMP_NUM_THREADS=1 /usr/bin/python3 "$HERE/goldstein_compare.py" simulate "$WORK" 1024
for alpha in 0.5 0.8; do
  OMP_NUM_THREADS=1 "$VENV/bin/python" "$HERE/goldstein_compare.py" dolphin "$WORK" "$alpha"
  OMP_NUM_THREADS=1 /usr/bin/python3 "$HERE/goldstein_compare.py" ours "$WORK" "$alpha"
  /usr/bin/python3 "$HERE/goldstein_compare.py" table "$WORK" "$alpha"
done
