#!/usr/bin/env bash
# Speed of the whole Corrected SBAS chain (the shipped model) against MintPy's matching smallbaselineApp steps,
# in one run, on the 220 x 220 px x 84 interferogram synthetic stack S4: CPU and wall seconds of both and their
# ratios, with the load average (docs/corrections.md, "The whole chain against MintPy").
set -euo pipefail
cd "$(dirname "$0")/../.."
make link >/dev/null
uptime
/usr/bin/python3 benchmarks/corrections/chain_speed.py --stack S4_volcano --repeat "${REPEAT:-2}" "$@"
