"""The files of a susceptibility run: factors put on one grid, the inventory burnt on it, the two passes over the
grid (samples, then prediction), the report and the saved model.

A run (:func:`run`) reads the factors on the grid of the first one: a factor on another grid or in
another CRS is warped there in GDAL's virtual format (bilinear for a continuous factor, nearest neighbour for class
codes, which must not be averaged), the log naming each. The inventory becomes a temporary byte raster on that
grid (1 = inventory pixel: a polygon's pixels whose centre is inside and the pixel of its centroid, a point's pixel;
2 = within the absence buffer; 0 = absence candidate; 3 = a surveyed absence, ABSENCE's points or polygons; 4 =
outside STUDY_AREA), and a second one numbers the events (1, 2 ... per inventory feature) so that validation
never cuts one. The inventory and the absences are clipped to the study area first. The core
(:mod:`..algorithms.hazard.susceptibility`) draws the samples in a first pass, fits and validates, and its block
function writes the probability and the classes in a second pass.

A saved model is one ZIP file: ``model.json`` (method, factors and their classes, frequency-ratio tables or
logistic coefficients with their standard errors, class limits: readable anywhere) and, for a random forest,
``forest.joblib`` (scikit-learn's trees, pickled) with the scikit-learn version in the JSON: another version refuses
to load it rather than unpickle trees whose layout may have changed. Unpickling runs code: load only models you or
someone you trust made.
"""

from __future__ import annotations

import functools
import io as _io
import json
import math
import os
import tempfile
import zipfile
from dataclasses import dataclass, field

import numpy as np
from osgeo import gdal, ogr, osr

from ...algorithms.errors import GeohazardError
from ...algorithms.hazard.susceptibility import models, report, sampling, validation
from ...algorithms.progress import SubProgress, info
from ..base.blocks import RunSettings, raster_source, run_blocks
from ..base.crs import crs_name, same_crs
from ..base.raster import RASTER_EXT, RasterWriter, raster_info, require_projected
from ..base.runs import Outcome
from ..display import charts

METHOD_OPTIONS = ("Frequency ratio", "Logistic regression", "Random forest")
#: samples of each kind kept at most (inventory, absences, area)
MAX_SAMPLES = 10000
MIN_PRESENCES = 20
MAX_CLASSES = 50


@dataclass(frozen=True)
class Job:
    """A run's plain values (the tool reads them from its parameters, by keyword): the factor rasters and which are
    categorical, the inventory, absences and study area as WKB in the first factor's CRS (or None), the method and
    its options, a saved model to apply instead (``model_in``), the output paths ("" = not asked) and the run-wide
    knobs (``settings``). ``names`` defaults to the factors' file names."""

    factors: tuple
    categorical: tuple
    inventory: object = None          # WKB of the inventory's features in the first factor's CRS, or None
    method: str = "logistic_regression"
    block_size_m: float = 0.0         # 0 = automatic
    buffer_m: float = 0.0
    fold_buffer_m: float = -1.0       # BUFFER_M: training samples left out near a test fold (m); < 0 = automatic
    folds: int = 5
    seed: int = 0
    max_samples: int = MAX_SAMPLES
    n_bins: int = 10
    trees: int = 100
    min_leaf: int = 5
    model_in: str = ""
    output: str = ""
    output_classes: str = ""
    output_report: str = ""
    output_model: str = ""
    names: tuple = ()
    absence: object = None            # WKB of surveyed absences (points or polygons), or None
    study_area: object = None         # WKB of the study area's polygons, or None
    repeats: int = 10
    settings: RunSettings = field(default_factory=RunSettings)

    def __post_init__(self):
        for key in ("factors", "categorical", "names"):
            object.__setattr__(self, key, tuple(getattr(self, key)))
        if not self.names:
            object.__setattr__(self, "names", tuple(os.path.splitext(os.path.basename(p))[0] for p in self.factors))


# ------------------------------------------------------------------------------------------------ grid
def folder_rasters(name: str, folder: str) -> list:
    """The raster files of ``folder`` in name order (a factor folder); refused, naming ``name``, when it holds
    none."""
    files = sorted(f for f in os.listdir(folder) if f.lower().endswith(RASTER_EXT)
                   and os.path.isfile(os.path.join(folder, f)))
    if not files:
        raise GeohazardError(f"{name}: the folder {folder!r} holds no raster file ({', '.join(RASTER_EXT)})")
    return [os.path.join(folder, f) for f in files]


