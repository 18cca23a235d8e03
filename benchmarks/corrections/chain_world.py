"""A wider world for the Corrected SBAS chain: synthetic stacks with a known truth drawn from physical models (no
QGIS import). docs/corrections.md, "The chain on a wider world, against MintPy's same steps", says what each part is
and why. ``SCENARIOS`` (tuning) and ``HOLDOUT`` (never tuned on) fix every parameter and seed; :func:`make_stack`
returns chain_stacks.make_stack's dictionary with every part kept for the per-step scores.

    /usr/bin/python3 benchmarks/corrections/chain_world.py OUT_DIR [NAME ...]   # writes the stacks
    /usr/bin/python3 benchmarks/corrections/chain_world.py --describe            # one line per scenario
"""

from __future__ import annotations

import datetime as dt
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE]

import chain_stacks  # noqa: E402

MM_PER_RAD = chain_stacks.MM_PER_RAD
CYCLE_MM = chain_stacks.CYCLE_MM
#: Saastamoinen's zenith hydrostatic delay per hPa of surface pressure (mm) and the hydrostatic scale height (m).
ZHD_MM_PER_HPA = 2.2768
DRY_SCALE_M = 8000.0

# The generator's parameters; each scenario states what differs. Fixed before anything was tuned on them.
DEFAULTS = dict(
    shape=(150, 150), pixel_m=80.0, n_dates=30, day_step=12, start=(2020, 1, 3), neighbours=3, drop_share=0.0,
    max_bperp_m=None, gap=None, seed=0,  # gap: (first date after it, extra days)
    # terrain
    terrain="hills", base_m=300.0, relief_m=1000.0, texture=0.08, texture_beta=3.2,
    # troposphere
    pressure_sd_hpa=6.0, wet_mm=120.0, wet_season=0.4, wet_day_sd=0.25, wet_scale_m=2000.0, wet_scale_sd=0.15,
    lateral=0.05, season_peak_doy=200,
    # turbulence
    turb_mm=3.0, turb_beta=8.0 / 3.0, turb_outer_km=8.0, turb_day_sd=0.4,
    # ramps: share of the dates with a ramp of each order, size (mm over the scene's half-width)
    ramp_orders=((1, 0.5),), ramp_mm=3.0,
    # deformation sources: (kind, dict)
    defo=(),
    # DEM error, baselines, coherence, noise
    dz_m=10.0, buildings=6, bperp_sd_m=60.0, coh_mean=0.72, coh_sd=0.15, tau_days=90.0, lowcoh=None, snow_m=None,
    looks=6, descending=False,
    # unwrapping errors: (where, share of candidate pairs)
    slips=("scattered", 0.1),
    # stable area
    stable="corner",
    about="",
)

