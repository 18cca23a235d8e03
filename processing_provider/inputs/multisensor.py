"""Parameters of the multi-sensor east/up time-series tool into stacks, a north model and options.

Stacks come from SERIES (one raster of per-date LOS series per stack) and from a MANIFEST (CSV or JSON, one row
per stack; interferogram stacks enter there). Per stack, a value given to the tool wins over the file's metadata
(:mod:`..fileio.timeseries.multisensor`), and a contradiction is warned about naming both; a stack left without a
geometry, a date or a needed wavelength is refused, naming it.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from typing import Optional

from ...algorithms.errors import GeohazardError
from ...algorithms.formats import geometry_meta as gm
from ...algorithms.formats import producers
from ...algorithms.formats.dates import parse_date
from ...algorithms.formats.stack_names import RASTER_EXT
from ...algorithms.formats.wavelength import choose_wavelength
from ...algorithms.plausibility import HEADING_DEG, INCIDENCE_DEG, WAVELENGTH_M, angle_raster_problem, check_scalar
from ...algorithms.timeseries import multisensor as ms_core
from ...fileio.base.vector import file_layers
from ...fileio.motion.series_nc import split_source
from ...fileio.timeseries import multisensor as ms_io
from ...fileio.timeseries import multisensor_products as ms_prod
from ...fileio.timeseries import multisensortimeseries as ms_run
from . import delivered, ids
from .aliases import given
from .stacks import product_stack, raster_list_paths

SERIES, MANIFEST = "SERIES", "MANIFEST"
#: Neither of the two stack inputs given: the dialog's labels say "this or ... needed" and the refusal says the same.
NO_STACK = (f"no stack was given: LOS series rasters ({SERIES}) or a stack manifest ({MANIFEST}) is needed (one of "
            "the two, or both)")
INCIDENCES, HEADINGS, WAVELENGTHS = "INCIDENCES", "HEADINGS", "WAVELENGTHS"
INCIDENCE_RASTERS, HEADING_RASTERS = "INCIDENCE_RASTERS", "HEADING_RASTERS"
NORTH, NORTH_VELOCITY, NORTH_RASTER, NORTH_SIGMA = "NORTH", "NORTH_VELOCITY", "NORTH_RASTER", "NORTH_SIGMA"
REFERENCE_DATE, GAP_DAYS, MAX_BRIDGE_YEARS = "REFERENCE_DATE", "GAP_DAYS", "MAX_BRIDGE_YEARS"
TEMPLATE, RESAMPLING = "TEMPLATE", "RESAMPLING"
OUTPUT_UP, OUTPUT_EAST, OUTPUT_SIGMA_UP, OUTPUT_SIGMA_EAST = "OUTPUT_UP", "OUTPUT_EAST", "OUTPUT_SIGMA_UP", \
    "OUTPUT_SIGMA_EAST"
OUTPUT_VELOCITY, OUTPUT_QUALITY, OUTPUT_GAPS = "OUTPUT_VELOCITY", "OUTPUT_QUALITY", "OUTPUT_GAPS"
#: The tool's outputs (the report, a shared ID, last).
OUTPUTS = (OUTPUT_UP, OUTPUT_EAST, OUTPUT_SIGMA_UP, OUTPUT_SIGMA_EAST, OUTPUT_VELOCITY, OUTPUT_QUALITY, OUTPUT_GAPS,
           ids.OUTPUT_REPORT)
NORTH_MODES = ("neglected (north = 0)", "a north velocity (NORTH_VELOCITY/_RASTER)",
               "downslope direction of the DEM (landslides)")
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
        _check_angle(name, v, {INCIDENCES: "incidence", HEADINGS: "heading"}.get(name))
    if len(vals) == 1:
        return vals * n
    if len(vals) != n:
        raise GeohazardError(f"{name}: {len(vals)} values for {n} SERIES raster(s); give one per raster, in the "
                             "order of SERIES, or one for all")
    return vals


def _check_angle(label: str, value, kind: Optional[str]) -> None:
    """A typed incidence or heading that looks like radians (or is out of range) is refused naming ``label``."""
    if kind is None or value is None:
        return
    problem = angle_raster_problem(kind, float(value), float(value))
    if problem:
        raise GeohazardError(f"{label}: {problem}")


def _layer_paths(alg, parameters, name: str, context) -> list:
    """The rasters of a list parameter as read (a MintPy HDF5 result through its GeoTIFF, :mod:`.delivered`)."""
    if not given(parameters, name):
        return []
    return [delivered.resolve(alg, name, p) if delivered.is_product(p) else p.split("|")[0]
            for p in raster_list_paths(alg, parameters, name, context)]


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
    for key, lst, kind in ((INCIDENCE_RASTERS, inc_r, "incidence"), (HEADING_RASTERS, head_r, "heading")):
        if lst and len(lst) != n:
            raise GeohazardError(f"{key}: {len(lst)} raster(s) for {n} SERIES raster(s); give one per SERIES raster, "
                                 "in the same order")
        for path in dict.fromkeys(lst):
            ms_io.check_angle_raster(path, kind, key)
    look = ["right", "left"][alg.parameterAsEnum(parameters, ids.LOOK, context)]
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
        for i, r in _egms_tracks(read_manifest(manifest)):
            name = str(r.get("name") or _stem(r["path"][0]))
            if name in names:
                raise GeohazardError(f"MANIFEST row {i + 1}: a stack is already named {name!r}; names must be unique")
            names.append(name)
            kind = str(r.get("kind") or "").lower()
            if kind not in ("", "series", "interferograms", "points"):
                raise GeohazardError(f"MANIFEST row {i + 1} ({name!r}): kind must be 'series', 'interferograms' or "
                                     f"'points' (EGMS), got {kind!r}")
            for p in r["path"]:
                if not os.path.exists(p.split("|")[0]):
                    raise GeohazardError(f"MANIFEST row {i + 1} ({name!r}): {p!r} does not exist")
            f = _delivered_row(alg, context, r, i, name, kind) or _plain_row(r, i, name, kind)
            g = {k: r[k] for k in GEOMETRY_KEYS + ("wavelength_m", "units", "look", "reference_date") if r.get(k)}
            if f.los_raster and not any(k in g for k in GEOMETRY_KEYS):
                g.update({k: f.los_raster for k in _VECTOR})
            g.setdefault("look", look)
            if "wavelength_m" in g:
                check_scalar(f"{MANIFEST} row {i + 1} ({name!r}) wavelength_m", g["wavelength_m"], WAVELENGTH_M)
            for key, kind in (("incidence_deg", "incidence"), ("heading_deg", "heading")):
                where = f"{MANIFEST} row {i + 1} ({name!r}) {key}"
                if isinstance(g.get(key), str):
                    ms_io.check_angle_raster(g[key], kind, where)
                elif key in g:
                    check_scalar(where, g[key], INCIDENCE_DEG if kind == "incidence" else HEADING_DEG)
                    _check_angle(where, g[key], kind)
            entries.append(StackEntry(f, g))
    if not entries:
        raise GeohazardError(NO_STACK)
    _refuse_files_given_twice(entries)
    return entries


def _egms_tracks(rows: list):
    """``(row index, row)`` of the manifest, a row naming a GeoPackage of EGMS tracks (``geohazard:loadegms``'s output,
    one point layer per track) given once per track: named ``<name>:<layer>`` (``<layer>`` without a name), its path
    ``file.gpkg|layername=<layer>``. A row that names one layer (``|layername=``) or a GeoPackage of one point layer
    stays one stack; one whose GeoPackage has no such layer is refused naming the layers it has."""
    for i, r in enumerate(rows):
        kind = str(r.get("kind") or "").lower()
        paths = r["path"]
        path, layer = split_source(paths[0]) if len(paths) == 1 else ("", "")
        if kind not in ("", "points") or not path.lower().endswith(ms_prod.EGMS_LAYER_SUFFIXES) \
                or not os.path.isfile(path):
            yield i, r
            continue
        tracks = ms_prod.egms_layers(paths[0])
        if not tracks:
            have = ", ".join(f"{n} ({k or 'no geometry'})" for n, k, _ in file_layers(path)) or "none"
            raise GeohazardError(f"MANIFEST row {i + 1}: {os.path.basename(path)} has no point layer"
                                 + (f" named {layer!r}" if layer else "") + f" (its layers: {have}); give the "
                                 "GeoPackage Load EGMS wrote (one point layer per track), or one of its layers as "
                                 "file.gpkg|layername=<layer>")
        if len(tracks) == 1:
            yield i, {**r, "path": tracks}
            continue
        for uri in tracks:
            track = split_source(uri)[1]
            yield i, {**r, "path": [uri], "name": f"{r['name']}:{track}" if r.get("name") else track}


def _delivered_row(alg, context, r: dict, i: int, name: str, kind: str):
    """The stack of a manifest row given as its producer delivers it, or None (plain rasters): a LiCSAR frame or HyP3
    products (through the stack-spec reader of every stack tool, :func:`.stacks.product_stack`), a MintPy
    ``timeseries.h5`` (read through its GeoTIFF, :mod:`.delivered`), EGMS L2a/L2b points (gridded,
    :func:`~fileio.timeseries.multisensor_products.egms_file`)."""
    paths, where = r["path"], f"{MANIFEST} row {i + 1} ({name!r})"
    if kind in ("", "points") and len(paths) == 1 and ms_prod.is_egms_file(paths[0]):
        f, los = ms_prod.egms_file(paths[0], name, delivered.scratch_folder())
        f.los_raster = los
        return f
    if kind in ("", "points") and len(paths) == 1 and paths[0].split("|")[0].lower().endswith(
            ms_prod.EGMS_LAYER_SUFFIXES):
        f, los = ms_prod.egms_layer_file(paths[0], name, delivered.scratch_folder())
        f.los_raster = los
        return f
    if kind in ("", "series") and len(paths) == 1 and delivered.is_product(paths[0]):
        return ms_io.series_file(delivered.resolve(alg, SERIES, paths[0]), name)
    if kind in ("", "interferograms"):
        product = product_stack(alg, {where: list(paths)}, context, name=where)
        if product is not None:
            return ms_prod.product_file(product, name)
    return None


def _plain_row(r: dict, i: int, name: str, kind: str):
    """The stack of a manifest row of plain files: a series raster, or interferogram rasters (a folder or a list)."""
    where = f"{MANIFEST} row {i + 1} ({name!r})"
    if kind == "points":
        raise GeohazardError(f"{where}: kind is points but {r['path'][0]!r} is not an EGMS L2a/L2b point file (its "
                             "zip or CSV as downloaded)")
    if not kind:
        kind = "interferograms" if (len(r["path"]) > 1 or os.path.isdir(r["path"][0])) else "series"
    if kind == "interferograms":
        return ms_io.interferogram_files(r["path"], name)
    if os.path.isdir(r["path"][0]):
        raise GeohazardError(f"{where}: kind is series but {r['path'][0]!r} is a folder; a series stack is one raster "
                             "(a folder holds interferograms: kind interferograms)")
    if len(r["path"]) != 1:
        raise GeohazardError(f"{where}: a series stack is one raster, got {len(r['path'])} paths")
    return ms_io.series_file(r["path"][0], name)


def _refuse_files_given_twice(entries: list) -> None:
    """A file read by two stacks (the same series twice, an interferogram in two stacks) is refused: its data would
    count twice and every sigma would come out too small."""
    seen: dict = {}
    for e in entries:
        f = e.file
        for p in f.paths:
            real = os.path.realpath(p)
            other = seen.get(real)
            if other is not None and other != f.name:
                what = "is" if f.kind == "series" else "reads"
                raise GeohazardError(
                    f"stack {f.name!r} {what} {os.path.basename(p)}, the same file as stack {other!r}: a stack given "
                    "twice counts its data twice and every sigma comes out too small; give each stack once")
            seen[real] = f.name
        g = e.given
        rasters = {k: os.path.realpath(v) for k, v in g.items() if k in GEOMETRY_KEYS and isinstance(v, str)}
        if "incidence_deg" in rasters and rasters.get("incidence_deg") == rasters.get("heading_deg"):
            raise GeohazardError(f"stack {f.name!r}: its incidence and heading are the same raster "
                                 f"({os.path.basename(g['incidence_deg'])}); give one raster of each")


def input_raster_files(alg, parameters, context) -> dict:
    """The rasters a MANIFEST names (series, interferograms of its folders, geometry rasters), for the guard: an
    output is never written over one of them. ``{}`` when there is no manifest or it cannot be read (the run's
    own checks then say why)."""
    if not given(parameters, MANIFEST):
        return {}
    try:
        rows = read_manifest(alg.parameterAsFile(parameters, MANIFEST, context))
    except GeohazardError:
        return {}

    files = []
    for r in rows:
        listed = []
        for p in r["path"]:
            if os.path.isdir(p):  # a product's files lie in subfolders (LiCSAR's GEOC/<pair>/)
                listed += sorted(os.path.join(root, f) for root, _, names in os.walk(p) for f in names
                                 if f.lower().endswith(RASTER_EXT))
            elif p.lower().endswith(RASTER_EXT):  # not a product's zip, an EGMS CSV, a MintPy file
                listed.append(p)
        containers = [f for f in listed if _netcdf_product(f)]
        if containers:  # GUNW / DISP-S1 netCDF: the guard checks the pairs the stack reader makes of them
            try:
                product = product_stack(alg, {MANIFEST: list(r["path"])}, context, MANIFEST)
            except GeohazardError:
                product = None  # the run's own reading names the file
            listed = [f for f in listed if f not in containers]
            listed += list(product.ifg_paths) + list(product.coh_paths) if product is not None else []
        files += listed + [v for k, v in r.items() if k in GEOMETRY_KEYS and isinstance(v, str)]
    return {MANIFEST: list(dict.fromkeys(f for f in files if os.path.exists(f)))}


def _netcdf_product(path: str) -> bool:
    """A netCDF file that holds a whole product by its name (ARIA GUNW, OPERA DISP-S1: the producers that declare
    a ``container_name``), read by the stack reader, not GDAL's raster view."""
    return producers.container_producer(os.path.basename(path)) is not None


