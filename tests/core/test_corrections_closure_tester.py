"""Unwrapping-error correction on stacks of the third generator (tests/testutils_closure_tester.py: an outside
tester's setting with incoherent lines across the scene, patches, single pixels, decorrelated ground), small and at
random seeds, and the two rules that keep it from creating errors where closures cannot tell: a date's shift by a
cycle as sparse as the correction, and the stable area as the reference of the corrections."""

import datetime as dt

import numpy as np
import pytest
from testutils_closure_tester import CYCLE_MM
from testutils_closure_tester import tester_stack as make_stack

from insar_geohazards.algorithms.corrections.closure import (
    closure_offsets,
    correct_closure_block,
    correct_closure_stack,
    network_triplets,
)

# drawn at random from 100-999 once (a draw at each run would change what is tested between runs)
SEEDS = [int(s) for s in np.random.default_rng(20261128).choice(np.arange(100, 1000), 2, replace=False)]


def _counts(sc, cycles):
    """fixed / new relative to the stable corner's most coherent pixel free of planted errors (as the benchmark
    closure_tester.py counts, and MintPy's reference)."""
    p = sc["planted"].astype(np.int64)
    mc = np.where(sc["stable"] & ~(p != 0).any(axis=0), sc["coherence"].mean(axis=0), -1.0)
    r, c = np.unravel_index(int(np.argmax(mc)), mc.shape)
    u = cycles.astype(np.int64) - cycles[:, r:r + 1, c:c + 1]
    err = p + u
    was = p != 0
    new = ((~was) & (u != 0)) | (was & (u != 0) & (err != 0))
    return {"planted": int(was.sum()), "fixed": int((was & (err == 0)).sum()), "new": int(new.sum())}


@pytest.mark.parametrize("seed", SEEDS)
def test_tester_stacks_fixed_without_new_errors(seed):
    """Two random draws of the tester's design at a third of its size (18 dates, 40 patches; 1.6-3.0 CPU-s each):
    with the stable corner as the reference, at least 90 % of the planted values fixed and at most one value in a
    thousand moved wrongly (measured: 92.9 % and 96.8 % fixed, 1 and 6 new)."""
    sc = make_stack(seed, shape=(120, 120), n_dates=18, patches=40)
    tri = network_triplets([tuple(p) for p in sc["pairs"]])
    x = sc["ifg_mm"]
    off = closure_offsets(x, tri, cycle_mm=CYCLE_MM, reference=sc["stable"])
    out = correct_closure_stack(x, tri, cycle_mm=CYCLE_MM, closure_offset=off)
    c = _counts(sc, out["cycles"])
    assert c["fixed"] >= 0.9 * c["planted"], c
    assert c["new"] <= 0.001 * c["planted"], c


def _dates(n):
    return [dt.date(2021, 1, 1) + dt.timedelta(days=12 * i) for i in range(n)]


def _small_stack(seed: int, n_dates: int, rows: int, cols: int) -> tuple:
    """``(rng, pairs, triplets, clean)``: each date paired with its next three, and the interferograms' noise
    (0.03 cycle) on ``rows x cols`` pixels drawn first from ``rng``."""
    rng = np.random.default_rng(seed)
    d = _dates(n_dates)
    pairs = [(i, j) for i in range(n_dates) for j in range(i + 1, min(n_dates, i + 4))]
    tri = network_triplets([(d[i], d[j]) for i, j in pairs])
    return rng, pairs, tri, rng.normal(0.0, 0.03 * CYCLE_MM, (len(pairs), rows, cols))


