"""Mining subsidence by the probability-integral method (PIM; Knothe's influence function, Liu Baocheng's
parameters): the final surface basin of mined panels in a horizontal seam.

Model (per panel, all lengths in metres, map coordinates of a projected CRS):

* maximum subsidence ``W_max = q m cos(alpha)`` with ``q`` the subsidence factor, ``m`` the mined thickness and
  ``alpha`` the seam dip (a horizontal seam here: ``cos(alpha) = 1``);
* major influence radius ``r = H / tan(beta)`` with ``H`` the mining depth;
* the panel's computation boundary is the mined boundary moved inward by the inflection offset ``s``;
* subsidence ``W(x, y) = W_max / r^2 * integral over the panel of exp(-pi ((x - xi)^2 + (y - eta)^2) / r^2) dA``;
* horizontal displacement ``U_x = b r dW/dx``, ``U_y = b r dW/dy`` (``b`` the horizontal-movement factor), pointing
  toward the basin's centre (``W`` counted positive downward);
* propagation angle ``theta``: the basin is moved by ``H cot(theta)`` toward the down-dip side. For a horizontal seam
  the PIM takes ``theta = 90 - k alpha = 90`` degrees (no shift); a value below 90 moves the basin by
  ``H cot(theta)`` toward ``shift_azimuth_deg`` (a seam of small dip whose angle the mine surveyed), above 90 away
  from it. A shift of the whole basin is a translation of the panel: from the surface alone the two cannot be told
  apart.

The area integral is exact for any polygon (holes and several parts included): the kernel is an isotropic normal
density with ``sigma = r / sqrt(2 pi)``, so ``W / W_max`` is the probability content of the polygon, summed over
its edges as triangles from the evaluation point, each the difference of two right triangles whose content is
``atan(a) / 2 pi - T(h / sigma, a)`` with Owen's T function (``scipy.special.owens_t``). The gradient is a
contour integral (Green's theorem) whose integrand along a straight edge is a Gaussian: ``erf`` terms. The results
are exact to floating-point rounding (tests: the products of ``erf`` terms of a rectangular panel to 1e-12).

Signs of the outputs: up positive (subsidence is negative), east and north positive toward east and north, all
in mm.

References
----------
Knothe S. (1957) Observations of surface movements under influence of mining and their theoretical
interpretation. Proc. European Congress on Ground Movement, Leeds, 210-218.
Zhang W., Shi J., Yi H., Zhu Y., Xu B. (2021) Underground goaf parameters estimation by cross-iteration with
InSAR measurements. Remote Sensing 13(16) 3204, doi:10.3390/rs13163204 (the rectangular-panel PIM expressions).
Owen D.B. (1956) Tables for computing bivariate normal probabilities. Ann. Math. Statist. 27(4) 1075-1090,
doi:10.1214/aoms/1177728074.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from ..errors import GeohazardError
from ..plausibility import Plausible, check_scalar

#: Mining depth: the deepest longwall coal panels are ~1,500 m deep; below 2,000 m the PIM of a coal seam is not
#: a plausible model of anything an InSAR map shows (metres below the surface).
DEPTH_M = Plausible(5.0, 2000.0, "m", "50-1,200 m for most longwall coal panels (the deepest ~1,500 m)")
#: Mined thickness (height of the extracted seam): top-coal caving of the thickest seams reaches ~20 m.
THICKNESS_M = Plausible(0.1, 20.0, "m", "1-6 m for longwall panels, up to ~20 m for top-coal caving")
#: The PIM's parameters and the ranges the tool accepts.
SUBSIDENCE_FACTOR = Plausible(1e-6, 1.2, "", "0.5-0.95 (first mining), up to 1.1 for repeated mining")
TAN_BETA = Plausible(0.3, 6.0, "", "1.2-3.8 (hard to soft overburden)")
HORIZONTAL_FACTOR = Plausible(0.0, 1.0, "", "0.2-0.4")
PROPAGATION_ANGLE_DEG = Plausible(30.0, 150.0, "deg", "90 for a horizontal seam (90 - k alpha for a dipping one)")

_SQRT_PI = math.sqrt(math.pi)


@dataclass(frozen=True)
class Panel:
    """One mined panel: its boundary rings (map coordinates, m; the first the outer boundary, then holes), its
    mining depth ``depth_m`` and mined thickness ``thickness_m`` (m), and when known its extraction dates."""

    rings: tuple
    depth_m: float
    thickness_m: float
    name: str = ""
    #: extraction's start and end (``datetime.date``; the time function of :mod:`.mining_time` runs from the end)
    start_date: object = None
    end_date: object = None
    #: the direction the face advances from START_DATE to END_DATE (degrees clockwise from north; the time
    #: mode during extraction, :mod:`.mining_advance`)
    advance_azimuth_deg: object = None

    @classmethod
    def from_vertices(cls, vertices, depth_m: float, thickness_m: float, *, holes=(), name: str = "",
                      start_date=None, end_date=None, advance_azimuth_deg=None) -> "Panel":
        """A panel from its outer boundary ``(n, 2)`` (and optional hole rings), in either orientation."""
        return cls(tuple(np.asarray(r, dtype=np.float64).reshape(-1, 2) for r in (vertices, *holes)),
                   float(depth_m), float(thickness_m), name, start_date, end_date,
                   None if advance_azimuth_deg is None else float(advance_azimuth_deg))

    def label(self, index: int) -> str:
        return f"panel {self.name or index + 1}"


@dataclass(frozen=True)
class PimParameters:
    """The PIM's parameters shared by the panels of one run (see the module docstring)."""

    subsidence_factor: float
    tan_beta: float
    offset_m: float = 0.0
    horizontal_factor: float = 0.3
    propagation_angle_deg: float = 90.0
    shift_azimuth_deg: float = 0.0

    def table(self) -> dict:
        """The OUTPUT_PARAMETERS table of a forward run: parameter, value, std_error (NaN: held, not fitted)."""
        names = ("subsidence_factor", "tan_beta", "offset_m", "horizontal_factor", "propagation_angle_deg",
                 "shift_azimuth_deg")
        return {"parameter": np.array(names, dtype=object),
                "value": np.array([float(getattr(self, n)) for n in names]), "std_error": np.full(len(names), np.nan)}

    def check(self) -> None:
        check_scalar("SUBSIDENCE_FACTOR", self.subsidence_factor, SUBSIDENCE_FACTOR)
        if not self.subsidence_factor > 0:
            raise GeohazardError(f"SUBSIDENCE_FACTOR = {self.subsidence_factor:g} is not physically plausible: "
                                 "expected a value in (0, 1.2]")
        check_scalar("TAN_BETA", self.tan_beta, TAN_BETA)
        check_scalar("HORIZONTAL_FACTOR", self.horizontal_factor, HORIZONTAL_FACTOR)
        check_scalar("PROPAGATION_ANGLE", self.propagation_angle_deg, PROPAGATION_ANGLE_DEG)
        if not (math.isfinite(self.offset_m) and self.offset_m >= 0):
            raise GeohazardError(f"OFFSET_M = {self.offset_m!r}: the inflection offset must be 0 or more (m)")


