"""Tiled built-in unwrapping: big interferograms in overlapping tiles with bounded memory.

The built-in unwrapper (:func:`~algorithms.unwrap.unwrap.unwrap_builtin`) is global: it
holds the whole interferogram (about 47 bytes per pixel). :func:`unwrap_tiled` cuts the
raster into row tiles of the block engine (:mod:`algorithms.engine`), each read with
``halo`` rows of overlap above and below, and works in two passes:

1. **Tiles** (:func:`unwrap_tile`, a pure block function, so tiles run in this process or
   as tasks on a Dask cluster): each tile is unwrapped on its own by the spanning-tree
   unwrapper, components numbered inside the tile (a component is a *node*). The calling
   process (:class:`SeamMerger`, in plan order) compares every tile with the one above on
   the ``2 halo`` rows both unwrapped: for each pair of nodes seen on the same pixels the
   difference ``round((phi_above - phi_below) / 2 pi)`` is counted, the most common integer
   is the pair's vote and its count the pair's weight. Each tile's own rows (without halo)
   go to a scratch file (:class:`RowScratch`), a little over 8 bytes per pixel on disk.
2. **Global assignment** (:meth:`SeamMerger.solve`): node pairs whose vote carries fewer
   than :data:`MIN_SEAM_VOTES` pixels or less than :data:`MIN_SEAM_AGREEMENT` of their
   overlap are not joined (what they would join stays separate components, not a guess);
   the others are joined heaviest first along a maximum spanning tree (Kruskal with a
   union-find carrying integer offsets, as the tile merges of SNAPHU and tophu do), and an
   edge contradicting the tree built so far is counted and dropped. Each node gets its
   whole-cycle offset and the label of its set (1.. by decreasing size; sets smaller
   than ``min_component_size`` pixels are dropped). The scratch rows are then written out
   with the offsets applied.

The result is the wrapped phase plus whole cycles everywhere, with the same meaning of
components as the global run. A raster that fits in one tile is unwrapped by
:func:`~algorithms.unwrap.unwrap.unwrap_interferogram` itself (identical bytes).

Memory: one tile in flight (``(tile_rows + 2 halo) x n_cols x`` :data:`BYTES_PER_PIXEL`,
sized by the engine's budget), the seam rows of one tile and one small table per node;
independent of the number of rows.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from functools import partial

import numpy as np

from ..engine import CallableSource, ClosedOnExit, LocalExecutor, plan_blocks, process_blocks
from ..errors import GeohazardError
from ..progress import SubProgress, check_canceled, ensure
from .unwrap import (
    MEDIAN_HALF_WINDOW,
    MEDIAN_PASSES,
    TWO_PI,
    _join_sets,
    _median_cycles,
    _root_counts,
    check_options,
    estimate_quality,
    residues,
    spanning_tree_unwrap,
    unwrap_interferogram,
    wrapped_phase,
)

#: Rows of overlap read above and below each tile (neighbouring tiles share ``2 x TILE_HALO`` rows).
TILE_HALO = 64
#: Fewest rows of a tile (its own rows, without halo), whatever the memory budget.
MIN_TILE_ROWS = 256
#: Memory of one tile pixel in the tile pass (inputs, spanning tree, labels, outputs), bytes: the
#: peaks of benchmarks/unwrap/memory.py less the process at rest are about 70 bytes per pixel read.
BYTES_PER_PIXEL = 96
#: A seam vote joins two tile components only with at least this many agreeing pixels ...
MIN_SEAM_VOTES = 16
#: ... and when they are at least this share of the pixels the two components share.
MIN_SEAM_AGREEMENT = 0.75


def plan_tiles(n_rows: int, n_cols: int, *, halo: int = TILE_HALO, max_memory_mb=None, tile_rows=None):
    """Row tiles of the engine for an ``n_rows x n_cols`` interferogram.

    Rows per tile from the memory budget (:func:`algorithms.engine.plan_blocks` with
    :data:`BYTES_PER_PIXEL`), at least :data:`MIN_TILE_ROWS` and ``2 halo`` (so only
    neighbouring tiles overlap), or ``tile_rows`` when given. One tile covering every
    row means the global unwrapper is used.
    """
    halo = int(halo)
    if halo < 1:
        raise GeohazardError(f"the tile overlap (halo) must be >= 1 row, got {halo}")
    if tile_rows is None:
        rows = plan_blocks(n_rows, n_cols, bytes_per_pixel=BYTES_PER_PIXEL, halo=halo,
                           max_memory_mb=max_memory_mb)[0].rows
        rows = max(rows, MIN_TILE_ROWS)
    else:
        rows = int(tile_rows)
        if rows < 1:
            raise GeohazardError(f"tile rows must be >= 1, got {tile_rows}")
    rows = max(rows, 2 * halo)
    if rows >= n_rows:
        return plan_blocks(n_rows, n_cols, block_rows=n_rows)
    return plan_blocks(n_rows, n_cols, halo=halo, block_rows=rows)


# --------------------------------------------------------------------------- pass 1: one tile
def wrapped_block(data, name: str = "interferogram") -> np.ndarray:
    """Wrapped phase of one tile (:func:`~.unwrap.wrapped_phase`; a tile may be all NaN)."""
    return wrapped_phase(data, name, allow_empty=True)


def _mask_of(inputs):
    m = inputs.get("mask")
    if m is None:
        return None
    m = np.asarray(m)
    return m.astype(bool) if m.dtype == np.bool_ else np.isfinite(m) & (m != 0)


def unwrap_tile(block, inputs: dict, *, min_coherence: float = 0.3, min_component_size: int = 50,
                name: str = "interferogram", halo: int = TILE_HALO) -> dict:
    """Block function of the tile pass (pure; runs where the engine puts it).

    ``inputs``: ``phase`` (complex or wrapped phase), optional ``coherence`` (0-1) and
    ``mask`` (non-zero = unwrap), all over the tile's rows with halo. A tile covering the
    whole raster is unwrapped by :func:`unwrap_interferogram` and returns its final
    ``unwrapped``, ``components`` and ``stats``. Otherwise returns ``unwrapped`` and
    ``labels`` (int32, 1.. by decreasing size inside the tile) over the rows read, and
    ``counts``: valid, coherent, residues, coherence sum over the tile's own rows.
    Components below ``min_component_size`` are dropped unless they reach the rows shared
    with a neighbour (they may continue there).
    """
    mask = _mask_of(inputs)
    coherence = inputs.get("coherence")
    if block.row0 == 0 and block.row1 == block.n_rows_total:
        res = unwrap_interferogram(inputs["phase"], coherence, mask, min_coherence=min_coherence,
                                   min_component_size=min_component_size, name=name)
        return {"unwrapped": res.unwrapped, "components": res.components, "stats": res.stats}
    phase = wrapped_block(inputs["phase"], name)
    if coherence is None:
        quality = estimate_quality(phase if mask is None else np.where(mask, phase, np.nan))
    else:
        quality = np.asarray(coherence, dtype=np.float32)
        fq = quality[np.isfinite(quality)]
        if fq.size and (fq.min() < -1e-3 or fq.max() > 1.0 + 1e-3):
            raise GeohazardError(f"coherence of {name} ranges from {fq.min():.3g} to {fq.max():.3g}, expected 0-1")
    unw, roots = spanning_tree_unwrap(phase, quality, mask, min_coherence=min_coherence)
    top = block.row0 + halo - block.read0 if block.row0 > 0 else 0  # rows shared with the tile above
    bottom = block.read1 - (block.row1 - halo) if block.row1 < block.n_rows_total else 0  # ... and below
    labels = _label_tile(roots, min_component_size, top, bottom)
    del roots
    unw[labels == 0] = np.nan
    if MEDIAN_PASSES > 0:
        _median_cycles(unw, labels, MEDIAN_HALF_WINDOW, MEDIAN_PASSES)
    core = block.core
    valid = np.isfinite(phase[core]) if mask is None else np.isfinite(phase[core]) & mask[core]
    q = np.nan_to_num(quality[core], nan=0.0)
    coherent_all = np.isfinite(phase) & (np.nan_to_num(quality, nan=0.0) >= float(min_coherence))
    if mask is not None:
        coherent_all &= mask
    res = np.abs(residues(np.where(coherent_all, phase, np.float32(np.nan))))
    n_res = int(res[core.start:min(core.stop, res.shape[0])].sum())
    counts = np.array([valid.sum(), (valid & (q >= float(min_coherence))).sum(), n_res], np.int64)
    return {"unwrapped": unw, "labels": labels, "counts": counts,
            "coherence_sum": float(np.sum(quality[core][valid], dtype=np.float64))}


def _label_tile(roots: np.ndarray, min_size: int, top: int, bottom: int) -> np.ndarray:
    """Union-find roots -> int32 labels 1.. by decreasing size; small components are kept
    when they reach the first ``top`` or last ``bottom`` rows (shared with a neighbour)."""
    counts = _root_counts(roots.ravel())
    keep = counts >= max(1, int(min_size))
    for rows in (roots[:top], roots[roots.shape[0] - bottom:] if bottom else roots[:0]):
        r = rows[rows >= 0]
        keep[r] = True
    keep &= counts > 0
    big = np.flatnonzero(keep)
    big = big[np.argsort(-counts[big], kind="stable")]
    label_of_root = np.zeros(counts.size, np.int32)
    label_of_root[big] = np.arange(1, len(big) + 1, dtype=np.int32)
    out = np.zeros(roots.shape, np.int32)
    sel = roots >= 0
    out[sel] = label_of_root[roots[sel]]
    return out


# --------------------------------------------------------------------------- scratch rows
class RowScratch(ClosedOnExit):
    """Unwrapped phase (float32) and node ids (int32) of the tiles' own rows, in raw files on disk.

    Rows are appended in order and read back by range; nothing stays in memory. The files
    live in a private folder under ``folder`` (default: the system's temporary folder) and
    are removed by :meth:`close`."""

    def __init__(self, n_cols: int, folder=None):
        self.n_cols = int(n_cols)
        self.dir = tempfile.mkdtemp(prefix=".unwrap_tiles_", dir=folder)
        self._files = {k: open(os.path.join(self.dir, k), "w+b") for k in ("unw", "node")}
        self.rows = 0

    def write(self, row0: int, unwrapped: np.ndarray, nodes: np.ndarray) -> None:
        if row0 != self.rows:
            raise GeohazardError(f"scratch rows must be written in order: got row {row0}, expected {self.rows}")
        self._files["unw"].write(np.ascontiguousarray(unwrapped, np.float32).tobytes())
        self._files["node"].write(np.ascontiguousarray(nodes, np.int32).tobytes())
        self.rows += unwrapped.shape[0]

    def read(self, r0: int, r1: int):
        out = []
        for k in ("unw", "node"):
            fh = self._files[k]
            fh.flush()
            fh.seek(4 * r0 * self.n_cols)
            a = np.frombuffer(fh.read(4 * (r1 - r0) * self.n_cols), np.float32 if k == "unw" else np.int32)
            out.append(a.reshape(r1 - r0, self.n_cols))
        return out

    def close(self) -> None:
        for fh in self._files.values():
            fh.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------- pass 1: seams
class SeamMerger:
    """Writer of the tile pass: node ids, seam votes, scratch rows (see module doc)."""

    def __init__(self, scratch: RowScratch, halo: int):
        self.scratch = scratch
        self.halo = int(halo)
        self.sizes = []  # pixels of each node on its tile's own rows, per tile
        self.n_nodes = 0
        self.edges = []  # (a, b, k, votes, shared) arrays per seam
        self.counts = np.zeros(3, np.int64)
        self.coherence_sum = 0.0
        self._tail = None  # (first row, unwrapped, nodes) of the previous tile's rows shared with the next

    def add(self, block, out: dict) -> None:
        unw, labels = out["unwrapped"], out["labels"]
        n_lab = int(labels.max()) if labels.size else 0
        nodes = np.where(labels > 0, labels - 1 + self.n_nodes, -1).astype(np.int32)
        core = block.core
        self.sizes.append(np.bincount(labels[core].ravel(), minlength=n_lab + 1)[1:].astype(np.int64))
        self.n_nodes += n_lab
        if self._tail is not None:
            t0, t_unw, t_nodes = self._tail
            n = t0 + t_unw.shape[0] - block.read0
            self._vote(t_nodes[block.read0 - t0:], t_unw[block.read0 - t0:], nodes[:n], unw[:n])
        self._tail = None
        if block.row1 < block.n_rows_total:  # a tile follows: keep the rows it shares with this one
            first = max(block.read0, block.row1 - self.halo)
            self._tail = (first, unw[first - block.read0:].copy(), nodes[first - block.read0:].copy())
        self.scratch.write(block.row0, unw[core], nodes[core])
        self.counts += out["counts"]
        self.coherence_sum += out["coherence_sum"]

    def _vote(self, a, ua, b, ub) -> None:
        ok = (a >= 0) & (b >= 0)
        if not ok.any():
            return
        a, b = a[ok].astype(np.int64), b[ok].astype(np.int64)
        k = np.rint((ua[ok].astype(np.float64) - ub[ok]) / TWO_PI).astype(np.int64)
        pair, pair_idx = np.unique(a * 2**31 + b, return_inverse=True)
        kk = k - k.min()
        key, n = np.unique(pair_idx.astype(np.int64) * (int(kk.max()) + 1) + kk, return_counts=True)
        p_of_key = key // (int(kk.max()) + 1)
        shared = np.bincount(p_of_key, weights=n, minlength=pair.size).astype(np.int64)
        order = np.lexsort((-n, p_of_key))
        first = order[np.r_[True, p_of_key[order][1:] != p_of_key[order][:-1]]]
        p = p_of_key[first]
        k_mode = key[first] % (int(kk.max()) + 1) + k.min()
        self.edges.append(np.stack([pair[p] // 2**31, pair[p] % 2**31, k_mode, n[first], shared[p]], axis=1))

    def solve(self, min_component_size: int):
        """``(offset_cycles int64, label uint16)`` per node, and seam statistics."""
        sizes = np.concatenate(self.sizes) if self.sizes else np.zeros(0, np.int64)
        e = np.concatenate(self.edges) if self.edges else np.zeros((0, 5), np.int64)
        accepted = (e[:, 3] >= MIN_SEAM_VOTES) & (e[:, 3] >= MIN_SEAM_AGREEMENT * e[:, 4])
        acc = e[accepted]
        acc = acc[np.argsort(-acc[:, 3], kind="stable")]
        # contiguous columns: the kernel compiled for the global unwrapper's arrays serves (one specialisation)
        a, b, k = (np.ascontiguousarray(acc[:, j]) for j in range(3))
        root, offset, conflicts = _join_sets(self.n_nodes, sizes, a, b, k)
        total = np.bincount(root, weights=sizes, minlength=self.n_nodes).astype(np.int64) if self.n_nodes \
            else np.zeros(0, np.int64)
        big = np.flatnonzero(total >= max(1, int(min_component_size)))
        big = big[np.argsort(-total[big], kind="stable")][:np.iinfo(np.uint16).max]
        label_of_root = np.zeros(self.n_nodes, np.uint16)
        label_of_root[big] = np.arange(1, len(big) + 1)
        stats = {"seams_rejected": int((~accepted).sum()), "seam_conflicts": int(conflicts)}
        return offset, label_of_root[root], total[big], stats


# --------------------------------------------------------------------------- pass 2: offsets
def apply_seams(block, inputs: dict, *, offset: np.ndarray, label: np.ndarray) -> dict:
    """Final rows of one tile: scratch phase plus its node's whole cycles, node -> component label."""
    unw, nodes = inputs["scratch"]
    sel = nodes >= 0
    out = np.full(unw.shape, np.nan, np.float32)
    comp = np.zeros(unw.shape, np.uint16)
    k = offset[nodes[sel]]
    out[sel] = np.where(k == 0, unw[sel], (unw[sel].astype(np.float64) + TWO_PI * k).astype(np.float32))
    comp[sel] = label[nodes[sel]]
    out[comp == 0] = np.nan
    return {"unwrapped": out, "components": comp}


# --------------------------------------------------------------------------- driver
def unwrap_tiled(sources: dict, n_rows: int, n_cols: int, writer, *, min_coherence: float = 0.3,
                 min_component_size: int = 50, name: str = "interferogram", halo: int = TILE_HALO,
                 max_memory_mb=None, tile_rows=None, executor=None, progress=None, scratch_dir=None) -> dict:
    """Built-in unwrapping of one interferogram in overlapping row tiles (see module doc).

    Parameters
    ----------
    sources : dict
        Engine sources (:mod:`algorithms.engine`): ``phase`` (complex or wrapped phase,
        radians), optional ``coherence`` (0-1) and ``mask`` (non-zero = unwrap).
    n_rows, n_cols : int
        Grid size.
    writer : callable ``(row0, unwrapped float32, components uint16)``
        Receives the final rows in order, top to bottom.
    min_coherence, min_component_size, name :
        As :func:`~algorithms.unwrap.unwrap.unwrap_interferogram`.
    halo : int
        Rows of overlap above and below each tile (:data:`TILE_HALO`).
    max_memory_mb, tile_rows :
        Tile size: from the engine's memory budget, or ``tile_rows`` rows (:func:`plan_tiles`).
    executor : optional
        Where tiles run (:func:`algorithms.engine.open_executor`); the seam merge and the
        final pass run here.
    progress : optional
        0-90 % over the tiles, 90-100 % for the final pass; canceled between tiles.
    scratch_dir : str, optional
        Folder of the scratch rows (8 bytes per pixel; default: the system's temporary folder).

    Returns
    -------
    dict
        The statistics of :func:`~algorithms.unwrap.unwrap.unwrap_interferogram` plus
        ``tiles``, ``seams_rejected`` (tile-component pairs whose overlap did not agree:
        left apart) and ``seam_conflicts`` (votes contradicting a stronger path).
    """
    progress = ensure(progress)
    check_options((n_rows, n_cols), min_coherence=min_coherence, min_component_size=min_component_size)
    plan = plan_tiles(n_rows, n_cols, halo=halo, max_memory_mb=max_memory_mb, tile_rows=tile_rows)
    func = partial(unwrap_tile, min_coherence=min_coherence, min_component_size=min_component_size,
                   name=name, halo=halo)
    sources = {k: v for k, v in sources.items() if v is not None}
    if len(plan) == 1:
        got = {}

        def write_one(block, out):
            writer(0, out["unwrapped"], out["components"])
            got.update(out["stats"])

        process_blocks(plan, func, write_one, sources=sources, executor=executor, progress=progress)
        return {**got, "tiles": 1, "seams_rejected": 0, "seam_conflicts": 0}
    with RowScratch(n_cols, scratch_dir) as scratch:
        merger = SeamMerger(scratch, halo)
        in_flight = None if executor is not None and executor.distributed else 1
        process_blocks(plan, func, merger.add, sources=sources, executor=executor,
                       progress=SubProgress(progress, 0, 90), max_in_flight=in_flight)
        valid, coherent, n_res = (int(x) for x in merger.counts)
        if coherent == 0:
            raise GeohazardError(
                f"{name}: no pixel has coherence >= {min_coherence:g} (all incoherent): nothing can be unwrapped; "
                "lower the minimum coherence or leave this interferogram out")
        check_canceled(progress)
        offset, label, sizes, seam_stats = merger.solve(min_component_size)
        final = plan_blocks(n_rows, n_cols, block_rows=plan[0].rows)
        n_unw = int(sizes.sum())

        def write_final(block, out):
            writer(block.row0, out["unwrapped"], out["components"])

        process_blocks(final, partial(apply_seams, offset=offset, label=label), write_final,
                       sources={"scratch": CallableSource(scratch.read)}, executor=LocalExecutor(),
                       progress=SubProgress(progress, 90, 100))
    return {"valid": valid, "unwrapped": n_unw, "share_unwrapped": n_unw / valid if valid else 0.0,
            "components": int(sizes.size), "largest_component": int(sizes.max()) if sizes.size else 0,
            "residues": n_res, "mean_coherence": merger.coherence_sum / valid if valid else float("nan"),
            "tiles": len(plan), **seam_stats}


def unwrap_array_tiled(data, coherence=None, mask=None, **kwargs):
    """:func:`unwrap_tiled` on in-memory arrays (tests, notebooks): ``(unwrapped, components, stats)``."""
    data = np.asarray(data)
    n_rows, n_cols = data.shape
    unw = np.empty((n_rows, n_cols), np.float32)
    comp = np.empty((n_rows, n_cols), np.uint16)

    def writer(row0, u, c):
        unw[row0:row0 + u.shape[0]] = u
        comp[row0:row0 + u.shape[0]] = c

    srcs = {"phase": data, "coherence": None if coherence is None else np.asarray(coherence, np.float32),
            "mask": None if mask is None else np.asarray(mask, bool)}
    stats = unwrap_tiled(srcs, n_rows, n_cols, writer, **kwargs)
    return unw, comp, stats
