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
from ...algorithms.formats.dates import is_date, parse_date
from ...algorithms.formats.units import length_unit
from ...algorithms.hazard import comparelayers as cl
from ...algorithms.hazard import swathprofile as pr
from ...algorithms.progress import info as say
from ...algorithms.progress import warn
from ..base import blocks, raster, vector
from ..base.crs import crs_name, metric_crs, same_crs, transform_points
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
    if not quantity and info.descriptions and is_date(str(info.descriptions[0] or "").strip()):
        quantity = "displacement"
    comp = (upper.get("COMPONENT") or upper.get("TIMESERIES_COMPONENT") or "").upper()
    component = _COMPONENTS.get(comp, comp)
    if not component and "SATELLITE" in upper.get("SIGN", "").upper():
        component = "LOS"
    base = os.path.basename(info.path)
    said = ", ".join(f"{k}={v}" for k, v in (("UNIT", unit), ("COMPONENT", comp)) if v) or "nothing declared"
    return {"quantity": quantity, "component": component, "unit": unit, "source": f"{base}: {said}"}


def raster_side(pid: str, name: str, info) -> dict:
    """One raster product: its parameter, layer name, grid, what it declares and its band dates (None: not dated)."""
    return {"pid": pid, "name": name, "info": info, "kind": raster_kind(info), "dates": raster_dates(info)}


def field_kind(field: str, layer_name: str) -> dict:
    """What a point field's name says: a velocity (VEL, velocity, mean_velocity ...) or a dated displacement."""
    quantity = "velocity" if _VELOCITY_FIELD.match(field or "") else \
        "displacement" if is_date(re.sub(r"^D_?", "", field or "")) else ""
    low = (field or "").lower()
    component = "VERTICAL" if ("vert" in low or low.endswith("_up") or low == "up") else \
        "LOS" if "los" in low else ""
    return {"quantity": quantity, "component": component, "unit": "mm/yr" if quantity == "velocity" else
            "mm" if quantity == "displacement" else "", "source": f"{layer_name} field {field}"}


def series_kind(fields, layer_name: str) -> dict:
    """What a point layer's dated fields say: a displacement series (mm)."""
    return {"quantity": "displacement", "component": "", "unit": "mm",
            "source": f"{layer_name}: {len(fields)} dated fields"}


def raster_dates(info) -> list | None:
    """The dates of a raster whose every band is described by one (a series, or one dated map); None otherwise."""
    descs = list(info.descriptions or [])
    if not descs or len(descs) != info.count or not all(is_date(str(d or "").strip()) for d in descs):
        return None
    return [parse_date(str(d).strip()) for d in descs]


def unit_scales(kinds, pids, progress) -> tuple:
    """``(INPUT factor, REFERENCE factor, unit)`` bringing two declared length units or rates to INPUT's (m/yr
    against mm/yr: REFERENCE x 0.001); ``(1, 1, unit)`` when either declares none or both declare the same."""
    units = [k.get("unit", "") for k in kinds]
    conv = [length_unit(u) if u else None for u in units]
    if conv[0] and conv[1] and conv[0][1] == conv[1][1] and conv[0][0] != conv[1][0]:
        factor = conv[1][0] / conv[0][0]
        say(progress, f"{pids[1]} declares UNIT={units[1]} and {pids[0]} UNIT={units[0]}: {pids[1]} is read in "
                      f"{units[0]} (x {factor:g})")
        return 1.0, factor, units[0]
    return 1.0, 1.0, units[0] or units[1] or "input unit"


