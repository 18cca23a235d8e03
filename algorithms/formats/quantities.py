"""A number and its unit as the producers' text headers write them: one parser for every header.

GAMMA parameter files write ``key:  value  unit`` (``radar_frequency:  5.405e+09  Hz``, ``center_range_slc:
851234.5  m``, ``incidence_angle:  38.2  degrees``; ISP's ``par_*`` programs), SNAP's BEAM-DIMAP writes the unit
as an attribute (``<MDATTR name="radar_frequency" unit="MHz">``), GMTSAR's ``.PRM`` and ROI_PAC's ``.rsc`` write
none (GMTSAR: ``radar_wavelength`` in metres, ``prm->lambda = SOL / radarFrequency`` in its readers; ROI_PAC:
``WAVELENGTH`` in metres). A value is read with the unit it states, else with the unit its format documents, and a
unit that is not of the quantity's kind is refused naming the file and the key.

Pure Python.
"""

from __future__ import annotations

import math
import re
from typing import Optional

from ..errors import GeohazardError

#: Units by kind (lower case, no spaces) -> factor to the kind's SI unit (m, Hz, degrees).
UNITS = {
    "length": {"m": 1.0, "metre": 1.0, "metres": 1.0, "meter": 1.0, "meters": 1.0, "cm": 0.01, "mm": 1e-3,
               "km": 1e3},
    "frequency": {"hz": 1.0, "khz": 1e3, "mhz": 1e6, "ghz": 1e9},
    "angle": {"deg": 1.0, "degree": 1.0, "degrees": 1.0, "decimaldegrees": 1.0, "rad": 180.0 / math.pi,
              "radian": 180.0 / math.pi, "radians": 180.0 / math.pi},
}
_NUMBER = re.compile(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eEdD][-+]?\d+)?)\s*(.*)$")


def unit_kind(unit: str) -> Optional[str]:
    """``"length"``, ``"frequency"`` or ``"angle"`` of a unit's text (``"GHz"``, ``"mm"``, ``"degrees"``), None
    for anything else (also empty)."""
    key = _key(unit)
    return next((kind for kind, table in UNITS.items() if key in table), None)


def _key(unit) -> str:
    text = unit.decode(errors="replace") if isinstance(unit, bytes) else str(unit or "")
    return text.strip().strip("[]()").lower().replace(" ", "")


def split_value(raw) -> tuple[Optional[float], str]:
    """``(number, unit text)`` of a header value (``"1.2575 GHz"`` -> ``(1.2575, "GHz")``, ``"5.4e9"`` ->
    ``(5.4e9, "")``; Fortran's ``1.0D+09`` too); ``(None, text)`` when it does not start with a number. Only the
    first word after the number is the unit (GAMMA may add a second value on the line)."""
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw if raw is not None else "")
    m = _NUMBER.match(text)
    if m is None:
        return None, text.strip()
    rest = m.group(2).split()
    return float(m.group(1).replace("D", "e").replace("d", "e")), (rest[0] if rest else "")


def quantity(raw, *, kinds: tuple, default_unit: str, where: str, key: str, unit: str = "") -> tuple[float, str]:
    """``(value in the SI unit of its kind, kind)`` of a header value: its own unit (written after the number, or
    ``unit``: an attribute), else ``default_unit`` (the unit the format documents). ``kinds``: the kinds the
    quantity may be given in (a radar wavelength: length or frequency).

    Raises
    ------
    GeohazardError
        Naming ``where`` and ``key``: not a number, a unit that is not one of ``kinds`` (or two different units
        stated).
    """
    value, own = split_value(raw)
    shown = f"'{key}: {str(raw).strip()}'"
    if value is None or not math.isfinite(value):
        raise GeohazardError(f"{where}: {shown} is not a number")
    if own and unit and unit_kind(own) and _key(own) != _key(unit):
        raise GeohazardError(f"{where}: {shown} states the unit {own} but the file says {unit}")
    stated = own if unit_kind(own) else (unit or own)
    if stated and not unit_kind(stated):
        # a second value on the line (GAMMA's ``radar_frequency: 5.4e9  Hz``) is not a unit; anything else is
        if _NUMBER.match(stated) is None:
            raise GeohazardError(f"{where}: {shown}: '{stated}' is not a unit of {' or '.join(kinds)} ("
                                 + ", ".join(u for k in kinds for u in _SHOWN[k]) + ")")
        stated = ""
    use = stated or default_unit
    kind = unit_kind(use)
    if kind not in kinds:
        raise GeohazardError(f"{where}: {shown}: {use} is not a unit of {' or '.join(kinds)} ("
                             + ", ".join(u for k in kinds for u in _SHOWN[k]) + ")")
    return value * UNITS[kind][_key(use)], kind


_SHOWN = {"length": ("m", "cm", "mm"), "frequency": ("Hz", "MHz", "GHz"), "angle": ("degrees", "radians")}
