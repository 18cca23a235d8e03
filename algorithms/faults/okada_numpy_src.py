"""The numpy form of Okada's corner kernels: DC3D's finite source (Okada 1992, Tables 6-8) on arrays of stations.

What a first run computes while the kernels are not compiled, and what runs where numba is missing: the grids of
``okadaforward`` (displacement) and ``coulombstress`` / ``coulombonfaults`` (gradients). The terms are those of
:mod:`.dc3d_terms`, called here as plain functions and written in their numpy form by ``make generate``
(``scripts/generate/okada_passes.py``; ``okada_numpy_src.py`` is this module as a reader edits it, the parameters
annotated ``Stations`` holding arrays of stations): every statement of the compiled corner kernels
(:mod:`.okada_corners`) on a block of stations at once, DC3D's branch per station (an ``if`` on a station's value,
``xi == 0``) as ``np.where``, ``log``/``atan`` those of the compiled kernel it stands for (the array form of
:mod:`.simd_math`'s for the block kernels' terms, libm's element by element for
:func:`.okada_corners._plane_corners`'s), and a function storing only some rows computes only what they need.
numpy's ``+ - * /`` and ``sqrt`` round as the compiled kernels' (numba compiles them without fast-math: no FMA
contraction, no reordering), so a station gets
the same bits either way: the compiled sums add the corners in the group's order, station by station; here the
corner loop is outside and each station's sums take the corners in the same order.

Stations near a plane (:func:`.okada_planes._near_plane`, the same function on arrays) go through the per-patch
DC3D, as the compiled kernels do there: :func:`dc3d_stations`, ``_dc3d_one``'s terms, edge tests and sums (written
once in :mod:`.dc3d_terms`) on arrays of stations, its branches per station as ``np.where``, libm's ``log`` and
``atan`` called element by element as the compiled DC3D calls them (the same bits); point sources one station at a
time, as plain Python (:func:`.okada_sources._add_sources`). :func:`sum_sources` stands for
:func:`.okada._sum_sources_kernel` with shared corners and :func:`.okada_block._gradients_kernel`, :func:`greens`
for :func:`.okada._greens_body` (the slip inversions' design matrices).
"""

from __future__ import annotations

import math

import numpy as np

from .. import _numba
from . import okada_block as _block
from . import okada_dc3d as _ok
from . import okada_planes as _planes
from . import okada_sources as _sources
from .dc3d_terms import (
    corner,
    dc3d_along_strike,
    dc3d_edges,
    dc3d_geometry,
    dc3d_image_terms,
    dc3d_radius,
    dc3d_real_terms,
    dc3d_surface_terms,
    inline,
    medium_constants,
    part_a,
    part_b,
    part_c,
    surface_displacement,
)
from .simd_math import vatan_array as vatan
from .simd_math import vlog_array as vlog

#: Stations evaluated together: 2,048 float64 (16 KB) per array, a few hundred of them alive while the terms of
#: a corner are evaluated, so the working set stays in the L2 cache.
CHUNK = 2048

#: The annotation of a parameter holding an array of stations: ``make generate`` writes each ``if`` on a value
#: computed from one as ``np.where`` (a branch per station).
Stations = np.ndarray


