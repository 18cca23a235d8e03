"""Scores of the corrections chain on a stack with its truth (the practice corrections stack's layout and
``truth.npz``; the truth is read here only, never by a run).

Unwrapping errors, as the practice README counts them: a planted value (``truth.npz`` ``planted``: cycles per
interferogram and pixel) is *fixed* when the corrected interferogram is within half a cycle of the clean one
(the input less the planted cycles), both relative to the same reference pixel (``ref_yx``); a *new* error is a
value with data and nothing planted that is half a cycle or more off after the correction (*lost*: a value with data
the result left without); a dropped interferogram fixes none of its planted values. Velocity: RMS (mm/yr) of the
velocity less the truth (``vel_mm_yr``), both referenced to the mean of the stable area (``stable``), over the
pixels where every compared velocity has a value.
"""

from __future__ import annotations

import glob
import os

import numpy as np

TWO_PI = 2.0 * np.pi


def read_tif(path):
    from osgeo import gdal

    ds = gdal.Open(path)
    band = ds.GetRasterBand(1)
    arr = band.ReadAsArray().astype(np.float64)
    nd = band.GetNoDataValue()
    if nd is not None and np.isfinite(nd):
        arr[arr == nd] = np.nan
    return arr


def interferograms(stack: str) -> tuple:
    """``(names, unwrapped (M, rows, cols) rad)`` of the stack's ``unw/*.unw.tif``, in name order."""
    paths = sorted(glob.glob(os.path.join(stack, "unw", "*.unw.tif")))
    names = [os.path.basename(p).split(".")[0] for p in paths]
    return names, np.stack([read_tif(p) for p in paths])


def truth(stack: str) -> dict:
    t = np.load(os.path.join(stack, "truth.npz"))
    return {k: t[k] for k in t.files}


def score_unwrapping(stack: str, corrected: dict) -> dict:
    """Fixed / new / dropped of ``corrected`` ({interferogram name: radians (rows, cols)}, a name missing or None
    = dropped) against the truth; totals and one row per interferogram with planted, fixed or new values."""
    t = truth(stack)
    names, unw = interferograms(stack)
    order = [list(t["names"]).index(n) for n in names]
    planted = t["planted"][order].astype(np.int64)
    ry, rx = (int(v) for v in t["ref_yx"])
    rows, tot = [], {"planted": 0, "fixed": 0, "new": 0, "lost": 0, "dropped": [],
                 "planted_in_dropped": 0}
    for k, name in enumerate(names):
        pk = planted[k] != 0
        has = np.isfinite(unw[k])
        tot["planted"] += int(pk.sum())
        c = corrected.get(name)
        if c is None:
            tot["dropped"].append(name)
            tot["planted_in_dropped"] += int(pk.sum())
            if pk.any():
                rows.append({"ifg": name, "planted": int(pk.sum()), "fixed": 0, "new": 0, "dropped": True})
            continue
        clean = unw[k] - TWO_PI * planted[k]
        err = (c - c[ry, rx]) - (clean - clean[ry, rx])
        good = np.abs(err) < np.pi  # False where the result lost a value, or the reference has none
        fixed = int((pk & good).sum())
        new = int((~pk & has & np.isfinite(c) & ~good).sum())
        lost = int((has & ~np.isfinite(c)).sum())
        tot["fixed"] += fixed
        tot["new"] += new
        tot["lost"] += lost
        if pk.any() or new:
            rows.append({"ifg": name, "planted": int(pk.sum()), "fixed": fixed, "new": new, "lost": lost,
                         "dropped": False})
    tot["fixed_share"] = round(tot["fixed"] / max(1, tot["planted"]), 5)
    tot["rows"] = rows
    return tot


def corrected_folder(folder: str, names) -> dict:
    """{name: radians} of the corrected interferograms a tool wrote in ``folder`` (same file names as the input);
    a name without its file is dropped."""
    out = {}
    for n in names:
        p = os.path.join(folder, f"{n}.unw.tif")
        if os.path.exists(p):
            out[n] = read_tif(p)
    return out


def velocity_rms(stack: str, velocities: dict) -> dict:
    """RMS (mm/yr) of each of ``velocities`` ({label: (rows, cols) mm/yr, LOS toward the satellite}) against the
    truth, each referenced to the mean of the stable area, over the pixels where all have a value."""
    t = truth(stack)
    vt = t["vel_mm_yr"].astype(np.float64)
    stable = t["stable"]
    common = np.logical_and.reduce([np.isfinite(v) for v in velocities.values()])
    out = {"pixels": int(common.sum())}
    for label, v in velocities.items():
        st = stable & np.isfinite(v)
        e = (v - v[st].mean()) - (vt - vt[stable].mean())
        out[label] = round(float(np.sqrt(np.mean(e[common] ** 2))), 4)
    return out


def dem_error_rms(stack: str, dz_m: dict) -> dict:
    """RMS (m) of each DEM error estimate against the truth (``dz_m``), on the pixels where all have a value."""
    t = truth(stack)
    common = np.logical_and.reduce([np.isfinite(v) for v in dz_m.values()])
    return {label: round(float(np.sqrt(np.mean((v - t["dz_m"])[common] ** 2))), 3) for label, v in dz_m.items()}
