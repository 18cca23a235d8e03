"""HDF5 results (MintPy, its HDF-EOS5 .he5, LiCSBAS cum.h5, OPERA DISP-S1) as GeoTIFF rasters every tool reads (the
parsing is the core's: :func:`~algorithms.formats.h5_layers.open_layer`, the producer told by the file's layout).

A dataset of ``timeseries.h5``, ``velocity.h5``, ``geometryGeo.h5``, ``maskTempCoh.h5``, ``cum.h5`` ... becomes a tiled
GeoTIFF on its grid and CRS, in mm / mm/yr / degrees, dates as band descriptions, the reference and scene values as
metadata. The file is written once per source file version (path, size, modification time, dataset) into the
folder the caller gives (the run's scratch area, never beside the input) and reused after.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from osgeo import osr

from ...algorithms.errors import GeohazardError
from ...algorithms.formats import h5_layers, mintpy
from ...algorithms.formats.dates import field_name
from ...algorithms.formats.hdf5 import DatedLayer
from ...algorithms.timeseries.sbas import linear_velocity
from ..base.raster import RasterWriter
from ..motion.ada import write_points_gpkg

#: ``HDF5:"path"://dataset`` (QGIS's and GDAL's name of one dataset of an HDF5 file), quotes optional.
_URI = re.compile(r'^(?P<driver>HDF5|NETCDF):"?(?P<path>.+?)"?:/{0,2}(?P<dataset>[^:"]+)$', re.I)
HDF5_EXT = (".h5", ".he5", ".hdf5")
_ROWS = 256
_LOCK = threading.Lock()
_DONE: dict = {}


def parse_source(value) -> Optional[tuple[str, Optional[str]]]:
    """``(file, dataset or None)`` of an HDF5 file or ``HDF5:"file"://dataset`` source, or of an OPERA DISP-S1 file
    (``NETCDF:"file.nc":displacement`` too); None for anything else."""
    if not isinstance(value, str) or not value:
        return None
    m = _URI.match(value.strip())
    if m and (m.group("driver").upper() == "HDF5" or _is_opera(m.group("path"))):
        return m.group("path"), m.group("dataset")
    path = value.split("|")[0]
    return (path, None) if path.lower().endswith(HDF5_EXT) or _is_opera(path) else None


def _is_opera(path: str) -> bool:
    """An OPERA DISP-S1 file by its name (netCDF-4, read with h5py like the HDF5 results)."""
    base = os.path.basename(path)
    return base.upper().startswith("OPERA_L3_DISP-S1_") and base.lower().endswith((".nc", ".h5"))


@dataclass
class Converted:
    """A MintPy dataset written as a GeoTIFF: where, from what, and what to tell the user."""

    path: str
    layer: DatedLayer
    notes: list = field(default_factory=list)


def _crs_wkt(epsg: int) -> str:
    srs = osr.SpatialReference()
    if srs.ImportFromEPSG(int(epsg)) != 0:
        raise GeohazardError(f"EPSG:{epsg} is not a CRS GDAL knows")
    return srs.ExportToWkt()


def write_layer(layer: DatedLayer, out_path: str, *, mask: Optional[DatedLayer] = None,
                progress=None) -> int:
    """Write ``layer`` (with ``mask``'s zeros as no-data) to ``out_path`` block by block; returns how many pixels
    MintPy had left at 0 that became no-data."""
    rows, cols = layer.shape
    if mask is not None and (mask.shape != layer.shape or not np.allclose(mask.geotransform, layer.geotransform)):
        raise GeohazardError(f"{mask.label} is not on the grid of {layer.label}")
    dtype = np.uint8 if layer.is_mask else np.float32
    zeros = 0
    with RasterWriter(out_path, width=cols, height=rows, geotransform=layer.geotransform,
                      crs_wkt=_crs_wkt(layer.epsg), count=layer.bands, descriptions=layer.descriptions, dtype=dtype,
                      metadata=layer.metadata, tile_rows=_ROWS) as w:
        for r0 in range(0, rows, _ROWS):
            r1 = min(rows, r0 + _ROWS)
            block = mintpy.read_layer_rows(layer, (r0, r1))
            zeros += mintpy.zero_pixels(layer, (r0, r1))
            if mask is not None and block.dtype.kind == "f":
                block[:, mintpy.read_layer_rows(mask, (r0, r1))[0] == 0] = np.nan
            w.write(block, row=r0)
            if progress is not None:
                progress.set_progress(100.0 * r1 / rows)
    return zeros


def _key(path: str, dataset: str, extra: str) -> str:
    st = os.stat(path)
    text = f"{os.path.realpath(path)}|{st.st_size}|{st.st_mtime_ns}|{dataset}|{extra}"
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def describe(layer: DatedLayer, zeros: int, geometry_from: str = "") -> list:
    """The log lines of a converted dataset: what was read, the unit conversion, the reference, the no-data."""
    md = layer.metadata
    crs = f"EPSG:{layer.epsg}"
    what = f"{layer.bands} dates {layer.dates[0].isoformat()}..{layer.dates[-1].isoformat()}" if layer.dates \
        else "1 band"
    kind = layer.file_type if layer.file_type not in ("", layer.producer, "HDFEOS") else "file"
    notes = [f"{layer.label}: {layer.producer} {kind} read as a raster of {layer.shape[0]} x "
             f"{layer.shape[1]} pixels in {crs} ({what}; {layer.georeference})"]
    if layer.factor != 1.0:
        notes.append(f"{layer.label}: values converted from {layer.source_unit} ({layer.producer}) to {layer.unit} "
                     f"(x {layer.factor:g})")
    elif layer.unit in ("mm", "mm/yr"):
        notes.append(f"{layer.label}: values in {layer.unit}, as {layer.producer} writes them")
    if "SIGN" in md:
        notes.append(f"{layer.label}: LOS positive toward the satellite, as {layer.producer} writes it (no sign "
                     "change)")
    if "REFERENCE_ROW" in md:
        how = "REF_Y/REF_X" if layer.producer.startswith("MintPy") else "its reference"
        notes.append(f"{layer.label}: reference pixel row {md['REFERENCE_ROW']}, column {md['REFERENCE_COL']} "
                     f"({how})" + (f", reference date {md['REFERENCE_DATE']}" if "REFERENCE_DATE" in md
                                   else "") + ", carried as REFERENCE_ROW/REFERENCE_COL")
    notes.extend(f"{layer.label}: {s}" for s in layer.sources)
    if zeros:
        notes.append(f"{layer.label}: {zeros} pixel(s) MintPy did not invert (0 at every date) read as no data")
    if geometry_from:
        notes.append(f"{layer.label}: scene incidence and slant range from {geometry_from} (mean over its pixels); "
                     "give it as the incidence raster for per-pixel values")
    return notes


def as_geotiff(source: str, *, dataset: Optional[str] = None, purpose: Optional[str] = None, name: str = "",
               folder: str, out_path: str = "", mask_path: str = "", progress=None) -> Converted:
    """The GeoTIFF of a MintPy dataset, written into ``folder`` once per version of the file (or to ``out_path``).

    A displacement or velocity takes the scene incidence and slant range of its work folder's geocoded geometry
    file (:func:`~algorithms.formats.mintpy.sibling_geometry`) when MintPy's attributes carry none.
    """
    request = None
    if not out_path and os.path.isfile(source):
        request = _key(source, f"{dataset}|{purpose}", mask_path)
        with _LOCK:
            done = _DONE.get(request)
        if done is not None and os.path.isfile(done.path):
            return Converted(done.path, done.layer, list(done.notes))
    label = f"{name}: {os.path.basename(source)}" if name else os.path.basename(source)
    layer = h5_layers.open_layer(source, dataset=dataset, purpose=purpose, name=label)
    geometry_from = ""
    if layer.producer == "MintPy" and layer.dataset in mintpy.DISPLACEMENT_DATASETS and \
            "INCIDENCE_DEG" not in layer.metadata:
        sib = mintpy.sibling_geometry(layer)
        if sib:
            scene = mintpy.scene_geometry(sib)
            layer.metadata.update({k: v for k, v in scene.items() if k not in layer.metadata})
            geometry_from = os.path.relpath(sib, os.path.dirname(os.path.abspath(source)))
    elif layer.producer == "MintPy HDF-EOS5" and layer.is_displacement:
        group = mintpy.HDFEOS_GROUPS[2]
        scene = mintpy.scene_geometry(source, group)
        new = {k: v for k, v in scene.items() if k not in layer.metadata}
        layer.metadata.update(new)
        if new:
            geometry_from = f"{os.path.basename(source)} {group}"
    mask = h5_layers.open_layer(mask_path, name=os.path.basename(mask_path)) if mask_path else None
    if out_path:
        zeros = write_layer(layer, out_path, mask=mask, progress=progress)
        return Converted(out_path, layer, describe(layer, zeros, geometry_from))
    if not os.path.isdir(folder):
        raise GeohazardError(f"the scratch folder {folder!r} for reading {os.path.basename(source)} does not exist")
    sub = os.path.join(folder, f"mintpy_{request}")
    os.makedirs(sub, exist_ok=True)
    target = os.path.join(sub, f"{os.path.basename(source)}.{layer.name}.tif")
    with _LOCK:
        done = _DONE.get(request)
        if done is None or not os.path.isfile(done.path):
            zeros = write_layer(layer, target, mask=mask, progress=progress)
            done = _DONE[request] = Converted(target, layer, describe(layer, zeros, geometry_from))
    return Converted(done.path, done.layer, list(done.notes))


#: Most values (points x fields) a point layer of a MintPy result holds in memory before it is written (~0.4 GB).
MAX_POINT_VALUES = 50_000_000


def write_points(layer: DatedLayer, out_path: str, *, mask: Optional[DatedLayer] = None,
                 std: Optional[DatedLayer] = None, progress=None) -> int:
    """The valid pixels of a time series or velocity (``mask``'s zeros left out) as points at the pixel centres:
    ``PID``, ``VEL`` and ``V_STDEV`` (mm/yr: the velocity and ``std``, or the least-squares line of the series and
    its standard error, as MintPy's timeseries2velocity), and one field ``DYYYYMMDD`` per date (mm) for a series.
    Returns the number of points.

    Raises
    ------
    GeohazardError
        The layer is not a displacement or velocity, or the points would hold more than :data:`MAX_POINT_VALUES`
        values (the message says how to make fewer).
    """
    if not layer.is_displacement:
        raise GeohazardError(f"{layer.label}: points are made of a time series or a velocity, not of "
                             f"{layer.dataset!r}")
    rows, cols = layer.shape
    x0, dx, _, y0, _, dy = layer.geotransform
    years = None
    if layer.dates:
        years = np.array([(d - layer.dates[0]).days for d in layer.dates], float) / 365.25
    xs, ys, vel, sd, series = [], [], [], [], []
    n_values = 0
    for r0 in range(0, rows, _ROWS):
        r1 = min(rows, r0 + _ROWS)
        block = mintpy.read_layer_rows(layer, (r0, r1)).astype(np.float64)
        ok = np.all(np.isfinite(block), axis=0)
        if mask is not None:
            ok &= mintpy.read_layer_rows(mask, (r0, r1))[0] != 0
        rr, cc = np.nonzero(ok)
        n_values += rr.size * (layer.bands + 4)
        if n_values > MAX_POINT_VALUES:
            raise GeohazardError(f"{layer.label}: more than {MAX_POINT_VALUES:,} values for the point layer; give "
                                 "a MASK (maskTempCoh.h5) or a subset (MintPy subset.py) to make fewer points")
        xs.append(x0 + (cc + 0.5) * dx)
        ys.append(y0 + (rr + r0 + 0.5) * dy)
        vals = block[:, rr, cc]
        if years is not None:
            v, s = linear_velocity(vals, years)
            series.append(vals)
        else:
            v = vals[0]
            s = mintpy.read_layer_rows(std, (r0, r1))[0][rr, cc].astype(np.float64) if std is not None \
                else np.full(rr.size, np.nan)
        vel.append(v)
        sd.append(s)
        if progress is not None:
            progress.set_progress(80.0 * r1 / rows)
    n = int(sum(a.size for a in xs))
    fields = {"PID": np.arange(1, n + 1, dtype=np.int64), "VEL": np.concatenate(vel) if n else np.zeros(0),
              "V_STDEV": np.concatenate(sd) if n else np.zeros(0)}
    if years is not None:
        allv = np.concatenate(series, axis=1) if n else np.zeros((layer.bands, 0))
        for i, d in enumerate(layer.dates):
            fields[field_name(d)] = allv[i]
    write_points_gpkg(out_path, np.concatenate(xs) if n else np.zeros(0), np.concatenate(ys) if n else np.zeros(0),
                      fields, crs_wkt=_crs_wkt(layer.epsg))
    return n
