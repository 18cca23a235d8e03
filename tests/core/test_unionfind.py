"""The shared union-find against scipy's connected components, on random graphs."""

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from insar_geohazards.algorithms.unionfind import DisjointSets


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_sets_and_their_numbering_equal_scipys_components(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    m = int(rng.integers(0, 2 * n))
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    sets = DisjointSets(n)
    for i, j in zip(a.tolist(), b.tolist()):
        apart = sets.root(i) != sets.root(j)
        assert sets.join(i, j) == apart  # True only when two sets merged (Kruskal's test)
    got_n, got = sets.labels()
    want_n, want = connected_components(coo_matrix((np.ones(m), (a, b)), shape=(n, n)), directed=False)
    assert got_n == want_n
    np.testing.assert_array_equal(got, want)  # both number the sets in order of their smallest member
    for k in range(got_n):  # every set is rooted at its smallest member
        members = np.flatnonzero(got == k)
        assert all(sets.root(int(x)) == members[0] for x in members)


def test_the_join_order_does_not_change_the_result():
    rng = np.random.default_rng(7)
    edges = rng.integers(0, 40, (50, 2))
    results = []
    for order in (edges, edges[::-1], edges[rng.permutation(50)][:, ::-1]):
        sets = DisjointSets(40)
        for i, j in order.tolist():
            sets.join(i, j)
        results.append(sets.labels()[1])
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])
