"""Synthetic multi-sensor scenarios with known truth (east, north, up) and what the multi-sensor benchmarks share
(our solver on a scenario, error statistics). docs/multisensor.md, "Benchmarks", describes the scenarios, their
sensors, motions and noise; ``ORDER`` (fixed before any tuning), ``HOLDOUT`` and ``NEW`` are fixed with their seeds.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from insar_geohazards.algorithms.conventions import (
    ALOS_WAVELENGTH_M,
    ENVISAT_WAVELENGTH_M,
    ERS_WAVELENGTH_M,
    RADARSAT_WAVELENGTH_M,
    SENTINEL1_WAVELENGTH_M,
)
from insar_geohazards.algorithms.geometry.los import los_unit_vector
from insar_geohazards.algorithms.timeseries.multisensor import NorthModel, Stack, solve_multisensor

TSX_WAVELENGTH_M = 299_792_458.0 / 9.65e9
CSK_WAVELENGTH_M = 299_792_458.0 / 9.6e9
PIXEL_M = 100.0
REF_RC = (1, 1)


@dataclass
class Sensor:
    name: str
    wavelength_m: float
    heading_deg: float
    incidence_deg: tuple  # (near, far) across the columns
    repeat_days: int
    start: dt.date
    end: dt.date
    kind: str = "ifg"  # "ifg" | "series"
    units: str = "mm"  # "mm" | "rad" (interferograms only)
    n_conn: int = 3
    missing: float = 0.03
    shadow: bool = False  # the shadow rectangle has no data in this geometry


@dataclass
class Scenario:
    name: str
    sensors: list
    shape: tuple = (40, 40)
    motions: tuple = ()
    seed: int = 0
    series_noise_mm: float = 1.5
    phase_noise_rad: float = 0.35
    slope: bool = False
    notes: str = ""
    extra: dict = field(default_factory=dict)


D = dt.date
#: Each geometry's wavelength, heading (deg) and incidence (near, far; deg) across the columns.
GEOMETRY = {
    "S1-asc": (SENTINEL1_WAVELENGTH_M, -12.0, (38.0, 38.3)), "S1-desc": (SENTINEL1_WAVELENGTH_M, 192.0, (41.0, 40.7)),
    "TSX-asc": (TSX_WAVELENGTH_M, -10.0, (28.0, 28.2)), "CSK-asc": (CSK_WAVELENGTH_M, -10.0, (30.0, 30.3)),
    "CSK-desc": (CSK_WAVELENGTH_M, 190.0, (35.0, 34.7)), "ALOS-asc": (ALOS_WAVELENGTH_M, -10.0, (38.7, 38.9)),
    "ENV-asc": (ENVISAT_WAVELENGTH_M, -13.0, (22.8, 23.0)), "ENV-desc": (ENVISAT_WAVELENGTH_M, 193.0, (22.9, 22.7)),
    "ERS-asc": (ERS_WAVELENGTH_M, -13.0, (22.8, 23.1)), "ERS-desc": (ERS_WAVELENGTH_M, 193.0, (23.1, 22.8)),
    "RSAT2-asc": (RADARSAT_WAVELENGTH_M, -11.0, (30.0, 30.4)),
    "RSAT2-desc": (RADARSAT_WAVELENGTH_M, 191.0, (34.0, 33.6))}


def _s(text, incidence=None, **kw):
    """A sensor from ``"NAME REPEAT_DAYS FIRST LAST"`` (ISO dates; NAME's geometry, a trailing 2 dropped)."""
    name, repeat, first, last = text.split()
    wavelength, heading, near_far = GEOMETRY[name.rstrip("2")]
    return Sensor(name, wavelength, heading, incidence or near_far, int(repeat), D.fromisoformat(first),
                  D.fromisoformat(last), **kw)


SERIES, SHADOW = dict(kind="series"), dict(shadow=True)
SCENARIOS = {sc.name: sc for sc in [
    Scenario("overlap4", [
        _s("S1-asc 6 2017-01-03 2019-12-28"), _s("S1-desc 12 2017-01-08 2019-12-30", **SHADOW),
        _s("TSX-asc 11 2017-01-05 2019-12-20"), _s("CSK-desc 11 2017-01-09 2019-12-24", (33.0, 32.8), **SHADOW),
    ], motions=("bowl", "seasonal", "accelerating"), seed=11),
    Scenario("gap_env_s1", [
        _s("ENV-asc 35 2003-02-10 2010-10-01", missing=0.15),
        _s("ENV-desc 35 2003-02-20 2010-09-20", missing=0.15, **SHADOW),
        _s("S1-asc 12 2015-03-01 2021-12-20"), _s("S1-desc 12 2015-03-07 2021-12-26", **SHADOW),
    ], motions=("bowl", "seasonal", "accelerating", "changepoint"), seed=12),
    Scenario("landslide", [
        _s("S1-asc 6 2018-01-02 2021-12-28", **SERIES), _s("S1-desc 12 2018-01-07 2021-12-30", **SERIES),
        _s("TSX-asc 11 2018-01-04 2021-12-20"),
    ], motions=("landslide", "seasonal"), slope=True, seed=13),
    Scenario("alos_mixed", [
        _s("ENV-desc 35 2004-01-15 2010-09-20", missing=0.15),
        _s("ALOS-asc 46 2007-01-20 2011-03-10", units="rad", missing=0.2, n_conn=2),
        _s("S1-asc 12 2015-06-01 2020-12-20", **SERIES), _s("S1-desc 12 2015-06-05 2020-12-26", **SERIES),
    ], motions=("bowl_accel", "seasonal"), seed=14),
    Scenario("ps_series", [
        _s("S1-asc 6 2019-01-01 2022-12-27", missing=0.05, **SERIES),
        _s("S1-desc 12 2019-01-04 2022-12-30", missing=0.05, **SERIES),
    ], motions=("bowl", "seasonal", "landslide"), slope=True, seed=15),
    # HOLDOUT
    Scenario("ers_csk_s1", [
        _s("ERS-asc 35 1995-05-01 2000-12-01", missing=0.1, **SERIES),
        _s("ERS-desc 35 1995-05-09 2000-11-20", missing=0.1, **SERIES),
        _s("CSK-asc 16 2011-07-03 2014-06-30"), _s("CSK-desc 16 2011-07-11 2014-07-08"),
        _s("S1-desc 12 2016-11-20 2020-10-30", **SERIES),
    ], motions=("decay", "reactivation", "seasonal"), seed=16),
    Scenario("rsat_tsx_gap", [
        _s("RSAT2-desc 24 2009-03-02 2013-04-20", units="rad", missing=0.1),
        _s("TSX-asc 11 2012-01-08 2015-06-20", **SERIES),
        _s("S1-asc 6 2018-12-04 2021-11-27"), _s("S1-desc 12 2018-12-09 2021-11-30"),
    ], motions=("slowing", "seasonal"), seed=17),
    Scenario("rs2_csk_cycle", [
        _s("RSAT2-asc 24 2010-02-03 2014-04-20", missing=0.1, **SERIES),
        _s("CSK-desc 16 2011-01-09 2014-05-28", **SHADOW), _s("S1-asc 12 2017-06-02 2022-03-20", **SERIES),
        _s("S1-desc 12 2017-06-08 2022-03-26", **SERIES, **SHADOW),
    ], motions=("cycle", "onset", "bowl", "seasonal"), seed=18),
    # NEW
    Scenario("env_tsx_slide", [
        _s("ENV-asc 35 2004-03-01 2009-09-20", missing=0.1), _s("ENV-desc 35 2004-03-09 2009-09-28", missing=0.1),
        _s("TSX-asc 11 2015-05-02 2019-10-20", **SERIES), _s("CSK-desc 16 2015-05-09 2019-10-28"),
    ], motions=("bowl", "seasonal", "eastslide"), seed=19),
    Scenario("s1_rw_short_gap", [
        _s("S1-asc 12 2015-04-01 2018-06-20", **SERIES), _s("S1-desc 12 2015-04-07 2018-06-26", **SERIES),
        _s("S1-asc2 12 2020-02-01 2023-06-20", **SERIES), _s("S1-desc2 12 2020-02-07 2023-06-26", **SERIES),
    ], motions=("bowl_south", "seasonal", "rw_north"), seed=20),
    Scenario("env_s1_blobs", [
        _s("ENV-asc 35 2003-02-01 2010-10-20", missing=0.1), _s("ENV-desc 35 2003-02-09 2010-10-28", missing=0.1),
        _s("S1-asc 12 2017-07-01 2022-06-20", **SERIES), _s("S1-desc 12 2017-07-07 2022-06-26", **SERIES),
    ], motions=("bowl", "seasonal", "rw_spots"), seed=21),
]}
ORDER = ["overlap4", "gap_env_s1", "landslide", "alos_mixed", "ps_series"]
HOLDOUT = ["ers_csk_s1", "rsat_tsx_gap", "rs2_csk_cycle"]
NEW = ["env_tsx_slide", "s1_rw_short_gap", "env_s1_blobs"]


def _irw(density, t, seed, n, t0=14.0, t1=24.0, step=1.0 / 120.0):
    """``n`` fixed independent draws of an integrated random walk (velocity random walk of ``density``
    mm^2/yr^3, zero at ``t0``) on a fine grid from ``t0`` to ``t1`` (years since 2000), at the times ``t``
    (linear between the grid's nodes): (len(t), n)."""
    grid = np.arange(t0, t1 + step, step)
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, math.sqrt(density * step), (grid.size - 1, n))
    vel = np.concatenate([np.zeros((1, n)), np.cumsum(steps, axis=0)])
    disp = np.concatenate([np.zeros((1, n)), np.cumsum(0.5 * (vel[1:] + vel[:-1]) * step, axis=0)])
    return np.stack([np.interp(t, grid, disp[:, j]) for j in range(n)], axis=1)


