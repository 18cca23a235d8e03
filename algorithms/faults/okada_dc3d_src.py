"""Okada's own routines DC3D (finite rectangle) and DC3D0 (point source) in an elastic half-space, and the
columns of the source table of the map-frame kernels (:mod:`.okada`, :mod:`.okada_planes`).

:func:`dc3d` and :func:`dc3d0` take Okada's argument lists (see :mod:`.okada`); the scalar numba parts
(:func:`_corner_geometry`, :func:`_part_a`, :func:`_part_b`, :func:`_part_c`, :func:`_dc3d_one` and the
point-source ones) are what the map-frame kernels call for one (point, source corner) pair. The maths follows
Okada (1992), Tables 6-8 (finite source) and 2-4 (point source); the code is our own. The finite source's terms
(parts A, B, C and the corner's slopes) are written once, as plain functions of :mod:`.dc3d_terms`, which the
kernels here call.

``okada_dc3d_src.py`` is this module as a reader edits it, the terms called as plain functions; ``make generate``
writes ``okada_dc3d.py`` from it, each call replaced by the term's body (``scripts/generate/okada_passes.py``).

References
----------
Okada, Y. (1992). Internal deformation due to shear and tensile faults in a half-space.
BSSA 82(2), 1018-1040. doi:10.1785/BSSA0820021018
"""

from __future__ import annotations

import math

import numpy as np

from .._numba import njit
from ..errors import GeohazardError
from .dc3d_terms import (
    EPS,
    PI2,
    dc3d_along_strike,
    dc3d_edges,
    dc3d_geometry,
    dc3d_image_terms,
    dc3d_radius,
    dc3d_real_terms,
    dc3d_surface_terms,
    medium_constants,
    part_a,
    part_b,
    part_c,
)


def alpha_from_poisson(poisson: float) -> float:
    """Okada's medium constant ``alpha = (lambda+mu)/(lambda+2mu) = 1/(2(1-nu))``."""
    if not 0.0 <= poisson < 0.5:
        raise GeohazardError(f"poisson must be in [0, 0.5), got {poisson}")
    return 1.0 / (2.0 * (1.0 - poisson))


# --------------------------------------------------------------------------- constants
@njit
def _dip_constants(dip_deg):
    """sin and cos of dip, with DC3D's rule: |cos| < 1e-6 is exactly a vertical fault."""
    sd = math.sin(math.radians(dip_deg))
    cd = math.cos(math.radians(dip_deg))
    if abs(cd) < EPS:
        cd = 0.0
        if sd > 0.0:
            sd = 1.0
        elif sd < 0.0:
            sd = -1.0
    return sd, cd


@njit
def _corner_geometry(xi, et, q, sd, cd, kxi, ket):
    """Station constants for one corner (xi, eta) of the rectangle (Okada 1992 eq. 14-16).

    ``kxi``/``ket`` select the ``-log(R - xi)`` / ``-log(R - eta)`` branch used on the
    negative extension of an edge, where ``R + xi`` or ``R + eta`` vanishes.
    Returns a tuple; ``r == 0`` means the corner coincides with the station.
    """
    xi, et, q, xi2, et2, q2, r2, r = dc3d_radius(xi, et, q)
    if r == 0.0:
        z = 0.0
        return (xi, et, q, xi2, et2, q2, r, r2, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z)
    r3, r5, yb, db, tt, alx, ale, x11, y11, x32, y32, ey, ez, fy, fz, gy, gz, hy, hz = dc3d_geometry(
        xi, et, q, xi2, r, r2, sd, cd, kxi, ket, math.atan, math.log)
    return (xi, et, q, xi2, et2, q2, r, r2, r3, r5, yb, db, tt, alx, ale, x11, y11, x32, y32,
            ey, ez, fy, fz, gy, gz, hy, hz)


# --------------------------------------------------------------------------- part A
@njit
def _part_a(g, alp1, alp2, sd, cd, d1, d2, d3, grad, u):
    """Okada (1992) Table 6, part A (infinite-medium terms), 12 components / (2 pi)."""
    (xi, et, q, xi2, et2, q2, r, r2, r3, r5, yb, db, tt, alx, ale, x11, y11, x32, y32,
     ey, ez, fy, fz, gy, gz, hy, hz) = g
    part_a(xi, et, q, q2, xi2, r, r3, tt, alx, ale, x11, y11, y32, ey, ez, fy, fz, gy, gz, hy, hz, yb, db, sd, cd,
           alp1, alp2, d1, d2, d3, d1 / PI2, d2 / PI2, d3 / PI2, grad, u)
    return u