SCENARIOS = {
    "W01_flat_city": dict(about="flat coastal city, two bowls, buildings", shape=(200, 200), pixel_m=60.0, n_dates=40,
        neighbours=4, seed=101, terrain="flat", base_m=5.0, relief_m=15.0, texture=0.5, wet_mm=150.0, lateral=0.1,
        turb_mm=5.0, turb_outer_km=10.0, ramp_orders=((1, 0.6),), dz_m=15.0, buildings=20,
        defo=(("bowl", dict(u=0.4, v=0.45, sigma=0.12, rate=-60.0)),
        ("bowl", dict(u=0.75, v=0.7, sigma=0.07, rate=-25.0))), stable="patches"),
    "W02_alpine_3km": dict(about="alpine ridge of 3 km, a landslide on a slope, winter snow", shape=(150, 180),
        n_dates=36, seed=102, terrain="ridge", base_m=600.0, relief_m=3000.0, wet_mm=180.0, wet_season=0.5,
        wet_scale_sd=0.2, turb_mm=4.0, turb_outer_km=6.0, ramp_orders=((1, 1.0),), snow_m=2200.0,
        defo=(("slope", dict(u=0.62, v=0.4, sigma=0.06, rate=-40.0)),), slips=("scattered", 0.12), stable="frame"),
    "W03_aquifer_valley": dict(
        about="a valley floor subsiding over an aquifer (follows height), slips on the steep deformation",
        shape=(180, 160), n_dates=40, seed=103, terrain="valley", base_m=400.0, relief_m=1500.0, wet_mm=140.0,
        ramp_orders=(), ramp_mm=0.0, defo=(("aquifer", dict(rate=-100.0, seasonal_mm=15.0, rim=0.35)),),
        slips=("steep", 0.3)),
    "W04_volcano_uplift": dict(about="Mogi uplift under the summit of a volcano, quadratic ionospheric ramps",
        shape=(200, 200), seed=104, terrain="volcano", relief_m=2500.0, wet_mm=100.0, wet_scale_m=1800.0,
        ramp_orders=((2, 0.4),), ramp_mm=6.0, defo=(("mogi", dict(u=0.5, v=0.5, depth=0.15, rate=30.0)),),
        slips=("scattered", 0.08), stable="frame"),
    "W05_plateau_creep": dict(about="high plateau, fault creep, dense network", shape=(100, 120), neighbours=6,
        seed=105, base_m=2500.0, relief_m=800.0, wet_mm=40.0, turb_mm=2.0, ramp_orders=((1, 1.0),), ramp_mm=4.0,
        defo=(("creep", dict(u=0.5, angle_deg=20.0, width=0.03, rate=10.0)),)),
    "W06_sparse_large": dict(about="large sparse network (20 % of the pairs dropped), two bowls, strong turbulence",
        shape=(240, 240), pixel_m=60.0, n_dates=60, day_step=6, neighbours=2, drop_share=0.2, seed=106, relief_m=600.0,
        turb_mm=7.0, turb_beta=5.0 / 3.0, turb_outer_km=20.0, ramp_orders=((1, 0.3),),
        defo=(("bowl", dict(u=0.3, v=0.3, sigma=0.08, rate=-50.0)),
        ("bowl", dict(u=0.65, v=0.7, sigma=0.1, rate=-80.0))), slips=("scattered", 0.05), stable="strip"),
    "W07_quadratic_iono": dict(about="quadratic ionospheric ramps on every date, two landslides", shape=(160, 160),
        neighbours=4, seed=107, relief_m=400.0, turb_mm=2.0, ramp_orders=((2, 1.0),), ramp_mm=10.0,
        defo=(("slope", dict(u=0.3, v=0.6, sigma=0.05, rate=-30.0)),
        ("slope", dict(u=0.7, v=0.35, sigma=0.06, rate=-45.0)))),
    "W08_no_motion": dict(about="no deformation at all, a strong wet delay", seed=108, terrain="ridge", relief_m=1200.0,
        wet_mm=200.0, wet_season=0.5, lateral=0.1, ramp_orders=((1, 0.7),), ramp_mm=4.0),
    "W09_short_seasonal": dict(about="1.3 years (the seasons do not cancel), a strong seasonal wet delay",
        shape=(140, 140), n_dates=40, seed=109, terrain="ridge", relief_m=2000.0, wet_mm=250.0, wet_season=0.6,
        defo=(("bowl", dict(u=0.3, v=0.65, sigma=0.1, rate=-20.0)),), stable="strip"),
    "W10_dem_baselines": dict(about="DEM errors of 30 m, long baselines (pairs over 250 m dropped)", day_step=24,
        neighbours=4, max_bperp_m=250.0, seed=110, dz_m=30.0, buildings=10, bperp_sd_m=150.0,
        defo=(("bowl", dict(u=0.55, v=0.5, sigma=0.12, rate=-40.0)),), stable="patches"),
    "W11_small_volcano": dict(about="small volcano, few dates, slips in the pairs with the fewest loops",
        shape=(64, 80), pixel_m=100.0, n_dates=14, day_step=24, seed=111, terrain="volcano", relief_m=2000.0,
        wet_mm=150.0, turb_mm=2.5, defo=(("mogi", dict(u=0.5, v=0.5, depth=0.2, rate=40.0)),), slips=("few_loops", 0.3),
        stable="frame"),
    "W12_gap_accelerating": dict(about="a 120-day gap, an accelerating landslide, slips beyond a low-coherence belt",
        shape=(160, 160), n_dates=36, gap=(18, 120), seed=112, terrain="ridge", turb_mm=4.0, turb_outer_km=4.0,
        ramp_orders=((1, 0.3), (2, 0.2)), ramp_mm=4.0, lowcoh="belt",
        defo=(("slope", dict(u=0.35, v=0.7, sigma=0.07, rate=-10.0, accel=25.0)),), slips=("island", 0.2)),
}

