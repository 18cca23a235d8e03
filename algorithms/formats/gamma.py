"""GAMMA products as GAMMA writes them: headerless big-endian rasters described by text parameter files.

Sources: the GAMMA DIFF&GEO parameter files as GAMMA writes them (``create_dem_par`` / ``gc_map``: the DEM/MAP
parameter file ``*.dem_par`` / ``*_dem.par`` / ``dem_seg.par`` with ``DEM_projection``, ``data_format``, ``width``,
``nlines``, ``corner_lat``/``corner_lon``, ``post_lat``/``post_lon`` (EQA) or ``corner_north``/``corner_east``,
``post_north``/``post_east``, ``projection_zone``, ``false_northing`` (UTM)); the ISP image parameter files
``*.slc.par`` / ``*_slc.par`` / ``*.mli.par`` (``radar_frequency`` Hz, ``incidence_angle`` and ``heading``
degrees, ``center_range_slc`` m, each read with the unit written after it; ``sensor``); GAMMA's data types
(``FLOAT``/``REAL*4`` float32, ``FCOMPLEX`` two float32, ``SHORT``/``INTEGER*2`` int16), all big-endian; the
layouts MintPy's ``prep_gamma.py`` reads and PyRate's ``tests/test_data/small_test/gamma_obs`` sample (in
``tests/data``).

* The corner coordinate of a DEM/MAP parameter file is the centre of the upper-left pixel (GAMMA's convention;
  ``gc_map`` samples the DEM at its posts): the GDAL geotransform starts half a post before it.
* A geocoded raster of the stack (``.unw``, ``.cc``/``.cor``, ``.inc``, ``.lv_theta``, ``.hgt`` ...) has no header
  of its own: its grid is that of the DEM/MAP parameter file whose ``width x nlines`` it fits, by its size (4 bytes
  a pixel for float32, 8 for fcomplex; the DEM itself as ``data_format`` says).
* ``lv_theta`` is the look vector's elevation angle and ``inc`` the incidence angle (GAMMA ``look_vector`` and
  ``gc_map``); their unit is checked from their values (:mod:`.angle_rasters`).

Pure Python: which files, what grid, which values; ``fileio/formats/gamma.py`` writes the VRTs GDAL reads them through.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional

from ..errors import GeohazardError
from .quantities import quantity
from .wavelength import header_wavelength

C_M_S = 299_792_458.0
#: Name endings of a DEM/MAP parameter file.
DEM_PAR_SUFFIXES = (".dem_par", "_dem.par", ".dem.par", "dem_seg.par")
#: Name endings of an ISP image parameter file (the scene's geometry and radar frequency).
IMAGE_PAR_SUFFIXES = (".slc.par", "_slc.par", ".rslc.par", ".mli.par", "_mli.par", ".rmli.par", ".pwr.par",
                      ".amp.par")
#: Extensions of GAMMA rasters read as delivered (float32 unless said): interferograms, coherence, geometry.
RASTER_EXTS = (".unw", ".cc", ".cor", ".coh", ".diff", ".int", ".inc", ".lv_theta", ".lv_phi", ".hgt", ".dem",
               ".ls_map", ".lt", ".sim_sar", ".pwr", ".mli", ".amp")
#: Extensions of the unwrapped interferograms and coherence of a stack.
UNW_EXTS = (".unw",)
COH_EXTS = (".cc", ".cor", ".coh")
_TYPES = {"REAL*4": ("Float32", 4), "FLOAT": ("Float32", 4), "INTEGER*2": ("Int16", 2), "SHORT": ("Int16", 2)}


@dataclass
class DemPar:
    """The grid of a DEM/MAP parameter file: size, GDAL geotransform, EPSG code, the DEM's own data type."""

    path: str
    width: int
    lines: int
    geotransform: tuple
    epsg: int
    dem_type: tuple = ("Float32", 4)
    projection: str = ""


@dataclass
class ImagePar:
    """An ISP image parameter file's scene values: wavelength (m), incidence (deg), heading (deg), slant range (m)
    and the acquisition date (None when absent)."""

    path: str
    date: Optional[object] = None
    values: dict = field(default_factory=dict)  # INCIDENCE_DEG, HEADING_DEG, SLANT_RANGE_M, WAVELENGTH_M


