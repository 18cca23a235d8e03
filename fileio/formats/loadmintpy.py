"""Files of loadmintpy: a MintPy HDF5 dataset written as a GeoTIFF (dated bands, metres to mm) and, when asked,
as points with their velocity, its standard deviation and the dated displacements (:mod:`.mintpy`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...algorithms.errors import GeohazardError
from ...algorithms.formats import h5_layers
from ...algorithms.progress import SubProgress, info
from ..base.runs import Outcome
from ..display import styles
from . import mintpy


@dataclass(frozen=True)
class Job:
    """A run as plain values: the HDF5 file (``path``) and its opened dataset (``layer``), the mask file and layer
    (or None), the GeoTIFF (``output``) and the points (``points_output``, "" for none), the outputs' IDs (``ids``:
    output, points) and the input's parameter ID (``name``)."""

    path: str
    layer: Any
    output: str
    ids: dict
    mask: Any = None
    mask_layer: Any = None
    points_output: str = ""
    name: str = "INPUT"


def run(job: Job, *, progress=None, context=None) -> Outcome:
    """The dataset as a styled GeoTIFF (diverging for displacements), then its points; the conversion's notes said
    on ``progress``, the points written noted."""
    layer, out = job.layer, job.output
    conv = mintpy.as_geotiff(job.path, dataset=layer.dataset, name=job.name, folder="", out_path=out,
                             mask_path=job.mask, progress=SubProgress(progress, 0, 50))
    for note in conv.notes:
        info(progress, note)
    if layer.is_displacement:
        styles.style_raster_diverging(out, context=context, band=layer.bands)
    else:
        styles.style_raster_sequential(out, context=context)
    outcome = Outcome(outputs={job.ids["output"]: out})
    if job.points_output:
        std = None
        if layer.dataset == "velocity":
            try:
                std = h5_layers.open_layer(job.path, dataset="velocityStd")
            except GeohazardError:
                std = None
        n = mintpy.write_points(layer, job.points_output, mask=job.mask_layer, std=std,
                                progress=SubProgress(progress, 50, 100))
        outcome.notes.append(f"{n} points ({'VEL, V_STDEV' + (', DYYYYMMDD' if layer.dates else '')})")
        styles.style_points_velocity(job.points_output, "VEL", context=context)
        outcome.outputs[job.ids["points"]] = job.points_output
    return outcome
