"""Forecast skill of ``displacementforecast``'s default (MODEL 0) against the line (MODEL 1), on real series cut at
70 % of their dates and forecast at the rest, on series made with noise the choice was not tuned on, and the model
chosen on 80-date series of a known truth.

    make bench FAMILY=hazard CASE=forecast_skill        (python3 bench_forecast_skill.py [SERIES_PER_SET])

Real sets (``tests/data``, with their licences): Boissano RADARSAT PS (106 dates 2003-2010), EGMS Ustica L2b ascending
117 and descending 22 (2020-2024), Mexico City Sentinel-1 (13 dates, 192 days) by a least-squares SBAS of its 30
unwrapped interferograms written here (every pair, one date fixed at zero). Made sets (100 dates every 12 days, a
line of -20..+5 mm/yr): AR(1) noise (phi 0.8, 2 mm), a random walk (0.6 mm a step) with 1 mm white noise, steps
of 3-10 mm at random dates (4 per 100 dates on average), an annual term of 2-6 mm the line does not model, and one set
held out from every setting of the calibration (a 0.4 mm random walk, AR(1) noise phi 0.5 of 2 mm, an annual term of
1-3 mm), and a second offsets set held out from the offsets' settings (150 dates 6 days apart, 1-3 offsets of
2-8 mm at any date, AR(1) noise phi 0.3 of 2 mm). For each
set: the RMSE of MODEL 0's
forecasts over the held-out 30 % and its ratio to MODEL 1's, the share of held-out values within 2 sigma of MODEL 0's
forecast, the share of curved models chosen. Then the share of 80-date series (12 days apart, white noise 1.5 mm,
parameters drawn around those of ``tests/core/test_hazard_forecast.py``) whose chosen model is their own, with the
confusion table (true model -> shares chosen), and the same on two held-out lengths and noises (60 dates, 2.5 mm;
120 dates, 1.0 mm).
One JSON line per set, CPU seconds of the forecasts.
"""

from __future__ import annotations

import datetime as dt
import glob
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(ROOT, "tests", "data")
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from testutils import dated_point_series  # noqa: E402

from insar_geohazards.algorithms.hazard import forecast as fc  # noqa: E402

CUT = 0.7


def dated_points(path: str):
    """``(dates, series (n_dates, m) mm)`` of the fields named D?YYYYMMDD or YYYYMMDD of a point layer (the tests'
    OGR reader)."""
    return dated_point_series(path)


def mexico_sbas(folder: str, *, wavelength_m: float = 0.05550415767769124):
    """``(dates, series (n_dates, m) mm)``: least squares of the unwrapped interferograms (rad) for the phase of each
    date, the first fixed at zero, every pixel whose pairs are all valid; ``-lambda / (4 pi)`` to mm."""
    from osgeo import gdal

    pairs, stack = [], []
    for path in sorted(glob.glob(os.path.join(folder, "*_unw.tif"))):
        a, b = os.path.basename(path).split("_")[1].split("-")
        pairs.append((dt.date(int(a[:4]), int(a[4:6]), int(a[6:])), dt.date(int(b[:4]), int(b[4:6]), int(b[6:]))))
        stack.append(gdal.Open(path).ReadAsArray().astype(np.float64).reshape(-1))
    dates = sorted({d for p in pairs for d in p})
    design = np.zeros((len(pairs), len(dates) - 1))
    for k, (a, b) in enumerate(pairs):
        if dates.index(b):
            design[k, dates.index(b) - 1] += 1.0
        if dates.index(a):
            design[k, dates.index(a) - 1] -= 1.0
    obs = np.array(stack)
    ok = np.all(np.isfinite(obs) & (obs != 0.0), axis=0)
    phase = np.linalg.lstsq(design, obs[:, ok], rcond=None)[0]
    mm = -wavelength_m / (4.0 * np.pi) * 1000.0 * np.vstack([np.zeros((1, phase.shape[1])), phase])
    return dates, mm


def real_sets(per_set: int, rng):
    sets = {}
    shp = os.path.join(DATA, "radarsat_boissano", "BOISSANO_RSAT_S3_A_T290_COMUNEBOISSANO_GBO-TSR.shp")
    dates, d = dated_points(shp)
    sets["Boissano RADARSAT PS"] = (dates, d)
    for name, file in (("EGMS Ustica asc 117", "asc_117_subset.gpkg"), ("EGMS Ustica desc 22", "desc_022_subset.gpkg")):
        sets[name] = dated_points(os.path.join(DATA, "egms_ustica", file))
    sets["Mexico City S1 SBAS"] = mexico_sbas(os.path.join(DATA, "sentinel1_mexico_city", "geotiffs"))
    out = {}
    for name, (dates, d) in sets.items():
        keep = np.isfinite(d).sum(axis=0) >= 0.8 * len(dates)
        d = d[:, keep]
        if d.shape[1] > per_set:
            d = d[:, np.sort(rng.choice(d.shape[1], per_set, replace=False))]
        out[name] = (dates, d)
    return out


