"""Synthetic InSAR point clouds with planted deforming areas, structurally unlike the project's
own ``planted_field`` (uniform density, flat ellipses), to test ADA detection defaults.

Every generator returns a :class:`Field`: point coordinates (m), LOS velocity (mm/yr) and
the truth: per planted area ``(cx, cy, a, b, theta, peak_mm_yr, profile)``, the noise-free
signal per point and the area each point lies in. Profiles (``rho`` = elliptical radius,
1 on the area's outline ``a``, ``b``):

* ``flat``  — ``peak`` inside the ellipse (a subsiding district, a compacting fill);
* ``gauss`` — ``peak * exp(-2 rho^2)`` (a bowl; sigma = a / 2, so the outline is the
  2-sigma contour where the signal is 13.5 % of the peak);
* ``taper`` — ``peak * (1 - rho^4)`` (a landslide body, fastest in the middle).

Generators (pure numpy, deterministic for a seed):

* :func:`urban_rural` — dense towns (50-100x the rural density) in sparse rural ground,
  flat and bowl-shaped areas in both, decorrelated noisy patches;
* :func:`bowls` — Gaussian subsidence bowls 50 m - 2 km across, amplitudes 2-40 mm/yr on
  smoothly varying density, plus spatially correlated (atmosphere-like) noise;
* :func:`landslides` — patchy coverage of hill slopes (points only where a random field is
  high: bare rock, buildings) with elongated tapered areas (aspect 2.5-6);
* :func:`roads` — PS along roads (polylines, a few metres of scatter) with few points
  between them; bowls crossed by roads and settlement strips along embankments.

A planted area is *detectable* (see :func:`score`) when its peak is at least twice the
stability threshold (2 standard deviations of the velocity map, as the tool computes it)
and at least 10 points carry a noise-free signal above the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

PROFILES = ("flat", "gauss", "taper")


@dataclass
class Field:
    name: str
    x: np.ndarray
    y: np.ndarray
    v: np.ndarray
    areas: list
    signal: np.ndarray = field(default=None)
    area_id: np.ndarray = field(default=None)
    correlated: np.ndarray = field(default=None)  # spatially correlated noise (atmosphere-like), mm/yr


def rho(x, y, area):
    cx, cy, a, b, th = area[:5]
    dx, dy = x - cx, y - cy
    u = dx * np.cos(th) + dy * np.sin(th)
    w = -dx * np.sin(th) + dy * np.cos(th)
    return np.sqrt((u / a) ** 2 + (w / b) ** 2)


def profile(r, kind):
    if kind == "flat":
        return (r <= 1.0).astype(float)
    if kind == "gauss":
        return np.where(r <= 1.5, np.exp(-2.0 * r ** 2), 0.0)
    if kind == "taper":
        return np.where(r <= 1.0, 1.0 - r ** 4, 0.0)
    raise ValueError(kind)


def _finish(name, x, y, v, areas):
    """Add the areas' signal to ``v``; per-point truth (signal, area index)."""
    signal = np.zeros(x.size)
    area_id = np.full(x.size, -1, np.int64)
    for k, a in enumerate(areas):
        # only points near the area: a bounding-box cut keeps this fast at 1M points
        ext = 1.5 * a[2]
        near = np.flatnonzero((np.abs(x - a[0]) <= ext) & (np.abs(y - a[1]) <= ext))
        r = rho(x[near], y[near], a)
        signal[near] += a[5] * profile(r, a[6])
        area_id[near[r <= 1.0]] = k
    return Field(name, x, y, v + signal, areas, signal, area_id)


class _Placer:
    """Non-overlapping placement of discs (centre, radius) in a square."""

    def __init__(self, rng, size_m, gap_m=200.0):
        self.rng, self.size, self.gap, self.used = rng, size_m, gap_m, []

    def __call__(self, r, inside=None, tries=2000):
        for _ in range(tries):
            c = self.rng.uniform(r + 200, self.size - r - 200, 2)
            if inside is not None and not inside(c):
                continue
            if all(np.hypot(*(c - c2)) > r + r2 + self.gap for c2, r2 in self.used):
                self.used.append((c, r))
                return c
        return None


