"""Where the memory of a local SBAS block pass goes: geohazard:sbasinversion run in this process on a stack from
make_big_stack.py while a thread samples, every 0.5 s, the resident set (VmRSS), GDAL's block cache (used and
cap) and glibc's heap (mallinfo2: bytes in use, free bytes kept inside the heap, bytes in mmap'ed chunks).

Usage: /usr/bin/python3 memory_trace.py STACK_DIR OUT_DIR [--label TEXT] [--results FILE] [--plugins DIR]

--plugins DIR: the folder holding the insar_geohazards package to run (default .build/plugins, this checkout),
e.g. another commit unpacked with `git archive COMMIT | tar -x -C DIR/insar_geohazards`.

Prints one JSON line (also appended to --results, default benchmarks/results/sbas/results_memory.json): the
samples at every tenth of the run's progress and the peaks. Environment variables such as
MALLOC_MMAP_THRESHOLD_ or GDAL_CACHEMAX apply as usual (set them on the command line to compare).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                 "fsmblks", "uordblks", "fordblks", "keepcost")]


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stack")
    ap.add_argument("out")
    ap.add_argument("--label", default="")
    ap.add_argument("--plugins", default=os.path.join(ROOT, ".build", "plugins"))
    ap.add_argument("--results", default=os.path.join(ROOT, "benchmarks", "results", "sbas", "results_memory.json"))
    a = ap.parse_args()
    sys.path.insert(0, "/usr/share/qgis/python/plugins")
    sys.path.insert(0, os.path.abspath(a.plugins))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from osgeo import gdal
    from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingFeedback

    app = QgsApplication([], False)
    app.initQgis()
    from processing.core.Processing import Processing

    Processing.initialize()
    import processing

    from insar_geohazards.processing_provider.provider import GeohazardProvider

    provider = GeohazardProvider()  # kept referenced: the registry does not own a Python-made provider
    QgsApplication.processingRegistry().addProvider(provider)
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = MallInfo2
    with open(os.path.join(a.stack, "stack.json")) as fh:
        meta = json.load(fh)
    os.makedirs(a.out, exist_ok=True)
    x, y = meta["ref_xy"]
    params = {"INTERFEROGRAMS": os.path.join(a.stack, "tif"), "REFERENCE": f"{x},{y} [EPSG:{meta['epsg']}]",
              "WAVELENGTH_M": meta["wavelength_m"], "ISBAS_MIN_COUNT": 1, "MIN_TEMPORAL_COHERENCE": 0,
              "WEIGHTING": 0}
    for k in ("OUTPUT_TIMESERIES", "OUTPUT_VELOCITY", "OUTPUT_VELOCITY_STD", "OUTPUT_TEMPORAL_COHERENCE",
              "OUTPUT_COHCOUNT"):
        params[k] = os.path.join(a.out, k.lower() + ".tif")

    class Feedback(QgsProcessingFeedback):
        pct = 0.0

        def setProgress(self, p):
            Feedback.pct = p
            super().setProgress(p)

    samples, stop = [], threading.Event()
    t0 = time.perf_counter()

    def sample():
        while not stop.is_set():
            m = libc.mallinfo2()
            samples.append({"t": round(time.perf_counter() - t0, 2), "pct": round(Feedback.pct, 1),
                            "rss_mb": round(rss_mb(), 1),
                            "gdal_cache_used_mb": round(gdal.GetCacheUsed() / 2**20, 1),
                            "gdal_cache_max_mb": round(gdal.GetCacheMax() / 2**20, 1),
                            "heap_in_use_mb": round(m.uordblks / 2**20, 1),
                            "heap_free_mb": round(m.fordblks / 2**20, 1),
                            "mmap_mb": round(m.hblkhd / 2**20, 1)})
            stop.wait(0.5)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    c0 = resource.getrusage(resource.RUSAGE_SELF)
    processing.run("geohazard:sbasinversion", params, context=QgsProcessingContext(), feedback=Feedback())
    c1 = resource.getrusage(resource.RUSAGE_SELF)
    stop.set()
    th.join()
    marks, want = [], 0
    for s in samples:  # the first sample at or past every tenth of the progress
        if s["pct"] >= want:
            marks.append(s)
            want = (int(s["pct"] // 10) + 1) * 10
    res = {"label": a.label, "rows": meta["rows"], "cols": meta["cols"], "n_ifgs": meta["n_ifgs"],
           "env": {k: os.environ[k] for k in os.environ if k.startswith(("MALLOC_", "GDAL_CACHEMAX"))},
           "run_cpu_s": round(c1.ru_utime - c0.ru_utime + c1.ru_stime - c0.ru_stime, 2),
           "run_wall_s": samples[-1]["t"] if samples else None,
           "peak_rss_mb": max(s["rss_mb"] for s in samples),
           "peak_gdal_cache_used_mb": max(s["gdal_cache_used_mb"] for s in samples),
           "load": open("/proc/loadavg").read().split()[:3], "by_tenth": marks,
           "utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())}
    with open(os.path.join(a.out, "samples.json"), "w") as fh:
        json.dump(samples, fh)
    print(json.dumps(res))
    os.makedirs(os.path.dirname(a.results), exist_ok=True)
    with open(a.results, "a") as fh:
        fh.write(json.dumps(res) + "\n")
    app.exitQgis()


if __name__ == "__main__":
    main()
