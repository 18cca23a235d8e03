"""Susceptibility (random forest, 8 factors) in bounded memory; swath profiles through millions of points."""
ABOUT = __doc__

_SUSC = ('for size in ${SIZES:-3163x3163}; do R=${size%x*}; C=${size#*x}\n'
         '  W="$OUT/world_$size"\n'
         '  [ -f "$W/inventory.gpkg" ] || "$PY" "$HERE/bench_susceptibility.py" make "$W" "$R" "$C"\n'
         '  "$PY" "$HERE/bench_susceptibility.py" run "$W" "$OUT/out_$size" "${MAX_MEMORY_MB:-64}" '
         '"${THREADS:-}"\ndone')

CASES = [
    dict(name="susceptibility_forest", measures="random forest, 8 factors (SIZES rows x cols, default 10 Mpx), 64 MiB",
         peer="none: bounded memory (peak RSS flat with the grid)", setup="enable_plugin", table=None, run=_SUSC),
    dict(name="susceptibility_quick", measures="random forest, 8 factors, 500 x 500 px", peer="none", quick=True,
         setup="enable_plugin", table=None, run="SIZES=500x500\n" + _SUSC),
    dict(name="forecast_skill", measures="displacementforecast MODEL 0 vs the line: real and made series cut at 70 %",
         peer="MODEL 1 (the line) on the same series", table=None,
         run='"$PY" "$HERE/bench_forecast_skill.py" ${SERIES:-100}'),
    dict(name="swath_points", measures="swath profile through 10 M points (core and tool)",
         peer="none: the 30 s goal", table=None,
         run='"$PY" "$HERE/bench_swath_points.py" ${POINTS:-10000000} ${TOOL_POINTS:-10000000}'),
]
