"""A product's stack (:class:`~..algorithms.formats.products.StackSpec`) opened for the stack tools: its pairs put on
one grid, each interferogram and coherence seen through a small VRT in GDAL's memory file system.

A VRT of a pair's file windows it onto the stack's grid (the common area of the pairs by default, or their union),
marks the producer's no-data pixels (LiCSAR: 0), scales a byte coherence (0-255) to 0-1, and carries the product's
scene values as metadata (``INCIDENCE_DEG``, ``HEADING_DEG``, ``SLANT_RANGE_M``, ``PERPENDICULAR_BASELINE_M``), so
the tools that apply the metadata rule to their inputs find them. The VRTs point at the files as delivered (zip
members through ``/vsizip/``): nothing is extracted or written beside the inputs. They are named after their date
pair (``<date1>_<date2>.unw.vrt`` or ``.wrapped.vrt``, ``.cc.vrt``) and removed by :meth:`ProductStack.close`.
"""

from __future__ import annotations

import dataclasses
import math
import os
import uuid
import weakref
from dataclasses import dataclass, field
from typing import Optional
from xml.sax.saxutils import escape

import numpy as np
from osgeo import gdal

from ...algorithms.errors import GeohazardError
from ...algorithms.formats import geometry_meta as gm
from ...algorithms.formats import licsar, producers
from ...algorithms.formats.products import StackSpec, summarise_left_out
from ...algorithms.geometry.los import heading_from_azimuth
from ..base.probe import gdal_thread_options, raster_header
from ..base.raster import RasterInfo, raster_info
from . import product_sources

#: The stack's grid when pairs cover different areas.
EXTENTS = ("common", "union")
EXTENT_LABELS = ("Common area of all pairs (intersection)", "Every pair's area (union; no-data outside a pair)")
VSIMEM_ROOT = "/vsimem/geohazard_products"
#: Headings of one stack's products agree within this (degrees); beyond, the products' text and rasters contradict.
HEADING_AGREE_DEG = 3.0
#: Pixels read per side to take a scene mean of a geometry raster (decimated read).
MEAN_SIDE = 512


@dataclass
class ProductStack:
    """The files the stack tools read (VRT paths in pair order), the stack's grid, the scene values the product
    gives (``{key: (value, where)}``) and the lines to log (``info``, ``warnings``)."""

    spec: StackSpec
    ifg_paths: list
    coh_paths: list
    info: RasterInfo
    geometry: dict = field(default_factory=dict)
    info_lines: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    folder: str = ""
    _dem: Optional[str] = None  # the product's heights on the stack's grid, made when first asked (dem_path)
    dem_note: str = ""  # where the heights came from, for the log

    def __post_init__(self):
        # the VRTs go when the last holder of this stack does (a StackInput keeps it while it reads them)
        self._finalizer = weakref.finalize(self, _remove_folder, self.folder) if self.folder else None
        if self._finalizer is not None:
            # at the interpreter's exit GDAL's memory goes with the process: removing it then raised
            # (RuntimeError from RmdirRecursive on qgis_process's stderr)
            self._finalizer.atexit = False

    @property
    def dem_path(self) -> str:
        """The product's heights on the stack's grid (a VRT; LiCSAR's ``<frame>.geo.hgt.tif``, HyP3's ``_dem.tif`` of
        every product mosaicked), "" when it has none; made when first asked (hundreds of products' DEMs are
        opened only by the tools that use them)."""
        if self._dem is None:
            self._dem = _product_dem(self.spec, self.info, self.folder, self)
        return self._dem

    def own_reference(self) -> Optional[tuple]:
        """``(row, col, where)`` of the one reference pixel every file of the product names on the stack's grid
        (OPERA DISP-S1: ``corrections/reference_point``), None when the product names none or the grid is not the
        files' own."""
        refs = {p.meta.get("reference") for p in self.spec.pairs}
        if self.spec.producer != "OPERA" or len(refs) != 1 or None in refs or \
                any(line.startswith("the pairs cover different areas") for line in self.info_lines):
            return None
        r, c = next(iter(refs))
        return r, c, "corrections/reference_point of the DISP-S1 files (OPERA's reference point)"

    def close(self) -> None:
        """Remove the VRTs from GDAL's memory file system (the datasets already open keep working)."""
        if self._finalizer is not None:
            self._finalizer()

    def log(self, log, name: str = "INTERFEROGRAMS") -> None:
        """Send the lines to ``log`` (``push_info``/``push_warning``), each prefixed with the parameter."""
        if log is None:
            return
        for line in self.info_lines:
            log.push_info(f"{name}: {line}")
        for line in self.warnings:
            log.push_warning(f"{name}: {line}")


