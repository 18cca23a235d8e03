"""Small synthetic products laid out exactly as their producers deliver them, with a known deformation (no QGIS import
at module level).

* LiCSAR (LiCSBAS ``LiCSBAS01_get_geotiff.py`` / ``LiCSBAS02_ml_prep.py`` docstrings, https://github.com/yumorishita/
  LiCSBAS; the portal tree as ``licsar_proc/bin/licsar2licsbas.sh`` reads it, https://github.com/comet-licsar/
  licsar_proc): ``GEOC/<d1>_<d2>/<d1>_<d2>.geo.unw.tif`` (float32 radians, 0 = no data, no no-data tag),
  ``.geo.cc.tif`` (uint8 0-255), ``<frame>.geo.E/N/U.tif`` (float32 ground-to-satellite unit vector, 0 = no data),
  ``<frame>.geo.hgt.tif``, ``baselines`` (``<primary> <epoch> <bperp> <days>``), ``metadata.txt`` (``key=value``
  as ``submit_to_public_metadata.sh`` writes it); the portal's ``<frame>/interferograms/``, ``metadata/``,
  ``epochs/<date>/<date>.sltd.geo.tif``. EPSG:4326, pixel-is-area.
* HyP3 INSAR_GAMMA (https://hyp3-docs.asf.alaska.edu/guides/insar_product_guide/; ``hyp3-gamma`` ``ifm_sentinel.py``
  ``move_output_files`` / ``make_parameter_file``, ``__main__.py`` ``make_archive(base_dir=name)``; the sample rasters
  in ``hyp3_gamma/metadata/data/insar``: float32, no-data 0, UTM, 80 m): ``<name>.zip`` holding ``<name>/<name>
  _unw_phase.tif``, ``_corr.tif``, ``_amp.tif``, ``_water_mask.tif``, ``_dem.tif``, ``_lv_theta.tif``,
  ``_lv_phi.tif`` (radians), ``<name>.txt``, ``<name>.README.md.txt``, ``_color_phase.png``.

The unwrapped phase of both grows with the range: phase = -4 pi / lambda * d (d: LOS displacement positive toward
the satellite; LiCSBAS13_sb_inv.py ``coef_r2m = -wavelength/4/pi*1000``; HyP3 README "positive values indicate
movement away from the sensor").
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import zipfile

import numpy as np
from testutils import write_geotiff
from testutils_timeseries import sbas_dates, sbas_pairs

S1_WAVELENGTH_M = 299792458.0 / 5.405e9
FRAME = "124D_05291_131313"


def write_tif(path, array, *, geotransform, epsg=4326, dtype="float32", nodata=None, metadata=None):
    """A one-band GeoTIFF of ``array`` in ``dtype`` (``"float32"``, ``"uint8"``); returns ``path``."""
    return write_geotiff(path, array, geotransform=geotransform, epsg=epsg, nodata=nodata, metadata=metadata,
                         dtype=dtype)


def output_files(folder, keys) -> dict:
    """``{key: <folder>/<key in lower case>.tif}`` for the output ``keys`` of a run, ``folder`` made."""
    os.makedirs(folder, exist_ok=True)
    return {k: os.path.join(str(folder), f"{k.lower()}.tif") for k in keys}


def pair_shifts(truth) -> dict:
    """Pair -> (row, column) shift of its product's crop, -1..1 and -2..2 pixels, varied over the pairs."""
    return {p: (k % 3 - 1, (k * 2) % 5 - 2) for k, p in enumerate(truth.pairs)}