DATES = [dt.date(2019, 1, 3) + dt.timedelta(days=12 * i) for i in range(100)]
DATES6 = [dt.date(2018, 6, 2) + dt.timedelta(days=6 * i) for i in range(150)]


def made_sets(per_set: int, rng):
    """Noise the choice was not tuned on, about a line."""
    n, m = len(DATES), per_set
    t = np.arange(n) * 12 / 365.25
    y = np.array([(d - dt.date(d.year, 1, 1)).days for d in DATES]) / 365.25
    line = rng.uniform(-20, 5, m)[None, :] * t[:, None]
    ar = np.zeros((n, m))
    e = rng.normal(0.0, 2.0 * np.sqrt(1 - 0.8 ** 2), (n, m))
    ar[0] = rng.normal(0.0, 2.0, m)
    for i in range(1, n):
        ar[i] = 0.8 * ar[i - 1] + e[i]
    walk = np.cumsum(rng.normal(0.0, 0.6, (n, m)), axis=0) + rng.normal(0.0, 1.0, (n, m))
    jumps = (rng.random((n, m)) < 4.0 / n) * rng.uniform(3, 10, (n, m)) * rng.choice([-1, 1], (n, m))
    step = np.cumsum(jumps, axis=0)
    phase = rng.uniform(0, 2 * np.pi, m)
    season = rng.uniform(2, 6, m) * np.sin(2 * np.pi * y[:, None] + phase) + rng.normal(0.0, 1.5, (n, m))
    white = rng.normal(0.0, 1.5, (n, m))
    # held out: made after the calibration was settled, never used to choose it (its own generator: the sets
    # above and the known-truth series stay the same draws)
    held = np.random.default_rng(7)
    e = held.normal(0.0, 2.0 * np.sqrt(1 - 0.5 ** 2), (n, m))
    ar5 = np.zeros((n, m))
    ar5[0] = held.normal(0.0, 2.0, m)
    for i in range(1, n):
        ar5[i] = 0.5 * ar5[i - 1] + e[i]
    mixed = (held.uniform(-20, 5, m)[None, :] * t[:, None] + np.cumsum(held.normal(0.0, 0.4, (n, m)), axis=0)
             + held.uniform(1, 3, m) * np.sin(2 * np.pi * y[:, None] + held.uniform(0, 2 * np.pi, m)) + ar5)
    # held out from the offsets' settings: 150 dates 6 days apart, 1-3 offsets of 2-8 mm at any date, AR(1) noise
    # phi 0.3 of 2 mm, lines of -30..+10 mm/yr (its own generator too)
    off = np.random.default_rng(23)
    n6 = 150
    t6 = np.arange(n6) * 6 / 365.25
    e6 = off.normal(0.0, 2.0 * np.sqrt(1 - 0.3 ** 2), (n6, m))
    ar3 = np.zeros((n6, m))
    ar3[0] = off.normal(0.0, 2.0, m)
    for i in range(1, n6):
        ar3[i] = 0.3 * ar3[i - 1] + e6[i]
    jumps6 = np.zeros((n6, m))
    for j in range(m):
        at = off.choice(np.arange(1, n6), off.integers(1, 4), replace=False)
        jumps6[at, j] = off.uniform(2, 8, at.size) * off.choice([-1, 1], at.size)
    steps6 = off.uniform(-30, 10, m)[None, :] * t6[:, None] + np.cumsum(jumps6, axis=0) + ar3
    return {"made: AR(1) phi 0.8": (DATES, line + ar), "made: random walk": (DATES, line + walk),
            "made: steps 3-10 mm, 4 per series": (DATES, line + step + white),
            "made: unmodelled annual": (DATES, line + season),
            "made, held out: walk 0.4 mm + AR(1) phi 0.5 + annual 1-3 mm": (DATES, mixed),
            "made, held out: 1-3 offsets of 2-8 mm + AR(1) phi 0.3, 150 dates": (DATES6, steps6)}


