"""False alerts of the inverse-velocity forecast on steady series whose noise is an SBAS inversion's (wandering
from date to date) against the same series with white noise of the same size; ``forecast_failure`` with the tool's
defaults.

Run: ``PYTHONPATH=.build/plugins /usr/bin/python3 benchmarks/models/iv_sbas_noise.py [n_series] [neighbours]``
"""

from __future__ import annotations

import datetime as dt
import sys

import numpy as np

from insar_geohazards.algorithms.models import inversevelocity as iv


def sbas_errors(n_dates: int, neighbours: int, m: int, rng) -> np.ndarray:
    """(n_dates, m) displacement errors (mm, 0 at the first date) of the SBAS least-squares solution of the pairs
    (i, i + 1 .. i + neighbours) with 1 mm of independent noise per interferogram."""
    pairs = [(i, j) for i in range(n_dates) for j in range(i + 1, min(i + neighbours, n_dates - 1) + 1)]
    a = np.zeros((len(pairs), n_dates - 1))
    for k, (i, j) in enumerate(pairs):
        a[k, j - 1] += 1.0
        if i > 0:
            a[k, i - 1] -= 1.0
    sol = np.linalg.lstsq(a, rng.normal(0.0, 1.0, (len(pairs), m)), rcond=None)[0]
    return np.vstack([np.zeros((1, m)), sol])


def main(m: int = 3000, neighbours: int = 3) -> None:
    print("| sampling | dates | error std (mm) | noise | significant (p < 0.001) | yellow | orange | red | passed |")
    print("|---|---|---|---|---|---|---|---|---|")
    for step, n_dates in ((6, 62), (12, 31)):
        rng = np.random.default_rng([step, neighbours])
        days = np.arange(n_dates) * float(step)
        dates = [dt.date(2020, 1, 1) + dt.timedelta(days=int(x)) for x in days]
        err = sbas_errors(n_dates, neighbours, m, rng)
        v = -np.exp(rng.uniform(np.log(5.0), np.log(100.0), m))
        trend = v[None, :] * days[:, None] / 365.25
        for label, noise in (("SBAS", err), ("white", rng.normal(0.0, err.std(), err.shape))):
            fc = iv.forecast_failure(trend + noise, dates)
            count = {name: int((fc.alert == code).sum()) for code, name in iv.ALERT_NAMES.items()}
            sig = float(np.mean(fc.acceleration.p_value < 1e-3))
            print(f"| {step} d | {n_dates} | {err.std():.2f} | {label} | {100 * sig:.1f} % | "
                  + " | ".join(f"{100 * count[k] / m:.1f} %" for k in ("yellow", "orange", "red", "passed")) + " |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000, int(sys.argv[2]) if len(sys.argv) > 2 else 3)
