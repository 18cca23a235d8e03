"""IO of the stack corrections of issue 16 part A (``tools_corrections.py``): the stack in network order,
fit masks (polygons burnt on the grid, mask rasters), DEM height range, delay maps resampled onto the grid,
block passes that sum fits or write one corrected GeoTIFF per interferogram, CSV reports.
"""

from __future__ import annotations

import contextlib
import csv
import os
import shutil

import numpy as np
from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform

from ...algorithms.corrections.ramps import FitSums
from ...algorithms.engine import StackSource, plan_blocks, plan_file_groups, process_blocks
from ...algorithms.errors import GeohazardError
from ...algorithms.formats import gacos
from ..engine_params import executor
from ..raster_io import GdalOpener, RasterWriter, open_raster, raster_info
from .stacks import gather_stack, ignored_report


def output_names(paths: list) -> list:
    """Output file names: the input's name, ``.tif`` for inputs in another format; unique."""
    names = []
    for p in paths:
        base = os.path.basename(p)
        stem, ext = os.path.splitext(base)
        names.append(base if ext.lower() in (".tif", ".tiff") else stem + ".tif")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise GeohazardError(f"INTERFEROGRAMS: two inputs would be written as {dup[0]} in the output folder "
                             "(same file name in different folders); rename one")
    return names


#: Modelled memory of one block of whole interferograms (:meth:`Stack.group_plan`), MB: about two
#: 1-Mpx interferograms per block, so reading, fitting and compressing the output overlap.
GROUP_MB = 64.0
#: Codec of the corrected stacks (RasterWriter ``compress``): ZSTD level 1 with the float predictor is
#: lossless like DEFLATE, about the same size and half the CPU time (the 1-Mpx, 202-interferogram
#: ramp removal: 10.5 vs 15.4 CPU-s for the whole run); GDAL-based software reads it (QGIS, MintPy,
#: rasterio; GDAL >= 2.3). DEFLATE where this GDAL has no ZSTD.
CODEC = "ZSTD"


class Stack:
    """The stack in network order: files, orientation, coherence and the output names."""

    def __init__(self, alg, parameters, context, feedback, *, baselines: bool = False):
        self.inp = gather_stack(alg, parameters, context, allow_mintpy=False, baselines=baselines, feedback=feedback)
        for line in ignored_report(self.inp.ignored):
            feedback.pushInfo(line)
        order = list(self.inp.order)
        self.network = self.inp.network
        self.info = self.inp.info
        self.paths = [self.inp.paths[i] for i in order]
        self.coh_paths = None if self.inp.coh_paths is None else [self.inp.coh_paths[i] for i in order]
        self.signs = np.asarray(self.inp.signs, np.float64)
        self.names = list(self.network.names)
        self.units = self.inp.units
        self.wavelength_m = self.inp.wavelength_m
        ref, sec = self.network.ref_index, self.network.sec_index
        # dates of each file in the order its name gives them: the file holds second minus first
        self.first = np.where(self.signs > 0, ref, sec)
        self.second = np.where(self.signs > 0, sec, ref)

    @property
    def m(self) -> int:
        return len(self.paths)

    def sources(self, *, coherence: bool) -> dict:
        src = {"stack": StackSource(self.paths, GdalOpener(), dtype=np.float32, names=self.names)}
        if coherence and self.coh_paths is not None:
            src["coherence"] = StackSource(self.coh_paths, GdalOpener(), dtype=np.float32)
        return src

    def file_bytes(self, copies: float = 4.0) -> float:
        """Memory model of one pixel of one interferogram in a block (its data and copies, its coherence)."""
        return 8.0 * copies + (4.0 if self.coh_paths is not None else 0.0)

    def plan(self, copies: float = 4.0, halo: int = 0):
        return plan_blocks(self.info.height, self.info.width, bytes_per_pixel=self.m * self.file_bytes(copies),
                           halo=halo)

    def group_plan(self, copies: float = 4.0, shared_bytes: float = 0.0):
        """Blocks of whole interferograms (one read per file, :func:`plan_file_groups`), or None when one
        whole interferogram does not fit the memory budget (then: a fitting pass and a correcting pass
        over row blocks, :meth:`plan`)."""
        return plan_file_groups(self.m, self.info.height, self.info.width, bytes_per_file_pixel=self.file_bytes(copies),
                                bytes_per_pixel=shared_bytes, group_mb=GROUP_MB)


def read_mask(alg, parameters, context, stack: Stack):
    """The fit mask on the stack's grid (uint8, 1 = use) from STABLE_AREA and/or MASK; None when neither."""
    info = stack.info
    mask = None
    if parameters.get("MASK"):
        path = alg.raster_path(parameters, "MASK", context)
        minfo = raster_info(path, "MASK")
        if not minfo.same_grid(info):
            raise GeohazardError(f"MASK: {os.path.basename(path)} is not on the interferograms' grid ({info.height} "
                                 f"rows x {info.width} columns, same origin, pixel size and CRS)")
        ds = open_raster(path, "MASK")
        band = ds.GetRasterBand(1)
        arr = band.ReadAsArray()
        nd = band.GetNoDataValue()
        ok = np.isfinite(arr) & (arr != 0)
        if nd is not None:
            ok &= arr != nd
        mask = ok.astype(np.uint8)
    if parameters.get("STABLE_AREA"):
        poly = rasterize_polygons(alg, parameters, "STABLE_AREA", context, info)
        mask = poly if mask is None else (mask & poly)
    if mask is not None and not mask.any():
        raise GeohazardError("STABLE_AREA / MASK: the stable area covers no pixel of the interferograms")
    return mask