def _log(log, text, warn=False):
    if log is not None:
        (log.push_warning if warn else log.push_info)(text)


def resolve(entries: list, log=None) -> list:
    """Each stack's units, wavelength, look and geometry from the values given, else its metadata; a typed value
    that contradicts the metadata is warned about naming both; no geometry at all is refused."""
    out = []
    for e in entries:
        f, g = e.file, dict(e.given)
        for key in ("incidence_deg", "heading_deg", "wavelength_m"):  # the rule of every tool: typed > metadata
            typed, meta = g.get(key), getattr(f, key)
            if isinstance(typed, str) or (typed is None and meta is None):
                continue  # a raster, or nothing: the geometry check below names what to give
            found = [] if meta is None else [(f"{f.metadata_source} ({key})", meta)]
            where = f"stack {f.name!r} {key}"
            choice = choose_wavelength(typed, found, parameter=where) if key == "wavelength_m" else \
                gm.choose_value(gm.INCIDENCE if key == "incidence_deg" else gm.HEADING, typed, found, parameter=where)
            for w in choice.warnings:
                _log(log, w, warn=True)
            g[key] = choice.wavelength_m if key == "wavelength_m" else choice.value
        if f.product is not None:
            f.product.log(log, f"stack {f.name!r}")
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
        if has_vec:
            g["bands"] = _los_bands(f.name, g, log)
        _check_dates(f)
        if f.dropped:
            _log(log, f"stack {f.name!r}: {len(f.dropped)} raster(s) of its folder "
                      f"{os.path.basename(os.path.dirname(f.dropped[0]))} left out, their names hold no date pair "
                      f"(YYYYMMDD_YYYYMMDD) of an interferogram: {', '.join(os.path.basename(p) for p in f.dropped)}",
                 warn=True)
        out.append(StackEntry(f, g))
    if len(out) == 1:
        raise GeohazardError(f"one stack was given ({out[0].file.name!r}): east and up need at least two stacks that "
                             "look at the ground from different directions (ascending and descending); for one stack, "
                             "losvelocitytovertical gives the vertical motion assuming no horizontal motion")
    return out


