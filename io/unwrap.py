"""IO of the unwrapping tool: each interferogram unwrapped into its two rasters (unwrapped phase, connected
components), the data type of an input, and the rasters read back from their (not yet published) writers for
the triplet-closure check."""

from __future__ import annotations

import os

import numpy as np
from osgeo import gdal

from ..algorithms.errors import GeohazardError
from ..algorithms.progress import SubProgress, check_canceled
from ..algorithms.timeseries import unwrap, unwrap_tiles
from .blocks import raster_source
from .metadata import carried_wavelength
from .raster import RasterWriter, open_raster, read_band


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


def unwrap_file(path, coh_path, mask_path, writers, info, backend, opts, executor, progress, scratch_dir) -> dict:
    """Unwrap one interferogram into its two writers (unwrapped phase, connected components); the statistics of
    the report. SNAPHU unwraps the whole raster (it tiles by itself); the built-in backend runs in tiles on the
    block engine (:func:`~algorithms.timeseries.unwrap_tiles.unwrap_tiled`)."""
    name = os.path.basename(path)
    dtype = np.complex64 if is_complex(path) else np.float32
    w_u, w_c = writers
    if backend == "snaphu":
        mask = None
        if mask_path:
            m = read_band(mask_path, name="MASK")
            mask = np.isfinite(m) & (m != 0)
        res = unwrap.unwrap_interferogram(read_band(path, name=name, dtype=dtype),
                                          read_band(coh_path, name="COHERENCE") if coh_path else None, mask,
                                          backend="snaphu", min_coherence=opts["min_coherence"], name=name,
                                          nlooks=opts["nlooks"])
        w_u.write(res.unwrapped)
        w_c.write(res.components)
        return res.stats
    sources = {"phase": raster_source(path, dtype=dtype, name=name),
               "coherence": raster_source(coh_path, name="COHERENCE") if coh_path else None,
               "mask": raster_source(mask_path, name="MASK") if mask_path else None}

    def write(row0, unwrapped, components):
        w_u.write(unwrapped, row=row0)
        w_c.write(components, row=row0)

    return unwrap_tiles.unwrap_tiled(sources, info.height, info.width, write, min_coherence=opts["min_coherence"],
                                     min_component_size=opts["min_component_size"], name=name,
                                     max_memory_mb=opts["max_memory_mb"], executor=executor, progress=progress,
                                     scratch_dir=scratch_dir)


def summary(pair: str, stats: dict) -> str:
    """The log line of one unwrapped interferogram."""
    tiles = stats.get("tiles", 1)
    return (f"{pair}: {100 * stats['share_unwrapped']:.1f}% of valid pixels unwrapped in {stats['components']} "
            f"component(s), {stats['residues']} residues"
            + (f"; {tiles} tiles, {stats['seams_rejected']} tile seam(s) left apart (overlap disagreed), "
               f"{stats['seam_conflicts']} contradicting seam vote(s)" if tiles > 1 else ""))


def unwrap_files(stack, mask_path, out_dir, backend, opts, *, executor, progress, outputs) -> list:
    """Unwrap every interferogram of ``stack`` (:class:`..inputs.stacks.WrappedStack`) into
    ``<pair>.unw.tif`` and ``<pair>.conncomp.tif`` of ``out_dir``; their writers are entered on ``outputs``
    (an ExitStack: published together when it closes normally). Returns the rows of the report."""
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
                            executor, SubProgress(progress, 100.0 * k / n, 100.0 * (k + 1) / n), out_dir)
        rows.append({"interferogram": pair, "backend": backend, **stats})
        progress.push_info(summary(pair, stats))
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
