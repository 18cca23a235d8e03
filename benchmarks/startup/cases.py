"""Start-up and first run: a whole run part by part (run_timeline.py), and the first run on a fresh install
(numba kernels compile into an empty cache) against the second, per tool and shipped model (cold_warm.py)."""

ABOUT = "QGIS and plugin start-up, first runs cold against warm"


def _cold(name, tools, measures):
    return dict(name=name, measures=measures, peer="none", setup="enable_plugin",
                run=f'"$PY" "$HERE/cold_warm.py" "$OUT/cold_warm.json" {tools}')


CASES = [
    dict(name="timeline", peer="none: QGIS's own start", setup="enable_plugin",
         measures="whole `phaselinking` run (the PS/DS stack), part by part, medians of 5",
         run='"$PY" "$HERE/run_timeline.py" --repeat 5 phaselinking "$BUILD/plugins"'),
    dict(name="timeline_idle", peer="none: back to back", setup="enable_plugin",
         measures="the same run after 80 s of idle",
         run='"$PY" "$HERE/run_timeline.py" --idle 80 --repeat 3 phaselinking "$BUILD/plugins"'),
    _cold("cold_coulomb", "coulombonfaults coulombstress",
          "first run, `coulombonfaults` / `coulombstress` (24 kernels)"),
    _cold("cold_okada", "okadaforward", "first run, `okadaforward` (17 kernels)"),
    _cold("cold_offsets", "offsettracking", "first run, `offsettracking` (31 kernels)"),
    _cold("cold_sbas", "sbasinversion", "first run, `sbasinversion` (12 kernels)"),
    _cold("cold_distortion_unwrap", "geometricdistortion unwrap",
          "first run, `geometricdistortion` (4) / `unwrap` (15)"),
    _cold("cold_small_tools", "unwrapclosurecorrection pstimeseries loadegms landslideactivity",
          "first run, `unwrapclosurecorrection`, `pstimeseries`, `loadegms`, `landslideactivity`"),
    _cold("cold_models", "slcstacktotimeseries correctedsbas sbastolandslideactivity",
          "first run, models: SLC stack to time series (75 kernels) / Corrected SBAS (15) / SBAS to landslide "
          "activity (17)"),
]
