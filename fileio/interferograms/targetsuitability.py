"""IO of the target-suitability tool: the density table, the land-cover codes of a raster, rasters put on the
land-cover grid, expected points per polygon written as a GeoPackage."""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from typing import Optional

import numpy as np
from osgeo import gdal, ogr

from ...algorithms.engine import CallableSource
from ...algorithms.errors import GeohazardError
from ...algorithms.interferograms import targetsuitability as targets
from ...algorithms.progress import check_canceled
from ..base import blocks, vector
from ..base.raster import RasterInfo, RasterWriter, raster_info
from ..base.rasterize import burn_polygons, polygon_rows_reader
from ..base.runs import Outcome
from ..geometry.geometry import metric_pixel_size


def read_density_table(path: str, name: str = "DENSITIES") -> targets.DensityTable:
    """The CSV ``class,density[,label]`` at ``path`` (UTF-8, a byte-order mark allowed)."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise GeohazardError(f"{name}: cannot read {path!r} as a UTF-8 CSV table ({exc})") from None
    return targets.parse_densities(text, name=name)


def class_counts(info: RasterInfo, run, progress, *, grid_codes: bool, name: str) -> tuple:
    """Every land-cover code of ``info`` and its pixel count (one pass over the raster on the block engine)."""
    totals: dict = {}

    def collect(block, out):
        for c, n in zip(out["codes"].tolist(), out["counts"].tolist()):
            totals[c] = totals.get(c, 0) + int(n)

    blocks.run_blocks(run.plan(info.height, info.width, bytes_per_pixel=targets.COUNT_BYTES_PER_PIXEL),
                      functools.partial(targets.class_counts_block, grid_codes=grid_codes), collect,
                      sources={"land_cover": blocks.raster_source(info.path, dtype=np.float64, name=name)},
                      run=run, progress=progress)
    codes = np.array(sorted(totals), dtype=np.float64)
    return codes, np.array([totals[c] for c in sorted(totals)], dtype=np.int64)


def value_range(path: str, name: str) -> tuple:
    """The exact minimum and maximum of band 1 (its no-data left out); ``(nan, nan)`` when it has no value."""
    ds = gdal.Open(path)
    if ds is None:
        raise GeohazardError(f"{name}: cannot open {path!r}")
    try:
        lo, hi = ds.GetRasterBand(1).ComputeRasterMinMax(False)
    except RuntimeError:  # every pixel no-data
        lo = hi = float("nan")
    ds = None
    return float(lo), float(hi)


def on_grid(ref: RasterInfo, path: str, name: str, *, resampling: str, folder: str) -> tuple:
    """``path`` on the grid of ``ref``: itself when it is on that grid already, else a VRT in ``folder`` warped with
    ``resampling`` (float32, NaN outside). Returns ``(path, text for the log or "")``."""
    info = raster_info(path, name)
    if info.same_grid(ref):
        return path, ""
    if not info.crs_wkt or not ref.crs_wkt:
        raise GeohazardError(f"{name}: {os.path.basename(path)} is not on the LAND_COVER grid and one of the two has "
                             "no CRS to resample it with; give both with their CRS, or on one grid")
    gt = ref.geotransform
    xs, ys = [gt[0], gt[0] + ref.width * gt[1]], [gt[3], gt[3] + ref.height * gt[5]]
    dst = os.path.join(folder, f"{name.lower()}_on_land_cover.vrt")
    opts = gdal.WarpOptions(format="VRT", outputBounds=(min(xs), min(ys), max(xs), max(ys)), width=ref.width,
                            height=ref.height, dstSRS=ref.crs_wkt, resampleAlg=resampling, dstNodata=float("nan"),
                            outputType=gdal.GDT_Float32, multithread=False)
    ds = gdal.Warp(dst, path, options=opts)
    if ds is None:
        raise GeohazardError(f"{name}: {os.path.basename(path)} could not be resampled onto the LAND_COVER grid")
    ds = None
    return dst, (f"{name}: resampled onto the land-cover grid ({ref.height} x {ref.width} px) with {resampling} "
                 f"interpolation ({os.path.basename(path)} has {info.height} x {info.width} px)")


def grid_sources(info: RasterInfo, land_cover: str, paths: dict, folder: str, log) -> dict:
    """Engine sources on the land-cover grid: ``land_cover`` and, of ``paths`` (parameter ID -> path or ""), the
    R-index (checked: :func:`check_rindex`; bilinear) and the distortion classes (nearest), the resamplings said on
    ``log`` (``push_info``, ``push_warning``)."""
    sources = {"land_cover": blocks.raster_source(info.path, dtype=np.float64, name=land_cover)}
    for (key, how), (pid, path) in zip((("rindex", "bilinear"), ("classes", "near")), paths.items()):
        if path:
            if key == "rindex":
                check_rindex(path, pid, log)
            path, note = on_grid(info, path, pid, resampling=how, folder=folder)
            sources[key] = blocks.raster_source(path, dtype=np.float64, name=pid)
            if note:
                log.push_info(note)
    return sources


def scratch_folder() -> str:
    """A folder for the run's VRTs in the system's temporary folder (never beside an input)."""
    return tempfile.mkdtemp(prefix="geohazard_targets_")


def pixel_areas_km2(info: RasterInfo, name: str) -> np.ndarray:
    """Area of the pixels of each row (km2; one value per row, geographic grids on the WGS84 ellipsoid)."""
    dx_rows, dy = metric_pixel_size(info, name)
    return np.asarray(dx_rows, dtype=np.float64) * float(dy) / 1e6


def polygons_of(source, crs_wkt: str, transform_context, name: str) -> list:
    """``[(feature id, WKB in crs_wkt)]`` of a polygon source (empty geometries left out)."""
    out = vector.polygons_wkb(source, crs_wkt, transform_context)
    if not out:
        raise GeohazardError(f"{name}: the layer has no polygon")
    return out


def _window(info: RasterInfo, wkb: bytes):
    """The pixel window ``(r0, r1, c0, c1)`` of a polygon's envelope on the grid (None when outside)."""
    x0, x1, y0, y1 = ogr.CreateGeometryFromWkb(wkb).GetEnvelope()
    rows, cols = info.world_to_pixel(np.array([x0, x0, x1, x1]), np.array([y0, y1, y0, y1]))
    r0, r1 = max(int(math.floor(rows.min())), 0), min(int(math.ceil(rows.max())), info.height)
    c0, c1 = max(int(math.floor(cols.min())), 0), min(int(math.ceil(cols.max())), info.width)
    return (r0, r1, c0, c1) if r1 > r0 and c1 > c0 else None


