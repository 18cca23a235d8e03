"""geohazard:demerrorcorrection vs MintPy 1.6.4 dem_error.py on the same synthetic time series.

Usage (make bench FAMILY=corrections CASE=dem_error): bench_dem_error.py WORK_DIR MINTPY_PYTHON OUT_JSON
       [--rows R --cols C --dates N] [--geometry 2d|0d] [--threads T]

A series with a known DEM error, linear + quadratic deformation and noise, as a GeoTIFF and as MintPy's
timeseries.h5 (per-pixel geometry with ``2d``, centre values with ``0d``); both run whole, one after the other;
DEM error and corrected series compared with each other and the truth.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys

import numpy as np
from common import loadavg, option, qgis_env, qgis_run, read_tif, save_json, time_v, write_tif

GT = (500000.0, 20.0, 0.0, 4200000.0, 0.0, -20.0)


def make(work, rows, cols, n, geometry, seed=0):
    import h5py

    rng = np.random.default_rng(seed)
    dates = [dt.date(2019, 1, 3) + dt.timedelta(days=12 * i) for i in range(n)]
    t = np.array([(d - dates[0]).days for d in dates]) / 365.25
    bperp = rng.normal(0, 70, n).astype(np.float32)
    bperp -= bperp[0]
    inc = (33.0 + 10.0 * np.linspace(0, 1, cols))[None, :].repeat(rows, 0).astype(np.float32)
    rng_m = (800e3 + 100e3 * np.linspace(0, 1, cols))[None, :].repeat(rows, 0).astype(np.float32)
    if geometry == "0d":
        inc[:] = 39.0
        rng_m[:] = 850e3
    yy, xx = np.mgrid[0:rows, 0:cols]
    dz = (25 * np.sin(xx / 37.0) * np.cos(yy / 53.0) + rng.normal(0, 5, (rows, cols))).astype(np.float32)  # m
    vel = -30 * np.exp(-((xx - cols / 2) ** 2 + (yy - rows / 2) ** 2) / (2 * (cols / 6) ** 2))
    ts = np.empty((n, rows, cols), np.float32)
    s = rng_m * np.sin(np.radians(inc))
    for i in range(n):
        ts[i] = vel * t[i] + 4 * t[i] ** 2 + bperp[i] / s * dz * 1000 + rng.normal(0, 1.0, (rows, cols))
    ts -= ts[0]
    defo = (vel[None] * t[:, None, None] + 4 * t[:, None, None] ** 2).astype(np.float32)
    os.makedirs(work, exist_ok=True)
    # ours: GeoTIFF + CSV
    # band-interleaved, as sbasinversion writes its time series
    tif = write_tif(os.path.join(work, "ts.tif"), ts, gt=GT, epsg=32614, descriptions=[d.isoformat() for d in dates],
                    options=["TILED=YES", "COMPRESS=DEFLATE", "BIGTIFF=YES", "INTERLEAVE=BAND", "PREDICTOR=3",
                             "ZLEVEL=1"])
    with open(os.path.join(work, "bperp.csv"), "w") as fh:
        fh.write("date,bperp_m\n" + "".join(f"{d.isoformat()},{b:.6f}\n" for d, b in zip(dates, bperp)))
    inc_tif, rng_tif = (write_tif(os.path.join(work, name), arr, gt=GT, epsg=32614,
                                  options=["TILED=YES", "COMPRESS=DEFLATE"])
                        for name, arr in (("inc.tif", inc), ("range.tif", rng_m)))
    # MintPy: timeseries.h5 in metres (+ geometry)
    attrs = {"FILE_TYPE": "timeseries", "LENGTH": rows, "WIDTH": cols, "UNIT": "m", "REF_DATE": f"{dates[0]:%Y%m%d}",
             "REF_Y": 0, "REF_X": 0, "WAVELENGTH": 0.05546576, "PLATFORM": "Sen", "CENTER_LINE_UTC": 0,
             "STARTING_RANGE": 850e3 - 2.3 * (cols - 1) / 2, "RANGE_PIXEL_SIZE": 2.3, "HEIGHT": 693000.0,
             "EARTH_RADIUS": 6371000.0, "CENTER_INCIDENCE_ANGLE": 39.0, "ALOOKS": 1, "RLOOKS": 1}
    h5 = os.path.join(work, "timeseries.h5")
    with h5py.File(h5, "w") as f:
        f.create_dataset("timeseries", data=ts / 1000.0, chunks=(n, min(rows, 128), min(cols, 128)))
        f["date"] = np.array([d.strftime("%Y%m%d").encode() for d in dates])
        f["bperp"] = bperp
        for k, v in attrs.items():
            f.attrs[k] = str(v)
    geom = None
    if geometry == "2d":
        geom = os.path.join(work, "geometryRadar.h5")
        with h5py.File(geom, "w") as f:
            f["incidenceAngle"] = inc
            f["slantRangeDistance"] = rng_m
            for k, v in {**attrs, "FILE_TYPE": "geometry"}.items():
                f.attrs[k] = str(v)
    return {"tif": tif, "csv": os.path.join(work, "bperp.csv"), "h5": h5, "geom": geom, "inc_tif": inc_tif,
            "range_tif": rng_tif, "dz": dz, "defo": defo, "ts": ts, "years": t}


def velocity(series, years):
    g = np.stack([np.ones_like(years), years], axis=1)
    return np.linalg.lstsq(g, series.reshape(series.shape[0], -1), rcond=None)[0][1].reshape(series.shape[1:])


def rms(a):
    return float(np.sqrt(np.nanmean(np.asarray(a, np.float64) ** 2)))


def main():
    work, venv_py, out_json = (os.path.abspath(a) for a in sys.argv[1:4])
    rows, cols, n = (option(sys.argv, f"--{k}", d, int) for k, d in (("rows", 200), ("cols", 250), ("dates", 30)))
    geometry = option(sys.argv, "--geometry", "2d")
    threads = option(sys.argv, "--threads", 2, int)
    env_threads = {"OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads),
                   "MKL_NUM_THREADS": str(threads), "NUMBA_NUM_THREADS": str(threads)}
    if os.path.isdir(work):
        shutil.rmtree(work)
    d = make(work, rows, cols, n, geometry)
    res = {"size": [rows, cols, n], "geometry": geometry, "threads": threads, "load_before": loadavg()}
    # MintPy whole run
    cmd = [venv_py, "-m", "mintpy.cli.dem_error", d["h5"], "-p", "2", "-o", os.path.join(work, "ts_demErr.h5"),
           "--dem-err-file", os.path.join(work, "demErr.h5")] + (["-g", d["geom"]] if d["geom"] else [])
    res["mintpy_s"] = time_v(cmd, cwd=work, env={**os.environ, **env_threads})["wall_s"]
    # ours whole run
    params = {"INPUT": d["tif"], "BASELINES": d["csv"], "OUTPUT": os.path.join(work, "ours_ts.tif"),
              "OUTPUT_DEM_ERROR": os.path.join(work, "ours_dz.tif")}
    if geometry == "2d":
        params.update({"INCIDENCE_RASTER": d["inc_tif"], "SLANT_RANGE_RASTER": d["range_tif"]})
    else:
        params.update({"INCIDENCE": 39.0, "SLANT_RANGE": 850000.0})
    res["ours_s"] = qgis_run("demerrorcorrection", params, env=qgis_env(threads, MKL_NUM_THREADS=threads))["wall_s"]
    res["load_after"] = loadavg()
    import h5py

    with h5py.File(os.path.join(work, "demErr.h5")) as f:
        dz_m = f["dem"][:].astype(np.float64)
    with h5py.File(os.path.join(work, "ts_demErr.h5")) as f:
        ts_m = f["timeseries"][:].astype(np.float64) * 1000
    dz_o, ts_o = read_tif(params["OUTPUT_DEM_ERROR"]), read_tif(params["OUTPUT"])
    res.update({
        "dz_max_abs_diff_m": float(np.nanmax(np.abs(dz_o - dz_m))), "dz_rms_diff_m": rms(dz_o - dz_m),
        "ts_max_abs_diff_mm": float(np.nanmax(np.abs(ts_o - ts_m))), "ts_rms_diff_mm": rms(ts_o - ts_m),
        "dz_rms_vs_truth_m": {"ours": rms(dz_o - d["dz"]), "mintpy": rms(dz_m - d["dz"])},
        "dz_truth_rms_m": rms(d["dz"]),
        "velocity_rms_vs_truth_mm_yr": {
            "before": rms(velocity(d["ts"], d["years"]) - velocity(d["defo"], d["years"])),
            "ours": rms(velocity(ts_o, d["years"]) - velocity(d["defo"], d["years"])),
            "mintpy": rms(velocity(ts_m, d["years"]) - velocity(d["defo"], d["years"]))},
        "ts_rms_vs_truth_mm": {"before": rms(d["ts"] - d["defo"]), "ours": rms(ts_o - d["defo"]),
                               "mintpy": rms(ts_m - d["defo"])},
    })
    save_json(out_json, res, default=float)
    print(json.dumps(res, indent=1, default=float))


if __name__ == "__main__":
    main()