def _smooth_field(rng, size_m, shape_px, corr_m):
    """Gaussian random field (unit std) on a grid with a Gaussian covariance of length corr_m."""
    n = shape_px
    white = rng.normal(size=(n, n))
    k = np.fft.fftfreq(n, d=size_m / n)
    kk = np.hypot(*np.meshgrid(k, k))
    f = np.real(np.fft.ifft2(np.fft.fft2(white) * np.exp(-2 * (np.pi * kk * corr_m) ** 2)))
    return (f - f.mean()) / f.std()


def _sample(grid, size_m, x, y):
    n = grid.shape[0]
    i = np.clip((y / size_m * n).astype(int), 0, n - 1)
    j = np.clip((x / size_m * n).astype(int), 0, n - 1)
    return grid[i, j]


def _log_uniform(rng, lo, hi, n=None):
    return np.exp(rng.uniform(np.log(lo), np.log(hi), n))


def urban_rural(n=1_000_000, *, seed=0, noise_mm_yr=1.0, ratio=75.0, urban_share=0.05, areas_per_million=80):
    """Dense towns in sparse rural ground (density ratio ``ratio``), flat and bowl areas in both.

    Side ``40 km * sqrt(n / 1e6)``; towns are unions of discs covering ``urban_share`` of the
    map; half of the planted areas (60 % bowls, 40 % flat, 80 - 800 m) sit in towns, half
    in the countryside (300 m - 2 km, where points are 8-10x farther apart); 1 in 5 uplifts.
    Decorrelated noisy patches (4 mm/yr scatter) in both.
    """
    rng = np.random.default_rng(seed)
    size = 40_000.0 * np.sqrt(n / 1e6)
    place = _Placer(rng, size, gap_m=300.0)
    towns = []
    covered = 0.0
    while covered < urban_share * size * size:
        r = rng.uniform(400, 2500) * np.sqrt(n / 1e6) ** 0.5
        c = place(r)
        if c is None:
            break
        towns.append((c, r))
        # a satellite disc or two make the outline irregular
        for _ in range(rng.integers(0, 3)):
            ang = rng.uniform(0, 2 * np.pi)
            towns.append((c + 0.8 * r * np.array([np.cos(ang), np.sin(ang)]), 0.5 * r))
            place.used.append(towns[-1])
        covered += np.pi * r * r * 1.2

    def in_town(px, py):
        m = np.zeros(np.size(px), bool)
        for c, r in towns:
            m |= np.hypot(px - c[0], py - c[1]) <= r
        return m

    # rejection-free: draw candidates at the town density, keep rural ones with 1/ratio chance
    n_cand = int(n * 1.6)
    while True:
        share = urban_share * ratio / (urban_share * ratio + (1 - urban_share))
        cx = rng.uniform(0, size, n_cand)
        cy = rng.uniform(0, size, n_cand)
        town = in_town(cx, cy)
        keep = town | (rng.uniform(size=n_cand) < 1.0 / ratio)
        if keep.sum() >= n:
            break
        n_cand = int(n_cand * 1.5 * n / max(keep.sum(), 1))
    idx = rng.choice(np.flatnonzero(keep), n, replace=False)
    x, y = cx[idx], cy[idx]
    del share
    v = rng.normal(0.0, noise_mm_yr, n)
    areas = []
    n_areas = max(4, int(areas_per_million * n / 1e6))
    big_towns = [t for t in towns if t[1] >= 300]
    for k in range(n_areas):
        urban = k % 2 == 0
        kind = "gauss" if rng.uniform() < 0.6 else "flat"
        c = None
        for _ in range(50):
            if urban:  # a centre inside a town, chosen directly (rejection would be slow)
                tc, tr = big_towns[rng.integers(len(big_towns))]
                a = min(_log_uniform(rng, 80, 800), tr) / 2
                ang, rr = rng.uniform(0, 2 * np.pi), (tr - a) * np.sqrt(rng.uniform())
                c = tc + rr * np.array([np.cos(ang), np.sin(ang)])
                if np.all(c > a + 200) and np.all(c < size - a - 200) and all(
                        np.hypot(*(c - c2)) > a + r2 + 300 for c2, r2 in place.used[len(towns):]):
                    place.used.append((c, a))
                    break
                c = None
            else:
                a = _log_uniform(rng, 300, 2000) / 2
                c = place(a, tries=20)
                if c is not None:
                    break
        if c is None:
            continue
        peak = _log_uniform(rng, 3.0, 30.0) * (1 if k % 5 == 4 else -1)
        areas.append((c[0], c[1], a, a * rng.uniform(0.6, 1.0), rng.uniform(0, np.pi), peak, kind))
    for _ in range(max(2, int(30 * n / 1e6))):
        r = rng.uniform(200, 600)
        c = place(r)
        if c is None:
            continue
        m = np.hypot(x - c[0], y - c[1]) <= r
        v[m] = rng.normal(0.0, 4.0, int(m.sum()))
    return _finish("urban_rural", x, y, v, areas)