def align_factors(paths, names, categorical, folder: str, log=None) -> list:
    """The factors on the grid of the first: the path itself when it is on that grid, else a VRT warped there
    (bilinear for continuous factors, nearest neighbour for class codes) in ``folder``; the log says which."""
    ref = raster_info(paths[0], names[0])
    require_projected(ref, f"FACTORS ({names[0]}, whose grid the susceptibility is computed on)")
    xmin, ymax = ref.geotransform[0], ref.geotransform[3]
    xmax, ymin = xmin + ref.width * ref.geotransform[1], ymax + ref.height * ref.geotransform[5]
    out, said = [], []
    for i, (path, name, cat) in enumerate(zip(paths, names, categorical)):
        info = raster_info(path, name)
        if i == 0 or (info.same_grid(ref) and info.shape == ref.shape):
            out.append(path)
            continue
        if not info.crs_wkt:
            raise GeohazardError(f"{'CATEGORICAL_FACTORS' if cat else 'FACTORS'}: {name} has no CRS and is not on "
                                 f"the grid of {names[0]}: it cannot be put there; give it with its CRS")
        dst = os.path.join(folder, f"factor_{i}.vrt")
        alg = "near" if cat else "bilinear"
        opts = gdal.WarpOptions(format="VRT", outputBounds=(xmin, ymin, xmax, ymax), width=ref.width,
                                height=ref.height, dstSRS=ref.crs_wkt, resampleAlg=alg, dstNodata=float("nan"),
                                outputType=gdal.GDT_Float64 if cat else gdal.GDT_Float32, multithread=False)
        ds = gdal.Warp(dst, path, options=opts)
        if ds is None:
            raise GeohazardError(f"FACTORS: {name} could not be put on the grid of {names[0]}")
        ds = None
        other = "" if same_crs(info.crs_wkt, ref.crs_wkt) else f" from {crs_name(info.crs_wkt)}"
        said.append(f"{name} ({'nearest neighbour: class codes' if cat else 'bilinear'}{other})")
        out.append(dst)
    if log is not None:
        log.push_info(f"Factors on the grid of {names[0]} ({ref.width} x {ref.height} px of "
                      f"{ref.pixel_size[0]:g} m, {crs_name(ref.crs_wkt)}); resampled onto it: "
                      + (", ".join(said) if said else "none"))
    return out


# ------------------------------------------------------------------------------------------------ inventory
def _geometries(wkbs) -> list:
    geoms = []
    for w in wkbs or ():
        g = ogr.CreateGeometryFromWkb(bytes(w))
        if g is not None and not g.IsEmpty():
            geoms.append(g)
    return geoms


def _clip(geoms, area, what: str, log=None) -> list:
    """``geoms`` clipped to the polygon ``area`` (None: unchanged); the log counts those left out."""
    if area is None:
        return geoms
    out = []
    for g in geoms:
        c = g.Intersection(area) if g.Intersects(area) else None
        if c is not None and not c.IsEmpty():
            out.append(c)
    if len(out) < len(geoms) and log is not None:
        log.push_warning(f"{what}: {len(geoms) - len(out)} of {len(geoms)} features lie outside STUDY_AREA and are "
                         "not used")
    return out


def study_area_geometry(wkbs, grid):
    """The union of STUDY_AREA's polygons (refused when it has none or misses the grid), or None."""
    if wkbs is None:
        return None
    geoms = [g for g in _geometries(wkbs) if g.GetDimension() == 2]
    if not geoms:
        raise GeohazardError("STUDY_AREA: the layer has no polygon")
    union = geoms[0].Clone()
    for g in geoms[1:]:
        union = union.Union(g)
    if not union.Intersects(_grid_box(grid)):
        raise GeohazardError("STUDY_AREA: its polygons do not overlap the factors' grid")
    return union


def _grid_box(grid, margin: float = 0.0):
    """The grid's rectangle, grown by ``margin`` pixels on each side."""
    gt = grid.geotransform
    (xmin, xmax), (ymin, ymax) = sorted((gt[0], gt[0] + grid.width * gt[1])), \
        sorted((gt[3], gt[3] + grid.height * gt[5]))
    xmin, xmax, ymin, ymax = (xmin - margin * abs(gt[1]), xmax + margin * abs(gt[1]), ymin - margin * abs(gt[5]),
                              ymax + margin * abs(gt[5]))
    return ogr.CreateGeometryFromWkt(f"POLYGON(({xmin} {ymin},{xmax} {ymin},{xmax} {ymax},{xmin} {ymax},"
                                     f"{xmin} {ymin}))")


