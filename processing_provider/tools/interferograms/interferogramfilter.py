"""``geohazard:interferogramfilter``. Wrapped interferograms filtered (Goldstein adaptive or Gaussian) and
multilooked, with a coherence estimate."""

from __future__ import annotations

from ....algorithms.interferograms import interferogramfilter as filtering
from ....fileio.interferograms import interferogramfilter as ifg_io
from ...inputs import declare, ids, knobs, layers, stacks
from ...inputs.feedback import FeedbackProgress
from ...lazy import LazyText
from .._base import GeohazardAlgorithm, tool


@tool("interferogramfilter", "Filter and multilook",
      tags="Goldstein,filter,multilook,looks,interferogram,wrapped,coherence,Gaussian,noise", page="interferograms",
      engine=True)
class InterferogramFilter(GeohazardAlgorithm):
    METHOD = "METHOD"
    ALPHA = "ALPHA"
    PATCH_SIZE = "PATCH_SIZE"
    SMOOTH_PX = "SMOOTH_PX"
    SMOOTH_QUALITY = "SMOOTH_QUALITY"
    GAUSSIAN_SIGMA = "GAUSSIAN_SIGMA"
    LOOKS_Y = "LOOKS_Y"
    LOOKS_X = "LOOKS_X"
    OUTPUT_COHERENCE = "OUTPUT_COHERENCE"
    HELP = LazyText(lambda: (
        "Filters wrapped interferograms against decorrelation noise (Goldstein & Werner's adaptive filter or a "
        "Gaussian) and multilooks them, before unwrapping. It needs wrapped interferograms named by their date pair "
        "and gives the filtered interferograms under their own names, on the looked grid, with a coherence estimate."
        "\n\n<b>Wrapped interferograms</b>: complex rasters (a + ib), or wrapped phase in radians (-pi..pi; a phase "
        "in degrees, in cycles (-0.5..0.5 or 0..1 with fringes: multiply by 2 pi) or already unwrapped is refused), "
        "or a folder of them, or a product as delivered "
        "(docs/products.md: a LiCSAR frame's .geo.diff_pha.tif, HyP3's _wrapped_phase.tif ...). Complex in gives "
        "complex out, phase in gives phase out (radians, the input's sign).\n"
        "<b>Method</b>: Goldstein adaptive: patches of PATCH_SIZE pixels overlapping by half, the spectrum Z of each "
        "weighted by S{|Z_w|}^ALPHA (Z_w: the spectrum of the patch tapered by a sine window; S: a SMOOTH_PX x "
        "SMOOTH_PX boxcar over frequencies, Goldstein & Werner's smoothing), transformed back, tapered and added up "
        "(ALPHA 0 = no filtering, 1 = strongest; 0.5 is usual). A patch larger than the raster is refused.\n"
        "<b>Spectrum smoothing</b> (SMOOTH_PX, default 3; 0 = none) and the patches it applies to (SMOOTH_QUALITY, "
        "default 0.7: the patches whose fringe quality, sqrt(|mean e^(i dx)| |mean e^(i dy)|), 1 for clean fringes "
        "of any rate and near 0 for noise, reaches it; 0 = every patch, Goldstein & Werner's classic smoothing). "
        "Unsmoothed weights follow the fringes' peak narrowly and are best on decorrelation noise; smoothed ones keep "
        "more of steep, curved, clean fringes (multilooked products). The default takes each where it is best: no "
        "more residues and no larger phase error than the classic filter in every regime measured (gentle or steep "
        "fringes, coherence 0.3-0.9, the real Mexico City pairs). Report SMOOTH_PX and SMOOTH_QUALITY with ALPHA "
        "and PATCH_SIZE (each output carries them).\n"
        "Gaussian: the complex values smoothed "
        "by a Gaussian of GAUSSIAN_SIGMA pixels; None: multilooking only.\n"
        "<b>Looks</b> (LOOKS_Y rows x LOOKS_X columns): the complex mean of each window, taken before the filter; "
        "the output pixel is that much larger (geotransform scaled; a last partial window is left out). Looks larger "
        "than the raster are refused.\n\n"
        "<b>Outputs</b>: in the output folder, each interferogram under its input's name (GeoTIFF), carrying its "
        "date pair and the input's metadata (wavelength, geometry) and the filter used; in the coherence folder "
        "(optional), YYYYMMDD_YYYYMMDD.coh.tif: |sum z| / sum |z| of the input's complex values over each look "
        "window, or over the 3 x 3 neighbourhood of each output pixel when no looks are taken (0-1; the unwrapping "
        "tool takes it as its coherence). Both grids are the same. Blocks never show as seams: the patch grid is "
        "anchored to the raster's origin, so the bytes are the same whatever the memory budget.\n"
        + declare.layers_help(ids.OUTPUT, "Filtered interferograms (layers)") + "\n"
        "Reference: Goldstein R.M., Werner C.L. (1998), Radar interferogram filtering for geophysical applications, "
        "Geophys. Res. Lett. 25(21), doi:10.1029/1998GL900033."))
    CARRIES_GEOMETRY = True
    FOLDER_INPUTS = (ids.INPUT,)
    COMPLEX_INPUTS = (ids.INPUT,)
    input_raster_files = stacks.wrapped_raster_files  # the guard probes what the tool reads (a product's pairs)
    METHODS = ["Goldstein adaptive", "Gaussian", "None (multilook only)"]

    def initAlgorithm(self, config=None):
        self.addParameter(declare.rasters(self.INPUT, "Wrapped interferograms (complex or rad)"))
        self.addParameter(declare.enum(self.METHOD, "Filter", self.METHODS))
        self.addParameter(declare.number(self.ALPHA, "Goldstein strength alpha (0-1)", 0.5, 0.0, 1.0))
        self.addParameter(declare.integer(self.PATCH_SIZE, "Goldstein patch (pixels, multiple of 4)", 32, 8,
                                          256, advanced=True))
        self.addParameter(declare.integer(self.SMOOTH_PX, "Goldstein spectrum smoothing (frequencies, 0 = none, odd)",
                                          filtering.SMOOTH_DEFAULT, 0, 15, advanced=True))
        self.addParameter(declare.number(self.SMOOTH_QUALITY, "Smooth patches of fringe quality from (0-1, 0 = all)",
                                         filtering.SMOOTH_QUALITY_DEFAULT, 0.0, 1.0, advanced=True))
        self.addParameter(declare.number(self.GAUSSIAN_SIGMA, "Gaussian sigma (pixels)", 1.0, 0.1, 100.0))
        self.addParameter(declare.integer(self.LOOKS_Y, "Looks in rows (azimuth)", 1, 1))
        self.addParameter(declare.integer(self.LOOKS_X, "Looks in columns (range)", 1, 1))
        declare.raster_folder_out(self, self.OUTPUT, "Filtered interferograms folder",
                                  "Filtered interferograms (layers)")
        declare.raster_folder_out(self, self.OUTPUT_COHERENCE, "Coherence estimate folder", "Coherence (layers)",
                                  optional=True, create=False)

    def check(self, parameters, context):
        v = self.values(parameters, context, self.METHOD, self.PATCH_SIZE, self.SMOOTH_PX, self.LOOKS_Y,
                        self.LOOKS_X)
        info = stacks.wrapped_stack(self, parameters, context).info
        filtering.check_options(filtering.METHODS[v.METHOD], patch=v.PATCH_SIZE, step=max(1, v.PATCH_SIZE // 2),
                                looks_y=v.LOOKS_Y, looks_x=v.LOOKS_X, smooth=v.SMOOTH_PX, shape=info.shape)

    def process(self, parameters, context, feedback):
        v = self.values(parameters, context, self.METHOD, self.ALPHA, self.PATCH_SIZE, self.SMOOTH_PX,
                        self.SMOOTH_QUALITY, self.GAUSSIAN_SIGMA, self.LOOKS_Y, self.LOOKS_X)
        job = ifg_io.Job(
            stack=stacks.wrapped_stack(self, parameters, context, feedback=feedback),
            out_dir=self.parameterAsString(parameters, self.OUTPUT, context),
            opts={"method": filtering.METHODS[v.METHOD], "alpha": v.ALPHA, "patch": v.PATCH_SIZE,
                  "step": v.PATCH_SIZE // 2, "sigma": v.GAUSSIAN_SIGMA, "looks_y": v.LOOKS_Y, "looks_x": v.LOOKS_X,
                  "smooth": v.SMOOTH_PX, "smooth_quality": v.SMOOTH_QUALITY},
            settings=knobs.run_settings(self, parameters, context),
            coh_dir=layers.optional_file(self, parameters, self.OUTPUT_COHERENCE, context))
        outcome = ifg_io.run(job, progress=FeedbackProgress(feedback))
        outcome.outputs = {**declare.raster_set(self.OUTPUT, job.out_dir, outcome.outputs[self.OUTPUT]),
                           **(declare.raster_set(self.OUTPUT_COHERENCE, job.coh_dir,
                                                 outcome.outputs[self.OUTPUT_COHERENCE]) if job.coh_dir else {})}
        return self.finish(outcome, feedback)
