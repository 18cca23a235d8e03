"""Active deformation areas: detection, classification, landslide activity, fault proximity,
and loading EGMS products."""

from __future__ import annotations

import os

import numpy as np
from osgeo import ogr
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsFeatureSink,
    QgsField,
    QgsFields,
    QgsGeometry,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
    QgsSpatialIndex,
    QgsVectorLayer,
    QgsWkbTypes,
)

from ..algorithms.ada.activity import landslide_activity, points_in_polygons_blocks
from ..algorithms.ada.classification import CLASSES, classify_ada, plane_slope_deg, seasonal_fit
from ..algorithms.ada.detection import FLAG_NAMES, detect_ada, stability_threshold
from ..algorithms.ada.faults import distance_bands
from ..algorithms.ada.zonal import nan_mean, nonzero_share, zonal_stat
from ..algorithms.errors import GeohazardError
from ..algorithms.formats.dates import dated_fields, decimal_years, field_name
from ..algorithms.formats.egms import read_egms
from ..algorithms.geometry.los import los_unit_vector
from ..algorithms.geometry.terrain import los_to_downslope, slope_aspect
from ..algorithms.progress import SubProgress, check_canceled, info
from .base import GeohazardAlgorithm
from .compat import FIELD_BOOL, FIELD_DOUBLE, FIELD_INT, FIELD_STRING
from .engine_params import HELP as DASK_HELP
from .engine_params import add_dask_parameter, executor
from .feedback import FeedbackProgress
from .io.ada import (
    HEIGHT_CANDIDATES,
    STD_CANDIDATES,
    VELOCITY_CANDIDATES,
    ada_outlines,
    ada_polygon_fields,
    crs_wkt,
    epsg_wkt,
    find_field,
    metric_frame,
    polygon_rings,
    read_point_table,
    rings_in_crs,
    series_fields,
    write_points_gpkg,
)
from .raster_io import raster_info, read_band
from .styles import apply_on_load, sidecar_qml
from .vector_io import write_vector

#: Largest points x dates matrix read for the ADA mean time series (about 0.8 GB of float64).
MAX_SERIES_VALUES = 100_000_000


# ---------------------------------------------------------------- shared helpers
def _velocity_field(alg, parameters, name, layer, context, *, required=True):
    chosen = alg.parameterAsString(parameters, name, context)
    if chosen:
        idx = layer.fields().lookupField(chosen)
        if idx < 0:
            raise GeohazardError(f"{name}: the layer has no field {chosen!r}")
        if not layer.fields().at(idx).isNumeric():
            raise GeohazardError(f"{name}: field {chosen!r} is not numeric")
        return chosen
    found = find_field(layer.fields(), VELOCITY_CANDIDATES)
    if found is None and required:
        raise GeohazardError(
            f"{name}: no numeric velocity field found in layer {layer.name()!r} (looked for "
            f"{', '.join(VELOCITY_CANDIDATES)}); choose the field holding the velocity in mm/yr")
    return found


def _source_layer(alg, parameters, name, context):
    layer = alg.parameterAsVectorLayer(parameters, name, context)
    if layer is None:
        raise GeohazardError(f"{name}: {parameters.get(name)!r} is not a vector layer QGIS can read")
    return layer


def _style_vector(path, context, *, field_name_, kind, categories=None):
    """Save a .qml sidecar: graduated diverging colours on a velocity or categories on a class."""
    from qgis.core import (
        QgsCategorizedSymbolRenderer,
        QgsGraduatedSymbolRenderer,
        QgsRendererCategory,
        QgsRendererRange,
        QgsSymbol,
    )
    from qgis.PyQt.QtGui import QColor

    layer = QgsVectorLayer(path, os.path.basename(path), "ogr")
    if not layer.isValid() or not layer.isSpatial() or layer.fields().lookupField(field_name_) < 0:
        return ""
    gtype = layer.geometryType()
    if kind == "velocity":
        edges = [-1e9, -20, -10, -5, -2, 2, 5, 10, 20, 1e9]
        colours = ["#67001f", "#b2182b", "#d6604d", "#f4a582", "#f7f7f7", "#92c5de", "#4393c3", "#2166ac",
                   "#053061"]
        ranges = []
        for lo, hi, c in zip(edges[:-1], edges[1:], colours):
            sym = QgsSymbol.defaultSymbol(gtype)
            sym.setColor(QColor(c))
            if gtype == QgsWkbTypes.GeometryType.PolygonGeometry:
                sym.setOpacity(0.75)
            label = f"{lo:g} .. {hi:g} mm/yr".replace("-1e+09", "<").replace("1e+09", ">")
            ranges.append(QgsRendererRange(lo, hi, sym, label))
        renderer = QgsGraduatedSymbolRenderer(field_name_, ranges)
    else:
        if categories is None:
            idx = layer.fields().lookupField(field_name_)
            categories = sorted({str(v) for v in layer.uniqueValues(idx)})
        values = [c if isinstance(c, tuple) else (c, str(c)) for c in categories]
        palette = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666",
                   "#bdbdbd"]
        cats = []
        for i, (val, label) in enumerate(values):
            sym = QgsSymbol.defaultSymbol(gtype)
            sym.setColor(QColor(palette[i % len(palette)]))
            cats.append(QgsRendererCategory(val, sym, label))
        renderer = QgsCategorizedSymbolRenderer(field_name_, cats)
    layer.setRenderer(renderer)
    qml = sidecar_qml(path)
    layer.saveNamedStyle(qml)
    apply_on_load(context, path, qml)
    return qml


def _to_metric_geometries(source, crs_metric: QgsCoordinateReferenceSystem, context, progress=None):
    """Features of a source as (feature, geometry in the metric CRS) pairs."""
    ct = QgsCoordinateTransform(source.sourceCrs(), crs_metric, context.transformContext())
    out = []
    for n, feat in enumerate(source.getFeatures()):
        if n % 1000 == 0:
            check_canceled(progress)
        g = QgsGeometry(feat.geometry())
        if not g.isNull():
            g.transform(ct)
        out.append((feat, g))
    return out


