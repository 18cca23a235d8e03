"""Okada rectangles of one plane summed over their shared corners (the map-frame kernel of :mod:`.okada`).

Okada's rectangle is a Chinnery sum over its four corners, f(xi1, et1) - f(xi2, et1) - f(xi1, et2) +
f(xi2, et2), with f linear in the slip vector and (x, p, q) fixed by the station and the *plane*. Patches of
one plane (the usual discretised fault) share corners, so the map-frame kernel evaluates every distinct corner
of a plane once with its net signed slip; interior corners of uniform slip cancel exactly and are not
evaluated at all. Corner-sharing is exact only where DC3D takes its regular branches (log(R + xi) etc.): those
can change only close to the plane (small |q|), so there a station falls back to the per-patch evaluation (the
DC3D code path of :mod:`.okada`, singularity handling included).

The corner sum itself, DC3D's finite-source code (Okada 1992, Tables 6-8) inlined over the corners of a plane in
one fused loop the compiler can keep in registers, is :func:`.okada_corners._plane_corners` (generated from
``okada_corners_src.py``, which calls DC3D's terms of :mod:`.dc3d_terms`, written once for it and for the
station-block kernels of :mod:`.okada_block`).
"""

from __future__ import annotations

import math

import numpy as np

from .._numba import njit
from . import okada_dc3d as _ok

#: Tolerances for "same plane" (strike and dip equal to 1e-9 degrees, normal offset <= 1 um)
#: and "same corner coordinate" (1 um along strike or dip). Coordinates rounded coarser than
#: this (e.g. a Coulomb .inp printed to 0.1 m) give separate planes/corners: still exact.
PLANE_TOL_M = 1.0e-6
PLANE_ANGLE_TOL_DEG = 1.0e-9
#: A station falls back to per-patch DC3D for a plane when ``q^2 <= FALLBACK_Q2_REL R^2 + ...``
#: (see :func:`_near_plane`): |q| within 1e-3 of its distance to the plane's farthest corner.
FALLBACK_Q2_REL = 1.0e-6
GROUP_COLUMNS = ("east_m", "north_m", "depth_m", "sin_strike", "cos_strike", "sin_dip", "cos_dip",
                 "al_min", "al_max", "aw_min", "aw_max")


def _clusters(values, tol):
    """Indices of merged values: sorted values closer than ``tol`` share one representative."""
    order = np.argsort(values, kind="stable")
    v = values[order]
    new = np.empty(v.size, dtype=bool)
    new[:1] = True
    new[1:] = np.diff(v) > tol
    ids_sorted = np.cumsum(new) - 1
    reps = v[new]
    ids = np.empty(v.size, dtype=np.int64)
    ids[order] = ids_sorted
    return ids, reps


