"""Okada's first-run cost model: a run's work counted as the kernels evaluate it, and its CPU seconds on each path.

A first run on an empty numba cache either compiles the Okada kernels or runs their numpy form
(:mod:`.okada_numpy`, the same bytes). Which is cheaper depends on what the run evaluates, not on the patches it was
given: the map-frame kernels sum every plane over its *distinct* corners with net slip
(:func:`.okada_planes.plane_groups`: 40 uniform-slip patches along one plane are 4 corners, 40 variable-slip ones
82), station by station, while the design matrices of the inversions evaluate every patch alone. So the work of a
run is counted in the units each path spends its time on:

* ``pairs``: station x corner evaluations (displacement at the surface, ``displacement``; the nine gradients at
  depth, ``gradients``), or station x patch for the design matrix (``greens``); stations near a plane, where the
  kernels fall back to DC3D patch by patch, count the 4 corners of every patch of that plane
  (:func:`fallback_work`);
* ``calls``: the numpy form's fixed cost per vectorised call: corners x chunks of :data:`.okada_numpy.CHUNK`
  stations (displacement, gradients; the fallback: corners of each patch x chunks holding such stations), patches
  (greens: one call per patch over all stations);
* ``stations``: the per-station work around the kernel (the stress tensor and its projections of a Coulomb map,
  the LOS projection), the same on both paths.

``cpu_s = pairs * a + calls * b + stations * c`` per kind and path, fitted on runs of the block functions the tools
call (``benchmarks/faults/work_costs.py``); the rates live in ``compile_costs.json``'s ``work`` row of ``okada``. Point
sources (Coulomb's Kode 400) run one station at a time as Python on the numpy path: a run with them always compiles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .. import _numba
from . import okada_dc3d, okada_planes
from .okada_numpy import CHUNK  # stations the numpy form evaluates together
from .okada_planes import _near_plane, plane_frame

KINDS = ("displacement", "gradients", "greens")
TERMS = ("pairs", "calls", "stations")


@dataclass(frozen=True)
class OkadaWork:
    """Work of one kind of Okada evaluation (:data:`KINDS`) in the units of :mod:`this model <.okada_cost>`."""
    kind: str
    pairs: float = 0.0
    calls: float = 0.0
    stations: float = 0.0
    #: station x point-source evaluations (the numpy path runs them one by one as Python: not modelled)
    point_pairs: float = 0.0

    def __add__(self, other: "OkadaWork") -> "OkadaWork":
        if other.kind != self.kind:
            raise ValueError(f"cannot add {other.kind} work to {self.kind} work")
        return OkadaWork(self.kind, self.pairs + other.pairs, self.calls + other.calls,
                         self.stations + other.stations, self.point_pairs + other.point_pairs)


def _plane_groups(sources):
    """:func:`.okada_planes.plane_groups` with the kernels it calls run as Python: sizing a first run's work must
    compile nothing (a kernel compiled here would make the family look compiled, and the run would compile the rest
    unannounced instead of choosing)."""
    with _numba.python_kernels([okada_planes, okada_dc3d]):
        return okada_planes.plane_groups(np.atleast_2d(np.asarray(sources, float)))


def distinct_corners(sources) -> tuple:
    """``(corners, planes, point sources)`` the map-frame kernels evaluate for the source table ``sources``
    (:func:`.okada_planes.plane_groups`: distinct corners with non-zero net slip, plane groups, the rest)."""
    groups, _, corners, _, _, rest = _plane_groups(sources)
    return int(corners.shape[0]), int(groups.shape[0]), int(rest.shape[0])


def okada_work(n_stations: int, sources, kind: str, *, evaluations: int = 1, corners=None, points=None,
               depths_m=(0.0,)) -> OkadaWork:
    """The work of evaluating ``sources`` (a source table) at ``n_stations`` stations, ``evaluations`` times (depths
    of a Coulomb map, design matrices of a dip search), as :data:`KINDS` ``kind``. ``corners``: the result of
    :func:`distinct_corners` when already known. ``points``: the stations' map coordinates ``(east_m, north_m)``
    (arrays), evaluated at each of ``depths_m`` (m, positive down; then ``evaluations`` is their number): the
    stations near a plane, where the kernels fall back to DC3D patch by patch, are counted too
    (:func:`fallback_work`)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    s, k = float(n_stations), float(evaluations)
    if kind == "greens":
        patches = float(np.atleast_2d(np.asarray(sources, float)).shape[0])
        return OkadaWork(kind, pairs=k * s * patches, calls=k * patches, stations=k * s)
    n_corners, _, n_points = distinct_corners(sources) if corners is None else corners
    chunks = float(math.ceil(n_stations / CHUNK)) if n_stations > 0 else 0.0
    work = OkadaWork(kind, pairs=k * s * n_corners, calls=k * chunks * n_corners, stations=k * s,
                     point_pairs=k * s * n_points)
    if points is not None:
        for depth in depths_m:
            pairs, calls = fallback_work(points[0], points[1], -float(depth), sources, kind == "gradients")
            work = work + OkadaWork(kind, pairs=pairs, calls=calls)
    return work


