"""The desktop with the plugin: what the Processing toolbox asks of every algorithm, the install's stall, a run's
results loaded into a project of ~30 layers."""
ABOUT = __doc__

CASES = [
    dict(name="toolbox_calls", table="startup", peer="QGIS's native provider, same process", quick=True,
         measures="flags() and the toolbox's other per-algorithm calls over every algorithm; the toolbox filtered on "
                  "a vector/raster switch of the current layer",
         run='"$PY" "$HERE/toolbox_calls.py" --json "$OUT/toolbox_calls.json"'),
    dict(name="install_stall", table="startup", peer="none: goal < 2 s",
         measures="the window's longest pause while the plugin installs from its zip into a running desktop (Xvfb, "
                  "Install from ZIP's own call), median of 3",
         run='"$PY" "$HERE/install_stall.py" --sessions 3 --json "$OUT/install_stall.json"'),
    dict(name="results_load", table="startup", peer="QGIS's own load of the same files, same session",
         measures="a run's 6 results (sbasinversion, Mexico City) loaded into a 30-layer project (Xvfb, medians of "
                  "3); a vector/raster switch of the current layer, main-thread CPU",
         run='"$PY" "$HERE/results_load.py" --rounds 3 --json "$OUT/results_load.json"'),
]
