"""EMI linked eight pixels at a time gives each pixel the bits of the per-pixel EMI, whatever its batch holds.

The kernel runs EMI on batches of up to eight pixels, one per vector lane (``phase_linking.batch``), with per-lane
flags where the pixels' paths part: the shift 0.99 refused, the number of inverse-iteration steps, the re-shift
attempts, ``|G|`` not positive definite (the coherence-weighted EVD instead), pixels handed back to the per-pixel
iteration. A lane reading another lane's value, or a frozen lane that moved on, would change that pixel's bits:
each batch here mixes matrices that take all these paths, in batches of 1 to 8, against ``_link_pixel_t``.
"""

import numpy as np
import pytest
from testutils_timeseries import sample_coherence

from insar_geohazards.algorithms.psds import phase_linking as pl
from insar_geohazards.algorithms.psds.phase_linking import batch as plb
from insar_geohazards.algorithms.psds.phase_linking import kernel as plk
from insar_geohazards.algorithms.psds.phase_linking import pixel as plp

BETA = 0.01


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


def _padded_g(g, n, npad):
    gr, gi = np.zeros((n, npad)), np.zeros((n, npad))
    gr[:, :n], gi[:, :n] = g.real, g.imag
    gtr, gti = np.zeros((n, npad)), np.zeros((n, npad))
    gtr[:, :n], gti[:, :n] = g.real.T, g.imag.T
    return gr, gi, gtr, gti


def _per_pixel(g, n, npad):
    w8, mats = np.zeros((8, npad)), np.zeros((8, n, npad))
    tc = plp._link_pixel_t(*_padded_g(g, n, npad), 0, BETA, w8, mats, n, npad)
    return w8[0, :n].tobytes() + w8[1, :n].tobytes(), tc


@pytest.mark.parametrize("n", [10, 30])
def test_batched_emi_gives_each_pixel_the_per_pixel_bits(n):
    rng = np.random.default_rng(n)
    npad = plp._padded(n)
    pool = _pool(rng, n)
    spd = [p[1] for p in pool]
    shifted = [p[2] for p in pool]
    assert not all(spd) and any(s and not t for s, t in zip(spd, shifted)) and any(shifted), "a path is missing"
    ref = [_per_pixel(g, n, npad) for g, _, _ in pool]
    gb, gl, bmats, vecs, vals, flags, lv, tcoh = plk._emi_batch_work(n, npad)
    w8, mats = np.zeros((8, npad)), np.zeros((8, n, npad))
    handed_back = 0
    for trial in range(48):
        nl = trial % plb.LANES + 1
        pick = rng.choice(len(pool), nl)
        for q, j in enumerate(pick):
            for a, b in zip(gb[:, q], _padded_g(pool[j][0], n, npad)):
                a[:] = b
        for min_lanes in (1, pl.EMI_MIN_LANES, plb.LANES + 1):  # never / sometimes / always handed back
            plk._link_emi_batch(gb, gl, bmats, vecs, vals, flags, lv, tcoh, nl, BETA, w8, mats, n, npad, min_lanes)
            handed_back += int(flags[3, :nl].sum())
            for q, j in enumerate(pick):
                got = (lv[0, q, :n].tobytes() + lv[1, q, :n].tobytes(), tcoh[q])
                assert got[0] == ref[j][0] and got[1] == ref[j][1], (n, trial, nl, q, j, min_lanes)
    assert handed_back > 0


def test_batched_emi_lanes_do_not_depend_on_their_neighbours():
    """The same pixel in every lane position, its neighbours changed: always the same bits."""
    n, npad = 12, plp._padded(12)
    rng = np.random.default_rng(5)
    pool = _pool(rng, n)
    gb, gl, bmats, vecs, vals, flags, lv, tcoh = plk._emi_batch_work(n, npad)
    w8, mats = np.zeros((8, npad)), np.zeros((8, n, npad))
    target = pool[len(pool) // 3][0]
    ref = _per_pixel(target, n, npad)
    for q0 in range(plb.LANES):
        for q in range(plb.LANES):
            g = target if q == q0 else pool[rng.integers(len(pool))][0]
            for a, b in zip(gb[:, q], _padded_g(g, n, npad)):
                a[:] = b
        plk._link_emi_batch(gb, gl, bmats, vecs, vals, flags, lv, tcoh, plb.LANES, BETA, w8, mats, n, npad,
                           pl.EMI_MIN_LANES)
        assert lv[0, q0, :n].tobytes() + lv[1, q0, :n].tobytes() == ref[0] and tcoh[q0] == ref[1]
