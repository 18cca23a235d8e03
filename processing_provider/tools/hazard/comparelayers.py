"""``geohazard:comparelayers``. Compare two layers: InSAR against a model or another product (raster or points, at
the nearest points or along a swath), their differences and the agreement statistics."""

from __future__ import annotations

from qgis.core import QgsProcessing, QgsProcessingParameterMapLayer, QgsRasterLayer

from ....algorithms.errors import GeohazardError
from ....fileio.hazard import comparelayers as io_cl
from ...inputs import declare, ids, knobs, layers
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool

_TYPES = [QgsProcessing.SourceType.TypeRaster, QgsProcessing.SourceType.TypeVectorPoint]


@tool("comparelayers", "Compare two layers (bias, RMSE, correlation, paired tests)", page="hazard",
      tags="compare,comparison,validation,bias,RMSE,NMAD,correlation,Bland-Altman,t-test,Wilcoxon,levelling,GNSS,"
           "PS,DS,model,difference,residual",
      main=("OUTPUT_RASTER", ids.OUTPUT, "OUTPUT_TABLE"), engine=True)
class CompareLayers(GeohazardAlgorithm):
    FIELD = "FIELD"
    REFERENCE_FIELD = "REFERENCE_FIELD"
    INPUT_POINTS = "INPUT_POINTS"
    REFERENCE_POINTS = "REFERENCE_POINTS"
    MAX_DISTANCE_M = "MAX_DISTANCE_M"
    LINE = "LINE"
    WIDTH = "WIDTH"
    STEP = "STEP"
    OUTPUT_RASTER = "OUTPUT_RASTER"
    OUTPUT_TABLE = "OUTPUT_TABLE"
    OUTPUT_CHART = "OUTPUT_CHART"
    BIAS = "BIAS"
    RMSE = "RMSE"
    R = "R"
    N = "N"
    HELP = (
        "Compares a layer with a reference of the same quantity: InSAR against a model (PIM, fault model), PS against "
        "DS, InSAR against levelling or GNSS, a time series against another date by date. It needs two rasters or "
        "point layers (points with a field, or dated fields); it gives their differences (INPUT minus REFERENCE) and a "
        "table of bias, RMSE, NMAD, correlation, orthogonal regression and paired tests.\n\n"
        "<b>Inputs</b>: INPUT and REFERENCE take a raster or points; points with their field go in INPUT_POINTS + "
        "FIELD and REFERENCE_POINTS + REFERENCE_FIELD (or, from scripts, in INPUT / REFERENCE with the field). Points "
        "may be in any CRS (GNSS in latitude / longitude too): they are transformed into INPUT's CRS, the log says "
        "how. A text field is refused; -9999 / -32768 values in a field are read as no data, with a warning.\n"
        "<b>Pairing</b>: raster with raster: REFERENCE is resampled (bilinear) onto INPUT's grid, every pixel where "
        "both have a value is a pair, and the differences are a raster (OUTPUT_RASTER). Points with points: each INPUT "
        "point is paired with the nearest REFERENCE point within MAX_DISTANCE_M (m; measured in INPUT's CRS, or in a "
        "local azimuthal equidistant projection when INPUT is in degrees); REFERENCE points at one position "
        "(duplicated stations) go to the first in the layer's order, said in the log. Raster with points: the raster's "
        "pixel under each point. A point result goes to OUTPUT (INPUT's points, or REFERENCE's in INPUT's CRS when "
        "INPUT is the raster), with input, reference, difference and distance_m. With LINE: the two layers are "
        "compared along a swath instead: the samples within WIDTH / 2 (m) of each line, binned every STEP (m) along "
        "it, each bin's mean of INPUT against its mean of REFERENCE (OUTPUT: one point per bin). OUTPUT_RASTER is "
        "written for two rasters, OUTPUT for points and swaths (not asked by default: tick it).\n"
        "<b>Date by date</b>: a raster whose bands are described by dates (YYYY-MM-DD) or a point layer given without "
        "a field whose fields are dated (DYYYYMMDD) is a series; two series are paired on the dates both hold, exactly "
        "(the same day; the dates of one without the other are named in the log and left out), and compared as given "
        "(both series from one reference date). OUTPUT_TABLE then has the statistics of each date (its date column) "
        "and of every pair together (date \"all\"); OUTPUT_RASTER a band of differences per date; OUTPUT, per point, "
        "the paired tests over its dates (n_dates, bias, rmse, t_test_p, wilcoxon_p) and each date's difference "
        "(diff_YYYYMMDD).\n"
        "<b>Units and sign</b>: both in one unit and sign (mm or mm/yr; LOS positive toward the satellite, vertical up "
        "positive). What each product declares is checked (a raster's UNIT and COMPONENT metadata, dated bands; a "
        "point field named VEL/velocity or a date): a velocity against a displacement, or LOS against vertical, is "
        "refused with a message saying so; two declared length units (m/yr and mm/yr) are converted to INPUT's; values "
        "hundreds of times larger on one side (m against mm) are refused where a side declares no unit.\n"
        "<b>Statistics</b> (OUTPUT_TABLE; BIAS, RMSE, R, N as outputs for a model): n; bias = mean difference; std; "
        "RMSE = sqrt(mean(d^2)) (the bias included); NMAD = 1.4826 median(|d - median(d)|); median; Pearson r; the "
        "total-least-squares line INPUT = slope x REFERENCE + intercept (orthogonal regression: both noisy); the "
        "paired Student t test (p of a zero mean difference) and the Wilcoxon signed-rank test (p of a zero median "
        "difference, zeros dropped), two-sided. Pairs are independent in these tests: on a raster neighbouring pixels "
        "are correlated, so the p values are lower bounds of the truth.\n"
        "<b>Chart</b> (OUTPUT_CHART, PNG; needs matplotlib): INPUT against REFERENCE with the 1:1 and TLS lines, and "
        "the Bland-Altman plot with the bias and its 95 % limits of agreement.\n"
        "References: Bland J.M., Altman D.G. (1986) doi:10.1016/S0140-6736(86)90837-8; Hoehle J., Hoehle M. (2009) "
        "doi:10.1016/j.isprsjprs.2009.02.003 (NMAD)."
    )
    MULTIBAND_INPUTS = (ids.INPUT, ids.REFERENCE)  # a series is compared date by date; else band 1, said
    CRS_FREE_INPUTS = ()

    def initAlgorithm(self, config=None):
        from qgis.core import QgsProcessingOutputNumber

        # a field hangs off a points-only input (QGIS 3.22's field widget crashes on an input that accepts rasters);
        # INPUT / REFERENCE given points with FIELD / REFERENCE_FIELD still work, as scripts write them
        self.addParameter(QgsProcessingParameterMapLayer(self.INPUT, "Layer to check (raster or points)",
                                                         types=_TYPES, optional=True))
        self.addParameter(declare.features(self.INPUT_POINTS, "Or: points to check, with a field", "point",
                                           optional=True))
        self.addParameter(declare.field(self.FIELD, "Their field", self.INPUT_POINTS, numeric=True, optional=True))
        self.addParameter(QgsProcessingParameterMapLayer(self.REFERENCE, "Reference (raster or points)",
                                                         types=_TYPES, optional=True))
        self.addParameter(declare.features(self.REFERENCE_POINTS, "Or: reference points, with a field", "point",
                                           optional=True))
        self.addParameter(declare.field(self.REFERENCE_FIELD, "Their field", self.REFERENCE_POINTS,
                                        numeric=True, optional=True))
        self.addParameter(declare.number(self.MAX_DISTANCE_M, "Pairing distance, points (m)", 50.0, 0.0))
        self.addParameter(declare.features(self.LINE, "Swath lines (compare along them)", "line", optional=True))
        self.addParameter(declare.number(self.WIDTH, "Swath width, full (m)", 500.0, 0.01))
        self.addParameter(declare.number(self.STEP, "Bin length along the swath (m)", 100.0, 0.01))
        self.addParameter(declare.raster_out(self.OUTPUT_RASTER, "Differences (raster, INPUT - REFERENCE)",
                                             optional=True))
        self.addParameter(declare.vector_out(self.OUTPUT, "Differences (points, INPUT - REFERENCE)", "point",
                                             optional=True, create=False))
        self.addParameter(declare.vector_out(self.OUTPUT_TABLE, "Statistics", "table"))
        self.addParameter(declare.file_out(self.OUTPUT_CHART, "Scatter and Bland-Altman chart", "PNG images (*.png)",
                                           optional=True, create=False))
        for oid, label in ((self.BIAS, "Bias (mean of INPUT - REFERENCE)"), (self.RMSE, "RMSE (bias included)"),
                           (self.R, "Pearson correlation r"), (self.N, "Number of pairs")):
            self.addOutput(QgsProcessingOutputNumber(oid, self.tr(label)))

    def input_raster_files(self, parameters, context):
        return {pid: [self.raster_path(parameters, pid, context)] for pid in (self.INPUT, self.REFERENCE)
                if parameters.get(pid) and isinstance(self.parameterAsLayer(parameters, pid, context), QgsRasterLayer)}

    def _given(self, parameters, pid) -> str:
        """The parameter that gives this side: ``pid`` or its points-only twin (one of them, not both)."""
        twin = pid + "_POINTS"
        given = [n for n in (pid, twin) if parameters.get(n)]
        if not given:
            raise GeohazardError(f"{pid}: give a raster or points ({pid}), or points with a field ({twin})")
        if len(given) == 2:
            raise GeohazardError(f"give either {pid} or {twin}, not both")
        return given[0]

    def check(self, parameters, context):
        for pid, fid in ((self.INPUT, self.FIELD), (self.REFERENCE, self.REFERENCE_FIELD)):
            name = self._given(parameters, pid)
            layer = self.parameterAsLayer(parameters, name, context) if name == pid else \
                self.parameterAsVectorLayer(parameters, name, context)
            if layer is None or isinstance(layer, QgsRasterLayer):
                continue
            field = self.parameterAsString(parameters, fid, context)
            if field:
                layers.numeric_fields(layer, fid, [field])
            elif not layers.has_dated_fields(layer):
                raise GeohazardError(f"{name} is a point layer: name its field of values in {fid} (or give a layer "
                                     "with dated fields DYYYYMMDD to compare date by date)")

    def process(self, parameters, context, feedback):
        v = self.values(parameters, context, self.FIELD, self.REFERENCE_FIELD, self.MAX_DISTANCE_M, self.WIDTH,
                        self.STEP)
        settings = knobs.run_settings(self, parameters, context)
        sides = [self._side(parameters, context, pid, fid, feedback) for pid, fid in
                 ((self.INPUT, v.FIELD), (self.REFERENCE, v.REFERENCE_FIELD))]
        outputs = {kind: (self.parameterAsOutputLayer(parameters, pid, context) if parameters.get(pid) else "")
                   for kind, pid in (("raster", self.OUTPUT_RASTER), ("points", self.OUTPUT))}
        outputs["table"] = self.parameterAsOutputLayer(parameters, self.OUTPUT_TABLE, context)
        outputs["chart"] = layers.optional_file(self, parameters, self.OUTPUT_CHART, context) or ""
        job = io_cl.Job(
            sides=tuple(sides), outputs=outputs, settings=settings, width_m=v.WIDTH, step_m=v.STEP,
            max_distance_m=v.MAX_DISTANCE_M,
            line=layers.feature_source(self, parameters, self.LINE, context) if parameters.get(self.LINE) else None,
            ids={"raster": self.OUTPUT_RASTER, "points": self.OUTPUT, "table": self.OUTPUT_TABLE,
                 "chart": self.OUTPUT_CHART, "bias": self.BIAS, "rmse": self.RMSE, "r": self.R, "n": self.N})
        return self.finish(io_cl.run(job, progress=FeedbackProgress(feedback), context=context), feedback)

    def _side(self, parameters, context, pid, field, feedback=None):
        """One product: its raster (grid, what it declares, band dates), or its points (x, y in the layer's CRS;
        the field's values, or every dated field when no field is named) and what they declare."""
        pid = self._given(parameters, pid)
        layer = self.parameterAsVectorLayer(parameters, pid, context) if pid.endswith("_POINTS") else \
            self.parameterAsLayer(parameters, pid, context)
        if isinstance(layer, QgsRasterLayer):
            return io_cl.raster_side(pid, layer.name(), self.raster_info(parameters, pid, context))
        if layer is None:
            raise GeohazardError(f"{pid}: {parameters.get(pid)!r} is not a raster or point layer QGIS can read")
        fields = layers.numeric_fields(layer, pid, [field]) if field else layers.dated_point_fields(layer, pid)
        table = layers.read_point_table(self, parameters, pid, context, [f for f, _ in fields] if not field
                                        else [field], feedback=feedback)
        if table.crs is None or not table.crs.isValid():
            raise GeohazardError(f"{pid}: the layer has no CRS; assign its CRS (Layer Properties > Source) so that "
                                 "its points can be paired")
        kind = io_cl.field_kind(field, layer.name()) if field else io_cl.series_kind(fields, layer.name())
        return {"pid": pid, "name": layer.name(), "info": None, "table": table, "field": field,
                "fields": None if field else fields, "kind": kind}
