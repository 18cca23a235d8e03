"""LiCSBAS time series, ``cum.h5`` and ``cum_filt.h5``, as dated raster layers.

Layout, from LiCSBAS's own code (github.com/yumorishita/LiCSBAS and LiCSBAS2, ``bin/LiCSBAS13_sb_inv.py`` writes
``cum.h5``, ``bin/LiCSBAS16_filt_ts.py`` copies it into ``cum_filt.h5``; Morishita et al. 2020,
doi:10.3390/rs12030424):

``cum`` (n_im, length, width) float32
    cumulative LOS displacement in **mm** from the first date (0 there); NaN where not inverted. LiCSBAS turns
    phase into mm with ``coef_r2m = -wavelength / (4 pi) * 1000`` ("positive is -LOS"): positive is a shorter
    range, **toward the satellite** (uplift), as in this project: no sign change.
``imdates`` (n_im,) int32 ``YYYYMMDD``; ``bperp`` (n_im,) m (absent when LiCSBAS had only dummy baselines)
``vel`` (length, width) mm/yr, ``vintercept`` mm, ``resid_rms`` mm, ``coh_avg``, ``n_gap``, ``n_unw`` ...,
``hgt`` m; ``cum_filt.h5`` also ``vstd`` (mm/yr), ``stc`` (mm), ``mask`` (1 kept, 0 masked, NaN no data)
``corner_lat``, ``corner_lon``, ``post_lat`` (negative), ``post_lon``: scalars in degrees (WGS 84), copied from
    GAMMA's ``EQA.dem_par``: the corner is the **centre** of the first pixel (``LiCSBAS_flt2geotiff.py`` sets the
    GeoTIFF's edge half a post away). Absent when the time series is in radar coordinates.
``refarea`` ``'x1:x2/y1:y2'`` (columns x1..x2-1, rows y1..y2-1): the reference LiCSBAS chose after the inversion
    (one pixel) and subtracted from ``cum`` and ``vel``.
``E.geo``, ``N.geo``, ``U.geo``
    the ground-to-satellite unit vector (LiCSAR's ``.geo.E/N/U.tif``), when LiCSBAS found them.

The wavelength is not in the file: LiCSBAS13 writes it (metres) as ``wavelength:`` to ``info/13parameters.txt`` in
the same folder (``TS_GEOCml*``), from ``radar_frequency`` of ``GEOCml*/slc.mli.par``; both are read, in that
order.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from typing import Optional

import numpy as np

from ..errors import GeohazardError
from ..plausibility import WAVELENGTH_M
from .hdf5 import DatedLayer
from .licsar import circular_mean_deg, enu_angles
from .producer_spec import Producer

#: Each dataset's unit as LiCSBAS writes it -> (factor into ours, our unit).
DATASET_UNITS = {
    "cum": (1.0, "mm"), "vel": (1.0, "mm/yr"), "vintercept": (1.0, "mm"), "resid_rms": (1.0, "mm"),
    "vstd": (1.0, "mm/yr"), "stc": (1.0, "mm"), "hgt": (1.0, "m"), "coh_avg": (1.0, ""), "n_gap": (1.0, ""),
    "n_unw": (1.0, ""), "n_loop_err": (1.0, ""), "n_ifg_noloop": (1.0, ""), "maxTlen": (1.0, ""),
    "slc.mli": (1.0, ""), "mask": (1.0, ""), "E.geo": (1.0, ""), "N.geo": (1.0, ""), "U.geo": (1.0, ""),
}
#: LOS displacement and velocity datasets (positive toward the satellite, referenced at ``refarea``).
DISPLACEMENT = ("cum", "vel")
_GRID = ("corner_lat", "corner_lon", "post_lat", "post_lon")
#: LiCSBAS's parameter files holding the wavelength, relative to the folder of ``cum.h5``.
PARAMETER_FILES = (os.path.join("info", "13parameters.txt"),)
_SPEED_OF_LIGHT = 299792458.0


def is_licsbas(names, attrs: dict) -> bool:
    """The HDF5 file's root (its member ``names``, attributes ``attrs``) is LiCSBAS's ``cum.h5`` layout: ``cum``
    with ``imdates`` or LiCSBAS's grid scalars, no MintPy ``FILE_TYPE``."""
    names = set(names)
    return "cum" in names and ("imdates" in names or "refarea" in names or "post_lat" in names) \
        and "FILE_TYPE" not in attrs


