"""Small synthetic GAMMA, GMTSAR and SNAP stacks of a :class:`testutils_products.Truth`, laid out as their producers
write them (no QGIS import at module level), and the same data flattened and typed by hand.

* GAMMA (the DIFF&GEO parameter files as ``create_dem_par``/``gc_map`` and ISP write them; MintPy's
  ``prep_gamma.py``; PyRate's ``tests/test_data/small_test/gamma_obs``, bundled in tests/data): ``dem_seg.par`` (EQA,
  the corner the centre of the first pixel), ``dem_seg.dem``, one ``<date>.rmli.par`` per date, and
  ``interferograms/<d1>_<d2>/<d1>_<d2>.unw`` / ``.cc``: headerless big-endian float32, 0 = no data; the GAMMA
  ``base_perp`` tables ``<d1>_<d2>_bperp.par``.
* GMTSAR (``intf_tops.csh``/``intf_batch.csh`` output; MintPy ``prep_gmtsar.py``; gmtsar/gmtsar#13 on the day of
  year): ``intf_all/<yyyyddd>_<yyyyddd>/unwrap_ll.grd``, ``corr_ll.grd`` (GMT netCDF grids: ``lon``, ``lat``,
  ``z``, rows south to north, NaN = no data, no CRS variable), the pair's ``S1_<yyyymmdd>_ALL_F1.PRM``
  (``radar_wavelength``); Sentinel-1's day of year counted from 0.
* SNAP BEAM-DIMAP (``<product>.dim`` XML with the ``Abstracted_Metadata`` element: ``radar_frequency`` MHz,
  ``incidence_near``/``incidence_far``, ``centre_heading``, ``PASS``; ``<product>.data/`` with ENVI ``.img`` +
  ``.hdr``, big-endian float32 (``byte order = 1``), ``map info`` after Terrain Correction): bands
  ``Unw_Phase_ifg_IW2_VV_<ddMonYYYY>_<ddMonYYYY>.img`` and ``coh_IW2_VV_<dates>.img``, one product per pair.
"""

from __future__ import annotations

import os

import numpy as np
from testutils_products import S1_WAVELENGTH_M, Truth, _name, write_tif

GRID_X0, GRID_Y0, STEP = 25.0, 40.0, 0.001  # the centre of the first pixel (GAMMA's corner), degrees
#: The GeoTIFF geotransform of that grid (outer corner).
GT = (GRID_X0 - STEP / 2, STEP, 0.0, GRID_Y0 + STEP / 2, 0.0, -STEP)
INCIDENCE, HEADING, RANGE = 38.2, 347.6, 851234.5


def _mask(truth):
    m = np.ones(truth.shape, bool)
    m[:3, :4] = False
    return m