def _layer(vds, name, srs, geoms, event=False):
    layer = vds.CreateLayer(name, srs, ogr.wkbUnknown)
    if event:
        layer.CreateField(ogr.FieldDefn("event", ogr.OFTInteger))
    for k, g in enumerate(geoms):
        if g is None:
            continue
        f = ogr.Feature(layer.GetLayerDefn())
        f.SetGeometry(g)
        if event:
            f.SetField("event", k + 1)
        layer.CreateFeature(f)
    return layer


def inventory_raster(wkbs, grid, path: str, *, buffer_m: float, log=None, events_path: str = "", absence=None,
                     study_area=None) -> float:
    """Burn the inventory on ``grid`` into the byte GeoTIFF ``path`` (module docstring codes) and, with
    ``events_path``, the event numbers into an Int32 GeoTIFF; ``absence`` (WKB, surveyed absences) and
    ``study_area`` (WKB polygons) when given. Returns the mean feature size (m: square root of a polygon's area, 0
    for points). Refuses an inventory off the grid (or off the study area)."""
    geoms = _geometries(wkbs) if wkbs is not None else []
    if wkbs is not None and not geoms:
        raise GeohazardError("INVENTORY: the layer has no feature with a geometry")
    box = _grid_box(grid)
    area = study_area_geometry(study_area, grid)
    gt = grid.geotransform
    inside = [g for g in geoms if g.Intersects(box)]
    if geoms and not inside:
        env = np.array([g.GetEnvelope() for g in geoms])
        xmin, ymax = gt[0], gt[3]
        xmax, ymin = xmin + grid.width * gt[1], ymax + grid.height * gt[5]
        raise GeohazardError(
            f"INVENTORY: none of its {len(geoms)} features lies on the factors' grid (features x {env[:, 0].min():.0f}"
            f"..{env[:, 1].max():.0f}, y {env[:, 2].min():.0f}..{env[:, 3].max():.0f}; factors x {xmin:.0f}..{xmax:.0f}"
            f", y {ymin:.0f}..{ymax:.0f} in their CRS): the inventory and the factors do not overlap")
    if len(inside) < len(geoms) and log is not None:
        log.push_warning(f"INVENTORY: {len(geoms) - len(inside)} of {len(geoms)} features lie off the factors' grid "
                         "and are not used")
    inside = _clip(inside, area, "INVENTORY", log)
    if geoms and not inside:
        raise GeohazardError("INVENTORY: none of its features lies inside STUDY_AREA")
    surveyed = None
    if absence is not None:
        surveyed = [g for g in _geometries(absence) if g.Intersects(box)]
        surveyed = _clip(surveyed, area, "ABSENCE", log)
        if not surveyed:
            raise GeohazardError("ABSENCE: none of its features lies on the factors' grid"
                                 + (" inside STUDY_AREA" if area is not None else ""))
    srs = osr.SpatialReference()
    srs.ImportFromWkt(grid.crs_wkt)
    drv = ogr.GetDriverByName("MEM") or ogr.GetDriverByName("Memory")
    vds = drv.CreateDataSource("inventory")
    layers = {"features": _layer(vds, "features", srs, inside, event=True),
              "centroids": _layer(vds, "centroids", srs, [g.Centroid() for g in inside], event=True)}
    if buffer_m > 0 and surveyed is None:
        layers["buffer"] = _layer(vds, "buffer", srs, [g.Buffer(float(buffer_m), 8) for g in inside])
    if surveyed is not None:
        layers["absence"] = _layer(vds, "absence", srs, surveyed)
    if area is not None:
        layers["area"] = _layer(vds, "area", srs, [area])
        layers["outside"] = _layer(vds, "outside", srs, [_grid_box(grid, margin=1.0).Difference(area)])
    sizes = [math.sqrt(g.GetArea()) if g.GetDimension() == 2 and g.GetArea() > 0 else 0.0 for g in inside]
    ds = gdal.GetDriverByName("GTiff").Create(path, grid.width, grid.height, 1, gdal.GDT_Byte,
                                              ["TILED=YES", "COMPRESS=DEFLATE"])
    ds.SetGeoTransform(gt)
    ds.SetProjection(grid.crs_wkt)
    if area is not None:
        ds.GetRasterBand(1).Fill(sampling.OUTSIDE)
        gdal.RasterizeLayer(ds, [1], layers["area"], burn_values=[sampling.ABSENCE])
    if "buffer" in layers:
        gdal.RasterizeLayer(ds, [1], layers["buffer"], burn_values=[sampling.BUFFER])
    if "absence" in layers:
        gdal.RasterizeLayer(ds, [1], layers["absence"], burn_values=[sampling.SURVEYED])
    for name in ("features", "centroids"):
        gdal.RasterizeLayer(ds, [1], layers[name], burn_values=[sampling.PRESENCE])
    if area is not None:  # last: the buffer, a clipped polygon's centroid or an absence may reach past the area
        gdal.RasterizeLayer(ds, [1], layers["outside"], burn_values=[sampling.OUTSIDE])
    ds.FlushCache()
    ds = None
    if events_path:
        ev = gdal.GetDriverByName("GTiff").Create(events_path, grid.width, grid.height, 1, gdal.GDT_Int32,
                                                  ["TILED=YES", "COMPRESS=DEFLATE"])
        ev.SetGeoTransform(gt)
        ev.SetProjection(grid.crs_wkt)
        for name in ("features", "centroids"):
            gdal.RasterizeLayer(ev, [1], layers[name], options=["ATTRIBUTE=event"])
        ev.FlushCache()
        ev = None
    return float(np.mean(sizes)) if sizes else 0.0


