"""The closure correction run on the second generator's stacks (tests/testutils_closure_banks.py) as the tool runs
it; apart from the generator, which the benchmarks import before the plugin is on their path."""

from __future__ import annotations

import numpy as np
from testutils_closure_banks import CYCLE_MM, relative_counts

from insar_geohazards.algorithms.corrections.closure import closure_offsets, correct_closure_stack, network_triplets


def run_banks(sc, planted) -> tuple:
    """The closure correction of a banks stack with ``planted`` cycles, run as the tool runs it (two passes, the
    network's closure offset from a sample of rows): ``(out, relative_counts against the largest bank's middle)``."""
    d = sc["dates"]
    tri = network_triplets([(d[i], d[j]) for i, j in sc["pairs"]])
    bad = sc["clean_mm"] + planted * CYCLE_MM
    rows = np.unique(np.linspace(0, bad.shape[1] - 1, 64).astype(int))
    off = closure_offsets(bad[:, rows], tri, cycle_mm=CYCLE_MM)
    out = correct_closure_stack(bad, tri, cycle_mm=CYCLE_MM, closure_offset=off)
    comp = sc["components"]
    ys, xs = np.nonzero(comp == np.argmax(np.bincount(comp.ravel())[1:]) + 1)
    ref = (ys[ys.size // 2], xs[xs.size // 2])
    return out, relative_counts(out["corrected_mm"], sc["clean_mm"], planted, ref)
