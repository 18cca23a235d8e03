"""Line-of-sight geometry.

Conventions (full statement in :mod:`algorithms.conventions`): LOS displacement is
positive toward the satellite, in mm; ``incidence_deg`` is measured from the vertical at
the ground; ``heading_deg`` is the flight direction clockwise from north; sensors look
right unless told otherwise. The LOS unit vector returned here points **from the ground
to the satellite**, so ``d_los = d . u_los`` for a ground displacement ``d``.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

from ..errors import GeohazardError


def check_incidence(incidence_deg, *, name: str = "incidence_deg") -> np.ndarray:
    """Return ``incidence_deg`` as float64 after checking 0 < incidence < 90 (NaN allowed)."""
    inc = np.asarray(incidence_deg, dtype=np.float64)
    finite = inc[np.isfinite(inc)]
    if finite.size and (finite.min() <= 0.0 or finite.max() >= 90.0):
        raise GeohazardError(
            f"{name} must be between 0 and 90 degrees (exclusive); got values from "
            f"{finite.min():.6g} to {finite.max():.6g}. Is it in radians, or an elevation angle?"
        )
    return inc


def los_unit_vector(incidence_deg, heading_deg, *, look: str = "right"):
    """East, north and up components of the ground-to-satellite unit vector.

    Parameters
    ----------
    incidence_deg : float or ndarray
        Incidence angle from the vertical, degrees, 0 < incidence < 90.
    heading_deg : float or ndarray
        Satellite flight direction, degrees clockwise from north.
    look : {"right", "left"}
        Look side of the sensor.

    Returns
    -------
    east, north, up : ndarray
        Broadcast components; ``east**2 + north**2 + up**2 == 1``.

    Notes
    -----
    The look azimuth is ``heading + 90`` (right-looking) or ``heading - 90`` (left).
    The satellite sits opposite to the look direction, so the horizontal part of the
    ground-to-satellite vector is ``-sin(inc) * (sin(az_look), cos(az_look))``.
    """
    if look not in ("right", "left"):
        raise GeohazardError(f"look must be 'right' or 'left', got {look!r}")
    inc = np.radians(check_incidence(incidence_deg))
    az_look = np.radians(np.asarray(heading_deg, dtype=np.float64) + (90.0 if look == "right" else -90.0))
    east = -np.sin(inc) * np.sin(az_look)
    north = -np.sin(inc) * np.cos(az_look)
    up = np.cos(inc) * np.ones_like(east)
    return east, north, up


def los_to_vertical(v_los, incidence_deg):
    """Project LOS displacement or velocity onto the vertical, assuming purely vertical motion.

    Parameters
    ----------
    v_los : float or ndarray
        LOS displacement (mm) or velocity (mm/yr), positive toward the satellite.
    incidence_deg : float or ndarray
        Incidence angle in degrees, broadcastable to ``v_los``; NaN gives NaN.

    Returns
    -------
    ndarray
        ``v_vert = v_los / cos(incidence)``, positive up, same units as ``v_los``.
        NaN where either input is NaN. Inputs are not modified.

    Notes
    -----
    Valid only where horizontal motion is negligible (subsidence, uplift); the
    amplification ``1 / cos(incidence)`` is 1.06-1.22 for Sentinel-1 (20-35 degrees).
    """
    inc = check_incidence(incidence_deg)
    v = np.asarray(v_los, dtype=np.float64)
    try:
        np.broadcast_shapes(v.shape, inc.shape)
    except ValueError:
        raise GeohazardError(
            f"incidence_deg has shape {inc.shape}, which does not match the LOS data shape {v.shape}"
        ) from None
    return v / np.cos(np.radians(inc))


#: Contents accepted for a per-pixel heading/azimuth raster (see :func:`heading_from_azimuth`).
AZIMUTH_KINDS = ("heading_deg", "lv_phi_rad", "lv_phi_deg", "isce_los_azimuth_deg")


def heading_from_azimuth(values, kind: str = "heading_deg", *, look: str = "right"):
    """Flight heading (degrees clockwise from north) from a per-pixel azimuth raster.

    Parameters
    ----------
    values : array_like
        Raster values.
    kind : {"heading_deg", "lv_phi_rad", "lv_phi_deg", "isce_los_azimuth_deg"}
        ``heading_deg``: the heading itself. ``lv_phi_*``: GAMMA/HyP3 look-vector
        orientation, the horizontal direction from the ground to the sensor measured
        counter-clockwise from east. ``isce_los_azimuth_deg``: ISCE ``los`` band 2, the
        azimuth of the ground-to-satellite vector measured from north, anticlockwise.
    look : {"right", "left"}

    Returns
    -------
    ndarray
        Heading in degrees in [0, 360).

    Notes
    -----
    With ``az_sat`` the clockwise-from-north azimuth of the ground-to-sensor direction,
    ``heading = az_sat + 90`` for a right-looking sensor (``az_sat - 90`` left-looking);
    ``az_sat = 90 - lv_phi`` and ``az_sat = -isce_azimuth``.
    """
    if kind not in AZIMUTH_KINDS:
        raise GeohazardError(f"azimuth kind must be one of {AZIMUTH_KINDS}, got {kind!r}")
    if look not in ("right", "left"):
        raise GeohazardError(f"look must be 'right' or 'left', got {look!r}")
    v = np.asarray(values, dtype=np.float64)
    if kind == "heading_deg":
        return v % 360.0
    if kind == "lv_phi_rad":
        az_sat = 90.0 - np.degrees(v)
    elif kind == "lv_phi_deg":
        az_sat = 90.0 - v
    else:
        az_sat = -v
    return (az_sat + (90.0 if look == "right" else -90.0)) % 360.0


def finite_vectors(east, north, up):
    """The (east, north, up) components whose three values are finite, flattened, and their lengths:
    ``(e, n, u, norm)``; None when no vector is finite."""
    e, n, u = (np.asarray(a, np.float64).ravel() for a in (east, north, up))
    ok = np.isfinite(e) & np.isfinite(n) & np.isfinite(u)
    if not ok.any():
        return None
    e, n, u = e[ok], n[ok], u[ok]
    return e, n, u, np.sqrt(e * e + n * n + u * u)


class LosVectorCheck:
    """Whether per-pixel ``(east, north, up)`` rasters hold the ground-to-satellite unit vector (norm 1, up > 0, the
    convention of this module and of EGMS's ``los_east/los_north/los_up``), summed block by block.

    ``add`` takes the three components of a block (any shape, NaN where no data); ``problem`` says what is wrong,
    with the number of pixels and the range of the norms found, or None. ``tol`` is the accepted departure of the
    norm from 1 (float32 rasters of a unit vector carry ~1e-7; products rounded to 3 decimals ~2e-3)."""

    def __init__(self, tol: float = 0.01):
        self.tol = float(tol)
        self.valid = self.not_unit = self.down = 0
        self.norm_min, self.norm_max = math.inf, -math.inf

    def add(self, east, north, up) -> None:
        found = finite_vectors(east, north, up)
        if found is None:
            return
        e, n, u, norm = found
        self.valid += int(u.size)
        self.not_unit += int((np.abs(norm - 1.0) > self.tol).sum())
        self.down += int((u <= 0).sum())
        self.norm_min = min(self.norm_min, float(norm.min()))
        self.norm_max = max(self.norm_max, float(norm.max()))

    def problem(self) -> Optional[str]:
        if not self.valid:
            return None
        if self.not_unit:
            return (f"its LOS vector (los_east, los_north, los_up) is not a unit vector on {self.not_unit} of "
                    f"{self.valid} pixels (norm {self.norm_min:.4g} to {self.norm_max:.4g}); give the ground-to-"
                    "satellite unit vector (east, north, up components, norm 1)")
        if self.down:
            what = "everywhere" if self.down == self.valid else f"on {self.down} of {self.valid} pixels"
            return (f"its LOS vector points into the ground {what} (los_up <= 0): the ground-to-satellite unit vector "
                    "has a positive up component; if these rasters hold the satellite-to-ground vector, negate "
                    "los_east, los_north and los_up")
        return None
