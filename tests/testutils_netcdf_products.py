"""netCDF-4 products laid out as their producers write them, for the tests (GDAL's multidimensional netCDF API, no
QGIS import at module level).

* ARIA Sentinel-1 GUNW (standard product v2+; ARIA-tools ``tools/ARIAtools/product.py`` layer list,
  ``util/ionosphere.py`` subdataset names; MintPy ``src/mintpy/prep_aria.py`` for the order and signs):
  ``/science/grids/data/{unwrappedPhase, coherence, connectedComponents, amplitude}`` on ``longitude``/``latitude``
  (pixel centres, WGS 84, ``crs`` grid mapping), ``_FillValue`` 0; ``/science/grids/imagingGeometry/
  {perpendicularBaseline, parallelBaseline, incidenceAngle, lookAngle, azimuthAngle}`` cubes on ``heightsMeta``,
  ``latitudeMeta``, ``longitudeMeta``; ``/science/radarMetaData/{wavelength, centerFrequency, missionID,
  slantRangeStart, slantRangeEnd}``. Named ``S1-GUNW-A-R-064-tops-<later>_<earlier>-<hhmmss>-<lon>_<lat>-PP-<hash>-
  v2_0_4.nc``; the phase and the baseline are of ``later_earlier`` (prep_aria.py turns both around with -1), the
  azimuth angle is the ground-to-satellite direction counter-clockwise from east (prep_aria.py: "ARIA: vector from
  target to sensor measured from the east in counterclockwise direction").
* OPERA DISP-S1 (opera-adt/disp-s1 ``src/disp_s1/product.py``: ``_create_grid_mapping``, ``_create_yx_dsets``,
  ``_create_identification_group``, ``_create_corrections_group``; ``product_info.py`` for names, units and fills):
  root ``displacement`` (y, x) metres positive toward the platform, NaN fill; ``temporal_coherence``;
  ``recommended_mask`` uint8 (255 fill); ``x``/``y`` pixel centres; ``spatial_ref`` with ``crs_wkt`` and
  ``GeoTransform``; ``identification/{frame_id, reference_datetime, secondary_datetime, radar_wavelength,
  near_range_incidence_angle, far_range_incidence_angle}``; ``corrections/{perpendicular_baseline,
  reference_point}``. Named ``OPERA_L3_DISP-S1_IW_F<frame>_VV_<ref>T..Z_<sec>T..Z_v1.0_<made>T..Z.nc``.
"""

from __future__ import annotations

import datetime as dt
import os

import numpy as np

ARIA_LON0, ARIA_LAT0, ARIA_STEP = -119.0, 34.0, 0.001
ARIA_INCIDENCE, ARIA_HEADING = 38.5, -12.0
OPERA_GT0 = (350000.0, 30.0, 0.0, 3800000.0, 0.0, -30.0)
OPERA_EPSG, OPERA_FRAME = 32611, "11116"


def _gdal():
    from osgeo import gdal

    gdal.UseExceptions()
    return gdal


class _Writer:
    """Attributes written before data (netCDF's define mode), as the GDAL netCDF driver needs."""

    def __init__(self, path):
        gdal = _gdal()
        self.gdal = gdal
        self.ds = gdal.GetDriverByName("netCDF").CreateMultiDimensional(str(path))
        self.root = self.ds.GetRootGroup()
        self.pending = []
        self.strings = []
        self.path = str(path)

    def var(self, group, name, dims, data, dtype, attrs=None, fill=None):
        gdal = self.gdal
        arr = group.CreateMDArray(name, dims, gdal.ExtendedDataType.Create(dtype))
        for k, v in (attrs or {}).items():
            if isinstance(v, str):
                a = arr.CreateAttribute(k, [], gdal.ExtendedDataType.CreateString())
            else:
                v = np.atleast_1d(np.asarray(v, np.float64))
                a = arr.CreateAttribute(k, [v.size], gdal.ExtendedDataType.Create(gdal.GDT_Float64))
            a.Write(v)
        if fill is not None:
            arr.SetNoDataValueDouble(float(fill))
        self.pending.append((arr, data))
        return arr

    def close(self):
        for arr, data in self.pending:
            if data is not None:
                arr.Write(np.asarray(data))
        self.ds = None
        if self.strings:  # GDAL's Python bindings write no text variables: h5py does (np.bytes_, as disp-s1 does)
            import h5py

            with h5py.File(self.path, "a") as f:
                for group, name, text in self.strings:
                    f.require_group(group).create_dataset(name, data=np.bytes_(text))


