"""Files probed before and after a run: readable, complete, the expected kind; outputs not empty.

The guard layer (:mod:`..inputs.guard`) names the parameters; this module opens the files. Probing never
writes next to a file: PAM is off while checking and running (no ``<input>.aux.xml`` with statistics) and
gzip indexes are off (``CPL_VSIL_GZIP_WRITE_PROPERTIES=NO``).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import struct
import tempfile
import threading
from typing import Optional

import numpy as np
from osgeo import gdal, ogr

from ...algorithms.errors import GeohazardError
from ...algorithms.plausibility import coherence_scale_problem

#: Extensions the raster writer (GeoTIFF) honours.
RASTER_OUT_EXT = (".tif", ".tiff")
#: Extensions the vector writers honour (``vector._DRIVERS``).
VECTOR_OUT_EXT = (".gpkg", ".shp", ".geojson", ".json", ".csv", ".sqlite", ".fgb", ".gml", ".kml")
#: Side-cars a GIS keeps next to a data file: writing one of them damages the input.
SIDECARS = (".aux.xml", ".ovr", ".msk", ".rsc", ".xml", ".hdr", ".prj", ".shx", ".dbf", ".cpg", ".qix", ".sbn",
            ".sbx", ".qmd", ".qml", ".qlr", "-wal", "-shm", "-journal", ".properties", ".vrt")
#: Side-cars that are never data themselves (skipped when a list holds a whole folder).
NOT_DATA = (".aux.xml", ".ovr", ".msk", ".rsc", ".hdr", ".prj", ".shx", ".dbf", ".cpg", ".qix", ".sbn", ".sbx",
            ".qmd", ".qml", ".qlr", "-wal", "-shm", "-journal", ".properties")
COMPLEX_TYPES = (gdal.GDT_CInt16, gdal.GDT_CInt32, gdal.GDT_CFloat32, gdal.GDT_CFloat64)


@contextlib.contextmanager
def gdal_thread_options(**options):
    """GDAL configuration options set for this thread only, restored to what they were on leaving."""
    old = {k: gdal.GetThreadLocalConfigOption(k, None) for k in options}
    for k, v in options.items():
        gdal.SetThreadLocalConfigOption(k, v)
    try:
        yield
    finally:
        for k, v in old.items():
            gdal.SetThreadLocalConfigOption(k, v)


@contextlib.contextmanager
def c_error_handler():
    """GDAL's messages of this thread go to GDAL's own quiet handler (C) for the duration of the block.

    Without it a warning raised inside GDAL, possibly while GDAL holds one of its mutexes, goes to the handler QGIS
    installs, which writes to QGIS's message log, whose Python slots need the interpreter's lock: a thread holding
    that lock and waiting for the same mutex would deadlock with it. Errors still become Python exceptions
    (``gdal.UseExceptions``) with GDAL's message."""
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
        yield
    finally:
        gdal.PopErrorHandler()


_EXCEPTIONS_LOCK = threading.Lock()
_EXCEPTIONS_USERS = [0, None]  # blocks inside gdal_exceptions(), and GDAL's and OGR's modes before the first


@contextlib.contextmanager
def gdal_exceptions():
    """GDAL's and OGR's errors raised as Python exceptions (``RuntimeError`` with GDAL's message) for the duration
    of the block, then the modes the process had before.

    The plugin's code expects exceptions. The Python bindings keep the mode for the whole process, and QGIS's own
    Python (DB Manager, Processing's GDAL tools) and other plugins expect ``gdal.Open`` to return None on failure, so
    the plugin never switches it for good: every entry point (a tool's check and run, a model run, a parameter's
    check, the dock's reads) enters this block; nested and concurrent blocks share one switch, and the last to
    leave restores the modes."""
    with _EXCEPTIONS_LOCK:
        if _EXCEPTIONS_USERS[0] == 0:
            _EXCEPTIONS_USERS[1] = (gdal.GetUseExceptions(), ogr.GetUseExceptions())
            gdal.UseExceptions()
            ogr.UseExceptions()
        _EXCEPTIONS_USERS[0] += 1
    try:
        yield
    finally:
        with _EXCEPTIONS_LOCK:
            _EXCEPTIONS_USERS[0] -= 1
            if _EXCEPTIONS_USERS[0] == 0:
                use_gdal, use_ogr = _EXCEPTIONS_USERS[1]
                try:  # the reverse order: the bindings stack their error handlers
                    if not use_ogr:
                        ogr.DontUseExceptions()
                    if not use_gdal:
                        gdal.DontUseExceptions()
                except RuntimeError:  # another module switched the mode meanwhile: its choice stands
                    pass


