"""sbasinversion."""

from __future__ import annotations

import contextlib
import functools

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessingOutputFile,
)

from ....algorithms import engine
from ....algorithms.errors import GeohazardError
from ....algorithms.formats import mintpy
from ....algorithms.progress import SubProgress, check_canceled, warn
from ....algorithms.timeseries import network, sbas, sbas_blocks
from ...inputs import declare, ids, knobs, stacks
from ...inputs.aliases import Alias
from ...inputs.declare import UNITS_HELP, WEIGHTING
from ...inputs.feedback import FeedbackProgress
from ...io import blocks, raster, styles
from ...io.stacks import StackInput, write_points
from .._base import GeohazardAlgorithm, tool
from ._common import block_rows_for, reference_pixel, reference_values, scan_stack, stack_source


@tool("sbasinversion", "SBAS / ISBAS time series inversion", group="timeseries",
      tags=("SBAS,ISBAS,time series,velocity,displacement,subsidence,landslide,deformation,interferogram,"
            "unwrapped,MintPy,ground motion"),
      main=("OUTPUT_VELOCITY", "OUTPUT_POINTS"), kernels=("timeseries.sbas",), page="timeseries",
      former=(Alias("ISBAS_MIN_COUNT", ids.MIN_COUNT),), engine=True)