def _string_var(w, group, name, text):
    w.strings.append((group.GetFullName(), name, text))


def _crs(w, group, name, epsg, gt=None):
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    attrs = {"crs_wkt": srs.ExportToWkt(), "spatial_ref": srs.ExportToWkt()}
    attrs["grid_mapping_name"] = "latitude_longitude" if epsg == 4326 else "transverse_mercator"
    if gt is not None:
        attrs["GeoTransform"] = " ".join(str(v) for v in gt)
    w.var(group, name, [], np.int32(0), w.gdal.GDT_Int32, attrs)


def gunw_name(pair, direction="A", track="064") -> str:
    """ARIA's name of the product of ``pair`` (earlier, later): the later date first."""
    e, later = sorted(pair)
    return f"S1-GUNW-{direction}-R-{track}-tops-{later:%Y%m%d}_{e:%Y%m%d}-135156-00119W_00034N-PP-3a3e-v2_0_4.nc"


def write_gunw(path, truth, pair, *, window=None, wavelength=None, track="064", direction="A",
               incidence=ARIA_INCIDENCE, heading=ARIA_HEADING, drop=()) -> str:
    """One GUNW of ``truth`` (testutils_products.Truth) for ``pair`` (earlier, later), on the window ``(row0,
    col0, rows, cols)`` of the truth grid (default all of it)."""
    from testutils_products import S1_WAVELENGTH_M

    gdal = _gdal()
    wl = S1_WAVELENGTH_M if wavelength is None else wavelength
    rows, cols = truth.shape
    r0, c0, h, wd = window or (0, 0, rows, cols)
    win = (slice(r0, r0 + h), slice(c0, c0 + wd))
    phase = -truth.pair_phase(tuple(sorted(pair)), wavelength=wl)[win]  # later_earlier
    coh = truth.coherence(tuple(sorted(pair)))[win]
    w = _Writer(path)
    sci = w.root.CreateGroup("science")
    grids = sci.CreateGroup("grids")
    data = grids.CreateGroup("data")
    dlon = data.CreateDimension("longitude", "HORIZONTAL_X", None, wd)
    dlat = data.CreateDimension("latitude", "HORIZONTAL_Y", None, h)
    F32, F64 = gdal.GDT_Float32, gdal.GDT_Float64
    w.var(data, "longitude", [dlon], ARIA_LON0 + ARIA_STEP * (c0 + np.arange(wd) + 0.5), F64,
          {"units": "degrees_east", "standard_name": "longitude"})
    w.var(data, "latitude", [dlat], ARIA_LAT0 - ARIA_STEP * (r0 + np.arange(h) + 0.5), F64,
          {"units": "degrees_north", "standard_name": "latitude"})
    _crs(w, data, "crs", 4326)
    for name, arr, unit in (("unwrappedPhase", phase, "radians"), ("coherence", coh, "unitless"),
                            ("amplitude", np.full((h, wd), 0.4), "watt")):
        if name not in drop:
            w.var(data, name, [dlat, dlon], arr.astype(np.float32), F32, {"grid_mapping": "crs", "units": unit},
                  fill=0.0)
    w.var(data, "connectedComponents", [dlat, dlon], np.ones((h, wd), np.int16), gdal.GDT_Int16,
          {"grid_mapping": "crs"}, fill=-1)
    geo = grids.CreateGroup("imagingGeometry")
    dh = geo.CreateDimension("heightsMeta", None, None, 4)
    dla = geo.CreateDimension("latitudeMeta", None, None, 3)
    dlo = geo.CreateDimension("longitudeMeta", None, None, 3)
    w.var(geo, "heightsMeta", [dh], np.array([-1500.0, 0.0, 3000.0, 9000.0]), F64)
    w.var(geo, "latitudeMeta", [dla], ARIA_LAT0 - np.array([0.0, 0.02, 0.04]), F64)
    w.var(geo, "longitudeMeta", [dlo], ARIA_LON0 + np.array([0.0, 0.02, 0.04]), F64)
    e, later = sorted(pair)
    bperp_aria = truth.bperp[e] - truth.bperp[later]  # later_earlier: prep_aria.py turns it with -1
    spread = np.linspace(-0.2, 0.2, 3)[None, None, :]
    cubes = {"perpendicularBaseline": (bperp_aria + spread * 0) * np.ones((4, 3, 3)),
             "parallelBaseline": np.full((4, 3, 3), 30.0), "incidenceAngle": incidence + spread * np.ones((4, 3, 3)),
             "lookAngle": np.full((4, 3, 3), incidence - 4.0),
             "azimuthAngle": np.full((4, 3, 3), (-180.0 - heading + 180.0) % 360.0 - 180.0)}
    for name, arr in cubes.items():
        if name not in drop:
            w.var(geo, name, [dh, dla, dlo], arr.astype(np.float32), F32, {"units": "m" if "Baseline" in name
                                                                            else "degrees"})
    rdr = sci.CreateGroup("radarMetaData")
    if "wavelength" not in drop:
        w.var(rdr, "wavelength", [], np.float64(wl), F64, {"units": "m"})
    w.var(rdr, "centerFrequency", [], np.float64(299792458.0 / wl), F64, {"units": "Hz"})
    w.var(rdr, "slantRangeStart", [], np.float64(798980.125), F64)
    w.var(rdr, "slantRangeEnd", [], np.float64(956307.125), F64)
    _string_var(w, rdr, "missionID", "S1")
    w.close()
    return str(path)


