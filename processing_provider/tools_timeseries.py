"""Time-series tools: SBAS / ISBAS inversion, rate stacking, phase-gradient stacking."""

from __future__ import annotations

import contextlib
import functools

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessing,
    QgsProcessingOutputFile,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterPoint,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorDestination,
)

from ..algorithms.engine import CallableSource, StackSource, plan_blocks, process_blocks
from ..algorithms.errors import GeohazardError
from ..algorithms.formats.mintpy import MintpyTimeseriesWriter, write_velocity_h5
from ..algorithms.progress import SubProgress, check_canceled, warn
from ..algorithms.timeseries.network import Network, filter_network
from ..algorithms.timeseries.sbas import SbasSolver, choose_reference
from ..algorithms.timeseries.sbas_blocks import SbasCollector, StackScan, referenced, sbas_block, scan_block
from ..algorithms.timeseries.stack_blocks import phase_gradient_block, stacking_block
from . import params
from .base import GeohazardAlgorithm
from .engine_params import HELP as DASK_HELP
from .engine_params import add_dask_parameter, executor
from .feedback import FeedbackProgress
from .io.stacks import (
    StackInput,
    expand_file_inputs,  # noqa: F401  (imported from here by tools on other branches)
    expand_raster_inputs,  # noqa: F401  (tools_unwrap.py imports it from here; owner: unwraptile)
    gather_stack,
    gdal_threads,
    ignored_report,
    is_mintpy_stack,
    stack_raster_files,
    write_points,
    write_report,
)
from .io.stacks import raw_list as _raw_list
from .io.styles import style_points_velocity, style_raster_diverging, style_raster_sequential
from .params import INPUT_UNITS, UNITS_HELP, WEIGHTING, check_stack_parameters
from .params import add_stack_parameters as common_parameters
from .raster_io import (
    GdalOpener,
    RasterInfo,
    RasterWriter,
    aligned_block_rows,
    check_same_grid,
    raster_info,
    read_band,
)
from .wavelength import HELP as WAVELENGTH_HELP
from .wavelength import wavelength_parameter

# ============================================================================ inputs


def stack_source(stack: StackInput, coherence: bool, reference_mm=None) -> CallableSource:
    """The stack as a block-engine source ``(ifg_mm [- reference_mm], coherence or None)``: read in this process
    (units, signs, MintPy; the reader thread locally) and shipped to Dask workers with each block."""
    return CallableSource(lambda r0, r1: referenced(stack.read(r0, r1, coherence=coherence), reference_mm))


def scan_stack(stack: StackInput, block_rows: int, progress, *, coherence: bool, executor=None) -> tuple:
    """One pass on the block engine: valid count per pixel, mean coherence per pixel and per interferogram."""
    info = stack.info
    scan = StackScan(info.height, info.width, stack.network.n_pairs, coherence=coherence)
    process_blocks(plan_blocks(info.height, info.width, block_rows=block_rows),
                   functools.partial(scan_block, coherence=coherence), scan,
                   sources={"stack": stack_source(stack, coherence)}, executor=executor, progress=progress)
    return scan.result()


def reference_pixel(alg, parameters, context, stack: StackInput, count, mean_coh) -> tuple[int, int]:
    """Pixel (row, col) of REFERENCE, or the automatic choice; checked valid in every interferogram."""
    info = stack.info
    if parameters.get("REFERENCE"):
        crs = QgsCoordinateReferenceSystem()
        if info.crs_wkt:
            crs = QgsCoordinateReferenceSystem.fromWkt(info.crs_wkt)
        pt = alg.parameterAsPoint(parameters, "REFERENCE", context, crs)
        row, col = info.world_to_pixel(pt.x(), pt.y())
        r, c = int(np.floor(row)), int(np.floor(col))
        if not (0 <= r < info.height and 0 <= c < info.width):
            raise GeohazardError(f"REFERENCE: the point ({pt.x():.6f}, {pt.y():.6f}) is outside the interferograms "
                                 f"({info.height} rows x {info.width} columns)")
        n_valid = int(np.isfinite(reference_values(stack, r, c)).sum()) if count is None else int(count[r, c])
        if n_valid < stack.network.n_pairs:
            raise GeohazardError(f"REFERENCE: the point ({pt.x():.6f}, {pt.y():.6f}) (row {r}, column {c}) has no "
                                 f"data in {stack.network.n_pairs - n_valid} of {stack.network.n_pairs} "
                                 "interferograms; choose a pixel valid in all of them")
        return r, c
    return choose_reference(count, stack.network.n_pairs, mean_coherence=mean_coh)


