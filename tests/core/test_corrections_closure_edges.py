"""The edges' choice between corrections the closures cannot tell apart (algorithms/corrections/closure_edges.py):
its regions against scipy's labelling, and its votes the same whatever the blocks they are counted in."""

import numpy as np
import pytest
from scipy import ndimage

from insar_geohazards.algorithms.corrections import closure_edges
from insar_geohazards.algorithms.corrections.closure_edges import SWAP_BASE, EdgeVotes, date_incidence, date_regions

NO_DATA, TIE_FROM = -128, 32
SEEDS = [int(s) for s in np.random.default_rng(20261130).choice(np.arange(100, 1000), 3, replace=False)]


def _held(rng, m, rows, cols):
    """First-pass cycles: rectangles of corrections on random pairs, some values without data, a few ties."""
    held = np.zeros((m, rows, cols), np.int8)
    for _ in range(12):
        k = rng.integers(0, m)
        y, x = rng.integers(0, rows - 3), rng.integers(0, cols - 3)
        held[k, y:y + rng.integers(2, 12), x:x + rng.integers(2, 12)] = rng.choice([-2, -1, 1, 2])
    held[rng.random(held.shape) < 0.02] = NO_DATA
    held[rng.random(held.shape) < 0.01] = TIE_FROM + 1
    return held


@pytest.mark.parametrize("seed", SEEDS)
def test_regions_are_the_connected_pieces_of_one_correction(seed):
    """A date's regions are the 4-connected pieces of pixels carrying one and the same (not all zero) correction
    of its pairs: the same partition as scipy's labelling of each distinct correction apart."""
    rng = np.random.default_rng(seed)
    sub = np.zeros((3, 30, 40), np.int8)
    for _ in range(15):
        k, y, x = rng.integers(0, 3), rng.integers(0, 26), rng.integers(0, 36)
        sub[k, y:y + rng.integers(1, 9), x:x + rng.integers(1, 9)] = rng.choice([-1, 1, 2])
    n, flat, lab = date_regions(sub)
    cols = sub.reshape(3, -1)[:, flat].T
    want = np.full(flat.size, -1)
    count = 0
    for c in np.unique(cols, axis=0):
        mask = np.zeros(30 * 40, bool)
        mask[flat[(cols == c).all(axis=1)]] = True
        pieces, k = ndimage.label(mask.reshape(30, 40))
        want[(cols == c).all(axis=1)] = pieces.reshape(-1)[flat[(cols == c).all(axis=1)]] - 1 + count
        count += k
    assert n == count
    # the same partition: one-to-one between the two labellings
    pairs = np.unique(np.stack([lab, want]), axis=1)
    assert pairs.shape[1] == n == np.unique(lab).size == np.unique(want).size
    assert (np.diff(lab[np.unique(lab, return_index=True)[1]]) > 0).all()  # numbered in raster order


@pytest.mark.parametrize("seed", SEEDS)
def test_votes_do_not_depend_on_the_blocks(seed):
    """The votes counted over the whole grid at once equal their sums over blocks of random heights read with one
    row of halo, and so does the choice."""
    rng = np.random.default_rng(seed)
    n_dates, rows, cols = 8, 37, 29
    pairs = [(i, j) for i in range(n_dates) for j in range(i + 1, min(n_dates, i + 3))]
    m = len(pairs)
    held = _held(rng, m, rows, cols)
    values = rng.normal(0, 2.0, (m, rows, cols))
    values += np.where((held != NO_DATA) & (held < TIE_FROM), -held, 0) * 28.0  # what the corrections undo
    values[rng.random(values.shape) < 0.03] = np.nan
    one = EdgeVotes(held, pairs, no_data=NO_DATA, tie_from=TIE_FROM, min_edges=1)
    one.add(one.block(values, held, 0, 0, rows, 28.0))
    many = EdgeVotes(held, pairs, no_data=NO_DATA, tie_from=TIE_FROM, min_edges=1)
    cuts = np.unique(np.concatenate([[0, rows], rng.integers(1, rows, 5)]))
    for r0, r1 in zip(cuts[:-1], cuts[1:]):
        a, b = max(0, r0 - 1), min(rows, r1 + 1)
        many.add(many.block(values[:, a:b], held[:, a:b], a, r0, r1, 28.0))
    assert one.votes.keys() == many.votes.keys() and one.votes
    for d in one.votes:
        np.testing.assert_array_equal(one.votes[d], many.votes[d])
    assert one.choose(min_edges=1, ratio=1.0) == many.choose(min_edges=1, ratio=1.0)