class Truth:
    """A deformation known everywhere: ``disp_mm(date)`` (rows, cols) LOS mm positive toward the satellite, zero at
    the first date; a subsiding bowl (``bowl`` rows/cols slices) on still ground."""

    def __init__(self, shape=(30, 36), n_dates=7, *, seed=1, rate_mm_yr=-60.0, coherent_bowl=False):
        self.shape = shape
        self.coherent_bowl = coherent_bowl
        self.dates = sbas_dates(n_dates)
        self.pairs = sbas_pairs(self.dates, max_neighbours=3)
        rows, cols = shape
        yy, xx = np.mgrid[0:rows, 0:cols]
        cy, cx = rows * 0.3, cols * 0.3
        self.velocity = rate_mm_yr * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * (0.12 * rows) ** 2))
        self.velocity[self.velocity > -0.05] = 0.0  # still ground is exactly still
        rng = np.random.default_rng(seed)
        self.bperp = {d: float(rng.uniform(-120, 120)) if k else 0.0 for k, d in enumerate(self.dates)}
        self.pair_offset_rad = {p: float(rng.uniform(-3, 3)) for p in self.pairs}  # each pair's own reference

    def heights(self):
        """Terrain heights (m) on the truth grid: a slope and a ridge."""
        rows, cols = self.shape
        yy, xx = np.mgrid[0:rows, 0:cols]
        return 500.0 + 12.0 * yy + 4.0 * xx + 60.0 * np.sin(xx / 5.0)

    def disp_mm(self, day):
        years = (day - self.dates[0]).days / 365.25
        return self.velocity * years

    def pair_mm(self, pair):
        return self.disp_mm(pair[1]) - self.disp_mm(pair[0])

    def pair_phase(self, pair, wavelength=S1_WAVELENGTH_M):
        """Unwrapped phase (radians, growing with range) of ``pair``, with the pair's own constant offset (its
        unwrapping reference)."""
        return -4.0 * np.pi / wavelength * self.pair_mm(pair) / 1000.0 + self.pair_offset_rad[pair]

    def coherence(self, pair):
        """Coherence 0.55-0.95; with ``coherent_bowl`` highest on the bowl (a city: the case where coherence alone
        puts the reference on the moving ground)."""
        rows, cols = self.shape
        yy, xx = np.mgrid[0:rows, 0:cols]
        if self.coherent_bowl:
            return np.clip(0.55 + 0.4 * self.velocity / self.velocity.min(), 0, 1)
        return np.clip(0.55 + 0.4 * np.cos(0.2 * yy + 0.1 * xx + (pair[1] - pair[0]).days / 30.0) ** 2, 0, 1)


def _name(pair):
    return f"{pair[0]:%Y%m%d}_{pair[1]:%Y%m%d}"


def licsar_enu(shape, heading_deg=-170.0):
    """E, N, U float32 of a right-looking descending track, incidence 31..44 deg across the columns."""
    rows, cols = shape
    inc = np.radians(np.linspace(31.0, 44.0, cols))[None, :] * np.ones((rows, 1))
    az_look = np.radians(heading_deg + 90.0)
    east = -np.sin(inc) * np.sin(az_look)
    north = -np.sin(inc) * np.cos(az_look)
    up = np.cos(inc)
    return [a.astype(np.float32) for a in (east, north, up)]


LICSAR_GT = (25.0, 0.001, 0.0, 40.0, 0.0, -0.001)


