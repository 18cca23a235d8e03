"""``geohazard:sbasinversion``. SBAS inversion: displacement time series and velocity from a network of unwrapped
interferograms (SBAS / ISBAS)."""

from __future__ import annotations

from ....algorithms.errors import GeohazardError
from ....fileio.display import styles
from ....fileio.timeseries import sbasinversion as io_sbas
from ...inputs import declare, ids, knobs, layers, stacks
from ...inputs.aliases import Alias
from ...inputs.declare import PRODUCTS_HELP, UNITS_HELP, WEIGHTING
from ...inputs.feedback import FeedbackProgress
from .._base import StackAlgorithm, tool

#: The shared choices and one for chains whose coherence is optional (the Corrected SBAS model).
SBAS_WEIGHTING = WEIGHTING + ["Phase variance from COHERENCE"]


@tool("sbasinversion", "SBAS / ISBAS time series inversion",
      tags=("SBAS,ISBAS,time series,velocity,displacement,subsidence,landslide,deformation,interferogram,"
            "unwrapped,MintPy,ground motion"),
      main=("OUTPUT_VELOCITY", ids.OUTPUT_POINTS), kernels=("timeseries.sbas",),
      page="timeseries",
      former=(Alias("ISBAS_MIN_COUNT", ids.MIN_COUNT),), engine=True)
