"""Files of the layer comparison: what each product declares (quantity and component), rasters paired on INPUT's
grid through the engine, rasters sampled at points, points paired by distance, swaths; the difference raster or
points, the statistics table and the chart (:mod:`..algorithms.hazard.comparelayers`)."""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from osgeo import gdal, ogr

from ...algorithms.errors import GeohazardError
from ...algorithms.formats.dates import is_date
from ...algorithms.hazard import comparelayers as cl
from ...algorithms.hazard import swathprofile as pr
from ...algorithms.hazard.swathprofile import transformer
from ...algorithms.progress import info as say
from ..base import blocks, raster, vector
from ..base.metadata import geotiff_metadata
from ..base.runs import Outcome
from ..display import charts, styles
from ..display.comparison_chart import comparison_chart
from . import swathprofile as swath

_VELOCITY_UNITS = {"mm/yr", "mm/year", "mm/a", "m/yr", "m/year", "cm/yr"}
_DISPLACEMENT_UNITS = {"mm", "m", "cm"}
_COMPONENTS = {"UP": "VERTICAL", "VERTICAL": "VERTICAL", "U": "VERTICAL", "LOS": "LOS", "LINE OF SIGHT": "LOS",
               "EAST": "EAST", "NORTH": "NORTH", "DOWNSLOPE": "DOWNSLOPE"}
_VELOCITY_FIELD = re.compile(r"^(vel|velocity|mean_velocity|v|v_?los|v_?up|v_?vert\w*|rate)$", re.IGNORECASE)


def raster_kind(info) -> dict:
    """What a raster declares: ``quantity`` (velocity / displacement, from its UNIT or dated bands), ``component``
    (LOS, VERTICAL ... from COMPONENT; LOS when its SIGN says toward the satellite) and ``unit``."""
    md = next(iter(geotiff_metadata([info.path])), (info.path, {}))[1]
    upper = {str(k).upper(): str(v).strip() for k, v in md.items()}
    unit = (upper.get("UNIT") or upper.get("UNITS") or "").lower().replace(" ", "")
    quantity = "velocity" if unit in _VELOCITY_UNITS else "displacement" if unit in _DISPLACEMENT_UNITS else ""
    if not quantity and info.descriptions and is_date(info.descriptions[0]):
        quantity = "displacement"
    comp = (upper.get("COMPONENT") or upper.get("TIMESERIES_COMPONENT") or "").upper()
    component = _COMPONENTS.get(comp, comp)
    if not component and "SATELLITE" in upper.get("SIGN", "").upper():
        component = "LOS"
    base = os.path.basename(info.path)
    said = ", ".join(f"{k}={v}" for k, v in (("UNIT", unit), ("COMPONENT", comp)) if v) or "nothing declared"
    return {"quantity": quantity, "component": component, "unit": unit, "source": f"{base}: {said}"}


def field_kind(field: str, layer_name: str) -> dict:
    """What a point field's name says: a velocity (VEL, velocity, mean_velocity ...) or a dated displacement."""
    quantity = "velocity" if _VELOCITY_FIELD.match(field or "") else \
        "displacement" if is_date(re.sub(r"^D_?", "", field or "")) else ""
    low = (field or "").lower()
    component = "VERTICAL" if ("vert" in low or low.endswith("_up") or low == "up") else \
        "LOS" if "los" in low else ""
    return {"quantity": quantity, "component": component, "unit": "mm/yr" if quantity == "velocity" else
            "mm" if quantity == "displacement" else "", "source": f"{layer_name} field {field}"}


