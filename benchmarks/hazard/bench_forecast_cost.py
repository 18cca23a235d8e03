"""CPU of ``displacementforecast``'s default (MODEL 0: six models, rolling-origin hold-out, calibrated sigma) per
series: a synthetic ROWS x COLS x DATES stack (linear trends of -10 +- 8 mm/yr, annual terms up to 4 mm, 2 mm
noise, 12-day sampling) through the tool's block function in blocks of 10 rows, two forecast dates.

    python3 bench_forecast_cost.py [ROWS [COLS [DATES]]]          (default 1000 1000 100: 1 Mpx x 100 dates)

One line per 100 rows (CPU so far), then one JSON line: CPU seconds in all and per series.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), ".build", "plugins"))

from insar_geohazards.algorithms.hazard import forecast as fc  # noqa: E402


def main():
    rows, cols, n = (int(a) for a in (sys.argv[1:] + ["1000", "1000", "100"][len(sys.argv) - 1:])[:3])
    rng = np.random.default_rng(0)
    dates = [dt.date(2019, 1, 3) + dt.timedelta(days=12 * i) for i in range(n)]
    t = (np.arange(n) * 12 / 365.25)[:, None]
    fdates = [dates[-1] + dt.timedelta(days=180), dates[-1] + dt.timedelta(days=365)]
    opts = dict(model=fc.BEST, criterion="bic", origin_date=None, primary_end_days=None, holdout=0)
    total = 0.0
    for r0 in range(0, rows, 10):
        r = min(10, rows - r0)
        m = r * cols
        d = (rng.normal(-10, 8, m)[None] * t
             + rng.uniform(0, 4, m)[None] * np.sin(2 * np.pi * t + rng.uniform(0, 2 * np.pi, m)[None])
             + rng.normal(0, 2, (n, m)))
        c0 = time.process_time()
        fc.forecast_raster_block(None, {"series": d.reshape(n, r, cols)}, dates=dates, forecast_dates=fdates,
                                 opts=opts)
        total += time.process_time() - c0
        if (r0 + r) % 100 == 0:
            print(f"{r0 + r} rows: {total:.1f} CPU-s", flush=True)
    print(json.dumps({"rows": rows, "cols": cols, "dates": n, "cpu_s": round(total, 1),
                      "cpu_ms_per_series": round(1000.0 * total / (rows * cols), 3)}))


if __name__ == "__main__":
    main()
