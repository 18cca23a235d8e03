"""Hostile-input kit: one small valid run per tool ("recipe") and the hostile cases every tool faces.

A recipe builds small valid inputs in a folder and returns a :class:`Recipe`: the
parameters of a valid run plus what to spoil for each class of hostile input. The case
functions (``case_*``) run the tool in-process through the Processing API and assert the
guarded behaviour: a clear ``QgsProcessingException`` naming the input (or a warning for
degenerate results), the inputs untouched and nothing left in the output folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
import pytest
from testutils import recording_feedback, write_geotiff

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
HOSTILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile")
GT = (500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0)
FAR_GT = (1500000.0, 30.0, 0.0, 5100000.0, 0.0, -30.0)  # 1000 km away from GT


@dataclass
class Recipe:
    """A valid run and the knobs the hostile cases turn."""

    params: dict
    outputs: list                       # destination parameter names set in params
    overwrite: tuple                    # (input parameter, output parameter) for output = input
    spoil: Callable                     # spoil(kind, folder) -> params override for kind in KINDS
    raster: Optional[str] = None        # main raster input parameter
    vector: Optional[str] = None        # main vector input parameter
    nocrs: str = "refuse"               # "refuse" or "accept" (radar geometry is legitimate)
    overlap: Optional[dict] = None      # params override that makes two inputs disjoint
    implausible: Optional[dict] = None  # params override with a physically implausible value
    slow_ok: bool = False
    notes: dict = field(default_factory=dict)


# ============================================================================ inputs
def hostile_module(name):
    """tests/hostile/test_hostile_<name>.py loaded afresh (its recipes make a tool's small valid run: ``recipe(tool,
    tmp)``, unwrap's ``recipe(tmp)``)."""
    spec = importlib.util.spec_from_file_location(f"hostile_{name}", os.path.join(HOSTILE, f"test_hostile_{name}.py"))
    module = importlib.util.module_from_spec(spec)
    if HOSTILE not in sys.path:
        sys.path.insert(0, HOSTILE)
    spec.loader.exec_module(module)
    return module


def los_raster(path, *, value=None, gt=GT, epsg=32633, shape=(24, 28), seed=0):
    rng = np.random.default_rng(seed)
    arr = rng.normal(-5.0, 3.0, shape) if value is None else np.full(shape, value, float)
    return write_geotiff(path, arr, geotransform=gt, epsg=epsg)


def dem_raster(path, *, gt=GT, epsg=32633, shape=(24, 28), nan=False):
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    z = 500.0 + 8.0 * cols + 3.0 * rows + 20 * np.sin(rows / 3.0)
    return write_geotiff(path, np.full(shape, np.nan) if nan else z, geotransform=gt, epsg=epsg)


def truncate(path, fraction=0.6) -> str:
    size = os.path.getsize(path)
    with open(path, "r+b") as fh:
        fh.truncate(int(size * fraction))
    return str(path)


def garbage(path, text="this is not a geodata file\n" * 20) -> str:
    with open(path, "w") as fh:
        fh.write(text)
    return str(path)


def write_layer(path, wkts, fields=None, *, epsg=32633, layer="layer", text_fields=()):
    """Geometries (WKT; None: no geometry) and float (or text) fields to a GeoPackage; ``epsg=None``: no CRS."""
    from osgeo import ogr, osr

    srs = None
    if epsg is not None:
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(epsg)
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    gtype = ogr.CreateGeometryFromWkt(wkts[0]).GetGeometryType()
    lyr = ds.CreateLayer(layer, srs, gtype)
    fields = fields or {}
    for k in fields:
        lyr.CreateField(ogr.FieldDefn(k, ogr.OFTString if k in text_fields else ogr.OFTReal))
    lyr.StartTransaction()
    defn = lyr.GetLayerDefn()
    for i, w in enumerate(wkts):
        f = ogr.Feature(defn)
        if w is not None:  # None: a feature without geometry
            f.SetGeometry(ogr.CreateGeometryFromWkt(w))
        for k, vals in fields.items():
            v = vals[i]
            if k in text_fields:
                f.SetField(k, str(v))
            elif v is not None and np.isfinite(v):
                f.SetField(k, float(v))
        lyr.CreateFeature(f)
    lyr.CommitTransaction()
    lyr = None
    ds = None
    return str(path)


