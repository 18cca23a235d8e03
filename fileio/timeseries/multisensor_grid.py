"""The output grid of the multi-sensor east/up time-series tool: the finest input grid in metres (or TEMPLATE's),
each stack's window on it, the stacks warped onto it through VRTs, and whether a run of that size can go on."""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from typing import Optional

import numpy as np
from osgeo import gdal, osr

from ...algorithms.engine import max_memory_bytes
from ...algorithms.errors import GeohazardError
from ..base.raster import RasterInfo, raster_info

#: GDAL resampling of the stacks and rasters that are not on the output grid (the tool's RESAMPLING options).
RESAMPLINGS = ("bilinear", "nearest", "average", "cubic")


@dataclass
class Grid:
    """The output grid: size, geotransform (north up), CRS."""

    width: int
    height: int
    geotransform: tuple
    crs_wkt: str

    @property
    def shape(self) -> tuple:
        return (self.height, self.width)

    def info(self) -> RasterInfo:
        return RasterInfo("", self.width, self.height, 1, self.geotransform, self.crs_wkt)

    def bounds(self) -> tuple:
        gt = self.geotransform
        return (gt[0], gt[3] + self.height * gt[5], gt[0] + self.width * gt[1], gt[3])

    def pixel_of(self, x: float, y: float) -> tuple:
        gt = self.geotransform
        return int(math.floor((y - gt[3]) / gt[5])), int(math.floor((x - gt[0]) / gt[1]))


def _srs(wkt: str) -> Optional[osr.SpatialReference]:
    if not wkt:
        return None
    s = osr.SpatialReference()
    s.ImportFromWkt(wkt)
    s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return s


def _extent_in(info: RasterInfo, target_wkt: str) -> tuple:
    """``(xmin, ymin, xmax, ymax)`` of ``info``'s footprint in ``target_wkt`` (edges densified)."""
    gt = info.geotransform
    cols = np.linspace(0, info.width, 21)
    rows = np.linspace(0, info.height, 21)
    edge = [(c, 0) for c in cols] + [(c, info.height) for c in cols] + [(0, r) for r in rows] + \
        [(info.width, r) for r in rows]
    xs = np.array([gt[0] + c * gt[1] + r * gt[2] for c, r in edge])
    ys = np.array([gt[3] + c * gt[4] + r * gt[5] for c, r in edge])
    src, dst = _srs(info.crs_wkt), _srs(target_wkt)
    if src is not None and dst is not None and not src.IsSame(dst):
        tr = osr.CoordinateTransformation(src, dst)
        pts = np.array(tr.TransformPoints(list(zip(xs.tolist(), ys.tolist()))))
        xs, ys = pts[:, 0], pts[:, 1]
    return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())


def _pixel_area_m2(info: RasterInfo) -> float:
    """A pixel's ground area in square metres (a geographic grid's degrees at its centre latitude; a projected grid's
    units taken as its linear unit; no CRS: the geotransform's units)."""
    gt = info.geotransform
    dx, dy = abs(gt[1]), abs(gt[5])
    srs = _srs(info.crs_wkt)
    if srs is None:
        return dx * dy
    if srs.IsGeographic():
        lat = math.radians(gt[3] + 0.5 * info.height * gt[5])
        return dx * 111_320.0 * max(math.cos(lat), 1e-6) * dy * 110_574.0
    unit = srs.GetLinearUnits() or 1.0
    return dx * unit * dy * unit


