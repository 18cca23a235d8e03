"""The files of a product stack made readable on a map before the stack is put on one grid (:mod:`.products`):
GAMMA's headerless rasters as raw VRTs, ISCE2's radar-coordinate rasters geocoded with their lookup tables, GMT
grids given the CRS they do not name. Everything is written in GDAL's memory, never beside the inputs."""

from __future__ import annotations

import dataclasses
import os

from osgeo import gdal

from ...algorithms.errors import GeohazardError
from ...algorithms.formats.stack_spec import StackSpec
from ..base.probe import quiet_gdal_reads
from . import gamma as gamma_io


def raw_as_vrt(spec: StackSpec, folder: str) -> StackSpec:
    """The spec with its headerless rasters (GAMMA) replaced by raw VRTs in ``folder`` (GDAL's memory)."""
    made: dict = {}

    def vrt(path):
        if path is None or path not in spec.raw:
            return path
        if path not in made:
            grid, dtype, order = spec.raw[path]
            made[path] = f"{folder}/raw_{len(made)}_{os.path.basename(path)}.vrt"
            gdal.FileFromMemBuffer(made[path], gamma_io.vrt_text(path, grid, dtype, nodata=None,
                                                                 byte_order=order).encode("utf-8"))
        return made[path]

    pairs = [dataclasses.replace(p, unw=vrt(p.unw), coh=vrt(p.coh)) for p in spec.pairs]
    scene = {k: vrt(v) for k, v in spec.scene.items()}
    return dataclasses.replace(spec, pairs=pairs, scene=scene)


def georeferenced(spec: StackSpec, folder: str) -> StackSpec:
    """The spec with the rasters GDAL opens without their grid (NISAR's HDF5 datasets) seen through VRTs in
    ``folder`` (GDAL's memory) that carry the product's geotransform and CRS (:attr:`StackSpec.georef`)."""
    from xml.sax.saxutils import escape

    from osgeo import osr

    made: dict = {}

    def vrt(path):
        if path is None or path not in spec.georef:
            return path
        if path not in made:
            gt, epsg, (width, height) = spec.georef[path]
            srs = osr.SpatialReference()
            srs.ImportFromEPSG(int(epsg))
            made[path] = f"{folder}/georef_{len(made)}.vrt"
            text = (f"<VRTDataset rasterXSize=\"{width}\" rasterYSize=\"{height}\"><SRS>{escape(srs.ExportToWkt())}"
                    f"</SRS><GeoTransform>{','.join(repr(float(v)) for v in gt)}</GeoTransform>"
                    f"<VRTRasterBand dataType=\"Float32\" band=\"1\"><NoDataValue>nan</NoDataValue><ComplexSource>"
                    f"<SourceFilename relativeToVRT=\"0\">{escape(path)}</SourceFilename><SourceBand>1</SourceBand>"
                    "</ComplexSource></VRTRasterBand></VRTDataset>")
            gdal.FileFromMemBuffer(made[path], text.encode("utf-8"))
        return made[path]

    pairs = [dataclasses.replace(p, unw=vrt(p.unw), coh=vrt(p.coh)) for p in spec.pairs]
    return dataclasses.replace(spec, pairs=pairs)