def with_gdal_exceptions(func):
    """``func`` run inside :func:`gdal_exceptions` (an entry point the plugin's own code is called from)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with gdal_exceptions():
            return func(*args, **kwargs)

    return wrapper


@contextlib.contextmanager
def quiet_gdal_reads():
    """GDAL reads that never write next to the file: no ``.aux.xml``, no gzip index ``.properties``.

    Thread-local, for the duration of a check or a run: PAM is off, so datasets opened
    meanwhile (by the tool or by QGIS loading an input layer, which computes band
    statistics for its renderer) never save ``<input>.aux.xml``. GeoTIFF outputs keep
    nodata, band descriptions and metadata inside the file, so nothing is lost; inputs
    whose georeferencing exists only in an ``.aux.xml`` are not supported. GDAL's errors are exceptions meanwhile
    (:func:`gdal_exceptions`).
    """
    with gdal_exceptions(), gdal_thread_options(CPL_VSIL_GZIP_WRITE_PROPERTIES="NO", GDAL_PAM_ENABLED="NO"):
        yield


@contextlib.contextmanager
def _fresh(var: contextvars.ContextVar):
    """``var`` holds a new empty dict for the duration of the block (of this thread or task), then what it held."""
    token = var.set({})
    try:
        yield
    finally:
        var.reset(token)


#: Headers of the inputs the guard opened in this run (``{file key: header}``, :func:`_file_key`; None outside a run).
_RUN_HEADERS: contextvars.ContextVar = contextvars.ContextVar("geohazard_run_headers", default=None)


#: GeoTIFF geo-key tags (GeoKeyDirectory, GeoDoubleParams, GeoAsciiParams): the whole CRS of a GeoTIFF.
_GEOKEY_TAGS = (34735, 34736, 34737)
_TIFF_TYPE_BYTES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4,
                    16: 8, 17: 8, 18: 8}  # bytes per value of each TIFF field type
#: GDAL settings that change the CRS GDAL reads from a GeoTIFF's geo-keys (part of the key of a shared text).
_SRS_OPTIONS = ("GTIFF_SRS_SOURCE", "GTIFF_REPORT_COMPD_CS", "GTIFF_LINEAR_UNITS", "GTIFF_IGNORE_READ_ERRORS",
                "GDAL_GEOREF_SOURCES", "GDAL_PAM_ENABLED", "OSR_USE_NON_DEPRECATED", "OSR_WKT_FORMAT")
#: CRS text GDAL built from each distinct set of geo-keys (a stack's hundreds of files share one or two).
_WKT_BY_GEOKEYS: dict = {}


def _geokeys(path: str) -> Optional[bytes]:
    """The raw geo-key tags of the first image of the TIFF ``path`` (byte order included), or None when the
    file is not a plain TIFF with a GeoKeyDirectory or anything about it is unexpected."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
            order = {b"II": "<", b"MM": ">"}[head[:2]]
            version = struct.unpack(order + "H", head[2:4])[0]
            if version == 42:  # classic TIFF: 32-bit offsets, 12-byte entries
                ifd = struct.unpack(order + "I", head[4:8])[0]
                count_fmt, entry_fmt, entry_len, inline = "H", "HHII", 12, 4
            elif version == 43:  # BigTIFF: 64-bit offsets, 20-byte entries
                ifd = struct.unpack(order + "Q", head[8:16])[0]
                count_fmt, entry_fmt, entry_len, inline = "Q", "HHQQ", 20, 8
            else:
                return None
            f.seek(ifd)
            n_len = struct.calcsize(order + count_fmt)
            n = struct.unpack(order + count_fmt, f.read(n_len))[0]
            if not 0 < n < 4096:
                return None
            table = f.read(n * entry_len)
            parts = [head[:4]]
            for i in range(n):
                tag, kind, count, value = struct.unpack(order + entry_fmt, table[i * entry_len:(i + 1) * entry_len])
                if tag not in _GEOKEY_TAGS:
                    continue
                size = _TIFF_TYPE_BYTES[kind] * count
                if size > 1 << 20:
                    return None
                if size <= inline:
                    raw = table[i * entry_len + entry_len - inline:i * entry_len + entry_len][:size]
                else:
                    f.seek(value)
                    raw = f.read(size)
                    if len(raw) != size:
                        return None
                parts.append(struct.pack(order + "HHQ", tag, kind, count) + raw)
    except (OSError, KeyError, struct.error, ValueError):
        return None
    if len(parts) < 2 or not parts[1].startswith(struct.pack(order + "H", _GEOKEY_TAGS[0])):
        return None
    return b"".join(parts)


