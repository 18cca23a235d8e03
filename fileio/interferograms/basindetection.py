"""IO of the basin-detection tool: the shipped detector model, what kind of phase a raster holds, the detector run
over a raster on the block engine, anomaly outlines of a phase-gradient map, the polygons written as a GeoPackage."""

from __future__ import annotations

import functools
import json
import math
import os
from dataclasses import dataclass
from typing import Optional

import numpy as np
from osgeo import gdal, ogr

from ...algorithms.errors import GeohazardError
from ...algorithms.interferograms import basindetection as detection
from ...algorithms.progress import SubProgress
from ..base import blocks, vector
from ..base.raster import RasterInfo, open_raster, raster_info, read_band
from ..base.runs import Outcome
from ..geometry.geometry import metric_pixel_size

#: The detector the plugin ships (trained by ``models/detector/train_basin_detector.py``).
MODEL_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "models",
                          "detector", "basin_detector.json")
#: Memory of one pixel of a detection block: the read value, the phasors, the full-resolution gradients, roughness
#: and coherence with their sums and counts for the pyramid, the temporaries of the wrapped differences.
BYTES_PER_PIXEL = 280.0
#: Samples of a real phase raster read to tell degrees from unwrapped radians.
_SAMPLE_ROWS = 256


def load_model(path: str = MODEL_PATH) -> dict:
    """The detector model (JSON, no code), its arrays as numpy."""
    try:
        with open(path, encoding="utf-8") as f:
            model = json.load(f)
    except (OSError, ValueError) as exc:
        raise GeohazardError(f"the basin detector's model {path!r} cannot be read ({exc}); reinstall the plugin") \
            from None
    return detection.check_model(model, os.path.basename(path))


def phase_kind(path: str, name: str) -> str:
    """``"complex"``, ``"wrapped"`` (radians in -pi..pi) or ``"unwrapped"`` (radians beyond; it is wrapped again);
    a phase in degrees (values within +-180 with jumps of ~360 between neighbours) is refused naming ``name``."""
    ds = open_raster(path, name)
    band = ds.GetRasterBand(1)
    if gdal.GetDataTypeName(band.DataType).startswith("C"):
        return "complex"
    lo, hi = band.ComputeRasterMinMax(False)
    if lo >= -math.pi - 1e-3 and hi <= math.pi + 1e-3:
        return "wrapped"
    rows = min(ds.RasterYSize, _SAMPLE_ROWS)
    sample = read_band(path, rows=(0, rows), name=name, dtype=np.float64)
    jumps = np.abs(np.diff(sample, axis=1))
    if max(abs(lo), abs(hi)) <= 180.5 and np.max(jumps[np.isfinite(jumps)], initial=0.0) > 270.0:
        raise GeohazardError(
            f"{name}: {os.path.basename(path)} looks like phase in degrees (values from {lo:.4g} to {hi:.4g} with "
            "jumps of about 360 between neighbours); give the wrapped phase in radians (-pi..pi) or the complex "
            "interferogram")
    return "unwrapped"


def check_real_map(path: str, name: str, what: str) -> None:
    """Refuse a complex raster given as a velocity or gradient map (``what``)."""
    ds = open_raster(path, name)  # held: a band outlives no dataset on GDAL >= 3.10
    if gdal.GetDataTypeName(ds.GetRasterBand(1).DataType).startswith("C"):
        raise GeohazardError(f"{name}: {os.path.basename(path)} holds complex values, expected a {what} (real "
                             "values); give complex interferograms with the input type 'Wrapped interferograms'")


#: The largest typical |velocity| (99th percentile, the map's own unit) below which a velocity map in mm/yr that
#: holds no basin may be in m/yr (or m): ground motion worth mapping reaches millimetres a year.
METRE_SUSPECT = 0.5


