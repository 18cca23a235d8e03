"""DC3D's finite-source terms (Okada 1992, Tables 6-8), written once as plain Python functions of one station.

Each function is one step of Okada's finite source at one corner ``(xi, eta)`` of a rectangle: the corner's geometry
(:func:`corner`; DC3D's own form with the branches on an edge's extension, :func:`dc3d_radius` and
:func:`dc3d_geometry`), the three parts A, B and C of Tables 6, 7 and 8 (:func:`part_a`, :func:`part_b`,
:func:`part_c`: 12 components each, displacement then derivatives, added to ``u`` after clearing it), and the sums
DC3D makes of them (:func:`dc3d_real_terms`, :func:`dc3d_image_terms`, :func:`dc3d_surface_terms`). A part's
derivative rows are computed ``if grad``.

These are what a reader edits. The kernels that use them (``okada_corners_src.py``, ``okada_dc3d_src.py``,
``okada_numpy_src.py``) call them as ordinary functions; ``scripts/generate`` (``make generate``) writes the modules
that run (:mod:`.okada_corners`, :mod:`.okada_dc3d`, :mod:`.okada_numpy`) with each call of a function marked
:func:`inline` replaced by its body (numba compiles DC3D's terms pasted into one fused loop in half the time of calls
to shared helpers, even inlined by numba), and in the numpy form each ``if`` on a station's value as ``np.where``.
Run as they are, on one station's floats, they give the compiled kernels' values (the tests do so).

References
----------
Okada, Y. (1992). Internal deformation due to shear and tensile faults in a half-space.
BSSA 82(2), 1018-1040. doi:10.1785/BSSA0820021018
"""

from __future__ import annotations

import math

EPS = 1.0e-6
PI2 = 2.0 * math.pi


def inline(function):
    """Marks a function whose calls ``scripts/generate`` replaces by its body (its arguments written for its
    parameters, an ``if`` on a constant argument kept or dropped, its returned names bound to the call's targets).
    Plain Python runs the function itself."""
    return function


@inline
def medium_constants(alpha):
    """Okada's constants of the medium from ``alpha = (lambda + mu) / (lambda + 2 mu)``."""
    alp1 = (1.0 - alpha) / 2.0
    alp2 = alpha / 2.0
    alp3 = (1.0 - alpha) / alpha
    alp4 = 1.0 - alpha
    alp5 = alpha
    return alp1, alp2, alp3, alp4, alp5


@inline
def slopes(sd, cd, q, xi, xi2, r, r3, yb, db, x11, x32, y32):
    """The corner geometry's slopes (Okada 1992, eq. 14-16: E, F, G, H and their y and z forms)."""
    ey = sd / r - yb * q / r3
    ez = cd / r + db * q / r3
    fy = db / r3 + xi2 * y32 * sd
    fz = yb / r3 + xi2 * y32 * cd
    gy = 2.0 * x11 * sd - yb * q * x32
    gz = 2.0 * x11 * cd + db * q * x32
    hy = db * q * x32 + xi * q * y32 * sd
    hz = yb * q * x32 + xi * q * y32 * cd
    return ey, ez, fy, fz, gy, gz, hy, hz


@inline
def corner(xi, et, q, q2, sd, cd, atan, log):
    """A corner's geometry off the fault's edges (``q != 0``, the ``log(R + xi)`` and ``log(R + eta)`` branches), as
    the shared-corner kernels take it; ``atan`` and ``log`` are the kernel's own."""
    xi2 = xi * xi
    et2 = et * et
    r2 = xi2 + et2 + q2
    r = math.sqrt(r2)
    r3 = r * r2
    r5 = r3 * r2
    yb = et * cd + q * sd
    db = et * sd - q * cd
    tt = atan(xi * et / (q * r))
    rxi = r + xi
    alx = log(rxi)
    x11 = 1.0 / (r * rxi)
    x32 = (r + rxi) * x11 * x11 / r
    ret = r + et
    ale = log(ret)
    y11 = 1.0 / (r * ret)
    y32 = (r + ret) * y11 * y11 / r
    ey, ez, fy, fz, gy, gz, hy, hz = slopes(sd, cd, q, xi, xi2, r, r3, yb, db, x11, x32, y32)
    return xi2, et2, r2, r, r3, r5, yb, db, tt, alx, ale, x11, y11, x32, y32, ey, ez, fy, fz, gy, gz, hy, hz


