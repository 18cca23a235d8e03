"""The unwrapping-error correction's run: the closure common to the network (the frame of the integer closures,
from a sample of rows), then the corrected interferograms, the per-pixel counts and the loop statistics written
block by block within the memory budget (:mod:`...algorithms.corrections.closure`)."""

from __future__ import annotations

import functools
import os
import tempfile
from dataclasses import dataclass

import numpy as np

from ...algorithms.corrections import closure, closure_bridges, closure_edges
from ...algorithms.engine import CallableSource, max_memory_bytes
from ...algorithms.progress import SubProgress, info, warn
from ..base import blocks
from ..base.runs import Outcome
from ..display import styles
from . import corrections


@dataclass(frozen=True)
class Job:
    """An unwrapping-error correction as plain values: the stack (``stack``: the stack reader's
    :class:`~..timeseries.stacks.StackInput`), the folder of corrected interferograms (``output``) and their codec
    (``codec``), the rasters (``rasters``: ``{OUTPUT_CYCLES | OUTPUT_NONCLOSING: path}``) and tables (``tables``:
    ``{OUTPUT_STATS | OUTPUT_LOOPS: path}``) asked for, the coherence below which a value is not trusted
    (``coherence_threshold``; 0 = every value), the largest correction (``max_cycles``), the largest closure off
    whole cycles of a loop used (``max_residual_rad``), the bad-loop threshold (``loop_threshold_rad``) and the
    run-wide knobs (``settings``); optionally a stable area's mask on the grid (``stable``, (rows, cols): the frame
    of the corrections, :func:`~...algorithms.corrections.closure.closure_offsets`)."""

    stack: object
    output: str
    codec: str
    rasters: dict
    tables: dict
    coherence_threshold: float
    max_cycles: int
    max_residual_rad: float
    loop_threshold_rad: float
    settings: blocks.RunSettings
    stable: object = None


def run(job: Job, *, progress, context=None) -> Outcome:
    """Corrects the whole-cycle errors the closure of the stack's triplets finds (GDAL's block cache within the
    memory budget)."""
    with corrections.closure_cache_limit(job.settings.max_memory_mb):
        return _run(job, progress, context)


def _settle_pass(stack, func, plan, coherence: bool, extra_sources: dict, *, run: blocks.RunSettings, progress,
                 folder=None) -> np.ndarray:
    """The second pass of unwrapclosurecorrection (``func``: the block function with ``settle``): the settled cycles
    of every value (M, rows, cols) int8, held for the whole grid (in a file of ``folder`` when given) for the last
    pass, which reads them around each block."""
    m, grid = stack.network.n_pairs, (stack.info.height, stack.info.width)
    if folder is None:
        settled = np.empty((m,) + grid, np.int8)
    else:
        settled = np.lib.format.open_memmap(os.path.join(folder, "settled.npy"), mode="w+", dtype=np.int8,
                                            shape=(m,) + grid)

    def keep(block, out):
        settled[:, block.row0:block.row0 + out["settled"].shape[1]] = out["settled"]

    sources = {"stack": CallableSource(lambda r0, r1: stack.read(r0, r1)[0])}
    if coherence:
        sources["coherence"] = CallableSource(lambda r0, r1: corrections.read_coherence(stack, r0, r1))
    sources.update(extra_sources)
    blocks.run_blocks(closure.with_halo(plan), func, keep, sources=sources, run=run, progress=progress)
    return settled


def _last_passes(job, stack, triplets, options, plan, out_paths, tile_rows, min_coh, extra, progress, folder):
    """The pass that completes the components (its settled cycles held for the whole grid), then the pass that sets
    them against their neighbours' and writes the corrected interferograms, counts and tables."""
    net = stack.network
    settled = _settle_pass(
        stack, functools.partial(closure.closure_block, settle=True, **options), plan, min_coh > 0, extra,
        run=job.settings, progress=SubProgress(progress, 55, 80), folder=folder)
    func = functools.partial(
        closure.closure_block, **options,
        mm_per_unit=np.array([corrections.mm_per_file_unit(stack, k) for k in range(net.n_pairs)]))
    return corrections.run_closure_correction(
        stack, triplets, func, plan, out_paths, job.rasters, job.tables, job.loop_threshold_rad,
        coherence=min_coh > 0, run=job.settings, progress=progress, tile_rows=tile_rows, compress=job.codec,
        extra_sources={**extra, "settled": CallableSource(lambda r0, r1: np.asarray(settled[:, r0:r1]))},
        progress_from=80, halo=closure.LAST_HALO_ROWS)


