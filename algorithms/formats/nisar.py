"""NISAR L2 Geocoded Unwrapped Interferograms (GUNW, HDF5) as a stack of pairs.

Layout, from the product specification (JPL D-102272, "NISAR NASA SDS Product Specification L2 Geocoded Unwrapped
Interferogram", as the XML of isce-framework/nisarqa ``src/nisarqa/product_specs/1.4.0/nisar_L2_GUNW.xml`` gives it,
Apache-2.0 / BSD-3-Clause) and the producer's writer (isce-framework/isce3
``python/packages/nisar/products/insar/GUNW_writer.py``):

``/science/LSAR/GUNW/grids/frequencyA/unwrappedInterferogram/<pol>/``
    ``unwrappedPhase`` (float32, radians, NaN fill), ``coherenceMagnitude``, ``connectedComponents``,
    ``xCoordinates`` / ``yCoordinates`` (pixel centres, m), ``xCoordinateSpacing`` / ``yCoordinateSpacing``,
    ``projection`` (the EPSG code: UTM or polar stereographic).
``/science/LSAR/GUNW/grids/frequencyA/centerFrequency`` (Hz): the wavelength is c / centerFrequency.
``/science/LSAR/GUNW/metadata/radarGrid/``
    cubes on a coarse grid: ``incidenceAngle`` (degrees), ``perpendicularBaseline`` (m) ...
``/science/LSAR/identification/``
    ``referenceZeroDopplerStartTime``, ``secondaryZeroDopplerStartTime`` (ISO text): the pair (reference, secondary).

File name ``NISAR_L2_PR_GUNW_<cycle>_<track>_<dir>_<frame>_..._<pol>_<ref start>_<ref end>_<sec start>_<sec end>_...
.h5``.

Sign: isce3 forms the interferogram as reference x conj(secondary) (``cxx/isce3/signal/Crossmul.cpp``) of SLCs
focused by backprojection, which compensates each echo by exp(+j 2 pi f0 tau) (``cxx/isce3/focus/Backproject.cpp``):
a range that grows by dR from the reference to the secondary gives +4 pi dR / wavelength. The phase of the pair
(reference, secondary) is thus the stack tools' "radians growing with the range", as MintPy's ``prep_nisar.py``
reads it (as delivered, dates ``<reference>_<secondary>``).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections import OrderedDict
from typing import Optional

import numpy as np

from ..errors import GeohazardError
from ..plausibility import WAVELENGTH_M
from . import geometry_meta as gm
from .gunw import refuse_nisar
from .hdf5 import h5py_module
from .producer_spec import RESERVED, WRAPPED_PRODUCT, Producer
from .stack_spec import PairSpec, StackSpec, one_group, one_wavelength, product_files

NAME = re.compile(r"^NISAR_L2_\w+?_GUNW_(?P<cycle>\d+)_(?P<track>\d+)_(?P<dir>[AD])_(?P<frame>\d+)_.*?_"
                  r"(?P<ref>\d{8})T\d{6}_\d{8}T\d{6}_(?P<sec>\d{8})T\d{6}_\d{8}T\d{6}_.*\.h5$", re.I)
FREQ = "/science/LSAR/GUNW/grids/frequencyA"
UNW = f"{FREQ}/unwrappedInterferogram"
RADAR_GRID = "/science/LSAR/GUNW/metadata/radarGrid"
IDENT = "/science/LSAR/identification"
SPEED_OF_LIGHT = 299792458.0


def subdataset(path: str, dataset: str) -> str:
    """GDAL's name of one dataset of the HDF5 file (``HDF5:"<file>"://science/...``)."""
    return f'HDF5:"{path}":/{dataset}'


def _text(v) -> str:
    v = np.asarray(v).reshape(-1)[0] if np.asarray(v).size else ""
    return v.decode(errors="replace") if isinstance(v, bytes) else str(v)


def _date(f, key: str, label: str) -> _dt.date:
    if key not in f:
        raise GeohazardError(f"{label} has no {key}: not a complete NISAR GUNW product")
    text = _text(f[key][()])
    try:
        return _dt.date.fromisoformat(text[:10])
    except ValueError:
        raise GeohazardError(f"{label}: {key} is {text!r}, not a date") from None


