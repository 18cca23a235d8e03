"""Okada rectangles of one plane summed over their shared corners (the map-frame kernel of :mod:`.okada`).

Okada's rectangle is a Chinnery sum over its four corners, f(xi1, et1) - f(xi2, et1) - f(xi1, et2) +
f(xi2, et2), with f linear in the slip vector and (x, p, q) fixed by the station and the *plane*. Patches of
one plane (the usual discretised fault) share corners, so the map-frame kernel evaluates every distinct corner
of a plane once with its net signed slip; interior corners of uniform slip cancel exactly and are not
evaluated at all. Corner-sharing is exact only where DC3D takes its regular branches (log(R + xi) etc.): those
can change only close to the plane (small |q|), so there a station falls back to the per-patch evaluation (the
DC3D code path of :mod:`.okada`, singularity handling included).

:func:`_plane_corners` is DC3D's finite-source code (Okada 1992, Tables 6-8) inlined over the corners of a
plane: one fused loop the compiler can keep in registers, which is what makes the shared corners pay.
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


@njit
def _near_plane(x, y, z, depth, sd, cd, grp, surface_disp_only):
    """True when, for the real or the image source, the station is close enough to the plane
    (``q^2 <= 1e-6 R^2 + 4 _ok.EPS R + _ok.EPS^2`` with R the distance to the plane's farthest corner)
    that DC3D could take its singular branches or lose digits in ``R + xi``/``R + eta``."""
    for image in range(2):
        if image == 0 and surface_disp_only:
            continue
        dd = depth + z if image == 0 else depth - z
        p = y * cd + dd * sd
        q = y * sd - dd * cd
        xm = max(abs(x - grp[7]), abs(x - grp[8]))
        pm = max(abs(p - grp[9]), abs(p - grp[10]))
        r2 = xm * xm + pm * pm + q * q
        if q * q <= FALLBACK_Q2_REL * r2 + 4.0 * _ok.EPS * math.sqrt(r2) + _ok.EPS * _ok.EPS:
            return True
    return False


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
    alp1 = (1.0 - alpha) / 2.0
    alp2 = alpha / 2.0
    alp3 = (1.0 - alpha) / alpha
    alp4 = 1.0 - alpha
    alp5 = alpha
    nc = 12 if grad else 3
    sa0 = sa1 = sa2 = sa3 = sa4 = sa5 = sa6 = sa7 = sa8 = sa9 = sa10 = sa11 = 0.0
    sb0 = sb1 = sb2 = sb3 = sb4 = sb5 = sb6 = sb7 = sb8 = sb9 = sb10 = sb11 = 0.0
    sc0 = sc1 = sc2 = sc3 = sc4 = sc5 = sc6 = sc7 = sc8 = sc9 = sc10 = sc11 = 0.0
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
            xi2 = xi * xi
            et2 = et * et
            r2 = xi2 + et2 + q2
            r = math.sqrt(r2)
            r3 = r * r2
            r5 = r3 * r2
            yb = et * cd + q * sd
            db = et * sd - q * cd
            tt = math.atan(xi * et / (q * r))
            rxi = r + xi
            alx = math.log(rxi)
            x11 = 1.0 / (r * rxi)
            x32 = (r + rxi) * x11 * x11 / r
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
            pa0 = pa1 = pa2 = pa3 = pa4 = pa5 = pa6 = pa7 = pa8 = pa9 = pa10 = pa11 = 0.0
            xy = xi * y11
            qx = q * x11
            qy = q * y11
            if s1 != 0.0:
                c = k1
                pa0 += c * (tt / 2.0 + alp2 * xi * qy)
                pa1 += c * (alp2 * q / r)
                pa2 += c * (alp1 * ale - alp2 * q * qy)
                if grad:
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
                if grad:
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
                if grad:
                    pa3 += c * (-alp1 * xy + alp2 * xi * q2 * y32)
                    pa4 += c * (-alp1 / r + alp2 * q2 / r3)
                    pa5 += c * (-alp1 * qy - alp2 * q * q2 * y32)
                    pa6 += c * (-alp1 * (cd / r + qy * sd) - alp2 * q * fy)
                    pa7 += c * (-alp1 * yb * x11 - alp2 * q * gy)
                    pa8 += c * (alp1 * (db * x11 + xy * sd) + alp2 * q * hy)
                    pa9 += c * (alp1 * (sd / r - qy * cd) - alp2 * q * fz)
                    pa10 += c * (alp1 * db * x11 - alp2 * q * gz)
                    pa11 += c * (alp1 * (yb * x11 + xy * cd) + alp2 * q * hz)

            if image == 0:
                sa0 += pa0
                sa1 += pa1
                sa2 += pa2
                sa3 += pa3
                sa4 += pa4
                sa5 += pa5
                sa6 += pa6
                sa7 += pa7
                sa8 += pa8
                sa9 += pa9
                sa10 += pa10
                sa11 += pa11
                continue
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
                    ai4 = 1.0 / cdcd * (xi / rd * sdcd + 2.0 * math.atan(
                        (et * (xx + q * cd) + xx * (r + xx) * sd) / (xi * (r + xx) * cd)))
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
            if s1 != 0.0:
                c = k1
                pb0 += c * (-xi * qy - tt - alp3 * ai1 * sd)
                pb1 += c * (-q / r + alp3 * yb / rd * sd)
                pb2 += c * (q * qy - alp3 * ai2 * sd)
                if grad:
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
                if grad:
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
                if grad:
                    pb3 += c * (-xi * q2 * y32 - alp3 * aj4 * sdsd)
                    pb4 += c * (-q2 / r3 - alp3 * aj5 * sdsd)
                    pb5 += c * (q * q2 * y32 - alp3 * aj6 * sdsd)
                    pb6 += c * (q * fy - alp3 * aj1 * sdsd)
                    pb7 += c * (q * gy - alp3 * aj2 * sdsd)
                    pb8 += c * (-q * hy - alp3 * aj3 * sdsd)
                    pb9 += c * (q * fz + alp3 * ak3 * sdsd)
                    pb10 += c * (q * gz + alp3 * xi * d11 * sdsd)
                    pb11 += c * (-q * hz + alp3 * ak4 * sdsd)

            if surface_disp_only:
                sb0 += pb0
                sb1 += pb1
                sb2 += pb2
                continue
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
                if grad:
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
                if grad:
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
                if grad:
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
            sb0 += pa0 + pb0
            sb1 += pa1 + pb1
            sb2 += pa2 + pb2
            sb3 += pa3 + pb3
            sb4 += pa4 + pb4
            sb5 += pa5 + pb5
            sb6 += pa6 + pb6
            sb7 += pa7 + pb7
            sb8 += pa8 + pb8
            sb9 += pa9 + pb9
            sb10 += pa10 + pb10
            sb11 += pa11 + pb11
            sc0 += pc0
            sc1 += pc1
            sc2 += pc2
            sc3 += pc3
            sc4 += pc4
            sc5 += pc5
            sc6 += pc6
            sc7 += pc7
            sc8 += pc8
            sc9 += pc9
            sc10 += pc10
            sc11 += pc11
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
        out[0] = sab[0]
        out[1] = sab[1] * cd - sab[2] * sd
        out[2] = sab[1] * sd + sab[2] * cd
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