def bowls(n=200_000, *, seed=0, noise_mm_yr=1.0, atmo_mm_yr=1.0, n_bowls=None):
    """Gaussian bowls 50 m - 2 km across, amplitude 2-40 mm/yr, on smoothly varying density.

    Density varies 6x across the map (a smooth random field); white noise ``noise_mm_yr``
    plus spatially correlated noise of std ``atmo_mm_yr`` with a 3 km correlation length.
    """
    rng = np.random.default_rng(seed)
    size = 20_000.0 * np.sqrt(n / 2e5)
    dens = np.exp(0.9 * _smooth_field(rng, size, 256, 4000.0))
    cand = int(n * 3)
    cx, cy = rng.uniform(0, size, cand), rng.uniform(0, size, cand)
    p = _sample(dens, size, cx, cy)
    keep = rng.uniform(size=cand) < p / p.max()
    idx = rng.choice(np.flatnonzero(keep), min(n, int(keep.sum())), replace=False)
    x, y = cx[idx], cy[idx]
    atmo = _smooth_field(rng, size, 256, 3000.0) * atmo_mm_yr
    corr = _sample(atmo, size, x, y)
    v = rng.normal(0.0, noise_mm_yr, x.size) + corr
    place = _Placer(rng, size, gap_m=200.0)
    areas = []
    for k in range(n_bowls or max(4, int(40 * n / 2e5))):
        a = _log_uniform(rng, 50, 2000) / 2
        c = place(a)
        if c is None:
            continue
        peak = _log_uniform(rng, 2.0, 40.0) * (1 if k % 6 == 5 else -1)
        areas.append((c[0], c[1], a, a * rng.uniform(0.7, 1.0), rng.uniform(0, np.pi), peak, "gauss"))
    out = _finish("bowls", x, y, v, areas)
    out.correlated = corr
    return out


