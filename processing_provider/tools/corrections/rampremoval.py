"""``geohazard:rampremoval``. Ramp removal: a linear or quadratic surface fitted on stable pixels and subtracted from
each unwrapped interferogram."""

from __future__ import annotations

from ....algorithms.corrections import ramp_limits, ramps
from ....fileio.corrections import rampremoval as ramps_io
from ...inputs import declare, ids
from ...inputs.feedback import FeedbackProgress
from .._base import tool
from ._common import MASK_HELP, MODES, OUTPUT_HELP, STACK_HELP, MaskedCorrection

EXTRAPOLATION = ["Every coherent pixel (trend guarded)",
                 "Fit on the mask, capped at the largest gradient", "Refuse"]


@tool("rampremoval", "Ramp removal (linear / quadratic, fitted on a stable mask)",
      tags="ramp,orbital,deramp,plane,quadratic,ionosphere,interferogram,correction,MintPy", page="corrections",
      engine=True)
class RampRemoval(MaskedCorrection):
    RAMP_TYPE = "RAMP_TYPE"
    MODE = "MODE"
    EXTRAPOLATION = "EXTRAPOLATION"
    MAX_GRADIENT_MM_KM = "MAX_GRADIENT_MM_KM"
    DEFORMING_AREAS = "DEFORMING_AREAS"
    TREND_GUARD = "TREND_GUARD"
    HELP = (
        "Removes orbital / ionospheric / long-wavelength ramps from unwrapped interferograms: a linear "
        "(c0 + c1 x + c2 y) or quadratic (+ x2, y2, xy) surface is fitted by least squares on the pixels of a "
        "stable mask and subtracted everywhere, as MintPy's remove_ramp (Yunjun et al. 2019, "
        "doi:10.1016/j.cageo.2019.104331). <b>Per interferogram</b>: each keeps its own surface. <b>Per date</b>: "
        "the surfaces are inverted on the network (one per date) and each interferogram loses the difference of "
        "its two dates' surfaces, so a deformation ramp seen in one interferogram only is not removed.\n\n"
        + STACK_HELP + MASK_HELP + OUTPUT_HELP
        + declare.layers_help(ids.OUTPUT, "Interferograms without ramps (layers)") +
        "<b>Extrapolation</b>: a surface fitted on a mask that does not surround the scene (a stable strip along "
        "one edge) is extrapolated over the rest; the log says so with its size at the far edge. By default the "
        "surfaces are then fitted on every coherent pixel (the trend guard below keeps the deformation); or fit "
        "on the mask and cap, or refuse.\n"
        "<b>Largest gradient</b> (mm of LOS per km, 0 = from the wavelength: 3 mm/km at C-band, growing as the "
        "wavelength squared for the ionosphere): a surface whose range over the scene exceeds it times the "
        "scene's diagonal is scaled down to it (orbits make millimetres over a few tens of km). Per date, 0 applies "
        "no limit (unless the mask is capped, above): each date's surface is its own orbit, ionosphere and "
        "long-wavelength delay, which lateral humidity gradients make steeper than orbits, and the trend guard "
        "below keeps the deformation in the velocity; a value given limits each date's departure from the dates' "
        "median surface.\n"
        "<b>Deforming areas</b> (per date, default on): a ramp fitted on every coherent pixel also fits the flank "
        "of a bowl on one side of the scene. The stacking rate of each pixel (sum(d dt) / sum(dt2)) is smoothed over "
        "2 pixels, a plane is fitted to it with iterative clipping at 2.5 robust standard deviations, and the "
        "pixels beyond (grown by 3 pixels) are left out of every fit; a tilt of the whole scene stays in. When "
        "fewer than 20 % of the pixels would be left, none is left out (the log says which).\n"
        "<b>Trend guard</b> (per date, default 3; 0 = off): the trend of each ramp term over the dates changes the "
        "velocity. It is compared with the trend that random ramps of the size seen from date to date (fitted on "
        "every coherent pixel) could make: within 3 standard errors it is removed; beyond, only the share "
        "(3 / t)^6 is removed (with the deforming areas left out; (3 / t)^2 without them) and the rest is kept as "
        "deformation (a bowl covering most of the scene is not turned into a tilt).\n"
        "<b>Report</b> (CSV): per interferogram the coefficients removed (x and y scaled to -1..1 over the grid), "
        "pixels used, RMS on the mask before and after the fitted surface (input unit). Checked against MintPy "
        "1.6.4 deramp (docs/corrections.md)."
    )

    def initAlgorithm(self, config=None):
        self.addParameter(declare.enum(self.RAMP_TYPE, "Ramp", ["Linear", "Quadratic"]))
        self.addParameter(declare.enum(self.MODE, "Fit", MODES))
        self.add_mask_inputs()
        self.addParameter(declare.enum(self.EXTRAPOLATION, "When the mask does not surround the scene", EXTRAPOLATION))
        self.addParameter(declare.number(self.MAX_GRADIENT_MM_KM,
                                         "Largest ramp gradient of one date (mm/km, 0 = auto)", 0.0, 0.0))
        self.addParameter(declare.boolean(self.DEFORMING_AREAS,
                                          "Leave the deforming areas out of the fit (per date)", True))
        self.addParameter(declare.number(self.TREND_GUARD, "Trend guard (standard errors, per date; 0 = off)",
                                         ramp_limits.RAMP_Z_DEFAULT, 0.0, 100.0))
        self.add_output_folder("Interferograms without ramps (folder)", "Interferograms without ramps (layers)")

    def process(self, parameters, context, feedback):
        v = self.values(parameters, context, self.RAMP_TYPE, self.MAX_GRADIENT_MM_KM, self.EXTRAPOLATION)
        job = ramps_io.Job(**self.masked_fields(parameters, context, feedback), kind=ramps.RAMP_KINDS[v.RAMP_TYPE],
                           max_gradient_mm_km=v.MAX_GRADIENT_MM_KM, extrapolation=v.EXTRAPOLATION)
        return self.finish(ramps_io.run(job, progress=FeedbackProgress(feedback)), feedback)
