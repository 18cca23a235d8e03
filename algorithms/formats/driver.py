"""Driver series of the trigger correlation (rainfall, water level ...) from a CSV file: a date column and a
value column."""

from __future__ import annotations

import csv
import os

import numpy as np

from ..errors import GeohazardError
from .dates import parse_date


def read_driver_csv(path):
    """Driver series from a CSV with a date column and one numeric column (first two columns otherwise)."""
    if not os.path.exists(path):
        raise GeohazardError(f"DRIVER_CSV {path!r} does not exist")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
    if len(rows) < 4:
        raise GeohazardError(f"DRIVER_CSV {path!r}: needs a header and at least 3 rows")
    head = [h.strip().lower() for h in rows[0]]
    di = next((i for i, h in enumerate(head) if h in ("date", "time", "day")), 0)
    vi = next((i for i in range(len(head)) if i != di), None)
    if vi is None:
        raise GeohazardError(f"DRIVER_CSV {path!r}: needs a date column and a value column")
    dates, vals = [], []
    for k, r in enumerate(rows[1:], start=2):
        try:
            dates.append(parse_date(r[di].strip()))
        except (GeohazardError, IndexError):
            raise GeohazardError(f"DRIVER_CSV line {k}: {r[di] if di < len(r) else ''!r} is not a date") from None
        v = r[vi].strip() if vi < len(r) else ""
        try:
            vals.append(float(v) if v else np.nan)
        except ValueError:
            raise GeohazardError(f"DRIVER_CSV line {k}: value {v!r} is not a number") from None
    order = np.argsort([d.toordinal() for d in dates])
    return [dates[i] for i in order], np.asarray(vals, float)[order]
