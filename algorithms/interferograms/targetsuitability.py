"""Radar-target suitability: expected measurement points per km2 from land cover and the R-index.

The map of the British nationwide feasibility study (Cigna et al. 2014, doi:10.1016/j.rse.2014.06.025): each
land-cover class has an expected density of radar targets (targets per km2 for one band and processing), and the
terrain decides how much of it the satellite sees. Here

    expected (per km2) = density(class) x clip(R, 0, 1),   0 in layover and shadow,

with ``R = sin(incidence - alpha)`` the R-index of :mod:`..geometry.distortion` (alpha the slope along range,
positive facing the sensor): R <= 0 is active layover, NaN active shadow; the passive layover and shadow of the
distortion classes (when given) are set to 0 as well. The expected number of points in an area is the integral of
that density over its surface (a sum of pixel values times pixel areas).

The densities are the user's table (``class,density[,label]``), read by :func:`parse_densities`, or measured on an
existing result as the study did from its PSI results (:func:`calibration_block`, :func:`derive_densities`): the
points on each class's pixels over the area the radar sees of them. A land-cover code the table does not hold is
refused, listed with its pixel count (:func:`missing_codes_message`), never taken as 0.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import numpy as np

from ..errors import GeohazardError

#: The 44 classes of CORINE Land Cover in the order of the Copernicus GeoTIFF's grid codes 1..44 (the raster the
#: Copernicus Land Monitoring Service distributes stores 1..44 and lists the three-digit codes in its attribute
#: table; 48 is its "no data").
CORINE_CODES = (111, 112, 121, 122, 123, 124, 131, 132, 133, 141, 142, 211, 212, 213, 221, 222, 223, 231, 241, 242,
                243, 244, 311, 312, 313, 321, 322, 323, 324, 331, 332, 333, 334, 335, 411, 412, 421, 422, 423, 511,
                512, 521, 522, 523)
#: Short names of the CORINE classes (level 3 of the nomenclature), for the messages and the table's labels.
CORINE_NAMES = {
    111: "continuous urban fabric", 112: "discontinuous urban fabric", 121: "industrial or commercial units",
    122: "road and rail networks", 123: "port areas", 124: "airports", 131: "mineral extraction sites",
    132: "dump sites", 133: "construction sites", 141: "green urban areas", 142: "sport and leisure facilities",
    211: "non-irrigated arable land", 212: "permanently irrigated land", 213: "rice fields", 221: "vineyards",
    222: "fruit trees and berry plantations", 223: "olive groves", 231: "pastures",
    241: "annual crops with permanent crops", 242: "complex cultivation patterns",
    243: "agriculture with natural vegetation", 244: "agro-forestry areas", 311: "broad-leaved forest",
    312: "coniferous forest", 313: "mixed forest", 321: "natural grasslands", 322: "moors and heathland",
    323: "sclerophyllous vegetation", 324: "transitional woodland-shrub", 331: "beaches, dunes, sands",
    332: "bare rocks", 333: "sparsely vegetated areas", 334: "burnt areas", 335: "glaciers and perpetual snow",
    411: "inland marshes", 412: "peat bogs", 421: "salt marshes", 422: "salines", 423: "intertidal flats",
    511: "water courses", 512: "water bodies", 521: "coastal lagoons", 522: "estuaries", 523: "sea and ocean",
}
#: The Copernicus GeoTIFF's "no data" grid code.
CORINE_GRID_NODATA = 48

#: Classes of the distortion raster of ``geometricdistortion`` where the ground is not seen (active and passive
#: layover, active and passive shadow: :data:`..geometry.distortion.DISTORTION_CLASSES` 1-4).
HIDDEN_CLASSES = (1, 2, 3, 4)


#: What a typed density counts (DENSITY_REFERENCE): targets per km2 per unit of the clipped R-index (the map is
#: density x clip(R, 0, 1), as the measured densities are), or targets per km2 on flat open ground at the scene's
#: incidence (where R = sin(incidence): the density is divided by it first, so flat ground gives it back).
DENSITY_REFERENCES = ("per unit R-index", "flat open ground")
#: An R-index is a sine: values beyond 1 by more than this (rounding, resampling) are clipped with a warning; by
#: more than RINDEX_REFUSED, refused (an angle, not a sine).
RINDEX_TOLERANCE = 0.01
RINDEX_REFUSED = 0.5

#: Memory of one pixel of a block (bytes), the engine's plan for each pass: the counting pass reads the land cover as
#: float64 and keeps its codes and counts; the suitability pass reads the land cover, the R-index and the distortion
#: classes as float64 (24) with the lookup's index, found mask, visibility and density temporaries; the calibration
#: pass adds the calibration polygon's mask, the points per pixel and the per-class sums.
COUNT_BYTES_PER_PIXEL = 32.0
SUITABILITY_BYTES_PER_PIXEL = 72.0
CALIBRATION_BYTES_PER_PIXEL = 80.0


@dataclass(frozen=True)
class DensityTable:
    """Expected targets per km2 by land-cover code: ``codes`` sorted (int64), ``density`` (float64), labels."""

    codes: np.ndarray
    density: np.ndarray
    labels: tuple

    def label(self, code: int) -> str:
        i = int(np.searchsorted(self.codes, code))
        if i < len(self.codes) and self.codes[i] == code and self.labels[i]:
            return self.labels[i]
        return CORINE_NAMES.get(int(code), "")


def parse_densities(text: str, *, name: str = "DENSITIES") -> DensityTable:
    """The table ``class,density[,label]`` (a header row naming the columns; comma or semicolon separated).

    Parameters
    ----------
    text : str
        The CSV text.
    name : str
        The parameter named in the errors.

    Returns
    -------
    DensityTable
        ``density`` in targets per km2 (>= 0), one row per integer class code.
    """
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise GeohazardError(f"{name}: the table is empty; expected a CSV with the columns class,density[,label]")
    dialect = ";" if lines[0].count(";") > lines[0].count(",") else ","
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=dialect))
    header = [h.strip().lower() for h in rows[0]]
    if "class" not in header or "density" not in header:
        raise GeohazardError(f"{name}: the first row must name the columns class,density (optionally label); got "
                             f"{','.join(rows[0])!r}")
    ic, idn = header.index("class"), header.index("density")
    il = header.index("label") if "label" in header else None
    table: dict = {}
    for n, row in enumerate(rows[1:], start=2):
        if len(row) <= max(ic, idn):
            raise GeohazardError(f"{name}: row {n} ({','.join(row)!r}) has no {header[max(ic, idn)]} value")
        try:
            code_f = float(row[ic])
            dens = float(row[idn])
        except ValueError:
            raise GeohazardError(f"{name}: row {n} ({','.join(row)!r}): class and density must be numbers") from None
        if not code_f.is_integer():
            raise GeohazardError(f"{name}: row {n}: class {row[ic]!r} is not an integer land-cover code")
        if not math.isfinite(dens) or dens < 0:
            raise GeohazardError(f"{name}: row {n}: density {row[idn]!r} must be a finite number >= 0 "
                                 "(targets per km2)")
        code = int(code_f)
        if code in table:
            raise GeohazardError(f"{name}: class {code} is given twice (rows {table[code][2]} and {n})")
        label = row[il].strip() if il is not None and il < len(row) else ""
        table[code] = (dens, label, n)
    if not table:
        raise GeohazardError(f"{name}: the table has a header but no class")
    codes = np.array(sorted(table), dtype=np.int64)
    return DensityTable(codes, np.array([table[c][0] for c in codes], dtype=np.float64),
                        tuple(table[c][1] for c in codes))


def per_unit_r(table: DensityTable, incidence_deg: float) -> DensityTable:
    """A table of densities on flat open ground (targets per km2 where the slope along range is 0) as densities per
    unit R-index: each divided by the flat ground's R-index, ``sin(incidence)`` (Notti et al. 2014,
    doi:10.1080/01431161.2014.894528: ``R = sin(incidence - slope)``), so that the map gives them back on flat
    ground."""
    inc = float(incidence_deg)
    if not (math.isfinite(inc) and 0.0 < inc < 90.0):
        raise GeohazardError(f"the incidence must be 0-90 degrees from the vertical, got {incidence_deg!r}")
    return DensityTable(table.codes, table.density / math.sin(math.radians(inc)), table.labels)


def rindex_problem(vmin: float, vmax: float, name: str = "R_INDEX") -> tuple:
    """``(error, warning)`` for a raster whose values span ``vmin..vmax`` given as an R-index (a sine, -1..1): an
    error when it goes beyond by more than :data:`RINDEX_REFUSED` (values reaching tens look like an angle in
    degrees: the incidence minus the slope, or the slope itself), a warning when by more than
    :data:`RINDEX_TOLERANCE` (clipped to -1..1); empty strings when it is one."""
    lo, hi = float(vmin), float(vmax)
    if lo >= -1.0 - RINDEX_TOLERANCE and hi <= 1.0 + RINDEX_TOLERANCE:
        return "", ""
    if lo >= -1.0 - RINDEX_REFUSED and hi <= 1.0 + RINDEX_REFUSED:
        return "", (f"{name}: values range from {lo:.4g} to {hi:.4g}, beyond the -1..1 of an R-index (a sine); "
                    "clipped to 0..1 as the map does")
    what = ("this looks like an angle in degrees (the R-index is its sine: sin(incidence - slope along range))"
            if -90.5 <= lo and hi <= 180.5 and max(abs(lo), abs(hi)) > 3.0 else
            "this is not an R-index")
    return (f"{name}: values range from {lo:.4g} to {hi:.4g}, expected the R-index, a sine within -1..1 "
            f"(geometricdistortion's R-index output); {what}. Clipped to 1 it would be taken as seen whole"), ""


def sufficient(expected: np.ndarray, min_points: float) -> np.ndarray:
    """Per area, whether its expected points reach ``min_points`` (object array of bool; None where the area has no
    expected value)."""
    e = np.asarray(expected, dtype=np.float64)
    return np.array([None if not np.isfinite(v) else bool(v >= min_points) for v in e], dtype=object)


def areas_summary(rows: dict, min_points: float, *, areas: str = "AREAS", land_cover: str = "LAND_COVER",
                  min_name: str = "MIN_POINTS") -> tuple:
    """``(the log's summary of the areas' expected points, the warning naming the areas off the land cover or "")``
    of the table of :func:`expected_points` rows (``AREA_FID``, ``EXPECTED_POINTS``, ``sufficient``)."""
    expected = np.asarray(rows["EXPECTED_POINTS"], dtype=np.float64)
    off = np.asarray(rows["AREA_FID"])[~np.isfinite(expected)]
    enough = sum(1 for v in rows["sufficient"] if v)
    summary = (f"{len(expected)} area(s): {np.nansum(expected):.0f} expected points; {enough} with at least "
               f"{min_points:g} ({min_name})")
    warning = ""
    if off.size:
        warning = (f"{areas}: {off.size} area(s) have no pixel of {land_cover} with a value (off its extent or over "
                   "its no-data) and get no expected points (NULL): AREA_FID "
                   + ", ".join(str(int(f)) for f in off[:10]) + (" ..." if off.size > 10 else ""))
    return summary, warning


def grid_codes_to_corine(values: np.ndarray) -> np.ndarray:
    """The Copernicus GeoTIFF's grid codes (1..44) as three-digit CORINE codes (float64, NaN for its no-data 48 and
    NaN); another value stays as it is, so that it is reported as a code the table lacks."""
    v = np.asarray(values, dtype=np.float64)
    out = v.copy()
    ok = np.isfinite(v) & (v >= 1) & (v <= len(CORINE_CODES)) & (v == np.round(v))
    out[ok] = np.asarray(CORINE_CODES, dtype=np.float64)[v[ok].astype(np.int64) - 1]
    out[v == CORINE_GRID_NODATA] = np.nan
    return out


def class_counts_block(block, inputs, *, grid_codes: bool = False) -> dict:
    """The land-cover codes of a block and their pixel counts: ``{"codes": int64, "counts": int64}``.

    Codes that are not integers are counted as themselves (float), so that they are named in the message."""
    lc = np.asarray(inputs["land_cover"], dtype=np.float64)
    if grid_codes:
        lc = grid_codes_to_corine(lc)
    v = lc[np.isfinite(lc)]
    codes, counts = np.unique(v, return_counts=True)
    return {"codes": codes, "counts": counts.astype(np.int64)}


def missing_codes_message(codes: np.ndarray, counts: np.ndarray, table: DensityTable, *,
                          land_cover: str = "LAND_COVER", densities: str = "DENSITIES") -> str:
    """The codes of the land cover that the table has no density for, each with its pixel count and CORINE name
    (empty string when none is missing)."""
    codes = np.asarray(codes, dtype=np.float64)
    known = np.isin(codes, table.codes.astype(np.float64))
    if known.all():
        return ""
    items = []
    for c, n in zip(codes[~known], np.asarray(counts)[~known]):
        text = f"{int(c)}" if float(c).is_integer() else f"{c:g}"
        name = CORINE_NAMES.get(int(c), "") if float(c).is_integer() else ""
        items.append(f"{text}{' (' + name + ')' if name else ''}: {int(n)} px")
    return (f"{land_cover} has {len(items)} class code(s) with no density in {densities}: " + "; ".join(items)
            + f". Add a row class,density for each (0 where no target is expected) or set them to no-data in "
            f"{land_cover}; a missing class is not taken as 0.")


def suitability_block(block, inputs, *, table: DensityTable, grid_codes: bool = False) -> dict:
    """Expected targets per km2 of one block (float32, NaN where the land cover or the R-index is no-data).

    ``inputs``: ``land_cover`` (class codes), ``rindex`` (the R-index, NaN in active shadow and outside the DEM),
    optionally ``classes`` (the distortion classes of ``geometricdistortion``: 1-4 layover and shadow, 0 or NaN no
    data). Without ``classes``, a NaN R-index counts as active shadow (0). Codes absent from ``table`` raise (they
    are checked over the whole raster first, :func:`missing_codes_message`)."""
    lc = np.asarray(inputs["land_cover"], dtype=np.float64)
    if grid_codes:
        lc = grid_codes_to_corine(lc)
    valid = np.isfinite(lc)
    idx = np.searchsorted(table.codes.astype(np.float64), np.where(valid, lc, table.codes[0]))
    idx = np.minimum(idx, len(table.codes) - 1)
    found = table.codes[idx].astype(np.float64) == np.where(valid, lc, table.codes[0])
    if not found.all():
        bad = np.unique(lc[~found])
        raise GeohazardError(f"land cover code(s) {', '.join(f'{c:g}' for c in bad[:10])} have no density")
    seen, valid = visibility(inputs, valid)
    out = table.density[idx] * seen
    return {"density": np.where(valid, out, np.nan).astype(np.float32)}


def visibility(inputs, valid: np.ndarray) -> tuple:
    """The share of each pixel the radar sees, clip(R, 0, 1) (0 in layover and shadow), and the pixels with a
    value: ``valid`` less, when the distortion classes are given, the pixels outside the DEM (no class and no
    R-index). Without ``rindex`` in ``inputs`` every pixel is seen whole (1)."""
    if inputs.get("rindex") is None:
        return np.ones(valid.shape), valid
    r = np.asarray(inputs["rindex"], dtype=np.float64)
    seen = np.clip(np.where(np.isfinite(r), r, 0.0), 0.0, 1.0)
    if inputs.get("classes") is not None:
        hidden = np.isin(np.asarray(inputs["classes"], dtype=np.float64), HIDDEN_CLASSES)
        seen = np.where(hidden, 0.0, seen)
        # outside the DEM the distortion map has no class and the R-index no value: no-data, not shadow
        valid = valid & (np.isfinite(r) | hidden)
    return seen, valid


def expected_points(density_km2: np.ndarray, pixel_area_km2: np.ndarray, inside: np.ndarray) -> tuple:
    """Expected points in an area and its surface: (sum of density x pixel area over the pixels whose centre is
    inside, area in km2 of those pixels, area in km2 with a density value). ``pixel_area_km2`` broadcasts against
    the window (one value per row for a geographic grid)."""
    d = np.asarray(density_km2, dtype=np.float64)
    a = np.broadcast_to(np.asarray(pixel_area_km2, dtype=np.float64), d.shape)
    m = np.asarray(inside, dtype=bool)
    ok = m & np.isfinite(d)
    return float(np.sum(d[ok] * a[ok])), float(np.sum(a[m])), float(np.sum(a[ok]))


# ---- densities measured on an existing result (the feasibility study's own way) --------------------------------

#: The least area of a class (km2) for its density to be derived from a calibration result: its area in the
#: calibration area times its mean clipped R-index (the area the radar sees of it). Below it the count of points is
#: too small to say anything (a class of 1 km2 seen at 5 points per km2 gives 5 +- 2.2 points).
MIN_CALIBRATION_KM2 = 1.0


def points_grid(flat_sorted: np.ndarray, row0: int, row1: int, width: int) -> np.ndarray:
    """Points per pixel of the rows ``row0:row1`` of a grid ``width`` columns wide (float64), from the sorted flat
    pixel indices ``row * width + col`` of the points (one entry per point)."""
    flat = np.asarray(flat_sorted, dtype=np.int64)
    lo, hi = np.searchsorted(flat, [row0 * width, row1 * width])
    counts = np.bincount(flat[lo:hi] - row0 * width, minlength=(row1 - row0) * width)
    return counts.reshape(row1 - row0, width).astype(np.float64)


def calibration_block(block, inputs, *, pixel_area_km2: np.ndarray, grid_codes: bool = False) -> dict:
    """Per land-cover code of one block: the area (km2) of its pixels in the calibration area, the area the radar
    sees of it (sum of clip(R, 0, 1) x pixel area, 0 in layover and shadow: :func:`visibility`) and the points on
    them; with the points of the block left out (outside the calibration area or on no-data).

    ``inputs``: ``land_cover``, ``inside`` (1 in the calibration area), ``points`` (points per pixel,
    :func:`points_grid`), optionally ``rindex`` and ``classes`` as in :func:`suitability_block`.
    ``pixel_area_km2``: the area of the pixels of each row of the whole grid (km2). Returns ``codes`` (float64),
    ``area_km2``, ``seen_km2``, ``points`` (``(codes, rows)``: the sums of each code over each row of the block, so
    that the totals, summed exactly by :func:`add_calibration`, do not depend on the blocks) and ``left_out``."""
    lc = np.asarray(inputs["land_cover"], dtype=np.float64)
    if grid_codes:
        lc = grid_codes_to_corine(lc)
    pts = np.asarray(inputs["points"], dtype=np.float64)
    seen, valid = visibility(inputs, np.isfinite(lc))
    use = valid & (np.asarray(inputs["inside"]) > 0)
    rows = slice(block.row0, block.row1) if block is not None else slice(0, lc.shape[0])
    area = np.broadcast_to(np.asarray(pixel_area_km2, dtype=np.float64)[rows][:, None], lc.shape)
    codes, inv = np.unique(lc[use], return_inverse=True)
    n, rows_n = len(codes), lc.shape[0]
    key = inv * rows_n + np.nonzero(use)[0]  # one bin per code and row, filled in column order

    def sums(w):
        return np.bincount(key, weights=w[use], minlength=n * rows_n).reshape(n, rows_n)

    return {"codes": codes, "area_km2": sums(area), "seen_km2": sums(area * seen), "points": sums(pts),
            "left_out": float(pts.sum() - pts[use].sum())}


@dataclass(frozen=True)
class Calibration:
    """Densities measured on a calibration result: per land-cover code (sorted), the points on its pixels, its
    area and seen area (km2) in the calibration area, its density (targets per km2 of seen area; NaN when the
    class is too small, :data:`MIN_CALIBRATION_KM2`)."""

    codes: np.ndarray
    points: np.ndarray
    area_km2: np.ndarray
    seen_km2: np.ndarray
    density: np.ndarray

    @property
    def derived(self) -> np.ndarray:
        return np.isfinite(self.density)

    def table(self) -> DensityTable:
        """The derived rows as a density table (CORINE names as labels)."""
        ok = self.derived & (self.codes == np.round(self.codes))
        if not ok.any():
            raise GeohazardError("CALIBRATION_POINTS: no land-cover class has the "
                                 f"{MIN_CALIBRATION_KM2:g} km2 seen by the radar in the calibration area that a "
                                 "density needs; give a larger calibration area or result")
        codes = self.codes[ok].astype(np.int64)
        return DensityTable(codes, self.density[ok].astype(np.float64),
                            tuple(CORINE_NAMES.get(int(c), "") for c in codes))


def _add_exact(partials: list, x: float) -> None:
    """Add ``x`` to the exact sum held by ``partials`` (non-overlapping floats, Shewchuk's algorithm as in
    ``math.fsum``): ``math.fsum(partials)`` is then the correctly rounded sum, whatever the order of the values."""
    i = 0
    for y in partials:
        if abs(x) < abs(y):
            x, y = y, x
        hi = x + y
        lo = y - (hi - x)
        if lo:
            partials[i] = lo
            i += 1
        x = hi
    partials[i:] = [x]


def add_calibration(totals: dict, out: dict) -> dict:
    """``totals`` (code -> three exact sums: area, seen area, points, :func:`_add_exact`) plus one block's
    :func:`calibration_block` result (in place): the same totals whatever the blocks and their order."""
    for i, c in enumerate(out["codes"].tolist()):
        row = totals.setdefault(c, ([], [], []))
        for k, key in enumerate(("area_km2", "seen_km2", "points")):
            for v in np.asarray(out[key])[i].tolist():
                if v:
                    _add_exact(row[k], v)
    return totals


def derive_densities(totals: dict, *, min_km2: float = MIN_CALIBRATION_KM2) -> Calibration:
    """Each class's density from its totals (code -> area km2, seen km2, points: numbers, or the exact sums of
    :func:`add_calibration`): points / seen area, which is the
    points per km2 of the class divided by its mean clipped R-index (area-weighted), so that density x clip(R, 0, 1)
    summed over the calibration pixels gives back the points counted. NaN below ``min_km2`` of seen area.

    Cigna et al. (2014) doi:10.1016/j.rse.2014.06.025 derive their class densities from PSI results the same way."""
    codes = np.array(sorted(totals), dtype=np.float64)
    vals = np.array([[math.fsum(v) if isinstance(v, list) else v for v in totals[c]] for c in sorted(totals)],
                    dtype=np.float64).reshape(-1, 3)
    area, seen, points = vals[:, 0], vals[:, 1], vals[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.where(seen >= min_km2, points / seen, np.nan)
    return Calibration(codes, points, area, seen, density)


def calibration_report(cal: Calibration, *, min_km2: float = MIN_CALIBRATION_KM2) -> tuple:
    """``(lines for the log, one per class with its points, areas and density +- its Poisson standard error;
    the message naming the classes left without a value, or "")``."""
    lines, small = [], []
    for c, p, a, s, d in zip(cal.codes, cal.points, cal.area_km2, cal.seen_km2, cal.density):
        name = CORINE_NAMES.get(int(c), "") if float(c).is_integer() else ""
        what = f"class {c:g}{' (' + name + ')' if name else ''}"
        mean_r = s / a if a > 0 else float("nan")
        if np.isfinite(d):
            lines.append(f"{what}: {p:.0f} points on {a:.3f} km2 (mean clipped R-index {mean_r:.3f}): "
                         f"{d:.4g} +- {math.sqrt(p) / s:.2g} targets per km2")
        else:
            small.append(f"{what} ({a:.3f} km2, {s:.3f} km2 seen)")
    msg = ""
    if small:
        msg = (f"CALIBRATION_POINTS: {len(small)} class(es) with less than {min_km2:g} km2 seen by the radar in the "
               f"calibration area get no density: " + "; ".join(small))
    return lines, msg


def merge_tables(given, derived: DensityTable) -> DensityTable:
    """The derived rows with the rows of ``given`` (the user's DENSITIES, or None) put over them: a class the user
    lists keeps the user's density."""
    if given is None:
        return derived
    rows = {int(c): (float(d), lab) for c, d, lab in zip(derived.codes, derived.density, derived.labels)}
    rows.update({int(c): (float(d), lab) for c, d, lab in zip(given.codes, given.density, given.labels)})
    codes = np.array(sorted(rows), dtype=np.int64)
    return DensityTable(codes, np.array([rows[c][0] for c in codes], dtype=np.float64),
                        tuple(rows[c][1] for c in codes))


def format_calibration(cal: Calibration, *, min_km2: float = MIN_CALIBRATION_KM2) -> str:
    """The derived densities as the CSV ``class,density,label,points,area_km2`` that DENSITIES reads (the classes
    left without a value as ``#`` comment lines, which the reader skips)."""
    out = ["# targets per km2 of seen area, measured on a calibration result (points / (area x mean clipped R))",
           "class,density,label,points,area_km2"]
    for c, p, a, s, d in zip(cal.codes, cal.points, cal.area_km2, cal.seen_km2, cal.density):
        label = CORINE_NAMES.get(int(c), "").replace(",", " ") if float(c).is_integer() else ""
        if np.isfinite(d) and float(c).is_integer():
            out.append(f"{int(c)},{d:.10g},{label},{p:.0f},{a:.10g}")
        else:
            out.append(f"# {c:g},,{label},{p:.0f},{a:.6g}: less than {min_km2:g} km2 seen ({s:.4g}), no density")
    return "\n".join(out) + "\n"


def hull_ring(x: np.ndarray, y: np.ndarray, *, name: str = "CALIBRATION_POINTS") -> np.ndarray:
    """The convex hull of points as a closed ring ``(n + 1, 2)`` (counter-clockwise); raises naming ``name`` when
    the points span no area (fewer than three, or all on one line)."""
    from scipy.spatial import ConvexHull, QhullError

    xy = np.unique(np.column_stack([np.asarray(x, np.float64), np.asarray(y, np.float64)]), axis=0)
    if len(xy) < 3:
        raise GeohazardError(f"{name}: {len(xy)} distinct point(s) span no area; give CALIBRATION_AREA, the polygon "
                             "where the result is complete")
    try:
        hull = ConvexHull(xy)
    except QhullError:
        raise GeohazardError(f"{name}: the points lie on one line and span no area; give CALIBRATION_AREA, the "
                             "polygon where the result is complete") from None
    ring = xy[hull.vertices]
    return np.vstack([ring, ring[:1]])