# --------------------------------------------------------------------------- part B
@njit
def _part_b(g, alp3, sd, cd, d1, d2, d3, grad, u):
    """Okada (1992) Table 7, part B (surface-deformation terms), 12 components / (2 pi)."""
    (xi, et, q, xi2, et2, q2, r, r2, r3, r5, yb, db, tt, alx, ale, x11, y11, x32, y32,
     ey, ez, fy, fz, gy, gz, hy, hz) = g
    part_b(xi, et, q, q2, xi2, r, r3, tt, ale, x11, y11, y32, ey, ez, fy, fz, gy, gz, hy, hz, yb, db, sd, cd, alp3,
           d1, d2, d3, d1 / PI2, d2 / PI2, d3 / PI2, math.atan, math.log, grad, u)
    return u


# --------------------------------------------------------------------------- part C
@njit
def _part_c(g, z, alp4, alp5, sd, cd, d1, d2, d3, grad, u):
    """Okada (1992) Table 8, part C (depth-dependent terms), 12 components / (2 pi)."""
    (xi, et, q, xi2, et2, q2, r, r2, r3, r5, yb, db, tt, alx, ale, x11, y11, x32, y32,
     ey, ez, fy, fz, gy, gz, hy, hz) = g
    part_c(xi, et, q, q2, xi2, et2, r, r2, r3, r5, x11, y11, x32, y32, yb, db, sd, cd, z, alp4, alp5, d1, d2, d3,
           d1 / PI2, d2 / PI2, d3 / PI2, grad, u)
    return u


# --------------------------------------------------------------------------- DC3D core
@njit
def _dc3d_one(alpha, x, y, z, depth, sd, cd, al1, al2, aw1, aw2, d1, d2, d3, grad, out, ua, ub, uc):
    """One station, one rectangle: fills ``out[12]`` in DC3D's order; returns iret."""
    for i in range(12):
        out[i] = 0.0
    if z > 0.0:
        return 2
    alp1, alp2, alp3, alp4, alp5 = medium_constants(alpha)
    xi1, xi2 = dc3d_along_strike(x, al1, al2)
    # At the free surface the real-source part A cancels the image part A for the
    # displacement; skipping both is exact and halves the work (Okada 1985's case).
    surface_disp_only = (z == 0.0) and (not grad)
    for image in range(2):
        if image == 0 and surface_disp_only:
            continue
        dd = depth + z if image == 0 else depth - z
        q, et1, et2, on_edge, kxi1, kxi2, ket1, ket2 = dc3d_edges(y, dd, sd, cd, aw1, aw2, xi1, xi2)
        if on_edge:
            for i in range(12):
                out[i] = 0.0
            return 1
        for k in range(2):
            et = et1 if k == 0 else et2
            kx = kxi1 if k == 0 else kxi2
            for j in range(2):
                xi = xi1 if j == 0 else xi2
                ke = ket1 if j == 0 else ket2
                sign = -1.0 if j + k == 1 else 1.0
                g = _corner_geometry(xi, et, q, sd, cd, kx, ke)
                if image == 0:
                    _part_a(g, alp1, alp2, sd, cd, d1, d2, d3, grad, ua)
                    dc3d_real_terms(ua, sign, sd, cd, grad, out)
                else:
                    if surface_disp_only:
                        _part_b(g, alp3, sd, cd, d1, d2, d3, False, ub)
                        dc3d_surface_terms(ub, sign, sd, cd, out)
                        continue
                    _part_a(g, alp1, alp2, sd, cd, d1, d2, d3, grad, ua)
                    _part_b(g, alp3, sd, cd, d1, d2, d3, grad, ub)
                    _part_c(g, z, alp4, alp5, sd, cd, d1, d2, d3, grad, uc)
                    dc3d_image_terms(ua, ub, uc, sign, z, sd, cd, grad, out)
    return 0


@njit
def _dc3d_many(alpha, x, y, z, depth, dip, al1, al2, aw1, aw2, d1, d2, d3, out, iret):
    sd, cd = _dip_constants(dip)
    for i in range(x.shape[0]):
        ua = np.empty(12)
        ub = np.empty(12)
        uc = np.empty(12)
        iret[i] = _dc3d_one(alpha, x[i], y[i], z[i], depth, sd, cd, al1, al2, aw1, aw2, d1, d2, d3, True, out[i],
                            ua, ub, uc)


