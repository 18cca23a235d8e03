"""DS phase linking's numpy path (``phase_linking.vectorised``: the pixels on an array axis, taken by a run whose
kernels are not compiled and without numba; its EMI steps generated from the compiled batch's template,
``batch_numpy``) gives the compiled kernel's bytes: every output, each estimator with each homogeneous-pixel test,
no-data pixels, PS, row blocks (each EMI path pixel for pixel against the compiled batch:
test_timeseries_phase_linking_batch.py). Its vectors are numpy.linalg's eigenvectors and its temporal
coherence the formula's, computed here."""

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
