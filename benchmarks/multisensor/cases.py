"""Multi-sensor east/up: accuracy against baselines and MSBAS-2D, honesty of the sigma, leakage, speed."""
ABOUT = __doc__
_SPEED = ('for kind in ifg series; do for method in gen baseline ours; do\n'
          '  "$PY" "$HERE/bench_speed.py" "$method" "$kind" --rows "${ROWS:-1000}" --json "$OUT/speed.jsonl"\n'
          'done; done')

CASES = [
    dict(name="speed_ifg", run=_SPEED,
         measures="`multisensortimeseries` core, 1 Mpx x 4 stacks x 400 dates: interferogram stacks",
         peer="baseline (a): each stack's network inversion, then `ascdescdecomposition`'s time-series route"),
    dict(name="speed_series", part_of="speed_ifg", measures="the same: per-date series", peer="baseline (a)"),
    dict(name="accuracy", measures="multi-sensor accuracy, 5 scenarios + 2 hold-outs, seeds 0-1",
         peer="(a); (b) MSBAS-2D (Samsonov & d'Oreye) with the L-curve `lambda`; MSBAS with the best `lambda`",
         run='"$PY" -c "import sys; sys.path.insert(0, \'$HERE\'); import baselines; '
             'print(\'check_msbas:\', baselines.check_msbas())"\n'
             '"$PY" "$HERE/run_accuracy.py" "$OUT/accuracy" --seeds 0,1'),
    dict(name="honesty", measures="multi-sensor: honesty of the stated sigma, 11 scenarios, seeds 0-3",
         peer="none: z-scores against the truth",
         run='"$PY" "$HERE/honesty.py" "$OUT/honesty.json" overlap4 gap_env_s1 landslide alos_mixed ps_series '
             'ers_csk_s1 rsat_tsx_gap rs2_csk_cycle env_tsx_slide s1_rw_short_gap env_s1_blobs --seeds 0,1,2,3'),
    dict(name="gap_share", measures="the gap's noise share at 1 (docs/multisensor.md's re-measured case): "
         "gap_env_s1, seed 0", peer="none: z-scores against the truth",
         run='"$PY" "$HERE/honesty.py" "$OUT/gap_share.json" gap_env_s1 --seeds 0 --gap-noise-share 1'),
    dict(name="leakage", quick=True, measures="north leakage into east and up, per geometry",
         peer="none: the bound of any unbiased estimator", run='"$PY" "$HERE/leakage.py" "$OUT/leakage.json"'),
    dict(name="gap_sigma", measures="the gap's sigma part by part, every gap scenario, seeds 0-5",
         peer="none: z-scores against the truth", run='"$PY" "$HERE/gap_sigma.py"'),
    dict(name="pick", measures="the dock's pick of one pixel on every date, 40 x 40 x 783 dates", peer="none",
         run='"$PY" "$HERE/bench_pick.py" "$OUT" 40x40x783,200x200x400,600x600x400'),
    dict(name="pick_200", part_of="pick", measures="pick, 200 x 200 x 400", peer="none"),
    dict(name="pick_600", part_of="pick", measures="pick, 600 x 600 x 400", peer="none"),
]
