"""Synthetic fault worlds with their truth, in plain numpy (no QGIS): interseismic velocity fields (Savage &
Burford's screw dislocation, or a deep Okada dislocation) with correlated noise and an orbital ramp, and coseismic
along-track offsets of a strike-slip Okada rupture with speckle and decorrelation near the fault.

The tests (tests/core/test_faults_interseismicslip.py, test_faults_rupturetrace.py, the tools' tests) and the
benchmarks (benchmarks/faults/interseismic_coverage.py, rupture_trace.py) draw their cases from these designs with
random seeds."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

#: the scenes' centre (UTM 33N, m), as tests/testutils_faults.py
E0, N0 = 500000.0, 4100000.0


def correlated_noise(rng, shape, pixel_m: float, kind: int, length_m: float) -> np.ndarray:
    """Unit-variance spatially correlated noise: ``kind`` 0 Gaussian-smoothed white noise (correlation length
    ``length_m``), 1 exponential covariance ``exp(-r / length_m)`` (spectral synthesis), 2 a power law of
    exponent -8/3 (Kolmogorov turbulence, the troposphere's) flattened beyond ``10 length_m``."""
    ny, nx = shape
    w = rng.standard_normal(shape)
    if kind == 0:
        f = ndimage.gaussian_filter(w, length_m / pixel_m / 2.0, mode="wrap")
    else:
        ky = np.fft.fftfreq(ny, pixel_m)[:, None]
        kx = np.fft.fftfreq(nx, pixel_m)[None, :]
        k2 = kx * kx + ky * ky
        spec = (1.0 + (2.0 * np.pi) ** 2 * k2 * length_m ** 2) ** -1.5 if kind == 1 else \
            (k2 + (0.1 / length_m) ** 2) ** (-8.0 / 6.0)
        f = np.real(np.fft.ifft2(np.fft.fft2(w) * np.sqrt(spec)))
    return f / f.std()


def map_grid(n: int, pixel_m: float):
    """``(geotransform, east, north)`` of an ``n x n`` north-up grid centred on (E0, N0)."""
    half = 0.5 * n * pixel_m
    gt = (E0 - half, pixel_m, 0.0, N0 + half, 0.0, -pixel_m)
    c = (np.arange(n) + 0.5) * pixel_m
    east, north = np.meshgrid(gt[0] + c, gt[3] - c)
    return gt, east, north


def interseismic_world(seed: int, *, n: int = 400, pixel_m: float = 600.0, noise_mm_yr: float = 1.0,
                       ramp_mm_yr: float = 0.5, okada: bool = False) -> dict:
    """An interseismic east/north velocity field (mm/yr) across a straight strike-slip fault through the scene.

    Truth drawn from ``seed``: strike 0-360 degrees, slip rate 10-35 mm/yr either sense, locking depth 5-20 km,
    the dislocation offset from the mapped trace by up to 2 km. Each component carries ``noise_mm_yr`` of noise,
    a share of 20-80 % of its variance spatially correlated (one of :func:`correlated_noise`'s kinds, correlation
    length 0.5-3 km) and the rest white, and a planar ramp of ``ramp_mm_yr`` across the scene in a random
    direction. ``okada``: the field of a 1,000,000 km long vertical dislocation slipping from the locking depth to
    100,000 km (Okada 1985), not the arctangent formula. Returns the rasters, grid, trace (two vertices, map
    metres) and the truth."""
    rng = np.random.default_rng(seed)
    gt, east, north = map_grid(n, pixel_m)
    strike = rng.uniform(0.0, 360.0)
    slip = rng.uniform(10.0, 35.0) * rng.choice([-1.0, 1.0])
    depth = rng.uniform(5e3, 20e3)
    x0 = rng.uniform(-2e3, 2e3)
    th = np.radians(strike)
    ux, uy = np.sin(th), np.cos(th)
    half_trace = 0.3 * n * pixel_m
    trace = np.array([[E0 - ux * half_trace, N0 - uy * half_trace], [E0 + ux * half_trace, N0 + uy * half_trace]])
    across = (east - E0) * uy - (north - N0) * ux  # positive on the right of the strike
    if okada:
        from insar_geohazards.algorithms.faults.faults import Faults
        from insar_geohazards.algorithms.faults.okada import okada_displacement

        long, deep = 1e9, 1e8
        ce, cn = E0 + x0 * uy, N0 - x0 * ux
        f = Faults.create(east_m=[ce - ux * long / 2], north_m=[cn - uy * long / 2], strike_deg=[strike],
                          dip_deg=[90.0], length_m=[long], top_m=[depth], bottom_m=[deep], strike_slip_m=[slip])
        d = okada_displacement(east, north, f.table())
        ve, vn = d[..., 0], d[..., 1]
    else:
        vpar = slip / np.pi * np.arctan((across - x0) / depth)
        ve, vn = vpar * ux, vpar * uy
    kind = int(rng.integers(3))
    corr_len = rng.uniform(500.0, 3000.0)
    share = rng.uniform(0.2, 0.8)
    size = n * pixel_m
    out = {}
    for name, v in (("east", ve), ("north", vn)):
        noise = np.sqrt(share) * correlated_noise(rng, (n, n), pixel_m, kind, corr_len) + \
            np.sqrt(1.0 - share) * rng.standard_normal((n, n))
        az = rng.uniform(0.0, 2.0 * np.pi)
        ramp = ramp_mm_yr * ((east - E0) * np.cos(az) + (north - N0) * np.sin(az)) / size
        out[name] = (v + noise_mm_yr * noise + ramp).astype(np.float32)
    return dict(east=out["east"], north=out["north"], gt=gt, trace=trace, strike_deg=strike, slip_rate=slip,
                locking_depth_m=depth, offset_m=x0, noise_kind=kind, correlation_m=corr_len, pixel_m=pixel_m)


def los_of(world: dict, *, incidence_deg: float, heading_deg: float, seed: int = 0,
           noise_mm_yr: float = 1.0) -> np.ndarray:
    """The world's LOS velocity (mm/yr, positive toward the satellite, right-looking) from its noise-free
    fault-parallel field, with fresh noise of the world's kind and a ramp of 0.5 mm/yr: a LOS map's own noise."""
    rng = np.random.default_rng(seed + 7919)
    n = world["east"].shape[0]
    gt, east, north = map_grid(n, world["pixel_m"])
    th = np.radians(world["strike_deg"])
    ux, uy = np.sin(th), np.cos(th)
    across = (east - E0) * uy - (north - N0) * ux
    vpar = world["slip_rate"] / np.pi * np.arctan((across - world["offset_m"]) / world["locking_depth_m"])
    inc, az_look = np.radians(incidence_deg), np.radians(heading_deg + 90.0)
    le, ln = -np.sin(inc) * np.sin(az_look), -np.sin(inc) * np.cos(az_look)
    noise = np.sqrt(0.5) * correlated_noise(rng, (n, n), world["pixel_m"], world["noise_kind"],
                                            world["correlation_m"]) + np.sqrt(0.5) * rng.standard_normal((n, n))
    ramp = 0.5 * ((east - E0) + (north - N0)) / (n * world["pixel_m"] * np.sqrt(2.0))
    return (vpar * (ux * le + uy * ln) + noise_mm_yr * noise + ramp).astype(np.float32)


def rupture_world(seed: int, *, half_m: float = 25e3, pixel_m: float = 0.0) -> dict:
    """Along-track offsets (m) of a strike-slip rupture, computed with the plugin's Okada core (Okada 1992).

    Drawn from ``seed``: pixel 60, 100 or 150 m (unless ``pixel_m``); a trace of 15-35 km through the scene's
    middle third with one to three segments (bends up to 20 degrees), its strike at least 60 degrees from the
    cross-track direction (a fault nearly perpendicular to the flight direction moves the ground across track:
    its azimuth offsets hold little of its slip); dip 70-90 degrees, top at the surface (two thirds of the cases)
    or buried up to 800 m, bottom 10-15 km; 1.5-5 m of slip, left- or right-lateral, rake within 15 degrees of
    pure strike-slip; ascending or descending Sentinel-1 heading. Speckle: white noise of 0.1-0.3 m plus 0.1 m
    correlated over 2 km; decorrelation: no data in a band of irregular width (0-1 km, on average) along the
    trace and 5-20 % of the pixels elsewhere. Returns the raster, grid, trace and truth."""
    rng = np.random.default_rng(seed)
    px = pixel_m or float(rng.choice([60.0, 100.0, 150.0]))
    n = int(round(2 * half_m / px))
    gt, east, north = map_grid(n, px)
    heading = float(rng.choice([-12.0, 192.0]))
    while True:
        strike = rng.uniform(0.0, 360.0)
        if abs(np.cos(np.radians(strike - heading))) >= 0.5:
            break
    length = rng.uniform(15e3, 35e3)
    n_seg = int(rng.integers(1, 4))
    turns = np.r_[0.0, rng.uniform(-20.0, 20.0, n_seg - 1)]
    dirs = np.radians(strike + np.cumsum(turns) - np.mean(np.cumsum(turns)))
    steps = np.column_stack([np.sin(dirs), np.cos(dirs)]) * (length / n_seg)
    verts = np.vstack([np.zeros(2), np.cumsum(steps, axis=0)])
    verts += np.array([E0, N0]) + rng.uniform(-4e3, 4e3, 2) - verts.mean(axis=0)
    dip = rng.uniform(70.0, 90.0)
    top = 0.0 if rng.random() < 2.0 / 3.0 else rng.uniform(0.0, 800.0)
    bottom = rng.uniform(10e3, 15e3)
    slip = rng.uniform(1.5, 5.0)
    rake = float(rng.choice([0.0, 180.0])) + rng.uniform(-15.0, 15.0)
    from insar_geohazards.algorithms.faults.faults import faults_from_traces
    from insar_geohazards.algorithms.faults.okada import okada_displacement

    f = faults_from_traces([verts], dip_deg=dip, top_m=top, bottom_m=bottom, slip_m=slip, rake_deg=rake)
    d = okada_displacement(east, north, f.table())
    h = np.radians(heading)
    along_track = d[..., 0] * np.sin(h) + d[..., 1] * np.cos(h)
    white = rng.uniform(0.1, 0.3)
    smooth = correlated_noise(rng, (n, n), px, 0, 2e3)
    v = along_track + white * rng.standard_normal((n, n)) + 0.1 * smooth
    dist = trace_distance(east.ravel(), north.ravel(), verts).reshape(n, n)
    band = rng.uniform(0.0, 1000.0) * (1.0 + 0.5 * correlated_noise(rng, (n, n), px, 0, 1e3))
    v[dist < band] = np.nan
    v[rng.random((n, n)) < rng.uniform(0.05, 0.2)] = np.nan
    v[~np.isfinite(along_track)] = np.nan
    return dict(offset=v.astype(np.float32), gt=gt, pixel_m=px, trace=verts, heading_deg=heading, strike_deg=strike,
                slip_m=slip, rake_deg=rake, top_m=top, dip_deg=dip)


def trace_distance(x, y, verts) -> np.ndarray:
    """Distance (m) of points to a polyline (its segments, not their extensions)."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    best = np.full(x.shape, np.inf)
    for a, b in zip(verts[:-1], verts[1:]):
        seg = b - a
        t = np.clip(((x - a[0]) * seg[0] + (y - a[1]) * seg[1]) / (seg @ seg), 0.0, 1.0)
        best = np.minimum(best, np.hypot(x - a[0] - t * seg[0], y - a[1] - t * seg[1]))
    return best


def trace_score(xy, verts, *, near_m: float = 500.0, bins: int = 50) -> tuple:
    """``(median distance (m) of the points xy (k, 2) to the true trace, share of the trace's length with a point
    within near_m)``; (nan, 0) without points."""
    if len(xy) == 0:
        return float("nan"), 0.0
    xy = np.asarray(xy, np.float64)
    d = trace_distance(xy[:, 0], xy[:, 1], verts)
    seg_len = np.hypot(*np.diff(verts, axis=0).T)
    cum = np.r_[0.0, np.cumsum(seg_len)]
    # the position along the trace of each point's foot
    best = np.full(len(xy), np.inf)
    pos = np.zeros(len(xy))
    for k, (a, b) in enumerate(zip(verts[:-1], verts[1:])):
        seg = b - a
        t = np.clip(((xy[:, 0] - a[0]) * seg[0] + (xy[:, 1] - a[1]) * seg[1]) / (seg @ seg), 0.0, 1.0)
        dd = np.hypot(xy[:, 0] - a[0] - t * seg[0], xy[:, 1] - a[1] - t * seg[1])
        better = dd < best
        best = np.where(better, dd, best)
        pos = np.where(better, cum[k] + t * seg_len[k], pos)
    hit = np.zeros(bins, bool)
    near = d < near_m
    hit[np.minimum((pos[near] / cum[-1] * bins).astype(int), bins - 1)] = True
    return float(np.median(d)), float(hit.mean())