_VECTOR = ("los_east", "los_north", "los_up")


def _los_bands(name: str, g: dict, log=None) -> dict:
    """The band of each LOS-vector raster: 1, except one raster given as all three components, whose bands 1, 2, 3
    are east, north and up (in the order its band descriptions name them, when they do). One raster given as two of
    the components, or a raster of fewer than three bands as all three, is refused."""
    paths = {k: g[k] for k in _VECTOR if isinstance(g.get(k), str)}
    real = {k: os.path.realpath(v) for k, v in paths.items()}
    if len(set(real.values())) == len(real):
        return {k: 1 for k in paths}
    if len(real) == 3 and len(set(real.values())) == 1:
        path = paths["los_east"]
        info = ms_io.raster_info(path, f"stack {name!r} los_east")
        if info.count < 3:
            raise GeohazardError(f"stack {name!r}: los_east, los_north and los_up are the same raster "
                                 f"({os.path.basename(path)}, {info.count} band(s)); give one raster per component, "
                                 "or one raster whose bands 1, 2, 3 are east, north and up")
        desc = [str(d or "").strip().lower() for d in info.descriptions[:3]]
        found = {k: next((i + 1 for i, d in enumerate(desc) if k.split("_")[1] in d.replace("los_", "")), None)
                 for k in _VECTOR}
        bands = found if sorted(b for b in found.values() if b) == [1, 2, 3] else {k: i + 1 for i, k in
                                                                              enumerate(_VECTOR)}
        _log(log, f"stack {name!r}: {os.path.basename(path)} given as los_east, los_north and los_up: east, north "
                  f"and up read from its bands {bands['los_east']}, {bands['los_north']} and {bands['los_up']}"
                  f"{' (as its band descriptions name them)' if found == bands else ''}")
        return bands
    same = [k for k in paths if list(real.values()).count(real[k]) > 1]
    raise GeohazardError(f"stack {name!r}: {' and '.join(same)} are the same raster "
                         f"({os.path.basename(paths[same[0]])}); give one raster per component (or one raster of "
                         "three bands, east, north and up, as all three)")


