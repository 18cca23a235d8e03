"""Mining-subsidence worlds with their truth, simulated element by element in plain numpy (no QGIS, no plugin code):
longwall panels (rotated rectangles) extracted either at once on END_DATE or by a face advancing at a constant
rate from START_DATE to END_DATE, their InSAR series with noise.

The simulation is the model's definition written directly: each panel (shrunk by the inflection offset s on every
side) is tiled into cells of at most 2 m (a twentieth of the influence radius); a cell is an element extracted when
the face reaches its centre (at END_DATE when the panel is extracted at once); at a point and a date it moves the
surface down by ``W_max K (1 - exp(-c (t - t_e)))`` after its extraction ``t_e``, with ``W_max = q m`` and ``K`` the
influence ``k = exp(-pi u^2 / r^2) / r * exp(-pi v^2 / r_v^2) / r_v`` (``u`` along the advance, ``v`` across it,
positive to the right; ``r = H / tan(beta)``, ``r_v = H / tan(beta_2)`` when the point lies to the cell's right,
else ``r``) integrated over the cell (erf terms: ``k`` is a product of one-sided Gaussians); its horizontal motion
is ``b r_axis`` times ``k``'s gradient along each axis, integrated likewise. The elements add up (the sum over a
panel's cells is computed as the product of its sums along and across the advance, which it is). The series is the
displacement since the first date (the first date is every pixel's reference) plus white noise and, on some worlds,
a spatially correlated screen per date (the atmosphere), both also measured from the first date.

Used by tests/core/test_hazard_mining_advance.py, test_hazard_mining_series.py and the benchmark
benchmarks/hazard/mining_time_coverage.py, which draw their worlds from these designs with random seeds."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from scipy import ndimage
from scipy.special import erf

YEAR = 365.25
#: The tool's defaults of the basin parameters (the prior of a run that leaves them as they are).
DEFAULTS = {"subsidence_factor": 0.8, "tan_beta": 2.0, "offset_m": 0.0, "horizontal_factor": 0.3}


def rectangle(centre, length_m, width_m, axis_deg):
    """The corners of a rectangle whose long side runs along the azimuth ``axis_deg`` (clockwise from north)."""
    a = math.radians(axis_deg)
    along = np.array([math.sin(a), math.cos(a)])
    across = np.array([math.cos(a), -math.sin(a)])
    c = np.asarray(centre, float)
    return np.array([c + sa * 0.5 * length_m * along + sb * 0.5 * width_m * across
                     for sa, sb in ((-1, -1), (1, -1), (1, 1), (-1, 1))])


def cdf(s, r_left, r_right):
    """``int_0^s k(t) dt`` of the one-sided influence ``exp(-pi t^2 / r_t^2) / r_t`` (``r_t = r_right`` for
    ``t > 0``): ``erf(sqrt(pi) s / r_t) / 2``."""
    r = np.where(s > 0, r_right, r_left)
    return 0.5 * erf(math.sqrt(math.pi) * s / r)


def bell(s, r_left, r_right):
    """``r_t k(t) = exp(-pi t^2 / r_t^2)``, whose derivative is ``r_t dk/dt`` (continuous at 0)."""
    r = np.where(s > 0, r_right, r_left)
    return np.exp(-math.pi * s * s / (r * r))


def simulate(points, dates, panels, *, q, tan_beta, tan_beta_2=None, offset_m=0.0, b=0.3, c, los=None):
    """Displacement ``(n_dates, n_points)`` (mm; LOS positive toward the satellite with ``los`` = (e, n, u), else up)
    of the panels, element by element (module docstring). ``panels``: dicts with centre, length_m, width_m,
    axis_deg (the advance's azimuth for an advancing face), depth_m, thickness_m, start, end (dates; start == end:
    extracted at once on end)."""
    px, py = np.asarray(points[0], float), np.asarray(points[1], float)
    t = np.array([(d - dates[0]).days / YEAR for d in dates])
    out = np.zeros((len(dates), px.size))
    for p in panels:
        r = p["depth_m"] / tan_beta
        r2 = p["depth_m"] / (tan_beta_2 if tan_beta_2 else tan_beta)
        lm, wm = p["length_m"] - 2 * offset_m, p["width_m"] - 2 * offset_m
        h = min(2.0, min(r, r2) / 20.0)
        nu, nv = int(math.ceil(lm / h)), int(math.ceil(wm / h))
        u_c = (np.arange(nu) + 0.5) * lm / nu - 0.5 * lm  # cell centres, the panel's frame
        v_c = (np.arange(nv) + 0.5) * wm / nv - 0.5 * wm
        a = math.radians(p["axis_deg"])
        along = np.array([math.sin(a), math.cos(a)])
        across = np.array([math.cos(a), -math.sin(a)])
        # the face crosses the mined panel (not the shrunk one) from its back edge to its front edge
        frac = (u_c + 0.5 * p["length_m"]) / p["length_m"]
        t_s, t_e = ((p["start"] - dates[0]).days / YEAR, (p["end"] - dates[0]).days / YEAR)
        te = t_s + frac * (t_e - t_s) if p["end"] > p["start"] else np.full(nu, t_e)
        w_max = q * p["thickness_m"] * 1000.0
        du_p = (px - p["centre"][0]) * along[0] + (py - p["centre"][1]) * along[1]
        dv_p = (px - p["centre"][0]) * across[0] + (py - p["centre"][1]) * across[1]
        share = np.where(t[:, None] > te[None, :], -np.expm1(-c * np.maximum(t[:, None] - te[None, :], 0.0)), 0.0)
        hu, hv = lm / nu, wm / nv
        # every cell's influence is a product of a factor along the advance and one across it, and its extraction
        # time depends on its place along the advance only: the sum over the nu x nv cells is the product of the
        # sums over the columns (with the times) and over the rows
        du = du_p[:, None] - u_c[None, :]
        dv = dv_p[:, None] - v_c[None, :]
        # each cell's influence integrated exactly over the cell (the kernel jumps across v = 0 on a lopsided
        # basin, where a cell-centre rule would be only first-order accurate)
        ku = cdf(du + hu / 2, r, r) - cdf(du - hu / 2, r, r)
        kv = cdf(dv + hv / 2, r, r2) - cdf(dv - hv / 2, r, r2)
        up = -(share @ ku.T) * kv.sum(axis=1)[None, :] * w_max
        if los is None:
            out += up
            continue
        # b r_axis times the gradient of the influence, integrated over the cell: b [exp(-pi s^2 / r_s^2)]
        gu = bell(du + hu / 2, r, r) - bell(du - hu / 2, r, r)
        gv = bell(dv + hv / 2, r, r2) - bell(dv - hv / 2, r, r2)
        mu = (share @ gu.T) * kv.sum(axis=1)[None, :] * b * w_max
        mv = (share @ ku.T) * gv.sum(axis=1)[None, :] * b * w_max
        east = mu * along[0] + mv * across[0]
        north = mu * along[1] + mv * across[1]
        out += east * los[0] + north * los[1] + up * los[2]
    return out


def correlated_screen(rng, shape, pixel_m, length_m):
    """Unit-variance noise correlated over ``length_m`` (Gaussian-smoothed white noise), cut from a field at least
    four correlation lengths wide, so that a screen wider than the scene is mostly a tilt and an offset."""
    side = max(max(shape), int(math.ceil(4 * length_m / pixel_m)))
    f = ndimage.gaussian_filter(rng.standard_normal((side, side)), length_m / pixel_m / 2.0, mode="wrap")
    f = (f - f.mean()) / f.std()
    return f[:shape[0], :shape[1]]


def mining_world(seed: int, *, advance: bool, los=None, n_grid: int = 30, atmosphere: bool = True,
                 lopsided=None) -> dict:
    """A random world (module docstring): 1 or 2 longwall panels, their truth (q, tan(beta), s, b, c, and for an
    advancing face tan(beta_2) on half the worlds), a series on an ``n_grid`` x ``n_grid`` grid of pixels
    ``(n_dates, n_grid * n_grid)`` (mm) and its dates."""
    rng = np.random.default_rng(seed)
    n_panels = int(rng.integers(1, 3))
    axis = float(rng.uniform(0, 360))
    length, width = float(rng.uniform(400, 1200)), float(rng.uniform(150, 300))
    depth = float(rng.uniform(150, 500))
    truth = {"subsidence_factor": float(rng.uniform(0.5, 0.95)), "tan_beta": float(rng.uniform(1.3, 3.5)),
             "horizontal_factor": float(rng.uniform(0.2, 0.4)), "c": float(math.exp(rng.uniform(math.log(0.5),
                                                                                                 math.log(5.0))))}
    truth["offset_m"] = float(rng.uniform(0, min(0.08 * depth, 0.15 * width)))
    lop = bool(rng.integers(0, 2)) if lopsided is None else lopsided
    if advance and lop:
        truth["tan_beta_2"] = float(rng.uniform(1.3, 3.5))
    t0 = dt.date(2020, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))
    step = int(rng.choice([6, 12]))
    n_dates = int(rng.integers(30, 61))
    dates = [t0 + dt.timedelta(days=step * k) for k in range(n_dates)]
    span = (dates[-1] - dates[0]).days
    a = math.radians(axis)
    across = np.array([math.cos(a), -math.sin(a)])
    pillar = float(rng.uniform(30, 60))
    panels = []
    for k in range(n_panels):
        centre = across * k * (width + pillar)
        if advance:
            duration = int(rng.uniform(0.3, 0.8) * span)
            start = t0 + dt.timedelta(days=int(rng.uniform(-0.2, 0.3) * span)) if k == 0 else \
                panels[-1]["end"] + dt.timedelta(days=int(rng.integers(10, 60)))
            end = start + dt.timedelta(days=duration)
        else:
            end = t0 + dt.timedelta(days=int(rng.uniform(-1.0, 0.3) * YEAR))
            start = end
        panels.append(dict(centre=centre, length_m=length, width_m=width, axis_deg=axis, depth_m=depth + 20 * k,
                           thickness_m=float(rng.uniform(1.5, 5.0)), start=start, end=end))
    r_max = depth / min(truth["tan_beta"], truth.get("tan_beta_2", 9.0))
    corners = np.concatenate([rectangle(p["centre"], p["length_m"], p["width_m"], axis) for p in panels])
    lo_xy = corners.min(axis=0) - 1.2 * r_max
    hi_xy = corners.max(axis=0) + 1.2 * r_max
    pixel = float(max(hi_xy - lo_xy) / n_grid)
    gx = lo_xy[0] + (np.arange(n_grid) + 0.5) * pixel
    gy = hi_xy[1] - (np.arange(n_grid) + 0.5) * pixel
    xx, yy = np.meshgrid(gx, gy)
    clean = simulate((xx.ravel(), yy.ravel()), dates, panels, q=truth["subsidence_factor"],
                     tan_beta=truth["tan_beta"], tan_beta_2=truth.get("tan_beta_2"), offset_m=truth["offset_m"],
                     b=truth["horizontal_factor"], c=truth["c"], los=los)
    sigma = float(rng.uniform(2.0, 6.0))
    noise = rng.normal(0, sigma, clean.shape)
    atmo = float(rng.uniform(0.0, 3.0)) if atmosphere else 0.0
    if atmo > 0:
        length_m = float(rng.uniform(1000, 4000))
        noise += atmo * np.stack([correlated_screen(rng, (n_grid, n_grid), pixel, length_m).ravel()
                                  for _ in dates])
    series = clean - clean[0] + noise - noise[0]
    return dict(seed=seed, panels=panels, truth=truth, dates=dates, x=xx.ravel(), y=yy.ravel(), clean=clean,
                series=series, noise_mm=sigma, atmosphere_mm=atmo, los=los, pixel_m=pixel, shape=xx.shape,
                geotransform=(float(lo_xy[0]), pixel, 0.0, float(hi_xy[1]), 0.0, -pixel))


def as_panels(world: dict, *, advance: bool):
    """The world's panels as the plugin's Panel objects (mined boundaries, dates, advance azimuth)."""
    from insar_geohazards.algorithms.hazard.miningsubsidence import Panel

    out = []
    for k, p in enumerate(world["panels"]):
        out.append(Panel.from_vertices(rectangle(p["centre"], p["length_m"], p["width_m"], p["axis_deg"]),
                                       p["depth_m"], p["thickness_m"], name=str(k + 1),
                                       start_date=p["start"] if advance else None, end_date=p["end"],
                                       advance_azimuth_deg=p["axis_deg"] if advance else None))
    return out