def reference_values(stack: StackInput, r: int, c: int) -> np.ndarray:
    ifg, _ = stack.read(r, r + 1)
    return ifg[:, 0, c].copy()


def block_rows_for(stack: StackInput, memory_mb: float, *, factor: float = 6.0) -> int:
    """Rows per block so that ~``factor`` float64 copies of the block stack fit in ``memory_mb``."""
    per_row = stack.network.n_pairs * stack.info.width * 8.0 * factor
    return int(max(1, min(stack.info.height, memory_mb * 1e6 // max(per_row, 1))))


# ============================================================================ SBAS
class SbasInversion(GeohazardAlgorithm):
    input_raster_files = stack_raster_files
    NAME = "sbasinversion"
    DISPLAY_NAME = "SBAS / ISBAS time series inversion"
    GROUP_ID = "timeseries"
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
    ) + DASK_HELP

    def initAlgorithm(self, config=None):
        common_parameters(self, mintpy=True)
        self.addParameter(QgsProcessingParameterMultipleLayers(
            "BASELINES", self.tr("Perpendicular baselines: GAMMA *_bperp.par / *_base.par files or folder"),
            QgsProcessing.SourceType.TypeFile, optional=True))
        self.addParameter(QgsProcessingParameterEnum("INPUT_UNITS", self.tr("Input unit / sign"),
                                                     options=INPUT_UNITS, defaultValue=0))
        self.addParameter(QgsProcessingParameterPoint("REFERENCE", self.tr("Reference point (empty: automatic)"),
                                                      optional=True))
        params.add_network_filter_parameters(self)
        self.addParameter(QgsProcessingParameterEnum("WEIGHTING", self.tr("Weighting"), options=WEIGHTING,
                                                     defaultValue=0))
        p = QgsProcessingParameterNumber("LOOKS", self.tr("Independent looks (variance weighting)"),
                                         QgsProcessingParameterNumber.Type.Integer, defaultValue=10, minValue=1,
                                         maxValue=80)
        p.setFlags(p.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
        self.addParameter(p)
        self.addParameter(QgsProcessingParameterNumber(
            "COHERENCE_THRESHOLD", self.tr("Pixel coherence threshold (ISBAS)"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=0.0, minValue=0.0, maxValue=1.0))
        self.addParameter(QgsProcessingParameterNumber(
            "ISBAS_MIN_COUNT", self.tr("ISBAS minimum number of usable interferograms per pixel (0 = all)"),
            QgsProcessingParameterNumber.Type.Integer, defaultValue=0, minValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            "MIN_TEMPORAL_COHERENCE", self.tr("Minimum temporal coherence"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=0.7, minValue=0.0, maxValue=1.0))
        self.addParameter(QgsProcessingParameterRasterLayer(
            "DEM", self.tr("DEM (m, same grid; for the points' HEIGHT)"), optional=True))
        p = QgsProcessingParameterNumber("MAX_MEMORY_MB", self.tr("Memory for one block (MB)"),
                                         QgsProcessingParameterNumber.Type.Integer, defaultValue=512, minValue=16)
        p.setFlags(p.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
        self.addParameter(p)
        self.addParameter(QgsProcessingParameterRasterDestination("OUTPUT_TIMESERIES", self.tr("Time series (mm)")))
        self.addParameter(QgsProcessingParameterRasterDestination("OUTPUT_VELOCITY", self.tr("Velocity (mm/yr)")))
        # secondary outputs: made by default in the dialog, may be left out (then not written)
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_VELOCITY_STD", self.tr("Velocity standard error (mm/yr)"), optional=True))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_TEMPORAL_COHERENCE", self.tr("Temporal coherence (0-1)"), optional=True))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_COHCOUNT", self.tr("Interferograms used per pixel (count)"), optional=True))
        self.addParameter(QgsProcessingParameterVectorDestination(
            "OUTPUT_POINTS", self.tr("Velocity points (mm/yr; time series in mm)"), optional=True,
            createByDefault=False))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_MINTPY_TIMESERIES", self.tr("MintPy timeseries.h5"), "HDF5 (*.h5)", optional=True,
            createByDefault=False))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_MINTPY_VELOCITY", self.tr("MintPy velocity.h5"), "HDF5 (*.h5)", optional=True,
            createByDefault=False))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_REPORT", self.tr("Network report (HTML; PNG and text alongside)"), "HTML (*.html)",
            optional=True))
        self.addOutput(QgsProcessingOutputFile("OUTPUT_NETWORK_PNG", self.tr("Network plot (PNG)")))
        add_dask_parameter(self)

    def checkParameterValues(self, parameters, context):
        ok, msg = check_stack_parameters(self, parameters, context, mintpy=True)
        if not ok:
            return ok, msg
        w = self.parameterAsEnum(parameters, "WEIGHTING", context)
        thr = self.parameterAsDouble(parameters, "COHERENCE_THRESHOLD", context)
        has_coh = bool(_raw_list(parameters.get("COHERENCE"))) or bool(parameters.get("MINTPY_STACK")) \
            or any(is_mintpy_stack(i) for i in _raw_list(parameters.get("INTERFEROGRAMS")))
        if (w == 1 or thr > 0) and not has_coh:
            return False, "WEIGHTING by coherence and COHERENCE_THRESHOLD need COHERENCE rasters"
        return True, ""

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        stack = gather_stack(self, parameters, context, feedback=feedback)
        for line in ignored_report(stack.ignored):
            feedback.pushInfo(line)
        full = stack.network
        weighting = ["none", "variance"][self.parameterAsEnum(parameters, "WEIGHTING", context)]
        if weighting == "variance" and not stack.has_coherence:
            raise GeohazardError("WEIGHTING: coherence-based weighting needs COHERENCE rasters")
        rows = block_rows_for(stack, self.parameterAsDouble(parameters, "MAX_MEMORY_MB", context))
        min_mean_coh = self.parameterAsDouble(parameters, "MIN_MEAN_COHERENCE", context)
        # the scan pass (valid count, mean coherence) is only needed to pick a reference or filter by coherence
        need_scan = not parameters.get("REFERENCE") or min_mean_coh > 0
        count = mean_coh = ifg_coh = None
        with executor(self, parameters, context, feedback) as ex:
            if need_scan:
                count, mean_coh, ifg_coh = scan_stack(stack, rows, SubProgress(progress, 0, 15),
                                                      coherence=stack.has_coherence, executor=ex)
            flt = filter_network(
                full, max_temporal_baseline_days=self.parameterAsDouble(parameters, "MAX_TEMPORAL_BASELINE", context),
                max_perp_baseline_m=self.parameterAsDouble(parameters, "MAX_PERP_BASELINE", context) or None,
                mean_coherence=ifg_coh, min_mean_coherence=min_mean_coh,
                drop_pairs=(self.parameterAsString(parameters, "DROP_PAIRS", context) or "").split(","))
            if not flt.keep.all():
                stack = stack.subset(flt.keep)
                if need_scan:
                    count, mean_coh, _ = scan_stack(stack, rows, SubProgress(progress, 15, 25),
                                                    coherence=stack.has_coherence, executor=ex)
            net = stack.network
            if count is not None and count.max() == 0:
                raise GeohazardError("INTERFEROGRAMS: every pixel is no-data (NaN or the nodata value) in every "
                                     "interferogram")
            warn_disconnected(progress, net)
            n_parts = len(net.components(np.ones(net.n_pairs, bool)))
            if net.n_pairs <= net.n_dates - n_parts:  # a tree: every pair is needed, none checks another
                feedback.pushWarning(
                    f"INTERFEROGRAMS: {net.n_pairs} interferogram(s) for {net.n_dates} dates leave no redundancy: "
                    "no loop can reveal an unwrapping error and the atmosphere of each date stays in the series "
                    "(temporal coherence is 1 by construction); read the velocity as that of the interferograms "
                    "themselves, or add pairs")
            ref_rc = reference_pixel(self, parameters, context, stack, count, mean_coh)
            feedback.pushInfo(f"Reference pixel: row {ref_rc[0]}, column {ref_rc[1]}; {net.n_pairs} interferograms, "
                              f"{net.n_dates} dates, weighting {weighting}")
            solver = SbasSolver(
                net, wavelength_m=stack.wavelength_m, weighting=weighting,
                looks=self.parameterAsInt(parameters, "LOOKS", context),
                coherence_threshold=self.parameterAsDouble(parameters, "COHERENCE_THRESHOLD", context),
                min_count=self.parameterAsInt(parameters, "ISBAS_MIN_COUNT", context),
                min_temporal_coherence=self.parameterAsDouble(parameters, "MIN_TEMPORAL_COHERENCE", context))
            outputs = write_sbas_outputs(self, parameters, context, stack, solver, reference_values(stack, *ref_rc),
                                         ref_rc, rows, SubProgress(progress, 25, 95), executor=ex)
        outputs.update(write_report(self, parameters, context, net, full, flt, ref_rc))
        return outputs


