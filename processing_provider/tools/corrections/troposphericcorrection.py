"""``geohazard:troposphericcorrection``. Tropospheric correction: the stratified delay removed from unwrapped
interferograms (phase-elevation fit or GACOS zenith delay maps)."""

from __future__ import annotations

from ....algorithms.errors import GeohazardError
from ....algorithms.formats import geometry_meta as gm
from ....fileio.corrections import troposphericcorrection as troposphere
from ...inputs import acquisition, declare, ids, stacks
from ...inputs.aliases import Alias
from ...inputs.feedback import FeedbackProgress
from .._base import tool
from ._common import MASK_HELP, MODES, OUTPUT_HELP, STACK_HELP, MaskedCorrection

TROPO_METHODS = ["Phase-elevation, linear (DEM)", "Phase-elevation, quadratic (DEM)",
                 "Zenith delay maps (GACOS .ztd or GeoTIFF)"]


@tool("troposphericcorrection", "Tropospheric correction (phase-elevation or GACOS / zenith delay maps)",
      tags=("troposphere,atmosphere,GACOS,phase-elevation,stratified,DEM,delay,ZTD,correction,interferogram,"
            "MintPy,LiCSBAS"),
      page="corrections", former=(Alias("INCIDENCE_ANGLE", ids.INCIDENCE),), engine=True)
