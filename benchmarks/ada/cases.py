"""ADA detection (adadetection) against scikit-learn DBSCAN + convex hull on synthetic points with planted areas."""
ABOUT = __doc__
_GEN = ('[ -f "$OUT/urban_rural_1000000.gpkg" ] || "$PY" "$HERE/synthetic.py" make "$OUT" 1000000 urban_rural\n'
        '/usr/bin/time -f "%e s wall, %U+%S s CPU, %M KB peak RSS" qgis_process.bin run geohazard:adadetection -- '
        'INPUT="$OUT/urban_rural_1000000.gpkg" OUTPUT="$OUT/ur.gpkg"')


def _urban_rural(name, measures, more_outputs=""):
    """adadetection through qgis_process on the towns-and-countryside layer (made once), under /usr/bin/time."""
    return dict(name=name, setup="enable_plugin", peer="none", measures=measures, run=_GEN + more_outputs)


CASES = [
    dict(name="synthetic_1m", setup='peers --check sklearn "scikit-learn==1.5.2" scipy "numpy<2"; enable_plugin',
         measures="1,000,000 synthetic points (40 x 40 km, 80 planted areas, 40 noisy stable patches)",
         peer="scikit-learn 1.5.2 DBSCAN + convex hull (in memory, no file reading or writing)",
         run='S="$OUT/synthetic_1000000"; [ -f "$S.gpkg" ] || "$PY" "$HERE/synthetic.py" make "$OUT" 1000000\n'
             'rm -f "$OUT/ours.gpkg"; /usr/bin/time -v qgis_process.bin run geohazard:adadetection -- '
             'INPUT="$S.gpkg" OUTPUT="$OUT/ours.gpkg" 2> "$OUT/time_ours.txt" > "$OUT/log_ours.txt"\n'
             'grep -E "Elapsed|Maximum resident" "$OUT/time_ours.txt"  # ours: reading and writing included\n'
             'for eps in 25 50; do  # the peer on in-memory arrays\n'
             '  "$VENV/bin/python" "$HERE/synthetic.py" dbscan "$S.npz" $eps "$OUT/dbscan_$eps.json"\n'
             'done\n"$PY" "$HERE/synthetic.py" score "$S.npz" "$OUT/ours.gpkg" "$OUT"/dbscan_{25,50}.json'),
    _urban_rural("urban_rural_1m", "1,000,000 points, towns and countryside (seed 0), polygons only"),
    _urban_rural("urban_rural_1m_points", "the same, with `OUTPUT_POINTS` (1 M points written)",
                 ' OUTPUT_POINTS="$OUT/ur_points.gpkg"'),
    dict(name="generators", quick=True, peer="none: planted truth",
         measures="5 generators x 2-3 noise levels (11 rows), seeds 0-3, core with defaults",
         run='"$PY" "$HERE/bench_generators.py" --scale "${SCALE:-1}"'),
]