# Held out: parameters and seeds fixed here before any tuning; their results are not looked at until the end.
HOLDOUT = {
    "H1_aquifer_quadratic": dict(about="an aquifer under a valley, quadratic and linear ramps, outer scale 25 km",
        shape=(170, 190), pixel_m=70.0, n_dates=44, neighbours=4, seed=201, terrain="valley", relief_m=1800.0,
        wet_mm=170.0, turb_mm=4.0, turb_outer_km=25.0, ramp_orders=((2, 0.3), (1, 0.4)), ramp_mm=5.0,
        defo=(("aquifer", dict(rate=-70.0, seasonal_mm=10.0, rim=0.4)),), stable="frame"),
    "H2_city_fast": dict(about="a fast city bowl (-150 mm/yr), slips on the steep deformation", shape=(180, 180),
        pixel_m=60.0, n_dates=36, neighbours=5, seed=202, relief_m=200.0, wet_mm=160.0, lateral=0.15, turb_mm=5.0,
        ramp_orders=((1, 0.8),), ramp_mm=4.0, dz_m=20.0, buildings=15,
        defo=(("bowl", dict(u=0.45, v=0.5, sigma=0.14, rate=-150.0)),), slips=("steep", 0.2), stable="patches"),
    "H3_volcano_slide_snow": dict(about="volcano uplift and a landslide on its flank, winter snow", shape=(200, 180),
        n_dates=36, seed=203, terrain="volcano", base_m=500.0, relief_m=2800.0, wet_mm=130.0, wet_scale_m=2200.0,
        wet_scale_sd=0.25, snow_m=2400.0, ramp_orders=((1, 0.6),),
        defo=(("mogi", dict(u=0.5, v=0.5, depth=0.18, rate=25.0)),
        ("slope", dict(u=0.7, v=0.3, sigma=0.05, rate=-35.0))), stable="frame"),
    "H4_sparse_gradients": dict(about="sparse network, two landslides, strong lateral gradients", shape=(150, 200),
        n_dates=40, neighbours=2, drop_share=0.15, seed=204, terrain="ridge", wet_mm=150.0, lateral=0.2, turb_mm=4.0,
        turb_beta=11.0 / 3.0, ramp_orders=((1, 0.4),), defo=(("slope", dict(u=0.3, v=0.75, sigma=0.06, rate=-30.0)),
        ("slope", dict(u=0.7, v=0.8, sigma=0.07, rate=-50.0))), slips=("few_loops", 0.3)),
    "H5_escarpment_creep": dict(about="fault creep at the foot of an escarpment, and a bowl", shape=(140, 160),
        neighbours=4, seed=205, terrain="escarpment", relief_m=1500.0, dz_m=20.0, turb_outer_km=12.0,
        ramp_orders=((2, 0.2), (1, 0.5)), ramp_mm=4.0,
        defo=(("creep", dict(u=0.45, angle_deg=-10.0, width=0.03, rate=12.0)),
        ("bowl", dict(u=0.75, v=0.6, sigma=0.08, rate=-30.0))), stable="strip"),
}
# Held out from the chain's speed work: larger grids, more dates, and unwrapping errors over whole regions of a few
# interferograms (a wrong cycle beyond a line across the scene, as an unwrapper's jump between two components).
HOLDOUT_SPEED = {
    "H6_sheets_subsidence": dict(about="a subsiding basin, three interferograms one cycle off beyond a line",
        shape=(260, 300), pixel_m=70.0, n_dates=64, day_step=6, neighbours=3, seed=206, relief_m=700.0,
        wet_mm=140.0, turb_mm=4.0, turb_outer_km=15.0, ramp_orders=((1, 0.5),), ramp_mm=4.0,
        defo=(("bowl", dict(u=0.6, v=0.4, sigma=0.12, rate=-45.0)),), slips=("sheet", 3), stable="frame"),
    "H7_sheets_volcano_large": dict(about="volcano uplift on a 360 x 340 grid, 48 dates, four sheets and patches",
        shape=(360, 340), n_dates=48, neighbours=3, seed=207, terrain="volcano", relief_m=2200.0, wet_mm=110.0,
        turb_mm=3.5, ramp_orders=((1, 0.4), (2, 0.2)), ramp_mm=5.0,
        defo=(("mogi", dict(u=0.45, v=0.55, depth=0.15, rate=20.0)),), slips=("sheet", 4), stable="strip"),
}
ALL = {**SCENARIOS, **HOLDOUT, **HOLDOUT_SPEED}


