#!/usr/bin/env bash
# First run on a fresh install (numba kernels compile) against the second run, per tool and shipped model,
# through qgis_process on the bundled data. Usage: bash benchmarks/startup/cold_warm.sh [JSON] [TOOL ...]
set -euo pipefail
source "$(dirname "$0")/../bench_env.sh"
enable_plugin
uptime
/usr/bin/python3 "$HERE/cold_warm.py" "${1:-$ROOT/benchmarks/results/startup_cold_warm.json}" "${@:2}"
uptime
