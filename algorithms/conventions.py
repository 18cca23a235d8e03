"""Conventions used everywhere in InSAR Geohazards (stated once, here).

Sign
    Line-of-sight (LOS) displacement and velocity are **positive toward the satellite**
    (range shortening: uplift seen from above, or motion toward the sensor), as in EGMS
    and MintPy's displacement products.

Units
    Displacements in millimetres (mm), velocities in mm/yr, lengths in metres, stresses
    in pascals inside the core (bar/MPa/kPa only at the user interface), angles in
    **degrees at the API and radians inside** the maths. Time spans in years use
    365.25-day years.

Angles
    ``incidence_deg``: angle between the LOS and the local vertical at the ground,
    0 < incidence < 90. ``heading_deg``: flight direction of the satellite, clockwise
    from north (e.g. ~ -12 or 348 for Sentinel-1 ascending, ~ 192 for descending).
    Sensors look right unless ``look="left"`` is given.

Arrays and dates
    Stacks are ordered ``(n_dates, n_rows, n_cols)`` (or ``(n_ifgs, n_rows, n_cols)``).
    Dates are :class:`datetime.date` objects or ISO strings ``YYYY-MM-DD``; point layers
    carry dated displacement fields named ``DYYYYMMDD`` (the PS-viewer layout). Missing
    data are ``NaN`` in floating-point arrays.

Phase
    Unwrapped interferometric phase from most processors (ISCE, GAMMA, MintPy,
    LiCSAR, HyP3) grows with range (motion away from the satellite), so
    ``los_mm = -phase * wavelength / (4 pi) * 1000``. Producers with the opposite sign
    are handled by ``phase_sign=+1``.
"""

from __future__ import annotations

import numpy as np

from .errors import GeohazardError

#: Radar wavelengths in metres (carrier frequency -> c / f).
SPEED_OF_LIGHT_M_S = 299_792_458.0
SENTINEL1_WAVELENGTH_M = SPEED_OF_LIGHT_M_S / 5.405e9  # 0.05546576 m
ENVISAT_WAVELENGTH_M = SPEED_OF_LIGHT_M_S / 5.331e9  # 0.05623564 m
ERS_WAVELENGTH_M = SPEED_OF_LIGHT_M_S / 5.3e9  # 0.05656461 m
RADARSAT_WAVELENGTH_M = SPEED_OF_LIGHT_M_S / 5.405e9
ALOS_WAVELENGTH_M = SPEED_OF_LIGHT_M_S / 1.27e9  # 0.23605705 m

DAYS_PER_YEAR = 365.25

#: The phase convention of most processors: phase grows with range (away from sensor).
PHASE_SIGN_RANGE_INCREASE = -1


def phase_to_los_mm(phase_rad, wavelength_m: float, *, phase_sign: int = PHASE_SIGN_RANGE_INCREASE):
    """Convert unwrapped phase (radians) to LOS displacement in mm (positive toward the sensor).

    Parameters
    ----------
    phase_rad : array_like
        Unwrapped phase in radians.
    wavelength_m : float
        Radar wavelength in metres.
    phase_sign : {-1, +1}
        -1 (default) when the producer's phase grows with range (ISCE, GAMMA, MintPy,
        LiCSAR, HyP3); +1 when it grows toward the sensor.

    Notes
    -----
    ``d_los = phase_sign * phase * wavelength / (4 pi)``; two-way travel gives the 4 pi.
    """
    if phase_sign not in (-1, 1):
        raise ValueError(f"phase_sign must be -1 or +1, got {phase_sign!r}")
    if not wavelength_m > 0:
        raise ValueError(f"wavelength_m must be > 0, got {wavelength_m!r}")
    return np.asarray(phase_rad, dtype=np.float64) * mm_per_radian(wavelength_m, phase_sign=phase_sign)


def los_mm_to_phase(los_mm, wavelength_m: float, *, phase_sign: int = PHASE_SIGN_RANGE_INCREASE):
    """Inverse of :func:`phase_to_los_mm`."""
    if phase_sign not in (-1, 1):
        raise ValueError(f"phase_sign must be -1 or +1, got {phase_sign!r}")
    return np.asarray(los_mm, dtype=np.float64) * (4.0 * np.pi / (phase_sign * wavelength_m * 1000.0))


# The phase <-> mm factors below are the only places where lambda / (4 pi) is written: every
# module converts through them (tests/core/test_architecture.py checks it). Each keeps the
# floating-point operation order of the code it replaced, so results are bit for bit the same.

def mm_per_radian(wavelength_m: float, *, phase_sign: int = PHASE_SIGN_RANGE_INCREASE) -> float:
    """LOS millimetres per radian of phase: ``phase_sign * wavelength_m * 1000 / (4 pi)``."""
    return phase_sign * wavelength_m * 1000.0 / (4.0 * np.pi)


def radians_per_mm(wavelength_m: float, *, phase_sign: int = 1) -> float:
    """Radians of phase per LOS millimetre: ``phase_sign * 4 pi / (wavelength_m * 1000)``.

    ``phase_sign=+1`` (default) gives the magnitude; ``-1`` the phase of a motion toward the
    satellite under the range-increase convention (phase = -4 pi / lambda * d)."""
    return phase_sign * 4.0 * np.pi / (wavelength_m * 1000.0)


def radians_per_m(wavelength_m: float, *, phase_sign: int = 1) -> float:
    """Radians of phase per LOS metre: ``phase_sign * 4 pi / wavelength_m`` (the factor of path delays in metres)."""
    return phase_sign * 4.0 * np.pi / wavelength_m


def phase_to_mm_elementwise(phase_rad, wavelength_m: float, *, phase_sign: int = PHASE_SIGN_RANGE_INCREASE):
    """``phase_sign * phase * wavelength_m * 1000 / (4 pi)`` evaluated left to right, element by element
    (phase or phase rate; the order of the stacking tools, kept for bit-identical outputs)."""
    return phase_sign * phase_rad * wavelength_m * 1000.0 / (4 * np.pi)


def dem_error_phase_per_m(bperp_m, *, wavelength_m: float, slant_range_m: float, incidence_deg: float):
    """Interferometric phase per metre of DEM error, ``kappa = 4 pi B_perp / (lambda R sin(theta))``.

    Parameters
    ----------
    bperp_m : array_like, shape (n_dates,)
        Perpendicular baselines in metres relative to the reference acquisition.
    wavelength_m, slant_range_m : float
        Radar wavelength and slant range in metres.
    incidence_deg : float
        Incidence angle in degrees.

    Returns
    -------
    ndarray, shape (n_dates,)
        Radians per metre of height error (Hanssen 2001, eq. 2.5.11, doi:10.1007/0-306-47633-9).
    """
    if not (wavelength_m > 0 and slant_range_m > 0 and 0 < incidence_deg < 90):
        raise GeohazardError(
            f"wavelength_m ({wavelength_m}), slant_range_m ({slant_range_m}) must be > 0 and "
            f"incidence_deg ({incidence_deg}) between 0 and 90")
    return 4.0 * np.pi * np.asarray(bperp_m, dtype=np.float64) / (
        wavelength_m * slant_range_m * np.sin(np.radians(incidence_deg)))
