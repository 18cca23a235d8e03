#!/usr/bin/env bash
# Runs every benchmark family (benchmarks/*/run.sh); each installs its peers in its own venv.
set -euo pipefail
cd "$(dirname "$0")"
status=0
for script in */run.sh; do
  [ -e "$script" ] || continue
  echo "=== $(dirname "$script")"
  bash "$script" || status=1
done
exit $status
