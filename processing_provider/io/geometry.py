"""Acquisition-geometry inputs: incidence and heading rasters, metric pixel sizes, LOS fields of points."""

from __future__ import annotations

import csv
import os

import numpy as np

from ...algorithms.engine import CallableSource, plan_blocks, process_blocks
from ...algorithms.errors import GeohazardError
from ...algorithms.geometry import los_blocks as _losb
from ...algorithms.geometry.los import AZIMUTH_KINDS, heading_from_azimuth, los_unit_vector
from ...algorithms.geometry.terrain import geographic_pixel_size_m
from .raster import DEFAULT_BLOCK_ROWS, RasterInfo, read_band

INCIDENCE_KINDS = list(_losb.INCIDENCE_KINDS)


incidence_to_degrees = _losb.incidence_to_degrees


def metric_pixel_size(info: RasterInfo, name: str):
    """(dx per row, dy) in metres; geographic grids use the WGS84 radii at each row."""
    if not info.crs_wkt:
        raise GeohazardError(f"{name} has no coordinate reference system; slopes need one (projected in metres "
                             "or geographic)")
    gt = info.geotransform
    if gt[2] != 0 or gt[4] != 0:
        raise GeohazardError(f"{name} has a rotated geotransform {gt}; warp it to a north-up grid first")
    if info.is_geographic:
        lat = gt[3] + (np.arange(info.height) + 0.5) * gt[5]
        if np.any(np.abs(lat) > 89.9):
            raise GeohazardError(f"{name} reaches latitude {np.abs(lat).max():.3f}: too close to a pole")
        dx, dy = geographic_pixel_size_m(lat, gt[1], gt[5])
        return dx, float(np.mean(dy))
    srs = info.srs
    factor = srs.GetLinearUnits() if srs is not None else 1.0
    return np.full(info.height, abs(gt[1]) * factor), abs(gt[5]) * factor


HEADING_KINDS = ["heading, degrees clockwise from north",
                 "look-vector orientation lv_phi, radians counter-clockwise from east (GAMMA/HyP3)",
                 "look-vector orientation lv_phi, degrees counter-clockwise from east",
                 "ISCE los band 2: azimuth of the ground-to-satellite vector, degrees anticlockwise from north"]


def heading_reader(path, kind, name, look):
    if not path:
        return None

    def read(r0, r1):
        return heading_from_azimuth(read_band(path, rows=(r0, r1), name=name, dtype=np.float64), AZIMUTH_KINDS[kind],
                                    look=look)

    return read


def scene_heading(read, n_rows, progress=None):
    """Circular mean of a per-pixel heading raster (the heading of the range scan)."""
    sums = {"sx": 0.0, "sy": 0.0}

    def add(block, out):
        for k in sums:
            sums[k] += out[k]

    process_blocks(plan_blocks(n_rows, 1, block_rows=DEFAULT_BLOCK_ROWS), _losb.heading_sums_block, add,
                   sources={"heading": CallableSource(read)}, progress=progress)
    sx, sy = sums["sx"], sums["sy"]
    if sx == 0.0 and sy == 0.0:
        raise GeohazardError("HEADING_RASTER has no valid value")
    return float(np.degrees(np.arctan2(sx, sy)))


def incidence_reader(path, kind, name):
    if not path:
        return None

    def read(r0, r1):
        return incidence_to_degrees(read_band(path, rows=(r0, r1), name=name, dtype=np.float64), kind)

    return read


def write_share_table(path, tables, names):
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise GeohazardError(f"output folder {folder!r} does not exist")
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["geometry", "classification", "class", "name", "pixels", "share_pct", "area_km2"])
        for t, name in zip(tables, names):
            for kind in ("distortion", "visibility"):
                for r in t[kind]:
                    w.writerow([name, kind, r["class"], r["name"], r["pixels"], f"{r['share_pct']:.4f}",
                                f"{r['area_km2']:.6f}"])


def los_from_fields(pts, n, heading, incidence, look):
    """Per-point LOS vectors: EGMS los_east/north/up, else incidence_angle/track_angle, else numbers."""
    a = pts.attributes
    if all(k in a for k in ("los_east", "los_north", "los_up")):
        return a["los_east"], a["los_north"], a["los_up"], "los_east/los_north/los_up fields"
    if "incidence_angle" in a and "track_angle" in a:
        e, nn, u = los_unit_vector(a["incidence_angle"], a["track_angle"], look=look)
        return e, nn, u, "incidence_angle/track_angle fields"
    e, nn, u = los_unit_vector(incidence, heading, look=look)
    return (np.full(n, float(e)), np.full(n, float(nn)), np.full(n, float(u)),
            f"heading {heading:g} / incidence {incidence:g} degrees")


def optional_fields(source, names):
    have = {f.name() for f in source.fields()} if source is not None else set()
    return [n for n in names if n in have]