class TroposphericCorrection(MaskedCorrection):
    METHOD = "METHOD"
    MODE = "MODE"
    WINDOW = "WINDOW"
    CORRELATION_THRESHOLD = "CORRELATION_THRESHOLD"
    FILTER_PIXELS = "FILTER_PIXELS"
    TREND_GUARD = "TREND_GUARD"
    DEFORMING_AREAS = "DEFORMING_AREAS"
    LATERAL_VARIATION = "LATERAL_VARIATION"
    DELAYS = "DELAYS"
    HELP = (
        "Removes the tropospheric delay from unwrapped interferograms.\n\n"
        "<b>Phase-elevation</b> (stratified troposphere; Doin et al. 2009, doi:10.1016/j.jappgeo.2009.03.010; "
        "MintPy tropo_phase_elevation; LiCSBAS): per interferogram, phase = c0 + k1 h (+ k2 h2) is fitted on the "
        "mask with the DEM height h, and the height terms are removed (zero at the DEM's lowest point). "
        "<b>Window</b> "
        "(pixels, 0 = whole image): square windows get their own coefficients, interpolated bilinearly between "
        "window centres (stratification changing across a large scene); a window with too few pixels or no "
        "relief uses the whole-image fit. <b>Per date</b>: coefficients inverted on the network (one per date). "
        "<b>Correlation threshold</b> (as MintPy -t, default 0 = always correct): an interferogram (window) "
        "whose phase-height correlation is weaker is left as it is.\n"
        "<b>High-pass filter</b> (pixels, default 3; 0 = off): the phase and the heights lose their local mean "
        "(Gaussian of that many pixels) before the fit, so a subsidence bowl, a ramp or any signal smoother than "
        "the filter does not bias the slope, while the relief's texture still measures it (band-pass estimation, "
        "Lin et al. 2010, doi:10.1029/2010GC003228; Bekaert et al. 2015, doi:10.1002/2014JB011558); only the "
        "height terms are removed, unfiltered.\n"
        "<b>Trend guard</b> (per date, default 2; 0 = off): deformation that correlates with height makes the "
        "per-date slope grow with time. The trend of the per-date slopes is compared with its standard error "
        "from their scatter: within 2 standard errors it is atmosphere and removed; beyond, only the share "
        "(2 / t)^2 is removed and the rest - what tracks time - is kept as deformation, so the velocity is not "
        "bent. The log says when the per-interferogram slope tracks the pairs' time span (correlation with the "
        "temporal baseline), the trend, its t and the share removed; the report has the slope, correlation and "
        "the RMS removed per interferogram.\n"
        "<b>Lateral variation</b> (per date, phase-elevation, default off; on in Corrected SBAS): the slope varies "
        "linearly across the scene, k(x, y) = k1 + kx x + ky y: the wet delay decays with height over a scale of "
        "1-3 km and its size changes across the scene from one date to the next (lateral humidity gradients), so "
        "the delay-height slope of an interferogram follows them (Doin et al. 2009). The terms x h and y h are "
        "fitted with h (high-passed as h). How well the data resolve them is measured by fitting the two halves of "
        "a 16-pixel checkerboard apart: only the share of their date-to-date variation that exceeds the halves' "
        "disagreement is used (empirical-Bayes shrinkage; the log gives it), so a scene too small or too flat to "
        "resolve them is corrected as without them. Not with WINDOW (the other way to let the slope vary).\n"
        "<b>Deforming areas</b> (per date, default on): the pixels whose stacking rate departs from the scene's "
        "plane (a subsiding valley floor, a rising summit, a landslide), grown by a few pixels, are left out of the "
        "fit, so that a deformation following the relief is not taken for a delay (the same areas as the ramp "
        "removal's; the log gives their share).\n"
        "<b>External delay maps</b>: a folder with one zenith total delay map per date in metres: GACOS "
        "(Yu et al. 2018, doi:10.1029/2017JB015305) YYYYMMDD.ztd with YYYYMMDD.ztd.rsc, or YYYYMMDD.ztd.tif / any "
        "GeoTIFF whose name has the date. Each is resampled (bilinear) onto the interferograms' grid, projected to "
        "the line of sight (/ cos(incidence): a raster in degrees, one constant angle, or with neither the "
        "INCIDENCE_DEG the interferograms carry; the log names the source) and each interferogram "
        "loses delay(second date) - delay(first date), converted to its unit (MintPy tropo_gacos). Every date of "
        "the stack needs a map (the missing dates are named); maps of other dates are ignored and listed. With "
        "DELAYS empty and a LiCSAR frame as INTERFEROGRAMS, the frame's own GACOS maps are used (epochs/<date>/"
        "<date>.sltd.geo.tif, or LiCSBAS's GACOS/ beside GEOC: slant delays in radians, no incidence needed; every "
        "date needs one).\n\n"
        + STACK_HELP +
        "<b>DEM</b>: heights in metres on the interferograms' grid (same size, origin, pixel size and CRS); empty "
        "with a LiCSAR or HyP3 product as INTERFEROGRAMS: the product's heights (LiCSAR's .geo.hgt.tif, HyP3's "
        "_dem.tif mosaicked), on the stack's grid.\n"
        + MASK_HELP + OUTPUT_HELP
        + declare.layers_help(ids.OUTPUT, "Tropospheric-corrected interferograms (layers)") +
        "<b>Report</b> (CSV): per interferogram the coefficients (phase-elevation: per window: mm or radians per "
        "km of height) or the removed delay's spatial standard deviation (delay maps)."
    )

    def initAlgorithm(self, config=None):
        self.addParameter(declare.enum(self.METHOD, "Method", TROPO_METHODS))
        self.addParameter(declare.raster(self.DEM, "DEM (m, same grid; phase-elevation)", optional=True))
        self.addParameter(declare.enum(self.MODE, "Fit (phase-elevation)", MODES))
        self.addParameter(declare.integer(self.WINDOW, "Window (pixels, 0 = whole image)", 0, 0))
        self.addParameter(declare.number(self.CORRELATION_THRESHOLD,
                                         "Minimum phase-height correlation (0 = always)", 0.0, 0.0, 1.0))
        self.addParameter(declare.number(self.FILTER_PIXELS,
                                         "High-pass filter before the fit (pixels, 0 = off)", 3.0, 0.0,
                                         100.0))
        self.addParameter(declare.number(self.TREND_GUARD,
                                         "Trend guard (standard errors, per date; 0 = off)", 2.0, 0.0, 100.0))
        self.addParameter(declare.boolean(self.DEFORMING_AREAS,
                                          "Leave the deforming areas out of the fit (per date)", True))
        self.addParameter(declare.boolean(self.LATERAL_VARIATION,
                                          "Slope varying linearly across the scene", False))
        self.add_mask_inputs()
        self.addParameter(declare.file(self.DELAYS,
                                       "Zenith delay maps (m; a folder)",
                                       folder=True, optional=True))
        self.addParameter(declare.raster(self.INCIDENCE_RASTER, "Incidence raster (degrees, delay maps)",
                                         optional=True))
        self.addParameter(declare.number(ids.INCIDENCE,
                                         "Incidence angle (degrees; 0 = not given)", 0.0,
                                         0.0, 80.0))
        self.add_output_folder("Tropospheric-corrected interferograms (folder)",
                               "Tropospheric-corrected interferograms (layers)")

    def check(self, parameters, context):
        super().check(parameters, context)
        method = self.parameterAsEnum(parameters, self.METHOD, context)
        if method < 2 and not parameters.get(self.DEM) and not self._product_dem(parameters, context):
            raise GeohazardError("DEM: the phase-elevation correction needs a DEM (heights in metres on the "
                                 "interferograms' grid; a LiCSAR or HyP3 product given as INTERFEROGRAMS brings its "
                                 "own)")
        if method < 2 and self.parameterAsBool(parameters, self.LATERAL_VARIATION, context):
            if self.parameterAsEnum(parameters, self.MODE, context) != 1:
                raise GeohazardError("LATERAL_VARIATION: the lateral variation of the slope is estimated per date (how "
                                     "well the data resolve it comes from the dates' scatter): set MODE to per date")
            if self.parameterAsInt(parameters, self.WINDOW, context) > 0:
                raise GeohazardError("LATERAL_VARIATION and WINDOW are two ways of letting the slope vary across the "
                                     "scene: use one (WINDOW 0 with LATERAL_VARIATION)")
        if method == 2 and not parameters.get(self.DELAYS) and not self._product_gacos(parameters, context):
            raise GeohazardError("DELAYS: give the folder of zenith delay maps (GACOS YYYYMMDD.ztd + .rsc or GeoTIFFs; "
                                 "a LiCSAR frame given as INTERFEROGRAMS brings its own, epochs/<date>/"
                                 "<date>.sltd.geo.tif)")

    def _product_dem(self, parameters, context) -> str:
        """The DEM of the product given as INTERFEROGRAMS, on the stack's grid ("" when there is none)."""
        product = stacks.product_stack(self, parameters, context)
        return product.dem_path if product is not None else ""

    def _product_gacos(self, parameters, context) -> dict:
        """LiCSAR's GACOS slant delays of the product given as INTERFEROGRAMS ({date: path}; empty without)."""
        product = stacks.product_stack(self, parameters, context)
        return dict(product.spec.gacos) if product is not None else {}

    def process(self, parameters, context, feedback):
        method = self.parameterAsEnum(parameters, self.METHOD, context)
        v = self.values(parameters, context, self.WINDOW, self.CORRELATION_THRESHOLD, self.FILTER_PIXELS,
                        self.LATERAL_VARIATION)
        fields = dict(self.masked_fields(parameters, context, feedback, mask=method < 2), method=method, dem="",
                      window=v.WINDOW, correlation_threshold=v.CORRELATION_THRESHOLD, filter_px=v.FILTER_PIXELS,
                      lateral=v.LATERAL_VARIATION)
        if method == 2:
            inc = self.raster_path(parameters, self.INCIDENCE_RASTER, context) \
                if parameters.get(self.INCIDENCE_RASTER) else ""
            inc_deg = None if inc or not parameters.get(self.DELAYS) else acquisition.resolve_geometry(
                self, parameters, ids.INCIDENCE, context, feedback, gm.INCIDENCE_KEY, rasters=fields["stack"].paths,
                why_needed="the zenith delays are projected to the line of sight with the incidence angle; give "
                           "INCIDENCE_RASTER or a constant angle in INCIDENCE (degrees)").value
            job = troposphere.Job(**fields, delays=self.parameterAsFile(parameters, self.DELAYS, context)
                                  if parameters.get(self.DELAYS) else "", gacos=self._product_gacos(parameters, context)
                                  if not parameters.get(self.DELAYS) else {}, incidence_path=inc, incidence_deg=inc_deg)
        else:
            if not parameters.get(self.DEM):
                note = getattr(stacks.product_stack(self, parameters, context), "dem_note", "")
                feedback.pushInfo(f"DEM: the product's heights are used (DEM is empty): {note}")
            fields["dem"] = self.raster_path(parameters, self.DEM, context) if parameters.get(self.DEM) \
                else self._product_dem(parameters, context)
            job = troposphere.Job(**fields)
        return self.finish(troposphere.run(job, progress=FeedbackProgress(feedback)), feedback)