def test_a_region_takes_the_shift_its_edge_asks_for_and_nothing_else_moves():
    """A 6 x 8 patch slipped +1 on the two pairs ending at date 2, (0,2) and (1,2), whose first-pass correction is
    the sparser one closing alike: -1 on (2,3) (the truth's correction plus date 2 shifted a cycle). All 28 edges of
    the region vote for date 2's shift back (three pairs jump across each edge, none after); date 3's votes tie
    (one pair jumps either way). Applied, the region's values of date 2's pairs move and nothing else does."""
    pairs = [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)]
    a = date_incidence(pairs)
    assert a.tolist() == [[-1, 1, 0, 0], [-1, 0, 1, 0], [0, -1, 1, 0], [0, -1, 0, 1], [0, 0, -1, 1]]
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1.0, (5, 20, 20))
    x[1:3, 5:11, 6:14] += 28.0
    held = np.zeros((5, 20, 20), np.int8)
    held[4, 5:11, 6:14] = -1
    votes = EdgeVotes(held, pairs, no_data=NO_DATA, tie_from=TIE_FROM)
    votes.add(votes.block(x, held, 0, 0, 20, 28.0))
    shifts = votes.choose()
    assert [(d, k, pro, con) for d, _, k, pro, con in shifts] == [(2, -1, 28, 0)]
    assert votes.apply(held, shifts) == (1, 144)
    want = np.zeros_like(held)
    want[1:3, 5:11, 6:14] = -1
    np.testing.assert_array_equal(held, want)


def test_a_pair_in_no_loop_is_not_part_of_a_dates_shift():
    """The same patch with (0,2) in no loop (its column of the closures is 0, so it is not in their ambiguity): the
    region's date-2 shift moves (1,2) and (2,3) only, and (0,2), slipped or not, is left as it is."""
    pairs = [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)]
    rng = np.random.default_rng(4)
    x = rng.normal(0, 1.0, (5, 20, 20))
    x[1:3, 5:11, 6:14] += 28.0
    held = np.zeros((5, 20, 20), np.int8)
    held[4, 5:11, 6:14] = -1
    votes = EdgeVotes(held, pairs, no_data=NO_DATA, tie_from=TIE_FROM, in_loops=[True, False, True, True, True])
    assert votes.pairs_of(2).tolist() == [2, 4]
    votes.add(votes.block(x, held, 0, 0, 20, 28.0))
    shifts = votes.choose()
    assert [(d, k, pro, con) for d, _, k, pro, con in shifts] == [(2, -1, 28, 0)]
    assert votes.apply(held, shifts) == (1, 96)
    assert not held[1].any() and (held[2, 5:11, 6:14] == -1).all() and not held[4].any()


def test_a_region_whose_edge_mostly_cannot_vote_takes_nothing():
    """The same slip over a 10 x 14 patch whose surroundings have no data except along its top edge: the 14 edges
    there all vote for date 2's shift, none against, but they are 14 of the region's 48 edges, not more than half:
    the region keeps the closures' choice (an edge along water or an incoherent line says nothing)."""
    pairs = [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)]
    rng = np.random.default_rng(5)
    x = rng.normal(0, 1.0, (5, 30, 30))
    x[1:3, 8:18, 8:22] += 28.0
    ring = np.zeros((30, 30), bool)
    ring[7:19, 7:23] = True
    ring[8:18, 8:22] = False
    ring[7, 8:22] = False  # the top edge's neighbours keep their data
    x[:, ring] = np.nan
    held = np.zeros((5, 30, 30), np.int8)
    held[4, 8:18, 8:22] = -1
    votes = EdgeVotes(held, pairs, no_data=NO_DATA, tie_from=TIE_FROM)
    votes.add(votes.block(x, held, 0, 0, 30, 28.0))
    assert votes.choose() == []
    assert [(d, k, pro, con) for d, _, k, pro, con in votes.choose(share=0.25)] == [(2, -1, 14, 0)]