def _usable_polygons(feats: list, name: str, feedback) -> list:
    """The (feature, geometry) pairs that have a polygon: features without a geometry are left out, invalid
    polygons (self-intersections: their area and inside test are wrong) are repaired with GEOS's makeValid; both
    are reported with their feature IDs. Raises when no polygon is left."""
    kept, missing, repaired = [], [], []
    for f, g in feats:
        if g.isNull() or g.isEmpty():
            missing.append(f.id())
            continue
        if not g.isGeosValid():
            fixed = g.makeValid()
            if fixed.type() != QgsWkbTypes.GeometryType.PolygonGeometry:
                fixed = fixed.convertToType(QgsWkbTypes.GeometryType.PolygonGeometry, True)
            if fixed is None or fixed.isNull() or fixed.isEmpty():
                missing.append(f.id())
                continue
            repaired.append(f.id())
            g = fixed
        kept.append((f, g))

    def ids(v):
        return ", ".join(str(i) for i in v[:10]) + (" ..." if len(v) > 10 else "")

    if missing and feedback is not None:
        feedback.pushWarning(f"{name}: {len(missing)} feature(s) without a polygon are left out (feature IDs "
                             f"{ids(missing)})")
    if repaired and feedback is not None:
        feedback.pushWarning(f"{name}: {len(repaired)} invalid polygon(s) (self-intersecting ...) repaired before "
                             f"counting points and areas (feature IDs {ids(repaired)}); fix them in the inventory")
    if not kept:
        raise GeohazardError(f"{name}: no feature has a polygon geometry")
    return kept


def _metric_crs_for_source(source, name) -> QgsCoordinateReferenceSystem:
    ext = source.sourceExtent()
    frame = metric_frame(source.sourceCrs(), np.array([ext.center().x()]), np.array([ext.center().y()]), name=name)
    return QgsCoordinateReferenceSystem.fromWkt(frame.metric_wkt)


def _copy_fields(fields: QgsFields, extra: list) -> QgsFields:
    """Input fields plus ``extra``; a name the input already has gets a ``_2`` (``_3`` ...) suffix."""
    out = QgsFields(fields)
    for name, vtype in extra:
        new, k = name, 2
        while out.lookupField(new) >= 0:
            new, k = f"{name}_{k}", k + 1
        out.append(QgsField(new, vtype))
    return out