def points_layer(path, *, n=400, epsg=32633, x0=500000.0, y0=4099300.0, size=700.0, nan=False, seed=0,
                 fields=("VEL", "V_STDEV", "HEIGHT")):
    """Velocity points (mm/yr) with a subsiding disc in the middle."""
    rng = np.random.default_rng(seed)
    x = x0 + rng.uniform(0, size, n)
    y = y0 + rng.uniform(0, size, n)
    v = rng.normal(0.0, 1.0, n)
    v[(x - x0 - size / 2) ** 2 + (y - y0 - size / 2) ** 2 < (size / 5) ** 2] -= 15.0
    cols = {"VEL": v, "V_STDEV": np.full(n, 1.0), "HEIGHT": 500 + (x - x0) * 0.3}
    if nan:
        cols = {k: np.full(n, np.nan) for k in cols}
    return write_layer(path, [f"POINT({a} {b})" for a, b in zip(x, y)], {k: cols[k] for k in fields}, epsg=epsg,
                       layer="points")


def polygon_layer(path, wkts, *, epsg=32633, fields=None, text_fields=()):
    return write_layer(path, wkts, fields, epsg=epsg, text_fields=text_fields)


def square(x, y, s):
    return f"POLYGON(({x} {y},{x + s} {y},{x + s} {y + s},{x} {y + s},{x} {y}))"


def line_layer(path, lines, *, epsg=32633, fields=None, text_fields=()):
    wkts = ["LINESTRING(" + ",".join(f"{x} {y}" for x, y in pts) + ")" for pts in lines]
    return write_layer(path, wkts, fields, epsg=epsg, layer="faults", text_fields=text_fields)


def ifg_stack(folder, *, n_dates=5, shape=(16, 18), gt=GT, epsg=32633, nan=False, seed=0, coherence=False,
              coherence_scale=1.0):
    """Unwrapped interferograms YYYYMMDD_YYYYMMDD.tif (radians) on a small network."""
    rng = np.random.default_rng(seed)
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(n_dates)]
    pairs = [(i, i + 1) for i in range(n_dates - 1)] + [(i, i + 2) for i in range(n_dates - 2)]
    vel = rng.normal(0, 1.0, shape)  # rad / 12 days
    files, coh = [], []
    os.makedirs(folder, exist_ok=True)
    for a, b in pairs:
        name = f"{dates[a]:%Y%m%d}_{dates[b]:%Y%m%d}"
        arr = vel * (b - a) + rng.normal(0, 0.05, shape)
        files.append(write_geotiff(os.path.join(folder, f"{name}.tif"), np.full(shape, np.nan) if nan else arr,
                                   geotransform=gt, epsg=epsg))
        if coherence:
            c = np.clip(rng.uniform(0.4, 0.95, shape), 0, 1) * coherence_scale
            coh.append(write_geotiff(os.path.join(folder, f"{name}_coh.tif"), c, geotransform=gt, epsg=epsg))
    return (files, coh) if coherence else files


def slc_files(folder, *, shape=(14, 16), n_dates=8, georef=True, seed=3):
    from testutils_psds import write_slc_files

    from insar_geohazards.algorithms.timeseries.simulate import simulate_slc_stack

    sim = simulate_slc_stack(shape=shape, n_dates=n_dates, seed=seed, atmosphere_std_rad=0.0)
    os.makedirs(folder, exist_ok=True)
    import pathlib

    return write_slc_files(pathlib.Path(folder), sim, georef=georef), sim


def dated_layer(path, *, n_dates=24, m=6, nan=False, epsg=32632, accelerate=True):
    from testutils_models import write_dated_layer

    dates = [dt.date(2019, 1, 5) + dt.timedelta(days=12 * i) for i in range(n_dates)]
    t = np.arange(n_dates) * 12.0
    rng = np.random.default_rng(1)
    vals = np.empty((n_dates, m))
    for j in range(m):
        if accelerate and j % 2 == 0:
            tf = t[-1] + 40.0
            vals[:, j] = -30.0 * np.log((tf) / (tf - t)) + rng.normal(0, 0.3, n_dates)
        else:
            vals[:, j] = -0.02 * t + rng.normal(0, 0.5, n_dates)
    if nan:
        vals[:] = np.nan
    if epsg is not None:
        return write_dated_layer(path, dates, vals, epsg=epsg)
    fields = {"CODE": [f"P{j}" for j in range(m)]}
    fields.update({"D" + d.strftime("%Y%m%d"): vals[i] for i, d in enumerate(dates)})
    wkts = [f"POINT({500000.0 + 20 * j} 4800000.0)" for j in range(m)]
    return write_layer(path, wkts, fields, epsg=None, layer="points", text_fields=("CODE",))