def _crs_sidecars(path: str) -> bool:
    """Whether a side-car GDAL may take a GeoTIFF's CRS from sits next to ``path`` (or PAM files are kept in a
    proxy folder, where they cannot be seen from here)."""
    if gdal.GetConfigOption("GDAL_PAM_PROXY_DIR"):
        return True
    stem = os.path.splitext(path)[0]
    return any(os.path.exists(p) for p in (path + ".aux.xml", path + ".aux", stem + ".aux", stem + ".AUX",
                                           stem + ".tab", stem + ".TAB"))


def crs_wkt(ds) -> str:
    """The CRS of an open dataset as WKT ("" when it has none).

    Building a GeoTIFF's CRS from its geo-keys (GDAL looks the codes up in the PROJ database) is the
    slow part of reading a header; files whose geo-key tags are byte for byte those of a file already
    read get that file's text, which GDAL builds from those tags alone when no side-car can give it another
    (``.aux.xml``, ``.aux``, ``.tab``; a file with one is read by GDAL)."""
    driver = ds.GetDriver()
    path = ds.GetDescription()
    key = None
    if driver is not None and driver.ShortName == "GTiff" and os.path.isfile(path) and not _crs_sidecars(path):
        keys = _geokeys(path)
        if keys is not None:
            key = (keys,) + tuple(gdal.GetConfigOption(k) for k in _SRS_OPTIONS)
            wkt = _WKT_BY_GEOKEYS.get(key)
            if wkt is not None:
                return wkt
    wkt = ds.GetProjection() or ""
    if key is not None:
        if len(_WKT_BY_GEOKEYS) >= 256:
            _WKT_BY_GEOKEYS.clear()
        _WKT_BY_GEOKEYS[key] = wkt
    return wkt


def raster_header(ds) -> dict:
    """Grid, CRS, nodata and band descriptions of an open dataset (the fields of ``fileio.base.raster.RasterInfo``)."""
    gt = ds.GetGeoTransform(can_return_null=True)
    bands = [ds.GetRasterBand(i + 1) for i in range(ds.RasterCount)]
    return {"width": ds.RasterXSize, "height": ds.RasterYSize, "count": ds.RasterCount,
            "geotransform": tuple(gt) if gt else (0.0, 1.0, 0.0, 0.0, 0.0, 1.0),
            "crs_wkt": crs_wkt(ds), "nodata": [b.GetNoDataValue() for b in bands],
            "descriptions": [b.GetDescription() for b in bands], "has_georef": gt is not None}


def raster_metadata(ds) -> dict:
    """Default-domain metadata of an open dataset, its first band's items under the dataset's."""
    md = ds.GetMetadata() or {}
    band = ds.GetRasterBand(1) if ds.RasterCount else None
    if band is not None:
        md = {**(band.GetMetadata() or {}), **md}
    return md


def run_headers():
    """For the duration of a tool run (``with run_headers():``): the headers the input guard read are reused
    (``known_header``) instead of each input being opened again to read its grid and CRS. Inputs are never written
    during a run (the guard refuses an output that is an input), so a header stays true until the run ends."""
    return _fresh(_RUN_HEADERS)


