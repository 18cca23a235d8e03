"""``geohazard:adaclassification``. ADA classification: the likely process behind each active deformation area
(landslide, subsidence, sinkhole, settlement, thermal dilation, uplift) by ordered rules, each explained."""

from __future__ import annotations

import functools

from qgis.core import QgsProcessingParameterNumber

from ....algorithms.errors import GeohazardError
from ....fileio.ada import adaclassification as io_class
from ....fileio.motion import ada
from ...inputs import ada as inputs_ada
from ...inputs import declare, ids, layers
from ...inputs.aliases import Alias
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("adaclassification", "ADA classification (active deformation areas)",
      tags="ADA,active deformation areas,classification,landslide,subsidence,sinkhole,settlement", page="ada",
      former=(Alias("LANDSLIDES", ids.INVENTORY),))
class AdaClassification(GeohazardAlgorithm):
    GEOLOGY = "GEOLOGY"
    GEOLOGY_FIELD = "GEOLOGY_FIELD"
    LAND_USE = "LAND_USE"
    LAND_USE_FIELD = "LAND_USE_FIELD"
    DISTORTION = "DISTORTION"
    DROP_DISTORTED = "DROP_DISTORTED"
    SLOPE_GATE = "SLOPE_GATE"
    THERMAL_RATIO = "THERMAL_RATIO"
    MIN_SEASONAL = "MIN_SEASONAL"
    SINKHOLE_MAX_AREA = "SINKHOLE_MAX_AREA"
    SINKHOLE_MIN_SPEED = "SINKHOLE_MIN_SPEED"
    SETTLEMENT_MAX_AREA = "SETTLEMENT_MAX_AREA"
    MAX_DISTORTED_SHARE = "MAX_DISTORTED_SHARE"
    KARST_KEYWORDS = "KARST_KEYWORDS"
    URBAN_KEYWORDS = "URBAN_KEYWORDS"
    HELP = (
        "Classifies active deformation areas (polygons, e.g. from 'ADA detection') into the likely "
        "process: landslide, subsidence, sinkhole_collapse, settlement (of structures), "
        "thermal_dilation, uplift, unclassified, and distorted (visibility gate). Every ADA gets "
        "ada_class and an explanation of the rule that fired.\n\n"
        "<b>Inputs</b>: velocities in mm/yr (LOS, positive toward the satellite). Geology and land use: polygon "
        "layers with a text class field; the class covering most of the ADA is used, matched against "
        "KARST_KEYWORDS / URBAN_KEYWORDS (comma separated, case-insensitive).\n\n"
        "<b>Rules</b>, first match wins: (1) share of the ADA in layover/shadow (DISTORTION raster, non-zero "
        "= distorted) >= MAX_DISTORTED_SHARE -> distorted (dropped with DROP_DISTORTED); (2) inside a "
        "mapped landslide (INVENTORY) or mean slope >= SLOPE_GATE degrees (10, the SADA gate; slope "
        "from the DEM, else the ADA's slope_pts_deg from point heights) -> landslide; (3) seasonal "
        "amplitude of the ADA's mean time series (DYYYYMMDD fields) >= MIN_SEASONAL mm and >= "
        "THERMAL_RATIO x |yearly trend| -> thermal_dilation; (4) velocity > 0 -> uplift; (5) velocity "
        "< 0, area <= SINKHOLE_MAX_AREA m2 and (karst/evaporite geology or |v| >= SINKHOLE_MIN_SPEED) "
        "-> sinkhole_collapse; (6) velocity < 0, area <= SETTLEMENT_MAX_AREA and urban land use -> "
        "settlement; (7) velocity < 0 with a known slope below the gate -> subsidence; (8) otherwise "
        "unclassified.\n"
        "References: Navarro J.A. et al. (2020), doi:10.3390/ijgi9100584; Barra A. et al. (2017), "
        "doi:10.3390/rs9101002."
    )
    OVERLAP = ((ids.INPUT, ids.DEM), (ids.INPUT, "DISTORTION"), (ids.INPUT, ids.INVENTORY))

    def initAlgorithm(self, config=None):
        num = QgsProcessingParameterNumber
        self.addParameter(declare.features(self.INPUT, "Active deformation areas", "polygon"))
        self.addParameter(declare.field(self.VELOCITY_FIELD, "Mean velocity field (mm/yr; empty = auto)",
                                        self.INPUT, numeric=True, optional=True))
        self.addParameter(declare.raster(self.DEM, "DEM (projected, metres)", optional=True))
        self.addParameter(declare.features(self.INVENTORY, "Landslide inventory", "polygon", optional=True))
        self.addParameter(declare.features(self.GEOLOGY, "Geology", "polygon", optional=True))
        self.addParameter(declare.field(self.GEOLOGY_FIELD, "Geology class field", self.GEOLOGY, optional=True))
        self.addParameter(declare.features(self.LAND_USE, "Land use", "polygon", optional=True))
        self.addParameter(declare.field(self.LAND_USE_FIELD, "Land use class field", self.LAND_USE, optional=True))
        self.addParameter(declare.raster(self.DISTORTION, "Layover/shadow mask (non-zero = distorted)", optional=True))
        self.addParameter(declare.boolean(self.DROP_DISTORTED, "Drop distorted ADAs", False))
        self.addParameter(declare.number(self.SLOPE_GATE, "Landslide slope gate (degrees)", 10.0, 0.0, 90.0))
        self.addParameter(declare.number(self.THERMAL_RATIO, "Thermal: seasonal amplitude / yearly trend", 1.0, 0.0))
        self.addParameter(declare.number(self.MIN_SEASONAL, "Thermal: minimum seasonal amplitude (mm)", 2.0, 0.0))
        self.addParameter(declare.number(self.SINKHOLE_MAX_AREA, "Sinkhole: maximum area (m2)", 20000.0, 0.0))
        self.addParameter(num(self.SINKHOLE_MIN_SPEED, self.tr("Sinkhole: min. |velocity| off karst "
                                                               "(mm/yr)"), num.Double, 10.0, minValue=0.0))
        self.addParameter(declare.number(self.SETTLEMENT_MAX_AREA, "Settlement: maximum area (m2)", 50000.0, 0.0))
        self.addParameter(declare.number(self.MAX_DISTORTED_SHARE, "Visibility gate: maximum distorted share", 0.5, 0.0,
                                         1.0))
        self.addParameter(declare.text(self.KARST_KEYWORDS, "Karst/evaporite geology keywords",
                                       "karst,gypsum,evaporite,limestone,salt,anhydrite,dolomite,chalk"))
        self.addParameter(declare.text(self.URBAN_KEYWORDS, "Urban land-use keywords",
                                       "urban,built,building,residential,industrial,commercial,infrastructure"))
        self.addParameter(declare.sink_out(self.OUTPUT, "Classified ADAs", "polygon"))

    def check(self, parameters, context):
        for layer_p, field_p in ((self.GEOLOGY, self.GEOLOGY_FIELD), (self.LAND_USE, self.LAND_USE_FIELD)):
            if parameters.get(layer_p) and not parameters.get(field_p):
                raise GeohazardError(f"{field_p}: choose the class field of the {layer_p} layer")
        layer = self.parameterAsVectorLayer(parameters, self.INPUT, context)
        if layer is not None and not self.parameterAsString(parameters, self.VELOCITY_FIELD, context):
            if ada.find_field(layer.fields(), ("mean_vel",) + ada.VELOCITY_CANDIDATES) is None:
                raise GeohazardError(f"{self.VELOCITY_FIELD}: no mean_vel or velocity field in {layer.name()!r}; "
                                     "choose one")

    def process(self, parameters, context, feedback):
        source = layers.feature_source(self, parameters, self.INPUT, context)
        job = io_class.Job(
            source=source, velocity=inputs_ada.ada_velocity_field(self, parameters, context, source),
            evidence=functools.partial(inputs_ada.classification_evidence, self, parameters, context, source),
            rules=inputs_ada.classification_rules(self, parameters, context),
            drop_distorted=self.parameterAsBoolean(parameters, self.DROP_DISTORTED, context),
            sink=functools.partial(layers.feature_sink, self, parameters, self.OUTPUT, context), name=self.INPUT)
        return self.finish(io_class.run(job, progress=FeedbackProgress(feedback), context=context), feedback)
