"""Parameters of the multi-sensor east/up time-series tool into stacks, a north model and options.

Stacks come from SERIES (one raster of per-date LOS series per stack) and from a MANIFEST (CSV or JSON, one row
per stack; interferogram stacks enter there). Per stack, a value given to the tool wins over the file's metadata
(:mod:`..io.multisensor`), and a contradiction is warned about naming both; a stack left without a geometry, a
date or a needed wavelength is refused, naming it.
"""

from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import numpy as np
from qgis.core import QgsCoordinateReferenceSystem

from ...algorithms.conventions import phase_to_los_mm
from ...algorithms.errors import GeohazardError
from ...algorithms.formats.dates import parse_date
from ...algorithms.plausibility import HEADING_DEG, INCIDENCE_DEG, WAVELENGTH_M, check_scalar
from ...io import multisensor as ms_io
from .aliases import given
from .stacks import raster_list_paths

if TYPE_CHECKING:
    from ...algorithms.timeseries.multisensor import NorthModel

SERIES, MANIFEST = "SERIES", "MANIFEST"
INCIDENCES, HEADINGS, WAVELENGTHS = "INCIDENCES", "HEADINGS", "WAVELENGTHS"
INCIDENCE_RASTERS, HEADING_RASTERS = "INCIDENCE_RASTERS", "HEADING_RASTERS"
NORTH, NORTH_VELOCITY, NORTH_RASTER, NORTH_SIGMA = "NORTH", "NORTH_VELOCITY", "NORTH_RASTER", "NORTH_SIGMA"
NORTH_MODES = ("neglected (north = 0)", "a north velocity (NORTH_VELOCITY or NORTH_RASTER, e.g. a GNSS model)",
               "along the downslope direction of the DEM (landslides)")
MANIFEST_KEYS = ("name", "path", "kind", "units", "wavelength_m", "incidence_deg", "heading_deg", "los_east",
                 "los_north", "los_up", "look", "reference_date")
GEOMETRY_KEYS = ("incidence_deg", "heading_deg", "los_east", "los_north", "los_up")


@dataclass
class StackEntry:
    """A stack's files and the values the user gave for it (None = from the metadata)."""

    file: ms_io.StackFile
    given: dict


def _numbers(alg, parameters, name: str, context, n: int) -> list:
    """A comma-separated list of numbers: one per SERIES raster, or one for all; [] when empty."""
    text = alg.parameterAsString(parameters, name, context).strip() if given(parameters, name) else ""
    if not text:
        return []
    try:
        vals = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        raise GeohazardError(f"{name}: {text!r} is not a comma-separated list of numbers") from None
    rule = {INCIDENCES: INCIDENCE_DEG, HEADINGS: HEADING_DEG, WAVELENGTHS: WAVELENGTH_M}.get(name)
    for v in vals:
        check_scalar(name, v, rule)
    if len(vals) == 1:
        return vals * n
    if len(vals) != n:
        raise GeohazardError(f"{name}: {len(vals)} values for {n} SERIES raster(s); give one per raster, in the "
                             "order of SERIES, or one for all")
    return vals


def _layer_paths(alg, parameters, name: str, context) -> list:
    if not given(parameters, name):
        return []
    return [p.split("|")[0] for p in raster_list_paths(alg, parameters, name, context)]


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


