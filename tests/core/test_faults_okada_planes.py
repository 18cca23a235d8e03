"""Shared-corner (plane-group) Okada path equals the per-patch DC3D path.

``okada_displacement(..., share_corners=True)`` evaluates each plane's distinct corners once
with their net signed slip; ``share_corners=False`` sums DC3D patch by patch. They must agree
to rounding everywhere, including stations on edge extensions, on edges (NaN) and at the
depth of the fault.
"""

import numpy as np
import pytest

from insar_geohazards.algorithms import _numba
from insar_geohazards.algorithms.faults import okada, okada_planes
from insar_geohazards.algorithms.faults.faults import Faults, discretize, faults_from_traces

RTOL = 1e-9


def _both(e, n, table, z, gradients):
    out = []
    for share in (True, False):
        r = okada.okada_displacement(e, n, table, up_m=z, gradients=gradients, share_corners=share)
        if gradients:
            r = np.concatenate([r[0].reshape(r[0].shape[:-1] + (-1,)), r[1].reshape(r[1].shape[:-2] + (-1,))],
                               axis=-1)
        out.append(r)
    return out


def _assert_same(a, b, rtol=RTOL):
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(b)
    assert ok.any()
    scale = np.abs(b[ok]).max()
    err = np.abs(a[ok] - b[ok]).max() / scale
    assert err <= rtol, err


def _random_mesh(rng, n_len, n_wid, *, uniform=False, top_m=None):
    strike = rng.uniform(0, 360)
    dip = rng.uniform(15, 90)
    top = rng.uniform(0, 3e3) if top_m is None else top_m
    f = Faults.create(east_m=rng.uniform(-5e3, 5e3) + 4.5e5, north_m=rng.uniform(-5e3, 5e3) + 4.9e6,
                      strike_deg=strike, dip_deg=dip, length_m=rng.uniform(10e3, 30e3), top_m=top,
                      bottom_m=top + rng.uniform(5e3, 15e3), strike_slip_m=1.3, dip_slip_m=-0.7, opening_m=0.2)
    p, _ = discretize(f, patch_length_m=f.length_m[0] / n_len, patch_width_m=f.width_m[0] / n_wid)
    t = p.table()
    if not uniform:
        t[:, 7:10] *= rng.uniform(-0.5, 1.5, (len(p), 3))
    return f, t


def _stations(rng, f, n=400):
    c = f.centres()[0]
    e = c[0] + rng.uniform(-40e3, 40e3, n)
    nn = c[1] + rng.uniform(-40e3, 40e3, n)
    return e, nn


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_variable_slip_mesh_matches_per_patch(seed):
    rng = np.random.default_rng(seed)
    f, t = _random_mesh(rng, 9, 5)
    groups, cstart, corners, _, members, rest = okada_planes.plane_groups(t)
    assert groups.shape[0] == 1 and members.size == len(t) and rest.size == 0
    assert corners.shape[0] <= 10 * 6  # (nx + 1)(nz + 1) distinct corners
    e, n = _stations(rng, f)
    for z, grad in ((0.0, False), (0.0, True), (-4e3, True), (-12e3, False)):
        a, b = _both(e, n, t, z, grad)
        _assert_same(a, b)


def test_uniform_slip_mesh_is_the_parent_rectangle():
    rng = np.random.default_rng(5)
    f, t = _random_mesh(rng, 12, 7, uniform=True)
    _, _, corners, _, _, _ = okada_planes.plane_groups(t)
    assert corners.shape[0] == 4  # interior corners cancel exactly
    e, n = _stations(rng, f)
    for z in (0.0, -6e3):
        a, b = _both(e, n, t, z, True)
        _assert_same(a, b)
        parent = okada.okada_displacement(e, n, f.table(), up_m=z, gradients=True, share_corners=False)
        ref = np.concatenate([parent[0], parent[1].reshape(-1, 9)], axis=1)
        _assert_same(a, ref)


