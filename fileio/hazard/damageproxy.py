"""Files of the damage-proxy tool: coherence rasters in (LiCSAR's byte coherence read as value / 255), the proxy,
the mean coherence and the classes written block by block, the areas of significant loss as polygons
(:mod:`..algorithms.hazard.damageproxy`)."""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass, field

import numpy as np
from osgeo import gdal, ogr, osr

from ...algorithms.engine import CallableSource, StackSource
from ...algorithms.errors import GeohazardError
from ...algorithms.formats.licsar import CC_SUFFIX
from ...algorithms.hazard import damageproxy as damage
from ...algorithms.progress import info, warn
from ..base import blocks, raster, vector
from ..base.blocks import GdalOpener
from ..base.rasterize import polygon_rows_reader
from ..base.runs import Outcome
from ..display import styles
from ..formats.products import vrt_text

#: The outputs of a run in the order the tool gives them.
OUTPUT_KINDS = ("proxy", "mean_coherence", "classes", "areas")
_COLOURS = {1: "#9e9e9e", 2: "#1a9641", 3: "#d7191c"}


def coherence_path(path: str) -> tuple:
    """``(path to read, note)``: LiCSAR's byte coherence (``*.geo.cc.tif`` stored as bytes 0-255, 0 = no data) as
    a VRT in GDAL's memory that reads value / 255; any other file as it is (the guard refuses other 0-255 rasters)."""
    if not path.lower().endswith(CC_SUFFIX) or path.startswith("/vsimem/"):
        return path, ""
    ds = gdal.Open(path)
    if ds is None or ds.GetRasterBand(1).DataType != gdal.GDT_Byte:
        return path, ""
    info = raster.raster_info(path, os.path.basename(path))
    st = os.stat(path)
    key = hashlib.sha1(f"{os.path.realpath(path)}|{st.st_mtime_ns}|{st.st_size}".encode()).hexdigest()[:16]
    vrt = f"/vsimem/geohazard_damage/{key}/{os.path.basename(path)}.vrt"
    if gdal.VSIStatL(vrt) is None:
        text = vrt_text(path, info, (0, 0), (info.width, info.height), src_type="Byte", src_nodata=0.0,
                        scale=1.0 / 255.0)
        gdal.FileFromMemBuffer(vrt, text.encode("utf-8"))
    return vrt, f"{os.path.basename(path)}: LiCSAR's byte coherence (0-255), read as value / 255 with 0 as no data"


def _grid_areas(info) -> np.ndarray:
    srs = info.srs
    if srs is None:
        raise GeohazardError(f"{info.path}: no coordinate reference system; areas in m2 need one")
    if srs.IsGeographic():
        return damage.row_pixel_areas_m2(info.geotransform, info.height, geographic=True,
                                         semi_major_m=srs.GetSemiMajor(), inverse_flattening=srs.GetInvFlattening())
    return damage.row_pixel_areas_m2(info.geotransform, info.height, geographic=False,
                                     unit_m=srs.GetLinearUnits() or 1.0)


def classes_on_grid(info, path: str, name: str) -> str:
    """A classes raster on the coherence grid ``info``: itself when on it, else a VRT in GDAL's memory warped with
    the nearest neighbour (float32, NaN outside)."""
    other = raster.raster_info(path, name)
    if other.same_grid(info):
        return path
    if not other.crs_wkt or not info.crs_wkt:
        raise GeohazardError(f"{name}: {os.path.basename(path)} is not on the coherence grid and one of the two has "
                             "no CRS to resample it with; give both with their CRS, or on one grid")
    gt = info.geotransform
    xs, ys = [gt[0], gt[0] + info.width * gt[1]], [gt[3], gt[3] + info.height * gt[5]]
    st = os.stat(path)
    key = hashlib.sha1(f"{os.path.realpath(path)}|{st.st_mtime_ns}|{gt}|{info.width}x{info.height}".encode())
    dst = f"/vsimem/geohazard_damage/{key.hexdigest()[:16]}/mask_on_grid.vrt"
    opts = gdal.WarpOptions(format="VRT", outputBounds=(min(xs), min(ys), max(xs), max(ys)), width=info.width,
                            height=info.height, dstSRS=info.crs_wkt, resampleAlg="near", dstNodata=float("nan"),
                            outputType=gdal.GDT_Float32, multithread=False)
    if gdal.Warp(dst, path, options=opts) is None:
        raise GeohazardError(f"{name}: {os.path.basename(path)} could not be resampled onto the coherence grid")
    return dst


def mask_source(info, mask, name: str):
    """The engine source of MASK on the coherence grid and the class values to keep: ``mask`` is ``("classes",
    path, values)`` or ``("polygons", [WKB in the grid's CRS])``. Returns ``(source, keep_values or None)``."""
    if mask[0] == "classes":
        return blocks.raster_source(classes_on_grid(info, mask[1], name), dtype=np.float32, name=name), mask[2]
    return CallableSource(polygon_rows_reader(info, mask[1])), None