def check_magnitudes(a, b, kinds, pids, progress) -> None:
    """Refuse, naming the inputs, two products whose typical magnitudes differ by a unit factor
    (:data:`~algorithms.hazard.comparelayers.UNIT_MISMATCH_RATIO`: mm against m) where one declares no unit; warn
    where both declare theirs."""
    ratio = cl.magnitude_ratio(a, b)
    if not (math.isfinite(ratio) and max(ratio, 1.0 / ratio) >= cl.UNIT_MISMATCH_RATIO):
        return
    big, small = (0, 1) if ratio > 1 else (1, 0)
    times = max(ratio, 1.0 / ratio)
    text = (f"{pids[big]}'s values are {times:.4g} times {pids[small]}'s over the pairs (median |value|); one of "
            "the two is in other units (mm against m?)")
    undeclared = [pids[i] for i in (0, 1) if not kinds[i].get("unit")]
    if not undeclared:
        warn(progress, f"{text}, although both declare {kinds[0]['unit']!r} and {kinds[1]['unit']!r}: check them")
        return
    raise GeohazardError(f"{text}: {' and '.join(undeclared)} declare{'s' if len(undeclared) == 1 else ''} no unit. "
                         "Declare it (gdal_edit -mo UNIT=m/yr, or a field named with its unit) so that it is "
                         "converted, or scale it first (Raster calculator, Field calculator)")


def compare_rasters(info_in, info_ref, *, out_path: str, run, progress, bands=None, scales=(1.0, 1.0),
                    dates=None, context=None) -> list:
    """``[(input, reference), ...]`` pairs of two rasters per compared band (one, or one per matched date: ``bands``
    ``(INPUT bands, REFERENCE bands)``), REFERENCE resampled (bilinear) onto INPUT's grid when it is on another
    grid, each side times its unit factor (``scales``); the difference raster (INPUT - REFERENCE, a band per date
    described by it) written and styled when ``out_path`` is given."""
    from functools import partial

    for info, name in ((info_in, "INPUT"), (info_ref, "REFERENCE")):
        if not info.crs_wkt:
            raise GeohazardError(f"{name} has no coordinate reference system (CRS): the layers cannot be paired; "
                                 "assign its CRS (a raster in radar geometry: geocode it first)")
    if info_in.srs.IsSame(info_ref.srs) and not _boxes_meet(info_in, info_ref):
        raise GeohazardError("INPUT and REFERENCE do not overlap: no pixel of one lies on the other")
    bands_in, bands_ref = bands or ([1], [1])
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
                           dstNodata=np.nan, errorThreshold=0.0)
            if ds is None:
                raise GeohazardError("REFERENCE could not be resampled onto INPUT's grid")
            ds = None
            say(progress, f"REFERENCE resampled onto INPUT's grid (bilinear, each cell's position transformed "
                          f"exactly from {crs_name(info_ref.crs_wkt)} to {crs_name(info_in.crs_wkt)})")
        pairs = [[] for _ in bands_in]
        writers = {}
        if out_path:
            descs = [d.isoformat() for d in dates] if dates else ["input_minus_reference"]
            writers["difference"] = raster.RasterWriter.like(
                out_path, info_in, count=len(descs), descriptions=descs,
                metadata={"QUANTITY": "INPUT - REFERENCE", "REFERENCE_FILE": os.path.basename(info_ref.path)})

        def write(block, out):
            if "difference" in writers:
                writers["difference"].write(out["difference"], row=block.row0)
            for k, p in enumerate(out["pairs"]):
                pairs[k].append(p)

        one = len(bands_in) == 1
        sources = {"input": blocks.raster_source(info_in.path, bands=bands_in[0] if one else list(bands_in),
                                                 dtype=np.float64, name="INPUT"),
                   "reference": blocks.raster_source(ref_path, bands=bands_ref[0] if one else list(bands_ref),
                                                     dtype=np.float64, name="REFERENCE")}
        blocks.run_blocks(run.plan(info_in.height, info_in.width,
                                   bytes_per_pixel=cl.DIFFERENCE_BYTES_PER_PIXEL * len(bands_in)),
                          partial(cl.difference_block, scale_input=scales[0], scale_reference=scales[1]), write,
                          sources=sources, run=run, progress=progress, writers=writers)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    if out_path:
        styles.style_raster_diverging(out_path, context=context, band=len(bands_in))
    out = []
    for parts in pairs:
        both = np.concatenate(parts, axis=1) if parts else np.zeros((2, 0))
        out.append((both[0], both[1]))
    return out


