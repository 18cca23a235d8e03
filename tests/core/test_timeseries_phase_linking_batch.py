"""Phase linking eight pixels at a time gives each pixel the same bits whatever its batch holds, and the eigenvectors
numpy.linalg gives.

The kernel links batches of up to eight pixels, one per vector lane (``phase_linking.batch``, through
``kernel._link_batch``), with per-lane flags where the pixels' paths part: the shift 0.99 refused, the number of
iteration steps, the re-shift attempts, ``|G|`` not positive definite (the coherence-weighted EVD instead), lanes
handed to their last steps alone (``phase_linking.lane``). A lane reading another lane's value, or a frozen lane that
moved on, would change that pixel's bits: each batch here mixes matrices that take all these paths, in batches of 1
to 8, handed over never, sometimes and always, against the same pixel alone in its batch. What the bits are is
checked against numpy.linalg.eigh, and the numpy path (``vectorised.link``) against these bits.
"""

import numpy as np
import pytest
from testutils_timeseries import sample_coherence

from insar_geohazards.algorithms import _numba
from insar_geohazards.algorithms.psds import phase_linking as pl
from insar_geohazards.algorithms.psds.phase_linking import batch as plb
from insar_geohazards.algorithms.psds.phase_linking import kernel as plk
from insar_geohazards.algorithms.psds.phase_linking import vectorised

BETA = 0.01
needs_numba = pytest.mark.skipif(not _numba.HAVE_NUMBA, reason="numba is not installed: no compiled batch to test")


