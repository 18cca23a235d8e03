"""Time-series corrections (closure, DEM error, PCA) through headless ``qgis_process --json run``."""

import datetime as dt
import os

import numpy as np
from testutils import write_geotiff
from testutils_cli import requires_qgis_process, run_json

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MEXICO = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city", "geotiffs")
pytestmark = requires_qgis_process


def test_unwrapclosurecorrection_mexico_city(tmp_path):
    res = run_json("geohazard:unwrapclosurecorrection", {
        "INTERFEROGRAMS": MEXICO, "COHERENCE": MEXICO, "OUTPUT": str(tmp_path / "fixed"),
        "OUTPUT_STATS": str(tmp_path / "stats.csv"), "OUTPUT_NONCLOSING": str(tmp_path / "nc.tif")})
    assert len([f for f in os.listdir(res["OUTPUT"]) if f.endswith("_unw.tif")]) == 30
    import csv

    with open(res["OUTPUT_STATS"]) as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 30 and not any(r["bad"] == "True" for r in rows)  # the stack closes (RMS < 1.5 rad)


def test_demerrorcorrection_csv(tmp_path):
    dates = [dt.date(2021, 1, 5) + dt.timedelta(days=12 * i) for i in range(10)]
    b = 60 * np.sin(np.arange(10.0))
    dz = np.full((6, 7), 30.0)
    ts = (b[:, None, None] - b[0]) / (850e3 * np.sin(np.radians(39))) * dz * 1000
    path = write_geotiff(tmp_path / "ts.tif", ts, descriptions=[d.isoformat() for d in dates])
    csvf = tmp_path / "b.csv"
    csvf.write_text("".join(f"{d:%Y%m%d},{v}\n" for d, v in zip(dates, b)))
    res = run_json("geohazard:demerrorcorrection", {"INPUT": path, "BASELINES": [str(csvf)], "SLANT_RANGE": 850000.0,
                                                    "INCIDENCE": 39.0,
                                                    "OUTPUT": str(tmp_path / "c.tif"),
                                                    "OUTPUT_DEM_ERROR": str(tmp_path / "dz.tif")})
    from osgeo import gdal

    np.testing.assert_allclose(gdal.Open(res["OUTPUT_DEM_ERROR"]).ReadAsArray(), 30.0, atol=1e-3)
    assert np.abs(gdal.Open(res["OUTPUT"]).ReadAsArray()).max() < 1e-3