def test_a_neighbour_with_the_same_slips_is_no_witness_of_the_edge():
    """The slip of the first test over a 6 x 10 patch, with a fringe of the same slip left uncorrected along its
    bottom and the foot of its right side (12 of its 32 edges): corrected there, the region would jump against the
    fringe, so those edges vote against the right shift (20 for, 12 against: not twice as many). A neighbour whose
    closures of the date's loops are the region's pixel's carries the same slips and is no witness: given the loops,
    those edges do not vote, and the region takes the shift."""
    pairs = [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)]
    loops = [(0, 2, 1), (2, 4, 3)]  # (ij, jk, ik): (0,1)+(1,2)-(0,2), (1,2)+(2,3)-(1,3)
    rng = np.random.default_rng(6)
    x = rng.normal(0, 1.0, (5, 24, 24))
    x[1:3, 5:11, 6:16] += 28.0
    x[1:3, 11:13, 6:16] += 28.0  # the fringe below
    x[1:3, 9:11, 16:18] += 28.0  # and beside the foot of the right side
    held = np.zeros((5, 24, 24), np.int8)
    held[4, 5:11, 6:16] = -1
    blind = EdgeVotes(held, pairs, no_data=NO_DATA, tie_from=TIE_FROM)
    blind.add(blind.block(x, held, 0, 0, 24, 28.0))
    assert [(d, k, pro, con) for d, _, k, pro, con in blind.choose(ratio=1.0)] == [(2, -1, 20, 12)]
    assert blind.choose() == []
    seeing = EdgeVotes(held, pairs, no_data=NO_DATA, tie_from=TIE_FROM, loops=loops)
    seeing.add(seeing.block(x, held, 0, 0, 24, 28.0))
    assert [(d, k, pro, con) for d, _, k, pro, con in seeing.choose()] == [(2, -1, 20, 0)]


TIE_CODE = 2 * TIE_FROM  # closure.TIE_CYCLES: a tie's candidate v is coded TIE_CODE + v
PAIRS5 = [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)]  # date 3 has two pairs: (1,3) and (2,3)


def _tie_code(kind, fallback=False):
    """The first pass's code of the tie of (1,3) -1 against (2,3) +1: date 3 shifted by +1, or the swap of the pair."""
    return 1 * (2 * (3 + 1) + int(fallback)) if kind == "date" else 1 * (SWAP_BASE + 4)


@pytest.mark.parametrize("kind", ["date", "swap"])
@pytest.mark.parametrize("seed", SEEDS)
def test_a_tie_is_decided_by_its_edges(kind, seed):
    """A patch slipped on one of the two pairs ending at date 3 closes its one loop alike whichever of the two it
    is: the first pass keeps the candidate (-1 on (1,3)) and the alternative (+1 on (2,3), the date shifted). Every
    edge of the patch votes for the pair that really slipped (two pairs jump across it under the wrong one, none
    under the right one), and the region takes it; nothing else moves and no tie code is left."""
    rng = np.random.default_rng(seed)
    rows, cols = 30, 34
    h, w = rng.integers(3, 12, 2)
    y0, x0 = rng.integers(1, rows - h - 1), rng.integers(1, cols - w - 1)
    alt = bool(rng.integers(0, 2))  # the truth: the alternative (2,3) slipped -1, or the candidate's (1,3) +1
    x = rng.normal(0, 1.0, (5, rows, cols))
    if alt:
        x[4, y0:y0 + h, x0:x0 + w] -= 28.0
    else:
        x[3, y0:y0 + h, x0:x0 + w] += 28.0
    held = np.zeros((5, rows, cols), np.int8)
    held[3, y0:y0 + h, x0:x0 + w] = TIE_CODE - 1
    ties = np.zeros((rows, cols), np.int16)
    ties[y0:y0 + h, x0:x0 + w] = _tie_code(kind)
    votes = EdgeVotes(held, PAIRS5, no_data=NO_DATA, tie_from=TIE_FROM, tie_shift=ties, tie_code=TIE_CODE)
    assert not votes.dates and len(votes.ties) == 1
    votes.add(votes.block(x, held, 0, 0, rows, 28.0))
    chosen = votes.choose_ties()
    edges = int(2 * (h + w))
    assert chosen == [(0, 0, alt, edges, 0)]
    assert votes.apply(held, [], ties=chosen, tie_shift=ties) == (1, int(h * w))
    want = np.zeros_like(held)
    if alt:
        want[4, y0:y0 + h, x0:x0 + w] = 1
    else:
        want[3, y0:y0 + h, x0:x0 + w] = -1
    np.testing.assert_array_equal(held, want)