def landslides(n=150_000, *, seed=0, noise_mm_yr=1.5, coverage=0.35):
    """Patchy coverage of slopes and elongated tapered areas (landslides).

    Points exist only where a random field (400 m correlation) is in its top ``coverage``
    share (bare rock, villages, roads), with a 10 % sprinkle elsewhere; landslides are
    ellipses 150 m - 1.5 km long, aspect 2.5-6, ``taper`` profile, speed 3-30 mm/yr (LOS
    sign depends on the slope facing: 1 in 3 toward the satellite), each with 25 %
    internal velocity scatter.
    """
    rng = np.random.default_rng(seed)
    size = 12_000.0 * np.sqrt(n / 1.5e5)
    f = _smooth_field(rng, size, 512, 400.0)
    cut = np.quantile(f, 1 - coverage)
    cand = int(n / (coverage + 0.1 * (1 - coverage)) * 1.3)
    cx, cy = rng.uniform(0, size, cand), rng.uniform(0, size, cand)
    on = _sample(f, size, cx, cy) >= cut
    keep = on | (rng.uniform(size=cand) < 0.1)
    idx = rng.choice(np.flatnonzero(keep), min(n, int(keep.sum())), replace=False)
    x, y = cx[idx], cy[idx]
    v = rng.normal(0.0, noise_mm_yr, x.size)
    place = _Placer(rng, size, gap_m=150.0)
    areas = []
    for k in range(max(4, int(40 * n / 1.5e5))):
        length = _log_uniform(rng, 150, 1500)
        a = length / 2
        b = a / rng.uniform(2.5, 6.0)
        c = place(a)
        if c is None:
            continue
        peak = _log_uniform(rng, 3.0, 30.0) * (1 if k % 3 == 2 else -1)
        areas.append((c[0], c[1], a, b, rng.uniform(0, np.pi), peak, "taper"))
    out = _finish("landslides", x, y, v, areas)
    scatter = rng.normal(0.0, 0.25, x.size) * np.abs(out.signal)
    out.v = out.v + scatter
    return out


def roads(n=100_000, *, seed=0, noise_mm_yr=1.0, spacing_m=6.0, jitter_m=4.0, background=0.08):
    """PS clustered along roads and railways; few points in between.

    Roads are random polylines (straight legs with bends) with a PS every ``spacing_m`` on
    average and ``jitter_m`` of scatter across; ``background`` of the points are spread
    uniformly. Planted: bowls 200 m - 2 km crossed by roads, and embankment settlements:
    flat strips 30 m wide and 200 m - 2 km long lying along a road.
    """
    rng = np.random.default_rng(seed)
    n_line = int(n * (1 - background))
    total_len = n_line * spacing_m
    size = np.sqrt(total_len * 300.0)  # a rural road network: roads a few hundred metres apart
    pts, legs = [], []
    made = 0.0
    while made < total_len:
        p = rng.uniform(0, size, 2)
        ang = rng.uniform(0, 2 * np.pi)
        for _ in range(rng.integers(3, 12)):
            length = rng.uniform(300, 3000)
            q = p + length * np.array([np.cos(ang), np.sin(ang)])
            q = np.clip(q, 0, size)
            seg = np.hypot(*(q - p))
            if seg < 50:
                break
            m = rng.poisson(seg / spacing_m)
            t = rng.uniform(0, 1, m)
            base = p[None, :] + t[:, None] * (q - p)[None, :]
            nrm = np.array([-(q - p)[1], (q - p)[0]]) / seg
            pts.append(base + rng.normal(0, jitter_m, m)[:, None] * nrm[None, :])
            legs.append((p, q))
            made += seg
            p = q
            ang += rng.normal(0, 0.5)
    xy = np.concatenate(pts)[:n_line]
    bg = rng.uniform(0, size, (n - xy.shape[0], 2))
    xy = np.concatenate([xy, bg])
    x, y = xy[:, 0], xy[:, 1]
    v = rng.normal(0.0, noise_mm_yr, x.size)
    place = _Placer(rng, size, gap_m=300.0)
    areas = []
    n_areas = max(6, int(30 * n / 1e5))
    for k in range(n_areas):
        if k % 2 == 0:  # a bowl centred on a road
            p, q = legs[rng.integers(len(legs))]
            a = _log_uniform(rng, 200, 2000) / 2
            c = p + rng.uniform(0.2, 0.8) * (q - p)
            if not all(np.hypot(*(c - c2)) > a + r2 + 300 for c2, r2 in place.used) or np.any(c < a) or np.any(
                    c > size - a):
                continue
            place.used.append((c, a))
            peak = _log_uniform(rng, 3.0, 30.0) * (1 if k % 5 == 4 else -1)
            areas.append((c[0], c[1], a, a, 0.0, peak, "gauss"))
        else:  # embankment settlement along a leg
            p, q = legs[rng.integers(len(legs))]
            seg = np.hypot(*(q - p))
            length = min(_log_uniform(rng, 200, 2000), 0.9 * seg)
            if length < 150:
                continue
            c = p + rng.uniform(length / 2 / seg, 1 - length / 2 / seg) * (q - p)
            if not all(np.hypot(*(c - c2)) > length / 2 + r2 + 300 for c2, r2 in place.used):
                continue
            place.used.append((c, length / 2))
            th = np.arctan2(*(q - p)[::-1])
            peak = -_log_uniform(rng, 3.0, 30.0)
            areas.append((c[0], c[1], length / 2, 15.0, th, peak, "flat"))
    return _finish("roads", x, y, v, areas)