def gunw_folder(root, truth, *, shifts=None, **kw) -> dict:
    """One GUNW per pair of ``truth`` in ``root``, each 2 pixels smaller than the truth on each side and shifted by
    ``shifts[pair] = (rows, cols)`` (frames of one track, different footprints on one lattice)."""
    os.makedirs(str(root), exist_ok=True)
    rows, cols = truth.shape
    out = {}
    for pair in truth.pairs:
        dr, dc = (shifts or {}).get(pair, (0, 0))
        out[pair] = write_gunw(os.path.join(str(root), gunw_name(pair)), truth, pair,
                               window=(2 + dr, 2 + dc, rows - 4, cols - 4), **kw)
    return out


def opera_name(ref, sec, frame=OPERA_FRAME, made=dt.date(2025, 3, 18)) -> str:
    return (f"OPERA_L3_DISP-S1_IW_F{frame}_VV_{ref:%Y%m%d}T140755Z_{sec:%Y%m%d}T140756Z_v1.0_{made:%Y%m%d}"
            "T222753Z.nc")


def write_opera(path, truth, ref, sec, *, wavelength=None, gt=OPERA_GT0, units="meters", drop=(),
                name_dates=None, mask=None) -> str:
    """A DISP-S1 file of ``truth`` (displacement from ``ref`` to ``sec``, metres toward the satellite) on the truth
    grid in UTM 11N; ``mask`` its recommended_mask (uint8: 1 good, 0 bad, 255 fill; all 1 by default)."""
    from testutils_products import S1_WAVELENGTH_M

    gdal = _gdal()
    wl = S1_WAVELENGTH_M if wavelength is None else wavelength
    rows, cols = truth.shape
    disp_m = ((truth.disp_mm(sec) - truth.disp_mm(ref)) / 1000.0).astype(np.float32)
    w = _Writer(path)
    root = w.root
    dx = root.CreateDimension("x", "HORIZONTAL_X", None, cols)
    dy = root.CreateDimension("y", "HORIZONTAL_Y", None, rows)
    dt_ = root.CreateDimension("time", "TEMPORAL", None, 1)
    F32, F64 = gdal.GDT_Float32, gdal.GDT_Float64
    w.var(root, "x", [dx], gt[0] + gt[1] * (np.arange(cols) + 0.5), F64,
          {"standard_name": "projection_x_coordinate", "units": "m"})
    w.var(root, "y", [dy], gt[3] + gt[5] * (np.arange(rows) + 0.5), F64,
          {"standard_name": "projection_y_coordinate", "units": "m"})
    since = dt.datetime(2010, 1, 1)
    for name, day in (("time", sec), ("reference_time", ref)):
        w.var(root, name, [dt_], np.array([(dt.datetime(day.year, day.month, day.day, 14, 7, 55) - since)
                                           .total_seconds()]), F64,
              {"standard_name": "time", "calendar": "standard", "units": "seconds since 2010-01-01 00:00:00.000000"})
    _crs(w, root, "spatial_ref", OPERA_EPSG, gt)
    layers = {"displacement": (disp_m, units, np.nan), "short_wavelength_displacement": (disp_m, "meters", np.nan),
              "temporal_coherence": (truth.coherence((ref, sec)).astype(np.float32), "unitless", np.nan)}
    for name, (arr, unit, fill) in layers.items():
        if name not in drop:
            w.var(root, name, [dy, dx], arr, F32, {"grid_mapping": "spatial_ref", "units": unit}, fill=fill)
    if "recommended_mask" not in drop:
        keep = np.ones((rows, cols), np.uint8) if mask is None else np.asarray(mask, np.uint8)
        w.var(root, "recommended_mask", [dy, dx], keep, gdal.GDT_Byte,
              {"grid_mapping": "spatial_ref", "units": "unitless"}, fill=255)
    ident = root.CreateGroup("identification")
    _string_var(w, ident, "frame_id", OPERA_FRAME)
    rd, sd = name_dates or (ref, sec)
    _string_var(w, ident, "reference_datetime", f"{rd:%Y-%m-%d} 14:07:55.000000")
    _string_var(w, ident, "secondary_datetime", f"{sd:%Y-%m-%d} 14:07:56.000000")
    if "radar_wavelength" not in drop:
        w.var(ident, "radar_wavelength", [], np.float64(wl), F64, {"units": "meters"})
    w.var(ident, "near_range_incidence_angle", [], np.float64(30.5), F64, {"units": "degrees"})
    w.var(ident, "far_range_incidence_angle", [], np.float64(45.5), F64, {"units": "degrees"})
    corr = root.CreateGroup("corrections")
    cx = corr.CreateDimension("x", "HORIZONTAL_X", None, cols)
    cy = corr.CreateDimension("y", "HORIZONTAL_Y", None, rows)
    w.var(corr, "x", [cx], gt[0] + gt[1] * (np.arange(cols) + 0.5), F64)
    w.var(corr, "y", [cy], gt[3] + gt[5] * (np.arange(rows) + 0.5), F64)
    w.var(corr, "perpendicular_baseline", [cy, cx],
          np.full((rows, cols), truth.bperp[sec] - truth.bperp[ref], np.float32), F32, {"units": "meters"})
    w.var(corr, "reference_point", [], np.int32(0), gdal.GDT_Int32,
          {"rows": [25.0], "cols": [30.0], "latitudes": [34.3], "longitudes": [-118.6], "units": "unitless"})
    w.close()
    return str(path)