def cut_and_forecast(dates, d):
    """MODEL 0 and MODEL 1 fitted on the first 70 % of the dates, forecast at the rest."""
    k = int(round(CUT * len(dates)))
    fit, future, truth = d[:k], dates[k:], d[k:]
    c0 = time.process_time()
    best = fc.forecast_series(fit, dates[:k], future, model=fc.BEST)
    cpu = time.process_time() - c0
    line = fc.forecast_series(fit, dates[:k], future, model="linear")
    ok = np.isfinite(truth) & np.isfinite(best.value_mm) & np.isfinite(line.value_mm)
    rmse = float(np.sqrt(np.mean((truth - best.value_mm)[ok] ** 2)))
    rmse_line = float(np.sqrt(np.mean((truth - line.value_mm)[ok] ** 2)))
    inside = np.abs(truth - best.value_mm)[ok] <= 2.0 * best.sigma_mm[ok]
    return {"dates": len(dates), "fit_dates": k, "series": int(d.shape[1]), "rmse_mm": round(rmse, 3),
            "rmse_line_mm": round(rmse_line, 3), "ratio": round(rmse / rmse_line, 3),
            "coverage_2sigma": round(float(inside.mean()), 3),
            "coverage_2sigma_line": round(float((np.abs(truth - line.value_mm)[ok] <= 2 * line.sigma_mm[ok]).mean()),
                                          3),
            "tool_coverage_estimate": round(fc.coverage_share(best.coverage_hits.sum(), best.coverage_count.sum()), 3),
            "curved_share": round(float(np.mean(best.model_code > 1)), 3), "cpu_s": round(cpu, 2)}


ORIGIN = dt.date(2018, 12, 1)
TP = 30.0


def truth(model, dates, rng, m):
    """Each model with parameters drawn around the core tests' (their published forms, not the code's)."""
    tau = np.array([(d - ORIGIN).days for d in dates], float)[:, None]
    t = np.array([(d - dates[0]).days for d in dates], float)[:, None] / 365.25
    y = np.array([(d - dt.date(d.year, 1, 1)).days for d in dates], float)[:, None] / 365.25

    def u(a, b):
        return rng.uniform(a, b, m)[None, :]

    if model == "linear":
        return u(-2, 2) + u(-15, 5) * t
    if model == "annual":
        return u(-12, -4) * t + u(4, 8) * np.sin(2 * np.pi * y + u(0, 2 * np.pi))
    if model == "quadratic":
        return u(-8, 0) * t - 0.5 * u(5, 12) * t ** 2
    if model == "logcreep":
        return -u(10, 20) * np.log(1.0 + tau / u(20, 60)) - u(2, 6) * tau / 365.25
    if model == "consolidation":
        return -u(20, 40) * np.log10(tau / TP)
    return -u(30, 50) * (1.0 - np.exp(-tau / u(150, 350)))


def choice_accuracy(per_model: int, rng, *, n_dates: int = 80, noise_mm: float = 1.5):
    """Share of each true model chosen right, the mean of those shares, and the confusion table (true model ->
    shares of the models chosen, in :data:`FORECAST_MODELS` order)."""
    dates = [DATES[0] + dt.timedelta(days=12 * i) for i in range(n_dates)]
    out, right, table = {}, 0, {}
    for k, model in enumerate(fc.FORECAST_MODELS):
        d = truth(model, dates, rng, per_model) + rng.normal(0.0, noise_mm, (len(dates), per_model))
        res = fc.forecast_series(d, dates, [dates[-1] + dt.timedelta(days=180)], model=fc.BEST, origin_date=ORIGIN,
                                 primary_end_days=TP)
        share = float(np.mean(res.model_code == k + 1))
        out[model] = round(share, 3)
        table[model] = [round(float(np.mean(res.model_code == j + 1)), 3) for j in range(len(fc.FORECAST_MODELS))]
        right += share
    out["all"] = round(right / len(fc.FORECAST_MODELS), 3)
    out["confusion"] = table
    return out


def main():
    for item in os.environ.get("FORECAST_SETTINGS", "").split():  # trying other settings of the choice
        key, value = item.split("=")
        setattr(fc, key, float(value))
    per_set = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    rng = np.random.default_rng(0)
    for name, (dates, d) in {**real_sets(per_set, rng), **made_sets(per_set, rng)}.items():
        print(json.dumps({"set": name, **cut_and_forecast(dates, d)}))
    if os.environ.get("SKIP_TRUTH"):
        return
    print(json.dumps({"set": "80 dates, known truth: share chosen right", **choice_accuracy(per_set // 2, rng)}))
    # held out from the choice's settings: other lengths and noise, their own generators
    for n_dates, noise, seed in ((60, 2.5, 11), (120, 1.0, 12)):
        print(json.dumps({"set": f"held out: {n_dates} dates, {noise} mm noise, known truth: share chosen right",
                          **choice_accuracy(per_set // 2, np.random.default_rng(seed), n_dates=n_dates,
                                            noise_mm=noise)}))


if __name__ == "__main__":
    main()