DC3D_NAMES = ("ux", "uy", "uz", "uxx", "uyx", "uzx", "uxy", "uyy", "uzy", "uxz", "uyz", "uzz")


def dc3d(alpha, x, y, z, depth, dip, al1, al2, aw1, aw2, disl1, disl2, disl3):
    """Okada (1992) DC3D: displacement and its derivatives for a finite rectangular source.

    Same arguments, units and outputs as Okada's Fortran ``DC3D``; ``x, y, z`` may be
    arrays (broadcast together); the fault parameters are scalars.

    Parameters
    ----------
    alpha : float
        ``(lambda + mu) / (lambda + 2 mu)``; 2/3 for a Poisson solid.
    x, y, z : float or array_like
        Station in the fault system (x along strike, z up, ``z <= 0``), same length
        unit as the fault dimensions.
    depth : float
        Depth (positive) of the reference point.
    dip : float
        Dip in degrees.
    al1, al2, aw1, aw2 : float
        Fault extent along strike ``[al1, al2]`` and along dip ``[aw1, aw2]`` (up-dip
        positive) from the reference point.
    disl1, disl2, disl3 : float
        Strike-slip (left-lateral +), dip-slip (reverse +) and tensile dislocations.

    Returns
    -------
    tuple of 13
        ``ux, uy, uz, uxx, uyx, uzx, uxy, uyy, uzy, uxz, uyz, uzz`` (``uij = du_i/dj``,
        unit of ``disl`` per unit length for derivatives) and ``iret`` (0 normal,
        1 singular on a fault edge, 2 positive z); all zero when ``iret != 0`` as in DC3D.

    References
    ----------
    Okada (1992), BSSA 82(2), 1018-1040, doi:10.1785/BSSA0820021018.
    """
    bx, by, bz = np.broadcast_arrays(np.asarray(x, float), np.asarray(y, float), np.asarray(z, float))
    shape = bx.shape
    fx, fy, fz = (np.array(a.ravel(), dtype=float) for a in (bx, by, bz))
    out = np.zeros((fx.size, 12))
    iret = np.zeros(fx.size, dtype=np.int64)
    _dc3d_many(float(alpha), fx, fy, fz, float(depth), float(dip), float(al1), float(al2), float(aw1), float(aw2),
               float(disl1), float(disl2), float(disl3), out, iret)
    comps = [out[:, i].reshape(shape) for i in range(12)]
    if shape == ():
        return tuple(float(c) for c in comps) + (int(iret[0]),)
    return tuple(comps) + (iret.reshape(shape),)


