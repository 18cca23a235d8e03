"""Synthetic interferogram stacks with a known truth for the correction tools (no QGIS import).

:func:`synthetic_stack` builds ``N`` dates of a deformation bowl (linear in time), a DEM
(a mountain plus rolling terrain), a stratified troposphere (``k_date * h``, optionally
varying across the scene), a turbulent troposphere (smoothed noise), orbital ramps per date,
and the interferograms of a small-baseline network as "second minus first" in LOS mm
(positive toward the satellite), or radians growing with range.
"""

from __future__ import annotations

import datetime as dt
import os

import numpy as np
from testutils_closure_world import loop_counts
from testutils_timeseries import sbas_dates, sbas_pairs
from testutils_timeseries import synthetic_stack as sbas_synthetic_stack


def small_baseline_pairs(n_dates: int, max_neighbours: int = 3) -> list:
    return [(i, j) for i in range(n_dates) for j in range(i + 1, min(n_dates, i + 1 + max_neighbours))]


def smooth_noise(rng, shape, scale_px: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    f = gaussian_filter(rng.standard_normal(shape), scale_px, mode="wrap")
    return f / (f.std() or 1.0)


def synthetic_stack(*, shape=(60, 80), n_dates=12, neighbours=3, seed=0, bowl_mm_yr=-40.0, strat_mm_per_km=8.0,
                    strat_gradient=0.0, turb_mm=0.0, ramp_mm=0.0, quadratic=False, relief_m=1500.0,
                    day_step=24) -> dict:
    """Dict with ``dates``, ``pairs`` (index pairs), ``ifg_mm`` (M, rows, cols) and the truth:
    ``defo_mm`` (N, ...), ``strat_mm``, ``turb_mm``, ``ramp_mm`` (N, ...), ``dem`` (rows, cols)."""
    rng = np.random.default_rng(seed)
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(float)
    dem = relief_m * np.exp(-(((xx - 0.7 * w) / (0.25 * w)) ** 2 + ((yy - 0.4 * h) / (0.3 * h)) ** 2)) \
        + 0.15 * relief_m * smooth_noise(rng, shape, 6) + 200.0
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=day_step * i) for i in range(n_dates)]
    t = np.array([(d - dates[0]).days for d in dates]) / 365.25
    bowl = np.exp(-(((xx - 0.3 * w) / (0.12 * w)) ** 2 + ((yy - 0.6 * h) / (0.15 * h)) ** 2))
    defo = bowl_mm_yr * t[:, None, None] * bowl[None]
    # stratified: k per date (mm per km), optionally with a gradient across columns
    k = rng.normal(0.0, strat_mm_per_km, n_dates)
    kx = 1.0 + strat_gradient * (xx / max(w - 1, 1) - 0.5)
    strat = k[:, None, None] * kx[None] * (dem / 1000.0)[None]
    turb = np.stack([turb_mm * smooth_noise(rng, shape, 8) for _ in range(n_dates)])
    xs, ys = 2 * xx / (w - 1) - 1, 2 * yy / (h - 1) - 1
    ramps = []
    for _ in range(n_dates):
        c = rng.normal(0.0, ramp_mm, 6 if quadratic else 3)
        r = c[0] + c[1] * xs + c[2] * ys
        if quadratic:
            r = r + c[3] * xs * xs + c[4] * ys * ys + c[5] * xs * ys
        ramps.append(r)
    ramps = np.stack(ramps)
    for a in (strat, turb, ramps):
        a -= a[0]
    total = defo + strat + turb + ramps
    pairs = small_baseline_pairs(n_dates, neighbours)
    ifg = np.stack([total[j] - total[i] for i, j in pairs])
    return {"dates": dates, "pairs": pairs, "ifg_mm": ifg, "defo_mm": defo, "strat_mm": strat, "turb_mm": turb,
            "ramp_mm": ramps, "dem": dem, "years": t, "bowl": bowl}


def mm_to_rad(mm, wavelength_m=0.0555):
    """LOS mm (toward the satellite) -> radians growing with range."""
    return -np.asarray(mm) * 4 * np.pi / (wavelength_m * 1000.0)