def _boxes_meet(a, b) -> bool:
    def box(info):
        gt = info.geotransform
        xs = sorted((gt[0], gt[0] + info.width * gt[1]))
        ys = sorted((gt[3], gt[3] + info.height * gt[5]))
        return xs, ys

    (ax, ay), (bx, by) = box(a), box(b)
    return ax[0] < bx[1] and bx[0] < ax[1] and ay[0] < by[1] and by[0] < ay[1]


def sample_raster(info, x, y, point_wkt: str, name: str, bands=(1,), progress=None) -> np.ndarray:
    """Values of ``bands`` of a raster at points, ``(n_points, n_bands)`` (the pixel each falls in; NaN outside or
    on nodata); ``x, y`` in ``point_wkt``, transformed to the raster's CRS (the log says how). Only the rows around
    the points are read."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if point_wkt and info.crs_wkt and not same_crs(point_wkt, info.crs_wkt):
        x, y, how = transform_points(x, y, point_wkt, info.crs_wkt)
        say(progress, f"the points sampled on {name} were transformed {how}")
    gt = info.geotransform
    with np.errstate(invalid="ignore"):
        col = np.floor((x - gt[0]) / gt[1])
        row = np.floor((y - gt[3]) / gt[5])
    inside = np.isfinite(col) & np.isfinite(row) & (col >= 0) & (col < info.width) & (row >= 0) & (row < info.height)
    col, row = np.where(inside, col, 0).astype(np.int64), np.where(inside, row, 0).astype(np.int64)
    out = np.full((x.size, len(bands)), np.nan)
    if not inside.any():
        raise GeohazardError(f"no point of the other layer falls on {name}: the layers do not overlap")
    r0, r1 = int(row[inside].min()), int(row[inside].max()) + 1
    for k, band in enumerate(bands):
        data = raster.read_band(info.path, band, rows=(r0, r1), name=name, dtype=np.float64)
        out[inside, k] = data[row[inside] - r0, col[inside]]
    return out


def write_points(path: str, x, y, crs_wkt: str, columns: dict, context=None, style_field: str = "difference") -> str:
    """The paired points (INPUT's geometry) with their columns."""
    written = vector.write_vector(path, columns, crs_wkt=crs_wkt, x=np.asarray(x), y=np.asarray(y))
    styles.style_vector_graduated(written, style_field, context=context)
    return written


def write_table(path: str, stats: dict, unit: str, by_date=None) -> str:
    """The statistics table: statistic, value, unit and date: a row per statistic of each date (``by_date``:
    ``[(date, statistics)]``), then the statistics of every pair together (date "all")."""
    names = [n for n, _ in cl.STATISTICS]
    units = [unit if u == "u" else "" for _, u in cl.STATISTICS]
    blocks_ = [(d.isoformat(), st) for d, st in (by_date or [])] + [("all", stats)]
    return vector.write_vector(path, {
        "statistic": np.array([n for _ in blocks_ for n in names], dtype=object),
        "value": np.array([st[n] for _, st in blocks_ for n in names], dtype=np.float64),
        "unit": np.array([u for _ in blocks_ for u in units], dtype=object),
        "date": np.array([d for d, _ in blocks_ for _ in names], dtype=object)},
        wkb=[None] * (len(names) * len(blocks_)), geometry_type=ogr.wkbNone)


def mean_of(values) -> float:
    v = np.asarray(values, np.float64)
    return float(np.nanmean(v)) if np.isfinite(v).any() else math.nan


def _points_of(side, columns=None) -> tuple:
    """``(x, y, crs_wkt, values (n, n_dates))`` of a point side: its field, or the dated fields ``columns``."""
    t = side["table"]
    fields = columns if columns is not None else [side["field"]]
    vals = np.column_stack([np.asarray(t.attributes[f], np.float64) for f in fields]) * side.get("scale", 1.0)
    return np.asarray(t.x, np.float64), np.asarray(t.y, np.float64), vector.wkt_of(t.crs), vals


def pair_points(x, y, wkt, rx, ry, rwkt, *, max_distance_m: float, names: tuple, progress) -> tuple:
    """``(index into REFERENCE or -1, distance_m)`` of each INPUT point: REFERENCE's points transformed into INPUT's
    CRS (the log says how), the nearest within ``max_distance_m`` metres (in a local azimuthal equidistant
    projection when INPUT's CRS is geographic), ties to the first REFERENCE point (duplicates said)."""
    if rwkt and wkt and not same_crs(rwkt, wkt):
        rx, ry, how = transform_points(rx, ry, rwkt, wkt)
        say(progress, f"{names[1]}: {len(rx)} points transformed {how}")
    metric = metric_crs(x, y, wkt) if wkt else wkt
    if metric != wkt:
        x, y, how = transform_points(x, y, wkt, metric)
        rx, ry, _ = transform_points(rx, ry, wkt, metric)
        say(progress, f"points paired by distance in metres in a local azimuthal equidistant projection ({how})")
    dup = cl.duplicated(rx, ry)
    if dup:
        warn(progress, f"{names[1]}: {dup} point(s) share their position with another: an INPUT point near them is "
                       "paired with the first in the layer's order (the lowest feature ID), every run alike")
    idx, dist = cl.nearest_pairs(x, y, rx, ry, max_distance_m=max_distance_m)
    if not (idx >= 0).any():
        raise GeohazardError(f"no INPUT point has a REFERENCE point within MAX_DISTANCE_M = {max_distance_m:g} m: "
                             "the layers do not overlap, or raise MAX_DISTANCE_M")
    return idx, dist


def point_values(sides, *, columns, max_distance_m: float, progress) -> tuple:
    """``(input (n, n_dates), reference (n, n_dates), (x, y, crs_wkt, extra columns))`` of a comparison where one
    side at least is points, per compared date (``columns``: per side, the bands of a raster or the fields of
    points): points with points paired by the nearest within ``max_distance_m``, a raster sampled at the other
    side's points. The points written are INPUT's (REFERENCE's, in INPUT's CRS, when INPUT is the raster)."""
    s_in, s_ref = sides
    if s_in["info"] is not None:  # a raster against points: at the reference points
        x, y, wkt, ref = _points_of(s_ref, columns[1])
        val = sample_raster(s_in["info"], x, y, wkt, s_in["pid"], columns[0], progress) * s_in.get("scale", 1.0)
        if wkt and s_in["info"].crs_wkt and not same_crs(wkt, s_in["info"].crs_wkt):
            x, y, _ = transform_points(x, y, wkt, s_in["info"].crs_wkt)
        return val, ref, (x, y, s_in["info"].crs_wkt, {})
    x, y, wkt, val = _points_of(s_in, columns[0])
    if s_ref["info"] is not None:
        ref = sample_raster(s_ref["info"], x, y, wkt, s_ref["pid"], columns[1], progress) * s_ref.get("scale", 1.0)
        return val, ref, (x, y, wkt, {})
    rx, ry, rwkt, rval = _points_of(s_ref, columns[1])
    idx, dist = pair_points(x, y, wkt, rx, ry, rwkt, max_distance_m=max_distance_m,
                            names=(s_in["pid"], s_ref["pid"]), progress=progress)
    ref = np.where((idx >= 0)[:, None], rval[np.maximum(idx, 0)], np.nan)
    fids = s_ref["table"].fids
    ref_fid = np.where(idx >= 0, np.asarray(fids)[np.maximum(idx, 0)], -1) if fids is not None else idx
    return val, ref, (x, y, wkt, {"distance_m": dist, "reference_fid": np.asarray(ref_fid, np.int64)})


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
        vi, vr = vi[:, :1] * sides[0].get("scale", 1.0), vr[:, :1] * sides[1].get("scale", 1.0)
        binned = cl.binned_differences(ai, vi, ar, vr, length_m=line.length, step_m=step_m)
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
    """The two products paired (along profiles, cell by cell, or point to nearest point; date by date where both
    are dated), their statistics (table, chart, the numbers) and, where written, the differences."""
    sides, outs, ids = list(job.sides), job.outputs, job.ids
    kinds = [side["kind"] for side in sides]
    pids = [side["pid"] for side in sides]
    cl.check_same_quantity(*kinds)
    scales = unit_scales(kinds, pids, progress)
    sides[0]["scale"], sides[1]["scale"] = scales[0], scales[1]
    unit = scales[2]
    for side in (side for side in sides if not side["kind"]["quantity"]):
        say(progress, f"{side['pid']}: no unit declared ({side['kind']['source']}); taken to be in the other's "
                       "unit and sign")
    dates, columns = match_sides(sides, progress)
    results, by_date = {}, None
    if job.line is not None:
        if dates:
            raise GeohazardError("LINE compares one map with another: give one date of each series (a raster's band "
                                 "as its own file, or FIELD / REFERENCE_FIELD naming a dated field)")
        a, b, pts = compare_swaths(sides, job.line, width_m=job.width_m, step_m=job.step_m, run=job.settings,
                                   progress=progress)
        per_date = [(a, b)]
    elif sides[0]["info"] is not None and sides[1]["info"] is not None:
        per_date = compare_rasters(sides[0]["info"], sides[1]["info"], out_path=outs["raster"], run=job.settings,
                                   progress=progress, bands=columns, scales=scales[:2], dates=dates, context=context)
        pts = None
        if outs["raster"]:
            results[ids["raster"]] = outs["raster"]
    else:
        va, vb, (x, y, wkt, extra) = point_values(sides, columns=columns, max_distance_m=job.max_distance_m,
                                                  progress=progress)
        per_date = [(va[:, k], vb[:, k]) for k in range(va.shape[1])]
        pts = (x, y, wkt, point_columns(va, vb, extra, dates))
    a = np.concatenate([p[0] for p in per_date])
    b = np.concatenate([p[1] for p in per_date])
    check_magnitudes(a, b, kinds, pids, progress)
    stats = cl.statistics(a, b)
    if dates:
        by_date = list(zip(dates, cl.statistics_by_date(per_date)))
        thin = [d.isoformat() for d, st in by_date if not st["n"] >= cl.MIN_PAIRS]
        if thin:
            warn(progress, f"{len(thin)} date(s) with fewer than {cl.MIN_PAIRS} pairs have no statistics: "
                           f"{', '.join(thin[:6])}{' ...' if len(thin) > 6 else ''}")
    skipped = {"raster": ids["raster"]} if pts is not None else {"points": ids["points"]}
    for kind, oid in skipped.items():
        if outs.get(kind):
            say(progress, f"{oid} is not written: {'points are' if kind == 'raster' else 'two rasters are'} compared "
                          f"(the differences are in {ids['points' if kind == 'raster' else 'raster']})")
            drop_from_load(context, outs[kind])
    if pts is not None and outs["points"]:
        results[ids["points"]] = write_points(outs["points"], *pts, context=context,
                                              style_field="bias" if dates else "difference")
    results[ids["table"]] = write_table(outs["table"], stats, unit, by_date)
    if outs["chart"]:
        results.update(chart(outs["chart"], a, b, stats, unit=unit, names=(sides[0]["name"], sides[1]["name"]),
                             output=ids["chart"], progress=progress))
    say(progress, ", ".join(f"{name} = {stats[name]:.6g}" for name in ("n", "bias", "rmse", "pearson_r", "nmad",
                                                                        "tls_slope", "t_test_p", "wilcoxon_p"))
        + (f" over {len(dates)} dates" if dates else ""))
    return Outcome(outputs=results, values={ids["bias"]: stats["bias"], ids["rmse"]: stats["rmse"],
                                            ids["r"]: stats["pearson_r"], ids["n"]: int(stats["n"])})


def side_dates(side) -> list | None:
    """The dates of a side: a raster's band dates, a point layer's dated fields (no FIELD), else None."""
    if side["info"] is not None:
        return side.get("dates")
    return [d for _, d in side["fields"]] if side.get("fields") else None


def match_sides(sides, progress) -> tuple:
    """``(dates or None, (INPUT columns, REFERENCE columns))``: where a side is a series (several dates) the dates
    both hold, exactly (the unmatched said), and each side's bands or fields for them; else band 1 / the field."""
    dated = [side_dates(s) for s in sides]
    series = [d is not None and len(d) > 1 for d in dated]
    if not any(series):
        for s in sides:
            if s["info"] is not None and s["info"].count > 1:
                warn(progress, f"{s['pid']}: {os.path.basename(s['info'].path)} has {s['info'].count} bands without a "
                               "date each; band 1 is compared (a series needs one date per band, described "
                               "YYYY-MM-DD)")
        return None, tuple([1] if s["info"] is not None else None for s in sides)
    if not all(d for d in dated):
        single = next(s for s, d in zip(sides, dated) if not d)
        other = next(s for s, d in zip(sides, dated) if d)
        raise GeohazardError(f"{other['pid']} is a series of {len(side_dates(other))} dates but {single['pid']} holds "
                             "one map without a date: compare one date of the series with it (its band as a file, or "
                             "a dated FIELD), or give the other series too (bands described YYYY-MM-DD, or fields "
                             "DYYYYMMDD)")
    common, only_in, only_ref = cl.match_dates(*dated)
    if not common:
        raise GeohazardError(f"{sides[0]['pid']} ({dated[0][0]} to {dated[0][-1]}) and {sides[1]['pid']} "
                             f"({dated[1][0]} to {dated[1][-1]}) share no date: dates are paired exactly (the same "
                             "day); give series with common dates")
    say(progress, f"compared date by date on the {len(common)} dates both hold ({common[0]} to {common[-1]})")
    for pid, left in ((sides[0]["pid"], only_in), (sides[1]["pid"], only_ref)):
        if left:
            warn(progress, f"{pid}: {len(left)} date(s) without the same date in the other are left out: "
                           f"{', '.join(d.isoformat() for d in left[:8])}{' ...' if len(left) > 8 else ''}")
    cols = []
    for s, d in zip(sides, dated):
        where = {day: k for k, day in enumerate(d)}
        if s["info"] is not None:
            cols.append([where[day] + 1 for day in common])
        else:
            cols.append([s["fields"][where[day]][0] for day in common])
    return common, tuple(cols)


def point_columns(va, vb, extra: dict, dates) -> dict:
    """The fields of the points written: input, reference, difference (one date), or per point the paired test
    over the dates and each date's difference (``diff_YYYYMMDD``); then the pairing's ``extra`` columns."""
    if not dates:
        cols = {"input": va[:, 0], "reference": vb[:, 0], "difference": va[:, 0] - vb[:, 0]}
    else:
        cols = dict(cl.paired_over_dates(va, vb))
        cols.update({f"diff_{d.strftime('%Y%m%d')}": va[:, k] - vb[:, k] for k, d in enumerate(dates)})
    cols.update(extra)
    return cols


def drop_from_load(context, path: str) -> None:
    """An output the run does not write is no layer QGIS should load when it finishes."""
    if context is None or not path:
        return
    layers = context.layersToLoadOnCompletion()
    if path in layers:
        del layers[path]
        context.setLayersToLoadOnCompletion(layers)