def parse_par(text: str) -> dict:
    """Key/value pairs of a GAMMA parameter file (``key:  value [unit]``; values as their text, units dropped)."""
    out = {}
    for line in text.splitlines():
        if ":" not in line:
            continue
        key, rest = line.split(":", 1)
        key = key.strip()
        if key and " " not in key:
            out[key] = rest.strip()
    return out


def _first(meta: Mapping[str, str], key: str, name: str, *, required: bool = True) -> Optional[float]:
    raw = meta.get(key)
    if raw is None or not raw.split():
        if required:
            raise GeohazardError(f"{name}: no '{key}:' line (a GAMMA DEM/MAP parameter file has one)")
        return None
    try:
        return float(raw.split()[0])
    except ValueError:
        raise GeohazardError(f"{name}: '{key}: {raw}' is not a number") from None


def is_dem_par_name(basename: str) -> bool:
    return basename.lower().endswith(DEM_PAR_SUFFIXES)


def is_image_par_name(basename: str) -> bool:
    return basename.lower().endswith(IMAGE_PAR_SUFFIXES)


def dem_par(text: str, path: str) -> DemPar:
    """The grid of a DEM/MAP parameter file.

    Raises
    ------
    GeohazardError
        Naming the file: not a DEM/MAP parameter file, a projection other than EQA (geographic WGS 84) or UTM, an
        unreadable size or post.
    """
    name = os.path.basename(path)
    meta = parse_par(text)
    proj = meta.get("DEM_projection", "").split()[0].upper() if meta.get("DEM_projection", "").split() else ""
    if not proj:
        raise GeohazardError(f"{name}: no 'DEM_projection:' line; expected a GAMMA DEM/MAP parameter file")
    width, lines = int(_first(meta, "width", name)), int(_first(meta, "nlines", name))
    if width < 1 or lines < 1:
        raise GeohazardError(f"{name}: width {width} x nlines {lines} is not a grid")
    dtype = _TYPES.get((meta.get("data_format", "REAL*4").split() or ["REAL*4"])[0].upper())
    if dtype is None:
        raise GeohazardError(f"{name}: data_format {meta.get('data_format')!r} is not REAL*4 or INTEGER*2")
    datum = " ".join(meta.get("datum_name", "WGS 1984").split()).upper()
    if "WGS" not in datum or "84" not in datum:
        raise GeohazardError(f"{name}: datum {meta.get('datum_name')!r}: only WGS 84 grids are read (reproject the "
                             "products to WGS 84 with GAMMA, or export them as GeoTIFF with their CRS)")
    if proj == "EQA":
        x0, y0 = _first(meta, "corner_lon", name), _first(meta, "corner_lat", name)
        dx, dy = _first(meta, "post_lon", name), _first(meta, "post_lat", name)
        epsg = 4326
    elif proj == "UTM":
        x0, y0 = _first(meta, "corner_east", name), _first(meta, "corner_north", name)
        dx, dy = _first(meta, "post_east", name), _first(meta, "post_north", name)
        zone = int(_first(meta, "projection_zone", name))
        if not 1 <= zone <= 60:
            raise GeohazardError(f"{name}: projection_zone {zone} is not a UTM zone (1-60)")
        south = (_first(meta, "false_northing", name, required=False) or 0.0) > 0.0
        epsg = (32700 if south else 32600) + zone
    else:
        raise GeohazardError(f"{name}: DEM_projection {proj}: only EQA (geographic) and UTM grids are read; "
                             "geocode the products to one of them, or export them as GeoTIFF with their CRS")
    if dx == 0 or dy == 0 or not all(math.isfinite(v) for v in (x0, y0, dx, dy)):
        raise GeohazardError(f"{name}: posts {dx} x {dy} do not make a grid")
    # the corner is the centre of the upper-left pixel
    gt = (x0 - dx / 2.0, dx, 0.0, y0 - dy / 2.0, 0.0, dy)
    return DemPar(path, width, lines, gt, epsg, dtype, proj)