# ------------------------------------------------------------------ GAMMA
def gamma_stack(root, truth: Truth, *, with_dem_par=True, frequency_text="5.4050005e+09   Hz", sensor="",
                wavelength=S1_WAVELENGTH_M, endian=">") -> str:
    """GAMMA's geocoded stack of ``truth``; ``frequency_text``: the image parameter files' ``radar_frequency``
    value as written (ISP writes Hz), ``sensor``: their ``sensor:`` line, ``wavelength`` (m): the one the phase is
    made with, ``endian``: the interferograms' byte order (``"<"``: little-endian, as some tools write them)."""
    root = str(root)
    os.makedirs(root, exist_ok=True)
    rows, cols = truth.shape
    if with_dem_par:
        with open(os.path.join(root, "dem_seg.par"), "w") as fh:
            fh.write("Gamma DIFF&GEO DEM/MAP parameter file\ntitle: dem_seg\nDEM_projection:     EQA\n"
                     "data_format:        REAL*4\nDEM_hgt_offset:          0.00000\nDEM_scale:               1.00000\n"
                     f"width:               {cols}\nnlines:              {rows}\n"
                     f"corner_lat:     {GRID_Y0:.7f}  decimal degrees\ncorner_lon:     {GRID_X0:.7f}  decimal degrees\n"
                     f"post_lat:   {-STEP:.5e}  decimal degrees\npost_lon:    {STEP:.5e}  decimal degrees\n\n"
                     "ellipsoid_name: WGS 84\nellipsoid_ra:        6378137.000   m\n"
                     "ellipsoid_reciprocal_flattening:  298.2572236\n\ndatum_name: WGS 1984\n")
    truth.heights().astype(">f4").tofile(os.path.join(root, "dem_seg.dem"))
    for k, d in enumerate(truth.dates):
        with open(os.path.join(root, f"{d:%Y%m%d}.rmli.par"), "w") as fh:
            fh.write("Gamma Interferometric SAR Processor (ISP) - Image Parameter File\n\ntitle:     S1A IW\n"
                     + (f"sensor:    {sensor}\n" if sensor else "")
                     + f"date:      {d.year} {d.month:02d} {d.day:02d}  5 21 14.5123\n"
                     f"radar_frequency:        {frequency_text}\n"
                     f"center_range_slc:        {RANGE:.4f}   m\nincidence_angle:           {INCIDENCE:.4f}   degrees\n"
                     f"heading:                  {HEADING + 0.002 * (k - 3):.7f}   degrees\n")
    mask = _mask(truth)
    for pair in truth.pairs:
        d = os.path.join(root, "interferograms", _name(pair))
        os.makedirs(d, exist_ok=True)
        np.where(mask, truth.pair_phase(pair, wavelength), 0.0).astype(endian + "f4").tofile(
            os.path.join(d, _name(pair) + ".unw"))
        np.where(mask, truth.coherence(pair), 0.0).astype(">f4").tofile(os.path.join(d, _name(pair) + ".cc"))
        b = truth.bperp[pair[1]] - truth.bperp[pair[0]]
        with open(os.path.join(d, _name(pair) + "_bperp.par"), "w") as fh:
            fh.write("*** Perpendicular and parallel components of the baseline ***\n\n"
                     "   row  az_time  rg_pixel   slant_range    look_angle  bpar  bperp_alt  bperp  blen\n"
                     "********************************************************************\n")
            for r in range(3):
                fh.write(f"{r * 100:6d} {r * 1.5:8.3f} {r * 200:8d} {850000.0 + r:12.3f} 0.6500 12.0000 0.0000 "
                         f"{b:.4f} 150.0000\n")
    return root


def flatten_plain(truth: Truth, dest, *, zero_nodata=True) -> str:
    """What a user makes by hand of any of these stacks: one folder of GeoTIFFs ``<d1>_<d2>_unw.tif`` (0 declared
    as no data) and ``_cc.tif`` (float 0-1, NaN without data), on :data:`GT`. Returns the folder."""
    dest = str(dest)
    os.makedirs(dest, exist_ok=True)
    mask = _mask(truth)
    for pair in truth.pairs:
        fill = 0.0 if zero_nodata else np.nan
        write_tif(os.path.join(dest, _name(pair) + "_unw.tif"), np.where(mask, truth.pair_phase(pair), fill),
                  geotransform=GT, nodata=0.0 if zero_nodata else None)
        write_tif(os.path.join(dest, _name(pair) + "_cc.tif"), np.where(mask, truth.coherence(pair), np.nan),
                  geotransform=GT)
    return dest


# ------------------------------------------------------------------ GMTSAR
def _yyyyddd0(day) -> str:
    """Sentinel-1's GMTSAR day of year: counted from 0."""
    return f"{day.year}{day.timetuple().tm_yday - 1:03d}"


def write_gmt_grid(path, array):
    """A GMT netCDF grid of ``array`` (rows north first) on :data:`GRID_X0`/:data:`GRID_Y0`/:data:`STEP` as GMT
    (5 and later) writes a geographic grid: dimensions and variables ``lon``, ``lat`` (``units`` degrees_east /
    degrees_north), ``z(lat, lon)`` with rows south to north, gridline registered (``node_offset`` 0), NaN = no data,
    no CRS variable."""
    from scipy.io import netcdf_file

    rows, cols = array.shape
    with netcdf_file(str(path), "w") as nc:
        nc.title = ""
        nc.Conventions = "CF-1.7"
        nc.node_offset = 0
        nc.createDimension("lon", cols)
        nc.createDimension("lat", rows)
        x = nc.createVariable("lon", "d", ("lon",))
        x[:] = GRID_X0 + STEP * np.arange(cols)
        x.long_name, x.units = "longitude", "degrees_east"
        x.actual_range = np.array([x[0], x[-1]])
        y = nc.createVariable("lat", "d", ("lat",))
        y[:] = (GRID_Y0 - STEP * np.arange(rows))[::-1]
        y.long_name, y.units = "latitude", "degrees_north"
        y.actual_range = np.array([y[0], y[-1]])
        z = nc.createVariable("z", "f", ("lat", "lon"))
        z[:] = np.asarray(array, np.float32)[::-1]
        z.long_name = "z"
        z._FillValue = np.float32(np.nan)


