"""DC3D's finite source (Okada 1992, Tables 6-8) summed over the distinct corners of a plane: the corner kernels.

:func:`_plane_corners` sums a plane group's corners for one station (the map-frame kernel of :mod:`.okada`,
through :mod:`.okada_planes`); :func:`_real_part_a` and :func:`_image_parts_abc` do it for a block of stations
(:mod:`.okada_block`, the station loop vectorised), and their ``_grad`` twins for the 9 derivatives only. Each
kernel is one fused loop with scalar accumulators, which is what makes the shared corners pay: written as numba
functions calling shared helpers (``inline="always"``) they took more than twice the CPU time to compile.

``okada_corners_src.py`` is this module as a reader edits it: the kernels call DC3D's terms (:mod:`.dc3d_terms`) as
plain functions, a corner's parts A, B and C held in arrays of 12; ``make generate`` writes ``okada_corners.py`` from
it (``scripts/generate/okada_passes.py``), each call replaced by the term's body, each part's rows 12 scalars, an
``if`` on a constant argument (``grad`` True in the block kernels, ``disp`` False in their ``_grad`` twins) reduced to
the branch taken: the fused loops numba compiles. The one-station kernel computes the derivative rows ``if grad``,
the block kernels always, and the block kernels' ``_grad`` twins do not store the displacement rows (LLVM then drops
every ``atan`` and ``log``).
"""

from __future__ import annotations

import math

import numpy as np

from .._numba import njit
from . import okada_dc3d as _ok
from .dc3d_terms import corner, inline, medium_constants, part_a, part_b, part_c, surface_displacement
from .simd_math import vatan, vlog

#: Stations per block of :mod:`.okada_block` (the vector loops' length; 42 rows of it, 21 KB, stay in the L1
#: cache). A block's work arrays live in one buffer at these fixed offsets (multiples of the block), so LLVM can
#: prove that the accumulators do not overlap without run-time checks: the stations' x and z, p and q of the
#: real and of the image source, then the sums of part A (real source), parts A + B and part C (image source),
#: 12 rows each in DC3D's order.
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