# ------------------------------------------------------------------------------------------------ panel geometry
def _clean_ring(ring: np.ndarray, label: str) -> np.ndarray:
    ring = np.asarray(ring, dtype=np.float64).reshape(-1, 2)
    if len(ring) > 1 and np.array_equal(ring[0], ring[-1]):
        ring = ring[:-1]
    if len(ring):
        keep = np.ones(len(ring), bool)
        keep[1:] = np.any(ring[1:] != ring[:-1], axis=1)
        ring = ring[keep]
    if len(ring) < 3 or not np.all(np.isfinite(ring)):
        raise GeohazardError(f"{label}: a polygon ring needs at least 3 distinct finite vertices")
    return ring


def signed_area(ring: np.ndarray) -> float:
    """Shoelace area of a ring (m^2): positive when its vertices turn counter-clockwise."""
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def oriented_rings(panel: Panel, label: str = "panel") -> list:
    """The panel's rings with the inside on the left of every edge: outer counter-clockwise, holes clockwise."""
    out = []
    for k, ring in enumerate(panel.rings):
        ring = _clean_ring(ring, label)
        area = signed_area(ring)
        if area == 0:
            raise GeohazardError(f"{label}: a ring has no area")
        if (area < 0) == (k == 0):
            ring = ring[::-1]
        out.append(ring)
    return out


