"""Dask overhead of the block engine on one machine: geometricdistortion local vs embedded LocalCluster
(bench_qgis.local_against_cluster), one JSON line.

Usage: /usr/bin/python3 bench_engine_dask.py DEM.tif OUT_DIR [REPEAT]
"""

import json
import os
import sys


def main():
    dem, out = sys.argv[1], sys.argv[2]
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    os.makedirs(out, exist_ok=True)
    from bench_qgis import local_against_cluster, start_qgis

    app, plugin = start_qgis()
    import processing
    from osgeo import gdal
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    def run(sched, tag):
        params = {"DEM": dem, "HEADING": -12.0, "INCIDENCE": 37.0, "DASK_SCHEDULER": sched}
        for k in ("OUTPUT_CLASSES", "OUTPUT_RINDEX", "OUTPUT_VISIBILITY"):
            params[k] = os.path.join(out, f"{tag}_{k.lower()}.tif")
        params["OUTPUT_TABLE"] = os.path.join(out, f"{tag}_shares.csv")
        return processing.run("geohazard:geometricdistortion", params, context=QgsProcessingContext(),
                              feedback=QgsProcessingFeedback())

    run("", "warm")  # numba compilation / cache load outside the timings
    ds = gdal.Open(dem)
    print(json.dumps({"megapixels": ds.RasterXSize * ds.RasterYSize / 1e6, **local_against_cluster(run, repeat),
                      "cpus": os.cpu_count()}))


if __name__ == "__main__":
    main()