def rasterize_polygons(alg, parameters, name, context, info):
    """Polygons of a vector parameter burnt on the grid of ``info`` (uint8 1 inside, all-touched off)."""
    from osgeo import gdal, ogr, osr

    layer = alg.parameterAsVectorLayer(parameters, name, context)
    if layer is None:
        raise GeohazardError(f"{name}: not a polygon layer QGIS can read")
    dst = QgsCoordinateReferenceSystem.fromWkt(info.crs_wkt) if info.crs_wkt else layer.crs()
    xform = QgsCoordinateTransform(layer.crs(), dst, context.transformContext())
    drv = ogr.GetDriverByName("Memory")
    ods = drv.CreateDataSource("mask")
    srs = osr.SpatialReference()
    if info.crs_wkt:
        srs.ImportFromWkt(info.crs_wkt)
    olayer = ods.CreateLayer("mask", srs if info.crs_wkt else None, ogr.wkbMultiPolygon)
    n = 0
    for feat in layer.getFeatures():
        geom = feat.geometry()
        if geom.isNull():
            continue
        geom.transform(xform)
        f = ogr.Feature(olayer.GetLayerDefn())
        f.SetGeometry(ogr.CreateGeometryFromWkb(bytes(geom.asWkb())))
        olayer.CreateFeature(f)
        n += 1
    if n == 0:
        raise GeohazardError(f"{name}: the layer has no polygon")
    rds = gdal.GetDriverByName("MEM").Create("", info.width, info.height, 1, gdal.GDT_Byte)
    rds.SetGeoTransform(info.geotransform)
    if info.crs_wkt:
        rds.SetProjection(info.crs_wkt)
    gdal.RasterizeLayer(rds, [1], olayer, burn_values=[1])
    arr = rds.GetRasterBand(1).ReadAsArray().astype(np.uint8)
    rds = None
    return arr


def mask_sources(mask) -> dict:
    return {} if mask is None else {"mask": mask}


def describe_plan(plan, *, one_read: bool) -> str:
    """The log line saying how the stack is read: blocks of whole interferograms read once (fit, correct,
    write), or twice (fit all, then correct), or two passes over row blocks."""
    if plan is None:
        return "two passes over row blocks (one whole interferogram does not fit the memory budget)"
    k = plan[0].files[1] - plan[0].files[0]
    what = f"{len(plan)} block(s) of up to {k} whole interferogram(s)"
    return f"each interferogram read once: {what} (fit, correct, write)" if one_read else \
        f"two passes (every fit before any correction) over {what}"


def fit_pass(stack: Stack, func, *, sources, alg, parameters, context, feedback, progress, plan=None,
             n_window_rows: int = 1) -> dict:
    """Run a fitting block function over the stack and add its per-row sums (normal equations) in row order
    (:class:`~...algorithms.corrections.ramps.FitSums`: the same totals for any block layout); with blocks of
    whole interferograms (``plan`` from :meth:`Stack.group_plan`) each block's totals are those of its files."""
    total = FitSums(stack.m, n_window_rows)
    with executor(alg, parameters, context, feedback) as ex:
        process_blocks(plan or stack.plan(), func, total, sources=sources, executor=ex, progress=progress)
    return total.result()


def write_corrected(stack: Stack, func, *, sources, out_dir, alg, parameters, context, feedback, progress,
                    metadata: dict, plan=None, collect=()) -> tuple:
    """Run a correcting block function and write one GeoTIFF per interferogram into ``out_dir``.

    ``plan``: row blocks (default :meth:`Stack.plan`) or blocks of whole interferograms
    (:meth:`Stack.group_plan`). ``collect``: names of per-interferogram outputs of the block function
    (first axis = the block's files) gathered in file order. Returns ``(paths, {name: array})``.
    """
    os.makedirs(out_dir, exist_ok=True)
    names = output_names(stack.paths)
    paths = [os.path.join(out_dir, n) for n in names]
    got = {k: [None] * stack.m for k in collect}
    with contextlib.ExitStack() as outs:
        writers = [outs.enter_context(RasterWriter.like(p, stack.info, descriptions=[nm], compress=CODEC, metadata={
            **metadata, "PAIR": nm})) for p, nm in zip(paths, stack.names)]

        def write(block, out):
            f0, f1 = block.files if block.files is not None else (0, stack.m)
            for w, arr in zip(writers[f0:f1], out["corrected"]):
                w.write(arr, row=block.row0)
                if block.files is not None:  # whole interferograms: this file is complete
                    w.finish()
            for k in collect:
                got[k][f0:f1] = list(out[k])

        plan = plan or stack.plan()
        with executor(alg, parameters, context, feedback) as ex:
            process_blocks(plan, func, write, sources=sources, executor=ex, progress=progress,
                           background_write=True)
    return paths, {k: np.stack(v) for k, v in got.items()}


