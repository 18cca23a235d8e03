"""Where the time of a whole phase-linking run goes, measured in one QGIS process (wall and CPU seconds).

Usage: /usr/bin/python3 benchmarks/psds/stage_times.py DIR   (DIR from ``whole_run.py prepare``; whole_run.sh
makes it). Stages: QGIS start (QgsApplication + initQgis), Processing.initialize, the provider's registration
(plugin import and its tools), then ``processing.run("geohazard:phaselinking")`` as a whole, and apart from it
GDAL reading the 30 SLCs, the core ``phase_link`` on the whole stack (EMI; EVD and coherence-weighted EVD for
the share of the eigen solve), and GDAL writing a 30-band DEFLATE float32 raster. Each measured stage is the
best of BENCH_REPEAT.
"""

import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
REPEAT = int(os.environ.get("BENCH_REPEAT", 3))


def _clock():
    return time.perf_counter(), time.process_time()


def _since(t):
    w, c = _clock()
    return round(w - t[0], 3), round(c - t[1], 3)


def _best(fn):
    best = None
    for _ in range(REPEAT):
        t = _clock()
        fn()
        got = _since(t)
        best = got if best is None or got[0] < best[0] else best
    return best


def main(work):
    for p in ("/usr/share/qgis/python/plugins", "/usr/share/qgis/python", os.path.join(ROOT, ".build", "plugins")):
        sys.path.insert(0 if ".build" in p else len(sys.path), p)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    res = {}
    t = _clock()
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    res["qgis_start"] = _since(t)
    t = _clock()
    from processing.core.Processing import Processing

    Processing.initialize()
    res["processing_initialize"] = _since(t)
    t = _clock()
    from insar_geohazards.plugin import InsarGeohazardsPlugin

    plugin = InsarGeohazardsPlugin(None)
    plugin.initProcessing()
    res["provider_registration"] = _since(t)

    import numpy as np
    import processing
    from osgeo import gdal

    files = sorted(os.path.join(work, "slc", f) for f in os.listdir(os.path.join(work, "slc")) if f.endswith(".tif"))
    params = {"INPUT": files, "WINDOW_ROWS": 11, "WINDOW_COLS": 11, "SHP_METHOD": 0, "ALPHA": 0.05, "METHOD": 0,
              "PS_MASK": os.path.join(work, "ps_mask.tif"), "OUTPUT": os.path.join(work, "stage_phase.tif"),
              "OUTPUT_TEMPORAL_COHERENCE": os.path.join(work, "stage_tcoh.tif"),
              "OUTPUT_SHP_COUNT": os.path.join(work, "stage_count.tif")}
    t = _clock()
    processing.run("geohazard:phaselinking", params)  # first run in this process: imports, numba cache load
    res["tool_first_run"] = _since(t)
    res["tool_next_runs"] = _best(lambda: processing.run("geohazard:phaselinking", params))

    stack = []
    res["gdal_read_slcs"] = _best(lambda: stack.__setitem__(slice(None), [gdal.Open(f).ReadAsArray() for f in files]))
    slc = np.stack(stack)
    ps = gdal.Open(params["PS_MASK"]).ReadAsArray().astype(bool)
    from insar_geohazards.algorithms.timeseries.phase_linking import phase_link

    out = {}
    for method in ("emi", "evd", "cevd"):
        res[f"core_{method}"] = _best(lambda m=method: out.__setitem__(m, phase_link(
            slc, window=(11, 11), method=m, shp_method="glrt", alpha=0.05, ps_mask=ps, beta=0.01)))
    ph = out["emi"].phase
    drv = gdal.GetDriverByName("GTiff")

    def write():
        ds = drv.Create(os.path.join(work, "stage_write.tif"), ph.shape[2], ph.shape[1], ph.shape[0],
                        gdal.GDT_Float32, ["TILED=YES", "COMPRESS=DEFLATE", "ZLEVEL=1", "NUM_THREADS=ALL_CPUS"])
        ds.WriteArray(ph)
        ds = None

    res["gdal_write_phase"] = _best(write)
    res["input_mb"] = round(sum(os.path.getsize(f) for f in files) / 1e6, 2)
    res["pixels"] = int(ph.shape[1] * ph.shape[2])
    res["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main(sys.argv[1])
