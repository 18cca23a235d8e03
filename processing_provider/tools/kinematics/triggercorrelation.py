"""``geohazard:triggercorrelation``. Deformation vs trigger: lagged correlation of displacement series with a rainfall
or water-level series."""

from __future__ import annotations

from ....algorithms.errors import GeohazardError
from ....algorithms.kinematics import triggers as _tr
from ....fileio.kinematics import triggercorrelation as io_trig
from ...inputs import declare, ids, knobs, layers
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool

#: the responses' labels in the dialog, by the core's names (their order: the core's)
RESPONSE_LABELS = {"rate": "Displacement rate", "detrended": "Detrended displacement"}


@tool("triggercorrelation", "Deformation vs trigger (lagged correlation)",
      tags="rainfall,trigger,antecedent,water level,lag,cross-correlation,seasonal,landslide", page="kinematics",
      engine=True)
class TriggerCorrelation(GeohazardAlgorithm):
    INPUT_RASTER = "INPUT_RASTER"
    DRIVER_CSV = "DRIVER_CSV"
    DRIVER_KIND = "DRIVER_KIND"
    RESPONSE = "RESPONSE"
    OUTPUT_RASTER = "OUTPUT_RASTER"
    OUTPUT_PLOT = "OUTPUT_PLOT"
    STEP_DAYS = "STEP_DAYS"
    TAU_DAYS = "TAU_DAYS"
    MAX_LAG_DAYS = "MAX_LAG_DAYS"
    HELP = (
        "Relates deformation time series to a driver (rainfall or a water level) by lagged correlation. It needs "
        "the deformation (points or ADA polygons with dated fields, or a raster with dated bands; mm) and the "
        "driver as a CSV (date,value). It gives, per feature or cell, the best lag with its signed correlation and "
        "p-values, trend and seasonal terms per feature, and an optional plot.\n\n"
        "<b>Method</b>: the deformation is related to a driver series from a CSV (columns date,value): rainfall (flux, "
        "summed per step; with TAU_DAYS > 0 the antecedent index A_t = k A_(t-1) + R_t, k = exp(-1/TAU_DAYS)) or "
        "a level (state, interpolated). Deformation: INPUT, points or ADA polygons with dated fields "
        "YYYYMMDD/DYYYYMMDD (mm), or INPUT_RASTER, a multi-band raster whose band descriptions are dates (mm).\n"
        "Both go on a common axis of STEP_DAYS bins over their overlap; the response is the velocity (mm/yr) or the "
        "detrended displacement. For lags 0..MAX_LAG_DAYS (driver leading) the Pearson correlation is computed; "
        "the best lag is the one of the largest |r|, of either sign: corr_sign is +1 where the response rises with "
        "the driver, -1 where it falls (a slope facing the sensor moving away as rain rises; subsidence as the "
        "water level drops). Its two-sided p-value comes from Student's t with the effective sample size of two "
        "autocorrelated series (Bretherton et al. 1999, doi:10.1175/1520-0442(1999)012<1990:TENOSD>2.0.CO;2), "
        "Bonferroni-corrected over the lags tried; a best lag on the largest lag tried is warned about. Features "
        "are also decomposed into trend + annual/semi-annual harmonics (velocity, annual amplitude and peak day; "
        "at least 8 dates over 365 days, else empty and the log says why).\nDriver checks: a date given twice "
        "with different values is refused (the same value twice is kept once, with a warning); rainfall (flux) "
        "cannot be negative; a level (state) can. Driver gaps: missing days make their bins (and the antecedent "
        "index, until its memory fades below 5 %) missing; their number is reported.\nOutputs: OUTPUT layer "
        "(best_lag_days, best_r (signed), corr_sign, p, p_corrected, n_eff, velocity, annual_amplitude, "
        "annual_peak_doy); OUTPUT_RASTER (bands best lag, best r (signed), p, p corrected); optional PNG of the "
        "mean series (OUTPUT_PLOT).\n"
        "<b>Defaults</b>: STEP_DAYS 12 (the Sentinel-1 repeat), MAX_LAG_DAYS 180 (half a year: seasonal drivers), "
        "TAU_DAYS 0 (plain rainfall sums per step).")
    KEY_OUTPUT_FIELDS = {ids.OUTPUT: ("best_r",)}
    CRS_FREE_INPUTS = (ids.INPUT,)  # the geometry is copied, never used
    MULTIBAND_INPUTS = ("INPUT_RASTER",)

    def initAlgorithm(self, config=None):
        self.addParameter(declare.features(self.INPUT, "Deformation (dated fields)", "table", optional=True))
        self.addParameter(declare.raster(self.INPUT_RASTER, "Deformation raster (dated bands)", optional=True))
        self.addParameter(declare.file(self.DRIVER_CSV, "Driver CSV (date,value)", extension="csv"))
        self.addParameter(declare.enum(self.DRIVER_KIND, "Driver kind", ["flux (rainfall)", "state (water level)"]))
        self.addParameter(declare.enum(self.RESPONSE, "Response", [RESPONSE_LABELS[r] for r in _tr.RESPONSES]))
        for key, label, val in ((self.STEP_DAYS, "Step (days)", 12.0),
                                (self.TAU_DAYS, "Antecedent decay (days, 0 = off)", 0.0),
                                (self.MAX_LAG_DAYS, "Largest lag (days)", 180.0)):
            self.addParameter(declare.number(key, label, val, 0.0))
        self.addParameter(declare.vector_out(self.OUTPUT, "Correlation per feature", optional=True, create=False))
        self.addParameter(declare.raster_out(self.OUTPUT_RASTER, "Correlation per cell", optional=True, create=False))
        self.addParameter(declare.file_out(self.OUTPUT_PLOT, "Plot", "PNG (*.png)", optional=True, create=False))

    def process(self, parameters, context, feedback):
        if bool(parameters.get(self.INPUT)) == bool(parameters.get(self.INPUT_RASTER)):
            raise GeohazardError("give either INPUT (points/polygons) or INPUT_RASTER (dated bands)")
        tau = self.parameterAsDouble(parameters, self.TAU_DAYS, context)
        opts = dict(step=self.parameterAsDouble(parameters, self.STEP_DAYS, context), tau=tau if tau > 0 else None,
                    kind=_tr.DRIVER_KINDS[self.parameterAsEnum(parameters, self.DRIVER_KIND, context)],
                    response=_tr.RESPONSES[self.parameterAsEnum(parameters, self.RESPONSE, context)],
                    max_lag=self.parameterAsDouble(parameters, self.MAX_LAG_DAYS, context))
        out_ids = {"raster": self.OUTPUT_RASTER, "features": self.OUTPUT, "plot": self.OUTPUT_PLOT}
        csv = self.parameterAsFile(parameters, self.DRIVER_CSV, context)
        if parameters.get(self.INPUT_RASTER):
            if not parameters.get(self.OUTPUT_RASTER):
                raise GeohazardError("INPUT_RASTER given: set OUTPUT_RASTER")
            job = io_trig.Job(driver_csv=csv, opts=opts, ids=out_ids, raster_name=self.INPUT_RASTER,
                              raster=self.raster_path(parameters, self.INPUT_RASTER, context),
                              raster_output=self.parameterAsOutputLayer(parameters, self.OUTPUT_RASTER, context),
                              settings=knobs.run_settings(self, parameters, context))
        else:
            if not parameters.get(self.OUTPUT):
                raise GeohazardError("INPUT given: set OUTPUT")
            job = io_trig.Job(driver_csv=csv, opts=opts, ids=out_ids, features_name=self.INPUT,
                              features=self.parameterAsSource(parameters, self.INPUT, context),
                              layer=self.parameterAsVectorLayer(parameters, self.INPUT, context),
                              output=self.parameterAsOutputLayer(parameters, self.OUTPUT, context),
                              plot=layers.optional_file(self, parameters, self.OUTPUT_PLOT, context) or "")
        return self.finish(io_trig.run(job, progress=FeedbackProgress(feedback), context=context), feedback)
