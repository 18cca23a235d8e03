"""demerrorcorrection vs MintPy 1.6.4 dem_error.py on real data: the Mexico City Sentinel-1 stack of tests/data.

Usage: /usr/bin/python3 bench_dem_error_mexico.py WORK_DIR MINTPY_PYTHON OUT_JSON

sbasinversion (qgis_process) makes the time series from the 30 GAMMA interferograms; the date baselines come
from the GAMMA ``*_bperp.par`` files (``read_date_baselines``); the same series and baselines are written as
a MintPy timeseries.h5 and both tools run with a polynomial of order 2 and the same centre slant range and
incidence. Compared: DEM error and corrected series.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))
MEX = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city")


def qp(alg, params):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_PLUGINPATH": os.path.join(ROOT, ".build", "plugins")}
    p = subprocess.run(["qgis_process.bin", "--json", "run", alg, "--"] + [f"{k}={v}" for k, v in params.items()],
                       capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    return json.loads(p.stdout[p.stdout.index("{"):])["results"]


def main():
    import h5py
    from osgeo import gdal

    from insar_geohazards.algorithms.corrections.dem_error import read_date_baselines
    from insar_geohazards.algorithms.formats.dates import parse_date

    work, venv_py, out_json = (os.path.abspath(a) for a in sys.argv[1:4])
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    folder = os.path.join(MEX, "geotiffs")
    sb = qp("geohazard:sbasinversion", {"INTERFEROGRAMS": folder, "COHERENCE": folder,
                                        "REFERENCE": "-99.1780,19.4400 [EPSG:4326]", "MIN_TEMPORAL_COHERENCE": 0.0,
                                        "OUTPUT_TIMESERIES": os.path.join(work, "ts.tif"),
                                        "OUTPUT_VELOCITY": os.path.join(work, "v.tif")})
    ds = gdal.Open(sb["OUTPUT_TIMESERIES"])
    ts = ds.ReadAsArray().astype(np.float64)
    dates = [parse_date(ds.GetRasterBand(i + 1).GetDescription()) for i in range(ds.RasterCount)]
    ds = None
    bperp = read_date_baselines([os.path.join(MEX, "baselines")], dates)
    n, rows, cols = ts.shape
    attrs = {"FILE_TYPE": "timeseries", "LENGTH": rows, "WIDTH": cols, "UNIT": "m", "REF_DATE": f"{dates[0]:%Y%m%d}",
             "REF_Y": 0, "REF_X": 0, "WAVELENGTH": 0.0555, "CENTER_LINE_UTC": 0, "STARTING_RANGE": 850e3,
             "RANGE_PIXEL_SIZE": 0.0, "HEIGHT": 693000.0, "EARTH_RADIUS": 6371000.0, "CENTER_INCIDENCE_ANGLE": 39.0}
    h5 = os.path.join(work, "timeseries.h5")
    with h5py.File(h5, "w") as f:
        f["timeseries"] = np.nan_to_num(ts / 1000.0).astype(np.float32)
        f["date"] = np.array([d.strftime("%Y%m%d").encode() for d in dates])
        f["bperp"] = bperp.astype(np.float32)
        for k, v in attrs.items():
            f.attrs[k] = str(v)
    csvf = os.path.join(work, "bperp.csv")
    with open(csvf, "w") as fh:
        fh.write("".join(f"{d.isoformat()},{b:.6f}\n" for d, b in zip(dates, bperp)))
    p = subprocess.run([venv_py, "-m", "mintpy.cli.dem_error", h5, "-p", "2", "-o", os.path.join(work, "mp.h5"),
                        "--dem-err-file", os.path.join(work, "demErr.h5")], capture_output=True, text=True, cwd=work)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    ours = qp("geohazard:demerrorcorrection", {"INPUT": sb["OUTPUT_TIMESERIES"], "BASELINES": csvf,
                                               "SLANT_RANGE": 850000.0, "INCIDENCE": 39.0,
                                               "OUTPUT": os.path.join(work, "ours.tif"),
                                               "OUTPUT_DEM_ERROR": os.path.join(work, "dz.tif")})
    with h5py.File(os.path.join(work, "demErr.h5")) as f:
        dz_m = f["dem"][:].astype(np.float64)
    with h5py.File(os.path.join(work, "mp.h5")) as f:
        ts_m = f["timeseries"][:].astype(np.float64) * 1000
    dz_o = gdal.Open(ours["OUTPUT_DEM_ERROR"]).ReadAsArray().astype(np.float64)
    ts_o = gdal.Open(ours["OUTPUT"]).ReadAsArray().astype(np.float64)
    ok = np.isfinite(dz_o) & np.isfinite(ts).all(axis=0) & (dz_m != 0)
    res = {"dates": n, "pixels_compared": int(ok.sum()), "bperp_m": [round(float(b), 2) for b in bperp],
           "dz_max_abs_diff_m": float(np.max(np.abs(dz_o - dz_m)[ok])),
           "dz_abs_p99_m": float(np.percentile(np.abs(dz_o[ok]), 99)),
           "ts_max_abs_diff_mm": float(np.max(np.abs(ts_o - ts_m)[:, ok])),
           "load": os.getloadavg()}
    with open(out_json, "w") as fh:
        json.dump(res, fh, indent=1)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
