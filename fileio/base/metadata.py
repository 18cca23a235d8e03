"""Metadata the rasters and HDF5 stacks carry: read for the rules that use it (the wavelength rule, the
acquisition geometry's rule), the geometry a stack tool's outputs carry on, and the processing history every
raster output carries (``PROCESSING_HISTORY``)."""

from __future__ import annotations

import os
import re
from typing import Iterable, Optional

from osgeo import gdal

from ...algorithms.errors import GeohazardError
from ...algorithms.formats import geometry_meta as gm
from ...algorithms.formats.dates import parse_date
from ...algorithms.formats.stack_names import RASTER_EXT
from ...algorithms.formats.wavelength import WavelengthChoice, choose_wavelength, collect, single_wavelength
from .probe import known_header, quiet_gdal_reads, raster_metadata


def geotiff_metadata(paths: Iterable[str]):
    """``(file name, default-domain metadata dict)`` of each raster (header only; during a tool run, what the
    input guard read, :func:`.probe.run_headers`)."""
    for path in paths:
        header = known_header(path)
        if header is not None and "metadata" in header:
            md = dict(header["metadata"])
        else:
            # a file GDAL does not open (GAMMA's headerless .unw beside its parameter files, read through a VRT by
            # the stack reader) carries no metadata of its own
            with quiet_gdal_reads():
                try:
                    ds = gdal.Open(path)
                except RuntimeError:
                    ds = None
            md = raster_metadata(ds) if ds is not None else {}
            ds = None
        yield os.path.basename(path), md or {}


def wavelength_choice(user_m: Optional[float], *, rasters: Iterable[str] = (), attributes: Iterable = (),
                      parameter: str = "WAVELENGTH_M", log=None) -> WavelengthChoice:
    """The wavelength rule applied to ``user_m`` (the value the user gave, or None) and the metadata of
    ``rasters`` / ``attributes`` (``(name, mapping)`` pairs, e.g. a MintPy file's attributes); the choice
    and its warnings are logged on ``log`` (``push_info`` / ``push_warning``)."""
    found, problems = collect(list(geotiff_metadata(rasters)) + list(attributes))
    choice = choose_wavelength(user_m, found, parameter=parameter, problems=problems)
    if log is not None:
        log.push_info(choice.message)
        for w in choice.warnings:
            log.push_warning(w)
    return choice


def carried_wavelength(paths: Iterable[str]) -> dict:
    """``{"WAVELENGTH_M": value}`` for the outputs of a tool that keeps phase in radians (phase linking,
    unwrapping) when its inputs carry a wavelength, so the step that converts to millimetres later uses it;
    ``{}`` when they carry none; refused when they carry different ones
    (:func:`~algorithms.formats.wavelength.single_wavelength`)."""
    value = single_wavelength(*collect(list(geotiff_metadata(paths))))
    return {"WAVELENGTH_M": f"{value:.10g}"} if value is not None else {}


#: Dataset metadata item holding the processing history: one step per line, oldest first.
HISTORY_KEY = "PROCESSING_HISTORY"
#: Steps kept (the oldest are dropped beyond; a chain of a few dozen steps fits).
MAX_HISTORY_STEPS = 50


def _first_rasters(paths: Iterable[str], limit: int = 8) -> list:
    """Up to ``limit`` raster files among ``paths`` (a folder contributes its first raster by name)."""
    out = []
    for p in paths:
        if len(out) >= limit:
            break
        if os.path.isdir(p):
            names = sorted(n for n in os.listdir(p) if n.lower().endswith(RASTER_EXT))
            if names:
                out.append(os.path.join(p, names[0]))
        elif os.path.isfile(p) and p.lower().endswith(RASTER_EXT):
            out.append(p)
    return out


def inherited_history(input_paths: Iterable[str]) -> list:
    """The steps of the inputs' processing histories (first raster inputs read, steps in order, each once)."""
    steps: list = []
    for _, md in geotiff_metadata(_first_rasters(input_paths)):
        for line in (md.get(HISTORY_KEY) or "").splitlines():
            line = line.strip()
            if line and line not in steps:
                steps.append(line)
    return steps


