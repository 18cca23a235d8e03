"""The interseismic profile's run: the fault trace read into a metric frame, the velocities read in blocks of rows over
the swath's bounding box only, the arctangent fitted, the profile table and its chart written."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsFeatureRequest, QgsWkbTypes

from ...algorithms.errors import GeohazardError
from ...algorithms.faults import interseismicslip as isl
from ...algorithms.hazard.swathprofile import transformer
from ...algorithms.progress import SubProgress, warn
from ..base import blocks, vector
from ..base.blocks import RunSettings, WindowSource
from ..base.raster import RasterInfo
from ..base.runs import Outcome
from ..display import charts, styles
from ..motion.ada import metric_frame

#: most rows of one block of the swath's window
BLOCK_ROWS = 256


def fault_vertices(source, name: str, crs_wkt: str, transform_context) -> np.ndarray:
    """The vertices ``(k, 2)`` of the one fault line of ``source`` in the CRS ``crs_wkt`` (a multi-line merged into
    one line, refused when it stays several). More than one feature is refused: one fault per run."""
    if QgsWkbTypes.geometryType(source.wkbType()) != QgsWkbTypes.GeometryType.LineGeometry:
        raise GeohazardError(f"{name} must be a line layer (the fault's trace), got "
                             f"{QgsWkbTypes.displayString(source.wkbType())}")
    feats = [f for f in source.getFeatures(QgsFeatureRequest().setNoAttributes())
             if not (f.geometry().isNull() or f.geometry().isEmpty())]
    if not feats:
        raise GeohazardError(f"{name} has no line: draw the fault's trace")
    if len(feats) > 1:
        raise GeohazardError(f"{name} holds {len(feats)} lines; the tool fits one fault per run: select the fault "
                             "(and tick 'Selected features only'), or run it once per fault")
    geom = feats[0].geometry()
    dest = QgsCoordinateReferenceSystem.fromWkt(crs_wkt)
    if source.sourceCrs().isValid() and source.sourceCrs() != dest:
        geom.transform(QgsCoordinateTransform(source.sourceCrs(), dest, transform_context))
    geom.get().dropZValue()
    geom.get().dropMValue()
    if geom.isMultipart():
        merged = geom.mergeLines()
        if merged.isMultipart():
            raise GeohazardError(f"{name}: the fault's line has {len(merged.asMultiPolyline())} separate parts; "
                                 "join them into one line from one end of the fault to the other")
        geom = merged
    xy = np.array([(p.x(), p.y()) for p in geom.asPolyline()], np.float64)
    if xy.shape[0] < 2 or not np.isfinite(xy).all():
        raise GeohazardError(f"{name}: the fault's line has fewer than two vertices or does not transform to the "
                             "velocities' CRS")
    return xy


def swath_window(info: RasterInfo, fault: isl.FaultFrame, metric_wkt: str, *, length_m: float,
                 width_m: float) -> Optional[tuple]:
    """``(row0, row1, col0, col1)`` of the raster's pixels under the swath's bounding box (None: none)."""
    gt = info.geotransform
    if gt[2] or gt[4]:
        return 0, info.height, 0, info.width
    xy = fault.line.xy
    # the swath's outline (within it): the trace's box grown by the profile's length and half width, densified
    lo = xy.min(axis=0) - (length_m + 0.5 * width_m)
    hi = xy.max(axis=0) + (length_m + 0.5 * width_m)
    t = np.linspace(0.0, 1.0, 33)
    bx = np.r_[lo[0] + (hi[0] - lo[0]) * t, np.full(33, hi[0]), hi[0] - (hi[0] - lo[0]) * t, np.full(33, lo[0])]
    by = np.r_[np.full(33, lo[1]), lo[1] + (hi[1] - lo[1]) * t, np.full(33, hi[1]), hi[1] - (hi[1] - lo[1]) * t]
    if metric_wkt != info.crs_wkt:
        bx, by = transformer(metric_wkt, info.crs_wkt)(bx, by)
    cols = sorted(((np.nanmin(bx) - gt[0]) / gt[1], (np.nanmax(bx) - gt[0]) / gt[1]))
    rows = sorted(((np.nanmax(by) - gt[3]) / gt[5], (np.nanmin(by) - gt[3]) / gt[5]))
    c0, c1 = max(int(np.floor(cols[0])), 0), min(int(np.ceil(cols[1])), info.width)
    r0, r1 = max(int(np.floor(rows[0])), 0), min(int(np.ceil(rows[1])), info.height)
    return (r0, r1, c0, c1) if r1 > r0 and c1 > c0 else None


class Samples:
    """The engine's writer: the swath's samples gathered in plan order."""

    def __init__(self, keys):
        self.parts = {k: [] for k in keys}
        self.pixels = 0

    def __call__(self, block, out: dict) -> None:
        for k in self.parts:
            self.parts[k].append(out[k])
        self.pixels += out["pixels"]

    def joined(self) -> dict:
        return {k: np.concatenate(v) if v else np.zeros(0) for k, v in self.parts.items()}


@dataclass(frozen=True)
class Job:
    """A run as plain values: the ``fault`` (a feature source), the velocities (``east`` and ``north``, or ``los``
    with its ``incidence_deg`` and ``heading_deg``), the profile's ``length_m`` and ``width_m``, the outputs
    (``profile``, ``chart`` or "") with their IDs (``ids``: profile, chart, and the numbers'), the inputs'
    parameter IDs (``names``: east, north, los, fault) and the run-wide knobs."""

    fault: Any
    length_m: float
    width_m: float
    profile: str
    ids: dict
    names: dict
    transform_context: Any = None
    east: Optional[RasterInfo] = None
    north: Optional[RasterInfo] = None
    los: Optional[RasterInfo] = None
    incidence_deg: float = float("nan")
    heading_deg: float = float("nan")
    chart: str = ""
    settings: RunSettings = field(default_factory=RunSettings)


def read_samples(job: Job, fault: isl.FaultFrame, metric: str, rasters: dict, *, progress=None) -> dict:
    """The swath's samples of every raster of ``rasters`` (name -> RasterInfo on one grid): across, along and
    the values, read in blocks of rows over the swath's window."""
    info = next(iter(rasters.values()))
    window = swath_window(info, fault, metric, length_m=job.length_m, width_m=job.width_m)
    what = " and ".join(job.names[k] for k in rasters)
    if window is None:
        raise GeohazardError(f"{job.names['fault']} and {what} do not overlap: the profile's swath lies outside the "
                             "velocities; draw the fault over them")
    r0, r1, c0, c1 = window
    frame = None if metric == info.crs_wkt else (info.crs_wkt, metric)
    sink = Samples(["across", "along", *rasters])
    plan = job.settings.plan(r1 - r0, c1 - c0, bytes_per_pixel=8.0 * (len(rasters) + 8), max_rows=BLOCK_ROWS)
    func = functools.partial(isl.interseismic_block, gt=info.geotransform, window=window, frame_wkt=frame,
                             fault=fault, length_m=job.length_m, width_m=job.width_m)
    sources = {k: WindowSource(r.path, window, job.names[k], bands=(1,)) for k, r in rasters.items()}
    blocks.run_blocks(plan, func, sink, sources=sources, run=job.settings, progress=progress)
    if sink.pixels == 0:
        raise GeohazardError(f"{job.names['fault']} and {what} do not overlap: the profile's swath holds no pixel")
    out = sink.joined()
    if out["across"].size == 0:
        raise GeohazardError(f"{what}: every pixel of the profile's swath ({sink.pixels}) is no-data")
    return out


def run(job: Job, *, progress=None, context=None) -> Outcome:
    """Fit the arctangent to the fault-parallel velocities in the swath; write the profile and its chart."""
    rasters = {"east": job.east, "north": job.north} if job.east is not None else {"los": job.los}
    info = next(iter(rasters.values()))
    if not info.crs_wkt:
        raise GeohazardError(f"{job.names[next(iter(rasters))]} has no coordinate reference system (CRS): the fault "
                             "cannot be placed on it; assign its CRS")
    xy = fault_vertices(job.fault, job.names["fault"], info.crs_wkt, job.transform_context)
    frame = metric_frame(QgsCoordinateReferenceSystem.fromWkt(info.crs_wkt), xy[:, 0], xy[:, 1],
                         name=job.names[next(iter(rasters))])
    metric = info.crs_wkt if frame.same else frame.metric_wkt
    if metric != info.crs_wkt:
        xy = np.column_stack(transformer(info.crs_wkt, metric)(xy[:, 0], xy[:, 1]))
    fault = isl.FaultFrame.from_vertices(xy)
    samples = read_samples(job, fault, metric, rasters, progress=SubProgress(progress, 0, 70))
    if job.east is not None:
        velocity = isl.fault_parallel(samples["east"], samples["north"], fault.strike_deg)
        component = "east and north velocities projected on the fault's strike"
    else:
        share = isl.los_share(job.incidence_deg, job.heading_deg, fault.strike_deg)
        isl.check_los_share(share, strike_deg=fault.strike_deg, heading_deg=job.heading_deg)
        velocity = samples["los"] / share
        component = (f"LOS velocity divided by the LOS share of fault-parallel motion, {share:.3f} (incidence "
                     f"{job.incidence_deg:.1f}, heading {job.heading_deg:.1f} degrees)")
    fit = isl.fit_profile(samples["across"], samples["along"], velocity, length_m=job.length_m,
                          width_m=job.width_m, progress=progress)
    table = isl.profile_table(fit, samples["across"], samples["along"], velocity, length_m=job.length_m)
    write_profile(job.profile, table, fault, metric, info.crs_wkt, context=context,
                  progress=SubProgress(progress, 85, 95))
    ids = job.ids
    outputs = {ids["profile"]: job.profile}
    if job.chart:
        if charts.interseismic_profile(job.chart, table, summary(fit), log=progress) is not None:
            outputs[ids["chart"]] = job.chart
    values = {ids["slip"]: fit.slip_rate_mm_yr, ids["depth"]: fit.locking_depth_m / 1000.0,
              ids["offset"]: fit.offset_m, ids["slip_sigma"]: fit.slip_rate_sigma,
              ids["depth_sigma"]: fit.locking_depth_sigma_m / 1000.0}
    if fit.at_bound:
        warn(progress, f"{ids['slip']} and {ids['depth']} are not constrained by this profile (the {fit.at_bound} is "
                       "at its bound)")
    notes = [f"fault strike {fault.strike_deg:.1f} degrees; {component}",
             f"slip rate {fit.slip_rate_mm_yr:.2f} +- {fit.slip_rate_sigma:.2f} mm/yr "
             f"({'left' if fit.slip_rate_mm_yr > 0 else 'right'}-lateral), locking depth "
             f"{fit.locking_depth_m / 1000.0:.2f} +- {fit.locking_depth_sigma_m / 1000.0:.2f} km, "
             f"x0 {fit.offset_m:.0f} +- {fit.offset_sigma_m:.0f} m"]
    return Outcome(outputs=outputs, values=values, notes=notes)


def summary(fit: isl.Fit) -> dict:
    """The fitted numbers the chart writes in its title."""
    return {"slip": fit.slip_rate_mm_yr, "slip_sigma": fit.slip_rate_sigma, "depth_km": fit.locking_depth_m / 1000.0,
            "depth_sigma_km": fit.locking_depth_sigma_m / 1000.0, "offset_m": fit.offset_m, "rms": fit.rms_mm_yr,
            "tiles": fit.n_tiles, "tile_km": fit.tile_m / 1000.0}


def write_profile(path: str, table: dict, fault: isl.FaultFrame, metric: str, crs_wkt: str, *, context=None,
                  progress=None) -> None:
    """The profile as points (in the velocities' CRS) on the line through the trace's middle, perpendicular to the
    fault's strike, each at its bin's signed distance (positive to the right of the trace)."""
    mx, my = fault.line.points_at([fault.middle_m])
    th = np.radians(fault.strike_deg)
    d = table["distance_m"]
    x, y = mx[0] + d * np.cos(th), my[0] - d * np.sin(th)
    if metric != crs_wkt:
        x, y = transformer(metric, crs_wkt)(x, y)
    vector.write_vector(path, {k: table[k] for k in ("distance_m", "observed", "modelled", "residual", "std", "count",
                                                     "deramped", "arctangent")},
                        crs_wkt=crs_wkt, x=np.asarray(x), y=np.asarray(y), progress=progress)
    if not path.lower().endswith(".csv"):
        styles.style_vector_graduated(path, "observed", context=context, unit="mm/yr")