def points_per_polygon(density_path: str, info: RasterInfo, polygons: list, progress=None) -> dict:
    """Expected points, area and mean density of each polygon over the density raster (``info``'s grid), pixels
    counted when their centre is inside. Columns ``AREA_FID, AREA_KM2, COVERED_KM2, EXPECTED_POINTS, POINTS_KM2``."""
    areas = pixel_areas_km2(info, "LAND_COVER")
    ds = gdal.Open(density_path)
    band = ds.GetRasterBand(1)
    cols = {k: [] for k in ("AREA_FID", "AREA_KM2", "COVERED_KM2", "EXPECTED_POINTS", "POINTS_KM2")}
    gt = info.geotransform
    for n, (fid, wkb) in enumerate(polygons):
        if n % 200 == 0:
            check_canceled(progress)
        win = _window(info, wkb)
        points = area = covered = 0.0
        if win is not None:
            r0, r1, c0, c1 = win
            sub = dataclasses.replace(info, width=c1 - c0, height=r1 - r0,
                                      geotransform=(gt[0] + c0 * gt[1] + r0 * gt[2], gt[1], gt[2],
                                                    gt[3] + c0 * gt[4] + r0 * gt[5], gt[4], gt[5]))
            inside = burn_polygons([wkb], sub).astype(bool)
            dens = band.ReadAsArray(c0, r0, c1 - c0, r1 - r0).astype(np.float64)
            points, area, covered = targets.expected_points(dens, areas[r0:r1, None], inside)
        cols["AREA_FID"].append(fid)
        cols["AREA_KM2"].append(area)
        cols["COVERED_KM2"].append(covered)
        cols["EXPECTED_POINTS"].append(points if covered > 0 else float("nan"))  # off the land cover: no value
        cols["POINTS_KM2"].append(points / covered if covered > 0 else float("nan"))
    ds = None
    return {k: np.asarray(v, dtype=np.int64 if k == "AREA_FID" else np.float64) for k, v in cols.items()}


