"""Susceptibility (random forest, 8 factors) in bounded memory; swath profiles through millions of points; DEMs."""
ABOUT = __doc__

_SUSC = ('for size in ${SIZES:-3163x3163}; do R=${size%x*}; C=${size#*x}; W="$OUT/world_$size"\n'
         '  [ -f "$W/inventory.gpkg" ] || "$PY" "$HERE/bench_susceptibility.py" make "$W" "$R" "$C"\n'
         '  "$PY" "$HERE/bench_susceptibility.py" run "$W" "$OUT/out_$size" "${MAX_MEMORY_MB:-64}" '
         '"${THREADS:-}"\ndone')

CASES = [
    dict(name="susceptibility_forest", measures="random forest, 8 factors (SIZES rows x cols, default 10 Mpx), 64 MiB",
         peer="none: bounded memory (peak RSS flat with the grid)", setup="enable_plugin", table=None, run=_SUSC),
    dict(name="susceptibility_quick", measures="random forest, 8 factors, 500 x 500 px", peer="none", quick=True,
         setup="enable_plugin", table=None, run="SIZES=500x500\n" + _SUSC),
    dict(name="susceptibility_ecuador", measures="logistic regression and random forest on the Ecuador landslides, "
         "defaults (10 repeats of 5 k-means folds)", peer="the published spatial CV, reproduced with scikit-learn",
         setup="enable_plugin", table=None,
         run='"$PY" "$HERE/bench_susceptibility_ecuador.py" reference 100\n'
             'for m in 1 2; do for s in 0 7; do "$PY" "$HERE/bench_susceptibility_ecuador.py" run "$OUT/ec_${m}_${s}" '
             '$m $s 1 1; done; done'),
    dict(name="susceptibility_worlds", measures="the tool's AUC against its map's AUC on an independent inventory, "
         "worlds of long-range factors (SEEDS, METHOD, EVENTS; NULL=1: factors the events do not depend on)",
         peer="the second inventory of the same world (scikit-learn's roc_auc_score)", table=None,
         setup="enable_plugin",
         run='for s in ${SEEDS:-1 2 3}; do "$PY" "$HERE/bench_susceptibility_worlds.py" run "$OUT" $s ${METHOD:-1} '
             '${EVENTS:-250} ${NULL:-0}; done'),
    dict(name="susceptibility_many_worlds", measures="the tool's AUC against its map's AUC on an independent inventory "
         "and on the mean of 20 more, with the floor (the true map's AUC on the two inventories), on WORLDS worlds "
         "drawn at random (ranges 0.5-9 km, 100-800 events; DRAW seeds the draw, METHOD, NULL=1: factors the events "
         "do not depend on)", peer="inventories drawn from the same truth (scikit-learn's roc_auc_score)", table=None,
         setup="enable_plugin",
         run='"$PY" "$HERE/bench_susceptibility_worlds.py" many "$OUT" ${WORLDS:-24} ${METHOD:-1} ${DRAW:-1} '
             '${NULL:-0}'),
    dict(name="susceptibility_null_chance", measures="null worlds (factors the events do not depend on): the tool "
         "run on each world's inventory with factors drawn anew REGEN times, and the AUC of FIELDS random fields of "
         "the factors' law (no fitting), on the first WORLDS worlds of DRAW (METHOD)",
         peer="maps with no relation to the inventory (scikit-learn's roc_auc_score)", table=None,
         setup="enable_plugin",
         run='"$PY" "$HERE/bench_susceptibility_worlds.py" chance "$OUT" ${WORLDS:-5} ${METHOD:-2} ${DRAW:-2} '
             '${REGEN:-4} ${FIELDS:-40}'),
    dict(name="forecast_skill", measures="displacementforecast MODEL 0 vs the line: real and made series cut at 70 %",
         peer="MODEL 1 (the line) on the same series", table=None,
         run='"$PY" "$HERE/bench_forecast_skill.py" ${SERIES:-100}'),
    dict(name="forecast_worlds", measures="displacementforecast MODEL 0 against the issue's bounds: worlds of the "
         "practice design (FORECAST_WORLD=the practice folder, SEEDS fresh realisations drawn at random), real series "
         "and lines with AR(1) noise cut at 70 %", peer="truth; MODEL 1 (the line) on the real series", table=None,
         run='"$PY" "$HERE/bench_forecast_worlds.py" ${FORECAST_WORLD:+--world "$FORECAST_WORLD"} --seeds ${SEEDS:-3} '
             '--series ${SERIES:-400}'),
    dict(name="forecast_cost", measures="displacementforecast MODEL 0 core, CPU per pixel (ROWS x COLS px x DATES)",
         peer="none: CPU-ms per series", table=None,
         run='"$PY" "$HERE/bench_forecast_cost.py" ${ROWS:-1000} ${COLS:-1000} ${DATES:-100}'),
    dict(name="swath_points", measures="swath profile through 10 M points (core and tool)",
         peer="none: the 30 s goal", table=None,
         run='"$PY" "$HERE/bench_swath_points.py" ${POINTS:-10000000} ${TOOL_POINTS:-10000000}'),
    dict(name="compare_strain_time", measures="comparelayers, strainrate, miningsubsidence MODE 2 on SIZE x SIZE px",
         peer="scipy.stats on the same pairs; numpy.gradient (floor)", setup="enable_plugin", table=None,
         run='"$PY" "$HERE/bench_compare_strain_time.py" ${SIZE:-2000}'),
    dict(name="mining_time_coverage", measures="miningsubsidence MODE 2 / MODE 3 time factor with the basin at the "
         "defaults: 2-sigma coverage of c on random worlds (SEEDS, default 100 / 40)",
         peer="an element-by-element numpy simulation (tests/testutils_mining_worlds.py)", table=None,
         run='"$PY" "$HERE/mining_time_coverage.py" --mode 2 --seeds ${SEEDS:-100} --out "$OUT/mode2.json"\n'
             '"$PY" "$HERE/mining_time_coverage.py" --mode 3 --seeds ${SEEDS:-40} --out "$OUT/mode3.json"'),
    dict(name="demdifference", measures="DEM co-registration (SIZE, MAX_MEMORY_MB, PEER)", peer="xDEM NuthKaab",
         table=None, setup="enable_plugin; peers xdem", run='"$PY" -m testutils_dem "$OUT"'),
]
