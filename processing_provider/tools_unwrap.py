"""Phase unwrapping tool (``geohazard:unwrap``)."""

from __future__ import annotations

import csv
import os

import numpy as np
from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
)

from ..algorithms.engine import LocalExecutor
from ..algorithms.errors import GeohazardError
from ..algorithms.formats.dates import parse_date_pair
from ..algorithms.progress import SubProgress, check_canceled
from ..algorithms.timeseries.unwrap import (
    SNAPHU_INSTALL_HELP,
    closure_cycles,
    closure_triplets,
    snaphu_available,
    unwrap_interferogram,
)
from ..algorithms.timeseries.unwrap_tiles import MIN_TILE_ROWS, TILE_HALO, unwrap_tiled
from .base import GeohazardAlgorithm
from .engine_params import HELP as DASK_HELP
from .engine_params import add_dask_parameter, executor
from .feedback import FeedbackProgress
from .io.stacks import expand_raster_inputs
from .io.unwrap import is_complex, read_back
from .raster_io import RasterWriter, check_same_grid, raster_info, raster_source, read_band
from .wavelength import carried_wavelength


def _pair_name(path: str, name: str) -> str:
    try:
        d1, d2 = parse_date_pair(os.path.basename(path))
    except GeohazardError:
        raise GeohazardError(f"{name}: {os.path.basename(path)!r} has no date pair in its name "
                             "(e.g. 20200101_20200113.wrapped.tif), needed to name the outputs for the "
                             "time-series tools") from None
    return f"{d1:%Y%m%d}_{d2:%Y%m%d}"


def _other_grid(info, ref) -> bool:
    """True when two georeferenced rasters of the same size lie on different grids. A raster without
    georeferencing (radar geometry) is taken pixel for pixel; a CRS missing on one side is not a mismatch."""
    if not (info.has_georef and ref.has_georef):
        return False
    scale = max(abs(ref.geotransform[1]), abs(ref.geotransform[5]), 1e-12)
    if any(abs(a - b) > 1e-6 * scale for a, b in zip(info.geotransform, ref.geotransform)):
        return True
    a, b = info.srs, ref.srs
    return a is not None and b is not None and not a.IsSame(b)


