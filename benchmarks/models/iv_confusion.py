"""False alerts and detections of the inverse-velocity forecast on synthetic series with and without acceleration.

Families (each series its own seed; ``forecast_failure`` with the tool's defaults): steady, seasonal, a step of
half the C-band wavelength (an unwrapping error), and Voight (1988) tertiary creep failing 6-180 days after the
last date or inside the series' last 30 % (then lost, as InSAR loses points moving over a quarter wavelength
between acquisitions). 6- or 12-day dates over 0.5-3 years, 1-5 mm of white noise, 5 % of dates missing.
docs/models.md gives the table and its reading.

Run: ``PYTHONPATH=.build/plugins /usr/bin/python3 benchmarks/models/iv_confusion.py [n_per_cell] [n_seeds] [--cells]``
"""

from __future__ import annotations

import datetime as dt
import sys

import numpy as np

from insar_geohazards.algorithms.models import inversevelocity as iv

HALF_WAVELENGTH_MM = 27.7
FAMILIES = ("steady", "seasonal", "step", "voight_after", "voight_inside")
T0 = dt.date(2020, 1, 1)


def log_uniform(rng, lo, hi, size=None):
    return np.exp(rng.uniform(np.log(lo), np.log(hi), size))


def voight_velocity(days, tf, v30_mm_day, alpha):
    """Velocity (mm/day) of ``dv/dt = A v^alpha``: ``v = v30 ((tf - t) / 30)^(-1/(alpha-1))``; NaN from ``tf`` on."""
    tau = np.where(days < tf, tf - days, np.nan)
    return v30_mm_day * (tau / 30.0) ** (-1.0 / (alpha - 1.0))


def voight_displacement(days, tf, v30_mm_day, alpha):
    """Displacement (mm, zero at the first date, growing) of :func:`voight_velocity`; NaN from ``tf`` on."""
    p = 1.0 / (alpha - 1.0)
    tau = np.where(days < tf, tf - days, np.nan)
    tau0 = tf - days[0]
    k = v30_mm_day * 30.0 ** p
    if abs(p - 1.0) < 1e-9:
        return k * np.log(tau0 / tau)
    return k * (tau0 ** (1.0 - p) - tau ** (1.0 - p)) / (1.0 - p)


def draw(kind, rng, days):
    """One series of ``kind`` on ``days``: (displacement mm, truth dict)."""
    n = days.size
    sigma = rng.uniform(1.0, 5.0)
    noise = rng.normal(0.0, sigma, n)
    truth = {"tf": np.nan}
    t_yr = days / 365.25
    if kind == "steady":
        d = -log_uniform(rng, 5, 300) * t_yr
    elif kind == "seasonal":
        d = -log_uniform(rng, 2, 50) * t_yr + rng.uniform(3, 15) * np.sin(2 * np.pi * t_yr + rng.uniform(0, 2 * np.pi))
    elif kind == "step":
        k = int(rng.integers(max(1, int(0.1 * n)), max(2, int(0.95 * n))))
        jump = rng.choice([-1, 1]) * HALF_WAVELENGTH_MM
        d = -log_uniform(rng, 5, 100) * t_yr + np.where(np.arange(n) >= k, jump, 0.0)
    else:
        alpha = 2.0 if rng.random() < 0.5 else rng.uniform(1.5, 2.2)
        span = days[-1] - days[0]
        tf = days[-1] + rng.uniform(6, 180) if kind == "voight_after" else days[-1] - rng.uniform(0.0, 0.3) * span
        v30 = log_uniform(rng, 30, 300) / 365.25
        d = -voight_displacement(days, tf, v30, alpha)
        # InSAR loses a point moving more than a quarter wavelength between acquisitions (C band: 14 mm)
        step = np.median(np.diff(days))
        d[voight_velocity(days, tf, v30, alpha) * step > HALF_WAVELENGTH_MM / 2] = np.nan
        truth = {"tf": tf, "alpha": alpha}
    d = d + noise
    d[rng.random(n) < 0.05] = np.nan
    d[0] = d[0] if np.isfinite(d[0]) else noise[0]
    return d, truth


