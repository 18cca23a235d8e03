#!/usr/bin/env bash
# Speed of the whole Corrected SBAS chain (the shipped model geohazard:correctedsbas) against MintPy's matching
# smallbaselineApp steps (mintpy_chain.cfg), CPU seconds on both sides: the model through `qgis_process run` (as a
# batch user runs it: QGIS's start included, and measured alone) and through processing.run in a QGIS session
# (what the dialog does), numba warm, with the floor (every raster the chain reads, read once) and the load
# average (docs/corrections.md, "Speed"). Default: S4_volcano scaled to 700 x 700 px (84 interferograms, 30
# dates), where QGIS's start is under 10 % of the run; SIZE=0 runs the stack's own 220 x 220 px.
# Usage: [SIZE=700] [REPEAT=1] bash benchmarks/corrections/chain_speed.sh [--json OUT.json] [--mintpy-result F]
set -euo pipefail
cd "$(dirname "$0")/../.."
bash benchmarks/corrections/speed_env.sh
source benchmarks/bench_env.sh
enable_plugin
uptime
/usr/bin/python3 benchmarks/corrections/chain_speed.py --stack S4_volcano --size "${SIZE:-700}" \
    --repeat "${REPEAT:-1}" "$@"