#: Stations x planes tested for :func:`fallback_work` at most (about 0.1 CPU-s); beyond, every k-th station is tested
#: and the counts scaled by k (the stations near a plane lie along lines across a grid, which a regular subsample
#: crosses as often)
FALLBACK_TESTS = 250_000


def fallback_work(east_m, north_m, up_m: float, sources, gradients: bool) -> tuple:
    """``(pairs, calls)`` of the per-patch DC3D the kernels run at stations near a plane
    (:func:`.okada_planes._near_plane`): 4 corners of each patch of the plane at each such station, and on the numpy
    path one call per corner and patch in every chunk of :data:`CHUNK` stations holding one."""
    e = np.ravel(np.asarray(east_m, float))
    n = np.ravel(np.asarray(north_m, float))
    groups, _, _, mstart, _, _ = _plane_groups(sources)
    if e.size == 0 or groups.shape[0] == 0:
        return 0.0, 0.0
    step = max(1, int(math.ceil(e.size * groups.shape[0] / FALLBACK_TESTS)))
    index = np.arange(0, e.size, step)
    e, n = e[index], n[index]
    z = np.full(e.size, float(up_m))
    near_test = _numba.python_twin(_near_plane)
    surface = (not gradients) and up_m == 0.0
    pairs = calls = 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        for gi in range(groups.shape[0]):
            grp = groups[gi]
            x, y = plane_frame(grp, e, n)
            near = np.asarray(near_test(x, y, z, grp[2], grp[5], grp[6], grp, surface), bool)
            if not near.any():
                continue
            members = float(mstart[gi + 1] - mstart[gi])
            pairs += 4.0 * members * float(near.sum()) * step
            calls += 4.0 * members * min(float(np.unique(index[near] // CHUNK).size) * step,
                                         math.ceil(float(np.ravel(east_m).size) / CHUNK))
    return pairs, calls


def okada_cost(works, row: dict) -> Optional[tuple]:
    """Estimated CPU seconds ``(numpy path, compiled path)`` of the work ``works`` (one :class:`OkadaWork` or
    several) from the measured rates ``row`` (``compile_costs.json``'s ``work`` row of ``okada``:
    ``{kind: {"numpy": {term: CPU-s per unit}, "numba": {...}}}``); the numpy path is infinite where point sources
    would run as Python; None when the row lacks a rate."""
    works = [works] if isinstance(works, OkadaWork) else list(works)
    out = [0.0, 0.0]
    try:
        for w in works:
            rates = row[w.kind]
            for i, path in enumerate(("numpy", "numba")):
                out[i] += sum(float(rates[path][t]) * getattr(w, t) for t in TERMS)
            if w.point_pairs > 0:
                out[0] = math.inf
    except (KeyError, TypeError, ValueError):
        return None
    return out[0], out[1]
