"""closure.component_decisions against a count written here from its definition, on random grids where many
interferograms hold nothing to decide (only 0 and no data) and others hold corrections and tie codes."""

import numpy as np
import pytest

from insar_geohazards.algorithms.corrections import closure


def _decisions(cycles, labels, n, share):
    m = cycles.shape[0]
    out = np.zeros((n + 1, m), np.int16)
    for c in range(1, n + 1):
        inside = labels == c
        for k in range(m):
            vals = cycles[k][inside]
            vals = vals[vals != closure.NO_DATA_CYCLES]
            for v in set(vals[vals != 0].tolist()):
                if np.count_nonzero(vals == v) > share * vals.size:
                    out[c, k] = v - closure.TIE_CYCLES if v >= closure.TIE_CYCLES // 2 else v
    return out


@pytest.mark.parametrize("seed", range(6))
def test_component_decisions_match_a_direct_count(seed):
    rng = np.random.default_rng(seed)
    m, rows, cols = int(rng.integers(3, 12)), int(rng.integers(8, 40)), int(rng.integers(8, 40))
    cycles = np.zeros((m, rows, cols), np.int8)
    cycles[rng.random(cycles.shape) < rng.uniform(0, 0.3)] = closure.NO_DATA_CYCLES
    labels = np.zeros((rows, cols), np.int32)
    n = int(rng.integers(1, 4))
    for c in range(1, n + 1):  # rectangles as components (overlaps: the later one)
        r0, c0 = int(rng.integers(0, rows - 2)), int(rng.integers(0, cols - 2))
        labels[r0:int(rng.integers(r0 + 1, rows + 1)), c0:int(rng.integers(c0 + 1, cols + 1))] = c
    for k in rng.choice(m, size=int(rng.integers(0, m)), replace=False):  # interferograms with corrections
        v = int(rng.choice([-2, -1, 1, 2, closure.TIE_CYCLES + 1, closure.TIE_CYCLES - 1]))
        where = (rng.random((rows, cols)) < rng.uniform(0.5, 1.0)) & (cycles[k] != closure.NO_DATA_CYCLES)
        cycles[k][where] = v
        other = (rng.random((rows, cols)) < 0.05) & (cycles[k] != closure.NO_DATA_CYCLES)
        cycles[k][other] = -v if abs(v) < 8 else 3
    share = float(rng.choice([0.5, closure.COMPONENT_SHARE]))
    got = closure.component_decisions(cycles, labels, n, share=share)
    want = _decisions(cycles, labels, n, share)
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
