"""Neighbourhood statistics of ADA detection, tiled with halos on the block engine.

The costly part of :func:`algorithms.ada.detection.detect_ada` is local: for every active
point its k-th-neighbour distance (the local spacing that sets its search radius), the
count, velocity sums and opposite exceedances of all points within its radius, and the
same-sign active points within it (the links of the clustering). These are computed here
on **spatial tiles**, each read with a **halo** wide enough that every neighbourhood of the
tile's own points lies inside tile + halo, so each tile gives exactly the numbers the whole
map would give. The tiles run as blocks of :mod:`algorithms.engine` (in this process, or as
tasks on a Dask cluster); the results are merged in tile order and the links sorted, so the
neighbour pairs, and hence the clusters that cross tile edges, are those of the untiled run.

Halo: an upper bound of each point's k-th-neighbour distance from a coarse count grid (cells
of side ``c``): if the ``(2j+1) x (2j+1)`` cells around a point's cell hold at least ``k + 1``
points, its k-th neighbour is closer than ``(j + 1) c sqrt(2)``. The halo of a tile is the
largest such bound (times the radius factor) over its own active points: exact, never a guess.
Points are kept in their input order inside every tile (neighbour lists are sorted), so the
sums are accumulated in the same order as on the whole map: tiled, untiled, local and Dask
runs are bit-identical.
"""

from __future__ import annotations

import functools
from itertools import chain
from typing import Optional

import numpy as np

from ..engine import Block, LocalExecutor, max_memory_bytes, process_blocks, task_threads
from ..errors import GeohazardError

#: Memory of one point of a tile (its halo's included), bytes: coordinates, velocity, the k-d tree and the
#: neighbourhood bounds (tracemalloc: 60-80 a point with a few per cent of the points active) ...
TILE_BYTES_PER_POINT = 96.0
#: ... and of one active point on top: its neighbour lists, sums and links (about 1,900 when every point is active).
TILE_BYTES_PER_ACTIVE_POINT = 2048.0
#: Fewest points of a tile whatever the budget (a smaller tile would be mostly halo).
MIN_TILE_POINTS = 100
#: Neighbour rank of the spacing sample (see :func:`detection.median_spacing`).
SAMPLE_K = 8


