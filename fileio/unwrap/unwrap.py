"""IO of the unwrapping tool: each interferogram unwrapped into its two rasters (unwrapped phase, connected
components), the data type of an input, and the rasters read back from their (not yet published) writers for
the triplet-closure check."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
from osgeo import gdal

from ...algorithms import conventions, engine
from ...algorithms.errors import GeohazardError
from ...algorithms.formats.dates import parse_date_pair
from ...algorithms.progress import SubProgress, check_canceled
from ...algorithms.unwrap import unwrap, unwrap_prior, unwrap_tiles
from ..base import writers as csv_writers
from ..base.blocks import RunSettings, raster_source
from ..base.metadata import carried_wavelength, wavelength_choice
from ..base.raster import RasterWriter, open_raster, raster_info, read_band
from ..base.runs import Outcome


def is_complex(path: str) -> bool:
    """True when band 1 of ``path`` holds complex values (a wrapped interferogram as a + ib)."""
    ds = open_raster(path)
    band = ds.GetRasterBand(1)
    return bool(gdal.DataTypeIsComplex(band.DataType))


def read_back(writer) -> np.ndarray:
    """Band 1 of a :class:`RasterWriter` still being written (its cache flushed first)."""
    writer._ds.FlushCache()
    band = writer._ds.GetRasterBand(1)
    return band.ReadAsArray()


class PriorRows:
    """Rows of a prior raster in radians of the interferogram (its values times ``scale``); picklable, read where
    the block runs."""

    shipped = False

    def __init__(self, path: str, scale: float):
        self.path, self.scale = path, float(scale)
        self.source = raster_source(path, dtype=np.float64, name="PRIOR")

    def read(self, r0: int, r1: int, n_cols: int) -> np.ndarray:
        return self.source.read(r0, r1, n_cols) * self.scale


class ResidualRows:
    """Rows of the wrapped residual ``wrap(phase - prior)`` (:func:`~algorithms.unwrap.unwrap_prior.
    wrapped_residual`) for the block engine."""

    shipped = False

    def __init__(self, phase, prior: PriorRows, name: str):
        self.phase, self.prior, self.name = phase, prior, name

    def read(self, r0: int, r1: int, n_cols: int) -> np.ndarray:
        return unwrap_prior.wrapped_residual(self.phase.read(r0, r1, n_cols), self.prior.read(r0, r1, n_cols),
                                             self.name)


PRIOR_EXTENSIONS = (".tif", ".tiff", ".vrt", ".img")


def prior_paths(items: list) -> list:
    """The PRIOR files of the parameter's items when every item is a file or a folder (a folder gives its rasters,
    :data:`PRIOR_EXTENSIONS`, sorted; one holding none is refused, never dropped); ``[]`` when some item is
    something else (a layer), for QGIS to resolve."""
    out = []
    for item in items:
        if not isinstance(item, str):
            return []
        if os.path.isdir(item):
            found = sorted(os.path.join(item, f) for f in os.listdir(item)
                           if f.lower().endswith(PRIOR_EXTENSIONS) and os.path.isfile(os.path.join(item, f)))
            if not found:
                raise GeohazardError(f"PRIOR: the folder {item!r} holds no raster ({', '.join(PRIOR_EXTENSIONS)}); "
                                     "give one prior raster, or a folder or list of one per pair named "
                                     "YYYYMMDD_YYYYMMDD")
            out += found
        elif os.path.isfile(item):
            out.append(item)
        else:
            return []
    return out


def _sample_rows(path: str, rows_per_strip: int = 64, strips: int = 8) -> np.ndarray:
    """Up to ``strips`` strips of ``rows_per_strip`` whole rows, evenly spread over the raster and stacked (each
    strip's rows NaN-separated from the next), band 1 as float64 with its no-data as NaN."""
    ds = open_raster(path, "PRIOR")
    band = ds.GetRasterBand(1)
    height, width = ds.RasterYSize, ds.RasterXSize
    nodata = band.GetNoDataValue()
    if height <= rows_per_strip * strips:
        starts = [0]
        rows_per_strip = height
    else:
        starts = [int(k * (height - rows_per_strip) / (strips - 1)) for k in range(strips)]
    parts = []
    for r0 in starts:
        a = band.ReadAsArray(0, r0, width, rows_per_strip).astype(np.float64)
        if nodata is not None:
            a[a == nodata] = np.nan
        parts += [a, np.full((1, width), np.nan)]
    ds = None
    return np.vstack(parts[:-1])


def match_priors(paths: list, pairs: list, info, units: str, *, log=None, wavelength_paths=()) -> dict:
    """``{pair: PriorRows}`` of the PRIOR rasters: one raster for every pair, or one per pair matched by the date
    pair in its name (``units``: ``rad``, ``mm`` or ``mm/yr``; a velocity in mm/yr is one raster, scaled by each
    pair's time span). Each must be on the interferograms' grid ``info``. ``{}`` without PRIOR."""
    if not paths:
        return {}
    for p in paths:
        other = raster_info(p, "PRIOR")
        if other.shape != info.shape or other.other_grid(info):
            raise GeohazardError(f"PRIOR: {os.path.basename(p)} is not on the interferograms' grid ({info.height} "
                                 f"rows x {info.width} columns, same origin, pixel size and CRS): resample it first")
        if is_complex(p):
            raise GeohazardError(f"PRIOR: {os.path.basename(p)} holds complex values (a + ib): a prior is an unwrapped "
                                 "signal, real numbers (a phase in rad or a displacement in mm)")
    if units == "rad":
        for p in paths:
            problem = unwrap_prior.wrapped_prior_problem(_sample_rows(p), f"PRIOR: {os.path.basename(p)}")
            if problem:
                raise GeohazardError(problem)
    if len(paths) == 1:
        by_pair = {pair: paths[0] for pair in pairs}
    elif units == "mm/yr":
        raise GeohazardError(f"PRIOR: a velocity (mm/yr) is one raster scaled by each pair's time span, got "
                             f"{len(paths)}")
    else:
        by_pair = {}
        for p in paths:
            try:
                d1, d2 = parse_date_pair(os.path.basename(p))
            except GeohazardError:
                raise GeohazardError(f"PRIOR: {os.path.basename(p)} has no date pair in its name; give one raster "
                                     "for all interferograms or one per pair named YYYYMMDD_YYYYMMDD") from None
            by_pair[f"{d1:%Y%m%d}_{d2:%Y%m%d}"] = p
        missing = [pair for pair in pairs if pair not in by_pair]
        if missing:
            raise GeohazardError(f"PRIOR: no prior raster for {', '.join(missing[:5])}"
                                 + (" ..." if len(missing) > 5 else ""))
    wavelength = None
    if units != "rad":
        wavelength = wavelength_choice(None, rasters=list(wavelength_paths), log=log).wavelength_m
    out = {}
    for pair in pairs:
        d1, d2 = parse_date_pair(pair)
        span = (d2 - d1).days / conventions.DAYS_PER_YEAR
        out[pair] = PriorRows(by_pair[pair], unwrap_prior.prior_scale(units, wavelength_m=wavelength,
                                                                       span_years=span))
    return out


def unwrap_file(path, coh_path, mask_path, writers, info, backend, opts, executor, progress, scratch_dir,
                prior=None) -> dict:
    """Unwrap one interferogram into its two writers (unwrapped phase, connected components); the statistics of
    the report. SNAPHU unwraps the whole raster (it tiles by itself); the built-in backend runs in tiles on the
    block engine (:func:`~algorithms.unwrap.unwrap_tiles.unwrap_tiled`). With a ``prior``
    (:class:`PriorRows`), the wrapped residual is unwrapped and the prior added back
    (:mod:`~algorithms.unwrap.unwrap_prior`)."""
    name = os.path.basename(path)
    dtype = np.complex64 if is_complex(path) else np.float32
    w_u, w_c = writers
    if backend == "snaphu":
        mask = None
        if mask_path:
            m = read_band(mask_path, name="MASK")
            mask = np.isfinite(m) & (m != 0)
        kwargs = {"coherence": read_band(coh_path, name="COHERENCE") if coh_path else None, "mask": mask,
                  "backend": "snaphu", "min_coherence": opts["min_coherence"], "name": name, "nlooks": opts["nlooks"]}
        data = read_band(path, name=name, dtype=dtype)
        res = unwrap.unwrap_interferogram(data, **kwargs) if prior is None else unwrap_prior.unwrap_with_prior(
            data, prior.read(0, info.height, info.width), unwrap.unwrap_interferogram, **kwargs)
        w_u.write(res.unwrapped)
        w_c.write(res.components)
        return res.stats
    phase = raster_source(path, dtype=dtype, name=name)
    sources = {"phase": phase if prior is None else ResidualRows(phase, prior, name),
               "coherence": raster_source(coh_path, name="COHERENCE") if coh_path else None,
               "mask": raster_source(mask_path, name="MASK") if mask_path else None}
    prior_stats = unwrap_prior.PriorStats()

    def write(row0, unwrapped, components):
        if prior is not None:
            rows = (row0, row0 + unwrapped.shape[0], info.width)
            pr = prior.read(*rows)
            unwrapped = unwrap_prior.add_back(unwrapped, pr)
            prior_stats.add(phase.read(*rows), pr, unwrapped)
        w_u.write(unwrapped, row=row0)
        w_c.write(components, row=row0)

    stats = unwrap_tiles.unwrap_tiled(sources, info.height, info.width, write, min_coherence=opts["min_coherence"],
                                      min_component_size=opts["min_component_size"], name=name,
                                      max_memory_mb=opts["max_memory_mb"], executor=executor, progress=progress,
                                      scratch_dir=scratch_dir)
    return {**stats, **(prior_stats.result() if prior is not None else {})}


def summary(pair: str, stats: dict) -> str:
    """The log line of one unwrapped interferogram."""
    tiles = stats.get("tiles", 1)
    prior = (f"; the prior carried {100 * stats['prior_share']:.1f}% of the unwrapped gradient energy (residual "
             f"steepness x{stats['residual_steepness']:.2f} of the input's)" if "prior_share" in stats else "")
    return (f"{pair}: {100 * stats['share_unwrapped']:.1f}% of valid pixels unwrapped in {stats['components']} "
            f"component(s), {stats['residues']} residues{prior}"
            + (f"; {tiles} tiles, {stats['seams_rejected']} tile seam(s) left apart (overlap disagreed), "
               f"{stats['seam_conflicts']} contradicting seam vote(s)" if tiles > 1 else ""))


def unwrap_files(stack, mask_path, out_dir, backend, opts, *, executor, progress, outputs, priors=None) -> list:
    """Unwrap every interferogram of ``stack`` (:class:`..inputs.stacks.WrappedStack`) into
    ``<pair>.unw.tif`` and ``<pair>.conncomp.tif`` of ``out_dir``; their writers are entered on ``outputs``
    (an ExitStack: published together when it closes normally), with the prior of each pair when ``priors``
    (:func:`match_priors`) has one. Returns the rows of the report."""
    priors = priors or {}
    rows, writers, empty = [], [], []
    n = len(stack.paths)
    for k, (path, pair) in enumerate(zip(stack.paths, stack.pairs)):
        check_canceled(progress)
        progress.set_text(f"Unwrapping {pair} ({k + 1}/{n})")
        pair_writers = (
            outputs.enter_context(RasterWriter.like(os.path.join(out_dir, f"{pair}.unw.tif"), stack.info,
                                                    descriptions=[pair],
                                                    metadata={"backend": backend, "units": "radians",
                                                              **carried_wavelength([path])})),
            outputs.enter_context(RasterWriter.like(os.path.join(out_dir, f"{pair}.conncomp.tif"), stack.info,
                                                    descriptions=[pair], dtype=np.uint16, nodata=0)))
        writers += pair_writers
        stats = unwrap_file(path, stack.coherence_for.get(pair), mask_path, pair_writers, stack.info, backend, opts,
                            executor, SubProgress(progress, 100.0 * k / n, 100.0 * (k + 1) / n), out_dir,
                            prior=priors.get(pair))
        rows.append({"interferogram": pair, "backend": backend, **stats})
        progress.push_info(summary(pair, stats))
        if unwrap_prior.flag_message(pair, stats):
            progress.push_warning(unwrap_prior.flag_message(pair, stats))
        if stats["unwrapped"] == 0:
            empty.append(pair)
            progress.push_warning(f"{pair}: no pixel unwrapped, its output is NoData everywhere: "
                                  + why_empty(backend, opts))
    if len(empty) == n:
        raise GeohazardError(f"no pixel unwrapped in any of the {n} interferogram(s): " + why_empty(backend, opts))
    return rows, writers


def why_empty(backend: str, opts: dict) -> str:
    """Why an interferogram came out without any unwrapped pixel, and what to change."""
    if backend == "snaphu":
        return ("SNAPHU grew no connected component (its components are 0 everywhere; with few looks at low "
                f"coherence it often does): check LOOKS ({opts['nlooks']:g}) or use the built-in backend")
    return (f"every connected coherent area (coherence >= COHERENCE_THRESHOLD {opts['min_coherence']:g}) is smaller "
            f"than MIN_COMPONENT_PIXELS ({opts['min_component_size']} pixels): lower MIN_COMPONENT_PIXELS or "
            "COHERENCE_THRESHOLD")


def closure_rows(writers, pairs, progress) -> list:
    """Triplet closure of the unwrapped outputs (read back from the files not yet published)."""
    triplets = unwrap.closure_triplets([tuple(p.split("_")) for p in pairs])
    out = []

    def arr(k, which):
        return read_back(writers[2 * k + which])

    for a, b, c in triplets:
        check_canceled(progress)
        k = unwrap.closure_cycles(arr(a, 0), arr(b, 0), arr(c, 0), arr(a, 1), arr(b, 1), arr(c, 1))
        ok = np.isfinite(k)
        n_ok = int(ok.sum())
        out.append({"triplet": f"{pairs[a]} + {pairs[b]} - {pairs[c]}", "pixels": n_ok,
                    "share_not_closing": float((k[ok] != 0).sum() / n_ok) if n_ok else float("nan")})
    return out


@dataclass(frozen=True)
class Job:
    """A run as plain values: the wrapped stack as read (``stack``), the mask raster (or None), the output folder,
    the backend (``builtin`` on the block engine, else a tool of its own), the options (``opts``: min_coherence,
    min_component_size, nlooks, max_memory_mb), the priors matched to the pairs (``priors``), the report and
    closure CSVs ("" for none) with their output IDs (``ids``: report, closure) and the run-wide knobs."""

    stack: Any
    out_dir: str
    backend: str
    opts: dict
    ids: dict
    mask: Optional[str] = None
    priors: Any = None
    report: str = ""
    closure: str = ""
    settings: RunSettings = field(default_factory=RunSettings)


def run(job: Job, *, progress=None) -> Outcome:
    """Every interferogram of the stack unwrapped into ``job.out_dir`` (``<pair>.unw.tif``), outputs published
    together; the report and the loops' closure written when asked."""
    os.makedirs(job.out_dir, exist_ok=True)
    with contextlib.ExitStack() as outputs:
        with job.settings.executor(progress) if job.backend == "builtin" else engine.LocalExecutor() as ex:
            rows, written = unwrap_files(job.stack, job.mask, job.out_dir, job.backend, job.opts, executor=ex,
                                         progress=progress, outputs=outputs, priors=job.priors)
        if job.report:
            csv_writers.write_csv(job.report, rows)
        if job.closure:
            csv_writers.write_csv(job.closure, closure_rows(written, job.stack.pairs, progress),
                                  fields=["triplet", "pixels", "share_not_closing"])
    return Outcome(outputs={job.ids[k]: p for k, p in (("report", job.report), ("closure", job.closure)) if p})
