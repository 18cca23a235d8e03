"""The run of sbasinversion: the network filtered (a scan pass first where a coherence filter or the automatic
reference needs one), the reference pixel, then the solve pass (:func:`.timeseries.write_sbas`), the outputs styled
(their .qml beside them) and the network report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ...algorithms.errors import GeohazardError
from ...algorithms.progress import SubProgress, info, warn
from ...algorithms.timeseries import network, sbas
from ..base import blocks, raster
from ..base.runs import Outcome
from . import stack_reference, timeseries
from . import stacks as io_stacks

#: Raster output IDs by the block result they hold (the first two always written).
RASTERS = {"OUTPUT_TIMESERIES": "timeseries", "OUTPUT_VELOCITY": "velocity", "OUTPUT_VELOCITY_STD": "velocity_std",
           "OUTPUT_TEMPORAL_COHERENCE": "temporal_coherence", "OUTPUT_COHCOUNT": "count"}
#: File output IDs by the name :func:`.timeseries.write_sbas` gives them.
FILES = {"OUTPUT_POINTS": "points", "OUTPUT_MINTPY_TIMESERIES": "mintpy_timeseries",
         "OUTPUT_MINTPY_VELOCITY": "mintpy_velocity"}


@dataclass(frozen=True)
class Job:
    """A run as plain values: the stack as read (``stack``: :class:`.stacks.StackInput`, whole network), the network
    filters (keywords of :func:`~algorithms.timeseries.network.filter_network`), the REFERENCE point as map x, y in
    the stack's CRS (None: automatic), the solver's options, the DEM's path ("" none), the outputs asked for
    (``rasters``: output ID of :data:`RASTERS` -> path; ``files``: output ID of :data:`FILES` -> path or "";
    ``report``: the network report's HTML path or "") and the run-wide knobs."""

    stack: Any
    rasters: dict
    filters: dict = field(default_factory=dict)
    reference_xy: Optional[tuple] = None
    weighting: str = "none"
    looks: int = 10
    coherence_threshold: float = 0.0
    min_count: int = 0
    min_temporal_coherence: float = 0.7
    dem: str = ""
    files: dict = field(default_factory=dict)
    report: str = ""
    settings: blocks.RunSettings = field(default_factory=blocks.RunSettings)


def run(job: Job, *, progress=None) -> Outcome:
    """Filter, reference and invert ``job.stack`` block by block; the outputs written, styled and returned by ID."""
    stack, settings = job.stack, job.settings
    full = stack.network
    rows = io_stacks.block_rows_for(stack, settings)
    # blocks are often shorter than the inputs' tiles: a row of tiles of every input is decoded once only if GDAL's
    # cache holds it (plus the outputs' rows of tiles on their way to the disk)
    cache = stack.tile_row_bytes(coherence=stack.has_coherence) + len(RASTERS) * raster.TILE_ROW_BUDGET_BYTES
    with io_stacks.gdal_cache_at_least(cache, log=progress), settings.executor(progress) as ex:
        # the scan pass (valid count, mean coherence) is only needed to pick a reference or filter by coherence
        stack, flt, count, _ = io_stacks.filtered_stack(stack, rows, SubProgress(progress, 0, 25),
                                                        scan=job.reference_xy is None, run=settings, executor=ex,
                                                        **job.filters)
        net = stack.network
        if count is not None and count.max() == 0:
            raise GeohazardError("INTERFEROGRAMS: every pixel is no-data (NaN or the nodata value) in every "
                                 "interferogram")
        if network.disconnection_note(net):
            warn(progress, network.disconnection_note(net))
        if network.redundancy_note(net):
            warn(progress, f"INTERFEROGRAMS: {network.redundancy_note(net)}")
        ref_rc = stack_reference.reference_pixel(stack, job.reference_xy, count, progress)
        note = (f"Reference pixel: row {ref_rc[0]}, column {ref_rc[1]}; {net.n_pairs} interferograms, "
                f"{net.n_dates} dates, weighting {job.weighting}")
        info(progress, f"Reference pixel: row {ref_rc[0]}, column {ref_rc[1]}")
        solver = sbas.SbasSolver(net, wavelength_m=stack.wavelength_m, weighting=job.weighting, looks=job.looks,
                                 coherence_threshold=job.coherence_threshold, min_count=job.min_count,
                                 min_temporal_coherence=job.min_temporal_coherence)
        if job.dem:
            raster.check_same_grid([stack.info, raster.raster_info(job.dem, "DEM")], ["INTERFEROGRAMS", "DEM"])
        written, ranges = timeseries.write_sbas(
            stack, solver, io_stacks.reference_values(stack, *ref_rc), ref_rc, rows, SubProgress(progress, 25, 95),
            rasters={RASTERS[k]: p for k, p in job.rasters.items()},
            files={name: job.files.get(key, "") for key, name in FILES.items()}, dem_path=job.dem, run=settings,
            executor=ex)
    timeseries.style_sbas(written, ranges, net, None)
    outputs = dict(job.rasters)
    outputs.update({key: written[name] for key, name in FILES.items() if name in written})
    if job.report:
        outputs.update(io_stacks.write_network_report(job.report, net, full, flt, ref_rc, log=progress))
    return Outcome(outputs=outputs, notes=[note])
