"""algorithms/blas.py and the fixed-order solves of algorithms/ordered.py: the PCA atmosphere's and the ramp and
phase-elevation fits' bytes do not depend on BLAS's thread count (a desktop run uses every core, a Dask worker one
thread), and the fixed-order solves agree with LAPACK's (numpy) to rounding."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from testutils_seed import drawn_seed

from insar_geohazards.algorithms import blas
from insar_geohazards.algorithms.ordered import spd_condition, spd_solve, sym_eigvals


def _limits():
    return pytest.importorskip("threadpoolctl", reason="threadpoolctl is not installed (it comes with "
                                                       "scikit-learn): BLAS's thread count cannot be set here")


def _blas_threads():
    from threadpoolctl import threadpool_info

    return [d["num_threads"] for d in threadpool_info() if d.get("user_api") == "blas"]


def _under(n, fn):
    """``fn()`` with BLAS limited to ``n`` threads; skipped when this BLAS cannot be given ``n`` threads."""
    tpc = _limits()
    with tpc.threadpool_limits(limits=n, user_api="blas"):
        got = _blas_threads()
        if not got or max(got) != n:
            pytest.skip(f"this BLAS runs {got} threads when asked for {n}: nothing to compare")
        return fn()


def _lapack_follows_threads(rng):
    """Whether numpy's ``eigh`` of a random 30 x 30 Gram matrix changes bits between 1 and 2 BLAS threads here (the
    hazard the products must not show; OpenBLAS 0.3.21 does on every draw)."""
    x = rng.normal(size=(30, 200))
    g = x @ x.T
    return any(not np.array_equal(a, b) for a, b in zip(_under(1, lambda: np.linalg.eigh(g)),
                                                        _under(2, lambda: np.linalg.eigh(g))))


def _seed():
    return drawn_seed()


def _same_under_one_and_two(fn, seed):
    one, two = _under(1, fn), _under(2, fn)
    for k in one:
        a, b = np.asarray(one[k]), np.asarray(two[k])
        assert a.tobytes() == b.tobytes(), (f"{k}: {int(np.sum(a != b))} of {a.size} values differ, 1 vs 2 threads "
                                            f"(seed {seed})")


def test_the_pca_correction_gives_the_same_bytes_on_one_or_two_blas_threads():
    from insar_geohazards.algorithms.corrections.pca import pca_block, smooth_model

    seed = _seed()
    rng = np.random.default_rng(seed)
    if not _lapack_follows_threads(rng):
        pytest.skip("this BLAS gives eigh the same bits on 1 and 2 threads: the check would prove nothing")
    import datetime as dt

    n = int(rng.integers(36, 61))
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * k) for k in range(n)]
    g = smooth_model(dates)
    rows, cols = int(rng.integers(20, 40)), int(rng.integers(20, 40))
    t = np.arange(n)[:, None, None] / 30.0
    series = -3.0 * t * np.exp(-((np.arange(cols)[None, None, :] - cols / 2) ** 2) / 40.0) + rng.normal(
        0, 4, (n, 1, 1)) * rng.random((1, rows, cols)) + rng.normal(0, 0.5, (n, rows, cols))
    series[:, rng.integers(0, rows, 5), rng.integers(0, cols, 5)] = np.nan
    _same_under_one_and_two(lambda: pca_block(series, g, tile=16), seed)


def test_ramp_and_phase_elevation_fits_give_the_same_bytes_on_one_or_two_blas_threads():
    from insar_geohazards.algorithms.corrections import ramps
    from insar_geohazards.algorithms.corrections.troposphere import _solve

    seed = _seed()
    rng = np.random.default_rng(seed)
    m, h, w = int(rng.integers(8, 20)), int(rng.integers(30, 60)), int(rng.integers(30, 60))
    yy, xx = np.mgrid[0:h, 0:w] / 50.0
    stack = (rng.normal(size=(m, 1, 1)) * xx + rng.normal(size=(m, 1, 1)) * yy + rng.normal(size=(m, 1, 1)) * xx * yy
             + rng.normal(0, 0.3, (m, h, w)))
    mask = rng.random((h, w)) < 0.6

    def fits():
        out = {}
        for kind in ramps.RAMP_KINDS:
            corrected, coef = ramps.remove_ramps(stack, kind=kind, mask=mask, min_pixels=20)
            out[f"{kind}_coef"], out[kind] = coef, corrected
        a = rng_a.normal(size=(m, 3, 3))
        out["elevation"] = np.stack([_solve(ai @ ai.T + np.eye(3), np.ones(3))[0] for ai in a])
        out["per_date"], out["per_ifg"] = ramps.per_date_coefficients(net_coef, ref, sec, n_dates, signs)
        return out

    # a network of 60-80 dates, each linked to its next 2-5 (OpenBLAS's lstsq of such a network follows its threads)
    n_dates, reach = int(rng.integers(60, 81)), int(rng.integers(2, 6))
    ref, sec = np.array([(i, j) for i in range(n_dates) for j in range(i + 1, min(n_dates, i + reach + 1))]).T
    signs = rng.choice([-1.0, 1.0], ref.size)
    net_coef = rng.normal(size=(ref.size, 6))

    rng_a = np.random.default_rng(5)
    one = _under(1, fits)
    rng_a = np.random.default_rng(5)
    two = _under(2, fits)
    for k in one:
        assert one[k].tobytes() == two[k].tobytes(), f"{k} (seed {seed})"
    # the coefficients are the least-squares surfaces (numpy's lstsq on the mask, an independent solve)
    yr, xr = np.nonzero(mask)
    x, y = ramps.scaled_coordinates(yr, xr, (h, w))
    design = ramps.ramp_design(x, y, "quadratic")
    ref_coef = np.linalg.lstsq(design, stack[:, yr, xr].T, rcond=None)[0].T
    np.testing.assert_allclose(one["quadratic_coef"], ref_coef, rtol=0, atol=1e-10 * np.abs(ref_coef).max())
    # the per-date coefficients are the network's least-squares solution with the first date at 0 (numpy's lstsq)
    inc = np.zeros((ref.size, n_dates))
    inc[np.arange(ref.size), ref], inc[np.arange(ref.size), sec] = -1.0, 1.0
    sol = np.linalg.lstsq(inc[:, 1:], signs[:, None] * net_coef, rcond=None)[0]
    np.testing.assert_allclose(one["per_date"][1:], sol, rtol=0, atol=1e-11 * np.abs(sol).max())
    assert not one["per_date"][0].any()



def test_coulomb_optimal_planes_give_the_same_bytes_on_one_or_two_blas_threads():
    from insar_geohazards.algorithms.faults.stress import optimal_planes, regional_stress_tensor

    seed = _seed()
    rng = np.random.default_rng(seed)
    stress = rng.normal(0, 1e5, (int(rng.integers(200, 600)), 3, 3))
    stress = 0.5 * (stress + np.swapaxes(stress, 1, 2))
    regional = regional_stress_tensor([(rng.uniform(0, 360), rng.uniform(0, 30), 1e6), (rng.uniform(0, 360), 60.0, 4e5),
                                       (rng.uniform(0, 360), 10.0, 1e5)])

    def run():
        return dict(zip(("dcfs", "strike", "dip", "rake"), optimal_planes(stress, regional, friction=0.4)))
    _same_under_one_and_two(run, seed)

@pytest.mark.parametrize("k", [1, 2, 3, 6, 10])
def test_fixed_order_solves_agree_with_lapack(k):
    rng = np.random.default_rng(k)
    a = rng.normal(size=(40, k, k + 2))
    spd = a @ np.swapaxes(a, 1, 2) + 1e-3 * np.eye(k)
    b = rng.normal(size=(40, k))
    x = spd_solve(spd, b)
    np.testing.assert_allclose(np.einsum("bij,bj->bi", spd, x), b, atol=1e-9)
    np.testing.assert_allclose(sym_eigvals(spd), np.linalg.eigvalsh(spd), rtol=0,
                               atol=1e-13 * np.abs(np.linalg.eigvalsh(spd)).max())
    np.testing.assert_allclose(spd_condition(spd), np.linalg.cond(spd), rtol=1e-9)
    # a matrix's answer does not depend on the batch it is solved in
    i = int(rng.integers(0, 40))
    assert spd_solve(spd[i], b[i]).tobytes() == x[i].tobytes()
    assert sym_eigvals(spd[i]).tobytes() == sym_eigvals(spd)[i].tobytes()


def test_singular_or_indefinite_matrices():
    line = np.array([[1.0, 1.0], [1.0, 1.0]])  # pixels on a line: a rank-one normal matrix
    assert np.isinf(spd_condition(line)) or spd_condition(line) > 1e15
    assert np.isnan(spd_solve(np.array([[1.0, 2.0], [2.0, 1.0]]), np.ones(2))).all()
    with pytest.raises(ValueError, match="spd_solve"):
        spd_solve(np.eye(3), np.ones(2))


def test_one_blas_thread_nests_and_is_shared_by_threads():
    _limits()
    before = _blas_threads()
    if not before:  # e.g. Debian 13's and sid's numpy on the reference BLAS (libblas3): one thread, no pool
        pytest.skip("threadpoolctl sees no threaded BLAS in this process: there is no thread count to hold")
    with blas.one_blas_thread() as pinned:
        assert pinned and set(_blas_threads()) == {1}
        with blas.one_blas_thread():
            assert set(_blas_threads()) == {1}
        assert set(_blas_threads()) == {1}  # the inner exit does not lift the outer limit
    assert _blas_threads() == before
    # two Python threads overlapping: the first to leave does not lift the other's limit
    inside, leave, seen = threading.Event(), threading.Event(), []

    def hold():
        with blas.one_blas_thread():
            inside.set()
            leave.wait(10)

    th = threading.Thread(target=hold)
    th.start()
    inside.wait(10)
    with blas.one_blas_thread():
        pass
    seen.append(_blas_threads())
    leave.set()
    th.join()
    assert set(seen[0]) == {1}
    assert _blas_threads() == before
    assert blas.threads_pinned()


def test_without_threadpoolctl_blas_is_left_as_it_is(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import threadpoolctl raises ImportError
    assert not blas.threads_pinned()
    with blas.one_blas_thread() as pinned:
        assert pinned is False