def _py(v):
    if v is None:
        return None
    if isinstance(v, (np.floating, float)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    return v


def _sample_dem_slope(dem_path, name, x, y, src_wkt):
    """Slope and aspect (degrees) of a projected DEM at points given in ``src_wkt``."""
    info_ = raster_info(dem_path, name)
    srs = info_.srs
    if srs is None or srs.IsGeographic():
        raise GeohazardError(f"{name}: the DEM must be in a projected CRS in metres (got "
                             f"{'no CRS' if srs is None else 'a geographic CRS'}); reproject it first")
    from pyproj import Transformer

    dx, dy = info_.pixel_size
    dem = read_band(dem_path, 1, name=name, dtype=np.float64)
    slope, aspect = slope_aspect(dem, dx, dy)
    t = Transformer.from_crs(src_wkt, info_.crs_wkt, always_xy=True)
    px, py = t.transform(np.asarray(x, float), np.asarray(y, float))
    row, col = info_.world_to_pixel(px, py)
    r = np.floor(row).astype(np.int64)
    c = np.floor(col).astype(np.int64)
    ok = (r >= 0) & (r < info_.height) & (c >= 0) & (c < info_.width) & np.isfinite(row) & np.isfinite(col)
    s = np.full(np.size(x), np.nan)
    a = np.full(np.size(x), np.nan)
    s[ok] = slope[r[ok], c[ok]]
    a[ok] = aspect[r[ok], c[ok]]
    return s, a


# ---------------------------------------------------------------- ADA detection
class AdaDetection(GeohazardAlgorithm):
    NAME = "adadetection"
    DISPLAY_NAME = "Active deformation areas (ADA) detection"
    GROUP_ID = "ada"
    HELP = (
        "Finds active deformation areas (ADA) in a layer of InSAR measurement points (PS, SBAS, "
        "EGMS ...): the polygons where the ground moves, how fast and how reliably.\n\n"
        "<b>Input</b>: a point layer in any CRS (geographic CRSs are handled in the local UTM zone; "
        "outputs are written in the input CRS). <b>Velocity field</b>: LOS velocity in mm/yr, positive "
        "toward the satellite (auto-detected: VEL, mean_velocity, velocity ...). <b>Velocity std</b> "
        "(optional, auto-detected V_STDEV, mean_velocity_std ...): a point must also have "
        "|v| >= MIN_SNR x std. Dated displacement fields (DYYYYMMDD or EGMS YYYYMMDD) give each "
        "ADA its mean time series and the temporal consistency.\n\n"
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
        "neighbourhood, so tiled, untiled and Dask runs give the same result.\n\n"
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
    ) + DASK_HELP

    INPUT = "INPUT"
    VELOCITY_FIELD = "VELOCITY_FIELD"
    VELOCITY_STD_FIELD = "VELOCITY_STD_FIELD"
    USE_TIME_SERIES = "USE_TIME_SERIES"
    THRESHOLD = "THRESHOLD"
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
    OUTPUT = "OUTPUT"
    OUTPUT_POINTS = "OUTPUT_POINTS"

    def initAlgorithm(self, config=None):
        num = QgsProcessingParameterNumber
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.INPUT, self.tr("Measurement points"), [QgsProcessing.SourceType.TypeVectorPoint]))
        self.addParameter(QgsProcessingParameterField(
            self.VELOCITY_FIELD, self.tr("Velocity field (mm/yr, LOS positive toward the satellite; empty = auto)"),
            parentLayerParameterName=self.INPUT, type=QgsProcessingParameterField.DataType.Numeric, optional=True))
        self.addParameter(QgsProcessingParameterField(
            self.VELOCITY_STD_FIELD, self.tr("Velocity standard deviation field (mm/yr; empty = auto)"),
            parentLayerParameterName=self.INPUT, type=QgsProcessingParameterField.DataType.Numeric, optional=True))
        self.addParameter(QgsProcessingParameterBoolean(
            self.USE_TIME_SERIES, self.tr("Use dated displacement fields (mean time series, temporal consistency)"),
            defaultValue=True))
        self.addParameter(num(self.THRESHOLD, self.tr("Stability threshold (mm/yr; 0 = N_SIGMA x std of the map)"),
                              num.Double, defaultValue=0.0, minValue=0.0))
        self.addParameter(num(self.N_SIGMA, self.tr("Threshold in standard deviations of the velocity map"),
                              num.Double, defaultValue=2.0, minValue=0.1))
        self.addParameter(num(self.MIN_SNR, self.tr("Minimum |velocity| / std (0 = off)"), num.Double,
                              defaultValue=2.0, minValue=0.0))
        self.addParameter(num(self.RADIUS, self.tr("Search and link radius (m; 0 = 2.5 x the local point spacing)"),
                              num.Double, defaultValue=0.0, minValue=0.0))
        self.addParameter(num(self.MIN_NEIGHBOURS, self.tr("Minimum active neighbours within the radius"),
                              num.Integer, defaultValue=2, minValue=0))
        self.addParameter(num(self.MIN_ACTIVE_FRACTION, self.tr("Minimum share of active points within the radius"),
                              num.Double, defaultValue=0.4, minValue=0.0, maxValue=1.0))
        self.addParameter(num(self.Z_MAX, self.tr("Outlier z-score against neighbours (0 = off)"), num.Double,
                              defaultValue=3.0, minValue=0.0))
        self.addParameter(num(self.MIN_POINTS, self.tr("Minimum points per ADA"), num.Integer, defaultValue=5,
                              minValue=2))
        self.addParameter(num(self.OUTLINE_MARGIN,
                              self.tr("Outline margin beyond the outer points (m; 0 = 0.75 x the local point spacing)"),
                              num.Double, defaultValue=0.0, minValue=0.0))
        for prm in (num(self.MIN_CONTRAST, self.tr("Minimum contrast with the surrounding ground (x threshold; "
                                                   "0 = off)"), num.Double, defaultValue=0.5, minValue=0.0),
                    QgsProcessingParameterEnum(self.THRESHOLD_SIGMA, self.tr("Standard deviation behind the "
                                                                             "automatic threshold"),
                                               ["velocity map (all points)", "stable points (1.4826 x MAD)"],
                                               defaultValue=0)):
            prm.setFlags(prm.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
            self.addParameter(prm)
        add_dask_parameter(self)
        self.addParameter(QgsProcessingParameterVectorDestination(
            self.OUTPUT, self.tr("Active deformation areas"), QgsProcessing.SourceType.TypeVectorPolygon))
        self.addParameter(QgsProcessingParameterVectorDestination(
            self.OUTPUT_POINTS, self.tr("Points with ADA id and flags"), QgsProcessing.SourceType.TypeVectorPoint,
            optional=True, createByDefault=True))

    def checkParameterValues(self, parameters, context):
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        layer = self.parameterAsVectorLayer(parameters, self.INPUT, context)
        if layer is not None:
            try:
                _velocity_field(self, parameters, self.VELOCITY_FIELD, layer, context)
            except GeohazardError as exc:
                return False, str(exc)
        return True, ""

    def _options(self, parameters, context) -> dict:
        """detect_ada keyword arguments from the tool parameters."""
        p, i = self.parameterAsDouble, self.parameterAsInt
        return dict(threshold_mm_yr=p(parameters, self.THRESHOLD, context) or None,
                    n_sigma=p(parameters, self.N_SIGMA, context), min_snr=p(parameters, self.MIN_SNR, context),
                    radius_m=p(parameters, self.RADIUS, context) or None,
                    min_neighbours=i(parameters, self.MIN_NEIGHBOURS, context),
                    min_active_fraction=p(parameters, self.MIN_ACTIVE_FRACTION, context),
                    z_max=p(parameters, self.Z_MAX, context), min_points=i(parameters, self.MIN_POINTS, context),
                    min_contrast=p(parameters, self.MIN_CONTRAST, context),
                    sigma_from=("map", "stable")[self.parameterAsEnum(parameters, self.THRESHOLD_SIGMA, context)])

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        layer = _source_layer(self, parameters, self.INPUT, context)
        vel = _velocity_field(self, parameters, self.VELOCITY_FIELD, layer, context)
        std = self.parameterAsString(parameters, self.VELOCITY_STD_FIELD, context) or find_field(
            layer.fields(), STD_CANDIDATES)
        height = find_field(layer.fields(), HEIGHT_CANDIDATES)
        ts = series_fields(layer, self.parameterAsBoolean(parameters, self.USE_TIME_SERIES, context), feedback,
                           MAX_SERIES_VALUES)
        wanted = [vel] + [f for f in (std, height) if f and f != vel] + [n for n, _ in ts]
        table = read_point_table(self, parameters, self.INPUT, context, wanted, SubProgress(progress, 0, 25))
        frame = metric_frame(table.crs, table.x, table.y, name=self.INPUT)
        xm, ym = frame.forward(table.x, table.y)
        info(progress, f"{len(table)} points; velocity field {vel!r}" + (f", std field {std!r}" if std else "")
             + (f", {len(ts)} dates" if ts else ""))
        series = np.column_stack([table.attributes[n] for n, _ in ts]) if ts else None
        with executor(self, parameters, context, feedback) as ex:
            res = detect_ada(xm, ym, table.attributes[vel], velocity_std_mm_yr=table.attributes[std] if std else None,
                             series_mm=series, executor=ex, progress=SubProgress(progress, 25, 70),
                             **self._options(parameters, context))
        del series
        wkbs, areas = ada_outlines(xm, ym, res, margin_m=self.parameterAsDouble(parameters, self.OUTLINE_MARGIN,
                                                                                context),
                                   back=frame.ogr_to_source(), progress=SubProgress(progress, 70, 85))
        slope = plane_slope_deg(xm, ym, table.attributes[height], res.labels, res.n_ada) if height else None
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        out_wkt = crs_wkt(table.crs)
        write_vector(out, ada_polygon_fields(res, areas, ts, slope), crs_wkt=out_wkt, wkb=wkbs,
                     geometry_type=ogr.wkbMultiPolygon)
        _style_vector(out, context, field_name_="mean_vel", kind="velocity")
        feedback.pushInfo(f"{res.n_ada} active deformation areas" if res.n_ada else self.tr(
            "Zero active deformation areas: no cluster of moving points passed the threshold and the noise "
            "filters (see the counts above)."))
        results = {self.OUTPUT: out}
        out_pts = self.parameterAsOutputLayer(parameters, self.OUTPUT_POINTS, context)
        if out_pts:
            # flag codes only (a text column would cost ~25 % more time on millions of points); the
            # style labels them and the help lists them
            pfields = {"src_fid": table.fids, vel: table.attributes[vel], "ada_id": res.labels,
                       "flag": res.flags.astype(np.int64)}
            write_points_gpkg(out_pts, table.x, table.y, pfields, crs_wkt=out_wkt,
                              progress=SubProgress(progress, 85, 100))
            _style_vector(out_pts, context, field_name_="flag", kind="class",
                          categories=[(c, f"{c} {FLAG_NAMES[c]}") for c in sorted(FLAG_NAMES)])
            results[self.OUTPUT_POINTS] = out_pts
        return results


# ---------------------------------------------------------------- classification
class AdaClassification(GeohazardAlgorithm):
    OVERLAP = (("INPUT", "DEM"), ("INPUT", "DISTORTION"), ("INPUT", "LANDSLIDES"))
    NAME = "adaclassification"
    DISPLAY_NAME = "Active deformation areas (ADA) classification"
    GROUP_ID = "ada"
    HELP = (
        "Classifies active deformation areas (polygons, e.g. from 'ADA detection') into the likely "
        "process: landslide, subsidence, sinkhole_collapse, settlement (of structures), "
        "thermal_dilation, uplift, unclassified, and distorted (visibility gate). Every ADA gets "
        "ada_class and an explanation of the rule that fired.\n\n"
        "Rules, first match wins: (1) share of the ADA in layover/shadow (DISTORTION raster, non-zero "
        "= distorted) >= MAX_DISTORTED_SHARE -> distorted (dropped with DROP_DISTORTED); (2) inside a "
        "mapped landslide (LANDSLIDES) or mean slope >= SLOPE_GATE degrees (10, the SADA gate; slope "
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
    LANDSLIDES = "LANDSLIDES"
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
        poly = [QgsProcessing.SourceType.TypeVectorPolygon]
        self.addParameter(QgsProcessingParameterFeatureSource(self.INPUT, self.tr("Active deformation areas"), poly))
        self.addParameter(QgsProcessingParameterField(
            self.VELOCITY_FIELD, self.tr("Mean velocity field (mm/yr; empty = mean_vel or auto)"),
            parentLayerParameterName=self.INPUT, type=QgsProcessingParameterField.DataType.Numeric, optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(self.DEM, self.tr("DEM (projected, metres)"),
                                                            optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(self.LANDSLIDES, self.tr("Landslide inventory"), poly,
                                                              optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(self.GEOLOGY, self.tr("Geology"), poly, optional=True))
        self.addParameter(QgsProcessingParameterField(self.GEOLOGY_FIELD, self.tr("Geology class field"),
                                                      parentLayerParameterName=self.GEOLOGY, optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(self.LAND_USE, self.tr("Land use"), poly, optional=True))
        self.addParameter(QgsProcessingParameterField(self.LAND_USE_FIELD, self.tr("Land use class field"),
                                                      parentLayerParameterName=self.LAND_USE, optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.DISTORTION, self.tr("Layover/shadow mask (non-zero = distorted)"), optional=True))
        self.addParameter(QgsProcessingParameterBoolean(self.DROP_DISTORTED, self.tr("Drop distorted ADAs"),
                                                        defaultValue=False))
        self.addParameter(num(self.SLOPE_GATE, self.tr("Landslide slope gate (degrees)"), num.Double, 10.0,
                              minValue=0.0, maxValue=90.0))
        self.addParameter(num(self.THERMAL_RATIO, self.tr("Thermal: seasonal amplitude / yearly trend"), num.Double,
                              1.0, minValue=0.0))
        self.addParameter(num(self.MIN_SEASONAL, self.tr("Thermal: minimum seasonal amplitude (mm)"), num.Double,
                              2.0, minValue=0.0))
        self.addParameter(num(self.SINKHOLE_MAX_AREA, self.tr("Sinkhole: maximum area (m2)"), num.Double, 20000.0,
                              minValue=0.0))
        self.addParameter(num(self.SINKHOLE_MIN_SPEED, self.tr("Sinkhole: minimum |velocity| without karst geology "
                                                               "(mm/yr)"), num.Double, 10.0, minValue=0.0))
        self.addParameter(num(self.SETTLEMENT_MAX_AREA, self.tr("Settlement: maximum area (m2)"), num.Double, 50000.0,
                              minValue=0.0))
        self.addParameter(num(self.MAX_DISTORTED_SHARE, self.tr("Visibility gate: maximum distorted share"),
                              num.Double, 0.5, minValue=0.0, maxValue=1.0))
        self.addParameter(QgsProcessingParameterString(
            self.KARST_KEYWORDS, self.tr("Karst/evaporite geology keywords"),
            defaultValue="karst,gypsum,evaporite,limestone,salt,anhydrite,dolomite,chalk"))
        self.addParameter(QgsProcessingParameterString(
            self.URBAN_KEYWORDS, self.tr("Urban land-use keywords"),
            defaultValue="urban,built,building,residential,industrial,commercial,infrastructure"))
        self.addParameter(QgsProcessingParameterFeatureSink(self.OUTPUT, self.tr("Classified ADAs"),
                                                            QgsProcessing.SourceType.TypeVectorPolygon))

    def checkParameterValues(self, parameters, context):
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        for layer_p, field_p in ((self.GEOLOGY, self.GEOLOGY_FIELD), (self.LAND_USE, self.LAND_USE_FIELD)):
            if parameters.get(layer_p) and not parameters.get(field_p):
                return False, f"{field_p}: choose the class field of the {layer_p} layer"
        layer = self.parameterAsVectorLayer(parameters, self.INPUT, context)
        if layer is not None and not self.parameterAsString(parameters, self.VELOCITY_FIELD, context):
            if find_field(layer.fields(), ("mean_vel",) + VELOCITY_CANDIDATES) is None:
                return False, f"{self.VELOCITY_FIELD}: no mean_vel or velocity field in {layer.name()!r}; choose one"
        return True, ""

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
        info_ = raster_info(raster_path, name)
        if info_.srs is None:
            raise GeohazardError(f"{name}: the raster has no CRS")
        data = read_band(raster_path, 1, name=name, dtype=np.float64)
        return zonal_stat(data, info_.geotransform, rings_in_crs(geoms, crs_metric_wkt, info_.crs_wkt), fn)

    def _mean_slope(self, parameters, context, source, feats, geoms, crs_metric):
        """Mean DEM slope (degrees) per ADA; the ADAs' slope_pts_deg without a DEM; else NaN."""
        if parameters.get(self.DEM):
            dem = self.raster_path(parameters, self.DEM, context)
            dem_info = raster_info(dem, self.DEM)
            if dem_info.srs is None or dem_info.srs.IsGeographic():
                raise GeohazardError(f"{self.DEM}: the DEM must be in a projected CRS in metres; reproject it first")
            slope_r, _ = slope_aspect(read_band(dem, 1, name=self.DEM, dtype=np.float64), *dem_info.pixel_size)
            tmp = _write_tmp_raster(slope_r, dem_info)
            try:
                return self._zonal(tmp, self.DEM, geoms, crs_metric.toWkt(), nan_mean)
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
        if parameters.get(self.LANDSLIDES):
            ls = _to_metric_geometries(self.parameterAsSource(parameters, self.LANDSLIDES, context), crs_metric,
                                       context)
            ev["in_landslide"] = _intersects_any(geoms, [g for _, g in ls])
        if parameters.get(self.DISTORTION):
            ev["distorted_share"] = self._zonal(self.raster_path(parameters, self.DISTORTION, context),
                                                self.DISTORTION, geoms, crs_metric.toWkt(), nonzero_share)
        dated = dated_fields(source.fields().names())
        if len(dated) >= 6 and feats:
            series = np.array([[_num(f[n]) for n, _ in dated] for f, _ in feats])
            ev["trend_mm_yr"], ev["seasonal_amplitude_mm"] = seasonal_fit(series, decimal_years([d for _, d in dated]))
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
        vel = self.parameterAsString(parameters, self.VELOCITY_FIELD, context) or find_field(
            source.fields(), ("mean_vel",) + VELOCITY_CANDIDATES)
        if vel is None or source.fields().lookupField(vel) < 0:
            raise GeohazardError(f"{self.VELOCITY_FIELD}: no velocity field {vel!r} in the ADA layer")
        crs_metric = _metric_crs_for_source(source, self.INPUT)
        feats = _to_metric_geometries(source, crs_metric, context, progress)
        progress.set_progress(30)
        check_canceled(progress)
        ev = self._evidence(parameters, context, source, feats, crs_metric)
        v = np.array([_num(f[vel]) for f, _ in feats])
        area = np.array([g.area() for _, g in feats])
        classes, why = classify_ada(v, area, **ev, **self._rules(parameters, context))
        progress.set_progress(80)
        check_canceled(progress)
        extra = [("ada_class", FIELD_STRING), ("explanation", FIELD_STRING), ("mean_slope_deg", FIELD_DOUBLE),
                 ("seasonal_amp_mm", FIELD_DOUBLE), ("trend_mm_yr", FIELD_DOUBLE),
                 ("distorted_share", FIELD_DOUBLE), ("in_landslide", FIELD_BOOL)]
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
        _style_sink(dest, context, "ada_class", list(CLASSES))
        return {self.OUTPUT: dest}


def _intersects_any(geoms, others) -> np.ndarray:
    """Per geometry of ``geoms``: does it intersect any of ``others`` (QGIS geometries, same CRS)."""
    index = QgsSpatialIndex()
    for i, g in enumerate(others):
        f = QgsFeature(i)
        f.setGeometry(g)
        index.addFeature(f)
    return np.array([any(g.intersects(others[j]) for j in index.intersects(g.boundingBox())) for g in geoms], bool)


def _style_sink(dest, context, field, categories):
    """Category style sidecar for a sink output written to a file (not for memory layers)."""
    path = str(dest).split("|")[0]
    if os.path.isfile(path):
        _style_vector(path, context, field_name_=field, kind="class", categories=categories)


def _num(v):
    try:
        return float(v) if v is not None else np.nan
    except (TypeError, ValueError):
        return np.nan


def _write_tmp_raster(array, info_):
    import tempfile

    from .raster_io import write_raster

    fd, path = tempfile.mkstemp(suffix=".tif")
    os.close(fd)
    os.remove(path)
    write_raster(path, array, info_)
    return path


# ---------------------------------------------------------------- landslide activity
class LandslideActivity(GeohazardAlgorithm):
    OVERLAP = (("INVENTORY", "POINTS"), ("INVENTORY", "DEM"), ("INVENTORY", "ADAS"))
    NAME = "landslideactivity"
    DISPLAY_NAME = "Landslide activity from moving points"
    GROUP_ID = "ada"
    HELP = (
        "State of activity of mapped landslides from InSAR points, and candidate new landslides.\n\n"
        "<b>Inventory</b>: landslide polygons. <b>Points</b>: InSAR points with a LOS velocity field "
        "(mm/yr, positive toward the satellite; auto-detected VEL, mean_velocity ...). Per landslide: "
        "n_points inside, min_points required (5 below 0.05 km2 growing log-linearly to 20 above 1 km2, "
        "after the ISBAS Sicily inventory work), n_moving and share_moving (|v| >= THRESHOLD, 0 = 2 std "
        "of the points' velocities), mean_vlos and max_vlos (largest magnitude, signed), and with a "
        "<b>DEM</b> (projected, metres) the downslope velocity V_SLOPE = V_LOS / C (C = cosine between "
        "the LOS and the steepest-descent direction; points with |C| < MIN_SENSITIVITY get none): "
        "n_vslope, mean_vslope, max_vslope (positive = downhill). The LOS direction comes from the "
        "points' los_east/los_north/los_up fields (EGMS) or from INCIDENCE and HEADING. "
        "rep_vel = mean V_SLOPE when at least min_points points have one, else mean V_LOS; state = "
        "'not enough data' (n_points < min_points), 'active' (|rep_vel| >= THRESHOLD) or 'inactive'.\n\n"
        "<b>ADAs</b> (optional): active deformation areas outside every inventory polygon are written "
        "to <b>candidates</b> (possible new landslides).\n"
        "References: Cigna F. et al. (2013), doi:10.1007/s10346-012-0335-7; Notti D. et al. (2014), "
        "doi:10.1080/01431161.2014.894528; Novellino A. et al. (2017), doi:10.1016/j.geomorph.2016.12.009.\n"
        "The point-in-polygon step runs on blocks of points (local or Dask; each point is independent)."
    ) + DASK_HELP

    INVENTORY = "INVENTORY"
    POINTS = "POINTS"
    VELOCITY_FIELD = "VELOCITY_FIELD"
    DEM = "DEM"
    ADAS = "ADAS"
    THRESHOLD = "THRESHOLD"
    MIN_SENSITIVITY = "MIN_SENSITIVITY"
    INCIDENCE = "INCIDENCE"
    HEADING = "HEADING"
    OUTPUT = "OUTPUT"
    OUTPUT_CANDIDATES = "OUTPUT_CANDIDATES"

    def initAlgorithm(self, config=None):
        num = QgsProcessingParameterNumber
        self.addParameter(QgsProcessingParameterFeatureSource(self.INVENTORY, self.tr("Landslide inventory"),
                                                              [QgsProcessing.SourceType.TypeVectorPolygon]))
        self.addParameter(QgsProcessingParameterFeatureSource(self.POINTS, self.tr("InSAR points"),
                                                              [QgsProcessing.SourceType.TypeVectorPoint]))
        self.addParameter(QgsProcessingParameterField(
            self.VELOCITY_FIELD, self.tr("Velocity field (mm/yr; empty = auto)"), parentLayerParameterName=self.POINTS,
            type=QgsProcessingParameterField.DataType.Numeric, optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(self.DEM, self.tr("DEM (projected, metres)"),
                                                            optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.ADAS, self.tr("Active deformation areas (candidate new landslides)"),
            [QgsProcessing.SourceType.TypeVectorPolygon], optional=True))
        self.addParameter(num(self.THRESHOLD, self.tr("Stability threshold (mm/yr; 0 = 2 std of the points)"),
                              num.Double, 0.0, minValue=0.0))
        self.addParameter(num(self.MIN_SENSITIVITY, self.tr("Minimum |C| for V_SLOPE"), num.Double, 0.3,
                              minValue=0.01, maxValue=1.0))
        self.addParameter(num(self.INCIDENCE, self.tr("Incidence (degrees), when points have no LOS fields"),
                              num.Double, 37.0, minValue=0.001, maxValue=89.999))
        self.addParameter(num(self.HEADING, self.tr("Heading (degrees from north), when points have no LOS fields"),
                              num.Double, -12.0, minValue=-360.0, maxValue=360.0))
        self.addParameter(QgsProcessingParameterFeatureSink(self.OUTPUT, self.tr("Landslide activity"),
                                                            QgsProcessing.SourceType.TypeVectorPolygon))
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT_CANDIDATES, self.tr("Candidate new landslides"), QgsProcessing.SourceType.TypeVectorPolygon,
            optional=True, createByDefault=True))
        add_dask_parameter(self)

    def checkParameterValues(self, parameters, context):
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        layer = self.parameterAsVectorLayer(parameters, self.POINTS, context)
        if layer is not None:
            try:
                _velocity_field(self, parameters, self.VELOCITY_FIELD, layer, context)
            except GeohazardError as exc:
                return False, str(exc)
        return True, ""

    def _v_slope(self, parameters, context, table, vel, los_fields, inside, src_wkt):
        """Downslope velocity of the points inside a landslide (NaN elsewhere), from the DEM."""
        dem = self.raster_path(parameters, self.DEM, context)
        v = table.attributes[vel]
        s = np.full(v.size, np.nan)
        asp = np.full(v.size, np.nan)
        s[inside], asp[inside] = _sample_dem_slope(dem, self.DEM, table.x[inside], table.y[inside], src_wkt)
        if los_fields:
            e, n, u = (table.attributes[f] for f in los_fields)
        else:
            e, n, u = los_unit_vector(self.parameterAsDouble(parameters, self.INCIDENCE, context),
                                      self.parameterAsDouble(parameters, self.HEADING, context))
        return los_to_downslope(v, e, n, u, s, asp, min_sensitivity=self.parameterAsDouble(
            parameters, self.MIN_SENSITIVITY, context))[0]

    def _write_activity(self, parameters, context, inv, feats, act):
        names = [("area_km2", FIELD_DOUBLE), ("n_points", FIELD_INT), ("min_points", FIELD_INT),
                 ("n_moving", FIELD_INT), ("share_moving", FIELD_DOUBLE), ("mean_vlos", FIELD_DOUBLE),
                 ("max_vlos", FIELD_DOUBLE), ("n_vslope", FIELD_INT), ("mean_vslope", FIELD_DOUBLE),
                 ("max_vslope", FIELD_DOUBLE), ("rep_vel", FIELD_DOUBLE), ("rep_source", FIELD_STRING),
                 ("state", FIELD_STRING), ("threshold", FIELD_DOUBLE)]
        fields = _copy_fields(inv.fields(), names)
        sink, dest = self.parameterAsSink(parameters, self.OUTPUT, context, fields, inv.wkbType(), inv.sourceCrs())
        if sink is None:
            raise QgsProcessingException(self.invalidSinkError(parameters, self.OUTPUT))
        for i, (f, _) in enumerate(feats):
            out = QgsFeature(fields)
            out.setGeometry(f.geometry())
            out.setAttributes(list(f.attributes()) + [_py(act[nm][i]) for nm, _ in names])
            sink.addFeature(out, QgsFeatureSink.Flag.FastInsert)
        del sink  # flush and close the file before styling it
        _style_sink(dest, context, "state", ["active", "inactive", "not enough data"])
        return dest

    def _candidates(self, parameters, context, feats, crs_metric, feedback) -> dict:
        """ADAs outside every inventory landslide, written to OUTPUT_CANDIDATES."""
        ada_src = self.parameterAsSource(parameters, self.ADAS, context)
        adas = _to_metric_geometries(ada_src, crs_metric, context)
        hit = _intersects_any([g for _, g in adas], [g for _, g in feats])
        cfields = _copy_fields(ada_src.fields(), [("candidate", FIELD_STRING)])
        csink, cdest = self.parameterAsSink(parameters, self.OUTPUT_CANDIDATES, context, cfields,
                                            ada_src.wkbType(), ada_src.sourceCrs())
        for (f, _), h in zip(adas, hit):
            if csink is not None and not h:
                out = QgsFeature(cfields)
                out.setGeometry(f.geometry())
                out.setAttributes(list(f.attributes()) + ["ADA outside every inventory landslide"])
                csink.addFeature(out, QgsFeatureSink.Flag.FastInsert)
        feedback.pushInfo(f"{int((~hit).sum())} of {len(adas)} ADAs lie outside every inventory landslide "
                          "(candidates)")
        return {self.OUTPUT_CANDIDATES: cdest} if csink is not None else {}

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        inv = self.parameterAsSource(parameters, self.INVENTORY, context)
        if inv is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, self.INVENTORY))
        layer = _source_layer(self, parameters, self.POINTS, context)
        vel = _velocity_field(self, parameters, self.VELOCITY_FIELD, layer, context)
        los_fields = [f for f in ("los_east", "los_north", "los_up") if layer.fields().lookupField(f) >= 0]
        los_fields = los_fields if len(los_fields) == 3 else []
        table = read_point_table(self, parameters, self.POINTS, context, [vel] + los_fields,
                                 SubProgress(progress, 0, 30))
        crs_metric = _metric_crs_for_source(inv, self.INVENTORY)
        src_wkt = table.crs.toWkt(QgsCoordinateReferenceSystem.WktVariant.WKT2_2019)
        from pyproj import Transformer

        xm, ym = Transformer.from_crs(src_wkt, crs_metric.toWkt(QgsCoordinateReferenceSystem.WktVariant.WKT2_2019),
                                      always_xy=True).transform(table.x, table.y)
        feats = _usable_polygons(_to_metric_geometries(inv, crs_metric, context, progress), self.INVENTORY, feedback)
        rings = [polygon_rings(bytes(g.asWkb())) if not g.isNull() else [] for _, g in feats]
        with executor(self, parameters, context, feedback) as ex:
            poly_idx = points_in_polygons_blocks(xm, ym, rings, executor=ex, progress=SubProgress(progress, 30, 50))
        v = table.attributes[vel]
        thr = self.parameterAsDouble(parameters, self.THRESHOLD, context) or stability_threshold(v)
        feedback.pushInfo(f"stability threshold {thr:.3g} mm/yr; {int((poly_idx >= 0).sum())} of {v.size} "
                          f"points inside {len(feats)} landslides")
        v_slope = self._v_slope(parameters, context, table, vel, los_fields, poly_idx >= 0, src_wkt) \
            if parameters.get(self.DEM) else None
        area_km2 = np.array([g.area() / 1e6 if not g.isNull() else 0.0 for _, g in feats])
        act = landslide_activity(poly_idx, v, area_km2, threshold_mm_yr=thr, v_slope_mm_yr=v_slope)
        act["area_km2"] = area_km2
        act["threshold"] = np.full(len(feats), thr)
        results = {self.OUTPUT: self._write_activity(parameters, context, inv, feats, act)}
        states = {s: int(np.sum(act["state"] == s)) for s in ("active", "inactive", "not enough data")}
        feedback.pushInfo("landslides: " + ", ".join(f"{k} {n}" for k, n in states.items()))
        if parameters.get(self.ADAS):
            results.update(self._candidates(parameters, context, feats, crs_metric, feedback))
        return results


# ---------------------------------------------------------------- fault proximity
class FaultProximity(GeohazardAlgorithm):
    OVERLAP = (("INPUT", "FAULTS", 1.0),)
    NAME = "faultproximity"
    DISPLAY_NAME = "Distance to faults (ADAs, landslides)"
    GROUP_ID = "ada"
    HELP = (
        "Distance from each feature (active deformation areas, landslides, points) to the nearest "
        "fault line, and the distribution of the features by distance band.\n\n"
        "<b>Input</b>: any vector layer. <b>Faults</b>: line layer. Distances are computed in metres "
        "in a projected CRS (the input's when it is projected in metres, else the local UTM zone); "
        "a feature touching or crossing a fault has distance 0. <b>Bands</b>: increasing upper limits "
        "in metres, comma separated (default 500,1000,2000,5000; a last open band is added).\n\n"
        "<b>Output</b>: the input features with dist_fault_m and band (e.g. '0-1000 m'). <b>Chart</b>: a "
        "PNG bar chart of the share of features per band with the cumulative share; the table is also "
        "printed in the log and returned (share within each band)."
    )

    INPUT = "INPUT"
    FAULTS = "FAULTS"
    BANDS = "BANDS"
    OUTPUT = "OUTPUT"
    OUTPUT_CHART = "OUTPUT_CHART"

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFeatureSource(self.INPUT, self.tr("ADAs or landslides"),
                                                              [QgsProcessing.SourceType.TypeVectorAnyGeometry]))
        self.addParameter(QgsProcessingParameterFeatureSource(self.FAULTS, self.tr("Faults"),
                                                              [QgsProcessing.SourceType.TypeVectorLine]))
        self.addParameter(QgsProcessingParameterString(self.BANDS, self.tr("Distance bands, upper limits (m)"),
                                                       defaultValue="500,1000,2000,5000"))
        self.addParameter(QgsProcessingParameterFeatureSink(self.OUTPUT, self.tr("Features with fault distance")))
        self.addParameter(QgsProcessingParameterFileDestination(self.OUTPUT_CHART, self.tr("Chart"),
                                                                self.tr("PNG files (*.png)"), optional=True))

    def _bands(self, parameters, context):
        text = self.parameterAsString(parameters, self.BANDS, context)
        try:
            bands = [float(t) for t in text.replace(";", ",").split(",") if t.strip()]
        except ValueError:
            raise GeohazardError(f"{self.BANDS}: {text!r} is not a comma-separated list of distances in metres"
                                 ) from None
        distance_bands([], bands)  # validates
        return bands

    def checkParameterValues(self, parameters, context):
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        try:
            self._bands(parameters, context)
        except GeohazardError as exc:
            return False, str(exc)
        return True, ""

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        bands = self._bands(parameters, context)
        source = self.parameterAsSource(parameters, self.INPUT, context)
        faults = self.parameterAsSource(parameters, self.FAULTS, context)
        if source is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, self.INPUT))
        if faults is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, self.FAULTS))
        crs_metric = _metric_crs_for_source(source, self.INPUT)
        fl = [g for _, g in _to_metric_geometries(faults, crs_metric, context) if not g.isNull()]
        if not fl:
            raise GeohazardError(f"{self.FAULTS}: the fault layer has no geometries")
        fault_union = QgsGeometry.collectGeometry(fl)
        feats = _to_metric_geometries(source, crs_metric, context, progress)
        dist = np.full(len(feats), np.nan)
        for i, (_, g) in enumerate(feats):
            if i % 200 == 0:
                check_canceled(progress)
                progress.set_progress(80.0 * i / max(len(feats), 1))
            if not g.isNull():
                dist[i] = g.distance(fault_union)
        table = distance_bands(dist, bands)
        labels = [f"{lo:g}-{hi:g} m" if np.isfinite(hi) else f"> {lo:g} m"
                  for lo, hi in zip(table["lower_m"], table["upper_m"])]
        idx = np.searchsorted(np.asarray(bands, float), dist, side="left")
        fields = _copy_fields(source.fields(), [("dist_fault_m", FIELD_DOUBLE), ("band", FIELD_STRING)])
        sink, dest = self.parameterAsSink(parameters, self.OUTPUT, context, fields, source.wkbType(),
                                          source.sourceCrs())
        if sink is None:
            raise QgsProcessingException(self.invalidSinkError(parameters, self.OUTPUT))
        for i, (f, _) in enumerate(feats):
            out = QgsFeature(fields)
            out.setGeometry(f.geometry())
            out.setAttributes(list(f.attributes()) + [_py(dist[i]), labels[idx[i]] if np.isfinite(dist[i]) else None])
            sink.addFeature(out, QgsFeatureSink.Flag.FastInsert)
        for lab, c, s, cs in zip(labels, table["count"], table["share"], table["cumulative_share"]):
            feedback.pushInfo(f"{lab}: {c} features, {100 * s:.1f}% (cumulative {100 * cs:.1f}%)")
        result = {self.OUTPUT: dest, "SHARE_BY_BAND": {lab: float(s) for lab, s in zip(labels, table["share"])}}
        if parameters.get(self.OUTPUT_CHART):  # optional: no chart when left out
            chart = self.parameterAsFileOutput(parameters, self.OUTPUT_CHART, context)
            _fault_chart(chart, labels, table, title=f"{source.sourceName()} vs {faults.sourceName()}")
            result[self.OUTPUT_CHART] = chart
        return result


