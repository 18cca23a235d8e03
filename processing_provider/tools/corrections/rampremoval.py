"""rampremoval."""

from __future__ import annotations

import functools

import numpy as np

from ....algorithms.corrections import ramps
from ....algorithms.progress import SubProgress
from ...inputs import declare, knobs, layers, stacks
from ...inputs.feedback import FeedbackProgress
from ...io import corrections
from .._base import StackAlgorithm, tool
from ._common import MASK_HELP, MODES, OUTPUT_HELP, STACK_HELP, mask_inputs, output_folder


@tool("rampremoval", "Ramp removal (linear / quadratic, fitted on a stable mask)", group="corrections",
      tags="ramp,orbital,deramp,plane,quadratic,ionosphere,interferogram,correction,MintPy", page="corrections",
      engine=True)
class RampRemoval(StackAlgorithm):
    HELP = (
        "Removes orbital / ionospheric / long-wavelength ramps from unwrapped interferograms: a linear "
        "(c0 + c1 x + c2 y) or quadratic (+ x2, y2, xy) surface is fitted by least squares on the pixels of a "
        "stable mask and subtracted everywhere, as MintPy's remove_ramp (Yunjun et al. 2019, "
        "doi:10.1016/j.cageo.2019.104331). <b>Per interferogram</b>: each keeps its own surface. <b>Per date</b>: "
        "the surfaces are inverted on the network (one per date) and each interferogram loses the difference of "
        "its two dates' surfaces, so a deformation ramp seen in one interferogram only is not removed.\n\n"
        + STACK_HELP + MASK_HELP + OUTPUT_HELP +
        "<b>Report</b> (CSV): per interferogram the coefficients (x and y scaled to -1..1 over the grid), pixels "
        "used, RMS on the mask before and after (input unit). Checked against MintPy 1.6.4 deramp (docs/"
        "corrections.md)."
    )

    def initAlgorithm(self, config=None):
        declare.add_stack_parameters(self, mintpy=False)
        self.addParameter(declare.enum("RAMP_TYPE", "Ramp", ["Linear", "Quadratic"]))
        self.addParameter(declare.enum("MODE", "Fit", MODES))
        mask_inputs(self)
        output_folder(self, "Interferograms without ramps (folder)")

    def process(self, parameters, context, feedback):
        progress, run = FeedbackProgress(feedback), knobs.run_settings(self, parameters, context)
        stack = stacks.correction_stack(self, parameters, context, feedback, run)
        kind = ramps.RAMP_KINDS[self.parameterAsEnum(parameters, "RAMP_TYPE", context)]
        thr = self.parameterAsDouble(parameters, "COHERENCE_THRESHOLD", context)
        mask = layers.fit_mask(self, parameters, context, stack.info)
        src = {**stack.sources(coherence=thr > 0), **corrections.mask_sources(mask)}
        per_date = self.parameterAsEnum(parameters, "MODE", context) == 1
        min_px = self.parameterAsInt(parameters, "MIN_PIXELS", context)
        mask_name = "STABLE_AREA / MASK / COHERENCE_THRESHOLD"
        out_dir = self.parameterAsString(parameters, "OUTPUT", context)
        meta = {**corrections.unit_meta(stack),
                "CORRECTION": f"{kind} ramp removed" + (" (per date)" if per_date else "")}
        # whole interferograms in memory when they fit: per interferogram, each is read once, fitted and
        # corrected; per date, two passes over them (every fit before any correction)
        plan = stack.group_plan(shared_bytes=8.0)
        feedback.pushInfo(corrections.describe_plan(plan, one_read=not per_date))
        if plan is not None and not per_date:
            _, got = corrections.write_corrected(
                stack, functools.partial(ramps.ramp_fit_apply_block, kind=kind, coherence_threshold=thr,
                                         min_pixels=min_px, names=stack.names, mask_name=mask_name),
                sources=src, out_dir=out_dir, run=run,
                progress=progress, metadata=meta, plan=plan, collect=("coef", "ata", "atb", "n", "btb"))
            coef = got.pop("coef")
            normals = got
            before, after = ramps.fit_residual_rms(normals, coef)
        else:  # per date (every interferogram's fit first), or images too big for the memory budget: two passes
            normals = corrections.fit_pass(stack, functools.partial(ramps.ramp_normal_block, kind=kind,
                                                                    coherence_threshold=thr),
                                           sources=src, run=run,
                                           progress=SubProgress(progress, 0, 45), plan=plan)
            coef = ramps.solve_normals(normals, names=stack.names, min_pixels=min_px, mask_name=mask_name)
            before, after = ramps.fit_residual_rms(normals, coef)
            if per_date:
                coef = ramps.per_date_coefficients(coef, stack.network.ref_index, stack.network.sec_index,
                                                   stack.network.n_dates, stack.signs)[1]
            corrections.write_corrected(stack, functools.partial(ramps.ramp_apply_block, kind=kind, coef=coef),
                                        sources=stack.sources(coherence=False), out_dir=out_dir, run=run,
                                        progress=SubProgress(progress, 45, 100),
                                        metadata=meta, plan=plan)
        feedback.pushInfo(f"{kind} ramps removed from {stack.m} interferograms; RMS on the mask "
                          f"{np.median(before):.3g} -> {np.median(after):.3g} (median, input unit)")
        result = {"OUTPUT": out_dir}
        rep = layers.optional_file(self, parameters, "OUTPUT_REPORT", context)
        if rep:
            terms = ["c0", "cx", "cy", "cxx", "cyy", "cxy"][:coef.shape[1]]
            corrections.write_csv(rep, [{"interferogram": nm, "pixels": int(n), **{t: float(c) for t, c in zip(terms,
                                                                                                               cf)},
                                         "rms_before": float(b), "rms_after_fit": float(a)}
                                        for nm, n, cf, b, a in zip(stack.names, normals["n"], coef, before, after)])
            result["OUTPUT_REPORT"] = rep
        return result