def compare_rasters(info_in, info_ref, *, out_path: str, run, progress) -> tuple:
    """``(input, reference)`` pairs of two rasters, REFERENCE resampled (bilinear) onto INPUT's grid when it is
    on another grid, and the difference raster (INPUT - REFERENCE) when ``out_path`` is given."""
    from functools import partial

    for info, name in ((info_in, "INPUT"), (info_ref, "REFERENCE")):
        if not info.crs_wkt:
            raise GeohazardError(f"{name} has no coordinate reference system (CRS): the layers cannot be paired; "
                                 "assign its CRS (a raster in radar geometry: geocode it first)")
    if info_in.srs.IsSame(info_ref.srs) and not _boxes_meet(info_in, info_ref):
        raise GeohazardError("INPUT and REFERENCE do not overlap: no pixel of one lies on the other")
    tmp = None
    ref_path = info_ref.path
    try:
        if not info_in.same_grid(info_ref):
            tmp = tempfile.mkdtemp(prefix="geohazard_compare_")
            ref_path = os.path.join(tmp, "reference_on_input_grid.vrt")
            gt = info_in.geotransform
            bounds = (gt[0], gt[3] + info_in.height * gt[5], gt[0] + info_in.width * gt[1], gt[3])
            ds = gdal.Warp(ref_path, info_ref.path, format="VRT", outputBounds=bounds, width=info_in.width,
                           height=info_in.height, dstSRS=info_in.crs_wkt or None, resampleAlg="bilinear",
                           dstNodata=np.nan)
            if ds is None:
                raise GeohazardError("REFERENCE could not be resampled onto INPUT's grid")
            ds = None
        pairs = []
        writers = {}
        if out_path:
            writers["difference"] = raster.RasterWriter.like(
                out_path, info_in, descriptions=["input_minus_reference"],
                metadata={"QUANTITY": "INPUT - REFERENCE", "REFERENCE_FILE": os.path.basename(info_ref.path)})

        def write(block, out):
            if "difference" in writers:
                writers["difference"].write(out["difference"], row=block.row0)
            pairs.append(out["pairs"])

        sources = {"input": blocks.raster_source(info_in.path, dtype=np.float64, name="INPUT"),
                   "reference": blocks.raster_source(ref_path, dtype=np.float64, name="REFERENCE")}
        blocks.run_blocks(run.plan(info_in.height, info_in.width, bytes_per_pixel=cl.DIFFERENCE_BYTES_PER_PIXEL),
                          partial(cl.difference_block), write, sources=sources, run=run, progress=progress,
                          writers=writers)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    both = np.concatenate(pairs, axis=1) if pairs else np.zeros((2, 0))
    return both[0], both[1]


def _boxes_meet(a, b) -> bool:
    def box(info):
        gt = info.geotransform
        xs = sorted((gt[0], gt[0] + info.width * gt[1]))
        ys = sorted((gt[3], gt[3] + info.height * gt[5]))
        return xs, ys

    (ax, ay), (bx, by) = box(a), box(b)
    return ax[0] < bx[1] and bx[0] < ax[1] and ay[0] < by[1] and by[0] < ay[1]