def _check_dates(f) -> None:
    """A stack with fewer dates than a pixel needs to use it is refused (its pixels would come out empty)."""

    n = len(f.dates) if f.kind == "series" else len({d for pair in f.pairs for d in pair})
    if n < ms_core.MIN_DATES:
        raise GeohazardError(f"stack {f.name!r} has {n} dates; a stack enters the solution with at least "
                             f"{ms_core.MIN_DATES} dates (fewer cannot give its noise and motion): add dates to it or "
                             "leave it out")


def reference_date(alg, parameters, context):
    text = alg.parameterAsString(parameters, REFERENCE_DATE, context).strip() \
        if given(parameters, REFERENCE_DATE) else ""
    if not text:
        return None
    try:
        return parse_date(text)
    except GeohazardError:
        raise GeohazardError(f"REFERENCE_DATE: cannot read a date from {text!r} (expected YYYY-MM-DD)") from None


def asked(parameters, key: str) -> bool:
    """True when the output ``key`` is asked for (a path, a temporary output, a layer definition with a sink)."""
    from qgis.core import QgsProcessingOutputLayerDefinition

    value = parameters.get(key)
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        value = value.sink.staticValue()
    return value is not None and bool(str(value).strip())


def check(alg, parameters, context) -> None:
    """Cross-parameter checks before the run: some output asked for, some stack given, per-stack lists that fit
    SERIES, a readable reference date, a DEM for the downslope constraint."""
    if not any(asked(parameters, k) for k in OUTPUTS):
        raise GeohazardError("no output was asked for: give at least one of " + ", ".join(OUTPUTS))
    if not given(parameters, SERIES) and not given(parameters, MANIFEST):
        raise GeohazardError(NO_STACK)
    n = len(_layer_paths(alg, parameters, SERIES, context))
    for key in (INCIDENCES, HEADINGS, WAVELENGTHS):
        _numbers(alg, parameters, key, context, n)
    for key in (INCIDENCE_RASTERS, HEADING_RASTERS):
        lst = _layer_paths(alg, parameters, key, context)
        if lst and len(lst) != n:
            raise GeohazardError(f"{key}: {len(lst)} raster(s) for {n} SERIES raster(s); give one per SERIES raster, "
                                 "in the same order")
    reference_date(alg, parameters, context)
    if alg.parameterAsEnum(parameters, NORTH, context) == 2 and not given(parameters, ids.DEM):
        raise GeohazardError(f"{NORTH}: the downslope constraint needs a DEM (slope and aspect)")


