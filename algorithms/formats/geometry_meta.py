"""Acquisition geometry a stack carries in its metadata, and the one rule every tool applies to it.

Keys (GDAL metadata of the default domain, values as decimal text):

* ``INCIDENCE_DEG``: incidence angle of the scene (degrees from the vertical), one value per stack;
* ``HEADING_DEG``: heading of the satellite track (degrees clockwise from north), one value per stack;
* ``SLANT_RANGE_M``: slant range from the antenna to the scene (metres), one value per stack;
* ``PERPENDICULAR_BASELINE_M``: on an interferogram, the perpendicular baseline of its later date relative to
  its earlier one (metres; the dates come from the file name, whatever their order there), as
  :func:`..formats.baselines.read_baselines` gives a pair;
* ``PERPENDICULAR_BASELINES_M``: on a time series (one band per date), the perpendicular baseline of each
  date relative to the first, comma separated in band order (metres).

A scene value, not a per-pixel one: a per-pixel incidence or slant range stays a raster that the tool that
needs it is given (a path written into metadata would break when folders move, and a later step would read a
file its user never named). Other software's names are read too: PyRate/GAMMA ``INCIDENCE_DEGREES`` and
``HEADING_DEGREES``, MintPy's ``HEADING``, ``INCIDENCE_ANGLE`` / ``CENTER_INCIDENCE_ANGLE``.

The rule (:func:`choose_value`), the same as the wavelength's (:mod:`.wavelength`):

1. the value the user gave; when the files carry another one, a warning names both;
2. else the value the input files carry, logged with the file it came from;
3. else the tool's default, logged as such; a quantity without a safe default (the perpendicular baselines of
   the DEM-error step) is an error saying what to give.

Files of one stack that carry different values are an error naming two of them: one stack, one geometry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional, Sequence

from ..errors import GeohazardError
from .dates import parse_date, parse_date_pair

INCIDENCE_KEY = "INCIDENCE_DEG"
HEADING_KEY = "HEADING_DEG"
SLANT_RANGE_KEY = "SLANT_RANGE_M"
#: A scene value's key with this suffix says where the value first came from (``SLANT_RANGE_M_SOURCE = "the HyP3
#: product: 'Slant range center:' of the products' .txt"``): the files of a chain carry it with the value, so the
#: step that uses the value can say which of the producer's files gave it.
SOURCE_SUFFIX = "_SOURCE"
PAIR_BASELINE_KEY = "PERPENDICULAR_BASELINE_M"
DATE_BASELINES_KEY = "PERPENDICULAR_BASELINES_M"


@dataclass(frozen=True)
class Quantity:
    """One scene value of the geometry: its key, the other names it is read under, unit, plausible range and the
    difference below which two values are the same."""

    name: str
    key: str
    aliases: tuple
    unit: str
    plausible: tuple
    same_within: float
    circular: bool = False

    @property
    def keys(self) -> tuple:
        return (self.key,) + self.aliases


INCIDENCE = Quantity("incidence angle", INCIDENCE_KEY, ("INCIDENCE_DEGREES", "INCIDENCE_ANGLE",
                                                       "CENTER_INCIDENCE_ANGLE"), "deg", (0.5, 89.5), 0.01)
HEADING = Quantity("heading", HEADING_KEY, ("HEADING_DEGREES", "HEADING"), "deg", (-360.0, 360.0), 0.01,
                   circular=True)
SLANT_RANGE = Quantity("slant range", SLANT_RANGE_KEY, ("SLANT_RANGE_DISTANCE",), "m", (1.0e3, 5.0e6), 1.0)
QUANTITIES = {q.key: q for q in (INCIDENCE, HEADING, SLANT_RANGE)}
#: Perpendicular baselines beyond this (m) are taken for a wrong unit or file: spaceborne SAR orbital tubes keep
#: them within a few kilometres (ERS/Envisat/ALOS/Sentinel-1 stacks: under ~3 km).
MAX_BASELINE_M = 10_000.0
#: Two baseline sources that differ by less than this (m) agree: GAMMA, ISCE and orbit-state computations of the
#: same pair differ by a few metres (scene centre vs mean, orbit interpolation).
BASELINE_AGREE_M = 5.0


@dataclass
class Choice:
    """The value used, a sentence saying where it came from, and warnings."""

    value: object
    source: str
    warnings: list = field(default_factory=list)
    from_metadata: bool = False


def _number(raw) -> float:
    if isinstance(raw, bytes):
        raw = raw.decode(errors="replace")
    return float(raw)


def value_from_metadata(q: Quantity, metadata: Mapping[str, object]) -> Optional[tuple[str, float]]:
    """``(key, value)`` of the first of ``q``'s keys in a metadata mapping, or ``None``.

    Raises
    ------
    GeohazardError
        When the key is present but its value is not a number within ``q.plausible`` (a wrong unit).
    """
    upper = {str(k).upper(): v for k, v in metadata.items()}
    for key in q.keys:
        if key not in upper:
            continue
        try:
            val = _number(upper[key])
        except (TypeError, ValueError):
            raise GeohazardError(f"metadata {key}={upper[key]!r} is not a number (the {q.name} in {q.unit})") from None
        if not (math.isfinite(val) and q.plausible[0] <= val <= q.plausible[1]):
            raise GeohazardError(f"metadata {key}={upper[key]!r} is not a valid {q.name} in {q.unit} "
                                 f"({q.plausible[0]:g}..{q.plausible[1]:g})")
        return key, val
    return None


def _differ(q: Quantity, a: float, b: float) -> float:
    d = abs(a - b)
    return min(d % 360.0, 360.0 - d % 360.0) if q.circular else d


def collect(q: Quantity, items: Iterable[tuple[str, Mapping[str, object]]]) -> tuple[list, list]:
    """``([(label, value)], [problem, ...])`` of ``q`` from ``(file name, metadata mapping)`` pairs (files without
    it are skipped; unreadable values become problems naming the file)."""
    found, problems = [], []
    for name, md in items:
        try:
            hit = value_from_metadata(q, md)
        except GeohazardError as exc:
            problems.append(f"{name}: {exc}")
            continue
        if hit is not None:
            source = {str(k).upper(): v for k, v in md.items()}.get(q.key + SOURCE_SUFFIX)
            found.append((f"{name} {hit[0]}" + (f", from {source}" if source else ""), hit[1]))
    return found, problems


def single_value(q: Quantity, found: Sequence[tuple[str, float]], problems: Sequence[str] = ()):
    """``(value, where)`` the files agree on, or ``None`` when none carries ``q``.

    Raises
    ------
    GeohazardError
        A value could not be read, or two files carry different values (both named).
    """
    if problems:
        raise GeohazardError(problems[0])
    if not found:
        return None
    ref_label, ref = found[0]
    odd = [(lb, v) for lb, v in found if _differ(q, v, ref) > q.same_within]
    if odd:
        raise GeohazardError(f"the inputs carry different {q.name}s: {ref_label} = {ref:.10g} {q.unit} but "
                             f"{odd[0][0]} = {odd[0][1]:.10g} {q.unit}; one stack has one geometry")
    where = ref_label if len(found) == 1 else f"{ref_label} (and the same in {len(found) - 1} other file(s))"
    return ref, where


def choose_value(q: Quantity, user: Optional[float], found: Sequence[tuple[str, float]], *, parameter: str,
                 problems: Sequence[str] = (), default: Optional[float] = None, default_label: str = "default",
                 why_needed: str = "") -> Choice:
    """Apply the rule to ``q``: the user's value > the files' metadata > ``default``.

    Parameters
    ----------
    user : float or None
        The value the user gave; ``None`` when the parameter was left empty (or at its placeholder default).
    found, problems : see :func:`collect`
    parameter : str
        The tool's parameter, named in messages.
    default : float or None
        The value used when neither the user nor the files give one; ``None``: an error (``why_needed`` says why).

    Raises
    ------
    GeohazardError
        The user value is out of ``q.plausible``, the files disagree or their value is unreadable without a user
        value, or nothing gives a value and there is no default.
    """
    if problems and user is None:
        raise GeohazardError(f"{problems[0]}; give the {q.name} in {parameter}")
    meta = single_value(q, found) if not problems else None
    if user is not None:
        if not (math.isfinite(user) and q.plausible[0] <= user <= q.plausible[1]):
            raise GeohazardError(f"{parameter} = {user!r} is not a valid {q.name} in {q.unit} "
                                 f"({q.plausible[0]:g}..{q.plausible[1]:g})")
        warnings = [f"{p}; ignored, {parameter} is used" for p in problems]
        if meta is not None and _differ(q, user, meta[0]) > q.same_within:
            warnings.append(f"{parameter} = {user:.10g} {q.unit} disagrees with the inputs' metadata ({meta[1]} = "
                            f"{meta[0]:.10g} {q.unit}); using {parameter}. Leave {parameter} empty to use the "
                            "metadata")
        return Choice(float(user), f"given by {parameter}", warnings)
    if meta is not None:
        return Choice(meta[0], f"from the inputs' metadata ({meta[1]})", from_metadata=True)
    if default is None:
        raise GeohazardError(f"{parameter}: the inputs carry no {q.name} ({q.key}) and none was given"
                             + (f"; {why_needed}" if why_needed else ""))
    return Choice(float(default), f"{default_label} (no {parameter} given and no {q.key} in the inputs' metadata)")


def pair_baseline_from_metadata(name: str, metadata: Mapping[str, object]):
    """``((earlier date, later date), metres)`` of an interferogram carrying ``PERPENDICULAR_BASELINE_M``, or None.

    Raises
    ------
    GeohazardError
        When the value is not a number within :data:`MAX_BASELINE_M` or the name holds no date pair.
    """
    upper = {str(k).upper(): v for k, v in metadata.items()}
    if PAIR_BASELINE_KEY not in upper:
        return None
    try:
        val = _number(upper[PAIR_BASELINE_KEY])
    except (TypeError, ValueError):
        val = float("nan")
    if not (math.isfinite(val) and abs(val) <= MAX_BASELINE_M):
        raise GeohazardError(f"{name}: metadata {PAIR_BASELINE_KEY}={upper[PAIR_BASELINE_KEY]!r} is not a "
                             f"perpendicular baseline in metres (|B| <= {MAX_BASELINE_M:g})")
    return tuple(sorted(parse_date_pair(name))), val


def date_baselines_from_metadata(name: str, metadata: Mapping[str, object], n_dates: int):
    """The ``PERPENDICULAR_BASELINES_M`` of a time series (one value per band, metres), or None.

    Raises
    ------
    GeohazardError
        When the list does not hold ``n_dates`` finite numbers within :data:`MAX_BASELINE_M`.
    """
    upper = {str(k).upper(): v for k, v in metadata.items()}
    raw = upper.get(DATE_BASELINES_KEY)
    if raw is None:
        return None
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    try:
        vals = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        vals = []
    if len(vals) != n_dates or not all(math.isfinite(v) and abs(v) <= MAX_BASELINE_M for v in vals):
        raise GeohazardError(f"{name}: metadata {DATE_BASELINES_KEY} does not hold {n_dates} perpendicular "
                             f"baselines in metres (one per band, comma separated)")
    return vals


def format_date_baselines(values: Iterable[float]) -> str:
    """``PERPENDICULAR_BASELINES_M`` text (millimetre resolution)."""
    return ",".join(f"{float(v):.3f}" for v in values)


def parse_dates(texts: Sequence[str]):
    """Band descriptions as dates, or None when one is not a date (the raster is not a time series)."""
    out = []
    for t in texts:
        try:
            out.append(parse_date(str(t)))
        except (GeohazardError, ValueError):
            return None
    return out


def date_baselines_from_pairs(per_pair: Mapping, dates: Sequence, *, source: str = "BASELINES"):
    """Perpendicular baseline of each date relative to the first (m) from pair baselines, by least squares with
    the first date at 0 (as MintPy).

    Parameters
    ----------
    per_pair : mapping ``{(earlier date, later date): metres}``
        Baseline of the later date relative to the earlier; pairs with a date outside ``dates`` are not used.
    dates : sequence of datetime.date
        The dates of the time series, in order.
    source : str
        What the pairs came from, named in errors.

    Raises
    ------
    GeohazardError
        When a date is reached by no pair or the pairs do not connect every date to the first.
    """
    import numpy as np

    dates = list(dates)
    pos = {d: i for i, d in enumerate(dates)}
    rows, vals, covered = [], [], set()
    for (a, b), v in per_pair.items():
        if a in pos and b in pos:
            r = np.zeros(len(dates))
            r[pos[a]] -= 1.0
            r[pos[b]] += 1.0
            rows.append(r)
            vals.append(v)
            covered.update((a, b))
    missing = [d for d in dates if d not in covered]
    if missing or not rows:
        raise GeohazardError(f"{source}: no perpendicular baseline reaches {len(missing) or len(dates)} date(s) of "
                             f"the time series, e.g. {(missing or dates)[0].isoformat()}")
    a = np.array(rows)[:, 1:]
    if np.linalg.matrix_rank(a) < len(dates) - 1:
        raise GeohazardError(f"{source}: the baseline pairs do not connect every date of the time series to the "
                             "first one")
    sol = np.linalg.lstsq(a, np.array(vals), rcond=None)[0]
    return np.concatenate([[0.0], sol])