def test_a_date_shift_as_sparse_is_left_and_takes_nothing_from_its_neighbours():
    """Three one-cycle patches on the three pairs ending at one date, (2,5), (3,5), (4,5): the closures are exactly
    those of the three pairs starting at it, (5,6), (5,7), (5,8), off the other way (the date shifted by a cycle),
    as sparse in cycles and in slipped pairs. Closures cannot tell them: the patch is left (ambiguous), and neither
    the narrow window, nor a ring of a neighbouring patch's correction, nor the component pass gives it anything; a
    lone slip on another pair crossing it is fixed outside it."""
    rng, pairs, tri, clean = _small_stack(7, 11, 24, 24)
    planted = np.zeros(clean.shape, np.int16)
    three = [pairs.index(q) for q in ((2, 5), (3, 5), (4, 5))]
    planted[three, 6:18, 6:18] = -1
    lone = pairs.index((8, 9))
    planted[lone, 2:10, 14:22] = 1
    bad = clean + planted * CYCLE_MM
    for run in (correct_closure_block, correct_closure_stack):
        out = run(bad, tri, cycle_mm=CYCLE_MM, closure_offset=np.zeros(tri.n))
        cyc = out["cycles"].astype(np.int64)
        others = [k for k in range(len(pairs)) if k != lone]
        assert not cyc[others][:, 6:18, 6:18].any()
        assert out["ambiguous"][8:16, 8:16].all()
        assert not cyc[planted == 0].any()  # nothing moved where nothing slipped
        np.testing.assert_array_equal(cyc[lone, 2:6, 14:22], -1)  # the lone slip, outside the ambiguous patch


def test_the_stable_area_is_the_reference_of_the_corrections():
    """Two interferograms cut by incoherent lines (uniform phase on the line), one across 58 % of the scene
    (x > 0.42 w) one cycle off, the other across 40 % (x > 0.6 w) one cycle the other way. Without a reference, the
    largest piece the two cuts leave (the left 42 %) is the frame: the right sides are corrected. With the stable
    area in the right piece, the left sides are corrected instead, the stable area's values are left as they are,
    and relative to it no value off the lines is made wrong, as MintPy's reference pixel sets it."""
    h, w = 30, 50
    rng, pairs, tri, clean = _small_stack(11, 10, h, w)
    planted = np.zeros(clean.shape, np.int16)
    cols = np.arange(w)
    a, b = pairs.index((3, 5)), pairs.index((6, 7))
    line = np.zeros((len(pairs), h, w), bool)
    for k, x0, n in ((a, 21, 1), (b, 30, -1)):
        line[k][:, x0 - 1:x0 + 1] = True
        clean[k][:, x0 - 1:x0 + 1] += rng.uniform(-0.5, 0.5, (h, 2)) * CYCLE_MM
        planted[k][:, cols > x0] = n
    bad = clean + planted * CYCLE_MM
    right = np.zeros((h, w), bool)
    right[10:20, 38:46] = True
    for reference, at in ((None, (15, 5)), (right, (15, 42))):
        off = closure_offsets(bad, tri, cycle_mm=CYCLE_MM, reference=reference)
        cyc = correct_closure_stack(bad, tri, cycle_mm=CYCLE_MM, closure_offset=off)["cycles"].astype(np.int64)
        rel = cyc - cyc[:, at[0]:at[0] + 1, at[1]:at[1] + 1]
        assert not ((rel + planted - planted[:, at[0]:at[0] + 1, at[1]:at[1] + 1]) != 0)[~line].any()
        if reference is None:
            assert (cyc[a][:, :19] == 0).all() and (cyc[a][:, 23:] == -1).all()
        else:
            assert (cyc[:, right] == 0).all()
            assert (cyc[a][:, :19] == 1).all() and (cyc[b][:, :28] == -1).all()


def test_a_value_two_cycles_off_beside_a_one_cycle_patch_is_fixed_or_left():
    """A +2 patch overlapping a +1 patch on one interferogram: at their edge the window's majority is the +1's,
    and a cycle taken off a +2 value closes none of its loops. Every value changed is brought back to the truth;
    none is moved to another wrong multiple."""
    rng, pairs, tri, clean = _small_stack(5, 12, 30, 30)
    planted = np.zeros(clean.shape, np.int16)
    k = pairs.index((5, 7))
    planted[k, 4:26, 4:20] = 1
    planted[k, 12:26, 11:20] = 2
    out = correct_closure_stack(clean + planted * CYCLE_MM, tri, cycle_mm=CYCLE_MM, closure_offset=np.zeros(tri.n))
    cyc = out["cycles"].astype(np.int64)
    moved = cyc != 0
    assert not (moved & (planted + cyc != 0)).any()
    assert (planted[k] + cyc[k] == 0)[planted[k] != 0].mean() > 0.9