def offset_ring(ring: np.ndarray, offset_m: float, label: str) -> np.ndarray:
    """``ring`` (inside on the left) with every edge moved ``offset_m`` to its left (mitred corners)."""
    if offset_m == 0:
        return ring
    d = np.roll(ring, -1, axis=0) - ring
    length = np.hypot(d[:, 0], d[:, 1])
    u = d / length[:, None]
    n = np.column_stack([-u[:, 1], u[:, 0]])  # left normals
    n_prev = np.roll(n, 1, axis=0)
    denom = 1.0 + np.sum(n * n_prev, axis=1)
    if np.any(denom < 1e-6):
        raise GeohazardError(f"{label}: a corner turns back on itself; the inflection offset cannot be applied")
    new = ring + offset_m * (n + n_prev) / denom[:, None]
    nd = np.roll(new, -1, axis=0) - new
    if np.any(np.sum(nd * d, axis=1) <= 0) or signed_area(new) * signed_area(ring) <= 0:
        raise GeohazardError(f"{label}: OFFSET_M = {offset_m:g} m is too large for this panel (narrower than twice "
                             "the inflection offset); lower OFFSET_M")
    return new


def computation_rings(panel: Panel, params: PimParameters, label: str = "panel") -> list:
    """The rings the PIM integrates over: the panel moved inward by the inflection offset, then shifted by
    ``H cot(theta)`` toward ``shift_azimuth_deg`` (no shift at 90 degrees)."""
    rings = [offset_ring(r, params.offset_m, label) for r in oriented_rings(panel, label)]
    shift = basin_shift_m(panel.depth_m, params)
    if shift != (0.0, 0.0):
        rings = [r + np.array(shift) for r in rings]
    return rings


def basin_shift_m(depth_m: float, params: PimParameters) -> tuple:
    """East and north shift (m) of the basin by the propagation angle: ``H cot(theta)`` toward the azimuth."""
    if params.propagation_angle_deg == 90.0:
        return 0.0, 0.0
    theta = math.radians(params.propagation_angle_deg)
    d = depth_m * math.cos(theta) / math.sin(theta)
    az = math.radians(params.shift_azimuth_deg)
    return d * math.sin(az), d * math.cos(az)


def basin_bounds(panels: Sequence[Panel], params: PimParameters) -> tuple:
    """``(xmin, xmax, ymin, ymax)`` (m) outside which every panel's basin is below 1e-12 of its W_max: the
    computation boundaries grown by 3 influence radii (exp(-9 pi) = 5e-13)."""
    lo, hi = np.full(2, np.inf), np.full(2, -np.inf)
    for i, p in enumerate(panels):
        ring = computation_rings(p, params, p.label(i))[0]
        grow = 3.0 * p.depth_m / params.tan_beta
        lo = np.minimum(lo, ring.min(axis=0) - grow)
        hi = np.maximum(hi, ring.max(axis=0) + grow)
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def check_panels(panels: Sequence[Panel]) -> None:
    """Refuse an empty list, implausible depths and thicknesses, and degenerate rings, naming the panel."""
    if not len(panels):
        raise GeohazardError("PANELS: no panel was given")
    for i, p in enumerate(panels):
        label = p.label(i)
        for pid, value, rule in (("DEPTH_M", p.depth_m, DEPTH_M), ("THICKNESS_M", p.thickness_m, THICKNESS_M)):
            try:
                check_scalar(pid, value, rule)
            except GeohazardError as exc:
                raise GeohazardError(f"{label}: {exc}") from None
        if p.thickness_m >= p.depth_m:
            raise GeohazardError(f"{label}: THICKNESS_M = {p.thickness_m:g} m is not less than DEPTH_M = "
                                 f"{p.depth_m:g} m; the seam must lie below the surface")
        oriented_rings(p, label)