def _remove_folder(folder: str) -> None:
    if folder.startswith(VSIMEM_ROOT + "/"):
        try:
            gdal.RmdirRecursive(folder)
        except RuntimeError:  # already gone (GDAL shutting down): nothing is left to remove
            pass


# ------------------------------------------------------------------ grids
def _origin_offset(info: RasterInfo, ref: RasterInfo) -> tuple[float, float]:
    """(column, row) offset of ``info``'s origin on ``ref``'s grid, in pixels (fractional when not aligned)."""
    gt, gr = info.geotransform, ref.geotransform
    return (gt[0] - gr[0]) / gr[1], (gt[3] - gr[3]) / gr[5]


def stack_grid(infos: list, labels: list, extent: str = "common") -> tuple[RasterInfo, list, str]:
    """The stack's grid and each raster's window on it.

    Parameters
    ----------
    infos, labels : the rasters' grids and their names for messages
    extent : ``"common"`` (the area every raster covers) or ``"union"``

    Returns
    -------
    (RasterInfo, [(col0, row0)], str)
        The grid (size, geotransform, CRS of the first raster), each raster's origin on it (pixels; negative when a
        raster starts before the grid), and a sentence for the log ("" when every raster is on one grid).

    Raises
    ------
    GeohazardError
        Naming two rasters: different CRS, pixel size or rotation, grids not aligned to whole pixels, or (common
        area) rasters with no area in common.
    """
    ref = infos[0]
    gr = ref.geotransform
    if gr[2] or gr[4]:
        raise GeohazardError(f"{labels[0]} has a rotated geotransform; the stack reader takes north-up grids")
    offsets = []
    srs0 = ref.srs
    for info, lb in zip(infos, labels):
        gt = info.geotransform
        if info.crs_wkt != ref.crs_wkt and srs0 is not None and info.srs is not None and not srs0.IsSame(info.srs):
            raise GeohazardError(f"{lb} is in another CRS than {labels[0]} ({_crs_name(info)} vs {_crs_name(ref)}); "
                                 "the pairs of one stack share a CRS: reproject them onto one grid first")
        if abs(gt[1] - gr[1]) > 1e-9 * abs(gr[1]) or abs(gt[5] - gr[5]) > 1e-9 * abs(gr[5]) or gt[2] or gt[4]:
            raise GeohazardError(f"{lb} has pixels of {gt[1]:g} x {abs(gt[5]):g}, {labels[0]} of {gr[1]:g} x "
                                 f"{abs(gr[5]):g}: the pairs of one stack share a pixel size (resample them first)")
        dc, dr = _origin_offset(info, ref)
        if abs(dc - round(dc)) > 1e-3 or abs(dr - round(dr)) > 1e-3:
            raise GeohazardError(f"{lb} is not aligned with {labels[0]}: its origin is {abs(dc - round(dc)):.3f} x "
                                 f"{abs(dr - round(dr)):.3f} pixels off the grid; resample it onto {labels[0]}'s grid "
                                 "(gdalwarp -tap -tr) or leave it out")
        offsets.append((int(round(dc)), int(round(dr))))
    c0 = [o[0] for o in offsets]
    r0 = [o[1] for o in offsets]
    c1 = [o[0] + i.width for o, i in zip(offsets, infos)]
    r1 = [o[1] + i.height for o, i in zip(offsets, infos)]
    if extent == "union":
        left, top, right, bottom = min(c0), min(r0), max(c1), max(r1)
    else:
        left, top, right, bottom = max(c0), max(r0), min(c1), min(r1)
        if right <= left or bottom <= top:
            a = int(np.argmax(c0) if right <= left else np.argmax(r0))
            b = int(np.argmin(c1) if right <= left else np.argmin(r1))
            raise GeohazardError(f"{labels[a]} and {labels[b]} do not overlap: the pairs have no area in common. "
                                 "Leave out the pairs of other areas, or take every pair's area (STACK_EXTENT = "
                                 "union)")
    same = len(set(offsets)) == 1 and len({(i.width, i.height) for i in infos}) == 1
    gt = (gr[0] + left * gr[1], gr[1], 0.0, gr[3] + top * gr[5], 0.0, gr[5])
    grid = RasterInfo("", right - left, bottom - top, 1, gt, ref.crs_wkt, [None], [], ref.has_georef)
    which = "the union of their areas" if extent == "union" else "their common area"
    note = "" if same else (
        f"the pairs cover different areas; the stack's grid is {which}"
        f" ({grid.width} x {grid.height} pixels of {gr[1]:g} x {abs(gr[5]):g}, from {min(i.width for i in infos)}-"
        f"{max(i.width for i in infos)} x {min(i.height for i in infos)}-{max(i.height for i in infos)} in the "
        "products; STACK_EXTENT)")
    return grid, [(o[0] - left, o[1] - top) for o in offsets], note