def _fault_chart(path, labels, table, *, title):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    pos = np.arange(len(labels))
    ax.bar(pos, 100 * table["share"], color="#4393c3", label="share in band")
    ax.plot(pos, 100 * table["cumulative_share"], "o-", color="#b2182b", label="cumulative share")
    for p_, c in zip(pos, table["count"]):
        ax.annotate(str(int(c)), (p_, 0), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=8)
    ax.set_xticks(pos)
    ax.set_xticklabels(labels, rotation=20)
    ax.set_ylabel("features (%)")
    ax.set_xlabel("distance to the nearest fault")
    ax.set_ylim(0, 105)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise GeohazardError(f"OUTPUT_CHART: folder {folder!r} does not exist")
    fig.savefig(path)
    plt.close(fig)


# ---------------------------------------------------------------- EGMS loader
class LoadEgms(GeohazardAlgorithm):
    KEY_OUTPUT_FIELDS = {"OUTPUT": ("mean_velocity",)}
    NAME = "loadegms"
    DISPLAY_NAME = "Load EGMS product (L2a / L2b / L3 CSV)"
    GROUP_ID = "formats"
    HELP = (
        "Opens a European Ground Motion Service (EGMS) point product — L2a Basic, L2b Calibrated or L3 "
        "Ortho — as a point layer in one step. <b>Input</b>: the CSV as downloaded, plain or zipped "
        "(the .zip from the EGMS explorer).\n\n"
        "<b>Output</b>: a GeoPackage point layer in EPSG:3035 (ETRS89-LAEA, the EGMS easting/northing; "
        "L2a files with latitude/longitude only are written in EPSG:4326) with typed fields: pid (text), "
        "mp_type/line/pixel (integer), all other attributes real (mean_velocity and mean_velocity_std "
        "mm/yr, LOS positive toward the satellite; los_east/los_north/los_up unit vector; heights m), "
        "date_first/date_last (date), and one displacement field per acquisition DYYYYMMDD (mm), the "
        "name the time-series and ADA tools read.\n"
        "Reference: EGMS Product Description Document, Copernicus Land Monitoring Service."
    )

    INPUT = "INPUT"
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFile(self.INPUT, self.tr("EGMS CSV or ZIP file"),
                                                     fileFilter="EGMS (*.csv *.zip *.CSV *.ZIP)"))
        self.addParameter(QgsProcessingParameterVectorDestination(self.OUTPUT, self.tr("EGMS points"),
                                                                  QgsProcessing.SourceType.TypeVectorPoint))

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        path = self.parameterAsFile(parameters, self.INPUT, context)
        data = read_egms(path)
        progress.set_progress(40)
        check_canceled(progress)
        fields = dict(data.columns)
        n = len(data)
        if data.dates:
            fields["date_first"] = np.array([data.dates[0]] * n, dtype=object)
            fields["date_last"] = np.array([data.dates[-1]] * n, dtype=object)
            for j, d in enumerate(data.dates):
                fields[field_name(d)] = data.displacement_mm[:, j].astype(np.float64)
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        write_points_gpkg(out, data.x, data.y, fields, crs_wkt=epsg_wkt(data.epsg), layer_name=data.name,
                          progress=SubProgress(progress, 40, 100))
        _style_vector(out, context, field_name_="mean_velocity", kind="velocity")
        feedback.pushInfo(f"{data.level}: {n} points, {len(data.dates)} dates "
                          f"({data.dates[0] if data.dates else '-'} .. {data.dates[-1] if data.dates else '-'}), "
                          f"EPSG:{data.epsg}")
        return {self.OUTPUT: out}


ALGORITHMS = [AdaDetection, AdaClassification, LandslideActivity, FaultProximity, LoadEgms]
