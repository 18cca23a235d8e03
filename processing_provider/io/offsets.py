"""IO of the offset tools (offsettracking, offsettimeseries): the output grid of the correlation windows,
the secondary image resampled onto the reference grid, and a stack of pair rasters read with reversed pairs
negated."""

from __future__ import annotations

from osgeo import gdal

from ...algorithms.kinematics import offsets as _off
from .raster import RasterInfo


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


class SignedStack:
    """One band of every pair raster as ``(n_pairs, rows, cols)``, reversed pairs negated (picklable)."""

    shipped = False

    def __init__(self, paths, band, sign):
        from ...algorithms.engine import StackSource
        from .blocks import GdalOpener

        self.stack = StackSource(paths, GdalOpener(), band=band, dtype="float32")
        self.sign = sign

    def read(self, r0, r1, n_cols):
        arr = self.stack.read(r0, r1, n_cols)
        return arr * self.sign if self.sign is not None else arr
