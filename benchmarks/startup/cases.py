"""QGIS and plugin start-up part by part; first runs on an empty numba cache against the second."""
ABOUT = __doc__


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
    _cold("cold_sbas", "sbasinversion", "`sbasinversion`: Mexico City (30 ifgs + coherence, 60 x 100 px) / the "
                                        "SIMULATED LiCSAR frame (15 pairs, 30 x 36 px)"),
    _cold("cold_phaselinking", "phaselinking", "`phaselinking` (the demo's SIMULATED SLC stack, 16 dates x 60 x 80 "
                                               "px)"),
    _cold("cold_multisensor", "multisensortimeseries", "`multisensortimeseries` (the tests' SIMULATED scene: 2 "
                                                       "Sentinel-1 series of 70 / 68 dates and a TerraSAR-X stack, "
                                                       "24 x 22 px)"),
    _cold("cold_okada", "okadaforward coulombstress coulombonfaults slipinversion uniformslipinversion",
          "`okadaforward` / `coulombstress` / `coulombonfaults` (the demo's Coulomb example, 120 x 120 grid) / "
          "`slipinversion` / `uniformslipinversion` (the tests' SIMULATED Mw 6.5 thrust, 80 x 80 px)"),
    _cold("cold_okada_grid", "okadaforward_grid coulombstress_grid",
          "`okadaforward` on the memory_okada grid (1200 x 1200 px, 40 patches) / `coulombstress` on 500 x 500 px of "
          "it"),
    _cold("cold_offsets", "offsettracking", "`offsettracking` (Mexico City coherence 100 x 60 px against a copy "
                                            "moved by (2, -1) px)"),
    _cold("cold_models", "correctedsbas", "the Corrected SBAS model (Mexico City)"),
    _cold("cold_small_tools", "geometricdistortion unwrapclosurecorrection stackingvelocity loadegms "
          "landslideactivity", "`loadegms` / `geometricdistortion` / `stackingvelocity` / `unwrapclosurecorrection` "
                               "/ `landslideactivity` (the demo's inputs)"),
    dict(name="compile_estimate", peer="none: goal within 30 %",
         measures="the log's \"Compiling kernels (~N s)\" estimate against the measured compile (first - second run "
                  "CPU-s, INSAR_GEOHAZARDS_COMPILE=always)",
         setup="enable_plugin", run='COLD_WARM_COMPILE=always "$PY" "$HERE/cold_warm.py" "$OUT/cold_warm_always.json" '
         'sbasinversion offsettracking okadaforward coulombstress multisensortimeseries phaselinking '
         'slipinversion uniformslipinversion'),
    dict(name="provider_start", table=None, peer="none: another tree's code (TREE, a plugins folder)",
         measures="the provider's load in a QgsApplication and a whole `qgis_process.bin list`: CPU-s, modules "
                  "imported, numba imported or not; this tree and TREE alternated (7 rounds)",
         run='"$PY" "$HERE/provider_start.py" --repeat 7 "$BUILD/plugins" "${TREE:?a plugins folder to compare}"'),
]
