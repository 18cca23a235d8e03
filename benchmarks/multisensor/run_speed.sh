#!/usr/bin/env bash
# Speed and memory of the joint east/up solver against baseline (a) on 1 Mpx x 4 stacks x 400 dates (bench_speed.py):
# for each input (interferograms, per-date series) the shared input generator alone, the baseline, then ours, each in its
# own process, every thread of the machine; then the same at ONE_ROWS x 1000 px on one thread (numba, OpenMP, BLAS).
# CPU seconds = user + sys of the process; peak RSS from getrusage. Prints one JSON line per run and a Markdown table.
# Usage: bash benchmarks/multisensor/run_speed.sh [OUT_DIR] [ROWS] [ONE_ROWS]   (QGIS's /usr/bin/python3; no QGIS needed)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="${1:-$ROOT/.build/bench-multisensor}"
ROWS="${2:-1000}"
ONE_ROWS="${3:-200}"
mkdir -p "$OUT"
rm -f "$OUT/speed.jsonl" "$OUT/speed_1thread.jsonl"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) threads; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for kind in ifg series; do
  for method in gen baseline ours; do
    /usr/bin/python3 "$HERE/bench_speed.py" "$method" "$kind" --rows "$ROWS" --json "$OUT/speed.jsonl"
  done
done
for kind in ifg series; do
  for method in gen baseline ours; do
    NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
      /usr/bin/python3 "$HERE/bench_speed.py" "$method" "$kind" --rows "$ONE_ROWS" --json "$OUT/speed_1thread.jsonl"
  done
done
/usr/bin/python3 - "$OUT/speed.jsonl" "$OUT/speed_1thread.jsonl" <<'PY'
import json, sys
print("| input | px | threads | gen CPU s | baseline CPU s / wall s / MB | ours CPU s / wall s / MB | load |")
print("|---|---|---|---|---|---|---|")
for path, threads in ((sys.argv[1], "all"), (sys.argv[2], "1")):
    recs = [json.loads(line) for line in open(path)]
    for kind in ("ifg", "series"):
        r = {x["method"]: x for x in recs if x["input"] == kind}
        b, o = r["baseline"], r["ours"]
        print(f"| {kind} | {o['rows'] * o['cols']:,} | {threads} | {r['gen']['cpu_s']:.1f} | "
              f"{b['cpu_s']:.1f} / {b['wall_s']:.1f} / {b['peak_rss_mb']} | {o['cpu_s']:.1f} / {o['wall_s']:.1f} / "
              f"{o['peak_rss_mb']} | {o['load'][0]:.1f} |")
PY
