"""Okada (1985, 1992) dislocations in an elastic half-space: displacement and gradients.

Two layers live here:

* :func:`dc3d` and :func:`dc3d0` take **Okada's own argument lists** (alpha, x, y, z,
  depth, dip, al1, al2, aw1, aw2, disl1, disl2, disl3 for a finite rectangle; pot1..pot4
  for a point source) and return ``ux, uy, uz`` and the nine derivatives
  ``uxx, uyx, uzx, uxy, uyy, uzy, uxz, uyz, uzz`` (``uij = d u_i / d j``) plus the return
  code ``iret`` (0 normal, 1 singular, 2 positive z), with DC3D's singularity handling:
  an observation point on a fault edge is singular (zeros, ``iret=1``); points on the
  negative extension of an edge use the ``log(R - xi)`` branch. They accept numpy arrays
  for the station coordinates (broadcast) and are what the tests compare with Okada's
  published check list (Okada 1985, Table 2).
* :func:`okada_displacement` / :func:`okada_greens` evaluate many rectangular sources
  in map coordinates (east, north, up in metres) at many points, in parallel numba
  kernels (pairs points x sources), for forward models, Coulomb stress and inversions.
  :func:`okada_displacement` sums the rectangles of each plane over their distinct corners
  with net signed slip (:func:`~.okada_planes.plane_groups`; exact, see :mod:`.okada_planes`), falling back
  to patch-by-patch DC3D near the plane.
  With gradients the corners are evaluated for 64 stations at a time in vectorised loops
  (:mod:`.okada_block`); :func:`okada_gradients` returns the 9 derivatives without the displacement.

Coordinates in Okada's system: x along strike, y horizontal and perpendicular to
strike (pointing to the left of strike: the fault dips toward -y, hanging wall on -y),
z up (``z <= 0`` inside the medium). ``depth`` is the depth (positive) of the
reference point, which is the lower edge when ``aw1 = 0``. Slip: ``disl1`` strike-slip
(positive = left-lateral), ``disl2`` dip-slip (positive = reverse/thrust), ``disl3``
tensile opening; each is the motion of the hanging wall relative to the footwall.
``alpha = (lambda + mu) / (lambda + 2 mu) = 1 / (2 (1 - nu))`` (2/3 for nu = 0.25).

The maths follows the published formulas (Okada 1992, Tables 6-8 for the finite source
parts A, B, C and Table 2-4 for the point source); the code is our own, written as
scalar numba functions over one (point, source corner) pair.

References
----------
Okada, Y. (1985). Surface deformation due to shear and tensile faults in a half-space.
BSSA 75(4), 1135-1154. doi:10.1785/BSSA0750041135
Okada, Y. (1992). Internal deformation due to shear and tensile faults in a half-space.
BSSA 82(2), 1018-1040. doi:10.1785/BSSA0820021018
"""

from __future__ import annotations

import math

import numpy as np

from .._numba import njit, prange, python_equivalent, python_twin
from ..errors import GeohazardError
from ..ordered import canonical_nan
from ..progress import check_canceled
from . import okada_numpy
from .okada_block import _gradients_kernel
from .okada_corners import _plane_corners
from .okada_dc3d import (  # noqa: F401 - dc3d, dc3d0, the source table's columns: public here too
    KIND_POINT,
    KIND_RECTANGLE,
    SRC_COLUMNS,
    _dc3d0_one,
    _dc3d_one,
    _dip_constants,
    alpha_from_poisson,
    dc3d,
    dc3d0,
)
from .okada_planes import _near_plane, plane_groups
from .okada_sources import _add_sources, _one_rectangle, _rotate_into


@njit(parallel=True)
def _sum_sources_kernel(alpha, e, n, z, sources, groups, cstart, corners, mstart, members, rest, grad, share,
                        out):
    """Sum of all sources at every station; ``out[i]``: 3 displacements (+9 gradients), map frame.

    Rectangles go plane group by plane group (:func:`plane_groups`): shared corners once
    (``share``) or, near the plane or when ``share`` is False, patch by patch with DC3D.
    ``rest`` (point sources) go one by one.
    """
    for i in prange(e.shape[0]):
        buf = np.zeros(12)
        acc = np.zeros(12)
        scratch = np.empty((3, 12))
        singular = False
        surface_disp_only = (z[i] == 0.0) and (not grad)
        for gi in range(groups.shape[0]):
            grp = groups[gi]
            de = e[i] - grp[0]
            dn = n[i] - grp[1]
            x = de * grp[3] + dn * grp[4]
            y = -de * grp[4] + dn * grp[3]
            if share and not _near_plane(x, y, z[i], grp[2], grp[5], grp[6], grp, surface_disp_only):
                _plane_corners(alpha, x, y, z[i], grp, corners, cstart[gi], cstart[gi + 1], grad,
                               surface_disp_only, buf, scratch[0], scratch[1], scratch[2])
                _rotate_into(buf, grp[3], grp[4], grad, acc, 1.0)
                continue
            singular = _add_sources(alpha, e[i], n[i], z[i], sources, members[mstart[gi]:mstart[gi + 1]], grad, buf,
                                    scratch, acc)
            if singular:
                break
        if not singular:
            singular = _add_sources(alpha, e[i], n[i], z[i], sources, rest, grad, buf, scratch, acc)
        nc = out.shape[1]
        for k in range(nc):
            out[i, k] = math.nan if singular else acc[k]


