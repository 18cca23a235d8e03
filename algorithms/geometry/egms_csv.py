"""Minimal reader of EGMS L2a/L2b point CSV files (plain or zipped) for the geometry tools.

EGMS CSV columns used here: ``easting``/``northing`` (EPSG:3035, m), ``los_east``,
``los_north``, ``los_up`` (ground-to-satellite unit vector), ``mean_velocity`` and
``mean_velocity_std`` (mm/yr, positive toward the satellite) and one displacement
column per acquisition named ``YYYYMMDD`` (mm).
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import os
import re
import zipfile

import numpy as np

from ..errors import GeohazardError

_DATE = re.compile(r"^\d{8}$")


def read_egms_csv(path: str, *, with_series: bool = True) -> dict:
    """Read an EGMS point CSV (or the CSV inside an EGMS zip).

    Returns
    -------
    dict
        ``columns`` (dict name -> float64 array of every non-date numeric column),
        ``dates`` (list of datetime.date), ``series`` (ndarray (n_dates, n_points) in mm,
        only when ``with_series``), ``name`` (file stem).
    """
    if not os.path.exists(path):
        raise GeohazardError(f"EGMS file {path!r} does not exist")
    if path.lower().endswith(".zip"):
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if n.lower().endswith(".csv")]
            if not names:
                raise GeohazardError(f"{path!r} holds no .csv file")
            text = io.TextIOWrapper(z.open(names[0]), encoding="utf-8")
            return _parse(text, os.path.splitext(os.path.basename(names[0]))[0], with_series)
    with open(path, encoding="utf-8", newline="") as fh:
        return _parse(fh, os.path.splitext(os.path.basename(path))[0], with_series)


def _parse(fh, name: str, with_series: bool) -> dict:
    reader = csv.reader(fh)
    header = next(reader)
    for need in ("easting", "northing", "los_east", "los_north", "los_up", "mean_velocity"):
        if need not in header:
            raise GeohazardError(f"{name}: column {need!r} is missing; is this an EGMS L2 CSV?")
    date_idx = [i for i, h in enumerate(header) if _DATE.match(h)]
    other_idx = [i for i, h in enumerate(header) if not _DATE.match(h) and h not in ("pid",)]
    rows = list(reader)
    cols = {}
    for i in other_idx:
        try:
            cols[header[i]] = np.array([float(r[i]) if r[i] != "" else np.nan for r in rows])
        except ValueError:
            continue
    out = {"name": name, "columns": cols,
           "dates": [_dt.date(int(header[i][:4]), int(header[i][4:6]), int(header[i][6:])) for i in date_idx]}
    if with_series:
        out["series"] = np.array([[float(r[i]) if r[i] != "" else np.nan for i in date_idx] for r in rows]).T
    return out


def point_set(read: dict) -> dict:
    """The arrays :func:`algorithms.geometry.decomposition.decompose_point_sets` takes, from one
    :func:`read_egms_csv` result: ``x``, ``y`` (easting, northing), ``v`` and ``sigma`` (mean velocity and its
    standard deviation, mm/yr), ``e``, ``n``, ``u`` (LOS unit vector), ``series`` and ``dates``."""
    c = read["columns"]
    return dict(x=c["easting"], y=c["northing"], v=c["mean_velocity"], sigma=c["mean_velocity_std"],
                e=c["los_east"], n=c["los_north"], u=c["los_up"], series=read["series"], dates=read["dates"])
