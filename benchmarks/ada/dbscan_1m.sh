#!/usr/bin/env bash
# ADA detection benchmark: 1,000,000 synthetic points through qgis_process (ours) vs
# scikit-learn DBSCAN + convex hull (peer baseline), same points, same run.
# Usage: benchmarks/ada/dbscan_1m.sh [N_POINTS]   (make bench FAMILY=ada CASE=synthetic_1m)
set -euo pipefail
source "$(dirname "$0")/../setup_env.sh"
N="${1:-1000000}"
OUT="$ROOT/.build/bench-ada"
mkdir -p "$OUT"
peers --check sklearn "scikit-learn==1.5.2" "scipy" "numpy<2"
enable_plugin
[ -f "$OUT/synthetic_$N.gpkg" ] || /usr/bin/python3 "$ROOT/benchmarks/ada/make_synthetic.py" "$OUT" "$N"
echo "== ours: qgis_process geohazard:adadetection, polygons only (reading + writing included)"
rm -f "$OUT/ours.gpkg" "$OUT/ours_points.gpkg"
/usr/bin/time -v qgis_process.bin run geohazard:adadetection -- INPUT="$OUT/synthetic_$N.gpkg" \
  OUTPUT="$OUT/ours.gpkg" 2> "$OUT/time_ours.txt" > "$OUT/log_ours.txt"
grep -E "Elapsed|Maximum resident" "$OUT/time_ours.txt"
echo "== ours: with OUTPUT_POINTS (every input point with ADA id and flag)"
/usr/bin/time -v qgis_process.bin run geohazard:adadetection -- INPUT="$OUT/synthetic_$N.gpkg" \
  OUTPUT="$OUT/ours2.gpkg" OUTPUT_POINTS="$OUT/ours_points.gpkg" 2> "$OUT/time_ours_points.txt" > /dev/null
grep -E "Elapsed|Maximum resident" "$OUT/time_ours_points.txt"
echo "== peer: scikit-learn DBSCAN + convex hull (in-memory arrays, no file reading/writing)"
for EPS in 25 50; do
  "$VENV/bin/python" "$ROOT/benchmarks/ada/baseline_dbscan.py" "$OUT/synthetic_$N.npz" "$EPS" "$OUT/dbscan_$EPS.json"
done
echo "== quality against the planted areas"
/usr/bin/python3 "$ROOT/benchmarks/ada/evaluate.py" "$OUT/synthetic_$N.npz" "$OUT/ours.gpkg" \
  "$OUT/dbscan_25.json" "$OUT/dbscan_50.json"
echo "== stage timings in one process (no qgis_process start-up)"
/usr/bin/python3 "$ROOT/benchmarks/ada/stage_times.py" "$OUT/synthetic_$N.gpkg"
echo "== scenario B: 6x more noisy stable patches (240 per million points), ours vs DBSCAN"
B="synthetic_${N}_noisy240"
[ -f "$OUT/$B.gpkg" ] || /usr/bin/python3 "$ROOT/benchmarks/ada/make_synthetic.py" "$OUT" "$N" 240
rm -f "$OUT/ours_B.gpkg"
/usr/bin/time -v qgis_process.bin run geohazard:adadetection -- INPUT="$OUT/$B.gpkg" OUTPUT="$OUT/ours_B.gpkg" \
  2> "$OUT/time_ours_B.txt" > /dev/null
grep -E "Elapsed|Maximum resident" "$OUT/time_ours_B.txt"
for EPS in 25 50; do
  "$VENV/bin/python" "$ROOT/benchmarks/ada/baseline_dbscan.py" "$OUT/$B.npz" "$EPS" "$OUT/dbscan_B_$EPS.json"
done
/usr/bin/python3 "$ROOT/benchmarks/ada/evaluate.py" "$OUT/$B.npz" "$OUT/ours_B.gpkg" "$OUT/dbscan_B_25.json" \
  "$OUT/dbscan_B_50.json"
