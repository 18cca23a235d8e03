"""Time-series models against statsmodels OLS and scipy curve_fit; the inverse-velocity alert's confusion."""
ABOUT = __doc__

CASES = [
    dict(name="linear", table="multisensor",
         measures="`timeseriesmodels` core: linear", peer="statsmodels OLS per series",
         setup="peers --check statsmodels numpy scipy statsmodels",
         run='PYTHONPATH="$BUILD/plugins" "$VENV/bin/python" "$HERE/compare.py"'),
    dict(name="seasonal", table="multisensor",
         part_of="linear", measures="`timeseriesmodels` core: seasonal", peer="statsmodels OLS per series"),
    dict(name="quadratic", table="multisensor",
         part_of="linear", measures="`timeseriesmodels` core: quadratic", peer="statsmodels OLS per series"),
    dict(name="logarithmic", table="multisensor",
         part_of="linear", measures="`timeseriesmodels` core: logarithmic", peer="scipy `curve_fit` per series"),
    dict(name="afterslip", table="multisensor", part_of="linear",
         measures="`timeseriesmodels` core: afterslip (variable projection, golden section on `tau_c`)",
         peer="scipy `curve_fit` per series"),
    dict(name="iv_alerts", table="multisensor",
         measures="inverse velocity (`inversevelocity` core, default alerts): 4,000 steady / seasonal / one-jump "
                  "series: any alert",
         peer="none: truth", run='export PYTHONPATH="$BUILD/plugins"\n"$PY" "$HERE/iv_confusion.py"\n'
                                 '"$PY" "$HERE/iv_sbas_noise.py"'),
    dict(name="iv_voight", table="multisensor", part_of="iv_alerts", peer="none: truth",
         measures="inverse velocity: Voight (alpha 1.5-2.2) due <= 30 d / 30-90 d / failed inside"),
    dict(name="iv_speed", table="multisensor",
         part_of="iv_alerts", measures="inverse velocity, 20,000 points x 100 dates", peer="none"),
    dict(name="forecast", measures="displacementforecast core against timeseriesmodels' fits, 100 x 100 px x 200 dates",
         peer="timeseriesmodels (same stack)", table=None,
         run='"$PY" "$HERE/bench_forecast.py" ${SIZE:-100x100x200} ${REPEATS:-2}'),
]
