#!/usr/bin/env bash
# Offset tracking vs scikit-image phase_cross_correlation (BENCHMARKS.md, Kinematics and offsets): CPU model, load
# before and after, then the table. Run from the repository root after `make link`; scikit-image lives in
# .build/venv-bench (pip install scikit-image).
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -m1 "model name" /proc/cpuinfo || true
uptime
INSAR_GEOHAZARDS_FFT_WORKERS=1 BENCH_N="${BENCH_N:-1024}" .build/venv-bench/bin/python benchmarks/offsets/bench_offsets.py
uptime
# where our CPU goes, by stage (docs/kinematics.md, Performance notes)
.build/venv-bench/bin/python benchmarks/offsets/stages_offsets.py