def spec(name: str) -> dict:
    """Every parameter of scenario ``name`` (defaults filled in); ``NAME@ROWSxCOLSxDATES`` is scenario NAME on
    another grid and number of dates (the speed benchmark's sizes)."""
    base, _, size = name.partition("@")
    out = {**DEFAULTS, **ALL[base]}
    if size:
        rows, cols, n_dates = (int(x) for x in size.split("x"))
        out.update(shape=(rows, cols), n_dates=n_dates)
    return out


def powerlaw_field(rng, shape, pixel_km, beta, outer_km) -> np.ndarray:
    """Zero-mean, unit-variance random field with power spectrum ``(k^2 + k0^2)^(-beta/2)``, ``k0 = 1 / outer_km``
    (cycles per km), made on a grid twice as large and cropped (no wrap-around)."""
    h, w = shape
    hh, ww = 2 * h, 2 * w
    ky = np.fft.fftfreq(hh, d=pixel_km)[:, None]
    kx = np.fft.fftfreq(ww, d=pixel_km)[None, :]
    amp = (kx * kx + ky * ky + (1.0 / outer_km) ** 2) ** (-beta / 4.0)
    amp[0, 0] = 0.0
    f = np.fft.ifft2(np.fft.fft2(rng.standard_normal((hh, ww))) * amp).real[:h, :w]
    f -= f.mean()
    return f / (f.std() or 1.0)


def _terrain(s, rng, u, v, pixel_km):
    """(DEM, its large-scale form) in metres."""
    kind = s["terrain"]
    if kind == "flat":
        form = np.zeros_like(u)
    elif kind == "ridge":
        form = np.exp(-((u - 0.6) ** 2) / (2 * 0.18 ** 2)) * (0.7 + 0.3 * np.cos(2.5 * v))
    elif kind == "volcano":
        r = np.hypot(u - 0.5, v - 0.5)
        form = np.clip(1.0 - r / 0.5, 0.0, 1.0) ** 1.6
    elif kind == "valley":
        form = np.clip(np.abs(u - 0.45) / 0.45, 0, 1) ** 1.3
    elif kind == "escarpment":
        form = 1.0 / (1.0 + np.exp(-(u - 0.45 - 0.1 * v) / 0.04))
    elif kind == "hills":
        form = 0.5 + 0.5 * powerlaw_field(rng, u.shape, pixel_km, 4.0, 6.0) / 2.5
        form = np.clip(form, 0.0, 1.0)
    else:
        raise ValueError(f"unknown terrain {kind!r}")
    texture = powerlaw_field(rng, u.shape, pixel_km, s["texture_beta"], 3.0)
    full = form + s["texture"] * texture
    lo, span = float(full.min()), float(np.ptp(full)) or 1.0
    # the DEM spans exactly relief_m above base_m; the form (what deformation follows) on the same scale
    return s["base_m"] + s["relief_m"] * (full - lo) / span, s["base_m"] + s["relief_m"] * (form - lo) / span


