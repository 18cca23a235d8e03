"""Susceptibility with random forest on a large grid of 8 factors: wall and CPU time, peak memory.

Steps (make bench FAMILY=hazard CASE=susceptibility_forest [SIZES=ROWSxCOLS ...]; default 3163 x 3163):
``make DIR ROWS COLS`` (six continuous factors, one driving the events through a logistic law, and two categorical
ones; smooth fields; 4 x 4-px events) and ``run DIR OUT [MAX_MEMORY_MB] [THREADS]`` (one JSON line: megapixels,
seconds, CPU seconds, peak RSS, AUC), each in its own process so ``run``'s peak RSS is the tool's.
"""

import json
import os
import sys

import numpy as np
from common import write_tif

GT0 = (500000.0, 20.0, 0.0, 4200000.0, 0.0, -20.0)


def _field(rng, rows, cols, coarse=16):
    from scipy.ndimage import gaussian_filter, zoom

    small = gaussian_filter(rng.normal(size=(rows // coarse + 3, cols // coarse + 3)), 1.5)
    big = zoom(small, coarse, order=1)[:rows, :cols]
    return ((big - big.mean()) / big.std()).astype(np.float32)


def _write(path, arr, dtype=None):
    from osgeo import gdal

    write_tif(path, arr, gt=GT0, dtype=gdal.GDT_Byte if dtype == "byte" else None,
              options=["TILED=YES", "COMPRESS=DEFLATE", "ZLEVEL=1", "BIGTIFF=IF_SAFER"])


def make(folder, rows, cols, seed=0):
    from osgeo import ogr, osr

    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    driver = _field(rng, rows, cols)
    _write(os.path.join(folder, "f1_driver.tif"), 25 + 8 * driver)
    _write(os.path.join(folder, "f2_correlated.tif"), 0.6 * driver + 0.8 * _field(rng, rows, cols))
    for k in range(3, 7):
        _write(os.path.join(folder, f"f{k}_noise.tif"), _field(rng, rows, cols))
    lith = (np.digitize(_field(rng, rows, cols), [-0.7, 0.0, 0.7]) + 1).astype(np.uint8)
    _write(os.path.join(folder, "c1_lithology.tif"), lith, "byte")
    _write(os.path.join(folder, "c2_landuse.tif"), (np.digitize(_field(rng, rows, cols),
                                                                np.linspace(-1.6, 1.6, 11)) + 1).astype(np.uint8),
           "byte")
    eta = -7.0 + 2.2 * driver[::4, ::4] + 1.0 * (lith[::4, ::4] == 4)
    cells = rng.random(eta.shape) < 16.0 / (1.0 + np.exp(-eta))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(os.path.join(folder, "inventory.gpkg"))
    layer = ds.CreateLayer("events", srs, ogr.wkbPolygon)
    layer.StartTransaction()
    for r, c in zip(*np.nonzero(cells)):
        x, y = GT0[0] + 4 * c * GT0[1], GT0[3] + 4 * r * GT0[5]
        s = 4 * GT0[1]
        f = ogr.Feature(layer.GetLayerDefn())
        f.SetGeometry(ogr.CreateGeometryFromWkt(f"POLYGON(({x} {y},{x + s} {y},{x + s} {y - s},{x} {y - s},{x} {y}))"))
        layer.CreateFeature(f)
    layer.CommitTransaction()
    ds = None
    print(json.dumps({"rows": rows, "cols": cols, "events": int(cells.sum())}))


def run(folder, out, max_memory_mb=None, threads=None):
    from bench_qgis import measured_run, start_qgis

    os.makedirs(out, exist_ok=True)
    app, plugin = start_qgis()
    from osgeo import gdal

    fac = sorted(f for f in os.listdir(folder) if f.startswith("f") and f.endswith(".tif"))
    cat = sorted(f for f in os.listdir(folder) if f.startswith("c") and f.endswith(".tif"))
    ds = gdal.Open(os.path.join(folder, fac[0]))
    mp = ds.RasterXSize * ds.RasterYSize / 1e6
    ds = None
    params = {"INVENTORY": os.path.join(folder, "inventory.gpkg"), "FACTORS": [os.path.join(folder, f) for f in fac],
              "CATEGORICAL_FACTORS": [os.path.join(folder, f) for f in cat], "METHOD": 2,
              "OUTPUT": os.path.join(out, "susceptibility.tif"), "OUTPUT_CLASSES": os.path.join(out, "classes.tif"),
              "OUTPUT_REPORT": os.path.join(out, "report.html")}
    if max_memory_mb:
        params["MAX_MEMORY_MB"] = int(max_memory_mb)
    if threads:
        params["THREADS"] = int(threads)
    res, dt, ru0, ru = measured_run("geohazard:susceptibility", params)
    print(json.dumps({"megapixels": round(mp, 2), "factors": len(fac) + len(cat), "seconds": round(dt, 1),
                      "cpu_seconds": round((ru.ru_utime + ru.ru_stime) - (ru0.ru_utime + ru0.ru_stime), 1),
                      "peak_rss_mb": round(ru.ru_maxrss / 1024), "rss_before_mb": round(ru0.ru_maxrss / 1024),
                      "max_memory_mb": max_memory_mb, "threads": threads, "auc": round(res["AUC"], 4),
                      "load_avg_1min": round(os.getloadavg()[0], 1)}))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        run(sys.argv[2], sys.argv[3], *(sys.argv[4:6]))
