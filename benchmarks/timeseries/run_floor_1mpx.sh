#!/usr/bin/env bash
# SBAS 1 Mpx against its I/O floor in one command: ROUNDS (default 5) rounds alternating our whole
# qgis_process run, the GDAL floor (every input read once, the outputs written with GDAL's default
# compression), the floor with our creation options and `qgis_process.bin list` (QGIS start-up alone),
# `sync` and warm inputs before each; medians, spread and the parts of each side (floor_1mpx.py).
# BEFORE=DIR (a folder holding another insar_geohazards, e.g. `git archive main`) runs it in every round too.
# Idle: ~1 min for 5 rounds (~1.5 min with BEFORE). Results: benchmarks/results/sbas/floor_1mpx.json
set -euo pipefail
source "$(dirname "$0")/../bench_env.sh"
enable_plugin
OUT="$ROOT/.build/bench_ts/big"
[ -f "$OUT/stack.json" ] || /usr/bin/python3 "$HERE/make_stack.py" "$OUT" 1000 1000 60
uptime
/usr/bin/python3 "$HERE/floor_1mpx.py" "$OUT" "$ROOT/benchmarks/results/sbas/floor_1mpx.json" \
  --rounds "${ROUNDS:-5}" --threads "${THREADS:-2}" ${BEFORE:+--before "$BEFORE"}
uptime