def window_on(grid: RasterInfo, info: RasterInfo, label: str) -> tuple[int, int]:
    """(column, row) of ``info``'s origin on ``grid`` (pixels; negative when it starts before the grid).

    Raises
    ------
    GeohazardError
        When ``info`` cannot share ``grid`` (CRS, pixel size, alignment: :func:`stack_grid`)."""
    (_, w, _) = stack_grid([grid, info], ["the stack", label], "union")
    return w[1][0] - w[0][0], w[1][1] - w[0][1]


def _crs_name(info: RasterInfo) -> str:
    srs = info.srs
    if srs is None:
        return "no CRS"
    code = srs.GetAuthorityCode(None)
    return f"EPSG:{code}" if code else srs.GetName()


# ------------------------------------------------------------------ VRTs
_GDAL_TYPES = {gdal.GDT_Byte: "Byte", gdal.GDT_UInt16: "UInt16", gdal.GDT_Int16: "Int16", gdal.GDT_UInt32: "UInt32",
               gdal.GDT_Int32: "Int32", gdal.GDT_Float32: "Float32", gdal.GDT_Float64: "Float64"}


def _header(path: str, label: str) -> tuple:
    """``(RasterInfo, band 1 data type, band 1 no-data)`` of ``path``, opened once (its folder not listed: GDAL
    asks for side-cars by name)."""
    with gdal_thread_options(GDAL_DISABLE_READDIR_ON_OPEN="YES"):
        try:
            ds = gdal.OpenEx(path, gdal.OF_RASTER | gdal.OF_READONLY)
        except RuntimeError as exc:
            raise GeohazardError(f"{label}: {os.path.basename(path)} is not a raster GDAL can read ({exc})") from None
        if ds is None or ds.RasterCount == 0:
            raise GeohazardError(f"{label}: {os.path.basename(path)} is not a raster GDAL can read")
        head = raster_header(ds)
        band = ds.GetRasterBand(1)
        info = RasterInfo(path, head["width"], head["height"], head["count"], head["geotransform"], head["crs_wkt"],
                          head["nodata"], head["descriptions"], head["has_georef"])
        return info, band.DataType, band.GetNoDataValue()


def _source_band(path: str):
    ds = gdal.OpenEx(path, gdal.OF_RASTER | gdal.OF_READONLY)
    if ds is None:
        raise GeohazardError(f"{path} is not a raster GDAL can read")
    band = ds.GetRasterBand(1)
    return ds, band


def _source_xml(src: str, grid: RasterInfo, window: tuple, src_size: tuple, *, src_type: str, src_nodata=None,
                scale: Optional[float] = None, simple: bool = False, band: int = 1) -> str:
    """The VRT source element of ``src``'s band ``band`` (1 unless said) placed at ``window`` = (col, row) of
    ``grid`` ("" when it lies outside the grid)."""
    col, row = window
    sw, sh = src_size
    # the part of the source inside the grid
    x0, y0 = max(0, -col), max(0, -row)
    x1, y1 = min(sw, grid.width - col), min(sh, grid.height - row)
    if x1 <= x0 or y1 <= y0:
        return ""
    kind = "SimpleSource" if simple or (src_nodata is None and scale is None) else "ComplexSource"
    extra = ""
    if src_nodata is not None:
        extra += f"<NODATA>{float(src_nodata)!r}</NODATA>"
    if scale is not None:
        extra += f"<ScaleOffset>0</ScaleOffset><ScaleRatio>{float(scale)!r}</ScaleRatio>"
    return (f"<{kind}><SourceFilename relativeToVRT=\"0\">{escape(src)}</SourceFilename><SourceBand>{int(band)}"
            f"</SourceBand><SourceProperties RasterXSize=\"{sw}\" RasterYSize=\"{sh}\" DataType=\"{src_type}\"/>"
            f"<SrcRect xOff=\"{x0}\" yOff=\"{y0}\" xSize=\"{x1 - x0}\" ySize=\"{y1 - y0}\"/>"
            f"<DstRect xOff=\"{x0 + col}\" yOff=\"{y0 + row}\" xSize=\"{x1 - x0}\" ySize=\"{y1 - y0}\"/>"
            f"{extra}</{kind}>")