T0 = D(2000, 1, 1)


def years(dates, t0=T0) -> np.ndarray:
    return np.array([(d - t0).days for d in dates], float) / 365.25


def acquisition_dates(s: Sensor, rng) -> list:
    out, d = [], s.start
    while d <= s.end:
        out.append(d)
        d += dt.timedelta(days=s.repeat_days)
    keep = rng.uniform(size=len(out)) >= s.missing
    keep[0] = keep[-1] = True
    return [d for d, k in zip(out, keep) if k]


def terrain(shape):
    """A 20-degree slope facing azimuth 20 (NNE) in the landslide window, gentle elsewhere."""
    rows, cols = shape
    slope = np.full(shape, 2.0)
    aspect = np.full(shape, 135.0)
    r0, r1, c0, c1 = rows // 4, 3 * rows // 4, cols // 2, cols - 3
    slope[r0:r1, c0:c1] = 20.0
    aspect[r0:r1, c0:c1] = 20.0
    return slope, aspect, (r0, r1, c0, c1)


def truth_enu(sc: Scenario, t_years: np.ndarray):
    """Truth (E, N, U) in mm, each (n_t, rows, cols), at times ``t_years`` (years since 2000)."""
    rows, cols = sc.shape
    yy, xx = np.mgrid[0:rows, 0:cols].astype(float)
    t = np.asarray(t_years, float)[:, None, None]
    e = np.zeros((t.shape[0], rows, cols))
    n = np.zeros_like(e)
    u = np.zeros_like(e)

    def blob(fy, fx, frac):  # a Gaussian centred at (rows fy, cols fx), standard deviation rows frac
        return np.exp(-((yy - rows * fy) ** 2 + (xx - cols * fx) ** 2) / (2 * (rows * frac) ** 2))
    # fixed epochs of the scenario (not of the dates asked for): the truth is one function of time
    t_first = float(years([min(s.start for s in sc.sensors)])[0])
    t_mid = 0.5 * (t_first + float(years([max(s.end for s in sc.sensors)])[0]))
    for m in sc.motions:
        if m in ("bowl", "bowl_accel"):
            cy, cx, rad = rows * 0.55, cols * 0.4, rows * 0.22
            g = blob(0.55, 0.4, 0.22)
            rate = -35.0 * g
            lin = rate * (t - t_mid)
            u += lin + ((-1.5 * g) * (t - t_mid) ** 2 if m == "bowl_accel" else 0.0)
            # horizontal motion toward the centre, steady (a north velocity field a GNSS model could give)
            e += 0.18 * (xx - cx) / rad * lin
            n += 0.18 * -(yy - cy) / rad * lin
        elif m == "seasonal":
            amp = 6.0 * blob(0.25, 0.7, 0.2) + 1.0
            ph = 0.5 + 0.02 * xx
            u += amp * np.sin(2 * math.pi * t + ph)
            e += 0.25 * amp * np.sin(2 * math.pi * t + ph + 0.7)
        elif m == "accelerating":
            g = blob(0.25, 0.25, 0.1)
            tt = t - t_first
            u += g * (-4.0 * tt - 3.0 * tt ** 2)
            e += g * (2.0 * tt + 1.5 * tt ** 2)
        elif m == "changepoint":
            g = blob(0.8, 0.75, 0.1)
            tc = sc.extra.get("t_change", 12.5)  # mid-2012, inside the gap
            u += g * (-8.0 * (t - t_mid) - 12.0 * np.maximum(t - tc, 0.0))
            e += g * (5.0 * np.maximum(t - tc, 0.0))
        elif m == "decay":
            # inflation source slowing down: u = A (1 - exp(-(t - t0) / tau)), radial horizontal outward
            cy, cx, rad = rows * 0.45, cols * 0.55, rows * 0.25
            g = blob(0.45, 0.55, 0.25)
            amp = 150.0 * (1.0 - np.exp(-np.maximum(t - t_first, 0.0) / 6.0))
            u += g * amp
            e += 0.3 * (xx - cx) / rad * g * amp
            n += 0.3 * -(yy - cy) / rad * g * amp  # rows grow southward
        elif m == "reactivation":
            # a slope moving 3 mm/yr, reactivated in mid-2004 (20 mm/yr more, decaying over 5 years), moving west
            r0, r1, c0, c1 = rows // 10, rows // 3, cols // 10, cols // 3
            body = np.zeros(sc.shape)
            body[r0:r1, c0:c1] = 1.0
            tc = 4.5
            extra = np.where(t > tc, 20.0 * 5.0 * (1.0 - np.exp(-(t - tc) / 5.0)), 0.0)
            along = body * (3.0 * (t - t_first) + extra)
            e += -0.9 * along
            u += -0.4 * along
        elif m == "slowing":
            # subsidence of 40 mm/yr until mid-2016, then slowing to 10 mm/yr over two years (smooth)
            cy, cx, rad = rows * 0.5, cols * 0.5, rows * 0.3
            g = blob(0.5, 0.5, 0.3)
            ts_ = sc.extra.get("t_slowing", 16.5)
            rate_after = 10.0
            tt = t - t_first
            slow = np.where(t > ts_, (40.0 - rate_after) * (t - ts_ - 2.0 * (1.0 - np.exp(-(t - ts_) / 2.0))), 0.0)
            u += -g * (40.0 * tt - slow)
            e += 0.1 * (xx - cx) / rad * -g * (40.0 * tt - slow)
        elif m == "cycle":
            # aquifer drawdown and recovery with a 7-year period over the west half: velocity up to 11 mm/yr
            g = np.exp(-((xx - cols * 0.2) / (cols * 0.3)) ** 2)
            w = 2 * math.pi / 7.0
            u += g * 12.0 * np.sin(w * (t - 11.0))
            e += g * 3.0 * np.sin(w * (t - 11.0) + 0.4)
        elif m == "onset":
            # uplift starting inside the gap (logistic, centred mid-2015, 1-year width): 0 to 9 mm/yr up, 4 west
            g = blob(0.2, 0.8, 0.12)
            tc, wd = sc.extra.get("t_onset", 15.5), 0.25
            ramp = wd * np.logaddexp(0.0, (t - tc) / wd)  # integral of the logistic: displacement of a unit rate
            u += g * 9.0 * ramp
            e += g * -4.0 * ramp
        elif m == "eastslide":
            # a patch in the south-east sliding east at 6 mm/yr, doubling smoothly around 2012.5 (inside the gap)
            g = blob(0.75, 0.78, 0.09)
            tc, wd = sc.extra.get("t_eastslide", 12.5), 0.5
            ramp = wd * np.logaddexp(0.0, (t - tc) / wd)
            e += g * (6.0 * (t - t_mid) + 6.0 * ramp)
            u += g * -1.0 * (t - t_mid)
        elif m == "bowl_south":
            g = blob(0.75, 0.5, 0.18)
            u += -20.0 * g * (t - t_mid)
        elif m == "rw_north":
            # the velocity wanders over the north third (a smooth taper), one fixed independent draw per column
            g = 1.0 / (1.0 + np.exp((yy - rows / 3.0) / 1.5))
            u += g * _irw(30.0, t[:, 0, 0], 101, cols)[:, None, :]
            e += g * _irw(10.0, t[:, 0, 0], 102, cols)[:, None, :]
        elif m == "rw_spots":
            # five small spots (radius ~2.5 px) whose velocity wanders, one fixed independent draw per spot
            spots = ((0.2, 0.2), (0.3, 0.75), (0.6, 0.1), (0.85, 0.45), (0.55, 0.9))
            du = _irw(20.0, t[:, 0, 0], 103, len(spots), t0=2.0, t1=23.0)
            de = _irw(6.0, t[:, 0, 0], 104, len(spots), t0=2.0, t1=23.0)
            for j, (fy, fx) in enumerate(spots):
                g = 1.0 / (1.0 + np.exp((np.hypot(yy - fy * rows, xx - fx * cols) - 2.5) / 0.7))
                u += g * du[:, j][:, None, None]
                e += g * de[:, j][:, None, None]
        elif m == "landslide":
            _, aspect, (r0, r1, c0, c1) = terrain(sc.shape)
            body = np.zeros(sc.shape)
            body[r0 + 2:r1 - 2, c0 + 2:c1 - 2] = 1.0
            speed = -body * 30.0  # downslope mm/yr, surface parallel on a 20 degree slope facing 20 deg
            h = -speed * math.cos(math.radians(20.0))
            v = speed * math.sin(math.radians(20.0))
            tt = t - t_first
            shape_t = tt + 0.15 * np.sin(2 * math.pi * t)  # faster in one season
            e += h * math.sin(math.radians(20.0)) * shape_t
            n += h * math.cos(math.radians(20.0)) * shape_t
            u += v * shape_t
    return e, n, u


