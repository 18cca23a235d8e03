"""ARIA Sentinel-1 Geocoded Unwrapped Interferograms (GUNW) as a stack of pairs.

Layout (ARIA standard product v2 and later, netCDF-4; ARIA-tools ``tools/ARIAtools/product.py`` lists the layers,
``util/ionosphere.py`` opens them as ``NETCDF:"<file>":/science/grids/data/unwrappedPhase``; MintPy
``src/mintpy/prep_aria.py`` reads the stacks ARIA-tools makes of them):

``/science/grids/data/``
    ``unwrappedPhase`` (radians), ``coherence`` (0-1), ``connectedComponents``, ``amplitude``: on a
    longitude/latitude grid (``longitude``, ``latitude``, WGS 84), ``_FillValue`` 0.
``/science/grids/imagingGeometry/``
    3-D metadata cubes (``heightsMeta``, ``latitudeMeta``, ``longitudeMeta``) on a coarse grid:
    ``perpendicularBaseline``, ``parallelBaseline`` (m), ``incidenceAngle``, ``lookAngle`` (degrees),
    ``azimuthAngle`` (degrees: the ground-to-satellite direction counter-clockwise from east; prep_aria.py
    subtracts 90 to make ISCE's angle).
``/science/radarMetaData/``
    ``wavelength`` (m), ``slantRangeStart``, ``slantRangeEnd`` (m) ...

The file name ``S1-GUNW-A-R-064-tops-20200130_20200124-135156-00119W_00034N-PP-3a3e-v2_0_4.nc`` gives the orbit
direction, look side, track and the pair as ``<reference>_<secondary>``, the reference being the **later**
acquisition. The phase and baseline are of that order: prep_aria.py multiplies both by -1 to make them
``earlier_later``. The pairs are kept in ARIA's order here; the stack tools turn a pair whose first date is the later
one around, with its sign, as they do for any interferogram.

Sign: prep_aria.py's ``earlier_later`` phase is MintPy's (growing with the range: motion away from the satellite
positive), so ARIA's own phase is the stack tools' "radians growing with the range" of the pair in ARIA's order.
"""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from typing import Optional

import numpy as np

from ..errors import GeohazardError
from ..geometry.los import heading_from_azimuth
from . import geometry_meta as gm
from .hdf5 import h5py_module
from .licsar import circular_mean_deg
from .producer_spec import WRAPPED_PRODUCT, Producer
from .stack_spec import PairSpec, StackSpec, one_group, one_wavelength, product_files

NAME = re.compile(r"^S1-GUNW-(?P<direction>[AD])-(?P<look>[RL])-(?P<track>\d{3})-tops-(?P<d1>\d{8})_(?P<d2>\d{8})-"
                  r"(?P<time>\d{6})-.*\.nc$", re.I)
#: A name that says NISAR GUNW (read by :mod:`.nisar` when it is the name NISAR delivers).
NISAR_NAME = re.compile(r"^NISAR_L2_\w+_GUNW_.*\.h5$", re.I)
DATA = "/science/grids/data"
CUBES = "/science/grids/imagingGeometry"
RADAR = "/science/radarMetaData"
_DATES = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def is_gunw_name(basename: str) -> bool:
    return NAME.match(basename) is not None


def refuse_nisar(basename: str) -> None:
    """A file named as a NISAR GUNW but not with the name NISAR delivers (:data:`.nisar.NAME`, which gives its track
    and dates) is refused, naming it."""
    if NISAR_NAME.match(basename):
        raise GeohazardError(f"{basename} is named as a NISAR GUNW product but not as NISAR names them "
                             "(NISAR_L2_PR_GUNW_<cycle>_<track>_<A|D>_<frame>_..._<reference start>_<reference end>_"
                             "<secondary start>_<secondary end>_....h5, which gives its track and dates): give the "
                             "file under the name it was delivered with")


def subdataset(path: str, layer: str) -> str:
    """GDAL's name of one layer of a GUNW (``NETCDF:"<file>":/science/grids/data/<layer>``)."""
    return f'NETCDF:"{path}":{DATA}/{layer}'


def _date(text: str, name: str):
    import datetime as _dt

    m = _DATES.match(text)
    try:
        return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except (AttributeError, ValueError):
        raise GeohazardError(f"{name}: {text!r} is not a date (YYYYMMDD)") from None


def _scalar(f, key: str):
    if key not in f:
        return None
    v = np.asarray(f[key][()]).reshape(-1)
    try:
        x = float(v[0])
    except (IndexError, TypeError, ValueError):
        return None
    return x if np.isfinite(x) else None


def _cube_mean(f, key: str) -> Optional[float]:
    """Mean of a metadata cube over its valid values (fill 0 and NaN left out), None without it."""
    if key not in f:
        return None
    a = np.asarray(f[key][()], np.float64)
    fill = f[key].attrs.get("_FillValue")
    ok = np.isfinite(a)
    if fill is not None:
        ok &= a != float(np.asarray(fill).reshape(-1)[0])
    return float(a[ok].mean()) if ok.any() else None


