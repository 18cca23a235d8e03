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


#: Above these 99th percentiles of |value| a raster read as mm/yr or mm is beyond what InSAR measures: 10 m/yr (the
#: fastest landslides and glaciers InSAR phase follows move metres a year), 100 m of displacement (the deepest
#: mining basins subside metres to tens of metres).
MM_CEILING = {"mm/yr": 1.0e4, "mm": 1.0e5}


def beyond_millimetres(p99_abs: float, *, name: str, assumed: str = "mm/yr") -> Optional[str]:
    """A warning naming ``name`` when a raster without a unit, read as ``assumed`` (mm or mm/yr), has a 99th
    percentile of absolute values above :data:`MM_CEILING` (micrometres, or no displacement at all); None
    otherwise."""
    ceiling = MM_CEILING.get(assumed)
    if p99_abs is None or ceiling is None or not math.isfinite(p99_abs) or p99_abs <= ceiling:
        return None
    return (f"{name} declares no unit and is read as {assumed}, but 1 % of its values exceed {p99_abs:.4g} {assumed} "
            f"({p99_abs / 1000.0:.4g} m), beyond what InSAR measures: check that it is a displacement or velocity "
            f"in {assumed} (micrometres? another quantity?) and set its metadata UNIT (gdal_edit -mo UNIT=...)")


# ---------------------------------------------------------------------------------------------- undeclared no data
#: Values that software writes for "no data" without always declaring them: SRTM's and many DEMs' -32768 (the
#: int16 minimum), ESRI's and many GIS exports' -9999. A raster (or field) that declares no no-data value and holds
#: one of them, isolated below the rest of its values (:func:`sentinel_values`), has them read as no data.
SENTINELS = (-32768.0, -9999.0)
#: Any |value| at least this is no measurement of ours (heights, displacements, velocities, soil parameters): the
#: float32 and float64 extremes (-3.4028235e38, 1.7976931e308) and their rounded prints (-3.4e38) are no data.
HUGE = 1e30
#: A listed sentinel is taken as no data when the nearest other value lies at least this share of its magnitude
#: above it (-32768 with the data above -29491, -9999 with the data above -8999): a real field reaching down to the
#: sentinel (a mining basin of -9,990 mm) keeps it as a value.
SENTINEL_GAP = 0.1


class SentinelScan:
    """Undeclared no-data values of a raster band or a point field, accumulated block by block (the same answer
    for any blocking): :meth:`add` each block, then :meth:`found`."""

    def __init__(self):
        self.counts = {v: 0 for v in SENTINELS}
        self.huge = {}
        self.rest_min = math.inf

    def add(self, values) -> None:
        import numpy as np

        a = np.asarray(values, dtype=np.float64).ravel()
        big = np.isinf(a) | (np.abs(a) >= HUGE)
        if big.any():
            for v, n in zip(*np.unique(a[big], return_counts=True)):
                self.huge[float(v)] = self.huge.get(float(v), 0) + int(n)
        a = a[np.isfinite(a) & ~big]
        listed = np.zeros(a.shape, bool)
        for v in SENTINELS:
            hit = a == v
            self.counts[v] += int(hit.sum())
            listed |= hit
        rest = a[~listed]
        if rest.size:
            self.rest_min = min(self.rest_min, float(rest.min()))

    def found(self) -> list:
        """``[(value, count)]`` of the no-data values found: every |value| >= :data:`HUGE` (or infinite), and each
        listed sentinel whose nearest other value is :data:`SENTINEL_GAP` of its magnitude above it (or that is
        the only value left)."""
        out = sorted(self.huge.items())
        for v, n in self.counts.items():
            if n and (self.rest_min >= v + SENTINEL_GAP * abs(v)):
                out.append((v, n))
        return out


def sentinel_values(values) -> list:
    """``[(value, count)]`` of the undeclared no-data values of ``values`` (:class:`SentinelScan`)."""
    scan = SentinelScan()
    scan.add(values)
    return scan.found()


def sentinel_mask(values, found) -> "object":
    """True where ``values`` equal one of the no-data values ``found`` (:func:`sentinel_values`)."""
    import numpy as np

    a = np.asarray(values, dtype=np.float64)
    mask = np.zeros(a.shape, bool)
    for v, _ in found:
        mask |= a == v
    return mask