def test_undecided_ties_are_cleared_but_a_components_fallback():
    """Ties whose edges decide nothing (pure noise across them, or too few edges to be counted) apply nothing: the
    candidates kept for the edges alone are cleared, a candidate a whole component may take (the fallback) is kept
    coded for the components' decisions."""
    rng = np.random.default_rng(7)
    x = rng.normal(0, 1.0, (5, 20, 20))
    held = np.zeros((5, 20, 20), np.int8)
    ties = np.zeros((20, 20), np.int16)
    held[3, 3:9, 3:9] = TIE_CODE - 1  # no slip there: the votes tie (0 / 0)
    ties[3:9, 3:9] = _tie_code("swap")
    held[3, 14, 14] = TIE_CODE - 1  # one pixel: four edges, not counted
    ties[14, 14] = _tie_code("date")
    held[3, 12:14, 2:4] = TIE_CODE - 1  # a component's fallback
    ties[12:14, 2:4] = _tie_code("date", fallback=True)
    votes = EdgeVotes(held, PAIRS5, no_data=NO_DATA, tie_from=TIE_FROM, tie_shift=ties, tie_code=TIE_CODE)
    votes.add(votes.block(x, held, 0, 0, 20, 28.0))
    assert votes.choose_ties() == []
    assert votes.apply(held, [], ties=[], tie_shift=ties) == (0, 0)
    want = np.zeros_like(held)
    want[3, 12:14, 2:4] = TIE_CODE - 1
    np.testing.assert_array_equal(held, want)


