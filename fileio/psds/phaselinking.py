"""Files of phaselinking: the SLC stack (and the optional PS mask) read in row blocks with half a window of halo, the
linked phase (radians or unit complex), the temporal coherence, the SHP count and the wrapped interferograms of a
network written block by block (:mod:`..algorithms.psds.phase_linking`)."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...algorithms.psds import phase_linking
from ..base import blocks, metadata, raster
from ..base.runs import Outcome
from . import slc


@dataclass(frozen=True)
class Job:
    """A run as plain values: the SLC stack as read (``stack``: :class:`.slc.SlcStack`), the window ``(rows, cols)``
    (odd), the estimator (``method``: emi, evd, cevd), the homogeneous-pixel test (``shp_method``: glrt, ks, rect)
    and its significance level, the PS mask's path ("" = none), the outputs (``outputs``: output ID -> path; the
    optional ones left out), the output IDs of the linked phase, the temporal coherence, the SHP count, the
    interferograms' folder and the list of their files (``ids``: ``phase``, ``coherence``, ``count``,
    ``interferograms``, ``interferogram_layers``), whether the phase is written as unit complex numbers, the
    interferograms' folder ("" = none) with their network (``single`` or ``nearest``), the most rows of one block
    and the run-wide knobs."""

    stack: Any
    window: tuple
    outputs: dict
    ids: dict
    method: str = "emi"
    shp_method: str = "glrt"
    alpha: float = 0.05
    ps_mask: str = ""
    ps_mask_name: str = "PS_MASK"
    as_complex: bool = False
    interferograms: str = ""
    network: str = "nearest"
    max_rows: int = 64
    settings: blocks.RunSettings = field(default_factory=blocks.RunSettings)


def _interferogram_writers(job: Job, carried: dict) -> tuple:
    """The pairs of the interferogram network and one writer each (none without the folder)."""
    stack = job.stack
    if not job.interferograms:
        return [], []
    pairs = phase_linking.interferogram_pairs(len(stack), job.network, neighbours=3)
    os.makedirs(job.interferograms, exist_ok=True)
    writers = []
    for i, j in pairs:
        name = f"{stack.dates[i]:%Y%m%d}_{stack.dates[j]:%Y%m%d}"
        writers.append(raster.RasterWriter.like(os.path.join(job.interferograms, f"{name}.wrapped.tif"), stack.info,
                                                descriptions=[name], metadata=carried))
    return pairs, writers


def run(job: Job, *, progress=None) -> Outcome:
    """Phase-link ``job.stack`` block by block and write the outputs: ``Outcome.outputs`` holds the rasters written,
    the interferograms' folder (when given) and the list of the interferogram files (empty without the folder: a
    model step linked to it gets none)."""
    stack, settings, window = job.stack, job.settings, tuple(job.window)
    info = stack.info
    n = len(stack)
    outs = job.outputs
    plan = settings.plan(info.height, info.width, halo=window[0] // 2, bytes_per_pixel=slc.slc_pixel_bytes(stack),
                         max_rows=job.max_rows)
    sources = {"slc": stack.source()}
    if job.ps_mask:
        sources["ps_mask"] = blocks.raster_source(job.ps_mask, name=job.ps_mask_name)
    func = functools.partial(phase_linking.phase_link_block, window=window, method=job.method,
                             shp_method=job.shp_method, alpha=job.alpha)
    carried = metadata.carried_wavelength(stack.paths)
    pairs, ifg_writers = _interferogram_writers(job, carried)
    w_ph = raster.RasterWriter.like(outs[job.ids["phase"]], info, count=n,
                                    descriptions=[d.isoformat() for d in stack.dates],
                                    dtype=np.complex64 if job.as_complex else np.float32,
                                    metadata={"method": job.method, "shp_method": job.shp_method,
                                              "window": f"{window}", **carried})
    w_tc = raster.optional_writer(outs.get(job.ids["coherence"], ""), info)
    w_n = raster.optional_writer(outs.get(job.ids["count"], ""), info, dtype=np.int32, nodata=0)

    def write(block, out):
        ph = out["phase"]
        w_ph.write(np.exp(1j * ph.astype(np.float64)).astype(np.complex64) if job.as_complex else ph, row=block.row0)
        w_tc.write(out["temporal_coherence"], row=block.row0)
        w_n.write(out["shp_count"], row=block.row0)
        for (i, j), w in zip(pairs, ifg_writers):
            w.write(np.angle(np.exp(1j * (ph[j] - ph[i]))).astype(np.float32), row=block.row0)

    blocks.run_blocks(plan, func, write, sources=sources, run=settings, progress=progress,
                      writers=[w_ph, w_tc, w_n] + ifg_writers, background_write=True)
    written = dict(outs)
    if job.interferograms:
        written[job.ids["interferograms"]] = job.interferograms
    written[job.ids["interferogram_layers"]] = [str(w.path) for w in ifg_writers]
    return Outcome(outputs=written)
