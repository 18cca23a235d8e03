"""Corrections and the Corrected SBAS chain against MintPy 1.6.4's own steps on the same values."""
ABOUT = __doc__
_MINTPY = 'peers --check mintpy "mintpy==1.6.4" rasterio h5py'
_CHAIN_PEER = "MintPy 1.6.4's eight matching smallbaselineApp steps in one process (`mintpy_chain.cfg`)"
_BIG = ('[ -f "$BUILD/bench_ts/big/stack.json" ] || '
        '"$PY" benchmarks/timeseries/make_stack.py "$BUILD/bench_ts/big" 1000 1000 60')

CASES = [
    dict(name="chain_speed_200", part_of="chain_speed_220", peer=_CHAIN_PEER,
         measures="Corrected SBAS chain (`geohazard:correctedsbas`, `qgis_process run`), W04's scenario "
                  "(`chain_world.py`), 200 x 200 px, 84 ifgs, 30 dates"),
    dict(name="chain_speed_220", table=None, setup=_MINTPY + "; enable_plugin", peer=_CHAIN_PEER,
         measures="the same, 220 x 220 px, 81 ifgs, 29 dates, first run from an empty numba cache",
         run='"$PY" "$HERE/chain_speed.py" --sizes 200x200x30,220x220x29,400x400x50 --cold 220x220x29 '
             '--work "$OUT"'),
    dict(name="chain_speed_400", table=None, part_of="chain_speed_220", peer=_CHAIN_PEER,
         measures="the same, 400 x 400 px, 144 ifgs, 50 dates"),
    dict(name="chain_speed_260", setup=_MINTPY + "; enable_plugin", peer=_CHAIN_PEER,
         measures="the same, held-out H6 (260 x 300 px, 186 ifgs, 64 dates, three ifgs one cycle off over 18-31 % of "
                  "the scene)",
         run='"$PY" "$HERE/chain_speed.py" --stack H6_sheets_subsidence --sizes 260x300x64 --cold 260x300x64 '
             '--repeat 1 --work "$OUT"'),
    dict(name="chain_speed_360", setup=_MINTPY + "; enable_plugin", peer=_CHAIN_PEER,
         measures="the same, held-out H7 (360 x 340 px, 138 ifgs, 48 dates, four ifgs one cycle off over 18-51 % of "
                  "the scene)",
         run='"$PY" "$HERE/chain_speed.py" --stack H7_sheets_volcano_large --sizes 360x340x48 --cold 360x340x48 '
             '--repeat 1 --work "$OUT"'),
    dict(name="chain_speed_700", setup=_MINTPY + "; enable_plugin", peer=_CHAIN_PEER, table=None,
         measures="the same on S4's scenario (`chain_stacks.py`) on 700 x 700 px, 84 ifgs, 30 dates",
         run='"$PY" "$HERE/chain_speed.py" --stack S4_volcano --sizes 700x700x30 --repeat 1 --work "$OUT"'),
    dict(name="world", setup=_MINTPY,
         measures="the chain's final velocity RMS vs truth, 25 synthetic stacks (12 tuning, 5 held out, 8 earlier; "
                  "`chain_world.py`)",
         peer="MintPy 1.6.4 smallbaselineApp (`mintpy_chain.cfg`), the better of two deramp masks",
         run='"$PY" "$HERE/world_compare.py" --stacks tuning,holdout,old --same-ramp-order'),
    dict(name="mexico", setup=_MINTPY, peer="MintPy 1.6.4, same settings",
         measures="Mexico City (real, 30 interferograms, no truth), western strip stable on both sides",
         run='"$PY" "$HERE/mexico_compare.py"'),
    dict(name="synthetic_atmospheres", peer="none: truth", measures="3 synthetic atmospheres, best correction chain",
         run='"$PY" "$HERE/synthetic_score.py"'),
    dict(name="ramp_1mpx", setup=_MINTPY, measures="linear ramp removal, whole image, 1 Mpx x 202 ifgs",
         peer="MintPy `deramp` (read h5, fit, write h5)",
         run=_BIG + '\n"$PY" "$HERE/bench_1mpx.py" "$BUILD/bench_ts/big" "$VENV/bin/python" --threads 2'),
    dict(name="tropo_1mpx", part_of="ramp_1mpx", measures="linear phase-elevation troposphere, 1 Mpx x 202 ifgs",
         peer="MintPy `tropo_phase_elevation`"),
    dict(name="network", setup=_MINTPY, measures="network modification, Mexico City (30 ifgs)",
         peer="MintPy `modify_network.py` (baselines, dates, coherence-based)",
         run='"$VENV/bin/python" "$HERE/compare_mintpy.py"'),
    dict(name="closure_1mpx", setup=_MINTPY,
         measures="unwrapping errors by phase closure, 1 Mpx x 202 ifgs, 256 loops",
         peer="MintPy's closure-count pass alone (no correction, which would rewrite the stack)",
         run=_BIG + '\n"$PY" "$HERE/bench_closure_1mpx.py" "$BUILD/bench_ts/big" "$VENV/bin/python" "$OUT" '
                    '"$OUT/closure.json"\n"$VENV/bin/python" "$HERE/bench_closure.py" "$OUT/cases" '
                    '"$OUT/closure_cases.json"'),
    dict(name="closure_scenarios", peer="none: the planted errors are the truth",
         measures="unwrapping errors by phase closure on 13 planted stacks (8 tuning, 5 held out), as the Corrected "
                  "SBAS model runs the step: planted errors fixed, left, and new errors created",
         run='"$PY" "$HERE/closure_scenarios.py" --json "$OUT/closure_scenarios.json"'),
    dict(name="closure_world", setup=_MINTPY,
         measures="unwrapping errors by phase closure, a second generator (`closure_world.py`), fixed / left / new",
         peer="MintPy 1.6.4's per-pixel phase-closure solve (l1regls, alpha 0.01, rounding) on the pixels with every "
              "interferogram coherent",
         run='"$PY" "$HERE/closure_world.py" --seeds 1,12,3,14 --mintpy "$VENV/bin/python" '
             '--json "$OUT/closure_world.json"'),
    dict(name="closure_tester", setup=_MINTPY,
         measures="unwrapping errors by phase closure, a third generator in an outside tester's setting "
                  "(`closure_tester.py`), fixed / new",
         peer="MintPy 1.6.4's own `correct_unwrap_error` step (phase_closure, its defaults, the unwrapper's "
              "connected components) after `modify_network` and `reference_point`",
         run='"$PY" "$HERE/closure_tester.py" --mintpy "$VENV/bin/python" --json "$OUT/closure_tester.json"'),
    dict(name="practice_stack", setup='[ -x /work/venvs/mintpy/bin/python ] || { python3 -m venv /work/venvs/mintpy '
         '&& /work/venvs/mintpy/bin/pip install -q "mintpy==1.6.4" rasterio h5py; }; enable_plugin', table=None,
         measures="the Corrected SBAS model on the practice corrections stack (220 x 220 px, 29 dates, 81 ifgs, "
                  "banks and patches off by whole cycles): unwrapping errors fixed / new / dropped as its README "
                  "counts them, velocity and DEM-error RMS against the truth, first (empty numba cache) and warm CPU",
         peer="MintPy 1.6.4 smallbaselineApp, phase_closure, ramps on its default mask and on the stable area, "
              "in one process (stack_mintpy.py)",
         run='"$PY" "$HERE/stack_compare.py" /work/shared/data/practice/corrections_stack "$OUT/practice" --cold '
             '--json "$OUT/practice_stack.json"'),
    dict(name="banks", setup=_MINTPY, table=None,
         measures="unwrapping errors by phase closure on stacks of a second corrections-stack generator "
                  "(`tests/testutils_closure_banks.py`: 140 x 160 px, 26 dates, 77 ifgs, components split by incoherent"
                  " channels off by whole cycles, a cancelling pair, patches), fixed / new relative to a reference",
         peer="MintPy 1.6.4's own `correct_unwrap_error` step (phase_closure, the generator's components)",
         run='"$PY" "$HERE/banks_compare.py" --seeds 1,2,3,4,5,6 --mintpy "$VENV/bin/python" --json "$OUT/banks.json"'),
    dict(name="closure_identity", setup="enable_plugin", table=None,
         measures="the phase-closure correction's outputs as digests, with its patterns, parts and HiGHS calls: "
                  "tester seeds 1-3, 21-23, 31-33, banks seeds 1-6, the practice stack through qgis_process; "
                  "`closure_identity.py --check BEFORE.json` shows that a change of speed changes no byte",
         peer="none: the code before the change (a copy of that commit given as --plugins)",
         run='"$PY" "$HERE/closure_identity.py" --practice /work/shared/data/practice/corrections_stack '
             '--json "$OUT/closure_identity.json"'),
    dict(name="closure_trace", setup="enable_plugin", table=None,
         measures="where each wrong value of the phase-closure correction comes from (the step that set it) and "
                  "what the closures say of it (invisible to closures, decorrelated, incoherent line, other): tester "
                  "seeds 1-3, 21-23, 31-33, banks seeds 1-6, the decorrelated scenario, the practice stack",
         peer="none: a breakdown of ours (MintPy's counts are closure_tester's and banks')",
         run='"$PY" "$HERE/closure_trace.py" tester:1,2,3,21,22,23,31,32,33 banks:1,2,3,4,5,6 decorrelated:0,2,3,4,9 '
             'practice --json "$OUT/closure_trace.json"'),
    dict(name="practice_variants", setup='[ -x /work/venvs/mintpy/bin/python ] || { python3 -m venv /work/venvs/mintpy '
         '&& /work/venvs/mintpy/bin/pip install -q "mintpy==1.6.4" rasterio h5py; }; enable_plugin', table=None,
         measures="the practice corrections stack turned or mirrored with its unwrapping errors planted again as its "
                  "README describes them (`practice_variants.py`, seeds 0-15): the Corrected SBAS model's unwrapping "
                  "step, fixed / new / dropped as the README counts them, and velocity RMS",
         peer="MintPy 1.6.4 smallbaselineApp, phase_closure (stack_compare.py on each variant)",
         run='"$PY" "$HERE/practice_variants.py" $(seq 0 15) --compare "$OUT/variants" '
             '--json "$OUT/practice_variants.json"'),
    dict(name="dem_error", setup=_MINTPY, measures="DEM error, 1000 x 1000 px x 60 dates, centre geometry",
         peer="MintPy `dem_error.py -p 2`",
         run='"$PY" "$HERE/bench_dem_error.py" "$OUT" "$VENV/bin/python" "$OUT/dem_error.json" --rows 1000 '
             '--cols 1000 --dates 60 --geometry 0d --threads 2'),
    dict(name="pca", peer="none (MintPy has no PCA correction)",
         measures="PCA atmosphere, 128 x 128 px x 40 dates, 64-px tiles, against phase-elevation per tile",
         run='"$PY" "$HERE/bench_pca.py" "$OUT/pca.json"', quick=True),
]