def velocity_from_ifgs(ifg_mm, pairs, n_dates, years):
    """Plain SBAS (least squares, first date 0) then a linear fit: velocity (mm/yr) per pixel."""
    m = len(pairs)
    a = np.zeros((m, n_dates))
    for k, (i, j) in enumerate(pairs):
        a[k, i], a[k, j] = -1, 1
    shape = ifg_mm.shape[1:]
    x = np.linalg.lstsq(a[:, 1:], ifg_mm.reshape(m, -1), rcond=None)[0]
    ts = np.vstack([np.zeros((1, x.shape[1])), x])
    tt = years - years.mean()
    v = (tt[:, None] * (ts - ts.mean(axis=0))).sum(axis=0) / (tt * tt).sum()
    return v.reshape(shape)


def write_stack_tifs(folder, data, dates, pairs, *, template="{a:%Y%m%d}_{b:%Y%m%d}_unw.tif", epsg=32614,
                     x0=500000.0, y0=2150000.0, step=30.0, nodata=None):
    """Write ``data`` (M, rows, cols) as one GeoTIFF per pair; returns the paths."""
    from osgeo import osr

    os.makedirs(folder, exist_ok=True)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    paths = []
    for k, (i, j) in enumerate(pairs):
        p = os.path.join(str(folder), template.format(a=dates[i], b=dates[j]))
        write_tif(p, data[k], srs.ExportToWkt(), (x0, step, 0, y0, 0, -step), nodata=nodata)
        paths.append(p)
    return paths


def write_tif(path, arr, wkt, gt, nodata=None):
    from osgeo import gdal

    arr = np.asarray(arr, np.float32)
    ds = gdal.GetDriverByName("GTiff").Create(str(path), arr.shape[1], arr.shape[0], 1, gdal.GDT_Float32)
    ds.SetGeoTransform(gt)
    ds.SetProjection(wkt)
    band = ds.GetRasterBand(1)
    if nodata is not None:
        band.SetNoDataValue(nodata)
    band.WriteArray(arr)
    ds = None
    return str(path)


# ---------------------------------------------------------------- planted unwrapping errors

S1_WAVELENGTH_M = 0.05546576
CYCLE_MM = S1_WAVELENGTH_M * 1000 / 2


def planted_stack(*, n_dates=12, neighbours=3, shape=(40, 50), noise_mm=1.0, share=0.3, seed=0, patch=(4, 14)):
    """An SBAS stack (LOS mm) and integer cycles planted as rectangles in a share of the interferograms.

    Returns ``(network, clean_mm (M, rows, cols), planted (M, rows, cols) int, truth_ts_mm)``; the
    erroneous stack is ``clean_mm + planted * CYCLE_MM``. The corner pixel (0, 0) is kept clean (reference).
    """
    from insar_geohazards.algorithms.timeseries.network import build_network

    net = build_network(sbas_pairs(sbas_dates(n_dates), max_neighbours=neighbours))
    truth, clean, _ = sbas_synthetic_stack(net, shape=shape, noise_mm=noise_mm, seed=seed)
    rng = np.random.default_rng(seed + 1)
    planted = np.zeros(clean.shape, np.int16)
    rows, cols = shape
    for k in rng.choice(net.n_pairs, max(1, int(share * net.n_pairs)), replace=False):
        h, w = rng.integers(patch[0], patch[1], size=2)
        r0, c0 = rng.integers(1, rows - h), rng.integers(1, cols - w)
        planted[k, r0:r0 + h, c0:c0 + w] = rng.choice([-2, -1, 1, 2])
    return net, clean, planted, truth


def first_last_date_slips(seed):
    """A stack of 12 dates, each paired with its next two (the first and last dates have two pairs each), and a
    patch slipped one cycle on one of the first date's two pairs and on one of the last date's, drawn at random:
    each closes its one loop alike whichever of its date's two pairs slipped. Returns ``(network, pairs as date
    indices, clean_mm, planted)``."""
    rng = np.random.default_rng(seed)
    net, clean, _, _ = planted_stack(n_dates=12, neighbours=2, shape=(48, 40), noise_mm=0.8, share=0.0, seed=seed)
    pairs = [(net.dates.index(a), net.dates.index(b)) for a, b in net.pairs]
    planted = np.zeros(clean.shape, np.int16)
    for d, (r0, c0) in ((11, (4, 4)), (0, (26, 20))):
        two = [k for k, (i, j) in enumerate(pairs) if d in (i, j)]
        h, w = rng.integers(10, 18, 2)
        planted[two[rng.integers(0, 2)], r0:r0 + h, c0:c0 + w] = rng.choice([-1, 1])
    return net, pairs, clean, planted


