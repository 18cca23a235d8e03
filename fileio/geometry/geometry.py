"""Acquisition-geometry inputs: incidence and heading rasters, metric pixel sizes, LOS fields of points."""

from __future__ import annotations

import csv
import os

import numpy as np
from qgis.core import QgsCoordinateReferenceSystem

from ...algorithms.engine import CallableSource, plan_blocks, process_blocks
from ...algorithms.errors import GeohazardError
from ...algorithms.formats.angle_rasters import check_los_vector
from ...algorithms.geometry import los_blocks as _losb
from ...algorithms.geometry.los import AZIMUTH_KINDS, heading_from_azimuth, los_unit_vector
from ...algorithms.geometry.terrain import geographic_pixel_size_m, los_to_downslope, slope_aspect, slope_aspect_metric
from ...algorithms.progress import SubProgress, iter_blocks
from ..base.blocks import RunSettings
from ..base.probe import quiet_gdal_reads
from ..base.raster import DEFAULT_BLOCK_ROWS, RasterInfo, RasterWriter, optional_writer, raster_info, read_band
from ..base.vector import read_points, wkt_of, write_vector

INCIDENCE_KINDS = list(_losb.INCIDENCE_KINDS)


incidence_to_degrees = _losb.incidence_to_degrees


def metric_pixel_size(info: RasterInfo, name: str):
    """(dx per row, dy) in metres; geographic grids use the WGS84 radii at each row."""
    if not info.crs_wkt:
        raise GeohazardError(f"{name} has no coordinate reference system; slopes need one (projected in metres "
                             "or geographic)")
    gt = info.geotransform
    if gt[2] != 0 or gt[4] != 0:
        raise GeohazardError(f"{name} has a rotated geotransform {gt}; warp it to a north-up grid first")
    if info.is_geographic:
        lat = gt[3] + (np.arange(info.height) + 0.5) * gt[5]
        if np.any(np.abs(lat) > 89.9):
            raise GeohazardError(f"{name} reaches latitude {np.abs(lat).max():.3f}: too close to a pole")
        dx, dy = geographic_pixel_size_m(lat, gt[1], gt[5])
        return dx, float(np.mean(dy))
    srs = info.srs
    factor = srs.GetLinearUnits() if srs is not None else 1.0
    return np.full(info.height, abs(gt[1]) * factor), abs(gt[5]) * factor


HEADING_KINDS = ["heading, degrees clockwise from north",
                 "lv_phi, radians from east (GAMMA/HyP3)",
                 "lv_phi, degrees anticlockwise from east",
                 "ISCE los band 2, degrees anticlockwise from north"]


def heading_reader(path, kind, name, look):
    if not path:
        return None

    def read(r0, r1):
        return heading_from_azimuth(read_band(path, rows=(r0, r1), name=name, dtype=np.float64), AZIMUTH_KINDS[kind],
                                    look=look)

    return read


def scene_heading(read, n_rows, progress=None):
    """Circular mean of a per-pixel heading raster (the heading of the range scan)."""
    sums = {"sx": 0.0, "sy": 0.0}

    def add(block, out):
        for k in sums:
            sums[k] += out[k]

    process_blocks(plan_blocks(n_rows, 1, block_rows=DEFAULT_BLOCK_ROWS), _losb.heading_sums_block, add,
                   sources={"heading": CallableSource(read)}, progress=progress)
    sx, sy = sums["sx"], sums["sy"]
    if sx == 0.0 and sy == 0.0:
        raise GeohazardError("HEADING_RASTER has no valid value")
    return float(np.degrees(np.arctan2(sx, sy)))


def incidence_reader(path, kind, name):
    if not path:
        return None

    def read(r0, r1):
        return incidence_to_degrees(read_band(path, rows=(r0, r1), name=name, dtype=np.float64), kind)

    return read


def write_share_table(path, tables, names):
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise GeohazardError(f"output folder {folder!r} does not exist")
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["geometry", "classification", "class", "name", "pixels", "share_pct", "area_km2"])
        for t, name in zip(tables, names):
            for kind in ("distortion", "visibility"):
                for r in t[kind]:
                    w.writerow([name, kind, r["class"], r["name"], r["pixels"], f"{r['share_pct']:.4f}",
                                f"{r['area_km2']:.6f}"])


def los_from_fields(pts, n, heading, incidence, look):
    """Per-point LOS vectors: EGMS los_east/north/up, else incidence_angle/track_angle, else numbers."""
    a = pts.attributes
    if all(k in a for k in ("los_east", "los_north", "los_up")):
        check_los_vector(a["los_east"], a["los_north"], a["los_up"], label="fields los_east/los_north/los_up")
        return a["los_east"], a["los_north"], a["los_up"], "los_east/los_north/los_up fields"
    if "incidence_angle" in a and "track_angle" in a:
        e, nn, u = los_unit_vector(a["incidence_angle"], a["track_angle"], look=look)
        return e, nn, u, "incidence_angle/track_angle fields"
    e, nn, u = los_unit_vector(incidence, heading, look=look)
    return (np.full(n, float(e)), np.full(n, float(nn)), np.full(n, float(u)),
            f"heading {heading:g} / incidence {incidence:g} degrees")