class Unwrap(GeohazardAlgorithm):
    NAME = "unwrap"
    DISPLAY_NAME = "Phase unwrapping"
    GROUP_ID = "timeseries"
    HELP = (
        "2-D unwrapping of wrapped interferograms into unwrapped phase (radians, same sign as the input: "
        "phase grows with range for the phase linking tool's interferograms) and connected components, "
        "ready for the SBAS inversion.\n\n"
        "<b>Wrapped interferograms</b>: complex or wrapped-phase (radians, -pi..pi) rasters, or a folder such as "
        "the phase linking tool's wrapped interferograms folder; each name carries its date pair "
        "(YYYYMMDD_YYYYMMDD). Already unwrapped inputs (values far outside -pi..pi) are refused.\n"
        "<b>Coherence</b> (optional): one raster used for every interferogram (e.g. the temporal coherence of "
        "phase linking) or a folder/list matched by date pair; without it a pseudo-coherence is estimated from "
        "the fringes. <b>Mask</b> (optional): non-zero = unwrap.\n"
        "<b>Backend</b>: built-in (quality-guided unwrapping along the maximum spanning tree of coherence, "
        "fringe consistency and second differences, Herraez et al. 2002, each difference taken to the cycle "
        "nearest the local fringe gradient; two large patches are joined only when the edges between them agree "
        "on their whole-cycle offset, so a decorrelated strip such as a surface rupture is not crossed by one "
        "noisy path) or SNAPHU (Chen & Zebker 2001, statistical "
        "cost, through the optional Python package 'snaphu'; " + SNAPHU_INSTALL_HELP + ").\n"
        "<b>Minimum coherence</b> (built-in): pixels at or above it form the connected components. Pixels from "
        "half of it up to it whose fringes are consistent (pseudo-coherence at least the minimum) are unwrapped "
        "last, from the component they touch, and can carry a patch cut off by a thin low-coherence gap back to "
        "it; lower pixels, masked and NaN pixels are not unwrapped, and what they cut apart becomes separate "
        "connected components instead of a guess. <b>Smallest component</b>: smaller components are left out; a "
        "value larger than the raster is refused, and an interferogram left without any pixel is named in a "
        "warning (an error when every interferogram is).\n\n"
        "<b>Outputs</b>: in the output folder, YYYYMMDD_YYYYMMDD.unw.tif (unwrapped phase, NaN where not "
        "unwrapped) and YYYYMMDD_YYYYMMDD.conncomp.tif (connected components, 1 = largest, 0 = not unwrapped); "
        "the offset between components is unknown (a multiple of 2 pi). Report (CSV): per interferogram the "
        "share of valid pixels unwrapped, number of components, residues, mean coherence. Closure check (CSV, "
        "optional): for every triplet ij + jk - ik of the network, the share of pixels whose unwrapped phases "
        "do not close to a whole-cycle-free sum (unwrapping errors).\n\n"
        f"<b>Memory</b> (built-in): rasters larger than one tile of the memory budget (MAX_MEMORY_MB, advanced, "
        f"default 512 MB: about 5 Mpx) are unwrapped in row tiles of at least {MIN_TILE_ROWS} rows overlapping "
        f"their neighbours by {2 * TILE_HALO} rows; the whole-cycle offsets between tiles come from a vote on "
        "the overlaps and a spanning tree over the tiles' components (parts whose overlaps disagree stay "
        "separate components). Measured peak of the whole tool on a 5000 x 5000 interferogram: 0.7 GB; it does "
        "not grow with the number of rows. 8 bytes per pixel of scratch space in the output folder while running. "
        "A raster that fits in one tile is unwrapped whole."
        + DASK_HELP
    )
    INPUT = "INPUT"
    COHERENCE = "COHERENCE"
    MASK = "MASK"
    BACKEND = "BACKEND"
    MIN_COHERENCE = "MIN_COHERENCE"
    MIN_COMPONENT_PIXELS = "MIN_COMPONENT_PIXELS"
    NLOOKS = "NLOOKS"
    MAX_MEMORY_MB = "MAX_MEMORY_MB"
    OUTPUT = "OUTPUT"
    OUTPUT_REPORT = "OUTPUT_REPORT"
    OUTPUT_CLOSURE = "OUTPUT_CLOSURE"
    COMPLEX_INPUTS = ("INPUT",)  # a wrapped interferogram may be complex (a + ib)
    BACKENDS = ["builtin", "snaphu"]
    BACKEND_NAMES = ["Built-in (quality-guided spanning tree)", "SNAPHU (snaphu-py, optional package)"]

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.INPUT, self.tr("Wrapped interferograms (complex or phase in radians, rasters or a folder)"),
            QgsProcessing.SourceType.TypeRaster))
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.COHERENCE, self.tr("Coherence: one raster for all, or rasters/folder matched by date pair"),
            QgsProcessing.SourceType.TypeRaster, optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.MASK, self.tr("Mask (non-zero = unwrap)"), optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            self.BACKEND, self.tr("Unwrapper"), options=self.BACKEND_NAMES, defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            self.MIN_COHERENCE, self.tr("Minimum coherence (built-in: from half of it, consistent fringes are "
                                        "unwrapped last)"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=0.3, minValue=0.0, maxValue=1.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.MIN_COMPONENT_PIXELS, self.tr("Smallest connected component kept (pixels)"),
            QgsProcessingParameterNumber.Type.Integer, defaultValue=50, minValue=1))
        self.addParameter(QgsProcessingParameterNumber(
            self.NLOOKS, self.tr("Equivalent number of looks of the coherence (SNAPHU)"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=9.0, minValue=1.0))
        p = QgsProcessingParameterNumber(self.MAX_MEMORY_MB, self.tr("Memory for one tile (MB, built-in)"),
                                         QgsProcessingParameterNumber.Type.Integer, defaultValue=512, minValue=1)
        p.setFlags(p.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
        self.addParameter(p)
        add_dask_parameter(self)
        self.addParameter(QgsProcessingParameterFolderDestination(
            self.OUTPUT, self.tr("Unwrapped interferograms folder")))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT_REPORT, self.tr("Unwrapping report"), "CSV files (*.csv)", optional=True))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT_CLOSURE, self.tr("Triplet closure check"), "CSV files (*.csv)", optional=True,
            createByDefault=False))

    def checkParameterValues(self, parameters, context):
        for d in self.parameterDefinitions():  # folders are accepted for the raster lists
            if d.name() in (self.INPUT, self.COHERENCE) or d.isDestination():
                continue
            if not d.checkValueIsAcceptable(parameters.get(d.name()), context):
                return False, self.tr("Incorrect parameter value for {}").format(d.name())
        if self.BACKENDS[self.parameterAsEnum(parameters, self.BACKEND, context)] == "snaphu" \
                and not snaphu_available():
            return False, "BACKEND: " + SNAPHU_INSTALL_HELP
        for name in (self.MIN_COHERENCE, self.NLOOKS, self.MAX_MEMORY_MB, self.MIN_COMPONENT_PIXELS):
            if parameters.get(name) is not None and not np.isfinite(self.parameterAsDouble(parameters, name, context)):
                return False, f"{name}: expected a number, got {parameters.get(name)!r}"
        try:
            _, _, info, _ = self._inputs(parameters, context)
        except GeohazardError as exc:
            return False, str(exc)
        # as a double: a value beyond the integer range must not wrap around into an acceptable one
        size = self.parameterAsDouble(parameters, self.MIN_COMPONENT_PIXELS, context) \
            if parameters.get(self.MIN_COMPONENT_PIXELS) is not None else 0
        if size > info.height * info.width:
            return False, (f"MIN_COMPONENT_PIXELS is {size:.0f} pixels, more than the whole interferogram "
                           f"({info.height} x {info.width} = {info.height * info.width} pixels): no component "
                           "could be kept and every output would be NoData")
        return True, ""

    # ------------------------------------------------------------------ inputs
    def _inputs(self, parameters, context, ignored=None):
        ifgs = expand_raster_inputs(self, parameters, self.INPUT, context, want="ifg", ignored=ignored)
        if not ifgs:
            raise GeohazardError("INPUT: give wrapped interferograms (rasters or a folder)")
        pairs = [_pair_name(p, self.INPUT) for p in ifgs]
        dup = sorted({p for p in pairs if pairs.count(p) > 1})
        if dup:
            raise GeohazardError(f"INPUT: date pair(s) {', '.join(dup)} given more than once")
        infos = [raster_info(p, os.path.basename(p)) for p in ifgs]
        check_same_grid(infos, [os.path.basename(p) for p in ifgs])
        coh = expand_raster_inputs(self, parameters, self.COHERENCE, context, want="coh") \
            if parameters.get(self.COHERENCE) else []
        if len(coh) == 1:
            coh_for = {p: coh[0] for p in pairs}
        elif coh:
            by_pair = {}
            for c in coh:
                by_pair[_pair_name(c, self.COHERENCE)] = c
            missing = [p for p in pairs if p not in by_pair]
            if missing:
                raise GeohazardError(f"COHERENCE: no coherence raster for {', '.join(missing[:5])}"
                                     + (" ..." if len(missing) > 5 else ""))
            coh_for = {p: by_pair[p] for p in pairs}
        else:
            coh_for = {}
        for name, path in [(self.COHERENCE, c) for c in sorted(set(coh_for.values()))] + (
                [(self.MASK, self.raster_path(parameters, self.MASK, context))] if parameters.get(self.MASK) else []):
            info = raster_info(path, name)
            if info.shape != infos[0].shape:
                raise GeohazardError(f"{name}: {os.path.basename(path)} has {info.height} rows x {info.width} "
                                     f"columns, expected {infos[0].height} x {infos[0].width} like INPUT")
            if _other_grid(info, infos[0]):
                raise GeohazardError(f"{name}: {os.path.basename(path)} is not on the same grid (origin, pixel size "
                                     f"or CRS) as the interferogram {os.path.basename(ifgs[0])}")
        return ifgs, pairs, infos[0], coh_for

    def process(self, parameters, context, feedback):
        ignored = []
        ifgs, pairs, info, coh_for = self._inputs(parameters, context, ignored)
        if ignored:  # a list made by "Add Directory...": say what was left out and why
            feedback.pushWarning(f"INPUT: left out {len(ignored)} file(s) that are not dated interferograms of the "
                                 "stack (no YYYYMMDD_YYYYMMDD pair in the name, coherence, or wrapped next to "
                                 "unwrapped files): " + ", ".join(os.path.basename(f) for f in ignored[:6])
                                 + (" ..." if len(ignored) > 6 else ""))
        backend = self.BACKENDS[self.parameterAsEnum(parameters, self.BACKEND, context)]
        opts = {"min_coherence": self.parameterAsDouble(parameters, self.MIN_COHERENCE, context),
                "min_component_size": self.parameterAsInt(parameters, self.MIN_COMPONENT_PIXELS, context),
                "nlooks": self.parameterAsDouble(parameters, self.NLOOKS, context),
                "max_memory_mb": self.parameterAsDouble(parameters, self.MAX_MEMORY_MB, context)}
        out_dir = self.parameterAsString(parameters, self.OUTPUT, context)
        report, closure = (self.parameterAsFileOutput(parameters, k, context) if parameters.get(k) else ""
                           for k in (self.OUTPUT_REPORT, self.OUTPUT_CLOSURE))
        mask = self.raster_path(parameters, self.MASK, context) if parameters.get(self.MASK) else None
        os.makedirs(out_dir, exist_ok=True)
        progress = FeedbackProgress(feedback)
        writers, rows, empty = [], [], []
        n = len(ifgs)
        try:
            with executor(self, parameters, context, feedback) if backend == "builtin" else LocalExecutor() as ex:
                for k, (path, pair) in enumerate(zip(ifgs, pairs)):
                    check_canceled(progress)
                    feedback.setProgressText(f"Unwrapping {pair} ({k + 1}/{n})")
                    meta = {"backend": backend, "units": "radians", **carried_wavelength([path])}
                    w_u = RasterWriter.like(os.path.join(out_dir, f"{pair}.unw.tif"), info, descriptions=[pair],
                                            metadata=meta)
                    writers.append(w_u)
                    w_c = RasterWriter.like(os.path.join(out_dir, f"{pair}.conncomp.tif"), info,
                                            descriptions=[pair], dtype=np.uint16, nodata=0)
                    writers.append(w_c)
                    sub = SubProgress(progress, 100.0 * k / n, 100.0 * (k + 1) / n)
                    stats = _unwrap_one(path, coh_for.get(pair), mask, (w_u, w_c), info, backend, opts, ex, sub,
                                        out_dir)
                    rows.append({"interferogram": pair, "backend": backend, **stats})
                    feedback.pushInfo(_summary(pair, stats))
                    if stats["unwrapped"] == 0:
                        empty.append(pair)
                        feedback.pushWarning(f"{pair}: no pixel unwrapped, its output is NoData everywhere: "
                                             + _why_empty(backend, opts))
            if len(empty) == n:
                raise GeohazardError(f"no pixel unwrapped in any of the {n} interferogram(s): "
                                     + _why_empty(backend, opts))
            if report:
                _write_csv(report, rows)
            if closure:
                _write_csv(closure, _closure(writers, pairs, progress), ["triplet", "pixels", "share_not_closing"])
            for w in writers:
                w.commit()
        except BaseException:
            _discard(writers, (report, closure))
            raise
        result = {self.OUTPUT: out_dir}
        result.update({key: p for key, p in ((self.OUTPUT_REPORT, report), (self.OUTPUT_CLOSURE, closure)) if p})
        return result


