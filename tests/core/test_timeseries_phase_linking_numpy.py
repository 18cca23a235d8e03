"""DS phase linking's numpy path (``phase_linking.vectorised``: the pixels on an array axis, taken by a run whose
kernels are not compiled and without numba; its EMI steps the compiled batch's one source in its numpy form,
``batch_numpy``) gives the compiled kernel's bytes: every output, each estimator with each homogeneous-pixel test,
no-data pixels, PS, row blocks (each EMI path pixel for pixel against the compiled batch:
test_timeseries_phase_linking_batch.py). Its vectors are numpy.linalg's eigenvectors and its temporal
coherence the formula's, computed here."""

import math

import numpy as np
import pytest
from testutils_timeseries import sample_coherence

from insar_geohazards.algorithms import _numba, kernel_families
from insar_geohazards.algorithms.psds.phase_linking import phase_link, phase_link_stack, vectorised

needs_numba = pytest.mark.skipif(not _numba.HAVE_NUMBA, reason="numba is not installed: only the numpy path exists")
FAMILY = kernel_families.BY_NAME["phase_linking"]


def _stack(n=9, rows=13, cols=17, seed=1):
    """Speckled SLCs of two amplitude classes over a drifting phase, with no-data: a pixel NaN on every date, one
    NaN on one date, one all zero."""
    rng = np.random.default_rng(seed)
    ph = rng.uniform(-np.pi, np.pi, (1, rows, cols)) + np.cumsum(rng.normal(0, 0.4, (n, rows, cols)), axis=0)
    amp = rng.rayleigh(1.0, (n, rows, cols)) * np.where(rng.random((1, rows, cols)) < 0.3, 3.0, 1.0)
    slc = (amp * np.exp(1j * ph)).astype(np.complex64)
    slc[:, 2, 3] = np.nan
    slc[3, 5, 1] = np.nan
    slc[:, 0, 0] = 0
    ps = rng.random((rows, cols)) < 0.06
    return slc, ps


def _outputs(res):
    return [res.phase, res.temporal_coherence, res.shp_count]


def _same_bytes(a, b):
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and x.shape == y.shape
        assert x.tobytes() == y.tobytes(), np.argwhere(x.view(np.uint8) != y.view(np.uint8))[:5]


@needs_numba
@pytest.mark.parametrize("method, shp, window, with_ps, ps_neighbours", [
    ("emi", "glrt", (5, 11), True, True),
    ("emi", "ks", (3, 5), True, False),
    ("emi", "rect", (3, 3), False, True),
    ("evd", "rect", (5, 5), False, True),
    ("evd", "glrt", (3, 5), True, False),
    ("evd", "ks", (5, 3), True, True),
    ("cevd", "ks", (3, 7), True, True),
    ("cevd", "glrt", (5, 5), False, True),
    ("cevd", "rect", (3, 5), True, False),
])
def test_numpy_path_gives_the_kernels_bytes(method, shp, window, with_ps, ps_neighbours):
    slc, ps = _stack()
    kw = dict(window=window, method=method, shp_method=shp, ps_mask=ps if with_ps else None,
              ps_neighbours=ps_neighbours)
    compiled = phase_link(slc, **kw)
    assert np.isnan(compiled.phase[:, 2, 3]).all() and compiled.shp_count[0, 0] == 0  # the no-data pixels
    if with_ps:
        assert (compiled.temporal_coherence[ps & ~np.isnan(slc).any(0)] == 1).all()
    with _numba.python_kernels(FAMILY.modules()):
        numpy = phase_link(slc, **kw)
    _same_bytes(_outputs(compiled), _outputs(numpy))


@needs_numba
def test_numpy_path_in_row_blocks_gives_the_whole_compiled_images_bytes(monkeypatch):
    """Row blocks of 4 rows with the window's halo, in the numpy path's smallest tiles (64 pixels: 8 x 8, the
    17 columns in three tiles, :data:`vectorised.CHUNK_PIXELS`), against the whole image compiled."""
    slc, ps = _stack(n=12, rows=14, cols=17, seed=2)
    kw = dict(window=(5, 7), method="emi", shp_method="glrt")
    whole = phase_link(slc, ps_mask=ps, **kw)
    got = [np.empty_like(a) for a in _outputs(whole)]

    def write(res, a, b):
        got[0][:, a:b], got[1][a:b], got[2][a:b] = res.phase, res.temporal_coherence, res.shp_count

    monkeypatch.setattr(vectorised, "CHUNK_PIXELS", 1)
    with _numba.python_kernels(FAMILY.modules()):
        phase_link_stack(lambda a, b: slc[:, a:b], write, shape=slc.shape[1:], n_dates=slc.shape[0],
                         read_ps_rows=lambda a, b: ps[a:b], block_rows=4, **kw)
    _same_bytes(_outputs(whole), got)