def licsar_frame(root, truth: Truth, *, layout="GEOC", frame=FRAME, nodata_corner=True, gacos=False,
                 heading_deg=-170.0, drop_unw=(), extra_files=True):
    """A LiCSAR frame of ``truth`` under ``root``: ``layout="GEOC"`` (LiCSBAS: ``root/GEOC/...``) or ``"portal"``
    (``root/<frame>/interferograms/``, ``metadata/``, ``epochs/``). Returns the folder a user gives (GEOC or the frame
    folder). ``drop_unw``: pairs whose folder lacks its unw (a failed download). A top-left 3x4 corner holds no data
    (0) in every file."""
    root = str(root)
    if layout == "GEOC":
        top = os.path.join(root, "GEOC")
        pair_dir, meta_dir = top, top
    else:
        top = os.path.join(root, frame)
        pair_dir, meta_dir = os.path.join(top, "interferograms"), os.path.join(top, "metadata")
    mask = np.ones(truth.shape, bool)
    if nodata_corner:
        mask[:3, :4] = False
    for pair in truth.pairs:
        d = os.path.join(pair_dir, _name(pair))
        os.makedirs(d, exist_ok=True)
        unw = np.where(mask, truth.pair_phase(pair), 0.0)
        if pair not in drop_unw:
            write_tif(os.path.join(d, _name(pair) + ".geo.unw.tif"), unw, geotransform=LICSAR_GT)
        cc = np.where(mask, np.round(truth.coherence(pair) * 255), 0)
        write_tif(os.path.join(d, _name(pair) + ".geo.cc.tif"), cc, geotransform=LICSAR_GT, dtype="uint8")
        if extra_files:
            write_tif(os.path.join(d, _name(pair) + ".geo.diff_pha.tif"), np.angle(np.exp(1j * unw)),
                      geotransform=LICSAR_GT)
            with open(os.path.join(d, _name(pair) + ".geo.unw.png"), "wb") as fh:
                fh.write(b"\x89PNG\r\n\x1a\n")
    e, n, u = licsar_enu(truth.shape, heading_deg)
    for key, arr in (("E", e), ("N", n), ("U", u)):
        write_tif(os.path.join(meta_dir, f"{frame}.geo.{key}.tif"), np.where(mask, arr, 0), geotransform=LICSAR_GT)
    write_tif(os.path.join(meta_dir, f"{frame}.geo.hgt.tif"), np.where(mask, truth.heights(), 0),
              geotransform=LICSAR_GT)
    primary = truth.dates[0]
    with open(os.path.join(meta_dir, "baselines"), "w") as fh:
        for d in truth.dates:
            fh.write(f"{primary:%Y%m%d} {d:%Y%m%d} {truth.bperp[d]:.4f} {(d - primary).days:.1f}\n")
    with open(os.path.join(meta_dir, "metadata.txt"), "w") as fh:
        fh.write(f"master={primary:%Y%m%d}\ncenter_time=05:21:14.512345\nheading={heading_deg:.4f}\n"
                 "avg_incidence_angle=39.2346\nazimuth_resolution=13.981\nrange_resolution=2.329562\n"
                 "centre_range_m=880461.8\navg_height=512.3\napplied_DEM=CopernicusDEM_30m\n")
    if extra_files:
        with open(os.path.join(meta_dir, "network.png"), "wb") as fh:
            fh.write(b"\x89PNG\r\n\x1a\n")
    if gacos:
        for d in truth.dates:
            folder = os.path.join(top, "epochs", f"{d:%Y%m%d}") if layout != "GEOC" else os.path.join(root, "GACOS")
            name = f"{d:%Y%m%d}.sltd.geo.tif"
            write_tif(os.path.join(folder, name), np.full(truth.shape, 2.3), geotransform=LICSAR_GT)
    return top


def flatten_licsar(src_top, dest, truth: Truth, *, layout="GEOC"):
    """The same frame flattened and typed by hand, as a user does without a product reader: every pair's unw and
    coherence in one folder, the no-data value 0 declared on the unwrapped phase and the coherence converted to
    float 0-1 (``gdal_edit -a_nodata 0``; ``gdal_calc A/255``). Returns the folder."""
    from osgeo import gdal

    dest = str(dest)
    os.makedirs(dest, exist_ok=True)
    pair_dir = src_top if layout == "GEOC" else os.path.join(src_top, "interferograms")
    for pair in truth.pairs:
        d = os.path.join(pair_dir, _name(pair))
        unw = gdal.Open(os.path.join(d, _name(pair) + ".geo.unw.tif")).ReadAsArray()
        write_tif(os.path.join(dest, _name(pair) + ".unw.tif"), unw, geotransform=LICSAR_GT, nodata=0.0)
        cc = gdal.Open(os.path.join(d, _name(pair) + ".geo.cc.tif")).ReadAsArray().astype(np.float64)
        coh = np.where(cc == 0, np.nan, cc / 255.0)
        write_tif(os.path.join(dest, _name(pair) + ".cc.tif"), coh, geotransform=LICSAR_GT)
    return dest


# ------------------------------------------------------------------ HyP3
HYP3_EPSG = 32611


def hyp3_name(pair, pid: str) -> str:
    """``S1AA_<d1>T135156_<d2>T135157_VVP<days>_INT80_G_ueF_<pid>`` (the naming convention of the product guide)."""
    days = (pair[1] - pair[0]).days
    return f"S1AA_{pair[0]:%Y%m%d}T135156_{pair[1]:%Y%m%d}T135157_VVP{days:03d}_INT80_G_ueF_{pid}"