def _cube_mean(f, key: str) -> Optional[float]:
    if key not in f:
        return None
    a = np.asarray(f[key][()], np.float64)
    a = a[np.isfinite(a)]
    return float(a.mean()) if a.size else None


def _polarization(f, label: str) -> str:
    pols = [p for p in ("HH", "VV", "HV", "VH") if f"{UNW}/{p}/unwrappedPhase" in f]
    if not pols:
        raise GeohazardError(f"{label} has no {UNW}/<polarization>/unwrappedPhase: not a complete NISAR GUNW product")
    return pols[0]


def read_file_meta(f, label: str, name_pair: Optional[tuple]) -> dict:
    """The values of one open GUNW (h5py): pair, polarization, wavelength, grid (GDAL geotransform, EPSG, size),
    incidence and perpendicular baseline (cube means); refused naming the file when one the reader needs is
    missing or contradicts the name."""
    pol = _polarization(f, label)
    pair = (_date(f, f"{IDENT}/referenceZeroDopplerStartTime", label),
            _date(f, f"{IDENT}/secondaryZeroDopplerStartTime", label))
    if name_pair is not None and pair != name_pair:
        raise GeohazardError(f"{label}: its identification dates {pair[0]}, {pair[1]} contradict its name "
                             f"({name_pair[0]}, {name_pair[1]}): renamed?")
    if f"{FREQ}/centerFrequency" not in f:
        raise GeohazardError(f"{label} has no {FREQ}/centerFrequency: its wavelength is unknown")
    fc = float(np.asarray(f[f"{FREQ}/centerFrequency"][()]).reshape(-1)[0])
    wl = SPEED_OF_LIGHT / fc if fc > 0 else float("nan")
    if not (WAVELENGTH_M.low <= wl <= WAVELENGTH_M.high):
        raise GeohazardError(f"{label}: {FREQ}/centerFrequency {fc:g} is not a radar frequency in Hz "
                             f"(c / it = {wl:g} m; {WAVELENGTH_M.usual})")
    g = f"{UNW}/{pol}"
    try:
        x, y = np.asarray(f[f"{g}/xCoordinates"][()], float), np.asarray(f[f"{g}/yCoordinates"][()], float)
        proj = f[f"{g}/projection"]
    except KeyError as exc:
        raise GeohazardError(f"{label}: {g} has no {exc.args[0] if exc.args else 'grid'} (xCoordinates, "
                             "yCoordinates, projection): its grid is unknown") from None
    epsg = proj.attrs.get("epsg_code", None)
    epsg = int(np.asarray(epsg if epsg is not None else proj[()]).reshape(-1)[0])
    shape = tuple(int(v) for v in f[f"{g}/unwrappedPhase"].shape)
    if x.size < 2 or y.size < 2 or shape != (y.size, x.size):
        raise GeohazardError(f"{label}: {g}/unwrappedPhase {shape} is not on its x/yCoordinates ({y.size} x "
                             f"{x.size})")
    dx, dy = float(x[1] - x[0]), float(y[1] - y[0])
    return {"pair": pair, "pol": pol, "wavelength": wl, "epsg": epsg, "size": (x.size, y.size),
            "gt": (x[0] - dx / 2.0, dx, 0.0, y[0] - dy / 2.0, 0.0, dy),
            "incidence": _cube_mean(f, f"{RADAR_GRID}/incidenceAngle"),
            "bperp": _cube_mean(f, f"{RADAR_GRID}/perpendicularBaseline")}


