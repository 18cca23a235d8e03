"""SBAS / ISBAS inversion against known truth and an independent least-squares reference."""

import math

import numpy as np
import pytest
from scipy.integrate import trapezoid
from scipy.special import gamma, hyp2f1
from testutils_timeseries import min_norm_velocity_reference, sbas_dates, sbas_pairs, synthetic_stack

from insar_geohazards.algorithms._numba import HAVE_NUMBA
from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.timeseries import sbas
from insar_geohazards.algorithms.timeseries.network import build_network
from insar_geohazards.algorithms.timeseries.sbas import (
    SbasSolver,
    choose_reference,
    coherence_to_weight,
    linear_velocity,
    sbas_inversion,
    wls_kernel,
)


@pytest.fixture(scope="module")
def net():
    return build_network(sbas_pairs(sbas_dates(20), max_neighbours=3))


@pytest.mark.parametrize("weighting", ["none", "variance"])
def test_closure_consistent_network_is_solved_exactly(net, weighting):
    truth, ifg, vel = synthetic_stack(net, seasonal_mm=0.0)
    coh = np.full(ifg.shape, 0.8)
    res = sbas_inversion(ifg, net, coherence=coh, weighting=weighting)
    np.testing.assert_allclose(res.timeseries_mm, truth, atol=1e-8)
    np.testing.assert_allclose(res.temporal_coherence, 1.0, atol=1e-12)
    np.testing.assert_allclose(res.velocity_mm_yr, vel, atol=1e-8)
    np.testing.assert_allclose(res.velocity_std_mm_yr, 0.0, atol=1e-7)
    assert (res.count == net.n_pairs).all()
    assert not res.disconnected.any()


def test_noisy_isbas_stack_error_at_noise_floor(net):
    sigma = 1.0
    truth, ifg, _ = synthetic_stack(net, shape=(30, 30), noise_mm=sigma, missing_fraction=0.1,
                                    nan_block=(0, 5, 0, 5), seed=3)
    before = ifg.copy()
    res = sbas_inversion(ifg, net, min_count=20, min_temporal_coherence=0.0)
    np.testing.assert_array_equal(np.isnan(before), np.isnan(ifg))  # input not modified
    np.testing.assert_array_equal(before[np.isfinite(before)], ifg[np.isfinite(ifg)])
    assert np.isnan(res.timeseries_mm[:, :5, :5]).all() and (res.count[:5, :5] == 0).all()
    ok = np.isfinite(res.velocity_mm_yr)
    assert ok.sum() > 0.9 * (900 - 25)
    # same answer as the per-pixel min-norm velocity least squares (MintPy's algorithm)
    d = ifg.reshape(net.n_pairs, -1)[:, ok.ravel()]
    ref = min_norm_velocity_reference(net, d)
    np.testing.assert_allclose(res.timeseries_mm.reshape(net.n_dates, -1)[:, ok.ravel()], ref, atol=1e-8)
    # error at the noise floor: the formal error of the estimate for this network is ~0.7 sigma
    err = res.timeseries_mm[:, ok] - truth[:, ok]
    rms = float(np.sqrt(np.mean(err ** 2)))
    a = net.design_matrix()
    formal = float(np.sqrt(np.mean(np.diag(np.linalg.inv(a.T @ a)))))
    assert rms < 1.3 * formal * sigma, (rms, formal)
    assert rms > 0.7 * formal * sigma * 0.5


def test_weighted_matches_independent_weighted_least_squares(net):
    rng = np.random.default_rng(7)
    truth, ifg, _ = synthetic_stack(net, shape=(8, 9), noise_mm=2.0, missing_fraction=0.05, seed=5)
    coh = rng.uniform(0.2, 0.95, ifg.shape)
    res = sbas_inversion(ifg, net, coherence=coh, weighting="variance", looks=5, min_count=10,
                         min_temporal_coherence=0.0)
    w = coherence_to_weight(coh, looks=5).reshape(net.n_pairs, -1)
    d = ifg.reshape(net.n_pairs, -1)
    ok = np.isfinite(res.velocity_mm_yr).ravel()
    ref = min_norm_velocity_reference(net, d[:, ok], w[:, ok])
    np.testing.assert_allclose(res.timeseries_mm.reshape(net.n_dates, -1)[:, ok], ref, atol=1e-7)


