"""``geohazard:basindetection``. Basin detection: subsidence basins outlined in wrapped interferograms or velocity
maps by a learned detector, anomalies outlined on phase-gradient maps."""

from __future__ import annotations

from ....fileio.display import styles
from ....fileio.interferograms import basindetection as basins
from ...inputs import declare, ids, knobs, stacks
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("basindetection", "Subsidence basin detection",
      tags="detection,subsidence,basin,mining,landslide,wrapped,interferogram,phase gradient,machine learning",
      page="interferograms", engine=True)
class BasinDetection(GeohazardAlgorithm):
    INPUT_TYPE = "INPUT_TYPE"
    MIN_SIZE_M = "MIN_SIZE_M"
    FRINGE_MM = "FRINGE_MM"
    ANOMALY_SIGMAS = "ANOMALY_SIGMAS"
    HELP = (
        "Outlines subsidence basins in wrapped interferograms (or in a velocity map, wrapped for the purpose) with "
        "a detector learned from simulated basins, and anomalies on a phase-gradient map (landslides) by a robust "
        "threshold. It needs the interferograms or the map and gives polygons with a score, the date pair and the "
        "diameter.\n\n"
        "<b>Input</b>: wrapped interferograms (phase in radians -pi..pi, or complex; unwrapped phase is wrapped "
        "again, phase in degrees is refused), rasters or a folder, each named with its date pair (YYYYMMDD_YYYYMMDD), "
        "or a product as delivered (LiCSAR, HyP3 ...: docs/products.md); or one velocity raster (mm/yr) or one "
        "phase-gradient map (the output of phasegradientstacking), chosen in <b>Input type</b>. A velocity map in "
        "which nothing is found and whose values stay below 0.5 gets a warning: it may be in m/yr.\n"
        "<b>Smallest feature</b> (MIN_SIZE_M, m): the diameter of the smallest basin or anomaly reported (windows "
        "smaller are not scored).\n"
        "<b>Fringe of a velocity map</b> (mm/yr): a velocity raster is wrapped at this rate per fringe (28 mm/yr: "
        "about Sentinel-1's half wavelength over a year) and searched like an interferogram.\n"
        "<b>Anomaly threshold</b> (gradient maps): pixels above the median + k x 1.4826 MAD are joined.\n\n"
        "<b>Output</b>: polygons with SCORE (the detector's probability 0-1; for a gradient map the share of the "
        "map's pixels below the anomaly's median), PAIR (the interferogram's date pair YYYYMMDD_YYYYMMDD, NULL for "
        "a velocity or gradient map) and DIAMETER_M (m).\n\n"
        "Method: the wrapped phase gradient, taken at full resolution, is averaged into a pyramid (2 x 2 means: a "
        "basin's dense fringes stay visible at the level of its size); windows of 4 and 6 pixels at each level are "
        "described by rotation-invariant features of the gradient (fringe rate, radial and tangential shares, depth, "
        "anisotropy, roughness, coherence, contrast with the ring around, radial symmetry over eight sectors) and "
        "scored by a small neural network (scikit-learn MLPClassifier) trained by "
        "models/detector/train_basin_detector.py on simulated frames (algorithms/interferograms/basin_sim.py): "
        "probability-integral panels, Gaussian, lobed and asymmetric basins of 2-6 fringes and 6-60 px radius, "
        "power-law atmosphere (exponent 1.6-3.8, 0.3-2 rad), topographic stratification up to two fringes, patchy "
        "noise, decorrelated patches, one-fringe ramps and single-fringe atmospheric blobs; the shipped model "
        "(models/detector/basin_detector.json: weights, scaling, threshold, seed, recipe) runs with numpy alone. "
        "Non-maximum suppression keeps the best window of each basin; windows whose circles overlap are joined: one "
        "polygon per basin and pair (a circle, or the convex hull of the joined circles).\n"
        "Held-out precision / recall, on 100 frames each of two generators written apart from the training one "
        "(benchmarks/interferograms/basin_generalisation.py): Mogi, lobed and skewed basins in octave-noise "
        "atmosphere with coherence speckle, 0.93 / 0.94; elliptic and flat-bottomed basins in "
        "power-law screens over a real DEM's stratification, 0.97 / 0.97. The detector wants "
        "about two fringes: look at how many pairs show a basin.\n"
        "References: probability-integral method, Knothe S. (1957), as used by Yang Z. et al. (2018) "
        "doi:10.3390/rs10030372; phase-gradient maps, Fu Y. et al. (2022) doi:10.3389/fenvs.2022.963322."
    )
    FOLDER_INPUTS = (ids.INPUT,)
    COMPLEX_INPUTS = (ids.INPUT,)
    MULTIBAND_INPUTS = ()
    input_raster_files = stacks.wrapped_raster_files
    KINDS = ["Wrapped interferograms (radians or complex)", "Velocity (mm/yr)", "Phase-gradient map"]

    def initAlgorithm(self, config=None):
        self.addParameter(declare.rasters(self.INPUT, "Interferograms, velocity or phase-gradient map"))
        self.addParameter(declare.enum(self.INPUT_TYPE, "Input type", self.KINDS))
        self.addParameter(declare.number(self.MIN_SIZE_M, "Smallest feature (diameter, m)", 250.0, 0.0))
        self.addParameter(declare.number(self.FRINGE_MM, "Fringe of a velocity map (mm/yr)", 28.0, 0.1,
                                         advanced=True))
        self.addParameter(declare.number(self.ANOMALY_SIGMAS, "Anomaly threshold of a gradient map (robust sigmas)",
                                         3.0, 0.5, advanced=True))
        self.addParameter(declare.vector_out(self.OUTPUT, "Detected basins and anomalies", "polygon"))

    def process(self, parameters, context, feedback):
        v = self.values(parameters, context, self.INPUT_TYPE, self.MIN_SIZE_M, self.FRINGE_MM, self.ANOMALY_SIGMAS)
        stack = stacks.wrapped_stack(self, parameters, context, feedback=feedback) if v.INPUT_TYPE == 0 else None
        job = basins.Job(
            kind=basins.KINDS[v.INPUT_TYPE],
            paths=tuple(stack.paths if stack else stacks.raster_list_paths(self, parameters, self.INPUT, context)),
            pairs=tuple(stack.pairs) if stack else (), info=stack.info if stack else None,
            output=self.parameterAsOutputLayer(parameters, self.OUTPUT, context),
            settings=knobs.run_settings(self, parameters, context), min_size_m=v.MIN_SIZE_M,
            fringe_mm=v.FRINGE_MM, anomaly_sigmas=v.ANOMALY_SIGMAS, name=self.INPUT)
        outcome = basins.run(job, progress=FeedbackProgress(feedback))
        styles.style_vector_graduated(job.output, "SCORE", context=context, vmin=0.0, vmax=1.0, ramp_name="Reds",
                                      decimals=2)
        return self.finish(outcome, feedback)