def write_points_table(path: str, table: dict, polygons: list, crs_wkt: str) -> str:
    """The polygons with their expected points as a GeoPackage layer (polygon geometry in the land-cover CRS)."""
    multi = [bytes(ogr.ForceToMultiPolygon(ogr.CreateGeometryFromWkb(w)).ExportToWkb()) for _f, w in polygons]
    return vector.write_vector(path, table, crs_wkt=crs_wkt, wkb=multi, geometry_type=ogr.wkbMultiPolygon)


def check_rindex(path: str, name: str, log) -> None:
    """Refuse a raster that is no R-index (an angle in degrees), warn on one slightly beyond -1..1
    (:func:`..algorithms.interferograms.targetsuitability.rindex_problem`); ``log`` has ``push_warning``."""
    problem, doubt = targets.rindex_problem(*value_range(path, name), name)
    if problem:
        raise GeohazardError(problem)
    if doubt:
        log.push_warning(doubt)


def flat_ground_densities(table: targets.DensityTable, incidence_deg: float, log, name: str = "DENSITIES"):
    """Densities given on flat open ground as densities per unit R-index (divided by sin(incidence)), logged."""
    log.push_info(f"{name}: densities on flat open ground at {incidence_deg:.4g} deg incidence, divided by "
                  f"sin(incidence) = {math.sin(math.radians(incidence_deg)):.4f} (per unit R-index)")
    return targets.per_unit_r(table, incidence_deg)


def area_table(path: str, density_path: str, info: RasterInfo, polygons: list, min_points: float, log, *,
               names=("AREAS", "LAND_COVER", "MIN_POINTS")) -> tuple:
    """The expected points of each polygon (:func:`points_per_polygon`) with ``sufficient`` (expected points >=
    ``min_points``; NULL off the land cover, warned on ``log``), written to ``path``. Returns ``(path, summary for
    the log)``."""
    rows = points_per_polygon(density_path, info, polygons, log)
    rows["sufficient"] = targets.sufficient(rows["EXPECTED_POINTS"], min_points)
    written = write_points_table(path, rows, polygons, info.crs_wkt)
    summary, off = targets.areas_summary(rows, min_points, areas=names[0], land_cover=names[1], min_name=names[2])
    if off:
        log.push_warning(off)
    return written, summary


def points_on_grid(info: RasterInfo, x, y, crs_wkt: str, name: str) -> tuple:
    """Points given in ``crs_wkt`` on the grid of ``info`` (reprojected when the CRS differs): ``(x, y in the
    grid's CRS, sorted flat pixel indices of those on the grid, count of those off it)``."""
    if not info.crs_wkt or not info.has_georef:
        raise GeohazardError(f"{name}: LAND_COVER has no coordinate reference system, so the points cannot be "
                             "placed on it; give the land cover with its CRS")
    if not crs_wkt:
        raise GeohazardError(f"{name}: the layer has no coordinate reference system; give it one")
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    from osgeo import osr

    src = osr.SpatialReference()
    src.ImportFromWkt(crs_wkt)
    if info.srs is None or not src.IsSame(info.srs):
        from pyproj import Transformer

        x, y = Transformer.from_crs(crs_wkt, info.crs_wkt, always_xy=True).transform(x, y)
        x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    with np.errstate(invalid="ignore", over="ignore"):  # a point the transformation cannot place is infinite
        row, col = info.world_to_pixel(x, y)
    ok = np.isfinite(row) & np.isfinite(col)
    r, c = np.floor(np.where(ok, row, -1)).astype(np.int64), np.floor(np.where(ok, col, -1)).astype(np.int64)
    on = ok & (r >= 0) & (r < info.height) & (c >= 0) & (c < info.width)
    if not on.any():
        gt = info.geotransform
        span = (f"x {x[ok].min():.6g}..{x[ok].max():.6g}, y {y[ok].min():.6g}..{y[ok].max():.6g}"
                if ok.any() else "no finite coordinate")
        raise GeohazardError(f"{name}: none of its {len(x)} point(s) falls on LAND_COVER (the points span {span} in "
                             f"the land cover's CRS, the land cover x {gt[0]:.6g}..{gt[0] + info.width * gt[1]:.6g}, "
                             f"y {gt[3] + info.height * gt[5]:.6g}..{gt[3]:.6g}); give points over the land cover")
    return x, y, np.sort(r[on] * info.width + c[on]), int((~on).sum())