def _scalar(f, key: str, name: str) -> float:
    try:
        v = float(np.asarray(f[key][()]).reshape(-1)[0])
    except (KeyError, TypeError, ValueError, IndexError, OSError):
        raise GeohazardError(f"{name}: the dataset {key!r} is not a number (LiCSBAS writes it from EQA.dem_par)") \
            from None
    if not np.isfinite(v):
        raise GeohazardError(f"{name}: the dataset {key!r} is {v}")
    return v


def georeference(f, name: str, shape: tuple) -> tuple:
    """GDAL geotransform (EPSG:4326) of a LiCSBAS time series: ``corner_lat/lon`` are the first pixel's centre."""
    missing = [k for k in _GRID if k not in f]
    if missing:
        raise GeohazardError(
            f"{name} is a LiCSBAS time series in radar coordinates (no {', '.join(missing)}): LiCSBAS writes them "
            "when its GEOCml* input is geocoded, as LiCSAR's GeoTIFFs are. Run LiCSBAS on the GEOC GeoTIFFs "
            "(LiCSBAS01_get_geotiff.py, LiCSBAS02_ml_prep.py), or give its GeoTIFF exports (LiCSBAS_flt2geotiff.py)")
    lat1, lon1, dlat, dlon = (_scalar(f, k, name) for k in _GRID)
    if dlat >= 0 or dlon <= 0:
        raise GeohazardError(f"{name}: post_lat={dlat:g}, post_lon={dlon:g}: LiCSBAS's posts are negative in "
                             "latitude and positive in longitude (EQA.dem_par)")
    south = lat1 + dlat * (shape[0] - 1)
    if not (-90.0 <= south <= lat1 <= 90.0 and -360.0 <= lon1 <= 360.0):
        raise GeohazardError(f"{name}: corner_lat={lat1:g}, corner_lon={lon1:g} with {shape[0]} rows of "
                             f"{dlat:g} deg are not latitude/longitude")
    return (lon1 - dlon / 2.0, dlon, 0.0, lat1 - dlat / 2.0, 0.0, dlat)


def reference_area(f, name: str, shape: tuple) -> Optional[tuple]:
    """``(y1, y2, x1, x2)`` of ``refarea`` (``'x1:x2/y1:y2'``), or None when the file has none."""
    if "refarea" not in f:
        return None
    raw = f["refarea"][()]
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    nums = re.split("[:/]", text.strip())
    try:
        x1, x2, y1, y2 = (int(v) for v in nums)
    except ValueError:
        raise GeohazardError(f"{name}: refarea {text!r} is not LiCSBAS's 'x1:x2/y1:y2'") from None
    if not (0 <= x1 < x2 <= shape[1] and 0 <= y1 < y2 <= shape[0]):
        raise GeohazardError(f"{name}: refarea {text!r} is outside its {shape[0]} x {shape[1]} pixels")
    return y1, y2, x1, x2


def imdates(f, name: str, n: int) -> list:
    """The dates of ``cum``'s bands (``imdates``, YYYYMMDD integers or text)."""
    vals = np.asarray(f["imdates"][()]).reshape(-1)
    if vals.size != n:
        raise GeohazardError(f"{name}: 'imdates' holds {vals.size} dates but 'cum' {n} bands")
    out = []
    for v in vals:
        text = v.decode() if isinstance(v, bytes) else str(int(v)) if np.issubdtype(type(v), np.number) else str(v)
        try:
            out.append(_dt.date(int(text[:4]), int(text[4:6]), int(text[6:8])))
        except ValueError:
            raise GeohazardError(f"{name}: 'imdates' holds {text!r}, not a YYYYMMDD date") from None
    if any(b <= a for a, b in zip(out, out[1:])):
        raise GeohazardError(f"{name}: 'imdates' are not in increasing order")
    return out