# --------------------------------------------------------------------------- DC3D0
@njit
def _point_geometry(x, y, d, sd, cd):
    """Station constants for the point source (Okada 1992 eq. 8-9)."""
    if abs(x) < EPS:
        x = 0.0
    if abs(y) < EPS:
        y = 0.0
    if abs(d) < EPS:
        d = 0.0
    p = y * cd + d * sd
    q = y * sd - d * cd
    s = p * sd + q * cd
    t = p * cd - q * sd
    xy = x * y
    x2 = x * x
    y2 = y * y
    d2 = d * d
    r2 = x2 + y2 + d2
    r = math.sqrt(r2)
    if r == 0.0:
        return (x, y, d, p, q, s, t, xy, x2, y2, d2, r, r2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    r3 = r * r2
    r5 = r3 * r2
    a3 = 1.0 - 3.0 * x2 / r2
    a5 = 1.0 - 5.0 * x2 / r2
    b3 = 1.0 - 3.0 * y2 / r2
    c3 = 1.0 - 3.0 * d2 / r2
    qr = 3.0 * q / r5
    qrx = 5.0 * qr * x / r2
    uy = sd - 5.0 * y * q / r2
    uz = cd + 5.0 * d * q / r2
    vy = s - 5.0 * y * p * q / r2
    vz = t + 5.0 * d * p * q / r2
    wy = uy + sd
    wz = uz + cd
    return (x, y, d, p, q, s, t, xy, x2, y2, d2, r, r2, r3, r5, qr, qrx, a3, a5, b3, c3, uy, vy, wy, uz, vz, wz, 0.0)


@njit
def _point_a(g, alp1, alp2, sd, cd, p1, p2, p3, p4, u):
    (x, y, d, p, q, s, t, xy, x2, y2, d2, r, r2, r3, r5, qr, qrx, a3, a5, b3, c3, uy, vy, wy, uz, vz, wz, _) = g
    s2d = 2.0 * sd * cd
    c2d = cd * cd - sd * sd
    u[:] = 0.0
    if p1 != 0.0:
        k = p1 / PI2
        u[0] += k * (alp1 * q / r3 + alp2 * x2 * qr)
        u[1] += k * (alp1 * x / r3 * sd + alp2 * xy * qr)
        u[2] += k * (-alp1 * x / r3 * cd + alp2 * x * d * qr)
        u[3] += k * (x * qr * (-alp1 + alp2 * (1.0 + a5)))
        u[4] += k * (alp1 * a3 / r3 * sd + alp2 * y * qr * a5)
        u[5] += k * (-alp1 * a3 / r3 * cd + alp2 * d * qr * a5)
        u[6] += k * (alp1 * (sd / r3 - y * qr) + alp2 * 3.0 * x2 / r5 * uy)
        u[7] += k * (3.0 * x / r5 * (-alp1 * y * sd + alp2 * (y * uy + q)))
        u[8] += k * (3.0 * x / r5 * (alp1 * y * cd + alp2 * d * uy))
        u[9] += k * (alp1 * (cd / r3 + d * qr) + alp2 * 3.0 * x2 / r5 * uz)
        u[10] += k * (3.0 * x / r5 * (alp1 * d * sd + alp2 * y * uz))
        u[11] += k * (3.0 * x / r5 * (-alp1 * d * cd + alp2 * (d * uz - q)))
    if p2 != 0.0:
        k = p2 / PI2
        u[0] += k * (alp2 * x * p * qr)
        u[1] += k * (alp1 * s / r3 + alp2 * y * p * qr)
        u[2] += k * (-alp1 * t / r3 + alp2 * d * p * qr)
        u[3] += k * (alp2 * p * qr * a5)
        u[4] += k * (-alp1 * 3.0 * x * s / r5 - alp2 * y * p * qrx)
        u[5] += k * (alp1 * 3.0 * x * t / r5 - alp2 * d * p * qrx)
        u[6] += k * (alp2 * 3.0 * x / r5 * vy)
        u[7] += k * (alp1 * (s2d / r3 - 3.0 * y * s / r5) + alp2 * (3.0 * y / r5 * vy + p * qr))
        u[8] += k * (-alp1 * (c2d / r3 - 3.0 * y * t / r5) + alp2 * 3.0 * d / r5 * vy)
        u[9] += k * (alp2 * 3.0 * x / r5 * vz)
        u[10] += k * (alp1 * (c2d / r3 + 3.0 * d * s / r5) + alp2 * 3.0 * y / r5 * vz)
        u[11] += k * (alp1 * (s2d / r3 - 3.0 * d * t / r5) + alp2 * (3.0 * d / r5 * vz - p * qr))
    if p3 != 0.0:
        k = p3 / PI2
        u[0] += k * (alp1 * x / r3 - alp2 * x * q * qr)
        u[1] += k * (alp1 * t / r3 - alp2 * y * q * qr)
        u[2] += k * (alp1 * s / r3 - alp2 * d * q * qr)
        u[3] += k * (alp1 * a3 / r3 - alp2 * q * qr * a5)
        u[4] += k * (-alp1 * 3.0 * x * t / r5 + alp2 * y * q * qrx)
        u[5] += k * (-alp1 * 3.0 * x * s / r5 + alp2 * d * q * qrx)
        u[6] += k * (-alp1 * 3.0 * xy / r5 - alp2 * x * qr * wy)
        u[7] += k * (alp1 * (c2d / r3 - 3.0 * y * t / r5) - alp2 * (y * wy + q) * qr)
        u[8] += k * (alp1 * (s2d / r3 - 3.0 * y * s / r5) - alp2 * d * qr * wy)
        u[9] += k * (alp1 * 3.0 * x * d / r5 - alp2 * x * qr * wz)
        u[10] += k * (-alp1 * (s2d / r3 - 3.0 * d * t / r5) - alp2 * y * qr * wz)
        u[11] += k * (alp1 * (c2d / r3 + 3.0 * d * s / r5) - alp2 * (d * wz - q) * qr)
    if p4 != 0.0:
        k = p4 / PI2
        v5 = alp1 * 3.0 * xy / r5
        v6 = alp1 * 3.0 * x * d / r5
        v9 = alp1 * 3.0 * y * d / r5
        u[0] += k * (-alp1 * x / r3)
        u[1] += k * (-alp1 * y / r3)
        u[2] += k * (-alp1 * d / r3)
        u[3] += k * (-alp1 * a3 / r3)
        u[4] += k * v5
        u[5] += k * v6
        u[6] += k * v5
        u[7] += k * (-alp1 * b3 / r3)
        u[8] += k * v9
        u[9] += k * (-v6)
        u[10] += k * (-v9)
        u[11] += k * (alp1 * c3 / r3)
    return u


@njit
def _point_b(g, z, alp3, sd, cd, p1, p2, p3, p4, u):
    (x, y, d, p, q, s, t, xy, x2, y2, d2, r, r2, r3, r5, qr, qrx, a3, a5, b3, c3, uy, vy, wy, uz, vz, wz, _) = g
    sdsd = sd * sd
    sdcd = sd * cd
    c = d + z
    rd = r + d
    d12 = 1.0 / (r * rd * rd)
    d32 = d12 * (2.0 * r + d) / r2
    d33 = d12 * (3.0 * r + d) / (r2 * rd)
    d53 = d12 * (8.0 * r2 + 9.0 * r * d + 3.0 * d2) / (r2 * r2 * rd)
    d54 = d12 * (5.0 * r2 + 4.0 * r * d + d2) / r3 * d12
    fi1 = y * (d12 - x2 * d33)
    fi2 = x * (d12 - y2 * d33)
    fi3 = x / r3 - fi2
    fi4 = -xy * d32
    fi5 = 1.0 / (r * rd) - x2 * d32
    fj1 = -3.0 * xy * (d33 - x2 * d54)
    fj2 = 1.0 / r3 - 3.0 * d12 + 3.0 * x2 * y2 * d54
    fj3 = a3 / r3 - fj2
    fj4 = -3.0 * xy / r5 - fj1
    fk1 = -y * (d32 - x2 * d53)
    fk2 = -x * (d32 - y2 * d53)
    fk3 = -3.0 * x * d / r5 - fk2
    u[:] = 0.0
    if p1 != 0.0:
        k = p1 / PI2
        u[0] += k * (-x2 * qr - alp3 * fi1 * sd)
        u[1] += k * (-xy * qr - alp3 * fi2 * sd)
        u[2] += k * (-c * x * qr - alp3 * fi4 * sd)
        u[3] += k * (-x * qr * (1.0 + a5) - alp3 * fj1 * sd)
        u[4] += k * (-y * qr * a5 - alp3 * fj2 * sd)
        u[5] += k * (-c * qr * a5 - alp3 * fk1 * sd)
        u[6] += k * (-3.0 * x2 / r5 * uy - alp3 * fj2 * sd)
        u[7] += k * (-3.0 * xy / r5 * uy - x * qr - alp3 * fj4 * sd)
        u[8] += k * (-3.0 * c * x / r5 * uy - alp3 * fk2 * sd)
        u[9] += k * (-3.0 * x2 / r5 * uz + alp3 * fk1 * sd)
        u[10] += k * (-3.0 * xy / r5 * uz + alp3 * fk2 * sd)
        u[11] += k * (3.0 * x / r5 * (-c * uz + alp3 * y * sd))
    if p2 != 0.0:
        k = p2 / PI2
        u[0] += k * (-x * p * qr + alp3 * fi3 * sdcd)
        u[1] += k * (-y * p * qr + alp3 * fi1 * sdcd)
        u[2] += k * (-c * p * qr + alp3 * fi5 * sdcd)
        u[3] += k * (-p * qr * a5 + alp3 * fj3 * sdcd)
        u[4] += k * (y * p * qrx + alp3 * fj1 * sdcd)
        u[5] += k * (c * p * qrx + alp3 * fk3 * sdcd)
        u[6] += k * (-3.0 * x / r5 * vy + alp3 * fj1 * sdcd)
        u[7] += k * (-3.0 * y / r5 * vy - p * qr + alp3 * fj2 * sdcd)
        u[8] += k * (-3.0 * c / r5 * vy + alp3 * fk1 * sdcd)
        u[9] += k * (-3.0 * x / r5 * vz - alp3 * fk3 * sdcd)
        u[10] += k * (-3.0 * y / r5 * vz - alp3 * fk1 * sdcd)
        u[11] += k * (-3.0 * c / r5 * vz + alp3 * a3 / r3 * sdcd)
    if p3 != 0.0:
        k = p3 / PI2
        u[0] += k * (x * q * qr - alp3 * fi3 * sdsd)
        u[1] += k * (y * q * qr - alp3 * fi1 * sdsd)
        u[2] += k * (c * q * qr - alp3 * fi5 * sdsd)
        u[3] += k * (q * qr * a5 - alp3 * fj3 * sdsd)
        u[4] += k * (-y * q * qrx - alp3 * fj1 * sdsd)
        u[5] += k * (-c * q * qrx - alp3 * fk3 * sdsd)
        u[6] += k * (x * qr * wy - alp3 * fj1 * sdsd)
        u[7] += k * (qr * (y * wy + q) - alp3 * fj2 * sdsd)
        u[8] += k * (c * qr * wy - alp3 * fk1 * sdsd)
        u[9] += k * (x * qr * wz + alp3 * fk3 * sdsd)
        u[10] += k * (y * qr * wz + alp3 * fk1 * sdsd)
        u[11] += k * (c * qr * wz - alp3 * a3 / r3 * sdsd)
    if p4 != 0.0:
        k = p4 / PI2
        v5 = -alp3 * 3.0 * xy / r5
        v6 = -alp3 * 3.0 * x * d / r5
        v9 = -alp3 * 3.0 * y * d / r5
        u[0] += k * (alp3 * x / r3)
        u[1] += k * (alp3 * y / r3)
        u[2] += k * (alp3 * d / r3)
        u[3] += k * (alp3 * a3 / r3)
        u[4] += k * v5
        u[5] += k * v6
        u[6] += k * v5
        u[7] += k * (alp3 * b3 / r3)
        u[8] += k * v9
        u[9] += k * (-v6)
        u[10] += k * (-v9)
        u[11] += k * (-alp3 * c3 / r3)
    return u


@njit
def _point_c(g, z, alp4, alp5, sd, cd, p1, p2, p3, p4, u):
    (x, y, d, p, q, s, t, xy, x2, y2, d2, r, r2, r3, r5, qr, qrx, a3, a5, b3, c3, uy, vy, wy, uz, vz, wz, _) = g
    sdsd = sd * sd
    sdcd = sd * cd
    s2d = 2.0 * sdcd
    c2d = cd * cd - sdsd
    c = d + z
    q2 = q * q
    r7 = r5 * r2
    a7 = 1.0 - 7.0 * x2 / r2
    b5 = 1.0 - 5.0 * y2 / r2
    b7 = 1.0 - 7.0 * y2 / r2
    c5 = 1.0 - 5.0 * d2 / r2
    c7 = 1.0 - 7.0 * d2 / r2
    d7 = 2.0 - 7.0 * q2 / r2
    qr5 = 5.0 * q / r2
    qr7 = 7.0 * q / r2
    dr5 = 5.0 * d / r2
    u[:] = 0.0
    if p1 != 0.0:
        k = p1 / PI2
        v5 = 3.0 / r5 * (alp4 * y * a5 * cd + alp5 * c * (a5 * sd - y * qr5 * a7))
        u[0] += k * (-alp4 * a3 / r3 * cd + alp5 * c * qr * a5)
        u[1] += k * (3.0 * x / r5 * (alp4 * y * cd + alp5 * c * (sd - y * qr5)))
        u[2] += k * (3.0 * x / r5 * (-alp4 * y * sd + alp5 * c * (cd + d * qr5)))
        u[3] += k * (alp4 * 3.0 * x / r5 * (2.0 + a5) * cd - alp5 * c * qrx * (2.0 + a7))
        u[4] += k * v5
        u[5] += k * (3.0 / r5 * (-alp4 * y * a5 * sd + alp5 * c * (a5 * cd + d * qr5 * a7)))
        u[6] += k * v5
        u[7] += k * (3.0 * x / r5 * (alp4 * b5 * cd - alp5 * 5.0 * c / r2 * (2.0 * y * sd + q * b7)))
        u[8] += k * (3.0 * x / r5 * (-alp4 * b5 * sd + alp5 * 5.0 * c / r2 * (d * b7 * sd - y * c7 * cd)))
        u[9] += k * (3.0 / r5 * (-alp4 * d * a5 * cd + alp5 * c * (a5 * cd + d * qr5 * a7)))
        u[10] += k * (15.0 * x / r7 * (alp4 * y * d * cd + alp5 * c * (d * b7 * sd - y * c7 * cd)))
        u[11] += k * (15.0 * x / r7 * (-alp4 * y * d * sd + alp5 * c * (2.0 * d * cd - q * c7)))
    if p2 != 0.0:
        k = p2 / PI2
        v5 = 3.0 * x / r5 * (alp4 * (c2d - 5.0 * y * t / r2) - alp5 * 5.0 * c / r2 * (s - y * p * qr7))
        u[0] += k * (alp4 * 3.0 * x * t / r5 - alp5 * c * p * qrx)
        u[1] += k * (-alp4 / r3 * (c2d - 3.0 * y * t / r2) + alp5 * 3.0 * c / r5 * (s - y * p * qr5))
        u[2] += k * (-alp4 * a3 / r3 * sdcd + alp5 * 3.0 * c / r5 * (t + d * p * qr5))
        u[3] += k * (alp4 * 3.0 * t / r5 * a5 - alp5 * 5.0 * c * p * qr / r2 * a7)
        u[4] += k * v5
        u[5] += k * (3.0 * x / r5 * (alp4 * (2.0 + a5) * sdcd - alp5 * 5.0 * c / r2 * (t + d * p * qr7)))
        u[6] += k * v5
        u[7] += k * (3.0 / r5 * (alp4 * (2.0 * y * c2d + t * b5) + alp5 * c * (s2d - 10.0 * y * s / r2 - p * qr5 * b7)))
        u[8] += k * (3.0 / r5 * (alp4 * y * a5 * sdcd - alp5 * c * ((3.0 + a5) * c2d + y * p * dr5 * qr7)))
        u[9] += k * (3.0 * x / r5 * (-alp4 * (s2d - t * dr5) - alp5 * 5.0 * c / r2 * (t + d * p * qr7)))
        u[10] += k * (3.0 / r5 * (-alp4 * (d * b5 * c2d + y * c5 * s2d)
                                  - alp5 * c * ((3.0 + a5) * c2d + y * p * dr5 * qr7)))
        u[11] += k * (3.0 / r5 * (-alp4 * d * a5 * sdcd - alp5 * c * (s2d - 10.0 * d * t / r2 + p * qr5 * c7)))
    if p3 != 0.0:
        k = p3 / PI2
        v5 = 3.0 * x / r5 * (-alp4 * (s2d - 5.0 * y * s / r2) - alp5 * 5.0 / r2 * (c * (t - y + y * q * qr7) - y * z))
        u[0] += k * (3.0 * x / r5 * (-alp4 * s + alp5 * (c * q * qr5 - z)))
        u[1] += k * (alp4 / r3 * (s2d - 3.0 * y * s / r2) + alp5 * 3.0 / r5 * (c * (t - y + y * q * qr5) - y * z))
        u[2] += k * (-alp4 / r3 * (1.0 - a3 * sdsd) - alp5 * 3.0 / r5 * (c * (s - d + d * q * qr5) - d * z))
        u[3] += k * (-alp4 * 3.0 * s / r5 * a5 + alp5 * (c * qr * qr5 * a7 - 3.0 * z / r5 * a5))
        u[4] += k * v5
        u[5] += k * (3.0 * x / r5 * (alp4 * (1.0 - (2.0 + a5) * sdsd)
                                     + alp5 * 5.0 / r2 * (c * (s - d + d * q * qr7) - d * z)))
        u[6] += k * v5
        u[7] += k * (3.0 / r5 * (-alp4 * (2.0 * y * s2d + s * b5)
                                 - alp5 * (c * (2.0 * sdsd + 10.0 * y * (t - y) / r2 - q * qr5 * b7) + z * b5)))
        u[8] += k * (3.0 / r5 * (alp4 * y * (1.0 - a5 * sdsd) + alp5 * (c * (3.0 + a5) * s2d - y * dr5 * (c * d7 + z))))
        u[9] += k * (3.0 * x / r5 * (-alp4 * (c2d + s * dr5) + alp5 * (5.0 * c / r2 * (s - d + d * q * qr7)
                                                                        - 1.0 - z * dr5)))
        u[10] += k * (3.0 / r5 * (alp4 * (d * b5 * s2d - y * c5 * c2d)
                                  + alp5 * (c * ((3.0 + a5) * s2d - y * dr5 * d7) - y * (1.0 + z * dr5))))
        u[11] += k * (3.0 / r5 * (-alp4 * d * (1.0 - a5 * sdsd)
                                  - alp5 * (c * (c2d + 10.0 * d * (s - d) / r2 - q * qr5 * c7) + z * (1.0 + c5))))
    if p4 != 0.0:
        k = p4 / PI2
        v5 = -alp4 * 15.0 * xy * d / r7
        v6 = -alp4 * 3.0 * x / r5 * c5
        v9 = -alp4 * 3.0 * y / r5 * c5
        u[0] += k * (alp4 * 3.0 * x * d / r5)
        u[1] += k * (alp4 * 3.0 * y * d / r5)
        u[2] += k * (alp4 * c3 / r3)
        u[3] += k * (alp4 * 3.0 * d / r5 * a5)
        u[4] += k * v5
        u[5] += k * v6
        u[6] += k * v5
        u[7] += k * (alp4 * 3.0 * d / r5 * b5)
        u[8] += k * v9
        u[9] += k * v6
        u[10] += k * v9
        u[11] += k * (alp4 * 3.0 * d / r5 * (2.0 + c5))
    return u


@njit
def _dc3d0_one(alpha, x, y, z, depth, sd, cd, p1, p2, p3, p4, out, ua, ub, uc):
    """One station, one point source: fills ``out[12]`` in DC3D0's order; returns iret."""
    for i in range(12):
        out[i] = 0.0
    if z > 0.0:
        return 2
    alp1, alp2, alp3, alp4, alp5 = medium_constants(alpha)
    g = _point_geometry(x, y, depth + z, sd, cd)
    if g[11] == 0.0:
        return 1
    _point_a(g, alp1, alp2, sd, cd, p1, p2, p3, p4, ua)
    for i in range(12):
        out[i] = -ua[i] if i < 9 else ua[i]
    g = _point_geometry(x, y, depth - z, sd, cd)
    _point_a(g, alp1, alp2, sd, cd, p1, p2, p3, p4, ua)
    _point_b(g, z, alp3, sd, cd, p1, p2, p3, p4, ub)
    _point_c(g, z, alp4, alp5, sd, cd, p1, p2, p3, p4, uc)
    for i in range(12):
        du = ua[i] + ub[i] + z * uc[i]
        if i >= 9:
            du += uc[i - 9]
        out[i] += du
    return 0


@njit
def _dc3d0_many(alpha, x, y, z, depth, dip, p1, p2, p3, p4, out, iret):
    sd, cd = _dip_constants(dip)
    for i in range(x.shape[0]):
        ua = np.empty(12)
        ub = np.empty(12)
        uc = np.empty(12)
        iret[i] = _dc3d0_one(alpha, x[i], y[i], z[i], depth, sd, cd, p1, p2, p3, p4, out[i], ua, ub, uc)


def dc3d0(alpha, x, y, z, depth, dip, pot1, pot2, pot3, pot4):
    """Okada (1992) DC3D0: displacement and derivatives for a point source.

    Parameters
    ----------
    alpha : float
        ``(lambda + mu) / (lambda + 2 mu)``.
    x, y, z : float or array_like
        Station in the source system (x along strike, z up, ``z <= 0``).
    depth : float
        Source depth (positive).
    dip : float
        Dip in degrees.
    pot1, pot2, pot3, pot4 : float
        Strike-slip, dip-slip and tensile potencies (moment / mu; tensile: intensity
        of the isotropic part / lambda) and inflation potency (intensity / mu), in
        length^3 (e.g. m^3).

    Returns
    -------
    tuple of 13
        As :func:`dc3d` (displacement in length units when the potency is length^3
        and coordinates in length units), with ``iret = 1`` at the source itself.

    References
    ----------
    Okada (1992), BSSA 82(2), 1018-1040, doi:10.1785/BSSA0820021018.
    """
    bx, by, bz = np.broadcast_arrays(np.asarray(x, float), np.asarray(y, float), np.asarray(z, float))
    shape = bx.shape
    fx, fy, fz = (np.array(a.ravel(), dtype=float) for a in (bx, by, bz))
    out = np.zeros((fx.size, 12))
    iret = np.zeros(fx.size, dtype=np.int64)
    _dc3d0_many(float(alpha), fx, fy, fz, float(depth), float(dip), float(pot1), float(pot2), float(pot3),
                float(pot4), out, iret)
    comps = [out[:, i].reshape(shape) for i in range(12)]
    if shape == ():
        return tuple(float(c) for c in comps) + (int(iret[0]),)
    return tuple(comps) + (iret.reshape(shape),)


# --------------------------------------------------------------------------- map frame
#: Columns of the source table used by the map-frame kernels (see faults.Faults.table).
SRC_COLUMNS = ("east_m", "north_m", "depth_m", "strike_deg", "dip_deg", "length_m", "width_m",
               "strike_slip_m", "dip_slip_m", "opening_m", "kind")
KIND_RECTANGLE = 0.0
KIND_POINT = 1.0