def tile_points_for(active_share: float, max_memory_mb: Optional[float] = None) -> int:
    """Points of one tile whose memory (:data:`TILE_BYTES_PER_POINT`, :data:`TILE_BYTES_PER_ACTIVE_POINT` times the
    share of active points) fits the budget (:func:`~algorithms.engine.max_memory_bytes`), at least
    :data:`MIN_TILE_POINTS`."""
    per_point = TILE_BYTES_PER_POINT + TILE_BYTES_PER_ACTIVE_POINT * float(active_share)
    return max(MIN_TILE_POINTS, int(max_memory_bytes(max_memory_mb) // per_point))


def knn_distance_bound(x, y, k: int, *, cell_m: float, max_rings: int = 64) -> np.ndarray:
    """Upper bound (m) of each point's distance to its k-th nearest neighbour (inf when unresolved).

    Counts points on a grid of ``cell_m`` cells; a point whose cell is surrounded by ``j`` rings
    of cells holding ``>= k + 1`` points (itself included) has its k-th neighbour within
    ``(j + 1) cell_m sqrt(2)``. Points still unresolved after ``max_rings`` rings get ``inf``.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    if x.size == 0:
        return np.zeros(0)
    ix = np.floor((x - x.min()) / cell_m).astype(np.int64)
    iy = np.floor((y - y.min()) / cell_m).astype(np.int64)
    nx, ny = int(ix.max()) + 1, int(iy.max()) + 1
    counts = np.bincount(iy * nx + ix, minlength=nx * ny).reshape(ny, nx)
    sat = np.zeros((ny + 1, nx + 1), np.int64)
    sat[1:, 1:] = counts.cumsum(0).cumsum(1)
    occ_y, occ_x = np.nonzero(counts)
    bound_cells = np.full(occ_y.size, np.inf)
    todo = np.arange(occ_y.size)
    for j in range(max_rings + 1):
        cy, cx = occ_y[todo], occ_x[todo]
        y0, y1 = np.maximum(cy - j, 0), np.minimum(cy + j + 1, ny)
        x0, x1 = np.maximum(cx - j, 0), np.minimum(cx + j + 1, nx)
        s = sat[y1, x1] - sat[y0, x1] - sat[y1, x0] + sat[y0, x0]
        ok = s >= k + 1
        bound_cells[todo[ok]] = (j + 1) * cell_m * np.sqrt(2.0)
        todo = todo[~ok]
        if todo.size == 0:
            break
    grid = np.full((ny, nx), np.inf)
    grid[occ_y, occ_x] = bound_cells
    return grid[iy, ix]


def plan_tiles(x, y, tile_points: int):
    """Square tiles over the points' extent holding about ``tile_points`` points each.

    Returns ``(tile_of_point, edges)``: the tile index of each point and per tile its
    ``(x0, x1, y0, y1)``; one tile when the points fit.
    """
    n = x.size
    if n <= tile_points:
        return np.zeros(n, np.int64), [(-np.inf, np.inf, -np.inf, np.inf)]
    x0, x1, y0, y1 = x.min(), x.max(), y.min(), y.max()
    area = max((x1 - x0) * (y1 - y0), 1e-6)
    side = np.sqrt(area * tile_points / n)
    cap = 4 * -(-n // tile_points)  # a line of points (near-zero area) must not make millions of tiles
    nx = min(max(1, int(np.ceil((x1 - x0) / side))), cap)
    ny = min(max(1, int(np.ceil((y1 - y0) / side))), cap)
    sx, sy = max((x1 - x0) / nx, 1e-9), max((y1 - y0) / ny, 1e-9)
    tx = np.minimum(((x - x0) / sx).astype(np.int64), nx - 1)
    ty = np.minimum(((y - y0) / sy).astype(np.int64), ny - 1)
    edges = [(x0 + i * sx, x0 + (i + 1) * sx, y0 + j * sy, y0 + (j + 1) * sy) for j in range(ny) for i in range(nx)]
    return ty * nx + tx, edges


def tile_stats(block, inputs, *, k: int, ks: int, radius_spacings: float, radius_m, thr: float) -> dict:
    """Neighbourhood statistics of one tile's own active points (the pure block function).

    ``inputs``: the tile's points with its halo, in input order: ``x``, ``y``, ``v``; ``act``
    local indices of the active points, ``act_id`` their index among all active points,
    ``own`` (bool over ``act``) the tile's own ones; ``smp`` local indices of the tile's own
    points of the spacing sample.
    """
    from scipy.spatial import cKDTree

    x, y, v = inputs["x"], inputs["y"], inputs["v"]
    act, act_id, own, smp = inputs["act"], inputs["act_id"], inputs["own"], inputs["smp"]
    xy = np.column_stack([x, y])
    threads = task_threads()
    tree = cKDTree(xy)
    out = {"smp_dk": tree.query(xy[smp], k=ks + 1)[0][:, ks] if smp.size else np.zeros(0)}
    own_l = act[own]
    xy_o = xy[own_l]
    if own_l.size == 0:
        e_f, e_i = np.zeros(0), np.zeros(0, np.int64)
        out.update(id=e_i, local=e_f, r=e_f, n_all=e_i, sum_v=e_f, sum_vv=e_f, n_opp=e_f, pi=e_i, pj=e_i)
        return out
    if radius_m:
        r = np.full(own_l.size, float(radius_m))
        local = np.full(own_l.size, np.nan)
    else:
        dk = tree.query(xy_o, k=k + 1, workers=threads)[0][:, k] if own_l.size else np.zeros(0)
        local = dk * np.sqrt(np.pi / k)
        r = radius_spacings * local
    lists = tree.query_ball_point(xy_o, r, workers=threads)  # sorted lists: the input order
    del tree
    n_all = np.fromiter(map(len, lists), np.int64, count=own_l.size)
    nb = np.fromiter(chain.from_iterable(lists), np.int64, count=int(n_all.sum()))
    del lists
    owner = np.repeat(np.arange(own_l.size), n_all)
    vn = v[nb]
    va = v[own_l]
    out.update(id=act_id[own], local=local, r=r, n_all=n_all, sum_v=np.bincount(owner, vn, own_l.size),
               sum_vv=np.bincount(owner, vn * vn, own_l.size),
               n_opp=np.bincount(owner, (vn * np.sign(va)[owner] <= -thr).astype(np.float64), own_l.size))
    del owner, vn, nb
    # directed links (i sees j within r_i) among the active points of the tile and its halo
    la = cKDTree(xy[act]).query_ball_point(xy_o, r, workers=threads)
    cnt = np.fromiter(map(len, la), np.int64, count=own_l.size)
    pj = np.fromiter(chain.from_iterable(la), np.int64, count=int(cnt.sum()))
    pi = np.repeat(np.flatnonzero(own), cnt)
    sa = np.sign(v[act])
    same = (sa[pi] == sa[pj]) & (pi != pj)
    pi, pj = act_id[pi[same]], act_id[pj[same]]
    out.update(pi=pi, pj=pj)
    return out


def neighbourhood_stats(x, y, v, active, *, thr: float, radius_m=None, radius_spacings: float = 2.5, k: int = 16,
                        sample_size: int = 20000, seed: int = 0, tile_points: int | None = None,
                        max_memory_mb: Optional[float] = None, executor=None, progress=None) -> dict:
    """Per active point: local spacing, radius and neighbourhood sums; links; the spacing sample.

    Parameters
    ----------
    x, y, v : ndarray, shape (n,)
        Valid, de-duplicated points (metres, mm/yr).
    active : ndarray of bool, shape (n,)
        Active points (their statistics are computed).
    thr : float
        Stability threshold (opposite exceedances).
    radius_m : float or None
        Fixed radius (no k-th-neighbour search for active points).
    tile_points : int, optional
        Largest points per tile (default: as many as the memory budget ``max_memory_mb`` holds,
        :func:`tile_points_for`; on a Dask cluster at least two tiles per worker thread, none below
        10,000 points).
    max_memory_mb : float, optional
        Memory of one tile, MiB (default :func:`~algorithms.engine.max_memory_bytes`).
    executor : engine executor, optional
        Where tiles run (:func:`algorithms.engine.open_executor`); default this thread.

    Returns
    -------
    dict
        ``local``, ``r``, ``n_all``, ``sum_v``, ``sum_vv``, ``n_opp`` (per active point, in
        the order of ``np.flatnonzero(active)``; ``local`` NaN with a fixed radius),
        ``pi``, ``pj`` (links, sorted), ``sample_dk`` (k-th neighbour distances of the
        spacing sample, ``k = min(8, n - 1)``), ``n_tiles``, ``halo_m`` (largest halo).
    """
    n = x.size
    ai = np.flatnonzero(active)
    k = int(min(k, n - 1))
    ks = int(min(SAMPLE_K, n - 1))
    if k < 1:
        raise GeohazardError(f"need at least 2 points for neighbourhood statistics, got {n}")
    smp = np.arange(n)
    if n > sample_size:
        smp = np.random.default_rng(seed).choice(smp, sample_size, replace=False)
    executor = executor or LocalExecutor()
    if not tile_points:
        tile_points = tile_points_for(ai.size / max(n, 1), max_memory_mb)
        if executor.distributed:  # at least two tiles per worker thread (no tile below 10,000 points)
            tile_points = min(tile_points, max(-(-n // (2 * executor.n_slots)), 10_000))
    tile_of, edges = plan_tiles(x, y, int(tile_points))
    n_tiles = len(edges)
    act_tile = tile_of[ai]
    halos = np.zeros(n_tiles)
    if n_tiles > 1:
        # halo of each tile: the largest neighbourhood of its own active and sample points
        # about k + 1 points per cell on average, on an area or along a line of points
        w, h = x.max() - x.min(), y.max() - y.min()
        cell = max(np.sqrt(w * h / n * (k + 1)), max(w, h) / n * (k + 1), 1e-3)
        bound = knn_distance_bound(x, y, k, cell_m=cell)
        reach = np.zeros(n)
        reach[smp] = bound[smp]
        reach[ai] = np.maximum(bound[ai], float(radius_m) if radius_m else radius_spacings * np.sqrt(np.pi / k)
                               * bound[ai])
        np.maximum.at(halos, tile_of[smp], reach[smp])
        np.maximum.at(halos, act_tile, reach[ai])
    smp_sorted = np.sort(smp)
    smp_tile = tile_of[smp_sorted]

    def prepare(block):
        t = block.index
        x0, x1, y0, y1 = edges[t]
        h = halos[t]
        if n_tiles == 1:
            members = np.arange(n)
        else:
            members = np.flatnonzero((x >= x0 - h) & (x <= x1 + h) & (y >= y0 - h) & (y <= y1 + h))
        in_act = active[members]
        act = np.flatnonzero(in_act)
        act_id = np.searchsorted(ai, members[act])
        own = act_tile[act_id] == t
        s = smp_sorted[smp_tile == t]
        return {"x": x[members], "y": y[members], "v": v[members], "act": act, "act_id": act_id, "own": own,
                "smp": np.searchsorted(members, s)}

    plan = [Block(t, t, t + 1, t, t + 1, n_tiles, 1) for t in range(n_tiles)]
    parts = []
    func = functools.partial(tile_stats, k=k, ks=ks, radius_spacings=radius_spacings, radius_m=radius_m, thr=thr)
    process_blocks(plan, func, lambda block, out: parts.append(out), prepare=prepare,
                   executor=executor, progress=progress)
    m = ai.size
    res = {}
    ids = np.concatenate([p["id"] for p in parts])
    for key, dt in (("local", np.float64), ("r", np.float64), ("n_all", np.int64), ("sum_v", np.float64),
                    ("sum_vv", np.float64), ("n_opp", np.float64)):
        a = np.empty(m, dt)
        a[ids] = np.concatenate([p[key] for p in parts]).astype(dt, copy=False)
        res[key] = a
    pi = np.concatenate([p["pi"] for p in parts])
    pj = np.concatenate([p["pj"] for p in parts])
    if n_tiles > 1:
        order = np.lexsort((pj, pi))
        pi, pj = pi[order], pj[order]
    res["pi"], res["pj"] = pi, pj
    res["sample_dk"] = np.concatenate([p["smp_dk"] for p in parts])
    res["n_tiles"] = n_tiles
    res["halo_m"] = float(halos.max()) if n_tiles > 1 else 0.0
    return res