def _read_key(path: str, key: str) -> Optional[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                k, _, v = line.partition(":")
                if k.strip() == key and v.strip():
                    return v.split()[0]
    except OSError:
        return None
    return None


def wavelength(path: str, name: str) -> Optional[tuple[str, float]]:
    """``(file it came from, metres)`` of a LiCSBAS time series: ``info/13parameters.txt`` beside it, else
    ``radar_frequency`` (Hz) of ``slc.mli.par`` in the GEOCml* folder the TS_GEOCml* folder is named after; None
    when neither is there. A value that is not a radar wavelength in metres is refused, naming the file."""
    folder = os.path.dirname(os.path.abspath(path))
    cands = [(os.path.join(folder, rel), "wavelength", 1.0) for rel in PARAMETER_FILES]
    base = os.path.basename(folder)
    if base.startswith("TS_"):
        cands.append((os.path.join(os.path.dirname(folder), base[3:], "slc.mli.par"), "radar_frequency", None))
    for cand, key, _ in cands:
        text = _read_key(cand, key)
        if text is None:
            continue
        rel = os.path.relpath(cand, folder)
        try:
            value = float(text)
        except ValueError:
            raise GeohazardError(f"{name}: {rel} gives {key} {text!r}, not a number") from None
        if key == "radar_frequency":
            value = _SPEED_OF_LIGHT / value if value > 0 else float("nan")
        if not (WAVELENGTH_M.low <= value <= WAVELENGTH_M.high):
            raise GeohazardError(f"{name}: {rel} gives a wavelength of {value:g} m ({key} {text}), not a radar "
                                 f"wavelength in metres ({WAVELENGTH_M.usual}); is the file another stack's or "
                                 "edited in other units?")
        return rel, value
    return None


def _enu_scene(f, name: str) -> dict:
    """Scene incidence and heading (mean over the valid pixels) of ``E.geo``/``N.geo``/``U.geo``, read 256 rows at
    a time; empty without them."""
    if not all(k in f for k in ("E.geo", "N.geo", "U.geo")):
        return {}
    e_ds, n_ds, u_ds = f["E.geo"], f["N.geo"], f["U.geo"]
    inc_sum, count, heads = 0.0, 0, []
    for r0 in range(0, e_ds.shape[0], 256):
        sl = slice(r0, r0 + 256)
        try:
            inc, head = enu_angles(e_ds[sl], n_ds[sl], u_ds[sl])
        except GeohazardError as exc:
            raise GeohazardError(f"{name}: E.geo/N.geo/U.geo: {exc}") from None
        ok = np.isfinite(inc)
        inc_sum += float(inc[ok].sum())
        count += int(ok.sum())
        heads.append(circular_mean_deg(head[ok]) if ok.any() else np.nan)
    if not count:
        return {}
    return {"INCIDENCE_DEG": f"{inc_sum / count:.10g}", "HEADING_DEG": f"{circular_mean_deg(heads):.10g}"}


def open_layer(f, path: str, label: str, found: dict, dataset: Optional[str], purpose: Optional[str]) -> DatedLayer:
    """A dataset of an open LiCSBAS ``cum.h5``/``cum_filt.h5`` (``f``, h5py) as a dated raster layer.

    Returns the layer in our units (mm, mm/yr, degrees), its band dates ``imdates``, the reference (``refarea``,
    the first date), the wavelength and scene incidence / heading (:func:`wavelength`, ``E/N/U.geo``) as metadata,
    and in ``sources`` the log lines saying which file and dataset each came from.
    """
    listing = ", ".join(sorted(found))
    if purpose in ("incidence", "heading", "dem", "slant_range") and not dataset:
        raise GeohazardError(f"{label} is a LiCSBAS time series: it holds no per-pixel {purpose.replace('_', ' ')} "
                             f"raster (it holds {listing}); its scene incidence and heading (E/N/U.geo) are carried "
                             "by its displacement, give that as the input")
    if "imdates" not in f:
        raise GeohazardError(f"{label} is a LiCSBAS time series without its 'imdates' dataset (the dates of 'cum'; "
                             f"it holds {listing}): the file is incomplete")
    name = dataset or "cum"
    if name not in found:
        raise GeohazardError(f"{label} has no dataset {name!r} (it holds {listing})")
    ds = found[name]
    n, rows, cols = int(f["cum"].shape[0]), *(int(v) for v in f["cum"].shape[-2:])
    if tuple(ds.shape[-2:]) != (rows, cols):
        raise GeohazardError(f"{label}: dataset {name!r} has {ds.shape[-2]} x {ds.shape[-1]} pixels, 'cum' "
                             f"{rows} x {cols}")
    if name not in DATASET_UNITS:
        raise GeohazardError(f"{label}: dataset {name!r} is not one of LiCSBAS's rasters this reader knows "
                             f"({', '.join(DATASET_UNITS)})")
    gt = georeference(f, label, (rows, cols))
    dates = imdates(f, label, n)
    bands = int(ds.shape[0]) if ds.ndim == 3 else 1
    if ds.ndim == 3 and bands != n:
        raise GeohazardError(f"{label}: dataset {name!r} has {bands} bands, 'imdates' {n} dates")
    factor, unit = DATASET_UNITS[name]
    base = os.path.basename(path)
    meta = {"LICSBAS_FILE": base, "LICSBAS_DATASET": name, "PRODUCER": "LiCSBAS"}
    if unit:
        meta["UNIT"] = unit
    sources = []
    ref = None
    if name in DISPLACEMENT:
        meta["SIGN"] = "LOS positive toward the satellite"
        area = reference_area(f, label, (rows, cols))
        if area is not None:
            y1, y2, x1, x2 = area
            ref = (y1, x1) if (y2 - y1, x2 - x1) == (1, 1) else None
            meta["REFERENCE_AREA"] = f"rows {y1}-{y2 - 1}, columns {x1}-{x2 - 1}"
            if ref is not None:
                meta["REFERENCE_ROW"], meta["REFERENCE_COL"] = str(ref[0]), str(ref[1])
                meta["REFERENCE_X"] = f"{gt[0] + (x1 + 0.5) * gt[1]:.8f}"
                meta["REFERENCE_Y"] = f"{gt[3] + (y1 + 0.5) * gt[5]:.8f}"
            sources.append(f"reference {meta['REFERENCE_AREA']} from its 'refarea' dataset")
        meta["REFERENCE_DATE"] = dates[0].isoformat()
        scene = _enu_scene(f, label)
        if scene:
            meta.update(scene)
            sources.append(f"scene incidence {float(scene['INCIDENCE_DEG']):.2f} deg and heading "
                           f"{float(scene['HEADING_DEG']):.2f} deg from its E.geo/N.geo/U.geo datasets (mean of "
                           "arccos(U) and of atan2(-E, -N) - 90)")
        wl = wavelength(path, label)
        if wl is not None:
            meta["WAVELENGTH_M"] = f"{wl[1]:.10g}"
            sources.append(f"wavelength {wl[1]:.8g} m from {wl[0]}")
        if "bperp" in f and f["bperp"].shape == (n,):
            bp = np.asarray(f["bperp"][()], float)
            if np.all(np.isfinite(bp)) and np.all(np.abs(bp) < 1e4):
                meta["PERPENDICULAR_BASELINES_M"] = ",".join(f"{v - bp[0]:.3f}" for v in bp)
                sources.append("perpendicular baselines from its 'bperp' dataset")
    if name == "vel":
        meta["START_DATE"], meta["END_DATE"] = dates[0].isoformat(), dates[-1].isoformat()
    descriptions = [d.isoformat() for d in dates] if ds.ndim == 3 else [name]
    return DatedLayer(path, name, "time series", (rows, cols), bands, gt, 4326, factor, unit,
                       {"mm": "mm", "mm/yr": "mm/yr", "m": "m"}.get(unit, ""), dates if ds.ndim == 3 else None, ref,
                       None, meta, descriptions, producer="LiCSBAS",
                       georeference="corner_lat/corner_lon/post_lat/post_lon: first pixel's centre", sources=sources)


# ------------------------------------------------------------------ the producer
#: LiCSBAS's cum.h5 / cum_filt.h5 (dated layers).
PRODUCER = Producer("LiCSBAS", claims_h5=lambda f, basename, attrs: is_licsbas(f.keys(), attrs),
                    read_h5_layer=open_layer)