def output_grid(infos: list, names: list, template: Optional[RasterInfo] = None) -> tuple:
    """``(grid, text)``: the template's grid, else the finest input grid over the union of the inputs' extents.

    The finest grid is that of the stack with the smallest pixel area on the ground (in square metres), among the
    stacks in a projected CRS when there are any (a geographic stack beside them is resampled onto it: the output
    keeps a grid in metres), and its CRS is the output's; the union is snapped to it, so that stack is read as it
    is."""
    if template is not None:
        return Grid(template.width, template.height, tuple(template.geotransform), template.crs_wkt), \
            f"the grid of TEMPLATE ({os.path.basename(template.path)}: {template.width} x {template.height} pixels)"
    for info, nm in zip(infos, names):
        gt = info.geotransform
        if gt[2] or gt[4]:
            raise GeohazardError(f"stack {nm!r} has a rotated geotransform; warp it to a north-up grid first")
    crs = [i.crs_wkt for i in infos]
    if any(crs) and not all(crs):
        missing = [n for n, c in zip(names, crs) if not c]
        raise GeohazardError(f"stack(s) {', '.join(repr(m) for m in missing)} have no CRS while others have one; "
                             "give every stack a CRS (or none, all on one radar grid)")
    geographic = [bool(c) and _srs(c).IsGeographic() for c in crs]
    candidates = [i for i, g in enumerate(geographic) if not g] or list(range(len(infos)))
    areas = [_pixel_area_m2(infos[i]) for i in candidates]
    k = candidates[int(np.argmin(areas))]
    fine = infos[k]
    gt = fine.geotransform
    ext = np.array([_extent_in(i, fine.crs_wkt) for i in infos])
    for a, nm in enumerate(names):
        meets = [b for b in range(len(names)) if b != a and ext[a, 0] < ext[b, 2] and ext[b, 0] < ext[a, 2]
                 and ext[a, 1] < ext[b, 3] and ext[b, 1] < ext[a, 3]]
        if len(names) > 1 and not meets:
            others = ", ".join(repr(m) for m in names if m != nm)
            raise GeohazardError(f"stack {nm!r} and the other stacks ({others}) do not overlap in space; check its "
                                 "extent and CRS")
    xmin, ymin, xmax, ymax = ext[:, 0].min(), ext[:, 1].min(), ext[:, 2].max(), ext[:, 3].max()
    dx, dy = gt[1], gt[5]  # dy < 0 for north-up
    c0 = math.floor((xmin - gt[0]) / dx + 1e-9)
    c1 = math.ceil((xmax - gt[0]) / dx - 1e-9)
    r0 = math.floor((ymax - gt[3]) / dy + 1e-9)
    r1 = math.ceil((ymin - gt[3]) / dy - 1e-9)
    grid = Grid(int(c1 - c0), int(r1 - r0), (gt[0] + c0 * dx, dx, 0.0, gt[3] + r0 * dy, 0.0, dy), fine.crs_wkt)
    text = (f"the finest input grid ({names[k]!r}: pixel {abs(dx):g} x {abs(dy):g}) over the union of the stacks' "
            f"extents: {grid.width} x {grid.height} pixels")
    if any(geographic) and not geographic[k]:
        text += ("; stacks in geographic coordinates (" + ", ".join(repr(n) for n, g in zip(names, geographic) if g)
                 + ") are resampled onto this projected grid")
    return grid, text


def footprint(info: RasterInfo, grid: Grid) -> tuple:
    """``(r0, r1, c0, c1)``: the window of ``grid`` (end-exclusive) whose pixel centres lie inside ``info``'s extent
    (``r1 <= r0`` or ``c1 <= c0`` when none does)."""
    x0, y0, x1, y1 = _extent_in(info, grid.crs_wkt) if info.crs_wkt else \
        (info.geotransform[0], info.geotransform[3] + info.height * info.geotransform[5],
         info.geotransform[0] + info.width * info.geotransform[1], info.geotransform[3])
    gt = grid.geotransform
    xs = gt[0] + (np.arange(grid.width) + 0.5) * gt[1]
    ys = gt[3] + (np.arange(grid.height) + 0.5) * gt[5]
    cols = np.flatnonzero((xs > x0) & (xs < x1))
    rows = np.flatnonzero((ys > y0) & (ys < y1))
    if not cols.size or not rows.size:
        return (0, 0, 0, 0)
    return (int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1)


def check_footprints(windows: dict) -> None:
    """Refuse a stack that covers no pixel of the grid or shares none with any other stack (``name -> window``)."""
    def meets(a, b):
        return min(a[1], b[1]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[2], b[2])

    for n, w in windows.items():
        if not meets(w, w):
            raise GeohazardError(f"stack {n!r} has no data on the output grid")
        if len(windows) > 1 and not any(meets(w, v) for m, v in windows.items() if m != n):
            others = ", ".join(repr(m) for m in windows if m != n)
            raise GeohazardError(f"stack {n!r} and the other stacks ({others}) do not overlap in space; "
                                 "check its extent and CRS")


