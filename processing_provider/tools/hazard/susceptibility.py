"""``geohazard:susceptibility``. Susceptibility from controlling factors: frequency ratio, logistic regression or
random forest against an inventory, validated by repeated spatial cross-validation."""

from __future__ import annotations

import os

from ....algorithms.errors import GeohazardError
from ....fileio.base.raster import raster_info
from ....fileio.display import styles
from ....fileio.hazard import susceptibility as sus_io
from ...inputs import declare, knobs, layers, stacks
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool

METHODS = ("Frequency ratio", "Logistic regression", "Random forest")
METHOD_NAMES = ("frequency_ratio", "logistic_regression", "random_forest")
CLASSES = ((1, "very low", "#1a9641"), (2, "low", "#a6d96a"), (3, "moderate", "#ffffbf"), (4, "high", "#fdae61"),
           (5, "very high", "#d7191c"))


@tool("susceptibility", "Susceptibility map",
      tags="susceptibility,landslide,hazard,frequency ratio,logistic regression,random forest,inventory,AUC,ROC",
      page="hazard", main=("OUTPUT_CLASSES",), engine=True)
class Susceptibility(GeohazardAlgorithm):
    FACTORS = "FACTORS"
    CATEGORICAL_FACTORS = "CATEGORICAL_FACTORS"
    METHOD = "METHOD"
    BLOCK_SIZE_M = "BLOCK_SIZE_M"
    ABSENCE_BUFFER_M = "ABSENCE_BUFFER_M"
    BUFFER_M = "BUFFER_M"
    FOLDS = "FOLDS"
    SEED = "SEED"
    MAX_SAMPLES = "MAX_SAMPLES"
    FR_CLASSES = "FR_CLASSES"
    TREES = "TREES"
    MIN_LEAF = "MIN_LEAF"
    SAVED_MODEL = "SAVED_MODEL"
    REPEATS = "REPEATS"
    ABSENCE = "ABSENCE"
    STUDY_AREA = "STUDY_AREA"
    OUTPUT_CLASSES = "OUTPUT_CLASSES"
    OUTPUT_MODEL = "OUTPUT_MODEL"
    AUC = "AUC"
    AUC_SD = "AUC_SD"
    AUC_POOLED = "AUC_POOLED"
    BLOCK_SIZE_USED_M = "BLOCK_SIZE_USED_M"
    BUFFER_USED_M = "BUFFER_USED_M"
    AUC_FOLDS = "AUC_FOLDS"
    PARTITIONS = "PARTITIONS"
    HELP = (
        "Maps where events such as landslides are likely, from controlling factors (slope, lithology, land use, "
        "rainfall, distance to faults ...) weighed against an inventory of known events. It needs the factor rasters "
        "and the inventory (or a saved model), and gives a 0-1 susceptibility raster, five classes from very low to "
        "very high, an HTML report with the validation and the factors' weights, and the AUC.\n\n"
        "<b>Inventory</b>: polygons or points of known events (a landslide or ADA inventory), in any CRS. A polygon's "
        "pixels are those whose centre is inside, plus the pixel of its centroid (a small polygon keeps one); a "
        "point, its pixel. A polygon is one event: validation never puts part of it in training and part in test. "
        "Features off the factors' grid are left out (named in a warning); an inventory entirely off it is refused.\n"
        "<b>ABSENCE</b> (optional): surveyed non-event points or polygons (places checked to hold no event). Given, "
        "the absence samples are drawn from them only; else at random farther than ABSENCE_BUFFER_M (m, default "
        "100) from any event. <b>STUDY_AREA</b> (optional): polygons of the area studied; nothing is sampled or "
        "mapped outside (the output has no value there), and events or absences outside are left out.\n"
        "<b>Factors</b>: continuous rasters (slope in degrees, rainfall in mm, distance in m ...), one band each, or "
        "a folder of them (its rasters in name order); the first sets the grid (a projected CRS in metres). "
        "<b>Categorical factors</b> (optional): rasters (or a folder) of class codes (lithology, land use), whole "
        "numbers, at most 50 classes. A factor on another grid or in another CRS is resampled onto the first "
        "factor's grid (bilinear for a continuous factor, nearest neighbour for class codes) and the log names it. "
        "The output has no value wherever a factor has none.\n"
        "<b>Method</b>: 0 frequency ratio: each factor cut into classes (continuous ones: FR_CLASSES classes between "
        "quantiles of the area), FR = share of the inventory in the class / share of the area in the class, "
        "LSI = sum of the factors' FR, rescaled to 0-1 by min-max over its possible range (a relative index); it "
        "needs numpy only. 1 logistic regression (scikit-learn) on standardised factors and one-hot classes: a "
        "probability in balanced samples (a relative likelihood, not the chance of an event); coefficients with Wald "
        "standard errors. 2 random forest (scikit-learn): TREES trees, balanced classes, leaves of at least "
        "MIN_LEAF samples so that no leaf remembers a single pixel, a fixed SEED. Methods 1 and 2 without "
        "scikit-learn stop with the line that installs it.\n"
        "<b>Samples</b>: the inventory's pixels and as many absence pixels, and a uniform sample of the whole area "
        "(frequency ratio, class limits, curves); at most MAX_SAMPLES of each.\n"
        "<b>Validation</b>: cross-validation, spatial where it must be. BLOCK_SIZE_M = 0 (the default): a Monte Carlo "
        "test asks whether the events cluster more than the factors explain (their pair counts against events drawn "
        "from a logistic intensity of the factors, 99 simulations, 5 %; the log gives p and the distance). If they "
        "do, neighbouring events share something a model could remember: the samples' coordinates are split into "
        "FOLDS clusters by k-means, as sperrorest and mlr3 do (an event is one unit). If not, the events and "
        "absences are dealt to FOLDS folds at random: spatial folds would then make each model extrapolate and "
        "understate the map's skill in this area (Wadoux et al. 2021). BLOCK_SIZE_M > 0: "
        "the grid is cut into squares of that side (m), dealt whole to FOLDS folds. Each fold is predicted by a model "
        "fitted on the others, less the samples within <b>BUFFER_M</b> (m) of the fold (an exclusion zone, as "
        "sperrorest's and blockCV's buffers): near the fold's edge the factors are still alike, and a model would "
        "score those events from memory. BUFFER_M = -1 (the default): 0 with random folds, else the median of the "
        "continuous factors' correlation ranges (where a factor's semivariogram over the area sample reaches 95 % "
        "of its variance; blockCV's rule), at most half a fold's size; the log gives each factor's range; 0: no "
        "buffer. The partition "
        "is drawn REPEATS times (default 10), a partition equal to an earlier one drawn again (PARTITIONS: the "
        "distinct ones). Held-out events are scored against the held-out surveyed absences (ABSENCE), else against "
        "the fold's area off the inventory (absences drawn beyond ABSENCE_BUFFER_M would leave out the places most "
        "like the events). <b>AUC</b>: all folds' held-out values pooled, each as the share of the study area that "
        "its fold's model ranks lower (the area under the prediction-rate curve of unseen events, what an "
        "independent inventory measures), mean over the partitions; <b>AUC_SD</b> its standard deviation over "
        "them; <b>AUC_FOLDS</b> the mean of the folds' own AUCs (sperrorest's figure; lower where a fold spans a "
        "narrow range of the factors); <b>AUC_POOLED</b> the raw values pooled (five models' scales mixed); "
        "<b>BLOCK_SIZE_USED_M</b> the block side, for k-means the side of a square of a fold's mean area, 0 for "
        "random folds; "
        "<b>BUFFER_USED_M</b>. Report e.g. \u201cAUC 0.77 \u00b1 0.01 (spatial k-means CV, 5 folds, 10 partitions, "
        "buffer 80 m)\u201d. The report lists each fold's events and negatives and flags folds with fewer than 10 "
        "of either.\n"
        "<b>SAVED_MODEL</b> (optional input): a model saved by this tool (OUTPUT_MODEL, a ZIP: model.json with the "
        "FR tables or coefficients, and a random forest's trees, which only the same scikit-learn version loads; "
        "the model.json alone also serves for frequency ratio and logistic regression) is applied to these factors, "
        "given in the same order and kinds (a factor whose values are unlike the model's factor at its place and "
        "like another's is refused); METHOD and the fitting parameters are then not used, the inventory is optional "
        "and, when given, scores the model on this area. Class codes the model never saw get no value. A random "
        "forest file is unpickled: load only models you trust.\n\n"
        "<b>Outputs</b>: OUTPUT, susceptibility 0-1 (Float32); OUTPUT_CLASSES, 1 very low (the least susceptible "
        "half of the area), 2 low (50-75 %), 3 moderate (75-90 %), 4 high (90-95 %), 5 very high (top 5 %), limits "
        "from the area sample, styled with its legend and shown on top; OUTPUT_REPORT, HTML: the validation per "
        "repeat and fold, ROC curve, success- and prediction-rate curves, the classes' share of the area and of the "
        "inventory, the FR tables, coefficients or importances; OUTPUT_MODEL; AUC, AUC_SD, AUC_FOLDS, AUC_POOLED, "
        "BLOCK_SIZE_USED_M, BUFFER_USED_M, PARTITIONS.\n\n"
        "References: Lee S. and Pradhan B. (2007), doi:10.1007/s10346-006-0047-y (frequency ratio); Reichenbach P. "
        "et al. (2018), doi:10.1016/j.earscirev.2018.03.001 (statistical susceptibility); Roberts D.R. et al. (2017), "
        "doi:10.1111/ecog.02881 (blocked cross-validation); Brenning A. (2012), doi:10.1109/IGARSS.2012.6352393 "
        "(sperrorest, k-means partitions); Valavi R. et al. (2019), doi:10.1111/2041-210X.13107 (blockCV, buffers); "
        "Wadoux A.M.J.-C. et al. (2021), doi:10.1016/j.ecolmodel.2021.109692 (when spatial folds are pessimistic); "
        "Baddeley A. et al. (2000), doi:10.1111/1467-9574.00144 (clustering beyond an inhomogeneous intensity); "
        "Breiman L. (2001), doi:10.1023/A:1010933404324."
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
        self.addParameter(declare.number(self.BUFFER_M, "Validation buffer around test folds (m; -1 = automatic)",
                                         -1.0, -1.0))
        self.addParameter(declare.integer(self.FOLDS, "Cross-validation folds", 5, 2, 20, advanced=True))
        self.addParameter(declare.integer(self.SEED, "Random seed", 0, 0, advanced=True))
        self.addParameter(declare.integer(self.MAX_SAMPLES, "Samples of each kind at most", 10000, 100, 1000000,
                                          advanced=True))
        self.addParameter(declare.integer(self.FR_CLASSES, "Frequency ratio: classes of a continuous factor", 10, 2,
                                          50, advanced=True))
        self.addParameter(declare.integer(self.TREES, "Random forest: trees", 100, 10, 2000, advanced=True))
        self.addParameter(declare.integer(self.MIN_LEAF, "Random forest: samples in a leaf at least", 5, 2, 1000,
                                          advanced=True))
        self.addParameter(declare.file(self.SAVED_MODEL, "Saved model to apply (from OUTPUT_MODEL)",
                                       file_filter="Susceptibility model (*.zip *.json)", optional=True))
        self.addParameter(declare.integer(self.REPEATS, "Cross-validation repeats (independent partitions)", 10, 1,
                                          1000, advanced=True))
        self.addParameter(declare.features(self.ABSENCE, "Surveyed absences (points or polygons)",
                                           ("polygon", "point"), optional=True))
        self.addParameter(declare.features(self.STUDY_AREA, "Study area (polygons)", "polygon", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT, "Susceptibility (0-1)"))
        self.addParameter(declare.raster_out(self.OUTPUT_CLASSES, "Susceptibility classes", optional=True))
        self.addParameter(declare.file_out(self.OUTPUT_REPORT, "Report", "HTML files (*.html)", optional=True))
        from qgis.core import QgsProcessingOutputNumber, QgsProcessingParameterFileDestination

        # a plain file output (QGIS's outputFile), which the modeler offers to SAVED_MODEL of a later step
        self.addParameter(QgsProcessingParameterFileDestination(self.OUTPUT_MODEL, self.tr("Saved model"),
                                                                "Susceptibility model (*.zip)", optional=True,
                                                                createByDefault=False))
        for pid, label in ((self.AUC, "AUC (spatial CV: held-out events against the area, mean over partitions)"),
                           (self.AUC_SD, "AUC standard deviation over partitions"),
                           (self.AUC_POOLED, "AUC of the pooled out-of-fold values"),
                           (self.BLOCK_SIZE_USED_M, "Validation block size used (m)"),
                           (self.BUFFER_USED_M, "Validation buffer used (m)"),
                           (self.AUC_FOLDS, "Mean of the folds' own AUCs"),
                           (self.PARTITIONS, "Distinct partitions of the validation")):
            self.addOutput(QgsProcessingOutputNumber(pid, self.tr(label)))

    def check(self, parameters, context):
        if not parameters.get(self.INVENTORY) and not parameters.get(self.SAVED_MODEL):
            raise GeohazardError(f"{self.INVENTORY}: give an inventory of events to learn from (or a saved "
                                 f"{self.SAVED_MODEL})")

    def process(self, parameters, context, feedback):
        v = self.values(parameters, context, self.METHOD, self.BLOCK_SIZE_M, self.ABSENCE_BUFFER_M, self.BUFFER_M,
                        self.FOLDS,
                        self.SEED, self.MAX_SAMPLES, self.FR_CLASSES, self.TREES, self.MIN_LEAF, self.REPEATS)
        cont = self._factor_paths(parameters, self.FACTORS, context)
        cats = self._factor_paths(parameters, self.CATEGORICAL_FACTORS, context)
        crs_wkt = raster_info(cont[0], self.FACTORS).crs_wkt
        inventory, absence, area = (layers.polygons_wkb(self, parameters, k, context, crs_wkt)
                                    if parameters.get(k) else None
                                    for k in (self.INVENTORY, self.ABSENCE, self.STUDY_AREA))
        files = {k: layers.optional_file(self, parameters, k, context) for k in (self.OUTPUT_REPORT, self.OUTPUT_MODEL)}
        paths = layers.output_paths(self, parameters, (self.OUTPUT, self.OUTPUT_CLASSES), context,
                                    optional=(self.OUTPUT_CLASSES,))
        job = sus_io.Job(
            factors=cont + cats, categorical=[False] * len(cont) + [True] * len(cats), inventory=inventory,
            method=METHOD_NAMES[v.METHOD], block_size_m=v.BLOCK_SIZE_M, buffer_m=v.ABSENCE_BUFFER_M,
            fold_buffer_m=v.BUFFER_M, folds=v.FOLDS,
            seed=v.SEED, max_samples=v.MAX_SAMPLES, n_bins=v.FR_CLASSES, trees=v.TREES, min_leaf=v.MIN_LEAF,
            model_in=parameters.get(self.SAVED_MODEL) or "", output=paths[self.OUTPUT],
            output_classes=paths.get(self.OUTPUT_CLASSES, ""), output_report=files[self.OUTPUT_REPORT],
            output_model=files[self.OUTPUT_MODEL], absence=absence, study_area=area, repeats=v.REPEATS,
            settings=knobs.run_settings(self, parameters, context))
        outcome = sus_io.run(job, progress=FeedbackProgress(feedback))
        styles.style_raster_sequential(job.output, context=context, vmin=0.0, vmax=1.0, ramp_name="YlOrRd")
        if job.output_classes:
            styles.style_raster_classified(job.output_classes, list(CLASSES), context=context)
        return self.finish(outcome, feedback)

    def _factor_paths(self, parameters, name, context) -> list:
        """The rasters of FACTORS or CATEGORICAL_FACTORS: files and layers as given, a folder's rasters in name
        order; refused when a folder holds none, or (FACTORS) when nothing is given."""
        paths, rest = [], []
        for item in stacks.raw_list(parameters.get(name)):
            if isinstance(item, str) and os.path.isdir(item):
                paths += sus_io.folder_rasters(name, item)
            else:
                rest.append(item)
        if rest:
            listed = stacks.raster_list_paths(self, {name: rest}, name, context)
            if not listed:
                raise GeohazardError(f"{name}: {rest!r} names no raster file or layer QGIS can open")
            paths += listed
        if not paths and name == self.FACTORS:
            raise GeohazardError(f"{name}: give at least one raster (or a folder of rasters)")
        return paths

    def input_raster_files(self, parameters, context) -> dict:
        """The factor files behind folders (the guard keeps outputs off them)."""
        return {k: self._factor_paths(parameters, k, context) for k in (self.FACTORS, self.CATEGORICAL_FACTORS)}