def gmtsar_stack(root, truth: Truth, *, prm=True, wavelength_text=f"{S1_WAVELENGTH_M:.10f}") -> str:
    """GMTSAR's ``intf_all`` of ``truth``; ``wavelength_text``: the PRM's ``radar_wavelength`` value as written
    (GMTSAR writes metres; ``SC_identity = 10`` is Sentinel-1)."""
    top = os.path.join(str(root), "intf_all")
    mask = _mask(truth)
    for pair in truth.pairs:
        d = os.path.join(top, f"{_yyyyddd0(pair[0])}_{_yyyyddd0(pair[1])}")
        os.makedirs(d, exist_ok=True)
        write_gmt_grid(os.path.join(d, "unwrap_ll.grd"), np.where(mask, truth.pair_phase(pair), np.nan))
        write_gmt_grid(os.path.join(d, "corr_ll.grd"), np.where(mask, truth.coherence(pair), np.nan))
        if prm:
            for day in pair:
                with open(os.path.join(d, f"S1_{day:%Y%m%d}_ALL_F1.PRM"), "w") as fh:
                    fh.write(f"SC_identity = 10\nradar_wavelength = {wavelength_text}\n"
                             f"SC_clock_start = {_yyyyddd0(day)}.2231018519\nnear_range = 800000.0\n")
    return top


# ------------------------------------------------------------------ SNAP
_MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _snap_date(day) -> str:
    return f"{day.day:02d}{_MON[day.month - 1]}{day.year}"


def _envi(path_img, array):
    rows, cols = array.shape
    np.asarray(array, ">f4").tofile(path_img)
    with open(os.path.splitext(path_img)[0] + ".hdr", "w") as fh:
        fh.write(f"ENVI\ndescription = {{Sentinel-1 IW Level-1 SLC Product - Unit: }}\nsamples = {cols}\n"
                 f"lines = {rows}\nbands = 1\nheader offset = 0\nfile type = ENVI Standard\ndata type = 4\n"
                 "interleave = bsq\nbyte order = 1\n"
                 f"map info = {{Geographic Lat/Lon, 1.0, 1.0, {GT[0]}, {GT[3]}, {STEP}, {STEP}, WGS84}}\n"
                 'coordinate system string = {GEOGCS["WGS84(DD)",DATUM["WGS84",SPHEROID["WGS84",6378137.0,'
                 '298.257223563]],PRIMEM["Greenwich",0.0],UNIT["degree",0.017453292519943295],AXIS["Geodetic '
                 'longitude",EAST],AXIS["Geodetic latitude",NORTH]]}\n')