def _unwrap_one(path, coh_path, mask_path, writers, info, backend, opts, ex, progress, scratch_dir) -> dict:
    """Unwrap one interferogram into its two writers; the statistics of the report."""
    name = os.path.basename(path)
    dtype = np.complex64 if is_complex(path) else np.float32
    w_u, w_c = writers
    if backend == "snaphu":  # SNAPHU tiles by itself (snaphu-py holds the whole raster)
        mask = None
        if mask_path:
            m = read_band(mask_path, name=Unwrap.MASK)
            mask = np.isfinite(m) & (m != 0)
        res = unwrap_interferogram(read_band(path, name=name, dtype=dtype),
                                   read_band(coh_path, name=Unwrap.COHERENCE) if coh_path else None, mask,
                                   backend="snaphu", min_coherence=opts["min_coherence"], name=name,
                                   nlooks=opts["nlooks"])
        w_u.write(res.unwrapped)
        w_c.write(res.components)
        return res.stats
    sources = {"phase": raster_source(path, dtype=dtype, name=name),
               "coherence": raster_source(coh_path, name=Unwrap.COHERENCE) if coh_path else None,
               "mask": raster_source(mask_path, name=Unwrap.MASK) if mask_path else None}

    def write(row0, unwrapped, components):
        w_u.write(unwrapped, row=row0)
        w_c.write(components, row=row0)

    return unwrap_tiled(sources, info.height, info.width, write, min_coherence=opts["min_coherence"],
                        min_component_size=opts["min_component_size"], name=name,
                        max_memory_mb=opts["max_memory_mb"], executor=ex, progress=progress,
                        scratch_dir=scratch_dir)