def sentinel_message(name: str, found, *, total: int = 0) -> str:
    """The warning of undeclared no-data values read as no data, naming ``name`` and what to do."""
    what = ", ".join(f"{n:,} x {v:g}" for v, n in found)
    share = f" of {total:,}" if total else ""
    first = found[0][0]
    return (f"{name} declares no no-data value but holds {what}{share} (a value software writes for 'no data', far "
            f"below the others): read as no data. If it is no data, declare it (gdal_edit -a_nodata {first:g}) and "
            "this warning goes; if these are measurements, they are out of any plausible range")


# ---------------------------------------------------------------------------------------------------- heights
#: Height units (lower case, no spaces or underscores) -> factor to metres.
_HEIGHT_UNITS = {
    "m": 1.0, "meter": 1.0, "meters": 1.0, "metre": 1.0, "metres": 1.0, "metrem": 1.0,
    "cm": 0.01, "centimetre": 0.01, "centimeter": 0.01, "centimetres": 0.01, "centimeters": 0.01,
    "mm": 0.001, "millimetre": 0.001, "millimeter": 0.001, "millimetres": 0.001, "millimeters": 0.001,
    "km": 1000.0, "kilometre": 1000.0, "kilometer": 1000.0,
    "ft": 0.3048, "foot": 0.3048, "feet": 0.3048, "internationalfoot": 0.3048, "intlfoot": 0.3048,
    "usft": 1200.0 / 3937.0, "ftus": 1200.0 / 3937.0, "ussurveyfoot": 1200.0 / 3937.0, "usfoot": 1200.0 / 3937.0,
    "foot(us)": 1200.0 / 3937.0, "ussurveyfeet": 1200.0 / 3937.0,
}
#: Heights on Earth in metres: the deepest trench (-10,994 m) to above the highest summit (8,849 m).
HEIGHT_RANGE_M = (-11000.0, 9000.0)
#: Ratios between two rasters of one relief that betray a unit (factor, what it means), checked by
#: :func:`unit_ratio`.
UNIT_RATIOS = ((1.0 / 0.3048, "feet against metres"), (0.3048, "metres against feet"), (10.0, "mm against cm"),
               (100.0, "cm against metres"), (1000.0, "mm against metres (or m against km)"),
               (0.1, "cm against mm"), (0.01, "metres against cm"), (0.001, "metres against mm"))


def height_unit(unit) -> Optional[float]:
    """The factor to metres of a height unit (``m``, ``ft``, ``US survey foot``, ``cm`` ...), None when ``unit`` is
    no length (empty, ``degree``)."""
    text = unit.decode(errors="replace") if isinstance(unit, bytes) else str(unit or "")
    return _HEIGHT_UNITS.get(text.strip().lower().replace(" ", "").replace("_", "").replace("-", ""))


def implausible_heights(low: float, high: float, *, name: str) -> Optional[str]:
    """A refusal naming ``name`` when heights read in metres reach beyond :data:`HEIGHT_RANGE_M` (``low``,
    ``high``: the data's extremes, no data left out); None when they fit."""
    lo, hi = HEIGHT_RANGE_M
    if not (math.isfinite(low) and math.isfinite(high)) or (low >= lo and high <= hi):
        return None
    worst = high if high > hi else low
    hint, unit = "", "cm"
    for factor, word in ((100.0, "cm"), (1000.0, "mm"), (1.0 / 0.3048, "ft")):
        if lo <= worst / factor <= hi:
            hint, unit = f" (in {word} it would be {worst / factor:.4g} m)", word
            break
    return (f"{name} holds heights up to {worst:.6g} read as metres, beyond any height on Earth ({lo:g} to {hi:g} "
            f"m){hint}: declare its unit (gdal_edit -units {unit}) so that it is converted, or convert it to metres "
            "first")


def unit_ratio(slope: float, tol: float = 0.05) -> Optional[str]:
    """What a slope between two rasters of one quantity means when it is a unit factor (:data:`UNIT_RATIOS`, within
    ``tol`` relative), else None."""
    if not (math.isfinite(slope) and slope > 0):
        return None
    for factor, text in UNIT_RATIOS:
        if abs(slope / factor - 1.0) <= tol:
            return text
    return None
