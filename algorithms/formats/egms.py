"""Reader for European Ground Motion Service (EGMS) point products (CSV, plain or zipped).

EGMS distributes three point levels as CSV (one row per measurement point, one column per
acquisition date ``YYYYMMDD`` holding the LOS displacement in mm):

* **L2a Basic** and **L2b Calibrated** — LOS, per burst and track: ``pid, mp_type,
  latitude, longitude, easting, northing, height..., line, pixel, rmse..., temporal_coherence,
  amplitude_dispersion, incidence_angle, track_angle, los_east, los_north, los_up,
  mean_velocity, mean_velocity_std, acceleration(_std), seasonality(_std), ...``.
  Recent releases give ``easting/northing`` in ETRS89-LAEA (EPSG:3035) for both; files
  with latitude/longitude only are read in WGS 84 (EPSG:4326).
* **L3 Ortho** — vertical or east-west on a 100 m grid: ``pid, easting, northing, height,
  rmse, mean_velocity, ...`` in EPSG:3035.

Velocities are mm/yr and displacements mm, LOS positive toward the satellite (the
project's convention, :mod:`algorithms.conventions`); for L3 vertical, positive up and for
L3 east-west, positive east.

Reference: EGMS Product Description Document, Copernicus Land Monitoring Service,
https://land.copernicus.eu/en/technical-library/egms-product-description-document
"""

from __future__ import annotations

import datetime as _dt
import io
import itertools
import os
import re
import zipfile
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..errors import GeohazardError

#: Columns kept as text; integer columns; everything else (and dates) is float.
TEXT_COLUMNS = ("pid",)
INTEGER_COLUMNS = ("mp_type", "line", "pixel")
#: Lines parsed at a time (bounded memory for big L3 tiles).
BLOCK_ROWS = 20000


@dataclass
class EgmsData:
    """An EGMS point product as arrays.

    Attributes
    ----------
    level : str
        ``"L2a"``, ``"L2b"`` or ``"L3"`` (from the file name, else from the columns).
    epsg : int
        CRS of ``x``/``y``: 3035 (easting/northing) or 4326 (longitude/latitude).
    x, y : ndarray, shape (n,)
        Coordinates in ``epsg``.
    columns : dict of str -> ndarray, shape (n,)
        Attribute columns in file order (``pid`` as str, integers as int64, NaN for empty
        numeric values).
    dates : list of datetime.date
        Acquisition dates, sorted.
    displacement_mm : ndarray, shape (n, n_dates), float32
        LOS (or L3 component) displacement time series, mm.
    name : str
        File name without extension.
    """

    level: str
    epsg: int
    x: np.ndarray
    y: np.ndarray
    columns: dict = field(default_factory=dict)
    dates: list = field(default_factory=list)
    displacement_mm: Optional[np.ndarray] = None
    name: str = ""

    def __len__(self) -> int:
        return int(self.x.size)


def zip_csv(path: str):
    """``(name, binary stream)`` of the first CSV inside the zip ``path``; None when ``path`` is not a zip."""
    if not zipfile.is_zipfile(path):
        return None
    zf = zipfile.ZipFile(path)
    members = [m for m in zf.namelist() if m.lower().endswith(".csv")]
    if not members:
        raise GeohazardError(f"EGMS zip {path!r} holds no .csv file (found {zf.namelist()[:5]})")
    return os.path.splitext(os.path.basename(members[0]))[0], zf.open(members[0])


def coordinate_columns(header: list, path: str) -> tuple:
    """``(epsg, x column, y column)`` of an EGMS CSV header: easting/northing (EPSG:3035) or longitude/latitude
    (EPSG:4326)."""
    if "easting" in header and "northing" in header:
        return 3035, "easting", "northing"
    if "longitude" in header and "latitude" in header:
        return 4326, "longitude", "latitude"
    raise GeohazardError(f"{path!r}: no easting/northing nor longitude/latitude columns")


def date_columns(header: list, path: str) -> tuple:
    """The indices of the displacement columns of an EGMS CSV header (named YYYYMMDD) and their dates."""
    date_idx = [i for i, h in enumerate(header) if re.fullmatch(r"\d{8}", h)]
    dates = []
    for i in date_idx:
        try:
            dates.append(_dt.datetime.strptime(header[i], "%Y%m%d").date())
        except ValueError:
            raise GeohazardError(f"{path!r}: column {header[i]!r} looks like a date but is not one") from None
    return date_idx, dates