def read_manifest(path: str) -> list:
    """Rows of a manifest: a CSV with a header or a JSON list (or ``{"stacks": [...]}``) of objects with the keys
    :data:`MANIFEST_KEYS`; relative paths are relative to the manifest."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read()
    except OSError as exc:
        raise GeohazardError(f"MANIFEST: cannot read {path!r} ({exc})") from None
    if path.lower().endswith(".json") or text.lstrip().startswith(("[", "{")):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise GeohazardError(f"MANIFEST: {os.path.basename(path)} is not valid JSON ({exc})") from None
        rows = data.get("stacks") if isinstance(data, dict) else data
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise GeohazardError("MANIFEST: expected a JSON list of objects, one per stack (or {\"stacks\": [...]})")
    else:
        rows = [dict(r) for r in csv.DictReader(text.splitlines())]
    base = os.path.dirname(os.path.abspath(path))
    out = []
    for i, r in enumerate(rows):
        r = {str(k).strip().lower(): (v.strip() if isinstance(v, str) else v) for k, v in r.items() if k}
        unknown = sorted(set(r) - set(MANIFEST_KEYS))
        if unknown:
            raise GeohazardError(f"MANIFEST row {i + 1}: unknown column(s) {unknown}; expected {list(MANIFEST_KEYS)}")
        if not r.get("path"):
            raise GeohazardError(f"MANIFEST row {i + 1}: no path (a series raster, a folder of interferograms or "
                                 "interferogram rasters separated by ';')")
        paths = [p.strip() for p in str(r["path"]).split(";") if p.strip()]
        r["path"] = [p if os.path.isabs(p) else os.path.join(base, p) for p in paths]
        for key in GEOMETRY_KEYS + ("wavelength_m",):
            v = r.get(key)
            if v in (None, ""):
                r.pop(key, None)
                continue
            try:
                r[key] = float(v)
            except (TypeError, ValueError):
                if key == "wavelength_m":
                    raise GeohazardError(f"MANIFEST row {i + 1}: wavelength_m {v!r} is not a number (metres)") from None
                r[key] = v if os.path.isabs(str(v)) else os.path.join(base, str(v))  # a raster
        out.append(r)
    if not out:
        raise GeohazardError(f"MANIFEST: {os.path.basename(path)} lists no stack")
    return out


def gather(alg, parameters, context) -> list:
    """The stacks of SERIES and MANIFEST with the values given for each (not yet checked against metadata)."""
    entries = []
    series = _layer_paths(alg, parameters, SERIES, context)
    n = len(series)
    inc, head, wl = (_numbers(alg, parameters, k, context, n) for k in (INCIDENCES, HEADINGS, WAVELENGTHS))
    inc_r, head_r = (_layer_paths(alg, parameters, k, context) for k in (INCIDENCE_RASTERS, HEADING_RASTERS))
    for key, lst in ((INCIDENCE_RASTERS, inc_r), (HEADING_RASTERS, head_r)):
        if lst and len(lst) != n:
            raise GeohazardError(f"{key}: {len(lst)} raster(s) for {n} SERIES raster(s); give one per SERIES raster, "
                                 "in the same order")
    look = ["right", "left"][alg.parameterAsEnum(parameters, "LOOK", context)]
    names = []
    for i, path in enumerate(series):
        name = _stem(path)
        while name in names:
            name += f"_{i + 1}"
        names.append(name)
        g = {"look": look}
        if inc_r:
            g["incidence_deg"] = inc_r[i]
        elif inc:
            g["incidence_deg"] = inc[i]
        if head_r:
            g["heading_deg"] = head_r[i]
        elif head:
            g["heading_deg"] = head[i]
        if wl:
            g["wavelength_m"] = wl[i]
        entries.append(StackEntry(ms_io.series_file(path, name), g))
    if given(parameters, MANIFEST):
        manifest = alg.parameterAsFile(parameters, MANIFEST, context)
        for i, r in enumerate(read_manifest(manifest)):
            name = str(r.get("name") or _stem(r["path"][0]))
            if name in names:
                raise GeohazardError(f"MANIFEST row {i + 1}: a stack is already named {name!r}; names must be unique")
            names.append(name)
            kind = str(r.get("kind") or "").lower()
            if kind not in ("", "series", "interferograms"):
                raise GeohazardError(f"MANIFEST row {i + 1} ({name!r}): kind must be 'series' or 'interferograms', "
                                     f"got {kind!r}")
            if not kind:
                kind = "interferograms" if (len(r["path"]) > 1 or os.path.isdir(r["path"][0])) else "series"
            for p in r["path"]:
                if not os.path.exists(p):
                    raise GeohazardError(f"MANIFEST row {i + 1} ({name!r}): {p!r} does not exist")
            if kind == "series":
                if len(r["path"]) != 1:
                    raise GeohazardError(f"MANIFEST row {i + 1} ({name!r}): a series stack is one raster, got "
                                         f"{len(r['path'])} paths")
                f = ms_io.series_file(r["path"][0], name)
            else:
                f = ms_io.interferogram_files(r["path"], name)
            g = {k: r[k] for k in GEOMETRY_KEYS + ("wavelength_m", "units", "look", "reference_date") if r.get(k)}
            g.setdefault("look", look)
            entries.append(StackEntry(f, g))
    if not entries:
        raise GeohazardError(f"no stack was given: give {SERIES} (per-date LOS series rasters) and/or a {MANIFEST}")
    return entries


def _log(log, text, warn=False):
    if log is not None:
        (log.push_warning if warn else log.push_info)(text)


def resolve(entries: list, log=None) -> list:
    """Each stack's units, wavelength, look and geometry from the values given, else its metadata; a typed value
    that contradicts the metadata is warned about naming both; no geometry at all is refused."""
    out = []
    for e in entries:
        f, g = e.file, dict(e.given)
        for key, meta in (("incidence_deg", f.incidence_deg), ("heading_deg", f.heading_deg),
                          ("wavelength_m", f.wavelength_m)):
            typed = g.get(key)
            if isinstance(typed, float) and meta is not None and not math.isclose(typed, meta, rel_tol=1e-3,
                                                                                  abs_tol=1e-6):
                _log(log, f"stack {f.name!r}: {key} {typed:g} given, its metadata ({f.metadata_source}) says "
                          f"{meta:g}; using {typed:g}", warn=True)
            if typed is None and meta is not None:
                g[key] = meta
        units = g.get("units") or f.units
        if units is None:
            units = "mm" if f.kind == "series" else "rad"
            _log(log, f"stack {f.name!r}: no UNIT in its metadata; read as "
                      + ("LOS mm (positive toward the satellite)" if units == "mm" else
                         "unwrapped phase in radians (growing with range, as the stack tools read interferograms)"))
        g["units"] = units
        if "look" not in g or g["look"] is None:
            g["look"] = f.look or "right"
        has_angles = g.get("incidence_deg") is not None and g.get("heading_deg") is not None
        has_vec = all(g.get(k) is not None for k in ("los_east", "los_north", "los_up"))
        if not has_angles and not has_vec:
            raise GeohazardError(
                f"stack {f.name!r} has no geometry: its metadata has no INCIDENCE_DEG / HEADING_DEG; give "
                f"{INCIDENCES} and {HEADINGS} (degrees, one per SERIES raster) or {INCIDENCE_RASTERS} and "
                f"{HEADING_RASTERS}, or incidence_deg/heading_deg (or los_east/los_north/los_up) in the {MANIFEST}")
        out.append(StackEntry(f, g))
    return out


def reference_rc(alg, parameters, context, grid: ms_io.Grid) -> Optional[tuple]:
    """The pixel of REFERENCE on the output grid, or None."""
    if not given(parameters, "REFERENCE"):
        return None
    crs = QgsCoordinateReferenceSystem.fromWkt(grid.crs_wkt) if grid.crs_wkt else QgsCoordinateReferenceSystem()
    pt = alg.parameterAsPoint(parameters, "REFERENCE", context, crs)
    r, c = grid.pixel_of(pt.x(), pt.y())
    if not (0 <= r < grid.height and 0 <= c < grid.width):
        raise GeohazardError(f"REFERENCE: the point ({pt.x():.6f}, {pt.y():.6f}) lies outside the output grid "
                             f"({grid.height} rows x {grid.width} columns)")
    return r, c


def _to_mm(values: np.ndarray, units: str, wavelength_m: Optional[float]) -> np.ndarray:
    if units == "m":
        return values * 1000.0
    if units == "rad":
        return phase_to_los_mm(values, float(wavelength_m), phase_sign=-1) if wavelength_m else values
    return values


def core_stacks(entries: list, grid: ms_io.Grid, folder: ms_io.GridFolder, ref: Optional[tuple], log=None) -> list:
    """Core :class:`Stack` objects whose values and per-pixel rasters are block sources on the output grid; with a
    common reference pixel, each stack's values there (checked inside the stack and valid)."""
    from ...algorithms.timeseries.multisensor import Stack, check_spatial_overlap

    stacks, footprints = [], {}
    for e in entries:
        f, g = e.file, e.given
        footprints[f.name] = ms_io.footprint(f.info, grid)
        geo = {}
        for key in GEOMETRY_KEYS:
            v = g.get(key)
            if isinstance(v, str):
                geo[key] = ms_io.raster_on_grid(folder.on_grid(v, f"stack {f.name!r} {key}"), f"{f.name}:{key}")
            elif v is not None:
                geo[key] = float(v)
        wl = g.get("wavelength_m")
        if f.kind == "series":
            values = ms_io.series_source(folder.on_grid(f.paths[0], f"stack {f.name!r}"), f.name)
            kw = {"dates": f.dates}
        else:
            paths = [folder.on_grid(p, f"stack {f.name!r}") for p in f.paths]
            pairs, values = ms_io.interferogram_source(paths, f.name, wl)
            kw = {"pairs": pairs}
        ref_values = None
        if ref is not None:
            r, c = ref
            if not footprints[f.name][r, c]:
                raise GeohazardError(f"REFERENCE: the reference point (row {r}, column {c} of the output grid) lies "
                                     f"outside stack {f.name!r}; choose a point every stack covers")
            raw = ms_io.pixel_values(values, r, c, grid.width)
            if not np.isfinite(raw).all():
                raise GeohazardError(f"REFERENCE: stack {f.name!r} has no data at the reference point on "
                                     f"{int((~np.isfinite(raw)).sum())} of its {raw.size} bands; choose a pixel "
                                     "valid in every stack")
            ref_values = _to_mm(raw, g["units"], wl)
        stacks.append(Stack(f.name, values=values, units=g["units"], wavelength_m=wl, look=g["look"],
                            reference_values=ref_values, **kw, **geo))
    check_spatial_overlap(footprints)
    return stacks