def _file_key(path: str):
    """The file ``path`` names, whatever the spelling: ``(device, inode)`` (a path through a symbolic link,
    a relative path and the real path of one file share it; one ``stat``, no walk of the folders), else the
    absolute path."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return os.path.abspath(path)
    return (st.st_dev, st.st_ino)


def distinct_files(paths) -> list:
    """``paths`` without the later spellings of a file already listed (:func:`_file_key`), in their order."""
    seen, out = set(), []
    for p in paths:
        key = _file_key(p)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def remember_header(path: str, header: dict) -> None:
    """Keep ``header`` of the input ``path`` for the rest of the run (nothing outside a run)."""
    cache = _RUN_HEADERS.get()
    if cache is not None:
        cache[_file_key(path)] = header


def known_header(path: str) -> Optional[dict]:
    """The header of ``path`` the guard read in this run (reached by any path to the same file), or None."""
    cache = _RUN_HEADERS.get()
    return cache.get(_file_key(path)) if cache else None


def data_band_index(ds, path: str) -> int:
    """1-based band that holds the data of a raster read as one quantity.

    A 2-band ``.unw`` (ROI_PAC, ISCE, SNAPHU ``-o`` with amplitude) stores amplitude in band 1
    and the unwrapped phase in band 2, and so does the ``.unw.vrt`` ISCE writes beside it (the file QGIS
    shows for ``filt_fine.unw``); everything else is read from band 1.
    """
    if ds.RasterCount == 2 and str(path).lower().endswith((".unw", ".unw.vrt")):
        return 2
    return 1


def band_view(path: str, band: int, folder: str) -> str:
    """A one-band VRT of band ``band`` of ``path`` written in ``folder`` (a scratch folder, never beside the input;
    named after the file, its size and time, so a later run reuses it): every reader that reads band 1 reads that
    band. ``path`` itself when ``band`` is 1."""
    if band == 1:
        return path
    import hashlib

    st = os.stat(path) if os.path.exists(path) else None
    stamp = f"{st.st_size}|{st.st_mtime_ns}" if st else ""
    key = hashlib.sha1(f"{os.path.abspath(path)}|{stamp}|{band}".encode()).hexdigest()[:12]
    out = os.path.join(folder, f"{os.path.basename(path)}.band{band}.{key}.vrt")
    if not os.path.exists(out):
        with quiet_gdal_reads():
            gdal.Translate(out, path, format="VRT", bandList=[band])
    return out


def band_min_max(path: str, band: int = 1):
    """Exact ``(min, max)`` of a band's valid pixels, or None when it has none."""
    with quiet_gdal_reads():
        ds = gdal.OpenEx(path, gdal.OF_RASTER | gdal.OF_READONLY)
        return _minmax(ds.GetRasterBand(band), False)


def open_problem(path: str, what: str) -> str:
    """Why GDAL cannot open ``path`` as a ``what`` ("raster", "vector layer" or "layer"); empty when it can."""
    flags = {"raster": gdal.OF_RASTER, "vector layer": gdal.OF_VECTOR}.get(what, gdal.OF_RASTER | gdal.OF_VECTOR)
    with quiet_gdal_reads():
        try:
            ds = gdal.OpenEx(path, flags | gdal.OF_READONLY)
        except RuntimeError as exc:
            return _short(exc)
    return "" if ds is not None else "not recognised"


