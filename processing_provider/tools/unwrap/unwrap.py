"""``geohazard:unwrap``. Phase unwrapping: wrapped interferograms unwrapped (built-in or SNAPHU), with connected
components."""

from __future__ import annotations

import os

from ....algorithms.errors import GeohazardError
from ....algorithms.unwrap import unwrap, unwrap_prior, unwrap_tiles
from ....fileio.unwrap import unwrap as unwrap_io
from ...inputs import declare, ids, knobs, layers, stacks
from ...inputs.aliases import Alias
from ...inputs.feedback import FeedbackProgress
from ...lazy import LazyText
from .._base import GeohazardAlgorithm, tool


@tool("unwrap", "Phase unwrapping",
      tags="unwrapping,SNAPHU,phase,interferogram,connected components,wrapped,MCF,time series",
      main=(ids.OUTPUT_REPORT,), kernels=("unwrap.unwrap", "unwrap.unwrap_tiles"), page="unwrap",
      former=(Alias("MIN_COHERENCE", ids.COHERENCE_THRESHOLD), Alias("NLOOKS", ids.LOOKS)), engine=True)
class Unwrap(GeohazardAlgorithm):
    MASK = "MASK"
    BACKEND = "BACKEND"
    MIN_COMPONENT_PIXELS = "MIN_COMPONENT_PIXELS"
    OUTPUT_CLOSURE = "OUTPUT_CLOSURE"
    PRIOR = "PRIOR"
    PRIOR_UNITS = "PRIOR_UNITS"
    HELP = LazyText(lambda: (
        "2-D unwrapping of wrapped interferograms into unwrapped phase (radians, same sign as the input: "
        "phase grows with range for the phase linking tool's interferograms) and connected components, "
        "ready for the SBAS inversion.\n\n"
        "<b>Wrapped interferograms</b>: complex or wrapped-phase (radians, -pi..pi) rasters, or a folder such as "
        "the phase linking tool's wrapped interferograms folder; each name carries its date pair "
        "(YYYYMMDD_YYYYMMDD). Already unwrapped inputs (values far outside -pi..pi) are refused. Or a product as "
        "delivered (docs/products.md): a LiCSAR frame (its pairs' .geo.diff_pha.tif, with their .geo.cc.tif "
        "coherence as value / 255) or HyP3 zips or folders ordered with 'Include Wrapped Phase' (_wrapped_phase.tif, "
        "_corr.tif), put on one grid (the pairs' common area).\n"
        "<b>Coherence</b> (optional): one raster used for every interferogram (e.g. the temporal coherence of "
        "phase linking) or a folder/list matched by date pair; without it a pseudo-coherence is estimated from "
        "the fringes. <b>Mask</b> (optional): non-zero = unwrap.\n"
        "<b>Backend</b>: built-in (quality-guided unwrapping along the maximum spanning tree of coherence, "
        "fringe consistency and second differences, Herraez et al. 2002, each difference taken to the cycle "
        "nearest the local fringe gradient; two large patches are joined only when the edges between them agree "
        "on their whole-cycle offset, so a decorrelated strip such as a surface rupture is not crossed by one "
        "noisy path) or SNAPHU (Chen & Zebker 2001, statistical "
        "cost, through the optional Python package 'snaphu'; " + unwrap.SNAPHU_INSTALL_HELP + ").\n"
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
        "do not close to a whole-cycle-free sum (unwrapping errors).\n"
        + declare.layers_help(ids.OUTPUT, "Unwrapped interferograms (layers)") + "\n"
        f"<b>Memory</b> (built-in): rasters larger than one tile of the memory budget (MAX_MEMORY_MB, advanced, "
        f"default 512 MB: about 5 Mpx) are unwrapped in row tiles of at least {unwrap_tiles.MIN_TILE_ROWS} rows "
        f"overlapping their neighbours by {2 * unwrap_tiles.TILE_HALO} rows; the whole-cycle offsets between tiles "
        "come from a vote on "
        "the overlaps and a spanning tree over the tiles' components (parts whose overlaps disagree stay "
        "separate components). Measured peak of the whole tool on a 5000 x 5000 interferogram: 0.7 GB; it does "
        "not grow with the number of rows. 8 bytes per pixel of scratch space in the output folder while running. "
        "A raster that fits in one tile is unwrapped whole.\n\n"
        "<b>Prior</b> (optional; model-assisted or 're-differential' unwrapping for gradients beyond pi per pixel: "
        "mining basins, fast landslides): rasters of the expected unwrapped signal on the interferograms' grid (one "
        "for all, or one per interferogram named by its date pair), or one velocity raster. <b>Prior units</b>: rad "
        "in the interferogram's convention, mm of LOS displacement, or mm/yr of LOS velocity times each pair's time "
        "span (mm positive toward the satellite, turned into radians with the interferograms' wavelength). The "
        "wrapped residual wrap(phase - prior) is unwrapped and the prior added back: the result is the input phase "
        "plus whole cycles, the prior only chooses which. The report and the log say how much of the unwrapped "
        "gradient energy the prior carried (prior_share) and how steep the residual is against the input "
        "(residual_steepness); a residual steeper than the input, as a prior of the wrong sign or unit makes, is "
        "named in a warning. A prior on another grid is refused. Method: 'An InSAR deformation phase retrieval "
        "method combined with reference phase in mining areas', Remote Sens. 15(18), 4573 (2023), "
        "doi:10.3390/rs15184573."
    ))
    CARRIES_GEOMETRY = True
    FOLDER_INPUTS = (ids.INPUT, ids.COHERENCE)
    COMPLEX_INPUTS = (ids.INPUT,)  # a wrapped interferogram may be complex (a + ib)
    input_raster_files = stacks.wrapped_raster_files  # the guard probes what the tool reads (a product's pairs)
    BACKENDS = ["builtin", "snaphu"]
    BACKEND_NAMES = ["Built-in (quality-guided spanning tree)", "SNAPHU (snaphu-py, optional package)"]
    PRIOR_UNIT_NAMES = ["rad (the interferogram's convention)", "mm (LOS, positive toward the satellite)",
                        "mm/yr (LOS velocity, times each pair's time span)"]

    def initAlgorithm(self, config=None):
        self.addParameter(declare.rasters(self.INPUT,
                                          "Wrapped interferograms (complex, rad, or folder)"))
        self.addParameter(declare.rasters(self.COHERENCE,
                                          "Coherence (a raster, or one per pair)",
                                          optional=True))
        self.addParameter(declare.raster(self.MASK, "Mask (non-zero = unwrap)", optional=True))
        self.addParameter(declare.enum(self.BACKEND, "Unwrapper", self.BACKEND_NAMES))
        self.addParameter(declare.number(self.COHERENCE_THRESHOLD, "Minimum coherence", 0.3, 0.0, 1.0))
        self.addParameter(declare.integer(self.MIN_COMPONENT_PIXELS, "Smallest connected component kept (pixels)", 50,
                                          1))
        self.addParameter(declare.integer(self.LOOKS, "Looks of the coherence (SNAPHU)", 9, 1))
        self.addParameter(declare.rasters(self.PRIOR, "Prior model (one raster, or one per pair)",
                                          optional=True))
        # optional (empty: rad), so a model saved before the prior existed still validates
        self.addParameter(declare.enum(self.PRIOR_UNITS, "Prior units", self.PRIOR_UNIT_NAMES, optional=True))
        declare.raster_folder_out(self, self.OUTPUT, "Unwrapped interferograms folder",
                                  "Unwrapped interferograms (layers)")
        self.addParameter(declare.file_out(self.OUTPUT_REPORT, "Unwrapping report", "CSV files (*.csv)", optional=True))
        self.addParameter(declare.file_out(self.OUTPUT_CLOSURE, "Triplet closure check", "CSV files (*.csv)",
                                           optional=True, create=False))

    def check(self, parameters, context):
        if self.BACKENDS[self.parameterAsEnum(parameters, self.BACKEND, context)] == "snaphu" \
                and not unwrap.snaphu_available():
            raise GeohazardError("BACKEND: " + unwrap.SNAPHU_INSTALL_HELP)
        info = stacks.wrapped_stack(self, parameters, context, mask=self._mask(parameters, context)).info
        # as a double: a value beyond the integer range must not wrap around into an acceptable one
        size = self.parameterAsDouble(parameters, self.MIN_COMPONENT_PIXELS, context) \
            if parameters.get(self.MIN_COMPONENT_PIXELS) is not None else 0
        if size > info.height * info.width:
            raise GeohazardError(f"MIN_COMPONENT_PIXELS is {size:.0f} pixels, more than the whole interferogram "
                                 f"({info.height} x {info.width} = {info.height * info.width} pixels): no component "
                                 "could be kept and every output would be NoData")
        self._priors(parameters, context, stacks.wrapped_stack(self, parameters, context))

    def _priors(self, parameters, context, stack, log=None) -> dict:
        paths = unwrap_io.prior_paths(stacks.raw_list(parameters.get(self.PRIOR))) if parameters.get(self.PRIOR) else []
        if parameters.get(self.PRIOR) and not paths:
            paths = stacks.raster_list_paths(self, parameters, self.PRIOR, context)
        units = unwrap_prior.UNITS[self.parameterAsEnum(parameters, self.PRIOR_UNITS, context)]
        return unwrap_io.match_priors(paths, stack.pairs, stack.info, units, log=log, wavelength_paths=stack.paths)

    def _mask(self, parameters, context):
        return self.raster_path(parameters, self.MASK, context) if parameters.get(self.MASK) else None

    def process(self, parameters, context, feedback):
        ignored, mask = [], self._mask(parameters, context)
        stack = stacks.wrapped_stack(self, parameters, context, mask=mask, ignored=ignored, feedback=feedback)
        if ignored:  # a list made by "Add Directory...": say what was left out and why
            feedback.pushWarning(f"INPUT: left out {len(ignored)} file(s) that are not dated interferograms of the "
                                 "stack (no YYYYMMDD_YYYYMMDD pair in the name, coherence, or wrapped next to "
                                 "unwrapped files): " + ", ".join(os.path.basename(f) for f in ignored[:6])
                                 + (" ..." if len(ignored) > 6 else ""))
        settings = knobs.run_settings(self, parameters, context)
        progress = FeedbackProgress(feedback)
        job = unwrap_io.Job(
            stack=stack, mask=mask, backend=self.BACKENDS[self.parameterAsEnum(parameters, self.BACKEND, context)],
            opts={"min_coherence": self.parameterAsDouble(parameters, self.COHERENCE_THRESHOLD, context),
                  "min_component_size": self.parameterAsInt(parameters, self.MIN_COMPONENT_PIXELS, context),
                  "nlooks": self.parameterAsDouble(parameters, self.LOOKS, context),
                  "max_memory_mb": settings.max_memory_mb},
            out_dir=self.parameterAsString(parameters, self.OUTPUT, context),
            report=layers.optional_file(self, parameters, self.OUTPUT_REPORT, context) or "",
            closure=layers.optional_file(self, parameters, self.OUTPUT_CLOSURE, context) or "",
            ids={"report": self.OUTPUT_REPORT, "closure": self.OUTPUT_CLOSURE}, settings=settings,
            priors=self._priors(parameters, context, stack, progress))
        outcome = unwrap_io.run(job, progress=progress)
        unwrapped = [os.path.join(job.out_dir, f"{pair}.unw.tif") for pair in stack.pairs]
        return {**declare.raster_set(self.OUTPUT, job.out_dir, unwrapped), **self.finish(outcome, feedback)}
