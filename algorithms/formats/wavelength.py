"""Which radar wavelength a tool uses: one rule for every tool.

1. the value the user gave explicitly;
2. else the value the input files carry (GeoTIFF metadata ``WAVELENGTH_METRES`` as
   PyRate/GAMMA products write it, ``WAVELENGTH_M``, ``WAVELENGTH`` or
   ``RADAR_WAVELENGTH``; the MintPy HDF5 attribute ``WAVELENGTH``), all in metres;
3. else the Sentinel-1 C-band default ``c / 5.405 GHz = 0.05546576 m``.

The choice and where it came from is always reported, and a user value that disagrees
with the files' metadata is warned about (it is still used: the user may know better,
e.g. a product whose metadata is wrong). Files of one stack that disagree among
themselves are an error: one stack comes from one sensor.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional, Sequence

from ..conventions import SENTINEL1_WAVELENGTH_M
from ..errors import GeohazardError
from .quantities import quantity, split_value

#: Metadata keys read as a wavelength in metres, in order of preference.
WAVELENGTH_METADATA_KEYS = ("WAVELENGTH_METRES", "WAVELENGTH_M", "WAVELENGTH", "RADAR_WAVELENGTH")
#: Plausible SAR wavelengths (X band 3.1 cm to P band 70 cm), metres.
PLAUSIBLE_M = (0.005, 1.0)
#: The speed of light (m/s): frequency <-> wavelength.
C_M_S = 299_792_458.0
#: Relative difference below which two wavelengths are the same (metadata is often printed to 6-8 digits).
SAME_RTOL = 1e-6


@dataclass
class WavelengthChoice:
    """The wavelength used (m), a sentence saying where it came from, and warnings."""

    wavelength_m: float
    source: str
    warnings: list = field(default_factory=list)

    @property
    def message(self) -> str:
        return f"wavelength {self.wavelength_m:.8g} m: {self.source}"


def wavelength_from_metadata(metadata: Mapping[str, object]) -> Optional[tuple[str, float]]:
    """``(key, metres)`` of the first wavelength key in a metadata mapping, or ``None``.

    Raises
    ------
    GeohazardError
        When the key is present but its value is not a number in metres within
        :data:`PLAUSIBLE_M` (e.g. a frequency or centimetres).
    """
    upper = {str(k).upper(): v for k, v in metadata.items()}
    for key in WAVELENGTH_METADATA_KEYS:
        if key not in upper:
            continue
        raw = upper[key]
        if isinstance(raw, bytes):
            raw = raw.decode(errors="replace")
        try:
            val = float(raw)
        except (TypeError, ValueError):
            raise GeohazardError(f"metadata {key}={raw!r} is not a number (a wavelength in metres)") from None
        if not (math.isfinite(val) and PLAUSIBLE_M[0] <= val <= PLAUSIBLE_M[1]):
            raise GeohazardError(f"metadata {key}={raw!r} is not a radar wavelength in metres "
                                 f"({PLAUSIBLE_M[0]:g}..{PLAUSIBLE_M[1]:g} m)")
        return key, val
    return None


def choose_wavelength(user_m: Optional[float], found: Sequence[tuple[str, float]], *, parameter: str = "WAVELENGTH_M",
                      problems: Sequence[str] = (), default_m: float = SENTINEL1_WAVELENGTH_M,
                      default_label: str = "Sentinel-1 C-band default") -> WavelengthChoice:
    """Apply the rule: explicit user value > file metadata > sensor default.

    Parameters
    ----------
    user_m : float or None
        The value the user gave (metres); ``None`` when the parameter was left empty.
    found : sequence of (label, metres)
        Wavelengths carried by the inputs, ``label`` naming the file and key
        (e.g. ``"a.tif WAVELENGTH_METRES"``).
    parameter : str
        Name of the tool's parameter, used in messages.
    problems : sequence of str
        Unreadable wavelength metadata (see :func:`collect`): an error without a user
        value, a warning with one.

    Raises
    ------
    GeohazardError
        When the user value is not a plausible wavelength, the files disagree, or their
        wavelength metadata is unreadable and no user value is given.
    """
    found = list(found)
    if problems and user_m is None:
        raise GeohazardError(f"{problems[0]}; give the wavelength in {parameter}")
    meta = None
    if found:
        ref_label, ref = found[0]
        odd = [(lb, v) for lb, v in found if not math.isclose(v, ref, rel_tol=SAME_RTOL)]
        if odd:
            raise GeohazardError(f"the inputs carry different wavelengths: {ref_label} = {ref:.8g} m but "
                                 f"{odd[0][0]} = {odd[0][1]:.8g} m; one stack must come from one sensor")
        where = ref_label if len(found) == 1 else f"{ref_label} (and the same in {len(found) - 1} other file(s))"
        meta = (ref, where)
    if user_m is not None:
        if not (math.isfinite(user_m) and PLAUSIBLE_M[0] <= user_m <= PLAUSIBLE_M[1]):
            raise GeohazardError(f"{parameter} = {user_m!r} is not a radar wavelength in metres "
                                 f"({PLAUSIBLE_M[0]:g}..{PLAUSIBLE_M[1]:g} m)")
        warnings = [f"{p}; ignored, {parameter} is used" for p in problems]
        if meta is not None and not math.isclose(user_m, meta[0], rel_tol=SAME_RTOL):
            warnings.append(f"{parameter} = {user_m:.8g} m disagrees with the inputs' metadata ({meta[1]} = "
                            f"{meta[0]:.8g} m, {100.0 * (user_m / meta[0] - 1.0):+.3g} %); using {parameter}. Leave "
                            f"{parameter} empty to use the metadata")
        return WavelengthChoice(float(user_m), f"given by {parameter}", warnings)
    if meta is not None:
        return WavelengthChoice(meta[0], f"from the inputs' metadata ({meta[1]})")
    return WavelengthChoice(float(default_m), f"{default_label} (no {parameter} given and no wavelength in the "
                                              f"inputs' metadata)")


def collect(items: Iterable[tuple[str, Mapping[str, object]]]) -> tuple[list, list]:
    """``([(label, metres)], [problem, ...])`` from ``(name, metadata mapping)`` pairs.

    Files without a wavelength key are skipped; unreadable values become problems
    naming the file (for :func:`choose_wavelength`).
    """
    found, problems = [], []
    for name, md in items:
        try:
            hit = wavelength_from_metadata(md)
        except GeohazardError as exc:
            problems.append(f"{name}: {exc}")
            continue
        if hit is not None:
            found.append((f"{name} {hit[0]}", hit[1]))
    return found, problems


def single_wavelength(found, problems=()) -> Optional[float]:
    """The one wavelength (m) that ``found`` (``(file, metres)`` pairs of :func:`collect`) carries, or None when
    none does.

    Raises
    ------
    GeohazardError
        When a file's value could not be read (the first of ``problems``) or the files carry different
        wavelengths (two of them are named): a stack comes from one sensor.
    """
    if problems:
        raise GeohazardError(problems[0])
    values = {round(v, 9) for _, v in found}
    if len(values) > 1:
        (a, va), (b, vb) = next((x, y) for x in found for y in found if round(x[1], 9) != round(y[1], 9))
        raise GeohazardError(f"the inputs carry different wavelengths: {a} = {va:.8g} m but {b} = {vb:.8g} m; a "
                             "stack must come from one sensor")
    return found[0][1] if found else None


# ------------------------------------------------------------------ a product header's wavelength, and its sensor
#: Radar bands (IEEE Std 521) as wavelength intervals (m): what "the sensor's band" means below.
BANDS = (("Ka", 0.0075, 0.0111), ("Ku", 0.0167, 0.025), ("X", 0.025, 0.0375), ("C", 0.0375, 0.075),
         ("S", 0.075, 0.15), ("L", 0.15, 0.30), ("P", 0.30, 1.0))
#: Spaceborne SAR sensors as the products name them (a word of a header: GAMMA ``sensor:``, SNAP ``MISSION``,
#: ROI_PAC ``PLATFORM``; upper case, ``-``/``_`` removed) -> (name, band).
SENSORS = ((r"S1[A-D]?|SENTINEL1[A-D]?", "Sentinel-1", "C"), (r"ERS[12]?", "ERS", "C"),
           (r"ENVISAT|ASAR", "Envisat", "C"), (r"RADARSAT[12]?|RSAT[12]?|RS[12]|RCM\d?", "RADARSAT", "C"),
           (r"GF3|GAOFEN3", "Gaofen-3", "C"), (r"ALOS[124]?|PALSAR[23]?", "ALOS", "L"), (r"JERS1?", "JERS-1", "L"),
           (r"SAOCOM1?[AB]?", "SAOCOM", "L"), (r"LT1[AB]?|LUTAN1?", "LuTan-1", "L"),
           (r"TSX\d?|TDX\d?|TERRASARX|TANDEMX|PAZ", "TerraSAR-X", "X"),
           (r"CSK\d?|CSG\d?|COSMO\w*", "COSMO-SkyMed", "X"), (r"ICEYE\w*", "ICEYE", "X"),
           (r"CAPELLA\w*", "Capella", "X"))
#: GMTSAR's ``SC_identity`` codes (its readers' ``prm->SC_identity``: (1) ERS-1 (2) ERS-2 (3) Radarsat (4) Envisat
#: (5) ALOS (7) TSX (8) CSK (9) RS2 (10) Sentinel-1).
GMTSAR_SC_IDENTITY = {1: "ERS1", 2: "ERS2", 3: "RADARSAT1", 4: "ENVISAT", 5: "ALOS", 7: "TSX", 8: "CSK", 9: "RS2",
                      10: "S1"}


def band_of(wavelength_m: float) -> Optional[str]:
    """The radar band (:data:`BANDS`) of a wavelength in metres, None outside them."""
    return next((name for name, lo, hi in BANDS if lo <= wavelength_m < hi), None)


def sensor_of(text) -> Optional[tuple[str, str]]:
    """``(sensor, band)`` of a header's sensor text (``"S1A IW IW1 VV"``, ``"SENTINEL-1A"``, ``"PALSAR-2"``,
    ``"ENVISAT"``), None when no word of it names a sensor of :data:`SENSORS`."""
    raw = text.decode(errors="replace") if isinstance(text, bytes) else str(text or "")
    for word in raw.split():
        w = re.sub(r"[-_.]", "", word.upper())
        for pattern, name, band in SENSORS:
            if re.fullmatch(pattern, w):
                return name, band
    return None


def _cm(wavelength_m: float) -> str:
    band = band_of(wavelength_m)
    return f"{wavelength_m * 100:.4g} cm" + (f", {band} band" if band else "")


def header_wavelength(raw, *, key: str, where: str, default_unit: str, unit: str = "", sensor=None) -> float:
    """The radar wavelength (m) a product header states as ``key: raw``: a wavelength (m, cm, mm) or a frequency
    (Hz, kHz, MHz, GHz), in the unit written after the number or given as ``unit`` (an attribute), else in the
    format's ``default_unit``.

    ``sensor``: the product's sensor (header text for :func:`sensor_of`, or its ``(name, band)``); the wavelength
    must be of its band.

    Raises
    ------
    GeohazardError
        Naming ``where`` and ``key``: not a number or an unknown unit; not a SAR wavelength
        (:data:`PLAUSIBLE_M`; the message says which unit would make it one: millimetres read as metres give a
        wavelength 1,000 times too long, and velocities 1,000 times too large); of another band than the sensor.
    """
    value, kind = quantity(raw, kinds=("length", "frequency"), default_unit=default_unit, where=where, key=key,
                           unit=unit)
    wl = value if kind == "length" else (C_M_S / value if value > 0 else float("nan"))
    shown = f"'{key}: {str(raw).strip()}'" + (f" ({unit})" if unit else "")
    read_as = split_value(raw)[1] or unit or default_unit
    if sensor is not None and not isinstance(sensor, tuple):
        sensor = sensor_of(sensor)
    if not (math.isfinite(wl) and PLAUSIBLE_M[0] <= wl <= PLAUSIBLE_M[1]):
        number = split_value(raw)[0]
        fits = []
        for u in ("m", "cm", "mm", "Hz", "MHz", "GHz"):
            try:
                alt, k = quantity(f"{number} {u}", kinds=("length", "frequency"), default_unit=u, where=where,
                                  key=key)
            except GeohazardError:
                continue
            alt_wl = alt if k == "length" else (C_M_S / alt if alt > 0 else float("nan"))
            if u.lower() != read_as.lower() and math.isfinite(alt_wl) and band_of(alt_wl) \
                    and (sensor is None or band_of(alt_wl) == sensor[1]):
                fits.append(f"in {u} it would be {_cm(alt_wl)}")
        hint = f"; {', '.join(fits)}" if fits else ""
        raise GeohazardError(f"{where}: {shown} read in {read_as} gives a wavelength of {wl:.6g} m, which no SAR has "
                             f"(X band 2.5 cm to P band 1 m){hint}. Correct the value in the file (or write its "
                             "unit after it)")
    if sensor is not None and band_of(wl) != sensor[1]:
        raise GeohazardError(f"{where}: {shown} gives a wavelength of {_cm(wl)}, but the file is of {sensor[0]} "
                             f"({sensor[1]} band): a value in another unit than {read_as}, or another sensor's file. "
                             "Correct the value in the file (or write its unit after it)")
    return wl