def north_model(alg, parameters, context, grid: ms_io.Grid, folder: ms_io.GridFolder) -> NorthModel:
    from ...algorithms.timeseries.multisensor import NorthModel

    mode = alg.parameterAsEnum(parameters, NORTH, context)
    if mode == 0:
        return NorthModel("zero")
    if mode == 1:
        sigma = alg.parameterAsDouble(parameters, NORTH_SIGMA, context)
        if given(parameters, NORTH_RASTER):
            path = alg.parameterAsRasterLayer(parameters, NORTH_RASTER, context).source()
            vel = ms_io.raster_on_grid(folder.on_grid(path, NORTH_RASTER), "north:velocity_mm_yr")
            return NorthModel("given", velocity_mm_yr=vel, sigma_mm_yr=sigma)
        return NorthModel("given", velocity_mm_yr=alg.parameterAsDouble(parameters, NORTH_VELOCITY, context),
                          sigma_mm_yr=sigma)
    if not given(parameters, "DEM"):
        raise GeohazardError(f"{NORTH}: the downslope constraint needs a DEM (slope and aspect)")
    dem = alg.parameterAsRasterLayer(parameters, "DEM", context).source()
    slope, aspect = ms_io.slope_and_aspect(folder.on_grid(dem, "DEM"), grid)
    return NorthModel("slope", slope_deg=slope, aspect_deg=aspect)


