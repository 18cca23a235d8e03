"""SBAS / ISBAS time series against MintPy 1.6.4 and the I/O floor, and at scale."""
ABOUT = __doc__
_STACK = '[ -f "$BUILD/bench_ts/$1/stack.json" ] || "$PY" "$HERE/make_stack.py" "$BUILD/bench_ts/$1" $2 $2 60'
_MINTPY = 'peers --check mintpy "mintpy==1.6.4"; enable_plugin'

CASES = [
    dict(name="mintpy_1mpx", measures="1 Mpx x 202 ifgs, unweighted", setup=_MINTPY,
         peer="MintPy `-w no`, 1 thread, 2 workers",
         run=f'set -- big 1000; {_STACK}\n'
             '"$PY" "$HERE/bench_sbas_1mpx.py" "$BUILD/bench_ts/big" "$VENV/bin" "$OUT/results.json" '
             '--repeat "${REPEAT:-1}" --threads 2 --variants'),
    dict(name="floor_1mpx", measures="1 Mpx x 202 ifgs, against its I/O floor, 3 alternated rounds",
         peer="none: floor only", setup="enable_plugin",
         run=f'set -- big 1000; {_STACK}\n'
             '"$PY" "$HERE/bench_sbas_1mpx.py" floor "$BUILD/bench_ts/big" "$OUT/floor.json" --rounds "${ROUNDS:-3}" '
             '--threads 2'),
    dict(name="first_1mpx", table="startup", measures="first run of `sbasinversion` on a fresh install (empty numba "
                                                      "cache) against the compiled run: 1 Mpx x 202 ifgs",
         peer="none: goal first <= 2x the compiled run", setup="enable_plugin",
         run=f'set -- big 1000; {_STACK}\n'
             '"$PY" "$HERE/bench_sbas_1mpx.py" first "$BUILD/bench_ts/big" "$OUT/first.json" --threads 2'),
    dict(name="mintpy_300_var", measures="300 x 300 px x 202 ifgs, weighted (`WEIGHTING=1`, coherence variance)",
         peer="MintPy `-w var`, 1 thread, 2 workers", setup=_MINTPY,
         run=f'set -- s300 300; {_STACK}\n'
             '"$PY" "$HERE/bench_sbas_1mpx.py" "$BUILD/bench_ts/s300" "$VENV/bin" "$OUT/results.json" '
             '--repeat "${REPEAT:-2}" --threads 2 --weight var --variants'),
    dict(name="scale_10mpx", measures="10 Mpx (3200 x 3200) x 300 ifgs, 88 dates, 7.61 GB ZSTD tiles",
         peer="none: floor only", setup="enable_plugin",
         run='KEEP=1 bash "$HERE/run_scale.sh"\n"$PY" "$HERE/bench_sbas_scale.py" "$BUILD/bigts/stack3200" "$OUT"'),
    dict(name="dask_1600", table="dask", setup="enable_plugin",
         measures="SBAS 1600 x 1600 x 300 ifgs (1.8 GB ZSTD), workers read their own rows, blocks pinned to a worker",
         peer="none: local", run='SIZE=1600 KEEP=1 bash "$HERE/run_scale.sh"'),
    dict(name="dask_10mpx", table="dask", measures="SBAS 10 Mpx x 300 ifgs", peer="none: local",
         setup="enable_plugin", run='KEEP=1 bash "$HERE/run_scale.sh"'),
    dict(name="stack_small", quick=True, measures="the stack generator alone, 60 x 60 px x 60 dates (a check)",
         peer="none", run='"$PY" "$HERE/make_stack.py" "$OUT/stack" 60 60 60'),
]
