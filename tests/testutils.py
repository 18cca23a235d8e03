"""Small helpers shared by tests (no QGIS import at module level)."""

from __future__ import annotations

import os

import numpy as np


def write_geotiff(path, array, *, geotransform=(500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0), epsg=32633,
                  nodata=None, descriptions=None, metadata=None, dtype="float32", options=()):
    """Write a GeoTIFF (2-D or 3-D array) in ``dtype`` (``"float32"``, ``"float64"``, ``"int16"``, ``"uint8"``,
    ``"complex64"``) with GDAL,
    dataset ``metadata`` (values as str), GDAL creation ``options``, its folder made if missing; returns ``path``."""
    from osgeo import gdal, osr

    types = {"float32": gdal.GDT_Float32, "uint8": gdal.GDT_Byte, "complex64": gdal.GDT_CFloat32,
             "int16": gdal.GDT_Int16, "float64": gdal.GDT_Float64}
    arr = np.asarray(array, dtype=dtype)
    if arr.ndim == 2:
        arr = arr[None]
    os.makedirs(os.path.dirname(str(path)) or ".", exist_ok=True)
    ds = gdal.GetDriverByName("GTiff").Create(str(path), arr.shape[2], arr.shape[1], arr.shape[0], types[dtype],
                                              list(options))
    if geotransform is not None:
        ds.SetGeoTransform(geotransform)
    if epsg is not None:
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(epsg)
        ds.SetProjection(srs.ExportToWkt())
    if metadata:
        ds.SetMetadata({k: str(v) for k, v in metadata.items()})
    for i in range(arr.shape[0]):
        band = ds.GetRasterBand(i + 1)
        if nodata is not None:
            band.SetNoDataValue(nodata)
        if descriptions is not None:
            band.SetDescription(descriptions[i])
        band.WriteArray(arr[i])
    ds = None
    return str(path)


def epsg_transform(src_epsg: int, dst_epsg: int):
    """An OSR coordinate transformation between two EPSG codes, x then y (longitude then latitude) on both sides."""
    from osgeo import osr

    src, dst = osr.SpatialReference(), osr.SpatialReference()
    src.ImportFromEPSG(src_epsg)
    dst.ImportFromEPSG(dst_epsg)
    for srs in (src, dst):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return osr.CoordinateTransformation(src, dst)


def recording_feedback():
    """A QgsProcessingFeedback that keeps what the tool logs: ``.info`` and ``.warnings`` lists of str, ``.text``
    (every line, warnings prefixed "WARNING ") and ``.progress_texts``. Created lazily: QGIS must be up."""
    from qgis.core import QgsProcessingFeedback

    class RecordingFeedback(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.info, self.warnings, self.progress_texts = [], [], []
            self.text = ""

        def pushInfo(self, info, *args):  # noqa: N802 - QGIS API name
            self.info.append(info)
            self.text += info + "\n"

        def pushWarning(self, warning, *args):  # noqa: N802 - QGIS API name
            self.warnings.append(warning)
            self.text += "WARNING " + warning + "\n"

        def setProgressText(self, text):  # noqa: N802 - QGIS API name
            self.progress_texts.append(text)

    return RecordingFeedback()


def read_array(path) -> np.ndarray:
    """The pixels of a raster: ``(rows, cols)`` for one band, ``(bands, rows, cols)`` for several."""
    from osgeo import gdal

    return gdal.Open(str(path)).ReadAsArray()


def read_raster(path) -> tuple:
    """``(pixels as read_array gives them, dataset)``."""
    from osgeo import gdal

    ds = gdal.Open(str(path))
    return ds.ReadAsArray(), ds


def read_bands(path) -> tuple:
    """``(pixels as (bands, rows, cols) whatever the band count, dataset)``."""
    from osgeo import gdal

    ds = gdal.Open(str(path))
    return np.stack([ds.GetRasterBand(i + 1).ReadAsArray() for i in range(ds.RasterCount)]), ds


def box(x0, y0, w, h) -> str:
    """WKT of the axis-aligned rectangle with lower-left corner (x0, y0), width w and height h."""
    return f"POLYGON(({x0} {y0},{x0 + w} {y0},{x0 + w} {y0 + h},{x0} {y0 + h},{x0} {y0}))"


def one_step_model(path, alg_id: str, values: dict, outputs: dict):
    """A model of one ``alg_id`` step saved to ``path`` as the modeler saves it (``values``: static value of
    each parameter ID; ``outputs``: model output name -> the step's output ID), loaded back and validated."""
    from qgis.core import (
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
    )

    model = QgsProcessingModelAlgorithm("one step", "tests")
    child = QgsProcessingModelChildAlgorithm(alg_id)
    child.setChildId("step")
    for pid, value in values.items():
        child.addParameterSources(pid, [QgsProcessingModelChildParameterSource.fromStaticValue(value)])
    outs = {}
    for name, child_output in outputs.items():
        out = QgsProcessingModelOutput(name, name)
        out.setChildOutputName(child_output)
        out.setChildId("step")
        outs[name] = out
    child.setModelOutputs(outs)
    model.addChildAlgorithm(child)
    assert model.toFile(str(path))
    loaded = QgsProcessingModelAlgorithm()
    assert loaded.fromFile(str(path))
    loaded.initAlgorithm({})
    ok, issues = loaded.validate()
    assert ok, issues
    return loaded


def vector_features(path) -> tuple:
    """``(field names, features)`` of the first layer of a vector file, each feature a dict with its attributes
    (in field order) and, under the keys ``None`` and ``"__wkb__"``, its geometry as WKT and ISO WKB (None
    without a geometry)."""
    from osgeo import ogr

    ds = ogr.Open(str(path))
    layer = ds.GetLayer(0)
    defn = layer.GetLayerDefn()
    names = [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())]
    rows = []
    for f in layer:
        g = f.GetGeometryRef()
        # by index: GDAL's Python GetField(name) searches the fields one by one (quadratic on wide layers)
        rows.append({**{n: f.GetField(i) for i, n in enumerate(names)},
                     None: g.ExportToWkt() if g is not None else None,
                     "__wkb__": g.ExportToIsoWkb() if g is not None else None})
    return names, rows


