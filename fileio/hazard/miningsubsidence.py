"""Files of the mining-subsidence tool: mine-plan polygons in, LOS samples in, the PIM grids, the parameter table
and the fitted panels out (:mod:`..algorithms.hazard.miningsubsidence`, :mod:`..algorithms.hazard.mining_fit`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
from osgeo import ogr
from qgis.core import QgsCoordinateTransform, QgsProject, QgsWkbTypes

from ...algorithms.errors import GeohazardError
from ...algorithms.formats.dates import parse_date, parse_date_list
from ...algorithms.geometry import los as los_mod
from ...algorithms.hazard import mining_advance, mining_fit, mining_time
from ...algorithms.hazard.mining_fit import LosSamples
from ...algorithms.hazard.mining_time import time_bytes_per_pixel, time_grid_block
from ...algorithms.hazard.miningsubsidence import PIM_BYTES_PER_PIXEL, Panel, basin_bounds, check_panels, pim_grid_block
from ...algorithms.progress import SubProgress, info, warn
from ..base import blocks, raster, vector
from ..base.metadata import non_los_component
from ..base.runs import Outcome
from ..display import styles
from ..faults.faults import require_projected_crs

#: The fields of a panel layer that give each panel its depth and thickness (m); typed values fill in for absent
#: fields or NULLs.
DEPTH_FIELD, THICKNESS_FIELD = "DEPTH_M", "THICKNESS_M"
#: The fields of a panel layer that date its extraction (the time modes), typed values filling in likewise.
START_FIELD, END_FIELD = "START_DATE", "END_DATE"
#: The field of a panel layer giving the direction its face advances (degrees clockwise from north; MODE 3).
AZIMUTH_FIELD = "ADVANCE_AZIMUTH_DEG"

#: The rasters of a PIM grid: output key -> (band description, COMPONENT metadata).
COMPONENTS = {"vertical": ("up_mm", "VERTICAL"), "east": ("east_mm", "EAST"), "north": ("north_mm", "NORTH"),
              "los": ("los_mm", "LOS")}


def _is_null(value) -> bool:
    return value is None or (hasattr(value, "isNull") and value.isNull())


def _value(feat, index: int, typed: Optional[float], what: str, name: str, fid, unit: str = "m") -> float:
    value = feat.attributes()[index] if index >= 0 else None
    number = vector.as_number(value) if value is not None else math.nan
    if math.isfinite(number):
        return number
    field = feat.fields().at(index) if index >= 0 else None
    if field is not None and not field.isNumeric() and not _is_null(value) and str(value).strip():
        raise GeohazardError(f"{name}: the field {what} exists but is of type {field.typeName() or 'text'}, and "
                             f"feature {fid} holds {str(value)[:40]!r}, which is not a number; {what} must be a "
                             f"number {'in metres' if unit == 'm' else f'({unit})'}: make the field numeric (Real) or "
                             "write plain numbers in it")
    if typed is not None:
        return float(typed)
    where = f"feature {fid} has no {what}" if index >= 0 else f"the layer has no field {what}"
    raise GeohazardError(f"{name}: {where} and no {what} was typed; add the field {what} ({unit}) to the panels "
                         f"or type {what}")


def _date_value(feat, index: int, typed, what: str, name: str, fid, needed: bool):
    """A panel's START_DATE / END_DATE: the field's date (a Date or DateTime field, or ISO text), else the typed
    one; None when neither and not ``needed``."""
    value = feat.attributes()[index] if index >= 0 else None
    if not _is_null(value):
        if hasattr(value, "toPyDate"):
            return value.toPyDate()
        if hasattr(value, "toPyDateTime"):
            return value.toPyDateTime().date()
        try:
            return parse_date(str(value).strip())
        except (GeohazardError, ValueError):
            raise GeohazardError(f"{name}: feature {fid} has {what} {str(value)[:40]!r}, which is not a date; "
                                 f"write dates as YYYY-MM-DD (or make {what} a Date field)") from None
    if typed is not None:
        return typed
    if needed:
        where = f"feature {fid} has no {what}" if index >= 0 else f"the layer has no field {what}"
        raise GeohazardError(f"{name}: {where} and no {what} was typed; the time mode runs from the end of each "
                             f"panel's extraction: add the field {what} (a date) to the panels or type {what}")
    return None


def read_panels(source, *, name: str, depth_m: Optional[float], thickness_m: Optional[float], dest_crs=None,
                context=None, start_date=None, end_date=None, dated: bool = False, advance: bool = False,
                azimuth_deg: Optional[float] = None) -> tuple:
    """Panels of a polygon source: ``(panels, crs)``. Each part of a multipolygon is a panel; depth and thickness
    come from the fields DEPTH_M / THICKNESS_M, the typed values where a field is absent or NULL; the extraction's
    dates from START_DATE / END_DATE likewise (END_DATE needed with ``dated``, both and the face's direction
    ADVANCE_AZIMUTH_DEG with ``advance``, ``azimuth_deg`` typed). Coordinates are transformed to
    ``dest_crs`` when given; the CRS must be projected (m)."""
    if source is None:
        raise GeohazardError(f"{name}: the layer could not be loaded")
    if QgsWkbTypes.geometryType(source.wkbType()) != QgsWkbTypes.GeometryType.PolygonGeometry:
        raise GeohazardError(f"{name} must be a polygon layer (the mined panels), got "
                             f"{QgsWkbTypes.displayString(source.wkbType())}")
    if isinstance(dest_crs, str):  # a WKT
        from qgis.core import QgsCoordinateReferenceSystem

        dest_crs = QgsCoordinateReferenceSystem.fromWkt(dest_crs) if dest_crs else None
    crs = dest_crs if dest_crs is not None and dest_crs.isValid() else source.sourceCrs()
    require_projected_crs(crs, name)
    transform = None
    if source.sourceCrs() != crs:
        ctx = context.transformContext() if context is not None else QgsProject.instance().transformContext()
        transform = QgsCoordinateTransform(source.sourceCrs(), crs, ctx)
    fields = source.fields()
    i_depth, i_thick = fields.lookupField(DEPTH_FIELD), fields.lookupField(THICKNESS_FIELD)
    i_start, i_end = fields.lookupField(START_FIELD), fields.lookupField(END_FIELD)
    i_azimuth = fields.lookupField(AZIMUTH_FIELD)
    panels = []
    for feat, geom in vector.geometries(source, transform):
        depth = _value(feat, i_depth, depth_m, DEPTH_FIELD, name, feat.id())
        thick = _value(feat, i_thick, thickness_m, THICKNESS_FIELD, name, feat.id())
        start = _date_value(feat, i_start, start_date, START_FIELD, name, feat.id(), advance)
        end = _date_value(feat, i_end, end_date, END_FIELD, name, feat.id(), dated or advance)
        azimuth = _value(feat, i_azimuth, azimuth_deg, AZIMUTH_FIELD, name, feat.id(), "degrees clockwise from "
                         "north") if advance else None
        parts = geom.asMultiPolygon() if geom.isMultipart() else [geom.asPolygon()]
        for k, part in enumerate(parts):
            rings = [[(p.x(), p.y()) for p in ring] for ring in part]
            label = f"{feat.id()}" if len(parts) == 1 else f"{feat.id()}.{k + 1}"
            panels.append(Panel.from_vertices(rings[0], depth, thick, holes=rings[1:], name=label,
                                              start_date=start, end_date=end, advance_azimuth_deg=azimuth))
    if not panels:
        raise GeohazardError(f"{name} has no polygon features")
    return panels, crs


def grid_of_extent(extent: tuple, pixel_m: float, name: str, pixel_name: str) -> tuple:
    """``(geotransform, rows, cols)`` of the north-up grid of ``extent = (xmin, xmax, ymin, ymax)``."""
    xmin, xmax, ymin, ymax = (float(v) for v in extent)
    if not (xmax > xmin and ymax > ymin):
        raise GeohazardError(f"{name}: an extent with a non-zero width and height is needed")
    cols, rows = int(math.ceil((xmax - xmin) / pixel_m)), int(math.ceil((ymax - ymin) / pixel_m))
    if rows * cols > 25_000_000:
        raise GeohazardError(f"{pixel_name}: a pixel of {pixel_m:g} m over this extent gives {rows} x {cols} "
                             "pixels; use a coarser pixel")
    return (xmin, float(pixel_m), 0.0, ymax, 0.0, -float(pixel_m)), rows, cols


def los_vector(incidence_deg: float, heading_deg: float) -> tuple:
    """The ground-to-satellite unit vector ``(e, n, u)`` of a geometry (degrees)."""
    return tuple(float(v) for v in np.array(los_mod.los_unit_vector(incidence_deg, heading_deg), float).ravel())


def read_los_datasets(items, max_samples: int) -> list:
    """``[(LosSamples, RasterInfo)]`` of LOS rasters ``[(parameter, path, incidence_deg, heading_deg)]``, all in
    one projected CRS."""
    out = [read_los_samples(path, name, inc, head, max_samples) for name, path, inc, head in items]
    if len(out) == 2 and not out[1][1].srs.IsSame(out[0][1].srs):
        raise GeohazardError(f"{items[1][0]} is not in the same CRS as {items[0][0]}; reproject one of them first")
    return out


def _sample_cells(data: np.ndarray, name: str, max_samples: int) -> tuple:
    """``(rows, cols)`` of the valid cells of ``data`` taken every k-th row and column (from k // 2) so that at most
    ``max_samples`` remain (the same samples at every run); refused, naming ``name``, without a valid cell."""
    n_valid = int(np.isfinite(data).sum())
    if n_valid == 0:
        raise GeohazardError(f"{name} has no valid pixel")
    step = max(1, int(math.ceil(math.sqrt(n_valid / max(int(max_samples), 1)))))
    sub = data[step // 2::step, step // 2::step]
    rows, cols = np.nonzero(np.isfinite(sub))
    return rows * step + step // 2, cols * step + step // 2


def read_los_samples(path: str, name: str, incidence_deg: float, heading_deg: float, max_samples: int) -> tuple:
    """``(LosSamples, RasterInfo)`` of a LOS raster (mm): its valid pixels, taken every k-th row and column so that
    at most ``max_samples`` remain (the same samples at every run)."""
    info = raster.raster_info(path, name)
    raster.require_projected(info, name)
    data = raster.read_band(info.path, name=name, dtype=np.float64)
    rows, cols = _sample_cells(data, name, max_samples)
    x, y = info.pixel_centres(rows, cols)
    return LosSamples(x, y, data[rows, cols], los_vector(incidence_deg, heading_deg), name), info


def write_pim_grids(paths: dict, *, geotransform, rows: int, cols: int, crs_wkt: str, panels, params, los_vector,
                    run, progress) -> dict:
    """The PIM's rasters asked for (``paths``: key of :data:`COMPONENTS` -> path or ""), block by block through the
    engine; returns ``{key: path}`` of those written."""
    import functools

    wanted = {k: p for k, p in paths.items() if p}
    writers = {}
    for key, path in wanted.items():
        desc, comp = COMPONENTS[key]
        meta = {"UNIT": "mm", "COMPONENT": comp, "MODEL": "probability-integral method (mining subsidence)",
                "SIGN": "positive toward the satellite" if key == "los" else
                "up positive (subsidence negative)" if key == "vertical" else f"{key} positive"}
        writers[key] = raster.RasterWriter(path, width=cols, height=rows, geotransform=geotransform,
                                           crs_wkt=crs_wkt, descriptions=[desc], metadata=meta)
    func = functools.partial(pim_grid_block, geotransform=tuple(geotransform), panels=list(panels), params=params,
                             los_vector=None if los_vector is None else tuple(los_vector))
    blocks.run_blocks(run.plan(rows, cols, bytes_per_pixel=PIM_BYTES_PER_PIXEL), func, sources={}, run=run,
                      progress=progress, writers=writers, background_write=True)
    return wanted


def panel_wkb(panel: Panel) -> bytes:
    """Polygon WKB of a panel (its rings as given)."""
    poly = ogr.Geometry(ogr.wkbPolygon)
    for ring in panel.rings:
        r = ogr.Geometry(ogr.wkbLinearRing)
        pts = np.asarray(ring, float)
        for x, y in list(pts) + [pts[0]]:
            r.AddPoint_2D(float(x), float(y))
        poly.AddGeometry(r)
    return poly.ExportToWkb()


def write_panels(path: str, panels, params, crs_wkt: str) -> str:
    """The panels as polygons with panel, depth_m, thickness_m, radius_m (r = H / tan(beta)) and w_max_mm."""
    fields = {"panel": np.array([p.name or str(i + 1) for i, p in enumerate(panels)], dtype=object),
              "depth_m": np.array([p.depth_m for p in panels]),
              "thickness_m": np.array([p.thickness_m for p in panels]),
              "radius_m": np.array([p.depth_m / params.tan_beta for p in panels]),
              "w_max_mm": np.array([params.subsidence_factor * p.thickness_m * 1000.0 for p in panels])}
    return vector.write_vector(path, fields, crs_wkt=crs_wkt, wkb=[panel_wkb(p) for p in panels],
                               geometry_type=ogr.wkbPolygon)


def write_table(path: str, table: dict) -> str:
    """A table without geometry (GeoPackage or CSV by the extension)."""
    n = len(next(iter(table.values())))
    return vector.write_vector(path, table, wkb=[None] * n, geometry_type=ogr.wkbNone)


#: The outputs of a run, in the order the tool gives them: the four grids, the parameter table, the panels.
OUTPUT_KINDS = ("vertical", "east", "north", "los", "parameters", "panel")


def write_results(outs: dict, *, grid: tuple, crs_wkt: str, panels, params, table: dict, los_vector, run, progress,
                  context=None) -> dict:
    """Every output asked for (``outs``: kind of :data:`OUTPUT_KINDS` -> ``(output ID, path or "")``): the grids
    through the engine, styled, the parameter table and the panels; returns ``{output ID: path}``."""
    check_panels(panels)
    params.check()
    gt, rows, cols = grid
    x0, x1 = sorted((gt[0], gt[0] + cols * gt[1]))
    y0, y1 = sorted((gt[3], gt[3] + rows * gt[5]))
    bx0, bx1, by0, by1 = basin_bounds(panels, params)
    if bx1 < x0 or bx0 > x1 or by1 < y0 or by0 > y1:
        raise GeohazardError(f"{outs['vertical'][0]}: the basin of the panels (x {bx0:.0f}-{bx1:.0f}, y {by0:.0f}-"
                             f"{by1:.0f} m) lies outside the grid (x {x0:.0f}-{x1:.0f}, y {y0:.0f}-{y1:.0f} m): the "
                             "map would hold zeros only; give an extent over the panels")
    if outs["los"][1] and los_vector is None:
        raise GeohazardError(f"{outs['los'][0]} needs a line of sight: type INCIDENCE and HEADING")
    written = write_pim_grids({k: outs[k][1] for k in COMPONENTS}, geotransform=grid[0], rows=grid[1], cols=grid[2],
                              crs_wkt=crs_wkt, panels=panels, params=params, los_vector=los_vector, run=run,
                              progress=progress)
    results = {}
    for key, path in written.items():
        styles.style_raster_diverging(path, context=context)
        results[outs[key][0]] = path
    if outs["parameters"][1]:
        results[outs["parameters"][0]] = write_table(outs["parameters"][1], table)
    if outs["panel"][1]:
        results[outs["panel"][0]] = write_panels(outs["panel"][1], panels, params, crs_wkt)
    return results


# ------------------------------------------------------------------------------------------------ time mode
def read_series_samples(path: str, name: str, max_samples: int) -> tuple:
    """``(x, y, series (n_dates, n), dates, RasterInfo)`` of a time-series raster (mm, one band per date, band
    descriptions ISO dates): its pixels valid on every date, every k-th row and column so that at most
    ``max_samples`` remain, read one band at a time."""
    info = raster.raster_info(path, name)
    raster.require_projected(info, name)
    dates = []
    for k, desc in enumerate(info.descriptions or [""] * info.count):
        try:
            dates.append(parse_date(str(desc or "").strip()))
        except (GeohazardError, ValueError):
            raise GeohazardError(f"{name}: band {k + 1} is described {desc!r}, not a date: the time mode needs a "
                                 "time series with one band per date, each described by its date (YYYY-MM-DD), "
                                 "as the plugin's time-series tools write it") from None
    if len(dates) < 3:
        raise GeohazardError(f"{name} has {len(dates)} dated band(s): the time factor needs a series of at least 3")
    first = raster.read_band(info.path, 1, name=name, dtype=np.float64)
    rows, cols = _sample_cells(first, name, max_samples)
    series = np.empty((len(dates), rows.size))
    series[0] = first[rows, cols]
    for k in range(1, len(dates)):
        series[k] = raster.read_band(info.path, k + 1, name=name, dtype=np.float64)[rows, cols]
    x, y = info.pixel_centres(rows, cols)
    return x, y, series, dates, info


def write_time_grid(path: str, *, grid: tuple, crs_wkt: str, panels, params, dates, c_per_year: float, run,
                    progress, tan_beta_2=None, advance: bool = False, context=None) -> str:
    """The vertical displacement (mm, up positive) at each of ``dates`` since each panel's END_DATE (with
    ``advance``: as each face advances from START_DATE), one band per date, described by it, block by block through
    the engine; styled."""
    import functools

    gt, rows, cols = grid
    meta = {"UNIT": "mm", "COMPONENT": "VERTICAL", "SIGN": "up positive (subsidence negative)",
            "MODEL": "probability-integral method with Knothe's time function 1 - exp(-c t), t from END_DATE",
            "TIME_FACTOR_PER_YEAR": f"{c_per_year:.10g}", "DATES": ",".join(d.isoformat() for d in dates)}
    if advance:
        meta["MODEL"] = ("probability-integral method, each element extracted as the face advances from START_DATE to "
                         "END_DATE and lagged by Knothe's time function 1 - exp(-c t)")
        if tan_beta_2 is not None:
            meta["TAN_BETA_2"] = f"{tan_beta_2:.10g}"
        func = functools.partial(mining_advance.advance_grid_block, geotransform=tuple(gt), panels=list(panels),
                                 params=params, dates=list(dates), c_per_year=float(c_per_year),
                                 tan_beta_2=tan_beta_2)
        epoch = min(p.start_date for p in panels)
        n_strips = len(mining_advance.advance_strips(panels, params, epoch, tan_beta_2))
        per_pixel = mining_advance.advance_bytes_per_pixel(len(dates), n_strips)
    else:
        func = functools.partial(time_grid_block, geotransform=tuple(gt), panels=list(panels), params=params,
                                 dates=list(dates), c_per_year=float(c_per_year))
        per_pixel = time_bytes_per_pixel(len(dates), len(panels))
    writer = raster.RasterWriter(path, width=cols, height=rows, count=len(dates), geotransform=gt, crs_wkt=crs_wkt,
                                 descriptions=[d.isoformat() for d in dates], metadata=meta)
    blocks.run_blocks(run.plan(rows, cols, bytes_per_pixel=per_pixel), func, sources={}, run=run, progress=progress,
                      writers={"vertical": writer}, background_write=True)
    styles.style_raster_diverging(path, band=len(dates), context=context)
    return path


def _typed_date(text, pid: str):
    text = str(text or "").strip()
    try:
        return parse_date(text) if text else None
    except (GeohazardError, ValueError):
        raise GeohazardError(f"{pid} = {text!r} is not a date (YYYY-MM-DD)") from None


def _series_component(path: str, component: int, progress) -> None:
    """Refuse a series whose metadata declares another component than INPUT_COMPONENT says."""
    declared = non_los_component(path)
    if component == 0 and declared:
        raise GeohazardError(f"INPUT declares {declared}, not the line of sight: set INPUT_COMPONENT to vertical, "
                             "or give the LOS series")
    if component == 1 and declared and declared.split("=")[-1].upper() not in ("VERTICAL", "UP", "U"):
        raise GeohazardError(f"INPUT declares {declared}, not the vertical")
    if component == 1 and not declared:
        info(progress, "INPUT declares no component: taken as vertical, up positive, as INPUT_COMPONENT says")


def time_mode(panels_source, typed: dict, *, input_path: str, params, outs: dict, los, extent, pixel_m: float,
              max_samples: int, run, progress=None, context=None, advance: bool = False) -> dict:
    """The time modes of the tool, from plain values (``advance``: MODE 3, the faces advancing; else MODE 2):
    ``typed`` the typed values by parameter ID (DEPTH_M, THICKNESS_M, START_DATE, END_DATE, TIME_FACTOR,
    FORECAST_DATES, INPUT_COMPONENT: 0 LOS, 1 vertical; ADVANCE_AZIMUTH_DEG, TAN_BETA_2 with ``advance``; None where
    empty), ``input_path`` the time series ("" without), ``outs`` the output paths by ID, ``los()`` the series'
    (incidence, heading), ``extent(crs)`` the EXTENT (a QgsRectangle) in the panels' CRS. Returns
    ``{output ID: path}``."""
    c_typed = None if typed.get("TIME_FACTOR") is None else float(typed["TIME_FACTOR"])
    tan_beta_2 = None if not advance or typed.get("TAN_BETA_2") is None else float(typed["TAN_BETA_2"])
    grid_info = raster.raster_info(input_path, "INPUT") if input_path else None
    series, lv = None, None
    if input_path and c_typed is None:
        _series_component(input_path, int(typed.get("INPUT_COMPONENT") or 0), progress)
        lv = los_vector(*los()) if not typed.get("INPUT_COMPONENT") else None
        series = read_series_samples(input_path, "INPUT", max_samples)
    panels, crs = read_panels(panels_source, name="PANELS", depth_m=typed.get("DEPTH_M"),
                              thickness_m=typed.get("THICKNESS_M"), context=context,
                              dest_crs=grid_info.crs_wkt if grid_info else None,
                              start_date=_typed_date(typed.get("START_DATE"), "START_DATE"),
                              end_date=_typed_date(typed.get("END_DATE"), "END_DATE"), dated=True, advance=advance,
                              azimuth_deg=typed.get("ADVANCE_AZIMUTH_DEG"))
    check_panels(panels)
    params.check()
    if advance:
        mining_advance.check_advance(panels, tan_beta_2)
    else:
        mining_time.check_panel_dates(panels)
    table = params.table()
    if advance:
        table = {"parameter": np.r_[table["parameter"], np.array(["tan_beta_2"], dtype=object)],
                 "value": np.r_[table["value"], math.nan if tan_beta_2 is None else tan_beta_2],
                 "std_error": np.r_[table["std_error"], math.nan]}
    if c_typed is not None:
        c, se, rms = float(c_typed), math.nan, math.nan
        mining_time.check_time_factor(c)
    else:
        x, y, data, dates, _ = series
        if advance:
            fit = mining_time.fit_advance_factor(data, x, y, dates, panels, params, tan_beta_2=tan_beta_2,
                                                    los_vector=lv, progress=SubProgress(progress, 0, 60))
        else:
            fit = mining_time.fit_time_factor(data, x, y, dates, panels, params, los_vector=lv,
                                              progress=SubProgress(progress, 0, 60))
        c, se, rms = fit.c_per_year, fit.std_error, fit.rms_mm
        info(progress, f"time factor c = {c:.6g} +- {se:.3g} /yr (half-time {math.log(2) / c * 365.25:.0f} days), "
                          f"rms {rms:.3g} mm over {fit.n_samples} pixels x {fit.n_dates} dates; with the basin as "
                          f"typed: c = {fit.c_typed_basin:.6g} /yr, rms {fit.rms_typed_mm:.3g} mm")
        names = list(table["parameter"])
        for name, (value, err) in fit.basin.items():
            info(progress, f"{name} = {value:.6g} +- {err:.3g} (typed {table['value'][names.index(name)]:.6g})")
        for w in fit.warnings:
            warn(progress, w)
        params = mining_time.fitted_parameters(params, fit)
        tan_beta_2 = fit.basin["tan_beta_2"][0] if "tan_beta_2" in fit.basin else tan_beta_2
        for name, (value, err) in fit.basin.items():
            table["value"][names.index(name)] = value
            table["std_error"][names.index(name)] = err
    text = str(typed.get("FORECAST_DATES") or "").strip()
    forecast = parse_date_list(text, name="FORECAST_DATES") if text else list(series[3]) if series else []
    if not forecast:
        raise GeohazardError("FORECAST_DATES: no date was given (with a typed TIME_FACTOR, the forecast dates are "
                             "needed)")
    if grid_info is not None:
        grid = (grid_info.geotransform, grid_info.height, grid_info.width)
    else:
        ext = extent(crs)
        grid = grid_of_extent((ext.xMinimum(), ext.xMaximum(), ext.yMinimum(), ext.yMaximum()), pixel_m, "EXTENT",
                              "PIXEL_SIZE")
    for pid in ("OUTPUT_EAST", "OUTPUT_LOS"):
        if outs.get(pid):
            warn(progress, f"{pid}: not written in the time mode (OUTPUT_VERTICAL holds the forecasts)")
    results = {"OUTPUT_VERTICAL": write_time_grid(outs["OUTPUT_VERTICAL"], grid=grid, crs_wkt=crs.toWkt(),
                                                  panels=panels, params=params, dates=forecast, c_per_year=c,
                                                  run=run, progress=SubProgress(progress, 60, 100),
                                                  tan_beta_2=tan_beta_2, advance=advance, context=context)}
    if outs.get("OUTPUT_PARAMETERS"):
        results["OUTPUT_PARAMETERS"] = write_table(outs["OUTPUT_PARAMETERS"], {
            "parameter": np.array(list(table["parameter"]) + ["time_factor_per_year", "rms_mm"], dtype=object),
            "value": np.r_[table["value"], c, rms], "std_error": np.r_[table["std_error"], se, math.nan]})
    if outs.get("OUTPUT_PANEL"):
        results["OUTPUT_PANEL"] = write_panels(outs["OUTPUT_PANEL"], panels, params, crs.toWkt())
    return results


# ------------------------------------------------------------------------------------------------ the run
#: The output IDs of :data:`OUTPUT_KINDS`, in order.
OUTPUT_IDS = ("OUTPUT_VERTICAL", "OUTPUT_EAST", "OUTPUT_NORTH", "OUTPUT_LOS", "OUTPUT_PARAMETERS", "OUTPUT_PANEL")


@dataclass(frozen=True)
class Job:
    """A mining-subsidence run as plain values: the mode (``mode``: 0 forward, 1 invert, 2 time, 3 during
    extraction), the panels (``panels``: a feature source), the PIM parameters typed (``params``), the other values
    by parameter ID (``typed``: DEPTH_M, THICKNESS_M, TIME_FACTOR, START_DATE, END_DATE, FORECAST_DATES,
    INPUT_COMPONENT, ADVANCE_AZIMUTH_DEG, TAN_BETA_2, RAMP, FIT_POSITION, MAX_SAMPLES, PIXEL_SIZE; None where
    empty), the LOS rasters given (``inputs``: ``(ID, path)``
    pairs of INPUT, INPUT_2), ``geometry(ID)`` the ``(incidence, heading)`` of one (or of the forward LOS: INPUT),
    ``extent(crs)`` the EXTENT in the panels' CRS, the outputs (``outputs``: ``{output ID: path or ""}``) and the
    run-wide knobs (``settings``)."""

    mode: int
    panels: object
    params: object
    typed: dict
    inputs: tuple
    geometry: Callable
    extent: Callable
    outputs: dict
    settings: blocks.RunSettings


def run(job: Job, *, progress, context=None) -> Outcome:
    """The basin of the plan (forward), fitted to the LOS maps (invert) or forecast in time (time, during
    extraction), written."""
    typed, outs = job.typed, job.outputs
    if job.mode in (2, 3):
        first = dict(job.inputs).get("INPUT", "")
        return Outcome(outputs=time_mode(
            job.panels, typed, input_path=first, params=job.params, outs=outs, los=lambda: job.geometry("INPUT"),
            pixel_m=typed["PIXEL_SIZE"], extent=job.extent, max_samples=typed["MAX_SAMPLES"], run=job.settings,
            progress=progress, context=context, advance=job.mode == 3))
    data = read_los_datasets([(rid, path, *job.geometry(rid)) for rid, path in job.inputs], typed["MAX_SAMPLES"]) \
        if job.mode == 1 else []
    panels, crs = read_panels(job.panels, name="PANELS", depth_m=typed["DEPTH_M"], thickness_m=typed["THICKNESS_M"],
                              context=context, dest_crs=data[0][1].crs_wkt if data else None)
    params, table = job.params, job.params.table()
    if data:
        fit = mining_fit.fit_pim([d for d, _ in data], panels, params, ramp=typed["RAMP"],
                                 position=mining_fit.POSITIONS[typed["FIT_POSITION"]],
                                 progress=SubProgress(progress, 0, 70))
        params, panels, table, grid_info = fit.params, fit.panels, fit.table(), data[0][1]
        for name, value, err in zip(fit.names, fit.values, fit.std_errors):
            info(progress, f"{name} = {value:.6g} +- {err:.3g}")  # a parameter's name and value
        for w in fit.warnings:
            warn(progress, w)
        grid, lv = (grid_info.geotransform, grid_info.height, grid_info.width), data[0][0].los_vector
    else:
        ext = job.extent(crs)
        grid = grid_of_extent((ext.xMinimum(), ext.xMaximum(), ext.yMinimum(), ext.yMaximum()), typed["PIXEL_SIZE"],
                              "EXTENT", "PIXEL_SIZE")
        lv = los_vector(*job.geometry("INPUT")) if outs.get("OUTPUT_LOS") else None
    return Outcome(outputs=write_results(
        {k: (pid, outs.get(pid, "")) for k, pid in zip(OUTPUT_KINDS, OUTPUT_IDS)}, grid=grid, crs_wkt=crs.toWkt(),
        panels=panels, params=params, table=table, los_vector=lv, run=job.settings,
        progress=SubProgress(progress, 70 if data else 0, 100), context=context))
