#!/usr/bin/env bash
# Weighted SBAS 300 x 300, ours and MintPy, each after IDLE seconds of nothing and again at once (idle_300_var.py).
#   ROUNDS=2 IDLE=80 bash benchmarks/timeseries/idle_300_var.sh        (~9 min for 2 rounds)
set -euo pipefail
source "$(dirname "$0")/../bench_env.sh"
bench_venv --check mintpy "mintpy==1.6.4"
enable_plugin
STACK="$ROOT/.build/bench_ts/s300"
[ -f "$STACK/stack.json" ] || /usr/bin/python3 "$HERE/make_stack.py" "$STACK" 300 300 60
uptime
/usr/bin/python3 "$HERE/idle_300_var.py" "$VENV/bin" "${ROUNDS:-2}" "${IDLE:-80}"
uptime
