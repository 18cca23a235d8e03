"""Unwrapping-error correction by phase closure: the ground chooses among corrections the closures allow alike.

At the last date of a network of (i, i+1), (i, i+2), (i, i+3) pairs, each of its three pairs is in two loops only,
and two slips on two of them close those loops exactly as one slip on the third does (a whole cycle of the last
date, ``C A theta = 0``). The sparsest correction is then the wrong one; the patch's edge is a whole-cycle jump in the
interferograms that slipped and in no other, which decides."""

import datetime as dt

import numpy as np
from testutils_corrections import CYCLE_MM

from insar_geohazards.algorithms.corrections.closure import (
    HALO_ROWS,
    _Solver,
    closure_block,
    closure_phase,
    correct_closure_block,
    network_triplets,
)


def _network_stack(seed=0, n=12, shape=(30, 44)):
    """A 12-date network, each date with its next three; a smooth displacement (a few mm) and 0.03 cycle noise."""
    rng = np.random.default_rng(seed)
    d = [dt.date(2021, 1, 1) + dt.timedelta(days=12 * i) for i in range(n)]
    pairs = [(i, j) for i in range(n) for j in range(i + 1, min(n, i + 4))]
    tri = network_triplets([(d[i], d[j]) for i, j in pairs])
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    series = np.stack([0.1 * k * np.sin(xx / 9.0) + 0.05 * k * np.cos(yy / 7.0) for k in range(n)])
    clean = np.stack([series[j] - series[i] for i, j in pairs]) + rng.normal(0.0, 0.03 * CYCLE_MM,
                                                                            (len(pairs),) + shape)
    return pairs, tri, clean


def test_two_slips_at_the_last_date_are_not_taken_for_one():
    """-1 cycle planted on (9, 11) and (10, 11) over a 12 x 16 patch: the closures of the pixel are those of one +1
    slip on (8, 11) (the solver's unique sparsest answer), but the patch's edge is a whole-cycle jump in (9, 11) and
    (10, 11) only, so those two are corrected, every planted value is fixed and (8, 11) is left as it is."""
    pairs, tri, clean = _network_stack()
    a, b, c = pairs.index((8, 11)), pairs.index((9, 11)), pairs.index((10, 11))
    assert [tri.loops_of(k).size for k in (a, b, c)] == [2, 2, 2]
    two = np.zeros(len(pairs))
    two[[b, c]] = -1
    one = np.zeros(len(pairs))
    one[a] = 1
    np.testing.assert_array_equal(closure_phase(two[:, None], tri), closure_phase(one[:, None], tri))
    u, unique = _Solver(tri, 1.5, 3).solve(np.rint(closure_phase(two[:, None], tri)[:, 0]).astype(np.int16))
    assert unique and u[a] == -1 and np.count_nonzero(u) == 1  # the closures alone pick the one slip
    planted = np.zeros(clean.shape, np.int16)
    planted[[b, c], 8:20, 12:28] = -1
    bad = clean + planted * CYCLE_MM
    out = correct_closure_block(bad, tri, cycle_mm=CYCLE_MM)
    np.testing.assert_array_equal(out["cycles"], -planted)
    # the same in row blocks of 6 rows read with their halo, as the engine runs the step
    rows = bad.shape[1]
    parts = []
    for r0 in range(0, rows, 6):
        lo, hi = max(0, r0 - HALO_ROWS), min(rows, r0 + 6 + HALO_ROWS)
        blk = type("Block", (), {"core": slice(r0 - lo, r0 - lo + min(6, rows - r0))})()
        parts.append(closure_block(blk, {"stack": bad[:, lo:hi].copy()}, triplets=tri, cycle_mm=CYCLE_MM)["cycles"])
    np.testing.assert_array_equal(np.concatenate(parts, axis=1), out["cycles"])


def test_a_patch_without_an_edge_is_left():
    """(8, 11) carries one more cycle in a 12 x 16 patch, reached over 8 pixels (a gradual signal the closures
    disagree on, not an unwrapping error): its loops close as for a slip of (8, 11) (or of (9, 11) and (10, 11)),
    but no interferogram jumps by a cycle at the patch's edge, so nothing is corrected and the patch is reported as
    detected, not corrected."""
    pairs, tri, clean = _network_stack(seed=1)
    a = pairs.index((8, 11))
    yy, xx = np.mgrid[0:clean.shape[1], 0:clean.shape[2]]
    dist = np.maximum(np.maximum(8 - yy, yy - 19), np.maximum(12 - xx, xx - 27)).clip(0)
    bad = clean.copy()
    bad[a] += np.clip(1.0 - dist / 8.0, 0.0, 1.0) * CYCLE_MM
    out = correct_closure_block(bad, tri, cycle_mm=CYCLE_MM)
    assert (out["n_nonclosing"][8:20, 12:28] == 2).all()  # the plateau's two loops of (8, 11) are a cycle off
    assert not out["cycles"].any()
    assert out["ambiguous"][8:20, 12:28].all()