@dataclass(frozen=True)
class Job:
    """A run of the tool as plain values (the tool reads them from its parameters, by keyword): the pre-event and
    co-event coherence files as given, the outputs (``outs``: kind of :data:`OUTPUT_KINDS` -> (output ID, path or
    "")), the parameter IDs to name (``names``: pre, co, the spread's floor), the thresholds, the mask (``("classes",
    path, values)`` or ``("polygons", feature source)``, the polygons read by the run, :func:`mask_polygons`; None
    without) and the run-wide knobs."""

    pre: tuple
    co: tuple
    outs: dict
    threshold: float
    std_floor: float
    min_mean_coherence: float
    min_area_m2: float
    settings: blocks.RunSettings = field(default_factory=blocks.RunSettings)
    names: tuple = ("PRE_COHERENCE", "CO_COHERENCE", "STD_FLOOR")
    mask: object = None
    mask_name: str = "MASK"


def mask_polygons(job: Job, context) -> object:
    """The job's mask as :func:`mask_source` takes it: a polygon layer's polygons read as WKB in the CRS of the first
    pre-event coherence; refused, naming the parameter, when the layer has none."""
    if job.mask is None or job.mask[0] != "polygons":
        return job.mask
    crs_wkt = raster.raster_info(job.pre[0], job.names[0]).crs_wkt
    polys = vector.polygons_wkb(job.mask[1], crs_wkt, context.transformContext())
    if not polys:
        raise GeohazardError(f"{job.mask_name}: the layer has no polygon to keep")
    return "polygons", [w for _f, w in polys]


def run(job: Job, *, progress=None, context=None) -> Outcome:
    """The proxy, the mean coherence, the classes and the areas asked for (:func:`run_damage`) from the coherence
    files (LiCSAR's byte coherence read as value / 255, said on ``progress``), with the areas' summary as its
    note."""
    mask = mask_polygons(job, context)
    read = {}
    for name, paths in zip(job.names[:2], (job.pre, job.co)):
        read[name] = [coherence_path(p) for p in paths]
        for note in sorted({n for _, n in read[name] if n})[:3]:
            info(progress, f"{name}: {note}")
    if len(job.pre) < 3:
        warn(progress, f"{job.names[0]}: {len(job.pre)} pair(s): the pre-event spread rests on few values "
                       f"({job.names[2]} = {job.std_floor:g} bounds it from below)")
    results, table = run_damage(
        [p for p, _ in read[job.names[0]]], [p for p, _ in read[job.names[1]]], job.outs, names=job.names[:2],
        threshold=job.threshold, std_floor=job.std_floor, min_mean_coherence=job.min_mean_coherence,
        min_area_m2=job.min_area_m2, run=job.settings, progress=progress, context=context, mask=mask,
        mask_name=job.mask_name)
    return Outcome(outputs=results, notes=[f"{len(table['label'])} area(s) of significant loss, "
                                           f"{float(table['area_m2'].sum()):.0f} m2 in all"])