def geocoded(spec: StackSpec, folder: str) -> StackSpec:
    """The spec with its radar-coordinate rasters (ISCE2) seen geocoded: each through a VRT naming the lookup
    tables as its geolocation arrays (pixel centres), warped (nearest neighbour, as ``gdalwarp -geoloc``) onto the
    grid of :func:`lookup_grid` into a warped VRT in GDAL's memory. The unwrapped phase is band 2 of
    ISCE's ``filt*.unw`` (band 1: amplitude)."""
    from osgeo import osr

    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    geoloc = {"X_DATASET": spec.lookup["lon"], "X_BAND": "1", "Y_DATASET": spec.lookup["lat"], "Y_BAND": "1",
              "PIXEL_OFFSET": "0", "LINE_OFFSET": "0", "PIXEL_STEP": "1", "LINE_STEP": "1",
              "GEOREFERENCING_CONVENTION": "PIXEL_CENTER", "SRS": wgs84.ExportToWkt()}
    for key in ("lat", "lon"):
        check_lookup_table(spec.lookup[key])
    grid = lookup_grid(spec.lookup)
    tables = gdal.Open(spec.lookup["lat"])
    radar_size = (tables.RasterXSize, tables.RasterYSize)
    tables = None
    made: dict = {}

    def warp(path, band):
        if path is None:
            return None
        if path in made:
            return made[path]
        k = len(made)
        src = f"{folder}/geoloc_{k}.vrt"
        ds = gdal.Translate(src, path, format="VRT", bandList=[band], noData=0.0)
        if ds is None:
            raise GeohazardError(f"{path}: GDAL cannot read it")
        if (ds.RasterXSize, ds.RasterYSize) != radar_size:
            raise GeohazardError(f"{path} is {ds.RasterXSize} x {ds.RasterYSize} pixels but the lookup tables "
                                 f"({os.path.basename(spec.lookup['lat'])}) are {radar_size[0]} x {radar_size[1]}: "
                                 "they are not of its radar grid (another multilook or crop); give the tables of the "
                                 "interferograms' grid")
        ds.SetMetadata(geoloc, "GEOLOCATION")
        ds = None
        out = f"{folder}/geocoded_{k}.vrt"
        opts = dict(format="VRT", geoloc=True, dstSRS="EPSG:4326", resampleAlg="near", dstNodata=float("nan"),
                    outputType=gdal.GDT_Float32, **grid)
        try:
            dst = gdal.Warp(out, src, **opts)
        except RuntimeError as exc:
            raise GeohazardError(f"{path}: not geocoded with the lookup tables ({exc})") from None
        if dst is None:
            raise GeohazardError(f"{path}: not geocoded with the lookup tables {spec.lookup['lat']}, "
                                 f"{spec.lookup['lon']} (not of its radar grid?)")
        dst = None
        made[path] = out
        return out

    pairs = []
    for p in spec.pairs:
        ds = gdal.Open(p.unw)
        band = 2 if ds is not None and ds.RasterCount >= 2 else 1
        ds = None
        pairs.append(dataclasses.replace(p, unw=warp(p.unw, band), coh=warp(p.coh, 1)))
    return dataclasses.replace(spec, pairs=pairs)


#: Rows of a lookup table read at a time by :func:`check_lookup_table`.
_CHECK_ROWS = 256


def _short_name(path: str) -> str:
    return "/".join(path.replace("\\", "/").split("/")[-2:])


def check_lookup_table(path: str) -> None:
    """A lookup table (ISCE2's ``lat.rdr``/``lon.rdr``: each radar pixel's latitude or longitude, degrees) whole
    and with a position everywhere: its raw file as long as its header says, no pixel without a position (0 or
    NaN where the table's values do not come near 0).

    Raises
    ------
    GeohazardError
        Naming the table (not the interferograms geocoded with it): cut short, or rows holding 0.
    """
    import numpy as np

    name = _short_name(path)
    with quiet_gdal_reads():
        ds = gdal.Open(path)
        if ds is None:
            raise GeohazardError(f"{name}: the lookup table cannot be read")
        band = ds.GetRasterBand(1)
        need = ds.RasterXSize * ds.RasterYSize * ds.RasterCount * gdal.GetDataTypeSize(band.DataType) // 8
        files = [f for f in ds.GetFileList() or [] if not f.lower().endswith((".vrt", ".xml", ".hdr"))
                 and os.path.isfile(f)]
        if files:
            have = max(os.path.getsize(f) for f in files)
            if have < need:
                raise GeohazardError(
                    f"{name}: the lookup table is cut short: {os.path.basename(max(files, key=os.path.getsize))} "
                    f"holds {have:,} bytes, its {ds.RasterXSize} x {ds.RasterYSize} pixels need {need:,} (about "
                    f"{have * ds.RasterYSize // need} of its {ds.RasterYSize} rows): copy it again, or make it again "
                    "with ISCE's topo step")
        bad_rows, lo, hi = [], np.inf, -np.inf
        for r0 in range(0, ds.RasterYSize, _CHECK_ROWS):
            n = min(_CHECK_ROWS, ds.RasterYSize - r0)
            a = band.ReadAsArray(0, r0, ds.RasterXSize, n).astype(np.float64)
            empty = (a == 0.0) | ~np.isfinite(a)
            bad_rows += list(r0 + np.flatnonzero(empty.any(axis=1)))
            if (~empty).any():
                lo, hi = min(lo, float(a[~empty].min())), max(hi, float(a[~empty].max()))
    if bad_rows and not (lo <= 0.0 <= hi):
        raise GeohazardError(f"{name}: the lookup table holds 0 (no position) on {len(bad_rows)} of its "
                             f"{ds.RasterYSize} rows (rows {bad_rows[0]}-{bad_rows[-1]}), its other values "
                             f"{lo:g}..{hi:g}: the table is damaged or was cut short; make it again with ISCE's topo "
                             "step (the interferograms are not geocoded with it)")


