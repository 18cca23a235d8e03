"""PS/DS phase linking against dolphin (isce-framework) on stacks of our simulator."""
ABOUT = __doc__
_DOLPHIN = "peers dolphin; peers_gdal; enable_plugin"
_WHOLE = ('BENCH_ROWS=$1 BENCH_COLS=$1 "$PY" "$HERE/bench_psds.py" simulate "$OUT/stack.npz"\n'
          '"$PY" "$HERE/whole_run.py" prepare "$OUT/stack.npz" "$OUT/tifs"\n'
          '"$PY" "$HERE/whole_run.py" ours "$OUT/tifs" "$OUT/ours.json"\n'
          '"$VENV/bin/python" "$HERE/whole_run.py" dolphin "$OUT/stack.npz" "$OUT/dolphin.json"\n'
          '"$PY" "$HERE/whole_run.py" report "$OUT/ours.json" "$OUT/dolphin.json" "$OUT/stack.npz" "$OUT/tifs" '
          '"$OUT/result.json"')

CASES = [
    dict(name="whole_run", measures="30 dates x 200 x 200 px, EMI, GLRT alpha 0.05, 11 x 11, beta 0.01, PS mask",
         peer="dolphin 0.42.9 net, best of 3", setup=_DOLPHIN, run="set -- 200\n" + _WHOLE),
    dict(name="whole_run_first", measures="the same stack and run on a fresh install: first run (empty numba cache, no "
         "warm-up) / second run", peer="none: goal first <= 2x the compiled run's CPU", setup="enable_plugin",
         run='BENCH_ROWS=200 BENCH_COLS=200 "$PY" "$HERE/bench_psds.py" simulate "$OUT/stack.npz"\n'
             '"$PY" "$HERE/whole_run.py" prepare "$OUT/stack.npz" "$OUT/tifs"\n'
             '"$PY" "$HERE/whole_run.py" first "$OUT/tifs" "$OUT/first.json"'),
    dict(name="whole_run_1mpx", measures="30 dates x 1000 x 1000 px (1 Mpx), the same settings",
         peer="dolphin 0.42.9 net in 50-row blocks with a halo", setup=_DOLPHIN,
         run="set -- 1000; export DOLPHIN_BLOCK_ROWS=50\n" + _WHOLE),
    dict(name="core_emi", measures="30 dates x 200 x 240 px, GLRT, 11 x 11, beta 0.01, EMI, core only",
         peer="dolphin 0.42.9 net EMI", setup=_DOLPHIN,
         run='"$PY" "$HERE/bench_psds.py" simulate "$OUT/stack.npz"\n'
             '"$PY" "$HERE/bench_psds.py" ours "$OUT/stack.npz" "$OUT/ours.npz"\n'
             '"$VENV/bin/python" "$HERE/bench_dolphin.py" "$OUT/stack.npz" "$OUT/dolphin.npz" 5 5 2\n'
             '"$PY" "$HERE/bench_psds.py" compare "$OUT/stack.npz" "$OUT/ours.npz" "$OUT/dolphin.npz" '
             '"$OUT/results.json"'),
    dict(name="core_evd_weighted", table=None, part_of="core_emi", peer="dolphin `use_evd`",
         measures="same, coherence-weighted EVD (eigenvector of \\|C\\| o C), core only"),
    dict(name="core_evd", table=None, part_of="core_emi", peer="dolphin `use_evd`",
         measures="same, EVD (eigenvector of C), core only"),
    dict(name="side_by_side", table=None, peer="none: another tree's code (TREE, a checkout with .build/plugins)",
         measures="the core rows' CPU-s (EMI, EVD, coherence-weighted EVD compiled; EMI on the numpy path, 100 x 100) "
                  "of this tree and of TREE, rounds alternated (ROUNDS, 3)",
         run='"$PY" "$HERE/bench_psds.py" simulate "$OUT/stack.npz"\n'
             'for i in $(seq "${ROUNDS:-3}"); do '
             'for t in "$BUILD/plugins" "${TREE:?a tree to compare with}/.build/plugins"; do '
             'for m in compiled numpy; do PYTHONPATH="$t" "$PY" "$HERE/side_by_side.py" "$OUT/stack.npz" $m; done; '
             'done; done'),
    dict(name="written_per_path", table=None, peer="none",
         measures="what phase linking's numpy path still writes beside the kernels (arithmetic_lines.py) and the "
                  "measured cost of sharing those lines instead (per_path.py)",
         run='"$PY" "$HERE/arithmetic_lines.py" "$ROOT/algorithms/psds/phase_linking/vectorised.py"\n'
             'PYTHONPATH="$BUILD/plugins" "$PY" "$HERE/per_path.py"'),
    dict(name="engine_dask", table="dask", peer="none: this process",
         measures="`phaselinking` / `amplitudedispersion`, 30 x 480 x 400, embedded cluster",
         run='"$PY" "$HERE/bench_engine_dask.py" "$OUT" 480 400 30 3'),
    dict(name="engine_dask_small", quick=True, peer="none: this process",
         measures="the same, 30 x 48 x 40 px, once (a check)",
         run='"$PY" "$HERE/bench_engine_dask.py" "$OUT" 48 40 30 1'),
    dict(name="work_costs", table=None, peer="none: the model a first run chooses by",
         measures="CPU-s per unit of work on the numpy and the compiled path (window sums, linking), fitted over five "
                  "windows and date counts; written to algorithms/compile_costs.json",
         run='BENCH_ROWS=200 BENCH_COLS=200 "$PY" "$HERE/bench_psds.py" simulate "$OUT/stack.npz"\n'
             '"$PY" "$HERE/work_costs.py" "$OUT/stack.npz" "$HERE/work_costs.json" --write'),
    dict(name="lane_loops", table=None, peer="none: the kernels (batch.py unrolled, batch_numpy.py)",
         measures="the regularised |G| inverse of EMI written once as a plain-Python lane loop: compiled as a loop, "
                  "unrolled by an AST pass, as numpy by an AST pass; CPU-s, compile CPU-s and bytes against the "
                  "kernels' forms (20 dates x 16,000 px, 30 dates x 8,000 px; empty numba cache)",
         run='for a in "20 2000 5" "30 1000 5"; do '
             'NUMBA_CACHE_DIR="$OUT/numba_$RANDOM" "$PY" "$HERE/lane_loops.py" $a; done'),
]