def write_csv(path: str, rows: list) -> str:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
        w.writeheader()
        for r in rows:
            w.writerow(r)
    return path


def unit_meta(stack: Stack) -> dict:
    """What a corrected interferogram carries for the next step: its unit and sign and the wavelength the
    stack was read with (so a later tool converting phase to mm uses the same one, not a default)."""
    meta = {"UNIT": ["radians (phase grows with range)", "radians (phase grows toward the satellite)",
                     "m (LOS, positive toward the satellite)", "mm (LOS, positive toward the satellite)"][stack.units]}
    if getattr(stack, "wavelength_m", None):
        meta["WAVELENGTH_M"] = f"{stack.wavelength_m:.10g}"
    return meta


def report_path(alg, parameters, context) -> str:
    return alg.parameterAsFileOutput(parameters, "OUTPUT_REPORT", context) if parameters.get("OUTPUT_REPORT") else ""


def warp_delay(path: str, info, out: str) -> str:
    """A delay map (GACOS ``.ztd`` or a GeoTIFF, metres) resampled bilinearly onto the grid of ``info``."""
    from osgeo import gdal, osr

    name = os.path.basename(path)
    if path.lower().endswith(".ztd"):
        arr, gt = gacos.read_ztd(path)
        src = gdal.GetDriverByName("MEM").Create("", arr.shape[1], arr.shape[0], 1, gdal.GDT_Float32)
        src.SetGeoTransform(gt)
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(4326)
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        src.SetProjection(srs.ExportToWkt())
        src.GetRasterBand(1).WriteArray(arr)
        src.GetRasterBand(1).SetNoDataValue(0.0)  # GACOS fills outside its area with 0
    else:
        src = open_raster(path, f"DELAYS ({name})")
        if not src.GetProjection():
            raise GeohazardError(f"DELAYS: {name} has no CRS; a delay map must be georeferenced")
    gt = info.geotransform
    bounds = (gt[0], gt[3] + gt[5] * info.height, gt[0] + gt[1] * info.width, gt[3])
    ds = gdal.Warp(out, src, format="GTiff", outputBounds=bounds, width=info.width, height=info.height,
                   dstSRS=info.crs_wkt or None, resampleAlg="bilinear", dstNodata=float("nan"),
                   outputType=gdal.GDT_Float32)
    if ds is None:
        raise GeohazardError(f"DELAYS: {name} could not be resampled onto the interferograms' grid")
    arr = ds.GetRasterBand(1).ReadAsArray()
    ds = None
    if not np.isfinite(arr).any():
        raise GeohazardError(f"DELAYS: {name} does not cover the interferograms (no value on their grid)")
    return out


def link_or_copy(src: str, dst: str) -> None:
    """A hard link to ``src`` at ``dst`` (no bytes copied), or a copy across file systems."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def dem_height_sd(path: str) -> float:
    """Spatial standard deviation of the DEM's heights (metres, no-data left out)."""
    ds = open_raster(path, "DEM")
    stats = ds.GetRasterBand(1).ComputeStatistics(False)
    ds = None
    return float(stats[3])


def mm_per_unit(stack) -> float:
    """Millimetres of LOS per unit of the stack's files (size only: radians give wavelength / 4 pi)."""
    from ...algorithms.conventions import radians_per_mm

    return (1.0 / radians_per_mm(stack.wavelength_m), 1.0 / radians_per_mm(stack.wavelength_m), 1000.0,
            1.0)[stack.units]


def dem_height_range(path: str, info) -> tuple:
    """``(lowest, highest)`` height of the DEM at ``path`` (metres), refused when not on the grid of ``info``."""
    dinfo = raster_info(path, "DEM")
    if not dinfo.same_grid(info):
        crs = "another CRS" if (dinfo.srs is None) != (info.srs is None) or (
            dinfo.srs is not None and not dinfo.srs.IsSame(info.srs)) else "another grid"
        raise GeohazardError(
            f"DEM: {os.path.basename(path)} is on {crs} ({dinfo.height} x {dinfo.width} px) than the "
            f"interferograms ({info.height} x {info.width} px); resample it onto their grid first "
            "(Raster > Projections > Warp with the interferograms' extent, size and CRS)")
    ds = open_raster(path, "DEM")
    band = ds.GetRasterBand(1)
    nd = band.GetNoDataValue()
    lo, hi = band.ComputeRasterMinMax(False)
    if nd is not None and (lo == nd or hi == nd):  # min/max may be the nodata value on some drivers
        arr = band.ReadAsArray().astype(float)
        arr[arr == nd] = np.nan
        lo, hi = np.nanmin(arr), np.nanmax(arr)
    return lo, hi