def test_disconnected_network_reported_and_min_norm_velocity():
    dates = sbas_dates(14)
    net = build_network(sbas_pairs(dates, max_neighbours=2, gap_after=6))
    comps = net.components()
    assert [len(c) for c in comps] == [7, 7]
    truth, ifg, vel = synthetic_stack(net, shape=(5, 6), seasonal_mm=0.0, noise_mm=0.5, seed=1)
    res = sbas_inversion(ifg, net, min_temporal_coherence=0.0)
    assert res.disconnected.all()
    ref = min_norm_velocity_reference(net, ifg.reshape(net.n_pairs, -1))
    np.testing.assert_allclose(res.timeseries_mm.reshape(net.n_dates, -1), ref, atol=1e-6)
    # min-norm velocity across a gap on a linear motion keeps the trend: velocity close to truth
    assert np.nanmax(np.abs(res.velocity_mm_yr - vel)) < 0.25 * np.abs(vel).max()
    # the weighted (numba) path gives the same minimum-norm answer
    coh = np.full(ifg.shape, 0.7)
    res_w = sbas_inversion(ifg, net, coherence=coh, weighting="variance", min_temporal_coherence=0.0)
    np.testing.assert_allclose(res_w.timeseries_mm, res.timeseries_mm, atol=1e-6)


def test_missing_date_in_one_pixel_uses_min_norm_velocity(net):
    truth, ifg, _ = synthetic_stack(net, shape=(3, 3), seasonal_mm=0.0)
    k = 7  # remove every interferogram touching date 7 at pixel (1, 1)
    touch = (net.ref_index == k) | (net.sec_index == k)
    ifg[touch, 1, 1] = np.nan
    res = sbas_inversion(ifg, net, min_count=5, group_min_pixels=1)
    assert res.disconnected[1, 1] and res.disconnected.sum() == 1
    np.testing.assert_allclose(res.timeseries_mm[:, 1, 1], truth[:, 1, 1], atol=1e-6)  # linear: exact


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed: the kernel already runs as Python")
def test_kernel_numba_equals_python(net):
    rng = np.random.default_rng(2)
    truth, ifg, _ = synthetic_stack(net, shape=(4, 5), noise_mm=1.0, missing_fraction=0.3, seed=9)
    d = np.ascontiguousarray(ifg.reshape(net.n_pairs, -1))
    w = rng.uniform(0.5, 2.0, d.shape)
    # min_norm given (its default, True) as the solver gives it: the kernel's one compiled signature
    args = (d, w, net.ref_index, net.sec_index, net.interval_years, 5, 4 * np.pi / 55.0, 1e-5, True)
    for a, b in zip(wls_kernel(*args), wls_kernel.py_func(*args)):
        np.testing.assert_allclose(a, b, atol=1e-9)
    # shared-factor kernel of the unweighted path
    solver = SbasSolver(net)
    rows = np.arange(net.n_pairs)
    fac = solver._pattern_factor(b"all", rows)
    full = np.ascontiguousarray(truth[net.sec_index] - truth[net.ref_index]).reshape(net.n_pairs, -1)
    pix = np.arange(full.shape[1])
    outs = []
    for fn in (sbas._solve_shared_factor, sbas._solve_shared_factor.py_func):
        ts = np.full((net.n_dates, pix.size), np.nan)
        tc = np.full(pix.size, np.nan)
        fn(full, rows, pix, fac, solver._first, net.ref_index, net.sec_index, 0.2, ts, tc)
        outs.append((ts, tc))
    np.testing.assert_allclose(outs[0][0], outs[1][0], atol=1e-9)
    np.testing.assert_allclose(outs[0][0], truth.reshape(net.n_dates, -1), atol=1e-8)
    coh = rng.uniform(0, 1, (net.n_pairs, 7))
    valid = coh > 0.1
    w1 = sbas._weights_from_lut(coh, valid, 1 / np.linspace(2, 0.1, 200), 0.0025, 0.005, 0.05)
    w2 = sbas._weights_from_lut.py_func(coh, valid, 1 / np.linspace(2, 0.1, 200), 0.0025, 0.005, 0.05)
    np.testing.assert_allclose(w1, w2)


