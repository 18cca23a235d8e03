"""ASF HyP3 InSAR products as ASF delivers them: one zip (or its extracted folder) per pair; their names and
parameter files (the products walked into a stack, and the producer's declaration, are in :mod:`.hyp3_walk`).

Sources: the product README template (``hyp3-gamma/hyp3_gamma/metadata/templates/insar/readme.md.txt.j2``), the
code that packages a product (``hyp3_gamma/insar/ifm_sentinel.py``: ``move_output_files``,
``make_parameter_file``; ``hyp3_gamma/__main__.py``: ``make_archive(base_name=name, base_dir=name)``), the HyP3
InSAR product guide (https://hyp3-docs.asf.alaska.edu/guides/insar_product_guide/) and MintPy's reader
(``mintpy/prep_hyp3.py``).

A product ``S1AB_20200101T123456_20200113T123457_VVP012_INT80_G_ueF_ABCD`` (``S1xy_<ref date>T<time>_<sec date>
T<time>_<pol><orbit><days>_INT<pixel m>_G_<u|w><e|c><1|2|3|F>_<id>``) is a zip ``<name>.zip`` holding the folder
``<name>/`` with ``<name>_unw_phase.tif`` (radians, float32, 0 = no data; positive = away from the sensor),
``<name>_corr.tif`` (coherence 0-1), ``<name>_amp.tif``, ``<name>_water_mask.tif``, optional ``_dem.tif``,
``_lv_theta.tif``/``_lv_phi.tif`` (look-vector elevation and orientation, radians), ``_los_disp.tif``,
``_vert_disp.tif`` (m), ``_inc_map.tif``, ``_wrapped_phase.tif``, browse images, ``<name>.txt`` (the parameters)
and ``<name>.README.md.txt``. Its files are in the local UTM zone with pixels of 80 m (20x4 looks) or 40 m.

``<name>.txt`` holds ``Key: value`` lines, among them ``Reference Granule``, ``Secondary Granule``, ``Reference Pass
Direction``, ``Baseline`` (perpendicular, m), ``UTC time``, ``Heading`` (degrees clockwise from north, GAMMA's
``heading``), ``Slant range center`` (m), the unwrapping reference point (``Y/X coordinate of the reference point
in the map projection``). HyP3 products are Sentinel-1 (C band, 5.405 GHz): their wavelength is that sensor's.
ISCE2 burst products (``S1_<burst>_IW<n>_<d1>_<d2>_<pol>_INT<px>_<id>``) share the layout.
"""

from __future__ import annotations

import math
import re
from typing import Mapping, Optional

from ..conventions import SENTINEL1_WAVELENGTH_M
from ..errors import GeohazardError
from ..plausibility import header_number

_GAMMA = r"S1[ABCD]{2}_\d{8}T\d{6}_\d{8}T\d{6}_(?:VV|HH|VH|HV)[PRO]\d{3,4}_INT\d{2}_G_[uw][ec][123F]_[0-9A-F]{4}"
_BURST = r"S1_\d{6}_IW[123]_\d{8}_\d{8}_(?:VV|HH)_INT\d{2}_[0-9A-F]{4}"
_MULTI = (r"S1[A-D]?_\d{3}_[0-9a-z\-]+_IW_\d{8}_\d{8}_(?:VV|HH)_INT\d{2}_[0-9A-F]{4}")
NAME_RE = re.compile(rf"(?<![0-9A-Za-z])({_GAMMA}|{_BURST}|{_MULTI})")
#: Role of each file of a product, by what follows the product name.
ROLES = {"_unw_phase.tif": "unw", "_corr.tif": "coh", "_dem.tif": "dem", "_lv_theta.tif": "lv_theta",
         "_lv_phi.tif": "lv_phi", "_water_mask.tif": "water_mask", "_amp.tif": "amp", "_los_disp.tif": "los_disp",
         "_vert_disp.tif": "vert_disp", "_inc_map.tif": "inc_map", "_inc_map_ell.tif": "inc_map_ell",
         "_wrapped_phase.tif": "wrapped", ".txt": "txt", ".README.md.txt": "readme"}
WAVELENGTH_M = SENTINEL1_WAVELENGTH_M
WAVELENGTH_LABEL = "HyP3 InSAR products are Sentinel-1 (C band, 5.405 GHz)"

