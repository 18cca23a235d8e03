#!/usr/bin/env bash
# Weighted SBAS (300 x 300 px x 202 interferograms, WEIGHTING=variance), whole qgis_process run: this checkout
# against another revision (REF, default main) in the same window, runs alternated, plus a byte comparison of
# every output. Prints each run's wall and CPU seconds (user + sys), the medians and the load.
#   REF=main REPEAT=5 bash benchmarks/timeseries/ab_300_var.sh      (~1 min idle for REPEAT=5)
# MintPy is not run here (run_300_var.sh runs it beside ours for the ratio).
set -euo pipefail
source "$(dirname "$0")/../bench_env.sh"
enable_plugin
REF="${REF:-main}"
STACK="$ROOT/.build/bench_ts/s300"
[ -f "$STACK/stack.json" ] || /usr/bin/python3 "$HERE/make_stack.py" "$STACK" 300 300 60
WORK="$ROOT/.build/bench_ts/ab_300_var"
rm -rf "$WORK" && mkdir -p "$WORK/ref/.build/plugins"
git -C "$ROOT" archive "$REF" | tar -x -C "$WORK/ref"
ln -s ../.. "$WORK/ref/.build/plugins/insar_geohazards"
# the pattern is searched in whole paths: anchored below the copy, whose own path holds .build
/usr/bin/python3 -m compileall -q -x '/ref/(\.build|tests|benchmarks|demo|docs)/' "$WORK/ref" >/dev/null || true
read -r X Y EPSG WL LOOKS < <(/usr/bin/python3 -c "import json; m = json.load(open('$STACK/stack.json')); \
print(*m['ref_xy'], m['epsg'], m['wavelength_m'], m['looks'])")

run() {  # run TREE OUT: one whole run; prints "wall cpu"
  local tree=$1 out=$2
  rm -rf "$out" && mkdir -p "$out"
  QGIS_PLUGINPATH="$tree/.build/plugins" NUMBA_NUM_THREADS=2 OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 \
    /usr/bin/time -f "%e %U %S" -o "$out.time" qgis_process.bin run geohazard:sbasinversion -- \
    "INTERFEROGRAMS=$STACK/tif" "COHERENCE=$STACK/tif" "REFERENCE=$X,$Y [EPSG:$EPSG]" "WAVELENGTH_M=$WL" \
    ISBAS_MIN_COUNT=1 MIN_TEMPORAL_COHERENCE=0 MAX_MEMORY_MB=512 WEIGHTING=1 "LOOKS=$LOOKS" \
    "OUTPUT_TIMESERIES=$out/output_timeseries.tif" "OUTPUT_VELOCITY=$out/output_velocity.tif" \
    "OUTPUT_VELOCITY_STD=$out/output_velocity_std.tif" \
    "OUTPUT_TEMPORAL_COHERENCE=$out/output_temporal_coherence.tif" \
    "OUTPUT_COHCOUNT=$out/output_cohcount.tif" >/dev/null 2>"$out.log"
  awk '{printf "%.2f %.2f\n", $1, $2 + $3}' "$out.time"
}

uptime
run "$WORK/ref" "$WORK/warm_ref" >/dev/null   # numba compiles each revision's kernels once (cached on disk)
run "$ROOT" "$WORK/warm_this" >/dev/null
: >"$WORK/times"
for i in $(seq 1 "${REPEAT:-5}"); do
  echo "ref $(run "$WORK/ref" "$WORK/out_ref")" | tee -a "$WORK/times"
  echo "this $(run "$ROOT" "$WORK/out_this")" | tee -a "$WORK/times"
done
uptime
/usr/bin/python3 - "$WORK" "$REF" <<'EOF'
import os, statistics, sys
import xml.etree.ElementTree as ET

work, ref = sys.argv[1:3]
rows = [line.split() for line in open(os.path.join(work, "times"))]
for who in ("ref", "this"):
    wall = [float(r[1]) for r in rows if r[0] == who]
    cpu = [float(r[2]) for r in rows if r[0] == who]
    name = ref if who == "ref" else "this checkout"
    print(f"{name}: median wall {statistics.median(wall):.2f} s, median CPU {statistics.median(cpu):.2f} s "
          f"(min {min(wall):.2f} / {min(cpu):.2f}; {len(wall)} runs)")


def canon(path):  # Qt writes a style's XML attributes in hash order: compare them sorted
    def c(e):
        return e.tag, sorted(e.attrib.items()), (e.text or "").strip(), [c(k) for k in e]
    return c(ET.parse(path).getroot())


a, b = os.path.join(work, "out_ref"), os.path.join(work, "out_this")
diff = []
for name in sorted(os.listdir(a)):
    pa, pb = os.path.join(a, name), os.path.join(b, name)
    if name.endswith(".qml"):
        same = canon(pa) == canon(pb)
    else:
        same = open(pa, "rb").read() == open(pb, "rb").read()
    if not same:
        diff.append(name)
print(f"outputs: {len(os.listdir(a))} files, " + (f"DIFFERENT: {diff}" if diff else
      "byte-identical (styles: same XML elements and attributes)"))
EOF
