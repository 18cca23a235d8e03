"""IO of the offset tools (offsettracking, offsettimeseries): the output grid of the correlation windows,
the secondary image resampled onto the reference grid, and a stack of pair rasters read with reversed pairs
negated."""

from __future__ import annotations

import functools
import os
import tempfile
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from osgeo import gdal

from ...algorithms.engine import LocalExecutor, StackSource, plan_blocks
from ...algorithms.errors import GeohazardError
from ...algorithms.kinematics import offsets as _off
from ...algorithms.progress import SubProgress
from ..base import raster
from ..base.blocks import GdalOpener, RunSettings, raster_source, run_blocks
from ..base.raster import RasterInfo, RasterWriter, read_band
from ..base.rasterize import burn_polygons
from ..base.runs import Outcome


def output_info(info: RasterInfo, path: str, *, window: int, step: int) -> RasterInfo:
    """The output grid of offsettracking: every ``step`` reference pixels, origin on the window centres."""
    n_r, n_c, shift = _off.output_grid(info.height, info.width, window=window, step=step)
    gt = info.geotransform
    x0 = gt[0] + shift * gt[1] + shift * gt[2]
    y0 = gt[3] + shift * gt[4] + shift * gt[5]
    return RasterInfo(path=path, width=n_c, height=n_r, count=1,
                      geotransform=(x0, gt[1] * step, gt[2] * step, y0, gt[4] * step, gt[5] * step),
                      crs_wkt=info.crs_wkt, has_georef=info.has_georef)


def warp_onto(ref: RasterInfo, src_path: str, dst_path: str) -> bool:
    """``src_path`` resampled (cubic, float32, NaN nodata) onto the grid of ``ref`` as a VRT at ``dst_path``;
    False when GDAL cannot do it."""
    gt = ref.geotransform
    xs = [gt[0], gt[0] + ref.width * gt[1]]
    ys = [gt[3], gt[3] + ref.height * gt[5]]
    ds = gdal.Warp(dst_path, src_path, format="VRT", outputBounds=(min(xs), min(ys), max(xs), max(ys)),
                   width=ref.width, height=ref.height, dstSRS=ref.crs_wkt, resampleAlg="cubic",
                   dstNodata=float("nan"), outputType=gdal.GDT_Float32)
    ok = ds is not None
    ds = None
    return ok


def on_grid_of(ref: RasterInfo, sec: RasterInfo, folder: str, names, progress) -> str:
    """Path of the secondary image on the reference grid: its own, or a cubic warp in ``folder``."""
    if ref.same_grid(sec):
        return sec.path
    path = os.path.join(folder, "secondary_on_reference.vrt")
    if not warp_onto(ref, sec.path, path):
        raise GeohazardError(f"{names[1]}: could not be resampled onto the grid of {names[0]}")
    progress.push_info("secondary resampled onto the reference grid (cubic)")
    return path


def image_statistics(ref: RasterInfo, sec_path: str, o: dict, names, progress) -> tuple:
    """``(flat_std, levels)`` from sampled rows: the standard deviations at or below which a sub-block of a
    reference / secondary window is featureless (the reference's robust spread and both images' noise, logged),
    and without a high-pass filter the constant levels removed from both images (the same in every block); a
    constant reference is refused."""
    def read_ref(r0, r1):
        return read_band(ref.path, o["band_ref"], rows=(r0, r1), name=names[0], dtype=np.float64)

    def read_sec(r0, r1):
        return read_band(sec_path, o["band_sec"], rows=(r0, r1), name=names[1], dtype=np.float64)

    ref_strips = _off.sampled_rows(read_ref, ref.height)
    spread = _off.robust_spread(ref_strips)
    levels = None
    if not o["highpass_px"] > 0:
        levels = _off.image_levels(ref_strips, _off.sampled_rows(read_sec, ref.height))
    if not spread > 0:
        raise GeohazardError(f"{names[0]} has no texture (constant image): nothing to correlate")
    noise = _off.sampled_noise(read_ref, read_sec, ref.height)
    flat_std = _off.flat_thresholds(spread, *noise, window=o["window"])
    progress.push_info(f"noise (upper bound, image units): reference {noise[0]:.4g}, secondary {noise[1]:.4g}; "
                       f"sub-blocks of {_off.sub_block_pixels(o['window'])} px with a standard deviation up to "
                       f"{flat_std[0]:.4g} / {flat_std[1]:.4g} are featureless")
    return flat_std, levels


