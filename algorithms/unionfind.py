"""Union-find over the integers 0 .. n - 1, each set rooted at its smallest member.

Rooting every set at its smallest member makes the result independent of the order of the joins: the sets'
labels (:meth:`DisjointSets.labels`) number them in order of their smallest member, as scipy's
``connected_components`` numbers a graph's components. In plain Python: the networks, patterns and detections it
joins hold tens to thousands of members, where building a sparse graph costs more than the joins.
"""

from __future__ import annotations

import numpy as np


class DisjointSets:
    """The sets of ``n`` members, each alone at first (:meth:`join` merges two sets)."""

    __slots__ = ("parent",)

    def __init__(self, n: int):
        self.parent = list(range(n))

    def root(self, a: int) -> int:
        """The smallest member of ``a``'s set (path halving on the way)."""
        parent = self.parent
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def join(self, a: int, b: int) -> bool:
        """Merge the sets of ``a`` and ``b``; False when they were one set already (Kruskal's test)."""
        ra, rb = self.root(a), self.root(b)
        if ra == rb:
            return False
        if rb < ra:
            ra, rb = rb, ra
        self.parent[rb] = ra
        return True

    def labels(self) -> tuple[int, np.ndarray]:
        """``(n_sets, label)``: per member its set's number, 0 .. n_sets - 1 in order of the sets' smallest members."""
        roots = [self.root(a) for a in range(len(self.parent))]
        ids: dict = {}
        label = np.fromiter((ids.setdefault(r, len(ids)) for r in roots), np.intp, len(roots))
        return len(ids), label
