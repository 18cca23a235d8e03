"""CPU seconds of the per-file work of one weighted SBAS run, in process under cProfile: the shared input
guard, opening the stack, history and geometry stamping, beside the whole tool run (QGIS start-up and the
plugin import are outside). Stack: ``make_stack.py`` (300 x 300, 202 interferograms + 202 coherence files).

Usage: /usr/bin/python3 profile_perfile.py STACK_DIR OUT_DIR [--repeat N] [--plugins DIR] [--dump]
``--plugins``: the folder holding the ``insar_geohazards`` plugin to run (default: this checkout's
``.build/plugins``), e.g. an export of another commit. Prints one JSON line: the CPU seconds (all threads)
of N unprofiled runs after a warm-up run, their median, and from one more run under cProfile the cumulative
CPU seconds of each per-file step (main thread; cProfile inflates Python-heavy steps, the unprofiled runs
are the figure).
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import statistics
import sys
import time

sys.path.insert(0, "/usr/share/qgis/python/plugins")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

STEPS = {  # (file suffix, function name) -> label
    ("guard.py", "input_files"): "input_files",
    ("guard.py", "check_before"): "check_before",
    ("history.py", "history"): "history",
    ("metadata.py", "stamp_history"): "stamp_history",
    ("metadata.py", "stamp_geometry"): "stamp_geometry",
    ("posixpath.py", "realpath"): "realpath",
    ("raster.py", "raster_info"): "raster_info",
}


def main():
    stack_dir, out = (os.path.abspath(a) for a in sys.argv[1:3])
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 1
    from qgis.core import QgsApplication
    app = QgsApplication([], False)
    app.initQgis()
    from processing.core.Processing import Processing
    Processing.initialize()
    import processing
    plugins = sys.argv[sys.argv.index("--plugins") + 1] if "--plugins" in sys.argv else \
        os.path.join(ROOT, ".build", "plugins")
    sys.path.insert(0, os.path.abspath(plugins))
    from insar_geohazards.plugin import InsarGeohazardsPlugin
    plugin = InsarGeohazardsPlugin(None)
    plugin.initProcessing()
    with open(os.path.join(stack_dir, "stack.json")) as fh:
        meta = json.load(fh)
    tif = os.path.join(stack_dir, "tif")
    x, y = meta["ref_xy"]
    params = {"INTERFEROGRAMS": tif, "COHERENCE": tif, "REFERENCE": f"{x},{y} [EPSG:{meta['epsg']}]",
              "WAVELENGTH_M": meta["wavelength_m"], "ISBAS_MIN_COUNT": 1, "MIN_TEMPORAL_COHERENCE": 0,
              "MAX_MEMORY_MB": 512, "WEIGHTING": 1, "LOOKS": meta["looks"]}
    cpus = []
    for rep in range(repeat + 2):  # run 0 warms numba's cache and the file cache; the last one is profiled
        d = os.path.join(out, f"run{min(rep, 1)}")
        os.makedirs(d, exist_ok=True)
        for k in ("OUTPUT_TIMESERIES", "OUTPUT_VELOCITY", "OUTPUT_VELOCITY_STD", "OUTPUT_TEMPORAL_COHERENCE",
                  "OUTPUT_COHCOUNT"):
            p = os.path.join(d, k.lower() + ".tif")
            if os.path.exists(p):
                os.remove(p)
            params[k] = p
        if rep <= repeat:
            c0 = time.process_time()
            processing.run("geohazard:sbasinversion", params)  # unprofiled: cProfile inflates Python-heavy steps
            if rep:
                cpus.append(time.process_time() - c0)
            continue
        prof = cProfile.Profile(time.process_time)
        prof.enable()
        processing.run("geohazard:sbasinversion", params)
        prof.disable()
        got = {}
        for (fname, _line, func), (_cc, nc, _tt, ct, _callers) in pstats.Stats(prof).stats.items():
            label = STEPS.get((os.path.basename(fname), func))
            if label:
                calls, cum = got.get(label, (0, 0.0))
                got[label] = (calls + nc, cum + ct)
        print(json.dumps({"run_cpu_s": [round(c, 3) for c in cpus], "median_cpu_s": round(statistics.median(cpus), 3),
                          "load": [round(v, 2) for v in os.getloadavg()],
                          "profiled": {k: {"calls": c, "cpu_s": round(t, 3)} for k, (c, t) in sorted(got.items())}}))
        if "--dump" in sys.argv:
            pstats.Stats(prof).sort_stats("cumulative").print_stats(45)

if __name__ == "__main__":
    main()