def _greens_body(alpha, e, n, z, sources, out):
    """Per-source displacement (n_points, n_sources, 3) in east/north/up, rectangular sources only."""
    for i in prange(e.shape[0]):
        buf = np.zeros(12)
        acc = np.zeros(12)
        scratch = np.empty((3, 12))
        for s in range(sources.shape[0]):
            src = sources[s]
            iret = _one_rectangle(alpha, e[i], n[i], z[i], src, False, buf, scratch)
            for k in range(3):
                acc[k] = 0.0
            if iret != 0:
                for k in range(3):
                    out[i, s, k] = math.nan
                continue
            phi = math.radians(src[3])
            _rotate_into(buf, math.sin(phi), math.cos(phi), False, acc, 1.0)
            for k in range(3):
                out[i, s, k] = acc[k]


_greens_kernel = njit(parallel=True)(_greens_body)
# small problems (inversions evaluate thousands of trial geometries): no thread start-up cost
_greens_serial = njit(_greens_body)


# As Python (no numba, or the numpy path of a first run) the kernels run their numpy form over arrays of stations,
# the same bits (:mod:`.okada_numpy`, tests/core/test_faults_okada_numpy.py); without shared corners, or with the
# gradients (which the tools take from :mod:`.okada_block`'s kernel), the kernel's own loop.
def _sum_sources_np(alpha, e, n, z, sources, groups, cstart, corners, mstart, members, rest, grad, share, out):
    if share and not grad:
        okada_numpy.sum_sources(alpha, e, n, z, sources, groups, cstart, corners, mstart, members, rest, False, True,
                                out)
    else:
        python_twin(_sum_sources_kernel)(alpha, e, n, z, sources, groups, cstart, corners, mstart, members, rest,
                                         grad, share, out)


def _gradients_np(alpha, e, n, z, sources, groups, cstart, corners, mstart, members, rest, disp, out):
    okada_numpy.sum_sources(alpha, e, n, z, sources, groups, cstart, corners, mstart, members, rest, True, disp, out)


python_equivalent(_sum_sources_kernel, _sum_sources_np)
python_equivalent(_gradients_kernel, _gradients_np)
python_equivalent(_greens_kernel, okada_numpy.greens)
python_equivalent(_greens_serial, okada_numpy.greens)


def _check_points(east_m, north_m, up_m):
    e, n, z = np.broadcast_arrays(np.asarray(east_m, float), np.asarray(north_m, float),
                                  np.asarray(0.0 if up_m is None else up_m, float))
    if np.any(z > 0):
        raise GeohazardError(f"up_m must be <= 0 (points inside or on the half-space), got max {np.nanmax(z)}")
    return e.shape, (np.array(a.ravel(), dtype=float) for a in (e, n, z))


def okada_displacement(east_m, north_m, sources, *, up_m=None, poisson=0.25, gradients=False,
                       share_corners=True, block_points=65536, progress=None):
    """Displacement (and its gradient) of many Okada sources at many points, map frame.

    Parameters
    ----------
    east_m, north_m : array_like
        Station coordinates in a projected CRS (metres), any shape (broadcast).
    sources : ndarray, shape (n_sources, 11)
        Source table with columns :data:`SRC_COLUMNS` (build it with
        :meth:`algorithms.faults.faults.Faults.table`): reference point (east, north,
        depth of the lower edge start for rectangles, centroid for points), strike and dip
        (degrees, right-hand rule: the fault dips to the right of strike), length and
        width (m), strike-slip (left-lateral +), dip-slip (reverse +) and opening (m)
        or, for point sources, potencies (m^3), and ``kind`` (0 rectangle, 1 point).
    up_m : array_like, optional
        Station height (``<= 0``, metres; depth = -up). Default: the free surface.
    poisson : float
        Poisson's ratio (0.25 default).
    gradients : bool
        Also return ``du_i/dx_j`` (east, north, up).
    share_corners : bool
        Evaluate the rectangles plane by plane over their distinct corners with net slip
        (:func:`plane_groups`; exact, same result as patch by patch to rounding, ~4x fewer
        corner evaluations for a meshed fault and far fewer for uniform slip; with ``gradients``
        vectorised over blocks of stations, :mod:`.okada_block`). ``False`` sums DC3D patch by
        patch (reference path).

    Returns
    -------
    disp : ndarray, shape (..., 3)
        East, north, up displacement in metres (the unit of slip).
    grad : ndarray, shape (..., 3, 3), only when ``gradients``
        ``grad[..., i, j] = d u_i / d x_j`` (dimensionless).
    Stations on a source edge (singular in DC3D) get NaN.

    References
    ----------
    Okada (1992), doi:10.1785/BSSA0820021018.
    """
    sources = np.ascontiguousarray(np.atleast_2d(np.asarray(sources, float)))
    out, shape = _evaluate(east_m, north_m, sources, up_m, poisson, gradients, gradients, share_corners, block_points,
                           progress)
    disp = out[:, :3].reshape(shape + (3,))
    if gradients:
        return disp, out[:, 3:].reshape(shape + (3, 3))
    return disp