def warn_disconnected(progress, net: Network) -> None:
    subsets = net.components()
    if len(subsets) > 1:
        warn(progress, f"the network is disconnected into {len(subsets)} subsets: " + "; ".join(
            f"{net.dates[s[0]]}..{net.dates[s[-1]]} ({len(s)} dates)" for s in subsets)
            + " -- solved with the minimum-norm velocity across the gaps")


#: Grids up to this size keep their velocity, error and last date (12 bytes per pixel) for the styles.
STYLE_STATS_MAX_PIXELS = 25_000_000
SBAS_OUTPUTS = {"OUTPUT_TIMESERIES": "timeseries", "OUTPUT_VELOCITY": "velocity", "OUTPUT_VELOCITY_STD": "velocity_std",
                "OUTPUT_TEMPORAL_COHERENCE": "temporal_coherence", "OUTPUT_COHCOUNT": "count"}


def sbas_writers(info: RasterInfo, net: Network, meta: dict) -> dict:
    """Makers of the SBAS rasters (output key -> ``path -> RasterWriter``)."""
    dates = [d.isoformat() for d in net.dates]
    return {
        # the one large output (N bands): ZSTD, half the compression CPU of DEFLATE for the same size (tool help)
        "OUTPUT_TIMESERIES": lambda p: RasterWriter.like(p, info, count=net.n_dates, descriptions=dates,
                                                         metadata=meta, compress="ZSTD"),
        "OUTPUT_VELOCITY": lambda p: RasterWriter.like(p, info, metadata={**meta, "UNIT": "mm/yr"},
                                                       descriptions=["LOS velocity (mm/yr)"]),
        "OUTPUT_VELOCITY_STD": lambda p: RasterWriter.like(p, info, metadata={"UNIT": "mm/yr"},
                                                           descriptions=["velocity standard error (mm/yr)"]),
        "OUTPUT_TEMPORAL_COHERENCE": lambda p: RasterWriter.like(p, info, descriptions=["temporal coherence"]),
        "OUTPUT_COHCOUNT": lambda p: RasterWriter.like(p, info, dtype=np.int16, nodata=-1,
                                                       descriptions=["interferograms used"]),
    }


