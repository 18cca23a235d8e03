"""The outputs of the SBAS inversion: rasters, MintPy h5 files and velocity points, written block by block
and published only when every block is written."""

from __future__ import annotations

import contextlib
import functools

import numpy as np
from qgis.core import QgsCoordinateReferenceSystem

from ...algorithms.engine import max_memory_bytes, plan_blocks
from ...algorithms.formats import mintpy
from ...algorithms.progress import check_canceled, warn
from ...algorithms.timeseries import sbas_blocks
from ..base.blocks import run_blocks
from ..base.raster import RasterWriter, aligned_block_rows, read_band
from ..display import styles
from .stacks import StackInput, StackRows, stack_source, write_points

#: Grids up to this size keep their velocity, error and last date (12 bytes per pixel) for the styles.
STYLE_STATS_MAX_PIXELS = 25_000_000

#: The rasters of the inversion, by the name of the block result they hold.
SBAS_RASTERS = ("timeseries", "velocity", "velocity_std", "temporal_coherence", "count")


def sbas_writers(info, net, meta: dict) -> dict:
    """Makers of the SBAS rasters (result name -> ``path -> RasterWriter``)."""
    dates = [d.isoformat() for d in net.dates]
    return {
        # the one large output (N bands): ZSTD, half the compression CPU of DEFLATE for the same size (tool help)
        "timeseries": lambda p: RasterWriter.like(p, info, count=net.n_dates, descriptions=dates, metadata=meta,
                                                  compress="ZSTD"),
        "velocity": lambda p: RasterWriter.like(p, info, metadata={**meta, "UNIT": "mm/yr"},
                                                descriptions=["LOS velocity (mm/yr)"]),
        "velocity_std": lambda p: RasterWriter.like(p, info, metadata={"UNIT": "mm/yr"},
                                                    descriptions=["velocity standard error (mm/yr)"]),
        "temporal_coherence": lambda p: RasterWriter.like(p, info, descriptions=["temporal coherence"]),
        "count": lambda p: RasterWriter.like(p, info, dtype=np.int16, nodata=-1, descriptions=["interferograms used"]),
    }


def _georef(info, ref_rc) -> dict:
    epsg = None
    if info.crs_wkt:
        auth = QgsCoordinateReferenceSystem.fromWkt(info.crs_wkt).authid()
        epsg = int(auth.split(":")[1]) if auth.startswith("EPSG:") else None
    return dict(geotransform=info.geotransform if info.has_georef else None, epsg=epsg, ref_yx=ref_rc)


def write_sbas(stack: StackInput, solver, ref_mm, ref_rc, rows, progress, *, rasters: dict, files: dict,
               dem_path: str, run, executor=None) -> tuple:
    """The solve pass on the block engine (:func:`~algorithms.timeseries.sbas_blocks.sbas_block`).

    ``rasters``: result name -> path of the rasters asked for (``timeseries`` and ``velocity`` always);
    ``files``: ``points``, ``mintpy_timeseries``, ``mintpy_velocity`` paths (empty: not asked for). Returns
    ``(paths written by name, style ranges)``.
    """
    info, net = stack.info, stack.network
    need_coh = stack.has_coherence and (solver.weighting == "variance" or solver.coherence_threshold > 0)
    meta = {"UNIT": "mm", "SIGN": "LOS positive toward the satellite", "REFERENCE_ROW": ref_rc[0],
            "REFERENCE_COL": ref_rc[1], "WAVELENGTH_M": stack.wavelength_m}
    georef = _georef(info, ref_rc)
    h5_ts, h5_vel, points_path = files["mintpy_timeseries"], files["mintpy_velocity"], files["points"]
    keep = sbas_blocks.SbasCollector(info.shape, geotransform=info.geotransform, points=bool(points_path),
                                     full_velocity=bool(h5_vel), read_height=(lambda r0, r1: read_band(
                                         dem_path, rows=(r0, r1), name="DEM")) if dem_path else None,
                                     style_stats=info.width * info.height <= STYLE_STATS_MAX_PIXELS)
    makers = sbas_writers(info, net, meta)
    writers = {k: makers[k](p) for k, p in rasters.items()}
    with contextlib.ExitStack() as guard:
        h5w = mintpy.MintpyTimeseriesWriter(h5_ts, net.dates, info.shape, wavelength_m=stack.wavelength_m,
                                            bperp_m=net.date_bperp_m(), **georef) if h5_ts else None
        if h5w is not None:
            guard.push(lambda exc_type, *_: exc_type is not None and h5w.abort())

        def write(block, res):
            for key, w in writers.items():
                w.write(res[key], row=block.row0)
            if h5w is not None:
                h5w.write(res["timeseries"], row=block.row0)
            keep(block, res)

        # blocks fill whole output tiles (written once, whatever GDAL's cache size); the engine reads block k+1
        # and writes block k-1 in background threads while block k is solved
        plan = plan_blocks(info.height, info.width,
                           block_rows=aligned_block_rows(rows, writers["timeseries"].tile_rows))
        # on Dask the workers read their own rows; the time series comes back as float32 unless the MintPy
        # file (which scales the float64 values to metres) is asked for; every other consumer stores float32
        source = stack_source(stack, need_coh, ref_mm, executor=executor, log=progress)
        ts32 = executor is not None and executor.distributed and h5w is None
        in_flight = None
        if isinstance(source, StackRows) and plan:  # tasks hold no data until they run: the results bound memory
            result_bytes = plan[0].rows * info.width * (net.n_dates * (4 if ts32 else 8) + 4 * 8 + 2)
            in_flight = max(2, int(max_memory_bytes(run.max_memory_mb) // result_bytes))
        run_blocks(plan, functools.partial(sbas_blocks.sbas_block, solver=solver, timeseries_float32=ts32), write,
                   sources={"stack": source}, run=run, executor=executor, progress=progress, writers=writers,
                   background_write=True, max_in_flight=in_flight)
        check_canceled(progress)
        if h5w is not None:
            h5w.commit()
    if keep.n_disconnected:
        warn(progress, f"{keep.n_disconnected} pixel(s) had a disconnected network of usable interferograms "
             "(minimum-norm velocity across the gaps)")
    out = dict(rasters)
    if h5_vel:
        mintpy.write_velocity_h5(h5_vel, keep.velocity, keep.velocity_std, dates=net.dates,
                                 wavelength_m=stack.wavelength_m, **georef)
        out["mintpy_velocity"] = h5_vel
    if h5_ts:
        out["mintpy_timeseries"] = h5_ts
    if points_path:
        out["points"] = write_points(points_path, keep.pts, net, info, has_dem=bool(dem_path))
    return out, keep.style_ranges() or {}


def style_sbas(out: dict, ranges: dict, net, context) -> None:
    """Styles of the SBAS outputs; the ramps' limits come from the blocks, not from reading the files again."""
    if "points" in out:
        styles.style_points_velocity(out["points"], context=context)
    styles.style_raster_diverging(out["velocity"], context=context, vmax=ranges.get("velocity"))
    styles.style_raster_diverging(out["timeseries"], context=context, band=net.n_dates,
                                  vmax=ranges.get("last_date"))
    if "velocity_std" in out:
        lo, hi = ranges.get("velocity_std", (None, None))
        styles.style_raster_sequential(out["velocity_std"], context=context, ramp_name="Magma", vmin=lo, vmax=hi)
    if "temporal_coherence" in out:
        styles.style_raster_sequential(out["temporal_coherence"], context=context, vmin=0.0, vmax=1.0)
    if "count" in out:
        styles.style_raster_sequential(out["count"], context=context, vmin=0, vmax=net.n_pairs)