def sample_raster(info, x, y, point_wkt: str, name: str) -> np.ndarray:
    """Values of band 1 of a raster at points (the pixel each falls in; NaN outside or on nodata); ``x, y`` in
    ``point_wkt``, transformed to the raster's CRS. Only the window around the points is read."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if point_wkt and info.crs_wkt and point_wkt != info.crs_wkt:
        x, y = transformer(point_wkt, info.crs_wkt)(x, y)
    gt = info.geotransform
    col = np.floor((x - gt[0]) / gt[1]).astype(np.int64)
    row = np.floor((y - gt[3]) / gt[5]).astype(np.int64)
    inside = (col >= 0) & (col < info.width) & (row >= 0) & (row < info.height)
    out = np.full(x.shape, np.nan)
    if not inside.any():
        raise GeohazardError(f"no point of the other layer falls on {name}: the layers do not overlap")
    r0, r1 = int(row[inside].min()), int(row[inside].max()) + 1
    data = raster.read_band(info.path, 1, rows=(r0, r1), name=name, dtype=np.float64)
    out[inside] = data[row[inside] - r0, col[inside]]
    return out


def write_points(path: str, x, y, crs_wkt: str, columns: dict, context=None) -> str:
    """The paired points (INPUT's geometry) with their columns."""
    written = vector.write_vector(path, columns, crs_wkt=crs_wkt, x=np.asarray(x), y=np.asarray(y))
    styles.style_vector_graduated(written, "difference", context=context)
    return written


def write_table(path: str, stats: dict, unit: str) -> str:
    """The statistics table: statistic, value, unit."""
    names = [n for n, _ in cl.STATISTICS]
    units = [unit if u == "u" else "" for _, u in cl.STATISTICS]
    return vector.write_vector(path, {"statistic": np.array(names, dtype=object),
                                      "value": np.array([stats[n] for n in names], dtype=np.float64),
                                      "unit": np.array(units, dtype=object)},
                               wkb=[None] * len(names), geometry_type=ogr.wkbNone)


def mean_of(values) -> float:
    v = np.asarray(values, np.float64)
    return float(np.nanmean(v)) if np.isfinite(v).any() else math.nan


def _points_of(side) -> tuple:
    t = side["table"]
    return t.x, t.y, vector.wkt_of(t.crs), np.asarray(t.attributes[side["field"]], np.float64)


def compare_points(sides, *, max_distance_m: float) -> tuple:
    """``(input, reference, (x, y, crs_wkt, columns))`` of a comparison where one side at least is points: points
    with points paired by the nearest within ``max_distance_m`` (m, INPUT's CRS), a raster sampled at the other
    side's points. The points written are INPUT's (REFERENCE's when INPUT is the raster), the unpaired too."""
    s_in, s_ref = sides
    if s_in["info"] is not None:  # a raster against points: at the reference points
        x, y, wkt, ref = _points_of(s_ref)
        val = sample_raster(s_in["info"], x, y, wkt, s_in["pid"])
        return val, ref, (x, y, wkt, {"input": val, "reference": ref, "difference": val - ref})
    x, y, wkt, val = _points_of(s_in)
    if s_ref["info"] is not None:
        ref = sample_raster(s_ref["info"], x, y, wkt, s_ref["pid"])
        return val, ref, (x, y, wkt, {"input": val, "reference": ref, "difference": val - ref})
    rx, ry, rwkt, rval = _points_of(s_ref)
    if rwkt != wkt:
        rx, ry = transformer(rwkt, wkt)(rx, ry)
    idx, dist = cl.nearest_pairs(x, y, rx, ry, max_distance_m=max_distance_m)
    if not (idx >= 0).any():
        raise GeohazardError(f"no INPUT point has a REFERENCE point within MAX_DISTANCE_M = {max_distance_m:g} m: "
                             "the layers do not overlap, or raise MAX_DISTANCE_M")
    ref = np.where(idx >= 0, rval[np.maximum(idx, 0)], np.nan)
    fids = s_ref["table"].fids
    ref_fid = np.where(idx >= 0, np.asarray(fids)[np.maximum(idx, 0)], -1) if fids is not None else idx
    return val, ref, (x, y, wkt, {"input": val, "reference": ref, "difference": val - ref, "distance_m": dist,
                                  "reference_fid": np.asarray(ref_fid, np.int64)})


def compare_swaths(sides, lines_source, *, width_m: float, step_m: float, run, progress) -> tuple:
    """``(input, reference, (x, y, crs_wkt, columns))`` of a swath comparison: per line and bin, the mean of each
    product's samples within ``width_m / 2`` of the line, the bins where both have samples paired."""
    s_in = sides[0]
    in_wkt = s_in["info"].crs_wkt if s_in["info"] is not None else vector.wkt_of(s_in["table"].crs)
    metric, lines = swath.read_lines(lines_source, "LINE", in_wkt, step_m, progress, input_name=s_in["pid"])
    samples = []
    for side in sides:
        if side["info"] is not None:
            samples.append(swath.raster_samples(side["info"], side["pid"], lines, metric, width_m, run=run,
                                                progress=progress))
        else:
            t = side["table"]
            vals = np.asarray(t.attributes[side["field"]], np.float64)
            samples.append(swath.point_samples(t, lambda rows, v=vals: v[rows][:, None], lines, metric, width_m,
                                               side["pid"], progress))
    cols = {k: [] for k in ("profile", "distance_m", "input", "reference", "difference", "count_input",
                            "count_reference")}
    xs, ys = [], []
    for pid, line in lines:
        (ai, vi), (ar, vr) = samples[0][pid], samples[1][pid]
        binned = cl.binned_differences(ai, vi[:, :1], ar, vr[:, :1], length_m=line.length, step_m=step_m)
        bx, by = line.points_at(binned["distance_m"])
        cols["profile"].append(np.full(binned["distance_m"].size, pid, np.int64))
        for k in ("distance_m", "input", "reference", "difference", "count_input", "count_reference"):
            cols[k].append(np.asarray(binned[k]))
        xs.append(bx)
        ys.append(by)
    columns = {k: np.concatenate(v) for k, v in cols.items()}
    x, y = np.concatenate(xs), np.concatenate(ys)
    if metric != in_wkt and in_wkt:
        x, y = pr.transformer(metric, in_wkt)(x, y)
    return columns["input"], columns["reference"], (x, y, in_wkt, columns)


def chart(path: str, a, b, stats: dict, *, unit: str, names: tuple, output: str, progress) -> dict:
    """The scatter and Bland-Altman chart, or a warning naming what to install when matplotlib is missing or does not
    import."""
    if not charts.can_draw(output, progress):
        return {}

    x, y = cl.paired(a, b)
    return {output: comparison_chart(path, x, y, stats, unit=unit, input_name=names[0], reference_name=names[1])}


@dataclass(frozen=True)
class Job:
    """A run as plain values: the two sides (``sides``: per product its parameter ID ``pid``, ``name``, raster
    ``info`` or point ``table`` and ``field``, and ``kind``: what it declares), the profile lines (``line``: a feature
    source or None) with ``width_m`` and ``step_m``, the pairing distance of points, the outputs (``outputs``: kind
    raster, points, table, chart -> path or ""), their IDs (``ids``: the same kinds, and bias, rmse, r, n for the
    numbers) and the run-wide knobs."""

    sides: tuple
    outputs: dict
    ids: dict
    line: Any = None
    width_m: float = 0.0
    step_m: float = 0.0
    max_distance_m: float = 0.0
    settings: blocks.RunSettings = field(default_factory=blocks.RunSettings)


def run(job: Job, *, progress=None, context=None) -> Outcome:
    """The two products paired (along profiles, cell by cell, or point to nearest point), their statistics
    (table, chart, the numbers) and, where written, the differences."""
    sides, outs, ids, run_settings = list(job.sides), job.outputs, job.ids, job.settings
    cl.check_same_quantity(sides[0]["kind"], sides[1]["kind"])
    unit = sides[0]["kind"]["unit"] or sides[1]["kind"]["unit"] or "input unit"
    for side in (side for side in sides if not side["kind"]["quantity"]):
        say(progress, f"{side['pid']}: no unit declared ({side['kind']['source']}); taken to be in the other's "
                       "unit and sign")
    results = {}
    if job.line is not None:
        a, b, pts = compare_swaths(sides, job.line, width_m=job.width_m, step_m=job.step_m, run=run_settings,
                                   progress=progress)
    elif sides[0]["info"] is not None and sides[1]["info"] is not None:
        (a, b), pts = compare_rasters(sides[0]["info"], sides[1]["info"], out_path=outs["raster"], run=run_settings,
                                      progress=progress), None
        if outs["raster"]:
            results[ids["raster"]] = outs["raster"]
    else:
        a, b, pts = compare_points(sides, max_distance_m=job.max_distance_m)
    stats = cl.statistics(a, b)
    if pts is not None and outs["points"]:
        results[ids["points"]] = write_points(outs["points"], *pts, context=context)
    results[ids["table"]] = write_table(outs["table"], stats, unit)
    if outs["chart"]:
        results.update(chart(outs["chart"], a, b, stats, unit=unit, names=(sides[0]["name"], sides[1]["name"]),
                             output=ids["chart"], progress=progress))
    say(progress, ", ".join(f"{name} = {stats[name]:.6g}" for name in ("n", "bias", "rmse", "pearson_r", "nmad",
                                                                        "tls_slope", "t_test_p", "wilcoxon_p")))
    return Outcome(outputs=results, values={ids["bias"]: stats["bias"], ids["rmse"]: stats["rmse"],
                                            ids["r"]: stats["pearson_r"], ids["n"]: int(stats["n"])})
