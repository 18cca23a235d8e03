"""Okada rectangles of one plane summed over their shared corners, many stations at once (vectorised).

The displacement gradients that a Coulomb map needs at many stations: :func:`.okada_planes._plane_corners`'s
formulas (DC3D's finite source, Okada 1992 Tables 6-8, summed over the distinct corners of a plane with their
net slip) with the loops turned round: stations go in blocks of :data:`BLOCK_STATIONS`, and for every corner of
a plane the inner loop runs over the block's stations on contiguous arrays, which LLVM vectorises (AVX2 or
AVX-512: one corner for 4 or 8 stations per instruction). The transcendental functions are
:func:`.simd_math.vlog`/:func:`.simd_math.vatan` (plain IEEE arithmetic, so the loop vectorises and a station
gets the same bits in a vector lane or in the scalar remainder, on any x86 CPU); the kernels use numpy's
error model (a division by zero gives inf instead of raising, which is what lets LLVM vectorise the loop) and
no fast-math flags.

Every station's sums are taken corner by corner in the group's order and its groups in the table's order,
whatever the other stations of its block are: the result does not depend on the block size, the station's
position in a block or the thread count. Stations near a plane (:func:`.okada_planes._near_plane`) fall
back to patch-by-patch DC3D for that plane, as in :func:`.okada._sum_sources_kernel`.

All work arrays of a block live in one buffer at fixed offsets (multiples of :data:`BLOCK_STATIONS`), so
LLVM can prove that the accumulators do not overlap without run-time checks.
"""

from __future__ import annotations

import math

import numpy as np

from .._numba import njit, prange
from . import okada_dc3d as _ok
from .okada import _add_sources, _rotate_into
from .okada_planes import _near_plane
from .simd_math import vatan, vlog

#: Stations per block (the vector loops' length; 42 rows of it, 21 KB, stay in the L1 cache).
BLOCK_STATIONS = 64
_MB = BLOCK_STATIONS
_OX = 0
_OZ = _MB
_OP0 = 2 * _MB
_OQ0 = 3 * _MB
_OP1 = 4 * _MB
_OQ1 = 5 * _MB
_OSA = 6 * _MB
_OSB = 18 * _MB
_OSC = 30 * _MB
_NW = 42 * _MB
#: Blocks are taken in this many interleaved sequences (load balance between threads, see _gradients_body).
STRIPES = 16


@njit(error_model="numpy")
def _real_part_a(m, w, al, aw, s1, s2, s3, sd, cd, alp1, alp2):
    """Part A of the real source of one corner (net slip ``s1, s2, s3``) for the ``m`` stations in ``w``,
    added to the region ``_OSA``. A function of its own: LLVM vectorises its station loop when it is
    compiled alone (inside the corner loop it does not find the array bounds)."""
    k1 = s1 / _ok.PI2
    k2 = s2 / _ok.PI2
    k3 = s3 / _ok.PI2
    for j in range(m):
        x = w[_OX + j]
        p = w[_OP0 + j]
        q = w[_OQ0 + j]
        q2 = q * q
        xi = x - al
        if abs(xi) < _ok.EPS:
            xi = 0.0
        et = p - aw
        if abs(et) < _ok.EPS:
            et = 0.0
        xi2 = xi * xi
        et2 = et * et
        r2 = xi2 + et2 + q2
        r = math.sqrt(r2)
        r3 = r * r2
        yb = et * cd + q * sd
        db = et * sd - q * cd
        tt = vatan(xi * et / (q * r))
        rxi = r + xi
        alx = vlog(rxi)
        x11 = 1.0 / (r * rxi)
        x32 = (r + rxi) * x11 * x11 / r
        ret = r + et
        ale = vlog(ret)
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
        pa0 = pa1 = pa2 = pa3 = pa4 = pa5 = pa6 = pa7 = pa8 = pa9 = pa10 = pa11 = 0.0
        xy = xi * y11
        qx = q * x11
        qy = q * y11
        if s1 != 0.0:
            c = k1
            pa0 += c * (tt / 2.0 + alp2 * xi * qy)
            pa1 += c * (alp2 * q / r)
            pa2 += c * (alp1 * ale - alp2 * q * qy)
            pa3 += c * (-alp1 * qy - alp2 * xi2 * q * y32)
            pa4 += c * (-alp2 * xi * q / r3)
            pa5 += c * (alp1 * xy + alp2 * xi * q2 * y32)
            pa6 += c * (alp1 * xy * sd + alp2 * xi * fy + db / 2.0 * x11)
            pa7 += c * (alp2 * ey)
            pa8 += c * (alp1 * (cd / r + qy * sd) - alp2 * q * fy)
            pa9 += c * (alp1 * xy * cd + alp2 * xi * fz + yb / 2.0 * x11)
            pa10 += c * (alp2 * ez)
            pa11 += c * (-alp1 * (sd / r - qy * cd) - alp2 * q * fz)
        if s2 != 0.0:
            c = k2
            pa0 += c * (alp2 * q / r)
            pa1 += c * (tt / 2.0 + alp2 * et * qx)
            pa2 += c * (alp1 * alx - alp2 * q * qx)
            pa3 += c * (-alp2 * xi * q / r3)
            pa4 += c * (-qy / 2.0 - alp2 * et * q / r3)
            pa5 += c * (alp1 / r + alp2 * q2 / r3)
            pa6 += c * (alp2 * ey)
            pa7 += c * (alp1 * db * x11 + xy / 2.0 * sd + alp2 * et * gy)
            pa8 += c * (alp1 * yb * x11 - alp2 * q * gy)
            pa9 += c * (alp2 * ez)
            pa10 += c * (alp1 * yb * x11 + xy / 2.0 * cd + alp2 * et * gz)
            pa11 += c * (-alp1 * db * x11 - alp2 * q * gz)
        if s3 != 0.0:
            c = k3
            pa0 += c * (-alp1 * ale - alp2 * q * qy)
            pa1 += c * (-alp1 * alx - alp2 * q * qx)
            pa2 += c * (tt / 2.0 - alp2 * (et * qx + xi * qy))
            pa3 += c * (-alp1 * xy + alp2 * xi * q2 * y32)
            pa4 += c * (-alp1 / r + alp2 * q2 / r3)
            pa5 += c * (-alp1 * qy - alp2 * q * q2 * y32)
            pa6 += c * (-alp1 * (cd / r + qy * sd) - alp2 * q * fy)
            pa7 += c * (-alp1 * yb * x11 - alp2 * q * gy)
            pa8 += c * (alp1 * (db * x11 + xy * sd) + alp2 * q * hy)
            pa9 += c * (alp1 * (sd / r - qy * cd) - alp2 * q * fz)
            pa10 += c * (alp1 * db * x11 - alp2 * q * gz)
            pa11 += c * (alp1 * (yb * x11 + xy * cd) + alp2 * q * hz)
        w[_OSA + 0 * _MB + j] += pa0
        w[_OSA + 1 * _MB + j] += pa1
        w[_OSA + 2 * _MB + j] += pa2
        w[_OSA + 3 * _MB + j] += pa3
        w[_OSA + 4 * _MB + j] += pa4
        w[_OSA + 5 * _MB + j] += pa5
        w[_OSA + 6 * _MB + j] += pa6
        w[_OSA + 7 * _MB + j] += pa7
        w[_OSA + 8 * _MB + j] += pa8
        w[_OSA + 9 * _MB + j] += pa9
        w[_OSA + 10 * _MB + j] += pa10
        w[_OSA + 11 * _MB + j] += pa11


