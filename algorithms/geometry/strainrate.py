"""Horizontal strain rates from east and north velocity fields: a Gaussian-weighted local plane fit of each
component gives the velocity gradient, whose symmetric part is the strain rate and antisymmetric part the rotation.
From east and north displacements (mm) the same arithmetic gives strains (nanostrain) and rotations (nanoradians):
read "per year" away below.

Conventions (map frame: x east, y north; velocities in mm/yr, lengths in m, strain rates in nanostrain per year,
1 nanostrain/yr = 1e-9 /yr; a gradient of 1 mm/yr per km is 1,000 nanostrain/yr):

* velocity gradient ``L = [[dve/dx, dve/dy], [dvn/dx, dvn/dy]]``;
* strain rate ``exx = dve/dx``, ``eyy = dvn/dy``, ``exy = (dve/dy + dvn/dx) / 2`` (tensor shear, not engineering);
* dilatation rate ``exx + eyy`` (positive: areal expansion);
* principal rates ``e1 >= e2`` (extension positive), maximum shear rate ``(e1 - e2) / 2``;
* rotation rate ``omega = (dvn/dx - dve/dy) / 2``, positive counter-clockwise seen from above (nanoradians per year);
* azimuth of the ``e1`` axis: degrees clockwise from north in [0, 180); the ``e2`` axis is 90 degrees from it.

The local fit: at each site, ``v = a + b dx + c dy`` by weighted least squares over its neighbours within
``truncate`` sigmas (points: a circle; grids: along each axis, a square window the separable Gaussian sums in two
one-dimensional passes, whose corners beyond the circle weigh at most exp(-4.5) = 1.1 % of the centre), weights
``exp(-(dx^2 + dy^2) / (2 sigma^2))`` (zero for missing values). Nothing is mirrored at
the edges or beside gaps: the fit there is one-sided, and a site whose neighbours cannot hold a plane (too few,
or all on a line) is NaN. For a velocity field linear over the window the fit is exact; for a smooth field it is
the Gaussian-smoothed gradient (Shen Z.-K. et al. 2015 use the same distance weighting for GNSS networks).

References
----------
Shen Z.-K., Wang M., Zeng Y., Wang F. (2015) Optimal interpolation of spatially discretized geodetic data.
Bull. Seismol. Soc. Am. 105(4) 2117-2127, doi:10.1785/0120140247.
Savage J.C., Burford R.O. (1973) Geodetic determination of relative plate motion in central California.
J. Geophys. Res. 78(5) 832-845, doi:10.1029/JB078i005p00832 (the screw-dislocation profile the tests use).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import GeohazardError

#: mm/yr per m -> nanostrain per year.
NANOSTRAIN = 1e6
#: Sites within this many sigmas enter a site's fit.
TRUNCATE = 3.0
#: The output rasters: key -> (band descriptions, unit).
OUTPUTS = {"dilatation": (("dilatation_nstrain_yr",), "nanostrain/yr"),
           "max_shear": (("max_shear_nstrain_yr",), "nanostrain/yr"),
           "rotation": (("rotation_nrad_yr",), "nanoradian/yr"),
           "principal": (("azimuth_e1_deg", "azimuth_e2_deg", "e1_nstrain_yr", "e2_nstrain_yr"), "deg, nanostrain/yr")}


def output_specs(rate: bool = True) -> dict:
    """The output rasters, key -> (band descriptions, unit): :data:`OUTPUTS` for strain rates (from velocities,
    mm/yr), the same without "per year" for strains (from displacements, mm: the arithmetic is the same)."""
    if rate:
        return OUTPUTS
    return {k: (tuple(d.replace("_yr", "") for d in descs), unit.replace("/yr", ""))
            for k, (descs, unit) in OUTPUTS.items()}


def halo_rows(sigma_m: float, pixel_m: float) -> int:
    """Rows a block needs on each side: the kernel's radius, ``ceil(truncate sigma / pixel)``."""
    return int(math.ceil(TRUNCATE * sigma_m / pixel_m))


