"""Files of the DEM-difference tool: the second DEM put on the reference's grid (a warped VRT), the windows of the
co-registration read with their stable cells, the difference and the aligned DEM written block by block, and the
volumes per polygon (:mod:`..algorithms.hazard.demdifference`)."""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass, field

import numpy as np
from osgeo import gdal, ogr, osr

from ...algorithms.errors import GeohazardError
from ...algorithms.hazard import demdifference as dd
from ...algorithms.progress import SubProgress, warn
from ..base import blocks, raster, vector
from ..base.crs import crs_name, same_crs
from ..base.raster import RasterInfo
from ..base.rasterize import burn_polygons
from ..base.runs import Outcome
from ..display import styles
from .slopestability import north_up_projected

#: Most cells the co-registration reads: the whole grid up to this, else :data:`FIT_TILE`-cell windows spread evenly
#: over it, each with :data:`FIT_HALO` cells around (the most the DEMs may be apart, in cells).
FIT_MAX_CELLS = 2048 * 2048
FIT_TILE = 512
FIT_HALO = 64


def on_reference_grid(ref: RasterInfo, other_path: str, folder: str, names: tuple, log=None) -> str:
    """``other_path`` itself when it is on the grid of ``ref``, else a VRT in ``folder`` warped there (bilinear,
    from its own CRS), the log saying how."""
    other = raster.raster_info(other_path, names[1])
    if other.same_grid(ref) and other.shape == ref.shape:
        if log is not None:
            log.push_info(f"{names[1]} is on the grid of {names[0]}: not resampled")
        return other_path
    if not other.crs_wkt:
        raise GeohazardError(f"{names[1]} has no CRS and is not on the grid of {names[0]}: it cannot be put there; "
                             "give it with its CRS")
    gt = ref.geotransform
    bounds = (gt[0], gt[3] + ref.height * gt[5], gt[0] + ref.width * gt[1], gt[3])
    dst = os.path.join(folder, "dem_difference_other.vrt")
    # errorThreshold 0: every cell transformed exactly (GDAL's default approximates the transform by lines within
    # 0.125 px, which moved the warped heights by up to 0.07 px between CRSs: metres of change on slopes)
    opts = gdal.WarpOptions(format="VRT", outputBounds=bounds, width=ref.width, height=ref.height,
                            dstSRS=ref.crs_wkt, resampleAlg="bilinear", dstNodata=float("nan"),
                            outputType=gdal.GDT_Float32, multithread=False, errorThreshold=0.0)
    ds = gdal.Warp(dst, other_path, options=opts)
    if ds is None:
        raise GeohazardError(f"{names[1]} could not be put on the grid of {names[0]}")
    ds = None
    if log is not None:
        crs = "" if same_crs(other.crs_wkt, ref.crs_wkt) else \
            f", reprojected from {crs_name(other.crs_wkt)} to {crs_name(ref.crs_wkt)}"
        log.push_info(f"{names[1]} ({other.width} x {other.height} cells of {abs(other.geotransform[1]):g} x "
                      f"{abs(other.geotransform[5]):g}) resampled onto the grid of {names[0]} ({ref.width} x "
                      f"{ref.height} cells of {abs(gt[1]):g} m) by bilinear interpolation (GDAL's warper, each cell's "
                      f"position transformed exactly){crs}")
    return dst


def _read_window(path: str, name: str, r0: int, c0: int, height: int, width: int) -> np.ndarray:
    """Rows ``r0:r0+height``, columns ``c0:c0+width`` of band 1 (float64, no data as NaN), NaN beyond the grid."""
    ds = raster.open_raster(path, name)
    out = np.full((height, width), np.nan)
    a0, a1 = max(r0, 0), min(r0 + height, ds.RasterYSize)
    b0, b1 = max(c0, 0), min(c0 + width, ds.RasterXSize)
    if a1 > a0 and b1 > b0:
        band = ds.GetRasterBand(1)
        arr = band.ReadAsArray(b0, a0, b1 - b0, a1 - a0).astype(np.float64)
        nd = band.GetNoDataValue()
        if nd is not None and not math.isnan(nd):
            arr[arr == nd] = np.nan
        out[a0 - r0:a1 - r0, b0 - c0:b1 - c0] = arr
    return out