# ============================================================================ running
class CancelOnProgress:
    """A feedback that cancels at the first progress report above 0 (or at once)."""

    def __new__(cls, at_once=False):
        from qgis.core import QgsProcessingFeedback

        class _F(QgsProcessingFeedback):
            def __init__(self):
                super().__init__()
                self.warnings = []
                if at_once:
                    self.cancel()
                self.progressChanged.connect(self._maybe_cancel)

            def _maybe_cancel(self, value):
                if value > 0 and not self.isCanceled():
                    self.cancel()

            def pushInfo(self, text):  # noqa: N802 - a tool that reports no progress still talks
                if not self.isCanceled():
                    self.cancel()
                super().pushInfo(text)

            def pushWarning(self, text):  # noqa: N802 - Qt name
                self.warnings.append(text)
                super().pushWarning(text)

        return _F()


def warning_feedback():
    """A feedback that keeps the warnings a run logs (``.warnings``; :func:`testutils.recording_feedback`)."""
    return recording_feedback()


def run(tool, params, feedback=None):
    import processing
    from qgis.core import QgsProcessingContext

    context = QgsProcessingContext()
    try:
        return processing.run(f"geohazard:{tool}", params, context=context, feedback=feedback or warning_feedback())
    finally:  # QGIS keeps a refused run's exception, and through it this context: its layers' files would stay open
        context.temporaryLayerStore().removeAllMapLayers()


def digest(paths) -> dict:
    out = {}
    for p in paths:
        p = str(p)
        if os.path.isfile(p):
            with open(p, "rb") as fh:
                out[p] = hashlib.sha1(fh.read()).hexdigest()
    return out


def listing(folder) -> set:
    return {os.path.relpath(os.path.join(r, f), folder) for r, _, fs in os.walk(folder) for f in fs}


def expect_refusal(tool, params, match, feedback=None):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match=match) as info:
        run(tool, params, feedback)
    return str(info.value)


def readonly_folder(tmp):
    """A folder the test process cannot create files in (root ignores permission bits: use /sys)."""
    if os.geteuid() == 0:
        return "/sys"
    folder = os.path.join(tmp, "readonly")
    os.makedirs(folder, exist_ok=True)
    os.chmod(folder, 0o555)
    return folder


def out_ext(recipe, name):
    value = recipe.params[name]
    return os.path.splitext(str(value))[1] or ".tif"


# ============================================================================ the hostile cases
def case_output_is_input(tool, recipe: Recipe, tmp):
    inp, outp = recipe.overwrite
    value = recipe.params[inp]
    path = value[0] if isinstance(value, list) else value
    path = str(path).split("|")[0]
    if os.path.isdir(path):
        path = sorted(os.path.join(path, f) for f in os.listdir(path))[0]
    before = digest(listing_paths(tmp))
    params = dict(recipe.params, **{outp: path})
    msg = expect_refusal(tool, params, r"(input|destroy)")
    assert outp in msg
    assert digest(listing_paths(tmp)) == before, "an input was modified"


def listing_paths(tmp):
    return [os.path.join(tmp, p) for p in listing(tmp)]


def case_readonly_folder(tool, recipe: Recipe, tmp):
    folder = readonly_folder(tmp)
    name = recipe.outputs[0]
    params = dict(recipe.params, **{name: os.path.join(folder, "out" + out_ext(recipe, name))})
    msg = expect_refusal(tool, params, r"cannot write|does not exist")
    assert name in msg


def case_truncated(tool, recipe: Recipe, tmp):
    override, match = recipe.spoil("truncated", tmp)
    outdir = os.path.join(tmp, "out")
    msg = expect_refusal(tool, dict(recipe.params, **override), match)
    assert msg and "Traceback" not in msg and "Incorrect parameter value" not in msg
    assert not os.path.exists(outdir) or not listing(outdir)


def case_all_nan(tool, recipe: Recipe, tmp):
    from qgis.core import QgsProcessingException

    override, match = recipe.spoil("nan", tmp)
    fb = warning_feedback()
    try:
        run(tool, dict(recipe.params, **override), fb)
    except QgsProcessingException as exc:
        assert match is None or __import__("re").search(match, str(exc)), str(exc)
        return
    # not refused: the empty result must at least be reported
    assert fb.warnings, f"{tool} ran on all-NaN/NULL input without an error or a warning"


def case_no_crs(tool, recipe: Recipe, tmp):
    override, match = recipe.spoil("nocrs", tmp)
    if recipe.nocrs == "refuse":
        expect_refusal(tool, dict(recipe.params, **override), match or "coordinate reference system|CRS")
    else:
        res = run(tool, dict(recipe.params, **override))
        assert res, f"{tool} should accept inputs in radar geometry (no CRS)"


