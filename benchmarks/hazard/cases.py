"""Susceptibility (random forest, 8 factors) in bounded memory; swath profiles through millions of points; DEM
co-registration beside xDEM and a 10,000 x 10,000 DEM difference in bounded memory."""
ABOUT = __doc__

_SUSC = ('for size in ${SIZES:-3163x3163}; do R=${size%x*}; C=${size#*x}\n'
         '  W="$OUT/world_$size"\n'
         '  [ -f "$W/inventory.gpkg" ] || "$PY" "$HERE/bench_susceptibility.py" make "$W" "$R" "$C"\n'
         '  "$PY" "$HERE/bench_susceptibility.py" run "$W" "$OUT/out_$size" "${MAX_MEMORY_MB:-64}" '
         '"${THREADS:-}"\ndone')

_DEM = '"$PY" "$HERE/bench_demdifference.py" '
_DEM_XDEM = ('S=${SIZE:-1000}; D="$OUT/pair_$S"\n[ -f "$D/other.tif" ] || ' + _DEM + 'make "$D" $S $S\n'
             + _DEM + 'ours "$D" "$OUT/ours_$S"\n' + _DEM + 'core "$D"\n' + _DEM + 'xdem "$D"')
_DEM_BOUNDED = ('D="$OUT/pair_10000"\n[ -f "$D/other.tif" ] || ' + _DEM + 'make "$D" 10000 10000\n'
                + _DEM + 'ours "$D" "$OUT/ours_10000" ${MAX_MEMORY_MB:-256}')

CASES = [
    dict(name="susceptibility_forest", measures="random forest, 8 factors (SIZES rows x cols, default 10 Mpx), 64 MiB",
         peer="none: bounded memory (peak RSS flat with the grid)", setup="enable_plugin", table=None, run=_SUSC),
    dict(name="susceptibility_quick", measures="random forest, 8 factors, 500 x 500 px", peer="none", quick=True,
         setup="enable_plugin", table=None, run="SIZES=500x500\n" + _SUSC),
    dict(name="swath_points", measures="swath profile through 10 M points (core and tool)",
         peer="none: the 30 s goal", table=None,
         run='"$PY" "$HERE/bench_swath_points.py" ${POINTS:-10000000} ${TOOL_POINTS:-10000000}'),
    dict(name="demdifference_xdem", measures="DEM co-registration (Nuth & Kaab) of an analytic pair, SIZE cells a side",
         peer="xDEM NuthKaab (peers' venv)", setup="enable_plugin; peers xdem", table=None, run=_DEM_XDEM),
    dict(name="demdifference_bounded", measures="DEM difference of 10,000 x 10,000 cells at MAX_MEMORY_MB 256",
         peer="none: bounded memory (peak RSS)", setup="enable_plugin", table=None, run=_DEM_BOUNDED),
]