def _pool(rng, n):
    """Coherence matrices of every EMI path, with what the path is: (|G| regularised is positive definite,
    |G|^-1 o G - 0.99 I is positive definite)."""
    pool = []
    for looks, coherence in ((3 * n, 0.9), (2 * n, 0.5), (n, 0.3), (n + 2, 0.1), (n // 2, 0.6), (2, 0.5), (3, 0.2)):
        for _ in range(4):
            g = sample_coherence(rng, n, looks, coherence)
            a = (1.0 - BETA) * np.abs(g)
            np.fill_diagonal(a, 1.0)
            spd = np.linalg.eigvalsh(a)[0] > 0
            shifted = spd and np.linalg.eigvalsh(np.linalg.inv(a) * g)[0] > 0.99
            pool.append((g, spd, shifted))
    return pool


def _link(work, mats, method, min_lanes):
    """``kernel._link_batch`` of the window sums ``mats`` in the first lanes: each lane's vector bytes and temporal
    coherence (``work[1]`` then holds their sample coherence ``G``, transposed)."""
    cb, gl, bmats, vecs, vals, flags, tcoh = work
    for q, m in enumerate(mats):
        cb[0, :, :, q], cb[1, :, :, q] = m.real, m.imag
    plk._link_batch(cb, gl, bmats, vecs, vals, flags, tcoh, len(mats), method, BETA, mats[0].shape[0], min_lanes)
    return [(vecs[0, :, q].tobytes() + vecs[1, :, q].tobytes(), tcoh[q]) for q in range(len(mats))]


@needs_numba
@pytest.mark.parametrize("n", [10, 30])
@pytest.mark.parametrize("method", [0, 1, 2])
def test_a_lane_gets_its_bits_whatever_its_batch_and_whoever_goes_on_alone(n, method):
    rng = np.random.default_rng(n + method)
    pool = _pool(rng, n)
    spd = [p[1] for p in pool]
    shifted = [p[2] for p in pool]
    assert not all(spd) and any(s and not t for s, t in zip(spd, shifted)) and any(shifted), "a path is missing"
    work = plk._batch_work(n)
    ref = [_link(work, [g], method, plb.LANES + 1)[0] for g, _, _ in pool]  # alone, every step on its own
    for trial in range(24):
        nl = trial % plb.LANES + 1
        pick = rng.choice(len(pool), nl)
        for min_lanes in (1, pl.EMI_MIN_LANES, plb.LANES + 1):  # never / sometimes / always on its own
            got = _link(work, [pool[j][0] for j in pick], method, min_lanes)
            for q, j in enumerate(pick):
                assert got[q] == ref[j], (n, method, trial, nl, q, j, min_lanes)


@needs_numba
def test_a_lane_does_not_depend_on_its_neighbours():
    """The same pixel in every lane position, its neighbours changed: always the same bits."""
    n = 12
    rng = np.random.default_rng(5)
    pool = _pool(rng, n)
    work = plk._batch_work(n)
    target = pool[len(pool) // 3][0]
    for method in (0, 1, 2):
        ref = _link(work, [target], method, 1)[0]
        for q0 in range(plb.LANES):
            mats = [target if q == q0 else pool[rng.integers(len(pool))][0] for q in range(plb.LANES)]
            assert _link(work, mats, method, pl.EMI_MIN_LANES)[q0] == ref, (method, q0)


@needs_numba
@pytest.mark.parametrize("n", [7, 20])
def test_the_numpy_path_links_with_the_compiled_batchs_bits(n):
    """``vectorised.link`` (the batch's steps in their pixel-array form, its own control) on every EMI path, each
    estimator: the bytes of the compiled batch."""
    rng = np.random.default_rng(n)
    pool = [g for g, _, _ in _pool(rng, n)] + [sample_coherence(rng, n, n, 0.97) for _ in range(6)]
    work = plk._batch_work(n)
    for start in range(0, len(pool), plb.LANES):
        nl = len(_link(work, pool[start:start + plb.LANES], 0, pl.EMI_MIN_LANES))
        gt = work[1][..., :nl].copy()  # the batch's G (the window sums normalised), transposed
        for method in (0, 1, 2):
            got = _link(work, pool[start:start + plb.LANES], method, pl.EMI_MIN_LANES)
            with np.errstate(all="ignore"):
                vr, vi, tc = vectorised.link(gt[0], gt[1], method, BETA)
            for q, (vec, t) in enumerate(got):
                assert vec == vr[:, q].tobytes() + vi[:, q].tobytes(), (method, start + q)
                assert np.float64(t).tobytes() == np.float64(tc[q]).tobytes(), (method, start + q)


def _want(m, method):
    """numpy.linalg's vector for ``m`` and the gap that separates it: EMI's (the smallest eigenvector of
    ``((1 - beta)|G| + beta I)^-1 o G``) where EMI is defined, else the coherence-weighted EVD's."""
    n = m.shape[0]
    if method == 0:
        reg = (1.0 - BETA) * np.abs(m) + BETA * np.eye(n)
        if np.linalg.eigvalsh(reg)[0] > 0:
            val, vec = np.linalg.eigh(np.linalg.inv(reg) * m)
            if val[0] > 0:
                return vec[:, 0], val[1] - val[0], val
        method = 2
    val, vec = np.linalg.eigh(m if method == 1 else np.abs(m) * m)
    return vec[:, -1], val[-1] - val[-2], val


@needs_numba
@pytest.mark.parametrize("method", [0, 1, 2])
def test_the_batchs_vectors_are_numpy_linalg_eigenvectors(method):
    """Where the eigenvector is well separated (its gap above 5 % of the spectrum), the batch's vector is
    numpy.linalg.eigh's up to a common phase (within the iteration's last step over the relative gap); the temporal
    coherence is Ferretti et al. (2011)'s eq. 24, ``|sum_{m != n} exp(j (phi_mn - (theta_m - theta_n)))| / (N (N -
    1))``, computed here."""
    n = 10
    rng = np.random.default_rng(11 + method)
    pool = [sample_coherence(rng, n, 8 * n, coh) for coh in (0.95, 0.9, 0.8, 0.7) for _ in range(4)]
    pool += [g for g, spd, _ in _pool(rng, n) if not spd][:8]  # EMI undefined: the coherence-weighted EVD
    work = plk._batch_work(n)
    checked = 0
    for start in range(0, len(pool), plb.LANES):
        _link(work, pool[start:start + plb.LANES], method, pl.EMI_MIN_LANES)
        gl, vecs, tcoh = work[1], work[3], work[6]
        for q in range(min(plb.LANES, len(pool) - start)):
            m = gl[0, :, :, q].T + 1j * gl[1, :, :, q].T
            theta = np.angle(vecs[0, :, q] + 1j * vecs[1, :, q])
            terms = np.exp(1j * (np.angle(m) - (theta[:, None] - theta[None, :])))
            np.fill_diagonal(terms, 0)
            assert tcoh[q] == pytest.approx(abs(terms.sum()) / (n * (n - 1)), abs=1e-12)
            want, gap, val = _want(m, method)
            if gap < 0.05 * abs(val).max():
                continue
            got = vecs[0, :, q] + 1j * vecs[1, :, q]
            turn = np.vdot(want, got)
            # the iteration stops at 1 - |<v_k, v_k+1>| < 1e-10: a last step of ~1.4e-5, times the spectrum over the gap
            atol = 1.5e-5 * abs(val).max() / gap
            np.testing.assert_allclose(got / np.linalg.norm(got) * np.conj(turn) / abs(turn), want, atol=atol)
            checked += 1
    assert checked >= len(pool) // 2, checked


@needs_numba
def test_the_sample_coherence_is_the_window_sum_normalised():
    """``G_ij = C_ij / sqrt(C_ii C_jj)`` of a Hermitian window sum (numpy here, to the last few bits)."""
    rng = np.random.default_rng(2)
    n = 9
    work = plk._batch_work(n)
    cb, gl = work[0], work[1]
    want = []
    for q in range(plb.LANES):
        x = rng.standard_normal((n, 3 * n)) + 1j * rng.standard_normal((n, 3 * n))
        c = x @ x.conj().T
        cb[0, :, :, q], cb[1, :, :, q] = c.real, c.imag
        d = np.sqrt(np.diag(c).real)
        want.append(c / np.outer(d, d))
    plb._coherence_b(cb[0], cb[1], gl[0], gl[1], np.zeros((n, plb.LANES)), n)
    for q in range(plb.LANES):
        np.testing.assert_allclose(gl[0, :, :, q].T + 1j * gl[1, :, :, q].T, want[q], rtol=0, atol=1e-14)
