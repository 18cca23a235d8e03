"""Terrain slope/aspect and projection of LOS motion onto the steepest-descent direction.

Conventions: slope in degrees from horizontal; aspect in degrees clockwise from north,
the azimuth the slope *faces* (the downhill direction); LOS unit vectors point from the
ground to the satellite (see :mod:`algorithms.geometry.los`).
"""

from __future__ import annotations

import numpy as np

from ..errors import GeohazardError


def slope_aspect(dem_m, dx_m: float, dy_m: float):
    """Slope and aspect of a DEM by Horn's 3x3 finite differences.

    Parameters
    ----------
    dem_m : ndarray, shape (rows, cols)
        Heights in metres, row 0 to the north (north-up grid); NaN allowed.
    dx_m, dy_m : float
        Pixel size in metres along columns (east) and rows (south), both > 0.

    Returns
    -------
    slope_deg, aspect_deg : ndarray
        Same shape; edge pixels and pixels next to NaN are NaN. Aspect is NaN where the
        slope is exactly zero.

    Notes
    -----
    ``dz/dx`` and ``dz/dy`` (y toward north) from Horn (1981), doi:10.1109/PROC.1981.11918;
    aspect = atan2(-dz/dx, -dz/dy) measured clockwise from north (downhill azimuth).
    """
    z = np.asarray(dem_m, dtype=np.float64)
    if z.ndim != 2:
        raise GeohazardError(f"dem_m must be 2-D, got shape {z.shape}")
    if not (dx_m > 0 and dy_m > 0):
        raise GeohazardError(f"pixel size must be positive metres, got dx_m={dx_m!r}, dy_m={dy_m!r}")
    slope = np.full(z.shape, np.nan)
    aspect = np.full(z.shape, np.nan)
    if z.shape[0] < 3 or z.shape[1] < 3:
        return slope, aspect
    a, b, c = z[:-2, :-2], z[:-2, 1:-1], z[:-2, 2:]
    d, f = z[1:-1, :-2], z[1:-1, 2:]
    g, h, i = z[2:, :-2], z[2:, 1:-1], z[2:, 2:]
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8.0 * dx_m)
    dzdy_north = ((a + 2 * b + c) - (g + 2 * h + i)) / (8.0 * dy_m)  # row 0 is north
    slope[1:-1, 1:-1] = np.degrees(np.arctan(np.hypot(dzdx, dzdy_north)))
    with np.errstate(invalid="ignore"):
        asp = np.degrees(np.arctan2(-dzdx, -dzdy_north)) % 360.0
    asp[(dzdx == 0) & (dzdy_north == 0)] = np.nan
    aspect[1:-1, 1:-1] = asp
    return slope, aspect


def downslope_unit_vector(slope_deg, aspect_deg):
    """East, north, up components of the unit vector pointing down the steepest slope."""
    s = np.radians(np.asarray(slope_deg, dtype=np.float64))
    a = np.radians(np.asarray(aspect_deg, dtype=np.float64))
    return np.cos(s) * np.sin(a), np.cos(s) * np.cos(a), -np.sin(s)


def downslope_sensitivity(los_east, los_north, los_up, slope_deg, aspect_deg):
    """Cosine C between the LOS (ground to satellite) and the downslope direction.

    ``C = u_los . u_downslope``; a downslope displacement ``s`` appears in LOS as ``C * s``.
    C < 0 means motion down the slope is seen moving away from the satellite (slopes facing
    away from the sensor, where the downward component adds to the horizontal one);
    |C| near 0 means the motion is nearly invisible (e.g. slopes facing the sensor, where
    the horizontal and downward components cancel, or slopes parallel to the orbit).
    """
    e, n, u = downslope_unit_vector(slope_deg, aspect_deg)
    return np.asarray(los_east) * e + np.asarray(los_north) * n + np.asarray(los_up) * u


def los_to_downslope(v_los, los_east, los_north, los_up, slope_deg, aspect_deg, *, min_sensitivity: float = 0.3):
    """Project LOS velocity onto the steepest-descent direction (V_SLOPE = V_LOS / C).

    Parameters
    ----------
    v_los : array_like
        LOS velocity (mm/yr) or displacement (mm), positive toward the satellite.
    los_east, los_north, los_up : array_like
        Ground-to-satellite unit vector (broadcastable).
    slope_deg, aspect_deg : array_like
        Terrain slope and aspect (downhill azimuth), degrees.
    min_sensitivity : float
        |C| below this gives NaN (the projection would amplify noise by more than 1/|C|).

    Returns
    -------
    v_slope, c : ndarray
        Downslope velocity (positive = moving downhill) and the sensitivity C.

    References
    ----------
    Notti D. et al. (2014), doi:10.1080/01431161.2014.894528; Cigna F. et al. (2012),
    doi:10.1016/j.rse.2011.03.004 (Ministero dell'Ambiente PST-A landslide mapping).
    """
    if not 0.0 < min_sensitivity <= 1.0:
        raise GeohazardError(f"min_sensitivity must be in (0, 1], got {min_sensitivity!r}")
    c = downslope_sensitivity(los_east, los_north, los_up, slope_deg, aspect_deg)
    v = np.asarray(v_los, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        v_slope = np.where(np.abs(c) >= min_sensitivity, v / c, np.nan)
    return v_slope, c