def vrt_text(src: str, grid: RasterInfo, window: tuple, src_size: tuple, *, src_type: str, src_nodata=None,
             scale: Optional[float] = None, metadata: Optional[dict] = None, band: int = 1) -> str:
    """A one-band Float32 VRT of ``src``'s band ``band`` (1 unless said) on ``grid``, the source's origin at
    ``window`` = (col, row) (pixels of the grid); outside the source and at ``src_nodata`` the VRT holds its
    no-data; values are multiplied by ``scale`` when given.

    A Float32 source read as it is keeps its no-data value as the VRT's (outside the source too) and is copied
    block by block (a simple source: GDAL's direct path); otherwise each pixel is converted (a complex source) and
    the VRT's no-data is NaN."""
    if scale is None and src_type == "Float32":
        nodata = float("nan") if src_nodata is None else float(src_nodata)
        return vrt_mosaic([_source_xml(src, grid, window, src_size, src_type=src_type, simple=True, band=band)], grid,
                          metadata, nodata=nodata)
    return vrt_mosaic([_source_xml(src, grid, window, src_size, src_type=src_type, src_nodata=src_nodata,
                                   scale=scale, band=band)], grid, metadata)


def masked_vrt_text(src: str, mask: str, grid: RasterInfo, window: tuple, src_size: tuple, *, src_type: str,
                    src_nodata=None, scale: Optional[float] = None, metadata: Optional[dict] = None) -> str:
    """:func:`vrt_text` of ``src`` with the pixels where the byte raster ``mask`` (on ``src``'s grid) is not 1 set
    to no-data (NaN): GDAL's ``mul`` pixel function of the values and the mask looked up as 1 (kept) or NaN (0,
    fill 255 and any other value), the NaN propagated (GDAL >= 3.11 skips a no-data term unless told)."""
    values = _source_xml(src, grid, window, src_size, src_type=src_type, src_nodata=src_nodata, scale=scale)
    values = values.replace("<SimpleSource>", "<ComplexSource>").replace("</SimpleSource>", "</ComplexSource>")
    keep = _source_xml(mask, grid, window, src_size, src_type="Byte")
    keep = keep.replace("<SimpleSource>", "<ComplexSource>").replace(
        "</SimpleSource>", "<LUT>0:nan,1:1,255:nan</LUT></ComplexSource>")
    gt = ",".join(repr(float(v)) for v in grid.geotransform)
    md = "".join(f'<MDI key="{escape(str(k))}">{escape(str(v))}</MDI>' for k, v in (metadata or {}).items())
    srs = f"<SRS>{escape(grid.crs_wkt)}</SRS>" if grid.crs_wkt else ""
    return (f"<VRTDataset rasterXSize=\"{grid.width}\" rasterYSize=\"{grid.height}\">{srs}<GeoTransform>{gt}"
            f"</GeoTransform><Metadata>{md}</Metadata><VRTRasterBand dataType=\"Float32\" band=\"1\" "
            f"subClass=\"VRTDerivedRasterBand\"><NoDataValue>nan</NoDataValue><PixelFunctionType>mul"
            f"</PixelFunctionType><PixelFunctionArguments propagateNoData=\"true\"/><SourceTransferType>Float64"
            f"</SourceTransferType>{values}{keep}</VRTRasterBand>"
            "</VRTDataset>")


