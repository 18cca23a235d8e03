"""The desktop with the plugin: what the Processing toolbox asks of every algorithm, the install's stall, a run's
results loaded into a project of ~30 layers."""
ABOUT = __doc__

CASES = [
    dict(name="toolbox_calls", peer="QGIS's native provider, same process", quick=True,
         measures="flags() and the toolbox's other per-algorithm calls, every algorithm of the provider; QGIS's "
                  "toolbox tree filtered as a switch of the current layer between a vector and a raster does",
         run='"$PY" "$HERE/toolbox_calls.py" --json "$OUT/toolbox_calls.json"'),
    dict(name="install_stall", peer="none: goal < 2 s",
         measures="the window's longest pause when the plugin is installed from its zip into a running desktop "
                  "(Xvfb, fresh profile, Processing toolbox open; Install from ZIP's own call), median of 3",
         run='"$PY" "$HERE/install_stall.py" --sessions 3 --json "$OUT/install_stall.json"'),
    dict(name="results_load", peer="QGIS's own load of the same files, same session",
         measures="a run's results (sbasinversion, Mexico City: 6 layers) loaded into a project of 30 layers, the "
                  "Processing toolbox open (Xvfb, medians of 3 loads each); the current layer switched between a "
                  "vector and a raster, main-thread CPU, with the plugin and after it is unloaded",
         run='"$PY" "$HERE/results_load.py" --rounds 3 --json "$OUT/results_load.json"'),
]