def los_vectors(s: Sensor, shape):
    rows, cols = shape
    inc = np.broadcast_to(np.linspace(s.incidence_deg[0], s.incidence_deg[1], cols)[None, :], shape).copy()
    e, n, u = los_unit_vector(inc, np.full(shape, s.heading_deg))
    return inc, np.asarray(e), np.asarray(n), np.asarray(u)


def atmosphere(shape, n, rng, *, std_range=(2.0, 7.0)):
    """Per-acquisition smooth random screens (n, rows, cols), zero at the reference pixel."""
    rows, cols = shape
    ky = np.fft.fftfreq(rows)[:, None]
    kx = np.fft.rfftfreq(cols)[None, :]
    k = np.sqrt(ky ** 2 + kx ** 2)
    filt = np.where(k > 0, np.maximum(k, 1e-9) ** (-11.0 / 6.0), 0.0) * np.exp(-(k / 0.15) ** 2)
    out = np.empty((n,) + shape)
    for i in range(n):
        w = rng.normal(size=shape)
        f = np.fft.irfft2(np.fft.rfft2(w) * filt, s=shape)
        f -= f[REF_RC]
        f /= f.std() + 1e-12
        out[i] = f * rng.uniform(*std_range)
    return out


def network(dates, n_conn):
    pairs = []
    for i in range(len(dates)):
        for j in range(i + 1, min(len(dates), i + 1 + n_conn)):
            pairs.append((dates[i], dates[j]))
    return pairs


