"""Mining subsidence while the face advances: the probability-integral basin of the part of each panel extracted so
far, every extracted element lagged by Knothe's time function, and a lopsided basin (another major influence angle
on one side across the panel's strike).

Model (lengths in metres, times in years):

* the face crosses each panel along ``ADVANCE_AZIMUTH_DEG`` (degrees clockwise from north) at a constant rate,
  from the panel's back edge on START_DATE to its front edge on END_DATE: the element at distance ``u`` along the
  advance is extracted at ``t_e(u) = t_start + (u - u_min) / (u_max - u_min) (t_end - t_start)``;
* an element ``dA`` extracted at ``t_e`` moves the surface at ``(x, t)`` by
  ``W_max k(x - xi) (1 - exp(-c (t - t_e))) dA`` (nothing before ``t_e``), ``k`` the PIM's influence function;
* lopsided basin: across the strike (the direction ``v`` to the right of the advance), ``k`` has the radius
  ``r2 = H / TAN_BETA_2`` toward the right and ``r = H / TAN_BETA`` toward the left and along the strike:
  ``k(u, v) = exp(-pi u^2 / r^2) / r * exp(-pi v^2 / r_v^2) / r_v`` with ``r_v = r2`` for ``v > 0``, ``r``
  otherwise. Each half carries half the volume, so a wide panel's edge sits at half the maximum on both sides and
  the basin reaches ``r2`` beyond the right edge, ``r`` beyond the left one (the inclined-seam PIM's profile
  ``(1 - erf(sqrt(pi) d / r_side)) / 2`` outside each edge); ``W_max`` is unchanged. The horizontal motion of an
  element is ``b r_side`` times its influence's gradient along each axis (``b r grad W`` for one radius).

The surface is computed exactly for any polygon: the panel is cut into strips across the advance; each strip's
basin is the exact PIM integral (:mod:`.miningsubsidence`); a lopsided strip is mapped, point by point, by scaling
its part to the left of the point across the strike by ``r / r2``, which turns ``k`` into the isotropic kernel of
radius ``r`` (the horizontal terms need no extra term along the cut: the two sides' contributions cancel there).
Within a strip the elements' extraction times spread over ``[t_a, t_b]``: the strip's share at ``t`` is Knothe's
function averaged over that window (exact for a strip of uniform influence; the strips are at most an eighth of
the influence radius wide, and the test against an element-by-element superposition bounds the rest).

References
----------
Knothe S. (1952) Archiwum Gornictwa i Hutnictwa 1(1) (the time function).
Zhang W., Shi J., Yi H., Zhu Y., Xu B. (2021) Remote Sensing 13(16) 3204, doi:10.3390/rs13163204 (the PIM).
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ..errors import GeohazardError
from ..plausibility import check_scalar
from .miningsubsidence import (
    PIM_BYTES_PER_PIXEL,
    TAN_BETA,
    Panel,
    PimParameters,
    basin_shift_m,
    los_from_enu,
    offset_ring,
    oriented_rings,
    panel_influence,
)

#: Days of a year of the time factor (1/yr).
YEAR_DAYS = 365.25
#: The widest strip, as a share of the smallest influence radius of its panel.
STRIP_SHARE_OF_RADIUS = 0.125
#: At most this many strips a panel (a panel longer than 400 r / 8 = 50 r gets wider strips).
MAX_STRIPS = 400

_SQRT_PI = math.sqrt(math.pi)


# ------------------------------------------------------------------------------------------------ lopsided influence
def _pieces(a_p, a_q, b_p, b_q, sigma, radius):
    """Probability content of the triangles (origin, A, B) and the Gaussian line integrals along A -> B of arrays
    of edges (the point at the origin), as :func:`.miningsubsidence._edge_terms` does for one edge: ``(content,
    grad_p, grad_q)``. Zero-length edges give zeros."""
    from scipy.special import erf, owens_t  # scipy at first use: the tool's module loads with the plugin

    dp, dq = b_p - a_p, b_q - a_q
    length = np.hypot(dp, dq)
    ok = length > 0
    ls = np.where(ok, length, 1.0)
    up, uq = dp / ls, dq / ls
    ta = a_p * up + a_q * uq
    tb = ta + length
    c = a_p * uq - a_q * up
    h = np.abs(c)
    hs = np.where(h > 0, h, 1.0)

    def right(tt):
        at = np.abs(tt)
        return np.sign(tt) * (np.arctan2(at, h) / (2 * math.pi) - owens_t(h / sigma, at / hs))

    content = np.where(ok, np.sign(c) * (right(tb) - right(ta)), 0.0)
    line = np.where(ok, np.exp(-math.pi * h * h / (radius * radius))
                    * (erf(_SQRT_PI * tb / radius) - erf(_SQRT_PI * ta / radius)) / (2.0 * radius), 0.0)
    return content, -uq * line, up * line


def lopsided_influence(x_m, y_m, rings: Sequence[np.ndarray], radius_m: float, radius_right_m: float,
                       azimuth_deg: float):
    """``W / W_max`` and the horizontal displacement per ``b W_max`` (east, north) of a polygon (oriented rings,
    inside on the left) with the radius ``radius_right_m`` across the strike to the right of ``azimuth_deg`` and
    ``radius_m`` elsewhere (module docstring); exact. With equal radii, ``r grad W`` of the isotropic PIM."""
    px = np.asarray(x_m, dtype=np.float64)
    py = np.asarray(y_m, dtype=np.float64)
    shape = np.broadcast(px, py).shape
    px, py = np.broadcast_to(px, shape), np.broadcast_to(py, shape)
    az = math.radians(azimuth_deg)
    # a right-handed frame: p to the right of the advance, q along it
    ep = (math.cos(az), -math.sin(az))
    eq = (math.sin(az), math.cos(az))
    scale = radius_m / radius_right_m
    sigma = radius_m / math.sqrt(2.0 * math.pi)
    w = np.zeros(shape)
    gp = np.zeros(shape)
    gq = np.zeros(shape)
    for ring in rings:
        nxt = np.roll(ring, -1, axis=0)
        for a, b in zip(ring, nxt):
            ax, ay, bx, by = a[0] - px, a[1] - py, b[0] - px, b[1] - py
            a_p, a_q = ax * ep[0] + ay * ep[1], ax * eq[0] + ay * eq[1]
            b_p, b_q = bx * ep[0] + by * ep[1], bx * eq[0] + by * eq[1]
            cross = a_p * b_p < 0
            tau = np.where(cross, a_p / np.where(cross, a_p - b_p, 1.0), 1.0)
            c_q = np.where(cross, a_q + tau * (b_q - a_q), b_q)
            # elements to the left of the point (p < 0): the point lies on their right, radius r2
            sa_p = np.where(a_p < 0, a_p * scale, a_p)
            sb_p = np.where(b_p < 0, b_p * scale, b_p)
            c_p = np.where(cross, 0.0, sb_p)
            for pa, qa, pb, qb in ((sa_p, a_q, c_p, c_q), (c_p, c_q, sb_p, b_q)):
                content, dp, dq = _pieces(pa, qa, pb, qb, sigma, radius_m)
                w += content
                gp += dp
                gq += dq
    # the horizontal motion: b r times the isotropic gradient in the mapped frame, back to east and north
    hp, hq = radius_m * gp, radius_m * gq
    return w, hp * ep[0] + hq * eq[0], hp * ep[1] + hq * eq[1]


# ------------------------------------------------------------------------------------------------ strips in time
def years(d: _dt.date, epoch: _dt.date) -> float:
    return (d - epoch).days / YEAR_DAYS


def window_fraction(t_years, t0_years: float, t1_years: float, c_per_year: float) -> np.ndarray:
    """Knothe's ``1 - exp(-c (t - t_e))`` averaged over extraction times ``t_e`` spread evenly on
    ``[t0, t1]`` (years; ``t0 == t1``: the time function itself from ``t0``); 0 before ``t0``."""
    t = np.asarray(t_years, dtype=np.float64)
    tau = t - t0_years
    span = t1_years - t0_years
    if span <= 0:
        return np.where(tau > 0, -np.expm1(-c_per_year * np.maximum(tau, 0.0)), 0.0)
    c = c_per_year
    inside = (tau + np.expm1(-c * np.clip(tau, 0.0, span)) / c) / span
    after = 1.0 + np.exp(-c * np.maximum(tau - span, 0.0)) * np.expm1(-c * span) / (c * span)
    return np.where(tau <= 0, 0.0, np.where(tau < span, inside, after))


def _clip(ring: np.ndarray, normal, level: float, keep_below: bool) -> np.ndarray:
    """Sutherland-Hodgman: the part of a closed ring where ``x . normal <= level`` (or ``>=``); a ring with
    degenerate bridges where a concave ring is cut, which integrate to nothing."""
    s = ring @ np.asarray(normal, dtype=np.float64) - level
    if not keep_below:
        s = -s
    out = []
    n = len(ring)
    for i in range(n):
        a, b = ring[i], ring[(i + 1) % n]
        sa, sb = s[i], s[(i + 1) % n]
        if sa <= 0:
            out.append(a)
        if (sa < 0 < sb) or (sb < 0 < sa):
            out.append(a + (b - a) * (sa / (sa - sb)))
    return np.array(out, dtype=np.float64).reshape(-1, 2)


@dataclass(frozen=True)
class Strip:
    """A strip of a panel across the advance: its computation rings (inside on the left, shifted by the
    propagation angle), the panel's depth and thickness, and its elements' extraction window (dates as years
    since ``epoch``)."""

    rings: tuple
    depth_m: float
    thickness_m: float
    t0_years: float
    t1_years: float
    panel: int


def check_advance(panels: Sequence[Panel], tan_beta_2: Optional[float]) -> None:
    """Every panel has START_DATE and END_DATE in order and an advance azimuth; TAN_BETA_2 plausible."""
    for i, p in enumerate(panels):
        for what, value in (("START_DATE", p.start_date), ("END_DATE", p.end_date)):
            if value is None:
                raise GeohazardError(f"{p.label(i)} has no {what}: while the face advances the model needs when "
                                     f"extraction started and ended; add the field {what} (a date) to the panels "
                                     f"or type {what}")
        if p.start_date > p.end_date:
            raise GeohazardError(f"{p.label(i)}: START_DATE {p.start_date} is after END_DATE {p.end_date}")
        az = p.advance_azimuth_deg
        if az is None or not math.isfinite(az):
            raise GeohazardError(f"{p.label(i)} has no ADVANCE_AZIMUTH_DEG: give the direction the face advances "
                                 "(degrees clockwise from north), as the field ADVANCE_AZIMUTH_DEG or typed")
        if not -360.0 <= az <= 360.0:
            raise GeohazardError(f"{p.label(i)}: ADVANCE_AZIMUTH_DEG = {az:g} is outside -360..360 degrees")
    if tan_beta_2 is not None:
        check_scalar("TAN_BETA_2", tan_beta_2, TAN_BETA)


def strip_count(panel: Panel, index: int, params: PimParameters, tan_beta_2: Optional[float] = None) -> int:
    """How many strips cut a panel: each at most :data:`STRIP_SHARE_OF_RADIUS` of its smaller influence radius
    wide (at most :data:`MAX_STRIPS`)."""
    u = offset_ring(oriented_rings(panel, panel.label(index))[0], params.offset_m, panel.label(index)) @ _along(panel)
    tb = params.tan_beta if tan_beta_2 is None else max(params.tan_beta, tan_beta_2)
    width = STRIP_SHARE_OF_RADIUS * panel.depth_m / tb
    return int(min(MAX_STRIPS, max(1, math.ceil((float(u.max()) - float(u.min())) / width))))


def _along(panel: Panel) -> np.ndarray:
    az = math.radians(panel.advance_azimuth_deg)
    return np.array([math.sin(az), math.cos(az)])


def panel_strips(panel: Panel, index: int, params: PimParameters, epoch: _dt.date, n_strips: int) -> list:
    """The ``n_strips`` strips of one panel (:class:`Strip`), the face crossing the mined panel along its advance
    azimuth from START_DATE to END_DATE."""
    label = panel.label(index)
    along = _along(panel)
    mined = oriented_rings(panel, label)
    comp = [offset_ring(r, params.offset_m, label) for r in mined]
    u_mined = mined[0] @ along
    u0, u1 = float(u_mined.min()), float(u_mined.max())
    u_comp = comp[0] @ along
    edges = np.linspace(float(u_comp.min()), float(u_comp.max()), n_strips + 1)
    ts, te = years(panel.start_date, epoch), years(panel.end_date, epoch)
    shift = np.array(basin_shift_m(panel.depth_m, params))
    out = []
    for k in range(n_strips):
        rings = []
        for r in comp:
            piece = _clip(_clip(r, along, edges[k], False), along, edges[k + 1], True)
            if len(piece) >= 3:
                rings.append(piece + shift)
        if not rings:
            continue
        t_of = [ts + (u - u0) / (u1 - u0) * (te - ts) for u in (edges[k], edges[k + 1])]
        out.append(Strip(tuple(rings), panel.depth_m, panel.thickness_m, t_of[0], t_of[1], index))
    return out


def strip_components(x_m, y_m, strips: Sequence[Strip], panels: Sequence[Panel], params: PimParameters, *,
                     tan_beta_2: Optional[float] = None, los_vector=None) -> tuple:
    """``(vertical, horizontal)``: each strip's final displacement alone at the points, ``(n_strips, n)`` mm: the
    up motion (up positive; its LOS share, positive toward the satellite, with ``los_vector``) and the horizontal
    motion's LOS share for ``b = 1`` (None without ``los_vector``)."""
    px = np.asarray(x_m, dtype=np.float64).ravel()
    py = np.asarray(y_m, dtype=np.float64).ravel()
    vert = np.zeros((len(strips), px.size))
    horiz = None if los_vector is None else np.zeros((len(strips), px.size))
    for k, s in enumerate(strips):
        r = s.depth_m / params.tan_beta
        r2 = r if tan_beta_2 is None else s.depth_m / tan_beta_2
        w_max_mm = params.subsidence_factor * s.thickness_m * 1000.0
        # points farther than 4 radii from the strip get nothing: the influence beyond is below exp(-16 pi) =
        # 1.5e-22 of the strip's (a rule on each point's own coordinates: the same bytes for any block)
        lo = s.rings[0].min(axis=0) - 4.0 * max(r, r2)
        hi = s.rings[0].max(axis=0) + 4.0 * max(r, r2)
        near = np.nonzero((px >= lo[0]) & (px <= hi[0]) & (py >= lo[1]) & (py <= hi[1]))[0]
        if not near.size:
            continue
        if r2 == r:
            w, gx, gy = panel_influence(px[near], py[near], s.rings, r)
            he, hn = r * gx, r * gy
        else:
            w, he, hn = lopsided_influence(px[near], py[near], s.rings, r, r2, panels[s.panel].advance_azimuth_deg)
        if los_vector is None:
            vert[k, near] = -w_max_mm * w
        else:
            vert[k, near] = los_from_enu(0.0, 0.0, -w_max_mm * w, los_vector)
            horiz[k, near] = los_from_enu(w_max_mm * he, w_max_mm * hn, 0.0, los_vector)
    return vert, horiz


