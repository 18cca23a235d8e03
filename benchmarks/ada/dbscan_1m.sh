#!/usr/bin/env bash
# ADA detection benchmark: 1,000,000 synthetic points through qgis_process (ours) vs
# scikit-learn DBSCAN + convex hull (peer baseline), same points, same run.
# Usage: benchmarks/ada/dbscan_1m.sh [N_POINTS]   (make bench FAMILY=ada CASE=synthetic_1m)
set -euo pipefail
source "$(dirname "$0")/../setup_env.sh"
N="${1:-1000000}"
OUT="$ROOT/.build/bench-ada"
mkdir -p "$OUT"
[ -f "$OUT/synthetic_$N.gpkg" ] || /usr/bin/python3 "$HERE/synthetic.py" make "$OUT" "$N"
echo "== ours: qgis_process geohazard:adadetection, polygons only (reading + writing included)"
rm -f "$OUT/ours.gpkg" "$OUT/ours_points.gpkg"
/usr/bin/time -v qgis_process.bin run geohazard:adadetection -- INPUT="$OUT/synthetic_$N.gpkg" \
  OUTPUT="$OUT/ours.gpkg" 2> "$OUT/time_ours.txt" > "$OUT/log_ours.txt"
grep -E "Elapsed|Maximum resident" "$OUT/time_ours.txt"
echo "== peer: scikit-learn DBSCAN + convex hull (in-memory arrays, no file reading/writing)"
for EPS in 25 50; do
  "$VENV/bin/python" "$HERE/synthetic.py" dbscan "$OUT/synthetic_$N.npz" "$EPS" "$OUT/dbscan_$EPS.json"
done
echo "== quality against the planted areas"
/usr/bin/python3 "$HERE/synthetic.py" score "$OUT/synthetic_$N.npz" "$OUT/ours.gpkg" \
  "$OUT/dbscan_25.json" "$OUT/dbscan_50.json"