@njit(error_model="numpy")
def _image_parts_abc(m, w, al, aw, s1, s2, s3, sd, cd, alp1, alp2, alp3, alp4, alp5):
    """Parts A + B and C of the image source of one corner for the ``m`` stations in ``w``, added to the
    regions ``_OSB`` and ``_OSC`` (see :func:`_real_part_a`)."""
    k1 = s1 / _ok.PI2
    k2 = s2 / _ok.PI2
    k3 = s3 / _ok.PI2
    for j in range(m):
        x = w[_OX + j]
        z = w[_OZ + j]
        p = w[_OP1 + j]
        q = w[_OQ1 + j]
        q2 = q * q
        xi = x - al
        if abs(xi) < _ok.EPS:
            xi = 0.0
        et = p - aw
        if abs(et) < _ok.EPS:
            et = 0.0
        xi2 = xi * xi
        et2 = et * et
        r2 = xi2 + et2 + q2
        r = math.sqrt(r2)
        r3 = r * r2
        r5 = r3 * r2
        yb = et * cd + q * sd
        db = et * sd - q * cd
        tt = vatan(xi * et / (q * r))
        rxi = r + xi
        alx = vlog(rxi)
        x11 = 1.0 / (r * rxi)
        x32 = (r + rxi) * x11 * x11 / r
        ret = r + et
        ale = vlog(ret)
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
        pa0 = pa1 = pa2 = pa3 = pa4 = pa5 = pa6 = pa7 = pa8 = pa9 = pa10 = pa11 = 0.0
        xy = xi * y11
        qx = q * x11
        qy = q * y11
        if s1 != 0.0:
            c = k1
            pa0 += c * (tt / 2.0 + alp2 * xi * qy)
            pa1 += c * (alp2 * q / r)
            pa2 += c * (alp1 * ale - alp2 * q * qy)
            pa3 += c * (-alp1 * qy - alp2 * xi2 * q * y32)
            pa4 += c * (-alp2 * xi * q / r3)
            pa5 += c * (alp1 * xy + alp2 * xi * q2 * y32)
            pa6 += c * (alp1 * xy * sd + alp2 * xi * fy + db / 2.0 * x11)
            pa7 += c * (alp2 * ey)
            pa8 += c * (alp1 * (cd / r + qy * sd) - alp2 * q * fy)
            pa9 += c * (alp1 * xy * cd + alp2 * xi * fz + yb / 2.0 * x11)
            pa10 += c * (alp2 * ez)
            pa11 += c * (-alp1 * (sd / r - qy * cd) - alp2 * q * fz)
        if s2 != 0.0:
            c = k2
            pa0 += c * (alp2 * q / r)
            pa1 += c * (tt / 2.0 + alp2 * et * qx)
            pa2 += c * (alp1 * alx - alp2 * q * qx)
            pa3 += c * (-alp2 * xi * q / r3)
            pa4 += c * (-qy / 2.0 - alp2 * et * q / r3)
            pa5 += c * (alp1 / r + alp2 * q2 / r3)
            pa6 += c * (alp2 * ey)
            pa7 += c * (alp1 * db * x11 + xy / 2.0 * sd + alp2 * et * gy)
            pa8 += c * (alp1 * yb * x11 - alp2 * q * gy)
            pa9 += c * (alp2 * ez)
            pa10 += c * (alp1 * yb * x11 + xy / 2.0 * cd + alp2 * et * gz)
            pa11 += c * (-alp1 * db * x11 - alp2 * q * gz)
        if s3 != 0.0:
            c = k3
            pa0 += c * (-alp1 * ale - alp2 * q * qy)
            pa1 += c * (-alp1 * alx - alp2 * q * qx)
            pa2 += c * (tt / 2.0 - alp2 * (et * qx + xi * qy))
            pa3 += c * (-alp1 * xy + alp2 * xi * q2 * y32)
            pa4 += c * (-alp1 / r + alp2 * q2 / r3)
            pa5 += c * (-alp1 * qy - alp2 * q * q2 * y32)
            pa6 += c * (-alp1 * (cd / r + qy * sd) - alp2 * q * fy)
            pa7 += c * (-alp1 * yb * x11 - alp2 * q * gy)
            pa8 += c * (alp1 * (db * x11 + xy * sd) + alp2 * q * hy)
            pa9 += c * (alp1 * (sd / r - qy * cd) - alp2 * q * fz)
            pa10 += c * (alp1 * db * x11 - alp2 * q * gz)
            pa11 += c * (alp1 * (yb * x11 + xy * cd) + alp2 * q * hz)
        pb0 = pb1 = pb2 = pb3 = pb4 = pb5 = pb6 = pb7 = pb8 = pb9 = pb10 = pb11 = 0.0
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
                ai4 = 1.0 / cdcd * (xi / rd * sdcd + 2.0 * vatan(
                    (et * (xx + q * cd) + xx * (r + xx) * sd) / (xi * (r + xx) * cd)))
            ai3 = (yb * cd / rd - ale + sd * vlog(rd)) / cdcd
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
        ai2 = vlog(rd) + ai3 * sd
        ak2 = 1.0 / r + ak3 * sd
        ak4 = xy * cd - ak1 * sd
        aj1 = aj5 * cd - aj6 * sd
        aj4 = -xy - aj2 * cd + aj3 * sd
        qx = q * x11
        qy = q * y11
        if s1 != 0.0:
            c = k1
            pb0 += c * (-xi * qy - tt - alp3 * ai1 * sd)
            pb1 += c * (-q / r + alp3 * yb / rd * sd)
            pb2 += c * (q * qy - alp3 * ai2 * sd)
            pb3 += c * (xi2 * q * y32 - alp3 * aj1 * sd)
            pb4 += c * (xi * q / r3 - alp3 * aj2 * sd)
            pb5 += c * (-xi * q2 * y32 - alp3 * aj3 * sd)
            pb6 += c * (-xi * fy - db * x11 + alp3 * (xy + aj4) * sd)
            pb7 += c * (-ey + alp3 * (1.0 / r + aj5) * sd)
            pb8 += c * (q * fy - alp3 * (qy - aj6) * sd)
            pb9 += c * (-xi * fz - yb * x11 + alp3 * ak1 * sd)
            pb10 += c * (-ez + alp3 * yb * d11 * sd)
            pb11 += c * (q * fz + alp3 * ak2 * sd)
        if s2 != 0.0:
            c = k2
            pb0 += c * (-q / r + alp3 * ai3 * sdcd)
            pb1 += c * (-et * qx - tt - alp3 * xi / rd * sdcd)
            pb2 += c * (q * qx + alp3 * ai4 * sdcd)
            pb3 += c * (xi * q / r3 + alp3 * aj4 * sdcd)
            pb4 += c * (et * q / r3 + qy + alp3 * aj5 * sdcd)
            pb5 += c * (-q2 / r3 + alp3 * aj6 * sdcd)
            pb6 += c * (-ey + alp3 * aj1 * sdcd)
            pb7 += c * (-et * gy - xy * sd + alp3 * aj2 * sdcd)
            pb8 += c * (q * gy + alp3 * aj3 * sdcd)
            pb9 += c * (-ez - alp3 * ak3 * sdcd)
            pb10 += c * (-et * gz - xy * cd - alp3 * xi * d11 * sdcd)
            pb11 += c * (q * gz - alp3 * ak4 * sdcd)
        if s3 != 0.0:
            c = k3
            pb0 += c * (q * qy - alp3 * ai3 * sdsd)
            pb1 += c * (q * qx + alp3 * xi / rd * sdsd)
            pb2 += c * (et * qx + xi * qy - tt - alp3 * ai4 * sdsd)
            pb3 += c * (-xi * q2 * y32 - alp3 * aj4 * sdsd)
            pb4 += c * (-q2 / r3 - alp3 * aj5 * sdsd)
            pb5 += c * (q * q2 * y32 - alp3 * aj6 * sdsd)
            pb6 += c * (q * fy - alp3 * aj1 * sdsd)
            pb7 += c * (q * gy - alp3 * aj2 * sdsd)
            pb8 += c * (-q * hy - alp3 * aj3 * sdsd)
            pb9 += c * (q * fz + alp3 * ak3 * sdsd)
            pb10 += c * (q * gz + alp3 * xi * d11 * sdsd)
            pb11 += c * (-q * hz + alp3 * ak4 * sdsd)
        pc0 = pc1 = pc2 = pc3 = pc4 = pc5 = pc6 = pc7 = pc8 = pc9 = pc10 = pc11 = 0.0
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
            pc0 += k * (alp4 * xy * cd - alp5 * xi * q * z32)
            pc1 += k * (alp4 * (cd / r + 2.0 * qy * sd) - alp5 * cz * q / r3)
            pc2 += k * (alp4 * qy * cd - alp5 * (cz * et / r3 - z * y11 + xi2 * z32))
            pc3 += k * (alp4 * y0 * cd - alp5 * q * z0)
            pc4 += k * (-alp4 * xi * (cd / r3 + 2.0 * q * y32 * sd) + alp5 * cz * xi * qr)
            pc5 += k * (-alp4 * xi * q * y32 * cd + alp5 * xi * (3.0 * cz * et / r5 - qq))
            pc6 += k * (-alp4 * xi * ppy * cd - alp5 * xi * qqy)
            pc7 += k * (alp4 * 2.0 * (db / r3 - y0 * sd) * sd - yb / r3 * cd
                         - alp5 * (cdr * sd - et / r3 - cz * yb * qr))
            pc8 += k * (-alp4 * q / r3 + yy0 * sd + alp5 * (cdr * cd + cz * db * qr - (y0 * cd + q * z0) * sd))
            pc9 += k * (alp4 * xi * ppz * cd - alp5 * xi * qqz)
            pc10 += k * (alp4 * 2.0 * (yb / r3 - y0 * cd) * sd + db / r3 * cd
                         - alp5 * (cdr * cd + cz * db * qr))
            pc11 += k * (yy0 * cd - alp5 * (cdr * sd - cz * yb * qr - y0 * sdsd + q * z0 * cd))
        if s2 != 0.0:
            k = k2
            pc0 += k * (alp4 * cd / r - qy * sd - alp5 * cz * q / r3)
            pc1 += k * (alp4 * yb * x11 - alp5 * cz * et * q * x32)
            pc2 += k * (-db * x11 - xy * sd - alp5 * cz * (x11 - q2 * x32))
            pc3 += k * (-alp4 * xi / r3 * cd + alp5 * cz * xi * qr + xi * q * y32 * sd)
            pc4 += k * (-alp4 * yb / r3 + alp5 * cz * et * qr)
            pc5 += k * (db / r3 - y0 * sd + alp5 * cz / r3 * (1.0 - 3.0 * q2 / r2))
            pc6 += k * (-alp4 * et / r3 + y0 * sdsd - alp5 * (cdr * sd - cz * yb * qr))
            pc7 += k * (alp4 * (x11 - yb * yb * x32)
                        - alp5 * cz * ((db + 2.0 * q * cd) * x32 - yb * et * q * x53))
            pc8 += k * (xi * ppy * sd + yb * db * x32 + alp5 * cz * ((yb + 2.0 * q * sd) * x32 - yb * q2 * x53))
            pc9 += k * (-q / r3 + y0 * sdcd - alp5 * (cdr * cd + cz * db * qr))
            pc10 += k * (alp4 * yb * db * x32 - alp5 * cz * ((yb - 2.0 * q * sd) * x32 + db * et * q * x53))
            pc11 += k * (-xi * ppz * sd + x11 - db * db * x32
                          - alp5 * cz * ((db - 2.0 * q * cd) * x32 - db * q2 * x53))
        if s3 != 0.0:
            k = k3
            pc0 += k * (-alp4 * (sd / r + qy * cd) - alp5 * (z * y11 - q2 * z32))
            pc1 += k * (alp4 * 2.0 * xy * sd + db * x11 - alp5 * cz * (x11 - q2 * x32))
            pc2 += k * (alp4 * (yb * x11 + xy * cd) + alp5 * q * (cz * et * x32 + xi * z32))
            pc3 += k * (alp4 * xi / r3 * sd + xi * q * y32 * cd
                        + alp5 * xi * (3.0 * cz * et / r5 - 2.0 * z32 - z0))
            pc4 += k * (alp4 * 2.0 * y0 * sd - db / r3 + alp5 * cz / r3 * (1.0 - 3.0 * q2 / r2))
            pc5 += k * (-alp4 * yy0 - alp5 * (cz * et * qr - q * z0))
            pc6 += k * (alp4 * (q / r3 + y0 * sdcd) + alp5 * (z / r3 * cd + cz * db * qr - q * z0 * sd))
            pc7 += k * (-alp4 * 2.0 * xi * ppy * sd - yb * db * x32
                         + alp5 * cz * ((yb + 2.0 * q * sd) * x32 - yb * q2 * x53))
            pc8 += k * (-alp4 * (xi * ppy * cd - x11 + yb * yb * x32)
                         + alp5 * (cz * ((db + 2.0 * q * cd) * x32 - yb * et * q * x53) + xi * qqy))
            pc9 += k * (-et / r3 + y0 * cdcd - alp5 * (z / r3 * sd - cz * yb * qr - y0 * sdsd + q * z0 * cd))
            pc10 += k * (alp4 * 2.0 * xi * ppz * sd - x11 + db * db * x32
                          - alp5 * cz * ((db - 2.0 * q * cd) * x32 - db * q2 * x53))
            pc11 += k * (alp4 * (xi * ppz * cd + yb * db * x32)
                          + alp5 * (cz * ((yb - 2.0 * q * sd) * x32 + db * et * q * x53) + xi * qqz))
        w[_OSB + 0 * _MB + j] += pa0 + pb0
        w[_OSB + 1 * _MB + j] += pa1 + pb1
        w[_OSB + 2 * _MB + j] += pa2 + pb2
        w[_OSB + 3 * _MB + j] += pa3 + pb3
        w[_OSB + 4 * _MB + j] += pa4 + pb4
        w[_OSB + 5 * _MB + j] += pa5 + pb5
        w[_OSB + 6 * _MB + j] += pa6 + pb6
        w[_OSB + 7 * _MB + j] += pa7 + pb7
        w[_OSB + 8 * _MB + j] += pa8 + pb8
        w[_OSB + 9 * _MB + j] += pa9 + pb9
        w[_OSB + 10 * _MB + j] += pa10 + pb10
        w[_OSB + 11 * _MB + j] += pa11 + pb11
        w[_OSC + 0 * _MB + j] += pc0
        w[_OSC + 1 * _MB + j] += pc1
        w[_OSC + 2 * _MB + j] += pc2
        w[_OSC + 3 * _MB + j] += pc3
        w[_OSC + 4 * _MB + j] += pc4
        w[_OSC + 5 * _MB + j] += pc5
        w[_OSC + 6 * _MB + j] += pc6
        w[_OSC + 7 * _MB + j] += pc7
        w[_OSC + 8 * _MB + j] += pc8
        w[_OSC + 9 * _MB + j] += pc9
        w[_OSC + 10 * _MB + j] += pc10
        w[_OSC + 11 * _MB + j] += pc11