class GridFolder:
    """A temporary folder of VRTs that put rasters on the output grid; removed when closed."""

    def __init__(self, grid: Grid, resampling: str):
        if resampling not in RESAMPLINGS:
            raise GeohazardError(f"RESAMPLING must be one of {RESAMPLINGS}, got {resampling!r}")
        self.grid, self.resampling = grid, resampling
        self.folder = tempfile.mkdtemp(prefix="insar_geohazards_grid_")
        self.warped: list = []
        self.placed: list = []

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def on_grid(self, path: str, name: str) -> str:
        """``path`` itself when it lies on the grid; a VRT window of it when its pixels are the grid's (same CRS,
        pixel size and alignment: values untouched, NaN outside it); else a VRT warping it onto the grid with the
        resampling (same file name + .vrt, so date pairs in names survive)."""
        info = raster_info(path, name)
        g = self.grid
        same_crs = (not info.crs_wkt and not g.crs_wkt) or bool(
            info.crs_wkt and g.crs_wkt and _srs(info.crs_wkt).IsSame(_srs(g.crs_wkt)))
        gi, gg = info.geotransform, g.geotransform
        tol = 1e-6 * abs(gg[1])
        if same_crs and info.shape == g.shape and np.allclose(gi, gg, rtol=0, atol=tol):
            return path
        sub = os.path.join(self.folder, str(len(self.warped) + len(self.placed)))
        os.makedirs(sub, exist_ok=True)
        dst = os.path.join(sub, os.path.basename(path) + ".vrt")
        col = (gg[0] - gi[0]) / gi[1]
        row = (gg[3] - gi[3]) / gi[5]
        aligned = same_crs and abs(gi[1] - gg[1]) < tol and abs(gi[5] - gg[5]) < tol and not (gi[2] or gi[4]) \
            and abs(col - round(col)) < 1e-6 and abs(row - round(row)) < 1e-6
        if aligned:
            opts = gdal.TranslateOptions(format="VRT", srcWin=[int(round(col)), int(round(row)), g.width, g.height],
                                         noData="nan", outputType=gdal.GDT_Float32)
            ds = gdal.Translate(dst, path, options=opts)
            self.placed.append((name, os.path.basename(path)))
        else:
            if not info.crs_wkt or not g.crs_wkt:
                raise GeohazardError(f"{name}: {os.path.basename(path)} is not on the output grid and has no CRS to "
                                     "warp it with; give rasters on one grid, or with their CRS")
            xmin, ymin, xmax, ymax = g.bounds()
            opts = gdal.WarpOptions(format="VRT", outputBounds=(xmin, ymin, xmax, ymax), width=g.width,
                                    height=g.height, dstSRS=g.crs_wkt, resampleAlg=self.resampling,
                                    dstNodata=float("nan"), outputType=gdal.GDT_Float32, multithread=False)
            ds = gdal.Warp(dst, path, options=opts)
            self.warped.append((name, os.path.basename(path)))
        if ds is None:
            raise GeohazardError(f"{name}: {os.path.basename(path)} could not be put on the output grid")
        ds = None
        return dst

    def log_text(self) -> str:
        """What was resampled and what was only placed on the grid, for the log."""
        text = f"Resampled onto the output grid with {self.resampling}: " + (
            ", ".join(f"{n} ({f})" for n, f in self.warped) if self.warped else "none")
        if self.placed:
            text += "; on the output grid's pixels already (values kept, NaN around): " + ", ".join(
                f"{n} ({f})" for n, f in self.placed)
        return text


def grid_size_problem(grid: Grid, *, n_dates: int, bytes_per_pixel: float, max_memory_mb: Optional[float],
                      covered_pixels: int, series_outputs: int = 4, out_folders=()) -> str:
    """Why the run cannot go on at this grid's size, or ``""``; said before anything is read.

    One row of the grid must fit the memory budget (a block is at least one row); the time-series outputs of the
    pixels the stacks cover (``covered_pixels``: the rest is no-data, which compresses to almost nothing) must fit
    the free space of their folders."""
    budget = max_memory_bytes(max_memory_mb)
    row = bytes_per_pixel * grid.width
    size = f"The output grid is {grid.width} x {grid.height} pixels"
    if row > budget:
        return (f"{size}: one row of it with the {n_dates} model dates needs {row / 2**20:,.0f} MB, more than the "
                f"memory budget ({budget / 2**20:,.0f} MB, MAX_MEMORY_MB); give a TEMPLATE with the grid wanted (fewer "
                "columns or larger pixels), or raise MAX_MEMORY_MB")
    need = 4.0 * n_dates * covered_pixels * series_outputs
    for folder in sorted(set(out_folders)):
        try:
            free = shutil.disk_usage(folder).free
        except OSError:
            continue
        if need > free:
            return (f"{size}, {covered_pixels:,} of them under the stacks: the {series_outputs} time-series "
                    f"output(s) hold {need / 1e9:,.1f} GB there ({n_dates} dates x 4 bytes), more than the "
                    f"{free / 1e9:,.1f} GB free in {folder}; give a TEMPLATE with larger pixels, or write the outputs "
                    "where there is room")
    return ""
