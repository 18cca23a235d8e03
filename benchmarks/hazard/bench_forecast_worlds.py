"""Every figure ``displacementforecast``'s default (MODEL 0) is judged by, on worlds of known truth and on real series:

    make bench FAMILY=hazard CASE=forecast_worlds
    python3 bench_forecast_worlds.py [--world DIR] [--seeds N | --seeds S1,S2,...] [--series N]

* **worlds of the practice design** (``tests/testutils_forecast.py``: 60 x 60 px, 80 dates of 12-day slots with 24
  missed, six shapes in shares drawn at random, 1.5 mm white + 1.0 mm spatially smooth noise, zero on the first
  date): ``--seeds N`` fresh realisations with seeds drawn at random (printed; ``--seeds 1,2,3`` repeats them), and
  the practice world itself with ``--world`` (its folder: ``series_mm.tif``, ``truth.npz``). For each: first 60 ->
  the last 20 dates and all 80 -> 6-12 months ahead: the model right (overall, per class; logarithmic creep and
  consolidation one answer), the quadratic series chosen as accelerating, an acceleration chosen on the
  non-accelerating series, the error to the truth over the noise (1.80 mm), the 2-sigma coverage of the noisy
  values per class, offsets found and close choices, CPU seconds of the two runs;
* **real series** (tests/data, with their licences: Boissano RADARSAT PS, EGMS Ustica L2b ascending and
  descending, Mexico City Sentinel-1 by a least-squares SBAS; :mod:`bench_forecast_skill`) cut at 70 % of their
  dates: RMSE of MODEL 0 over the line's (MODEL 1), 2-sigma coverage, the share chosen accelerating, offsets
  found, close choices; then every Boissano PS and ``--burst-points`` of each whole EGMS burst (the zips);
* **lines with AR(1) noise** (phi 0.3, 0.6, 0.8, 0.95 at 12 days, 2 mm, 100 dates, ``--series`` each) cut at 70 %:
  the share with an offset found and with an acceleration chosen, RMSE over the line's, coverage.

One JSON line per set, then one line per check of the issue's thresholds (``PASS`` / ``FAIL``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, HERE)

from bench_forecast_skill import real_sets  # noqa: E402
from testutils_forecast import NAMES, NOISE_MM, ar1_lines, forecast_world, scores  # noqa: E402

from insar_geohazards.algorithms.hazard import forecast as fc  # noqa: E402

CHECKS = []


def check(label: str, value: float, low: float, high: float) -> None:
    """Record one figure against its bounds (printed at the end)."""
    CHECKS.append((label, value, low, high))


class _Months:
    """The forecast of all 80 dates restricted to months 6-12."""

    def __init__(self, res):
        self.model_code = res.model_code
        self.value_mm = res.value_mm[5:]
        self.sigma_mm = res.sigma_mm[5:]


def _rounded(x):
    if isinstance(x, dict):
        return {k: _rounded(v) for k, v in x.items()}
    return round(float(x), 3) if isinstance(x, (float, np.floating)) else x


def judge_world(name: str, w: dict) -> None:
    """The world ``w`` (the keys of :func:`testutils_forecast.forecast_world`) through MODEL 0 twice; prints and
    records its figures."""
    d, dates, group = w["series"], w["dates"], w["group"]
    c0 = time.process_time()
    cut = fc.forecast_series(d[:60], dates[:60], dates[60:])
    c1 = time.process_time()
    full = fc.forecast_series(d, dates, w["months"])
    c2 = time.process_time()
    for label, res, s in (("first 60 -> last 20", cut, scores(cut, group, w["truth"][60:], d[60:])),
                          ("all 80 -> 6-12 months", full,
                           scores(_Months(full), group, w["truth_months"][5:], w["obs_months"][5:]))):
        code = res.model_code
        s["acceleration_on_others"] = float(np.mean(code[group != 3] == 3))
        s["offsets_found"] = float(np.mean(res.steps_count > 0))
        s["close"] = float(np.mean(res.close))
        s["cpu_s"] = c1 - c0 if res is cut else c2 - c1
        print(json.dumps({"set": f"{name}: {label}", **_rounded(s)}))
        check(f"{name}, {label}: model right", s["right"], 0.8, 1.0)
        check(f"{name}, {label}: quadratic chosen as accelerating", s["accelerating"], 0.8, 1.0)
        check(f"{name}, {label}: acceleration on non-accelerating series", s["acceleration_on_others"], 0.0, 0.1)
        check(f"{name}, {label}: error / noise", s["error"], 0.0, 1.2 if res is cut else 1.3)
        for cls, c in s["by_class"].items():
            check(f"{name}, {label}: {cls} right", c["right"], 0.6, 1.0)
            check(f"{name}, {label}: {cls} 2-sigma coverage", c["coverage"], 0.85, 0.98)


def practice_world(folder: str) -> dict:
    """The practice world's files as :func:`judge_world` reads them."""
    from osgeo import gdal

    ds = gdal.Open(os.path.join(folder, "series_mm.tif"))
    series = ds.ReadAsArray().astype(np.float64)
    dates = [dt.date.fromisoformat(ds.GetRasterBand(i + 1).GetDescription()[:10]) for i in range(ds.RasterCount)]
    t = np.load(os.path.join(folder, "truth.npz"))
    n = len(dates)
    return {"dates": dates, "series": series.reshape(n, -1), "truth": t["truth"].reshape(n, -1),
            "group": t["group"].reshape(-1), "months": [dt.date.fromisoformat(x) for x in t["months"]],
            "truth_months": t["truth_months"].reshape(12, -1), "obs_months": t["obs_months"].reshape(12, -1)}