def vrt_mosaic(sources: list, grid: RasterInfo, metadata: Optional[dict] = None, *, nodata: float = float("nan")) \
        -> str:
    """A one-band Float32 VRT on ``grid`` of the source elements ``sources`` (:func:`_source_xml`; a later source
    covers an earlier one where it has data), ``nodata`` (default NaN) elsewhere."""
    gt = ",".join(repr(float(v)) for v in grid.geotransform)
    md = "".join(f'<MDI key="{escape(str(k))}">{escape(str(v))}</MDI>' for k, v in (metadata or {}).items())
    srs = f"<SRS>{escape(grid.crs_wkt)}</SRS>" if grid.crs_wkt else ""
    return (f"<VRTDataset rasterXSize=\"{grid.width}\" rasterYSize=\"{grid.height}\">{srs}<GeoTransform>{gt}"
            f"</GeoTransform><Metadata>{md}</Metadata><VRTRasterBand dataType=\"Float32\" band=\"1\">"
            f"<NoDataValue>{float(nodata)!r}</NoDataValue>{''.join(sources)}</VRTRasterBand></VRTDataset>")


def _write_vsimem(path: str, text: str) -> None:
    gdal.FileFromMemBuffer(path, text.encode("utf-8"))


# ------------------------------------------------------------------ scene values
def _window_mean_read(path: str, grid: RasterInfo, window: tuple, src_size: tuple) -> np.ndarray:
    """The part of ``path`` (band 1) inside ``grid``, decimated to at most :data:`MEAN_SIDE` pixels a side, float64
    with the band's no-data as NaN."""
    col, row = window
    sw, sh = src_size
    x0, y0 = max(0, -col), max(0, -row)
    x1, y1 = min(sw, grid.width - col), min(sh, grid.height - row)
    ds, band = _source_band(path)
    bx, by = min(x1 - x0, MEAN_SIDE), min(y1 - y0, MEAN_SIDE)
    arr = band.ReadAsArray(x0, y0, x1 - x0, y1 - y0, buf_xsize=bx, buf_ysize=by).astype(np.float64)
    nodata = band.GetNoDataValue()
    if nodata is not None and not math.isnan(nodata):
        arr[arr == nodata] = np.nan
    return arr


def _licsar_geometry(spec: StackSpec, grid: RasterInfo, out: ProductStack) -> None:
    """Incidence and heading: the mean of the frame's E/N/U over the stack's area (LiCSBAS: incidence =
    arccos(U)), else metadata.txt; slant range from metadata.txt; a heading that contradicts is warned about."""
    text = {k: v[0] for k, v in spec.geometry.items()}  # (label, value) of metadata.txt
    enu = [spec.scene.get(k) for k in ("E", "N", "U")]
    if all(enu):
        try:
            arrays = []
            for p in enu:
                info = raster_info(p, os.path.basename(p))
                arrays.append(_window_mean_read(p, grid, window_on(grid, info, os.path.basename(p)),
                                                (info.width, info.height)))
            for a in arrays:
                a[a == 0] = np.nan  # LiCSAR marks no data with 0
            inc, head = licsar.enu_angles(*arrays)
        except GeohazardError as exc:
            raise GeohazardError(f"{os.path.basename(enu[2])}: {exc}") from None
        if np.isfinite(inc).any():
            where = f"mean of the frame's E/N/U rasters over the stack's area ({os.path.basename(enu[2])} ...)"
            out.geometry[gm.INCIDENCE_KEY] = (float(np.nanmean(inc)), where)
            out.geometry[gm.HEADING_KEY] = (licsar.circular_mean_deg(head), where)
    for key in (gm.INCIDENCE_KEY, gm.HEADING_KEY, gm.SLANT_RANGE_KEY):
        if key in text and key not in out.geometry:
            out.geometry[key] = (text[key][1], text[key][0])
    if gm.HEADING_KEY in text and gm.HEADING_KEY in out.geometry:
        a, b = text[gm.HEADING_KEY][1], out.geometry[gm.HEADING_KEY][0]
        d = abs((a - b + 180.0) % 360.0 - 180.0)
        if d > HEADING_AGREE_DEG:
            out.warnings.append(f"the heading of {text[gm.HEADING_KEY][0]} ({a:.2f} deg) and that of the E/N/U rasters "
                                f"({b:.2f} deg) differ by {d:.1f} deg: are they files of one frame? the E/N/U value "
                                "is used")


