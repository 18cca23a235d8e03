#!/usr/bin/env bash
# The 1-Mpx SBAS comparison in one command: ours (whole qgis_process run) vs MintPy 1.6.4 ifgram_inversion.py -w no
# (whole run) on the 1000 x 1000 px, 202-interferogram stack, 2 cores each (MintPy: one OpenBLAS thread per
# process and -c local --num-worker 2, the baseline; then its 2-OpenBLAS-thread and 1-process runs), plus
# the GDAL I/O floor; REPEAT=n runs them n times back to back. Results: benchmarks/results/sbas/results_1mpx.json
# The ratio to the floor alone, alternated rounds with sync and warm inputs, medians and parts: run_floor_1mpx.sh.
set -euo pipefail
source "$(dirname "$0")/../bench_env.sh"
bench_venv --check mintpy "mintpy==1.6.4"
enable_plugin
OUT="$ROOT/.build/bench_ts/big"
[ -f "$OUT/stack.json" ] || /usr/bin/python3 "$HERE/make_stack.py" "$OUT" 1000 1000 60
uptime
/usr/bin/python3 "$HERE/bench_sbas_1mpx.py" "$OUT" "$VENV/bin" "$ROOT/benchmarks/results/sbas/results_1mpx.json" \
  --repeat "${REPEAT:-1}" --threads "${THREADS:-2}" --variants
uptime