class RecordingProgress:
    """The core's progress protocol, keeping what it is told: ``.infos``, ``.warnings`` (and ``.messages``, both
    in order) and the last percentage; with ``canceled`` the user has canceled the run."""

    def __init__(self, *, canceled: bool = False):
        self.infos, self.warnings, self.messages, self.percent = [], [], [], 0.0
        self.canceled = canceled

    def set_progress(self, percent):
        self.percent = percent

    def is_canceled(self):
        return self.canceled

    def push_info(self, message):
        self.infos.append(message)
        self.messages.append(message)

    def push_warning(self, message):
        self.warnings.append(message)
        self.messages.append(message)


def output_files(folder, **names) -> dict:
    """``{output ID: path}`` of files named ``names`` (output ID -> file name) in ``folder``."""
    return {key: os.path.join(str(folder), name) for key, name in names.items()}


def parameter_ids(alg) -> list:
    """The parameter IDs of the algorithm ``alg``, in the dialog's order."""
    return [p.name() for p in alg.parameterDefinitions()]


def missing_parameters(alg, ids) -> list:
    """The parameter IDs of ``ids`` that the algorithm ``alg`` does not declare."""
    have = {p.name() for p in alg.parameterDefinitions()}
    return [pid for pid in ids if pid not in have]


def tag_wavelength(files, wavelength_m):
    """Write ``WAVELENGTH_METRES`` into each raster's metadata (a stack of another sensor); returns ``files``."""
    from osgeo import gdal

    for f in files:
        ds = gdal.Open(f, gdal.GA_Update)
        ds.SetMetadataItem("WAVELENGTH_METRES", str(wavelength_m))
        ds = None
    return files


class MessageLog:
    """The QGIS message log while the ``with`` block runs (what the desktop's Log Messages panel shows, which
    qgis_process never prints): ``.messages`` ``[(tag, level, text)]``, ``.noise()`` the warnings and errors as
    ``"[tag] text"`` lines."""

    def __enter__(self):
        from qgis.core import QgsApplication

        self.messages = []
        self._log = QgsApplication.messageLog()
        self._log.messageReceived.connect(self._received)
        return self

    def _received(self, text, tag, level):
        self.messages.append((tag, level, text))

    def __exit__(self, *exc):
        from qgis.core import QgsApplication

        QgsApplication.processEvents()
        self._log.messageReceived.disconnect(self._received)
        return False

    def noise(self, besides=()) -> list:
        """Warnings and errors logged, but the run's own warnings ``besides`` (what its feedback reported: a
        message about the data, not noise)."""
        from qgis.core import Qgis

        loud = (Qgis.MessageLevel.Warning, Qgis.MessageLevel.Critical)
        own = {str(b).strip() for b in besides}
        return [f"[{tag}] {text}" for tag, level, text in self.messages if level in loud and text.strip() not in own]


def compiled_elementwise(fn):
    """``fn`` (a scalar numba function) over a float array in a compiled loop (as a kernel calls it); without numba,
    a Python loop."""
    import numpy as np

    from insar_geohazards.algorithms import _numba

    if not _numba.HAVE_NUMBA:
        return lambda x: np.array([fn(float(v)) for v in x])

    @_numba.njit(error_model="numpy", cache=False)
    def run(x):
        out = np.empty_like(x)
        for i in range(x.size):
            out[i] = fn(x[i])
        return out

    return run


def dated_point_series(path) -> tuple:
    """``(dates, series (n_dates, m) mm)`` of a point layer's fields named D?YYYYMMDD or YYYYMMDD, read with OGR (not
    the plugin's reader): one column per point, NaN where a value is not set."""
    import datetime as dt

    from osgeo import ogr

    source = ogr.Open(str(path))  # the layer lives as long as its data source
    layer = source.GetLayer(0)
    defn = layer.GetLayerDefn()
    cols = []
    for i in range(defn.GetFieldCount()):
        digits = defn.GetFieldDefn(i).GetName().lstrip("D").lstrip("_")
        if len(digits) == 8 and digits.isdigit():
            cols.append((dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:])), i))
    cols.sort()
    idx = [i for _, i in cols]
    # fields by index, the geometry and the other fields not read: the same values as by name, 30x less CPU
    layer.SetIgnoredFields(["OGR_GEOMETRY"] + [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())
                                               if i not in set(idx)])
    rows = [[f.GetFieldAsDouble(i) if f.IsFieldSetAndNotNull(i) else np.nan for i in idx] for f in layer]
    return [c[0] for c in cols], np.array(rows, dtype=np.float64).reshape(-1, len(idx)).T