def case_non_overlapping(tool, recipe: Recipe, tmp):
    if recipe.overlap is None:
        pytest.skip(f"{tool} takes a single geographic input: nothing can fail to overlap")
    expect_refusal(tool, dict(recipe.params, **recipe.overlap),
                   r"do not overlap|far from the data|not on the same grid")


def case_implausible(tool, recipe: Recipe, tmp):
    if recipe.implausible is None:
        pytest.skip(f"{tool} has no scalar physical parameter (wavelength, incidence, heading, date, modulus)")
    expect_refusal(tool, dict(recipe.params, **recipe.implausible),
                   r"not (physically )?plausible|outside the accepted range")


def case_cancel(tool, recipe: Recipe, tmp):
    from qgis.core import QgsProcessingException

    outdir = os.path.join(tmp, "out")
    fb = CancelOnProgress(at_once=False)
    try:
        run(tool, recipe.params, fb)
    except QgsProcessingException as exc:
        assert "ancel" in str(exc), str(exc)
    else:
        # the tool finished without reporting progress or text: a cancel pressed while it runs
        # is honoured when it returns (outputs rolled back); check that path explicitly
        for p in listing(outdir):
            os.remove(os.path.join(outdir, p))
        with pytest.raises(QgsProcessingException, match="[Cc]ancel"):
            run(tool, recipe.params, CancelOnProgress(at_once=True))
    left = listing(outdir) if os.path.isdir(outdir) else set()
    assert not left, f"cancel left {sorted(left)}"


def _with_extra_bands(path: str, folder: str) -> str:
    """A GeoTIFF copy of ``path`` (same file name) whose band 1 is the original data, plus two bands of zeros."""
    from osgeo import gdal

    os.makedirs(folder, exist_ok=True)
    dst = os.path.join(folder, os.path.basename(path))
    src = gdal.Open(path)
    band = src.GetRasterBand(1)
    data = band.ReadAsArray()
    nodata = band.GetNoDataValue()
    ds = gdal.GetDriverByName("GTiff").Create(dst, src.RasterXSize, src.RasterYSize, 3, band.DataType)
    if src.GetGeoTransform(can_return_null=True) is not None:
        ds.SetGeoTransform(src.GetGeoTransform())
    ds.SetProjection(src.GetProjection())
    ds.SetMetadata(src.GetMetadata())
    for b in range(3):
        out_band = ds.GetRasterBand(b + 1)
        if nodata is not None:
            out_band.SetNoDataValue(nodata)
        out_band.WriteArray(data if b == 0 else np.zeros_like(data))
    ds = None
    src = None
    return dst


def case_extra_bands(tool, recipe: Recipe, tmp):
    """A one-quantity raster with extra bands runs on band 1 and the log says the other bands are ignored."""
    from qgis.core import QgsApplication

    if recipe.raster is None:
        pytest.skip(f"{tool} has no raster input")
    alg = QgsApplication.processingRegistry().algorithmById(f"geohazard:{tool}")
    if recipe.raster in getattr(alg, "MULTIBAND_INPUTS", ()):
        pytest.skip(f"{tool} reads every band of {recipe.raster} as data (dates or components)")
    value = recipe.params[recipe.raster]
    folder = os.path.join(tmp, "bands")
    if isinstance(value, list):
        first = str(value[0]).split("|")[0]
        new = [_with_extra_bands(first, folder)] + list(value[1:])
    elif os.path.isdir(str(value)):
        shutil.copytree(str(value), folder)
        first = sorted(os.path.join(folder, f) for f in os.listdir(folder)
                       if f.lower().endswith((".tif", ".tiff")))[0]
        _with_extra_bands(first, os.path.join(tmp, "bands_tmp"))
        shutil.move(os.path.join(tmp, "bands_tmp", os.path.basename(first)), first)
        new = folder
    else:
        new = _with_extra_bands(str(value).split("|")[0], folder)
    fb = warning_feedback()
    res = run(tool, dict(recipe.params, **{recipe.raster: new}), fb)
    for name in recipe.outputs:
        assert os.path.exists(str(res[name]).split("|")[0]), name
    said = [w for w in fb.warnings if recipe.raster in w and "band 1" in w]
    assert said, f"{tool}: no warning that only band 1 of {recipe.raster} is read: {fb.warnings}"