@njit(error_model="numpy")
def _real_part_a_grad(m, w, al, aw, s1, s2, s3, sd, cd, alp1, alp2):
    """:func:`_real_part_a` for the 9 derivatives only (rows 3-11): the displacement terms, and with them
    every ``atan`` and ``log`` of DC3D, are not computed (the derivatives use none of them, so they are
    the same bits as with the displacement)."""
    k1 = s1 / _ok.PI2
    k2 = s2 / _ok.PI2
    k3 = s3 / _ok.PI2
    for j in range(m):
        x = w[_OX + j]
        p = w[_OP0 + j]
        q = w[_OQ0 + j]
        q2 = q * q
        xi = x - al
        if abs(xi) < _ok.EPS:
            xi = 0.0
        et = p - aw
        if abs(et) < _ok.EPS:
            et = 0.0
        xi2 = xi * xi
        et2 = et * et
        r2 = xi2 + et2 + q2
        r = math.sqrt(r2)
        r3 = r * r2
        yb = et * cd + q * sd
        db = et * sd - q * cd
        tt = vatan(xi * et / (q * r))
        rxi = r + xi
        alx = vlog(rxi)
        x11 = 1.0 / (r * rxi)
        x32 = (r + rxi) * x11 * x11 / r
        ret = r + et
        ale = vlog(ret)
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
        pa0 = pa1 = pa2 = pa3 = pa4 = pa5 = pa6 = pa7 = pa8 = pa9 = pa10 = pa11 = 0.0
        xy = xi * y11
        qx = q * x11
        qy = q * y11
        if s1 != 0.0:
            c = k1
            pa0 += c * (tt / 2.0 + alp2 * xi * qy)
            pa1 += c * (alp2 * q / r)
            pa2 += c * (alp1 * ale - alp2 * q * qy)
            pa3 += c * (-alp1 * qy - alp2 * xi2 * q * y32)
            pa4 += c * (-alp2 * xi * q / r3)
            pa5 += c * (alp1 * xy + alp2 * xi * q2 * y32)
            pa6 += c * (alp1 * xy * sd + alp2 * xi * fy + db / 2.0 * x11)
            pa7 += c * (alp2 * ey)
            pa8 += c * (alp1 * (cd / r + qy * sd) - alp2 * q * fy)
            pa9 += c * (alp1 * xy * cd + alp2 * xi * fz + yb / 2.0 * x11)
            pa10 += c * (alp2 * ez)
            pa11 += c * (-alp1 * (sd / r - qy * cd) - alp2 * q * fz)
        if s2 != 0.0:
            c = k2
            pa0 += c * (alp2 * q / r)
            pa1 += c * (tt / 2.0 + alp2 * et * qx)
            pa2 += c * (alp1 * alx - alp2 * q * qx)
            pa3 += c * (-alp2 * xi * q / r3)
            pa4 += c * (-qy / 2.0 - alp2 * et * q / r3)
            pa5 += c * (alp1 / r + alp2 * q2 / r3)
            pa6 += c * (alp2 * ey)
            pa7 += c * (alp1 * db * x11 + xy / 2.0 * sd + alp2 * et * gy)
            pa8 += c * (alp1 * yb * x11 - alp2 * q * gy)
            pa9 += c * (alp2 * ez)
            pa10 += c * (alp1 * yb * x11 + xy / 2.0 * cd + alp2 * et * gz)
            pa11 += c * (-alp1 * db * x11 - alp2 * q * gz)
        if s3 != 0.0:
            c = k3
            pa0 += c * (-alp1 * ale - alp2 * q * qy)
            pa1 += c * (-alp1 * alx - alp2 * q * qx)
            pa2 += c * (tt / 2.0 - alp2 * (et * qx + xi * qy))
            pa3 += c * (-alp1 * xy + alp2 * xi * q2 * y32)
            pa4 += c * (-alp1 / r + alp2 * q2 / r3)
            pa5 += c * (-alp1 * qy - alp2 * q * q2 * y32)
            pa6 += c * (-alp1 * (cd / r + qy * sd) - alp2 * q * fy)
            pa7 += c * (-alp1 * yb * x11 - alp2 * q * gy)
            pa8 += c * (alp1 * (db * x11 + xy * sd) + alp2 * q * hy)
            pa9 += c * (alp1 * (sd / r - qy * cd) - alp2 * q * fz)
            pa10 += c * (alp1 * db * x11 - alp2 * q * gz)
            pa11 += c * (alp1 * (yb * x11 + xy * cd) + alp2 * q * hz)
        w[_OSA + 3 * _MB + j] += pa3
        w[_OSA + 4 * _MB + j] += pa4
        w[_OSA + 5 * _MB + j] += pa5
        w[_OSA + 6 * _MB + j] += pa6
        w[_OSA + 7 * _MB + j] += pa7
        w[_OSA + 8 * _MB + j] += pa8
        w[_OSA + 9 * _MB + j] += pa9
        w[_OSA + 10 * _MB + j] += pa10
        w[_OSA + 11 * _MB + j] += pa11


