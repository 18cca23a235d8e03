"""Offset tracking against scikit-image's phase_cross_correlation; offset time series against lstsq."""
ABOUT = __doc__

CASES = [
    dict(name="tracking", table="kinematics", setup="peers scikit-image",
         measures="offset tracking, 1024 x 1024, 3364 cells, 3 textures x (shift, rotation + shift), one thread, "
                  "core",
         peer="scikit-image 0.26.0 `phase_cross_correlation`, `upsample_factor=50`",
         run='INSAR_GEOHAZARDS_FFT_WORKERS=1 BENCH_N="${BENCH_N:-1024}" "$VENV/bin/python" "$HERE/bench_offsets.py"'),
    dict(name="timeseries", table="kinematics", peer="per-pixel `numpy.linalg.lstsq` per group, no rejection",
         measures="offset time series: 500 x 500 cells, 140 pair rasters, 40 dates (benchmarks/README.md), one "
                  "thread",
         run='"$PY" "$HERE/bench_offset_timeseries.py" "$OUT"'),
    dict(name="timeseries_small", quick=True, peer="per-pixel `numpy.linalg.lstsq`",
         measures="the same on 40 x 40 cells, 12 dates (a check)",
         run='"$PY" "$HERE/bench_offset_timeseries.py" "$OUT" --size 40 --dates 12'),
]