@inline
def part_a(xi, et, q, q2, xi2, r, r3, tt, alx, ale, x11, y11, y32, ey, ez, fy, fz, gy, gz, hy, hz, yb, db, sd, cd,
           alp1, alp2, s1, s2, s3, k1, k2, k3, grad, u):
    """Okada (1992) Table 6, part A (infinite-medium terms) of the dislocation ``s1, s2, s3`` (``k = s / 2 pi``)."""
    u[:] = 0.0
    xy = xi * y11
    qx = q * x11
    qy = q * y11
    if s1 != 0.0:
        c = k1
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
    if s2 != 0.0:
        c = k2
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
    if s3 != 0.0:
        c = k3
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


@inline
def part_b(xi, et, q, q2, xi2, r, r3, tt, ale, x11, y11, y32, ey, ez, fy, fz, gy, gz, hy, hz, yb, db, sd, cd, alp3,
           s1, s2, s3, k1, k2, k3, atan, log, grad, u):
    """Okada (1992) Table 7, part B (surface-deformation terms); ``atan`` and ``log`` are the kernel's own."""
    u[:] = 0.0
    sdsd = sd * sd
    cdcd = cd * cd
    sdcd = sd * cd
    rd = r + db
    ard = log(rd)
    d11 = 1.0 / (r * rd)
    aj2 = xi * yb / rd * d11
    aj5 = -(db + yb * yb / rd) * d11
    if cd != 0.0:
        if xi == 0.0:
            ai4 = 0.0
        else:
            xx = math.sqrt(xi2 + q2)
            ai4 = 1.0 / cdcd * (xi / rd * sdcd + 2.0 * atan(
                (et * (xx + q * cd) + xx * (r + xx) * sd) / (xi * (r + xx) * cd)))
        ai3 = (yb * cd / rd - ale + sd * ard) / cdcd
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
    ai2 = ard + ai3 * sd
    ak2 = 1.0 / r + ak3 * sd
    ak4 = xy * cd - ak1 * sd
    aj1 = aj5 * cd - aj6 * sd
    aj4 = -xy - aj2 * cd + aj3 * sd
    qx = q * x11
    qy = q * y11
    if s1 != 0.0:
        c = k1
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
    if s2 != 0.0:
        c = k2
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
    if s3 != 0.0:
        c = k3
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