@pytest.mark.parametrize("coh_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("compiled", [True, False])
def test_variance_kernel_gives_the_bits_of_weights_then_wls(net, coh_dtype, compiled):
    """The weighted kernel that makes each pixel's weights itself gives, bit for bit, what the weight array of
    ``_weights_from_lut`` solved by ``wls_kernel`` gives: missing values, coherence below the floor and NaN,
    a threshold, too few interferograms, networks cut in two (minimum-norm velocity)."""
    if not compiled and not HAVE_NUMBA:
        pytest.skip("numba is not installed: both runs would be the same Python")
    rng = np.random.default_rng(11)
    _, ifg, _ = synthetic_stack(net, shape=(9, 13), noise_mm=2.0, missing_fraction=0.2, seed=4)
    d = np.ascontiguousarray(ifg.reshape(net.n_pairs, -1))
    touch = (net.ref_index == 6) | (net.sec_index == 6)
    d[touch, :10] = np.nan  # date 6 unreachable in the first pixels: disconnected networks
    coh = rng.uniform(-0.1, 1.1, d.shape).astype(coh_dtype)
    coh[rng.uniform(size=d.shape) < 0.05] = np.nan
    valid = np.isfinite(d) & (coh.astype(np.float64) >= 0.05)
    count = valid.sum(axis=0).astype(np.int32)
    min_count = 30
    todo = count >= min_count
    inv_var = 1.0 / sbas._phase_variance_lut(6)[1]
    args = (net.ref_index, net.sec_index, net.interval_years, min_count, 4 * np.pi / 55.0, 1e-5)
    w = sbas._weights_from_lut(coh, valid & todo[None, :], inv_var, 0.0025, 0.005, 0.05)
    t, tc, _, df = wls_kernel(d, w, *args, True)  # min_norm given, as the solver gives it: one signature
    ts = np.full((net.n_dates, d.shape[1]), np.nan)
    tcoh = np.full(d.shape[1], np.nan)
    disc = np.zeros(d.shape[1], bool)
    # the solver calls the compiled fused kernel with float32 coherence only (float64: the weights then wls_kernel)
    kernel = sbas.wls_variance_kernel if compiled and coh_dtype == np.float32 else sbas.wls_variance_kernel.py_func
    kernel(d, coh, valid, count, inv_var, 0.0025, 0.005, 0.05, *args, ts, tcoh, disc)
    assert df.any() and not todo.all() and todo.any()
    assert ts.tobytes() == np.ascontiguousarray(t.T).tobytes()
    assert tcoh.tobytes() == tc.tobytes()
    assert (disc == df).all()


def test_coherence_weight_matches_hypergeometric_phase_pdf():
    """Independent check: Tough et al. 1995 phase PDF in its 2F1 form, integrated with scipy."""
    looks = 4
    for coh in (0.3025, 0.5025, 0.7025, 0.9025):  # centres of the 0.005-wide table cells
        phi = np.linspace(-np.pi, np.pi, 20001)
        beta = coh * np.cos(phi)
        pdf = (gamma(looks + 0.5) * (1 - coh ** 2) ** looks * beta
               / (2 * math.sqrt(math.pi) * gamma(looks) * (1 - beta ** 2) ** (looks + 0.5))
               + (1 - coh ** 2) ** looks / (2 * np.pi) * hyp2f1(looks, 1, 0.5, beta ** 2))
        assert abs(trapezoid(pdf, phi) - 1) < 1e-6
        var = trapezoid(phi ** 2 * pdf, phi)
        w = coherence_to_weight(np.array([coh + 1e-9]), looks=looks)[0]
        # the table integrates over 200 phase samples (as MintPy): ~1 % quadrature error
        assert abs(1 / w - var) / var < 0.015, (coh, 1 / w, var)
    assert np.all(np.diff(coherence_to_weight(np.linspace(0.1, 0.95, 20), looks=looks)) >= 0)
    assert coherence_to_weight(np.array([np.nan]), looks=3)[0] == coherence_to_weight(np.array([0.05]), looks=3)[0]


def test_linear_velocity_matches_polyfit():
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 3, 15))
    y = rng.normal(size=(15, 4)) + 7 * t[:, None]
    v, s = linear_velocity(y, t)
    for k in range(4):
        (slope, _), cov = np.polyfit(t, y[:, k], 1, cov="unscaled")
        res = y[:, k] - np.polyval([slope, _], t)
        np.testing.assert_allclose(v[k], slope)
        np.testing.assert_allclose(s[k], np.sqrt(cov[0, 0] * np.sum(res ** 2) / (15 - 2)))