# ------------------------------------------------------------------------------------------------ model files
def save_model(path: str, model) -> str:
    """The model as a ZIP: ``model.json``, and ``forest.joblib`` for a random forest (module docstring)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("model.json", json.dumps(model.to_dict(), indent=1))
        if model.forest is not None:
            import joblib

            buf = _io.BytesIO()
            joblib.dump(model.forest, buf, compress=3)
            z.writestr("forest.joblib", buf.getvalue())
    return path


def load_model(path: str, name: str = "SAVED_MODEL"):
    """A model saved by :func:`save_model` (or the ``model.json`` taken out of it, for a frequency-ratio or logistic
    model); a random forest saved by another scikit-learn is refused."""
    base = os.path.basename(path)
    if not os.path.isfile(path):
        raise GeohazardError(f"{name}: {path!r} is not a file; give the .zip that OUTPUT_MODEL wrote")
    if not zipfile.is_zipfile(path):
        try:
            with open(path, encoding="utf-8") as fh:
                d = json.load(fh)
        except (ValueError, OSError, UnicodeDecodeError):
            raise GeohazardError(f"{name}: {base} is not a susceptibility model saved by this tool (neither a ZIP nor "
                                 "a JSON file): give the .zip that OUTPUT_MODEL wrote") from None
        if isinstance(d, dict) and d.get("method") == "random_forest":
            raise GeohazardError(f"{name}: {base} is the JSON part of a random forest model, whose trees are in the "
                                 "ZIP beside it: give the .zip that OUTPUT_MODEL wrote")
        if not isinstance(d, dict) or d.get("format") != "insar-geohazards susceptibility model":
            raise GeohazardError(f"{name}: {base} is a JSON file but not a susceptibility model (a model is the .zip "
                                 "that OUTPUT_MODEL wrote, or the model.json inside it)")
        return models.model_from_dict(d, None, name=name)
    try:
        with zipfile.ZipFile(path) as z:
            d = json.loads(z.read("model.json").decode("utf-8"))
            forest = None
            if d.get("method") == "random_forest":
                sklearn = models.require_sklearn("random_forest")

                saved = d.get("params", {}).get("sklearn_version")
                if saved != sklearn.__version__:
                    raise GeohazardError(
                        f"{name}: its random forest was saved with scikit-learn {saved}; this QGIS has "
                        f"{sklearn.__version__}. Trees pickled by one version are not safe to read with another: fit "
                        "the model again with this QGIS (or use a frequency-ratio or logistic model, stored as JSON)")
                import joblib

                forest = joblib.load(_io.BytesIO(z.read("forest.joblib")))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        if isinstance(exc, GeohazardError):
            raise
        raise GeohazardError(f"{name}: {base} is not a susceptibility model saved by this tool "
                             f"({exc})") from None
    return models.model_from_dict(d, forest, name=name)


def check_model_factors(model, names, categorical, name: str = "SAVED_MODEL") -> None:
    """The factors given match the model's (count and kind, in order); other file names are only noted."""
    kinds = [f.categorical for f in model.factors]
    if len(kinds) != len(categorical) or sum(kinds) != sum(categorical):
        want = ", ".join(f.name + (" (classes)" if f.categorical else "") for f in model.factors)
        raise GeohazardError(f"{name}: the model takes {sum(not k for k in kinds)} continuous and {sum(kinds)} "
                             f"categorical factor(s), in this order: {want}; got {len(categorical) - sum(categorical)}"
                             f" and {sum(categorical)}")