class SbasInversion(GeohazardAlgorithm):
    FOLDER_INPUTS = stacks.STACK_LISTS
    input_raster_files = stacks.stack_raster_files
    HELP = (
        "Displacement time series and velocity from a network of unwrapped interferograms by "
        "pixel-wise (weighted) least squares (SBAS, Berardino et al. 2002, doi:10.1109/TGRS.2002.803792; "
        "ISBAS, Sowter et al. 2013, doi:10.1080/2150704X.2013.823673).\n\n"
        "<b>Interferograms</b>: a folder (files whose name contains 'unw' are used when present) or a list of "
        "rasters on one grid; the date pair of each comes from its file name (20200101_20200113, "
        "20180106-20180130, 060619-061002, HyP3 S1AA_20200101T..._20200113T..., ...). Or a MintPy "
        "ifgramStack.h5 (its dropIfgram flag, bperp and WAVELENGTH are used).\n"
        "<b>Coherence</b> (optional): folder or list matched by date pair (names with cc/coh/cor).\n"
        "<b>Baselines</b> (optional): GAMMA *_bperp.par / *_base.par files or folder, for the network plot "
        "and the perpendicular-baseline filter.\n"
        + UNITS_HELP +
        "<b>Reference point</b>: all interferograms are referenced to this pixel (must have data in all of "
        "them). Empty: the most coherent pixel whose 5x5 neighbourhood is valid in every interferogram.\n"
        "<b>Network filters</b>: maximum temporal (days) and perpendicular (m) baseline, minimum mean "
        "coherence, pairs to drop (YYYYMMDD_YYYYMMDD, comma separated). 0 = no limit.\n"
        "<b>Weighting</b>: none, or inverse phase variance from coherence (Tough et al. 1995, as MintPy).\n"
        "<b>Coherence threshold</b>: per pixel, interferogram values with lower coherence are not used.\n"
        "<b>ISBAS minimum count</b>: pixels need at least this many usable interferograms; 0 = all of "
        "them (classic SBAS). A pixel whose own network is split into subsets gets the minimum-norm "
        "velocity solution across the gaps (Berardino 2002).\n"
        "<b>Minimum temporal coherence</b>: pixels below it are NaN in the time series and velocity.\n"
        "<b>DEM</b> (optional, same grid): HEIGHT of the points.\n\n"
        "<b>Outputs</b>: time series (one band per date, band description = ISO date, mm, first date = 0, "
        "LOS positive toward the satellite), velocity (mm/yr, linear fit of the time series), its "
        "standard error, temporal coherence (0..1, Pepe & Lanari 2006), number of interferograms used, "
        "optional points (GeoPackage in the raster CRS: VEL, V_STDEV, COHERENCE, HEIGHT, DYYYYMMDD in mm), "
        "optional MintPy timeseries.h5 / velocity.h5 (metres), and a network report (HTML + PNG + text) "
        "listing dates, pairs, dropped pairs and disconnected subsets. The time-series GeoTIFF is ZSTD-compressed "
        "(lossless; half the CPU time of DEFLATE): QGIS, GDAL >= 2.3, rasterio and MintPy read it; for software "
        "that does not, convert it with <i>gdal_translate -co COMPRESS=DEFLATE</i>.\n\n"
        "<b>Memory</b>: rows are processed in blocks of about MAX_MEMORY_MB (advanced), whatever the stack "
        "size; only the optional points and MintPy velocity outputs keep one value per pixel in memory."
    )

    def initAlgorithm(self, config=None):
        declare.add_stack_parameters(self, mintpy=True)
        self.addParameter(declare.files("BASELINES",
                                        "Perpendicular baselines: GAMMA *_bperp.par / *_base.par files or folder",
                                        optional=True))
        self.addParameter(declare.point("REFERENCE", "Reference point (empty: automatic)", optional=True))
        declare.add_network_filter_parameters(self)
        self.addParameter(declare.enum("WEIGHTING", "Weighting", WEIGHTING))
        self.addParameter(declare.integer(ids.LOOKS, "Independent looks (variance weighting)", 10, 1, 80,
                                          advanced=True))
        self.addParameter(declare.number("COHERENCE_THRESHOLD", "Pixel coherence threshold (ISBAS)", 0.0, 0.0, 1.0))
        self.addParameter(declare.integer(ids.MIN_COUNT,
                                          "ISBAS minimum number of usable interferograms per pixel (0 = all)", 0, 0))
        self.addParameter(declare.number("MIN_TEMPORAL_COHERENCE", "Minimum temporal coherence", 0.7, 0.0, 1.0))
        self.addParameter(declare.raster("DEM", "DEM (m, same grid; for the points' HEIGHT)", optional=True))
        self.addParameter(declare.raster_out("OUTPUT_TIMESERIES", "Time series (mm)"))
        self.addParameter(declare.raster_out("OUTPUT_VELOCITY", "Velocity (mm/yr)"))
        # secondary outputs: made by default in the dialog, may be left out (then not written)
        self.addParameter(declare.raster_out("OUTPUT_VELOCITY_STD", "Velocity standard error (mm/yr)", optional=True))
        self.addParameter(declare.raster_out("OUTPUT_TEMPORAL_COHERENCE", "Temporal coherence (0-1)", optional=True))
        self.addParameter(declare.raster_out("OUTPUT_COHCOUNT", "Interferograms used per pixel (count)", optional=True))
        self.addParameter(declare.vector_out("OUTPUT_POINTS", "Velocity points (mm/yr; time series in mm)",
                                             optional=True, create=False))
        self.addParameter(declare.file_out("OUTPUT_MINTPY_TIMESERIES", "MintPy timeseries.h5", "HDF5 (*.h5)",
                                           optional=True, create=False))
        self.addParameter(declare.file_out("OUTPUT_MINTPY_VELOCITY", "MintPy velocity.h5", "HDF5 (*.h5)", optional=True,
                                           create=False))
        self.addParameter(declare.file_out("OUTPUT_REPORT", "Network report (HTML; PNG and text alongside)",
                                           "HTML (*.html)", optional=True))
        self.addOutput(QgsProcessingOutputFile("OUTPUT_NETWORK_PNG", self.tr("Network plot (PNG)")))

    def check(self, parameters, context):
        stacks.check_stack(self, parameters, context, mintpy=True)
        stacks.check_weighting(self, parameters, context)

    def process(self, parameters, context, feedback):
        progress, run = FeedbackProgress(feedback), knobs.run_settings(self, parameters, context)
        stack = stacks.gather_stack(self, parameters, context, feedback=feedback)
        full = stack.network
        weighting = ["none", "variance"][self.parameterAsEnum(parameters, "WEIGHTING", context)]
        if weighting == "variance" and not stack.has_coherence:
            raise GeohazardError("WEIGHTING: coherence-based weighting needs COHERENCE rasters")
        rows = block_rows_for(stack, run)
        min_mean_coh = self.parameterAsDouble(parameters, "MIN_MEAN_COHERENCE", context)
        # the scan pass (valid count, mean coherence) is only needed to pick a reference or filter by coherence
        need_scan = not parameters.get("REFERENCE") or min_mean_coh > 0
        count = mean_coh = ifg_coh = None
        with run.executor(progress) as ex:
            if need_scan:
                count, mean_coh, ifg_coh = scan_stack(stack, rows, SubProgress(progress, 0, 15),
                                                      coherence=stack.has_coherence, run=run, executor=ex)
            flt = network.filter_network(
                full, max_temporal_baseline_days=self.parameterAsDouble(parameters, "MAX_TEMPORAL_BASELINE", context),
                max_perp_baseline_m=self.parameterAsDouble(parameters, "MAX_PERP_BASELINE", context) or None,
                mean_coherence=ifg_coh, min_mean_coherence=min_mean_coh,
                drop_pairs=(self.parameterAsString(parameters, "DROP_PAIRS", context) or "").split(","))
            if not flt.keep.all():
                stack = stack.subset(flt.keep)
                if need_scan:
                    count, mean_coh, _ = scan_stack(stack, rows, SubProgress(progress, 15, 25),
                                                    coherence=stack.has_coherence, run=run, executor=ex)
            net = stack.network
            if count is not None and count.max() == 0:
                raise GeohazardError("INTERFEROGRAMS: every pixel is no-data (NaN or the nodata value) in every "
                                     "interferogram")
            warn_disconnected(progress, net)
            ref_rc = reference_pixel(self, parameters, context, stack, count, mean_coh)
            feedback.pushInfo(f"Reference pixel: row {ref_rc[0]}, column {ref_rc[1]}; {net.n_pairs} interferograms, "
                              f"{net.n_dates} dates, weighting {weighting}")
            solver = sbas.SbasSolver(
                net, wavelength_m=stack.wavelength_m, weighting=weighting,
                looks=self.parameterAsInt(parameters, "LOOKS", context),
                coherence_threshold=self.parameterAsDouble(parameters, "COHERENCE_THRESHOLD", context),
                min_count=self.parameterAsInt(parameters, ids.MIN_COUNT, context),
                min_temporal_coherence=self.parameterAsDouble(parameters, "MIN_TEMPORAL_COHERENCE", context))
            outputs = write_sbas_outputs(self, parameters, context, stack, solver, reference_values(stack, *ref_rc),
                                         ref_rc, rows, SubProgress(progress, 25, 95), run=run, executor=ex)
        outputs.update(stacks.write_report(self, parameters, context, net, full, flt, ref_rc))
        return outputs