def _why_empty(backend: str, opts: dict) -> str:
    if backend == "snaphu":
        return ("SNAPHU grew no connected component (its components are 0 everywhere; with few looks at low "
                f"coherence it often does): check NLOOKS ({opts['nlooks']:g}) or use the built-in backend")
    return (f"every connected coherent area (coherence >= MIN_COHERENCE {opts['min_coherence']:g}) is smaller than "
            f"MIN_COMPONENT_PIXELS ({opts['min_component_size']} pixels): lower MIN_COMPONENT_PIXELS or MIN_COHERENCE")


def _summary(pair: str, stats: dict) -> str:
    tiles = stats.get("tiles", 1)
    return (f"{pair}: {100 * stats['share_unwrapped']:.1f}% of valid pixels unwrapped in {stats['components']} "
            f"component(s), {stats['residues']} residues"
            + (f"; {tiles} tiles, {stats['seams_rejected']} tile seam(s) left apart (overlap disagreed), "
               f"{stats['seam_conflicts']} contradicting seam vote(s)" if tiles > 1 else ""))


def _discard(writers, paths) -> None:
    """Error or cancel: delete every temporary raster and the CSV files written so far."""
    for w in writers:
        if not w._done:
            w.abort()
    for p in paths:
        if p and os.path.exists(p):
            os.remove(p)


def _write_csv(path: str, rows: list, fields=None) -> None:
    """A CSV table (header only when there are no rows: a network without triplets)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields or list(rows[0].keys()))
        w.writeheader()
        for r in rows:
            w.writerow(r)


def _closure(writers, pairs, progress) -> list:
    """Triplet closure of the unwrapped outputs (read back from the temporary files)."""
    dates = [tuple(p.split("_")) for p in pairs]
    triplets = closure_triplets(dates)
    out = []

    def arr(k, which):
        return read_back(writers[2 * k + which])

    for a, b, c in triplets:
        check_canceled(progress)
        k = closure_cycles(arr(a, 0), arr(b, 0), arr(c, 0), arr(a, 1), arr(b, 1), arr(c, 1))
        ok = np.isfinite(k)
        n_ok = int(ok.sum())
        out.append({"triplet": f"{pairs[a]} + {pairs[b]} - {pairs[c]}", "pixels": n_ok,
                    "share_not_closing": float((k[ok] != 0).sum() / n_ok) if n_ok else float("nan")})
    return out


ALGORITHMS = [Unwrap]