def stamp_history(output_paths: Iterable[str], steps: list) -> int:
    """Write ``steps`` (oldest first) as the ``PROCESSING_HISTORY`` of every GeoTIFF among ``output_paths``;
    returns how many were stamped. Other formats are left as written, and so is a file that is a link (an
    output folder may link the inputs it keeps unchanged: writing there would change the input)."""
    text = "\n".join(steps[-MAX_HISTORY_STEPS:])
    n = 0
    for _, ds in _own_geotiffs(output_paths):
        ds.SetMetadataItem(HISTORY_KEY, text)
        ds = None
        n += 1
    return n


def _own_geotiffs(paths: Iterable[str]):
    """``(path, dataset opened for update)`` of each GeoTIFF among ``paths`` that is a file of its own: a link, or
    a file with another name (hard link), is left alone (an output folder may link the inputs it keeps unchanged:
    writing there would change the input). The caller drops the dataset (``ds = None``) to write it."""
    for path in paths:
        if not path.lower().endswith((".tif", ".tiff")) or not os.path.isfile(path) or os.path.islink(path) \
                or os.stat(path).st_nlink > 1:
            continue
        ds = gdal.OpenEx(path, gdal.OF_RASTER | gdal.OF_UPDATE)
        if ds is not None:
            yield path, ds
            ds = None