def case_valid_run(tool, recipe: Recipe, tmp):
    """The recipe itself runs (so every refusal above is due to the spoiled input) and leaves no side files."""
    before = set(listing(tmp)) - set(os.path.join("out", p) for p in listing(os.path.join(tmp, "out")))
    res = run(tool, recipe.params)
    for name in recipe.outputs:
        assert os.path.exists(str(res[name]).split("|")[0]), name
    after = {p for p in listing(tmp) if not p.startswith("out" + os.sep)}
    new = sorted(p for p in after - before)
    assert not new, f"files written next to the inputs: {new}"
    left = [p for p in listing(os.path.join(tmp, "out")) if ".part" in p or "backup" in p]
    assert not left, left


CASES = {
    "valid_run": case_valid_run,
    "output_is_input": case_output_is_input,
    "readonly_folder": case_readonly_folder,
    "truncated_or_not_data": case_truncated,
    "all_nan_or_null": case_all_nan,
    "no_crs": case_no_crs,
    "non_overlapping": case_non_overlapping,
    "implausible_value": case_implausible,
    "cancel_leaves_nothing": case_cancel,
    "extra_bands": case_extra_bands,
}


def hostile_cases(tools, recipe):
    """The hostile test of a family: every case of :data:`CASES` on every tool of ``tools``, each tool run with
    its ``recipe(tool, tmp_path)``. A test module binds it as ``test_hostile``."""
    import pytest

    @pytest.mark.parametrize("case", list(CASES))
    @pytest.mark.parametrize("tool", tools)
    def test_hostile(qgis_app, tool, case, tmp_path):
        CASES[case](tool, recipe(tool, tmp_path), str(tmp_path))

    return test_hostile


def copy_into(src, folder):
    os.makedirs(folder, exist_ok=True)
    dst = os.path.join(folder, os.path.basename(src))
    shutil.copy(src, dst)
    return dst


def stack_spoil(kind, folder):
    """The spoiled interferogram stacks of the stack tools' cases: a truncated file, all NaN, no georeference."""
    if kind == "truncated":
        bad = ifg_stack(os.path.join(folder, "trunc"))
        truncate(bad[2])
        return {"INTERFEROGRAMS": bad}, os.path.basename(bad[2])
    if kind == "nan":
        return {"INTERFEROGRAMS": ifg_stack(os.path.join(folder, "nan"), nan=True)}, "no valid pixel"
    return {"INTERFEROGRAMS": ifg_stack(os.path.join(folder, "radar"), epsg=None, gt=None)}, None


def far_coherence(folder) -> dict:
    """COHERENCE rasters of a stack on a grid far from the standard one (nothing overlaps)."""
    far = ifg_stack(os.path.join(folder, "far"), gt=FAR_GT)
    overlap = {"COHERENCE": [f.replace(".tif", "_coh.tif") for f in far]}
    for f in overlap["COHERENCE"]:
        write_geotiff(f, np.full((16, 18), 0.8), geotransform=FAR_GT)
    return overlap



def spoil_input(key, make, ext=".gpkg", *, broken=False, trunc_message="trunc", nan_message=None, radar=False,
                also=None):
    """The spoiled cases of an input ``key`` made by ``make(path, nan=..., epsg=...)``: a truncated file (with
    ``broken``: a text file posing as one), every value NaN, no CRS (``radar``: no geotransform either, a raster in
    radar geometry; ``also``: ``{key: make}`` of the inputs that lose it with it); each with the text its refusal
    names."""
    nocrs = {"epsg": None, "gt": None} if radar else {"epsg": None}

    def spoil(kind, folder):
        if kind == "truncated":
            if broken:
                return {key: garbage(os.path.join(folder, "broken" + ext))}, "broken" + ext
            return {key: truncate(make(os.path.join(folder, "trunc" + ext)))}, trunc_message
        if kind == "nan":
            return {key: make(os.path.join(folder, "nan" + ext), nan=True)}, nan_message
        spoiled = {key: make(os.path.join(folder, "nocrs" + ext), **nocrs)}
        for other, make_other in (also or {}).items():
            spoiled[other] = make_other(os.path.join(folder, f"nocrs_{other.lower()}{ext}"), **nocrs)
        return spoiled, None

    return spoil


def los_input(path, *, nan=False, **how):
    """A LOS raster (:func:`los_raster`), every value NaN with ``nan``: the ``make`` of :func:`spoil_input`."""
    return los_raster(path, value=np.nan if nan else None, **how)


def folders(tmp) -> tuple:
    """``(tmp, out)`` as strings, the ``out`` folder for the outputs made."""
    out = os.path.join(str(tmp), "out")
    os.makedirs(out, exist_ok=True)
    return str(tmp), out