@njit(error_model="numpy")
def _image_parts_abc_grad(m, w, al, aw, s1, s2, s3, sd, cd, alp1, alp2, alp3, alp4, alp5):
    """:func:`_image_parts_abc` for the 9 derivatives only (see :func:`_real_part_a_grad`); part C's
    displacement rows are kept (DC3D's z-derivative takes them), they need no ``atan`` or ``log``."""
    k1 = s1 / _ok.PI2
    k2 = s2 / _ok.PI2
    k3 = s3 / _ok.PI2
    for j in range(m):
        x = w[_OX + j]
        z = w[_OZ + j]
        p = w[_OP1 + j]
        q = w[_OQ1 + j]
        q2 = q * q
        xi = x - al
        if abs(xi) < _ok.EPS:
            xi = 0.0
        et = p - aw
        if abs(et) < _ok.EPS:
            et = 0.0
        xi2 = xi * xi
        et2 = et * et
        r2 = xi2 + et2 + q2
        r = math.sqrt(r2)
        r3 = r * r2
        r5 = r3 * r2
        yb = et * cd + q * sd
        db = et * sd - q * cd
        tt = vatan(xi * et / (q * r))
        rxi = r + xi
        alx = vlog(rxi)
        x11 = 1.0 / (r * rxi)
        x32 = (r + rxi) * x11 * x11 / r
        ret = r + et
        ale = vlog(ret)
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
        pa0 = pa1 = pa2 = pa3 = pa4 = pa5 = pa6 = pa7 = pa8 = pa9 = pa10 = pa11 = 0.0
        xy = xi * y11
        qx = q * x11
        qy = q * y11
        if s1 != 0.0:
            c = k1
            pa0 += c * (tt / 2.0 + alp2 * xi * qy)
            pa1 += c * (alp2 * q / r)
            pa2 += c * (alp1 * ale - alp2 * q * qy)
            pa3 += c * (-alp1 * qy - alp2 * xi2 * q * y32)
            pa4 += c * (-alp2 * xi * q / r3)
            pa5 += c * (alp1 * xy + alp2 * xi * q2 * y32)
            pa6 += c * (alp1 * xy * sd + alp2 * xi * fy + db / 2.0 * x11)
            pa7 += c * (alp2 * ey)
            pa8 += c * (alp1 * (cd / r + qy * sd) - alp2 * q * fy)
            pa9 += c * (alp1 * xy * cd + alp2 * xi * fz + yb / 2.0 * x11)
            pa10 += c * (alp2 * ez)
            pa11 += c * (-alp1 * (sd / r - qy * cd) - alp2 * q * fz)
        if s2 != 0.0:
            c = k2
            pa0 += c * (alp2 * q / r)
            pa1 += c * (tt / 2.0 + alp2 * et * qx)
            pa2 += c * (alp1 * alx - alp2 * q * qx)
            pa3 += c * (-alp2 * xi * q / r3)
            pa4 += c * (-qy / 2.0 - alp2 * et * q / r3)
            pa5 += c * (alp1 / r + alp2 * q2 / r3)
            pa6 += c * (alp2 * ey)
            pa7 += c * (alp1 * db * x11 + xy / 2.0 * sd + alp2 * et * gy)
            pa8 += c * (alp1 * yb * x11 - alp2 * q * gy)
            pa9 += c * (alp2 * ez)
            pa10 += c * (alp1 * yb * x11 + xy / 2.0 * cd + alp2 * et * gz)
            pa11 += c * (-alp1 * db * x11 - alp2 * q * gz)
        if s3 != 0.0:
            c = k3
            pa0 += c * (-alp1 * ale - alp2 * q * qy)
            pa1 += c * (-alp1 * alx - alp2 * q * qx)
            pa2 += c * (tt / 2.0 - alp2 * (et * qx + xi * qy))
            pa3 += c * (-alp1 * xy + alp2 * xi * q2 * y32)
            pa4 += c * (-alp1 / r + alp2 * q2 / r3)
            pa5 += c * (-alp1 * qy - alp2 * q * q2 * y32)
            pa6 += c * (-alp1 * (cd / r + qy * sd) - alp2 * q * fy)
            pa7 += c * (-alp1 * yb * x11 - alp2 * q * gy)
            pa8 += c * (alp1 * (db * x11 + xy * sd) + alp2 * q * hy)
            pa9 += c * (alp1 * (sd / r - qy * cd) - alp2 * q * fz)
            pa10 += c * (alp1 * db * x11 - alp2 * q * gz)
            pa11 += c * (alp1 * (yb * x11 + xy * cd) + alp2 * q * hz)
        pb0 = pb1 = pb2 = pb3 = pb4 = pb5 = pb6 = pb7 = pb8 = pb9 = pb10 = pb11 = 0.0
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
                ai4 = 1.0 / cdcd * (xi / rd * sdcd + 2.0 * vatan(
                    (et * (xx + q * cd) + xx * (r + xx) * sd) / (xi * (r + xx) * cd)))
            ai3 = (yb * cd / rd - ale + sd * vlog(rd)) / cdcd
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
        ai2 = vlog(rd) + ai3 * sd
        ak2 = 1.0 / r + ak3 * sd
        ak4 = xy * cd - ak1 * sd
        aj1 = aj5 * cd - aj6 * sd
        aj4 = -xy - aj2 * cd + aj3 * sd
        qx = q * x11
        qy = q * y11
        if s1 != 0.0:
            c = k1
            pb0 += c * (-xi * qy - tt - alp3 * ai1 * sd)
            pb1 += c * (-q / r + alp3 * yb / rd * sd)
            pb2 += c * (q * qy - alp3 * ai2 * sd)
            pb3 += c * (xi2 * q * y32 - alp3 * aj1 * sd)
            pb4 += c * (xi * q / r3 - alp3 * aj2 * sd)
            pb5 += c * (-xi * q2 * y32 - alp3 * aj3 * sd)
            pb6 += c * (-xi * fy - db * x11 + alp3 * (xy + aj4) * sd)
            pb7 += c * (-ey + alp3 * (1.0 / r + aj5) * sd)
            pb8 += c * (q * fy - alp3 * (qy - aj6) * sd)
            pb9 += c * (-xi * fz - yb * x11 + alp3 * ak1 * sd)
            pb10 += c * (-ez + alp3 * yb * d11 * sd)
            pb11 += c * (q * fz + alp3 * ak2 * sd)
        if s2 != 0.0:
            c = k2
            pb0 += c * (-q / r + alp3 * ai3 * sdcd)
            pb1 += c * (-et * qx - tt - alp3 * xi / rd * sdcd)
            pb2 += c * (q * qx + alp3 * ai4 * sdcd)
            pb3 += c * (xi * q / r3 + alp3 * aj4 * sdcd)
            pb4 += c * (et * q / r3 + qy + alp3 * aj5 * sdcd)
            pb5 += c * (-q2 / r3 + alp3 * aj6 * sdcd)
            pb6 += c * (-ey + alp3 * aj1 * sdcd)
            pb7 += c * (-et * gy - xy * sd + alp3 * aj2 * sdcd)
            pb8 += c * (q * gy + alp3 * aj3 * sdcd)
            pb9 += c * (-ez - alp3 * ak3 * sdcd)
            pb10 += c * (-et * gz - xy * cd - alp3 * xi * d11 * sdcd)
            pb11 += c * (q * gz - alp3 * ak4 * sdcd)
        if s3 != 0.0:
            c = k3
            pb0 += c * (q * qy - alp3 * ai3 * sdsd)
            pb1 += c * (q * qx + alp3 * xi / rd * sdsd)
            pb2 += c * (et * qx + xi * qy - tt - alp3 * ai4 * sdsd)
            pb3 += c * (-xi * q2 * y32 - alp3 * aj4 * sdsd)
            pb4 += c * (-q2 / r3 - alp3 * aj5 * sdsd)
            pb5 += c * (q * q2 * y32 - alp3 * aj6 * sdsd)
            pb6 += c * (q * fy - alp3 * aj1 * sdsd)
            pb7 += c * (q * gy - alp3 * aj2 * sdsd)
            pb8 += c * (-q * hy - alp3 * aj3 * sdsd)
            pb9 += c * (q * fz + alp3 * ak3 * sdsd)
            pb10 += c * (q * gz + alp3 * xi * d11 * sdsd)
            pb11 += c * (-q * hz + alp3 * ak4 * sdsd)
        pc0 = pc1 = pc2 = pc3 = pc4 = pc5 = pc6 = pc7 = pc8 = pc9 = pc10 = pc11 = 0.0
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
            pc0 += k * (alp4 * xy * cd - alp5 * xi * q * z32)
            pc1 += k * (alp4 * (cd / r + 2.0 * qy * sd) - alp5 * cz * q / r3)
            pc2 += k * (alp4 * qy * cd - alp5 * (cz * et / r3 - z * y11 + xi2 * z32))
            pc3 += k * (alp4 * y0 * cd - alp5 * q * z0)
            pc4 += k * (-alp4 * xi * (cd / r3 + 2.0 * q * y32 * sd) + alp5 * cz * xi * qr)
            pc5 += k * (-alp4 * xi * q * y32 * cd + alp5 * xi * (3.0 * cz * et / r5 - qq))
            pc6 += k * (-alp4 * xi * ppy * cd - alp5 * xi * qqy)
            pc7 += k * (alp4 * 2.0 * (db / r3 - y0 * sd) * sd - yb / r3 * cd
                         - alp5 * (cdr * sd - et / r3 - cz * yb * qr))
            pc8 += k * (-alp4 * q / r3 + yy0 * sd + alp5 * (cdr * cd + cz * db * qr - (y0 * cd + q * z0) * sd))
            pc9 += k * (alp4 * xi * ppz * cd - alp5 * xi * qqz)
            pc10 += k * (alp4 * 2.0 * (yb / r3 - y0 * cd) * sd + db / r3 * cd
                         - alp5 * (cdr * cd + cz * db * qr))
            pc11 += k * (yy0 * cd - alp5 * (cdr * sd - cz * yb * qr - y0 * sdsd + q * z0 * cd))
        if s2 != 0.0:
            k = k2
            pc0 += k * (alp4 * cd / r - qy * sd - alp5 * cz * q / r3)
            pc1 += k * (alp4 * yb * x11 - alp5 * cz * et * q * x32)
            pc2 += k * (-db * x11 - xy * sd - alp5 * cz * (x11 - q2 * x32))
            pc3 += k * (-alp4 * xi / r3 * cd + alp5 * cz * xi * qr + xi * q * y32 * sd)
            pc4 += k * (-alp4 * yb / r3 + alp5 * cz * et * qr)
            pc5 += k * (db / r3 - y0 * sd + alp5 * cz / r3 * (1.0 - 3.0 * q2 / r2))
            pc6 += k * (-alp4 * et / r3 + y0 * sdsd - alp5 * (cdr * sd - cz * yb * qr))
            pc7 += k * (alp4 * (x11 - yb * yb * x32)
                        - alp5 * cz * ((db + 2.0 * q * cd) * x32 - yb * et * q * x53))
            pc8 += k * (xi * ppy * sd + yb * db * x32 + alp5 * cz * ((yb + 2.0 * q * sd) * x32 - yb * q2 * x53))
            pc9 += k * (-q / r3 + y0 * sdcd - alp5 * (cdr * cd + cz * db * qr))
            pc10 += k * (alp4 * yb * db * x32 - alp5 * cz * ((yb - 2.0 * q * sd) * x32 + db * et * q * x53))
            pc11 += k * (-xi * ppz * sd + x11 - db * db * x32
                          - alp5 * cz * ((db - 2.0 * q * cd) * x32 - db * q2 * x53))
        if s3 != 0.0:
            k = k3
            pc0 += k * (-alp4 * (sd / r + qy * cd) - alp5 * (z * y11 - q2 * z32))
            pc1 += k * (alp4 * 2.0 * xy * sd + db * x11 - alp5 * cz * (x11 - q2 * x32))
            pc2 += k * (alp4 * (yb * x11 + xy * cd) + alp5 * q * (cz * et * x32 + xi * z32))
            pc3 += k * (alp4 * xi / r3 * sd + xi * q * y32 * cd
                        + alp5 * xi * (3.0 * cz * et / r5 - 2.0 * z32 - z0))
            pc4 += k * (alp4 * 2.0 * y0 * sd - db / r3 + alp5 * cz / r3 * (1.0 - 3.0 * q2 / r2))
            pc5 += k * (-alp4 * yy0 - alp5 * (cz * et * qr - q * z0))
            pc6 += k * (alp4 * (q / r3 + y0 * sdcd) + alp5 * (z / r3 * cd + cz * db * qr - q * z0 * sd))
            pc7 += k * (-alp4 * 2.0 * xi * ppy * sd - yb * db * x32
                         + alp5 * cz * ((yb + 2.0 * q * sd) * x32 - yb * q2 * x53))
            pc8 += k * (-alp4 * (xi * ppy * cd - x11 + yb * yb * x32)
                         + alp5 * (cz * ((db + 2.0 * q * cd) * x32 - yb * et * q * x53) + xi * qqy))
            pc9 += k * (-et / r3 + y0 * cdcd - alp5 * (z / r3 * sd - cz * yb * qr - y0 * sdsd + q * z0 * cd))
            pc10 += k * (alp4 * 2.0 * xi * ppz * sd - x11 + db * db * x32
                          - alp5 * cz * ((db - 2.0 * q * cd) * x32 - db * q2 * x53))
            pc11 += k * (alp4 * (xi * ppz * cd + yb * db * x32)
                          + alp5 * (cz * ((yb - 2.0 * q * sd) * x32 + db * et * q * x53) + xi * qqz))
        w[_OSB + 3 * _MB + j] += pa3 + pb3
        w[_OSB + 4 * _MB + j] += pa4 + pb4
        w[_OSB + 5 * _MB + j] += pa5 + pb5
        w[_OSB + 6 * _MB + j] += pa6 + pb6
        w[_OSB + 7 * _MB + j] += pa7 + pb7
        w[_OSB + 8 * _MB + j] += pa8 + pb8
        w[_OSB + 9 * _MB + j] += pa9 + pb9
        w[_OSB + 10 * _MB + j] += pa10 + pb10
        w[_OSB + 11 * _MB + j] += pa11 + pb11
        w[_OSC + 0 * _MB + j] += pc0
        w[_OSC + 1 * _MB + j] += pc1
        w[_OSC + 2 * _MB + j] += pc2
        w[_OSC + 3 * _MB + j] += pc3
        w[_OSC + 4 * _MB + j] += pc4
        w[_OSC + 5 * _MB + j] += pc5
        w[_OSC + 6 * _MB + j] += pc6
        w[_OSC + 7 * _MB + j] += pc7
        w[_OSC + 8 * _MB + j] += pc8
        w[_OSC + 9 * _MB + j] += pc9
        w[_OSC + 10 * _MB + j] += pc10
        w[_OSC + 11 * _MB + j] += pc11