def generate(name: str, *, north_removed: bool = False) -> dict:
    """Make a scenario: stacks (values with noise), their geometry, and the truth on every date.

    ``north_removed``: the LOS carries no north motion (as if a perfect north model had been subtracted
    from every input), to compare the time-series estimation without the common north leakage."""
    sc = SCENARIOS[name]
    rng = np.random.default_rng(sc.seed)
    rows, cols = sc.shape
    stacks = []
    shadow = np.zeros(sc.shape, bool)
    shadow[rows - 8:rows - 2, 2:10] = True
    for s in sc.sensors:
        dates = acquisition_dates(s, rng)
        inc, e, n, u = los_vectors(s, sc.shape)
        te, tn, tu = truth_enu(sc, years(dates))
        los = te * e + (0.0 if north_removed else tn * n) + tu * u
        los = los - los[:, REF_RC[0], REF_RC[1]][:, None, None]
        atm = atmosphere(sc.shape, len(dates), rng)
        acq = los + atm  # per-acquisition LOS (mm) with its atmosphere
        if s.kind == "series":
            vals = acq + rng.normal(0, sc.series_noise_mm, acq.shape)
            vals[:, REF_RC[0], REF_RC[1]] = 0.0
            vals = vals - vals[0]
            pairs = None
        else:
            pairs = network(dates, s.n_conn)
            idx = {d: i for i, d in enumerate(dates)}
            mm_per_rad = s.wavelength_m / (4 * math.pi) * 1000.0
            vals = np.empty((len(pairs),) + sc.shape)
            for k, (a, b) in enumerate(pairs):
                noise = rng.normal(0, sc.phase_noise_rad * mm_per_rad, sc.shape)
                noise[REF_RC] = 0.0
                vals[k] = acq[idx[b]] - acq[idx[a]] + noise
            if s.units == "rad":
                vals = -vals / mm_per_rad  # phase grows with range (MintPy/ISCE/GAMMA convention)
        if s.shadow:
            vals[:, shadow] = np.nan
        stacks.append(dict(sensor=s, dates=dates, pairs=pairs, values=vals, incidence=inc, heading=s.heading_deg,
                           e=e, n=n, u=u))
    out = dict(scenario=sc, stacks=stacks, shadow=shadow)
    if sc.slope:
        slope, aspect, _ = terrain(sc.shape)
        out["slope"], out["aspect"] = slope, aspect
    return out