def run_damage(pre: list, co: list, outs: dict, *, names: tuple, threshold: float, std_floor: float,
               min_mean_coherence: float, min_area_m2: float, run, progress, context=None, mask=None,
               mask_name: str = "MASK") -> tuple:
    """The proxy (and the mean coherence and classes asked for) through the engine, then the areas of significant
    loss; ``outs``: kind of :data:`OUTPUT_KINDS` -> ``(output ID, path or "")``; ``mask`` (optional, see
    :func:`mask_source`): what to keep. Returns ``({output ID: path}, areas table)``; raises when the mask keeps no
    pixel with a proxy."""
    infos = [raster.raster_info(p, names[0]) for p in pre] + [raster.raster_info(p, names[1]) for p in co]
    raster.check_same_grid(infos, [names[0]] * len(pre) + [names[1]] * len(co))
    info = infos[0]
    if not info.crs_wkt or not info.has_georef:
        raise GeohazardError(f"{names[0]}: {os.path.basename(pre[0])} has no coordinate reference system; the areas "
                             "in m2 need a geocoded coherence")
    meta = {"UNIT": "standard deviations of the pre-event coherence", "SIGN": "positive = coherence loss",
            "THRESHOLD": repr(float(threshold)), "STD_FLOOR": repr(float(std_floor))}
    specs = {"proxy": ("damage_proxy", np.float32, meta), "mean_coherence": ("mean_pre_event_coherence",
                                                                              np.float32, {"UNIT": "coherence 0-1"}),
             "classes": ("class", np.uint8, {"CLASSES": "; ".join(f"{k} {v}" for k, v in damage.CLASSES.items())})}
    writers = {k: raster.RasterWriter.like(outs[k][1], info, descriptions=[desc], dtype=dt, metadata=md,
                                           **({"nodata": 0} if dt == np.uint8 else {}))
               for k, (desc, dt, md) in specs.items() if outs[k][1]}
    sources = {"pre": StackSource(pre, GdalOpener(), dtype=np.float32),
               "co": StackSource(co, GdalOpener(), dtype=np.float32)}
    keep_values = None
    if mask is not None:
        sources["mask"], keep_values = mask_source(info, mask, mask_name)
        meta["MASK"] = (f"classes {', '.join(f'{v:g}' for v in keep_values)} of {os.path.basename(mask[1])}"
                        if mask[0] == "classes" else f"{len(mask[1])} polygon(s)")
    func = functools.partial(damage.damage_block, threshold=threshold, std_floor=std_floor,
                             min_mean_coherence=min_mean_coherence, keep_values=keep_values)
    blocks.run_blocks(run.plan(info.height, info.width, bytes_per_pixel=damage.bytes_per_pixel(len(pre) + len(co))),
                      func, sources=sources, run=run, progress=progress, writers=writers, background_write=True)
    results = {outs[k][0]: outs[k][1] for k in writers}
    styles.style_raster_diverging(outs["proxy"][1], context=context, vmax=2.0 * threshold, invert=True)
    if outs["mean_coherence"][1]:
        styles.style_raster_sequential(outs["mean_coherence"][1], context=context, vmin=0.0, vmax=1.0,
                                       ramp_name="Greys")
    if outs["classes"][1]:
        styles.style_raster_classified(outs["classes"][1], styles.palette(damage.CLASSES, _COLOURS),
                                       context=context)
    proxy = raster.read_band(outs["proxy"][1], name=outs["proxy"][0], dtype=np.float32)
    if mask is not None and not np.isfinite(proxy).any():
        what = (f"no pixel of the classes {', '.join(f'{v:g}' for v in keep_values)}" if mask[0] == "classes"
                else "no pixel inside its polygons")
        raise GeohazardError(f"{mask_name} keeps {what} with a proxy (coherent before the event) on the coherence "
                             "grid: check the class values and that the mask covers the coherence rasters")
    classes = np.where(np.isfinite(proxy), np.where(proxy >= np.float32(threshold), 3, 2), 0).astype(np.uint8)
    labels, table = damage.significant_areas(proxy.astype(np.float64), classes, _grid_areas(info),
                                             min_area_m2=min_area_m2)
    if outs["areas"][1]:
        results[outs["areas"][0]] = write_areas(outs["areas"][1], labels, table, info)
        styles.style_vector_graduated(outs["areas"][1], "mean_proxy", context=context, vmin=threshold,
                                      vmax=max(2.0 * threshold, float(np.max(table["mean_proxy"], initial=0.0))),
                                      ramp_name="Reds", unit="")
    return results, table


def write_areas(path: str, labels: np.ndarray, table: dict, info) -> str:
    """Polygons of the labelled areas (GDAL's polygonize, 8-connected: one polygon per label) with ``table``'s
    fields."""
    mem = gdal.GetDriverByName("MEM").Create("", info.width, info.height, 1, gdal.GDT_Int32)
    mem.SetGeoTransform(info.geotransform)
    if info.crs_wkt:
        mem.SetProjection(info.crs_wkt)
    band = mem.GetRasterBand(1)
    band.WriteArray(labels.astype(np.int32))
    ods = (ogr.GetDriverByName("MEM") or ogr.GetDriverByName("Memory")).CreateDataSource("")  # MEM: GDAL >= 3.11
    srs = None
    if info.crs_wkt:
        srs = osr.SpatialReference()
        srs.ImportFromWkt(info.crs_wkt)
    lyr = ods.CreateLayer("areas", srs, ogr.wkbPolygon)
    lyr.CreateField(ogr.FieldDefn("label", ogr.OFTInteger))
    gdal.Polygonize(band, band, lyr, 0, ["8CONNECTED=8"])
    geoms: dict = {}
    for feat in lyr:
        lab = feat.GetField(0)
        g = feat.GetGeometryRef().Clone()
        geoms[lab] = geoms[lab].Union(g) if lab in geoms else g
    wkb = [geoms[int(k)].ExportToWkb() for k in table["label"]]
    fields = {"area_m2": table["area_m2"], "mean_proxy": table["mean_proxy"], "max_proxy": table["max_proxy"],
              "n_pixels": table["n_pixels"]}
    return vector.write_vector(path, fields, crs_wkt=info.crs_wkt, wkb=wkb, geometry_type=ogr.wkbMultiPolygon
                               if any(geoms[int(k)].GetGeometryType() == ogr.wkbMultiPolygon for k in table["label"])
                               else ogr.wkbPolygon)