def plane_groups(sources):
    """Group the rectangles of a source table by plane and merge their shared corners.

    Parameters
    ----------
    sources : ndarray, shape (n_sources, 11)
        Source table (columns :data:`SRC_COLUMNS`).

    Returns
    -------
    groups : ndarray, shape (n_groups, 11)
        Plane frame per group (columns :data:`GROUP_COLUMNS`): reference point (east, north,
        depth of the plane origin, m), sin/cos of strike and (DC3D-rounded) dip, and the
        extent of the corners along strike ``[al_min, al_max]`` and up dip ``[aw_min, aw_max]``.
    corner_start : ndarray of int, shape (n_groups + 1,)
    corners : ndarray, shape (n_corners, 5)
        ``al, aw`` (m, plane frame) and the net signed slip ``s1, s2, s3`` (m) of each
        distinct corner whose net slip is not zero; the Chinnery sum of the group is
        ``sum_c f(x - al_c, p - aw_c; s_c)``.
    member_start : ndarray of int, shape (n_groups + 1,)
    members : ndarray of int
        Rows of ``sources`` in each group (for the per-patch fallback).
    rest : ndarray of int
        Rows not in any group (point sources).
    """
    src = np.asarray(sources, float)
    rect = np.flatnonzero(src[:, 10] == _ok.KIND_RECTANGLE)
    rest = np.flatnonzero(src[:, 10] != _ok.KIND_RECTANGLE).astype(np.int64)
    groups, cstart, corners, mstart, members = [], [0], [], [0], []
    if rect.size:
        strike = np.round(src[rect, 3] / PLANE_ANGLE_TOL_DEG) * PLANE_ANGLE_TOL_DEG
        dip = np.round(src[rect, 4] / PLANE_ANGLE_TOL_DEG) * PLANE_ANGLE_TOL_DEG
        _, orient = np.unique(np.stack([strike, dip], axis=1), axis=0, return_inverse=True)
        orient = orient.ravel()
        counts = np.bincount(orient)
        lone = rect[counts[orient] == 1]
        if lone.size:  # a plane of its own: the patch's four corners, built at once
            t = src[lone]
            phi = np.radians(t[:, 3])
            sd = np.sin(np.radians(t[:, 4]))
            cd = np.cos(np.radians(t[:, 4]))
            vertical = np.abs(cd) < _ok.EPS
            cd[vertical] = 0.0
            sd[vertical] = np.sign(sd[vertical])
            zero = np.zeros(lone.size)
            groups.extend(np.column_stack([t[:, 0], t[:, 1], t[:, 2], np.sin(phi), np.cos(phi), sd, cd, zero,
                                           t[:, 5], zero, t[:, 6]]))
            slip = t[:, 7:10]
            four = np.stack([np.column_stack([zero, zero, slip]), np.column_stack([t[:, 5], zero, -slip]),
                             np.column_stack([zero, t[:, 6], -slip]), np.column_stack([t[:, 5], t[:, 6], slip])],
                            axis=1)
            keep = np.any(slip != 0.0, axis=1)
            corners.append(four[keep].reshape(-1, 5))
            cstart.extend((cstart[-1] + 4 * np.cumsum(keep)).tolist())
            members.append(lone.astype(np.int64))
            mstart.extend((mstart[-1] + np.arange(1, lone.size + 1)).tolist())
        order = np.argsort(orient, kind="stable")
        bounds = np.flatnonzero(np.diff(orient[order])) + 1
        for chunk in np.split(order, bounds):
            rows = rect[chunk]
            if rows.size == 1:
                continue
            phi = math.radians(src[rows[0], 3])
            sp, cp = math.sin(phi), math.cos(phi)
            sd, cd = _ok._dip_constants(float(src[rows[0], 4]))
            # offset of every patch from the first one, normal to the plane
            de = src[rows, 0] - src[rows[0], 0]
            dn = src[rows, 1] - src[rows[0], 1]
            yo = -de * cp + dn * sp
            ddep = src[rows[0], 2] - src[rows, 2]
            qo = yo * sd - ddep * cd
            plane_id, _ = _clusters(qo, PLANE_TOL_M)
            for pl in range(plane_id.max() + 1):
                prow = rows[plane_id == pl]
                o0 = prow[0]
                de = src[prow, 0] - src[o0, 0]
                dn = src[prow, 1] - src[o0, 1]
                xo = de * sp + dn * cp
                yo = -de * cp + dn * sp
                wo = yo * cd + (src[o0, 2] - src[prow, 2]) * sd
                length = src[prow, 5]
                width = src[prow, 6]
                ia, al = _clusters(np.concatenate([xo, xo + length]), PLANE_TOL_M)
                iw, aw = _clusters(np.concatenate([wo, wo + width]), PLANE_TOL_M)
                n = prow.size
                i1, i2 = ia[:n], ia[n:]
                j1, j2 = iw[:n], iw[n:]
                key = np.concatenate([i1 * aw.size + j1, i2 * aw.size + j1, i1 * aw.size + j2,
                                      i2 * aw.size + j2])
                slip = src[prow, 7:10]
                signed = np.concatenate([slip, -slip, -slip, slip])
                ukey, inv = np.unique(key, return_inverse=True)
                net = np.zeros((ukey.size, 3))
                np.add.at(net, inv.ravel(), signed)
                keep = np.any(net != 0.0, axis=1)
                ck = ukey[keep]
                cal = al[ck // aw.size]
                caw = aw[ck % aw.size]
                corners.append(np.column_stack([cal, caw, net[keep]]))
                cstart.append(cstart[-1] + int(keep.sum()))
                members.append(prow.astype(np.int64))
                mstart.append(mstart[-1] + n)
                groups.append([src[o0, 0], src[o0, 1], src[o0, 2], sp, cp, sd, cd,
                               al.min(), al.max(), aw.min(), aw.max()])
    return (np.asarray(groups, float).reshape(-1, len(GROUP_COLUMNS)), np.asarray(cstart, np.int64),
            np.concatenate(corners) if corners else np.zeros((0, 5)), np.asarray(mstart, np.int64),
            np.concatenate(members) if members else np.zeros(0, np.int64), rest)


def plane_frame(grp, e, n):
    """Stations ``e, n`` (map m, arrays) in the frame of the plane group ``grp`` (a row of :func:`plane_groups`):
    ``(x, y)`` along and across strike (m). The numpy form of the map-frame kernels (:mod:`.okada_numpy`) and the
    count of their fallback work (:mod:`.okada_cost`) rotate the stations with it."""
    de = e - grp[0]
    dn = n - grp[1]
    return de * grp[3] + dn * grp[4], -de * grp[4] + dn * grp[3]


@njit
def _near_plane(x, y, z, depth, sd, cd, grp, surface_disp_only):
    """True when, for the real or the image source, the station is close enough to the plane
    (``q^2 <= 1e-6 R^2 + 4 _ok.EPS R + _ok.EPS^2`` with R the distance to the plane's farthest corner)
    that DC3D could take its singular branches or lose digits in ``R + xi``/``R + eta``. The real source is
    not looked at with ``surface_disp_only`` (a bool). Written without branches on the station, so that the
    numpy path (:mod:`.okada_numpy`) runs this function on arrays of stations: the same test."""
    return (_close(x, y, depth + z, sd, cd, grp) & (not surface_disp_only)) | _close(x, y, depth - z, sd, cd, grp)


@njit
def _close(x, y, dd, sd, cd, grp):
    """:func:`_near_plane`'s test for the source whose plane origin is ``dd`` below the station."""
    p = y * cd + dd * sd
    q = y * sd - dd * cd
    xm = np.maximum(np.abs(x - grp[7]), np.abs(x - grp[8]))
    pm = np.maximum(np.abs(p - grp[9]), np.abs(p - grp[10]))
    r2 = xm * xm + pm * pm + q * q
    return q * q <= FALLBACK_Q2_REL * r2 + 4.0 * _ok.EPS * np.sqrt(r2) + _ok.EPS * _ok.EPS