def _hyp3_geometry(spec: StackSpec, grid: RasterInfo, windows: dict, out: ProductStack) -> None:
    """Incidence from the pairs' lv_theta (90 deg - elevation, radians by HyP3's guide), heading from their .txt
    (checked against lv_phi), slant range from their .txt."""
    heads = [v for _, v in spec.geometry.get(gm.HEADING_KEY, [])]
    if heads:
        mean = licsar.circular_mean_deg(heads)
        spread = max(abs((h - mean + 180.0) % 360.0 - 180.0) for h in heads)
        if spread > HEADING_AGREE_DEG:
            out.warnings.append(f"the products' headings ('Heading:' in their .txt) spread {spread:.1f} deg around "
                                f"{mean:.2f} deg: are they one track?")
        out.geometry[gm.HEADING_KEY] = (mean, f"'Heading:' of the products' .txt ({len(heads)} files)")
    ranges = [v for _, v in spec.geometry.get(gm.SLANT_RANGE_KEY, [])]
    if ranges:
        out.geometry[gm.SLANT_RANGE_KEY] = (float(np.mean(ranges)), "'Slant range center:' of the products' .txt")
    first = next((p for p in spec.pairs if "lv_theta" in p.extras), None)
    if first is not None:
        path = first.extras["lv_theta"]
        info = raster_info(path, os.path.basename(path))
        theta = _window_mean_read(path, grid, window_on(grid, info, os.path.basename(path)), (info.width, info.height))
        valid = theta[np.isfinite(theta)]
        if valid.size:
            if valid.min() <= 0.0 or valid.max() >= math.pi / 2:
                raise GeohazardError(f"{os.path.basename(path)} holds values from {valid.min():.4g} to "
                                     f"{valid.max():.4g}: HyP3's lv_theta is the look vector's elevation in radians "
                                     "(0..pi/2 for a sensor above the ground); is it another quantity?")
            out.geometry[gm.INCIDENCE_KEY] = (float(90.0 - np.degrees(valid).mean()),
                                              f"90 deg - mean of {os.path.basename(path)} (look-vector elevation, "
                                              "radians) over the stack's area")
    phi_pair = next((p for p in spec.pairs if "lv_phi" in p.extras), None)
    if phi_pair is not None and gm.HEADING_KEY in out.geometry:
        path = phi_pair.extras["lv_phi"]
        info = raster_info(path, os.path.basename(path))
        phi = _window_mean_read(path, grid, window_on(grid, info, os.path.basename(path)), (info.width, info.height))
        phi = phi[np.isfinite(phi)]
        if phi.size:
            if np.abs(phi).max() > math.pi + 1e-3:
                raise GeohazardError(f"{os.path.basename(path)} holds values beyond pi: HyP3's lv_phi is an "
                                     "orientation angle in radians (-pi..pi); is it another quantity?")
            h = licsar.circular_mean_deg(heading_from_azimuth(phi, "lv_phi_rad"))
            txt = out.geometry[gm.HEADING_KEY][0]
            d = abs((h - txt + 180.0) % 360.0 - 180.0)
            if d > HEADING_AGREE_DEG:
                out.warnings.append(f"the heading the products' .txt give ({txt:.2f} deg) and the one their "
                                    f"{os.path.basename(path)} gives ({h:.2f} deg) differ by {d:.1f} deg; the .txt "
                                    "value is used")
    elif phi_pair is not None:
        path = phi_pair.extras["lv_phi"]
        info = raster_info(path, os.path.basename(path))
        phi = _window_mean_read(path, grid, window_on(grid, info, os.path.basename(path)), (info.width, info.height))
        if np.isfinite(phi).any():
            out.geometry[gm.HEADING_KEY] = (licsar.circular_mean_deg(heading_from_azimuth(
                phi[np.isfinite(phi)], "lv_phi_rad")), f"mean of {os.path.basename(path)} (look-vector orientation)")