@njit(error_model="numpy")
def _corners_block(alpha, m, sd, cd, corners, c0, c1, disp, w):
    """Chinnery sums of one plane group over its distinct corners for ``m`` stations at once.

    The stations' Okada-frame coordinates are in ``w`` (regions ``_OX``, ``_OZ``, and p, q of the real
    and image source in ``_OP0``/``_OQ0``, ``_OP1``/``_OQ1``); the sums of part A (real source) and of parts
    A + B and C (image source) are added to the regions ``_OSA``, ``_OSB``, ``_OSC`` (12 rows each, DC3D's
    order). Corner by corner (outer loop), station by station (inner loops, vectorised): every station
    gets its corners added in the group's order whatever the other stations of the block are.
    The formulas are :func:`.okada_planes._plane_corners`'s with ``grad`` on; ``disp`` False skips the
    displacement terms of parts A and B (rows 0-2 of ``_OSA``, ``_OSB`` stay zero).
    """
    alp1 = (1.0 - alpha) / 2.0
    alp2 = alpha / 2.0
    alp3 = (1.0 - alpha) / alpha
    alp4 = 1.0 - alpha
    alp5 = alpha
    for ic in range(c0, c1):
        al = corners[ic, 0]
        aw = corners[ic, 1]
        s1 = corners[ic, 2]
        s2 = corners[ic, 3]
        s3 = corners[ic, 4]
        if disp:
            _real_part_a(m, w, al, aw, s1, s2, s3, sd, cd, alp1, alp2)
            _image_parts_abc(m, w, al, aw, s1, s2, s3, sd, cd, alp1, alp2, alp3, alp4, alp5)
        else:
            _real_part_a_grad(m, w, al, aw, s1, s2, s3, sd, cd, alp1, alp2)
            _image_parts_abc_grad(m, w, al, aw, s1, s2, s3, sd, cd, alp1, alp2, alp3, alp4, alp5)