def fit_windows(n_rows: int, n_cols: int) -> list:
    """``(row0, col0, height, width, halo)`` of the co-registration's windows: the whole grid when it has at most
    :data:`FIT_MAX_CELLS` cells, else :data:`FIT_TILE`-cell squares spread evenly (fixed by the grid's size only)."""
    if n_rows * n_cols <= FIT_MAX_CELLS:
        return [(0, 0, n_rows, n_cols, 0)]
    n_tiles = FIT_MAX_CELLS // (FIT_TILE * FIT_TILE)
    ny = max(1, min(int(round(math.sqrt(n_tiles * n_rows / n_cols))), n_rows // FIT_TILE or 1))
    nx = max(1, min(n_tiles // ny, n_cols // FIT_TILE or 1))
    th, tw = min(FIT_TILE, n_rows), min(FIT_TILE, n_cols)
    rows = [int(round((k + 0.5) * n_rows / ny - th / 2)) for k in range(ny)]
    cols = [int(round((k + 0.5) * n_cols / nx - tw / 2)) for k in range(nx)]
    return [(max(0, min(r, n_rows - th)), max(0, min(c, n_cols - tw)), th, tw, FIT_HALO) for r in rows for c in cols]


def _window_info(info: RasterInfo, r0: int, c0: int, height: int, width: int) -> RasterInfo:
    gt = info.geotransform
    return RasterInfo(path=info.path, width=width, height=height, count=1,
                      geotransform=(gt[0] + c0 * gt[1], gt[1], 0.0, gt[3] + r0 * gt[5], 0.0, gt[5]),
                      crs_wkt=info.crs_wkt)


def fit_tiles(ref_path: str, other_path: str, info: RasterInfo, *, stable_wkb, exclude_wkb, names: tuple) -> list:
    """The :class:`~..algorithms.hazard.demdifference.FitTile` of each window of :func:`fit_windows`: stable cells
    inside ``stable_wkb`` (all when None) and outside ``exclude_wkb``."""
    tiles = []
    for r0, c0, h, w, halo in fit_windows(info.height, info.width):
        grid = _window_info(info, r0, c0, h, w)
        stable = burn_polygons(stable_wkb, grid).astype(bool) if stable_wkb is not None else np.ones((h, w), bool)
        if exclude_wkb:
            stable &= ~burn_polygons(exclude_wkb, grid).astype(bool)
        tiles.append(dd.FitTile(_read_window(ref_path, names[0], r0 - halo, c0 - halo, h + 2 * halo, w + 2 * halo),
                                _read_window(other_path, names[1], r0 - halo, c0 - halo, h + 2 * halo, w + 2 * halo),
                                stable, r0, c0, halo))
    return tiles


class ZoneSource:
    """Block source of the volume polygons: int32 labels (0 outside, k inside polygon k; a later polygon wins where
    they overlap), burnt for the rows a block reads, here, and shipped with the block. Picklable: WKB, grid and CRS
    only."""

    shipped = True

    def __init__(self, wkbs, info: RasterInfo):
        self.wkbs = [bytes(w) for w in wkbs]
        self.geotransform = tuple(info.geotransform)
        self.crs_wkt = info.crs_wkt
        self.width = info.width

    def read(self, r0: int, r1: int, n_cols: int) -> np.ndarray:
        gt = self.geotransform
        mem = gdal.GetDriverByName("MEM").Create("", int(n_cols), int(r1 - r0), 1, gdal.GDT_Int32)
        mem.SetGeoTransform((gt[0], gt[1], 0.0, gt[3] + r0 * gt[5], 0.0, gt[5]))
        srs = None
        if self.crs_wkt:
            mem.SetProjection(self.crs_wkt)
            srs = osr.SpatialReference()
            srs.ImportFromWkt(self.crs_wkt)
        vds = (ogr.GetDriverByName("MEM") or ogr.GetDriverByName("Memory")).CreateDataSource("zones")
        layer = vds.CreateLayer("zones", srs, ogr.wkbMultiPolygon)
        layer.CreateField(ogr.FieldDefn("zone", ogr.OFTInteger))
        for k, wkb in enumerate(self.wkbs, start=1):
            f = ogr.Feature(layer.GetLayerDefn())
            f.SetField("zone", k)
            f.SetGeometry(ogr.CreateGeometryFromWkb(wkb))
            layer.CreateFeature(f)
        gdal.RasterizeLayer(mem, [1], layer, options=["ATTRIBUTE=zone"])
        return mem.GetRasterBand(1).ReadAsArray().astype(np.int32)


def overlapping_zones(wkbs) -> list:
    """Pairs ``(i, j)`` (1-based) of polygons that share area."""
    geoms = [ogr.CreateGeometryFromWkb(bytes(w)) for w in wkbs]
    out = []
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            if geoms[i].Intersects(geoms[j]) and geoms[i].Intersection(geoms[j]).GetArea() > 0:
                out.append((i + 1, j + 1))
    return out


@dataclass(frozen=True)
class Job:
    """A run of the tool as plain values (the tool reads them from its parameters, by keyword): the reference and
    the other DEM, their parameter names, a scratch folder, polygons as WKB in the reference's CRS (stable ground,
    excluded ground, volume zones: None when not given), the tilt switch, the output paths ("" = not asked) and the
    run-wide knobs."""

    reference: str
    other: str
    names: tuple
    folder: str
    settings: blocks.RunSettings = field(default_factory=blocks.RunSettings)
    stable_wkb: object = None
    exclude_wkb: object = None
    zone_wkb: object = None
    tilt: bool = True
    output: str = ""
    output_aligned: str = ""
    output_volumes: str = ""
    area_names: tuple = ("STABLE_AREA", "EXCLUDE_AREA", "VOLUME_AREA")


def run(job: Job, *, progress=None, context=None) -> Outcome:
    """The whole run (:func:`_run`) with what it says: the polygons' warnings, the fit's note, the outputs by ID
    (OUTPUT, OUTPUT_ALIGNED, OUTPUT_VOLUMES) and the shift and NMAD values (SHIFT_X_M, SHIFT_Y_M, SHIFT_Z_M,
    NMAD_M). ``progress`` has the core's progress protocol and ``push_warning``."""
    stable, exclude, volume = job.area_names
    if job.stable_wkb is None and job.exclude_wkb is None:
        warn(progress, f"neither {stable} nor {exclude}: every cell is taken as stable ground; the changes "
                       "themselves then bias the shift (the fit's medians resist some)")
    if job.output_volumes and not job.zone_wkb:
        warn(progress, f"OUTPUT_VOLUMES: no {volume} or {exclude} polygons: no volumes written")
    for i, j in overlapping_zones(job.zone_wkb or []):
        warn(progress, f"volume polygons {i} and {j} overlap: their shared cells count for polygon {j}")
    paths, fit, _ = _run(job, run=job.settings, progress=progress, context=context)
    outcome = Outcome(notes=[
        f"shift applied to {job.names[1]}: {fit.shift_x_m:.3f} m east, {fit.shift_y_m:.3f} m north, "
        f"{fit.shift_z_m:.3f} m up (tilt {fit.tilt_x:.2e}, {fit.tilt_y:.2e} m/m); NMAD on {fit.n_stable} stable "
        f"cells {fit.nmad_before_m:.3f} m before, {fit.nmad_m:.3f} m after; {fit.iterations} iteration(s)"])
    if not fit.converged:
        warn(progress, f"the horizontal fit did not settle in {fit.iterations} iterations: check {stable} and the "
                       "overlap")
    outcome.outputs = {oid: paths[key] for oid, key in (("OUTPUT", "difference"), ("OUTPUT_ALIGNED", "aligned"),
                                                         ("OUTPUT_VOLUMES", "volumes")) if key in paths}
    outcome.values = {"SHIFT_X_M": fit.shift_x_m, "SHIFT_Y_M": fit.shift_y_m, "SHIFT_Z_M": fit.shift_z_m,
                      "NMAD_M": fit.nmad_m}
    return outcome


def _run(job: Job, *, run, progress=None, context=None) -> tuple:
    """Co-register ``job.other`` onto ``job.reference`` on the reference's grid, then write the difference (and the
    aligned DEM, the volumes). Returns ``(outputs {kind: path}, Coregistration, volumes table or None)``."""
    info = raster.raster_info(job.reference, job.names[0])
    north_up_projected(info, job.names[0])
    other = on_reference_grid(info, job.other, job.folder, job.names, progress)
    tiles = fit_tiles(job.reference, other, info, stable_wkb=job.stable_wkb, exclude_wkb=job.exclude_wkb,
                      names=job.names)
    dx_m, dy_m = abs(info.geotransform[1]), abs(info.geotransform[5])
    result = dd.coregister(tiles, dx_m=dx_m, dy_m=dy_m, geotransform=info.geotransform, n_rows=info.height,
                           n_cols=info.width, tilt=job.tilt, progress=SubProgress(progress, 0.0, 30.0),
                           names=job.names)
    del tiles
    meta = {"UNIT": "m", "SIGN": f"{job.names[1]} minus {job.names[0]}: positive = gain (fill, accumulation)",
            "SHIFT_X_M": repr(result.shift_x_m), "SHIFT_Y_M": repr(result.shift_y_m),
            "SHIFT_Z_M": repr(result.shift_z_m), "TILT_X": repr(result.tilt_x), "TILT_Y": repr(result.tilt_y),
            "NMAD_M": repr(result.nmad_m), "METHOD": "Nuth & Kaab (2011) doi:10.5194/tc-5-271-2011"}
    writers = {"difference": raster.RasterWriter.like(job.output, info, descriptions=["elevation_difference"],
                                                      metadata=meta)}
    if job.output_aligned:
        writers["aligned"] = raster.RasterWriter.like(job.output_aligned, info, descriptions=["aligned_elevation"],
                                                      metadata=dict(meta, UNIT="m", SIGN="height"))
    zones = list(job.zone_wkb or []) if job.output_volumes else []
    sources = {"ref": blocks.raster_source(job.reference, dtype=np.float64, name=job.names[0]),
               "other": blocks.raster_source(other, dtype=np.float64, name=job.names[1])}
    row_areas = np.full(info.height, dx_m * dy_m)
    if zones:
        sources["zones"] = ZoneSource(zones, info)
    func = functools.partial(dd.dem_difference_block, result=result, geotransform=tuple(info.geotransform),
                             n_zones=len(zones), row_areas_m2=row_areas)
    totals = {"sum": np.zeros((len(zones) + 1, 4)), "next": 0}

    def write(block, out):
        for key, w in writers.items():
            w.write(out[key], row=block.row0)
        if zones:
            if block.row0 != totals["next"]:
                raise GeohazardError(f"volume rows out of order: block at row {block.row0}, expected {totals['next']}")
            for row in out["zone_rows"]:
                totals["sum"] = totals["sum"] + row
            totals["next"] = block.row1

    plan = run.plan(info.height, info.width, halo=dd.halo_rows(result, dy_m),
                    bytes_per_pixel=dd.bytes_per_pixel(len(zones)))
    blocks.run_blocks(plan, func, write, sources=sources, run=run, progress=SubProgress(progress, 30.0, 100.0),
                      writers=writers, background_write=True)
    results = {"difference": job.output}
    if job.output_aligned:
        results["aligned"] = job.output_aligned
    styles.style_raster_diverging(job.output, context=context, vmax=_colour_limit(job.output))
    table = None
    if zones:
        table = volumes_table(totals["sum"][1:], result.nmad_m, dx_m * dy_m)
        multi = [ogr.ForceToMultiPolygon(ogr.CreateGeometryFromWkb(bytes(w))).ExportToWkb() for w in zones]
        vector.write_vector(job.output_volumes, table, crs_wkt=info.crs_wkt, wkb=multi,
                            geometry_type=ogr.wkbMultiPolygon)
        results["volumes"] = job.output_volumes
        styles.style_vector_graduated(job.output_volumes, "net_m3", context=context)
    return results, result, table


def _colour_limit(path: str, cells: int = 1000) -> float:
    """The 98th percentile of |difference| on at most ``cells`` x ``cells`` cells read at a coarser step (GDAL's
    nearest-neighbour decimation): the colour ramp's limit without reading a large difference whole."""
    ds = gdal.Open(path)
    band = ds.GetRasterBand(1)
    w, h = min(ds.RasterXSize, cells), min(ds.RasterYSize, cells)
    arr = np.abs(band.ReadAsArray(buf_xsize=w, buf_ysize=h).astype(np.float64))
    arr = arr[np.isfinite(arr)]
    limit = float(np.percentile(arr, 98.0)) if arr.size else 1.0
    return limit if limit > 0 else 1.0


def volumes_table(sums: np.ndarray, nmad_m: float, cell_area_m2: float) -> dict:
    """Fields of the volume polygons from the per-zone sums ``(gain, loss, cells with a difference, cells)``."""
    gain, loss, valid, cells = (sums[:, k] for k in range(4))
    covered = valid * cell_area_m2
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(valid > 0, (gain + loss) / covered, np.nan)
        share = np.where(cells > 0, valid / cells, np.nan)
    return {"zone": np.arange(1, len(sums) + 1, dtype=np.int64), "area_m2": cells * cell_area_m2,
            "valid_share": share, "gain_m3": gain, "loss_m3": loss, "net_m3": gain + loss, "mean_dh_m": mean,
            "sigma_m3": nmad_m * covered}