def check_smoothing(sigma_m: float, pixel_x_m: float = 0.0, pixel_y_m: float = 0.0, *,
                    name: str = "SMOOTHING_M") -> None:
    """Refuse a sigma that is not finite and positive, or, on a grid (pixel sizes given), below one pixel (no plane
    fits in a window of one pixel) or so wide that the kernel has more than 2,000 rows."""
    if not (math.isfinite(sigma_m) and sigma_m > 0):
        raise GeohazardError(f"{name} = {sigma_m!r}: the Gaussian sigma must be a positive length (m)")
    if not (pixel_x_m and pixel_y_m):
        return
    big = max(abs(pixel_x_m), abs(pixel_y_m))
    if sigma_m < big:
        raise GeohazardError(f"{name} = {sigma_m:g} m is smaller than the pixel ({big:g} m): a plane needs "
                             "neighbours; give at least one pixel, typically 2-5 pixels")
    if halo_rows(sigma_m, min(abs(pixel_x_m), abs(pixel_y_m))) > 2000:
        raise GeohazardError(f"{name} = {sigma_m:g} m spans more than 2,000 pixels; resample the velocities "
                             "to a coarser grid first")


def _kernels(sigma_m: float, pixel_m: float, sign: float):
    """The 1-D Gaussian weights and the weights times the offset (m, ``sign`` orients the axis) and its square."""
    radius = halo_rows(sigma_m, pixel_m)
    off = np.arange(-radius, radius + 1, dtype=np.float64) * pixel_m * sign
    g = np.exp(-0.5 * (off / sigma_m) ** 2)
    return g, g * off, g * off * off


def _plane_gradients(moments, rhs):
    """Gradients ``(b, c)`` of the weighted plane fits by Cramer's rule (no LAPACK: the same bits per pixel).

    ``moments = (s0, sx, sy, sxx, sxy, syy)``, ``rhs = (sv, sxv, syv)``; NaN where the normal matrix is singular
    relative to its scale."""
    s0, sx, sy, sxx, sxy, syy = moments
    sv, sxv, syv = rhs
    # cofactors of the symmetric 3 x 3 normal matrix [[s0, sx, sy], [sx, sxx, sxy], [sy, sxy, syy]]
    c00 = sxx * syy - sxy * sxy
    c01 = sy * sxy - sx * syy
    c02 = sx * sxy - sy * sxx
    c11 = s0 * syy - sy * sy
    c12 = sx * sy - s0 * sxy
    c22 = s0 * sxx - sx * sx
    det = s0 * c00 + sx * c01 + sy * c02
    with np.errstate(invalid="ignore", divide="ignore"):
        # a plane needs spread in both directions: det / (s0 (sxx syy)) is scale-free, ~1 for a full window
        ok = (s0 > 0) & (det > 1e-6 * s0 * sxx * syy) & (sxx > 0) & (syy > 0)
        b = (c01 * sv + c11 * sxv + c12 * syv) / det
        c = (c02 * sv + c12 * sxv + c22 * syv) / det
    return np.where(ok, b, np.nan), np.where(ok, c, np.nan)