# ------------------------------------------------------------------------------------------------ exact integrals
def _right_triangles(t: np.ndarray, h: np.ndarray, sigma: float) -> np.ndarray:
    """Signed content of the right triangle from the point, along the perpendicular (length ``h``) to the edge's
    line, then ``t`` along it: ``sign(t) (atan(|t| / h) / 2 pi - T(h / sigma, |t| / h))``."""
    from scipy.special import owens_t  # scipy at first use: the tool's module loads with the plugin

    at = np.abs(t)
    hs = np.where(h > 0, h, 1.0)
    return np.sign(t) * (np.arctan2(at, h) / (2 * math.pi) - owens_t(h / sigma, at / hs))


def _edge_terms(px, py, a, b, r: float):
    """Per-point terms of the edge ``a -> b``: its triangle's probability content (``sigma = r / sqrt(2 pi)``)
    and the Gaussian line integral ``(1 / r^2) int exp(-pi rho^2 / r^2) ds`` along it, with its unit vector."""
    from scipy.special import erf

    d = b - a
    length = math.hypot(d[0], d[1])
    ux, uy = d[0] / length, d[1] / length
    ax, ay = a[0] - px, a[1] - py
    ta = ax * ux + ay * uy
    tb = ta + length
    c = ax * uy - ay * ux  # signed distance of the point to the edge's line (> 0: the point on the left side)
    h = np.abs(c)
    sigma = r / math.sqrt(2.0 * math.pi)
    content = np.sign(c) * (_right_triangles(tb, h, sigma) - _right_triangles(ta, h, sigma))
    line = np.exp(-math.pi * h * h / (r * r)) * (erf(_SQRT_PI * tb / r) - erf(_SQRT_PI * ta / r)) / (2.0 * r)
    return content, line, ux, uy


def panel_influence(x_m, y_m, rings: Sequence[np.ndarray], radius_m: float):
    """``W / W_max`` and its gradient (1/m) at points, for a panel given by its oriented rings and the major
    influence radius ``radius_m`` (exact, any polygon).

    Returns
    -------
    w, dw_dx, dw_dy : ndarray
        Shapes of ``x_m``; ``w`` in [0, 1].
    """
    px = np.asarray(x_m, dtype=np.float64)
    py = np.asarray(y_m, dtype=np.float64)
    w = np.zeros(np.broadcast(px, py).shape)
    gx = np.zeros_like(w)
    gy = np.zeros_like(w)
    for ring in rings:
        nxt = np.roll(ring, -1, axis=0)
        for a, b in zip(ring, nxt):
            content, line, ux, uy = _edge_terms(px, py, a, b, radius_m)
            w += content
            gx -= uy * line
            gy += ux * line
    return w, gx, gy


