"""The scene geometry a baselines product states beside its baselines.

A user who gives BASELINES as a product (a LiCSAR ``baselines`` file or its frame folder, an ISCE2 stack's
``baselines/`` folder, HyP3 products as folders or zips, a MintPy ``timeseries.h5`` or ``ifgramStack.h5``) has
given the product's geometry too: the DEM-error correction needs the slant range (and the incidence) of the same
acquisitions, and the product says them. :func:`stated_geometry` returns them as ``(label, metadata)`` pairs in the
shape the geometry rule reads (:func:`.geometry_meta.collect`): ``SLANT_RANGE_M``, ``INCIDENCE_DEG``,
``HEADING_DEG`` with ``<key>_SOURCE`` saying which file and key stated the value.

Where each producer states it:

* LiCSAR: ``metadata.txt`` beside ``baselines`` (``GEOC/`` or the portal's ``metadata/``): ``centre_range_m``,
  ``avg_incidence_angle``, ``heading`` (``licsar_proc`` ``submit_to_public_metadata.sh``).
* HyP3 INSAR_GAMMA: each product's ``<name>.txt`` (``Slant range center``, ``Heading``), loose or inside its zip;
  the mean over the products (their scene centres differ by metres).
* ISCE2 topsStack: ``reference/IW*.xml`` beside ``baselines/``: each burst's ``startingrange``,
  ``rangepixelsize`` and ``numberofsamples``; the slant range is the middle of the nearest and farthest range
  over the swaths (as MintPy's ``prep_isce.py`` takes ``STARTING_RANGE`` and the width). The incidence lies in
  ``merged/geom_reference/los.rdr`` (a raster; ``fileio`` reads it).
* MintPy: the work folder's geometry file (``inputs/geometryGeo.h5`` / ``geometryRadar.h5``: the mean of
  ``slantRangeDistance`` and ``incidenceAngle``), else the file's attributes (``SLANT_RANGE_DISTANCE``,
  ``CENTER_INCIDENCE_ANGLE``, or ``STARTING_RANGE`` + ``RANGE_PIXEL_SIZE`` x (``WIDTH`` - 1) / 2 and the incidence
  of ``EARTH_RADIUS`` and ``HEIGHT``, as MintPy's ``utils.range_distance`` / ``incidence_angle`` compute the
  scene centre's).

Pure Python and h5py (no GDAL).
"""

from __future__ import annotations

import glob
import math
import os
import xml.etree.ElementTree as ET
import zipfile
from typing import Iterable, Optional

from ..errors import GeohazardError
from . import hyp3, licsar
from .geometry_meta import HEADING_KEY, INCIDENCE_KEY, SLANT_RANGE_KEY, SOURCE_SUFFIX
from .hdf5 import h5py_module
from .mintpy import scene_geometry

#: MintPy geometry files relative to a result or stack's folder (smallbaselineApp.py's work folder).
MINTPY_GEOMETRY = ("geometryGeo.h5", "geometryRadar.h5", os.path.join("inputs", "geometryGeo.h5"),
                   os.path.join("inputs", "geometryRadar.h5"), os.path.join("..", "inputs", "geometryGeo.h5"),
                   os.path.join("..", "inputs", "geometryRadar.h5"), os.path.join("geo", "geo_geometryRadar.h5"))


def _entry(label: str, values: dict, source: str) -> tuple[str, dict]:
    md = {k: f"{v:.10g}" for k, v in values.items()}
    md.update({k + SOURCE_SUFFIX: source for k in values})
    return label, md


# ------------------------------------------------------------------ LiCSAR
def _licsar_metadata(path: str) -> Optional[str]:
    """The ``metadata.txt`` of the LiCSAR frame whose ``baselines`` file (or folder) is ``path``."""
    folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    for cand in (os.path.join(folder, "metadata.txt"), os.path.join(folder, "metadata", "metadata.txt"),
                 os.path.join(os.path.dirname(folder), "metadata", "metadata.txt")):
        if os.path.isfile(cand):
            return cand
    return None


def _licsar(path: str) -> list:
    meta_path = _licsar_metadata(path)
    if meta_path is None:
        return []
    with open(meta_path, encoding="utf-8", errors="replace") as fh:
        meta = licsar.parse_metadata(fh.read(), os.path.basename(meta_path))
    values = licsar.metadata_geometry(meta, os.path.basename(meta_path))
    if not values:
        return []
    rel = os.path.join(os.path.basename(os.path.dirname(meta_path)), "metadata.txt")
    return [_entry(f"LiCSAR {rel}", values, f"LiCSAR {rel}")]


