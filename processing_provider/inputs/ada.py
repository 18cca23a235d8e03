"""ADA-tool parameters into plain values: the rules and the per-ADA evidence of the ADA classification."""

from __future__ import annotations

import os

import numpy as np
from qgis.core import QgsCoordinateReferenceSystem

from ...algorithms.ada import classification
from ...algorithms.errors import GeohazardError
from ...algorithms.formats import dates
from ...algorithms.geometry import los, terrain
from ...io import ada, geometry
from ...io.vector import as_number, wkt_of
from ..lazy import lazy_module
from . import layers
from .values import values

features = lazy_module("...io.features", __package__)
zonal = lazy_module("...algorithms.ada.zonal", __package__)


def points_and_series(alg, parameters, name, context, layer, fields, use_series, feedback, max_values, progress):
    """``(table, [(field, date)], series)`` of the point parameter ``name``: the numeric ``fields`` (None entries
    skipped) and the dated fields' series, an array, a reader of the ADA points' rows, or None.

    An OGR layer read whole streams its dated fields after the detection, the ADA points' only (memory
    bounded at any size); other sources read them with the other fields, up to ``max_values`` points x dates."""
    base = list(dict.fromkeys(f for f in fields if f))
    stream = layer.providerType() == "ogr" and not layer.subsetString() and not layers.limited_source(parameters,
                                                                                                       name)
    ts = ada.series_fields(layer, use_series, feedback, None if stream else max_values)
    table = layers.read_point_table(alg, parameters, name, context, base + ([] if stream else [n for n, _ in ts]),
                                    progress)
    if ts and stream and not table.arrow:  # GDAL without the Arrow stream: the series read as a second pass
        stream = False
        ts = ada.series_fields(layer, use_series, feedback, max_values)
        if ts:
            table.attributes.update(layers.read_point_table(alg, parameters, name, context,
                                                            [n for n, _ in ts]).attributes)
    if ts and stream:
        return table, ts, ada.ogr_series_reader(layer, [n for n, _ in ts], table.fids, max_values=max_values,
                                                warn=feedback.pushWarning)
    return table, ts, (np.column_stack([table.attributes[n] for n, _ in ts]) if ts else None)


def ada_velocity_field(alg, parameters, context, source) -> str:
    """VELOCITY_FIELD, else the ADA layer's ``mean_vel`` or another velocity field."""
    vel = alg.parameterAsString(parameters, alg.VELOCITY_FIELD, context) or ada.find_field(
        source.fields(), ("mean_vel",) + ada.VELOCITY_CANDIDATES)
    if vel is None or source.fields().lookupField(vel) < 0:
        raise GeohazardError(f"{alg.VELOCITY_FIELD}: no velocity field {vel!r} in the ADA layer")
    return vel


def classification_rules(alg, parameters, context) -> dict:
    """The thresholds and keywords of :func:`~algorithms.ada.classification.classify_ada`."""
    v = values(alg, parameters, context, alg.SLOPE_GATE, alg.THERMAL_RATIO, alg.MIN_SEASONAL, alg.SINKHOLE_MAX_AREA,
               alg.SINKHOLE_MIN_SPEED, alg.SETTLEMENT_MAX_AREA, alg.MAX_DISTORTED_SHARE, alg.KARST_KEYWORDS,
               alg.URBAN_KEYWORDS)
    return dict(slope_gate_deg=v.SLOPE_GATE, thermal_ratio=v.THERMAL_RATIO, min_seasonal_mm=v.MIN_SEASONAL,
                sinkhole_max_area_m2=v.SINKHOLE_MAX_AREA, sinkhole_min_speed_mm_yr=v.SINKHOLE_MIN_SPEED,
                settlement_max_area_m2=v.SETTLEMENT_MAX_AREA, max_distorted_share=v.MAX_DISTORTED_SHARE,
                karst_keywords=v.KARST_KEYWORDS.split(","), urban_keywords=v.URBAN_KEYWORDS.split(","))


def _majority_class(alg, parameters, layer_p, field_p, geoms, crs_metric, context):
    if not parameters.get(layer_p):
        return None
    src = alg.parameterAsSource(parameters, layer_p, context)
    fname = alg.parameterAsString(parameters, field_p, context)
    if src.fields().lookupField(fname) < 0:
        raise GeohazardError(f"{field_p}: layer has no field {fname!r}")
    return features.majority_class(src, fname, geoms, crs_metric, context)