def truth_at(sc: Scenario, dates, ref_date=None):
    """Truth east, north, up (n, rows, cols) mm at ``dates``, relative to the reference pixel and, when
    given, to ``ref_date``."""
    comps = [a - a[:, REF_RC[0], REF_RC[1]][:, None, None] for a in truth_enu(sc, years(dates))]
    if ref_date is not None:
        refs = [a - a[:, REF_RC[0], REF_RC[1]][:, None, None] for a in truth_enu(sc, years([ref_date]))]
        comps = [a - r for a, r in zip(comps, refs)]
    return comps


def steady_north(gen: dict) -> float:
    """The truth's north velocity over 2020 (steady in every scenario that has north motion), mm/yr: what a GNSS
    velocity model would give."""
    a, b = D(2020, 1, 1), D(2021, 1, 1)
    tn = truth_at(gen["scenario"], [a, b])[1]
    return (tn[1] - tn[0]) * 365.25 / (b - a).days


# ---- what the multi-sensor benchmarks share: our solver on a scenario, error statistics

def to_stacks(gen: dict) -> list:
    out = []
    for st in gen["stacks"]:
        s = st["sensor"]
        out.append(Stack(name=s.name, dates=st["dates"] if st["pairs"] is None else None, pairs=st["pairs"],
                         values=st["values"], units=s.units if st["pairs"] is not None else "mm",
                         wavelength_m=s.wavelength_m, incidence_deg=st["incidence"], heading_deg=st["heading"],
                         reference_rc=REF_RC))
    return out


