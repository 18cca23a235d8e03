#!/usr/bin/env bash
# offset_field CPU time, this tree against an earlier commit, alternated in one process (ab_offsets.py).
# Usage, from the repository root after `make link`: bash benchmarks/offsets/ab_offsets.sh <commit> [rounds]
# (PYTHON=/usr/bin/python3 for QGIS's Python and its numba instead of the bench venv)
set -euo pipefail
cd "$(dirname "$0")/../.."
base=$(mktemp -d)
trap 'rm -rf "$base"' EXIT
mkdir -p "$base/src"
git archive "$1" | tar -x -C "$base/src"
ln -s "$base/src" "$base/insar_base"
uptime
BASE_DIR="$base" "${PYTHON:-.build/venv-bench/bin/python}" benchmarks/offsets/ab_offsets.py "${2:-12}"
uptime