def snap_products(root, truth: Truth, *, frequency_mhz=5405.000454334349) -> str:
    root = str(root)
    os.makedirs(root, exist_ok=True)
    mask = _mask(truth)
    for pair in truth.pairs:
        dates = f"{_snap_date(pair[0])}_{_snap_date(pair[1])}"
        name = f"S1A_IW_SLC__1SDV_{pair[0]:%Y%m%d}_Orb_Stack_ifg_deb_dinsar_flt_unw_TC"
        data = os.path.join(root, name + ".data")
        os.makedirs(data, exist_ok=True)
        _envi(os.path.join(data, f"Unw_Phase_ifg_IW2_VV_{dates}.img"), np.where(mask, truth.pair_phase(pair), 0.0))
        _envi(os.path.join(data, f"coh_IW2_VV_{dates}.img"), np.where(mask, truth.coherence(pair), 0.0))
        _envi(os.path.join(data, "elevation.img"), truth.heights())
        with open(os.path.join(root, name + ".dim"), "w") as fh:
            fh.write('<?xml version="1.0" encoding="ISO-8859-1"?>\n<Dimap_Document name="' + name + '.dim">\n'
                     "  <Dataset_Id><DATASET_NAME>" + name + "</DATASET_NAME></Dataset_Id>\n"
                     f"  <Production><PRODUCT_SCENE_RASTER_START_TIME>{pair[0]:%d-%b-%Y} 05:21:14.512345"
                     "</PRODUCT_SCENE_RASTER_START_TIME></Production>\n"
                     "  <Dataset_Sources><MDElem name=\"metadata\"><MDElem name=\"Abstracted_Metadata\">\n"
                     '    <MDATTR name="MISSION" type="ascii">SENTINEL-1A</MDATTR>\n'
                     '    <MDATTR name="PASS" type="ascii">ASCENDING</MDATTR>\n'
                     f'    <MDATTR name="radar_frequency" type="float64" unit="MHz">{frequency_mhz}</MDATTR>\n'
                     f'    <MDATTR name="incidence_near" type="float64" unit="deg">{INCIDENCE - 7.5}</MDATTR>\n'
                     f'    <MDATTR name="incidence_far" type="float64" unit="deg">{INCIDENCE + 7.5}</MDATTR>\n'
                     f'    <MDATTR name="centre_heading" type="float64">{HEADING}</MDATTR>\n'
                     "  </MDElem></MDElem></Dataset_Sources>\n</Dimap_Document>\n")
    return root


# ------------------------------------------------------------------ ISCE2 topsStack in radar coordinates
ISCE_GT = (25.0, STEP, 0.0, 40.0, 0.0, -STEP)  # the map grid the radar grid covers (outer corner)


def _isce_image(path, bands, dtype):
    """An ISCE-like image: raw file (ENVI header here, ISCE writes .xml) and the .vrt ISCE writes beside it."""
    from osgeo import gdal

    rows, cols = bands[0].shape
    ds = gdal.GetDriverByName("ENVI").Create(str(path), cols, rows, len(bands), dtype,
                                          ["INTERLEAVE=BIL", "SUFFIX=ADD"])  # filt_fine.unw.hdr, .cor.hdr apart
    for i, b in enumerate(bands):
        ds.GetRasterBand(i + 1).WriteArray(b)
    ds = None
    gdal.Translate(str(path) + ".vrt", str(path), format="VRT")


def isce_tops_stack(root, truth: Truth) -> str:
    """ISCE2 topsStack ``merged/`` (MintPy ``defaults/auto_path.py``: ``interferograms/*/filt_fine.unw`` (band 1
    amplitude, band 2 unwrapped phase), ``filt_fine.cor``, ``geom_reference/lat.rdr``, ``lon.rdr``), in radar
    coordinates: the radar grid is the map grid of :data:`ISCE_GT` mirrored east-west (a descending pass), the
    lookup tables give each radar pixel's centre; 0 = no data in a corner."""
    from osgeo import gdal

    merged = os.path.join(str(root), "merged")
    rows, cols = truth.shape
    mask = _mask(truth)
    for pair in truth.pairs:
        d = os.path.join(merged, "interferograms", _name(pair))
        os.makedirs(d, exist_ok=True)
        phase = np.where(mask, truth.pair_phase(pair), 0.0)[:, ::-1].astype(np.float32)
        _isce_image(os.path.join(d, "filt_fine.unw"), [np.full(truth.shape, 7.0, np.float32), phase],
                    gdal.GDT_Float32)
        _isce_image(os.path.join(d, "filt_fine.cor"),
                    [np.where(mask, truth.coherence(pair), 0.0)[:, ::-1].astype(np.float32)], gdal.GDT_Float32)
    g = os.path.join(merged, "geom_reference")
    os.makedirs(g, exist_ok=True)
    lon = (ISCE_GT[0] + STEP * (np.arange(cols) + 0.5))[::-1][None, :] * np.ones((rows, 1))
    lat = (ISCE_GT[3] - STEP * (np.arange(rows) + 0.5))[:, None] * np.ones((1, cols))
    _isce_image(os.path.join(g, "lon.rdr"), [lon], gdal.GDT_Float64)
    _isce_image(os.path.join(g, "lat.rdr"), [lat], gdal.GDT_Float64)
    # los.rdr: incidence (deg) and the ground-to-satellite azimuth anticlockwise from north, of HEADING (right-looking)
    az = -(HEADING - 90.0)
    _isce_image(os.path.join(g, "los.rdr"), [np.full(truth.shape, INCIDENCE, np.float32),
                                            np.full(truth.shape, az, np.float32)], gdal.GDT_Float32)
    return merged