# ------------------------------------------------------------------------------------------------ the run
def _scan(job, paths, inv_path, events_path, grid, run, progress) -> sampling.Samples:
    n = len(paths)
    collector = sampling.ScanCollector(n, job.categorical, job.max_samples, MAX_CLASSES, grid.width)
    sources = {f"f{i}": raster_source(p, dtype=np.float64, name=job.names[i]) for i, p in enumerate(paths)}
    sources["inventory"] = raster_source(inv_path, dtype=np.float32, name="INVENTORY")
    if events_path:
        sources["events"] = raster_source(events_path, dtype=np.float64, name="INVENTORY")
    func = functools.partial(sampling.scan_block, n_factors=n, categorical=tuple(job.categorical), seed=job.seed,
                             k=job.max_samples, max_classes=MAX_CLASSES,
                             absence_code=sampling.SURVEYED if job.absence is not None else sampling.ABSENCE)
    plan = run.plan(grid.height, grid.width, bytes_per_pixel=sampling.scan_bytes_per_pixel(n))
    run_blocks(plan, func, collector, sources=sources, run=run, progress=progress)
    return collector.samples()


def _run(job: Job, *, run, progress=None) -> dict:
    """Samples, fit and validation (or a saved model), prediction, report, saved model: the whole run.

    Returns ``{"auc": float or None, "result": SusceptibilityResult or None, "model": SusceptibilityModel}``."""
    grid = raster_info(job.factors[0], job.names[0])
    loaded = load_model(job.model_in) if job.model_in else None
    if loaded is not None:
        check_model_factors(loaded, job.names, job.categorical)
        if loaded.method == "random_forest":
            models.require_sklearn(loaded.method)
        info(progress, f"SAVED_MODEL: {models.describe(loaded)}; METHOD and the fitting parameters are not used")
    elif job.method != "frequency_ratio":
        models.require_sklearn(job.method)
    with tempfile.TemporaryDirectory(prefix="geohazard_susceptibility_") as tmp:
        paths = align_factors(job.factors, job.names, job.categorical, tmp, progress)
        inv_path = os.path.join(tmp, "inventory.tif")
        events_path = os.path.join(tmp, "events.tif") if job.inventory is not None else ""
        inventory_raster(job.inventory, grid, inv_path, buffer_m=job.buffer_m, log=progress,
                         events_path=events_path, absence=job.absence, study_area=job.study_area)
        samples = _scan(job, paths, inv_path, events_path, grid, run, SubProgress(progress, 0, 30))
        sampling.check_samples(samples, job.names, min_presences=MIN_PRESENCES, max_classes=MAX_CLASSES,
                               check_inventory=job.inventory is not None, surveyed=job.absence is not None)
        factors = [models.FactorSpec(nm, bool(c), tuple(float(v) for v in samples.classes.get(i, ())))
                   for i, (nm, c) in enumerate(zip(job.names, job.categorical))]
        if job.inventory is not None:
            kind = "surveyed absences (ABSENCE)" if job.absence is not None else \
                f"absences drawn at random farther than {job.buffer_m:g} m from any event"
            info(progress, f"Samples: {len(samples.index['presence'])} inventory pixels, "
                           f"{len(samples.index['absence'])} {kind}"
                           + (", inside STUDY_AREA" if job.study_area is not None else ""))
        result = None
        if loaded is not None:
            model = loaded
            problem = models.factor_order_problem(model, samples.values["area"], job.names)
            if problem:
                raise GeohazardError(f"SAVED_MODEL: {problem}")
            _note_unknown_classes(model, factors, progress)
            if job.inventory is not None:
                result = validation.evaluate(samples, model)
        else:
            threads = max(1, run.threads or os.cpu_count() or 1)
            result = validation.susceptibility(
                samples, factors, job.method, geotransform=grid.geotransform, block_size_m=job.block_size_m,
                buffer_m=None if job.fold_buffer_m < 0 else job.fold_buffer_m,
                folds=job.folds, repeats=job.repeats, seed=job.seed, threads=threads, n_bins=job.n_bins,
                trees=job.trees, min_leaf=job.min_leaf, balance=job.absence is None,
                progress=SubProgress(progress, 30, 60))
            model = result.model
        _predict(job, model, paths, inv_path if job.study_area is not None else "", grid, run,
                 SubProgress(progress, 60, 100))
    if job.output_model:
        save_model(job.output_model, model)
    if job.output_report:
        with open(job.output_report, "w", encoding="utf-8") as fh:
            fh.write(report.html_report(model, result, factor_files=job.factors,
                                        images=charts.susceptibility_images(result, log=progress),
                                        missing_chart=charts.missing_note("Chart")))
    return {"auc": None if result is None else result.auc, "result": result, "model": model}


