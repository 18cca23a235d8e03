"""Susceptibility on the Reserva San Francisco landslides (Ecuador) against the published spatial cross-validation.

``run OUT [METHOD] [SEED] [ABSENCE] [STUDY_AREA]`` runs ``geohazard:susceptibility`` with its defaults on
tests/data/ecuador_landslides (the five terrain rasters of the published logistic model, the 175 landslide points;
ABSENCE 1 = the 1,352 surveyed absences, STUDY_AREA 1 = the study-area polygon) and prints one JSON line: AUC,
AUC_SD, AUC_POOLED, BLOCK_SIZE_USED_M, seconds, CPU seconds. ``reference [REPEATS]`` prints the published figure
reproduced independently: scikit-learn's LogisticRegression on scikit-learn's KMeans(5) folds of the 350 published
points (lsl.csv), the mean over repeats of the mean fold AUC (Geocomputation with R, ch. 12: 0.77; non-spatial 0.81).
"""

import csv
import json
import os
import sys

import numpy as np

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "tests", "data",
                    "ecuador_landslides")
FACTORS = ("slope", "cplan", "cprof", "elev", "log10_carea")


def _rows(name):
    with open(os.path.join(DATA, name), newline="") as fh:
        return list(csv.DictReader(fh))


def reference(repeats=100):
    from testutils_susceptibility import kmeans_cv_aucs

    means = kmeans_cv_aucs(os.path.join(DATA, "lsl.csv"), FACTORS, int(repeats))
    print(json.dumps({"reference": "sklearn LogisticRegression, KMeans(5) folds of lsl.csv", "repeats": int(repeats),
                      "auc": round(float(np.mean(means)), 4), "auc_sd": round(float(np.std(means, ddof=1)), 4)}))


def run(out, method="1", seed="0", absence="1", area="1"):
    from bench_qgis import measured_run, start_qgis

    os.makedirs(out, exist_ok=True)
    app, plugin = start_qgis()
    from osgeo import gdal, ogr, osr

    factors = []
    for band, name in enumerate(FACTORS, start=1):
        factors.append(os.path.join(out, f"{band}_{name}.tif"))
        gdal.Translate(factors[-1], os.path.join(DATA, "ta.tif"), bandList=[band])
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32717)
    layers = {}
    for flag, name in ((True, "landslides"), (False, "absences")):
        layers[name] = os.path.join(out, f"{name}.gpkg")
        ds = ogr.GetDriverByName("GPKG").CreateDataSource(layers[name])
        lyr = ds.CreateLayer(name, srs, ogr.wkbPoint)
        for r in _rows("landslides.csv"):
            if (r["lslpts"] == "TRUE") == flag:
                f = ogr.Feature(lyr.GetLayerDefn())
                f.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT({r['x']} {r['y']})"))
                lyr.CreateFeature(f)
        ds = None
    params = {"INVENTORY": layers["landslides"], "FACTORS": factors, "METHOD": int(method), "SEED": int(seed),
              "OUTPUT": os.path.join(out, "susceptibility.tif"), "OUTPUT_REPORT": os.path.join(out, "report.html")}
    if absence == "1":
        params["ABSENCE"] = layers["absences"]
    if area == "1":
        params["STUDY_AREA"] = os.path.join(DATA, "study_area.gpkg")
    res, dt, ru0, ru = measured_run("geohazard:susceptibility", params)
    print(json.dumps({"method": int(method), "seed": int(seed), "absence": absence == "1", "study_area": area == "1",
                      "auc": round(res["AUC"], 4), "auc_sd": round(res["AUC_SD"], 4),
                      "auc_pooled": round(res["AUC_POOLED"], 4), "block_m": round(res["BLOCK_SIZE_USED_M"]),
                      "seconds": round(dt, 1),
                      "cpu_seconds": round((ru.ru_utime + ru.ru_stime) - (ru0.ru_utime + ru0.ru_stime), 1),
                      "load_avg_1min": round(os.getloadavg()[0], 1)}))


if __name__ == "__main__":
    if sys.argv[1] == "reference":
        reference(*sys.argv[2:3])
    else:
        run(*sys.argv[2:7])