def gradients_grid(east_mm_yr, north_mm_yr, *, pixel_x_m: float, pixel_y_m: float, sigma_m: float,
                   min_weight: float = 3.0):
    """Velocity gradients of gridded east and north velocities by a Gaussian-weighted local plane fit.

    Parameters
    ----------
    east_mm_yr, north_mm_yr : ndarray, shape (rows, cols)
        Velocities (mm/yr; NaN = missing) of a north-up grid; row 0 is the northernmost.
    pixel_x_m, pixel_y_m : float
        Pixel width and height (m, positive).
    sigma_m : float
        Gaussian sigma of the weights (m).
    min_weight : float
        Fewest effective neighbours (sum of weights, 1 at the centre) a fit needs; below it the site is NaN.

    Returns
    -------
    dict of ndarray
        ``dve_dx``, ``dve_dy``, ``dvn_dx``, ``dvn_dy`` in mm/yr per m; NaN where a velocity is missing or the fit
        is not determined. Rows beyond the array are treated as missing (a block reads its halo).
    """
    e = np.asarray(east_mm_yr, dtype=np.float64)
    n = np.asarray(north_mm_yr, dtype=np.float64)
    if e.shape != n.shape or e.ndim != 2:
        raise GeohazardError(f"the east velocities have shape {e.shape}, the north ones {n.shape}: expected the "
                             "same 2-D grid")
    valid = np.isfinite(e) & np.isfinite(n)
    m = valid.astype(np.float64)
    ev = np.where(valid, e, 0.0)
    nv = np.where(valid, n, 0.0)
    gx, gxx, gxxx = _kernels(sigma_m, abs(pixel_x_m), 1.0)   # columns: x grows east
    gy, gyy, gyyy = _kernels(sigma_m, abs(pixel_y_m), -1.0)  # rows: y grows north, row index south

    from scipy.ndimage import correlate1d  # scipy at the run, not at the plugin's start

    def sep(img, kx, ky):
        out = correlate1d(img, ky, axis=0, mode="constant", cval=0.0)
        return correlate1d(out, kx, axis=1, mode="constant", cval=0.0)

    moments = (sep(m, gx, gy), sep(m, gxx, gy), sep(m, gx, gyy), sep(m, gxxx, gy), sep(m, gxx, gyy),
               sep(m, gx, gyyy))
    out = {}
    for key, img in (("ve", ev), ("vn", nv)):
        rhs = (sep(img, gx, gy), sep(img, gxx, gy), sep(img, gx, gyy))
        b, c = _plane_gradients(moments, rhs)
        b[~valid | (moments[0] < min_weight)] = np.nan
        c[~valid | (moments[0] < min_weight)] = np.nan
        out[f"d{key}_dx"], out[f"d{key}_dy"] = b, c
    return out


#: Why a point of :func:`gradients_points` has (no) gradient: fitted; a coordinate or velocity missing; fewer
#: effective neighbours than ``min_weight`` within ``truncate`` sigmas; its neighbours on one line (or one spot).
FITTED, MISSING, FEW, ON_A_LINE = 0, 1, 2, 3


def gradients_points(x_m, y_m, east_mm_yr, north_mm_yr, *, sigma_m: float, min_weight: float = 3.0):
    """Velocity gradients at scattered points (GNSS, PS) by the same Gaussian-weighted plane fit over the points
    within ``truncate`` sigmas (``x_m``, ``y_m`` in a projected CRS). Returns the dict of :func:`gradients_grid`
    (arrays of the points' length) and ``reason``: why each point has (no) gradient (:data:`FITTED`, :data:`MISSING`,
    :data:`FEW`, :data:`ON_A_LINE`)."""
    from scipy.spatial import cKDTree

    x, y = np.asarray(x_m, np.float64), np.asarray(y_m, np.float64)
    e, n = np.asarray(east_mm_yr, np.float64), np.asarray(north_mm_yr, np.float64)
    valid = np.isfinite(x) & np.isfinite(y) & np.isfinite(e) & np.isfinite(n)
    out = {k: np.full(len(x), np.nan) for k in ("dve_dx", "dve_dy", "dvn_dx", "dvn_dy")}
    out["reason"] = np.where(valid, FEW, MISSING).astype(np.int8)
    idx = np.flatnonzero(valid)
    if len(idx) < 3:
        return out
    tree = cKDTree(np.column_stack([x[idx], y[idx]]))
    for k, neigh in zip(idx, tree.query_ball_point(np.column_stack([x[idx], y[idx]]), TRUNCATE * sigma_m)):
        j = idx[np.sort(np.asarray(neigh, dtype=np.int64))]
        dx, dy = x[j] - x[k], y[j] - y[k]
        w = np.exp(-0.5 * (dx * dx + dy * dy) / (sigma_m * sigma_m))
        moments = tuple(np.array([np.sum(t)]) for t in (w, w * dx, w * dy, w * dx * dx, w * dx * dy, w * dy * dy))
        if moments[0][0] < min_weight:
            continue
        out["reason"][k] = ON_A_LINE
        for key, v in (("ve", e[j]), ("vn", n[j])):
            rhs = tuple(np.array([np.sum(t)]) for t in (w * v, w * dx * v, w * dy * v))
            b, c = _plane_gradients(moments, rhs)
            out[f"d{key}_dx"][k], out[f"d{key}_dy"][k] = b[0], c[0]
        if np.isfinite(out["dve_dx"][k]):
            out["reason"][k] = FITTED
    return out