def clustered(n=150_000, *, seed=0, noise_mm_yr=1.2, ramp_mm_yr=2.0, atmo_mm_yr=0.8):
    """PS in building clusters, per-point noise, a ramp and irregular composite areas.

    Written after the detection rules were set (not used to choose them). Points come in
    clusters (Neyman-Scott: cluster centres where a 1.5 km random field is high, 2-60 PS
    each within ~12 m, 15 % scattered singles), so the density jumps from street to street;
    each point has its own noise level (log-normal, median ``noise_mm_yr``, 5-95 % about
    0.45-2.2x); a linear ramp of ``ramp_mm_yr`` across the map (an orbital residual) and a
    1.5 km correlated field of std ``atmo_mm_yr``. Areas are unions of 2-4 overlapping
    ellipses (L-, T- and kidney shapes, 60 m - 3 km overall) with a flat top and a cosine
    edge, 2-30 mm/yr, 1 in 4 uplifting. Area tuples hold the first ellipse and the peak;
    ``area_id`` and ``signal`` cover the whole union.
    """
    rng = np.random.default_rng(seed)
    size = 15_000.0 * np.sqrt(n / 1.5e5)
    dens = _smooth_field(rng, size, 256, 1500.0)
    n_single = int(0.15 * n)
    centres = []
    need = n - n_single
    while need > 0:
        c = rng.uniform(0, size, (4096, 2))
        c = c[rng.uniform(size=4096) < 1.0 / (1.0 + np.exp(-2.0 * _sample(dens, size, c[:, 0], c[:, 1])))]
        m = np.minimum(rng.geometric(1.0 / 12.0, c.shape[0]), 60) + 1
        centres.append((c, m))
        need -= int(m.sum())
    c = np.concatenate([a for a, _ in centres])
    m = np.concatenate([b for _, b in centres])
    xy = np.repeat(c, m, axis=0) + rng.normal(0, 12.0, (int(m.sum()), 2))
    xy = np.concatenate([xy[: n - n_single], rng.uniform(0, size, (n_single, 2))])
    xy = np.clip(xy, 0, size)
    x, y = xy[:, 0], xy[:, 1]
    sig = noise_mm_yr * np.exp(rng.normal(0.0, 0.5, x.size))
    corr = _sample(_smooth_field(rng, size, 256, 1500.0), size, x, y) * atmo_mm_yr + ramp_mm_yr * (x / size - 0.5)
    v = rng.normal(0.0, 1.0, x.size) * sig + corr
    place = _Placer(rng, size, gap_m=250.0)
    areas, signal, area_id = [], np.zeros(x.size), np.full(x.size, -1, np.int64)
    for k in range(max(4, int(40 * n / 1.5e5))):
        extent = _log_uniform(rng, 60, 3000) / 2
        c0 = place(extent)
        if c0 is None:
            continue
        peak = _log_uniform(rng, 2.0, 30.0) * (1 if k % 4 == 3 else -1)
        near = np.flatnonzero((np.abs(x - c0[0]) <= 1.2 * extent) & (np.abs(y - c0[1]) <= 1.2 * extent))
        best = np.full(near.size, np.inf)
        parts = []
        for _ in range(rng.integers(2, 5)):
            a = extent * rng.uniform(0.35, 0.6)
            b = a * rng.uniform(0.3, 0.8)
            off = (extent - a) * rng.uniform(0, 1) * np.array([np.cos(t := rng.uniform(0, 2 * np.pi)), np.sin(t)])
            e = (c0[0] + off[0], c0[1] + off[1], a, b, rng.uniform(0, np.pi))
            parts.append(e)
            best = np.minimum(best, rho(x[near], y[near], e))
        # flat top inside rho 0.7, cosine edge to 0 at rho 1
        prof = np.where(best <= 0.7, 1.0, np.where(best <= 1.0, 0.5 + 0.5 * np.cos(np.pi * (best - 0.7) / 0.3), 0.0))
        signal[near] += peak * prof
        area_id[near[best <= 1.0]] = len(areas)
        areas.append(parts[0] + (peak, "composite"))
    out = Field("clustered", x, y, v + signal, areas, signal, area_id)
    out.correlated = corr
    return out