@pytest.mark.parametrize("seed", SEEDS)
def test_tie_votes_do_not_depend_on_the_blocks(seed):
    """Ties of both kinds drawn at random over corrected regions: their votes counted over the whole grid equal
    their sums over blocks of random heights read with one row of halo, and so do the decisions."""
    rng = np.random.default_rng(seed)
    n_dates, rows, cols = 8, 37, 29
    pairs = [(i, j) for i in range(n_dates) for j in range(i + 1, min(n_dates, i + 3))]
    m = len(pairs)
    held = _held(rng, m, rows, cols)
    held[held >= TIE_FROM] = 0
    ties = np.zeros((rows, cols), np.int16)
    last = [k for k, (i, j) in enumerate(pairs) if j == n_dates - 1]  # two pairs end at the last date
    for _ in range(8):
        y, x = rng.integers(0, rows - 3), rng.integers(0, cols - 3)
        box = (slice(y, y + rng.integers(2, 10)), slice(x, x + rng.integers(2, 10)))
        held[(slice(None),) + box] = 0
        held[(last[0],) + box] = TIE_CODE + rng.choice([-1, 1])
        ties[box] = (2 * n_dates + int(rng.integers(0, 2))) if rng.random() < 0.5 else SWAP_BASE + last[1]
        ties[box] *= rng.choice([-1, 1])
    values = rng.normal(0, 2.0, (m, rows, cols))
    values += np.where((held != NO_DATA) & (held < TIE_FROM), -held, 0) * 28.0
    values[last[int(rng.integers(0, 2))]] += 28.0 * (rng.random((rows, cols)) < 0.5)
    values[rng.random(values.shape) < 0.03] = np.nan
    loops = [(i, j, k) for i in range(m) for j in range(m) for k in range(m)
             if pairs[i][1] == pairs[j][0] and (pairs[i][0], pairs[j][1]) == pairs[k]]
    kw = dict(no_data=NO_DATA, tie_from=TIE_FROM, tie_shift=ties, tie_code=TIE_CODE, min_edges=1, loops=loops)
    one = EdgeVotes(held, pairs, **kw)
    one.add(one.block(values, held, 0, 0, rows, 28.0))
    many = EdgeVotes(held, pairs, **kw)
    cuts = np.unique(np.concatenate([[0, rows], rng.integers(1, rows, 5)]))
    halo = closure_edges.RIM_RINGS  # a rim's rings reach this far from the region
    for r0, r1 in zip(cuts[:-1], cuts[1:]):
        a, b = max(0, r0 - halo), min(rows, r1 + halo)
        many.add(many.block(values[:, a:b], held[:, a:b], a, r0, r1, 28.0))
    assert len(one.ties) == len(many.ties) > 0
    for a, b in zip(one.tie_votes, many.tie_votes):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(one.rims, many.rims):  # the rims' (region, pixel) as sets
        a, b = (np.unique(np.concatenate(r, axis=1), axis=1) if r else np.zeros((2, 0)) for r in (a, b))
        np.testing.assert_array_equal(a, b)
    assert one.tie_votes[0][:2].sum() > 0
    assert one.choose_ties(min_edges=1, ratio=1.0) == many.choose_ties(min_edges=1, ratio=1.0)
    assert one.choose(min_edges=1, ratio=1.0) == many.choose(min_edges=1, ratio=1.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_slips_the_closures_leave_as_ties_are_fixed_by_their_edges(seed, monkeypatch):
    """Through the core as the tool runs it (:func:`closure.correct_closure_stack`): the closures alone leave both
    patches as they are (a tie, nothing applied); the edges' votes pick the pair that slipped, and at least 9 in 10
    planted values are fixed (a corner of a patch two rings from the region stays), none made."""
    from testutils_corrections import CYCLE_MM, error_counts, first_last_date_slips

    from insar_geohazards.algorithms.corrections import closure as cl
    from insar_geohazards.algorithms.corrections import closure_edges

    _, pairs, clean, planted = first_last_date_slips(seed)
    tri = cl.network_triplets(pairs)
    out = cl.correct_closure_stack(clean + planted * CYCLE_MM, tri, cycle_mm=CYCLE_MM)
    n, fixed, new = error_counts(out["corrected_mm"], clean, planted)
    assert new == 0 and fixed >= 0.9 * n, (n, fixed, new)
    monkeypatch.setattr(closure_edges.EdgeVotes, "choose_ties", lambda self, **kw: [])
    out = cl.correct_closure_stack(clean + planted * CYCLE_MM, tri, cycle_mm=CYCLE_MM)
    assert error_counts(out["corrected_mm"], clean, planted) == (n, 0, 0)


def test_a_decided_ties_rim_takes_its_choice():
    """The tie of the first test over a 6 x 8 patch slipped -1 on (2,3), and the same slip on the row below it that
    the first pass left without a tie (a window's majority did not reach it). Given the loops, the row's 8 edges are
    no edge of the region (the same closures), the other 20 all vote for the alternative, and the row, carrying
    nothing and running on from the region without a jump, takes the region's choice too; the pixels around with
    no slip take nothing."""
    loops = [(0, 2, 1), (2, 4, 3)]
    rng = np.random.default_rng(8)
    x = rng.normal(0, 1.0, (5, 20, 20))
    x[4, 5:12, 6:14] -= 28.0
    held = np.zeros((5, 20, 20), np.int8)
    held[3, 5:11, 6:14] = TIE_CODE - 1
    ties = np.zeros((20, 20), np.int16)
    ties[5:11, 6:14] = _tie_code("swap")
    votes = EdgeVotes(held, PAIRS5, no_data=NO_DATA, tie_from=TIE_FROM, tie_shift=ties, tie_code=TIE_CODE, loops=loops)
    votes.add(votes.block(x, held, 0, 0, 20, 28.0))
    assert votes.tie_votes[0][:, 0].tolist() == [20, 0, 8, 0]
    chosen = votes.choose_ties()
    assert chosen == [(0, 0, True, 20, 0)]
    assert votes.apply(held, [], ties=chosen, tie_shift=ties) == (1, 56)
    want = np.zeros_like(held)
    want[4, 5:12, 6:14] = 1
    np.testing.assert_array_equal(held, want)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_tie_inside_a_larger_slip_is_decided_by_its_outer_edge(seed):
    """A patch slipped on (1,3) or (2,3) at random, its tie kept along the patch's top side only: the rest of the
    patch carries a slip of (1,2) as well, corrected, so its closures of the one loop holding the two pairs are a
    cycle apart from the region's. Those neighbours witness, but neither correction of the region jumps less against
    them (both pairs run on, uncorrected): they are the same slip left undecided, inside the patch, and do not count
    among the edges. The outer edges (top and the two sides' upper parts) all vote for the pair that slipped; they
    are fewer than half of all the region's witnessing edges, so without that rule the region stays undecided."""
    rng = np.random.default_rng(seed)
    rows, cols = 32, 36
    h, w = int(rng.integers(2, 5)), int(rng.integers(12, 20))
    below = int(rng.integers(h + 2, 12))  # the patch's rows under the region
    y0, x0 = int(rng.integers(1, rows - h - below - 1)), int(rng.integers(3, cols - w - 3))
    alt = bool(rng.integers(0, 2))
    x = rng.normal(0, 1.0, (5, rows, cols))
    patch = (slice(y0, y0 + h + below), slice(x0 - 2, x0 + w + 2))
    x[(4 if alt else 3,) + patch] += -28.0 if alt else 28.0
    rest = (slice(y0 + h, y0 + h + below), patch[1])
    x[(2,) + rest] += 28.0
    held = np.zeros((5, rows, cols), np.int8)
    held[(2,) + rest] = -1
    region = (slice(y0, y0 + h), slice(x0, x0 + w))
    held[(3,) + region] = TIE_CODE - 1
    ties = np.zeros((rows, cols), np.int16)
    ties[region] = _tie_code("swap")
    votes = EdgeVotes(held, PAIRS5, no_data=NO_DATA, tie_from=TIE_FROM, tie_shift=ties, tie_code=TIE_CODE,
                      loops=[(0, 2, 1), (2, 4, 3)])
    votes.add(votes.block(x, held, 0, 0, rows, 28.0))
    v = votes.tie_votes[0][:, 0]
    outer = w + 0  # the top side: the sides' neighbours are the patch's two columns beside the region, same slip
    assert v.tolist() == [outer if alt else 0, 0 if alt else outer, 2 * h, w]
    assert votes.choose_ties() == [(0, 0, alt, outer, 0)]
    v[3] = 0  # the inside edges counted as edges: the outer ones are too few a share
    assert votes.choose_ties() == []


@pytest.mark.parametrize("seed", SEEDS)
def test_a_decided_ties_rim_runs_on_in_rings(seed, monkeypatch):
    """The tie of the rim test above, its slip running on below the region for 1 to 5 rows drawn at random, those
    rows carrying a slip of (0,1) too, corrected (their closures of the tie's loop are the region's, their other
    corrections stay): the rows up to RIM_RINGS from the region take its choice on the tie's pairs, those beyond
    take nothing, nor do the pixels around without the slip. With one ring only the first row would."""
    rng = np.random.default_rng(seed)
    below = int(rng.integers(1, 6))
    loops = [(0, 2, 1), (2, 4, 3)]
    x = rng.normal(0, 1.0, (5, 24, 20))
    x[4, 5:11 + below, 6:14] -= 28.0
    x[0, 11:11 + below, 6:14] += 28.0
    held = np.zeros((5, 24, 20), np.int8)
    held[3, 5:11, 6:14] = TIE_CODE - 1
    held[0, 11:11 + below, 6:14] = -1
    ties = np.zeros((24, 20), np.int16)
    ties[5:11, 6:14] = _tie_code("swap")
    for rings in (closure_edges.RIM_RINGS, 1):
        monkeypatch.setattr(closure_edges, "RIM_RINGS", rings)
        h = held.copy()
        votes = EdgeVotes(h, PAIRS5, no_data=NO_DATA, tie_from=TIE_FROM, tie_shift=ties, tie_code=TIE_CODE,
                          loops=loops)
        votes.add(votes.block(x, h, 0, 0, 24, 28.0))
        chosen = votes.choose_ties()
        assert [t[:3] for t in chosen] == [(0, 0, True)]
        votes.apply(h, [], ties=chosen, tie_shift=ties)
        want = held.copy()
        want[3] = 0
        want[4, 5:11 + min(below, rings), 6:14] = 1
        np.testing.assert_array_equal(h, want)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_decorrelated_neighbour_is_no_rim(seed):
    """The rim of the test above, and a pixel beside the region whose values happen to run on from it on the tie's
    pairs and on the pair that shares their loop (so its closures are the region's) but jump by more than half a
    cycle on the two others, as decorrelated ground's do: it runs on in 3 of 5 interferograms, not more than 9 in
    10, and takes nothing; the coherent rim row takes the region's choice. With no share asked, it would take it."""
    import insar_geohazards.algorithms.corrections.closure_edges as ce

    rng = np.random.default_rng(seed)
    loops = [(0, 2, 1), (2, 4, 3)]
    x = rng.normal(0, 1.0, (5, 20, 20))
    x[4, 5:12, 6:14] -= 28.0
    y, c = int(rng.integers(5, 11)), int(rng.choice([5, 14]))  # a pixel left or right of the region
    x[4, y, c] -= 28.0
    x[0:2, y, c] += rng.choice([-1, 1], 2) * rng.uniform(16.0, 24.0, 2)
    held = np.zeros((5, 20, 20), np.int8)
    held[3, 5:11, 6:14] = TIE_CODE - 1
    ties = np.zeros((20, 20), np.int16)
    ties[5:11, 6:14] = _tie_code("swap")
    want = np.zeros_like(held)
    want[4, 5:12, 6:14] = 1
    for share, dark in ((ce.RIM_SHARE, 0), (0.0, 1)):
        h = held.copy()
        votes = EdgeVotes(h, PAIRS5, no_data=NO_DATA, tie_from=TIE_FROM, tie_shift=ties, tie_code=TIE_CODE,
                          loops=loops)
        ce.RIM_SHARE, kept = share, ce.RIM_SHARE
        try:
            votes.add(votes.block(x, h, 0, 0, 20, 28.0))
        finally:
            ce.RIM_SHARE = kept
        chosen = votes.choose_ties()
        assert [t[:3] for t in chosen] == [(0, 0, True)]
        votes.apply(h, [], ties=chosen, tie_shift=ties)
        w = want.copy()
        w[4, y, c] = dark
        np.testing.assert_array_equal(h, w)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_tie_along_a_masked_slip_is_decided_through_the_core(seed, monkeypatch):
    """Through the core as the tool runs it: a slip on one of the last date's two pairs whose loop partner has no data
    over the slip but along its top side (testutils_corrections.tie_inside_slip). The tie kept there has the slip's
    masked rest on three sides, which neither correction jumps against; its top side votes for the right pair. The
    region and a ring of the rest are fixed, none made; counted as edges, the masked sides leave it undecided."""
    from testutils_corrections import CYCLE_MM, error_counts, tie_inside_slip

    from insar_geohazards.algorithms.corrections import closure as cl
    from insar_geohazards.algorithms.corrections import closure_edges

    _, pairs, clean, planted, (h, w) = tie_inside_slip(seed)
    tri = cl.network_triplets(pairs)
    out = cl.correct_closure_stack(clean + planted * CYCLE_MM, tri, cycle_mm=CYCLE_MM)
    n, fixed, new = error_counts(out["corrected_mm"], clean, planted)
    assert new == 0 and fixed >= h * w, (n, fixed, new, h * w)
    choose = closure_edges.EdgeVotes.choose_ties

    def masked_sides_as_edges(self, **kw):
        for v in self.tie_votes:
            v[3] = 0
        return choose(self, **kw)

    monkeypatch.setattr(closure_edges.EdgeVotes, "choose_ties", masked_sides_as_edges)
    out = cl.correct_closure_stack(clean + planted * CYCLE_MM, tri, cycle_mm=CYCLE_MM)
    assert error_counts(out["corrected_mm"], clean, planted) == (n, 0, 0)


def test_a_tie_is_kept_only_where_the_pixels_own_closures_are_its_windows():
    """The first pass keeps a window's tie for the edges only at a pixel whose own integer closures are the window's:
    kept where they are; forgotten where a loop both use closes otherwise (slips that cancel in it), and where no
    loop holding the tie's pairs that the window opens is usable at the pixel (its own slips unseen, even if another
    opened loop is); a component's fallback candidate stays, its code for the edges goes. A loop the window leaves
    closed counts as opened where the pixel's other corrections open it (a pair slipped beside a cancelling one in
    their only loop, the cancelling one corrected): the tie is kept there."""
    import datetime as dt

    from insar_geohazards.algorithms.corrections.closure import _own_ties_only, network_triplets
    from insar_geohazards.algorithms.corrections.closure_solver import _MISSING

    days = [dt.date(2021, 1, 1) + dt.timedelta(days=12 * i) for i in range(5)]
    pairs = [(days[i], days[j]) for i in range(5) for j in range(i + 1, min(5, i + 3))]
    tri = network_triplets(pairs)
    m, t = len(pairs), tri.n
    last = [k for k, (_, b) in enumerate(pairs) if b == days[4]]  # (2,4) and (3,4)
    holds = (tri.matrix[:, last] != 0).any(axis=1)
    loop = int(np.flatnonzero(holds)[0])  # the one loop of the last date's two pairs
    assert holds.sum() == 1
    elsewhere = int(np.flatnonzero(~holds)[0])
    agreed = np.zeros((t, 6), np.int16)
    agreed[loop] = 1
    agreed[elsewhere] = 1
    keyed = agreed.copy()
    keyed[loop, 1] = 0  # slips that cancel in that loop at pixel 1
    keyed[loop, 2] = _MISSING  # not usable at pixel 2 (its other opened loop is)
    tie = np.zeros((m, 6), np.int16)
    tie[last[0]] = -1
    code = SWAP_BASE + last[1]
    tie_shift = np.array([code, code, code, 2 * 5 + 1, code, code], np.int16)  # pixel 3: a component's fallback
    keyed[loop, 3] = 0
    # pixel 5: the loop closed in the window and at the pixel, opened by its correction of the loop's third pair
    agreed[loop, 5] = keyed[loop, 5] = 0
    third = int(np.flatnonzero((tri.matrix[loop] != 0) & ~np.isin(np.arange(m), last))[0])
    u = np.zeros((m, 6), np.int16)
    u[third, 5] = 1
    _own_ties_only(tie, tie_shift, np.arange(6), agreed, keyed, 6, tri, u)
    assert tie_shift.tolist() == [code, 0, 0, 0, code, code]
    assert tie[last[0]].tolist() == [-1, 0, 0, -1, -1, -1]
    # without that correction the loop is not opened there: the tie goes
    tie[last[0], 5], tie_shift[5] = -1, code
    _own_ties_only(tie, tie_shift, np.array([5]), agreed, keyed, 6, tri, np.zeros((m, 6), np.int16))
    assert tie_shift[5] == 0 and tie[last[0], 5] == 0