def raw_offsets(plan, func, sources, *, run, out_info: RasterInfo, step: int, stable: _off.StableCells, progress,
                path: str) -> str:
    """First pass: the block correlations written to a 6-band scratch raster at ``path`` on the output grid,
    the stable cells gathered on the way."""
    info = RasterInfo(path=path, width=out_info.width, height=out_info.height, count=6,
                      geotransform=out_info.geotransform, crs_wkt=out_info.crs_wkt)
    with RasterWriter.like(path, info, count=6) as writer:
        def write(block, out):
            i0 = -(-block.row0 // step)
            arr = np.stack([out[k].astype(np.float32) for k in _off.BLOCK_OUTPUTS])
            writer.write(arr, row=i0)
            stable.add(out, i0, arr.shape[1])

        run_blocks(plan, func, write, sources=sources, run=run, progress=progress)
        writer.commit()
    return path


def finish_offsets(raw_path: str, func, writers, *, run, progress) -> None:
    """Second pass over the raw offsets (bias, median test, metric offsets); the raw offsets are a scratch file
    of this machine, so it runs here."""
    ref = writers["offsets"]
    plan = plan_blocks(ref.height, ref.width, halo=1, bytes_per_pixel=8.0 * 30)
    run_blocks(plan, func, sources={"raw": raster_source(raw_path, bands=None, dtype=np.float64, name="offsets")},
               run=run, executor=LocalExecutor(), progress=progress, writers=writers)


class SignedStack:
    """One band of every pair raster as ``(n_pairs, rows, cols)``, reversed pairs negated (picklable)."""

    shipped = False

    def __init__(self, paths, band, sign):
        self.stack = StackSource(paths, GdalOpener(), band=band, dtype="float32")
        self.sign = sign

    def read(self, r0, r1, n_cols):
        arr = self.stack.read(r0, r1, n_cols)
        return arr * self.sign if self.sign is not None else arr


@dataclass(frozen=True)
class Job:
    """A run as plain values: the reference and secondary images, the tracking options (``opts``, from
    ``inputs/kinematics.tracking_options``), the offsets raster and its quality bands ("" for none), the stable area
    (``stable_wkb``: polygons in the reference's CRS, or None) and mask raster ("" for none), the folder of the
    run's temporary files (``temp_folder``), the parameter IDs to name (``names``: reference, secondary,
    stable_mask) and of the outputs (``ids``: output, quality), and the run-wide knobs."""

    reference: RasterInfo
    secondary: RasterInfo
    opts: dict
    output: str
    names: dict
    ids: dict
    quality: str = ""
    stable_wkb: Optional[list] = None
    stable_mask: str = ""
    temp_folder: Optional[str] = None
    settings: RunSettings = field(default_factory=RunSettings)


def run(job: Job, *, progress=None) -> Outcome:
    """The offsets of the secondary image against the reference (raw offsets in a temporary raster, then the
    stable area's bias removed, the median test and the conversion to metres) written with their quality bands."""
    o, ref, run_settings = job.opts, job.reference, job.settings
    names = (job.names["reference"], job.names["secondary"])
    out_info = output_info(ref, job.output, window=o["window"], step=o["step"])
    stable = _off.StableCells(burn_polygons(job.stable_wkb, out_info) if job.stable_wkb is not None else None,
                              mask=bool(job.stable_mask))
    with tempfile.TemporaryDirectory(prefix="offsets_", dir=job.temp_folder, ignore_cleanup_errors=True) as tmp:
        sec_path = on_grid_of(ref, job.secondary, tmp, names, progress)
        flat_std, levels = image_statistics(ref, sec_path, o, names, progress)
        sources = {"reference": raster_source(ref.path, bands=o["band_ref"], name=names[0]),
                   "secondary": raster_source(sec_path, bands=o["band_sec"], name=names[1])}
        if job.stable_mask:
            sources["stable"] = raster_source(job.stable_mask, name=job.names["stable_mask"])
        func = functools.partial(_off.offset_block, window=o["window"], search=o["search"], step=o["step"],
                                 subpixel=o["subpixel"], min_ncc=o["min_ncc"], min_peak_ratio=o["min_peak_ratio"],
                                 min_std_abs=flat_std, highpass_px=o["highpass_px"], levels=levels)
        plan = run_settings.plan(ref.height, ref.width, **_off.plan_options(
            window=o["window"], search=o["search"], step=o["step"], highpass_px=o["highpass_px"]))
        raw = raw_offsets(plan, func, sources, run=run_settings, out_info=out_info, step=o["step"], stable=stable,
                          progress=SubProgress(progress, 0, 90), path=os.path.join(tmp, "raw.tif"))
        bias, metadata = stable.bias(progress)
        fin = functools.partial(_off.finalize_block, bias=bias, median_test=o["median_test"],
                                median_threshold=o["median_threshold"],
                                geotransform=None if o["radar"] else ref.geotransform,
                                pixel_x_m=o["pixel_x_m"], pixel_y_m=o["pixel_y_m"])
        bands = _off.OFFSET_BANDS_RADAR if o["radar"] else _off.OFFSET_BANDS_MAP
        writers = {"offsets": RasterWriter.like(job.output, out_info, count=7, descriptions=bands, metadata=metadata),
                   "quality": raster.optional_writer(job.quality, out_info, count=4,
                                                     descriptions=_off.QUALITY_BANDS)}
        finish_offsets(raw, fin, writers, run=run_settings, progress=SubProgress(progress, 90, 100))
    return Outcome(outputs={job.ids["output"]: job.output, **({job.ids["quality"]: job.quality} if job.quality
                                                               else {})})