# ------------------------------------------------------------------ HyP3
def hyp3_parameter_texts(path: str) -> list[tuple[str, str]]:
    """``[(file name, text)]`` of the HyP3 ``<name>.txt`` parameter files in ``path``: the file itself, a product
    zip (its ``<name>/<name>.txt`` member), or a folder holding products as folders or zips (one level down)."""
    def is_params(name: str) -> bool:
        base = os.path.basename(name)
        pname = hyp3.product_name(base)
        return bool(pname) and base == pname + ".txt"

    def from_zip(zpath: str) -> list:
        try:
            with zipfile.ZipFile(zpath) as zf:
                return [(os.path.basename(m), zf.read(m).decode("utf-8", "replace")) for m in sorted(zf.namelist())
                        if is_params(m)]
        except (zipfile.BadZipFile, OSError, EOFError):
            return []  # a cut download: the stack reader names it

    if os.path.isfile(path):
        if path.lower().endswith(".zip"):
            return from_zip(path)
        if is_params(path):
            with open(path, encoding="utf-8", errors="replace") as fh:
                return [(os.path.basename(path), fh.read())]
        return []
    out = []
    if os.path.isdir(path):
        for pattern in ("*.txt", os.path.join("*", "*.txt")):
            for f in sorted(glob.glob(os.path.join(path, pattern))):
                if is_params(f):
                    with open(f, encoding="utf-8", errors="replace") as fh:
                        out.append((os.path.basename(f), fh.read()))
        for z in sorted(glob.glob(os.path.join(path, "*.zip"))):
            out += from_zip(z)
    return out


def _hyp3(texts: list) -> list:
    sums: dict = {}
    for name, text in texts:
        values = hyp3.parameters_geometry(hyp3.parse_parameters(text, name), name)
        for k, v in values.items():
            sums.setdefault(k, []).append(v)
    if not sums:
        return []
    values = {}
    for k, vals in sums.items():
        if k == HEADING_KEY:  # a circular mean: headings of -179 and 179 are one direction
            values[k] = licsar.circular_mean_deg(vals)
        else:
            values[k] = sum(vals) / len(vals)
    n = len(texts)
    label = f"HyP3 {texts[0][0]}" if n == 1 else f"HyP3 .txt of {n} products (mean)"
    return [_entry(label, values, label)]


# ------------------------------------------------------------------ ISCE2
_TAGS = ("startingrange", "rangepixelsize", "numberofsamples")


def _isce_bursts(xml_path: str) -> list[tuple[float, float, int]]:
    """``[(starting range m, range pixel size m, samples)]`` of each component of an ISCE product XML that holds all
    three properties (a burst of a topsStack ``IW*.xml``, or the product itself)."""
    try:
        root = ET.parse(xml_path).getroot()
    except (ET.ParseError, OSError):
        return []
    out = []
    for comp in [root] + list(root.iter("component")):
        props = {}
        for prop in comp.findall("property"):
            name = (prop.get("name") or "").strip().lower()
            if name in _TAGS:
                value = prop.find("value")
                text = (value.text if value is not None else prop.text) or ""
                try:
                    props[name] = float(text.strip())
                except ValueError:
                    continue
        if len(props) == 3:
            out.append((props["startingrange"], props["rangepixelsize"], int(props["numberofsamples"])))
    return out


def isce_stack_root(path: str) -> Optional[str]:
    """The ISCE2 stack folder of a ``baselines`` folder (or a pair folder or file inside it), or None."""
    p = os.path.abspath(path)
    for _ in range(3):
        if os.path.basename(p) == "baselines":
            return os.path.dirname(p)
        p = os.path.dirname(p)
    return None


def _isce(path: str) -> list:
    root = isce_stack_root(path)
    if root is None:
        return []
    xmls = sorted(glob.glob(os.path.join(root, "reference", "IW*.xml"))) or \
        sorted(glob.glob(os.path.join(root, "reference", "*.xml")))
    bursts = [b for x in xmls for b in _isce_bursts(x)]
    if not bursts:
        return []
    near = min(b[0] for b in bursts)
    far = max(b[0] + b[1] * (b[2] - 1) for b in bursts)
    centre = 0.5 * (near + far)
    names = ", ".join(os.path.basename(x) for x in xmls)
    label = f"ISCE2 reference/{names}"
    return [_entry(label, {SLANT_RANGE_KEY: centre}, f"{label} (middle of starting range {near:.1f} m and far "
                                                     f"range {far:.1f} m)")]


