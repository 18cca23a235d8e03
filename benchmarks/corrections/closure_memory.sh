#!/bin/bash
# Peak RSS and CPU time of one whole qgis_process run of geohazard:unwrapclosurecorrection on the 1-Mpx,
# 202-interferogram benchmark stack (benchmarks/timeseries/make_stack.py), /usr/bin/time -v.
# Usage: closure_memory.sh PLUGIN_ROOT STACK_DIR WORK_DIR [MAX_MEMORY_MB=...]
# Prints: load (1/5/15 min), user s, sys s, wall, max RSS (kB). Run it for two worktrees alternately to compare.
set -e
ROOT=$1; STACK=$2; O=$3; shift 3
rm -rf "$O"; mkdir -p "$O"
export QT_QPA_PLATFORM=offscreen QGIS_PLUGINPATH=$ROOT/.build/plugins
export OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 MKL_NUM_THREADS=2 NUMBA_NUM_THREADS=2
/usr/bin/time -v qgis_process.bin --json run geohazard:unwrapclosurecorrection -- INTERFEROGRAMS="$STACK/tif" \
    OUTPUT="$O/fixed" OUTPUT_STATS="$O/stats.csv" OUTPUT_NONCLOSING="$O/nc.tif" "$@" > "$O/log.json" 2> "$O/time.txt"
echo "load=$(cut -d' ' -f1-3 /proc/loadavg) $(grep -E 'User time|System time|Elapsed|Maximum resident' "$O/time.txt" \
    | awk -F': ' '{printf "%s ", $2}')"