def _hyp3_txt(name, pair, truth, heading, orbit=31000):
    bperp = truth.bperp[pair[1]] - truth.bperp[pair[0]]
    direction = "ASCENDING" if np.cos(np.radians(heading)) > 0 else "DESCENDING"
    return (f"Reference Granule: S1A_IW_SLC__1SDV_{pair[0]:%Y%m%d}T135156_{pair[0]:%Y%m%d}T135223_0{orbit}"
            "_03A1B2_ABCD\n"
            f"Secondary Granule: S1A_IW_SLC__1SDV_{pair[1]:%Y%m%d}T135157_{pair[1]:%Y%m%d}T135224_0{orbit + 175}"
            "_03A1B3_ABCE\n"
            f"Reference Pass Direction: {direction}\n"
            f"Reference Orbit Number: {orbit}\n"
            f"Secondary Pass Direction: {direction}\n"
            f"Secondary Orbit Number: {orbit + 175}\n"
            f"Baseline: {bperp:.4f}\n"
            "UTC time: 50196.123456\n"
            f"Heading: {heading:.6f}\n"
            "Spacecraft height: 693000.0\n"
            "Earth radius at nadir: 6370000.0\n"
            "Slant range near: 800000.0\n"
            "Slant range center: 880000.0\n"
            "Slant range far: 960000.0\n"
            "Range looks: 20\nAzimuth looks: 4\nINSAR phase filter: adf\nPhase filter parameter: 0.6\n"
            "Resolution of output (m): 80\nRange bandpass filter: no\nAzimuth bandpass filter: no\n"
            "DEM source: GLO-30\nDEM resolution (m): 160\nUnwrapping type: mcf\nPhase at reference point: 0.0\n"
            "Azimuth line of the reference point in SAR space: 1000\n"
            "Range pixel of the reference point in SAR space: 2000\n"
            "Y coordinate of the reference point in the map projection: 3961000.0\n"
            "X coordinate of the reference point in the map projection: 394000.0\n"
            "Latitude of the reference point (WGS84): 35.79\nLongitude of the reference point (WGS84): -116.18\n"
            "Unwrapping threshold: none\nSpeckle filter: no\n")


HYP3_ORIGIN = (392680.0, 3962360.0)  # the origin of HyP3's sample rasters (hyp3_gamma/metadata/data/insar)


def hyp3_incidence(truth: Truth, incidence_deg=38.0) -> np.ndarray:
    """Incidence (degrees) on the truth grid: ``incidence_deg`` at the centre, growing 0.25 deg a column."""
    rows, cols = truth.shape
    return incidence_deg + 0.25 * (np.arange(cols)[None, :] - cols / 2.0) * np.ones((rows, 1))


