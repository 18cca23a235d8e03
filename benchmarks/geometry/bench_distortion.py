"""Time geohazard:geometricdistortion on a DEM and report peak RSS; compare slope with gdaldem.

Usage: /usr/bin/python3 bench_distortion.py DEM.tif OUT_DIR
Prints one JSON line: megapixels, seconds, peak RSS (MB), class shares.
"""

import json
import os
import resource
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # benchmarks/: bench_qgis (its start_qgis sets QGIS's paths)
ROOT = os.path.dirname(os.path.dirname(HERE))


def main():
    dem, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    from bench_qgis import start_qgis

    app, plugin = start_qgis()
    import processing
    from osgeo import gdal
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    ds = gdal.Open(dem)
    mp = ds.RasterXSize * ds.RasterYSize / 1e6
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    rss0 = ru0.ru_maxrss / 1024
    t0 = time.perf_counter()
    import cProfile
    prof = cProfile.Profile()
    prof.enable()
    res = processing.run("geohazard:geometricdistortion", {
        "DEM": dem, "HEADING": -12.0, "INCIDENCE": 37.0,
        "OUTPUT_CLASSES": os.path.join(out, "classes.tif"), "OUTPUT_RINDEX": os.path.join(out, "rindex.tif"),
        "OUTPUT_VISIBILITY": os.path.join(out, "visibility.tif"), "OUTPUT_TABLE": os.path.join(out, "shares.csv")},
        context=QgsProcessingContext(), feedback=QgsProcessingFeedback())
    dt = time.perf_counter() - t0
    prof.disable()
    if os.environ.get("BENCH_PROFILE"):
        import pstats

        pstats.Stats(prof).sort_stats("tottime").print_stats(12)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    rss = ru.ru_maxrss / 1024
    cpu = (ru.ru_utime + ru.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    load = os.getloadavg()[0]
    import csv

    with open(res["OUTPUT_TABLE"]) as fh:
        shares = {r["name"]: round(float(r["share_pct"]), 2) for r in csv.DictReader(fh)
                  if r["classification"] == "distortion"}
    print(json.dumps({"megapixels": round(mp, 1), "seconds": round(dt, 1), "cpu_seconds": round(cpu, 1),
                      "load_avg_1min": round(load, 1), "peak_rss_mb": round(rss),
                      "rss_before_mb": round(rss0), "shares_pct": shares}))


if __name__ == "__main__":
    main()
