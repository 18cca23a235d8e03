"""Files of offsettimeseries: every pair's offset rasters read in blocks (reversed pairs negated), the per-pixel
series, velocities, sigmas and network labels written block by block
(:func:`..algorithms.kinematics.offset_timeseries.offset_ts_block`)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from ...algorithms.formats.dates import date_to_str, decimal_years
from ...algorithms.kinematics import offset_timeseries as ots
from ...algorithms.progress import info, warn
from ..base import blocks, raster
from ..base.raster import RasterInfo
from ..base.runs import Outcome
from .offsettracking import SignedStack


@dataclass(frozen=True)
class Job:
    """A run as plain values: the pair rasters (``paths``), their date pairs and signs (-1: a reversed pair), the
    bands of the offset components and of the weight (0: none), their grid (``grid``), the outlier test's
    ``k_mad`` and ``min_reject``, the outputs (``outputs``: output ID -> path; ``ids``: kind -> output ID, kinds
    displacement, velocity, sigma, labels, unchecked) and the run-wide knobs."""

    paths: tuple
    pairs: tuple
    signs: tuple
    bands: tuple
    grid: RasterInfo
    outputs: dict
    ids: dict
    k_mad: float = 3.0
    min_reject: float = 0.0
    weight_band: int = 0
    settings: blocks.RunSettings = field(default_factory=blocks.RunSettings)


def run(job: Job, *, progress=None) -> Outcome:
    """The offset time series of every pixel; the network's components and the pixel-dates that rest on a single
    pair said on ``progress`` (a warning when there are any)."""
    pairs, bands, wb, grid, out, ids = job.pairs, job.bands, job.weight_band, job.grid, job.outputs, job.ids
    dates, pi, pj = ots.pair_indices(pairs)
    comps = ots.network_components(len(dates), pi, pj)
    info(progress, f"{len(pairs)} pairs, {len(dates)} dates, {len(comps)} connected component(s) in the full "
                   "network: " + "; ".join(f"{date_to_str(dates[c[0]])} .. {date_to_str(dates[c[-1]])} "
                                           f"({len(c)} dates)" for c in comps))
    sign = np.asarray(job.signs, np.float32)[:, None, None]
    sources = {f"c{k}": SignedStack(list(job.paths), b, sign) for k, b in enumerate(bands)}
    if wb:
        sources["rho"] = SignedStack(list(job.paths), wb, None)
    func = functools.partial(ots.offset_ts_block, pi=pi, pj=pj, t_years=decimal_years(dates), k_mad=job.k_mad,
                             min_reject=job.min_reject, use_weights=bool(wb))
    nb, days = len(bands), [date_to_str(d) for d in dates]
    descs = [f"c{k + 1}_{day}" for k in range(nb) for day in days]
    labels = dict(count=len(dates), descriptions=days, dtype=np.int16, nodata=-1)
    writers = {"displacement": raster.RasterWriter.like(out[ids["displacement"]], grid, count=nb * len(dates),
                                                        descriptions=descs),
               "velocity": raster.RasterWriter.like(out[ids["velocity"]], grid, count=nb + 3, descriptions=[
                   f"c{k + 1}_velocity_per_year" for k in range(nb)] + ["n_networks", "n_pairs_used", "n_rejected"]),
               "sigma": raster.optional_writer(out.get(ids["sigma"], ""), grid, count=nb * len(dates),
                                               descriptions=descs),
               "labels": raster.optional_writer(out.get(ids["labels"], ""), grid, **labels),
               "unchecked": raster.optional_writer(out.get(ids["unchecked"], ""), grid, **labels)}
    counts = np.zeros(2, np.int64)  # pixel-dates with data, of them resting on a single pair

    def write(block, res):
        counts[0] += int(np.count_nonzero(res["unchecked"] >= 0))
        counts[1] += int(np.count_nonzero(res["unchecked"] == 1))
        res = dict(res, velocity=np.concatenate([res["velocity"], res["stats"]]))
        for key, w in writers.items():
            w.write(res[key], row=block.row0)

    per_px = ots.offset_ts_bytes_per_pixel(len(pairs), nb, len(dates))
    blocks.run_blocks(job.settings.plan(grid.height, grid.width, bytes_per_pixel=per_px), func, write,
                      sources=sources, run=job.settings, progress=progress, writers=writers)
    msg = (f"{counts[1]} of {counts[0]} pixel-dates ({100.0 * counts[1] / max(1, counts[0]):.3g} %) rest on a "
           "single pair (a bridge of the pixel's pair network): a gross error there cannot be detected"
           + ("; see 'Unchecked dates'" if ids["unchecked"] in out else ""))
    (warn if counts[1] else info)(progress, msg)
    return Outcome(outputs=dict(out))