def read_file_meta(path: str, label: str) -> dict:
    """The scene values of one GUNW file read with h5py: ``wavelength`` (m), ``bperp`` (m, ARIA's order),
    ``incidence``, ``heading`` (degrees), ``slant_range`` (m). Refused, naming the file, when it is not a complete
    GUNW (not HDF5/netCDF-4, no unwrapped phase or no wavelength)."""
    h5py = h5py_module()
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise GeohazardError(f"{label} is not a netCDF-4 file that can be read ({exc}); a download cut short?") \
            from None
    with f:
        try:
            if f"{DATA}/unwrappedPhase" not in f:
                raise GeohazardError(f"{label} has no {DATA}/unwrappedPhase: not a complete ARIA GUNW product (its "
                                     f"groups: {', '.join(sorted(f.keys())) or 'none'})")
            wl = _scalar(f, f"{RADAR}/wavelength")
            if wl is None:
                raise GeohazardError(f"{label} has no {RADAR}/wavelength: not a complete ARIA GUNW product (v2 or "
                                     "later)")
            out = {"wavelength": wl, "bperp": _cube_mean(f, f"{CUBES}/perpendicularBaseline"),
                   "incidence": _cube_mean(f, f"{CUBES}/incidenceAngle")}
            az = f.get(f"{CUBES}/azimuthAngle")
            if az is not None:
                a = np.asarray(az[()], np.float64)
                a = a[np.isfinite(a) & (a != 0)]
                out["heading"] = circular_mean_deg(heading_from_azimuth(a, "lv_phi_deg")) if a.size else None
            r0, r1 = _scalar(f, f"{RADAR}/slantRangeStart"), _scalar(f, f"{RADAR}/slantRangeEnd")
            out["slant_range"] = (r0 + r1) / 2.0 if r0 is not None and r1 is not None else None
        except (OSError, KeyError, RuntimeError) as exc:
            raise GeohazardError(f"{label} cannot be read ({exc}); the file is damaged or incomplete") from None
    return out


def gunw_stack(entries: list) -> StackSpec:
    """ARIA GUNW files (one per pair) as a :class:`StackSpec`: the unwrapped phase and coherence of each through
    GDAL's netCDF subdatasets, the wavelength, perpendicular baselines (sign turned to ``earlier -> later``),
    incidence and heading (the metadata cubes' means) and slant range of the files.

    Raises
    ------
    GeohazardError
        Two tracks or orbit directions in one input, a pair given twice, wavelengths that differ, a file that is
        not a complete GUNW (named).
    """
    spec = StackSpec("ARIA", "ARIA GUNW netCDF files (S1-GUNW-*.nc)", [])
    left: OrderedDict = OrderedDict()
    tracks: OrderedDict = OrderedDict()
    waves, baselines, seen = [], {}, {}
    for e, m in product_files(entries, NAME.match, left, "an ARIA GUNW file", "netCDF"):
        tracks.setdefault((m.group("direction").upper(), m.group("track")), e.rel)
        pair = (_date(m.group("d1"), e.rel), _date(m.group("d2"), e.rel))
        key = tuple(sorted(pair))
        if key in seen:
            raise GeohazardError(f"the pair {pair[0]:%Y%m%d}_{pair[1]:%Y%m%d} is in two GUNW files, {seen[key]} and "
                                 f"{e.rel} (two frames of one pass, or one file twice): frames of one pair are "
                                 "unwrapped apart and must be stitched (ARIA-tools ariaExtract.py); give one file per "
                                 "pair")
        seen[key] = e.rel
        meta = read_file_meta(e.path, e.rel)
        waves.append((e.rel, meta["wavelength"]))
        p = PairSpec(pair, subdataset(e.path, "unwrappedPhase"), subdataset(e.path, "coherence"), label=e.rel,
                     extras={"connectedComponents": subdataset(e.path, "connectedComponents")})
        spec.pairs.append(p)
        if meta["bperp"] is not None:
            baselines[key] = -meta["bperp"] if pair[0] > pair[1] else meta["bperp"]
        for q, k in ((gm.INCIDENCE_KEY, "incidence"), (gm.HEADING_KEY, "heading"),
                     (gm.SLANT_RANGE_KEY, "slant_range")):
            if meta.get(k) is not None:
                where = f"{RADAR}/slantRangeStart and End" if k == "slant_range" else \
                    f"{CUBES}/{'incidenceAngle' if k == 'incidence' else 'azimuthAngle'} (cube mean)"
                spec.geometry.setdefault(q, []).append((f"mean over the GUNW files of {where}", meta[k]))
    one_group(tracks, "GUNW files", "track")
    if not spec.pairs:
        return spec
    w0 = one_wavelength(waves, f" in {RADAR}/wavelength")
    spec.wavelength = (f"{RADAR}/wavelength of the GUNW files", w0)
    spec.frame = "{} track {}".format(*next(iter(tracks)))
    if baselines:
        spec.baselines, spec.baselines_source = baselines, f"mean of {CUBES}/perpendicularBaseline of each file"
    spec.zero_is_nodata = True
    spec.taken.append(f"ARIA GUNW: {len(spec.pairs)} pair(s) of {spec.frame} read through GDAL's netCDF subdatasets "
                      f"({DATA}/unwrappedPhase, coherence; 0 = no data), dates from the file names (reference = the "
                      "later date, as ARIA names them)")
    spec.taken.append(f"wavelength {w0:.8g} m: {RADAR}/wavelength of the files")
    if baselines:
        spec.taken.append(f"perpendicular baselines: {spec.baselines_source} (ARIA's later-earlier sign turned to "
                          "earlier-later, as MintPy's prep_aria.py does)")
    for label, entries_left in left.items():
        spec.left_out += [(r, label) for r in entries_left]
    return spec


def is_gunw_entry(e) -> bool:
    return is_gunw_name(os.path.basename(e.member or e.path))


# ------------------------------------------------------------------ the producer
#: ARIA Sentinel-1 GUNW netCDF files.
PRODUCER = Producer("ARIA", claims=lambda e, listing=None: is_gunw_name(e.name),
                    read_stack=lambda entries, roots, wrapped: gunw_stack(entries), wrapped_refusal=WRAPPED_PRODUCT,
                    container_name=is_gunw_name)
