"""adaclassification."""

from __future__ import annotations

import os

import numpy as np
from qgis.core import (
    QgsFeature,
    QgsFeatureSink,
    QgsProcessingException,
    QgsProcessingParameterNumber,
    QgsSpatialIndex,
)

from ....algorithms.ada import classification, zonal
from ....algorithms.errors import GeohazardError
from ....algorithms.formats import dates
from ....algorithms.geometry import terrain
from ....algorithms.progress import check_canceled
from ...inputs import declare, ids
from ...inputs.aliases import Alias
from ...inputs.feedback import FeedbackProgress
from ...io import ada, compat, raster
from .._base import GeohazardAlgorithm, tool
from ._common import _copy_fields, _intersects_any, _metric_crs_for_source, _py, _style_sink, _to_metric_geometries


@tool("adaclassification", "Active deformation areas (ADA) classification", group="ada",
      tags="ADA,active deformation areas,classification,landslide,subsidence,sinkhole,settlement", page="ada",
      former=(Alias("LANDSLIDES", ids.INVENTORY),))
class AdaClassification(GeohazardAlgorithm):
    OVERLAP = (("INPUT", "DEM"), ("INPUT", "DISTORTION"), ("INPUT", ids.INVENTORY))
    HELP = (
        "Classifies active deformation areas (polygons, e.g. from 'ADA detection') into the likely "
        "process: landslide, subsidence, sinkhole_collapse, settlement (of structures), "
        "thermal_dilation, uplift, unclassified, and distorted (visibility gate). Every ADA gets "
        "ada_class and an explanation of the rule that fired.\n\n"
        "Rules, first match wins: (1) share of the ADA in layover/shadow (DISTORTION raster, non-zero "
        "= distorted) >= MAX_DISTORTED_SHARE -> distorted (dropped with DROP_DISTORTED); (2) inside a "
        "mapped landslide (INVENTORY) or mean slope >= SLOPE_GATE degrees (10, the SADA gate; slope "
        "from the DEM, else the ADA's slope_pts_deg from point heights) -> landslide; (3) seasonal "
        "amplitude of the ADA's mean time series (DYYYYMMDD fields) >= MIN_SEASONAL mm and >= "
        "THERMAL_RATIO x |yearly trend| -> thermal_dilation; (4) velocity > 0 -> uplift; (5) velocity "
        "< 0, area <= SINKHOLE_MAX_AREA m2 and (karst/evaporite geology or |v| >= SINKHOLE_MIN_SPEED) "
        "-> sinkhole_collapse; (6) velocity < 0, area <= SETTLEMENT_MAX_AREA and urban land use -> "
        "settlement; (7) velocity < 0 with a known slope below the gate -> subsidence; (8) otherwise "
        "unclassified.\n\n"
        "Velocities in mm/yr (LOS, positive toward the satellite). Geology and land use: polygon "
        "layers with a text class field; the class covering most of the ADA is used, matched against "
        "KARST_KEYWORDS / URBAN_KEYWORDS (comma separated, case-insensitive).\n"
        "References: Navarro J.A. et al. (2020), doi:10.3390/ijgi9100584; Barra A. et al. (2017), "
        "doi:10.3390/rs9101002."
    )

    INPUT = "INPUT"
    VELOCITY_FIELD = "VELOCITY_FIELD"
    DEM = "DEM"
    INVENTORY = ids.INVENTORY
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
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):
        num = QgsProcessingParameterNumber
        self.addParameter(declare.features(self.INPUT, "Active deformation areas", "polygon"))
        self.addParameter(declare.field(self.VELOCITY_FIELD, "Mean velocity field (mm/yr; empty = mean_vel or auto)",
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
        self.addParameter(num(self.SINKHOLE_MIN_SPEED, self.tr("Sinkhole: minimum |velocity| without karst geology "
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

    def _majority_class(self, parameters, layer_p, field_p, geoms, crs_metric, context):
        if not parameters.get(layer_p):
            return None
        src = self.parameterAsSource(parameters, layer_p, context)
        fname = self.parameterAsString(parameters, field_p, context)
        if src.fields().lookupField(fname) < 0:
            raise GeohazardError(f"{field_p}: layer has no field {fname!r}")
        feats = _to_metric_geometries(src, crs_metric, context)
        index = QgsSpatialIndex()
        for i, (_, g) in enumerate(feats):
            f = QgsFeature(i)
            f.setGeometry(g)
            index.addFeature(f)
        out = []
        for g in geoms:
            best, best_area = "", 0.0
            for j in index.intersects(g.boundingBox()):
                inter = g.intersection(feats[j][1])
                a = inter.area() if inter is not None else 0.0
                if a > best_area:
                    best, best_area = str(feats[j][0][fname]), a
            out.append(best)
        return out

    def _zonal(self, raster_path, name, geoms, crs_metric_wkt, fn):
        """Per polygon, ``fn(values inside)`` of a raster sampled at pixel centres (core: zonal_stat)."""
        info_ = raster.raster_info(raster_path, name)
        if info_.srs is None:
            raise GeohazardError(f"{name}: the raster has no CRS")
        data = raster.read_band(raster_path, 1, name=name, dtype=np.float64)
        return zonal.zonal_stat(data, info_.geotransform, ada.rings_in_crs(geoms, crs_metric_wkt, info_.crs_wkt), fn)

    def _mean_slope(self, parameters, context, source, feats, geoms, crs_metric):
        """Mean DEM slope (degrees) per ADA; the ADAs' slope_pts_deg without a DEM; else NaN."""
        if parameters.get(self.DEM):
            dem = self.raster_path(parameters, self.DEM, context)
            dem_info = raster.raster_info(dem, self.DEM)
            if dem_info.srs is None or dem_info.srs.IsGeographic():
                raise GeohazardError(f"{self.DEM}: the DEM must be in a projected CRS in metres; reproject it first")
            slope_r, _ = terrain.slope_aspect(raster.read_band(dem, 1, name=self.DEM, dtype=np.float64),
                                              *dem_info.pixel_size)
            tmp = _write_tmp_raster(slope_r, dem_info)
            try:
                return self._zonal(tmp, self.DEM, geoms, crs_metric.toWkt(), zonal.nan_mean)
            finally:
                os.remove(tmp)
        if source.fields().lookupField("slope_pts_deg") >= 0:
            return np.array([_num(f["slope_pts_deg"]) for f, _ in feats])
        return np.full(len(feats), np.nan)

    def _evidence(self, parameters, context, source, feats, crs_metric) -> dict:
        """Per-ADA inputs of classify_ada beyond velocity and area: slope, landslides, distortion, series."""
        geoms = [g for _, g in feats]
        ev = {"slope_deg": self._mean_slope(parameters, context, source, feats, geoms, crs_metric),
              "in_landslide": None, "distorted_share": None, "trend_mm_yr": None, "seasonal_amplitude_mm": None}
        if parameters.get(self.INVENTORY):
            ls = _to_metric_geometries(self.parameterAsSource(parameters, self.INVENTORY, context), crs_metric,
                                       context)
            ev["in_landslide"] = _intersects_any(geoms, [g for _, g in ls])
        if parameters.get(self.DISTORTION):
            ev["distorted_share"] = self._zonal(self.raster_path(parameters, self.DISTORTION, context),
                                                self.DISTORTION, geoms, crs_metric.toWkt(), zonal.nonzero_share)
        dated = dates.dated_fields(source.fields().names())
        if len(dated) >= 6 and feats:
            series = np.array([[_num(f[n]) for n, _ in dated] for f, _ in feats])
            ev["trend_mm_yr"], ev["seasonal_amplitude_mm"] = classification.seasonal_fit(
                series, dates.decimal_years([d for _, d in dated]))
        ev["geology"] = self._majority_class(parameters, self.GEOLOGY, self.GEOLOGY_FIELD, geoms, crs_metric, context)
        ev["land_use"] = self._majority_class(parameters, self.LAND_USE, self.LAND_USE_FIELD, geoms, crs_metric,
                                              context)
        return ev

    def _rules(self, parameters, context) -> dict:
        p = self.parameterAsDouble
        return dict(slope_gate_deg=p(parameters, self.SLOPE_GATE, context),
                    thermal_ratio=p(parameters, self.THERMAL_RATIO, context),
                    min_seasonal_mm=p(parameters, self.MIN_SEASONAL, context),
                    sinkhole_max_area_m2=p(parameters, self.SINKHOLE_MAX_AREA, context),
                    sinkhole_min_speed_mm_yr=p(parameters, self.SINKHOLE_MIN_SPEED, context),
                    settlement_max_area_m2=p(parameters, self.SETTLEMENT_MAX_AREA, context),
                    max_distorted_share=p(parameters, self.MAX_DISTORTED_SHARE, context),
                    karst_keywords=self.parameterAsString(parameters, self.KARST_KEYWORDS, context).split(","),
                    urban_keywords=self.parameterAsString(parameters, self.URBAN_KEYWORDS, context).split(","))

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        source = self.parameterAsSource(parameters, self.INPUT, context)
        if source is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, self.INPUT))
        vel = self.parameterAsString(parameters, self.VELOCITY_FIELD, context) or ada.find_field(
            source.fields(), ("mean_vel",) + ada.VELOCITY_CANDIDATES)
        if vel is None or source.fields().lookupField(vel) < 0:
            raise GeohazardError(f"{self.VELOCITY_FIELD}: no velocity field {vel!r} in the ADA layer")
        crs_metric = _metric_crs_for_source(source, self.INPUT)
        feats = _to_metric_geometries(source, crs_metric, context, progress)
        progress.set_progress(30)
        check_canceled(progress)
        ev = self._evidence(parameters, context, source, feats, crs_metric)
        v = np.array([_num(f[vel]) for f, _ in feats])
        area = np.array([g.area() for _, g in feats])
        classes, why = classification.classify_ada(v, area, **ev, **self._rules(parameters, context))
        progress.set_progress(80)
        check_canceled(progress)
        extra = [("ada_class", compat.FIELD_STRING), ("explanation", compat.FIELD_STRING), ("mean_slope_deg",
                                                                                            compat.FIELD_DOUBLE),
                 ("seasonal_amp_mm", compat.FIELD_DOUBLE), ("trend_mm_yr", compat.FIELD_DOUBLE),
                 ("distorted_share", compat.FIELD_DOUBLE), ("in_landslide", compat.FIELD_BOOL)]
        fields = _copy_fields(source.fields(), extra)
        sink, dest = self.parameterAsSink(parameters, self.OUTPUT, context, fields, source.wkbType(),
                                          source.sourceCrs())
        if sink is None:
            raise QgsProcessingException(self.invalidSinkError(parameters, self.OUTPUT))
        drop = self.parameterAsBoolean(parameters, self.DROP_DISTORTED, context)
        cols = [ev["slope_deg"], ev["seasonal_amplitude_mm"], ev["trend_mm_yr"], ev["distorted_share"]]
        counts = {}
        for i, (f, _) in enumerate(feats):
            if drop and classes[i] == "distorted":
                continue
            counts[classes[i]] = counts.get(classes[i], 0) + 1
            out = QgsFeature(fields)
            out.setGeometry(f.geometry())
            out.setAttributes(list(f.attributes()) + [classes[i], why[i]] + [
                _py(c[i]) if c is not None else None for c in cols] + [
                bool(ev["in_landslide"][i]) if ev["in_landslide"] is not None else None])
            sink.addFeature(out, QgsFeatureSink.Flag.FastInsert)
        feedback.pushInfo("classes: " + ", ".join(f"{c} {n}" for c, n in sorted(counts.items())))
        del sink  # flush and close the file before styling it
        _style_sink(dest, context, "ada_class", list(classification.CLASSES))
        return {self.OUTPUT: dest}


def _num(v):
    try:
        return float(v) if v is not None else np.nan
    except (TypeError, ValueError):
        return np.nan


def _write_tmp_raster(array, info_):
    import tempfile

    from ...io.raster import write_raster

    fd, path = tempfile.mkstemp(suffix=".tif")
    os.close(fd)
    os.remove(path)
    write_raster(path, array, info_)
    return path