def generate_seeded(name: str, seed_offset: int = 0, *, north_removed: bool = False) -> dict:
    """Scenario ``name`` drawn with its seed shifted by ``1000 x seed_offset`` (the seeds of every table)."""
    sc = SCENARIOS[name]
    base = sc.seed
    sc.seed = base + 1000 * seed_offset
    try:
        return generate(name, north_removed=north_removed)
    finally:
        sc.seed = base


def seeds_and_options(argv, default_seeds) -> tuple:
    """``--seeds 0,1,...`` (else ``default_seeds``) and the solver options ``--option key=value`` (floats)."""
    seeds = [int(x) for x in argv[argv.index("--seeds") + 1].split(",")] if "--seeds" in argv else list(default_seeds)
    options = {k: float(v) for k, v in (argv[i + 1].split("=") for i, a in enumerate(argv) if a == "--option")}
    return seeds, options


def run_ours(gen: dict, *, north: str = "zero", **options):
    nm = NorthModel()
    if north == "slope":
        nm = NorthModel("slope", slope_deg=gen["slope"], aspect_deg=gen["aspect"])
    return solve_multisensor(to_stacks(gen), north=nm, **options)


def demeaned_rms(est, truth, mask_dates=None):
    """Per-pixel RMS over dates of the error with its temporal mean removed (datum-free), (rows, cols)."""
    err = np.asarray(est, float) - np.asarray(truth, float)
    if mask_dates is not None:
        err = err[mask_dates]
    err = err - np.nanmean(err, axis=0, keepdims=True)
    return np.sqrt(np.nanmean(err ** 2, axis=0))


