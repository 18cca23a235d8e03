"""``geohazard:susceptibility``. Susceptibility from controlling factors: frequency ratio, logistic regression or
random forest against an inventory, validated by spatially blocked cross-validation."""

from __future__ import annotations

from ....algorithms.errors import GeohazardError
from ...inputs import declare, ids, knobs, layers, stacks
from ...inputs.feedback import FeedbackProgress
from ...lazy import lazy_module
from .._base import GeohazardAlgorithm, tool

sus_io = lazy_module("....fileio.hazard.susceptibility", __package__)
styles = lazy_module("....fileio.display.styles", __package__)

METHODS = ("Frequency ratio", "Logistic regression", "Random forest")
METHOD_NAMES = ("frequency_ratio", "logistic_regression", "random_forest")
CLASSES = ((1, "very low", "#1a9641"), (2, "low", "#a6d96a"), (3, "moderate", "#ffffbf"), (4, "high", "#fdae61"),
           (5, "very high", "#d7191c"))


@tool("susceptibility", "Susceptibility map",
      tags="susceptibility,landslide,hazard,frequency ratio,logistic regression,random forest,inventory,AUC,ROC",
      page="hazard", main=(ids.OUTPUT, "OUTPUT_CLASSES"), engine=True)
class Susceptibility(GeohazardAlgorithm):
    FACTORS = "FACTORS"
    CATEGORICAL_FACTORS = "CATEGORICAL_FACTORS"
    METHOD = "METHOD"
    BLOCK_SIZE_M = "BLOCK_SIZE_M"
    ABSENCE_BUFFER_M = "ABSENCE_BUFFER_M"
    FOLDS = "FOLDS"
    SEED = "SEED"
    MAX_SAMPLES = "MAX_SAMPLES"
    FR_CLASSES = "FR_CLASSES"
    TREES = "TREES"
    MIN_LEAF = "MIN_LEAF"
    SAVED_MODEL = "SAVED_MODEL"
    OUTPUT_CLASSES = "OUTPUT_CLASSES"
    OUTPUT_MODEL = "OUTPUT_MODEL"
    AUC = "AUC"
    HELP = (
        "Maps where events such as landslides are likely, from controlling factors (slope, lithology, land use, "
        "rainfall, distance to faults ...) weighed against an inventory of known events. It needs the factor rasters "
        "and the inventory (or a saved model), and gives a 0-1 susceptibility raster, five classes from very low to "
        "very high, an HTML report with the validation and the factors' weights, and the AUC.\n\n"
        "<b>Inventory</b>: polygons or points of known events (a landslide or ADA inventory), in any CRS. A polygon's "
        "pixels are those whose centre is inside, plus the pixel of its centroid (a small polygon keeps one); a "
        "point, its pixel. Features off the factors' grid are left out (named in a warning); an inventory entirely "
        "off it is refused.\n"
        "<b>Factors</b>: continuous rasters (slope in degrees, rainfall in mm, distance in m ...), one band each; the "
        "first sets the grid (a projected CRS in metres). <b>Categorical factors</b> (optional): rasters of class "
        "codes (lithology, land use), whole numbers, at most 50 classes. A factor on another grid or in another CRS "
        "is resampled onto the first factor's grid (bilinear for a continuous factor, nearest neighbour for class "
        "codes) and the log names it. The output has no value wherever a factor has none.\n"
        "<b>Method</b>: 0 frequency ratio: each factor cut into classes (continuous ones: FR_CLASSES classes between "
        "quantiles of the area), FR = share of the inventory in the class / share of the area in the class, "
        "LSI = sum of the factors' FR, rescaled to 0-1 by min-max over its possible range (a relative index). 1 "
        "logistic regression (scikit-learn) on standardised factors and one-hot classes: a probability in balanced "
        "samples (a relative likelihood, not the chance of an event); coefficients with Wald standard errors. 2 "
        "random forest (scikit-learn): TREES trees, balanced classes, leaves of at least MIN_LEAF samples so that no "
        "leaf remembers a single pixel, a fixed SEED; permutation importance.\n"
        "<b>Samples</b>: the inventory's pixels and as many absence pixels drawn at random farther than "
        "ABSENCE_BUFFER_M (m, default 100) from any event, and a uniform sample of the whole area (frequency ratio, "
        "class limits, curves); at most MAX_SAMPLES of each.\n"
        "<b>Validation</b>: spatially blocked cross-validation: the grid is cut into squares of BLOCK_SIZE_M (m), "
        "whole blocks go to FOLDS folds, each fold is predicted by a model fitted on the others. Random folds "
        "would test pixels next to the training pixels of the same slope and the same landslide and overstate the "
        "AUC on autocorrelated maps. BLOCK_SIZE_M = 0 (the default) takes the median practical correlation range of "
        "the continuous factors (3 x the lag where each factor's correlogram falls below 1/e), at least twice the "
        "inventory's mean feature size and ten pixels, and halves it while the inventory spans fewer than FOLDS "
        "blocks; the report says which. AUC (output) is the area under the ROC curve of these out-of-fold "
        "predictions, inventory against absences.\n"
        "<b>Model</b> (optional input): a model saved by this tool (OUTPUT_MODEL, a ZIP: model.json with the FR "
        "tables or coefficients, and a random forest's trees, which only the same scikit-learn version loads) is "
        "applied to these factors, given in the same order and kinds; METHOD and the fitting parameters are then "
        "not used, the inventory is optional and, when given, scores the model on this area. Class codes the model "
        "never saw get no value. A random forest file is unpickled: load only models you trust.\n\n"
        "<b>Outputs</b>: OUTPUT, susceptibility 0-1 (Float32); OUTPUT_CLASSES, 1 very low (the least susceptible "
        "half of the area), 2 low (50-75 %), 3 moderate (75-90 %), 4 high (90-95 %), 5 very high (top 5 %), limits "
        "from the area sample, styled with its legend; OUTPUT_REPORT, HTML: ROC curve, success- and prediction-rate "
        "curves, the classes' share of the area and of the inventory, the FR tables, coefficients or importances; "
        "OUTPUT_MODEL; AUC.\n\n"
        "References: Lee S. and Pradhan B. (2007), doi:10.1007/s10346-006-0047-y (frequency ratio); Reichenbach P. "
        "et al. (2018), doi:10.1016/j.earscirev.2018.03.001 (statistical susceptibility); Roberts D.R. et al. (2017), "
        "doi:10.1111/ecog.02881 (blocked cross-validation); Breiman L. (2001), doi:10.1023/A:1010933404324."
    )

    def initAlgorithm(self, config=None):
        self.addParameter(declare.features(self.INVENTORY, "Inventory of events (polygons or points)",
                                           ("polygon", "point"), optional=True))
        self.addParameter(declare.rasters(self.FACTORS, "Continuous factors (the first sets the grid)"))
        self.addParameter(declare.rasters(self.CATEGORICAL_FACTORS, "Categorical factors (class codes)",
                                          optional=True))
        self.addParameter(declare.enum(self.METHOD, "Method", list(METHODS), 1))
        self.addParameter(declare.number(self.BLOCK_SIZE_M, "Validation block size (m; 0 = automatic)", 0.0, 0.0))
        self.addParameter(declare.number(self.ABSENCE_BUFFER_M, "Absences farther than (m) from any event", 100.0, 0.0))
        self.addParameter(declare.integer(self.FOLDS, "Cross-validation folds", 5, 2, 20, advanced=True))
        self.addParameter(declare.integer(self.SEED, "Random seed", 0, 0, advanced=True))
        self.addParameter(declare.integer(self.MAX_SAMPLES, "Samples of each kind at most", 10000, 100, 1000000,
                                          advanced=True))
        self.addParameter(declare.integer(self.FR_CLASSES, "Frequency ratio: classes of a continuous factor", 10, 2,
                                          50, advanced=True))
        self.addParameter(declare.integer(self.TREES, "Random forest: trees", 100, 10, 2000, advanced=True))
        self.addParameter(declare.integer(self.MIN_LEAF, "Random forest: samples in a leaf at least", 5, 2, 1000,
                                          advanced=True))
        self.addParameter(declare.file(self.SAVED_MODEL, "Saved model to apply (from OUTPUT_MODEL)", extension="zip",
                                       optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT, "Susceptibility (0-1)"))
        self.addParameter(declare.raster_out(self.OUTPUT_CLASSES, "Susceptibility classes", optional=True))
        self.addParameter(declare.file_out(self.OUTPUT_REPORT, "Report", "HTML files (*.html)", optional=True))
        self.addParameter(declare.file_out(self.OUTPUT_MODEL, "Saved model", "Susceptibility model (*.zip)",
                                           optional=True, create=False))
        from qgis.core import QgsProcessingOutputNumber

        self.addOutput(QgsProcessingOutputNumber(self.AUC, self.tr("AUC (out-of-fold, spatial blocks)")))

    def check(self, parameters, context):
        if not parameters.get(self.INVENTORY) and not parameters.get(self.SAVED_MODEL):
            raise GeohazardError(f"{self.INVENTORY}: give an inventory of events to learn from (or a saved "
                                 f"{self.SAVED_MODEL})")

    def process(self, parameters, context, feedback):
        v = self.values(parameters, context, self.METHOD, self.BLOCK_SIZE_M, self.ABSENCE_BUFFER_M, self.FOLDS,
                        self.SEED, self.MAX_SAMPLES, self.FR_CLASSES, self.TREES, self.MIN_LEAF)
        cont = stacks.raster_list_paths(self, parameters, self.FACTORS, context)
        cats = stacks.raster_list_paths(self, parameters, self.CATEGORICAL_FACTORS, context) \
            if parameters.get(self.CATEGORICAL_FACTORS) else []
        grid = sus_io.raster_info(cont[0], self.FACTORS)
        inventory = layers.polygons_wkb(self, parameters, self.INVENTORY, context, grid.crs_wkt) \
            if parameters.get(self.INVENTORY) else None
        out = {k: layers.optional_file(self, parameters, k, context) for k in (self.OUTPUT_REPORT, self.OUTPUT_MODEL)}
        paths = layers.output_paths(self, parameters, (self.OUTPUT, self.OUTPUT_CLASSES), context,
                                    optional=(self.OUTPUT_CLASSES,))
        job = sus_io.SusceptibilityJob(
            cont + cats, [False] * len(cont) + [True] * len(cats), inventory, METHOD_NAMES[v.METHOD], v.BLOCK_SIZE_M,
            v.ABSENCE_BUFFER_M, v.FOLDS, v.SEED, v.MAX_SAMPLES, v.FR_CLASSES, v.TREES, v.MIN_LEAF,
            parameters.get(self.SAVED_MODEL) or "", paths[self.OUTPUT], paths.get(self.OUTPUT_CLASSES, ""),
            out[self.OUTPUT_REPORT], out[self.OUTPUT_MODEL])
        res = sus_io.run_susceptibility(job, run=knobs.run_settings(self, parameters, context),
                                        progress=FeedbackProgress(feedback))
        styles.style_raster_sequential(paths[self.OUTPUT], context=context, vmin=0.0, vmax=1.0, ramp_name="YlOrRd")
        results = {self.OUTPUT: paths[self.OUTPUT], **{k: p for k, p in out.items() if p}}
        if job.output_classes:
            styles.style_raster_classified(job.output_classes, list(CLASSES),
                                           context=context)
            results[self.OUTPUT_CLASSES] = job.output_classes
        if res["auc"] is not None:
            feedback.pushInfo(self.note(f"AUC {res['auc']:.3f}"))
            results[self.AUC] = res["auc"]
        return results
