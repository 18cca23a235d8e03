"""The network edit's files: the mean coherence and the loop misfits read from the stack, the interferograms kept
linked (or copied) into the output folder and the rows of its report (:mod:`...algorithms.corrections.network_mod`)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ...algorithms.corrections import network_mod
from ...algorithms.errors import GeohazardError
from ...algorithms.progress import SubProgress, info, warn
from ..base.runs import Outcome
from . import corrections


@dataclass(frozen=True)
class Job(corrections.StackJob):
    """A network edit as plain values: the stack fields of :class:`~.corrections.StackJob` (the stack read with its
    baselines) and the criteria of :func:`~...algorithms.corrections.network_mod.modify_network` (0 / empty = not
    used): the dates and pairs as typed (comma or semicolon separated), the loop misfit (rad) over pixels at least
    ``loop_coherence`` coherent, and how connectivity is kept."""

    max_temporal_baseline_days: float
    max_perp_baseline_m: float
    min_mean_coherence: float
    max_loop_misfit_rad: float
    loop_coherence: float
    exclude_dates: str
    drop_pairs: str
    start_date: str
    end_date: str
    keep_connected: bool
    allow_disconnected: bool


def _items(text: str) -> list:
    return list(text.replace(";", ",").split(","))


def run(job: Job, *, progress) -> Outcome:
    """Drops the interferograms the criteria reject (each with its reason in the log) and links the kept ones into
    the output folder."""
    stack, net, settings = job.stack, job.stack.network, job.settings
    if job.min_mean_coherence > 0 and stack.coh_paths is None:
        raise GeohazardError("MIN_MEAN_COHERENCE: the coherence limit needs COHERENCE rasters")
    mean_coh = corrections.mean_coherence(stack, settings, SubProgress(progress, 0, 40)) \
        if stack.coh_paths is not None else None
    triplets = network_mod.closure_triplets(net)
    misfit = None
    if job.max_loop_misfit_rad > 0 and not len(triplets):
        warn(progress, "MAX_LOOP_MISFIT: the network has no closed triplet; the loop check is skipped")
    elif job.max_loop_misfit_rad > 0:
        misfit = corrections.loop_misfit(stack, triplets, run=settings, progress=SubProgress(progress, 40, 80),
                                         coherence_threshold=job.loop_coherence)
    edit = network_mod.modify_network(
        net, max_temporal_baseline_days=job.max_temporal_baseline_days,
        max_perp_baseline_m=job.max_perp_baseline_m or None, mean_coherence=mean_coh,
        min_mean_coherence=job.min_mean_coherence, exclude_dates=_items(job.exclude_dates),
        exclude_pairs=_items(job.drop_pairs), start_date=job.start_date or None, end_date=job.end_date or None,
        triplets=triplets, loop_misfit_rad=misfit, max_loop_misfit_rad=job.max_loop_misfit_rad or None,
        keep_connected=job.keep_connected, allow_disconnected=job.allow_disconnected)
    for i, why in sorted(edit.reasons.items()):
        info(progress, f"dropped {stack.names[i]}: {why}")
    for i in edit.restored:
        info(progress, f"put back {stack.names[i]} to keep the network connected")
    if edit.dates_out or len(edit.subsets) > 1:
        warn(progress, network_mod.disconnection_message(edit).replace("the drops disconnect", "accepted: the drops "
                                                                      "disconnect"))
    os.makedirs(job.output, exist_ok=True)
    kept = [os.path.join(job.output, os.path.basename(stack.paths[i])) for i in np.flatnonzero(edit.keep)]
    for i, path in zip(np.flatnonzero(edit.keep), kept):
        corrections.link_or_copy(stack.paths[i], path)
    progress.set_progress(100)
    return corrections.folder_outcome(job.output, kept, job.report, lambda: network_mod.edit_table(
        net, edit, mean_coherence=mean_coh, triplets=triplets, loop_misfit_rad=misfit),
        notes=[f"kept {edit.n_kept} of {net.n_pairs} interferograms"])