def opera_pairs(truth, reset_every=3) -> list:
    """The (reference, secondary) pairs of DISP-S1 files over ``truth``'s dates: a reference date every
    ``reset_every`` acquisitions (each new reference a secondary date of the one before), as OPERA's ministacks."""
    dates = truth.dates
    out = []
    for k, d in enumerate(dates[1:], 1):
        ref = dates[((k - 1) // reset_every) * reset_every]
        out.append((ref, d))
    return out


def opera_folder(root, truth, **kw) -> dict:
    os.makedirs(str(root), exist_ok=True)
    return {p: write_opera(os.path.join(str(root), opera_name(*p)), truth, *p, **kw) for p in opera_pairs(truth)}


# ------------------------------------------------------------------ NISAR GUNW (HDF5)
#: NISAR's L-band centre frequency (Hz) and a UTM 11N grid of 80 m pixels (the GUNW's unwrapped-phase posting).
NISAR_FC, NISAR_GT0, NISAR_EPSG, NISAR_INCIDENCE = 1257.5e6, (400000.0, 80.0, 0.0, 3750000.0, 0.0, -80.0), 32611, 37.0


def nisar_name(ref, sec, track="005", direction="A") -> str:
    """The name of NISAR's GUNW of (reference, secondary): ``..._<ref start>_<ref end>_<sec start>_<sec end>_...``."""
    return (f"NISAR_L2_PR_GUNW_001_{track}_{direction}_219_220_4020_SH_{ref:%Y%m%d}T060910_{ref:%Y%m%d}T060926_"
            f"{sec:%Y%m%d}T060959_{sec:%Y%m%d}T061015_P01101_M_F_J_001.h5")


def write_nisar(path, truth, pair, *, pol="HH", fc=NISAR_FC, drop=(), ident_pair=None) -> str:
    """One NISAR GUNW of ``truth`` for ``pair`` (reference, secondary) laid out as the product specification gives it
    (JPL D-102272 as isce-framework/nisarqa ``src/nisarqa/product_specs/1.4.0/nisar_L2_GUNW.xml`` encodes it):
    ``/science/LSAR/GUNW/grids/frequencyA/{centerFrequency, unwrappedInterferogram/<pol>/{unwrappedPhase (radians,
    NaN fill), coherenceMagnitude, connectedComponents, xCoordinates, yCoordinates, xCoordinateSpacing,
    yCoordinateSpacing, projection}}``, ``/science/LSAR/GUNW/metadata/radarGrid/{incidenceAngle,
    perpendicularBaseline}`` cubes and ``/science/LSAR/identification/{reference,secondary}ZeroDopplerStartTime``.
    The phase is the pair's reference x conj(secondary) phase (isce3's Crossmul): radians growing with the range."""
    import h5py

    wl = 299792458.0 / fc
    rows, cols = truth.shape
    gt = NISAR_GT0
    phase = truth.pair_phase(tuple(pair), wavelength=wl).astype(np.float32)
    with h5py.File(str(path), "w") as f:
        grids = f.create_group("/science/LSAR/GUNW/grids/frequencyA")
        if "centerFrequency" not in drop:
            grids.create_dataset("centerFrequency", data=np.float64(fc)).attrs["units"] = "hertz"
        g = grids.create_group(f"unwrappedInterferogram/{pol}")
        if "unwrappedPhase" not in drop:
            d = g.create_dataset("unwrappedPhase", data=phase, fillvalue=np.float32(np.nan))
            d.attrs["units"] = "radians"
        g.create_dataset("coherenceMagnitude", data=truth.coherence(tuple(sorted(pair))).astype(np.float32),
                         fillvalue=np.float32(np.nan))
        g.create_dataset("connectedComponents", data=np.ones((rows, cols), np.uint16))
        g.create_dataset("xCoordinates", data=gt[0] + gt[1] * (np.arange(cols) + 0.5)).attrs["units"] = "meters"
        g.create_dataset("yCoordinates", data=gt[3] + gt[5] * (np.arange(rows) + 0.5)).attrs["units"] = "meters"
        g.create_dataset("xCoordinateSpacing", data=np.float64(gt[1]))
        g.create_dataset("yCoordinateSpacing", data=np.float64(gt[5]))
        g.create_dataset("projection", data=np.uint32(NISAR_EPSG)).attrs["epsg_code"] = NISAR_EPSG
        rg = f.create_group("/science/LSAR/GUNW/metadata/radarGrid")
        spread = np.linspace(-0.3, 0.3, 3)[None, None, :] * np.ones((4, 3, 3))
        rg.create_dataset("incidenceAngle", data=(NISAR_INCIDENCE + spread).astype(np.float32))
        rg.create_dataset("perpendicularBaseline",
                          data=np.full((4, 3, 3), truth.bperp[pair[1]] - truth.bperp[pair[0]], np.float32))
        ident = f.create_group("/science/LSAR/identification")
        rd, sd = ident_pair or pair
        ident.create_dataset("referenceZeroDopplerStartTime", data=np.bytes_(f"{rd:%Y-%m-%d}T06:09:10.000000000"))
        ident.create_dataset("secondaryZeroDopplerStartTime", data=np.bytes_(f"{sd:%Y-%m-%d}T06:09:59.000000000"))
    return str(path)


def nisar_folder(root, truth, **kw) -> dict:
    """One NISAR GUNW per pair of ``truth`` (the earlier date the reference, as NISAR pairs are made)."""
    os.makedirs(str(root), exist_ok=True)
    return {p: write_nisar(os.path.join(str(root), nisar_name(*p)), truth, p, **kw) for p in truth.pairs}