@inline
def part_c(xi, et, q, q2, xi2, et2, r, r2, r3, r5, x11, y11, x32, y32, yb, db, sd, cd, z, alp4, alp5, s1, s2, s3,
           k1, k2, k3, grad, u):
    """Okada (1992) Table 8, part C (depth-dependent terms) at the station's height ``z``."""
    u[:] = 0.0
    sdsd = sd * sd
    cdcd = cd * cd
    sdcd = sd * cd
    cz = db + z
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
    qqy = 3.0 * cz * db / r5 - qq * sd
    qqz = 3.0 * cz * yb / r5 - qq * cd + q * y32
    xy = xi * y11
    qy = q * y11
    qr = 3.0 * q / r5
    cdr = (cz + db) / r3
    yy0 = yb / r3 - y0 * cd
    if s1 != 0.0:
        k = k1
        u[0] += k * (alp4 * xy * cd - alp5 * xi * q * z32)
        u[1] += k * (alp4 * (cd / r + 2.0 * qy * sd) - alp5 * cz * q / r3)
        u[2] += k * (alp4 * qy * cd - alp5 * (cz * et / r3 - z * y11 + xi2 * z32))
        if grad:
            u[3] += k * (alp4 * y0 * cd - alp5 * q * z0)
            u[4] += k * (-alp4 * xi * (cd / r3 + 2.0 * q * y32 * sd) + alp5 * cz * xi * qr)
            u[5] += k * (-alp4 * xi * q * y32 * cd + alp5 * xi * (3.0 * cz * et / r5 - qq))
            u[6] += k * (-alp4 * xi * ppy * cd - alp5 * xi * qqy)
            u[7] += k * (alp4 * 2.0 * (db / r3 - y0 * sd) * sd - yb / r3 * cd
                         - alp5 * (cdr * sd - et / r3 - cz * yb * qr))
            u[8] += k * (-alp4 * q / r3 + yy0 * sd + alp5 * (cdr * cd + cz * db * qr - (y0 * cd + q * z0) * sd))
            u[9] += k * (alp4 * xi * ppz * cd - alp5 * xi * qqz)
            u[10] += k * (alp4 * 2.0 * (yb / r3 - y0 * cd) * sd + db / r3 * cd
                          - alp5 * (cdr * cd + cz * db * qr))
            u[11] += k * (yy0 * cd - alp5 * (cdr * sd - cz * yb * qr - y0 * sdsd + q * z0 * cd))
    if s2 != 0.0:
        k = k2
        u[0] += k * (alp4 * cd / r - qy * sd - alp5 * cz * q / r3)
        u[1] += k * (alp4 * yb * x11 - alp5 * cz * et * q * x32)
        u[2] += k * (-db * x11 - xy * sd - alp5 * cz * (x11 - q2 * x32))
        if grad:
            u[3] += k * (-alp4 * xi / r3 * cd + alp5 * cz * xi * qr + xi * q * y32 * sd)
            u[4] += k * (-alp4 * yb / r3 + alp5 * cz * et * qr)
            u[5] += k * (db / r3 - y0 * sd + alp5 * cz / r3 * (1.0 - 3.0 * q2 / r2))
            u[6] += k * (-alp4 * et / r3 + y0 * sdsd - alp5 * (cdr * sd - cz * yb * qr))
            u[7] += k * (alp4 * (x11 - yb * yb * x32)
                         - alp5 * cz * ((db + 2.0 * q * cd) * x32 - yb * et * q * x53))
            u[8] += k * (xi * ppy * sd + yb * db * x32 + alp5 * cz * ((yb + 2.0 * q * sd) * x32 - yb * q2 * x53))
            u[9] += k * (-q / r3 + y0 * sdcd - alp5 * (cdr * cd + cz * db * qr))
            u[10] += k * (alp4 * yb * db * x32 - alp5 * cz * ((yb - 2.0 * q * sd) * x32 + db * et * q * x53))
            u[11] += k * (-xi * ppz * sd + x11 - db * db * x32
                          - alp5 * cz * ((db - 2.0 * q * cd) * x32 - db * q2 * x53))
    if s3 != 0.0:
        k = k3
        u[0] += k * (-alp4 * (sd / r + qy * cd) - alp5 * (z * y11 - q2 * z32))
        u[1] += k * (alp4 * 2.0 * xy * sd + db * x11 - alp5 * cz * (x11 - q2 * x32))
        u[2] += k * (alp4 * (yb * x11 + xy * cd) + alp5 * q * (cz * et * x32 + xi * z32))
        if grad:
            u[3] += k * (alp4 * xi / r3 * sd + xi * q * y32 * cd
                         + alp5 * xi * (3.0 * cz * et / r5 - 2.0 * z32 - z0))
            u[4] += k * (alp4 * 2.0 * y0 * sd - db / r3 + alp5 * cz / r3 * (1.0 - 3.0 * q2 / r2))
            u[5] += k * (-alp4 * yy0 - alp5 * (cz * et * qr - q * z0))
            u[6] += k * (alp4 * (q / r3 + y0 * sdcd) + alp5 * (z / r3 * cd + cz * db * qr - q * z0 * sd))
            u[7] += k * (-alp4 * 2.0 * xi * ppy * sd - yb * db * x32
                         + alp5 * cz * ((yb + 2.0 * q * sd) * x32 - yb * q2 * x53))
            u[8] += k * (-alp4 * (xi * ppy * cd - x11 + yb * yb * x32)
                         + alp5 * (cz * ((db + 2.0 * q * cd) * x32 - yb * et * q * x53) + xi * qqy))
            u[9] += k * (-et / r3 + y0 * cdcd - alp5 * (z / r3 * sd - cz * yb * qr - y0 * sdsd + q * z0 * cd))
            u[10] += k * (alp4 * 2.0 * xi * ppz * sd - x11 + db * db * x32
                          - alp5 * cz * ((db - 2.0 * q * cd) * x32 - db * q2 * x53))
            u[11] += k * (alp4 * (xi * ppz * cd + yb * db * x32)
                          + alp5 * (cz * ((yb - 2.0 * q * sd) * x32 + db * et * q * x53) + xi * qqz))