def optional_fields(source, names):
    have = {f.name() for f in source.fields()} if source is not None else set()
    return [n for n in names if n in have]


def dem_slope_at(dem_path: str, name: str, x, y, src_wkt: str) -> tuple:
    """Slope and aspect (degrees) of a projected DEM (whole-grid :func:`~algorithms.geometry.terrain.slope_aspect`)
    at points given in ``src_wkt``; NaN outside the DEM."""
    info = raster_info(dem_path, name)
    srs = info.srs
    if srs is None or srs.IsGeographic():
        raise GeohazardError(f"{name}: the DEM must be in a projected CRS in metres (got "
                             f"{'no CRS' if srs is None else 'a geographic CRS'}); reproject it first")
    from pyproj import Transformer

    dx, dy = info.pixel_size
    slope, aspect = slope_aspect(read_band(dem_path, 1, name=name, dtype=np.float64), dx, dy)
    px, py = Transformer.from_crs(src_wkt, info.crs_wkt, always_xy=True).transform(np.asarray(x, float),
                                                                                  np.asarray(y, float))
    row, col = info.world_to_pixel(px, py)
    r = np.floor(row).astype(np.int64)
    c = np.floor(col).astype(np.int64)
    ok = (r >= 0) & (r < info.height) & (c >= 0) & (c < info.width) & np.isfinite(row) & np.isfinite(col)
    s = np.full(np.size(x), np.nan)
    a = np.full(np.size(x), np.nan)
    s[ok] = slope[r[ok], c[ok]]
    a[ok] = aspect[r[ok], c[ok]]
    return s, a


def dem_slope_at_pixels(dem: RasterInfo, name: str, row, col, progress=None) -> tuple:
    """Slope and aspect (degrees) of a DEM in metres or degrees (:func:`metric_pixel_size`) at pixels
    ``(row, col)``, read in row blocks; NaN at pixels outside the DEM."""
    dx_rows, dy = metric_pixel_size(dem, name)
    slope = np.full(np.size(row), np.nan)
    aspect = np.full(np.size(row), np.nan)
    inside = (row >= 0) & (row < dem.height) & (col >= 0) & (col < dem.width)
    for q0, q1, r0, r1 in iter_blocks(dem.height, DEFAULT_BLOCK_ROWS, overlap=1, progress=progress):
        sel = inside & (row >= r0) & (row < r1)
        if not sel.any():
            continue
        z = read_band(dem.path, rows=(q0, q1), name=name, dtype=np.float64)
        s, a = slope_aspect_metric(z, dx_rows[q0:q1], dy)
        slope[sel] = s[row[sel] - q0, col[sel]]
        aspect[sel] = a[row[sel] - q0, col[sel]]
    return slope, aspect


def project_points(source, vfield: str, out_path: str, *, dem, dem_name: str, heading: float, incidence: float,
                   look: str, min_sensitivity: float, context, progress, name: str) -> str:
    """LOS velocities of points projected to vertical and, on a DEM, downslope; written with their LOS vector,
    slope, aspect and sensitivity to ``out_path`` (points in the DEM's CRS when there is one)."""
    extra = optional_fields(source, ["los_east", "los_north", "los_up", "incidence_angle", "track_angle"])
    dest_crs = None
    if dem is not None:
        dest_crs = QgsCoordinateReferenceSystem()
        dest_crs.createFromWkt(dem.crs_wkt)
    pts = read_points(source, [vfield] + extra, name=name, dest_crs=dest_crs, context=context,
                      progress=SubProgress(progress, 0, 30))
    n = len(pts)
    e, nn, u, how = los_from_fields(pts, n, heading, incidence, look)
    progress.push_info(f"LOS vectors from {how}")
    idx = source.fields().lookupField(vfield)
    if idx >= 0 and not source.fields().at(idx).isNumeric():
        raise GeohazardError(f"{name}: VELOCITY_FIELD {vfield!r} is a {source.fields().at(idx).typeName()} "
                             "field; choose the numeric velocity field (mm/yr)")
    v = np.asarray(pts.attributes[vfield], np.float64)
    finite = np.isfinite(v)
    if n and not finite.any():
        raise GeohazardError(f"{name}: VELOCITY_FIELD {vfield!r} has no value in any of the {n} points (NULL or "
                             "not a number); choose the velocity field")
    if not finite.all():
        progress.push_warning(f"{int((~finite).sum())} of {n} points have no value in {vfield!r} (NULL or not "
                              "a number): their projected velocities are empty")
    with np.errstate(divide="ignore", invalid="ignore"):
        vert = v / u
    slope = np.full(n, np.nan)
    aspect = np.full(n, np.nan)
    if dem is not None:
        row, col = dem.world_to_pixel(pts.x, pts.y)
        row, col = np.floor(row).astype(np.int64), np.floor(col).astype(np.int64)
        outside = int(((row < 0) | (row >= dem.height) | (col < 0) | (col >= dem.width)).sum())
        if outside:
            progress.push_warning(f"{outside} of {n} points fall outside the DEM: no downslope value")
        slope, aspect = dem_slope_at_pixels(dem, dem_name, row, col, SubProgress(progress, 30, 80))
    down, c = los_to_downslope(v, e, nn, u, slope, aspect, min_sensitivity=min_sensitivity)
    crs = dest_crs if dest_crs is not None else source.sourceCrs()
    write_vector(out_path, {"source_fid": pts.fids, "v_los": v, "v_vertical": vert, "v_downslope": down,
                            "sensitivity": c, "slope_deg": slope, "aspect_deg": aspect,
                            "los_east": np.asarray(e, float), "los_north": np.asarray(nn, float),
                            "los_up": np.asarray(u, float)},
                 crs_wkt=wkt_of(crs), x=pts.x, y=pts.y, progress=SubProgress(progress, 80, 100))
    return out_path


