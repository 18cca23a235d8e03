"""Small multi-sensor scenes with known truth for the multisensortimeseries tests (GeoTIFFs as our SBAS/PS tools
write them: one band per date, ISO dates as band descriptions, UNIT and WAVELENGTH_M metadata)."""

from __future__ import annotations

import datetime as dt
import math
import os

import numpy as np
from testutils import write_geotiff

GT = (500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0)
EPSG = 32633
S1 = 299_792_458.0 / 5.405e9
TSX = 299_792_458.0 / 9.65e9
SHAPE = (18, 22)


def los_vector(incidence_deg, heading_deg):
    """Ground-to-satellite unit vector (east, north, up) of a right-looking radar."""
    i, h = math.radians(incidence_deg), math.radians(heading_deg)
    return -math.sin(i) * math.cos(h), math.sin(i) * math.sin(h), math.cos(i)


def truth(shape, dates, t0=dt.date(2019, 1, 1), bowl=0.25):
    """East, north, up (n, rows, cols) mm: a subsidence bowl moving inward (its width ``bowl`` times the rows), a
    seasonal term, zero at the first row and column corner (the reference pixel)."""
    rows, cols = shape
    yy, xx = np.mgrid[0:rows, 0:cols].astype(float)
    g = np.exp(-((yy - rows * 0.55) ** 2 + (xx - cols * 0.5) ** 2) / (2 * (rows * bowl) ** 2))
    t = np.array([(d - t0).days for d in dates], float)[:, None, None] / 365.25
    up = -25.0 * g * t + 4.0 * g * np.sin(2 * math.pi * t)
    east = 6.0 * (xx - cols * 0.5) / cols * g * t
    north = 2.0 * g * t
    return [a - a[:, :1, :1] for a in (east, north, up)]


def write_raster(path, arr, *, gt=GT, epsg=EPSG, descriptions=None, metadata=None):
    """A float32 GeoTIFF on the scene's grid, NaN as nodata."""
    return write_geotiff(path, arr, geotransform=gt, epsg=epsg, nodata=float("nan"), descriptions=descriptions,
                         metadata=metadata)


def dates_every(start, days, n, skip=()):
    return [start + dt.timedelta(days=days * k) for k in range(n) if k not in skip]


def scene(folder, *, seed=0, shape=SHAPE, with_ifg=True, metadata_geometry=True, noise_mm=1.0, bowl=0.25):
    """Write a three-stack scene into ``folder``: Sentinel-1 ascending and descending per-date series (the ascending
    one with INCIDENCE_DEG / HEADING_DEG metadata when ``metadata_geometry``) and, with ``with_ifg``, a TerraSAR-X
    ascending interferogram stack in radians (WAVELENGTH_M metadata) described by a manifest.

    Returns a dict: ``series`` (paths), ``geometry`` ((incidence, heading) per series), ``manifest`` (path or None),
    ``truth(dates)`` -> (east, north, up), ``stacks`` (name -> (dates or pairs, values mm or rad, LOS vector))."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    out = {"series": [], "geometry": [], "manifest": None, "stacks": {}, "shape": shape}
    specs = [("s1_asc", 36.0, -12.0, dates_every(dt.date(2019, 1, 3), 12, 70, skip=(9, 33))),
             ("s1_desc", 41.0, 192.0, dates_every(dt.date(2019, 1, 8), 12, 68, skip=(20,)))]
    for name, inc, head, dates in specs:
        e, n, u = los_vector(inc, head)
        te, tn, tu = truth(shape, dates, bowl=bowl)
        los = te * e + tn * n + tu * u
        atm = rng.normal(0, 2.0, (len(dates), 1, 1)) * np.linspace(0, 1, shape[1])[None, None, :]
        vals = los + atm + rng.normal(0, noise_mm, los.shape)
        vals[:, 0, 0] = 0.0
        vals -= vals[:1]
        md = {"UNIT": "mm", "WAVELENGTH_M": f"{S1:.10g}", "SIGN": "LOS positive toward the satellite"}
        if metadata_geometry and name == "s1_asc":
            md.update({"INCIDENCE_DEG": inc, "HEADING_DEG": head})
        path = write_raster(os.path.join(folder, f"{name}.tif"), vals, descriptions=[d.isoformat() for d in dates],
                            metadata=md)
        out["series"].append(path)
        out["geometry"].append((inc, head))
        out["stacks"][name] = (dates, vals, (e, n, u))
    if with_ifg:
        inc, head = 30.0, -10.0
        e, n, u = los_vector(inc, head)
        dates = dates_every(dt.date(2019, 1, 5), 11, 60)
        te, tn, tu = truth(shape, dates, bowl=bowl)
        screen = rng.normal(0, 1.5, (len(dates), 1, 1)) * np.linspace(1, 0, shape[0])[None, :, None]
        acq = te * e + tn * n + tu * u + screen
        sub = os.path.join(folder, "tsx_asc")
        os.makedirs(sub, exist_ok=True)
        mm_per_rad = TSX / (4 * math.pi) * 1000.0
        pairs, vals = [], []
        for a in range(len(dates)):
            for b in range(a + 1, min(len(dates), a + 3)):
                ifg = acq[b] - acq[a] + rng.normal(0, 0.6, shape)
                ifg -= ifg[0, 0]
                phase = -ifg / mm_per_rad  # phase grows with range
                write_raster(os.path.join(sub, f"{dates[a]:%Y%m%d}_{dates[b]:%Y%m%d}.unw.tif"), phase,
                             metadata={"WAVELENGTH_M": f"{TSX:.10g}"})
                pairs.append((dates[a], dates[b]))
                vals.append(phase)
        manifest = os.path.join(folder, "stacks.csv")
        with open(manifest, "w", encoding="utf-8") as fh:
            fh.write("name,path,kind,incidence_deg,heading_deg\n")
            fh.write(f"tsx_asc,tsx_asc,interferograms,{inc},{head}\n")
        out["manifest"] = manifest
        out["stacks"]["tsx_asc"] = (pairs, np.array(vals), (e, n, u))
    out["truth"] = lambda dates: truth(shape, dates, bowl=bowl)
    return out