def north(alg, parameters, context):
    """The north model as given (:class:`~...fileio.timeseries.multisensortimeseries.North`): NORTH's choice, the
    velocity or its raster and sigma, the DEM for the downslope constraint."""
    mode = ms_run.NORTH_MODES[alg.parameterAsEnum(parameters, NORTH, context)]
    raster = alg.parameterAsRasterLayer(parameters, NORTH_RASTER, context).source() \
        if mode == "given" and given(parameters, NORTH_RASTER) else ""
    dem = alg.parameterAsRasterLayer(parameters, ids.DEM, context).source() \
        if mode == "slope" and given(parameters, ids.DEM) else ""
    return ms_run.North(mode=mode, velocity_mm_yr=alg.parameterAsDouble(parameters, NORTH_VELOCITY, context),
                        raster=raster, sigma_mm_yr=alg.parameterAsDouble(parameters, NORTH_SIGMA, context), dem=dem)


def reference_point(alg, parameters, context):
    """REFERENCE as ``(x, y, its CRS's WKT)`` (the grid's CRS, known in the run, when it names none), or None."""
    if not given(parameters, ids.REFERENCE):
        return None
    pt = alg.parameterAsPoint(parameters, ids.REFERENCE, context)
    crs = alg.parameterAsPointCrs(parameters, ids.REFERENCE, context)
    return float(pt.x()), float(pt.y()), crs.toWkt() if crs.isValid() else ""