def test_ks_distance_is_the_two_sample_statistic_times_n():
    """The numpy path's KS distance, with ties, against scipy's two-sample statistic."""
    from scipy.stats import ks_2samp

    rng = np.random.default_rng(0)
    a = np.sort(rng.integers(0, 6, (200, 9)).astype(np.float32), axis=1)  # many ties
    b = np.sort(rng.integers(0, 6, (200, 9)).astype(np.float32), axis=1)
    got = vectorised._ks_distance(a, b) / 9
    want = [ks_2samp(x, y).statistic for x, y in zip(a, b)]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("method", [0, 1, 2])
def test_linked_vectors_are_numpy_linalg_eigenvectors_and_the_coherence_the_formula(method):
    """On well-conditioned coherence matrices the numpy path's vector is numpy.linalg.eigh's: the principal
    eigenvector of ``G`` (EVD) or of ``|G| o G`` (coherence-weighted EVD), the smallest one's of
    ``((1 - beta) |G| + beta I)^-1 o G`` (EMI, Ansari et al. 2018), up to a common phase; the temporal coherence is
    ``|sum_{m != n} exp(j (phi_mn - (theta_m - theta_n)))| / (N (N - 1))`` of those phases."""
    n, beta = 10, 0.01
    rng = np.random.default_rng(7 + method)
    pool = [sample_coherence(rng, n, 8 * n, coh) for coh in (0.95, 0.9, 0.8, 0.7) for _ in range(5)]
    g = np.stack([m.T for m in pool], -1)  # G transposed, the pixel last
    with np.errstate(all="ignore"):
        vr, vi, tc = vectorised.link(np.ascontiguousarray(g.real), np.ascontiguousarray(g.imag), method, beta)
    for q, m in enumerate(pool):
        if method == 0:
            reg = (1.0 - beta) * np.abs(m) + beta * np.eye(n)
            val, vec = np.linalg.eigh(np.linalg.inv(reg) * m)
            want, gap = vec[:, 0], val[1] - val[0]
        else:
            val, vec = np.linalg.eigh(m if method == 1 else np.abs(m) * m)
            want, gap = vec[:, -1], val[-1] - val[-2]
        assert gap > 1e-3 * abs(val).max(), (q, gap)  # a well-separated eigenvector: the comparison means something
        got = vr[:, q] + 1j * vi[:, q]
        turn = np.vdot(want, got)
        np.testing.assert_allclose(got / np.linalg.norm(got) * np.conj(turn) / abs(turn), want, atol=1e-5)
        theta = np.angle(got)
        terms = np.exp(1j * (np.angle(m) - (theta[:, None] - theta[None, :])))
        np.fill_diagonal(terms, 0)
        assert tc[q] == pytest.approx(abs(terms.sum()) / (n * (n - 1)), abs=1e-12)