def new_tally():
    return {"n": 0, "alert": 0, "orange+": 0, "red": 0, "red_past": 0, "passed": 0, "not_judged": 0,
            "tf_err": [], "level_ok": 0}


def horizon_class(days_after_last):
    """The level a perfect forecast gives (tool defaults): red within 30 days, orange within 90, else yellow."""
    return "red" if days_after_last <= 30 else "orange" if days_after_last <= 90 else "yellow"


def row_name(kind, truth, days, step_days, years, by_cell):
    if by_cell:
        return f"{kind} {step_days} d {years:g} yr"
    if kind == "voight_after":
        return f"voight_after, failure due {horizon_class(truth['tf'] - days[-1])}"
    return kind


def run(n_per_cell=100, seeds=(0,), steps=(6, 12), spans=(0.5, 1.0, 2.0, 3.0), by_cell=False, **kwargs):
    """Counts per family (per due level for voight_after; per sampling and span when ``by_cell``)."""
    rows = {}
    for seed in seeds:
        for k_index, kind in enumerate(FAMILIES):
            for step_days in steps:
                for years in spans:
                    days = np.arange(0.0, years * 365.25 + 0.1, step_days)
                    dates = [T0 + dt.timedelta(days=int(x)) for x in days]
                    rng = np.random.default_rng([seed, step_days, int(years * 10), k_index])
                    series, truths = zip(*(draw(kind, rng, days) for _ in range(n_per_cell)))
                    fc = iv.forecast_failure(np.column_stack(series), dates, **kwargs)
                    for j, truth in enumerate(truths):
                        tally = rows.setdefault(row_name(kind, truth, days, step_days, years, by_cell), new_tally())
                        a = int(fc.alert[j])
                        tally["n"] += 1
                        tally["alert"] += a > 0
                        tally["orange+"] += a >= 2
                        tally["red"] += a == 3
                        tally["red_past"] += a == 3 and fc.days_to_failure[j] < 0
                        tally["passed"] += a == iv.PASSED
                        tally["not_judged"] += a == iv.NOT_JUDGED
                        if kind == "voight_after" and a > 0:
                            tally["tf_err"].append(fc.failure_day[j] - truth["tf"])
                            want = {"red": 3, "orange": 2, "yellow": 1}[horizon_class(truth["tf"] - days[-1])]
                            tally["level_ok"] += a == want
    return dict(sorted(rows.items(), key=lambda kv: (FAMILIES.index(kv[0].split()[0].rstrip(",")), kv[0])))


def report(rows):
    print("| series | n | any alert | orange or red | red | red with a past date | passed | not judged |"
          " alert or passed, of the judged | median abs(tf error) of alerts (d) | alerts at the right level |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for kind, t in rows.items():
        n = t["n"]
        err = np.abs(np.asarray(t["tf_err"]))
        err = err[np.isfinite(err)]
        med = f"{np.median(err):.0f}" if err.size else "-"
        ok = f"{100 * t['level_ok'] / max(t['alert'], 1):.0f} %" if kind.startswith("voight_after") else "-"
        print(f"| {kind} | {n} | {100 * t['alert'] / n:.1f} % | {100 * t['orange+'] / n:.1f} % | "
              f"{100 * t['red'] / n:.1f} % | {100 * t['red_past'] / n:.1f} % | {100 * t['passed'] / n:.1f} % | "
              f"{100 * t['not_judged'] / n:.1f} % | "
              f"{100 * (t['alert'] + t['passed']) / max(n - t['not_judged'], 1):.1f} % |"
              f" {med} | {ok} |")


if __name__ == "__main__":
    n_cell = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    n_seeds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    report(run(n_cell, tuple(range(n_seeds))))
    if "--cells" in sys.argv:
        report(run(n_cell, tuple(range(n_seeds)), by_cell=True))
