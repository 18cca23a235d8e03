"""Okada rectangles of one plane summed over their shared corners, many stations at once (vectorised).

The displacement gradients that a Coulomb map needs at many stations: :func:`.okada_corners._plane_corners`'s
formulas (DC3D's finite source, Okada 1992 Tables 6-8, summed over the distinct corners of a plane with their
net slip) with the loops turned round: stations go in blocks of :data:`BLOCK_STATIONS`, and for every corner of
a plane the inner loop runs over the block's stations on contiguous arrays, which LLVM vectorises (AVX2 or
AVX-512: one corner for 4 or 8 stations per instruction). The station loops (:func:`.okada_corners._real_part_a`,
:func:`.okada_corners._image_parts_abc` and their ``_grad`` twins) are generated from ``okada_corners_src.py``,
whose kernels call DC3D's terms (:mod:`.dc3d_terms`, written once for them and for the one-station kernel). The
transcendental functions are :func:`.simd_math.vlog`/:func:`.simd_math.vatan` (plain IEEE arithmetic, so the loop
vectorises and a station gets the same bits in a vector lane or in the scalar remainder, on any x86 CPU); the
kernels use numpy's error model (a division by zero gives inf instead of raising, which is what lets LLVM
vectorise the loop) and no fast-math flags.

Every station's sums are taken corner by corner in the group's order and its groups in the table's order,
whatever the other stations of its block are: the result does not depend on the block size, the station's
position in a block or the thread count. Stations near a plane (:func:`.okada_planes._near_plane`) fall
back to patch-by-patch DC3D for that plane, as in :func:`.okada._sum_sources_kernel`.

All work arrays of a block live in one buffer at fixed offsets (multiples of :data:`BLOCK_STATIONS`, laid out in
:mod:`.okada_corners`), so LLVM can prove that the accumulators do not overlap without run-time checks.
"""

from __future__ import annotations

import math

import numpy as np

from .._numba import njit, prange
from .okada_corners import (  # noqa: F401 - the block's layout and station loops: read here by tests and benchmarks
    _MB,
    _NW,
    _OP0,
    _OP1,
    _OQ0,
    _OQ1,
    _OSA,
    _OSB,
    _OSC,
    _OX,
    _OZ,
    BLOCK_STATIONS,
    _image_parts_abc,
    _image_parts_abc_grad,
    _real_part_a,
    _real_part_a_grad,
)
from .okada_planes import _near_plane
from .okada_sources import _add_sources, _rotate_into

#: Blocks are taken in this many interleaved sequences (load balance between threads, see _gradients_body).
STRIPES = 16


@njit(error_model="numpy")
def _corners_block(alpha, m, sd, cd, corners, c0, c1, disp, w):
    """Chinnery sums of one plane group over its distinct corners for ``m`` stations at once.

    The stations' Okada-frame coordinates are in ``w`` (regions ``_OX``, ``_OZ``, and p, q of the real
    and image source in ``_OP0``/``_OQ0``, ``_OP1``/``_OQ1``); the sums of part A (real source) and of parts
    A + B and C (image source) are added to the regions ``_OSA``, ``_OSB``, ``_OSC`` (12 rows each, DC3D's
    order). Corner by corner (outer loop), station by station (inner loops, vectorised): every station
    gets its corners added in the group's order whatever the other stations of the block are.
    The formulas are :func:`.okada_corners._plane_corners`'s with ``grad`` on; ``disp`` False skips the
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
    :func:`.okada_corners._plane_corners`."""
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
