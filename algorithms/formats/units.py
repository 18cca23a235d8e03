"""Units a raster's metadata declares, and the check of a raster that declares none.

Our displacements are in mm and velocities in mm/yr (``algorithms/conventions.py``). Other software writes metres
(MintPy: m and m/year, ``objects/stack.py``; HyP3 ``los_disp``: m) and often no unit at all (MintPy's
``save_gdal`` GeoTIFF carries only its grid and CRS, ``src/mintpy/save_gdal.py``). A declared length unit is
converted (:func:`length_unit`); a raster without one whose values cannot be millimetres is named
(:func:`not_millimetres`).
"""

from __future__ import annotations

import math
from typing import Optional

#: Length units (lower case, no spaces) -> (factor to millimetres, our unit).
_LENGTH_UNITS = {
    "m": (1000.0, "mm"), "meter": (1000.0, "mm"), "meters": (1000.0, "mm"), "metre": (1000.0, "mm"),
    "metres": (1000.0, "mm"), "cm": (10.0, "mm"), "mm": (1.0, "mm"), "millimetre": (1.0, "mm"),
    "millimeter": (1.0, "mm"), "millimetres": (1.0, "mm"), "millimeters": (1.0, "mm"),
    "m/year": (1000.0, "mm/yr"), "m/yr": (1000.0, "mm/yr"), "m/y": (1000.0, "mm/yr"), "m/a": (1000.0, "mm/yr"),
    "meter/year": (1000.0, "mm/yr"), "meters/year": (1000.0, "mm/yr"), "cm/year": (10.0, "mm/yr"),
    "cm/yr": (10.0, "mm/yr"), "mm/year": (1.0, "mm/yr"), "mm/yr": (1.0, "mm/yr"), "mm/y": (1.0, "mm/yr"),
    "mm/a": (1.0, "mm/yr"), "m/year^2": (1000.0, "mm/yr2"), "m/yr^2": (1000.0, "mm/yr2"), "mm/yr2": (1.0, "mm/yr2"),
}

#: Below this 99th percentile of |value| a raster read as mm or mm/yr is suspicious: 0.5 mm (or mm/yr) is below
#: what InSAR resolves over a scene, while a deforming scene in metres (or m/yr) sits well below it (10 mm/yr =
#: 0.01 m/yr).
MM_FLOOR = 0.5


def length_unit(unit) -> Optional[tuple[float, str]]:
    """``(factor to mm, "mm" | "mm/yr" | "mm/yr2")`` of a length or rate unit (``m``, ``m/year``, ``cm/yr``,
    ``mm`` ...), ``None`` for anything else (``1``, ``radian``, ``degree``, empty)."""
    text = unit.decode(errors="replace") if isinstance(unit, bytes) else str(unit or "")
    return _LENGTH_UNITS.get(text.strip().lower().replace(" ", ""))


def not_millimetres(p99_abs: float, *, name: str, assumed: str = "mm/yr") -> Optional[str]:
    """A warning naming ``name`` when a raster without a unit, read as ``assumed`` (mm or mm/yr), has a 99th
    percentile of absolute values below :data:`MM_FLOOR`: most likely metres (MintPy's ``save_gdal`` GeoTIFFs,
    HyP3 ``los_disp``); ``None`` otherwise (also when there are no values)."""
    if p99_abs is None or not math.isfinite(p99_abs) or p99_abs >= MM_FLOOR:
        return None
    per = "m/yr" if assumed == "mm/yr" else "m"
    return (f"{name} declares no unit and is read as {assumed}, but 99 % of its values are within +-{p99_abs:.3g} "
            f"{assumed}, below what InSAR resolves: it looks like {per} (MintPy's save_gdal GeoTIFFs and HyP3 "
            f"displacements are in metres). If so, multiply it by 1000 (Raster calculator) or set its metadata "
            f"UNIT={per} (gdal_edit -mo UNIT={per}), which this tool converts")
