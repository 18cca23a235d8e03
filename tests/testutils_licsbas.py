"""LiCSBAS time series written the way LiCSBAS writes them, for the tests (no QGIS, no LiCSBAS needed).

What LiCSBAS writes, read from its own code (github.com/yumorishita/LiCSBAS and LiCSBAS2, GPL-3.0):

* ``bin/LiCSBAS13_sb_inv.py``: ``cum.h5`` in ``TS_GEOCml*/`` with ``imdates`` (``[np.int32(imd) for imd in
  imdates]``), ``bperp`` (only when the baselines are not dummies), ``gap`` int8 (n_im - 1, length, width), then
  for a geocoded stack the scalars ``corner_lat``, ``corner_lon``, ``post_lat`` (negative), ``post_lon`` of
  ``EQA.dem_par`` (the first pixel's centre), ``refarea`` as the text ``'x1:x2/y1:y2'`` of the one pixel chosen
  after the inversion, ``cum`` (n_im, length, width) float32 mm (``coef_r2m = -wavelength/4/pi*1000``, "positive
  is -LOS": toward the satellite), ``vel`` mm/yr and ``vintercept`` mm referenced to that pixel, gzip compressed;
  the indices ``coh_avg``, ``hgt``, ``n_loop_err``, ``n_unw``, ``slc.mli``, ``maxTlen``, ``n_gap``,
  ``n_ifg_noloop``, ``resid_rms``; and ``E.geo``, ``N.geo``, ``U.geo`` from GEOCml*. It writes the wavelength as
  ``print('wavelength:     {}'.format(wavelength), file=f)`` to ``info/13parameters.txt``.
* ``bin/LiCSBAS16_filt_ts.py``: ``cum_filt.h5`` with the same grid and dates, ``cum`` filtered, ``vel``, ``mask``
  (1 kept, 0 masked, NaN no data), ``vstd``, ``stc``, ``filtwidth_yr``, ``filtwidth_km``.
* Pixels LiCSBAS did not invert are NaN in ``cum`` and ``vel`` (``np.zeros(...) * np.nan``).
"""

from __future__ import annotations

import datetime as dt
import os

import numpy as np

WAVELENGTH_S1 = 0.05546576
#: A LiCSAR frame's EQA.dem_par corner (first pixel's centre) and posts, degrees.
CORNER = (39.9995, 25.0005, -0.001, 0.001)
INCIDENCE, HEADING = 38.5, 190.0


def _h5py():
    import pytest

    return pytest.importorskip("h5py", reason="h5py is not installed")


def scene(rows=10, cols=12, n=9, step_days=12):
    """``(dates, cum_mm, vel_mm_yr, ref_yx)``: a linear LOS velocity growing east (mm/yr, toward the satellite
    positive), the series from the first date, zero at the reference pixel, NaN in the corner LiCSBAS could not
    invert."""
    dates = [dt.date(2020, 1, 4) + dt.timedelta(days=step_days * i) for i in range(n)]
    years = np.array([(d - dates[0]).days / 365.25 for d in dates])
    rr, cc = np.mgrid[0:rows, 0:cols]
    vel = (-20.0 + 3.0 * cc + 0.5 * rr).astype(np.float64)
    ref = (1, 2)
    vel -= vel[ref]
    cum = (years[:, None, None] * vel[None]).astype(np.float32)
    vel = vel.astype(np.float32)
    cum[:, -2:, -2:] = np.nan
    vel[-2:, -2:] = np.nan
    return dates, cum, vel, ref


def write_cum(path, dates, cum_mm, vel_mm_yr, ref_yx, *, geocoded=True, enu=True, bperp=None, filt=False,
              wavelength_m: float | None = WAVELENGTH_S1, corner=CORNER, incidence=INCIDENCE,
              heading=HEADING) -> str:
    """``cum.h5`` (or ``cum_filt.h5`` with ``filt``) in a ``TS_GEOCml1`` folder laid out as LiCSBAS13 / 16 write
    it, with ``info/13parameters.txt`` beside it when ``wavelength_m`` is given."""
    h5py = _h5py()
    n, rows, cols = cum_mm.shape
    os.makedirs(os.path.join(os.path.dirname(str(path)), "info"), exist_ok=True)
    with h5py.File(path, "w") as f:
        f.create_dataset("imdates", data=[np.int32(d.strftime("%Y%m%d")) for d in dates])
        if bperp is not None:
            f.create_dataset("bperp", data=list(bperp))
        f.create_dataset("gap", data=np.zeros((n - 1, rows, cols), np.int8), compression="gzip")
        if geocoded:
            lat1, lon1, dlat, dlon = corner
            f.create_dataset("corner_lat", data=lat1)
            f.create_dataset("corner_lon", data=lon1)
            f.create_dataset("post_lat", data=dlat)
            f.create_dataset("post_lon", data=dlon)
        y, x = ref_yx
        f.create_dataset("refarea", data=f"{x}:{x + 1}/{y}:{y + 1}")
        f.create_dataset("cum", data=np.asarray(cum_mm, np.float32), compression="gzip")
        f.create_dataset("vel", data=np.asarray(vel_mm_yr, np.float32), compression="gzip")
        f.create_dataset("vintercept", data=np.zeros((rows, cols), np.float32), compression="gzip")
        for index in ("coh_avg", "hgt", "n_unw", "n_gap", "resid_rms"):
            f.create_dataset(index, data=np.ones((rows, cols), np.float32), compression="gzip")
        if enu:
            from insar_geohazards.algorithms.geometry.los import los_unit_vector

            e, nn, u = los_unit_vector(np.full((rows, cols), incidence), np.full((rows, cols), heading))
            for k, v in (("E.geo", e), ("N.geo", nn), ("U.geo", u)):
                f.create_dataset(k, data=v.astype(np.float32), compression="gzip")
        if filt:
            f.create_dataset("mask", data=np.where(np.isnan(vel_mm_yr), np.nan, 1.0).astype(np.float32))
            f.create_dataset("vstd", data=np.full((rows, cols), 0.8, np.float32))
            f.create_dataset("filtwidth_yr", data=0.1)
            f.create_dataset("filtwidth_km", data=2.0)
    if wavelength_m is not None:
        with open(os.path.join(os.path.dirname(str(path)), "info", "13parameters.txt"), "w") as fh:
            for k, v in (("range_samples", cols), ("azimuth_lines", rows), ("wavelength", wavelength_m),
                         ("n_im", n), ("ref_area", f"{ref_yx[1]}:{ref_yx[1] + 1}/{ref_yx[0]}:{ref_yx[0] + 1}")):
                print(f"{k + ':':<15} {v}", file=fh)
    return str(path)


def geotransform(corner=CORNER) -> tuple:
    """The GeoTIFF edge LiCSBAS_flt2geotiff.py sets: half a post outside the first pixel's centre."""
    lat1, lon1, dlat, dlon = corner
    return (lon1 - dlon / 2, dlon, 0.0, lat1 - dlat / 2, 0.0, dlat)
