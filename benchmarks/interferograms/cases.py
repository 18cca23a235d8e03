"""Goldstein filtering against dolphin's on the same simulated interferograms."""
ABOUT = __doc__

_RUN = ('OMP_NUM_THREADS=1 "$PY" "$HERE/goldstein_compare.py" simulate "$OUT" ${SIZE:-1024}\n'
        'for alpha in 0.5 0.8; do\n'
        '  OMP_NUM_THREADS=1 "$VENV/bin/python" "$HERE/goldstein_compare.py" dolphin "$OUT" "$alpha"\n'
        '  for smooth in default 0; do\n'
        '    OMP_NUM_THREADS=1 "$PY" "$HERE/goldstein_compare.py" ours "$OUT" "$alpha" 16 "$smooth"\n'
        '    "$PY" "$HERE/goldstein_compare.py" table "$OUT" "$alpha" 16 "$smooth"\n'
        '  done\n'
        'done')

_REGIMES = ('OMP_NUM_THREADS=1 "$PY" "$HERE/goldstein_regimes.py" frames "$OUT" ${SIZE:-512}\n'
            'OMP_NUM_THREADS=1 "$PY" "$HERE/goldstein_regimes.py" classic "$OUT"\n'
            'OMP_NUM_THREADS=1 "$VENV/bin/python" "$HERE/goldstein_regimes.py" dolphin "$OUT"\n'
            'for s in 0 3 5; do OMP_NUM_THREADS=1 "$PY" "$HERE/goldstein_regimes.py" ours "$OUT" "$s" 0; done\n'
            'OMP_NUM_THREADS=1 "$PY" "$HERE/goldstein_regimes.py" ours "$OUT" 3\n'
            '"$PY" "$HERE/goldstein_regimes.py" table "$OUT"')
_SETUP = "peers dolphin; peers_gdal; enable_plugin"  # the peers' venv: dolphin 0.42.9 on numpy 2.4.6
CASES = [
    dict(name="goldstein", measures="1024 x 1024 px, coherence 0.3-0.9, alpha 0.5 and 0.8", table=None,
         peer="dolphin 0.42.9 goldstein", setup=_SETUP, run=_RUN),
    dict(name="goldstein_regimes", measures="SMOOTH_PX 0/3/5 against the classic filter and dolphin: 512 x 512 "
         "known-truth frames (gentle, steep, coherence 0.3-0.9) and the 30 Mexico City pairs", table=None,
         peer="dolphin 0.42.9 goldstein; Goldstein & Werner's classic filter (tests/testutils_goldstein.py)",
         setup="peers dolphin; enable_plugin", run=_REGIMES),
    dict(name="goldstein_quick", measures="256 x 256 px", peer="dolphin 0.42.9 goldstein", quick=True, table=None,
         setup=_SETUP, run="SIZE=256\n" + _RUN),
]
CASES.append(dict(
    name="basins_outside", measures="basindetection's shipped model on frames of two generators it was not trained "
    "on (tests/testutils_basin_frames.py) and on its training simulator's held-out seeds", table=None,
    peer="none: the generators' truth",
    run='nice "$PY" "$HERE/basin_generalisation.py" --frames ${FRAMES:-100}'))