def test_non_planar_mixture_groups_and_matches():
    rng = np.random.default_rng(7)
    # a bent trace (two planes), a second fault parallel to the first segment (same strike and
    # dip, another plane), a lone rectangle and a point source
    bent = faults_from_traces([np.array([[0.0, 0.0], [10e3, 4e3], [18e3, 14e3]])], dip_deg=55, top_m=500,
                              bottom_m=9e3, slip_m=1.0, rake_deg=70)
    parallel = faults_from_traces([np.array([[0.0, -3e3], [10e3, 1e3]])], dip_deg=55, top_m=500, bottom_m=9e3,
                                  slip_m=0.5, rake_deg=-30)
    p1, _ = discretize(bent, patch_length_m=2e3, patch_width_m=2e3)
    p2, _ = discretize(parallel, patch_length_m=2.5e3, patch_width_m=1.5e3)
    lone = Faults.create(east_m=-8e3, north_m=5e3, strike_deg=200, dip_deg=80, length_m=4e3, top_m=2e3,
                         bottom_m=6e3, strike_slip_m=-0.4, dip_slip_m=0.3)
    quiet = Faults.create(east_m=12e3, north_m=-6e3, strike_deg=300, dip_deg=35, length_m=3e3, top_m=1e3,
                          bottom_m=3e3)  # no slip: a group without corners
    point = Faults.create(east_m=5e3, north_m=-9e3, strike_deg=10, dip_deg=40, length_m=1.0, top_m=5e3,
                          bottom_m=5e3, strike_slip_m=1e6, dip_slip_m=2e6, kind=okada.KIND_POINT)
    t = Faults.concat([p1, p2, lone, quiet, point]).table()
    t[: len(p1) + len(p2), 7:10] *= rng.uniform(0.2, 1.5, (len(p1) + len(p2), 1))
    groups, cstart, _, mstart, _, rest = okada_planes.plane_groups(t)
    assert groups.shape[0] == 5 and np.diff(cstart).min() == 0
    assert np.diff(mstart).sum() == len(t) - 1 and rest.tolist() == [len(t) - 1]
    e = rng.uniform(-30e3, 40e3, 500)
    n = rng.uniform(-30e3, 40e3, 500)
    for z, grad in ((0.0, False), (0.0, True), (-3e3, True)):
        a, b = _both(e, n, t, z, grad)
        _assert_same(a, b)


def test_edge_extensions_edges_and_fault_depth():
    """Stations on the lines of patch edges (and their extensions), on the plane, on edges."""
    f = Faults.create(east_m=0.0, north_m=0.0, strike_deg=0.0, dip_deg=90.0, length_m=10e3, top_m=0.0,
                      bottom_m=6e3, strike_slip_m=1.0, dip_slip_m=0.5)
    p, _ = discretize(f, patch_length_m=2e3, patch_width_m=2e3)
    t = p.table()
    t[:, 7:10] *= np.linspace(0.5, 1.5, len(p))[:, None]
    # surface trace line x = 0: beyond both ends (negative and positive extensions), on the trace
    # (edge: NaN), and just off the plane (inside and outside the fallback band)
    n_line = np.array([-7e3, -2e3, -1.0, 2e3, 4e3, 10e3 + 1.0, 13e3, 25e3])
    for off in (0.0, 1e-7, 0.3, 5.0, 40.0, 300.0):
        e = np.full(n_line.size, off)
        for grad in (False, True):
            a, b = _both(e, n_line, t, 0.0, grad)
            _assert_same(a, b)
    # at depth 2 km and 4 km (the depth of patch edges) and 3 km (mid-patch), along strike
    for z in (-2e3, -3e3, -4e3):
        for off in (0.0, 0.5, 50.0):
            e = np.full(n_line.size, off)
            a, b = _both(e, n_line, t, z, True)
            _assert_same(a, b)
    # on an interior patch edge inside the fault (x = 0, north = 4 km, depth 2 km): singular -> NaN
    a, b = _both(np.array([0.0, 1e3]), np.array([4e3, 4e3]), t, -2e3, True)
    assert np.isnan(a[0]).all() and np.isnan(b[0]).all() and np.isfinite(a[1]).all()


def test_dipping_plane_crossed_by_the_observation_depth():
    rng = np.random.default_rng(11)
    f, t = _random_mesh(rng, 8, 6, top_m=0.0)
    z = -0.5 * (f.top_m[0] + f.bottom_m[0])
    # stations on the line where the plane meets the depth z, and across it
    dip = np.radians(f.dip_deg[0])
    phi = np.radians(f.strike_deg[0])
    horiz = -z / np.tan(dip)
    s = np.linspace(-20e3, 50e3, 71)
    for off in (0.0, 0.2, 3.0, 100.0, -100.0, 2e3):
        e = f.east_m[0] + s * np.sin(phi) + (horiz + off) * np.cos(phi)
        n = f.north_m[0] + s * np.cos(phi) - (horiz + off) * np.sin(phi)
        a, b = _both(e, n, t, z, True)
        _assert_same(a, b)


@pytest.mark.skipif(not _numba.HAVE_NUMBA, reason="numba not installed: the pure-Python path is the only one")
def test_shared_kernel_numba_and_python_agree():
    rng = np.random.default_rng(3)
    f, t = _random_mesh(rng, 3, 2)
    e, n = _stations(rng, f, n=6)
    z = np.full(e.size, -2e3)
    pieces = okada_planes.plane_groups(t)
    alpha = okada.alpha_from_poisson(0.25)
    out_n = np.empty((e.size, 12))
    out_p = np.empty((e.size, 12))
    okada._sum_sources_kernel(alpha, e, n, z, t, *pieces, True, True, out_n)
    okada._sum_sources_kernel.py_func(alpha, e, n, z, t, *pieces, True, True, out_p)
    np.testing.assert_allclose(out_n, out_p, rtol=1e-12, atol=1e-15)
