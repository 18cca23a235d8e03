"""Files of losvelocitytovertical: the LOS raster (and a per-pixel incidence) read in blocks, every band projected
onto the vertical and written with the input's descriptions, dates and reference
(:func:`..algorithms.geometry.los_blocks.los_vertical_block`)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from ...algorithms.formats.dates import is_date
from ...algorithms.geometry import los_blocks
from ..base import blocks, raster
from ..base.metadata import vertical_metadata
from ..base.raster import RasterInfo
from ..base.runs import Outcome


@dataclass(frozen=True)
class Job:
    """A run as plain values: the LOS raster (``los``), the output's path, the incidence (``incidence_deg``, a
    number, or ``incidence_raster`` of content ``incidence_kind``: an index of
    :data:`~..algorithms.geometry.los_blocks.INCIDENCE_KINDS`), how the history names the incidence used
    (``incidence_used``), the parameter IDs to name (``names``: ``los``, ``incidence``) and the run-wide knobs."""

    los: RasterInfo
    output: str
    incidence_deg: float
    incidence_used: str
    settings: blocks.RunSettings = field(default_factory=blocks.RunSettings)
    incidence_raster: str = ""
    incidence_kind: int = 0
    names: dict = field(default_factory=lambda: {"los": "INPUT", "incidence": "INCIDENCE_RASTER"})


def run(job: Job, *, progress=None) -> Outcome:
    """The vertical of every band of ``job.los`` (``v_los / cos(incidence)``), block by block; the output carries
    the input's dates and reference, its unit (mm for a dated series, else mm/yr without one) and the incidence
    used."""
    info = job.los
    names = job.names
    if job.incidence_raster:
        raster.check_same_grid([info, raster.raster_info(job.incidence_raster, names["incidence"])],
                               [names["los"], names["incidence"]])
    dated = any(is_date(d) for d in info.descriptions)
    meta, descriptions = vertical_metadata(info.path, info.descriptions, job.incidence_used,
                                           "mm" if dated else "mm/yr")
    sources = {"los": blocks.raster_source(info.path, bands=None, dtype=np.float64, name=names["los"])}
    if job.incidence_raster:
        sources["incidence"] = blocks.raster_source(job.incidence_raster, dtype=np.float64, name=names["incidence"])
    func = functools.partial(los_blocks.los_vertical_block, incidence_deg=job.incidence_deg,
                             incidence_kind=job.incidence_kind, incidence_name=names["incidence"])
    run_settings = job.settings
    blocks.run_blocks(run_settings.plan(info.height, info.width,
                                        bytes_per_pixel=los_blocks.vertical_bytes_per_pixel(info.count)),
                      func, sources=sources, run=run_settings, progress=progress, background_write=True,
                      writers={"vertical": raster.RasterWriter.like(job.output, info, count=info.count,
                                                                    descriptions=descriptions, metadata=meta)})
    return Outcome(outputs={"OUTPUT": job.output})
