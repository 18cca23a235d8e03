"""``geohazard:phaselinking``. DS phase linking: distributed-scatterer phase series (EMI/EVD) of a coregistered SLC
stack over statistically homogeneous pixels."""

from __future__ import annotations

from ....algorithms import kernel_families
from ....algorithms.errors import GeohazardError
from ....algorithms.psds import phase_linking
from ....fileio.display import styles
from ....fileio.psds import phaselinking as io_pl
from ...inputs import compilation, declare, ids, knobs, layers, stacks
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("phaselinking", "DS phase linking",
      tags="DS,distributed scatterers,phase linking,EMI,EVD,SHP,SLC,time series",
      kernels=("psds.phase_linking.shp", "psds.phase_linking"), page="psds", engine=True)
class PhaseLinking(GeohazardAlgorithm):
    WINDOW_ROWS = "WINDOW_ROWS"
    WINDOW_COLS = "WINDOW_COLS"
    SHP_METHOD = "SHP_METHOD"
    ALPHA = "ALPHA"
    METHOD = "METHOD"
    PS_MASK = "PS_MASK"
    OUTPUT_FORMAT = "OUTPUT_FORMAT"
    NETWORK = "NETWORK"
    OUTPUT_TEMPORAL_COHERENCE = "OUTPUT_TEMPORAL_COHERENCE"
    OUTPUT_SHP_COUNT = "OUTPUT_SHP_COUNT"
    OUTPUT_INTERFEROGRAMS = "OUTPUT_INTERFEROGRAMS"
    HELP = (
        "Distributed-scatterer (DS) phase linking of a coregistered SLC stack: one consistent phase per date for "
        "every pixel from its statistically homogeneous neighbours. It needs the SLC stack (complex rasters) and "
        "optionally a PS mask. It gives the linked phase, the temporal coherence (0-1), the count of homogeneous "
        "pixels and a folder of wrapped interferograms.\n\n"
        "<b>Method</b>: for each pixel the "
        "statistically homogeneous pixels (SHP) in a window are chosen by a two-sample Kolmogorov-Smirnov "
        "test or a GLRT on their amplitude time series (significance level alpha); their sample coherence "
        "matrix G gives N linked phases by EMI (Ansari et al. 2018), EVD (principal eigenvector) or "
        "coherence-weighted EVD (eigenvector of |G| o G). PS pixels (optional mask) keep their own phase "
        "and, as in dolphin, still count as neighbours of other pixels when the homogeneous-pixel test accepts "
        "them. Processed in row blocks with window overlap: at most 64 rows, fewer when the memory for one block "
        "(advanced) is smaller than 40 bytes per pixel and date times (rows + window rows - 1) x columns.\n\n"
        "<b>SLC stack</b>: as for the amplitude dispersion tool (>= 3 dates).\n"
        "<b>Window</b>: rows x columns (odd), e.g. 5 x 11 for Sentinel-1 azimuth x range.\n\n"
        "<b>Outputs</b>: linked wrapped phase, one band per date (single reference: date 1 = 0), in radians "
        "(phase grows with range) or as unit complex numbers; temporal coherence "
        "gamma = |sum_{m!=n} exp(j(phi_mn - (theta_m - theta_n)))| / (N(N-1)) (1 = the linked phases explain "
        "every interferogram; PS get 1); SHP count; optionally wrapped interferograms "
        "YYYYMMDD_YYYYMMDD.wrapped.tif of a single-reference or nearest-3 network, ready for unwrapping, written "
        "when OUTPUT_INTERFEROGRAMS names a folder.\n"
        + declare.layers_help("OUTPUT_INTERFEROGRAMS", "Wrapped interferograms (layers)") + "\n"
        "References: Ferretti et al. (2011), SqueeSAR, doi:10.1109/TGRS.2011.2124465; Ansari et al. (2018), "
        "doi:10.1109/TGRS.2018.2826045; Parizzi & Brcic (2011), doi:10.1109/LGRS.2010.2083631."
    )
    input_raster_files = stacks.slc_raster_files  # a folder: its SLC files only (the guard checks those)
    OVERLAP = ((ids.INPUT, "PS_MASK"),)
    #: the most rows of one block (EMI takes tens of microseconds a pixel: the progress moves and a cancel is seen
    #: between blocks); fewer when the memory budget (MAX_MEMORY_MB) is smaller
    BLOCK_ROWS = 64
    COMPILE_VARIANTS = ("",)  # its first run's compile measured (compile_costs.json)
    COMPLEX_INPUTS = MULTIBAND_INPUTS = (ids.INPUT,)
    SHP_CODES = ["glrt", "ks", "rect"]
    SHP_NAMES = ["GLRT (Parizzi & Brcic)", "Kolmogorov-Smirnov", "None (rectangular window)"]
    METHOD_CODES = ["emi", "evd", "cevd"]
    METHOD_NAMES = ["EMI", "EVD", "Coherence-weighted EVD"]
    FORMATS = ["Phase (radians, Float32)", "Unit complex (CFloat32)"]
    NETWORKS = ["Single reference (first date)", "Nearest 3 dates"]

    def initAlgorithm(self, config=None):
        self.addParameter(declare.rasters(self.INPUT, "Coregistered SLC stack (complex)"))
        self.addParameter(declare.integer(self.WINDOW_ROWS, "Window rows (odd)", 5, 1, 101))
        self.addParameter(declare.integer(self.WINDOW_COLS, "Window columns (odd)", 11, 1, 101))
        self.addParameter(declare.enum(self.SHP_METHOD, "Homogeneous-pixel test", self.SHP_NAMES))
        self.addParameter(declare.number(self.ALPHA, "Significance level of the test", 0.05, 0.0001, 0.5))
        self.addParameter(declare.enum(self.METHOD, "Phase-linking estimator", self.METHOD_NAMES))
        self.addParameter(declare.raster(self.PS_MASK, "PS mask (non-zero = PS, own phase)", optional=True))
        self.addParameter(declare.enum(self.OUTPUT_FORMAT, "Linked phase format", self.FORMATS))
        self.addParameter(declare.enum(self.NETWORK, "Interferogram network", self.NETWORKS, 1))
        self.addParameter(declare.raster_out(self.OUTPUT, "Linked phase"))
        self.addParameter(declare.raster_out(self.OUTPUT_TEMPORAL_COHERENCE, "Temporal coherence (0-1)", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_SHP_COUNT, "SHP count (pixels)", optional=True))
        declare.raster_folder_out(self, self.OUTPUT_INTERFEROGRAMS, "Wrapped interferograms folder",
                                  "Wrapped interferograms (layers)", optional=True, create=False)

    def check(self, parameters, context):
        for p in (self.WINDOW_ROWS, self.WINDOW_COLS):
            v = self.parameterAsInt(parameters, p, context)
            if v % 2 == 0:
                raise GeohazardError(f"{p} must be odd, got {v}")
        n_win = self.parameterAsInt(parameters, self.WINDOW_ROWS, context) * \
            self.parameterAsInt(parameters, self.WINDOW_COLS, context)
        if n_win < 9:
            raise GeohazardError(f"WINDOW_ROWS x WINDOW_COLS: a window of {n_win} pixel(s) has too few neighbours to "
                                 "estimate a coherence (with one pixel it is 1 everywhere, with a few it is biased "
                                 "far above the truth); use at least 9 pixels, e.g. 3 x 3")
        stack = stacks.check_slc_stack(self, parameters, context, 3)
        wr = self.parameterAsInt(parameters, self.WINDOW_ROWS, context)
        wc = self.parameterAsInt(parameters, self.WINDOW_COLS, context)
        if wr > stack.info.height or wc > stack.info.width:
            raise GeohazardError(f"window {wr} x {wc} is larger than the image "
                                 f"({stack.info.height} x {stack.info.width} pixels)")
        layers.check_shapes(self, parameters, context, (self.PS_MASK,), stack.info.shape)

    def work_bytes(self, parameters, context):
        """The input bytes with this run's CPU estimate on each path from the cost model measured per window, dates
        and pixels (``compile_costs.json``'s ``work`` row): a first run takes the faster of numpy and compiling."""
        nbytes = super().work_bytes(parameters, context)
        if nbytes is None or not compilation.pending_families(self.KERNELS):  # compiled: nothing to choose
            return nbytes
        row = kernel_families.measured_costs().get("work", {}).get("phase_linking", {})
        try:
            stack = stacks.slc_stack(self, parameters, context)
        except GeohazardError:
            return nbytes
        window = (self.parameterAsInt(parameters, self.WINDOW_ROWS, context),
                  self.parameterAsInt(parameters, self.WINDOW_COLS, context))
        cost = phase_linking.phase_link_cost((stack.info.height, stack.info.width), len(stack), window, row)
        return nbytes if cost is None else compilation.WorkEstimate(nbytes, *cost)

    def process(self, parameters, context, feedback):
        v = self.values(parameters, context, self.WINDOW_ROWS, self.WINDOW_COLS, self.ALPHA)
        ifg_id = self.OUTPUT_INTERFEROGRAMS
        job = io_pl.Job(
            stack=stacks.slc_stack(self, parameters, context, feedback=feedback), window=(v.WINDOW_ROWS, v.WINDOW_COLS),
            method=self.METHOD_CODES[self.parameterAsEnum(parameters, self.METHOD, context)],
            shp_method=self.SHP_CODES[self.parameterAsEnum(parameters, self.SHP_METHOD, context)], alpha=v.ALPHA,
            ps_mask=self.raster_path(parameters, self.PS_MASK, context) if parameters.get(self.PS_MASK) else "",
            ps_mask_name=self.PS_MASK, as_complex=self.parameterAsEnum(parameters, self.OUTPUT_FORMAT, context) == 1,
            interferograms=self.parameterAsString(parameters, ifg_id, context) if parameters.get(ifg_id) else "",
            network="single" if self.parameterAsEnum(parameters, self.NETWORK, context) == 0 else "nearest",
            outputs=layers.output_paths(self, parameters, (self.OUTPUT, self.OUTPUT_TEMPORAL_COHERENCE,
                                                           self.OUTPUT_SHP_COUNT), context,
                                        optional=(self.OUTPUT_TEMPORAL_COHERENCE, self.OUTPUT_SHP_COUNT)),
            ids={"phase": self.OUTPUT, "coherence": self.OUTPUT_TEMPORAL_COHERENCE, "count": self.OUTPUT_SHP_COUNT,
                 "interferograms": ifg_id, "interferogram_layers": ifg_id + declare.LAYERS},
            max_rows=self.BLOCK_ROWS, settings=knobs.run_settings(self, parameters, context))
        outcome = io_pl.run(job, progress=FeedbackProgress(feedback))
        if self.OUTPUT_TEMPORAL_COHERENCE in job.outputs:
            styles.style_raster_sequential(job.outputs[self.OUTPUT_TEMPORAL_COHERENCE], context=context, vmin=0.0,
                                           vmax=1.0)
        return self.finish(outcome, feedback)
