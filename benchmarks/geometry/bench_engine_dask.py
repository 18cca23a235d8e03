"""Dask overhead of the block engine on one machine: geometricdistortion local vs embedded LocalCluster.

Usage: /usr/bin/python3 bench_engine_dask.py DEM.tif OUT_DIR [REPEAT]
Runs the tool alternately with DASK_SCHEDULER "" (this process) and "local" (a LocalCluster
started by the tool, its start-up included) REPEAT times each in one QGIS session, checks
that the outputs are byte-identical and prints one JSON line with every wall time, the
medians, the overhead and the 1-minute load average before each run.
"""

import json
import os
import statistics
import sys
import time


def main():
    dem, out = sys.argv[1], sys.argv[2]
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    os.makedirs(out, exist_ok=True)
    from bench_qgis import start_qgis

    app, plugin = start_qgis()
    import numpy as np
    import processing
    from osgeo import gdal
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    def run(sched, tag):
        params = {"DEM": dem, "HEADING": -12.0, "INCIDENCE": 37.0, "DASK_SCHEDULER": sched}
        for k in ("OUTPUT_CLASSES", "OUTPUT_RINDEX", "OUTPUT_VISIBILITY"):
            params[k] = os.path.join(out, f"{tag}_{k.lower()}.tif")
        params["OUTPUT_TABLE"] = os.path.join(out, f"{tag}_shares.csv")
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        res = processing.run("geohazard:geometricdistortion", params, context=QgsProcessingContext(),
                             feedback=QgsProcessingFeedback())
        return time.perf_counter() - t0, load, res

    run("", "warm")  # numba compilation / cache load outside the timings
    times = {"": [], "local": []}
    loads = {"": [], "local": []}
    results = {}
    for i in range(repeat):
        for sched in ("", "local"):
            dt, load, res = run(sched, f"{sched or 'here'}{i}")
            times[sched].append(round(dt, 2))
            loads[sched].append(round(load, 1))
            results[sched] = res
    identical = True
    for k in ("OUTPUT_CLASSES", "OUTPUT_RINDEX", "OUTPUT_VISIBILITY"):
        a = gdal.Open(results[""][k])
        b = gdal.Open(results["local"][k])
        identical &= a.GetRasterBand(1).ReadAsArray().tobytes() == b.GetRasterBand(1).ReadAsArray().tobytes()
        a = b = None
    with open(results[""]["OUTPUT_TABLE"]) as fa, open(results["local"]["OUTPUT_TABLE"]) as fb:
        identical &= fa.read() == fb.read()
    ds = gdal.Open(dem)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(json.dumps({"megapixels": ds.RasterXSize * ds.RasterYSize / 1e6, "local_s": times[""],
                      "localcluster_s": times["local"], "median_local_s": med[""],
                      "median_localcluster_s": med["local"],
                      "overhead_pct": round(100.0 * (med["local"] / med[""] - 1.0), 1),
                      "load_1min_local": loads[""], "load_1min_localcluster": loads["local"],
                      "cpus": os.cpu_count(), "identical": bool(identical)}))
    del np


if __name__ == "__main__":
    main()