def test_a_slip_on_two_of_the_last_dates_pairs_closes_as_one_on_the_third_and_its_edge_tells_them():
    """The closures cannot tell a patch slipped +1 on two of the three pairs ending at the last date from the same
    patch slipped -1 on the third: the two differ by the last date shifted a cycle (C A theta = 0), so every
    pixel's integer closures are the same. The sparser (one pair) is what the closures choose; the patch's edge
    tells them apart: the corrected pairs are continuous across it only with the right correction. Both stacks are
    fixed, and nothing else moves."""
    n = 10
    rng, pairs, tri, clean = _small_stack(9, n, 24, 24)
    last = [pairs.index((i, n - 1)) for i in (n - 4, n - 3, n - 2)]
    two, one = np.zeros(clean.shape, np.int16), np.zeros(clean.shape, np.int16)
    two[last[:2], 6:18, 6:18] = 1
    one[last[2], 6:18, 6:18] = -1
    assert not np.abs(tri.matrix @ (two - one).reshape(len(pairs), -1)).any()  # the same closures everywhere
    for planted in (two, one):
        out = correct_closure_stack(clean + planted * CYCLE_MM, tri, cycle_mm=CYCLE_MM, closure_offset=np.zeros(tri.n))
        np.testing.assert_array_equal(out["cycles"], -planted)


@pytest.mark.parametrize("seed", [int(s) for s in np.random.default_rng(20261129).choice(np.arange(100, 1000), 3,
                                                                                            replace=False)])
def test_patches_on_a_dates_pairs_that_close_as_the_others_are_fixed_by_their_edges(seed):
    """Patches drawn at random (size, place, date, sign), each slipped on more of a date's pairs than it leaves, so
    that the other pairs slipped the other way close alike and are sparser: a date near the network's end (two of
    its three pairs) or inside it (four of its six). Every planted value is fixed and none is moved where nothing
    slipped; a region of noise (uniform phase) beside them takes nothing."""
    n = 14
    rng, pairs, tri, clean = _small_stack(seed, n, 60, 60)
    planted = np.zeros(clean.shape, np.int16)
    taken = np.zeros((60, 60), bool)
    taken[48:60, 0:16] = True  # the noise's corner
    for _ in range(3):
        d = int(rng.integers(2, n))
        mine = [k for k, (i, j) in enumerate(pairs) if d in (i, j)]
        slipped = rng.choice(mine, len(mine) // 2 + 1, replace=False)
        sign = int(rng.choice([-1, 1]))
        for _ in range(200):  # a place that touches no other patch
            hh, ww = (int(v) for v in rng.integers(6, 14, 2))
            y, x = (int(v) for v in rng.integers(1, 59 - 14, 2))
            if not taken[y - 1:y + hh + 1, x - 1:x + ww + 1].any():
                break
        taken[y:y + hh, x:x + ww] = True
        for k in slipped:  # +s on a pair ending at d is the date's shift's sign, -s on one starting there
            planted[k, y:y + hh, x:x + ww] = sign if pairs[k][1] == d else -sign
    noise = np.zeros((60, 60), bool)
    noise[50:58, 2:14] = True
    clean[:, noise] = rng.uniform(-0.5, 0.5, (len(pairs), int(noise.sum()))) * CYCLE_MM
    out = correct_closure_stack(clean + planted * CYCLE_MM, tri, cycle_mm=CYCLE_MM, closure_offset=np.zeros(tri.n))
    cyc = out["cycles"].astype(np.int64)
    assert not (cyc[:, ~noise] + planted[:, ~noise]).any()
    assert not cyc[:, noise].any()