def tie_inside_slip(seed):
    """The stack of :func:`first_last_date_slips`'s network with one patch slipped a cycle on one of the last date's
    two pairs (drawn at random, as its sign and sizes): each closes their one loop alike. The pair that shares that
    loop, (9, 10), has no data over the patch but a part along its top side (``h`` x ``w``, centred): there the
    closures keep the tie, which the edges may decide; around it the same slip has no loop to show it. Returns
    ``(network, pairs as date indices, clean_mm, planted, (h, w))``."""
    rng = np.random.default_rng(seed)
    net, clean, _, _ = planted_stack(n_dates=12, neighbours=2, shape=(48, 40), noise_mm=0.8, share=0.0, seed=seed)
    pairs = [(net.dates.index(a), net.dates.index(b)) for a, b in net.pairs]
    planted = np.zeros(clean.shape, np.int16)
    last = [k for k, (i, j) in enumerate(pairs) if j == 11]
    r0, c0 = rng.integers(2, 6, 2)
    big_h, big_w = int(rng.integers(30, 40)), int(rng.integers(28, 34))
    planted[last[rng.integers(0, 2)], r0:r0 + big_h, c0:c0 + big_w] = rng.choice([-1, 1])
    h, w = int(rng.integers(10, 16)), int(rng.integers(12, 18))
    left = c0 + (big_w - w) // 2
    masked = np.zeros(clean.shape[1:], bool)
    masked[r0:r0 + big_h, c0:c0 + big_w] = True
    masked[r0:r0 + h, left:left + w] = False
    clean[pairs.index((9, 10))][masked] = np.nan
    return net, pairs, clean, planted, (h, w)


def error_counts(corrected_mm, clean_mm, planted):
    """(planted errors, fixed, new): integer-cycle differences to the clean stack, value by value."""
    left = np.rint((np.asarray(corrected_mm, float) - clean_mm) / CYCLE_MM)
    ok = np.isfinite(left)
    was = (planted != 0) & ok
    return int(was.sum()), int((was & (left == 0)).sum()), int(((planted == 0) & ok & (left != 0)).sum())


def gap_belt_stack(*, seed=0, cycle=CYCLE_MM):
    """Pairs, clean (M, rows, cols) mm, planted cycles, coherence: 12 dates, a gap before date 6 bridged by
    pairs 0.2 coherent, 3 neighbours; 100 x 60 px, rows 45-49 a belt
    0.1 coherent. Above the belt (2 700 px) the three pairs from date 6 slipped by +1, -1, +1 cycles (as W12)."""
    rng = np.random.default_rng(seed)
    pairs = [(i, j) for i in range(12) for j in range(i + 1, min(i + 4, 12))]
    m, h, w = len(pairs), 100, 60
    coh = np.empty((m, h, w))
    clean = np.empty((m, h, w))
    for k, (i, j) in enumerate(pairs):
        bridging = i < 6 <= j
        coh[k] = 0.2 if bridging else 0.8
        coh[k, 45:50] = 0.1
        clean[k] = rng.normal(0.0, (0.15 if bridging else 0.03) * cycle, (h, w))
        clean[k, 45:50] = rng.normal(0.0, 0.2 * cycle, (5, w))
    planted = np.zeros((m, h, w), np.int16)
    for (i, j), n in (((6, 7), 1), ((6, 8), -1), ((6, 9), 1)):
        planted[pairs.index((i, j)), :45] = n
    return pairs, clean, planted, coh


# ---------------------------------------------------------------- scenarios with planted errors of every kind

def _smooth(rng, shape, scale):
    from scipy.ndimage import gaussian_filter

    f = gaussian_filter(rng.standard_normal(shape), scale, mode="wrap")
    return f / (f.std() or 1.0)


def _pairs(n, network, rng):
    kind = network[0]
    k = network[1]
    pairs = [(i, j) for i in range(n) for j in range(i + 1, min(n, i + 1 + k))]
    if kind == "redundant":  # plus yearly-ish long pairs
        pairs += [(i, i + 10) for i in range(0, n - 10, 3)]
    if kind == "sparse":  # drop a share of the pairs that skip dates, keep the sequential chain
        drop = network[2]
        pairs = [p for p in pairs if p[1] - p[0] == 1 or rng.random() >= drop]
    return sorted(set(pairs))