def pim_displacement(x_m, y_m, panels: Sequence[Panel], *, subsidence_factor: float, tan_beta: float,
                     offset_m: float = 0.0, horizontal_factor: float = 0.3, propagation_angle_deg: float = 90.0,
                     shift_azimuth_deg: float = 0.0, check: bool = True):
    """Final surface displacement of mined panels by the probability-integral method.

    Parameters
    ----------
    x_m, y_m : array_like
        Map coordinates of the points (m, a projected CRS), broadcastable.
    panels : sequence of Panel
        Mined panels (polygons of any shape, holes allowed) with their depth and thickness (m); their basins add.
    subsidence_factor : float
        ``q``, in (0, 1.2].
    tan_beta : float
        Tangent of the major influence angle; ``r = H / tan_beta``.
    offset_m : float
        Inflection offset ``s`` (m): the computation boundary is the panel moved inward by ``s``.
    horizontal_factor : float
        ``b``: ``U = b r grad W``.
    propagation_angle_deg, shift_azimuth_deg : float
        Propagation angle ``theta`` (90 for a horizontal seam: no shift) and the azimuth (degrees clockwise from
        north) toward which ``theta < 90`` moves the basin by ``H cot(theta)``.
    check : bool
        Check the parameters' and panels' plausibility first (the fitting loop, which bounds them, skips it).

    Returns
    -------
    east_mm, north_mm, up_mm : ndarray
        Displacement in mm; up positive (subsidence is negative); the horizontal motion points toward the basin.

    Notes
    -----
    ``W(x, y) = q m / r^2 int_P exp(-pi ((x - xi)^2 + (y - eta)^2) / r^2) dxi deta`` computed exactly (module
    docstring), ``U_x = b r dW/dx``, ``U_y = b r dW/dy``.
    """
    params = PimParameters(float(subsidence_factor), float(tan_beta), float(offset_m), float(horizontal_factor),
                           float(propagation_angle_deg), float(shift_azimuth_deg))
    if check:
        params.check()
        check_panels(panels)
    px = np.asarray(x_m, dtype=np.float64)
    py = np.asarray(y_m, dtype=np.float64)
    shape = np.broadcast(px, py).shape
    east = np.zeros(shape)
    north = np.zeros(shape)
    up = np.zeros(shape)
    for i, panel in enumerate(panels):
        radius = panel.depth_m / params.tan_beta
        w_max_mm = params.subsidence_factor * panel.thickness_m * 1000.0  # horizontal seam: cos(alpha) = 1
        w, gx, gy = panel_influence(px, py, computation_rings(panel, params, panel.label(i)), radius)
        up -= w_max_mm * w
        east += params.horizontal_factor * radius * w_max_mm * gx
        north += params.horizontal_factor * radius * w_max_mm * gy
    return east, north, up


def moved_panel(panel: Panel, *, dx_m: float = 0.0, dy_m: float = 0.0, rotation_deg: float = 0.0,
                centre=None) -> Panel:
    """``panel`` rotated by ``rotation_deg`` (counter-clockwise) about ``centre`` (its outer ring's vertex mean
    by default) and moved by ``(dx_m, dy_m)``."""
    rings = [np.asarray(r, dtype=np.float64) for r in panel.rings]
    c = np.mean(rings[0], axis=0) if centre is None else np.asarray(centre, dtype=np.float64)
    a = math.radians(rotation_deg)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return replace(panel, rings=tuple((r - c) @ rot.T + c + np.array([dx_m, dy_m]) for r in rings))


def los_from_enu(east, north, up, los_vector) -> np.ndarray:
    """LOS displacement (positive toward the satellite) from east, north, up and the ground-to-satellite unit
    vector ``(e, n, u)`` of :func:`algorithms.geometry.los.los_unit_vector`; no BLAS (the same bits everywhere)."""
    e, n, u = (float(v) for v in np.asarray(los_vector, dtype=np.float64).reshape(3))
    return east * e + north * n + up * u


def pim_grid_block(block, inputs, *, geotransform, panels, params: PimParameters, los_vector=None) -> dict:
    """Block function of the forward grid: ``vertical``, ``east``, ``north`` (and ``los`` with ``los_vector``),
    mm, at the centres of the block's pixels of the north-up ``geotransform``. Pixels are independent: the same
    bytes for any block layout."""
    gt = geotransform
    x = gt[0] + (np.arange(block.n_cols) + 0.5) * gt[1]
    y = gt[3] + (np.arange(block.row0, block.row1) + 0.5) * gt[5]
    xx, yy = np.meshgrid(x, y)
    east, north, up = pim_displacement(xx, yy, panels, subsidence_factor=params.subsidence_factor,
                                       tan_beta=params.tan_beta, offset_m=params.offset_m,
                                       horizontal_factor=params.horizontal_factor,
                                       propagation_angle_deg=params.propagation_angle_deg,
                                       shift_azimuth_deg=params.shift_azimuth_deg, check=False)
    out = {"vertical": up, "east": east, "north": north}
    if los_vector is not None:
        out["los"] = los_from_enu(east, north, up, los_vector)
    return out


#: Memory of one pixel of a forward block (bytes): coordinates, the per-edge work arrays and the outputs (224
#: measured with tracemalloc on a 100 x 1000 block of two panels, whatever the number of edges: they run in turn).
PIM_BYTES_PER_PIXEL = 240.0