def lookup_grid(lookup: dict) -> dict:
    """The geographic grid of a radar stack's lookup tables (``gdal.Warp`` options): the tables' longitude and
    latitude range (pixel centres) in as many columns and rows as the radar grid has, half a pixel beyond."""
    extent = []
    for key in ("lon", "lat"):
        ds = gdal.Open(lookup[key])
        if ds is None:
            raise GeohazardError(f"the lookup table {lookup[key]} cannot be read")
        lo, hi = ds.GetRasterBand(1).ComputeRasterMinMax(False)
        extent.append((lo, hi, ds.RasterXSize if key == "lon" else ds.RasterYSize))
    (x0, x1, nx), (y0, y1, ny) = extent
    if not (-360.0 <= x0 < x1 <= 360.0 and -90.0 <= y0 < y1 <= 90.0) or nx < 2 or ny < 2:
        raise GeohazardError(f"the lookup tables span longitude {x0:g}..{x1:g}, latitude {y0:g}..{y1:g}: not the "
                             f"degrees of {os.path.basename(lookup['lon'])} and {os.path.basename(lookup['lat'])}")
    dx, dy = (x1 - x0) / (nx - 1), (y1 - y0) / (ny - 1)
    return {"outputBounds": (x0 - dx / 2, y0 - dy / 2, x1 + dx / 2, y1 + dy / 2), "xRes": dx, "yRes": dy}


#: Why a producer's rasters without a CRS are longitude/latitude, and what to do when they are not.
_LONLAT_WHY = {"GMTSAR": "as GMTSAR's _ll.grd are (in radar coordinates?)",
               "ROI_PAC": "as a ROI_PAC .rsc without PROJECTION means (geocode.pl's grids are): write its PROJECTION "
                          "and DATUM in the .rsc (e.g. PROJECTION UTM33, DATUM WGS84)"}


def with_crs(infos: list, spec: StackSpec) -> list:
    """The rasters' grids with ``spec.crs_if_missing`` where they name no CRS (GMT grids), checked to be
    longitude/latitude."""
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.SetFromUserInput(spec.crs_if_missing)
    out = []
    for info, p in zip(infos, spec.pairs):
        if not info.crs_wkt:
            gt = info.geotransform
            x1, y1 = gt[0] + gt[1] * info.width, gt[3] + gt[5] * info.height
            if not (-360.0 <= min(gt[0], x1) and max(gt[0], x1) <= 360.0 and -90.0 <= min(gt[3], y1)
                    and max(gt[3], y1) <= 90.0):
                raise GeohazardError(f"{p.label}: the grid spans x {gt[0]:g}..{x1:g}, y {gt[3]:g}..{y1:g}: not "
                                     f"longitude/latitude, {_LONLAT_WHY.get(spec.producer, 'as its files imply')}")
            info = dataclasses.replace(info, crs_wkt=srs.ExportToWkt(), has_georef=True)
        out.append(info)
    return out
