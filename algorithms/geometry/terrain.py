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
    return slope_aspect_metric(dem_m, dx_m, dy_m)


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


#: WGS84 semi-major axis (m) and first eccentricity squared.
WGS84_A_M = 6378137.0
WGS84_E2 = 6.69437999014e-3


def geographic_pixel_size_m(lat_deg, dlon_deg: float, dlat_deg: float):
    """Metric size of a geographic pixel at latitude ``lat_deg`` on the WGS84 ellipsoid.

    Parameters
    ----------
    lat_deg : float or ndarray
        Latitude of the pixel centre(s), degrees (e.g. one value per DEM row).
    dlon_deg, dlat_deg : float
        Pixel size in degrees of longitude and latitude (absolute values are used).

    Returns
    -------
    dx_m, dy_m : ndarray
        East-west and north-south pixel size in metres, same shape as ``lat_deg``.

    Notes
    -----
    ``dx = N cos(lat) dlon`` and ``dy = M dlat`` with the prime-vertical and meridional
    radii of curvature ``N = a / sqrt(1 - e2 sin^2 lat)``,
    ``M = a (1 - e2) / (1 - e2 sin^2 lat)^1.5``.
    """
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    w = 1.0 - WGS84_E2 * np.sin(lat) ** 2
    n = WGS84_A_M / np.sqrt(w)
    m = WGS84_A_M * (1.0 - WGS84_E2) / w ** 1.5
    return n * np.cos(lat) * np.radians(abs(dlon_deg)), m * np.radians(abs(dlat_deg))


def slope_aspect_metric(dem_m, dx_m, dy_m):
    """Horn slope and aspect with a pixel size that may change from row to row.

    Same as :func:`slope_aspect` but ``dx_m`` and ``dy_m`` may be arrays of shape
    ``(rows,)`` (one metric pixel size per DEM row), which is what a geographic DEM
    needs: ``dx`` shrinks with ``cos(latitude)``. Use :func:`geographic_pixel_size_m`
    to get them.

    Parameters
    ----------
    dem_m : ndarray, shape (rows, cols)
        Heights in metres, row 0 to the north; NaN allowed.
    dx_m, dy_m : float or ndarray of shape (rows,)
        Pixel size in metres along columns and rows, > 0.

    Returns
    -------
    slope_deg, aspect_deg : ndarray, shape (rows, cols)
        As :func:`slope_aspect` (edges and pixels next to NaN are NaN).
    """
    z = np.asarray(dem_m, dtype=np.float64)
    if z.ndim != 2:
        raise GeohazardError(f"dem_m must be 2-D, got shape {z.shape}")
    dx = np.broadcast_to(np.asarray(dx_m, dtype=np.float64), (z.shape[0],))
    dy = np.broadcast_to(np.asarray(dy_m, dtype=np.float64), (z.shape[0],))
    if not (np.all(dx > 0) and np.all(dy > 0)):
        raise GeohazardError(f"pixel size must be positive metres, got dx_m={dx_m!r}, dy_m={dy_m!r}")
    slope = np.full(z.shape, np.nan)
    aspect = np.full(z.shape, np.nan)
    if z.shape[0] < 3 or z.shape[1] < 3:
        return slope, aspect
    a, b, c = z[:-2, :-2], z[:-2, 1:-1], z[:-2, 2:]
    d, f = z[1:-1, :-2], z[1:-1, 2:]
    g, h, i = z[2:, :-2], z[2:, 1:-1], z[2:, 2:]
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8.0 * dx[1:-1, None])
    dzdy_north = ((a + 2 * b + c) - (g + 2 * h + i)) / (8.0 * dy[1:-1, None])
    slope[1:-1, 1:-1] = np.degrees(np.arctan(np.hypot(dzdx, dzdy_north)))
    with np.errstate(invalid="ignore"):
        asp = np.degrees(np.arctan2(-dzdx, -dzdy_north)) % 360.0
    asp[(dzdx == 0) & (dzdy_north == 0)] = np.nan
    aspect[1:-1, 1:-1] = asp
    return slope, aspect