def okada_gradients(east_m, north_m, sources, *, up_m=None, poisson=0.25, share_corners=True, block_points=65536,
                    progress=None):
    """Displacement gradient of many Okada sources at many points, map frame, without the displacement.

    The same ``grad`` as :func:`okada_displacement` with ``gradients=True`` (same bits), about a third
    faster: DC3D's derivatives need none of its ``atan``/``log`` terms, which only the displacement takes.
    Arguments as in :func:`okada_displacement`.

    Returns
    -------
    grad : ndarray, shape (..., 3, 3)
        ``grad[..., i, j] = d u_i / d x_j`` (east, north, up; dimensionless). NaN on a source edge.
    """
    sources = np.ascontiguousarray(np.atleast_2d(np.asarray(sources, float)))
    out, shape = _evaluate(east_m, north_m, sources, up_m, poisson, True, False, share_corners, block_points, progress)
    return out[:, 3:].reshape(shape + (3, 3))


def _evaluate(east_m, north_m, sources, up_m, poisson, gradients, displacement, share_corners, block_points,
              progress):
    """``out (n_points, 3 or 12)`` and the points' shape; with ``gradients`` and shared corners the block
    kernel of :mod:`.okada_block` (vectorised over stations), else :func:`_sum_sources_kernel`; with shared corners
    and the kernels not compiled (the numpy path of a first run, or no numba) their numpy form
    (:func:`.okada_numpy.sum_sources`, the same bits)."""
    if sources.shape[1] != len(SRC_COLUMNS):
        raise GeohazardError(f"sources must have {len(SRC_COLUMNS)} columns, got shape {sources.shape}")
    shape, (e, n, z) = _check_points(east_m, north_m, up_m)
    alpha = alpha_from_poisson(poisson)
    nc = 12 if gradients else 3
    out = np.empty((e.size, nc))
    groups, cstart, corners, mstart, members, rest = plane_groups(sources)
    n_blocks = max(1, -(-e.size // block_points))
    for b, i0 in enumerate(range(0, max(e.size, 1), block_points)):
        check_canceled(progress)
        if progress is not None:
            progress.set_progress(100.0 * b / n_blocks)
        i1 = min(i0 + block_points, e.size)
        if gradients and share_corners:
            _gradients_kernel(alpha, e[i0:i1], n[i0:i1], z[i0:i1], sources, groups, cstart, corners, mstart,
                              members, rest, bool(displacement), out[i0:i1])
        else:
            _sum_sources_kernel(alpha, e[i0:i1], n[i0:i1], z[i0:i1], sources, groups, cstart, corners, mstart,
                                members, rest, bool(gradients), bool(share_corners), out[i0:i1])
    return canonical_nan(out), shape



def okada_greens(east_m, north_m, sources, *, up_m=None, poisson=0.25):
    """Per-source surface displacement, shape (n_points, n_sources, 3), map frame (east, north, up).

    Same conventions as :func:`okada_displacement`; used to build design matrices, of rectangular sources only
    (point sources: :func:`okada_displacement`, one source at a time).
    """
    sources = np.ascontiguousarray(np.atleast_2d(np.asarray(sources, float)))
    if np.any(sources[:, 10] == KIND_POINT):
        raise GeohazardError("okada_greens: point sources (DC3D0) are not taken; the design matrices of the slip "
                             "inversions hold rectangular patches only")
    _, (e, n, z) = _check_points(east_m, north_m, up_m)
    out = np.empty((e.size, sources.shape[0], 3))
    kernel = _greens_serial if e.size * sources.shape[0] < 20_000 else _greens_kernel
    kernel(alpha_from_poisson(poisson), e, n, z, sources, out)
    return canonical_nan(out)