def write_sbas_outputs(alg, parameters, context, stack: StackInput, solver: SbasSolver, ref_mm, ref_rc, rows,
                       progress, *, executor=None) -> dict:
    """The solve pass on the block engine (:func:`~..algorithms.timeseries.sbas_blocks.sbas_block`): rasters,
    MintPy h5 and points, each published only when every block is written."""
    info, net = stack.info, stack.network
    need_coh = stack.has_coherence and (solver.weighting == "variance" or solver.coherence_threshold > 0)
    dem_path = alg.raster_path(parameters, "DEM", context) if parameters.get("DEM") else None
    if dem_path:
        check_same_grid([info, raster_info(dem_path, "DEM")], ["INTERFEROGRAMS", "DEM"])
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
    keep = SbasCollector(info.shape, geotransform=info.geotransform, points=bool(points_path),
                         full_velocity=bool(h5_vel), read_height=(lambda r0, r1: read_band(
                             dem_path, rows=(r0, r1), name="DEM")) if dem_path else None,
                         style_stats=info.width * info.height <= STYLE_STATS_MAX_PIXELS)
    makers = sbas_writers(info, net, meta)
    with contextlib.ExitStack() as guard:
        writers = {k: guard.enter_context(makers[k](p)) for k, p in out.items()}
        h5w = MintpyTimeseriesWriter(h5_ts, net.dates, info.shape, wavelength_m=stack.wavelength_m,
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
        plan = plan_blocks(info.height, info.width,
                           block_rows=aligned_block_rows(rows, writers["OUTPUT_TIMESERIES"].tile_rows))
        process_blocks(plan, functools.partial(sbas_block, solver=solver), write,
                       sources={"stack": stack_source(stack, need_coh, ref_mm)}, executor=executor, progress=progress,
                       background_write=True)
        check_canceled(progress)
        with gdal_threads():
            for w in writers.values():
                w.commit()
        if h5w is not None:
            h5w.commit()
    if keep.n_disconnected:
        warn(progress, f"{keep.n_disconnected} pixel(s) had a disconnected network of usable interferograms "
                       "(minimum-norm velocity across the gaps)")
    results = dict(out)
    if h5_vel:
        write_velocity_h5(h5_vel, keep.velocity, keep.velocity_std, dates=net.dates, wavelength_m=stack.wavelength_m,
                          **georef)
        results["OUTPUT_MINTPY_VELOCITY"] = h5_vel
    if h5_ts:
        results["OUTPUT_MINTPY_TIMESERIES"] = h5_ts
    if points_path:
        results["OUTPUT_POINTS"] = write_points(points_path, keep.pts, net, info, has_dem=bool(dem_path))
        style_points_velocity(results["OUTPUT_POINTS"], context=context)
    ranges = keep.style_ranges() or {}  # the ramps' limits from the blocks, not from reading the files again
    style_raster_diverging(out["OUTPUT_VELOCITY"], context=context, vmax=ranges.get("velocity"))
    style_raster_diverging(out["OUTPUT_TIMESERIES"], context=context, band=net.n_dates, vmax=ranges.get("last_date"))
    if "OUTPUT_VELOCITY_STD" in out:
        lo, hi = ranges.get("velocity_std", (None, None))
        style_raster_sequential(out["OUTPUT_VELOCITY_STD"], context=context, ramp_name="Magma", vmin=lo, vmax=hi)
    if "OUTPUT_TEMPORAL_COHERENCE" in out:
        style_raster_sequential(out["OUTPUT_TEMPORAL_COHERENCE"], context=context, vmin=0.0, vmax=1.0)
    if "OUTPUT_COHCOUNT" in out:
        style_raster_sequential(out["OUTPUT_COHCOUNT"], context=context, vmin=0, vmax=net.n_pairs)
    return results


# ============================================================================ stacking
class StackingVelocity(GeohazardAlgorithm):
    input_raster_files = stack_raster_files
    NAME = "stackingvelocity"
    DISPLAY_NAME = "Stacking velocity (weighted rate stacking)"
    GROUP_ID = "timeseries"
    HELP = (
        "Quick-look LOS velocity from a stack of unwrapped interferograms by weighted rate stacking: "
        "v = sum(w d dt) / sum(w dt^2) per pixel, with its standard error from the scatter of the "
        "interferogram rates (Sandwell & Price 1998, doi:10.1029/1998JB900010). Assumes a constant rate.\n\n"
        "<b>Interferograms</b>: folder or list (date pair from the file name). <b>Coherence</b> (optional): "
        "for the weighting and the threshold.\n" + UNITS_HELP +
        "<b>Reference point</b>: as in the SBAS tool (empty: automatic).\n"
        "<b>Maximum temporal baseline</b> (days, 0 = all).\n\n"
        "<b>Outputs</b>: velocity (mm/yr, LOS positive toward the satellite), standard error (mm/yr), "
        "number of interferograms used."
    ) + DASK_HELP

    def initAlgorithm(self, config=None):
        common_parameters(self, mintpy=False)
        self.addParameter(QgsProcessingParameterEnum("INPUT_UNITS", self.tr("Input unit / sign"),
                                                     options=INPUT_UNITS, defaultValue=0))
        self.addParameter(QgsProcessingParameterPoint("REFERENCE", self.tr("Reference point (empty: automatic)"),
                                                      optional=True))
        self.addParameter(params.max_temporal_baseline_parameter(self))
        self.addParameter(QgsProcessingParameterEnum("WEIGHTING", self.tr("Weighting"), options=WEIGHTING,
                                                     defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            "LOOKS", self.tr("Independent looks (variance weighting)"), QgsProcessingParameterNumber.Type.Integer,
            defaultValue=10, minValue=1, maxValue=80))
        self.addParameter(QgsProcessingParameterNumber(
            "COHERENCE_THRESHOLD", self.tr("Pixel coherence threshold"), QgsProcessingParameterNumber.Type.Double,
            defaultValue=0.0, minValue=0.0, maxValue=1.0))
        self.addParameter(QgsProcessingParameterNumber(
            "MIN_COUNT", self.tr("Minimum number of interferograms per pixel"),
            QgsProcessingParameterNumber.Type.Integer,
            defaultValue=2, minValue=1))
        self.addParameter(QgsProcessingParameterRasterDestination("OUTPUT_VELOCITY", self.tr("Stacked velocity")))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_VELOCITY_STD", self.tr("Stacked velocity standard error"), optional=True))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_COUNT", self.tr("Interferograms used"), optional=True, createByDefault=False))

        add_dask_parameter(self)
    def checkParameterValues(self, parameters, context):
        ok, msg = check_stack_parameters(self, parameters, context, mintpy=False)
        if ok and (self.parameterAsEnum(parameters, "WEIGHTING", context) == 1
                   or self.parameterAsDouble(parameters, "COHERENCE_THRESHOLD", context) > 0) \
                and not _raw_list(parameters.get("COHERENCE")):
            return False, "WEIGHTING by coherence and COHERENCE_THRESHOLD need COHERENCE rasters"
        return ok, msg

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        stack = gather_stack(self, parameters, context, allow_mintpy=False, baselines=False, feedback=feedback)
        flt = filter_network(stack.network, max_temporal_baseline_days=self.parameterAsDouble(
            parameters, "MAX_TEMPORAL_BASELINE", context))
        stack = stack.subset(flt.keep) if not flt.keep.all() else stack
        rows = block_rows_for(stack, 256.0, factor=5)
        count = mean_coh = None
        if not parameters.get("REFERENCE"):
            count, mean_coh, _ = scan_stack(stack, rows, SubProgress(progress, 0, 30),
                                            coherence=stack.has_coherence)
        ref_rc = reference_pixel(self, parameters, context, stack, count, mean_coh)
        ref_mm = reference_values(stack, *ref_rc)
        weighted = self.parameterAsEnum(parameters, "WEIGHTING", context) == 1
        thr = self.parameterAsDouble(parameters, "COHERENCE_THRESHOLD", context)
        looks = self.parameterAsInt(parameters, "LOOKS", context)
        min_count = self.parameterAsInt(parameters, "MIN_COUNT", context)
        span = stack.network.temporal_baseline_days / 365.25
        info = stack.info
        keys = [k for k in ("OUTPUT_VELOCITY", "OUTPUT_VELOCITY_STD", "OUTPUT_COUNT") if parameters.get(k)]
        paths = {k: self.parameterAsOutputLayer(parameters, k, context) for k in keys}
        writers = {k: RasterWriter.like(p, info, **({"dtype": np.int16, "nodata": -1} if k == "OUTPUT_COUNT" else {}))
                   for k, p in paths.items()}
        coherence = stack.has_coherence and (weighted or thr > 0)
        # the stack is read here (units, signs, MintPy) and shipped to Dask workers with each block
        source = CallableSource(lambda r0, r1: stack.read(r0, r1, coherence=coherence))
        func = functools.partial(stacking_block, span_years=span, reference_mm=ref_mm, weighted=weighted,
                                 coherence_threshold=thr, looks=looks, min_count=min_count)
        names = {"OUTPUT_VELOCITY": "velocity", "OUTPUT_VELOCITY_STD": "velocity_std", "OUTPUT_COUNT": "count"}

        def write(block, out):
            for k, wr in writers.items():
                wr.write(out[names[k]], row=block.row0)

        with contextlib.ExitStack() as outputs:
            for wr in writers.values():
                outputs.enter_context(wr)
            with executor(self, parameters, context, feedback) as ex:
                process_blocks(plan_blocks(info.height, info.width, block_rows=rows), func, write,
                               sources={"stack": source}, executor=ex, progress=SubProgress(progress, 30, 100),
                               background_write=True)
        style_raster_diverging(paths["OUTPUT_VELOCITY"], context=context)
        if "OUTPUT_VELOCITY_STD" in paths:
            style_raster_sequential(paths["OUTPUT_VELOCITY_STD"], context=context, ramp_name="Magma")
        return paths