def reference_date(alg, parameters, context):
    text = alg.parameterAsString(parameters, "REFERENCE_DATE", context).strip() \
        if given(parameters, "REFERENCE_DATE") else ""
    if not text:
        return None
    try:
        return parse_date(text)
    except GeohazardError:
        raise GeohazardError(f"REFERENCE_DATE: cannot read a date from {text!r} (expected YYYY-MM-DD)") from None


def check(alg, parameters, context) -> None:
    """Cross-parameter checks before the run: some stack given, per-stack lists that fit SERIES, a readable
    reference date, a DEM for the downslope constraint."""
    if not given(parameters, SERIES) and not given(parameters, MANIFEST):
        raise GeohazardError(f"no stack was given: give {SERIES} (per-date LOS series rasters) and/or a {MANIFEST}")
    n = len(_layer_paths(alg, parameters, SERIES, context))
    for key in (INCIDENCES, HEADINGS, WAVELENGTHS):
        _numbers(alg, parameters, key, context, n)
    for key in (INCIDENCE_RASTERS, HEADING_RASTERS):
        lst = _layer_paths(alg, parameters, key, context)
        if lst and len(lst) != n:
            raise GeohazardError(f"{key}: {len(lst)} raster(s) for {n} SERIES raster(s); give one per SERIES raster, "
                                 "in the same order")
    reference_date(alg, parameters, context)
    if alg.parameterAsEnum(parameters, NORTH, context) == 2 and not given(parameters, "DEM"):
        raise GeohazardError(f"{NORTH}: the downslope constraint needs a DEM (slope and aspect)")