def hyp3_products(root, truth: Truth, *, zipped=(), shifts=None, heading=-12.5, incidence_deg=38.0, pids=None,
                  drop_unw=(), truncate=(), orbit=31000):
    """One HyP3 product per pair of ``truth`` under ``root``, each a window of the truth grid shifted by
    ``shifts[pair] = (rows, cols)`` (different footprints, one pixel lattice) and 2 pixels smaller on each side than
    the truth. ``zipped``: pairs delivered as zips (else extracted folders); ``truncate``: zips cut short (a download
    that stopped); ``drop_unw``: products without their _unw_phase.tif. Returns ``{pair: zip or folder path}``."""
    root = str(root)
    os.makedirs(root, exist_ok=True)
    out = {}
    rows, cols = truth.shape
    for k, pair in enumerate(truth.pairs):
        pid = (pids or {}).get(pair, f"{0xA000 + k:04X}")
        name = hyp3_name(pair, pid)
        dr, dc = (shifts or {}).get(pair, (0, 0))
        r0, c0 = 2 + dr, 2 + dc
        h, w = rows - 4, cols - 4
        win = (slice(r0, r0 + h), slice(c0, c0 + w))
        gt = (HYP3_ORIGIN[0] + c0 * 80.0, 80.0, 0.0, HYP3_ORIGIN[1] - r0 * 80.0, 0.0, -80.0)
        folder = os.path.join(root, name)
        os.makedirs(folder, exist_ok=True)
        kw = dict(geotransform=gt, epsg=HYP3_EPSG, nodata=0.0)
        if pair not in drop_unw:
            write_tif(os.path.join(folder, f"{name}_unw_phase.tif"), truth.pair_phase(pair)[win], **kw)
        write_tif(os.path.join(folder, f"{name}_corr.tif"), truth.coherence(pair)[win], **kw)
        write_tif(os.path.join(folder, f"{name}_amp.tif"), np.full((h, w), 0.3), **kw)
        write_tif(os.path.join(folder, f"{name}_water_mask.tif"), np.ones((h, w)), **kw)
        write_tif(os.path.join(folder, f"{name}_dem.tif"), truth.heights()[win] + 1100.0, **kw)
        theta = np.radians(90.0 - hyp3_incidence(truth, incidence_deg))[win]
        write_tif(os.path.join(folder, f"{name}_lv_theta.tif"), theta, **kw)
        phi = np.radians(90.0 - (heading - 90.0))  # ground-to-sensor direction, counter-clockwise from east
        phi = (phi + np.pi) % (2 * np.pi) - np.pi
        write_tif(os.path.join(folder, f"{name}_lv_phi.tif"), np.full((h, w), phi), **kw)
        with open(os.path.join(folder, f"{name}.txt"), "w") as fh:
            fh.write(_hyp3_txt(name, pair, truth, heading, orbit))
        with open(os.path.join(folder, f"{name}.README.md.txt"), "w") as fh:
            fh.write("ASF InSAR Data Package (GAMMA)\n")
        with open(os.path.join(folder, f"{name}_color_phase.png"), "wb") as fh:
            fh.write(b"\x89PNG\r\n\x1a\n")
        if pair in zipped or pair in truncate:
            zpath = shutil.make_archive(os.path.join(root, name), "zip", root_dir=root, base_dir=name)
            shutil.rmtree(folder)
            if pair in truncate:
                with open(zpath, "r+b") as fh:
                    fh.truncate(os.path.getsize(zpath) // 2)
            out[pair] = zpath
        else:
            out[pair] = folder
    return out


def hyp3_common_window(truth: Truth, shifts):
    """``(row slice, col slice)`` of the truth grid every product covers."""
    rows, cols = truth.shape
    drs = [shifts.get(p, (0, 0))[0] for p in truth.pairs]
    dcs = [shifts.get(p, (0, 0))[1] for p in truth.pairs]
    return slice(2 + max(drs), 2 + min(drs) + rows - 4), slice(2 + max(dcs), 2 + min(dcs) + cols - 4)


def flatten_hyp3(products: dict, dest, truth: Truth, shifts):
    """The products clipped by hand to their common area (``gdal_translate -projwin``, as the HyP3 / MintPy recipe
    does) into one folder of ``_unw_phase.tif`` and ``_corr.tif``, and one product's DEM clipped alike as
    ``dem.tif``. Returns the folder."""
    from osgeo import gdal

    dest = str(dest)
    os.makedirs(dest, exist_ok=True)
    rw, cw = hyp3_common_window(truth, shifts)
    x0, y0 = HYP3_ORIGIN[0] + cw.start * 80.0, HYP3_ORIGIN[1] - rw.start * 80.0
    x1, y1 = HYP3_ORIGIN[0] + cw.stop * 80.0, HYP3_ORIGIN[1] - rw.stop * 80.0
    for where in products.values():
        src = where
        if where.endswith(".zip"):
            src = os.path.join(dest, "_x")
            with zipfile.ZipFile(where) as zf:
                zf.extractall(src)
            src = os.path.join(src, os.path.basename(where)[:-4])
        name = os.path.basename(src)
        suffixes = ("_unw_phase.tif", "_corr.tif") + (("_dem.tif",) if not os.path.exists(
            os.path.join(dest, "dem.tif")) else ())
        for suffix in suffixes:  # plain rasters by their names (the recipe's own _clip.tif is a product: see
            # tests/processing/test_products_hyp3_clip.py)
            out = os.path.join(dest, "dem.tif" if suffix == "_dem.tif" else name + suffix.replace(".tif", "_flat.tif"))
            gdal.Translate(out, os.path.join(src, name + suffix), projWin=[x0, y0, x1, y1])
        if where.endswith(".zip"):
            shutil.rmtree(os.path.join(dest, "_x"))
    return dest


def first_date(truth: Truth) -> dt.date:
    return truth.dates[0]