def hull_polygon(x, y, name: str) -> bytes:
    """The convex hull of the points (grid CRS) as polygon WKB."""
    ring = targets.hull_ring(x, y, name=name)
    return bytes(ogr.CreateGeometryFromWkt("POLYGON((" + ",".join(f"{float(a)!r} {float(b)!r}" for a, b in ring) + "))")
                 .ExportToWkb())


def calibrate(info: RasterInfo, sources: dict, flat_points, wkbs, run, progress, *, grid_codes: bool,
              area_name: str) -> tuple:
    """Per land-cover class, the points of a calibration result on its pixels inside the calibration polygons
    ``wkbs`` (grid CRS) and its area and seen area there (one pass on the block engine, ``sources`` the land cover
    and, when given, the R-index and distortion classes on its grid). Returns ``(Calibration, points left out)``;
    raises naming ``area_name`` when the area holds no land-cover pixel or no point."""
    totals: dict = {}
    left = [0.0]

    def collect(block, out):
        targets.add_calibration(totals, out)
        left[0] += out["left_out"]

    srcs = dict(sources, inside=CallableSource(polygon_rows_reader(info, wkbs)),
                points=CallableSource(lambda r0, r1: targets.points_grid(flat_points, r0, r1, info.width)))
    func = functools.partial(targets.calibration_block, pixel_area_km2=pixel_areas_km2(info, "LAND_COVER"),
                             grid_codes=grid_codes)
    blocks.run_blocks(run.plan(info.height, info.width, bytes_per_pixel=targets.CALIBRATION_BYTES_PER_PIXEL), func,
                      collect, sources=srcs, run=run, progress=progress)
    if not totals:
        raise GeohazardError(f"{area_name} covers no pixel of LAND_COVER with a class (and a value of R_INDEX "
                             "when DISTORTION is given); give an area over the land cover")
    cal = targets.derive_densities(totals)
    if cal.points.sum() == 0:
        raise GeohazardError(f"CALIBRATION_POINTS: no point falls inside {area_name} on a land-cover pixel; give "
                             "the points of a result over that area")
    return cal, int(round(left[0]))


