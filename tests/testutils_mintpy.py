"""MintPy HDF5 results written the way MintPy writes them, for the tests (no QGIS, no MintPy needed).

What MintPy writes, read from its own code (github.com/insarlab/MintPy, main at commit 06a98622, Aug 2026):

* ``src/mintpy/objects/stack.py`` ``timeseries.write2hdf5``: datasets ``timeseries`` float32 (n, rows, cols) in
  metres, ``date`` ``np.bytes_`` YYYYMMDD, ``bperp`` float32; every attribute stored as ``str(value)``;
  ``FILE_TYPE = 'timeseries'``. ``src/mintpy/ifgram_inversion.py``: ``UNIT = 'm'``, ``REF_DATE`` = first date;
  pixels it does not invert keep 0 (``ts = np.zeros(...)``).
* ``src/mintpy/reference_point.py``: ``REF_Y``, ``REF_X`` (row, column), ``REF_LAT``, ``REF_LON`` as str.
* ``src/mintpy/timeseries2velocity.py`` with ``utils/writefile.layout_hdf5``: ``velocity.h5`` with
  ``FILE_TYPE = 'velocity'``, ``UNIT = 'm/year'``, ``START_DATE``, ``END_DATE``, ``DATE12``, ``REF_DATE``;
  datasets ``intercept``/``interceptStd`` (m) and ``velocity``/``velocityStd`` (m/year), each with a dataset
  attribute ``UNIT``.
* ``src/mintpy/generate_mask.py``: ``maskTempCoh.h5``, ``FILE_TYPE = 'mask'``, one bool dataset ``mask``
  (``utils/writefile.write`` names the dataset after FILE_TYPE).
* ``docs/api/data_structure.md``: geometry datasets ``height`` (m), ``incidenceAngle`` (degrees from the vertical),
  ``azimuthAngle`` (degrees from north, anticlockwise), ``slantRangeDistance`` (m), ``shadowMask``,
  ``waterMask``; a radar-coded ``geometryRadar.h5`` holds ``latitude``/``longitude`` and no ``X_FIRST``.
* ``docs/api/attributes.md``: ``X_FIRST``/``Y_FIRST`` = upper-left corner of the first pixel, ``X/Y_STEP``,
  ``X/Y_UNIT``, ``EPSG``, ``UTM_ZONE`` (e.g. 11N), ``HEADING`` (degrees clockwise from north), ``WAVELENGTH`` (m).
* ``docs/FAQs.md``: LOS displacement and velocity positive toward the satellite.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

#: A Sentinel-1 descending scene in UTM zone 11N, 100 m pixels (MintPy attributes as prep_hyp3 writes them for
#: projected products: X/Y_FIRST in metres, EPSG and UTM_ZONE).
UTM = {"X_FIRST": 400000.0, "Y_FIRST": 3950000.0, "X_STEP": 100.0, "Y_STEP": -100.0, "X_UNIT": "meters",
       "Y_UNIT": "meters", "EPSG": 32611, "UTM_ZONE": "11N"}
#: The same area in latitude/longitude (ISCE-geocoded products: degrees, no EPSG).
LATLON = {"X_FIRST": -117.5, "Y_FIRST": 35.7, "X_STEP": 0.001, "Y_STEP": -0.001, "X_UNIT": "degrees",
          "Y_UNIT": "degrees"}
SCENE = {"PLATFORM": "Sen", "PROCESSOR": "hyp3", "WAVELENGTH": 0.05546576, "HEADING": -168.0,
         "ORBIT_DIRECTION": "DESCENDING", "ANTENNA_SIDE": -1, "CENTER_LINE_UTC": 50000.0, "ALOOKS": 4, "RLOOKS": 20}


def _h5py():
    import pytest

    return pytest.importorskip("h5py", reason="h5py is not installed")


def _attrs(f, attrs: dict) -> None:
    for k, v in attrs.items():
        f.attrs[k] = str(v)  # MintPy stores every attribute as a string


def dates(n: int, start=dt.date(2020, 1, 5), step_days: int = 12) -> list:
    return [start + dt.timedelta(days=step_days * i) for i in range(n)]


def write_timeseries(path, ts_m: np.ndarray, day_list, *, geo: dict = UTM, ref_yx=(2, 3), bperp=None,
                     extra: dict | None = None) -> str:
    """``timeseries.h5``: ``ts_m`` (n, rows, cols) in metres, relative to the first date, zero at ``ref_yx``."""
    h5py = _h5py()
    n, rows, cols = ts_m.shape
    with h5py.File(path, "w") as f:
        f.create_dataset("timeseries", data=np.asarray(ts_m, np.float32), chunks=True)
        f.create_dataset("date", data=np.array([d.strftime("%Y%m%d") for d in day_list], dtype=np.bytes_))
        f.create_dataset("bperp", data=np.asarray(np.zeros(n) if bperp is None else bperp, np.float32))
        _attrs(f, {**SCENE, **geo, "FILE_TYPE": "timeseries", "UNIT": "m", "LENGTH": rows, "WIDTH": cols,
                   "REF_DATE": day_list[0].strftime("%Y%m%d"), "REF_Y": ref_yx[0], "REF_X": ref_yx[1],
                   "START_DATE": day_list[0].strftime("%Y%m%d"), "END_DATE": day_list[-1].strftime("%Y%m%d"),
                   **(extra or {})})
    return str(path)


def write_velocity(path, vel_m_yr: np.ndarray, day_list, *, geo: dict = UTM, ref_yx=(2, 3),
                   extra: dict | None = None) -> str:
    """``velocity.h5`` as ``timeseries2velocity.py`` lays it out (velocity in m/year)."""
    h5py = _h5py()
    rows, cols = vel_m_yr.shape
    s, e = day_list[0].strftime("%Y%m%d"), day_list[-1].strftime("%Y%m%d")
    with h5py.File(path, "w") as f:
        for name, data, unit in (("intercept", np.zeros_like(vel_m_yr), "m"),
                                 ("interceptStd", np.full_like(vel_m_yr, 0.001), "m"),
                                 ("velocity", vel_m_yr, "m/year"),
                                 ("velocityStd", np.full_like(vel_m_yr, 0.0005), "m/year")):
            ds = f.create_dataset(name, data=np.asarray(data, np.float32), chunks=True)
            ds.attrs["UNIT"] = unit
        _attrs(f, {**SCENE, **geo, "FILE_TYPE": "velocity", "UNIT": "m/year", "LENGTH": rows, "WIDTH": cols,
                   "START_DATE": s, "END_DATE": e, "DATE12": f"{s}_{e}", "REF_DATE": s, "REF_Y": ref_yx[0],
                   "REF_X": ref_yx[1], **(extra or {})})
    return str(path)


def write_geometry(path, shape, *, geo: dict | None = UTM, incidence_deg=None, azimuth_deg=None, height_m=None,
                   slant_range_m=None) -> str:
    """``geometryGeo.h5`` (``geo`` given) or a radar-coded ``geometryRadar.h5`` (``geo=None``: latitude and
    longitude datasets, no X_FIRST)."""
    h5py = _h5py()
    rows, cols = shape
    yy, xx = np.mgrid[0:rows, 0:cols].astype(np.float32)
    inc = np.asarray(incidence_deg if incidence_deg is not None else 33.0 + 0.01 * xx, np.float32)
    az = np.asarray(azimuth_deg if azimuth_deg is not None else np.full(shape, 78.0), np.float32)
    data = {"height": height_m if height_m is not None else 100.0 + yy, "incidenceAngle": inc, "azimuthAngle": az,
            "slantRangeDistance": slant_range_m if slant_range_m is not None else 880000.0 + 50.0 * xx,
            "shadowMask": np.zeros(shape, bool), "waterMask": np.ones(shape, bool)}
    if geo is None:
        data["latitude"] = 35.7 - 0.001 * yy
        data["longitude"] = -117.5 + 0.001 * xx
    with h5py.File(path, "w") as f:
        for name, arr in data.items():
            f.create_dataset(name, data=np.asarray(arr, np.bool_ if arr.dtype == bool else np.float32), chunks=True)
        _attrs(f, {**SCENE, **(geo or {}), "FILE_TYPE": "geometry", "LENGTH": rows, "WIDTH": cols})
    return str(path)


def write_mask(path, mask: np.ndarray, *, geo: dict = UTM, name: str = "mask") -> str:
    """``maskTempCoh.h5`` as ``generate_mask.py`` writes it."""
    h5py = _h5py()
    rows, cols = mask.shape
    with h5py.File(path, "w") as f:
        f.create_dataset(name, data=np.asarray(mask, bool), chunks=True)
        _attrs(f, {**SCENE, **geo, "FILE_TYPE": name, "LENGTH": rows, "WIDTH": cols})
    return str(path)


def write_temporal_coherence(path, coh: np.ndarray, *, geo: dict = UTM) -> str:
    """``temporalCoherence.h5`` (ifgram_inversion.py: FILE_TYPE temporalCoherence, UNIT '1')."""
    h5py = _h5py()
    rows, cols = coh.shape
    with h5py.File(path, "w") as f:
        f.create_dataset("temporalCoherence", data=np.asarray(coh, np.float32), chunks=True)
        _attrs(f, {**SCENE, **geo, "FILE_TYPE": "temporalCoherence", "UNIT": "1", "LENGTH": rows, "WIDTH": cols})
    return str(path)


def scene(rows=12, cols=15, n=6, seed=0):
    """A synthetic scene: a subsiding bowl at -30 mm/yr peak, zero at the reference pixel (2, 3); returns
    ``(dates, ts_m, vel_m_yr)`` in MintPy's units (metres, m/year)."""
    rng = np.random.default_rng(seed)
    day_list = dates(n)
    yy, xx = np.mgrid[0:rows, 0:cols]
    vel_mm = -30.0 * np.exp(-((yy - rows / 2) ** 2 + (xx - cols / 2) ** 2) / 20.0) + rng.normal(0, 0.2, (rows, cols))
    vel_mm -= vel_mm[2, 3]
    years = np.array([(d - day_list[0]).days / 365.25 for d in day_list])
    ts_mm = years[:, None, None] * vel_mm[None]
    return day_list, (ts_mm / 1000.0).astype(np.float32), (vel_mm / 1000.0).astype(np.float32)


