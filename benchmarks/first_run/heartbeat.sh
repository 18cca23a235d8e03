#!/usr/bin/env bash
# Longest desktop pause (event-loop heartbeat gap) and longest still progress bar during the first run of the
# SBAS-to-landslide-activity model and of DS phase linking on a fresh numba cache; 5 repeats each, then the same
# with 4 busy processes beside them. Usage: bash benchmarks/first_run/heartbeat.sh [--root OTHER_CHECKOUT]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
uptime
/usr/bin/python3 "$HERE/heartbeat.py" --repeats 5 "$@"
/usr/bin/python3 "$HERE/heartbeat.py" --repeats 5 --load 4 "$@"
uptime
