"""Fault traces, slip patches and LOS datasets of the fault tools; fault geometries as WKB."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
from osgeo import ogr
from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsWkbTypes

from ...algorithms.errors import GeohazardError
from ...algorithms.faults import coulomb_inp, inversion
from ...algorithms.faults.faults import Faults, faults_from_traces
from ...algorithms.faults.inversion import quadtree_sample
from ...algorithms.geometry import los as los_mod
from ..base.raster import RasterWriter, raster_info, read_band, require_projected, write_raster
from ..base.vector import geometries, write_vector
from ..display import charts


@dataclass(frozen=True)
class OutputGrid:
    """The output grid of a grid tool (okadaforward, coulombstress): north-up ``geotransform`` (map m), ``rows`` x
    ``cols`` pixels, the CRS as WKT."""

    geotransform: tuple
    rows: int
    cols: int
    crs_wkt: str

    def max_rows(self, pixels: int) -> int:
        """Rows of a block of at most ``pixels`` pixels (one row at least)."""
        return max(1, int(pixels) // self.cols)

    def writer(self, path: str, descriptions) -> RasterWriter:
        """A float GeoTIFF on this grid, one band per description."""
        return RasterWriter(path, width=self.cols, height=self.rows, geotransform=self.geotransform,
                            crs_wkt=self.crs_wkt, count=len(descriptions), descriptions=list(descriptions))


FIELD_ALIASES = {
    "dip": ("dip_deg", "dip"),
    "top": ("top_m", "top_depth_m"),
    "bottom": ("bottom_m", "bottom_depth_m"),
    "slip": ("slip_m", "slip"),
    "rake": ("rake_deg", "rake"),
    "opening": ("opening_m", "opening"),
}


def require_projected_crs(crs: QgsCoordinateReferenceSystem, name: str) -> None:
    if not crs.isValid():
        raise GeohazardError(f"{name}: no coordinate reference system; a projected CRS in metres is needed")
    if crs.isGeographic():
        raise GeohazardError(f"{name} is in a geographic CRS ({crs.authid()}, degrees); reproject it to a projected "
                             f"CRS in metres (e.g. UTM) first")


def _on_earth(to_geo, to_map, x: float, y: float):
    """(lon, lat) of the map point (x, y), or None when it has none: no inverse in the projection, a non-finite
    or impossible latitude, or an inverse that does not come back to the point (PROJ folds some points outside
    a projection's domain onto others)."""
    from qgis.core import QgsCsException, QgsPointXY

    if not (np.isfinite(x) and np.isfinite(y)):
        return None
    try:
        g = to_geo.transform(QgsPointXY(x, y))
        back = to_map.transform(g)
    except QgsCsException:
        return None
    lon, lat = g.x(), g.y()
    if not (np.isfinite(lon) and np.isfinite(lat) and abs(lat) <= 90.0):
        return None
    if not (abs(back.x() - x) <= 1.0 + 1e-9 * abs(x) and abs(back.y() - y) <= 1.0 + 1e-9 * abs(y)):
        return None
    return lon, lat


def frame_on_earth(crs: QgsCoordinateReferenceSystem, origin, east_m, north_m,
                   names=("ORIGIN_EAST", "ORIGIN_NORTH"), what="the Coulomb file's faults") -> str:
    """Check that a local frame placed at ``origin`` (map m) in ``crs`` is on the Earth.

    ``east_m``, ``north_m``: map coordinates (m, origin included) of the points drawn (fault corners). Raises
    :class:`GeohazardError` naming ``names`` and the CRS's area of use (lon/lat and its own metres) when the origin
    or a point has no longitude/latitude in ``crs``; returns a warning (else "") when they lie outside the CRS's
    area of use."""
    from qgis.core import QgsCoordinateTransformContext, QgsRectangle

    wgs84 = QgsCoordinateReferenceSystem("EPSG:4326")
    ctx = QgsCoordinateTransformContext()
    to_geo = QgsCoordinateTransform(crs, wgs84, ctx)
    to_map = QgsCoordinateTransform(wgs84, crs, ctx)
    area = crs.bounds()  # lon/lat of the area of use (empty when unknown)
    has_area = not area.isNull() and area.width() > 0 and area.height() > 0
    e0, n0 = (float(v) for v in origin)
    pts = [(e0, n0)] + [(float(e), float(n)) for e, n in zip(np.ravel(east_m), np.ravel(north_m))]
    geo = [_on_earth(to_geo, to_map, x, y) for x, y in pts]
    if any(g is None for g in geo):
        where = ""
        if has_area:
            try:
                r = to_map.transformBoundingBox(QgsRectangle(area))
                where = (f"; {crs.authid()}'s area of use is lon {area.xMinimum():g} to {area.xMaximum():g}, lat "
                         f"{area.yMinimum():g} to {area.yMaximum():g} (easting {r.xMinimum():.0f} to "
                         f"{r.xMaximum():.0f} m, northing {r.yMinimum():.0f} to {r.yMaximum():.0f} m)")
            except Exception:  # noqa: BLE001 - the area in metres is a courtesy; the lon/lat range still helps
                where = (f"; {crs.authid()}'s area of use is lon {area.xMinimum():g} to {area.xMaximum():g}, lat "
                         f"{area.yMinimum():g} to {area.yMaximum():g}")
        bad = "the origin" if geo[0] is None else f"some of {what}"
        raise GeohazardError(
            f"{names[0]} = {e0:g} m, {names[1]} = {n0:g} m is not plausible in {crs.authid()}: {bad} would lie "
            f"outside the Earth (no longitude/latitude there){where}. Give the map coordinates (m) of the "
            f"frame's origin in {crs.authid()}")
    if has_area:
        margin = 1e-6
        out = [g for g in geo if not (area.xMinimum() - margin <= g[0] <= area.xMaximum() + margin
                                      and area.yMinimum() - margin <= g[1] <= area.yMaximum() + margin)]
        if out:
            lon, lat = geo[0]
            return (f"{what[:1].upper()}{what[1:]} lie outside {crs.authid()}'s area of use (lon "
                    f"{area.xMinimum():g} to {area.xMaximum():g}, lat {area.yMinimum():g} to {area.yMaximum():g}): "
                    f"the frame's origin ({names[0]} {e0:g} m, {names[1]} {n0:g} m) is at lon {lon:.3f}, "
                    f"lat {lat:.3f}; check {names[0]}/{names[1]} and CRS")
    return ""


def _field_values(feat, fields, key, default):
    for nm in FIELD_ALIASES[key]:
        i = fields.lookupField(nm)
        if i >= 0:
            v = feat.attributes()[i]
            if v is None or (isinstance(v, str) and not v.strip()) or str(v) == "NULL":
                continue
            try:
                number = float(v)
            except (TypeError, ValueError):
                number = None
            if number is None or not np.isfinite(number):
                raise GeohazardError(f"field {nm!r} of feature {feat.id()} holds {v!r}, not a number"
                                     + (" (use a dot as decimal separator)" if "," in str(v) else "")
                                     + "; fix the value or leave it empty to use the default")
            return number
    return float(default)


def read_fault_lines(source, *, name, defaults, dest_crs=None, context=None):
    """Line features -> (traces, per-trace attribute dict, names, crs)."""
    if source is None:
        raise GeohazardError(f"{name}: the layer could not be loaded")
    if QgsWkbTypes.geometryType(source.wkbType()) != QgsWkbTypes.GeometryType.LineGeometry:
        raise GeohazardError(f"{name} must be a line layer of fault traces, got "
                             f"{QgsWkbTypes.displayString(source.wkbType())}")
    crs = source.sourceCrs()
    transform = None
    if dest_crs is not None and dest_crs.isValid() and crs != dest_crs:
        transform = QgsCoordinateTransform(crs, dest_crs, context.transformContext())
        crs = dest_crs
    require_projected_crs(crs, name)
    fields = source.fields()
    traces, attrs, names = [], {k: [] for k in FIELD_ALIASES}, []
    name_idx = fields.lookupField("name")
    for feat, geom in geometries(source, transform):
        parts = geom.asMultiPolyline() if geom.isMultipart() else [geom.asPolyline()]
        for part in parts:
            traces.append(np.array([[p.x(), p.y()] for p in part]))
            for k in FIELD_ALIASES:
                attrs[k].append(_field_values(feat, fields, k, defaults[k]))
            label = feat.attributes()[name_idx] if name_idx >= 0 else None
            names.append(str(label) if label not in (None, "") else f"feature {feat.id()}")
    if not traces:
        raise GeohazardError(f"{name} has no line features")
    return traces, {k: np.asarray(v) for k, v in attrs.items()}, names, crs


@dataclass(frozen=True)
class SourceFaults:
    """The source faults of a run as the tool hands them over, read by the run (:func:`read_source_faults`): a
    Coulomb input file (``inp``: its path; ``origin``: its frame's origin, map m) or a layer (``layer``: slip patches,
    or lines with the plane values ``defaults`` where a feature has no such field), ``name`` the parameter given."""

    name: str
    layer: Any = None
    defaults: Optional[dict] = None
    inp: str = ""
    origin: tuple = (0.0, 0.0)


def read_source_faults(spec: SourceFaults) -> Faults:
    """The faults of ``spec`` in its map frame (m): the Coulomb file's sources moved to its origin, the slip patches
    of a polygon layer, or the planes under a line layer's traces."""
    if spec.inp:
        src = copy.copy(coulomb_inp.read_coulomb_inp(spec.inp).sources)
        src.east_m = src.east_m + spec.origin[0]
        src.north_m = src.north_m + spec.origin[1]
        return src
    polygon = QgsWkbTypes.GeometryType.PolygonGeometry
    if spec.layer is not None and QgsWkbTypes.geometryType(spec.layer.wkbType()) == polygon:
        return read_patch_polygons(spec.layer, name=spec.name)[0]
    traces, a, names, _ = read_fault_lines(spec.layer, name=spec.name, defaults=spec.defaults)
    return faults_from_traces(traces, dip_deg=a["dip"], top_m=a["top"], bottom_m=a["bottom"], slip_m=a["slip"],
                              rake_deg=a["rake"], opening_m=a["opening"], names=names)


def read_patch_polygons(source, *, name):
    """Slip patches written by ``slipinversion`` (polygons; first vertex = start of the top edge)."""
    crs = source.sourceCrs()
    require_projected_crs(crs, name)
    fields = source.fields()
    need = ("strike_deg", "dip_deg", "length_m", "top_m", "bottom_m", "strike_slip_m", "dip_slip_m")
    missing = [f for f in need if fields.lookupField(f) < 0]
    if missing:
        raise GeohazardError(f"{name}: a polygon source must be a slip-patch layer from geohazard:slipinversion; "
                             f"missing fields {missing}")
    cols = {k: [] for k in need}
    e, n = [], []
    for feat in source.getFeatures():
        geom = feat.geometry()
        if geom.isNull() or geom.isEmpty():
            continue
        poly = geom.asMultiPolygon()[0] if geom.isMultipart() else geom.asPolygon()
        e.append(poly[0][0].x())
        n.append(poly[0][0].y())
        for k in need:
            v = feat[k]
            cols[k].append(float(v) if v is not None else 0.0)
    if not e:
        raise GeohazardError(f"{name} has no polygon features")
    faults = Faults.create(east_m=np.array(e), north_m=np.array(n), **{k: np.array(v) for k, v in cols.items()})
    return faults, crs


#: Fields that carry a Coulomb file's elastic constants and friction on the layers importcoulombinput writes, so
#: the next steps use the file's values (shear modulus Pa, Poisson's ratio, effective friction coefficient).
CONSTANT_FIELDS = ("shear_modulus_pa", "poisson", "friction")


def constant_fields(n: int, *, shear_modulus_pa: float, poisson: float, friction: float) -> dict:
    """The :data:`CONSTANT_FIELDS` columns of ``n`` features, each holding the one value."""
    return {"shear_modulus_pa": np.full(n, float(shear_modulus_pa)), "poisson": np.full(n, float(poisson)),
            "friction": np.full(n, float(friction))}


def carried_constants(source, name: str) -> tuple:
    """The :data:`CONSTANT_FIELDS` a fault layer carries: ``({field: value}, [warnings])``. A field absent or
    NULL everywhere is left out; one whose values differ between features is left out with a warning (the
    tools take one value)."""
    if source is None:
        return {}, []
    fields = source.fields()
    idx = {f: fields.lookupField(f) for f in CONSTANT_FIELDS if fields.lookupField(f) >= 0}
    if not idx:
        return {}, []
    values = {f: [] for f in idx}
    for feat in source.getFeatures():
        attrs = feat.attributes()
        for f, i in idx.items():
            v = attrs[i]
            if v is None or (hasattr(v, "isNull") and v.isNull()) or str(v) == "NULL":
                continue
            try:
                x = float(v)
            except (TypeError, ValueError):
                continue
            if np.isfinite(x):
                values[f].append(x)
    out, warnings = {}, []
    for f, vals in values.items():
        if not vals:
            continue
        lo, hi = min(vals), max(vals)
        if hi - lo > 1e-12 * max(abs(hi), abs(lo), 1e-300):
            warnings.append(f"{name}: field {f} varies between features ({lo:g} .. {hi:g}); the tools take one "
                            "value, so it is not used")
            continue
        out[f] = lo
    return out, warnings


def fault_fields(f: Faults, kode) -> dict:
    return {"name": np.array(f.name, dtype=object), "kode": np.asarray(kode, dtype=np.int64), "dip_deg": f.dip_deg,
            "top_m": f.top_m, "bottom_m": f.bottom_m, "slip_m": f.slip_m,
            "rake_deg": np.where(f.slip_m > 0, f.rake_deg, np.nan),  # receivers: no rake, tools use defaults
            "strike_slip_m": f.strike_slip_m, "dip_slip_m": f.dip_slip_m, "opening_m": f.opening_m,
            "right_lat_m": -f.strike_slip_m, "reverse_m": f.dip_slip_m}


def trace_ends(f: Faults, e0: float = 0.0, n0: float = 0.0):
    """Map coordinates (m) of both ends of every fault's top edge, the frame placed at (e0, n0):
    ``(east (2n,), north (2n,))``."""
    phi = np.radians(np.asarray(f.strike_deg, float))
    e = np.asarray(f.east_m, float) + e0
    n = np.asarray(f.north_m, float) + n0
    length = np.asarray(f.length_m, float)
    with np.errstate(over="ignore", invalid="ignore"):
        return (np.concatenate([e, e + length * np.sin(phi)]), np.concatenate([n, n + length * np.cos(phi)]))


def trace_wkb(f: Faults, e0: float, n0: float) -> list:
    out = []
    for i in range(len(f)):
        g = ogr.Geometry(ogr.wkbLineString)
        phi = np.radians(f.strike_deg[i])
        g.AddPoint_2D(float(f.east_m[i] + e0), float(f.north_m[i] + n0))
        g.AddPoint_2D(float(f.east_m[i] + e0 + f.length_m[i] * np.sin(phi)),
                      float(f.north_m[i] + n0 + f.length_m[i] * np.cos(phi)))
        out.append(g.ExportToWkb())
    return out


def read_los_datasets(items, max_std_mm: float) -> list:
    """LOS rasters ``[(parameter, path, incidence_deg, heading_deg), ...]`` -> list of (info, los, x, y,
    los_vector, quadtree samples); both in one projected CRS."""
    datasets = []
    for lid, path, incidence, heading in items:
        info = raster_info(path, lid)
        require_projected(info, lid)
        los = read_band(info.path, name=lid, dtype=np.float64)
        rr, cc = np.meshgrid(np.arange(info.height), np.arange(info.width), indexing="ij")
        xx, yy = info.pixel_centres(rr, cc)
        lv = np.array(los_mod.los_unit_vector(incidence, heading), float).ravel()
        datasets.append((info, los, xx, yy, lv,
                         quadtree_sample(los, xx, yy, lv, dataset=len(datasets), max_std_mm=max_std_mm)))
    if len(datasets) == 2 and not datasets[1][0].srs.IsSame(datasets[0][0].srs):
        raise GeohazardError("LOS_DESC is not in the same CRS as LOS_ASC; reproject one of them first")
    return datasets
def segment_wkb(p0, p1) -> list:
    """Two-point line WKB of each segment ``p0[i] -> p1[i]`` (map coordinates)."""
    wkb = []
    for a0, a1 in zip(p0, p1):
        g = ogr.Geometry(ogr.wkbLineString)
        g.AddPoint_2D(float(a0[0]), float(a0[1]))
        g.AddPoint_2D(float(a1[0]), float(a1[1]))
        wkb.append(g.ExportToWkb())
    return wkb


def patch_wkb(p) -> list:
    """Polygon WKB of each slip patch (its surface projection, first vertex = start of the top edge)."""
    wkb = []
    for cor in p.corners():
        ring = ogr.Geometry(ogr.wkbLinearRing)
        for c in list(cor) + [cor[0]]:
            ring.AddPoint_2D(float(c[0]), float(c[1]))
        poly = ogr.Geometry(ogr.wkbPolygon)
        poly.AddGeometry(ring)
        wkb.append(poly.ExportToWkb())
    return wkb


def patch_fields(p, index) -> dict:
    """Fields of the slip-patch layer (read back by :func:`read_patch_polygons`)."""
    cen = p.centres()
    return {"fault": np.array(p.name, dtype=object), "i_strike": index[:, 1], "i_dip": index[:, 2],
            "strike_slip_m": p.strike_slip_m, "dip_slip_m": p.dip_slip_m, "slip_m": p.slip_m,
            "rake_deg": p.rake_deg, "depth_m": cen[:, 2], "top_m": p.top_m, "bottom_m": p.bottom_m,
            "strike_deg": p.strike_deg, "dip_deg": p.dip_deg, "length_m": p.length_m, "width_m": p.width_m}


def sample_fields(samples, model_mm) -> dict:
    """Fields of the quadtree-sample layer: data, model and residual LOS (mm)."""
    return {"dataset": samples.dataset, "los_mm": samples.los_mm, "model_mm": model_mm,
            "residual_mm": samples.los_mm - model_mm, "std_mm": samples.std_mm, "n_pixels": samples.count}


def write_slip_outputs(res, samples, patches, index, dataset, crs_wkt: str, paths: dict, *, model_options: dict,
                       log=None) -> dict:
    """The outputs of a distributed-slip inversion asked for in ``paths`` (``patches`` always; ``samples``,
    ``model``, ``residual``, ``lcurve``): patch polygons, samples with their model, the model and residual on
    the first dataset's grid (``dataset``: its info, LOS, x, y, LOS vectors), the L-curve plot. The tool styles the
    model and residual rasters (the display floor)."""
    write_vector(paths["patches"], patch_fields(res.patches, index), crs_wkt=crs_wkt, wkb=patch_wkb(res.patches),
                 geometry_type=ogr.wkbPolygon)
    out = {"patches": paths["patches"]}
    if paths.get("samples"):
        write_vector(paths["samples"], sample_fields(samples, res.model_mm), crs_wkt=crs_wkt, x=samples.east_m,
                     y=samples.north_m)
        out["samples"] = paths["samples"]
    info, los, xx, yy, lv = dataset[:5]
    if paths.get("model") or paths.get("residual"):
        model = inversion.model_on_grid(res, samples, patches, los, xx, yy, lv, **model_options)
        for key, arr in (("model", model), ("residual", los - model)):
            if paths.get(key):
                out[key] = write_raster(paths[key], arr, info, descriptions=[f"output_{key}"])
    if paths.get("lcurve"):
        if res.lcurve.size:
            drawn = charts.lcurve(res, paths["lcurve"], log=log)
            if drawn:
                out["lcurve"] = drawn
        elif log is not None:
            log.push_info("Fixed smoothing: no L-curve computed")
    return out


def fit_values(res) -> dict:
    """The numbers both slip inversions return, by output ID: moment (N m), magnitude, RMS (mm), variance
    reduction (0-1)."""
    return {"M0": res.m0_nm, "MW": res.mw, "RMS_MM": res.rms_mm, "VARIANCE_REDUCTION": res.variance_reduction}