def _open_text(path: str):
    """Return ``(name, text stream)`` of the CSV inside ``path`` (plain or zip)."""
    if not os.path.exists(path):
        raise GeohazardError(f"EGMS file {path!r} does not exist")
    member = zip_csv(path)
    if member is not None:
        return member[0], io.TextIOWrapper(member[1], "utf-8")
    if not path.lower().endswith((".csv", ".txt")):
        raise GeohazardError(f"EGMS file {path!r} is neither a .csv nor a .zip holding one")
    return os.path.splitext(os.path.basename(path))[0], open(path, encoding="utf-8")


def _level(name: str, header: list) -> str:
    m = re.search(r"EGMS_(L2a|L2b|L3)", name, flags=re.IGNORECASE)
    if m:
        return {"l2a": "L2a", "l2b": "L2b", "l3": "L3"}[m.group(1).lower()]
    if "mp_type" in header or "los_east" in header:
        return "L2b" if "easting" in header else "L2a"
    return "L3"


def read_egms(path: str) -> EgmsData:
    """Read an EGMS L2a/L2b/L3 CSV file, plain or zipped.

    Parameters
    ----------
    path : str
        ``.csv`` or ``.zip`` (the first ``.csv`` member is read).

    Returns
    -------
    EgmsData

    Raises
    ------
    GeohazardError
        Missing file, no CSV, no coordinate columns, rows of unequal length or text in a
        numeric column (the message names the file and the column).
    """
    name, fh = _open_text(path)
    with fh:
        header = [h.strip() for h in fh.readline().strip().split(",")]
        if "pid" not in header:
            raise GeohazardError(f"{path!r} is not an EGMS CSV: no 'pid' column in header {header[:6]}")
        epsg, xcol, ycol = coordinate_columns(header, path)
        level = _level(name, header)
        date_idx, dates = date_columns(header, path)
        ncol = len(header)
        text_idx = [i for i, h in enumerate(header) if h in TEXT_COLUMNS]
        attr_idx = [i for i in range(ncol) if i not in text_idx and i not in date_idx]
        texts = {i: [] for i in text_idx}
        attrs = {i: [] for i in attr_idx}
        disp = []
        line_no = 1
        # blocks of lines keep memory bounded: the numbers of a block are parsed column-wise by numpy
        while True:
            block = [ln for ln in itertools.islice(fh, BLOCK_ROWS) if ln.strip()]
            if not block:
                break
            rows = [ln.rstrip("\r\n").split(",") for ln in block]
            for k, r in enumerate(rows):
                if len(r) != ncol:
                    raise GeohazardError(f"{path!r}: line {line_no + k + 1} has {len(r)} values, the header has {ncol}")
            line_no += len(block)
            table = np.array(rows, dtype=str)
            del rows, block
            for i in text_idx:
                texts[i].append(table[:, i].astype(object))
            for i in attr_idx:
                attrs[i].append(_to_float(table[:, i], path, header[i]))
            if date_idx:
                disp.append(np.column_stack([_to_float(table[:, i], path, header[i]) for i in date_idx])
                            .astype(np.float32))
    if not texts[text_idx[0]]:  # pid is always a text column
        raise GeohazardError(f"{path!r} has a header but no points")
    columns = {}
    for i, h in enumerate(header):
        if i in date_idx:
            continue
        if i in text_idx:
            columns[h] = np.concatenate(texts[i])
            continue
        vals = np.concatenate(attrs[i])
        columns[h] = vals.astype(np.int64) if h in INTEGER_COLUMNS and np.all(np.isfinite(vals)) else vals
    n = columns["pid"].size
    order = np.argsort(np.array([d.toordinal() for d in dates])) if dates else np.zeros(0, int)
    series = np.concatenate(disp)[:, order] if dates else np.zeros((n, 0), np.float32)
    return EgmsData(level=level, epsg=epsg, x=columns[xcol].astype(np.float64), y=columns[ycol].astype(np.float64),
                    columns=columns, dates=[dates[k] for k in order], displacement_mm=series, name=name)


def _to_float(raw, path, column):
    """Strings -> float64, empty -> NaN; a clear error naming the column for text."""
    raw = np.char.strip(raw)
    try:
        return np.where(np.char.str_len(raw) == 0, "nan", raw).astype(np.float64)
    except ValueError:
        bad_val = next(v for v in raw if not _is_float(v))
        raise GeohazardError(f"{path!r}: column {column!r} holds non-numeric value {bad_val!r}") from None


def _is_float(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return not s.strip()