@inline
def corner_rows(x, z, p, q, al, aw, s1, s2, s3, sd, cd, alp1, alp2, alp3, alp4, alp5, sa, sab, sc, image, disp, grad,
                surface, atan, log):
    """One corner for the stations ``x, z, p, q``: part A of the real source added to the rows of ``sa`` (12,
    stations) that :func:`.okada_corners._real_part_a` fills, or (``image``) parts A + B and C of the image source
    added to those of ``sab`` and ``sc`` that :func:`.okada_corners._image_parts_abc` fills (part B alone at the free
    surface if ``surface``: :func:`.okada_corners._plane_corners`'s ``surface_disp_only``); the displacement rows if
    ``disp``, the derivatives' if ``grad``."""
    k1 = s1 / _ok.PI2
    k2 = s2 / _ok.PI2
    k3 = s3 / _ok.PI2
    q2 = q * q
    xi = x - al
    if abs(xi) < _ok.EPS:
        xi = 0.0
    et = p - aw
    if abs(et) < _ok.EPS:
        et = 0.0
    pa = np.zeros((12,) + np.shape(x))
    pb = np.zeros((12,) + np.shape(x))
    pc = np.zeros((12,) + np.shape(x))
    (xi2, et2, r2, r, r3, r5, yb, db, tt, alx, ale, x11, y11, x32, y32, ey, ez, fy, fz, gy, gz, hy,
     hz) = corner(xi, et, q, q2, sd, cd, atan, log)
    part_a(xi, et, q, q2, xi2, r, r3, tt, alx, ale, x11, y11, y32, ey, ez, fy, fz, gy, gz, hy, hz, yb, db, sd, cd,
           alp1, alp2, s1, s2, s3, k1, k2, k3, True, pa)
    if image:
        part_b(xi, et, q, q2, xi2, r, r3, tt, ale, x11, y11, y32, ey, ez, fy, fz, gy, gz, hy, hz, yb, db, sd, cd, alp3,
               s1, s2, s3, k1, k2, k3, atan, log, True, pb)
        part_c(xi, et, q, q2, xi2, et2, r, r2, r3, r5, x11, y11, x32, y32, yb, db, sd, cd, z, alp4, alp5, s1, s2, s3,
               k1, k2, k3, True, pc)
    if not image:
        for row in range(0 if disp else 3, 12 if grad else 3):
            sa[row] += pa[row]
    elif surface:
        for row in range(3):
            sab[row] += pb[row]
    else:
        for row in range(0 if disp else 3, 12 if grad else 3):
            sab[row] += pa[row] + pb[row]
        for row in range(12 if grad else 3):
            sc[row] += pc[row]


def _real_part_a(x: Stations, p: Stations, q: Stations, al, aw, s1, s2, s3, sd, cd, alp1, alp2, sa):
    """:func:`.okada_corners._real_part_a` on arrays of stations."""
    corner_rows(x, None, p, q, al, aw, s1, s2, s3, sd, cd, alp1, alp2, 0.0, 0.0, 0.0, sa, None, None, False,
                True, True, False, vatan, vlog)


def _real_part_a_disp(x: Stations, p: Stations, q: Stations, al, aw, s1, s2, s3, sd, cd, alp1, alp2, sa):
    """Its displacement rows only, libm's ``log`` and ``atan`` (as
    :func:`.okada_corners._plane_corners`)."""
    corner_rows(x, None, p, q, al, aw, s1, s2, s3, sd, cd, alp1, alp2, 0.0, 0.0, 0.0, sa, None, None, False,
                True, False, False, _atan, _log)


def _real_part_a_grad(x: Stations, p: Stations, q: Stations, al, aw, s1, s2, s3, sd, cd, alp1, alp2, sa):
    """:func:`.okada_corners._real_part_a_grad` on arrays of stations."""
    corner_rows(x, None, p, q, al, aw, s1, s2, s3, sd, cd, alp1, alp2, 0.0, 0.0, 0.0, sa, None, None, False,
                False, True, False, vatan, vlog)


def _image_parts_abc(x: Stations, z: Stations, p: Stations, q: Stations, al, aw, s1, s2, s3, sd, cd, alp1, alp2,
                     alp3, alp4, alp5, sab, sc):
    """:func:`.okada_corners._image_parts_abc` on arrays of stations."""
    corner_rows(x, z, p, q, al, aw, s1, s2, s3, sd, cd, alp1, alp2, alp3, alp4, alp5, None, sab, sc, True,
                True, True, False, vatan, vlog)


def _image_parts_abc_disp(x: Stations, z: Stations, p: Stations, q: Stations, al, aw, s1, s2, s3, sd, cd, alp1, alp2,
                          alp3, alp4, alp5, sab, sc):
    """Its displacement rows only, libm's ``log`` and ``atan`` (as
    :func:`.okada_corners._plane_corners`)."""
    corner_rows(x, z, p, q, al, aw, s1, s2, s3, sd, cd, alp1, alp2, alp3, alp4, alp5, None, sab, sc, True,
                True, False, False, _atan, _log)


def _image_parts_abc_grad(x: Stations, z: Stations, p: Stations, q: Stations, al, aw, s1, s2, s3, sd, cd, alp1, alp2,
                          alp3, alp4, alp5, sab, sc):
    """:func:`.okada_corners._image_parts_abc_grad` on arrays of stations."""
    corner_rows(x, z, p, q, al, aw, s1, s2, s3, sd, cd, alp1, alp2, alp3, alp4, alp5, None, sab, sc, True,
                False, True, False, vatan, vlog)