def network_problem(x_m, y_m, *, sigma_m: float, name: str) -> str:
    """Why no point of a network can hold a plane, for a refusal naming ``name``: the stations stand at fewer than
    3 distinct positions, on one line, or too far apart for ``sigma_m`` (with the spacing that would do)."""
    from scipy.spatial import cKDTree

    x, y = np.asarray(x_m, np.float64), np.asarray(y_m, np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    xy = np.unique(np.column_stack([x[ok], y[ok]]), axis=0)
    if len(xy) < 3:
        return (f"{name}: its {int(ok.sum())} stations with values stand at {len(xy)} distinct position(s): a strain "
                "rate needs at least 3 stations not on one line; remove the duplicates or add stations")
    centred = xy - xy.mean(axis=0)
    ev = np.linalg.eigvalsh(centred.T @ centred / len(xy))
    if ev[0] <= 1e-6 * ev[1]:
        return (f"{name}: its {len(xy)} stations lie on one line (a profile): the velocity gradient across the "
                "line is not determined; strain rates need stations spread in two directions")
    d = cKDTree(xy).query(xy, k=min(4, len(xy)))[0][:, -1]
    need = float(np.median(d)) / TRUNCATE
    return (f"{name}: no station has enough neighbours within 3 x SMOOTHING_M = {TRUNCATE * sigma_m:g} m to fit "
            f"a plane (the median distance to a station's third neighbour is {np.median(d):.4g} m): raise "
            f"SMOOTHING_M to at least {need:.4g} m, typically the network's station spacing")


def strain_from_gradients(grad: dict) -> dict:
    """Strain and rotation rates (nanostrain / nanoradians per year) and principal axes from the gradients of
    :func:`gradients_grid` (module docstring for the conventions): ``dilatation``, ``max_shear``, ``rotation``,
    ``e1``, ``e2``, ``azimuth_e1_deg``, ``azimuth_e2_deg``."""
    exx = grad["dve_dx"] * NANOSTRAIN
    eyy = grad["dvn_dy"] * NANOSTRAIN
    exy = 0.5 * (grad["dve_dy"] + grad["dvn_dx"]) * NANOSTRAIN
    rot = 0.5 * (grad["dvn_dx"] - grad["dve_dy"]) * NANOSTRAIN
    half = 0.5 * (exx - eyy)
    shear = np.hypot(half, exy)
    mean = 0.5 * (exx + eyy)
    # e1 axis at angle phi from east (counter-clockwise): tan(2 phi) = 2 exy / (exx - eyy); azimuth = 90 - phi
    phi = 0.5 * np.degrees(np.arctan2(exy, half))
    az1 = np.mod(90.0 - phi, 180.0)
    return {"dilatation": exx + eyy, "max_shear": shear, "rotation": rot, "e1": mean + shear, "e2": mean - shear,
            "azimuth_e1_deg": az1, "azimuth_e2_deg": np.mod(az1 + 90.0, 180.0)}


def strain_block(block, inputs, *, pixel_x_m: float, pixel_y_m: float, sigma_m: float, wanted=tuple(OUTPUTS)):
    """Block function: ``inputs["east"]``, ``inputs["north"]`` (mm/yr, the block's rows and its halo) ->
    the rasters of :data:`OUTPUTS` asked for (``wanted``), the block's own rows. The halo covers the kernel, and
    rows beyond the grid are missing values: the same bytes for any block layout."""
    grad = gradients_grid(inputs["east"], inputs["north"], pixel_x_m=pixel_x_m, pixel_y_m=pixel_y_m,
                          sigma_m=sigma_m)
    s = strain_from_gradients({k: v[block.core] for k, v in grad.items()})
    out = {"dilatation": s["dilatation"], "max_shear": s["max_shear"], "rotation": s["rotation"],
           "principal": np.stack([s["azimuth_e1_deg"], s["azimuth_e2_deg"], s["e1"], s["e2"]])}
    return {k: out[k].astype(np.float32) for k in wanted}


#: Bytes per pixel of a block: two inputs and their masks, 6 moments, 3 right-hand sides and the gradients
#: (float64), the strain terms and the float32 outputs.
BYTES_PER_PIXEL = 8.0 * 30