def warn_disconnected(progress, net: network.Network) -> None:
    subsets = net.components()
    if len(subsets) > 1:
        warn(progress, f"the network is disconnected into {len(subsets)} subsets: " + "; ".join(
            f"{net.dates[s[0]]}..{net.dates[s[-1]]} ({len(s)} dates)" for s in subsets)
             + " -- solved with the minimum-norm velocity across the gaps")


#: Grids up to this size keep their velocity, error and last date (12 bytes per pixel) for the styles.
STYLE_STATS_MAX_PIXELS = 25_000_000


SBAS_OUTPUTS = {"OUTPUT_TIMESERIES": "timeseries", "OUTPUT_VELOCITY": "velocity", "OUTPUT_VELOCITY_STD": "velocity_std",
                "OUTPUT_TEMPORAL_COHERENCE": "temporal_coherence", "OUTPUT_COHCOUNT": "count"}


def sbas_writers(info: raster.RasterInfo, net: network.Network, meta: dict) -> dict:
    """Makers of the SBAS rasters (output key -> ``path -> RasterWriter``)."""
    dates = [d.isoformat() for d in net.dates]
    return {
        # the one large output (N bands): ZSTD, half the compression CPU of DEFLATE for the same size (tool help)
        "OUTPUT_TIMESERIES": lambda p: raster.RasterWriter.like(p, info, count=net.n_dates, descriptions=dates,
                                                                metadata=meta, compress="ZSTD"),
        "OUTPUT_VELOCITY": lambda p: raster.RasterWriter.like(p, info, metadata={**meta, "UNIT": "mm/yr"},
                                                              descriptions=["LOS velocity (mm/yr)"]),
        "OUTPUT_VELOCITY_STD": lambda p: raster.RasterWriter.like(p, info, metadata={"UNIT": "mm/yr"},
                                                                  descriptions=["velocity standard error (mm/yr)"]),
        "OUTPUT_TEMPORAL_COHERENCE": lambda p: raster.RasterWriter.like(p, info, descriptions=["temporal coherence"]),
        "OUTPUT_COHCOUNT": lambda p: raster.RasterWriter.like(p, info, dtype=np.int16, nodata=-1,
                                                              descriptions=["interferograms used"]),
    }