def zscores(res, sc, *, observed_only=True, comps=("east", "up")):
    """z = (estimate - truth relative to the reference date) / sigma over dates and pixels, per component."""
    dates = [d for d, o in zip(res.dates, res.observed) if o or not observed_only]
    sel = np.array([o or not observed_only for o in res.observed])
    te, tn, tu = truth_at(sc, dates, res.reference_date)
    out = {}
    for c, t in (("east", te), ("up", tu), ("north", tn)):
        if c not in comps or c not in res.arrays:
            continue
        est = res[c][sel]
        sig = res["sigma_" + c][sel]
        keep = [d != res.reference_date for d in dates]
        z = (est[keep] - t[keep]) / sig[keep]
        out[c] = z[np.isfinite(z)]
    return out


def gap_errors(res, sc):
    """Per gap of a solution: its {from, to, days} and, per component (east, up), the error of the displacement
    across it against the truth and its stated sigma (rows, cols)."""
    for gi, gp in enumerate(res.gaps):
        te, _, tu = truth_at(sc, [gp.last_before, gp.first_after])
        info = {"from": str(gp.last_before), "to": str(gp.first_after), "days": gp.days}
        yield info, {c: (res["gap_displacement"][gi, ci] - (t[1] - t[0]), res["gap_sigma"][gi, ci])
                     for ci, (c, t) in enumerate((("east", te), ("up", tu)))}