def _mean_slope(alg, parameters, context, source, feats, geoms, crs_metric):
    """Mean DEM slope (degrees) per ADA; the ADAs' slope_pts_deg without a DEM; else NaN."""
    if parameters.get(alg.DEM):
        return features.mean_dem_slope(alg.raster_path(parameters, alg.DEM, context), alg.DEM, geoms,
                                       wkt_of(crs_metric))
    if source.fields().lookupField("slope_pts_deg") >= 0:
        return np.array([as_number(f["slope_pts_deg"]) for f, _ in feats])
    return np.full(len(feats), np.nan)


def classification_evidence(alg, parameters, context, source, feats, crs_metric) -> dict:
    """Per-ADA inputs of classify_ada beyond velocity and area: slope, landslides, distortion, series, geology,
    land use."""
    geoms = [g for _, g in feats]
    ev = {"slope_deg": _mean_slope(alg, parameters, context, source, feats, geoms, crs_metric),
          "in_landslide": None, "distorted_share": None, "trend_mm_yr": None, "seasonal_amplitude_mm": None}
    if parameters.get(alg.INVENTORY):
        ls = features.metric_geometries(alg.parameterAsSource(parameters, alg.INVENTORY, context), crs_metric,
                                        context)
        ev["in_landslide"] = features.intersects_any(geoms, [g for _, g in ls])
    if parameters.get(alg.DISTORTION):
        ev["distorted_share"] = features.zonal_raster(alg.raster_path(parameters, alg.DISTORTION, context),
                                                      alg.DISTORTION, geoms, wkt_of(crs_metric), zonal.nonzero_share)
    dated = dates.dated_fields(source.fields().names())
    if len(dated) >= 6 and feats:
        series = np.array([[as_number(f[n]) for n, _ in dated] for f, _ in feats])
        ev["trend_mm_yr"], ev["seasonal_amplitude_mm"] = classification.seasonal_fit(
            series, dates.decimal_years([d for _, d in dated]))
    ev["geology"] = _majority_class(alg, parameters, alg.GEOLOGY, alg.GEOLOGY_FIELD, geoms, crs_metric, context)
    ev["land_use"] = _majority_class(alg, parameters, alg.LAND_USE, alg.LAND_USE_FIELD, geoms, crs_metric, context)
    return ev


def downslope_velocity(alg, parameters, context, table, vel, los_fields, inside):
    """Downslope velocity of the points inside a landslide (NaN elsewhere) from the DEM; None without one."""
    if not parameters.get(alg.DEM):
        return None
    v = table.attributes[vel]
    s = np.full(v.size, np.nan)
    asp = np.full(v.size, np.nan)
    src_wkt = table.crs.toWkt(QgsCoordinateReferenceSystem.WktVariant.WKT2_2019)
    s[inside], asp[inside] = geometry.dem_slope_at(alg.raster_path(parameters, alg.DEM, context), alg.DEM,
                                                   table.x[inside], table.y[inside], src_wkt)
    p = values(alg, parameters, context, alg.INCIDENCE, alg.HEADING, alg.MIN_SENSITIVITY)
    e, n, u = (table.attributes[f] for f in los_fields) if los_fields else los.los_unit_vector(p.INCIDENCE,
                                                                                              p.HEADING)
    return terrain.los_to_downslope(v, e, n, u, s, asp, min_sensitivity=p.MIN_SENSITIVITY)[0]


#: What an EGMS folder is read for.
EGMS_EXTENSIONS = (".zip", ".csv")


def egms_tiles(alg, parameters, context) -> list:
    """The EGMS files of INPUT (one file) and INPUTS (files, or folders read for their .zip/.csv files in
    file-name order), in that order, each once."""
    from .stacks import raw_list

    out = []
    single = alg.parameterAsFile(parameters, alg.INPUT, context)
    if single:
        out.append(single)
    for item in raw_list(parameters.get(alg.INPUTS)):
        text = str(item)
        if os.path.isdir(text):
            found = sorted(os.path.join(text, f) for f in os.listdir(text)
                           if f.lower().endswith(EGMS_EXTENSIONS) and os.path.isfile(os.path.join(text, f)))
            if not found:
                raise GeohazardError(f"{alg.INPUTS}: the folder {text!r} holds no EGMS .zip or .csv file")
            out += found
        elif os.path.isfile(text):
            out.append(text)
        elif text:
            raise GeohazardError(f"{alg.INPUTS}: {text!r} is neither a file nor a folder")
    if not out:
        raise GeohazardError(f"{alg.INPUT} or {alg.INPUTS}: give an EGMS .zip or .csv file, several, or a folder "
                             "of them")
    seen, unique = set(), []
    for p in out:
        key = os.path.realpath(p)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique
