#!/usr/bin/env bash
# Weighted SBAS on the 300 x 300 px, 202-interferogram stack in one command: ours (whole qgis_process run,
# WEIGHTING=variance) vs MintPy 1.6.4 ifgram_inversion.py -w var (whole run), 2 cores each: MintPy with one
# OpenBLAS thread per process and -c local --num-worker 2 (the baseline), plus its 2-OpenBLAS-thread and
# 1-process runs. REPEAT=n runs them n times back to back. Results: benchmarks/results/sbas/results_300_var.json
set -euo pipefail
source "$(dirname "$0")/../bench_env.sh"
bench_venv --check mintpy "mintpy==1.6.4"
enable_plugin
OUT="$ROOT/.build/bench_ts/s300"
[ -f "$OUT/stack.json" ] || /usr/bin/python3 "$HERE/make_stack.py" "$OUT" 300 300 60
uptime
/usr/bin/python3 "$HERE/bench_sbas_1mpx.py" "$OUT" "$VENV/bin" "$ROOT/benchmarks/results/sbas/results_300_var.json" \
  --repeat "${REPEAT:-1}" --threads "${THREADS:-2}" --weight var --no-floor --variants
uptime
