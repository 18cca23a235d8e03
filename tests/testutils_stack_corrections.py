"""Shared inputs and readers of the stack correction tools' processing tests."""

from __future__ import annotations

import csv
import os

import numpy as np
from testutils_corrections import synthetic_stack, write_stack_tifs, write_tif

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


MEXICO = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city")


def _wkt(epsg=32614):
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    return srs.ExportToWkt()


def _read(path):
    from osgeo import gdal

    ds = gdal.Open(str(path))
    arr = ds.GetRasterBand(1).ReadAsArray().astype(float)
    ds = None
    return arr


def _stack(tmp, **kw):
    s = synthetic_stack(**kw)
    files = write_stack_tifs(os.path.join(tmp, "ifgs"), s["ifg_mm"], s["dates"], s["pairs"])
    gt = (500000.0, 30.0, 0, 2150000.0, 0, -30.0)
    dem = write_tif(os.path.join(tmp, "dem.tif"), s["dem"], _wkt(), gt)
    return s, files, dem


def _pair_arrays(folder, s):
    out = []
    for i, j in s["pairs"]:
        a, b = s["dates"][i], s["dates"][j]
        out.append(_read(os.path.join(folder, f"{a:%Y%m%d}_{b:%Y%m%d}_unw.tif")))
    return np.stack(out)


def _gacos(folder, date, zen, gt):
    os.makedirs(folder, exist_ok=True)
    p = os.path.join(folder, f"{date:%Y%m%d}.ztd")
    np.asarray(zen, "<f4").tofile(p)
    with open(p + ".rsc", "w") as fh:
        fh.write(f"WIDTH {zen.shape[1]}\nFILE_LENGTH {zen.shape[0]}\nX_FIRST {gt[0]}\nY_FIRST {gt[3]}\n"
                 f"X_STEP {gt[1]}\nY_STEP {gt[5]}\n")
    return p


def _report(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _height_uplift_stack(tmp, step=150.0):
    """20 dates: uplift of the high ground (+100 mm/yr at the top, correlation > 0.9 with the height), a random
    stratified delay of 2 mm/km and turbulence; 150 m pixels."""
    s = synthetic_stack(shape=(48, 64), n_dates=20, seed=31, bowl_mm_yr=0.0, strat_mm_per_km=2.0, turb_mm=0.5,
                        day_step=12)
    rate = 100.0 * (s["dem"] - s["dem"].min()) / np.ptp(s["dem"])
    defo = s["years"][:, None, None] * rate[None]
    ifg = s["ifg_mm"] + np.stack([defo[j] - defo[i] for i, j in s["pairs"]])
    files = write_stack_tifs(os.path.join(tmp, "ifgs"), ifg, s["dates"], s["pairs"], step=step)
    dem = write_tif(os.path.join(tmp, "dem.tif"), s["dem"], _wkt(), (500000.0, step, 0, 2150000.0, 0, -step))
    return s, files, dem, rate, ifg