def image_par(text: str, path: str) -> ImagePar:
    """The scene values of an ISP image parameter file (those it has; each range-checked).

    Raises
    ------
    GeohazardError
        Naming the file and the key when a value is not a number or out of its range (a wrong unit).
    """
    import datetime as _dt

    name = os.path.basename(path)
    meta = parse_par(text)
    out = ImagePar(path)
    checks = (("incidence_angle", "INCIDENCE_DEG", (0.5, 89.5), "angle", "degrees"),
              ("heading", "HEADING_DEG", (-360.0, 360.0), "angle", "degrees"),
              ("center_range_slc", "SLANT_RANGE_M", (1e3, 5e6), "length", "m"))
    for key, target, (lo, hi), kind, unit in checks:
        raw = meta.get(key)
        if raw is None or not raw.split():
            continue
        val = quantity(raw, kinds=(kind,), default_unit=unit, where=name, key=key)[0]
        if not (math.isfinite(val) and lo <= val <= hi):
            raise GeohazardError(f"{name}: '{key}: {raw}' is out of the range of {key} in {unit} "
                                 f"({lo:g}..{hi:g}): a wrong unit or a damaged file")
        out.values[target] = val
    raw = meta.get("radar_frequency")
    if raw is not None and raw.split():
        out.values["WAVELENGTH_M"] = header_wavelength(raw, key="radar_frequency", where=name, default_unit="Hz",
                                                       sensor=meta.get("sensor"))
    parts = meta.get("date", "").split()
    if len(parts) >= 3:
        try:
            out.date = _dt.date(int(parts[0]), int(parts[1]), int(float(parts[2])))
        except ValueError:
            out.date = None
    return out


def raster_dtype(size: int, grid: DemPar, ext: str) -> Optional[tuple]:
    """``(GDAL type, bytes a pixel, bands)`` of a headerless raster of ``size`` bytes on ``grid`` (None when it
    does not fit): the DEM as its ``data_format``; float32 (4 bytes) or fcomplex (8) otherwise."""
    n = grid.width * grid.lines
    if ext == ".dem" and size == n * grid.dem_type[1]:
        return grid.dem_type[0], grid.dem_type[1], 1
    if size == n * 4:
        return "Float32", 4, 1
    if size == n * 8 and ext in (".diff", ".int"):
        return "CFloat32", 8, 1
    return None


#: A float32 sample value is sane when it is 0 or its magnitude lies here: a phase, a height, an angle or a
#: coherence of any product; bytes read in the wrong order give magnitudes spread over the whole float32 range
#: (1e-30, 1e21 ...) and NaN.
SANE_ABS = (1e-12, 1e7)
#: Share of a sample's values that must be sane for a byte order to be the file's.
SANE_SHARE = 0.99
#: Values read per file for the check (evenly spread).
SAMPLE_VALUES = 65536


def _sane_share(values) -> float:
    import numpy as np

    with np.errstate(all="ignore"):
        a = np.abs(values.astype(np.float64))
        ok = (a == 0.0) | ((a >= SANE_ABS[0]) & (a <= SANE_ABS[1]))
    return float(ok.mean()) if ok.size else 1.0


