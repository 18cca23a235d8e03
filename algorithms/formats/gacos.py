"""GACOS zenith total delay maps (``YYYYMMDD.ztd`` + ``YYYYMMDD.ztd.rsc``) and other per-date delay files.

GACOS (Generic Atmospheric Correction Online Service for InSAR, Yu, Li & Penna 2018,
doi:10.1029/2017JB015305) delivers one zenith total delay map per acquisition date: a raw
little-endian float32 grid in metres (``.ztd``) with a ROI_PAC-style header (``.ztd.rsc``:
``WIDTH``, ``FILE_LENGTH``, ``X_FIRST``, ``Y_FIRST``, ``X_STEP``, ``Y_STEP``, WGS84
longitude/latitude). ``X_FIRST``/``Y_FIRST`` are read as the outer corner of the first
pixel, as MintPy's ``tropo_gacos`` does. Newer GACOS orders also come as ``YYYYMMDD.ztd.tif``.
"""

from __future__ import annotations

import datetime as _dt
import os
import re

import numpy as np

from ..errors import GeohazardError

_DATE = re.compile(r"(?<!\d)(\d{8})(?!\d)")
_REQUIRED = ("WIDTH", "FILE_LENGTH", "X_FIRST", "Y_FIRST", "X_STEP", "Y_STEP")


def read_rsc(path: str) -> dict:
    """Key/value pairs of a ROI_PAC ``.rsc`` header (values as strings)."""
    out = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 2:
                    out[parts[0].upper()] = parts[1]
    except OSError as exc:
        raise GeohazardError(f"cannot read the GACOS header {path!r}: {exc}") from None
    missing = [k for k in _REQUIRED if k not in out]
    if missing:
        raise GeohazardError(f"GACOS header {os.path.basename(path)!r} lacks {', '.join(missing)}")
    return out


def rsc_grid(rsc: dict) -> tuple[int, int, tuple]:
    """``(width, length, geotransform)`` of a GACOS grid (GDAL geotransform, WGS84 degrees)."""
    try:
        w, h = int(rsc["WIDTH"]), int(rsc["FILE_LENGTH"])
        gt = (float(rsc["X_FIRST"]), float(rsc["X_STEP"]), 0.0, float(rsc["Y_FIRST"]), 0.0, float(rsc["Y_STEP"]))
    except (KeyError, ValueError) as exc:
        raise GeohazardError(f"GACOS header: unreadable grid value ({exc})") from None
    if w < 1 or h < 1 or gt[1] == 0 or gt[5] == 0:
        raise GeohazardError(f"GACOS header: invalid grid {w} x {h}, steps {gt[1]}, {gt[5]}")
    return w, h, gt


def read_ztd(path: str) -> tuple[np.ndarray, tuple]:
    """A GACOS ``.ztd`` map (metres, ``(length, width)`` float32) and its geotransform (from ``path + '.rsc'``)."""
    rsc_path = path + ".rsc"
    if not os.path.isfile(rsc_path):
        raise GeohazardError(f"GACOS map {os.path.basename(path)!r} has no header {os.path.basename(rsc_path)!r} "
                             "next to it")
    w, h, gt = rsc_grid(read_rsc(rsc_path))
    size = os.path.getsize(path)
    if size != 4 * w * h:
        raise GeohazardError(f"GACOS map {os.path.basename(path)!r} holds {size} bytes, expected {4 * w * h} "
                             f"({w} x {h} float32 values from its .rsc)")
    return np.fromfile(path, dtype="<f4").reshape(h, w), gt


def delay_file_date(path: str) -> _dt.date:
    """The acquisition date in a per-date delay file name (``20180106.ztd``, ``20180106.ztd.tif``,
    ``ztd_20180106.tif``)."""
    base = os.path.basename(path)
    for token in _DATE.findall(base):
        try:
            return _dt.date(int(token[:4]), int(token[4:6]), int(token[6:]))
        except ValueError:
            continue
    raise GeohazardError(f"no date (YYYYMMDD) in the delay file name {base!r}: GACOS maps are named "
                         "YYYYMMDD.ztd (with YYYYMMDD.ztd.rsc) or YYYYMMDD.ztd.tif")


def match_dates(files: list[str], dates: list[_dt.date], *, name: str = "DELAYS") -> tuple[dict, list]:
    """One delay file per stack date: ``({date: path}, [files of dates not in the stack])``.

    Raises
    ------
    GeohazardError
        Naming ``name`` and the stack dates without a file (or a date given twice).
    """
    by_date: dict = {}
    for f in files:
        d = delay_file_date(f)
        if d in by_date:
            raise GeohazardError(f"{name}: two delay files for {d:%Y%m%d}: {os.path.basename(by_date[d])} and "
                                 f"{os.path.basename(f)}")
        by_date[d] = f
    missing = [d for d in dates if d not in by_date]
    extra = [f for d, f in sorted(by_date.items()) if d not in set(dates)]
    if missing:
        given = sorted(by_date)
        span = f" (the files cover {given[0]:%Y-%m-%d}..{given[-1]:%Y-%m-%d})" if given else ""
        raise GeohazardError(
            f"{name}: no delay map for {len(missing)} of the {len(dates)} dates of the interferograms: "
            + ", ".join(f"{d:%Y%m%d}" for d in missing[:8]) + (" ..." if len(missing) > 8 else "") + span
            + "; order the missing dates from GACOS or drop their interferograms (modifynetwork, excluded dates)")
    return {d: by_date[d] for d in dates}, extra
