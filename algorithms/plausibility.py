"""Physical plausibility of scalar inputs, checked before any computation.

A value can be legal for the maths and still be a typing error: a wavelength of 1e6 m
gives velocities of +-2.8e9 mm/yr, an incidence of 89.999 deg amplifies a LOS velocity
57,000 times, a "now" date in 1900 turns every alert level. :func:`check_scalar` refuses
such values with a message that names the parameter, the value, the accepted range and
what the usual values are.

The ranges are wide on purpose: they hold every spaceborne SAR mission flown so far
(Seasat 1978 to NISAR/ROSE-L) and every physically sensible crustal elastic parameter.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from typing import Optional

from .errors import GeohazardError


@dataclass(frozen=True)
class Plausible:
    """Accepted closed range ``[low, high]`` of a scalar and what to tell the user."""

    low: float
    high: float
    unit: str
    usual: str


#: Accepted ranges by parameter kind.
WAVELENGTH_M = Plausible(0.005, 1.0, "m", "X band 0.031 m, C band 0.0555 m (Sentinel-1), L band 0.236 m")
#: Incidence: near 90 deg the conversion factors 1/cos explode (89.999 deg amplifies 57,000x).
INCIDENCE_DEG = Plausible(0.0, 80.0, "deg", "15-65 deg for spaceborne SAR (Sentinel-1 29-46 deg)")
HEADING_DEG = Plausible(-360.0, 360.0, "deg", "about -12 (ascending) or 192 (descending) for Sentinel-1")
SLANT_RANGE_M = Plausible(2.0e5, 2.5e6, "m", "about 850 km for Sentinel-1, 700-1000 km for most missions")
SHEAR_MODULUS_PA = Plausible(1.0e8, 2.0e11, "Pa", "3.0e10-3.3e10 Pa for the crust")
FRICTION = Plausible(0.0, 1.5, "", "0.4 (apparent friction), 0.6-0.85 (Byerlee)")
#: Soils of shallow landslides: unit weight (a density in t/m3 or g/cm3 is 9.81 times smaller) and effective friction
#: angle (an angle in radians is 57.3 times smaller).
UNIT_WEIGHT_KN_M3 = Plausible(10.0, 30.0, "kN/m3", "16-22 kN/m3 for soils, 10-12 for peat, up to 27 for rock; a "
                                                   "density in t/m3 or g/cm3 times 9.81 gives kN/m3")
FRICTION_DEG = Plausible(5.0, 60.0, "deg", "20-40 deg for soils and colluvium; an angle in radians times 57.3 gives "
                                            "degrees")
#: Earliest SAR acquisition (Seasat, 1978) to a horizon far enough for forecasts.
FIRST_SAR_DATE = _dt.date(1978, 6, 28)

#: Parameter IDs of the Processing tools and the range that applies to them.
BY_PARAMETER = {
    "WAVELENGTH": WAVELENGTH_M, "WAVELENGTH_M": WAVELENGTH_M,
    "INCIDENCE": INCIDENCE_DEG, "INCIDENCE_2": INCIDENCE_DEG, "INCIDENCE_ASC": INCIDENCE_DEG,
    "INCIDENCE_DESC": INCIDENCE_DEG, "ASC_INCIDENCE": INCIDENCE_DEG, "DESC_INCIDENCE": INCIDENCE_DEG,
    "HEADING": HEADING_DEG, "HEADING_2": HEADING_DEG, "HEADING_ASC": HEADING_DEG, "HEADING_DESC": HEADING_DEG,
    "ASC_HEADING": HEADING_DEG, "DESC_HEADING": HEADING_DEG,
    "SLANT_RANGE": SLANT_RANGE_M,
    "SHEAR_MODULUS": SHEAR_MODULUS_PA,
    "FRICTION": FRICTION,
    "UNIT_WEIGHT_KN_M3": UNIT_WEIGHT_KN_M3,
    "FRICTION_DEG": FRICTION_DEG, "FRICTION_DEG_MAX": FRICTION_DEG,
}

#: Parameter IDs holding a date (ISO text); checked by :func:`check_date`.
DATE_PARAMETERS = ("NOW_DATE", "ORIGIN_DATE", "EVENT_DATE")


def check_scalar(name: str, value: Optional[float], rule: Optional[Plausible] = None) -> None:
    """Raise :class:`GeohazardError` when ``value`` is not finite or outside the plausible range.

    Parameters
    ----------
    name : str
        Parameter ID (used for the message and, when ``rule`` is None, to look up the rule).
    value : float or None
        None (an optional value not given) passes.
    rule : Plausible, optional
        Range to use instead of ``BY_PARAMETER[name]``.
    """
    rule = rule or BY_PARAMETER.get(name)
    if rule is None or value is None:
        return
    v = float(value)
    if not math.isfinite(v):
        raise GeohazardError(f"{name} is {value!r}; a finite number is needed ({rule.usual})")
    if not rule.low <= v <= rule.high:
        unit = f" {rule.unit}" if rule.unit else ""
        raise GeohazardError(
            f"{name} = {v:g}{unit} is not physically plausible: expected {rule.low:g} to {rule.high:g}{unit} "
            f"({rule.usual}); check the value and its unit")


def header_number(raw: str, name: str, entry: str, low: float, high: float) -> float:
    """The number a product's header gives (``raw``), refused unless it is a finite number within ``low..high``:
    the message names the file (``name``) and the entry as the file writes it (``entry``)."""
    try:
        val = float(raw)
    except ValueError:
        raise GeohazardError(f"{name}: {entry} is not a number") from None
    if not (math.isfinite(val) and low <= val <= high):
        raise GeohazardError(f"{name}: {entry} is outside {low:g}..{high:g}")
    return val


def check_date(name: str, value: _dt.date, *, today: Optional[_dt.date] = None) -> None:
    """Raise when a date lies before the first SAR acquisition or more than 50 years ahead."""
    today = today or _dt.date.today()
    last = today.replace(year=today.year + 50)
    if not FIRST_SAR_DATE <= value <= last:
        raise GeohazardError(
            f"{name} = {value.isoformat()} is not plausible for SAR data: expected a date between "
            f"{FIRST_SAR_DATE.isoformat()} (first SAR satellite) and {last.isoformat()}")


def coherence_scale_problem(vmin: float, vmax: float) -> Optional[str]:
    """Why a coherence raster with values in ``[vmin, vmax]`` is not on the 0-1 scale (None when it is)."""
    if vmax > 1.0 + 1e-3:
        if 10.0 < vmax <= 100.0 + 1e-3:
            advice = "this looks like a percentage (0-100): divide by 100 first"
        elif 100.0 < vmax <= 255.0 + 1e-3:
            advice = "this looks like bytes (0-255): divide by 255 first"
        else:
            advice = ("neither a percentage (0-100) nor bytes (0-255): check that the raster is a coherence and "
                      "find its scale in the product's documentation")
        return (f"values reach {vmax:g}; coherence must be 0-1 ({advice}, e.g. with the Raster calculator)")
    if vmin < -1e-3:
        return f"values go down to {vmin:g}; coherence must be 0-1"
    return None


def angle_raster_problem(kind: str, vmin: float, vmax: float) -> Optional[str]:
    """Why an angle raster whose valid values span ``[vmin, vmax]`` (or a typed angle: ``vmin == vmax``) is not
    ``kind`` in degrees; None when it is.

    ``kind``: ``"incidence"`` (from the vertical, :data:`INCIDENCE_DEG`) or ``"heading"`` (clockwise from north,
    :data:`HEADING_DEG`). Radians read as degrees give an incidence below 1.6 deg or headings all within +-6.3 deg:
    no spaceborne SAR looks within 1.6 deg of nadir, and a sun-synchronous orbit (inclination about 98 deg) flies at
    least 8 deg off north or south, so such values are refused as radians rather than used as degrees."""
    lo, hi = float(vmin), float(vmax)
    what = f"the value {lo:.6g}" if lo == hi else f"values from {lo:.6g} to {hi:.6g}"
    verb = "looks" if lo == hi else "look"
    deg = f"{math.degrees(lo):.4g}" if lo == hi else f"{math.degrees(lo):.4g} to {math.degrees(hi):.4g}"
    if kind == "incidence":
        if 0.0 < hi <= math.pi / 2 + 1e-9 and lo >= 0.0:
            return (f"{what} {verb} like radians ({deg} deg if so); this input takes degrees from the vertical "
                    "(multiply by 180/pi first, e.g. with the Raster calculator)")
        if lo < INCIDENCE_DEG.low or hi > INCIDENCE_DEG.high:
            return (f"{what} deg {'is' if lo == hi else 'are'} not plausible for an incidence angle: expected "
                    f"{INCIDENCE_DEG.low:g} to {INCIDENCE_DEG.high:g} deg ({INCIDENCE_DEG.usual})")
        return None
    if kind == "heading":
        if lo < HEADING_DEG.low or hi > HEADING_DEG.high:
            return (f"{what} deg {'is' if lo == hi else 'are'} not plausible for a heading: expected "
                    f"{HEADING_DEG.low:g} to {HEADING_DEG.high:g} deg ({HEADING_DEG.usual})")
        if 0.0 < max(abs(lo), abs(hi)) <= 2 * math.pi + 1e-9:
            return (f"{what} {verb} like radians ({deg} deg if so); this input takes degrees clockwise from north "
                    "(multiply by 180/pi first)")
        return None
    raise ValueError(f"kind must be 'incidence' or 'heading', got {kind!r}")