def byte_order(path: str, dtype: tuple, label: str) -> tuple[str, str]:
    """``("MSB" | "LSB", note)``: the byte order of a GAMMA float raster, by plausibility (GAMMA's files have no
    header; GAMMA writes big-endian, other tools sometimes little-endian). ``note`` says so when the file is
    little-endian ("" otherwise); integer rasters are GAMMA's big-endian.

    Raises
    ------
    GeohazardError
        Naming ``label`` when neither order gives plausible values (not float32 of this grid, or damaged).
    """
    import numpy as np

    gtype = dtype[0]
    if gtype not in ("Float32", "CFloat32"):
        return "MSB", ""
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    words = raw[: raw.size // 4 * 4].view(">u4")
    step = max(1, words.size // SAMPLE_VALUES)
    sample = np.array(words[::step])
    del raw, words
    big, little = sample.view(">f4"), sample.byteswap().view(">f4")
    share_big, share_little = _sane_share(big), _sane_share(little)
    if share_big >= SANE_SHARE:
        return "MSB", ""
    if share_little >= SANE_SHARE:
        return "LSB", (f"{label} is little-endian (its values read in GAMMA's big-endian order are not data: e.g. "
                       f"{_odd(big):.3g}); it is read little-endian")
    raise GeohazardError(f"{label}: its values are not plausible in either byte order (e.g. {_odd(big):.3g} read "
                         f"big-endian, as GAMMA writes, {_odd(little):.3g} little-endian): not float32 data of this "
                         "grid, or a damaged file")


def _odd(values) -> float:
    """The largest finite value among those that are not sane (what the message shows), NaN when none is finite."""
    import numpy as np

    with np.errstate(all="ignore"):
        a = np.abs(values.astype(np.float64))
        bad = a[~((a == 0.0) | ((a >= SANE_ABS[0]) & (a <= SANE_ABS[1]))) & np.isfinite(a)]
        return float(bad.max()) if bad.size else float("nan")


def pick_grid(size: int, grids: Iterable[DemPar], ext: str, label: str) -> Optional[DemPar]:
    """The DEM/MAP grid a raster of ``size`` bytes fits (None when none does).

    Raises
    ------
    GeohazardError
        When two grids of different extents fit it: which one is the raster's is not for a reader to guess.
    """
    fits = [g for g in grids if raster_dtype(size, g, ext) is not None]
    distinct = {(g.width, g.lines, tuple(round(v, 9) for v in g.geotransform), g.epsg): g for g in fits}
    if len(distinct) > 1:
        a, b = list(distinct.values())[:2]
        raise GeohazardError(f"{label}: its size fits two GAMMA grids, {os.path.basename(a.path)} and "
                             f"{os.path.basename(b.path)}; keep the DEM/MAP parameter file of the products' grid "
                             "beside them (and move the other away)")
    return next(iter(distinct.values()), None)


def raster_ext(basename: str) -> str:
    """The GAMMA extension of a raster name (``.unw``, ``.cc`` ...), "" for other files."""
    low = basename.lower()
    for ext in sorted(RASTER_EXTS, key=len, reverse=True):
        if low.endswith(ext):
            return ext
    return ""


def scene_values(pars: list, label: str = "") -> tuple[dict, list]:
    """``({key: (value, where)}, warnings)``: the scene values of the stack's image parameter files, the mean
    over them (heading circular); a warning when they spread beyond a degree (files of two tracks?)."""
    out, warnings = {}, []
    for key in ("INCIDENCE_DEG", "HEADING_DEG", "SLANT_RANGE_M", "WAVELENGTH_M"):
        vals = [(p.values[key], p.path) for p in pars if key in p.values]
        if not vals:
            continue
        if key == "HEADING_DEG":
            s = sum(math.sin(math.radians(v)) for v, _ in vals)
            c = sum(math.cos(math.radians(v)) for v, _ in vals)
            mean = math.degrees(math.atan2(s, c)) % 360.0
            spread = max(min(abs(v - mean) % 360.0, 360.0 - abs(v - mean) % 360.0) for v, _ in vals)
        else:
            mean = sum(v for v, _ in vals) / len(vals)
            spread = max(abs(v - mean) for v, _ in vals)
        if key == "WAVELENGTH_M" and spread > 1e-6 * mean:
            raise GeohazardError(f"{label}the image parameter files name two radar frequencies ("
                                 f"{os.path.basename(vals[0][1])}, {os.path.basename(vals[-1][1])}): one stack is one "
                                 "sensor")
        if key in ("INCIDENCE_DEG", "HEADING_DEG") and spread > 1.0:
            warnings.append(f"the {len(vals)} image parameter files' {key.split('_')[0].lower()} spreads by "
                            f"{spread:.2f} deg about their mean (two tracks mixed?): the mean is used")
        names = os.path.basename(vals[0][1]) + (f" and {len(vals) - 1} more (mean)" if len(vals) > 1 else "")
        out[key] = (mean, names)
    return out, warnings


_PAIR_IN_NAME = re.compile(r"(?<!\d)(\d{8})[_-](\d{8})(?!\d)")


def pair_key(basename: str) -> Optional[str]:
    """``YYYYMMDD_YYYYMMDD`` of a GAMMA file name carrying a date pair (``20060619_20061002.unw``,
    ``geo_20060619-20061002.cc``), None otherwise."""
    m = _PAIR_IN_NAME.search(basename)
    return f"{m.group(1)}_{m.group(2)}" if m else None