def write_calibration(path: str, cal) -> str:
    """The derived densities as the CSV that DENSITIES reads (:func:`..algorithms.interferograms.targetsuitability.
    format_calibration`)."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(targets.format_calibration(cal))
    return path


def measure_densities(info: RasterInfo, sources: dict, points: tuple, area, run, progress, *, grid_codes: bool,
                      log, out_path: str = "") -> tuple:
    """Densities per class measured on a calibration result: ``points`` ``(x, y, CRS WKT)`` (CALIBRATION_POINTS),
    ``area`` the ``[(fid, WKB in the grid's CRS)]`` of CALIBRATION_AREA or None (the convex hull of the points).
    Writes the CSV to ``out_path`` when given; each class's line goes to ``log`` (``push_info``) and the classes
    left without a density to its ``push_warning``. Returns ``(density table of the derived classes, the summary
    line)``."""
    x, y, flat, off = points_on_grid(info, points[0], points[1], points[2], "CALIBRATION_POINTS")
    if area:
        area_name, wkbs = "CALIBRATION_AREA", [w for _f, w in area]
    else:
        fin = np.isfinite(x) & np.isfinite(y)
        area_name, wkbs = "the convex hull of CALIBRATION_POINTS", [hull_polygon(x[fin], y[fin],
                                                                                 "CALIBRATION_POINTS")]
    cal, left = calibrate(info, sources, flat, wkbs, run, progress, grid_codes=grid_codes, area_name=area_name)
    lines, small = targets.calibration_report(cal)
    summary = (f"densities measured on {area_name}: {cal.points.sum():.0f} of {len(x)} points on "
               f"{cal.area_km2.sum():.4g} km2 of land cover ({off + left} off the land cover, outside the area or on "
               "no-data)")
    if out_path:
        write_calibration(out_path, cal)
    for line in lines:
        log.push_info(line)
    if small:
        log.push_warning(small)
    return cal.table(), summary


@dataclass(frozen=True)
class Job:
    """A run of the tool as plain values (the tool reads them from its parameters).

    ``land_cover`` the land cover's :class:`RasterInfo` (its grid is the output's), ``settings`` the run-wide knobs,
    ``outputs`` ``{output ID: path}`` (``OUTPUT``, and when asked ``OUTPUT_TABLE``, ``OUTPUT_DENSITIES``);
    ``densities`` the CSV of DENSITIES ("" without), ``flat_incidence_deg`` the incidence dividing densities typed
    on flat open ground (None: per unit R-index); ``r_index``, ``distortion`` paths or ""; ``calibration_points``
    ``(x, y, CRS WKT)`` or None, ``calibration_area`` and ``areas`` ``[(fid, WKB in the land cover's CRS)]`` or
    None."""

    land_cover: RasterInfo
    settings: blocks.RunSettings
    outputs: dict
    grid_codes: bool = False
    densities: str = ""
    flat_incidence_deg: Optional[float] = None
    r_index: str = ""
    distortion: str = ""
    calibration_points: Optional[tuple] = None
    calibration_area: Optional[list] = None
    areas: Optional[list] = None
    min_points: float = 5.0


def _given_densities(job: Job, progress):
    """The densities of DENSITIES (None without), made per unit R-index when typed on flat open ground."""
    table = read_density_table(job.densities) if job.densities else None
    if table is not None and job.flat_incidence_deg is not None:
        table = flat_ground_densities(table, job.flat_incidence_deg, progress)
    return table


def _with_measured(job: Job, table, sources: dict, outcome: Outcome, progress):
    """``table`` merged with the densities measured on CALIBRATION_POINTS (written to OUTPUT_DENSITIES when
    asked)."""
    if job.calibration_points is None:
        return table
    path = job.outputs.get("OUTPUT_DENSITIES", "")
    measured, summary = measure_densities(job.land_cover, sources, job.calibration_points,
                                          job.calibration_area or None, job.settings, progress,
                                          grid_codes=job.grid_codes, out_path=path, log=progress)
    outcome.notes.append(summary)
    if path:
        outcome.outputs["OUTPUT_DENSITIES"] = path
    return targets.merge_tables(table, measured)


def run(job: Job, *, progress) -> Outcome:
    """The expected targets per km2 on the land cover's grid (and the densities measured, the expected points per
    area when asked). ``progress`` has the core's progress protocol and ``push_info`` / ``push_warning``."""
    info, settings, outcome = job.land_cover, job.settings, Outcome()
    table = _given_densities(job, progress)
    folder = scratch_folder()
    try:
        sources = grid_sources(info, "LAND_COVER", {"R_INDEX": job.r_index, "DISTORTION": job.distortion}, folder,
                               progress)
        table = _with_measured(job, table, sources, outcome, progress)
        codes, counts = class_counts(info, settings, progress, grid_codes=job.grid_codes, name="LAND_COVER")
        problem = targets.missing_codes_message(codes, counts, table, densities=" or ".join(
            name for name, given in (("DENSITIES", job.densities), ("CALIBRATION_POINTS", job.calibration_points))
            if given))
        if problem:
            raise GeohazardError(problem)
        out = job.outputs["OUTPUT"]
        func = functools.partial(targets.suitability_block, table=table, grid_codes=job.grid_codes)
        blocks.run_blocks(settings.plan(info.height, info.width,
                                        bytes_per_pixel=targets.SUITABILITY_BYTES_PER_PIXEL),
                          func, sources=sources, run=settings, progress=progress, background_write=True,
                          writers={"density": RasterWriter.like(out, info, descriptions=["expected targets per km2"],
                                                                metadata={"UNIT": "targets/km2"})})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    outcome.outputs["OUTPUT"] = out
    table_path = job.outputs.get("OUTPUT_TABLE", "")
    if table_path and job.areas:
        outcome.outputs["OUTPUT_TABLE"], summary = area_table(table_path, out, info, job.areas, job.min_points,
                                                              progress)
        outcome.notes.append(summary)
    return outcome