def _deformation(s, u, v, form_m, t, incidence):
    """Rate map (mm/yr, LOS) and the series (N, rows, cols) in mm, before the stable-area taper."""
    n = t.size
    series = np.zeros((n,) + u.shape)
    for kind, p in s["defo"]:
        acc = p.get("accel", 0.0)
        season = p.get("seasonal_mm", 0.0)
        if kind in ("bowl", "slope"):
            shape = np.exp(-((u - p["u"]) ** 2 + (v - p["v"]) ** 2) / (2 * p["sigma"] ** 2))
        elif kind == "aquifer":
            lo, hi = float(form_m.min()), float(form_m.max())
            rim = lo + p["rim"] * (hi - lo)
            shape = np.clip((rim - form_m) / max(rim - lo, 1.0), 0.0, 1.0) ** 1.5
        elif kind == "mogi":
            r2 = (u - p["u"]) ** 2 + (v - p["v"]) ** 2
            d = p["depth"]
            ci = np.cos(np.radians(incidence))
            shape = (d ** 3 / (d * d + r2) ** 1.5) * ci / ci.mean()  # vertical uplift seen in the line of sight
        elif kind == "creep":
            a = np.radians(p["angle_deg"])
            dist = (u - p["u"]) * np.cos(a) - (v - 0.5) * np.sin(a)
            shape = np.arctan(dist / p["width"]) / (np.pi / 2)
        else:
            raise ValueError(f"unknown deformation {kind!r}")
        tf = p["rate"] * t + acc * t * t
        series += shape[None] * tf[:, None, None]
        if season:
            series += season * np.abs(shape)[None] * np.sin(2 * np.pi * t)[:, None, None]
    return series