def _product_dem(spec: StackSpec, grid: RasterInfo, folder: str, out: ProductStack) -> str:
    """The product's heights on the stack's grid (LiCSAR's ``<frame>.geo.hgt.tif``; HyP3's ``_dem.tif`` of every
    product, mosaicked), 0 as no data: the path of its VRT ("" when the product has no DEM)."""
    files = [spec.scene["hgt"]] if spec.scene.get("hgt") else [p.extras["dem"] for p in spec.pairs
                                                                   if "dem" in p.extras]
    sources = []
    for path in files:
        info = raster_info(path, os.path.basename(path))
        try:
            window = window_on(grid, info, os.path.basename(path))
        except GeohazardError as exc:
            out.warnings.append(f"the product's DEM is not used: {exc}")
            return ""
        _, band = _source_band(path)
        nodata = band.GetNoDataValue()
        sources.append(_source_xml(path, grid, window, (info.width, info.height),
                                   src_type=_GDAL_TYPES.get(band.DataType, "Float32"),
                                   src_nodata=0.0 if nodata is None else nodata))
    if not sources:
        return ""
    path = f"{folder}/{spec.producer.lower()}_dem.vrt"
    _write_vsimem(path, vrt_mosaic(sources, grid))
    out.dem_note = (f"the product's DEM: {os.path.basename(files[0])}"
                    + (f" and {len(files) - 1} more (mosaicked)" if len(files) > 1 else "") + ", on the stack's grid")
    return path


# ------------------------------------------------------------------ the whole stack
def open_product(spec: StackSpec, *, extent: str = "common", name: str = "INTERFEROGRAMS",
                 wrapped: bool = False) -> ProductStack:
    """The product's pairs on one grid, as VRTs in GDAL's memory (see the module docstring).

    Raises
    ------
    GeohazardError
        Naming ``name`` and the file: unreadable rasters, pairs not on one grid that can be shared (CRS, pixel
        size, alignment), no common area, geometry rasters holding other quantities.
    """
    if extent not in EXTENTS:
        raise GeohazardError(f"STACK_EXTENT: {extent!r} is not one of {EXTENTS}")
    try:
        return _open(spec, extent, "wrapped" if wrapped else "unw")
    except GeohazardError as exc:
        raise GeohazardError(f"{name}: {exc}") from None


def _isce_geometry(spec: StackSpec, out: ProductStack) -> None:
    """Incidence and heading of an ISCE2 stack: the mean of its ``los.rdr`` (band 1 incidence, band 2 the azimuth of
    the ground-to-satellite vector, anticlockwise from north), 0 = no data, over the radar grid."""
    path = spec.lookup.get("los")
    if not path:
        return
    ds = gdal.Open(path)
    if ds is None or ds.RasterCount < 2:
        out.warnings.append(f"{os.path.basename(path)} is not ISCE's two-band los.rdr: the geometry is not read")
        return
    bx, by = min(ds.RasterXSize, MEAN_SIDE), min(ds.RasterYSize, MEAN_SIDE)
    inc, az = (ds.GetRasterBand(b).ReadAsArray(buf_xsize=bx, buf_ysize=by).astype(np.float64) for b in (1, 2))
    ok = (inc != 0) & np.isfinite(inc) & np.isfinite(az)
    if not ok.any():
        return
    name = os.path.basename(path)
    lo, hi = float(inc[ok].min()), float(inc[ok].max())
    if not (0.5 <= lo and hi <= 89.5):
        raise GeohazardError(f"{name} band 1 holds {lo:g}..{hi:g}: not ISCE's incidence angle in degrees (0.5-89.5)")
    out.geometry[gm.INCIDENCE_KEY] = (float(inc[ok].mean()), f"mean of {name} band 1 (incidence)")
    out.geometry[gm.HEADING_KEY] = (licsar.circular_mean_deg(heading_from_azimuth(az[ok], "isce_los_azimuth_deg")),
                                    f"mean of {name} band 2 (line-of-sight azimuth)")


def _text_geometry(spec: StackSpec, out: ProductStack) -> None:
    """Scene values the product's text files give (GAMMA, SNAP): their mean, with where they came from."""
    for key, vals in spec.geometry.items():
        if key in gm.QUANTITIES and vals:
            out.geometry[key] = (sum(v for _, v in vals) / len(vals), vals[0][0])


