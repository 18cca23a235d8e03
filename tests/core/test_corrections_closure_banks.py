"""Unwrapping-error correction on stacks of a second generator of the corrections-chain design
(tests/testutils_closure_banks.py: components split by incoherent channels, whole components off by whole cycles in
several interferograms, two pairs of a date +n and -n on one component, irregular patches), counted as the practice
stack's README counts: relative to a reference pixel of the largest component."""

import numpy as np
import pytest
from testutils_closure_banks import CYCLE_MM, bank_stack, relative_counts

from insar_geohazards.algorithms.corrections.closure import (
    closure_offsets,
    correct_closure_block,
    correct_closure_stack,
    network_triplets,
)

# a seed drawn from 7-999 at each run would change what is tested between runs; this one was drawn at random
SEEDS = [int(s) for s in np.random.default_rng(20261127).choice(np.arange(7, 1000), 1, replace=False)]


def _run(seed, *, one_pass=False):
    sc = bank_stack(seed)
    d = sc["dates"]
    tri = network_triplets([(d[i], d[j]) for i, j in sc["pairs"]])
    bad = sc["clean_mm"] + sc["planted"] * CYCLE_MM
    rows = np.unique(np.linspace(0, bad.shape[1] - 1, 64).astype(int))
    off = closure_offsets(bad[:, rows], tri, cycle_mm=CYCLE_MM)  # as the tool: the frame from a sample of rows
    run = correct_closure_block if one_pass else correct_closure_stack
    out = run(bad, tri, cycle_mm=CYCLE_MM, closure_offset=off)
    comp = sc["components"]
    ys, xs = np.nonzero(comp == np.argmax(np.bincount(comp.ravel())[1:]) + 1)
    return sc, out, relative_counts(out["corrected_mm"], sc["clean_mm"], sc["planted"], (ys[ys.size // 2],
                                                                                          xs[xs.size // 2]))


@pytest.mark.parametrize("seed", SEEDS)
def test_banks_and_patches_fixed(seed):
    """Whole components and patches, as the tool runs the step (two passes, the components completed): at least
    99 % of the planted values fixed. Known limit: values of low-coherence blobs whose own loops open with their
    component's correction are left, and where the reference's component slipped they count as off relative to it,
    and a patch explained on the wrong pairs (measured 0.03-0.53 % of the planted values on seeds 1-6, 0.06-0.62 %
    before the components were 4-connected and the components' pass reached ambiguous values): at most 1 % here."""
    sc, out, c = _run(seed)
    assert c["fixed"] >= 0.99 * c["planted"], c
    assert c["new"] <= 0.01 * c["planted"], c
    # whole cycles only, and nothing where the input has no data
    bad = sc["clean_mm"] + sc["planted"] * CYCLE_MM
    has = np.isfinite(bad)
    np.testing.assert_array_equal(np.isfinite(out["corrected_mm"]), has)
    np.testing.assert_allclose(((out["corrected_mm"] - bad) / CYCLE_MM)[has], out["cycles"][has], atol=1e-6)
    assert not out["cycles"][~has].any()


def test_a_cancelling_pair_on_a_bank_is_fixed():
    """Two pairs sharing a date, +n and -n over one component, close their common loop: the other loops of each
    still show them, and both are fixed on the whole component (seed 5: the first of the generator's seeds whose
    two pairs cancel over a component, not crossed by a patch)."""
    sc, out, _ = _run(5)
    p, pairs = sc["planted"], sc["pairs"]
    a, b = pairs.index((1, 2)), pairs.index((2, 3))
    assert (p[a] != 0).sum() > 1000 and ((p[a] + p[b]) == 0).all()
    for k in (a, b):
        slipped = p[k] != 0
        assert ((p[k] + out["cycles"][k])[slipped] == 0).mean() > 0.98


def test_the_components_complete_what_the_windows_left():
    """The second pass gives a component's correction to its values the first left (a low-coherence blob inside a
    slipped bank): more values fixed, none more off relative to the reference; the second pass only adds
    corrections to values the first left, or drops one its pixel's loops no longer ask for once all are made, or
    gives a pixel a neighbour's corrections whole (a rim's, :func:`closure_recast.adopt`)."""
    sc, one, c1 = _run(1, one_pass=True)
    _, two, c2 = _run(1)
    assert c2["new"] <= c1["new"] and c2["fixed"] > c1["fixed"], (c1, c2)
    bad = sc["clean_mm"] + sc["planted"] * CYCLE_MM
    has = np.isfinite(bad)
    u1, u2 = one["cycles"], two["cycles"]
    changed = has & (u1 != u2)
    swapped = changed & (u1 != 0) & (u2 != 0)
    assert swapped.sum() <= 0.001 * changed.sum(), (swapped.sum(), changed.sum())
    h, w = has.shape[1:]
    for y, x in set(zip(*np.nonzero(swapped.any(axis=0)))):
        near = [(y + dy, x + dx) for dy, dx in ((0, 1), (1, 0), (0, -1), (-1, 0))
                if 0 <= y + dy < h and 0 <= x + dx < w]
        assert any(np.array_equal(np.where(has[:, y, x], u2[:, q, r], 0), u2[:, y, x]) for q, r in near), (y, x)


def test_components_are_four_connected():
    """Two banks of a channel one pixel wide that steps sideways by one column: a diagonal touch does not join
    them (an unwrapper's components are 4-connected)."""
    from insar_geohazards.algorithms.corrections.closure import component_labels

    n_data = np.full((8, 9), 10)
    n_data[:4, 4] = 0
    n_data[4:, 5] = 0
    labels, n = component_labels(n_data, 10, min_pixels=1)
    assert n == 2  # west and east banks, the channel apart
    assert labels[3, 5] != labels[4, 4]  # diagonal neighbours across the step


def test_a_component_decision_reaches_its_noisy_values_and_not_a_patch_it_does_not_fit():
    """A bank one cycle off in one interferogram, with a decorrelated blob (every value spread over the whole cycle)
    and a coherent patch that the unwrapper got right: the blob's values take the bank's correction (their loops
    are noise and testify to nothing), the patch's values keep theirs (their loops open with it)."""
    import datetime as dt

    rng = np.random.default_rng(3)
    n = 12
    d = [dt.date(2022, 1, 1) + dt.timedelta(days=12 * i) for i in range(n)]
    pairs = [(i, j) for i in range(n) for j in range(i + 1, min(n, i + 4))]
    tri = network_triplets([(d[i], d[j]) for i, j in pairs])
    h, w = 36, 44
    clean = rng.normal(0.0, 0.03 * CYCLE_MM, (len(pairs), h, w))
    clean[:, :, 18:20] = np.nan  # the channel
    blob = np.zeros((h, w), bool)
    blob[14:22, 30:38] = True
    clean[:, blob] += rng.uniform(-0.5, 0.5, (len(pairs), int(blob.sum()))) * CYCLE_MM
    patch = np.zeros((h, w), bool)
    patch[3:9, 24:32] = True
    k = pairs.index((4, 6))
    planted = np.zeros(clean.shape, np.int16)
    planted[k][:, 20:] = 1
    planted[k][patch] = 0
    bad = clean + planted * CYCLE_MM
    west = np.zeros((h, w), bool)
    west[10:20, 4:12] = True
    off = closure_offsets(bad, tri, cycle_mm=CYCLE_MM, reference=west)
    cyc = correct_closure_stack(bad, tri, cycle_mm=CYCLE_MM, closure_offset=off)["cycles"].astype(np.int64)
    assert (cyc[k][blob] == -1).mean() > 0.9
    assert not cyc[k][patch].any()
    assert (cyc[k][:, 20:][~(blob | patch)[:, 20:]] == -1).mean() > 0.99