def test_min_temporal_coherence_masks_bad_pixels(net):
    truth, ifg, _ = synthetic_stack(net, shape=(4, 4), seasonal_mm=0.0)
    rng = np.random.default_rng(1)
    ifg[:, 0, 0] = rng.uniform(-30, 30, net.n_pairs)  # pure noise: unwrapping-error-like
    res = sbas_inversion(ifg, net, min_temporal_coherence=0.7)
    assert np.isnan(res.velocity_mm_yr[0, 0]) and np.isfinite(res.temporal_coherence[0, 0])
    assert res.temporal_coherence[0, 0] < 0.7
    assert np.isfinite(res.velocity_mm_yr[1:, 1:]).all()


def test_reference_is_subtracted(net):
    truth, ifg, _ = synthetic_stack(net, shape=(4, 4), seasonal_mm=0.0)
    res = sbas_inversion(ifg, net, reference_mm=ifg[:, 2, 3])
    np.testing.assert_allclose(res.timeseries_mm[:, 2, 3], 0.0, atol=1e-9)
    np.testing.assert_allclose(res.timeseries_mm, truth - truth[:, 2:3, 3:4], atol=1e-8)


def test_bad_arguments_raise_clear_errors(net):
    _, ifg, _ = synthetic_stack(net, shape=(2, 2))
    with pytest.raises(GeohazardError, match="weighting"):
        SbasSolver(net, weighting="bogus")
    with pytest.raises(GeohazardError, match="min_count"):
        SbasSolver(net, min_count=net.n_pairs + 1)
    with pytest.raises(GeohazardError, match="coherence is needed"):
        sbas_inversion(ifg, net, weighting="variance")
    with pytest.raises(GeohazardError, match="interferograms"):
        sbas_inversion(ifg[:-1], net)


def test_choose_reference():
    count = np.full((20, 20), 10)
    count[:, :3] = 5
    coh = np.full((20, 20), 0.3)
    coh[12:17, 12:17] = 0.9
    assert choose_reference(count, 10, mean_coherence=coh) == (14, 14)
    r, c = choose_reference(count, 10)
    assert count[r, c] == 10 and c >= 5
    with pytest.raises(GeohazardError, match="no pixel has data in all"):
        choose_reference(np.zeros((3, 3)), 10)


