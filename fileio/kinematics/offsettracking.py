"""IO of the offset tools (offsettracking, offsettimeseries): the output grid of the correlation windows,
the secondary image resampled onto the reference grid, and a stack of pair rasters read with reversed pairs
negated."""

from __future__ import annotations

import os

import numpy as np
from osgeo import gdal

from ...algorithms.engine import LocalExecutor, StackSource, plan_blocks
from ...algorithms.errors import GeohazardError
from ...algorithms.kinematics import offsets as _off
from ..base.blocks import GdalOpener, raster_source, run_blocks
from ..base.raster import RasterInfo, RasterWriter, read_band


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
