"""A second generator of the corrections-chain design (no QGIS import): components split by incoherent channels,
whole components off by whole cycles in several interferograms (two of them sharing a date with +n and -n, so
that their common loop closes), irregular patches inside components, noise drawn from the coherence.

Not the practice stack's generator: two channels (three components, one of them small), a network of nearest
neighbours up to 3 plus a few long pairs, dates at irregular 6-24 day steps, smooth deformation and atmosphere per
date, per-interferogram constants, patches grown from random walks. LOS mm (positive toward the satellite).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from scipy import ndimage

CYCLE_MM = 27.73288


def _smooth(rng, shape, sigma):
    f = ndimage.gaussian_filter(rng.standard_normal(shape), sigma)
    return f / (f.std() or 1.0)


def _channel(rng, shape, x0, width):
    """A meandering vertical channel: bool (rows, cols), ``width`` pixels wide around column ``x0``."""
    h, w = shape
    path = x0 + np.cumsum(rng.normal(0.0, 0.6, h))
    cols = np.arange(w)[None, :]
    return np.abs(cols - path[:, None]) <= width / 2.0


def _patch(rng, shape, allowed, size):
    """An irregular patch of about ``size`` pixels inside ``allowed``: a smoothed random walk's footprint."""
    h, w = shape
    ys, xs = np.nonzero(allowed)
    i = rng.integers(ys.size)
    y, x = ys[i], xs[i]
    m = np.zeros(shape, bool)
    for _ in range(size // 2):
        m[y, x] = True
        y = int(np.clip(y + rng.integers(-1, 2), 0, h - 1))
        x = int(np.clip(x + rng.integers(-1, 2), 0, w - 1))
    m = ndimage.binary_dilation(m, iterations=2) & allowed
    return ndimage.binary_fill_holes(m) & allowed


def bank_stack(seed: int, *, shape=(140, 160), n_dates=26, extra_pairs=()) -> dict:
    """``dates``, ``pairs`` (index pairs), ``clean_mm`` (M, rows, cols; NaN in the channels), ``planted`` (M, rows,
    cols) int16, ``coherence`` (M, rows, cols), ``components`` (rows, cols) int (0 in the channels)."""
    rng = np.random.default_rng(seed)
    h, w = shape
    steps = rng.integers(6, 25, n_dates - 1)
    dates = [dt.date(2022, 1, 3)]
    for s in steps:
        dates.append(dates[-1] + dt.timedelta(days=int(s)))
    pairs = [(i, j) for i in range(n_dates) for j in range(i + 1, min(n_dates, i + 4))]
    longs = rng.choice(n_dates - 12, 5, replace=False)
    pairs += [(int(i), int(i) + 10 + int(rng.integers(0, 2))) for i in longs]
    pairs = sorted(set(pairs) | {tuple(p) for p in extra_pairs})
    m = len(pairs)
    water = _channel(rng, shape, 0.35 * w, 3) | _channel(rng, shape, 0.8 * w, 2)
    comp, _ = ndimage.label(~water)
    t = np.array([(d - dates[0]).days for d in dates]) / 365.25
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    bowl = np.exp(-((xx - 0.2) ** 2 + (yy - 0.5) ** 2) / 0.02)
    defo = -30.0 * t[:, None, None] * bowl + 6.0 * np.sin(2 * np.pi * t)[:, None, None] * bowl
    atmo = np.stack([4.0 * _smooth(rng, shape, 12) for _ in range(n_dates)])
    series = defo + atmo
    base_coh = np.clip(0.55 + 0.15 * _smooth(rng, shape, 5), 0.15, 0.95)
    clean = np.empty((m, h, w))
    coh = np.empty((m, h, w), np.float32)
    for k, (i, j) in enumerate(pairs):
        span = (dates[j] - dates[i]).days
        c = np.clip(base_coh * np.exp(-span / 400.0) + 0.05 * rng.standard_normal(shape), 0.1, 0.98)
        sd_rad = np.sqrt((1 - c ** 2) / (2 * 10 * c ** 2))  # 10 looks
        clean[k] = series[j] - series[i] + rng.normal(0.0, 1.0, shape) * sd_rad * CYCLE_MM / (2 * np.pi)
        clean[k] += rng.uniform(-50.0, 50.0)  # the unwrapper's constant
        coh[k] = c
    clean[:, water] = np.nan
    coh[:, water] = 0.05
    planted = np.zeros((m, h, w), np.int16)
    sizes = np.bincount(comp.reshape(-1))[1:]
    order = np.argsort(-sizes) + 1
    bank_ifgs = rng.choice(m, 6, replace=False)
    for n, k in enumerate(bank_ifgs):
        planted[k][comp == order[n % len(order)]] = rng.choice([-2, -1, 1, 1, 2])
    # two pairs sharing a date, +n and -n on one component: their common loop closes
    for i in range(2, n_dates - 2):
        if (i - 1, i) in pairs and (i, i + 1) in pairs and (i - 1, i + 1) in pairs and rng.random() < 0.3:
            n = int(rng.choice([-1, 1]))
            target = comp == order[int(rng.integers(len(order)))]
            planted[pairs.index((i - 1, i))][target] = n
            planted[pairs.index((i, i + 1))][target] = -n
            break
    for k in rng.choice(m, 5, replace=False):
        target = comp == order[int(rng.integers(2))]
        p = _patch(rng, shape, target, int(rng.integers(150, 500)))
        planted[k][p] = planted[k][p] + int(rng.choice([-1, 1]))
    return {"dates": dates, "pairs": pairs, "clean_mm": clean, "planted": planted, "coherence": coh,
            "components": comp}


def tied_bank_stack(seed: int, n_off: int = 3) -> tuple:
    """A banks stack whose errors are replaced by a date's twin: on one bank, ``n_off`` of the six pairs of a date
    ``d`` are off as the date shifted by a cycle would be (the three ending at it, then those starting at it), and a
    cancelling pair on the other bank. With 3 the other half closes every loop alike and is as sparse (a tie); with 4
    the other two are sparser (the closures take them). ``(stack, planted, the date's pairs before it, after it, the
    bank)``."""
    sc = bank_stack(seed)
    rng = np.random.default_rng(seed)
    pairs = sc["pairs"]
    comp = sc["components"]
    sizes = np.bincount(comp.ravel())[1:]
    order = np.argsort(-sizes) + 1
    n_dates = len(sc["dates"])
    planted = np.zeros_like(sc["planted"])
    # a date whose pairs are 3 before and 3 after it (the nearest-3 network) and that no long pair passes over: the
    # closures' ties are then the date's own shift and the runs of dates from it, which the solver checks (a long
    # pair in one loop with another shifts with neither, and a run's shift without them is not checked)
    looped = {(i, j) for i, j in pairs if j - i > 3 and any((i, k) in pairs and (k, j) in pairs or
                                                            (i, k) in pairs and (j, k) in pairs or
                                                            (k, i) in pairs and (k, j) in pairs
                                                            for k in range(n_dates))}
    ok = [d for d in range(3, n_dates - 6) if sum(1 for p in pairs if d in p) == 6
          and not any(i < d <= j or i <= d < j for i, j in looped)]
    d = int(ok[int(rng.integers(len(ok)))])
    before = [pairs.index((d - s, d)) for s in (1, 2, 3)]
    after = [pairs.index((d, d + s)) for s in (1, 2, 3)]
    bank = comp == order[1]
    v = int(rng.choice([-1, 1]))
    for k in (before + after)[:n_off]:
        planted[k][bank] = v if k in before else -v
    other = comp == order[2] if len(order) > 2 else comp == order[0]
    a, b = pairs.index((d + 4, d + 5)), pairs.index((d + 5, d + 6))
    planted[a][other], planted[b][other] = 1, -1
    return sc, planted, before, after, bank


def patched_tied_bank_stack(seed: int) -> tuple:
    """:func:`tied_bank_stack` (a date's three pairs ending at it off on a bank: a tie the bridges decide) with a
    patch of about 600 pixels of the bank off by one more cycle in one of the date's other three pairs. The patch's
    closures are the bank's and its own together: four of the date's pairs off as its shift would be, whose twin (the
    other two, the other way) is sparser and closes every loop alike, so the pixel's own sparsest correction is not
    the bank's plus the patch's.
    ``(stack, planted, the patch's pair, the patch, the bank)``."""
    sc, planted, before, after, bank = tied_bank_stack(seed)
    rng = np.random.default_rng(seed + 1)
    k = after[int(rng.integers(3))]
    patch = _patch(rng, bank.shape, bank, 600)
    planted[k][patch] -= planted[before[0]][bank][0]  # as the date's shift would be: four of its six pairs off
    return sc, planted, k, patch, bank


def _loops_of(pairs, p) -> int:
    """The loops (ij, jk, ik) of the index pairs ``pairs`` that hold the pair ``p``."""
    have = set(map(tuple, pairs))
    i, j = p
    dates = {d for q in have for d in q}
    return sum(1 for k in dates if ((i, k) in have and (k, j) in have) or ((j, k) in have and (i, k) in have)
               or ((k, i) in have and (k, j) in have))


def one_loop_pair_stack(seed: int) -> tuple:
    """A banks stack with two long pairs from one date, ``(a, a + 8)`` and ``(a, a + 9)``: their only loop is with
    the short pair ``(a + 8, a + 9)``. On the second bank that short pair and ``(a, a + 8)`` are off by +-1 so that
    the loop closes (a cancelling pair): the short pair's other loops show it, and once it is corrected the long
    pairs' loop opens, closed alike by either long pair (the closures cannot tell which). ``(stack, planted, the
    long pair off, the short pair, the bank)``."""
    rng = np.random.default_rng(seed)
    base = bank_stack(seed)["pairs"]
    # a date from which the two long pairs close no loop but theirs (no other long pair from it, nor to 8 or 9 dates
    # after it)
    free = [a for a in range(2, 16) if _loops_of(base + [(a, a + 8), (a, a + 9)], (a, a + 8)) == 1
            and _loops_of(base + [(a, a + 8), (a, a + 9)], (a, a + 9)) == 1]
    a = int(free[int(rng.integers(len(free)))])
    sc = bank_stack(seed, extra_pairs=[(a, a + 8), (a, a + 9)])
    pairs = sc["pairs"]
    comp = sc["components"]
    order = np.argsort(-np.bincount(comp.ravel())[1:]) + 1
    bank = comp == order[1]
    planted = np.zeros_like(sc["planted"])
    p, q = pairs.index((a, a + 8)), pairs.index((a + 8, a + 9))
    v = int(rng.choice([-1, 1]))
    planted[p][bank], planted[q][bank] = v, -v
    return sc, planted, p, q, bank


def relative_counts(corrected_mm, clean_mm, planted, ref) -> dict:
    """The practice README's count: a planted value is fixed when the corrected interferogram is within half a cycle
    of the clean one relative to the pixel ``ref``; new where nothing was planted and it is half a cycle or more
    off relative to it."""
    r, c = ref
    e = (corrected_mm - corrected_mm[:, r, c][:, None, None]) - (clean_mm - clean_mm[:, r, c][:, None, None])
    good = np.abs(e) < CYCLE_MM / 2
    has = np.isfinite(clean_mm)
    was = (planted != 0) & has
    return {"planted": int(was.sum()), "fixed": int((was & good).sum()),
            "new": int(((planted == 0) & has & ~good).sum())}