def _open(spec: StackSpec, extent: str, kind: str) -> ProductStack:
    folder = f"{VSIMEM_ROOT}/{uuid.uuid4().hex}"
    gdal.Mkdir(folder, 0o755)
    if spec.raw:
        spec = product_sources.raw_as_vrt(spec, folder)
    if spec.georef:
        spec = product_sources.georeferenced(spec, folder)
    if spec.lookup:
        spec = product_sources.geocoded(spec, folder)
    labels = [p.label for p in spec.pairs]
    heads = [_header(p.unw, lb) for p, lb in zip(spec.pairs, labels)]
    if spec.crs_if_missing:
        infos = product_sources.with_crs([h[0] for h in heads], spec)
        heads = [(i, h[1], h[2]) for i, h in zip(infos, heads)]
    infos = [h[0] for h in heads]
    producer = producers.by_name(spec.producer)
    if producer is not None and producer.radar_hint:
        for info, lb in zip(infos, labels):
            if not info.has_georef or not info.crs_wkt:
                raise GeohazardError(f"{lb} has no map georeference: the stack is in radar coordinates; "
                                     f"{producer.radar_hint}")
    grid, windows, note = stack_grid(infos, labels, extent)
    out = ProductStack(spec, [], [], grid, folder=folder)
    out.info_lines += list(spec.taken)
    out.warnings += list(spec.warnings)
    if note:
        out.info_lines.append(note)
    if spec.producer == "LiCSAR":
        _licsar_geometry(spec, grid, out)
    elif spec.producer == "HyP3":
        _hyp3_geometry(spec, grid, dict(zip(labels, windows)), out)
    elif spec.lookup:
        _isce_geometry(spec, out)
    else:
        _text_geometry(spec, out)
    scene_md = {k: f"{v[0]:.10g}" for k, v in out.geometry.items()}
    for key, (value, where) in out.geometry.items():
        q = gm.QUANTITIES[key]
        out.info_lines.append(f"{q.name} {value:.6g} {q.unit}: {where}")
    zero_noted = scaled = False
    for pair, (info, dtype, nodata), window in zip(spec.pairs, heads, windows):
        md = dict(scene_md)
        key = tuple(sorted(pair.pair))
        if spec.baselines is not None and key in spec.baselines:
            md[gm.PAIR_BASELINE_KEY] = f"{spec.baselines[key]:.6g}"
        if nodata is None and spec.zero_is_nodata:
            nodata, zero_noted = 0.0, True
        path = f"{folder}/{pair.name}.{kind}.vrt"
        src_type = _GDAL_TYPES.get(dtype, "Float32")
        if spec.masks.get(pair.unw):
            _write_vsimem(path, masked_vrt_text(pair.unw, spec.masks[pair.unw], grid, window,
                                                (info.width, info.height), src_type=src_type, src_nodata=nodata,
                                                scale=spec.unw_scale, metadata=md))
        else:
            _write_vsimem(path, vrt_text(pair.unw, grid, window, (info.width, info.height), src_type=src_type,
                                         src_nodata=nodata, scale=spec.unw_scale, metadata=md,
                                         band=spec.bands.get(pair.unw, 1)))
        out.ifg_paths.append(path)
        if pair.coh is not None:
            cinfo, ctype, cnodata = _header(pair.coh, pair.label)
            if spec.crs_if_missing and not cinfo.crs_wkt:
                cinfo = dataclasses.replace(cinfo, crs_wkt=info.crs_wkt)
            if cinfo.shape != info.shape or cinfo.other_grid(info):
                raise GeohazardError(f"{pair.label}: the coherence is not on the interferogram's grid")
            if cnodata is None and spec.zero_is_nodata:
                cnodata = 0.0
            scale = None
            if ctype == gdal.GDT_Byte:
                scale, scaled = 1.0 / 255.0, True
            cpath = f"{folder}/{pair.name}.cc.vrt"
            _write_vsimem(cpath, vrt_text(pair.coh, grid, window, (info.width, info.height),
                                          src_type=_GDAL_TYPES.get(ctype, "Float32"), src_nodata=cnodata, scale=scale,
                                          band=spec.bands.get(pair.coh, 1)))
            out.coh_paths.append(cpath)
    if zero_noted:
        out.info_lines.append(f"{spec.producer} marks the pixels without data with 0 (the files declare no no-data "
                              "value; LiCSBAS reads them so): 0 is read as no data")
    if scaled:
        out.info_lines.append("the coherence is stored as bytes 0-255 (LiCSAR's .geo.cc.tif): read as value / 255")
    if spec.references:
        out.info_lines.append(f"{spec.producer} unwraps each pair from its own reference point (e.g. "
                              f"{next(iter(spec.references.values()))} for {next(iter(spec.references))}, in the "
                              "product's .txt): the stack is referenced to one point (REFERENCE, or the automatic "
                              "choice)")
    out.info_lines += summarise_left_out(spec.left_out)
    return out

