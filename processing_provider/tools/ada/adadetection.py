"""``geohazard:adadetection``. ADA detection: active deformation areas (clusters of moving InSAR points) as polygons
with their velocity and reliability."""

from __future__ import annotations

import functools

from ....fileio.ada import adadetection as io_det
from ....fileio.motion import ada
from ...inputs import ada as ada_inputs
from ...inputs import declare, ids, knobs, layers
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("adadetection", "ADA detection (active deformation areas)",
      tags="ADA,active deformation areas,hotspot,velocity,landslide,subsidence,deformation,ground motion",
      main=(ids.OUTPUT,), page="ada", engine=True)
class AdaDetection(GeohazardAlgorithm):
    USE_TIME_SERIES = "USE_TIME_SERIES"
    N_SIGMA = "N_SIGMA"
    MIN_SNR = "MIN_SNR"
    RADIUS = "RADIUS"
    MIN_NEIGHBOURS = "MIN_NEIGHBOURS"
    MIN_ACTIVE_FRACTION = "MIN_ACTIVE_FRACTION"
    Z_MAX = "Z_MAX"
    MIN_POINTS = "MIN_POINTS"
    OUTLINE_MARGIN = "OUTLINE_MARGIN"
    MIN_CONTRAST = "MIN_CONTRAST"
    THRESHOLD_SIGMA = "THRESHOLD_SIGMA"
    HELP = (
        "Finds active deformation areas (ADA) in a layer of InSAR measurement points (PS, SBAS, "
        "EGMS ...): the polygons where the ground moves, how fast and how reliably.\n\n"
        "<b>Input</b>: a point layer in any CRS (geographic CRSs are handled in the local UTM zone; "
        "outputs are written in the input CRS; MintPy's velocity.h5 or timeseries.h5 become such points with "
        "loadmintpy), with at least MIN_POINTS points that have a velocity (fewer is "
        "refused: no ADA can form). A GeoPackage of several point layers (loadegms: one per track) given by its "
        "path is read layer by layer: the ADAs of each track are found on their own (tracks are never merged: "
        "their velocities are along different lines of sight), written together with a <i>layer</i> field "
        "naming the track, their ada_id running on across the tracks; give file.gpkg|layername=<layer> to read "
        "one. <b>Velocity field</b>: LOS velocity in mm/yr, positive "
        "toward the satellite (auto-detected: VEL, mean_velocity, velocity ...). <b>Velocity std</b> "
        "(optional, auto-detected V_STDEV, mean_velocity_std ...): a point must also have "
        "|v| >= MIN_SNR x std. Dated displacement fields (DYYYYMMDD or EGMS YYYYMMDD) give each "
        "ADA its mean time series and the temporal consistency; from a file layer they are read after the "
        "detection for the ADA points only (memory bounded at any layer size: a 400,000-point x 210-date "
        "layer in 0.5 GB instead of 4.4 GB; memory layers and selections read them all, up to 100 M "
        "values).\n\n"
        "Steps: (1) stability threshold: |v| >= THRESHOLD mm/yr, or N_SIGMA standard deviations of the "
        "velocity map when THRESHOLD is 0 (2 sigma, Barra et al. 2017); (2) search radius: RADIUS metres, "
        "or when RADIUS is 0 (default) 2.5 x the local point spacing of each active point (from the "
        "distance to its 16th nearest point), so each neighbourhood holds about 20 points in dense towns "
        "and in sparse countryside alike; (3) noise filtering within the radius: isolated points (fewer "
        "than MIN_NEIGHBOURS active same-sign neighbours), sparse points (same-sign active share of all "
        "points within the radius below MIN_ACTIVE_FRACTION unless the count of active neighbours is itself "
        "improbable for noise (binomial test against the larger of the map's and the local opposite-sign "
        "exceedance rate, level 1 / number of active points: keeps strips narrower than the radius), "
        "or the mean velocity of the other points "
        "within the radius less than 2.5 standard errors from zero on the point's side, or a point beyond "
        "the threshold the other way among fewer than 20 same-sign active points: removes chance "
        "exceedances in noisy stable ground) and outliers (more than Z_MAX standard deviations from "
        "their neighbours); (4) clustering: "
        "the remaining (core) same-sign active points are linked within the radius; isolated and sparse "
        "points next to a core point then join its ADA as border points (the edge of an area, where "
        "half of the neighbourhood is stable, is kept); ADAs with fewer than MIN_POINTS points (core and "
        "border) are dropped; (5) local contrast: a cluster is an ADA only when it moves relative to the ground "
        "around it: the median velocity of its points must differ from the median of its ring (the points "
        "outside every cluster between 0.5 and 1.5 R from it, R the radius of a disc holding its points) by at "
        "least MIN_CONTRAST x the threshold on its side (default 0.5, i.e. one standard deviation of the map "
        "with the 2-sigma threshold): clusters on the highs of a smooth, atmosphere-like velocity field move "
        "with their surroundings and are flagged no_contrast (a threshold you give is still honoured; 0 turns "
        "the test off); (6) outline by morphological closing of the points (follows concave shapes; "
        "OUTLINE_MARGIN metres beyond the outer points, 0 = 0.75 x the ADA's local point spacing).\n\n"
        "THRESHOLD_SIGMA (advanced): the standard deviation behind the automatic threshold: of the whole "
        "velocity map (default, as in Barra et al. 2017) or of the stable points, estimated robustly as "
        "1.4826 x the median absolute deviation (lower when much of the map moves; more sensitive, also to "
        "correlated noise). Large point sets are processed in spatial tiles with halos as wide as the largest "
        "neighbourhood (as many points per tile as the memory for one block holds: about 100 bytes a point and "
        "2 kB an active point), so tiled, untiled and Dask runs give the same result.\n\n"
        "<b>Output</b> ADA polygons: ada_id, n_points, area_m2, density_km2, mean/median/max/std "
        "velocity (mm/yr), mean_vel_std, slope_pts_deg (slope of the plane through the points' "
        "heights when a height field exists), spatial consistency sc, temporal consistency tc, "
        "quality = sc x tc and qi_class 1 (best) .. 4 (after Navarro et al. 2020), the threshold used, "
        "radius_m (the ADA's median search radius), "
        "and the mean time series (DYYYYMMDD fields, mm). <b>Output points</b>: every input point "
        "with its source fid, velocity, ada_id (-1 outside) and flag: 0 stable, 1 in an ADA, 2 isolated, 3 "
        "sparse, 4 outlier, 5 small cluster, 6 no data, 7 duplicate, 8 not significant (|v| < MIN_SNR x std), "
        "9 no contrast (a cluster moving with its surroundings).\n\n"
        "Zero ADAs is a valid result (explained in the log). References: Barra A. et al. (2017), "
        "doi:10.3390/rs9101002; Navarro J.A. et al. (2020), doi:10.3390/ijgi9100584; Tomas R. et al. (2019), "
        "doi:10.3390/rs11141675 (2-sigma threshold from the stable points)."
    )
    #: a file of several point layers given by its path is read layer by layer (no "left out" warning)
    EVERY_LAYER_INPUTS = (ids.INPUT,)

    def initAlgorithm(self, config=None):
        self.addParameter(declare.features(self.INPUT, "Measurement points", "point"))
        self.addParameter(declare.field(self.VELOCITY_FIELD,
                                        "Velocity field (mm/yr; empty = auto)",
                                        self.INPUT, numeric=True, optional=True))
        self.addParameter(declare.field(self.VELOCITY_STD_FIELD,
                                        "Velocity std. dev. (mm/yr; empty = auto)", self.INPUT,
                                        numeric=True, optional=True))
        self.addParameter(declare.boolean(self.USE_TIME_SERIES,
                                          "Use the dated displacement fields",
                                          True))
        self.addParameter(declare.number(self.THRESHOLD, "Stability threshold (mm/yr; 0 = N_SIGMA x std)",
                                         0.0, 0.0))
        self.addParameter(declare.number(self.N_SIGMA, "Threshold in standard deviations of the velocity map", 2.0,
                                         0.1))
        self.addParameter(declare.number(self.MIN_SNR, "Minimum |velocity| / std (0 = off)", 2.0, 0.0))
        self.addParameter(declare.number(self.RADIUS, "Search and link radius (m; 0 = auto)",
                                         0.0, 0.0))
        self.addParameter(declare.integer(self.MIN_NEIGHBOURS, "Minimum active neighbours within the radius", 2, 0))
        self.addParameter(declare.number(self.MIN_ACTIVE_FRACTION, "Minimum share of active points within the radius",
                                         0.4, 0.0, 1.0))
        self.addParameter(declare.number(self.Z_MAX, "Outlier z-score against neighbours (0 = off)", 3.0, 0.0))
        self.addParameter(declare.integer(self.MIN_POINTS, "Minimum points per ADA", 5, 2))
        self.addParameter(declare.number(self.OUTLINE_MARGIN, "Outline margin beyond the outer points (m; 0 = auto)",
                                         0.0, 0.0))
        self.addParameter(declare.number(self.MIN_CONTRAST, "Minimum contrast (x threshold; 0 = off)",
                                         0.5, 0.0, advanced=True))
        self.addParameter(declare.enum(self.THRESHOLD_SIGMA, "Standard deviation behind the automatic threshold",
                                       ["velocity map (all points)", "stable points (1.4826 x MAD)"], advanced=True))
        self.addParameter(declare.vector_out(self.OUTPUT, "Active deformation areas", "polygon"))
        self.addParameter(declare.vector_out(self.OUTPUT_POINTS, "Points with ADA id and flags", "point",
                                             optional=True))

    def check(self, parameters, context):
        layers.check_velocity_field(self, parameters, self.INPUT, self.VELOCITY_FIELD, context)

    def process(self, parameters, context, feedback):
        runs = ada_inputs.each_layer(self, parameters, self.INPUT, context, feedback)  # a loadegms file: each track
        job = io_det.Job(
            layers=tuple(self._layer(name, params, context) for name, params in runs),
            use_series=self.parameterAsBoolean(parameters, self.USE_TIME_SERIES, context),
            options=ada_inputs.detection_options(self, parameters, context),
            margin_m=self.parameterAsDouble(parameters, self.OUTLINE_MARGIN, context),
            output=self.parameterAsOutputLayer(parameters, self.OUTPUT, context),
            output_points=self.parameterAsOutputLayer(parameters, self.OUTPUT_POINTS, context) or "",
            settings=knobs.run_settings(self, parameters, context))
        return self.finish(io_det.run(job, progress=FeedbackProgress(feedback), context=context), feedback)

    def _layer(self, name, parameters, context):
        """The layer INPUT of ``parameters`` (one layer of a file of several) with its velocity, std and height
        fields, for the run to read."""
        layer = layers.source_layer(self, parameters, self.INPUT, context)
        vel = layers.velocity_field(self, parameters, self.VELOCITY_FIELD, layer, context)
        std = self.parameterAsString(parameters, self.VELOCITY_STD_FIELD, context) or ada.find_field(
            layer.fields(), ada.STD_CANDIDATES)
        return io_det.PointLayer(name=name, layer=layer,
                                 source=functools.partial(self.parameterAsSource, parameters, self.INPUT, context),
                                 velocity=vel, std=std, height=ada.find_field(layer.fields(), ada.HEIGHT_CANDIDATES),
                                 limited=layers.limited_source(parameters, self.INPUT))
