"""GAMMA's headerless rasters seen by GDAL: a raw VRT per file (its grid from the DEM/MAP parameter file beside it,
big-endian, the scene values of the image parameter files as metadata), written in a scratch folder or GDAL's
memory, never beside the input (:mod:`..algorithms.formats.gamma` says which files and grid)."""

from __future__ import annotations

import hashlib
import os
from typing import Optional
from xml.sax.saxutils import escape

from osgeo import gdal, osr

from ...algorithms.errors import GeohazardError
from ...algorithms.formats import gamma

#: The extensions whose 0 marks no data (GAMMA fills the area outside the data with 0 on geocoding).
ZERO_NODATA = (".unw", ".cc", ".cor", ".coh", ".diff", ".int")


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read()


def folder_pars(folder: str, problems: Optional[list] = None) -> tuple[list, list]:
    """``(DEM/MAP grids, image parameter files)`` of the parameter files in ``folder`` (unreadable ones skipped:
    a folder may hold other software's ``.par`` files; an image parameter file's problem, a frequency of another
    band than its sensor ..., goes to ``problems`` when given, for the log)."""
    grids, images = [], []
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return [], []
    for n in names:
        p = os.path.join(folder, n)
        if not os.path.isfile(p):
            continue
        try:
            if gamma.is_dem_par_name(n):
                grids.append(gamma.dem_par(_read(p), p))
            elif gamma.is_image_par_name(n):
                images.append(gamma.image_par(_read(p), p))
        except GeohazardError as exc:
            if problems is not None and gamma.is_image_par_name(n):
                problems.append(f"{exc}: its scene values are not used")
            continue
    return grids, images


def raster_of(path: str, problems: Optional[list] = None) -> Optional[tuple]:
    """``(grid, (GDAL type, bytes, bands), image pars)`` when ``path`` is a GAMMA raster beside the DEM/MAP
    parameter file of its grid, else None (cheap: a name test, then the folder's parameter files; ``problems``:
    :func:`folder_pars`)."""
    if not isinstance(path, str) or not os.path.isfile(path):
        return None
    ext = gamma.raster_ext(os.path.basename(path))
    if not ext:
        return None
    grids, images = folder_pars(os.path.dirname(os.path.abspath(path)), problems)
    if not grids:
        return None
    size = os.path.getsize(path)
    grid = gamma.pick_grid(size, grids, ext, os.path.basename(path))
    if grid is None:
        return None
    return grid, gamma.raster_dtype(size, grid, ext), images


#: GDAL's option naming where a raw VRT may read from (GDAL >= 3.12: by default only beside or below the VRT).
RAW_SOURCES = "GDAL_VRT_RAWRASTERBAND_ALLOWED_SOURCE"


def allow_raw_source(path: str) -> None:
    """Let GDAL's raw VRTs read the folder of ``path`` (a GAMMA raster the user gave): our VRTs are written in a
    scratch folder or GDAL's memory, never beside the input, so GDAL >= 3.12 refuses them unless the option lists
    that folder. The folder is added to the absolute paths the option lists (separated as in PATH: ``:``, ``;`` on
    Windows); a keyword set by the user (``ALL``, ``ONLY_REMOTE``, ``SIBLING_OR_CHILD_OF_VRT_PATH``) is left."""
    folder = os.path.dirname(os.path.abspath(path))
    current = gdal.GetConfigOption(RAW_SOURCES) or ""
    listed = [p for p in current.split(os.pathsep) if p]
    if folder in listed or any(not os.path.isabs(p) for p in listed):
        return
    gdal.SetConfigOption(RAW_SOURCES, os.pathsep.join(listed + [folder]))


def vrt_text(path: str, grid: gamma.DemPar, dtype: tuple, metadata: Optional[dict] = None,
             nodata: Optional[float] = None, byte_order: str = "MSB") -> str:
    """A one-band raw VRT of the raster ``path`` on ``grid`` (big-endian, GAMMA's order, unless ``byte_order`` is
    ``"LSB"``: :func:`~..algorithms.formats.gamma.byte_order`); GDAL may read ``path``'s folder from then on
    (:func:`allow_raw_source`)."""
    allow_raw_source(path)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(grid.epsg)
    gt = ",".join(repr(float(v)) for v in grid.geotransform)
    md = "".join(f'<MDI key="{escape(str(k))}">{escape(str(v))}</MDI>' for k, v in (metadata or {}).items())
    nd = f"<NoDataValue>{float(nodata)!r}</NoDataValue>" if nodata is not None else ""
    gtype, size, _ = dtype
    return (f"<VRTDataset rasterXSize=\"{grid.width}\" rasterYSize=\"{grid.lines}\"><SRS>{escape(srs.ExportToWkt())}"
            f"</SRS><GeoTransform>{gt}</GeoTransform><Metadata>{md}</Metadata>"
            f"<VRTRasterBand dataType=\"{gtype}\" band=\"1\" subClass=\"VRTRawRasterBand\">{nd}"
            f"<SourceFilename relativeToVRT=\"0\">{escape(os.path.abspath(path))}</SourceFilename>"
            f"<ImageOffset>0</ImageOffset><PixelOffset>{size}</PixelOffset><LineOffset>{size * grid.width}"
            f"</LineOffset><ByteOrder>{byte_order}</ByteOrder></VRTRasterBand></VRTDataset>")


def scene_metadata(images: list) -> tuple[dict, list]:
    """GDAL metadata of the scene values the image parameter files give (keys of
    :mod:`..algorithms.formats.geometry_meta` and ``WAVELENGTH_M``) and the sentences saying where they came from."""
    values, warnings = gamma.scene_values(images)
    md = {k: f"{v:.10g}" for k, (v, _) in values.items()}
    notes = [f"{k} {v:.6g}: {where}" for k, (v, where) in values.items()] + warnings
    return md, notes


def as_vrt(path: str, folder: str, *, label: str = "") -> Optional[tuple[str, list]]:
    """``(VRT path, notes)`` of the GAMMA raster ``path`` written in ``folder`` (a scratch folder or a
    ``/vsimem/`` one; named after the file, its size and time, so a later run reuses it), None when ``path`` is
    not a GAMMA raster."""
    problems: list = []
    found = raster_of(path, problems)
    if found is None:
        return None
    grid, dtype, images = found
    ext = gamma.raster_ext(os.path.basename(path))
    order, order_note = gamma.byte_order(path, dtype, os.path.basename(path))
    md, notes = scene_metadata(images)
    md["GAMMA_SOURCE"] = os.path.basename(path)
    nodata = 0.0 if ext in ZERO_NODATA else None
    st = os.stat(path)
    key = hashlib.sha1(f"{os.path.abspath(path)}|{st.st_size}|{st.st_mtime_ns}|{grid.path}|{order}".encode()
                       ).hexdigest()[:12]
    out = f"{folder}/{os.path.basename(path)}.{key}.vrt"
    text = vrt_text(path, grid, dtype, md, nodata, byte_order=order)
    if out.startswith("/vsimem/"):
        gdal.FileFromMemBuffer(out, text.encode("utf-8"))
    else:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text)
    epsg = f"EPSG:{grid.epsg}"
    endian = "little-endian" if order == "LSB" else "big-endian"
    notes = [f"{label or os.path.basename(path)}: a GAMMA raster read as delivered ({dtype[0]}, {endian}, "
             f"{grid.width} x {grid.lines} on the grid of {os.path.basename(grid.path)}, {epsg})"] + notes \
        + ([order_note] if order_note else []) + problems
    return out, notes