def test_shared_elements_on_arrays_are_the_formulas_and_the_compiled_scalars():
    """The arithmetic the kernel and the numpy path share (written once, called per element compiled and on arrays
    here): the product by a conjugate is numpy's complex product bit for bit (float64 and complex64), the GLRT
    decision is ``N (2 ln((s_p + s_q) / 2) - ln s_p - ln s_q) <= threshold`` (Parizzi & Brcic 2011, ``N_eff = N /
    2``) written here with numpy's logarithm, away from the threshold; each against the compiled scalar too."""
    from insar_geohazards.algorithms.psds.phase_linking import covariance, shp

    rng = np.random.default_rng(5)
    for dtype in (np.float64, np.float32):
        a, b, c, d = (rng.normal(0, 3, 500).astype(dtype) for _ in range(4))
        a[:4], b[:4], c[:4], d[:4] = 0.0, -0.0, [0.0, -0.0, 1.0, -1.0], [-0.0, 0.0, -0.0, 0.0]  # signed zeros
        re, im = vectorised._py(covariance.conj_product)(a, b, c, d)
        x, y = (np.empty(a.size, np.result_type(dtype, np.complex64)) for _ in range(2))
        x.real, x.imag, y.real, y.imag = a, b, c, d  # (a + 1j * b would turn some zeros' signs)
        want = x * np.conj(y)
        assert re.dtype == im.dtype == dtype
        # the signed zeros bit for bit; elsewhere within the rounding of two products and a sum (numpy 2 may fuse a
        # product into the sum on CPUs with FMA, one rounding fewer than the kernel's)
        assert re[:4].tobytes() == want.real[:4].astype(dtype).tobytes()
        assert im[:4].tobytes() == want.imag[:4].astype(dtype).tobytes()
        eps = np.finfo(dtype).eps
        a64, b64, c64, d64 = (v.astype(np.float64) for v in (a, b, c, d))
        bound_re = 2 * eps * (np.abs(a64 * c64) + np.abs(b64 * d64))
        bound_im = 2 * eps * (np.abs(b64 * c64) + np.abs(a64 * d64))
        assert (np.abs(re.astype(np.float64) - want.real) <= bound_re).all()
        assert (np.abs(im.astype(np.float64) - want.imag) <= bound_im).all()
        if _numba.HAVE_NUMBA:
            got = np.array([covariance.conj_product(*v) for v in zip(a[:50], b[:50], c[:50], d[:50])], dtype)
            assert got.tobytes() == np.stack([re[:50], im[:50]], 1).tobytes()
    n, threshold = 20.0, 3.841458820694124  # chi-square(1) at 0.95
    mp = rng.exponential(1.0, 2000) * rng.choice([1.0, 3.0], 2000)
    mq = rng.exponential(1.0, 2000)
    mp[:3], mq[3:5] = 0.0, -1.0  # no data: never homogeneous
    stat = n * (2 * np.log((mp + mq) / 2) - np.log(np.where(mp > 0, mp, 1)) - np.log(np.where(mq > 0, mq, 1)))
    want = (mp > 0) & (mq > 0) & (stat <= threshold)
    pooled = vectorised._py(shp.pair_mean)(mp, mq)
    with np.errstate(all="ignore"):
        logs = [vectorised._libm_map(math.log, np.where(x > 0, x, 1.0)) for x in (pooled, mp, mq)]
    got = vectorised._py(shp.glrt_homogeneous)(mp, mq, *logs, n, threshold)
    clear = np.abs(stat - threshold) > 1e-9
    assert 0.2 < want.mean() < 0.9 and clear.sum() > 1990
    np.testing.assert_array_equal(got[clear], want[clear])
    if _numba.HAVE_NUMBA:
        scalar = [shp.glrt_homogeneous(p, q, lm, lp, lq, n, threshold) for p, q, lm, lp, lq in zip(mp, mq, *logs)]
        np.testing.assert_array_equal(scalar, got)


def test_window_sum_unpacked_for_many_pixels_is_the_hermitian_matrix():
    """The packed upper triangles of ``sum s s^H`` of many pixels, unpacked by the kernel's own functions on arrays
    (``_has_data``, ``_unpack_sum``), are the Hermitian sums numpy makes from the vectors; a sum with a zero diagonal
    element is no data."""
    from insar_geohazards.algorithms.psds.phase_linking import kernel

    rng = np.random.default_rng(9)
    n, pixels = 6, 40
    s = rng.normal(size=(pixels, 5, n)) + 1j * rng.normal(size=(pixels, 5, n))
    s[3, :, 2] = 0.0  # one date without data in every look: C_22 = 0
    full = np.einsum("pki,pkj->pij", s, s.conj())  # C_ij = sum_k s_i conj(s_j)
    iu, ju = np.triu_indices(n)
    acc_r, acc_i = full[:, iu, ju].real.T.copy(), full[:, iu, ju].imag.T.copy()  # (packed, pixels)
    ok = vectorised._py(kernel._has_data)(acc_r, n)
    assert ok.tolist() == [p != 3 for p in range(pixels)]
    cb = np.empty((2, n, n, pixels))
    vectorised._py(kernel._unpack_sum)(acc_r, acc_i, cb, slice(None), n)
    np.testing.assert_array_equal(np.moveaxis(cb[0] + 1j * cb[1], -1, 0), full)
