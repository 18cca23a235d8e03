"""The reference-point tool's run: the stack scanned once (valid count, mean coherence, the sums of its consistent
ground), the pixel chosen by the stack tools' rule (:mod:`..timeseries.reference_pixel`) or by coherence alone, and
the point and its candidates written."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...algorithms.corrections import reference
from ...algorithms.progress import SubProgress, info
from ..base import blocks, vector
from ..base.runs import Outcome
from ..base.writers import write_csv
from ..timeseries import stacks as io_stacks
from ..timeseries.stack_reference import automatic_reference, map_text


@dataclass(frozen=True)
class Job:
    """A reference-point choice as plain values: the stack (``stack``: the stack reader's
    :class:`~..timeseries.stacks.StackInput`), the pixels allowed (``allowed``: bool array on its grid or None), the
    rule (``stability``: the stack tools' own; else the best mean coherence over ``window`` pixels), the point's
    GeoPackage (``output``), the candidates' CSV (``report``, "" without) and the run-wide knobs (``settings``)."""

    stack: object
    allowed: object
    stability: bool
    window: int
    output: str
    report: str
    settings: blocks.RunSettings


def _rate(stack):
    """The stacking rate (mm/yr) of the scan pass's sums."""
    return reference.stacking_rate(stack.ground["sdt"], stack.ground["dt2"])


def run(job: Job, *, progress) -> Outcome:
    """Chooses the reference pixel of the job's stack and writes it (ROW, COL, COHERENCE, RATE, SCORE)."""
    stack, info_ = job.stack, job.stack.info
    count, mean_coh, _ = io_stacks.scan_stack(stack, io_stacks.block_rows_for(stack, job.settings),
                                              SubProgress(progress, 0, 90), coherence=stack.has_coherence,
                                              run=job.settings, ground=True)
    if job.stability:
        row, col, ground = automatic_reference(stack, count, progress, allowed=job.allowed)
        cands = [] if ground is None else [dict(c, score=c.pop("edge_px")) for c in ground.candidates]
        score = cands[0]["score"] if cands else 0.0
        coh = float(mean_coh[row, col]) if mean_coh is not None else 1.0
    else:
        choice = reference.select_reference(count, stack.network.n_pairs, rate=_rate(stack), stability=False,
                                            mean_coherence=mean_coh, allowed=job.allowed, window=job.window)
        row, col, coh, score, cands = choice.row, choice.col, choice.coherence, choice.score, choice.candidates
        info(progress, f"REFERENCE: row {row}, column {col} ({map_text(info_, row, col)}): the largest window "
                       f"coherence {coh:.3f} (coherence only: Stability is off)")
    text = map_text(info_, row, col)
    x, y = info_.pixel_centres(row, col)
    vector.write_vector(job.output, {"ROW": np.array([row]), "COL": np.array([col]), "COHERENCE": np.array([coh]),
                                     "RATE": np.array([_rate(stack)[row, col]]), "SCORE": np.array([float(score)])},
                        crs_wkt=info_.crs_wkt, x=np.array([float(x)]), y=np.array([float(y)]))
    outcome = Outcome(outputs={"OUTPUT": job.output}, values={"REFERENCE_POINT": text},
                      notes=[f"Reference point: row {row}, column {col} ({text})"])
    if job.report:
        rows = []
        for k, c in enumerate(cands, 1):
            cx, cy = info_.pixel_centres(c["row"], c["col"])
            rows.append({"rank": k, **c, "x": float(cx), "y": float(cy)})
        outcome.outputs["OUTPUT_REPORT"] = write_csv(job.report, rows)
    return outcome