def plugin_version() -> str:
    """The plugin's version from its metadata.txt ("" when it cannot be read)."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "metadata.txt")
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("version="):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return ""


# ---------------------------------------------------------------------------------------------- geometry


def raster_files(paths: Iterable[str]) -> list:
    """The raster files among ``paths``, a folder contributing its rasters (sorted by name); each file once
    (a folder and the files listed from it name the same rasters)."""
    out, seen = [], set()
    # A run's input listing names every possible side-car of every input (~20 a file, most absent): one listing
    # of their folder tells which exist, instead of a stat each.
    names_in: dict = {}
    for p in paths:
        folder, base = _split(p)
        if base and folder not in names_in:
            try:
                names_in[folder] = set(os.listdir(folder or "."))
            except OSError:
                names_in[folder] = None
        if base and names_in[folder] is not None and base not in names_in[folder]:
            continue
        if p.lower().endswith(RASTER_EXT) and p not in seen and os.path.isfile(p):
            seen.add(p)
            out.append(p)
        elif os.path.isdir(p):
            for q in (os.path.join(p, n) for n in sorted(os.listdir(p)) if n.lower().endswith(RASTER_EXT)):
                if q not in seen:
                    seen.add(q)
                    out.append(q)
    return out


def _split(path: str) -> tuple:
    """``os.path.split(path)``; a path whose last separator is single is cut there at once (the listing of a run's
    inputs holds tens of thousands of side-car names)."""
    if os.sep == "/":
        head, _, tail = path.rpartition("/")
        if head and not head.endswith("/"):
            return head, tail
    return os.path.split(path)


def geometry_choice(key: str, user: Optional[float], *, rasters: Iterable[str] = (), attributes: Iterable = (),
                    parameter: str, default: Optional[float] = None, default_label: str = "default",
                    why_needed: str = "", log=None) -> gm.Choice:
    """The geometry rule (:func:`~algorithms.formats.geometry_meta.choose_value`) for the scene value ``key``
    (``INCIDENCE_DEG``, ``HEADING_DEG``, ``SLANT_RANGE_M``): ``user`` (None = not given) > the metadata of
    ``rasters`` / ``attributes`` (``(name, mapping)`` pairs) > ``default``; the choice and its warnings are
    logged on ``log`` (``push_info`` / ``push_warning``)."""
    q = gm.QUANTITIES[key]
    found, problems = gm.collect(q, list(geotiff_metadata(rasters)) + list(attributes))
    choice = gm.choose_value(q, user, found, parameter=parameter, problems=problems, default=default,
                             default_label=default_label, why_needed=why_needed)
    if log is not None:
        log.push_info(f"{q.name} {choice.value:.10g} {q.unit}: {choice.source}")
        for w in choice.warnings:
            log.push_warning(w)
    return choice


def pair_baselines(rasters: Iterable[str]) -> dict:
    """``{(earlier date, later date): (metres, file name)}`` of the interferograms among ``rasters`` that carry
    ``PERPENDICULAR_BASELINE_M``.

    Raises
    ------
    GeohazardError
        A value that is not a baseline in metres (the file named).
    """
    out: dict = {}
    for name, md in geotiff_metadata(rasters):
        hit = gm.pair_baseline_from_metadata(name, md)
        if hit is not None:
            out[hit[0]] = (hit[1], name)
    return out


def _agree_or_warn(user_vals, meta_vals, labels, *, parameter: str, where: str, log) -> Optional[str]:
    """A warning naming both sources when baselines given by the user and carried by the files differ by more
    than :data:`~algorithms.formats.geometry_meta.BASELINE_AGREE_M`."""
    import numpy as np

    diff = np.abs(np.asarray(user_vals, float) - np.asarray(meta_vals, float))
    if not diff.size or not np.nanmax(diff) > gm.BASELINE_AGREE_M:
        return None
    k = int(np.nanargmax(diff))
    text = (f"{parameter} disagrees with the inputs' metadata ({where}): {labels[k]} has {user_vals[k]:+.2f} m in "
            f"{parameter} but {meta_vals[k]:+.2f} m in the metadata ({int((diff > gm.BASELINE_AGREE_M).sum())} of "
            f"{diff.size} differ by more than {gm.BASELINE_AGREE_M:g} m); using {parameter}. Leave {parameter} empty "
            "to use the metadata")
    if log is not None:
        log.push_warning(text)
    return text


def stack_pair_baselines(user_table: Optional[dict], pairs: list, names: list, rasters: list, *,
                         parameter: str = "BASELINES", log=None):
    """Perpendicular baseline (m) of each interferogram of a stack (``pairs``: (earlier, later) dates in the order
    of ``names`` / ``rasters``), or None when neither ``user_table`` (``{pair: metres}`` read from the user's
    BASELINES files; None when not given) nor the interferograms' metadata give every one. The user's table wins;
    a disagreement with the metadata is a warning naming both."""
    import numpy as np

    try:
        carried = pair_baselines(rasters)
    except GeohazardError as exc:  # a tool that does not need the baselines still runs
        if log is not None:
            log.push_warning(f"{exc}; the interferograms' baselines metadata is not used")
        carried = {}
    meta = [carried[p][0] if p in carried else None for p in pairs]
    have_meta = all(v is not None for v in meta)
    if user_table is not None:
        user = np.array([user_table[p] for p in pairs])
        both = [k for k, v in enumerate(meta) if v is not None]
        if both:
            _agree_or_warn(user[both], [meta[k] for k in both], [names[k] for k in both], parameter=parameter,
                           where=f"{gm.PAIR_BASELINE_KEY} of the interferograms", log=log)
        return user
    if have_meta and pairs:
        if log is not None:
            log.push_info(f"perpendicular baselines of the {len(pairs)} interferograms: from the inputs' metadata "
                          f"({gm.PAIR_BASELINE_KEY})")
        return np.array(meta, float)
    return None


def series_date_baselines(path: str, dates: list):
    """The ``PERPENDICULAR_BASELINES_M`` a time series raster carries (one per band, m), or None."""
    name, md = next(geotiff_metadata([path]))
    return gm.date_baselines_from_metadata(name, md, len(dates))


def date_baselines_choice(user_m, *, series_path: str, dates: list, parameter: str = "BASELINES",
                          user_label: str = "", log=None) -> gm.Choice:
    """Perpendicular baseline of each date relative to the first (m): ``user_m`` (read from the user's files; None
    when not given) > the time series' ``PERPENDICULAR_BASELINES_M``; no default (a wrong baseline gives a wrong
    DEM error and a wrong correction).

    Raises
    ------
    GeohazardError
        Neither gives baselines: the message says what to give.
    """
    import numpy as np

    meta = series_date_baselines(series_path, dates)
    name = os.path.basename(series_path)
    if meta is not None:
        meta = np.asarray(meta, float) - meta[0]
    if user_m is not None:
        user_m = np.asarray(user_m, float)
        warn = _agree_or_warn(user_m, meta, [d.isoformat() for d in dates], parameter=parameter,
                              where=f"{name} {gm.DATE_BASELINES_KEY}", log=None) if meta is not None else None
        choice = gm.Choice(user_m, f"perpendicular baselines: given by {parameter}"
                           + (f" ({user_label})" if user_label else ""), [warn] if warn else [])
    elif meta is not None:
        choice = gm.Choice(meta, f"perpendicular baselines: from the inputs' metadata ({name} {gm.DATE_BASELINES_KEY})",
                           from_metadata=True)
    else:
        raise GeohazardError(f"{parameter}: the DEM-error correction needs the perpendicular baselines of the dates, "
                             f"and {name} carries none ({gm.DATE_BASELINES_KEY}); give them in {parameter} (CSV "
                             "date,bperp_m; MintPy timeseries.h5 / ifgramStack.h5; GAMMA .par; ISCE folder) or tag "
                             f"the interferograms with {gm.PAIR_BASELINE_KEY} before the SBAS step")
    if log is not None:
        log.push_info(choice.source)
        for w in choice.warnings:
            log.push_warning(w)
    return choice


def _band_dates(ds):
    return gm.parse_dates([ds.GetRasterBand(i + 1).GetDescription() for i in range(ds.RasterCount)]) \
        if ds.RasterCount > 1 else None


def carried_geometry(input_paths: Iterable[str], known: Optional[dict] = None) -> tuple:
    """What the outputs of a stack tool carry on: ``(scalars, pairs, dates, warnings)``.

    ``scalars``: ``{key: text}`` of the scene values all the inputs that carry one agree on (a disagreement is
    not carried and is a warning); ``pairs``: ``{(earlier, later): metres}``; ``dates``: ``{date: metres}`` (from
    input time series, relative to their first date); ``known``: what the run itself used (``{key: value}``,
    ``"pairs"``, ``"dates"``), which wins over the inputs."""
    known = dict(known or {})
    files = raster_files(input_paths)
    items = list(geotiff_metadata(files))
    scalars, warnings = {}, []
    for key, q in gm.QUANTITIES.items():
        source = key + gm.SOURCE_SUFFIX
        if key in known:
            scalars[key] = f"{float(known[key]):.10g}"
            if known.get(source):
                scalars[source] = str(known[source])
            continue
        try:
            hit = gm.single_value(q, *gm.collect(q, items))
        except GeohazardError as exc:
            warnings.append(f"{q.key} not carried to the outputs: {exc}")
            continue
        if hit is not None:
            scalars[key] = f"{hit[0]:.10g}"
            where = next((md[source] for _, md in items if md.get(source)), None)
            if where:
                scalars[source] = str(where)
    pairs: dict = {}
    for name, md in items:
        try:
            hit = gm.pair_baseline_from_metadata(name, md)
        except GeohazardError:
            continue
        if hit is not None:
            pairs[hit[0]] = hit[1]
    pairs.update(known.get("pairs") or {})
    dates: dict = {}
    for path, (name, md) in zip(files, items):
        if gm.DATE_BASELINES_KEY not in md:
            continue
        ds = gdal.Open(path)
        band_dates = _band_dates(ds) if ds is not None else None
        ds = None
        try:
            vals = gm.date_baselines_from_metadata(name, md, len(band_dates or ()))
        except GeohazardError:
            continue
        if band_dates and vals:
            dates.update(zip(band_dates, [v - vals[0] for v in vals]))
    dates.update(known.get("dates") or {})
    return scalars, pairs, dates, warnings


def _series_baselines(band_dates: list, pairs: dict, dates: dict):
    if all(d in dates for d in band_dates):
        return [dates[d] - dates[band_dates[0]] for d in band_dates]
    if pairs:
        try:
            return list(gm.date_baselines_from_pairs(pairs, band_dates, source="metadata"))
        except GeohazardError:
            return None
    return None


def stamp_geometry(output_paths: Iterable[str], input_paths: Iterable[str], known: Optional[dict] = None,
                   log=None) -> int:
    """Write the geometry of the inputs (and ``known``, what the run used) into every GeoTIFF among
    ``output_paths`` that does not carry it yet: the scene values; ``PERPENDICULAR_BASELINE_M`` on a one-band
    output named after an interferogram whose pair is known; ``PERPENDICULAR_BASELINES_M`` on a time series (band
    descriptions are dates) from the inputs' date baselines or, by least squares, their pair baselines. Links
    are left alone (an output folder may link the inputs it keeps). Returns how many files were changed."""
    scalars, pairs, dates, warnings = carried_geometry(input_paths, known)
    if log is not None:
        for w in warnings:
            log.push_warning(w)
    if not (scalars or pairs or dates):
        return 0
    n = 0
    for path, ds in _own_geotiffs(output_paths):
        md = ds.GetMetadata() or {}
        add = {k: v for k, v in scalars.items() if k not in md}
        if ds.RasterCount == 1 and pairs and gm.PAIR_BASELINE_KEY not in md:
            try:
                pair = tuple(sorted(gm.parse_date_pair(os.path.basename(path))))
            except GeohazardError:
                pair = None
            if pair in pairs:
                add[gm.PAIR_BASELINE_KEY] = f"{pairs[pair]:.3f}"
        band_dates = _band_dates(ds)
        if band_dates and gm.DATE_BASELINES_KEY not in md and (pairs or dates):
            vals = _series_baselines(band_dates, pairs, dates)
            if vals is not None:
                add[gm.DATE_BASELINES_KEY] = gm.format_date_baselines(vals)
        for k, v in add.items():
            ds.SetMetadataItem(k, v)
        ds = None
        n += bool(add)
    return n


# ---------------------------------------------------------------------------------------------- components

#: Metadata key of the component a raster holds when it is not the line of sight (``VERTICAL``, ``EAST`` ...).
COMPONENT_KEY = "COMPONENT"
#: The component keys another tool writes (multisensortimeseries: ``TIMESERIES_COMPONENT``).
_COMPONENT_KEYS = (COMPONENT_KEY, "TIMESERIES_COMPONENT")


def non_los_component(path: str) -> str:
    """The component a raster's metadata declares when it is not the line of sight (``"VERTICAL"``, ``"UP"``
    ...), else ""."""
    for _, md in geotiff_metadata([path]):
        upper = {str(k).upper(): str(v).strip() for k, v in md.items()}
        for key in _COMPONENT_KEYS:
            value = upper.get(key, "")
            if value and value.upper() not in ("LOS", "LINE OF SIGHT"):
                return f"{key}={value}"
    return ""


def vertical_metadata(path: str, descriptions: list, incidence: str, unit_if_unknown: str) -> tuple:
    """``(metadata, band descriptions)`` of the vertical projection of the LOS raster ``path``: UNIT (the input's,
    else ``unit_if_unknown``), SIGN up positive, COMPONENT VERTICAL, PROJECTION_INCIDENCE_DEG (the incidence the
    projection used: a number, or "per pixel: <raster>"), the input's reference (REFERENCE_*) and dates kept; its
    line-of-sight keys (INCIDENCE_DEG, HEADING_DEG, wavelength ...) are not carried: the output is no longer
    along the line of sight. Band descriptions that are dates are kept; the others say vertical, not LOS."""
    md = next(iter(geotiff_metadata([path])))[1]
    upper = {str(k).upper(): str(v) for k, v in md.items()}
    unit = upper.get("UNIT") or upper.get("UNITS") or unit_if_unknown
    out = {"UNIT": unit, "SIGN": "up positive", COMPONENT_KEY: "VERTICAL", "PROJECTION": "LOS / cos(incidence)",
           "PROJECTION_INCIDENCE_DEG": incidence}
    for key, value in md.items():
        if str(key).upper().startswith("REFERENCE") or str(key).upper() in ("DATES", "REFERENCE_DATE"):
            out[str(key)] = value
    descs = []
    for d in descriptions:
        text = str(d or "").strip()
        try:
            parse_date(text)
            descs.append(text)
            continue
        except (GeohazardError, ValueError):
            pass
        if "los" in text.lower():
            descs.append(re.sub(r"(?i)\bLOS\b", "vertical", text))
        else:
            descs.append(f"vertical {text}".strip() if text else f"vertical ({unit}, up positive)")
    return out, descs
