"""The desktop's event loop during a first run (kernels compiling into an empty numba cache)."""
ABOUT = __doc__

CASES = [
    dict(name="heartbeat", table="startup", peer="none: goal < 1 s",
         measures="the desktop's event loop (20 ms timer) during a first run: DS phase linking / SBAS to landslide "
                  "activity model",
         run='"$PY" "$HERE/heartbeat.py" --root . --repeats 2'),
]