def closure_scenario(s: dict) -> dict:
    """A stack with planted whole-cycle errors from a spec (``shape``, ``n_dates``, ``network`` ("seq", k) /
    ("redundant", k) / ("sparse", k, drop share), optional ``landslide`` (rate mm/yr, width px), ``noise``
    ("gauss", sd mm) / ("correlated", sd mm) / ("patches", sd mm, share), ``seed``, ``errors`` dict: ``patches``,
    ``sizes``, ``cycles`` and the shares ``shared``, ``overlap``, ``edges``, ``few_loops``). Returns ``dates``,
    ``pairs`` (index pairs), ``clean_mm`` (M, rows, cols; the noise is part of it), ``planted`` (M, rows, cols)
    int16, ``coherence`` (M, rows, cols) float32 (0.8-0.9; 0.1-0.2 in decorrelated patches) and ``loops`` (M,)
    triplets per interferogram."""
    rng = np.random.default_rng(s["seed"])
    h, w = s["shape"]
    n = s["n_dates"]
    dates = [dt.date(2021, 1, 2) + dt.timedelta(days=12 * i) for i in range(n)]
    pairs = _pairs(n, s["network"], rng)
    m = len(pairs)
    years = np.arange(n) * 12 / 365.25
    yy, xx = np.mgrid[0:h, 0:w].astype(float)
    bowl = np.exp(-(((xx - 0.4 * w) / (0.15 * w)) ** 2 + ((yy - 0.55 * h) / (0.2 * h)) ** 2))
    ts = -50.0 * years[:, None, None] * bowl[None] + np.stack([6.0 * _smooth(rng, (h, w), 12) for _ in range(n)])
    if s.get("landslide"):  # a small, fast landslide: strong deformation gradients (mm/yr, width px)
        rate, width = s["landslide"]
        slide = np.exp(-(((xx - 0.7 * w) / width) ** 2 + ((yy - 0.3 * h) / (1.5 * width)) ** 2))
        ts = ts + rate * years[:, None, None] * slide[None]
    ts -= ts[0]
    clean = np.stack([ts[j] - ts[i] for i, j in pairs])
    coh = np.full((m, h, w), 0.8, np.float32) + 0.1 * rng.random((m, h, w)).astype(np.float32)
    kind = s["noise"][0]
    sd = s["noise"][1]
    if kind == "gauss":
        clean += rng.normal(0.0, sd, clean.shape)
    elif kind == "correlated":
        clean += np.stack([sd * (0.7 * _smooth(rng, (h, w), 3) + 0.3 * rng.standard_normal((h, w)))
                           for _ in range(m)])
    else:  # decorrelated patches: a share of the scene, per interferogram, with low coherence and strong noise
        clean += rng.normal(0.0, sd, clean.shape)
        share = s["noise"][2]
        for k in range(m):
            bad = _smooth(np.random.default_rng(s["seed"] * 1000 + k), (h, w), 6)
            bad = bad > np.quantile(bad, 1 - share)
            clean[k][bad] += rng.normal(0.0, 4 * CYCLE_MM / 6, int(bad.sum()))  # near-uniform phase
            coh[k][bad] = 0.1 + 0.1 * rng.random(int(bad.sum()))
    loops = loop_counts(pairs)
    planted = np.zeros((m, h, w), np.int16)
    e = s["errors"]
    few = np.flatnonzero(loops <= 1)
    for _ in range(e["patches"]):
        if few.size and rng.random() < e.get("few_loops", 0.0):
            k = int(rng.choice(few))
        else:
            k = int(rng.integers(m))
        ph, pw = rng.integers(e["sizes"][0], e["sizes"][1], size=2)
        if rng.random() < e.get("edges", 0.0):
            r0 = 0 if rng.random() < 0.5 else h - ph
            c0 = int(rng.integers(0, w - pw))
        else:
            r0, c0 = int(rng.integers(0, h - ph)), int(rng.integers(0, w - pw))
        n_cyc = int(rng.choice(e["cycles"]))
        targets = [k]
        if rng.random() < e.get("shared", 0.0):  # a second patch on the same interferogram, elsewhere
            r1, c1 = int(rng.integers(0, h - ph)), int(rng.integers(0, w - pw))
            planted[k, r1:r1 + ph, c1:c1 + pw] = int(rng.choice(e["cycles"]))
        if rng.random() < e.get("overlap", 0.0):  # the same patch also on another interferogram
            targets.append(int(rng.integers(m)))
        for t in targets:
            planted[t, r0:r0 + ph, c0:c0 + pw] = n_cyc
    return {"dates": dates, "pairs": pairs, "clean_mm": clean, "planted": planted, "coherence": coh,
            "loops": loops}