@njit
def _plane_corners(alpha, x, y, z, grp, corners, c0, c1, grad, surface_disp_only, out, sa, sab, sc):
    """Chinnery sum of one plane group over its distinct corners (regular branches), Okada frame.

    Same result as summing :func:`_dc3d_one` over the group's patches when
    :func:`_near_plane` is False (then ``q != 0``, ``R > 0`` and DC3D takes the
    ``log(R + xi)``, ``log(R + eta)`` branches at every corner). The formulas are those of
    :func:`_corner_geometry`, :func:`_part_a`, :func:`_part_b` and :func:`_part_c`, fused
    into one loop with scalar accumulators (plain IEEE arithmetic, no fast-math flags: FMA
    contraction and reordered sums would give other bits on another CPU; see
    docs/architecture.md, "Determinism"); same values to ~1e-12 of the maximum.
    Fills ``out[12]`` in DC3D's order.
    """
    depth = grp[2]
    sd = grp[5]
    cd = grp[6]
    alp1, alp2, alp3, alp4, alp5 = medium_constants(alpha)
    nc = 12 if grad else 3
    sa0 = sa1 = sa2 = sa3 = sa4 = sa5 = sa6 = sa7 = sa8 = sa9 = sa10 = sa11 = 0.0
    sb0 = sb1 = sb2 = sb3 = sb4 = sb5 = sb6 = sb7 = sb8 = sb9 = sb10 = sb11 = 0.0
    sc0 = sc1 = sc2 = sc3 = sc4 = sc5 = sc6 = sc7 = sc8 = sc9 = sc10 = sc11 = 0.0
    pa = np.zeros(12)  # a corner's parts A, B and C: 12 scalars each in the kernel
    pb = np.zeros(12)
    pc = np.zeros(12)
    for image in range(2):
        if image == 0 and surface_disp_only:
            continue
        dd = depth + z if image == 0 else depth - z
        p = y * cd + dd * sd
        q = y * sd - dd * cd
        q2 = q * q
        for ic in range(c0, c1):
            xi = x - corners[ic, 0]
            if abs(xi) < _ok.EPS:
                xi = 0.0
            et = p - corners[ic, 1]
            if abs(et) < _ok.EPS:
                et = 0.0
            s1 = corners[ic, 2]
            s2 = corners[ic, 3]
            s3 = corners[ic, 4]
            k1 = s1 / _ok.PI2
            k2 = s2 / _ok.PI2
            k3 = s3 / _ok.PI2
            (xi2, et2, r2, r, r3, r5, yb, db, tt, alx, ale, x11, y11, x32, y32, ey, ez, fy, fz, gy, gz, hy,
             hz) = corner(xi, et, q, q2, sd, cd, math.atan, math.log)
            part_a(xi, et, q, q2, xi2, r, r3, tt, alx, ale, x11, y11, y32, ey, ez, fy, fz, gy, gz, hy, hz, yb, db, sd,
                   cd, alp1, alp2, s1, s2, s3, k1, k2, k3, grad, pa)
            if image == 0:
                sa0 += pa[0]
                sa1 += pa[1]
                sa2 += pa[2]
                sa3 += pa[3]
                sa4 += pa[4]
                sa5 += pa[5]
                sa6 += pa[6]
                sa7 += pa[7]
                sa8 += pa[8]
                sa9 += pa[9]
                sa10 += pa[10]
                sa11 += pa[11]
                continue
            part_b(xi, et, q, q2, xi2, r, r3, tt, ale, x11, y11, y32, ey, ez, fy, fz, gy, gz, hy, hz, yb, db, sd, cd,
                   alp3, s1, s2, s3, k1, k2, k3, math.atan, math.log, grad, pb)
            if surface_disp_only:
                sb0 += pb[0]
                sb1 += pb[1]
                sb2 += pb[2]
                continue
            part_c(xi, et, q, q2, xi2, et2, r, r2, r3, r5, x11, y11, x32, y32, yb, db, sd, cd, z, alp4, alp5, s1, s2,
                   s3, k1, k2, k3, grad, pc)
            sb0 += pa[0] + pb[0]
            sb1 += pa[1] + pb[1]
            sb2 += pa[2] + pb[2]
            sb3 += pa[3] + pb[3]
            sb4 += pa[4] + pb[4]
            sb5 += pa[5] + pb[5]
            sb6 += pa[6] + pb[6]
            sb7 += pa[7] + pb[7]
            sb8 += pa[8] + pb[8]
            sb9 += pa[9] + pb[9]
            sb10 += pa[10] + pb[10]
            sb11 += pa[11] + pb[11]
            sc0 += pc[0]
            sc1 += pc[1]
            sc2 += pc[2]
            sc3 += pc[3]
            sc4 += pc[4]
            sc5 += pc[5]
            sc6 += pc[6]
            sc7 += pc[7]
            sc8 += pc[8]
            sc9 += pc[9]
            sc10 += pc[10]
            sc11 += pc[11]
    sa[0] = sa0
    sab[0] = sb0
    sc[0] = sc0
    sa[1] = sa1
    sab[1] = sb1
    sc[1] = sc1
    sa[2] = sa2
    sab[2] = sb2
    sc[2] = sc2
    sa[3] = sa3
    sab[3] = sb3
    sc[3] = sc3
    sa[4] = sa4
    sab[4] = sb4
    sc[4] = sc4
    sa[5] = sa5
    sab[5] = sb5
    sc[5] = sc5
    sa[6] = sa6
    sab[6] = sb6
    sc[6] = sc6
    sa[7] = sa7
    sab[7] = sb7
    sc[7] = sc7
    sa[8] = sa8
    sab[8] = sb8
    sc[8] = sc8
    sa[9] = sa9
    sab[9] = sb9
    sc[9] = sc9
    sa[10] = sa10
    sab[10] = sb10
    sc[10] = sc10
    sa[11] = sa11
    sab[11] = sb11
    sc[11] = sc11
    for k in range(12):
        out[k] = 0.0
    if surface_disp_only:
        surface_displacement(sab, sd, cd, out)
        return
    for i0 in range(0, nc, 3):
        # real source: mirror of the image part A (Okada 1992 eq. 13)
        a0 = -sa[i0]
        a1 = -sa[i0 + 1] * cd + sa[i0 + 2] * sd
        a2 = -sa[i0 + 1] * sd - sa[i0 + 2] * cd
        if i0 == 9:
            a0, a1, a2 = -a0, -a1, -a2
        b0 = sab[i0] + z * sc[i0]
        b1 = (sab[i0 + 1] + z * sc[i0 + 1]) * cd - (sab[i0 + 2] + z * sc[i0 + 2]) * sd
        b2 = (sab[i0 + 1] - z * sc[i0 + 1]) * sd + (sab[i0 + 2] - z * sc[i0 + 2]) * cd
        if i0 == 9:
            b0 += sc[0]
            b1 += sc[1] * cd - sc[2] * sd
            b2 += -sc[1] * sd - sc[2] * cd
        out[i0] = a0 + b0
        out[i0 + 1] = a1 + b1
        out[i0 + 2] = a2 + b2


