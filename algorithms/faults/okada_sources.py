"""One Okada source at one station in the map frame (east, north, up): DC3D / DC3D0 in the source's own frame,
rotated by its strike and summed. Shared by the station-by-station kernels of :mod:`.okada` and the vectorised
corner sums of :mod:`.okada_block` (which fall back to these near a plane); see :mod:`.okada` for the frames and
sign conventions."""

from __future__ import annotations

import math

from .._numba import njit
from .okada_dc3d import KIND_POINT, _dc3d0_one, _dc3d_one, _dip_constants


@njit
def _one_source(alpha, e, n, z, src, grad, buf, scratch):
    """Displacement (+gradients) in east/north/up of one source at one station into ``buf``."""
    if src[10] != KIND_POINT:
        return _one_rectangle(alpha, e, n, z, src, grad, buf, scratch)
    x, y = _source_frame(e, n, src)
    sd, cd = _dip_constants(src[4])
    # point source: strike/dip/tensile potencies in m^3 stored in the slip columns
    return _dc3d0_one(alpha, x, y, z, src[2], sd, cd, src[7], src[8], src[9], 0.0, buf,
                      scratch[0], scratch[1], scratch[2])


@njit
def _one_rectangle(alpha, e, n, z, src, grad, buf, scratch):
    """:func:`_one_source` for a rectangular source (DC3D): the design matrices of the inversions hold only
    rectangles, so their kernels compile without DC3D0's code (a first run compiles about a third less)."""
    x, y = _source_frame(e, n, src)
    sd, cd = _dip_constants(src[4])
    return _dc3d_one(alpha, x, y, z, src[2], sd, cd, 0.0, src[5], 0.0, src[6], src[7], src[8], src[9], grad, buf,
                     scratch[0], scratch[1], scratch[2])


@njit
def _source_frame(e, n, src):
    """A station's (x, y) in the frame of the source ``src``: x along strike, y across it."""
    phi = math.radians(src[3])
    sp = math.sin(phi)
    cp = math.cos(phi)
    de = e - src[0]
    dn = n - src[1]
    return de * sp + dn * cp, -de * cp + dn * sp


@njit
def _rotate_into(buf, sp, cp, grad, acc, w):
    """Rotate Okada-frame results to east/north/up and add ``w`` times them to ``acc``."""
    acc[0] += w * (buf[0] * sp - buf[1] * cp)
    acc[1] += w * (buf[0] * cp + buf[1] * sp)
    acc[2] += w * buf[2]
    if grad:
        # G_enu = R G_ok R^T with R = [[sp, -cp, 0], [cp, sp, 0], [0, 0, 1]]
        g00, g10, g20 = buf[3], buf[4], buf[5]
        g01, g11, g21 = buf[6], buf[7], buf[8]
        g02, g12, g22 = buf[9], buf[10], buf[11]
        # A = R G
        a00 = sp * g00 - cp * g10
        a01 = sp * g01 - cp * g11
        a02 = sp * g02 - cp * g12
        a10 = cp * g00 + sp * g10
        a11 = cp * g01 + sp * g11
        a12 = cp * g02 + sp * g12
        a20 = g20
        a21 = g21
        a22 = g22
        # acc[3 + 3*i + j] = (A R^T)[i, j], R^T[:, 0] = (sp, -cp, 0), [:, 1] = (cp, sp, 0)
        acc[3] += w * (a00 * sp - a01 * cp)
        acc[4] += w * (a00 * cp + a01 * sp)
        acc[5] += w * a02
        acc[6] += w * (a10 * sp - a11 * cp)
        acc[7] += w * (a10 * cp + a11 * sp)
        acc[8] += w * a12
        acc[9] += w * (a20 * sp - a21 * cp)
        acc[10] += w * (a20 * cp + a21 * sp)
        acc[11] += w * a22


@njit
def _add_sources(alpha, e, n, z, sources, rows, grad, buf, scratch, acc):
    """Add the sources ``sources[rows]`` one by one (DC3D / DC3D0) at one station into ``acc``, map frame;
    True (and stop) at the first singular one."""
    for r in range(rows.shape[0]):
        src = sources[rows[r]]
        if _one_source(alpha, e, n, z, src, grad, buf, scratch) != 0:
            return True
        phi = math.radians(src[3])
        _rotate_into(buf, math.sin(phi), math.cos(phi), grad, acc, 1.0)
    return False