def scenario_counts(planted, cycles, loops) -> dict:
    """fixed, left, new (changed where nothing was planted, or a planted error moved to another wrong multiple),
    no_loop (planted values on interferograms in no loop)."""
    err = planted.astype(np.int64) + cycles
    was = planted != 0
    return {"planted": int(was.sum()), "fixed": int((was & (err == 0)).sum()),
            "left": int((was & (cycles == 0)).sum()),
            "new": int(((~was) & (cycles != 0)).sum() + (was & (cycles != 0) & (err != 0)).sum()),
            "new_clean_pixels": int(((~was) & (cycles != 0)).sum()),
            "no_loop": int((was & (loops[:, None, None] == 0)).sum())}


def closure_step_cycles(pairs, clean_mm, planted, coherence, *, cycle_mm=CYCLE_MM) -> np.ndarray:
    """Cycles (M, rows, cols) the unwrapping-error correction adds to the stack ``clean_mm + planted * cycle_mm``
    of ``pairs``, run as the tool runs it in a model (the network's closure offsets, every value used), the whole
    stack one block (``coherence`` is not used: the model's step takes every value)."""
    from insar_geohazards.algorithms.corrections import closure as cl

    tri = cl.network_triplets(pairs)
    x = clean_mm + planted * cycle_mm
    off = cl.closure_offsets(x, tri, cycle_mm=cycle_mm)
    res = cl.correct_closure_stack(x, tri, cycle_mm=cycle_mm, closure_offset=off)
    return np.rint((res["corrected_mm"] - x) / cycle_mm).astype(np.int16)


def torn_by_a_decision(seed):
    """A stack (planted_stack's network, 12 dates each paired with its next three, 44 x 40) with an island of
    ground (a 20 x 20 component, drawn where, ringed by two pixels without data) whose interferogram ``k`` (drawn
    among those in three loops or more) is slipped a cycle (sign drawn) but on one column (drawn): 95 % of the
    island's values carry the correction, so its component decides it. A few pixels of that column (``holes``,
    drawn) have no data in the other interferograms of ``k``'s loops: no loop of their own refuses the decision,
    while their value of ``k`` runs on from the column's above and below. Returns ``(network, pairs as date
    indices, clean_mm, planted, k, holes (rows, cols))``."""
    from insar_geohazards.algorithms.corrections.closure import network_triplets

    rng = np.random.default_rng(seed)
    net, clean, _, _ = planted_stack(n_dates=12, neighbours=3, shape=(44, 40), noise_mm=0.8, share=0.0, seed=seed)
    pairs = [(net.dates.index(a), net.dates.index(b)) for a, b in net.pairs]
    tri = network_triplets(pairs)
    k = int(rng.choice(np.flatnonzero((tri.matrix != 0).sum(axis=0) >= 3)))
    partners = np.flatnonzero((tri.matrix[tri.matrix[:, k] != 0] != 0).any(axis=0))
    partners = partners[partners != k]
    r0, c0 = (int(v) for v in rng.integers(2, 22, 2))
    moat = np.zeros(clean.shape[1:], bool)
    moat[r0 - 2:r0 + 22, c0 - 2:c0 + 22] = True
    moat[r0:r0 + 20, c0:c0 + 20] = False
    clean[:, moat] = np.nan
    col = c0 + int(rng.integers(2, 18))
    planted = np.zeros(clean.shape, np.int16)
    planted[k, r0:r0 + 20, c0:c0 + 20] = rng.choice([-1, 1])
    planted[k, :, col] = 0
    rows = r0 + np.sort(rng.choice(np.arange(2, 18, 3), int(rng.integers(1, 4)), replace=False))
    cols = np.full(rows.size, col)
    clean[np.ix_(partners, rows, [col])] = np.nan
    return net, pairs, clean, planted, k, (rows, cols)