def _stable_area(kind, rate_shape, rng, shape):
    """Stable mask where the deformation is small: a corner, an edge strip, a frame or patches."""
    h, w = shape
    quiet = np.abs(rate_shape) <= 0.02 * max(np.abs(rate_shape).max(), 1e-9)
    best = None
    if kind == "corner":
        for r0, c0 in ((0, 0), (0, w - w // 4), (h - h // 4, 0), (h - h // 4, w - w // 4)):
            m = np.zeros(shape, bool)
            m[r0:r0 + h // 4, c0:c0 + w // 4] = True
            score = (quiet & m).sum()
            if best is None or score > best[0]:
                best = (score, m)
        return best[1]
    if kind == "strip":
        bw = max(6, w // 8)
        bh = max(6, h // 8)
        for m in (np.s_[:, :bw], np.s_[:, w - bw:], np.s_[:bh, :], np.s_[h - bh:, :]):
            mm = np.zeros(shape, bool)
            mm[m] = True
            score = (quiet & mm).sum() / mm.sum()
            if best is None or score > best[0]:
                best = (score, mm)
        return best[1]
    if kind == "frame":
        b = max(5, min(h, w) // 12)
        m = np.zeros(shape, bool)
        m[:b], m[-b:], m[:, :b], m[:, -b:] = True, True, True, True
        return m
    if kind == "patches":
        m = np.zeros(shape, bool)
        ps = max(6, min(h, w) // 12)
        placed = 0
        for _ in range(400):
            r0, c0 = int(rng.integers(0, h - ps)), int(rng.integers(0, w - ps))
            near = m[max(0, r0 - ps):r0 + 2 * ps, max(0, c0 - ps):c0 + 2 * ps]
            if quiet[r0:r0 + ps, c0:c0 + ps].all() and not near.any():
                m[r0:r0 + ps, c0:c0 + ps] = True
                placed += 1
                if placed == 6:
                    break
        return m
    raise ValueError(f"unknown stable area {kind!r}")


def _network(s, rng, days, bperp):
    n = days.size
    pairs = [(i, j) for i in range(n) for j in range(i + 1, min(n, i + 1 + s["neighbours"]))]
    keep = []
    for i, j in pairs:
        if j == i + 1:  # the sequential pairs keep the network connected
            keep.append((i, j))
            continue
        if s["max_bperp_m"] is not None and abs(bperp[j] - bperp[i]) > s["max_bperp_m"]:
            continue
        if rng.random() < s["drop_share"]:
            continue
        keep.append((i, j))
    return keep


def make_stack(name: str) -> dict:
    """The arrays of scenario ``name``: interferograms (LOS mm, positive toward the satellite), coherence, DEM,
    geometry, baselines, the truth and every part (keys as chain_stacks.make_stack)."""
    s = spec(name)
    rng = np.random.default_rng(s["seed"])
    h, w = s["shape"]
    pixel_km = s["pixel_m"] / 1000.0
    yy, xx = np.mgrid[0:h, 0:w].astype(float)
    u, v = xx / (w - 1), yy / (h - 1)
    n = s["n_dates"]
    days = np.arange(n) * s["day_step"]
    if s["gap"]:
        k0, extra_days = s["gap"]
        days[k0:] += extra_days
    start = dt.date(*s["start"])
    dates = [start + dt.timedelta(days=int(d)) for d in days]
    t = days / 365.25
    doy = np.array([d.timetuple().tm_yday for d in dates])
    dem, form = _terrain(s, rng, u, v, pixel_km)
    incidence = 30.0 + 15.0 * (1 - u if s["descending"] else u)
    slant = 800e3 + 120e3 * (incidence - 30.0) / 15.0
    # deformation, the stable area and its taper
    defo = _deformation(s, u, v, form, t, incidence)
    tt = t - t.mean()
    rate0 = (tt[:, None, None] * (defo - defo.mean(axis=0))).sum(axis=0) / (tt * tt).sum()
    stable = _stable_area(s["stable"], rate0 if np.abs(rate0).max() > 0 else np.zeros((h, w)), rng, (h, w))
    from scipy.ndimage import distance_transform_edt

    taper = np.clip(distance_transform_edt(~stable) / 6.0, 0.0, 1.0)
    defo = defo * taper[None]
    # troposphere: hydrostatic + wet with a scale height, both per date; lateral gradient of the wet delay
    cos_inc = np.cos(np.radians(incidence))
    p = 1013.0 + rng.normal(0.0, s["pressure_sd_hpa"], n)
    season = 1.0 + s["wet_season"] * np.cos(2 * np.pi * (doy - s["season_peak_doy"]) / 365.25)
    zw = s["wet_mm"] * season * np.exp(rng.normal(0.0, s["wet_day_sd"], n))
    hw = s["wet_scale_m"] * np.clip(1.0 + rng.normal(0.0, s["wet_scale_sd"], n), 0.4, 1.8)
    grad = rng.normal(0.0, s["lateral"], (n, 2))
    xs, ys = 2 * u - 1, 2 * v - 1
    strat = np.empty((n, h, w))
    for d in range(n):
        zenith = ZHD_MM_PER_HPA * p[d] * np.exp(-dem / DRY_SCALE_M) \
            + zw[d] * (1.0 + grad[d, 0] * xs + grad[d, 1] * ys) * np.exp(-dem / hw[d])
        strat[d] = -zenith / cos_inc  # a longer path looks like motion away from the satellite
        strat[d] -= np.median(strat[d])
    # turbulence: power-law fields, size per date (log-normal) following the wet delay's season
    amp = s["turb_mm"] * np.exp(rng.normal(0.0, s["turb_day_sd"], n)) * np.sqrt(season / season.mean())
    turb = np.stack([amp[d] * powerlaw_field(rng, (h, w), pixel_km, s["turb_beta"], s["turb_outer_km"])
                     for d in range(n)])
    # ramps of order 0 / 1 / 2 on a share of the dates
    ramps = np.zeros((n, h, w))
    order = np.zeros(n, int)
    draw = rng.random(n)
    edge = 0.0
    for o, share in s["ramp_orders"]:
        pick = (draw >= edge) & (draw < edge + share)
        order[pick] = o
        edge += share
    for d in range(n):
        if order[d] == 0 or s["ramp_mm"] <= 0:
            continue
        c = rng.normal(0.0, s["ramp_mm"], 6)
        ramps[d] = c[0] + c[1] * xs + c[2] * ys
        if order[d] == 2:
            ramps[d] += c[3] * xs * xs + c[4] * ys * ys + c[5] * xs * ys
    # DEM error and baselines
    bperp = np.concatenate([[0.0], rng.normal(0.0, s["bperp_sd_m"], n - 1)])
    dz = s["dz_m"] * 0.4 * powerlaw_field(rng, (h, w), pixel_km, 3.0, 1.0)
    for _ in range(s["buildings"]):
        rr, cc = rng.integers(0, h - 8), rng.integers(0, w - 8)
        dz[rr:rr + rng.integers(2, 7), cc:cc + rng.integers(2, 7)] += rng.choice([-1, 1]) * s["dz_m"] * 2
    dem_err = bperp[:, None, None] * (dz / (slant * np.sin(np.radians(incidence))))[None] * 1000.0
    series = defo + strat + turb + ramps + dem_err
    series -= series[:1]
    # coherence: land cover, temporal decorrelation, a belt / low-coherence fields, winter snow
    g0 = np.clip(s["coh_mean"] + s["coh_sd"] * powerlaw_field(rng, (h, w), pixel_km, 3.0, 2.0), 0.12, 0.97)
    belt = np.zeros((h, w), bool)
    if s["lowcoh"] == "belt":
        belt = np.abs(v - 0.4 - 0.05 * np.sin(6 * u)) < 0.025
        g0 = np.where(belt, 0.08, g0)
    elif s["lowcoh"]:
        g0 = np.where(powerlaw_field(rng, (h, w), pixel_km, 3.0, 2.0) > 0.8, s["lowcoh"] * 0.5, g0)
    g0[stable] = np.maximum(g0[stable], 0.6)
    winter = np.array([d.month in (12, 1, 2, 3) for d in dates])
    high = dem > s["snow_m"] if s["snow_m"] else np.zeros((h, w), bool)
    pairs = _network(s, rng, days, bperp)
    m = len(pairs)
    coh = np.empty((m, h, w))
    ifg = np.empty((m, h, w))
    for k, (i, j) in enumerate(pairs):
        gam = g0 * (0.25 + 0.75 * np.exp(-(days[j] - days[i]) / s["tau_days"]))
        if winter[i] or winter[j]:
            gam = np.where(high, gam * 0.35, gam)
        coh[k] = np.clip(gam + 0.03 * rng.standard_normal((h, w)), 0.01, 0.99)
        sig = np.minimum(np.sqrt(1 - coh[k] ** 2) / (coh[k] * np.sqrt(2 * s["looks"])), np.pi / np.sqrt(3))
        ifg[k] = series[j] - series[i] + MM_PER_RAD * sig * rng.standard_normal((h, w))
    cycles = _slips(s, rng, pairs, days, defo, belt, stable)
    ifg += cycles * CYCLE_MM
    truth_rate = (tt[:, None, None] * (defo - defo.mean(axis=0))).sum(axis=0) / (tt * tt).sum()
    return {"name": name, "about": s["about"], "dates": dates, "pairs": pairs, "ifg_mm": ifg, "coherence": coh,
            "dem": dem, "incidence_deg": incidence, "slant_range_m": slant, "bperp_m": bperp, "dz_m": dz,
            "truth_rate_mm_yr": truth_rate, "defo_mm": defo, "stable": stable, "cycles": cycles, "years": t,
            "strat_mm": strat, "ramp_mm": ramps, "turb_mm": turb, "mean_coherence": coh.mean(axis=0),
            "pixel_m": s["pixel_m"], "ramp_order": order,
            "mintpy_ramp": "quadratic" if (order == 2).any() else "linear"}


def _slips(s, rng, pairs, days, defo, belt, stable):
    """Integer cycles (M, rows, cols) in patches, placed as ``s["slips"] = (where, share)`` says: scattered, on the
    steepest deformation of the longest pairs, everything beyond a low-coherence belt, or in the pairs with the
    fewest loops."""
    where, share = s["slips"]
    m = len(pairs)
    h, w = stable.shape
    out = np.zeros((m, h, w), np.int16)
    if share <= 0:
        return out
    if where == "sheet":  # ``share`` interferograms, each one cycle off beyond a random line (25-55 % of the scene)
        yy, xx = np.mgrid[0:h, 0:w]
        for k in rng.choice(m, int(share), replace=False):
            angle = rng.uniform(0.0, 2 * np.pi)
            side = np.cos(angle) * (xx - w / 2) + np.sin(angle) * (yy - h / 2)
            cut = np.quantile(side, 1.0 - rng.uniform(0.25, 0.55))
            out[k][(side > cut) & ~stable] = int(rng.choice([-1, 1]))
        return out
    span = np.array([days[j] - days[i] for i, j in pairs])
    if where == "steep":
        cand = np.flatnonzero(span >= np.percentile(span, 70))
    elif where == "few_loops":
        cand = chain_stacks.fewest_loops(pairs)
    else:
        cand = np.arange(m)
    chosen = rng.choice(cand, max(1, int(round(share * len(cand)))), replace=False)
    total = defo[-1] - defo[0]
    gy, gx = np.gradient(total)
    steep = np.hypot(gx, gy)
    for k in chosen:
        n_cyc = int(rng.choice([-1, 1]))
        if where == "island":
            yy = np.arange(h)[:, None] / (h - 1)
            xx = np.arange(w)[None, :] / (w - 1)
            out[k][(yy < 0.4 + 0.05 * np.sin(6 * xx)) & ~belt] = n_cyc
            continue
        ph, pw = rng.integers(6, 16, 2)
        if where == "steep" and steep.max() > 0:
            r, c = np.unravel_index(np.argmax(steep + 1e-3 * rng.random(steep.shape)), steep.shape)
            r0 = int(np.clip(r - ph // 2 + rng.integers(-5, 6), 0, h - ph))
            c0 = int(np.clip(c - pw // 2 + rng.integers(-5, 6), 0, w - pw))
        else:
            r0, c0 = int(rng.integers(0, h - ph)), int(rng.integers(0, w - pw))
        out[k, r0:r0 + ph, c0:c0 + pw] = n_cyc
    return out


def describe(names=None):
    for name in names or ALL:
        s = make_stack(name)
        held = " (held out)" if name in HOLDOUT else ""
        print(f"{name}{held}: {len(s['pairs'])} pairs, {len(s['dates'])} dates, {s['dem'].shape}, relief "
              f"{np.ptp(s['dem']):.0f} m, strat RMS {np.std(s['strat_mm'][1:] - s['strat_mm'][:1]):.1f} mm, turb "
              f"{np.std(s['turb_mm']):.1f} mm, ramps {np.std(s['ramp_mm']):.1f} mm, truth |rate| max "
              f"{np.abs(s['truth_rate_mm_yr']).max():.1f} mm/yr, slipped values {int((s['cycles'] != 0).sum())}, "
              f"stable {s['stable'].mean():.2f}")


def main(argv):
    if argv and argv[0] == "--describe":
        describe(argv[1:] or None)
        return
    out = argv[0]
    for name in argv[1:] or list(ALL):
        s = make_stack(name)
        chain_stacks.write_stack(s, os.path.join(out, name))
        print(f"{name}: {len(s['pairs'])} interferograms, {len(s['dates'])} dates, {s['dem'].shape}")


if __name__ == "__main__":
    main(sys.argv[1:])