@pytest.mark.parametrize("m, n_pix", [(13, 1), (202, 1537), (8, 512)])
def test_validity_kernels_equal_isfinite_sum_and_packbits(m, n_pix):
    """The solver's one-pass validity kernels give numpy's bytes (isfinite, sum, packbits)."""
    rng = np.random.default_rng(m + n_pix)
    d = rng.normal(size=(m, n_pix))
    d[rng.random(d.shape) < 0.2] = np.nan
    d[rng.random(d.shape) < 0.01] = np.inf
    valid = np.empty(d.shape, bool)
    count = np.zeros(n_pix, np.int32)
    sbas._finite_count(d, valid, count)
    assert valid.tobytes() == np.isfinite(d).tobytes()
    assert count.tobytes() == np.isfinite(d).sum(axis=0).astype(np.int32).tobytes()
    idx = np.flatnonzero(rng.random(n_pix) < 0.7)
    packed = np.zeros((idx.size, (m + 7) // 8), np.uint8)
    sbas._pack_columns(valid, idx, packed)
    assert packed.tobytes() == np.packbits(valid[:, idx], axis=0).T.copy().tobytes()


def test_reference_subtracted_where_read_gives_the_solver_bits():
    from insar_geohazards.algorithms.timeseries.sbas_blocks import referenced

    net = build_network(sbas_pairs(sbas_dates(9), max_neighbours=3))
    _, ifg, _ = synthetic_stack(net, shape=(7, 5), noise_mm=2.0, missing_fraction=0.1)
    ref = ifg[:, 3, 2].copy()
    ref[np.isnan(ref)] = 0.7
    solver = SbasSolver(net, min_count=5, min_temporal_coherence=0.0)
    a = solver.solve(ifg, reference_mm=ref)
    b = solver.solve(referenced((ifg.copy(), None), ref)[0])
    for k in ("timeseries_mm", "velocity_mm_yr", "velocity_std_mm_yr", "temporal_coherence", "count"):
        assert getattr(a, k).tobytes() == getattr(b, k).tobytes(), k


@pytest.mark.parametrize("n, n_pix", [(2, 7), (15, 1537), (60, 600)])
def test_velocity_kernel_equals_a_pixel_by_pixel_loop(n, n_pix):
    """The chunked, vectorised velocity kernel gives the bits of the plain per-pixel sums (NaN / inf -> NaN)."""
    rng = np.random.default_rng(n)
    years = np.sort(rng.uniform(0, 4, n))
    ts = rng.normal(0, 5, (n, n_pix)) + 3.0 * years[:, None]
    ts[rng.integers(0, n, 9), rng.integers(0, n_pix, 9)] = np.nan
    ts[0, 1] = np.inf
    vel, std = linear_velocity(ts, years)
    t = years - years.mean()
    sxx = float(np.sum(t * t))
    for p in range(n_pix):
        y = ts[:, p]
        if not np.isfinite(y).all():
            assert np.isnan(vel[p]) and np.isnan(std[p])
            continue
        sy = sty = 0.0
        for j in range(n):
            sy += y[j]
            sty += t[j] * y[j]
        b = sty / sxx
        assert vel[p] == b
        if n > 2:
            rss = 0.0
            for j in range(n):
                r = y[j] - sy / n - t[j] * b
                rss += r * r
            assert std[p] == math.sqrt(rss / (n - 2) / sxx)
        else:
            assert np.isnan(std[p])


def test_envelope_normal_equations_equal_the_full_ones_bit_for_bit(net):
    """The weighted kernel builds each pixel's normal matrix only where the envelope Cholesky reads it: those
    entries and the right-hand side must be the full build's, bit for bit, whatever the upper part holds. The full
    build is numpy's ``A^T W A`` and ``A^T W d`` (incidence matrix of the network, unusable pairs weighted 0)."""
    rng = np.random.default_rng(5)
    _, ifg, _ = synthetic_stack(net, shape=(3, 4), noise_mm=1.0, missing_fraction=0.3, seed=4)
    d = np.ascontiguousarray(ifg.reshape(net.n_pairs, -1))
    w = rng.uniform(0.0, 2.0, d.shape)
    w[rng.random(d.shape) < 0.1] = 0.0
    n = net.n_dates - 1
    first = sbas.envelope(net.ref_index, net.sec_index, n)
    lower = (np.arange(n)[None, :] >= first[:, None]) & (np.arange(n)[None, :] <= np.arange(n)[:, None])
    for p in range(d.shape[1]):
        lap, r = np.empty((n, n)), np.empty(n)
        sbas._build_normal(d, w, p, net.ref_index, net.sec_index, lap, r)
        lap_e, r_e = np.full((n, n), 7.0), np.empty(n)  # garbage outside the envelope stays garbage
        sbas._build_normal_lower(d, w, p, net.ref_index, net.sec_index, first, lap_e, r_e)
        assert np.array_equal(lap_e[lower], lap[lower]) and np.array_equal(r_e, r)
        wp = np.where(np.isfinite(d[:, p]) & (w[:, p] > 0), w[:, p], 0.0)
        design = np.zeros((net.n_pairs, n))
        design[np.arange(net.n_pairs), net.sec_index - 1] = 1.0
        design[np.arange(net.n_pairs)[net.ref_index > 0], net.ref_index[net.ref_index > 0] - 1] = -1.0
        np.testing.assert_allclose(lap, design.T @ (wp[:, None] * design), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(r, design.T @ (wp * np.nan_to_num(d[:, p])), rtol=1e-12, atol=1e-12)
        assert np.all(lap[~lower & (np.arange(n)[None, :] < np.arange(n)[:, None])] == 0.0)  # nothing outside


def test_float32_coherence_gives_the_float64_answer_bit_for_bit(net):
    """Coherence blocks read as float32 are not widened before the weights: same weights, same bits."""
    _, ifg, _ = synthetic_stack(net, shape=(5, 6), noise_mm=2.0, missing_fraction=0.2, seed=3)
    coh32 = np.random.default_rng(8).uniform(0.0, 1.0, ifg.shape).astype(np.float32)
    coh32.flat[::17] = np.nan
    solver = SbasSolver(net, weighting="variance", min_count=5)
    a = solver.solve(ifg, coherence=coh32)
    b = solver.solve(ifg, coherence=coh32.astype(np.float64))
    for x, y in zip((a.timeseries_mm, a.velocity_mm_yr, a.temporal_coherence, a.count),
                    (b.timeseries_mm, b.velocity_mm_yr, b.temporal_coherence, b.count)):
        assert np.array_equal(x, y, equal_nan=True)
    thr = SbasSolver(net, weighting="variance", min_count=5, coherence_threshold=0.3)
    assert np.array_equal(thr.solve(ifg, coherence=coh32).timeseries_mm,
                          thr.solve(ifg, coherence=coh32.astype(np.float64)).timeseries_mm, equal_nan=True)


@pytest.mark.parametrize("lone", [1, 3])
def test_lone_pixels_reach_the_kernel_c_ordered_whatever_their_number(net, monkeypatch, lone):
    """Pixels whose pattern of missing interferograms no group shares are solved together by ``wls_kernel``: its
    arrays are C-ordered for one such pixel as for several (numba types an array by its layout: a weight array
    F-ordered for several pixels and C-ordered for one compiled the kernel twice, the second time in the middle of a
    run), and the solution is the per-pixel least squares of MintPy's algorithm."""
    truth, ifg, _ = synthetic_stack(net, shape=(4, 5), seasonal_mm=0.0, seed=4)
    for k in range(lone):  # a pattern of its own for each of the first ``lone`` pixels
        ifg[[2 * k, 2 * k + 5], 0, k] = np.nan
    seen = []
    real = sbas.wls_kernel

    def spy(*args):
        seen.append([a.flags.c_contiguous for a in args if isinstance(a, np.ndarray) and a.ndim == 2])
        return real(*args)

    monkeypatch.setattr(sbas, "wls_kernel", spy)
    res = SbasSolver(net, min_count=5).solve(ifg)
    assert len(seen) == 1 and seen[0] == [True, True]
    d = ifg.reshape(net.n_pairs, -1)[:, :lone]
    np.testing.assert_allclose(res.timeseries_mm.reshape(net.n_dates, -1)[:, :lone],
                               min_norm_velocity_reference(net, d), atol=1e-8)
    np.testing.assert_allclose(res.timeseries_mm, truth, atol=1e-8)


def test_linear_velocity_hands_its_kernel_c_ordered_series(monkeypatch):
    """A series picked by pixel index (``block[:, rr, cc]``, as loadmintpy makes its points) is F-ordered: it reaches
    the kernel C-ordered (numba types an array by its layout and compiled the kernel a second time for it), with
    the slope and standard error of an ordinary least-squares fit (numpy.polyfit)."""
    rng = np.random.default_rng(5)
    years = np.sort(rng.uniform(0, 4, 15))
    block = rng.normal(0, 2, (15, 6, 7)) + 3.0 * years[:, None, None]
    rr, cc = np.nonzero(rng.random((6, 7)) < 0.5)
    vals = block[:, rr, cc]
    assert vals.flags.f_contiguous and not vals.flags.c_contiguous
    seen = []
    real = sbas._velocity_kernel

    def spy(y, *args):
        seen.append(y.flags.c_contiguous)
        return real(y, *args)

    monkeypatch.setattr(sbas, "_velocity_kernel", spy)
    vel, std = linear_velocity(vals, years)
    assert seen == [True]
    coef, cov = np.polyfit(years, vals, 1, cov="unscaled")
    res = vals - (np.outer(years, coef[0]) + coef[1])
    np.testing.assert_allclose(vel, coef[0], atol=1e-10)
    np.testing.assert_allclose(std, np.sqrt(np.sum(res ** 2, axis=0) / (years.size - 2) * cov[0, 0]), atol=1e-10)