class SbasInversion(StackAlgorithm):
    OUTPUT_VELOCITY = "OUTPUT_VELOCITY"
    OUTPUT_VELOCITY_STD = "OUTPUT_VELOCITY_STD"
    OUTPUT_TEMPORAL_COHERENCE = "OUTPUT_TEMPORAL_COHERENCE"
    OUTPUT_COHCOUNT = "OUTPUT_COHCOUNT"
    OUTPUT_MINTPY_TIMESERIES = "OUTPUT_MINTPY_TIMESERIES"
    OUTPUT_MINTPY_VELOCITY = "OUTPUT_MINTPY_VELOCITY"
    OUTPUT_NETWORK_PNG = "OUTPUT_NETWORK_PNG"
    HELP = (
        "Displacement time series and velocity from a network of unwrapped interferograms by "
        "pixel-wise (weighted) least squares (SBAS, Berardino et al. 2002, doi:10.1109/TGRS.2002.803792; "
        "ISBAS, Sowter et al. 2013, doi:10.1080/2150704X.2013.823673).\n\n"
        "<b>Interferograms</b>: a folder (files whose name contains 'unw' are used when present) or a list of "
        "rasters on one grid; the date pair of each comes from its file name (20200101_20200113, "
        "20180106-20180130, 060619-061002, HyP3 S1AA_20200101T..._20200113T..., ...). Or a MintPy "
        "ifgramStack.h5 (its dropIfgram flag, bperp, WAVELENGTH and REF_Y/REF_X are used).\n"
        "<b>Coherence</b> (optional): folder or list matched by date pair (names with cc/coh/cor).\n"
        "<b>Baselines</b> (optional): GAMMA *_bperp.par / *_base.par files or folder, a LiCSAR baselines file, "
        "HyP3 products' .txt (a product given as INTERFEROGRAMS brings its own), for the network plot, the "
        "perpendicular-baseline filter and the DEM-error step (carried on the time series).\n"
        + PRODUCTS_HELP + UNITS_HELP +
        "<b>Reference point</b>: all interferograms are referenced to this pixel (must have data in all of "
        "them). Empty: the largest consistent ground, i.e. the largest area of pixels with data in every "
        "interferogram whose loop closures are small and whose stacking rate is near the scene's mode, at its pixel "
        "farthest from the area's edge (never coherence alone, never the image centre; a warning when no such area "
        "exists; the log names the rule and the point).\n"
        "<b>Network filters</b>: maximum temporal (days) and perpendicular (m) baseline, minimum mean "
        "coherence, pairs to drop (YYYYMMDD_YYYYMMDD, comma separated). 0 = no limit.\n"
        "<b>Weighting</b>: none, or inverse phase variance from coherence (Tough et al. 1995, as MintPy), or the "
        "latter when COHERENCE is given and none otherwise (logged; the Corrected SBAS model uses it).\n"
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
        "size; only the optional points and MintPy velocity outputs keep one value per pixel in memory. GDAL's "
        "cache is raised for the run to one row of tiles of every input (each tile decoded once; 1.3 GB for 300 "
        "interferograms 3200 px wide in 256-row tiles). Long runs log the read / solve / write seconds per block "
        "and the projected time. On a Dask cluster (DASK_SCHEDULER) each worker reads its own rows of the "
        "interferograms by path, the blocks of one row of the inputs' tiles on one worker (VRT, MintPy HDF5 and "
        "/vsi inputs are read by this process and sent with each block; the log says which)."
    )
    MINTPY = True
    WEIGHTED = True
    #: raster outputs (the first two always written), then the file outputs
    RASTERS = (ids.OUTPUT_TIMESERIES, OUTPUT_VELOCITY, OUTPUT_VELOCITY_STD, OUTPUT_TEMPORAL_COHERENCE, OUTPUT_COHCOUNT)
    FILES = (ids.OUTPUT_POINTS, OUTPUT_MINTPY_TIMESERIES, OUTPUT_MINTPY_VELOCITY)

    def initAlgorithm(self, config=None):
        self.addParameter(declare.files(self.BASELINES,
                                        "Perpendicular baselines (files or folder)", optional=True))
        self.addParameter(declare.point(self.REFERENCE, "Reference point (empty: automatic)", optional=True))
        declare.add_network_filter_parameters(self)
        self.addParameter(declare.enum(self.WEIGHTING, "Weighting", SBAS_WEIGHTING))
        self.addParameter(declare.integer(ids.LOOKS, "Independent looks (variance weighting)", 10, 1, 80,
                                          advanced=True))
        self.addParameter(declare.number(self.COHERENCE_THRESHOLD, "Pixel coherence threshold (ISBAS)", 0.0, 0.0, 1.0))
        self.addParameter(declare.integer(ids.MIN_COUNT,
                                          "ISBAS: fewest interferograms (0 = all)", 0, 0))
        self.addParameter(declare.number(self.MIN_TEMPORAL_COHERENCE, "Minimum temporal coherence", 0.7, 0.0, 1.0))
        self.addParameter(declare.raster(self.DEM, "DEM (m, same grid; for the points' HEIGHT)", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_TIMESERIES, "Time series (mm)"))
        self.addParameter(declare.raster_out(self.OUTPUT_VELOCITY, "Velocity (mm/yr)"))
        # secondary outputs: made by default in the dialog, may be left out (then not written)
        self.addParameter(declare.raster_out(self.OUTPUT_VELOCITY_STD, "Velocity standard error (mm/yr)",
                                             optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_TEMPORAL_COHERENCE, "Temporal coherence (0-1)", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_COHCOUNT, "Interferograms used per pixel (count)",
                                             optional=True))
        self.addParameter(declare.vector_out(self.OUTPUT_POINTS, "Velocity points (mm/yr; time series in mm)",
                                             optional=True, create=False))
        self.addParameter(declare.file_out(self.OUTPUT_MINTPY_TIMESERIES, "MintPy timeseries.h5", "HDF5 (*.h5)",
                                           optional=True, create=False))
        self.addParameter(declare.file_out(self.OUTPUT_MINTPY_VELOCITY, "MintPy velocity.h5", "HDF5 (*.h5)",
                                           optional=True,
                                           create=False))
        self.addParameter(declare.file_out(self.OUTPUT_REPORT, "Network report (HTML, PNG and text)",
                                           "HTML (*.html)", optional=True))
        self.addOutput(declare.report_output(self.OUTPUT_NETWORK_PNG, self.tr("Network plot (PNG)")))

    #: a solver that reads no coherence (none given, or neither weighting nor a coherence threshold) compiles about
    #: half as much
    COMPILE_VARIANTS = ("", "nocoherence")

    def compile_variant(self, parameters, context) -> str:
        v = self.values(parameters, context, ids.WEIGHTING, ids.COHERENCE_THRESHOLD)
        if (v.WEIGHTING or v.COHERENCE_THRESHOLD > 0) and (
                stacks.mintpy_stack_path(self, parameters, context)
                or stacks.expand_raster_inputs(self, parameters, ids.COHERENCE, context, want="coh")):
            return ""
        return "nocoherence"

    def process(self, parameters, context, feedback):
        stack = stacks.gather_stack(self, parameters, context, feedback=feedback)
        v = self.values(parameters, context, ids.WEIGHTING, ids.LOOKS, ids.COHERENCE_THRESHOLD, ids.MIN_COUNT,
                        ids.MIN_TEMPORAL_COHERENCE)
        weighting = ["none", "variance", "variance"][v.WEIGHTING]
        if v.WEIGHTING == 2 and not stack.has_coherence:
            weighting = "none"
            feedback.pushInfo("WEIGHTING: no COHERENCE rasters, so no weighting (ordinary least squares)")
        if weighting == "variance" and not stack.has_coherence:
            raise GeohazardError("WEIGHTING: coherence-based weighting needs COHERENCE rasters")
        job = io_sbas.Job(
            stack=stack, filters=stacks.network_filters(self, parameters, context),
            reference_xy=stacks.reference_xy(self, parameters, context, stack), weighting=weighting, looks=v.LOOKS,
            coherence_threshold=v.COHERENCE_THRESHOLD, min_count=v.MIN_COUNT,
            min_temporal_coherence=v.MIN_TEMPORAL_COHERENCE,
            dem=self.raster_path(parameters, ids.DEM, context) if parameters.get(ids.DEM) else "",
            rasters=layers.output_paths(self, parameters, self.RASTERS, context, optional=self.RASTERS[2:]),
            files={key: layers.optional_file(self, parameters, key, context) for key in self.FILES},
            report=layers.optional_file(self, parameters, ids.OUTPUT_REPORT, context),
            settings=knobs.run_settings(self, parameters, context))
        outcome = io_sbas.run(job, progress=FeedbackProgress(feedback))
        styles.apply_sidecars_on_load(context, outcome.outputs.values())
        return self.finish(outcome, feedback)
