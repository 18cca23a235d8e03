"""cProfile of one ``processing.run("geohazard:phaselinking")`` (after a warm-up run) in one QGIS process.

Usage: /usr/bin/python3 benchmarks/psds/profile_run.py DIR [N]   (DIR from ``whole_run.py prepare``; whole_run.sh
makes it). Prints the run's wall and CPU seconds and the N (default 25) functions with the largest cumulative time:
where each 0.1 s of the tool's own part goes (QGIS start-up not included). ~15 s idle.
"""

import cProfile
import os
import pstats
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def main(work, top=25):
    for p in ("/usr/share/qgis/python/plugins", "/usr/share/qgis/python", os.path.join(ROOT, ".build", "plugins")):
        sys.path.insert(0 if ".build" in p else len(sys.path), p)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    from processing.core.Processing import Processing

    Processing.initialize()
    from insar_geohazards.plugin import InsarGeohazardsPlugin

    plugin = InsarGeohazardsPlugin(None)
    plugin.initProcessing()
    import processing

    files = sorted(os.path.join(work, "slc", f) for f in os.listdir(os.path.join(work, "slc")) if f.endswith(".tif"))
    params = {"INPUT": files, "WINDOW_ROWS": 11, "WINDOW_COLS": 11, "SHP_METHOD": 0, "ALPHA": 0.05, "METHOD": 0,
              "PS_MASK": os.path.join(work, "ps_mask.tif"), "OUTPUT": os.path.join(work, "prof_phase.tif"),
              "OUTPUT_TEMPORAL_COHERENCE": os.path.join(work, "prof_tcoh.tif"),
              "OUTPUT_SHP_COUNT": os.path.join(work, "prof_count.tif")}
    prof = cProfile.Profile()
    w, c = time.perf_counter(), time.process_time()
    prof.enable()
    processing.run("geohazard:phaselinking", params)
    prof.disable()
    print(f"first run: {time.perf_counter() - w:.3f} s wall, {time.process_time() - c:.3f} CPU-s")
    pstats.Stats(prof).sort_stats("cumulative").print_stats(top)
    prof = cProfile.Profile()
    w, c = time.perf_counter(), time.process_time()
    prof.enable()
    processing.run("geohazard:phaselinking", params)
    prof.disable()
    print(f"second run: {time.perf_counter() - w:.3f} s wall, {time.process_time() - c:.3f} CPU-s")
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)
    app.exitQgis()


if __name__ == "__main__":
    main(sys.argv[1], *(int(a) for a in sys.argv[2:3]))