#: ``<name>.txt`` keys read as scene geometry: key -> (quantity key of geometry_meta, plausible range)
_GEOMETRY_KEYS = {"Heading": ("HEADING_DEG", (-360.0, 360.0)), "Slant range center": ("SLANT_RANGE_M", (1e3, 5e6))}


def product_name(text: str) -> Optional[str]:
    """The HyP3 product name in a file, folder or zip name (or path), or None."""
    hits = NAME_RE.findall(text or "")
    return hits[-1] if hits else None


#: What ASF's MintPy recipe adds to the name of a product's GeoTIFF clipped to the stack's common overlap, in the
#: product's folder beside the original ("Time series analysis with HyP3 and MintPy", hyp3-docs
#: ``docs/tutorials/hyp3_insar_stack_for_ts_analysis.ipynb``: ``f'{file.stem}_clipped{file.suffix}'``; earlier
#: versions and MintPy's HyP3 examples: ``*_unw_phase_clip.tif``).
CLIP_SUFFIXES = ("_clipped", "_clip")


def is_clipped(basename: str) -> bool:
    """A GeoTIFF clipped by ASF's MintPy recipe (``<name>_unw_phase_clip.tif``, ``_clipped.tif``)."""
    return basename.endswith(tuple(f"{s}.tif" for s in CLIP_SUFFIXES))


def file_role(basename: str, name: str) -> Optional[str]:
    """The role of a product file (``"unw"``, ``"coh"``, ``"txt"`` ...: :data:`ROLES`), clipped or not
    (:data:`CLIP_SUFFIXES`), or None (browse images, XML metadata, anything else)."""
    if not basename.startswith(name):
        return None
    rest = basename[len(name):]
    for s in CLIP_SUFFIXES:
        if rest.endswith(f"{s}.tif"):
            rest = rest[: -len(s) - 4] + ".tif"
            break
    return ROLES.get(rest)


def parse_parameters(text: str, name: str = "product .txt") -> dict:
    """The ``Key: value`` lines of a product's ``<name>.txt`` (keys and values stripped).

    Raises
    ------
    GeohazardError
        When no line has that form, or the file lacks the ``Reference Granule`` line every HyP3 parameter file
        starts with.
    """
    out = {}
    for line in text.splitlines():
        if ":" not in line:
            continue
        key, value = line.split(":", 1)
        if key.strip():
            out[key.strip()] = value.strip()
    if "Reference Granule" not in out:
        raise GeohazardError(f"{name}: not a HyP3 parameter file (no 'Reference Granule:' line)")
    return out


def _number(meta: Mapping[str, str], key: str, name: str, lo: float, hi: float) -> Optional[float]:
    if key not in meta or meta[key] in ("", "None"):
        return None
    return header_number(meta[key], name, f"'{key}: {meta[key]}'", lo, hi)


def parameters_geometry(meta: Mapping[str, str], name: str = "product .txt") -> dict:
    """``{HEADING_DEG | SLANT_RANGE_M: value}`` of the keys a ``<name>.txt`` carries."""
    out = {}
    for key, (qkey, (lo, hi)) in _GEOMETRY_KEYS.items():
        val = _number(meta, key, name, lo, hi)
        if val is not None:
            out[qkey] = val
    return out


def parameters_baseline(meta: Mapping[str, str], name: str = "product .txt") -> Optional[float]:
    """The perpendicular baseline (m) a ``<name>.txt`` carries (``Baseline:``), or None."""
    return _number(meta, "Baseline", name, -10_000.0, 10_000.0)


def parameters_reference(meta: Mapping[str, str]) -> Optional[tuple]:
    """``(x, y)`` of the pair's unwrapping reference point in the product's map projection, or None."""
    try:
        x = float(meta["X coordinate of the reference point in the map projection"])
        y = float(meta["Y coordinate of the reference point in the map projection"])
    except (KeyError, ValueError):
        return None
    return (x, y) if math.isfinite(x) and math.isfinite(y) else None


def pass_direction(meta: Mapping[str, str]) -> Optional[str]:
    """``"ASCENDING"`` / ``"DESCENDING"`` from ``Reference Pass Direction``, else from ``Heading``, else None."""
    raw = (meta.get("Reference Pass Direction") or "").strip().upper()
    if raw in ("ASCENDING", "DESCENDING"):
        return raw
    try:
        heading = float(meta.get("Heading", "nan")) % 360.0
    except ValueError:
        return None
    if not math.isfinite(heading):
        return None
    return "ASCENDING" if heading < 90.0 or heading > 270.0 else "DESCENDING"