def run(job: Job, *, progress=None) -> Outcome:
    """Samples, fit and validation (or a saved model), prediction, report, saved model: the whole run. The outcome's
    ``outputs`` are keyed by output ID (OUTPUT, OUTPUT_CLASSES, OUTPUT_REPORT, OUTPUT_MODEL: those asked), its
    ``values`` the AUC (AUC, AUC_SD, AUC_POOLED, BLOCK_SIZE_USED_M, and with a validation BUFFER_USED_M, AUC_FOLDS,
    PARTITIONS; none without an inventory) with its note."""
    r = _run(job, run=job.settings, progress=progress)["result"]
    paths = (("OUTPUT", job.output), ("OUTPUT_CLASSES", job.output_classes), ("OUTPUT_REPORT", job.output_report),
             ("OUTPUT_MODEL", job.output_model))
    outcome = Outcome(outputs={k: p for k, p in paths if p})
    if r is not None:
        outcome.notes.append(
            f"AUC {r.auc:.3f} \u00b1 {r.auc_sd:.3f} (spatial CV: held-out events against the "
            f"{'surveyed absences' if r.negatives != 'area' else 'area'}, {r.folds} folds, {r.distinct} distinct "
            f"partitions of {r.repeats}, buffer {r.buffer_m:.0f} m; mean of the folds' AUCs {r.auc_folds:.3f}, pooled "
            f"values {r.auc_pooled:.3f}; blocks {r.block_size_m:.0f} m)" if r.folds
            else f"AUC {r.auc:.3f} (the saved model on this inventory)")
        outcome.values.update({"AUC": r.auc, "AUC_SD": r.auc_sd, "AUC_POOLED": r.auc_pooled,
                               "BLOCK_SIZE_USED_M": r.block_size_m})
        if r.folds:
            outcome.values.update({"BUFFER_USED_M": r.buffer_m, "AUC_FOLDS": r.auc_folds, "PARTITIONS": r.distinct})
    return outcome


def _note_unknown_classes(model, factors, log) -> None:
    for saved, here in zip(model.factors, factors):
        new = sorted(set(here.classes) - set(saved.classes)) if saved.categorical else []
        if new and log is not None:
            log.push_warning(f"CATEGORICAL_FACTORS: {here.name} holds class code(s) {', '.join(f'{c:g}' for c in new)} "
                             f"that the model never saw (its {saved.name} had {len(saved.classes)} classes): those "
                             "pixels get no value")


def _predict(job, model, paths, area_path, grid, run, progress) -> None:
    threads = max(1, run.threads or os.cpu_count() or 1)
    n_cols = model.n_columns()
    plan = run.plan(grid.height, grid.width,
                    bytes_per_pixel=models.bytes_per_pixel(len(paths), model.method, n_cols, threads))
    func = functools.partial(models.predict_block, model=model, threads=threads)
    sources = {f"f{i}": raster_source(p, dtype=np.float64, name=job.names[i]) for i, p in enumerate(paths)}
    if area_path:
        sources["inventory"] = raster_source(area_path, dtype=np.float32, name="STUDY_AREA")
    meta = {"QUANTITY": "susceptibility, 0 (least) to 1 (most), dimensionless", "METHOD": model.method,
            "FACTORS": ", ".join(job.names)}
    writers = {"probability": RasterWriter.like(job.output, grid, dtype=np.float32, metadata=meta,
                                                descriptions=["susceptibility"])}
    if job.output_classes:
        writers["classes"] = RasterWriter.like(job.output_classes, grid, dtype=np.uint8, nodata=0,
                                               descriptions=["susceptibility class"],
                                               metadata={**meta, "CLASSES": "1 very low, 2 low, 3 moderate, 4 high, "
                                                                            "5 very high"})
    run_blocks(plan, func, sources=sources, writers=writers, run=run, progress=progress, background_write=True)