# ------------------------------------------------------------------ MintPy
def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _mintpy_geometry_file(h5_path: str) -> Optional[str]:
    h5py = h5py_module()
    folder = os.path.dirname(os.path.abspath(h5_path))
    for rel in MINTPY_GEOMETRY:
        cand = os.path.normpath(os.path.join(folder, rel))
        if not os.path.isfile(cand) or os.path.samefile(cand, h5_path):
            continue
        try:
            with h5py.File(cand, "r") as f:
                if "slantRangeDistance" in f or "incidenceAngle" in f:
                    return cand
        except OSError:
            continue
    return None


def mintpy_attribute_geometry(attrs: dict) -> dict:
    """``{SLANT_RANGE_M, INCIDENCE_DEG}`` of the scene centre from MintPy attributes: ``SLANT_RANGE_DISTANCE`` /
    ``CENTER_INCIDENCE_ANGLE`` when stated, else MintPy's ``utils.range_distance`` (near + pixel x (width - 1) / 2)
    and ``utils.incidence_angle`` (the mean of the near and far incidence of a spherical Earth of ``EARTH_RADIUS``
    seen from ``HEIGHT``)."""
    a = {k.upper(): _text(v) for k, v in attrs.items()}

    def num(key):
        try:
            return float(a[key])
        except (KeyError, ValueError):
            return None

    out = {}
    near, step, width = num("STARTING_RANGE"), num("RANGE_PIXEL_SIZE"), num("WIDTH")
    if num("SLANT_RANGE_DISTANCE") is not None:
        out[SLANT_RANGE_KEY] = num("SLANT_RANGE_DISTANCE")
    elif None not in (near, step, width):
        out[SLANT_RANGE_KEY] = near + step * (width - 1) / 2.0
    if num("CENTER_INCIDENCE_ANGLE") is not None:
        out[INCIDENCE_KEY] = num("CENTER_INCIDENCE_ANGLE")
    else:
        radius, height = num("EARTH_RADIUS"), num("HEIGHT")
        if None not in (near, step, width, radius, height):
            def inc(rng):
                c = (radius ** 2 + rng ** 2 - (radius + height) ** 2) / (2.0 * radius * rng)
                return math.degrees(math.pi - math.acos(max(-1.0, min(1.0, c))))
            out[INCIDENCE_KEY] = 0.5 * (inc(near) + inc(near + step * width))
    return out


def _mintpy(path: str) -> list:
    h5py = h5py_module()
    try:
        with h5py.File(path, "r") as f:
            attrs = dict(f.attrs)
    except OSError as exc:
        raise GeohazardError(f"BASELINES: {os.path.basename(path)} is not a readable HDF5 file ({exc})") from None
    out = []
    geom = _mintpy_geometry_file(path)
    if geom:
        scene = {k: float(v) for k, v in scene_geometry(geom).items()}
        if scene:
            rel = os.path.relpath(geom, os.path.dirname(os.path.abspath(path)))
            out.append(_entry(f"MintPy {rel}", scene, f"MintPy {rel} (mean of slantRangeDistance / incidenceAngle)"))
    values = mintpy_attribute_geometry(attrs)
    have = {k for _, md in out for k in md}
    values = {k: v for k, v in values.items() if k not in have}
    if values:
        name = os.path.basename(path)
        out.append(_entry(f"MintPy {name} attributes", values, f"MintPy {name} attributes (scene centre)"))
    return out


# ------------------------------------------------------------------ all of them
def stated_geometry(paths: Iterable[str]) -> list[tuple[str, dict]]:
    """The scene geometry the BASELINES items state, as ``(label, metadata)`` pairs for the geometry rule.

    Parameters
    ----------
    paths : iterable of str
        What was given as BASELINES: files and folders.

    Returns
    -------
    list of (str, dict)
        One pair per producer file that states a value; ``[]`` when none does (GAMMA ``*_bperp.par``, a CSV).
    """
    out = []
    seen = set()
    for p in (str(x) for x in paths if x):
        low = p.lower()
        found: list = []
        if low.endswith((".h5", ".he5")) and os.path.isfile(p):
            found = _mintpy(p)
        elif os.path.basename(p) == "baselines" and os.path.isfile(p):
            found = _licsar(p)
        elif os.path.isdir(p) and os.path.isfile(os.path.join(p, "baselines")):
            found = _licsar(os.path.join(p, "baselines"))
        if not found and isce_stack_root(p):
            found = _isce(p)
        if not found:
            texts = hyp3_parameter_texts(p)
            found = _hyp3(texts) if texts else []
        for label, md in found:
            if label not in seen:
                seen.add(label)
                out.append((label, md))
    return out