GENERATORS = {"urban_rural": urban_rural, "bowls": bowls, "landslides": landslides, "roads": roads,
              "clustered": clustered}


def score(fld: Field, labels, *, threshold_mm_yr=None, min_share=0.5, min_points=10):
    """Precision and recall of ADAs (point labels, -1 outside) against the planted areas.

    An ADA is true when at least ``min_share`` of its points lie in one planted area; an area
    is recalled when a true ADA lies in it. *Detectable*: peak >= 2x the threshold (default
    2 std of the velocity map) and >= ``min_points`` points with noise-free signal above it.
    """
    labels = np.asarray(labels)
    thr = threshold_mm_yr if threshold_mm_yr else 2.0 * float(np.nanstd(fld.v))
    n_ada = int(labels.max()) + 1 if labels.size and labels.max() >= 0 else 0
    sel = labels >= 0
    hit, tp, true_adas = set(), 0, []
    if n_ada:
        lab, aid = labels[sel], fld.area_id[sel]
        order = np.lexsort((aid, lab))
        lab, aid = lab[order], aid[order]
        starts = np.searchsorted(lab, np.arange(n_ada + 1))
        for i in range(n_ada):
            seg = aid[starts[i]:starts[i + 1]]
            if seg.size == 0:
                continue
            ks, c = np.unique(seg, return_counts=True)
            best = ks[np.argmax(c)]
            if best >= 0 and c.max() >= min_share * seg.size:
                tp += 1
                hit.add(int(best))
                true_adas.append(i)
    above = np.bincount(fld.area_id[(fld.area_id >= 0) & (np.abs(fld.signal) >= thr)], minlength=len(fld.areas))
    detectable = [k for k, a in enumerate(fld.areas) if abs(a[5]) >= 2 * thr and above[k] >= min_points]
    # false ADAs that sit on a high of the correlated noise (mean |correlated| >= half the threshold):
    # coherent velocity anomalies no velocity-only method can tell from deformation
    on_corr = 0
    if n_ada and fld.correlated is not None:
        cnt = np.maximum(np.bincount(labels[sel], minlength=n_ada), 1)
        cm = np.bincount(labels[sel], fld.correlated[sel], n_ada) / cnt
        true_ids = set(true_adas)
        on_corr = int(sum(1 for i in range(n_ada) if i not in true_ids and abs(cm[i]) >= 0.5 * thr))
    return {"n_points": int(fld.v.size), "threshold": thr, "n_planted": len(fld.areas),
            "n_detectable": len(detectable), "n_ada": n_ada, "precision": tp / n_ada if n_ada else 1.0,
            "false_on_correlated_noise": on_corr,
            "recall_detectable": len([k for k in detectable if k in hit]) / max(len(detectable), 1),
            "recall_all": len(hit) / max(len(fld.areas), 1),
            "missed_detectable": [k for k in detectable if k not in hit]}