@inline
def surface_displacement(sab, sd, cd, out):
    """The displacement at the free surface from part B's sums ``sab`` (Okada frame; Okada 1985's case)."""
    out[0] = sab[0]
    out[1] = sab[1] * cd - sab[2] * sd
    out[2] = sab[1] * sd + sab[2] * cd


@inline
def dc3d_along_strike(x, al1, al2):
    """DC3D's distances along strike to the rectangle's ends, 0 within ``EPS``."""
    xi1 = x - al1
    xi2 = x - al2
    if abs(xi1) < EPS:
        xi1 = 0.0
    if abs(xi2) < EPS:
        xi2 = 0.0
    return xi1, xi2


@inline
def dc3d_edges(y, dd, sd, cd, aw1, aw2, xi1, xi2):
    """DC3D's distances along dip (0 within ``EPS``), whether the station is on an edge (singular), and whether it is
    on the negative extension of an edge, where the ``log(R - xi)`` / ``log(R - eta)`` branches are taken."""
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
    on_edge = (q == 0.0) & (((xi1 * xi2 <= 0.0) & (et1 * et2 == 0.0)) | ((et1 * et2 <= 0.0) & (xi1 * xi2 == 0.0)))
    r12 = math.sqrt(xi1 * xi1 + et2 * et2 + q * q)
    r21 = math.sqrt(xi2 * xi2 + et1 * et1 + q * q)
    r22 = math.sqrt(xi2 * xi2 + et2 * et2 + q * q)
    kxi1 = (xi1 < 0.0) & (r21 + xi2 < EPS)
    kxi2 = (xi1 < 0.0) & (r22 + xi2 < EPS)
    ket1 = (et1 < 0.0) & (r12 + et2 < EPS)
    ket2 = (et1 < 0.0) & (r22 + et2 < EPS)
    return q, et1, et2, on_edge, kxi1, kxi2, ket1, ket2


@inline
def dc3d_radius(xi, et, q):
    """A corner's distances (0 within ``EPS``) and radius ``R``."""
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
    return xi, et, q, xi2, et2, q2, r2, r


@inline
def dc3d_geometry(xi, et, q, xi2, r, r2, sd, cd, kxi, ket, atan, log):
    """A corner's geometry as DC3D takes it (Okada 1992 eq. 14-16): ``atan`` 0 on ``q == 0``, and on the negative
    extension of an edge (``kxi``, ``ket``) the ``-log(R - xi)`` / ``-log(R - eta)`` branches."""
    r3 = r * r2
    r5 = r3 * r2
    yb = et * cd + q * sd
    db = et * sd - q * cd
    if q == 0.0:
        tt = 0.0
    else:
        tt = atan(xi * et / (q * r))
    if kxi:
        alx = -log(r - xi)
        x11 = 0.0
        x32 = 0.0
    else:
        rxi = r + xi
        alx = log(rxi)
        x11 = 1.0 / (r * rxi)
        x32 = (r + rxi) * x11 * x11 / r
    if ket:
        ale = -log(r - et)
        y11 = 0.0
        y32 = 0.0
    else:
        ret = r + et
        ale = log(ret)
        y11 = 1.0 / (r * ret)
        y32 = (r + ret) * y11 * y11 / r
    ey, ez, fy, fz, gy, gz, hy, hz = slopes(sd, cd, q, xi, xi2, r, r3, yb, db, x11, x32, y32)
    return r3, r5, yb, db, tt, alx, ale, x11, y11, x32, y32, ey, ez, fy, fz, gy, gz, hy, hz


@inline
def dc3d_real_terms(ua, sign, sd, cd, grad, out):
    """The real source's part A added to ``out``: the mirror of the image terms (Okada 1992 eq. 13)."""
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


@inline
def dc3d_surface_terms(ub, sign, sd, cd, out):
    """Part B of the image source added to ``out`` at the free surface, displacement only."""
    out[0] += sign * ub[0]
    out[1] += sign * (ub[1] * cd - ub[2] * sd)
    out[2] += sign * (ub[1] * sd + ub[2] * cd)


@inline
def dc3d_image_terms(ua, ub, uc, sign, z, sd, cd, grad, out):
    """The image source's parts A + B and C added to ``out`` (Okada 1992 eq. 13)."""
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
