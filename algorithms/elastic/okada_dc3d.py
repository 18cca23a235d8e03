"""Okada's own routines DC3D (finite rectangle) and DC3D0 (point source) in an elastic half-space, and the
columns of the source table of the map-frame kernels (:mod:`.okada`, :mod:`.okada_planes`).

:func:`dc3d` and :func:`dc3d0` take Okada's argument lists (see :mod:`.okada`); the scalar numba parts
(:func:`_corner_geometry`, :func:`_part_a`, :func:`_part_b`, :func:`_part_c`, :func:`_dc3d_one` and the
point-source ones) are what the map-frame kernels call for one (point, source corner) pair. The maths follows
Okada (1992), Tables 6-8 (finite source) and 2-4 (point source); the code is our own.

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

EPS = 1.0e-6
PI2 = 2.0 * math.pi


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
    if abs(xi) < EPS:
        xi = 0.0
    if abs(et) < EPS:
        et = 0.0
    if abs(q) < EPS:
        q = 0.0
    xi2 = xi * xi
    et2 = et * et
    q2 = q * q
    r2 = xi2 + et2 + q2
    r = math.sqrt(r2)
    if r == 0.0:
        z = 0.0
        return (xi, et, q, xi2, et2, q2, r, r2, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z)
    r3 = r * r2
    r5 = r3 * r2
    yb = et * cd + q * sd  # y-bar
    db = et * sd - q * cd  # d-bar
    tt = 0.0 if q == 0.0 else math.atan(xi * et / (q * r))
    if kxi == 1:
        alx = -math.log(r - xi)
        x11 = 0.0
        x32 = 0.0
    else:
        rxi = r + xi
        alx = math.log(rxi)
        x11 = 1.0 / (r * rxi)
        x32 = (r + rxi) * x11 * x11 / r
    if ket == 1:
        ale = -math.log(r - et)
        y11 = 0.0
        y32 = 0.0
    else:
        ret = r + et
        ale = math.log(ret)
        y11 = 1.0 / (r * ret)
        y32 = (r + ret) * y11 * y11 / r
    ey = sd / r - yb * q / r3
    ez = cd / r + db * q / r3
    fy = db / r3 + xi2 * y32 * sd
    fz = yb / r3 + xi2 * y32 * cd
    gy = 2.0 * x11 * sd - yb * q * x32
    gz = 2.0 * x11 * cd + db * q * x32
    hy = db * q * x32 + xi * q * y32 * sd
    hz = yb * q * x32 + xi * q * y32 * cd
    return (xi, et, q, xi2, et2, q2, r, r2, r3, r5, yb, db, tt, alx, ale, x11, y11, x32, y32,
            ey, ez, fy, fz, gy, gz, hy, hz)


# --------------------------------------------------------------------------- part A
@njit
def _part_a(g, alp1, alp2, sd, cd, d1, d2, d3, grad, u):
    """Okada (1992) Table 6, part A (infinite-medium terms), 12 components / (2 pi)."""
    (xi, et, q, xi2, et2, q2, r, r2, r3, r5, yb, db, tt, alx, ale, x11, y11, x32, y32,
     ey, ez, fy, fz, gy, gz, hy, hz) = g
    xy = xi * y11
    qx = q * x11
    qy = q * y11
    u[:] = 0.0
    if d1 != 0.0:
        c = d1 / PI2
        u[0] += c * (tt / 2.0 + alp2 * xi * qy)
        u[1] += c * (alp2 * q / r)
        u[2] += c * (alp1 * ale - alp2 * q * qy)
        if grad:
            u[3] += c * (-alp1 * qy - alp2 * xi2 * q * y32)
            u[4] += c * (-alp2 * xi * q / r3)
            u[5] += c * (alp1 * xy + alp2 * xi * q2 * y32)
            u[6] += c * (alp1 * xy * sd + alp2 * xi * fy + db / 2.0 * x11)
            u[7] += c * (alp2 * ey)
            u[8] += c * (alp1 * (cd / r + qy * sd) - alp2 * q * fy)
            u[9] += c * (alp1 * xy * cd + alp2 * xi * fz + yb / 2.0 * x11)
            u[10] += c * (alp2 * ez)
            u[11] += c * (-alp1 * (sd / r - qy * cd) - alp2 * q * fz)
    if d2 != 0.0:
        c = d2 / PI2
        u[0] += c * (alp2 * q / r)
        u[1] += c * (tt / 2.0 + alp2 * et * qx)
        u[2] += c * (alp1 * alx - alp2 * q * qx)
        if grad:
            u[3] += c * (-alp2 * xi * q / r3)
            u[4] += c * (-qy / 2.0 - alp2 * et * q / r3)
            u[5] += c * (alp1 / r + alp2 * q2 / r3)
            u[6] += c * (alp2 * ey)
            u[7] += c * (alp1 * db * x11 + xy / 2.0 * sd + alp2 * et * gy)
            u[8] += c * (alp1 * yb * x11 - alp2 * q * gy)
            u[9] += c * (alp2 * ez)
            u[10] += c * (alp1 * yb * x11 + xy / 2.0 * cd + alp2 * et * gz)
            u[11] += c * (-alp1 * db * x11 - alp2 * q * gz)
    if d3 != 0.0:
        c = d3 / PI2
        u[0] += c * (-alp1 * ale - alp2 * q * qy)
        u[1] += c * (-alp1 * alx - alp2 * q * qx)
        u[2] += c * (tt / 2.0 - alp2 * (et * qx + xi * qy))
        if grad:
            u[3] += c * (-alp1 * xy + alp2 * xi * q2 * y32)
            u[4] += c * (-alp1 / r + alp2 * q2 / r3)
            u[5] += c * (-alp1 * qy - alp2 * q * q2 * y32)
            u[6] += c * (-alp1 * (cd / r + qy * sd) - alp2 * q * fy)
            u[7] += c * (-alp1 * yb * x11 - alp2 * q * gy)
            u[8] += c * (alp1 * (db * x11 + xy * sd) + alp2 * q * hy)
            u[9] += c * (alp1 * (sd / r - qy * cd) - alp2 * q * fz)
            u[10] += c * (alp1 * db * x11 - alp2 * q * gz)
            u[11] += c * (alp1 * (yb * x11 + xy * cd) + alp2 * q * hz)
    return u


# --------------------------------------------------------------------------- part B
@njit
def _part_b(g, alp3, sd, cd, d1, d2, d3, grad, u):
    """Okada (1992) Table 7, part B (surface-deformation terms), 12 components / (2 pi)."""
    (xi, et, q, xi2, et2, q2, r, r2, r3, r5, yb, db, tt, alx, ale, x11, y11, x32, y32,
     ey, ez, fy, fz, gy, gz, hy, hz) = g
    sdsd = sd * sd
    cdcd = cd * cd
    sdcd = sd * cd
    rd = r + db
    d11 = 1.0 / (r * rd)
    aj2 = xi * yb / rd * d11
    aj5 = -(db + yb * yb / rd) * d11
    if cd != 0.0:
        if xi == 0.0:
            ai4 = 0.0
        else:
            xx = math.sqrt(xi2 + q2)
            ai4 = 1.0 / cdcd * (xi / rd * sdcd
                                + 2.0 * math.atan((et * (xx + q * cd) + xx * (r + xx) * sd) / (xi * (r + xx) * cd)))
        ai3 = (yb * cd / rd - ale + sd * math.log(rd)) / cdcd
        ak1 = xi * (d11 - y11 * sd) / cd
        ak3 = (q * y11 - yb * d11) / cd
        aj3 = (ak1 - aj2 * sd) / cd
        aj6 = (ak3 - aj5 * sd) / cd
    else:
        rd2 = rd * rd
        ai3 = (et / rd + yb * q / rd2 - ale) / 2.0
        ai4 = xi * yb / rd2 / 2.0
        ak1 = xi * q / rd * d11
        ak3 = sd / rd * (xi2 * d11 - 1.0)
        aj3 = -xi / rd2 * (q2 * d11 - 0.5)
        aj6 = -yb / rd2 * (xi2 * d11 - 0.5)
    xy = xi * y11
    ai1 = -xi / rd * cd - ai4 * sd
    ai2 = math.log(rd) + ai3 * sd
    ak2 = 1.0 / r + ak3 * sd
    ak4 = xy * cd - ak1 * sd
    aj1 = aj5 * cd - aj6 * sd
    aj4 = -xy - aj2 * cd + aj3 * sd
    qx = q * x11
    qy = q * y11
    u[:] = 0.0
    if d1 != 0.0:
        c = d1 / PI2
        u[0] += c * (-xi * qy - tt - alp3 * ai1 * sd)
        u[1] += c * (-q / r + alp3 * yb / rd * sd)
        u[2] += c * (q * qy - alp3 * ai2 * sd)
        if grad:
            u[3] += c * (xi2 * q * y32 - alp3 * aj1 * sd)
            u[4] += c * (xi * q / r3 - alp3 * aj2 * sd)
            u[5] += c * (-xi * q2 * y32 - alp3 * aj3 * sd)
            u[6] += c * (-xi * fy - db * x11 + alp3 * (xy + aj4) * sd)
            u[7] += c * (-ey + alp3 * (1.0 / r + aj5) * sd)
            u[8] += c * (q * fy - alp3 * (qy - aj6) * sd)
            u[9] += c * (-xi * fz - yb * x11 + alp3 * ak1 * sd)
            u[10] += c * (-ez + alp3 * yb * d11 * sd)
            u[11] += c * (q * fz + alp3 * ak2 * sd)
    if d2 != 0.0:
        c = d2 / PI2
        u[0] += c * (-q / r + alp3 * ai3 * sdcd)
        u[1] += c * (-et * qx - tt - alp3 * xi / rd * sdcd)
        u[2] += c * (q * qx + alp3 * ai4 * sdcd)
        if grad:
            u[3] += c * (xi * q / r3 + alp3 * aj4 * sdcd)
            u[4] += c * (et * q / r3 + qy + alp3 * aj5 * sdcd)
            u[5] += c * (-q2 / r3 + alp3 * aj6 * sdcd)
            u[6] += c * (-ey + alp3 * aj1 * sdcd)
            u[7] += c * (-et * gy - xy * sd + alp3 * aj2 * sdcd)
            u[8] += c * (q * gy + alp3 * aj3 * sdcd)
            u[9] += c * (-ez - alp3 * ak3 * sdcd)
            u[10] += c * (-et * gz - xy * cd - alp3 * xi * d11 * sdcd)
            u[11] += c * (q * gz - alp3 * ak4 * sdcd)
    if d3 != 0.0:
        c = d3 / PI2
        u[0] += c * (q * qy - alp3 * ai3 * sdsd)
        u[1] += c * (q * qx + alp3 * xi / rd * sdsd)
        u[2] += c * (et * qx + xi * qy - tt - alp3 * ai4 * sdsd)
        if grad:
            u[3] += c * (-xi * q2 * y32 - alp3 * aj4 * sdsd)
            u[4] += c * (-q2 / r3 - alp3 * aj5 * sdsd)
            u[5] += c * (q * q2 * y32 - alp3 * aj6 * sdsd)
            u[6] += c * (q * fy - alp3 * aj1 * sdsd)
            u[7] += c * (q * gy - alp3 * aj2 * sdsd)
            u[8] += c * (-q * hy - alp3 * aj3 * sdsd)
            u[9] += c * (q * fz + alp3 * ak3 * sdsd)
            u[10] += c * (q * gz + alp3 * xi * d11 * sdsd)
            u[11] += c * (-q * hz + alp3 * ak4 * sdsd)
    return u


# --------------------------------------------------------------------------- part C
@njit
def _part_c(g, z, alp4, alp5, sd, cd, d1, d2, d3, grad, u):
    """Okada (1992) Table 8, part C (depth-dependent terms), 12 components / (2 pi)."""
    (xi, et, q, xi2, et2, q2, r, r2, r3, r5, yb, db, tt, alx, ale, x11, y11, x32, y32,
     ey, ez, fy, fz, gy, gz, hy, hz) = g
    sdsd = sd * sd
    cdcd = cd * cd
    sdcd = sd * cd
    c = db + z
    x53 = (8.0 * r2 + 9.0 * r * xi + 3.0 * xi2) * x11 * x11 * x11 / r2
    y53 = (8.0 * r2 + 9.0 * r * et + 3.0 * et2) * y11 * y11 * y11 / r2
    h = q * cd - z
    z32 = sd / r3 - h * y32
    z53 = 3.0 * sd / r5 - h * y53
    y0 = y11 - xi2 * y32
    z0 = z32 - xi2 * z53
    ppy = cd / r3 + q * y32 * sd
    ppz = sd / r3 - q * y32 * cd
    qq = z * y32 + z32 + z0
    qqy = 3.0 * c * db / r5 - qq * sd
    qqz = 3.0 * c * yb / r5 - qq * cd + q * y32
    xy = xi * y11
    qy = q * y11
    qr = 3.0 * q / r5
    cdr = (c + db) / r3
    yy0 = yb / r3 - y0 * cd
    u[:] = 0.0
    if d1 != 0.0:
        k = d1 / PI2
        u[0] += k * (alp4 * xy * cd - alp5 * xi * q * z32)
        u[1] += k * (alp4 * (cd / r + 2.0 * qy * sd) - alp5 * c * q / r3)
        u[2] += k * (alp4 * qy * cd - alp5 * (c * et / r3 - z * y11 + xi2 * z32))
        if grad:
            u[3] += k * (alp4 * y0 * cd - alp5 * q * z0)
            u[4] += k * (-alp4 * xi * (cd / r3 + 2.0 * q * y32 * sd) + alp5 * c * xi * qr)
            u[5] += k * (-alp4 * xi * q * y32 * cd + alp5 * xi * (3.0 * c * et / r5 - qq))
            u[6] += k * (-alp4 * xi * ppy * cd - alp5 * xi * qqy)
            u[7] += k * (alp4 * 2.0 * (db / r3 - y0 * sd) * sd - yb / r3 * cd
                         - alp5 * (cdr * sd - et / r3 - c * yb * qr))
            u[8] += k * (-alp4 * q / r3 + yy0 * sd + alp5 * (cdr * cd + c * db * qr - (y0 * cd + q * z0) * sd))
            u[9] += k * (alp4 * xi * ppz * cd - alp5 * xi * qqz)
            u[10] += k * (alp4 * 2.0 * (yb / r3 - y0 * cd) * sd + db / r3 * cd - alp5 * (cdr * cd + c * db * qr))
            u[11] += k * (yy0 * cd - alp5 * (cdr * sd - c * yb * qr - y0 * sdsd + q * z0 * cd))
    if d2 != 0.0:
        k = d2 / PI2
        u[0] += k * (alp4 * cd / r - qy * sd - alp5 * c * q / r3)
        u[1] += k * (alp4 * yb * x11 - alp5 * c * et * q * x32)
        u[2] += k * (-db * x11 - xy * sd - alp5 * c * (x11 - q2 * x32))
        if grad:
            u[3] += k * (-alp4 * xi / r3 * cd + alp5 * c * xi * qr + xi * q * y32 * sd)
            u[4] += k * (-alp4 * yb / r3 + alp5 * c * et * qr)
            u[5] += k * (db / r3 - y0 * sd + alp5 * c / r3 * (1.0 - 3.0 * q2 / r2))
            u[6] += k * (-alp4 * et / r3 + y0 * sdsd - alp5 * (cdr * sd - c * yb * qr))
            u[7] += k * (alp4 * (x11 - yb * yb * x32) - alp5 * c * ((db + 2.0 * q * cd) * x32 - yb * et * q * x53))
            u[8] += k * (xi * ppy * sd + yb * db * x32 + alp5 * c * ((yb + 2.0 * q * sd) * x32 - yb * q2 * x53))
            u[9] += k * (-q / r3 + y0 * sdcd - alp5 * (cdr * cd + c * db * qr))
            u[10] += k * (alp4 * yb * db * x32 - alp5 * c * ((yb - 2.0 * q * sd) * x32 + db * et * q * x53))
            u[11] += k * (-xi * ppz * sd + x11 - db * db * x32
                          - alp5 * c * ((db - 2.0 * q * cd) * x32 - db * q2 * x53))
    if d3 != 0.0:
        k = d3 / PI2
        u[0] += k * (-alp4 * (sd / r + qy * cd) - alp5 * (z * y11 - q2 * z32))
        u[1] += k * (alp4 * 2.0 * xy * sd + db * x11 - alp5 * c * (x11 - q2 * x32))
        u[2] += k * (alp4 * (yb * x11 + xy * cd) + alp5 * q * (c * et * x32 + xi * z32))
        if grad:
            u[3] += k * (alp4 * xi / r3 * sd + xi * q * y32 * cd + alp5 * xi * (3.0 * c * et / r5 - 2.0 * z32 - z0))
            u[4] += k * (alp4 * 2.0 * y0 * sd - db / r3 + alp5 * c / r3 * (1.0 - 3.0 * q2 / r2))
            u[5] += k * (-alp4 * yy0 - alp5 * (c * et * qr - q * z0))
            u[6] += k * (alp4 * (q / r3 + y0 * sdcd) + alp5 * (z / r3 * cd + c * db * qr - q * z0 * sd))
            u[7] += k * (-alp4 * 2.0 * xi * ppy * sd - yb * db * x32
                         + alp5 * c * ((yb + 2.0 * q * sd) * x32 - yb * q2 * x53))
            u[8] += k * (-alp4 * (xi * ppy * cd - x11 + yb * yb * x32)
                         + alp5 * (c * ((db + 2.0 * q * cd) * x32 - yb * et * q * x53) + xi * qqy))
            u[9] += k * (-et / r3 + y0 * cdcd - alp5 * (z / r3 * sd - c * yb * qr - y0 * sdsd + q * z0 * cd))
            u[10] += k * (alp4 * 2.0 * xi * ppz * sd - x11 + db * db * x32
                          - alp5 * c * ((db - 2.0 * q * cd) * x32 - db * q2 * x53))
            u[11] += k * (alp4 * (xi * ppz * cd + yb * db * x32)
                          + alp5 * (c * ((yb - 2.0 * q * sd) * x32 + db * et * q * x53) + xi * qqz))
    return u


# --------------------------------------------------------------------------- DC3D core
@njit
def _dc3d_one(alpha, x, y, z, depth, sd, cd, al1, al2, aw1, aw2, d1, d2, d3, grad, out, ua, ub, uc):
    """One station, one rectangle: fills ``out[12]`` in DC3D's order; returns iret."""
    for i in range(12):
        out[i] = 0.0
    if z > 0.0:
        return 2
    alp1 = (1.0 - alpha) / 2.0
    alp2 = alpha / 2.0
    alp3 = (1.0 - alpha) / alpha
    alp4 = 1.0 - alpha
    alp5 = alpha
    xi1 = x - al1
    xi2 = x - al2
    if abs(xi1) < EPS:
        xi1 = 0.0
    if abs(xi2) < EPS:
        xi2 = 0.0
    # At the free surface the real-source part A cancels the image part A for the
    # displacement; skipping both is exact and halves the work (Okada 1985's case).
    surface_disp_only = (z == 0.0) and (not grad)
    for image in range(2):
        if image == 0 and surface_disp_only:
            continue
        dd = depth + z if image == 0 else depth - z
        p = y * cd + dd * sd
        q = y * sd - dd * cd
        et1 = p - aw1
        et2 = p - aw2
        if abs(q) < EPS:
            q = 0.0
        if abs(et1) < EPS:
            et1 = 0.0
        if abs(et2) < EPS:
            et2 = 0.0
        # on a fault edge: singular
        if q == 0.0 and ((xi1 * xi2 <= 0.0 and et1 * et2 == 0.0) or (et1 * et2 <= 0.0 and xi1 * xi2 == 0.0)):
            for i in range(12):
                out[i] = 0.0
            return 1
        # on the negative extension of an edge: use the log(R - xi) branches
        r12 = math.sqrt(xi1 * xi1 + et2 * et2 + q * q)
        r21 = math.sqrt(xi2 * xi2 + et1 * et1 + q * q)
        r22 = math.sqrt(xi2 * xi2 + et2 * et2 + q * q)
        kxi1 = 1 if (xi1 < 0.0 and r21 + xi2 < EPS) else 0
        kxi2 = 1 if (xi1 < 0.0 and r22 + xi2 < EPS) else 0
        ket1 = 1 if (et1 < 0.0 and r12 + et2 < EPS) else 0
        ket2 = 1 if (et1 < 0.0 and r22 + et2 < EPS) else 0
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
                    # real source: mirror of the image terms (Okada 1992 eq. 13)
                    nc = 12 if grad else 3
                    for i0 in range(0, nc, 3):
                        a0 = -ua[i0]
                        a1 = -ua[i0 + 1] * cd + ua[i0 + 2] * sd
                        a2 = -ua[i0 + 1] * sd - ua[i0 + 2] * cd
                        if i0 == 9:
                            a0, a1, a2 = -a0, -a1, -a2
                        out[i0] += sign * a0
                        out[i0 + 1] += sign * a1
                        out[i0 + 2] += sign * a2
                else:
                    if surface_disp_only:
                        _part_b(g, alp3, sd, cd, d1, d2, d3, False, ub)
                        out[0] += sign * ub[0]
                        out[1] += sign * (ub[1] * cd - ub[2] * sd)
                        out[2] += sign * (ub[1] * sd + ub[2] * cd)
                        continue
                    _part_a(g, alp1, alp2, sd, cd, d1, d2, d3, grad, ua)
                    _part_b(g, alp3, sd, cd, d1, d2, d3, grad, ub)
                    _part_c(g, z, alp4, alp5, sd, cd, d1, d2, d3, grad, uc)
                    nc = 12 if grad else 3
                    for i0 in range(0, nc, 3):
                        b0 = ua[i0] + ub[i0] + z * uc[i0]
                        s1p = ua[i0 + 1] + ub[i0 + 1]
                        s2p = ua[i0 + 2] + ub[i0 + 2]
                        b1 = (s1p + z * uc[i0 + 1]) * cd - (s2p + z * uc[i0 + 2]) * sd
                        b2 = (s1p - z * uc[i0 + 1]) * sd + (s2p - z * uc[i0 + 2]) * cd
                        if i0 == 9:
                            b0 += uc[0]
                            b1 += uc[1] * cd - uc[2] * sd
                            b2 += -uc[1] * sd - uc[2] * cd
                        out[i0] += sign * b0
                        out[i0 + 1] += sign * b1
                        out[i0 + 2] += sign * b2
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
    alp1 = (1.0 - alpha) / 2.0
    alp2 = alpha / 2.0
    alp3 = (1.0 - alpha) / alpha
    alp4 = 1.0 - alpha
    alp5 = alpha
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