#: Memory of one pixel of a block of the distortion tool, bytes: heights (and the next block's, read ahead), a halo
#: copy, incidence, scan flags, classes, R-index, visibility and the rows on their way to the writers (tracemalloc:
#: 47 for the whole pass with an incidence raster, 21 with a constant incidence).
DISTORTION_BYTES_PER_PIXEL = 64.0


def distortion_block_rows(run: RunSettings, width: int) -> int:
    """Rows per block of the distortion tool under the run's memory budget (:meth:`~.blocks.RunSettings.rows`):
    a multiple of 16 rows, at least 16 and at most :data:`~fileio.base.raster.DEFAULT_BLOCK_ROWS` (one row of the
    outputs' 256-row tiles, compressed and released as soon as the block is written). The outputs are the same bytes for
    any block height."""
    return run.rows(width, bytes_per_pixel=DISTORTION_BYTES_PER_PIXEL, halo=1, tile_rows=16, min_rows=16,
                    max_rows=DEFAULT_BLOCK_ROWS)


def distortion_writers(info: RasterInfo, paths: dict) -> dict:
    """Writers of the distortion rasters asked for (``classes`` always; ``rindex``, ``visibility``,
    ``combined`` when in ``paths``).

    Fast DEFLATE: level 1 instead of 6. Class rasters shrink ~4x either way (level 6 spends 10x the CPU for
    ~12 % smaller files); the R-index is near-incompressible float noise (level 6 saves 2 % over level 1 at
    twice the CPU). Lossless either way; docs/geometry.md (Performance notes) has the measured alternatives.
    """
    writers = {
        "classes": RasterWriter.like(paths["classes"], info, dtype=np.uint8, nodata=0,
                                     descriptions=["distortion class"], zlevel=1),
        "rindex": optional_writer(paths.get("rindex", ""), info, descriptions=["R-index"], zlevel=1),
        "visibility": optional_writer(paths.get("visibility", ""), info, dtype=np.uint8, nodata=0,
                                      descriptions=["visibility class"], zlevel=1),
    }
    if paths.get("combined"):
        writers["combined"] = RasterWriter.like(paths["combined"], info, count=2, dtype=np.uint8, nodata=0,
                                                descriptions=["best distortion class", "best geometry"], zlevel=1)
    return writers


def decimated_band(path: str, side: int = 256) -> np.ndarray:
    """Band 1 of a raster read at most ``side`` x ``side`` pixels (a whole-scene sample), no-data as NaN."""
    from osgeo import gdal

    with quiet_gdal_reads():
        ds = gdal.Open(path)
        if ds is None:
            raise GeohazardError(f"{path!r} is not a raster GDAL can read")
        band = ds.GetRasterBand(1)
        w, h = ds.RasterXSize, ds.RasterYSize
        arr = band.ReadAsArray(0, 0, w, h, buf_xsize=min(w, side), buf_ysize=min(h, side)).astype(np.float64)
        nd = band.GetNoDataValue()
        ds = None
    if nd is not None and np.isfinite(nd):
        arr[arr == nd] = np.nan
    return arr


def check_los_rasters(east, north, up, *, label: str) -> None:
    """LOS unit-vector components given as rasters (paths) or numbers: unit length, pointing up
    (:func:`~algorithms.formats.angle_rasters.check_los_vector`), on a whole-scene sample."""
    comps = []
    for v in (east, north, up):
        comps.append(decimated_band(v) if isinstance(v, str) else np.asarray(float(v)))
    shapes = {c.shape for c in comps if c.ndim}
    if len(shapes) > 1:
        raise GeohazardError(f"{label}: the east, north and up rasters have different sizes")
    shape = next(iter(shapes)) if shapes else ()
    check_los_vector(*(np.broadcast_to(c, shape) for c in comps), label=label)