def _between_sources(stack, held: dict, min_coherence: float) -> dict:
    """The sources of a pass between the two: the stack's rows, the first pass's cycles of them, their coherence
    where values below ``min_coherence`` are left out."""
    sources = {"stack": CallableSource(lambda r0, r1: stack.read(r0, r1)[0]),
               "cycles": CallableSource(lambda r0, r1: np.asarray(held["cycles"][:, r0:r1]))}
    if min_coherence > 0:
        sources["coherence"] = CallableSource(lambda r0, r1: corrections.read_coherence(stack, r0, r1))
    return sources


def _edge_pass(stack, held: dict, triplets, plan, *, cycle_mm: float, min_coherence: float, max_cycles: int,
               run, progress) -> tuple:
    """The pass between the two: the edges of the regions the first pass corrected vote, block by block, between
    corrections the closures cannot tell apart (a date shifted by a cycle), and the chosen shifts are made in
    ``held["cycles"]`` (:func:`closure.edge_votes`). Returns (regions shifted, values changed)."""
    votes = closure.edge_votes(held["cycles"], triplets, held["tie_shift"])
    if not votes.dates and not votes.ties:  # nothing to vote on: the ties kept for the edges alone are cleared
        return closure.choose_by_edges(votes, held["cycles"], max_cycles=max_cycles, tie_shift=held["tie_shift"])
    func = functools.partial(closure.edge_votes_block, votes=votes, cycle_mm=cycle_mm, min_coherence=min_coherence)
    sources = _between_sources(stack, held, min_coherence)
    # a decided tie's rim runs up to RIM_RINGS pixels from its region: read that far around each block
    blocks.run_blocks(closure.with_halo(plan, closure_edges.RIM_RINGS), func, lambda block, out: votes.add(out),
                      sources=sources, run=run, progress=SubProgress(progress, 50, 53))
    return closure.choose_by_edges(votes, held["cycles"], max_cycles=max_cycles, tie_shift=held["tie_shift"])