@inline
def corner_block(m, w, al, aw, s1, s2, s3, sd, cd, alp1, alp2, alp3, alp4, alp5, image, disp):
    """One corner (net slip ``s1, s2, s3``) for the ``m`` stations in ``w``: part A of the real source added to the
    region ``_OSA``, or (``image``) parts A + B and C of the image source added to ``_OSB`` and ``_OSC``; the
    displacement rows of ``_OSA`` / ``_OSB`` if ``disp`` (part C's are always stored: DC3D's z-derivative takes
    them)."""
    k1 = s1 / _ok.PI2
    k2 = s2 / _ok.PI2
    k3 = s3 / _ok.PI2
    pa = np.zeros(12)
    pb = np.zeros(12)
    pc = np.zeros(12)
    for j in range(m):
        x = w[_OX + j]
        if image:
            z = w[_OZ + j]
        p = w[(_OP1 if image else _OP0) + j]
        q = w[(_OQ1 if image else _OQ0) + j]
        q2 = q * q
        xi = x - al
        if abs(xi) < _ok.EPS:
            xi = 0.0
        et = p - aw
        if abs(et) < _ok.EPS:
            et = 0.0
        (xi2, et2, r2, r, r3, r5, yb, db, tt, alx, ale, x11, y11, x32, y32, ey, ez, fy, fz, gy, gz, hy,
         hz) = corner(xi, et, q, q2, sd, cd, vatan, vlog)
        part_a(xi, et, q, q2, xi2, r, r3, tt, alx, ale, x11, y11, y32, ey, ez, fy, fz, gy, gz, hy, hz, yb, db, sd, cd,
               alp1, alp2, s1, s2, s3, k1, k2, k3, True, pa)
        if not image:
            for row in range(0 if disp else 3, 12):
                w[_OSA + row * _MB + j] += pa[row]
            continue
        part_b(xi, et, q, q2, xi2, r, r3, tt, ale, x11, y11, y32, ey, ez, fy, fz, gy, gz, hy, hz, yb, db, sd, cd, alp3,
               s1, s2, s3, k1, k2, k3, vatan, vlog, True, pb)
        part_c(xi, et, q, q2, xi2, et2, r, r2, r3, r5, x11, y11, x32, y32, yb, db, sd, cd, z, alp4, alp5, s1, s2, s3,
               k1, k2, k3, True, pc)
        for row in range(0 if disp else 3, 12):
            w[_OSB + row * _MB + j] += pa[row] + pb[row]
        for row in range(12):
            w[_OSC + row * _MB + j] += pc[row]


@njit(error_model="numpy")
def _real_part_a(m, w, al, aw, s1, s2, s3, sd, cd, alp1, alp2):
    """Part A of the real source of one corner (net slip ``s1, s2, s3``) for the ``m`` stations in ``w``,
    added to the region ``_OSA``. A function of its own: LLVM vectorises its station loop when it is
    compiled alone (inside the corner loop it does not find the array bounds)."""
    corner_block(m, w, al, aw, s1, s2, s3, sd, cd, alp1, alp2, 0.0, 0.0, 0.0, False, True)


@njit(error_model="numpy")
def _image_parts_abc(m, w, al, aw, s1, s2, s3, sd, cd, alp1, alp2, alp3, alp4, alp5):
    """Parts A + B and C of the image source of one corner for the ``m`` stations in ``w``, added to the
    regions ``_OSB`` and ``_OSC`` (see :func:`_real_part_a`)."""
    corner_block(m, w, al, aw, s1, s2, s3, sd, cd, alp1, alp2, alp3, alp4, alp5, True, True)


@njit(error_model="numpy")
def _real_part_a_grad(m, w, al, aw, s1, s2, s3, sd, cd, alp1, alp2):
    """:func:`_real_part_a` for the 9 derivatives only (rows 3-11): the displacement terms, and with them
    every ``atan`` and ``log`` of DC3D, are not computed (the derivatives use none of them, so they are
    the same bits as with the displacement)."""
    corner_block(m, w, al, aw, s1, s2, s3, sd, cd, alp1, alp2, 0.0, 0.0, 0.0, False, False)


@njit(error_model="numpy")
def _image_parts_abc_grad(m, w, al, aw, s1, s2, s3, sd, cd, alp1, alp2, alp3, alp4, alp5):
    """:func:`_image_parts_abc` for the 9 derivatives only (see :func:`_real_part_a_grad`); part C's
    displacement rows are kept (DC3D's z-derivative takes them), they need no ``atan`` or ``log``."""
    corner_block(m, w, al, aw, s1, s2, s3, sd, cd, alp1, alp2, alp3, alp4, alp5, True, False)