def cut_70(name: str, dates, d, *, real: bool) -> dict:
    """MODEL 0 and the line on the first 70 % of the dates, forecast at the rest."""
    k = int(round(0.7 * len(dates)))
    c0 = time.process_time()
    best = fc.forecast_series(d[:k], dates[:k], dates[k:])
    cpu = time.process_time() - c0
    line = fc.forecast_series(d[:k], dates[:k], dates[k:], model="linear")
    future = d[k:]
    ok = np.isfinite(future) & np.isfinite(best.value_mm) & np.isfinite(line.value_mm)
    rmse = float(np.sqrt(np.mean((future - best.value_mm)[ok] ** 2)))
    rmse_line = float(np.sqrt(np.mean((future - line.value_mm)[ok] ** 2)))
    inside = (np.abs(future - best.value_mm) <= 2 * best.sigma_mm)[ok]
    out = {"set": name, "dates": len(dates), "series": int(d.shape[1]), "rmse_mm": rmse,
           "ratio_to_line": rmse / rmse_line, "coverage_2sigma": float(np.mean(inside)),
           "tool_coverage_estimate": fc.coverage_share(best.coverage_hits.sum(), best.coverage_count.sum()),
           "acceleration_chosen": float(np.mean(best.model_code == 3)),
           "offsets_found": float(np.mean(best.steps_count > 0)), "offsets_used": float(np.mean(best.steps_used)),
           "close": float(np.mean(best.close)),
           "models": {NAMES[i]: int(n) for i, n in enumerate(np.bincount(best.model_code, minlength=7)[1:]) if n},
           "cpu_s": cpu}
    print(json.dumps(_rounded(out)))
    check(f"{name}: RMSE / line", out["ratio_to_line"], 0.0, 1.05)
    if real:
        check(f"{name}: 2-sigma coverage", out["coverage_2sigma"], 0.85, 0.98)
        check(f"{name}: acceleration chosen", out["acceleration_chosen"], 0.0, 0.1)
    else:
        check(f"{name}: offsets found", out["offsets_found"], 0.0, 0.02)
        check(f"{name}: acceleration chosen", out["acceleration_chosen"], 0.0, 0.1)
    return out


def egms_burst(path: str, n_points: int, rng):
    """``(dates, (n_dates, m) mm)``: ``n_points`` drawn among the points of an EGMS L2b zip (its CSV, one column per
    date) with at least 80 % of the dates."""
    import csv
    import io
    import zipfile

    with zipfile.ZipFile(path) as z:
        name = next(i.filename for i in z.infolist() if i.filename.endswith(".csv"))
        rows = csv.reader(io.TextIOWrapper(z.open(name), encoding="utf-8"))
        head = next(rows)
        cols = [i for i, h in enumerate(head) if h.isdigit() and len(h) == 8]
        d = np.array([[float(r[i]) if r[i] not in ("", "nan") else np.nan for i in cols] for r in rows]).T
    dates = [dt.date(int(head[i][:4]), int(head[i][4:6]), int(head[i][6:])) for i in cols]
    d = d[:, np.isfinite(d).sum(axis=0) >= 0.8 * len(dates)]
    return dates, d[:, np.sort(rng.choice(d.shape[1], min(n_points, d.shape[1]), replace=False))]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--world", default=os.environ.get("FORECAST_WORLD", ""),
                    help="the practice world's folder (series_mm.tif, truth.npz)")
    ap.add_argument("--seeds", default="3", help="how many fresh realisations (seeds drawn at random), or seeds")
    ap.add_argument("--series", type=int, default=400, help="series per real or AR(1) set")
    ap.add_argument("--burst-points", type=int, default=2000, help="points drawn from each whole EGMS burst")
    args = ap.parse_args(argv)
    if args.world:
        judge_world("practice world", practice_world(args.world))
    if "," in args.seeds or not args.seeds.isdigit():
        seeds = [int(s) for s in args.seeds.split(",") if s]
    else:
        seeds = [int(s) for s in np.random.SeedSequence().generate_state(int(args.seeds)) % 2 ** 31]
    for seed in seeds:
        w = forecast_world(seed, grid=(60, 60))
        print(json.dumps({"set": f"world seed {seed}", "shares": dict(zip(NAMES, np.round(w["shares"], 3).tolist()))}))
        judge_world(f"world seed {seed}", w)
    rng = np.random.default_rng(0)
    for name, (dates, d) in real_sets(args.series, rng).items():
        cut_70(name, dates, d, real=True)
    # the whole products: every Boissano PS, 2,000 points of each EGMS burst (about 11,600 in each zip)
    sets = real_sets(100000, rng)
    cut_70("Boissano RADARSAT PS, all points", *sets["Boissano RADARSAT PS"], real=True)
    for burst in ("EGMS_L2b_022_0845_IW2_VV_2020_2024_1.zip", "EGMS_L2b_117_0227_IW2_VV_2020_2024_1.zip"):
        dates, d = egms_burst(os.path.join(ROOT, "tests", "data", "egms_ustica", burst), args.burst_points, rng)
        cut_70(f"EGMS Ustica {burst[9:17]}, {d.shape[1]} points of the burst", dates, d, real=True)
    for k, phi in enumerate((0.3, 0.6, 0.8, 0.95)):
        dates, d = ar1_lines(1000 + k, args.series, 100, phi)
        cut_70(f"lines + AR(1) noise phi {phi}", dates, d, real=False)
    print(json.dumps({"noise_mm": NOISE_MM}))
    for label, value, low, high in CHECKS:
        print(f"{'PASS' if low <= value <= high else 'FAIL'}  {label}: {value:.3f} (bounds {low:g}-{high:g})")
    print(f"{sum(low <= v <= high for _, v, low, high in CHECKS)} of {len(CHECKS)} checks within their bounds")


if __name__ == "__main__":
    main()