def write_sbas_outputs(alg, parameters, context, stack: StackInput, solver: sbas.SbasSolver, ref_mm, ref_rc, rows,
                       progress, *, run, executor=None) -> dict:
    """The solve pass on the block engine (:func:`~..algorithms.timeseries.sbas_blocks.sbas_block`): rasters,
    MintPy h5 and points, each published only when every block is written."""
    info, net = stack.info, stack.network
    need_coh = stack.has_coherence and (solver.weighting == "variance" or solver.coherence_threshold > 0)
    dem_path = alg.raster_path(parameters, "DEM", context) if parameters.get("DEM") else None
    if dem_path:
        raster.check_same_grid([info, raster.raster_info(dem_path, "DEM")], ["INTERFEROGRAMS", "DEM"])
    out = {k: alg.parameterAsOutputLayer(parameters, k, context) for k in SBAS_OUTPUTS
           if k in ("OUTPUT_TIMESERIES", "OUTPUT_VELOCITY") or parameters.get(k)}
    points_path, h5_ts, h5_vel = (alg.parameterAsFileOutput(parameters, k, context) if parameters.get(k) else ""
                                  for k in ("OUTPUT_POINTS", "OUTPUT_MINTPY_TIMESERIES", "OUTPUT_MINTPY_VELOCITY"))
    meta = {"UNIT": "mm", "SIGN": "LOS positive toward the satellite", "REFERENCE_ROW": ref_rc[0],
            "REFERENCE_COL": ref_rc[1], "WAVELENGTH_M": stack.wavelength_m}
    epsg = None
    if info.crs_wkt:
        auth = QgsCoordinateReferenceSystem.fromWkt(info.crs_wkt).authid()
        epsg = int(auth.split(":")[1]) if auth.startswith("EPSG:") else None
    georef = dict(geotransform=info.geotransform if info.has_georef else None, epsg=epsg, ref_yx=ref_rc)
    keep = sbas_blocks.SbasCollector(info.shape, geotransform=info.geotransform, points=bool(points_path),
                                     full_velocity=bool(h5_vel), read_height=(lambda r0, r1: raster.read_band(
                             dem_path, rows=(r0, r1), name="DEM")) if dem_path else None,
                                     style_stats=info.width * info.height <= STYLE_STATS_MAX_PIXELS)
    makers = sbas_writers(info, net, meta)
    writers = {k: makers[k](p) for k, p in out.items()}
    with contextlib.ExitStack() as guard:
        h5w = mintpy.MintpyTimeseriesWriter(h5_ts, net.dates, info.shape, wavelength_m=stack.wavelength_m,
                                            bperp_m=net.date_bperp_m(), **georef) if h5_ts else None
        if h5w is not None:
            guard.push(lambda exc_type, *_: exc_type is not None and h5w.abort())

        def write(block, res):
            for key, w in writers.items():
                w.write(res[SBAS_OUTPUTS[key]], row=block.row0)
            if h5w is not None:
                h5w.write(res["timeseries"], row=block.row0)
            keep(block, res)

        # blocks fill whole output tiles (written once, whatever GDAL's cache size); the engine reads block k+1
        # and writes block k-1 in background threads while block k is solved
        plan = engine.plan_blocks(info.height, info.width,
                                  block_rows=raster.aligned_block_rows(rows, writers["OUTPUT_TIMESERIES"].tile_rows))
        blocks.run_blocks(plan, functools.partial(sbas_blocks.sbas_block, solver=solver), write,
                          sources={"stack": stack_source(stack, need_coh, ref_mm)}, run=run, executor=executor,
                          progress=progress, writers=writers, background_write=True)
        check_canceled(progress)
        if h5w is not None:
            h5w.commit()
    if keep.n_disconnected:
        warn(progress, f"{keep.n_disconnected} pixel(s) had a disconnected network of usable interferograms "
             "(minimum-norm velocity across the gaps)")
    results = dict(out)
    if h5_vel:
        mintpy.write_velocity_h5(h5_vel, keep.velocity, keep.velocity_std, dates=net.dates,
                                 wavelength_m=stack.wavelength_m,
                                 **georef)
        results["OUTPUT_MINTPY_VELOCITY"] = h5_vel
    if h5_ts:
        results["OUTPUT_MINTPY_TIMESERIES"] = h5_ts
    if points_path:
        results["OUTPUT_POINTS"] = write_points(points_path, keep.pts, net, info, has_dem=bool(dem_path))
        styles.style_points_velocity(results["OUTPUT_POINTS"], context=context)
    ranges = keep.style_ranges() or {}  # the ramps' limits from the blocks, not from reading the files again
    styles.style_raster_diverging(out["OUTPUT_VELOCITY"], context=context, vmax=ranges.get("velocity"))
    styles.style_raster_diverging(out["OUTPUT_TIMESERIES"], context=context, band=net.n_dates,
                                  vmax=ranges.get("last_date"))
    if "OUTPUT_VELOCITY_STD" in out:
        lo, hi = ranges.get("velocity_std", (None, None))
        styles.style_raster_sequential(out["OUTPUT_VELOCITY_STD"], context=context, ramp_name="Magma", vmin=lo, vmax=hi)
    if "OUTPUT_TEMPORAL_COHERENCE" in out:
        styles.style_raster_sequential(out["OUTPUT_TEMPORAL_COHERENCE"], context=context, vmin=0.0, vmax=1.0)
    if "OUTPUT_COHCOUNT" in out:
        styles.style_raster_sequential(out["OUTPUT_COHCOUNT"], context=context, vmin=0, vmax=net.n_pairs)
    return results
