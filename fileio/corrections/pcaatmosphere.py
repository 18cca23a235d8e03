"""The PCA atmosphere's run: the series read in blocks of whole tiles with a tile of halo, the smooth deformation
model removed and the atmospheric components of each tile taken out (:mod:`...algorithms.corrections.pca`)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ...algorithms import blas
from ...algorithms.corrections import pca
from ...algorithms.optional import install_line
from ..base.runs import Outcome
from ..motion import points
from . import corrections

#: What each output holds: the key of the block function's result and whether it has a band per date.
OUTPUTS = {"OUTPUT": ("corrected_mm", "series"), "OUTPUT_ATMOSPHERE": ("atmosphere_mm", "series"),
           "OUTPUT_COMPONENTS": ("n_removed", "band")}


@dataclass(frozen=True)
class Job(corrections.SeriesJob):
    """A PCA correction as plain values: the series fields of :class:`~.corrections.SeriesJob`, the deformation
    model (``poly_order``, ``annual``, ``step_dates``) and the tiles (``tile``, pixels; ``max_autocorr``)."""

    poly_order: int
    annual: bool
    step_dates: list
    tile: int
    max_autocorr: float


def run(job: Job, *, progress, context=None) -> Outcome:
    """Removes the atmospheric components of every tile from the series (:func:`~...algorithms.corrections.pca.
    pca_engine_block`)."""
    info = job.series
    dates = points.raster_dates(info, "INPUT")
    g = pca.smooth_model(dates, annual=job.annual, poly_order=job.poly_order, step_dates=job.step_dates)
    func = functools.partial(pca.pca_engine_block, g=g, tile=job.tile, max_autocorr=job.max_autocorr)
    # overlapping tiles reach one tile beyond a block's rows: halo = tile, blocks of whole tiles, at least one
    # (the result does not depend on the blocks); per date a float32 input, delay, output and the writer's copy
    plan = job.settings.plan(info.height, info.width, bytes_per_pixel=len(dates) * 4.0 * 4, halo=job.tile,
                             tile_rows=job.tile, min_rows=job.tile)
    meta = corrections.series_metadata(info.path, {"PCA_ATMOSPHERE": f"tile {job.tile} px, max autocorrelation "
                                                                     f"{job.max_autocorr}"})
    out = corrections.series_outcome(job, dates, func, OUTPUTS, plan, progress=progress, meta=meta, context=context,
                                     dtype=np.float32)
    if not blas.threads_pinned():
        out.notes.append("threadpoolctl is not installed: the tiles' eigen-decompositions ran on BLAS's threads, so "
                         "the last bits of the outputs can differ from a run on another thread count (a Dask "
                         "cluster, another machine); for the same bytes everywhere install it "
                         + install_line("threadpoolctl"))
    return out
