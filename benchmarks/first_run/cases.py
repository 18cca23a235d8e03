"""The desktop during a first run: how long QGIS's event loop stands still while the numba kernels compile
(heartbeat.py: a QGIS application, the first run as a background task on an empty numba cache)."""

ABOUT = "the desktop's event loop during a first run"

CASES = [
    dict(name="heartbeat", table="startup", peer="none: goal < 1 s",
         measures="the desktop's event loop (20 ms timer) during a first run: DS phase linking 320 x 48 x 12 / "
                  "SBAS to landslide activity model",
         run='"$PY" "$HERE/heartbeat.py" --root . --repeats 2'),
]