def flatten_isce_by_hand(truth: Truth, dest) -> str:
    """What ``gdalwarp -geoloc`` of each pair gives a user: GeoTIFFs on :data:`ISCE_GT`, 0 declared as no data."""
    dest = str(dest)
    os.makedirs(dest, exist_ok=True)
    mask = _mask(truth)
    for pair in truth.pairs:
        write_tif(os.path.join(dest, _name(pair) + "_unw.tif"), np.where(mask, truth.pair_phase(pair), 0.0),
                  geotransform=ISCE_GT, nodata=0.0)
        write_tif(os.path.join(dest, _name(pair) + "_cc.tif"), np.where(mask, truth.coherence(pair), np.nan),
                  geotransform=ISCE_GT)
    return dest


# ------------------------------------------------------------------ ROI_PAC
ENVISAT_WAVELENGTH_M = 0.0562356424  # WAVELENGTH of PyRate's ROI_PAC Envisat headers


def _rmg(path, amplitude, values):
    """ROI_PAC's ``rmg`` layout: float32 little-endian rows of amplitude then values (band 1, band 2)."""
    np.stack([np.asarray(amplitude, "<f4"), np.asarray(values, "<f4")], axis=1).tofile(path)


def roipac_stack(root, truth: Truth, *, wavelength_text=f"{ENVISAT_WAVELENGTH_M}", platform="",
                 projection="", x_first=GRID_X0 - STEP / 2, y_first=GRID_Y0 + STEP / 2, step=STEP,
                 geocoded=True) -> str:
    """ROI_PAC's geocoded interferograms of ``truth`` in one folder, as PyRate's ROI_PAC Envisat data holds them
    (``tests/test_data/small_test/roipac_obs``): ``geo_<yymmdd>-<yymmdd>.unw`` (rmg: amplitude and unwrapped phase,
    float32 little-endian, 0 where not unwrapped) with ``.unw.rsc`` (``WIDTH``, ``FILE_LENGTH``, ``X_FIRST``,
    ``X_STEP``, ``Y_FIRST``, ``Y_STEP``, ``WAVELENGTH``, ``DATE``, ``DATE12``; ``X_FIRST``/``Y_FIRST`` the grid's
    outer corner as GDAL's ROI_PAC driver and PyRate read it), and the correlation ``geo_<pair>.cor`` (rmg, band 2 the
    coherence) with its ``.rsc``. ``projection``: a ``PROJECTION`` line; ``geocoded=False``: headers without the
    grid (radar coordinates)."""
    root = str(root)
    os.makedirs(root, exist_ok=True)
    rows, cols = truth.shape
    mask = _mask(truth)
    amp = np.full(truth.shape, 310.0)
    for pair in truth.pairs:
        name = f"geo_{pair[0]:%y%m%d}-{pair[1]:%y%m%d}"
        wl = float(wavelength_text.split()[0]) * (1e-3 if wavelength_text.endswith("mm") else 1.0)
        _rmg(os.path.join(root, name + ".unw"), amp, np.where(mask, truth.pair_phase(pair, wl), 0.0))
        _rmg(os.path.join(root, name + ".cor"), amp, np.where(mask, truth.coherence(pair), 0.0))
        head = f"WIDTH             {cols}\nFILE_LENGTH       {rows}\n"
        if geocoded:
            head += (f"X_FIRST           {x_first:.9f}\nX_STEP            {step:.9f}\nY_FIRST           {y_first:.9f}\n"
                     f"Y_STEP            {-step:.9f}\n")
        head += f"PROJECTION        {projection}\n" if projection else ""
        head += f"PLATFORM          {platform}\n" if platform else ""
        head += f"WAVELENGTH        {wavelength_text}\nDATE              {pair[0]:%y%m%d}\n" \
                f"DATE12            {pair[0]:%y%m%d}-{pair[1]:%y%m%d}\n"
        for ext in (".unw.rsc", ".cor.rsc"):
            with open(os.path.join(root, name + ext), "w") as fh:
                fh.write(head)
    return root