def advance_strips(panels: Sequence[Panel], params: PimParameters, epoch: _dt.date,
                   tan_beta_2: Optional[float] = None, counts: Optional[Sequence[int]] = None) -> list:
    """The strips of every panel, in the panels' order (``counts``: strips per panel, by default
    :func:`strip_count`)."""
    if counts is None:
        counts = [strip_count(p, i, params, tan_beta_2) for i, p in enumerate(panels)]
    return [s for i, (p, n) in enumerate(zip(panels, counts)) for s in panel_strips(p, i, params, epoch, n)]


def strips_model(finals: np.ndarray, strips: Sequence[Strip], dates: Sequence[_dt.date], epoch: _dt.date,
                 c_per_year: float) -> np.ndarray:
    """Displacement ``(n_dates, n)`` (mm, absolute: zero before extraction) of points whose per-strip finals are
    ``finals``: each strip's final times Knothe's function averaged over its window, strip by strip (no BLAS: the
    same bits for any set of points)."""
    t = np.array([years(d, epoch) for d in dates])
    model = np.zeros((len(dates), finals.shape[1]))
    for s, final in zip(strips, finals):
        model += window_fraction(t, s.t0_years, s.t1_years, c_per_year)[:, None] * final[None, :]
    return model


def advance_grid_block(block, inputs, *, geotransform, panels, params: PimParameters, dates, c_per_year: float,
                       tan_beta_2: Optional[float] = None) -> dict:
    """Block function: ``vertical`` ``(n_dates, rows, cols)``, the vertical displacement (mm, up positive) at each
    date while and after the faces advance (absolute: zero before extraction). Pixels are independent: the same
    bytes for any block layout."""
    gt = geotransform
    x = gt[0] + (np.arange(block.n_cols) + 0.5) * gt[1]
    y = gt[3] + (np.arange(block.row0, block.row1) + 0.5) * gt[5]
    xx, yy = np.meshgrid(x, y)
    epoch = min(p.start_date for p in panels)
    strips = advance_strips(panels, params, epoch, tan_beta_2)
    vert, _ = strip_components(xx.ravel(), yy.ravel(), strips, panels, params, tan_beta_2=tan_beta_2)
    model = strips_model(vert, strips, dates, epoch, c_per_year)
    return {"vertical": model.reshape(len(dates), block.rows, block.n_cols)}


def advance_bytes_per_pixel(n_dates: int, n_strips: int) -> float:
    """Memory of one pixel of an :func:`advance_grid_block`: the lopsided integral's work arrays (about twice the
    PIM's: each edge in two pieces), the per-strip finals and the model over the dates."""
    return 2.0 * PIM_BYTES_PER_PIXEL + 8.0 * n_strips + 16.0 * n_dates + 8.0 * n_dates