@njit(error_model="numpy")
def _combine(w, j, z, sd, cd, out):
    """DC3D's final combination of the sums of station ``j`` (real part A, image parts A + B and C) into
    ``out[12]`` (displacement and 9 derivatives, Okada frame), as at the end of
    :func:`.okada_planes._plane_corners`."""
    for i0 in range(0, 12, 3):
        a0 = -w[_OSA + i0 * _MB + j]
        a1 = -w[_OSA + (i0 + 1) * _MB + j] * cd + w[_OSA + (i0 + 2) * _MB + j] * sd
        a2 = -w[_OSA + (i0 + 1) * _MB + j] * sd - w[_OSA + (i0 + 2) * _MB + j] * cd
        if i0 == 9:
            a0, a1, a2 = -a0, -a1, -a2
        sb0 = w[_OSB + i0 * _MB + j]
        sb1 = w[_OSB + (i0 + 1) * _MB + j]
        sb2 = w[_OSB + (i0 + 2) * _MB + j]
        sc0 = w[_OSC + i0 * _MB + j]
        sc1 = w[_OSC + (i0 + 1) * _MB + j]
        sc2 = w[_OSC + (i0 + 2) * _MB + j]
        b0 = sb0 + z * sc0
        b1 = (sb1 + z * sc1) * cd - (sb2 + z * sc2) * sd
        b2 = (sb1 - z * sc1) * sd + (sb2 - z * sc2) * cd
        if i0 == 9:
            b0 += w[_OSC + j]
            b1 += w[_OSC + _MB + j] * cd - w[_OSC + 2 * _MB + j] * sd
            b2 += -w[_OSC + _MB + j] * sd - w[_OSC + 2 * _MB + j] * cd
        out[i0] = a0 + b0
        out[i0 + 1] = a1 + b1
        out[i0 + 2] = a2 + b2


