"""3-D motion: Huber IRLS against statsmodels, the raster route, EGMS Ustica through the tools."""
ABOUT = __doc__

CASES = [
    dict(name="huber", setup="peers --check statsmodels numpy scipy statsmodels",
         measures="3-D motion, Huber IRLS, 2000 cells x 6 geometries, an outlier in 30 %",
         peer="statsmodels 0.15.0 `RLM(HuberT(1.345))` per cell, scale fixed",
         run='"$VENV/bin/python" "$HERE/huber_vs_statsmodels.py"'),
    dict(name="landslide3d", measures="`landslide3d` raster route, 500 x 500 cells, one thread", peer="none",
         run='"$PY" "$HERE/bench_landslide3d.py"'),
    dict(name="ustica_3d", quick=True, measures="EGMS Ustica through the tools (11,759 + 11,590 points, 100 m cells)",
         peer="`ascdescdecomposition` (east + up)", setup="enable_plugin", run='"$PY" "$HERE/ustica_3d.py" "$OUT"'),
]
