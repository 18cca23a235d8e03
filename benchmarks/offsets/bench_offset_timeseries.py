"""geohazard:offsettimeseries on a synthetic redundant pair network vs a plain per-pixel numpy ``lstsq``.

Usage: /usr/bin/python3 benchmarks/offsets/bench_offset_timeseries.py [WORK_DIR] [--size N] [--dates D]

Truth: glacier-like east/north motion (a flow band up to 120 m/yr, +-30 % seasonal) on N x N px, D dates in two
groups no pair connects, each date paired with the next 4 of its group; per pair 0.3 m of noise, 5 % of the values
missing and 3 % gross errors (+-10..50 m). Ours: the whole ``qgis_process`` run on one thread; baseline: ``lstsq``
per pixel and component, no rejection, the same datum (the first date of each network component). Scores against
the truth: RMS and median / 99th percentile error (also on the pixels hit by a gross error, and inside / outside
``OUTPUT_UNCHECKED``), the share of gross errors rejected and the excess rejections per clean pair.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np
from common import loadavg, option, qgis_cmd, qgis_env, read_tif, time_v, write_tif

GT = (500000.0, 10.0, 0.0, 4100000.0, 0.0, -10.0)


def network(n_dates, span):
    """Dates (two groups, no pair between them) and pairs (i, j) of each date with the next ``span``."""
    half = n_dates // 2
    d0 = dt.date(2021, 1, 5)
    dates = [d0 + dt.timedelta(days=12 * i) for i in range(half)]
    dates += [dates[-1] + dt.timedelta(days=96 + 12 * i) for i in range(n_dates - half)]
    groups = [range(0, half), range(half, n_dates)]
    pairs = [(i, j) for g in groups for i in g for j in g if 0 < j - i <= span]
    return dates, pairs, groups


def make(work, size, n_dates, span, seed=0):
    rng = np.random.default_rng(seed)
    dates, pairs, groups = network(n_dates, span)
    t = np.array([(d - dates[0]).days for d in dates]) / 365.25
    yy, xx = np.mgrid[0:size, 0:size] / float(size)
    # a flow band curving across the raster, speed up to 120 m/yr, direction along the band
    centre = 0.5 + 0.15 * np.sin(2 * np.pi * xx)
    speed = 120.0 * np.exp(-((yy - centre) / 0.12) ** 2)
    ang = np.arctan(0.15 * 2 * np.pi * np.cos(2 * np.pi * xx))
    ve, vn = speed * np.cos(ang), -speed * np.sin(ang)
    season = t + 0.3 / (2 * np.pi) * (1 - np.cos(2 * np.pi * t))  # speed x (1 + 0.3 sin)
    truth = np.stack([ve[None] * season[:, None, None], vn[None] * season[:, None, None]])  # (2, D, N, N)
    n_gross = np.zeros((size, size), np.int32)
    paths = []
    for i, j in pairs:
        obs = np.stack([ve * (season[j] - season[i]), vn * (season[j] - season[i])])
        obs += rng.normal(0, 0.3, obs.shape)
        missing = rng.random((size, size)) < 0.05
        gross = (rng.random((size, size)) < 0.03) & ~missing  # only on pairs with data: those can be rejected
        n_gross += gross
        obs[:, gross] += rng.choice([-1, 1], (2, int(gross.sum()))) * rng.uniform(10, 50, (2, int(gross.sum())))
        obs[:, missing] = np.nan
        path = os.path.join(work, f"off_{dates[i]:%Y%m%d}_{dates[j]:%Y%m%d}.tif")
        write_tif(path, obs, gt=GT, options=["TILED=YES"], nodata=float("nan"))
        paths.append(path)
    return dates, pairs, groups, truth, n_gross, paths


def baseline(obs, pairs, groups, n_dates, step):
    """Plain least squares per pixel and network component (numpy.linalg.lstsq), no rejection."""
    n_comp, n_pairs, ny, nx = obs.shape
    flat = obs.reshape(n_comp, n_pairs, -1)
    pix = np.arange(0, ny * nx, step)
    disp = np.full((n_comp, n_dates, pix.size), np.nan)
    designs = []
    for g in groups:
        g = list(g)
        rows = [p for p, (i, j) in enumerate(pairs) if i in g]
        a = np.zeros((len(rows), len(g) - 1))
        for r, p in enumerate(rows):
            i, j = pairs[p]
            if i != g[0]:
                a[r, g.index(i) - 1] = -1.0
            a[r, g.index(j) - 1] = 1.0
        designs.append((g, np.array(rows), a))
    t0 = time.process_time()
    for q, px in enumerate(pix):
        for g, rows, a in designs:
            y = flat[:, rows, px].T  # (pairs, 2)
            ok = np.isfinite(y).all(axis=1)
            sol = np.linalg.lstsq(a[ok], y[ok], rcond=None)[0]
            disp[:, g[0], q] = 0.0
            disp[:, g[1:], q] = sol.T
    return disp, pix, time.process_time() - t0


def referenced(truth, labels):
    """``truth`` (2, D, P) referenced like the output: each date minus the first date of its network
    component in that pixel (``labels`` (D, P), 0 = no data -> NaN)."""
    out = np.full(truth.shape, np.nan)
    for d in range(labels.shape[0]):
        lab = labels[d]
        first = np.argmax(labels == lab[None], axis=0)  # first date with the same label
        ok = lab > 0
        ref = np.take_along_axis(truth, first[None, None], axis=1)[:, 0]
        out[:, d, ok] = (truth[:, d] - ref)[:, ok]
    return out


def score(est, truth, mask=None):
    e = est - truth
    if mask is not None:
        e = e[..., mask]
    e = np.abs(e[np.isfinite(e)])
    return float(np.sqrt(np.mean(e ** 2))), int(e.size), np.percentile(e, [50, 99]).round(3).tolist()


def main():
    pos = [a for a in sys.argv[1:] if not a.startswith("--") and sys.argv[sys.argv.index(a) - 1][:2] != "--"]
    work = pos[0] if pos else tempfile.mkdtemp(prefix="bench_ots_")
    size, n_dates = option(sys.argv, "--size", 500, int), option(sys.argv, "--dates", 40, int)
    span, threads, step = 4, 1, 1
    for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[v] = str(threads)
    os.makedirs(work, exist_ok=True)
    dates, pairs, groups, truth, n_gross, paths = make(work, size, n_dates, span)
    res = {"size": size, "dates": n_dates, "pairs": len(pairs), "threads": threads, "load_before": loadavg()}
    out_d, out_v = os.path.join(work, "ours_disp.tif"), os.path.join(work, "ours_vel.tif")
    out_c = os.path.join(work, "ours_components.tif")
    out_u = os.path.join(work, "ours_unchecked.tif")
    cmd = qgis_cmd("offsettimeseries", {"COMPONENTS": "1,2", "OUTPUT": out_d, "OUTPUT_VELOCITY": out_v,
                                        "OUTPUT_COMPONENTS": out_c, "OUTPUT_UNCHECKED": out_u})
    ours = time_v(cmd + [f"INPUTS={p}" for p in paths], env=qgis_env())
    res["ours_wall_s"], res["ours_cpu_s"], res["load_after_ours"] = ours["wall_s"], ours["cpu_s"], loadavg()
    est = read_tif(out_d).reshape(2, n_dates, size, size)
    vel = read_tif(out_v)
    labels = read_tif(out_c, "int64").reshape(n_dates, -1)
    unchecked = read_tif(out_u, None).reshape(n_dates, size, size)
    # the truth referenced as the tool references its output: per pixel and network component
    truth_px = referenced(truth.reshape(2, n_dates, -1), labels).reshape(truth.shape)
    hit = n_gross > 0
    res["ours_rms_m"], res["n_values"], res["ours_abs_p50_p99_m"] = score(est, truth_px)
    res["ours_rms_gross_px_m"] = score(est, truth_px, hit)[0]
    res["ours_rms_clean_px_m"] = score(est, truth_px, ~hit)[0]
    # dates resting on a single pair (a bridge): share, and the error inside / outside them
    flag = unchecked == 1
    err2 = np.nansum((est - truth_px) ** 2, axis=0)  # (D, N, N), both components
    has = unchecked >= 0
    res["unchecked_pixel_dates_share"] = float(flag.sum() / max(1, has.sum()))
    res["unchecked_cells_share"] = float(flag.any(axis=0).mean())
    res["sq_error_share_in_unchecked"] = float(err2[flag].sum() / err2[has].sum())
    res["ours_rms_unchecked_m"] = score(est, truth_px, flag)[0] if flag.any() else None
    res["ours_rms_checked_m"] = score(est, truth_px, has & ~flag)[0]
    big = np.abs(est - truth_px).max(axis=0) > 3.0  # pixel-dates off by more than 10 x the noise
    res["pixel_dates_off_gt_3m"] = int(big.sum())
    res["of_them_flagged"] = int((big & flag).sum())
    n_rej = vel[-1]
    res["gross_injected"] = int(n_gross.sum())
    res["gross_rejected_share"] = float(np.minimum(n_rej, n_gross).sum() / max(1, n_gross.sum()))
    res["excess_rejections_per_clean_pair"] = float(np.maximum(n_rej - n_gross, 0).sum()
                                                    / (len(pairs) * size * size - n_gross.sum()))
    res["networks_per_pixel"] = np.unique(vel[-3], return_counts=True)[0].tolist()
    # baseline
    obs = np.stack([read_tif(p) for p in paths], axis=1)  # (2, pairs, N, N)
    disp, pix, cpu = baseline(obs, pairs, groups, n_dates, step)
    tr = truth_px.reshape(2, n_dates, -1)[:, :, pix]
    res["baseline_cpu_s"] = cpu * step
    res["baseline_pixels"] = int(pix.size)
    res["baseline_rms_m"], _, res["baseline_abs_p50_p99_m"] = score(disp, tr)
    res["baseline_rms_gross_px_m"] = score(disp, tr, hit.ravel()[pix])[0]
    res["baseline_rms_clean_px_m"] = score(disp, tr, ~hit.ravel()[pix])[0]
    res["ours_rms_same_px_m"] = score(est.reshape(2, n_dates, -1)[:, :, pix], tr)[0]
    res["load_after"] = loadavg()
    print(json.dumps(res, indent=1))
    if not pos:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
