"""The weighted SBAS run (300 x 300 px x 202 interferograms, WEIGHTING=variance) part by part, for one or more
plugin folders, runs alternated, each run in a fresh process (numba imported and started in it, as in a
``qgis_process`` call):

    /usr/bin/python3 benchmarks/timeseries/parts_300_var.py [--repeat N] PLUGINS_DIR [PLUGINS_DIR ...]

``PLUGINS_DIR``: a folder holding ``insar_geohazards`` (this checkout's ``.build/plugins``, or a ``git archive``
copy of another revision with a ``.build/plugins/insar_geohazards -> ../..`` link). Stack: ``make_stack.py``'s
``.build/bench_ts/s300`` of this checkout. ~8 s a run idle.

Per run (CPU-s are user + sys of the whole process, all threads, at the part's edges): QGIS and Processing
start-up, the plugin's load (provider, every tool created), the tool run, and in it the input checks
(``check_before``: listing, guard probe of the 404 files), the kernels' import (entering
``compilation_progress``), the block pass (``run_blocks``: read, solve, write), styles and the geometry stamp;
and the CPU-s of the main thread alone during the tool run (work moved to other threads leaves it). Medians over
the runs; wall times are only meaningful on an idle machine.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
STACK = os.path.join(ROOT, ".build", "bench_ts", "s300")

ONE_RUN = r"""
import contextlib, functools, json, os, sys, threading, time
c0, w0 = time.process_time(), time.perf_counter()
parts = {}
def mark(name, c, w):
    x = parts.setdefault(name, [0.0, 0.0]); x[0] += time.process_time() - c; x[1] += time.perf_counter() - w
sys.path.insert(0, "/usr/share/qgis/python/plugins")
sys.path.insert(0, PLUGINS)
from qgis.core import QgsApplication
app = QgsApplication([], False); app.initQgis()
from processing.core.Processing import Processing
Processing.initialize()
import processing
mark("QGIS + Processing start-up", 0.0, 0.0); parts["QGIS + Processing start-up"] = [time.process_time() - c0,
                                                                                    time.perf_counter() - w0]
c, w = time.process_time(), time.perf_counter()
import insar_geohazards
plugin = insar_geohazards.classFactory(None); plugin.initProcessing()
mark("plugin load (provider, tools created)", c, w)
WRAP = ("check_before", "run_blocks", "style_sbas", "stamp_geometry")

def timed(f, name):
    @functools.wraps(f)
    def run(*a, **k):
        if threading.current_thread() is not threading.main_thread():
            return f(*a, **k)
        c, w = time.process_time(), time.perf_counter()
        try:
            return f(*a, **k)
        finally:
            mark(name, c, w)
    return run

def timed_enter(f, name):
    @contextlib.contextmanager
    def run(*a, **k):
        c, w = time.process_time(), time.perf_counter()
        with f(*a, **k):
            mark(name, c, w)
            yield
    return run

import insar_geohazards.processing_provider.tools.timeseries.sbasinversion  # noqa: F401
for mod_name, mod in list(sys.modules.items()):
    if mod_name.startswith("insar_geohazards") and hasattr(mod, "__dict__"):
        for n in WRAP:
            if callable(vars(mod).get(n)):
                setattr(mod, n, timed(vars(mod)[n], n))
        if callable(vars(mod).get("compilation_progress")):
            mod.compilation_progress = timed_enter(mod.compilation_progress, "kernels imported (compilation_progress)")
meta = json.load(open(os.path.join(STACK, "stack.json")))
x, y = meta["ref_xy"]
params = {"INTERFEROGRAMS": STACK + "/tif", "COHERENCE": STACK + "/tif", "REFERENCE": f"{x},{y} [EPSG:{meta['epsg']}]",
          "WAVELENGTH_M": meta["wavelength_m"], "ISBAS_MIN_COUNT": 1, "MIN_TEMPORAL_COHERENCE": 0,
          "MAX_MEMORY_MB": 512, "WEIGHTING": 1, "LOOKS": meta["looks"]}
for k in ("timeseries", "velocity", "velocity_std", "temporal_coherence", "cohcount"):
    params["OUTPUT_" + k.upper()] = os.path.join(OUT, f"output_{k}.tif")
c, w, m = time.process_time(), time.perf_counter(), time.thread_time()
processing.run("geohazard:sbasinversion", params)
mark("tool run", c, w)
parts["tool run: main thread alone"] = [time.thread_time() - m, 0.0]
parts["whole process"] = [time.process_time() - c0, time.perf_counter() - w0]
print(json.dumps(parts))
"""


def one_run(plugins: str, out: str) -> dict:
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        os.remove(os.path.join(out, f))
    code = f"PLUGINS, STACK, OUT = {plugins!r}, {STACK!r}, {out!r}\n" + ONE_RUN
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NUMBA_NUM_THREADS": "2", "OMP_NUM_THREADS": "2",
           "OPENBLAS_NUM_THREADS": "2", "PYTHONPATH": ""}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    args = sys.argv[1:]
    repeat = 5
    if "--repeat" in args:
        i = args.index("--repeat")
        repeat = int(args[i + 1])
        del args[i:i + 2]
    trees = [os.path.abspath(a) for a in args] or [os.path.join(ROOT, ".build", "plugins")]
    work = os.path.join(ROOT, ".build", "bench_ts", "parts_300_var")
    print("load before:", os.getloadavg())
    for k, t in enumerate(trees):  # numba caches each tree's kernels at its first run
        one_run(t, os.path.join(work, f"warm{k}"))
    runs = {t: [] for t in trees}
    for _ in range(repeat):
        for k, t in enumerate(trees):
            runs[t].append(one_run(t, os.path.join(work, f"out{k}")))
    print("load after:", os.getloadavg())
    names = list(runs[trees[0]][0])
    print(f"{'part (medians, CPU-s / wall s)':44s}" + "".join(f"{os.path.dirname(t)[-28:]:>30s}" for t in trees))
    for n in names:
        cells = []
        for t in trees:
            vals = [r.get(n, [0.0, 0.0]) for r in runs[t]]
            cpu, wall = statistics.median(v[0] for v in vals), statistics.median(v[1] for v in vals)
            cells.append(f"{cpu:7.3f} / {wall:6.3f}" if wall else f"{cpu:7.3f}        ")
        print(f"{n:44s}" + "".join(f"{c:>30s}" for c in cells))


if __name__ == "__main__":
    main()
