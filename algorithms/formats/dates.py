"""Dates of acquisitions and interferogram pairs.

Recognised interferogram file-name conventions (first match wins, case-insensitive):

* HyP3: ``S1AA_20200101T123456_20200113T123456_VVP012_INT80_G_..._unw_phase.tif``
* LiCSAR / ISCE / generic: ``20200101_20200113.geo.unw.tif``
* GAMMA / PyRate / SNAP exports: ``20180106-20180130_VV_8rlks_eqa_unw.tif``
* two-digit years (ROI_PAC / GAMMA): ``geo_060619-061002_unw.tif`` (years < 70 -> 20xx)
* GMTSAR day-of-year: ``2020001_2020013`` (YYYYDDD)
* SNAP names with month abbreviations: ``..._01Jan2020_13Jan2020...``

Dated fields of point layers: ``DYYYYMMDD`` (PS viewers, our outputs, SARvey's ``sarvey_export``), bare
``YYYYMMDD`` (EGMS CSV) and ``D_YYYYMMDD`` (SARscape's geocoded shapes, as InSAR Explorer's data-structure page
lists them) are all accepted by :func:`dated_fields`.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from typing import Iterable, Sequence

import numpy as np

from ..conventions import DAYS_PER_YEAR
from ..errors import GeohazardError
from .product_files import date_pair_problem

_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}

_SEP = r"[_\-]"
_PATTERNS = [
    # 8-digit dates, optional HyP3 time suffix (T hhmmss)
    ("ymd8", re.compile(r"(?<!\d)(\d{8})(?:T\d{6})?" + _SEP + r"(\d{8})(?:T\d{6})?(?!\d)")),
    ("doy7", re.compile(r"(?<!\d)(\d{7})" + _SEP + r"(\d{7})(?!\d)")),
    ("ymd6", re.compile(r"(?<!\d)(\d{6})" + _SEP + r"(\d{6})(?!\d)")),
    ("dmony", re.compile(r"(?<!\d)(\d{2}[a-z]{3}\d{4})" + _SEP + r"(\d{2}[a-z]{3}\d{4})(?!\d)", re.I)),
]


def _ymd8(token: str) -> _dt.date:
    return _dt.date(int(token[:4]), int(token[4:6]), int(token[6:8]))


def _doy7(token: str) -> _dt.date:
    year, doy = int(token[:4]), int(token[4:])
    if not 1 <= doy <= 366:
        raise ValueError(token)
    return _dt.date(year, 1, 1) + _dt.timedelta(days=doy - 1)


def _ymd6(token: str) -> _dt.date:
    yy = int(token[:2])
    return _dt.date(2000 + yy if yy < 70 else 1900 + yy, int(token[2:4]), int(token[4:6]))


def _dmony(token: str) -> _dt.date:
    month = _MONTHS.get(token[2:5].lower())
    if month is None:
        raise ValueError(token)
    return _dt.date(int(token[5:]), month, int(token[:2]))


_CONVERT = {"ymd8": _ymd8, "doy7": _doy7, "ymd6": _ymd6, "dmony": _dmony}


def parse_date(value) -> _dt.date:
    """Parse one date: ``date``/``datetime``, ``YYYYMMDD``, ``YYYY-MM-DD``, ``DYYYYMMDD``,
    ``YYYY-MM-DDThh:mm:ss``, ``YYYYDDD`` or ``numpy.datetime64``.

    Raises
    ------
    GeohazardError
        Naming the value when it is not a valid date.
    """
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, np.datetime64):
        return value.astype("datetime64[D]").astype(_dt.date)
    text = str(value).strip()
    core = text[1:] if text[:1] in ("D", "d") and text[1:2].isdigit() else text
    try:
        if re.fullmatch(r"\d{8}", core):
            return _ymd8(core)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ].*)?", core):
            return _dt.date(int(core[:4]), int(core[5:7]), int(core[8:10]))
        if re.fullmatch(r"\d{7}", core):
            return _doy7(core)
    except ValueError:
        pass
    raise GeohazardError(f"cannot read a date from {value!r}: expected YYYYMMDD, YYYY-MM-DD or DYYYYMMDD")


def is_date(value) -> bool:
    """True when :func:`parse_date` reads a date from ``value``."""
    try:
        parse_date(value)
    except (GeohazardError, TypeError, ValueError):
        return False
    return True


def parse_date_pair(name: str) -> tuple[_dt.date, _dt.date]:
    """Return the (reference, secondary) dates encoded in an interferogram file name.

    Parameters
    ----------
    name : str
        File name or path; only the base name is read (then the parent folder, for
        ISCE-style ``20200101_20200113/filt_fine.unw`` layouts).

    Returns
    -------
    (date, date)
        In the order they appear in the name.

    Raises
    ------
    GeohazardError
        When no known pattern with two valid, different dates is found.
    """
    base = os.path.basename(str(name))
    parent = os.path.basename(os.path.dirname(str(name)))
    same = None
    for text in (base, parent):
        for kind, pattern in _PATTERNS:
            for match in pattern.finditer(text):
                try:
                    d1, d2 = (_CONVERT[kind](t) for t in match.groups())
                except ValueError:
                    continue
                if d1 != d2:
                    return d1, d2
                same = same or d1
    if same is not None:
        raise GeohazardError(
            f"the file name {base!r} pairs {same.isoformat()} with itself: an interferogram needs two different "
            "dates (a same-date pair measures no displacement); remove it or fix its name")
    raise GeohazardError(
        f"no date pair found in the file name {base!r}: expected e.g. 20200101_20200113, "
        "20200101-20200113, 060619-061002 or S1AA_20200101T..._20200113T..."
    )


def parse_date_pairs(paths, *, name: str) -> list:
    """:func:`parse_date_pair` of each file name of ``paths``; an error names the parameter ``name``."""
    pairs = []
    for p in paths:
        try:
            pairs.append(parse_date_pair(p))
        except GeohazardError as exc:
            raise GeohazardError(f"{name}: {date_pair_problem(str(exc), p)}") from None
    return pairs


def parse_date_list(text: str, *, name: str = "dates") -> list[_dt.date]:
    """Dates of a comma (or semicolon) separated list such as ``"2020-03-01, 2021-06-15"``.

    Raises :class:`GeohazardError` naming ``name`` and the item that is not a date."""
    out = []
    for item in (text or "").replace(";", ",").split(","):
        if item.strip():
            try:
                out.append(parse_date(item.strip()))
            except GeohazardError:
                raise GeohazardError(f"{name}: {item.strip()!r} is not a date (YYYY-MM-DD)") from None
    return out


def date_to_str(d: _dt.date) -> str:
    """ISO string ``YYYY-MM-DD``."""
    return d.isoformat()


def field_name(d: _dt.date) -> str:
    """Dated displacement field name ``DYYYYMMDD``."""
    return "D" + d.strftime("%Y%m%d")


def dated_fields(names: Iterable[str]) -> list[tuple[str, _dt.date]]:
    """Pick the fields that hold dated values (``DYYYYMMDD``, ``D_YYYYMMDD`` or ``YYYYMMDD``), sorted by date.

    Raises
    ------
    GeohazardError
        When two fields name the same date (``D20200101`` and ``D_20200101``): which one holds the series is not
        for a reader to guess.
    """
    out = []
    seen: dict = {}
    for name in names:
        if re.fullmatch(r"(?:[Dd]_?)?\d{8}", name):
            try:
                day = _ymd8(name[-8:])
            except ValueError:
                continue
            if day in seen:
                raise GeohazardError(f"the fields {seen[day]!r} and {name!r} both hold the date {day.isoformat()}: "
                                     "keep one (a layer's dated fields are its displacement series, one per date)")
            seen[day] = name
            out.append((name, day))
    out.sort(key=lambda item: item[1])
    return out


def decimal_years(dates: Sequence, reference=None) -> np.ndarray:
    """Years (365.25 days) elapsed since ``reference`` (default: the first date)."""
    ds = [parse_date(d) for d in dates]
    if not ds:
        return np.zeros(0)
    ref = parse_date(reference) if reference is not None else ds[0]
    return np.array([(d - ref).days for d in ds], dtype=np.float64) / DAYS_PER_YEAR
