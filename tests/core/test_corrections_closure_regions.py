"""Unwrapping-error correction by phase closure, the region decision: a slip behind an incoherent belt, after a gap
bridged only by incoherent pairs, that the pixels' own coherent loops explain wrongly, fixed by the decision of the
pixel's connected region; the same bytes whatever the blocks."""

import numpy as np
from testutils_corrections import gap_belt_stack

from insar_geohazards.algorithms.corrections.closure import (
    correct_closure_block,
    network_triplets,
    region_counts_block,
    region_cycles_of_stack,
    region_decisions,
    region_labels,
)

CYCLE = 27.75  # mm, C band


def _wrong(out, clean, planted):
    return int((np.rint((out["corrected_mm"] - clean) / CYCLE) != 0).sum()), int((planted != 0).sum())


def test_region_decision_fixes_what_the_pixels_cannot():
    pairs, clean, planted, coh = gap_belt_stack(cycle=CYCLE)
    bad = clean + planted * CYCLE
    tri = network_triplets(pairs)
    own = correct_closure_block(bad, tri, cycle_mm=CYCLE, coherence=coh, min_coherence=0.3)
    wrong_own, n_planted = _wrong(own, clean, planted)
    assert wrong_own >= 0.9 * n_planted  # the pixels' own loops: the gap's pairs incoherent, the slip misread
    labels, rc = region_cycles_of_stack(bad, coh, tri, cycle_mm=CYCLE, min_coherence=0.3)
    assert labels.max() == 2 and (labels[45:50] == 0).all()
    np.testing.assert_array_equal(rc[1][[pairs.index(p) for p in ((6, 7), (6, 8), (6, 9))]], [-1, 1, -1])
    assert (rc[1] != 0).sum() == 3 and not rc[2].any()  # below the belt nothing slipped, nothing decided
    out = correct_closure_block(bad, tri, cycle_mm=CYCLE, coherence=coh, min_coherence=0.3, labels=labels,
                                region_cycles=rc)
    assert _wrong(out, clean, planted)[0] == 0
    np.testing.assert_allclose((out["corrected_mm"] - bad) / CYCLE, out["cycles"], atol=1e-9)
    assert (out["n_nonclosing_after"] <= out["n_nonclosing"]).all()
    # without region decisions (a region too small to decide) the pixels' own result is kept exactly
    labels_small, rc_small = region_cycles_of_stack(bad, coh, tri, cycle_mm=CYCLE, min_coherence=0.3,
                                                    min_pixels=10_000)
    assert labels_small.max() == 0
    again = correct_closure_block(bad, tri, cycle_mm=CYCLE, coherence=coh, min_coherence=0.3, labels=labels_small,
                                  region_cycles=rc_small)
    assert again["corrected_mm"].tobytes() == own["corrected_mm"].tobytes()


def test_region_decision_same_bytes_for_any_blocks():
    pairs, clean, planted, coh = gap_belt_stack(cycle=CYCLE, seed=1)
    bad = clean + planted * CYCLE
    tri = network_triplets(pairs)
    mean = np.nanmean(coh, axis=0)
    labels, n = region_labels(mean, 0.3)
    results = []
    for rows in (7, 32, 100):
        counts = sum(region_counts_block(None, {"stack": bad[:, r:r + rows], "labels": labels[r:r + rows]},
                                         triplets=tri, cycle_mm=CYCLE, n_regions=n)["counts"]
                     for r in range(0, 100, rows))
        rc = region_decisions(counts, tri)
        parts = []
        for r in range(0, 100, rows):  # each block read with one row of neighbours above and below
            a, b = max(0, r - 1), min(100, r + rows + 1)
            parts.append(correct_closure_block(bad[:, a:b], tri, cycle_mm=CYCLE, coherence=coh[:, a:b],
                                               min_coherence=0.3, labels=labels[a:b], region_cycles=rc,
                                               core=slice(r - a, min(r + rows, 100) - a))["corrected_mm"])
        corrected = np.concatenate(parts, axis=1)
        results.append((rc.tobytes(), corrected.tobytes()))
    assert results[0] == results[1] == results[2]
    assert (np.rint((np.frombuffer(results[0][1]).reshape(bad.shape) - clean) / CYCLE) == 0).all()


def test_region_decision_never_changes_a_pixel_whose_loops_close():
    """The region above the belt slipped only on its first 35 rows (78 % of it, so the region decides the slip); on
    rows 35-44 nothing slipped, and the slipped pairs are incoherent there, so the pixels' own trusted loops cannot
    object. Over every value with data their loops close: the region's cycles must not be put on them (they were,
    600 pixels x 3 values of new errors), while the slipped rows are still fixed."""
    pairs, clean, planted, coh = gap_belt_stack(cycle=CYCLE)
    planted[:, 35:45] = 0
    bad = clean + planted * CYCLE
    tri = network_triplets(pairs)
    labels, rc = region_cycles_of_stack(bad, coh, tri, cycle_mm=CYCLE, min_coherence=0.3)
    assert (rc[1] != 0).sum() == 3  # the region still decides the slip
    out = correct_closure_block(bad, tri, cycle_mm=CYCLE, coherence=coh, min_coherence=0.3, labels=labels,
                                region_cycles=rc)
    left = np.rint((out["corrected_mm"] - clean) / CYCLE)
    new = int(((planted == 0) & (left != 0)).sum())
    fixed = int(((planted != 0) & (left == 0)).sum())
    assert new == 0, new
    assert fixed == int((planted != 0).sum())
    assert not out["cycles"][:, 35:45].any()