# ============================================================================ phase gradient
class PhaseGradientStacking(GeohazardAlgorithm):
    input_raster_files = stack_raster_files
    NAME = "phasegradientstacking"
    DISPLAY_NAME = "Phase-gradient stacking (landslide detection)"
    GROUP_ID = "timeseries"
    HELP = (
        "Reveals slow-moving landslides without phase unwrapping: the wrapped phase gradient of each "
        "short-baseline interferogram is taken along columns (range / x) and rows (azimuth / y) as the angle "
        "of z(next) * conj(z), and the gradients are stacked as a rate, sum(w g) / sum(w dt). Localised "
        "motion (landslide bodies and borders) shows up as high gradient; smooth atmospheric delays largely "
        "cancel. After Fu, Zhang, Wang et al. (2022), doi:10.3389/fenvs.2022.963322.\n\n"
        "<b>Interferograms</b>: wrapped phase (radians), complex interferograms, or unwrapped phase (it is "
        "re-wrapped); folder or list, date pair from the file name. Use short temporal baselines "
        "(e.g. <= 48 days) so gradients do not alias.\n"
        "<b>Coherence</b> (optional): weights (the smaller of the two pixels).\n"
        "<b>Phase convention</b>: sign of the component outputs only.\n" + WAVELENGTH_HELP + "\n\n"
        "<b>Outputs</b>: gradient-rate magnitude in mm/yr of LOS motion per pixel; optional column (range) and "
        "row (azimuth) components, signed, LOS positive toward the satellite."
    ) + DASK_HELP

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterMultipleLayers(
            "INTERFEROGRAMS", self.tr("Wrapped interferograms (rasters, or a folder)"),
            QgsProcessing.SourceType.TypeRaster))
        self.addParameter(QgsProcessingParameterMultipleLayers(
            "COHERENCE", self.tr("Coherence rasters or folder (weights)"), QgsProcessing.SourceType.TypeRaster,
            optional=True))
        self.addParameter(wavelength_parameter(self, params.WAVELENGTH))
        self.addParameter(QgsProcessingParameterEnum("INPUT_UNITS", self.tr("Phase convention"),
                                                     options=INPUT_UNITS[:2], defaultValue=0))
        self.addParameter(params.max_temporal_baseline_parameter(self))
        self.addParameter(QgsProcessingParameterNumber(
            "MIN_COUNT", self.tr("Minimum number of interferograms per pixel"),
            QgsProcessingParameterNumber.Type.Integer,
            defaultValue=1, minValue=1))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT", self.tr("Phase-gradient magnitude (mm/yr per pixel)")))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_RANGE", self.tr("Column (range) gradient (mm/yr per pixel)"), optional=True,
            createByDefault=False))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_AZIMUTH", self.tr("Row (azimuth) gradient (mm/yr per pixel)"), optional=True,
            createByDefault=False))

        add_dask_parameter(self)
    def checkParameterValues(self, parameters, context):
        return check_stack_parameters(self, parameters, context, mintpy=False)

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        stack = gather_stack(self, parameters, context, allow_mintpy=False, baselines=False, feedback=feedback)
        flt = filter_network(stack.network, max_temporal_baseline_days=self.parameterAsDouble(
            parameters, "MAX_TEMPORAL_BASELINE", context))
        stack = stack.subset(flt.keep) if not flt.keep.all() else stack
        sign = 1.0 if self.parameterAsEnum(parameters, "INPUT_UNITS", context) == 0 else -1.0
        min_count = self.parameterAsInt(parameters, "MIN_COUNT", context)
        span = stack.network.temporal_baseline_days / 365.25
        info = stack.info
        keys = [k for k in ("OUTPUT", "OUTPUT_RANGE", "OUTPUT_AZIMUTH") if parameters.get(k)]
        paths = {k: self.parameterAsOutputLayer(parameters, k, context) for k in keys}
        writers = {k: RasterWriter.like(p, info) for k, p in paths.items()}
        rows = block_rows_for(stack, 256.0, factor=10)
        order = list(stack.order)
        sources = {"phase": StackSource([stack.paths[i] for i in order], GdalOpener(), dtype=np.float64)}
        if stack.coh_paths is not None:
            sources["coherence"] = StackSource([stack.coh_paths[i] for i in order], GdalOpener(), dtype=np.float32)
        func = functools.partial(phase_gradient_block, span_years=span, wavelength_m=stack.wavelength_m,
                                 signs=sign * np.asarray(stack.signs, dtype=np.float64), min_count=min_count)
        names = {"OUTPUT": "magnitude_mm_yr", "OUTPUT_RANGE": "col_mm_yr", "OUTPUT_AZIMUTH": "row_mm_yr"}

        def write(block, out):
            for k, wr in writers.items():
                wr.write(out[names[k]], row=block.row0)

        with contextlib.ExitStack() as outputs:
            for wr in writers.values():
                outputs.enter_context(wr)
            with executor(self, parameters, context, feedback) as ex:
                process_blocks(plan_blocks(info.height, info.width, block_rows=rows, halo=1), func, write,
                               sources=sources, executor=ex, progress=progress, background_write=True)
        style_raster_sequential(paths["OUTPUT"], context=context, ramp_name="Magma")
        for k in ("OUTPUT_RANGE", "OUTPUT_AZIMUTH"):
            if k in paths:
                style_raster_diverging(paths[k], context=context)
        return paths


ALGORITHMS = [SbasInversion, StackingVelocity, PhaseGradientStacking]