def _gradients_body(alpha, e, n, z, sources, groups, cstart, corners, mstart, members, rest, disp, out):
    """Displacement and 9 gradients (map frame) of all sources at every station, ``out[i, 12]``; NaN at
    stations singular for some source. Same sums as :func:`.okada._sum_sources_kernel` with ``grad`` and
    ``share`` on; blocks of :data:`BLOCK_STATIONS` stations, independent of each other. ``disp`` False:
    the displacement columns (0-2) are not computed and hold no meaning (the caller drops them)."""
    npts = e.shape[0]
    nblocks = (npts + _MB - 1) // _MB
    for b in prange(nblocks):
        # prange hands each thread a contiguous range of b: taking the blocks in STRIPES interleaved orders
        # spreads the costly ones (the per-patch fallback along the line where a plane crosses the depth of
        # the map) over the threads. Which thread computes a block does not change its values.
        per = (nblocks + STRIPES - 1) // STRIPES
        full = nblocks - (per - 1) * STRIPES  # stripes holding `per` blocks; the others hold per - 1
        if b < full * per:
            blk = (b % per) * STRIPES + b // per
        else:
            r = b - full * per
            blk = (r % (per - 1)) * STRIPES + full + r // (per - 1)
        i0 = blk * _MB
        mb = min(i0 + _MB, npts) - i0
        acc = np.zeros((_MB, 12))
        singular = np.zeros(_MB, dtype=np.bool_)
        w = np.zeros(_NW)
        idx = np.empty(_MB, dtype=np.int64)
        buf = np.zeros(12)
        scratch = np.empty((3, 12))
        for gi in range(groups.shape[0]):
            grp = groups[gi]
            depth = grp[2]
            sd = grp[5]
            cd = grp[6]
            m = 0
            for jj in range(mb):
                if singular[jj]:
                    continue
                i = i0 + jj
                de = e[i] - grp[0]
                dn = n[i] - grp[1]
                x = de * grp[3] + dn * grp[4]
                y = -de * grp[4] + dn * grp[3]
                if _near_plane(x, y, z[i], depth, sd, cd, grp, False):
                    singular[jj] = _add_sources(alpha, e[i], n[i], z[i], sources, members[mstart[gi]:mstart[gi + 1]],
                                                True, buf, scratch, acc[jj])
                    continue
                idx[m] = jj
                w[_OX + m] = x
                w[_OZ + m] = z[i]
                dd = depth + z[i]
                w[_OP0 + m] = y * cd + dd * sd
                w[_OQ0 + m] = y * sd - dd * cd
                dd = depth - z[i]
                w[_OP1 + m] = y * cd + dd * sd
                w[_OQ1 + m] = y * sd - dd * cd
                m += 1
            if m == 0:
                continue
            for k in range(_OSA, _NW):
                w[k] = 0.0
            _corners_block(alpha, m, sd, cd, corners, cstart[gi], cstart[gi + 1], disp, w)
            for j in range(m):
                _combine(w, j, w[_OZ + j], sd, cd, buf)
                _rotate_into(buf, grp[3], grp[4], True, acc[idx[j]], 1.0)
        for jj in range(mb):
            if not singular[jj]:
                singular[jj] = _add_sources(alpha, e[i0 + jj], n[i0 + jj], z[i0 + jj], sources, rest, True, buf,
                                            scratch, acc[jj])
            for k in range(12):
                out[i0 + jj, k] = math.nan if singular[jj] else acc[jj, k]


_gradients_kernel = njit(parallel=True, error_model="numpy")(_gradients_body)