def _image_part_b_surface(x: Stations, z: Stations, p: Stations, q: Stations, al, aw, s1, s2, s3, sd, cd, alp1, alp2,
                          alp3, alp4, alp5, sab, sc):
    """Part B alone at the free surface (:func:`.okada_corners._plane_corners`'s
    ``surface_disp_only``), libm's ``log`` and ``atan``."""
    corner_rows(x, z, p, q, al, aw, s1, s2, s3, sd, cd, alp1, alp2, alp3, alp4, alp5, None, sab, sc, True,
                True, False, True, _atan, _log)


#: (displacement, derivatives) -> the corner functions of the real and the image source storing those rows
_PARTS = {(True, True): (_real_part_a, _image_parts_abc), (True, False): (_real_part_a_disp, _image_parts_abc_disp),
          (False, True): (_real_part_a_grad, _image_parts_abc_grad)}


class _Rows:
    """The sums of a block of stations laid out as :mod:`.okada_corners`'s work buffer (``w[offset + row * _MB + j]``,
    the regions ``_OSA``, ``_OSB``, ``_OSC`` of 12 rows each, station ``j = 0``): :func:`.okada_block._combine` reads
    its rows as arrays over the stations."""

    def __init__(self, sa, sab, sc):
        self.sums = (sa, sab, sc)

    def __getitem__(self, k):
        row = k // _block._MB - _block._OSA // _block._MB
        return self.sums[row // 12][row % 12]


def corner_sums(alpha, x, y, z, grp, corners, c0, c1, disp, grad, surface):
    """DC3D's finite source of one plane group summed over its corners ``c0:c1`` for the stations ``x, y, z``
    (arrays, plane frame), Okada frame: ``out (12, stations)`` in DC3D's order, as
    :func:`.okada_corners._plane_corners` (``surface``: its ``surface_disp_only``) and
    :func:`.okada_block._combine` give; rows that neither ``disp`` nor ``grad`` asks for hold no meaning."""
    depth, sd, cd = grp[2], grp[5], grp[6]
    alp1, alp2, alp3, alp4, alp5 = medium_constants(alpha)
    m = x.shape[0]
    sa, sab, sc = np.zeros((12, m)), np.zeros((12, m)), np.zeros((12, m))
    dd = depth + z
    p0 = y * cd + dd * sd
    q0 = y * sd - dd * cd
    dd = depth - z
    p1 = y * cd + dd * sd
    q1 = y * sd - dd * cd
    real, image = _PARTS[(bool(disp), bool(grad))]
    for ic in range(c0, c1):
        al, aw, s1, s2, s3 = (float(v) for v in corners[ic])
        if surface:
            _image_part_b_surface(x, z, p1, q1, al, aw, s1, s2, s3, sd, cd, alp1, alp2, alp3, alp4, alp5, sab, sc)
            continue
        real(x, p0, q0, al, aw, s1, s2, s3, sd, cd, alp1, alp2, sa)
        image(x, z, p1, q1, al, aw, s1, s2, s3, sd, cd, alp1, alp2, alp3, alp4, alp5, sab, sc)
    out = np.zeros((12, m))
    if surface:
        surface_displacement(sab, sd, cd, out)
        return out
    _python(_block._combine)(_Rows(sa, sab, sc), 0, z, sd, cd, out)
    return out


def _python(kernel):
    """A kernel's plain Python function, the kernels it calls as Python too (never compiled here)."""
    return _numba.python_twin(kernel)


def sum_sources(alpha, e, n, z, sources, groups, cstart, corners, mstart, members, rest, grad, disp, out):
    """All sources at every station (arrays), ``out[i]``: 3 displacements (+ 9 gradients), map frame, NaN at a
    station singular for some source: the numpy form of :func:`.okada._sum_sources_kernel` with shared corners
    (``grad`` False) and of :func:`.okada_block._gradients_kernel` (``grad`` True; ``disp`` False: the displacement
    columns hold no meaning), the same bits. Stations in blocks of :data:`CHUNK`."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for i0 in range(0, e.shape[0], CHUNK):
            i1 = min(i0 + CHUNK, e.shape[0])
            _chunk(alpha, e[i0:i1], n[i0:i1], z[i0:i1], sources, groups, cstart, corners, mstart, members, rest,
                   bool(grad), bool(disp), out[i0:i1])


def _chunk(alpha, e, n, z, sources, groups, cstart, corners, mstart, members, rest, grad, disp, out):
    add_sources = _python(_sources._add_sources)
    rotate = _python(_sources._rotate_into)
    near_plane = _python(_planes._near_plane)
    npts = e.shape[0]
    acc = np.zeros((12, npts))
    singular = np.zeros(npts, dtype=bool)
    buf = np.zeros(12)
    scratch = np.empty((3, 12))
    surface = (z == 0.0) & (not grad)
    for gi in range(groups.shape[0]):
        grp = groups[gi]
        x, y = _planes.plane_frame(grp, e, n)
        near = np.zeros(npts, dtype=bool)
        for flag in (False, True):
            sel = surface == flag
            near[sel] = near_plane(x[sel], y[sel], z[sel], grp[2], grp[5], grp[6], grp, flag)
        idx = np.flatnonzero(near & ~singular)
        if idx.size:  # patch by patch (DC3D), as the compiled kernels there
            sub = acc[:, idx]
            singular[idx] = rectangles(alpha, e[idx], n[idx], z[idx], sources, members[mstart[gi]:mstart[gi + 1]],
                                       grad, sub)
            acc[:, idx] = sub
        for flag in (False, True):
            idx = np.flatnonzero(~near & ~singular & (surface == flag))
            if idx.size == 0:
                continue
            got = corner_sums(alpha, x[idx], y[idx], z[idx], grp, corners, cstart[gi], cstart[gi + 1],
                              disp or not grad, grad, flag)
            sub = acc[:, idx]
            rotate(got, grp[3], grp[4], grad, sub, 1.0)
            acc[:, idx] = sub
    if rest.shape[0]:
        for i in np.flatnonzero(~singular):
            singular[i] = add_sources(alpha, e[i], n[i], z[i], sources, rest, grad, buf, scratch, acc[:, i])
    nc = out.shape[1]
    out[:] = acc[:nc].T
    out[singular] = np.nan


def _log(a):
    """libm's ``log`` (as the compiled kernels call it) element by element on an array: the same bits; -inf at 0
    and NaN below, where Python's ``math.log`` raises (a branch ``np.where`` leaves out)."""
    out = np.full(a.shape, np.nan)
    positive = a > 0.0
    out[positive] = _LOG(a[positive])
    out[a == 0.0] = -np.inf
    return out


def _atan(a):
    """libm's ``atan`` element by element on an array (see :func:`_log`)."""
    return _ATAN(a).astype(np.float64)


_LOG = np.frompyfunc(math.log, 1, 1)
_ATAN = np.frompyfunc(math.atan, 1, 1)


def dc3d_stations(alpha, x: Stations, y: Stations, z: Stations, depth, sd, cd, al1, al2, aw1, aw2, d1, d2, d3, grad,
                  surface):
    """:func:`.okada_dc3d._dc3d_one` for arrays of stations ``x, y, z`` (Okada frame) and one rectangle: ``out``
    (12, stations) in DC3D's order and the stations on an edge (DC3D's ``iret`` 1; ``out`` zero there), the
    same bits. ``surface``: every station at ``z == 0`` without ``grad`` (``_dc3d_one``'s ``surface_disp_only``),
    else none. A station on a corner (``r == 0``) is on an edge."""
    m = x.shape[0]
    out = np.zeros((12, m))
    ua, ub, uc = np.zeros((12, m)), np.zeros((12, m)), np.zeros((12, m))
    singular = np.zeros(m, dtype=bool)
    alp1, alp2, alp3, alp4, alp5 = medium_constants(alpha)
    xi1, xi2 = dc3d_along_strike(x, al1, al2)
    for image in range(2):
        if image == 0 and surface:
            continue
        dd = depth + z if image == 0 else depth - z
        q, et1, et2, on_edge, kxi1, kxi2, ket1, ket2 = dc3d_edges(y, dd, sd, cd, aw1, aw2, xi1, xi2)
        singular |= on_edge
        for k in range(2):
            et = et1 if k == 0 else et2
            kxi = kxi1 if k == 0 else kxi2
            for j in range(2):
                xi = xi1 if j == 0 else xi2
                ket = ket1 if j == 0 else ket2
                sign = -1.0 if j + k == 1 else 1.0
                _dc3d_corner(image, surface, grad, xi, et, q, kxi, ket, sign, z, sd, cd, d1, d2, d3, alp1, alp2,
                             alp3, alp4, alp5, ua, ub, uc, out)
    out[:, singular] = 0.0
    return out, singular


def _dc3d_corner(image, surface, grad, xi: Stations, et: Stations, q: Stations, kxi: Stations, ket: Stations, sign,
                 z: Stations, sd, cd, d1, d2, d3, alp1, alp2, alp3, alp4, alp5, ua, ub, uc, out):
    """One corner of :func:`dc3d_stations` (``_corner_geometry`` and the parts of ``_dc3d_one``), added to ``out``."""
    xi, et, q, xi2, et2, q2, r2, r = dc3d_radius(xi, et, q)
    r3, r5, yb, db, tt, alx, ale, x11, y11, x32, y32, ey, ez, fy, fz, gy, gz, hy, hz = dc3d_geometry(
        xi, et, q, xi2, r, r2, sd, cd, kxi, ket, _atan, _log)
    if image == 0:
        part_a(xi, et, q, q2, xi2, r, r3, tt, alx, ale, x11, y11, y32, ey, ez, fy, fz, gy, gz, hy, hz, yb, db, sd, cd,
               alp1, alp2, d1, d2, d3, d1 / _ok.PI2, d2 / _ok.PI2, d3 / _ok.PI2, grad, ua)
        dc3d_real_terms(ua, sign, sd, cd, grad, out)
        return
    if surface:
        part_b(xi, et, q, q2, xi2, r, r3, tt, ale, x11, y11, y32, ey, ez, fy, fz, gy, gz, hy, hz, yb, db, sd, cd, alp3,
               d1, d2, d3, d1 / _ok.PI2, d2 / _ok.PI2, d3 / _ok.PI2, _atan, _log, grad, ub)
        dc3d_surface_terms(ub, sign, sd, cd, out)
        return
    part_a(xi, et, q, q2, xi2, r, r3, tt, alx, ale, x11, y11, y32, ey, ez, fy, fz, gy, gz, hy, hz, yb, db, sd, cd,
           alp1, alp2, d1, d2, d3, d1 / _ok.PI2, d2 / _ok.PI2, d3 / _ok.PI2, grad, ua)
    part_b(xi, et, q, q2, xi2, r, r3, tt, ale, x11, y11, y32, ey, ez, fy, fz, gy, gz, hy, hz, yb, db, sd, cd, alp3,
           d1, d2, d3, d1 / _ok.PI2, d2 / _ok.PI2, d3 / _ok.PI2, _atan, _log, grad, ub)
    part_c(xi, et, q, q2, xi2, et2, r, r2, r3, r5, x11, y11, x32, y32, yb, db, sd, cd, z, alp4, alp5, d1, d2, d3,
           d1 / _ok.PI2, d2 / _ok.PI2, d3 / _ok.PI2, grad, uc)
    dc3d_image_terms(ua, ub, uc, sign, z, sd, cd, grad, out)


def rectangles(alpha, e, n, z, sources, rows, grad, acc):
    """The rectangles ``sources[rows]`` one by one (DC3D) at the stations ``e, n, z`` (arrays) added to ``acc`` (12,
    stations), map frame: :func:`.okada_sources._add_sources` on arrays; returns the stations singular for one of
    them (their sums hold no meaning: the callers write NaN there, as the compiled kernels)."""
    frame = _python(_sources._source_frame)
    dip = _python(_ok._dip_constants)
    rotate = _python(_sources._rotate_into)
    singular = np.zeros(e.shape[0], dtype=bool)
    surface = (z == 0.0) & (not grad)
    buf = np.zeros((12, e.shape[0]))
    for r in rows:
        src = sources[r]
        x, y = frame(e, n, src)
        sd, cd = dip(src[4])
        for flag in (False, True):
            sel = surface == flag
            if sel.any():
                buf[:, sel], edge = dc3d_stations(alpha, x[sel], y[sel], z[sel], src[2], sd, cd, 0.0, src[5], 0.0,
                                                  src[6], src[7], src[8], src[9], grad, flag)
                singular[sel] |= edge
        phi = math.radians(src[3])
        rotate(buf, math.sin(phi), math.cos(phi), grad, acc, 1.0)
    return singular


def greens(alpha, e, n, z, sources, out):
    """Per-source displacement ``out`` (stations, sources, 3), east/north/up, NaN where a station is on a source's
    edge: the numpy form of :func:`.okada._greens_body` (rectangles only), the same bits."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for s in range(sources.shape[0]):
            acc = np.zeros((12, e.shape[0]))
            singular = rectangles(alpha, e, n, z, sources, [s], False, acc)
            out[:, s, :] = acc[:3].T
            out[singular, s, :] = np.nan