def velocity_unit_hint(path: str, name: str) -> str:
    """A hint (or "") for a velocity map in which nothing was found: its 99th percentile of |value| (read on at most
    1024 x 1024 samples) below :data:`METRE_SUSPECT` suggests metres per year (or metres), wrapped at FRINGE_MM as
    if millimetres and so showing no fringe."""
    ds = open_raster(path, name)
    band = ds.GetRasterBand(1)
    step = max(1, math.ceil(max(ds.RasterXSize, ds.RasterYSize) / 1024))
    arr = band.ReadAsArray(buf_xsize=max(1, ds.RasterXSize // step),
                           buf_ysize=max(1, ds.RasterYSize // step)).astype(np.float64)
    nodata = band.GetNoDataValue()
    ds = None
    if nodata is not None:
        arr[arr == nodata] = np.nan
    v = np.abs(arr[np.isfinite(arr)])
    if not v.size:
        return ""
    p99 = float(np.percentile(v, 99))
    if 0 < p99 < METRE_SUSPECT:
        return (f"{name}: nothing found, and 99 % of the velocities are below {p99:.3g} in magnitude: the map is "
                "read in mm/yr (wrapped at FRINGE_MM per fringe); if it is in m/yr (or a displacement in m), "
                "multiply it by 1000 (Raster calculator) and run again")
    return ""


def pixel_size_m(info: RasterInfo, name: str) -> float:
    """Geometric mean of a pixel's two sides in metres (WGS84 at the scene's rows for a geographic grid)."""
    if not info.crs_wkt:
        raise GeohazardError(f"{name} has no coordinate reference system: the smallest feature (MIN_SIZE_M) and the "
                             "diameters are in metres; give geocoded rasters (projected or geographic)")
    dx_rows, dy = metric_pixel_size(info, name)
    return float(math.sqrt(float(np.mean(dx_rows)) * float(dy)))


def detect_raster(path: str, info: RasterInfo, model: dict, *, run, progress, name: str, min_radius_px: float,
                  fringe_mm: float = 0.0) -> list:
    """Detections (:class:`..algorithms.interferograms.basindetection.Detection`) in one raster: the detector's block
    function over row blocks aligned on the pyramid's lattice (the same windows whatever the block size), then the
    suppression over the whole raster and the fragments of one basin joined."""
    levels = detection.n_levels(info.shape)
    halo = detection.halo_px(levels)
    unit = 2 ** (levels + 1)
    width = info.width + 2 * halo + unit
    rows = max(unit, run.rows(width, bytes_per_pixel=BYTES_PER_PIXEL, halo=halo, tile_rows=unit) // unit * unit)
    plan = run.plan(info.height, info.width, block_rows=rows, halo=halo)
    found = {k: [] for k in ("score", "row", "col", "radius", "level")}

    def collect(block, out):
        for k in found:
            found[k].append(out[k])

    func = functools.partial(detection.detect_block, model=model, levels=levels, min_radius_px=min_radius_px,
                             fringe_mm=fringe_mm)
    blocks.run_blocks(plan, func, collect, sources={"phase": blocks.raster_source(path, dtype=np.float64, name=name)},
                      run=run, progress=progress)
    arrays = {k: np.concatenate(v) if v else np.empty(0) for k, v in found.items()}
    kept = detection.suppress(arrays["score"], arrays["row"], arrays["col"], arrays["radius"], arrays["level"],
                              threshold=model["threshold"])
    return detection.merge(kept, factor=model.get("merge", detection.MERGE))


def detect_pairs(paths: list, pairs: list, info: RasterInfo, model: dict, *, run, progress, name: str,
                 min_radius_px: float, fringe_mm: float = 0.0) -> list:
    """``[(pair or None, detections)]`` of each raster, the progress shared between them."""
    out = []
    n = len(paths)
    for i, (path, pair) in enumerate(zip(paths, pairs)):
        sub = SubProgress(progress, 100.0 * i / n, 100.0 * (i + 1) / n)
        out.append((pair, detect_raster(path, info, model, run=run, progress=sub, name=name,
                                        min_radius_px=min_radius_px, fringe_mm=fringe_mm)))
    return out


def gradient_outlines(path: str, name: str, *, min_pixels: int, k: float) -> list:
    """Anomaly outlines of a phase-gradient (or any positive) map read whole (:func:`detection.anomaly_outlines`)."""
    values = read_band(path, name=name, dtype=np.float64)
    try:
        return detection.anomaly_outlines(values, min_pixels=min_pixels, k=k)
    except GeohazardError as exc:
        raise GeohazardError(f"{name}: {exc}") from None


def _ring_wkb(info: RasterInfo, ring_rc: np.ndarray) -> bytes:
    gt = info.geotransform
    r, c = ring_rc[:, 0], ring_rc[:, 1]
    x = gt[0] + c * gt[1] + r * gt[2]
    y = gt[3] + c * gt[4] + r * gt[5]
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for xi, yi in zip(x, y):
        ring.AddPoint_2D(float(xi), float(yi))
    poly = ogr.Geometry(ogr.wkbPolygon)
    poly.AddGeometry(ring)
    return bytes(poly.ExportToWkb())


def write_outlines(path: str, info: RasterInfo, items: list, *, pixel_m: float) -> str:
    """The outlines as polygons: ``items`` are ``(ring (m, 2) of row/col vertices, score, pair or None,
    diameter in pixels)``; fields SCORE, PAIR, DIAMETER_M."""
    wkb = [_ring_wkb(info, ring) for ring, _s, _p, _d in items]
    fields = {"SCORE": np.array([float(s) for _r, s, _p, _d in items], dtype=np.float64),
              "PAIR": np.array([p for _r, _s, p, _d in items], dtype=object),
              "DIAMETER_M": np.array([float(d) * pixel_m for _r, _s, _p, d in items], dtype=np.float64)}
    return vector.write_vector(path, fields, crs_wkt=info.crs_wkt, wkb=wkb, geometry_type=ogr.wkbPolygon)


#: The input kinds of the tool (INPUT_TYPE, in its order).
KINDS = ("wrapped", "velocity", "gradient")
_KIND_WORDS = {"velocity": "velocity (mm/yr)", "gradient": "phase-gradient map"}


@dataclass(frozen=True)
class Job:
    """A run of the tool as plain values (the tool reads them from its parameters, by keyword).

    ``kind`` one of :data:`KINDS`; ``paths`` the rasters of INPUT (``pairs`` their pairs, ``info`` their grid: a
    wrapped stack as its reader gives it; a velocity or gradient map is one raster, ``info`` None); ``min_size_m``
    the smallest diameter, ``fringe_mm`` the fringe of a velocity map, ``anomaly_sigmas`` the threshold of a
    gradient map; ``output`` the GeoPackage; ``settings`` the run-wide knobs."""

    kind: str
    paths: tuple
    output: str
    settings: blocks.RunSettings
    pairs: tuple = ()
    info: Optional[RasterInfo] = None
    min_size_m: float = 250.0
    fringe_mm: float = 28.0
    anomaly_sigmas: float = 3.0
    name: str = "INPUT"


def _map_info(job: Job) -> RasterInfo:
    """The grid of a velocity or gradient map: one raster of real values, refused otherwise."""
    what = _KIND_WORDS[job.kind]
    if len(job.paths) != 1:
        raise GeohazardError(f"{job.name}: give one {what} raster, got {len(job.paths)}")
    check_real_map(job.paths[0], job.name, what)
    return raster_info(job.paths[0], job.name)


def run(job: Job, *, progress) -> Outcome:
    """Basins found by the detector in wrapped interferograms or a velocity map, anomalies outlined on a
    phase-gradient map, written as polygons (SCORE, PAIR, DIAMETER_M). ``progress`` has the core's progress protocol
    and ``push_info`` / ``push_warning``."""
    if job.kind not in KINDS:
        raise GeohazardError(f"INPUT_TYPE: {job.kind!r} is not one of {', '.join(KINDS)}")
    info = job.info if job.kind == "wrapped" else _map_info(job)
    pairs = tuple(job.pairs) if job.kind == "wrapped" else (None,)
    pixel_m = pixel_size_m(info, job.name)
    if job.kind == "gradient":
        outlines = gradient_outlines(job.paths[0], job.name, k=job.anomaly_sigmas,
                                     min_pixels=int(math.pi * (job.min_size_m / 2 / pixel_m) ** 2))
        items = [(ring, s, None, 2.0 * math.sqrt(n / math.pi)) for ring, s, n in outlines]
    else:
        if job.kind == "wrapped":
            rewrapped = [os.path.basename(p) for p in job.paths if phase_kind(p, job.name) == "unwrapped"]
            if rewrapped:
                progress.push_info(f"{job.name}: unwrapped phase, wrapped again: " + ", ".join(rewrapped[:6])
                                   + (" ..." if len(rewrapped) > 6 else ""))
        found = detect_pairs(list(job.paths), list(pairs), info, load_model(), run=job.settings, progress=progress,
                             name=job.name, min_radius_px=job.min_size_m / 2 / pixel_m,
                             fringe_mm=job.fringe_mm if job.kind == "velocity" else 0.0)
        items = [(detection.circle(d), d.score, pair, 2 * d.radius_px) for pair, ds in found for d in ds]
    if not items and job.kind == "velocity":
        hint = velocity_unit_hint(job.paths[0], job.name)
        if hint:
            progress.push_warning(hint)
    write_outlines(job.output, info, items, pixel_m=pixel_m)
    return Outcome(outputs={"OUTPUT": job.output},
                   notes=[f"{len(items)} feature(s) in {len(job.paths)} raster(s)"])