def strip_uri(text: str) -> str:
    """File part of a GDAL/OGR/QGIS source (``a.gpkg|layername=x`` -> ``a.gpkg``)."""
    text = str(text)
    for prefix in ("/vsigzip/", "/vsizip/"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    return text.split("|")[0].split("?")[0]


def check_writable_folder(name: str, folder: str) -> None:
    """Raise naming ``name`` unless a file can be created (and removed) in ``folder``."""
    if not os.path.isdir(folder):
        raise GeohazardError(f"{name}: the output folder {folder!r} does not exist; create it or choose another")
    try:
        fd, probe = tempfile.mkstemp(prefix=".geohazard_write_test_", dir=folder)
        os.close(fd)
        os.remove(probe)
    except OSError as exc:
        raise GeohazardError(f"{name}: cannot write in the folder {folder!r} ({exc.strerror or exc}); choose a "
                             "folder you can write to") from None


def probe_raster(name: str, path: str, *, complex_ok: bool, multiband_ok: bool, coherence: bool) -> dict:
    """Open and read ``path`` (first and last rows of its data band); refuse what the tool cannot use.

    Returns a small dict (``valid``: has at least one valid pixel; ``band``: data band).
    """
    base = os.path.basename(path)
    label = f"{name}: {base}"
    with c_error_handler(), quiet_gdal_reads(), _sidecars_by_name():
        try:
            ds = gdal.OpenEx(path, gdal.OF_RASTER | gdal.OF_READONLY)
        except RuntimeError as exc:
            raise GeohazardError(f"{label} is not a raster GDAL can read ({_short(exc)}); check the file (a "
                                 "copy or download may be incomplete)") from None
        if ds is None or ds.RasterCount == 0:
            raise GeohazardError(f"{label} is not a raster GDAL can read")
        idx = data_band_index(ds, path)
        if idx == 2 and multiband_ok:
            raise GeohazardError(f"{label} is a 2-band amplitude + unwrapped phase file; this input reads every "
                                 "band as data. Extract the phase (band 2) first, e.g. gdal_translate -b 2")
        band = ds.GetRasterBand(idx)
        if band.DataType in COMPLEX_TYPES and not complex_ok:
            raise GeohazardError(f"{label} holds complex values ({gdal.GetDataTypeName(band.DataType)}); this input "
                                 "needs real values (unwrapped phase, displacement, heights ...). Convert it first "
                                 "(phase: angle, amplitude: modulus); complex values are never cast to real")
        h, w = ds.RasterYSize, ds.RasterXSize
        edge_rows = []
        try:
            for b in sorted({idx, ds.RasterCount}):
                bb = ds.GetRasterBand(b)
                if b == idx and bb.DataType not in COMPLEX_TYPES:
                    edge_rows = [bb.ReadAsArray(0, 0, w, 1), bb.ReadAsArray(0, h - 1, w, 1)]
                else:
                    bb.ReadRaster(0, 0, w, 1)
                    bb.ReadRaster(0, h - 1, w, 1)
        except RuntimeError as exc:
            raise GeohazardError(f"{label} cannot be read ({_short(exc)}): the file is truncated or corrupt; copy "
                                 "or export it again") from None
        # A valid pixel in the rows just read settles it; the whole band is searched only when they have none.
        valid = _rows_have_valid(edge_rows, band.GetNoDataValue()) or _has_valid(band)
        if coherence and valid and band.DataType not in COMPLEX_TYPES:
            mm = _minmax(band)
            problem = coherence_scale_problem(*mm) if mm else None
            if problem:
                raise GeohazardError(f"{label}: {problem}")
    with c_error_handler(), _sidecars_by_name():
        header = {**raster_header(ds), "metadata": raster_metadata(ds)}
    return {"valid": valid, "band": idx, "bands": ds.RasterCount, "header": header}


#: The probes of a model run, shared by its steps (``{(path, file signature, options): result}``); None outside.
_MODEL_PROBES: contextvars.ContextVar = contextvars.ContextVar("geohazard_model_probes", default=None)


def shared_probes():
    """For the duration of a model run (``with shared_probes():``): a raster that one step probed and nothing changed
    since (the same file, size, modification and change times) is not opened again by the next steps, which get the
    same answer (the six steps of Corrected SBAS read one stack's coherence). A probe that refused its file is not
    kept."""
    return _fresh(_MODEL_PROBES)


def file_signature(path: str):
    """What tells a file apart from what it was (device, inode, size, modification and change times); None when it
    cannot be read."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def probe_rasters(jobs: list) -> list:
    """:func:`probe_raster` of each ``(name, path, options)`` of ``jobs``, in order, in the calling thread; the first
    refusal in list order is raised. Within a model run (:func:`shared_probes`) a file an earlier step probed with
    the same options is not probed again.

    No worker threads: GDAL called from several Python threads, with QGIS's error handler installed, can deadlock
    between GDAL's mutexes and the interpreter's lock, and threads bought nothing here (300 rasters of 100 x 100:
    0.147 s wall in one thread, 0.154 s on four; 30 of 3,000 x 3,000: 0.723 s both;
    ``benchmarks/engine/measure_probe.py``)."""
    shared = _MODEL_PROBES.get()
    keys = [(path, file_signature(path), tuple(sorted(opts.items()))) if shared is not None else None
            for _, path, opts in jobs]
    done = {}
    for i, k in enumerate(keys):
        if k is None or k[1] is None or k not in shared:
            name, path, opts = jobs[i]
            done[i] = probe_raster(name, path, **opts)
    if shared is not None:
        shared.update({keys[i]: info for i, info in done.items() if keys[i][1] is not None})
    return [done[i] if i in done else shared[keys[i]] for i in range(len(jobs))]


@contextlib.contextmanager
def _sidecars_by_name():
    """GDAL looks for a file's side-cars (world file, ``.tab``, mask) by their names, not in a listing of its folder.

    By default the first query of a GeoTIFF's georeferencing or nodata lists the whole folder to find them: in a
    folder of a stack (hundreds of interferograms and coherences) that is ~0.17 ms a file, most of the probe's time
    per file. Asking for each side-car by name finds the same files (GDAL tries the lower- and upper-case
    extensions) for a few ``stat`` calls. Thread-local, for the probe's own dataset."""
    with gdal_thread_options(GDAL_DISABLE_READDIR_ON_OPEN="YES"):
        yield


def _short(exc) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _minmax(band, approx=True):
    try:
        mm = band.ComputeRasterMinMax(approx)
    except RuntimeError:
        return None
    return tuple(mm) if mm else None


def _rows_have_valid(rows, nodata) -> bool:
    """Whether one of ``rows`` (real arrays read from a band) holds a finite value that is not ``nodata``,
    compared both as a double and in the rows' own type (GDAL compares a float32 band's pixels with its
    nodata rounded to float32), so a pixel is counted valid only when neither comparison calls it no-data."""
    for a in rows:
        if a is None or not a.size:
            continue
        ok = np.isfinite(a) if a.dtype.kind == "f" else np.ones(a.shape, bool)
        if nodata is not None and np.isfinite(nodata):
            ok &= a != nodata
            if a.dtype.kind == "f":
                with np.errstate(over="ignore"):  # a nodata beyond the type's range rounds to infinity
                    ok &= a != a.dtype.type(nodata)
        if ok.any():
            return True
    return False


def _has_valid(band) -> bool:
    """Whether the band holds one finite value that is not NoData (GDAL's min/max skip NaN but not
    infinities: a band of +-Inf reports (DBL_MAX, inf), so such a band is read to be sure)."""
    mm = _minmax(band, True) or _minmax(band, False)
    if mm is None:
        return False
    if all(np.isfinite(v) and abs(v) < 1.7e308 for v in mm):
        return True
    nodata = band.GetNoDataValue()
    rows = max(1, (1 << 22) // max(1, band.XSize))
    for r0 in range(0, band.YSize, rows):
        a = band.ReadAsArray(0, r0, band.XSize, min(rows, band.YSize - r0))
        ok = np.isfinite(a)
        if nodata is not None and np.isfinite(nodata):
            ok &= a != nodata
        if ok.any():
            return True
    return False


def degenerate_outputs(targets: dict, results: dict, key_fields: Optional[dict] = None) -> list[str]:
    """Messages for outputs that exist but came out empty (all NoData, no feature, all NULL).

    ``key_fields``: ``{output: (field, ...)}`` whose values must not all be NULL (default: any
    numeric field).
    """
    problems = []
    for name, (path, kind) in targets.items():
        if name not in results or not path:
            continue
        file_part = strip_uri(path)
        if not os.path.isfile(file_part):
            continue
        with quiet_gdal_reads():
            try:
                if kind == "raster":
                    ds = gdal.OpenEx(file_part, gdal.OF_RASTER | gdal.OF_READONLY)
                    # every band until one holds data (a quality raster's first bands may be empty, e.g. sigmas
                    # that cannot be estimated, while its flags are not); at most 32 bands
                    if not any(_has_valid(ds.GetRasterBand(b + 1)) for b in range(min(ds.RasterCount, 32))):
                        problems.append(f"{name}: every pixel of {os.path.basename(file_part)} is NoData; the "
                                        "inputs or thresholds left nothing to compute")
                elif kind == "vector":
                    problems += _vector_problems(name, path, (key_fields or {}).get(name))
            except RuntimeError:
                continue
    return problems


def _vector_problems(name: str, path: str, key_fields=None) -> list[str]:
    file_part = strip_uri(path)
    ds = ogr.Open(file_part)
    if ds is None:
        return []
    lname = path.split("layername=")[1].split("|")[0] if "layername=" in path else None
    layer = ds.GetLayerByName(lname) if lname else ds.GetLayer(0)
    if layer is None:
        return []
    n = layer.GetFeatureCount()
    if n == 0:
        return [f"{name}: {os.path.basename(file_part)} has no features (nothing was detected or kept)"]
    defn = layer.GetLayerDefn()
    numeric = [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())
               if defn.GetFieldDefn(i).GetType() in (ogr.OFTReal, ogr.OFTInteger, ogr.OFTInteger64)]
    if key_fields:
        numeric = [f for f in numeric if f in key_fields]
    if not numeric or n > 2_000_000 or ds.GetDriver().GetName() != "GPKG":
        return []
    checks = " OR ".join(f'"{f}" IS NOT NULL' for f in numeric)
    res = ds.ExecuteSQL(f'SELECT COUNT(*) FROM "{layer.GetName()}" WHERE {checks}')
    try:
        count = res.GetNextFeature().GetField(0) if res is not None else 1
    finally:
        if res is not None:
            ds.ReleaseResultSet(res)
    if count == 0:
        what = ", ".join(numeric) if key_fields else "every numeric value"
        return [f"{name}: {what} of {os.path.basename(file_part)} is NULL in every feature; no feature had "
                "enough data"]
    return []