def nisar_stack(entries: list) -> StackSpec:
    """NISAR GUNW files (one per pair) as a :class:`StackSpec`: each file's unwrapped phase (radians growing with
    the range, pair (reference, secondary)) and coherence magnitude through GDAL's HDF5 driver, put on its UTM grid
    (:attr:`StackSpec.georef`), the wavelength (c / centerFrequency), incidence and baselines of the files.

    Raises
    ------
    GeohazardError
        Two tracks in one input, a pair given twice, wavelengths or projections that differ, a file that is not a
        complete GUNW (named).
    """
    h5py = h5py_module()
    spec = StackSpec("NISAR", "NISAR GUNW HDF5 files (NISAR_L2_*_GUNW_*.h5)", [])
    left: OrderedDict = OrderedDict()
    tracks: OrderedDict = OrderedDict()
    seen, waves, epsgs, baselines = {}, [], {}, {}
    for e, m in product_files(entries, NAME.match, left, "a NISAR GUNW file", "HDF5"):
        tracks.setdefault((m.group("track"), m.group("dir").upper()), e.rel)
        name_pair = tuple(_dt.datetime.strptime(m.group(k), "%Y%m%d").date() for k in ("ref", "sec"))
        try:
            with h5py.File(e.path, "r") as f:
                meta = read_file_meta(f, e.rel, name_pair)
        except OSError as exc:
            raise GeohazardError(f"{e.rel} is not an HDF5 file that can be read ({exc}); a download cut short?") \
                from None
        pair, key = meta["pair"], tuple(sorted(meta["pair"]))
        if key in seen:
            raise GeohazardError(f"the pair {pair[0]:%Y%m%d}_{pair[1]:%Y%m%d} is in two GUNW files, {seen[key]} and "
                                 f"{e.rel}: give one file per pair")
        seen[key] = e.rel
        waves.append((e.rel, meta["wavelength"]))
        epsgs.setdefault(meta["epsg"], e.rel)
        g = f"{UNW}/{meta['pol']}"
        unw, coh = subdataset(e.path, f"{g}/unwrappedPhase"), subdataset(e.path, f"{g}/coherenceMagnitude")
        for path in (unw, coh):
            spec.georef[path] = (meta["gt"], meta["epsg"], meta["size"])
        spec.pairs.append(PairSpec(pair, unw, coh, label=e.rel,
                                   extras={"connectedComponents": subdataset(e.path, f"{g}/connectedComponents")}))
        if meta["bperp"] is not None:
            baselines[key] = meta["bperp"] if pair[0] < pair[1] else -meta["bperp"]
        if meta["incidence"] is not None:
            spec.geometry.setdefault(gm.INCIDENCE_KEY, []).append(
                (f"mean over the GUNW files of {RADAR_GRID}/incidenceAngle (cube mean)", meta["incidence"]))
    one_group(tracks, "NISAR GUNW files", "track")
    if len(epsgs) > 1:
        (a, fa), (b, fb) = list(epsgs.items())[:2]
        raise GeohazardError(f"the NISAR GUNW files are on two projections: EPSG:{a} ({fa}) and EPSG:{b} ({fb})")
    if not spec.pairs:
        return spec
    w0 = one_wavelength(waves, one="one sensor and one frequency")
    spec.wavelength = (f"c / {FREQ}/centerFrequency of the GUNW files", w0)
    spec.frame = "track {} {}".format(*next(iter(tracks)))
    if baselines:
        spec.baselines, spec.baselines_source = baselines, f"mean of {RADAR_GRID}/perpendicularBaseline of each file"
    spec.taken.append(f"NISAR GUNW: {len(spec.pairs)} pair(s) of {spec.frame} read through GDAL's HDF5 driver "
                      f"({UNW}/<pol>/unwrappedPhase, radians growing with the range, and coherenceMagnitude; NaN = no "
                      f"data) on the files' EPSG:{next(iter(epsgs))} grid (x/yCoordinates), dates from "
                      "identification/reference- and secondaryZeroDopplerStartTime")
    spec.taken.append(f"wavelength {w0:.8g} m: {spec.wavelength[0]}")
    spec.left_out = [(rel, why) for why, rels in left.items() for rel in rels]
    return spec


# ------------------------------------------------------------------ the producer
def stack_claims(e, listing=None):
    """A NISAR GUNW named as NISAR delivers them; another name starting ``NISAR_`` is refused when it is named as a
    GUNW (:func:`.gunw.refuse_nisar`), else :data:`~.producer_spec.RESERVED`."""
    if NAME.match(e.name):
        return True
    if e.name.upper().startswith("NISAR_"):
        refuse_nisar(e.name)
        return RESERVED
    return False


#: NISAR L2 GUNW HDF5 files.
PRODUCER = Producer("NISAR", claims=stack_claims, read_stack=lambda entries, roots, wrapped: nisar_stack(entries),
                    wrapped_refusal=WRAPPED_PRODUCT)