def _bridge_pass(stack, held: dict, labels, n: int, plan, triplets, *, cycle_mm: float, min_coherence: float,
                 max_cycles: int, run, progress) -> tuple:
    """The components bridged across the gaps of no data (:mod:`closure_bridges`): the differences gathered block by
    block, a component's date shift made in ``held["cycles"]`` in place. Returns (the offsets of the components to
    join to their decisions, the values shifted)."""
    bridges = closure_bridges.Bridges(labels, n, held["unsettled"], in_loops=(triplets.matrix != 0).any(axis=0),
                                      pairs=None if triplets.dates is None else np.stack(triplets.dates, axis=1),
                                      loops=triplets.index)
    if bridges.empty:
        return {}, 0
    func = functools.partial(closure.bridges_block, bridges=bridges, cycle_mm=cycle_mm, min_coherence=min_coherence)
    blocks.run_blocks(closure.with_halo(plan, closure_bridges.GAP_PX), func, lambda block, out: bridges.add(out),
                      sources=_between_sources(stack, held, min_coherence), run=run,
                      progress=SubProgress(progress, 53, 55))
    offsets = bridges.offsets(stack.network.n_pairs)
    shifted = bridges.apply_shifts(held["cycles"], labels, no_data=closure.NO_DATA_CYCLES,
                                   tie_from=closure.TIE_CYCLES // 2, max_cycles=max_cycles)
    return offsets, shifted


def _run(job: Job, progress, context) -> Outcome:
    stack, settings = job.stack, job.settings
    net, grid = stack.network, stack.info
    triplets = closure.network_triplets(net.pairs)
    out_paths = corrections.corrected_paths(stack, job.output)
    os.makedirs(job.output, exist_ok=True)
    min_coh = job.coherence_threshold
    if min_coh > 0 and not stack.has_coherence:
        warn(progress, f"COHERENCE_THRESHOLD {min_coh:g} is not applied: no COHERENCE rasters were given, so every "
                       "value is used and may be corrected")
        min_coh = 0.0
    cycle_mm = stack.wavelength_m * 1000.0 / 2.0
    offsets = corrections.network_closure_offsets(stack, triplets, cycle_mm, max_residual_rad=job.max_residual_rad,
                                                  min_coherence=min_coh, stable=job.stable)
    info(progress, f"{net.n_pairs} interferograms, {triplets.n} closure loops (triplets); closure common to the "
                   "network (offsets of the interferograms and the whole cycles of the largest region's closures), "
                   "removed before rounding (cycles): "
                   + ", ".join(f"{o:+.2f}" for o in offsets[:12]) + (" ..." if offsets.size > 12 else ""))
    # the first pass's cycles of the whole grid are held for the second (in memory within a quarter of the budget,
    # else in temporary files): the components decide what their undecided values take, as MintPy decides per
    # connected component, and the bytes do not depend on the budget; the second's are held for the last
    hold = (2.0 * net.n_pairs + 12.0) * grid.height * grid.width
    budget = max_memory_bytes(settings.max_memory_mb)
    in_memory = hold <= closure.HELD_SHARE * budget
    budget = (budget * (1.0 - closure.HELD_SHARE) if in_memory else budget) / 2 ** 20
    # the budget covers the blocks read ahead, computed, queued and written (closure_pixel_bytes)
    plan, tile_rows = closure.closure_plan(grid.height, grid.width, net.n_pairs, triplets.n, min_coh > 0, budget)
    options = dict(triplets=triplets, cycle_mm=cycle_mm, closure_offset=offsets, min_coherence=min_coh,
                   max_cycles=job.max_cycles, max_residual_rad=job.max_residual_rad)
    with tempfile.TemporaryDirectory(prefix="closure_") as tmp:
        held = corrections.closure_first_pass(
            stack, functools.partial(closure.closure_block, first_pass=True, **options), plan, min_coh > 0,
            run=settings, progress=progress, folder=None if in_memory else tmp)
        shifted, changed = _edge_pass(
            stack, held, triplets, plan, cycle_mm=cycle_mm, min_coherence=min_coh, max_cycles=job.max_cycles,
            run=settings, progress=progress)
        if shifted:
            info(progress, f"{shifted} corrected region(s) took the correction their edges ask for among those the "
                           f"closures cannot tell apart (a date shifted by a cycle): {changed} value(s) changed")
        labels, n = closure.component_labels(held["n_data"], net.n_pairs)
        offsets, shifted = _bridge_pass(stack, held, labels, n, plan, triplets, cycle_mm=cycle_mm,
                                        min_coherence=min_coh, max_cycles=job.max_cycles, run=settings,
                                        progress=progress)
        options["decisions"] = decisions = closure.component_decisions(held["cycles"], labels, n)
        set_ = closure_bridges.join_decisions(decisions, offsets, job.max_cycles)
        if offsets:
            info(progress, f"{len(offsets)} component(s) bridged across the gaps of no data to the ground beside them "
                           f"(left unsettled by the closures, or off in a pair in no loop): {set_} interferogram "
                           "correction(s) decided for them")
        if shifted:
            info(progress, f"{shifted} value(s) moved on whole components by the offsets their bridge to the largest "
                           "one reads and every closure reads alike (the closures had taken the sparser twin)")
        info(progress, f"{n} component(s) of pixels with data in at least half of the interferograms; "
                       f"{int((decisions != 0).sum())} interferogram correction(s) decided for a whole component")
        extra = {"cycles": CallableSource(lambda r0, r1: np.asarray(held["cycles"][:, r0:r1])),
                 "ambiguous": CallableSource(lambda r0, r1: np.asarray(held["ambiguous"][r0:r1])),
                 "labels": CallableSource(lambda r0, r1: labels[r0:r1])}
        stats = _last_passes(job, stack, triplets, options, plan, out_paths, tile_rows, min_coh, extra, progress,
                             None if in_memory else tmp)
    if stats.unchecked_warning(min_coh):
        warn(progress, stats.unchecked_warning(min_coh))
    for path in job.rasters.values():
        styles.style_raster_sequential(path, context=context, vmin=0, ramp_name="Magma")
    return Outcome(outputs={"OUTPUT": job.output, "OUTPUT_LAYERS": [str(p) for p in out_paths], **job.rasters,
                            **job.tables},
                   notes=[f"corrected {stats.corrected_pixels} pixel(s) ({int(stats.corrected.sum())} interferogram "
                          f"values); {stats.ambiguous_pixels} pixel(s) with non-closing loops left unchanged "
                          f"(ambiguous); loops checked at {stats.checked_pixels} of {grid.width * grid.height} "
                          "pixels"])