#: The file name save_hdfeos5.py's get_output_filename gives: mission, beam mode and swath, relative orbit, frames,
#: first and last date.
HE5_NAME = "S1_IW12_071_0105_0106_20200105_20200304.he5"


def write_hdfeos5(path, ts_m: np.ndarray, day_list, *, geo: dict = UTM, ref_yx=(2, 3), incidence_deg=None,
                  slant_range_m=None, bperp=None, extra: dict | None = None, drop: tuple = ()) -> str:
    """An HDF-EOS5 file as MintPy's ``src/mintpy/save_hdfeos5.py`` (``write_hdf5_file``) writes it: groups
    ``HDFEOS/GRIDS/timeseries/observation`` (``displacement`` float32 metres with ``Units='meters'``,
    ``_FillValue``/``MissingValue`` 0; ``date`` bytes; ``bperp``), ``.../quality`` (``temporalCoherence``,
    ``avgSpatialCoherence``, ``mask``), ``.../geometry`` (``height``, ``incidenceAngle``, ``slantRangeDistance``,
    ``azimuthAngle`` in degrees / meters, ``latitude``/``longitude`` added for geocoded files); the time series'
    MintPy attributes with ``FILE_TYPE='HDFEOS'`` and the UNAVCO ones at the root. ``drop`` leaves datasets out
    (hostile cases)."""
    h5py = _h5py()
    n, rows, cols = ts_m.shape
    yy, xx = np.mgrid[0:rows, 0:cols].astype(np.float32)
    inc = np.asarray(incidence_deg if incidence_deg is not None else np.full((rows, cols), 39.0), np.float32)
    rng = np.asarray(slant_range_m if slant_range_m is not None else 880000.0 + 50.0 * xx, np.float32)
    groups = {
        "observation": {"displacement": (np.asarray(ts_m, np.float32), "meters"),
                        "date": (np.array([d.strftime("%Y%m%d") for d in day_list], dtype=np.bytes_), None),
                        "bperp": (np.asarray(np.zeros(n) if bperp is None else bperp, np.float32), None)},
        "quality": {"temporalCoherence": (np.full((rows, cols), 0.9, np.float32), "1"),
                    "avgSpatialCoherence": (np.full((rows, cols), 0.8, np.float32), "1"),
                    "mask": (np.ones((rows, cols), bool), "1")},
        "geometry": {"height": (100.0 + yy, "meters"), "incidenceAngle": (inc, "degrees"),
                     "slantRangeDistance": (rng, "meters"), "azimuthAngle": (np.full((rows, cols), 78.0), "degrees"),
                     "latitude": (35.7 - 0.001 * yy, "degrees"), "longitude": (-117.5 + 0.001 * xx, "degrees")},
    }
    with h5py.File(path, "w") as f:
        for gname, items in groups.items():
            g = f.create_group(f"HDFEOS/GRIDS/timeseries/{gname}")
            for name, (data, units) in items.items():
                if name in drop:
                    continue
                arr = np.asarray(data, data.dtype if data.dtype.kind in "bS" else np.float32)
                ds = g.create_dataset(name, data=arr, chunks=True if arr.ndim > 1 else None, compression="lzf")
                if units is not None:
                    ds.attrs["Title"] = name
                    ds.attrs["MissingValue"] = np.bool_(0) if arr.dtype == bool else np.float32(0.0)
                    ds.attrs["_FillValue"] = np.bool_(0) if arr.dtype == bool else np.float32(0.0)
                    ds.attrs["Units"] = units
        for k, v in {**SCENE, **geo, "FILE_TYPE": "HDFEOS", "UNIT": "m", "LENGTH": rows, "WIDTH": cols,
                     "REF_DATE": day_list[0].strftime("%Y%m%d"), "REF_Y": ref_yx[0], "REF_X": ref_yx[1],
                     "mission": "S1", "beam_mode": "IW", "beam_swath": 12, "relative_orbit": 71,
                     "first_date": day_list[0].isoformat(), "last_date": day_list[-1].isoformat(),
                     "processing_type": "LOS_TIMESERIES", "post_processing_method": "MintPy",
                     "wavelength": SCENE["WAVELENGTH"], **(extra or {})}.items():
            f.attrs[k] = v if isinstance(v, (int, float)) and k.islower() else str(v)
    return str(path)
