"""ADA-tool parameters into plain values: the rules and the per-ADA evidence of the ADA classification."""

from __future__ import annotations

import os

import numpy as np
from qgis.core import QgsCoordinateReferenceSystem

from ...algorithms.ada import classification, zonal
from ...algorithms.errors import GeohazardError
from ...algorithms.formats import dates
from ...algorithms.formats import geometry_meta as gm
from ...algorithms.geometry import los, terrain
from ...fileio.ada import features
from ...fileio.base.probe import distinct_files
from ...fileio.base.vector import as_number, wkt_of
from ...fileio.geometry import geometry
from ...fileio.motion import ada
from .acquisition import heading_hint, incidence_hint, scene_value
from .guard import sibling_layers
from .stacks import raw_list
from .values import values


def each_layer(alg, parameters, name, context, feedback) -> list:
    """``[(layer name, parameters), ...]``: one entry per layer when ``name`` is a bare path to a file of several
    layers of one geometry kind (a loadegms GeoPackage: one track per layer), each with ``name`` set to that
    layer (``file|layername=<layer>``); ``[(None, parameters)]`` otherwise."""
    path, found = sibling_layers(alg.parameterAsVectorLayer(parameters, name, context))
    if not found:
        return [(None, parameters)]
    base = os.path.basename(path)
    feedback.pushInfo(f"{name}: {base} holds {len(found)} {found[0][1]} layers, each read on its own (tracks are "
                      "never merged: different lines of sight): " + ", ".join(f"{n} ({c} points)" for n, _, c in found))
    least = alg.parameterAsInt(parameters, alg.MIN_POINTS, context)
    few = [(n, c) for n, _, c in found if c < least]
    if few and len(few) < len(found):  # a track with too few points for an ADA does not stop the others
        feedback.pushWarning(f"{name}: " + ", ".join(f"{n} ({c} points)" for n, c in few) + f" of {base} "
                             f"{'has' if len(few) == 1 else 'have'} fewer than MIN_POINTS = {least} points: no "
                             "ADA can form there, left out")
        found = [f for f in found if f[2] >= least]
    return [(n, {**parameters, name: f"{path}|layername={n}"}) for n, _, _ in found]


def detection_options(alg, parameters, context) -> dict:
    """detect_ada keyword arguments from adadetection's parameters."""
    p, i = alg.parameterAsDouble, alg.parameterAsInt
    return dict(threshold_mm_yr=p(parameters, alg.THRESHOLD, context) or None,
                n_sigma=p(parameters, alg.N_SIGMA, context), min_snr=p(parameters, alg.MIN_SNR, context),
                radius_m=p(parameters, alg.RADIUS, context) or None,
                min_neighbours=i(parameters, alg.MIN_NEIGHBOURS, context),
                min_active_fraction=p(parameters, alg.MIN_ACTIVE_FRACTION, context),
                z_max=p(parameters, alg.Z_MAX, context), min_points=i(parameters, alg.MIN_POINTS, context),
                min_contrast=p(parameters, alg.MIN_CONTRAST, context),
                sigma_from=("map", "stable")[alg.parameterAsEnum(parameters, alg.THRESHOLD_SIGMA, context)])


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
    p = values(alg, parameters, context, alg.MIN_SENSITIVITY)
    if los_fields:
        e, n, u = (table.attributes[f] for f in los_fields)
    else:  # no assumed geometry: typed, else refused saying what to type
        inc, head = (scene_value(alg, parameters, pid, context, None, key, needed=True,
                                 hint="the points carry no LOS fields (los_east/los_north/los_up); " + hint(pid))
                     for pid, key, hint in ((alg.INCIDENCE, gm.INCIDENCE_KEY, incidence_hint),
                                            (alg.HEADING, gm.HEADING_KEY, heading_hint)))
        e, n, u = los.los_unit_vector(inc, head)
    return terrain.los_to_downslope(v, e, n, u, s, asp, min_sensitivity=p.MIN_SENSITIVITY)[0]


#: What an EGMS folder is read for.
EGMS_EXTENSIONS = (".zip", ".csv")


def egms_tiles(alg, parameters, context) -> list:
    """The EGMS files of INPUT (one file, or a folder) and INPUTS (files, or folders read for their .zip/.csv files
    in file-name order), in that order, each once."""
    out = []
    single = parameters.get(alg.INPUT)
    single = alg.parameterAsFile(parameters, alg.INPUT, context) if single not in (None, "") else ""
    for name, items in ((alg.INPUT, [single] if single else []), (alg.INPUTS, raw_list(parameters.get(alg.INPUTS)))):
        for item in items:
            text = str(item)
            if os.path.isdir(text):
                found = sorted(os.path.join(text, f) for f in os.listdir(text)
                               if f.lower().endswith(EGMS_EXTENSIONS) and os.path.isfile(os.path.join(text, f)))
                if not found:
                    raise GeohazardError(f"{name}: the folder {text!r} holds no EGMS .zip or .csv file")
                out += found
            elif os.path.isfile(text):
                out.append(text)
            elif text:
                raise GeohazardError(f"{name}: {text!r} is neither a file nor a folder")
    if not out:
        raise GeohazardError(f"{alg.INPUT} or {alg.INPUTS}: give an EGMS .zip or .csv file, several, or a folder "
                             "of them")
    return distinct_files(out)
