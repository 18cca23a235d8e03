"""Landslide (or any event) susceptibility from controlling factors: frequency ratio, logistic regression, random
forest, validated by spatially blocked cross-validation.

The parts, in the order a run uses them:

* :mod:`.sampling`: one pass over the factor grid (a block function and its collector) that draws the samples
  (presence pixels of the inventory, absence pixels beyond a buffer, a uniform sample of the whole area) by a
  per-pixel hash, so the samples do not depend on how the grid is cut into blocks, and checks the factors
  (constant, categorical codes that are not integers or too many);
* :mod:`.models`: the three methods fitted on samples and applied to any array of factor values the same way
  (a pixel's value depends on that pixel's factors only);
* :mod:`.partition`: the spatial folds (k-means clusters of the sample coordinates, or square blocks), the AUC
  and the ROC curve, with numpy alone;
* :mod:`.clustering`: whether the events cluster more than the factors explain (a Monte Carlo test of their pair
  counts against events drawn from the factors' intensity), which chooses spatial or random folds;
* :mod:`.autocorrelation`: the factors' correlation ranges (semivariograms of the area sample), which set the
  default buffer around a spatial test fold;
* :mod:`.validation`: repeated spatial cross-validation over distinct partitions with a test-fold buffer,
  out-of-fold predictions, ROC and success/prediction-rate
  curves, permutation importance;
* :mod:`.report`: the HTML report with its charts.
"""

from .models import FactorSpec, SusceptibilityModel, fit_model, model_from_dict
from .sampling import Samples, ScanCollector, scan_block
from .validation import SusceptibilityResult, evaluate, susceptibility

__all__ = ["FactorSpec", "SusceptibilityModel", "fit_model", "model_from_dict", "ScanCollector", "Samples",
           "scan_block", "SusceptibilityResult", "evaluate", "susceptibility"]
