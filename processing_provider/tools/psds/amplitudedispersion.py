"""``geohazard:amplitudedispersion``. Amplitude dispersion: mean amplitude, dispersion index and persistent-scatterer
candidate mask of a coregistered SLC stack."""

from __future__ import annotations

from ....algorithms.errors import GeohazardError
from ....fileio.display import styles
from ....fileio.psds import amplitudedispersion as io_ad
from ...inputs import declare, ids, knobs, layers, stacks
from ...inputs.aliases import Alias
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("amplitudedispersion", "PS candidates by amplitude dispersion",
      tags="PS,persistent scatterers,amplitude dispersion,SLC", main=("OUTPUT_PS_MASK",), page="psds",
      former=(Alias("THRESHOLD", ids.DISPERSION_THRESHOLD),), engine=True)
class AmplitudeDispersion(GeohazardAlgorithm):
    CALIBRATE = "CALIBRATE"
    OUTPUT_MEAN_AMPLITUDE = "OUTPUT_MEAN_AMPLITUDE"
    OUTPUT_DISPERSION = "OUTPUT_DISPERSION"
    OUTPUT_PS_MASK = "OUTPUT_PS_MASK"
    HELP = (
        "Permanent-scatterer (PS) candidates from a coregistered SLC stack: mean amplitude, amplitude "
        "dispersion index D_A = sigma_A / mean_A and the PS-candidate mask D_A <= threshold.\n\n"
        "<b>SLC stack</b>: complex rasters GDAL can read (GeoTIFF CInt16/CFloat32, ENVI, VRT, ISCE "
        "*.slc.full.vrt, SNAP BEAM-DIMAP i/q bands), one file per date (date YYYYMMDD or 01Jan2020 in the "
        "name or folder) or one multi-band file whose band descriptions are dates, or a folder of them (one "
        "file per date, the VRT where ISCE also wrote the raw file; or ISCE's merged/SLC with one subfolder per "
        "date; coherence, unwrapped, mask and DEM rasters in it are left out by name). Radar geometry "
        "(no georeferencing) is fine; outputs stay on the input grid.\n"
        "<b>Calibrate</b>: divide each date by its image-wide mean amplitude first (removes gain changes "
        "between acquisitions).\n<b>Threshold</b>: largest D_A of a candidate (0.25 in Ferretti et al.).\n\n"
        "<b>Outputs</b>: mean amplitude, D_A (dimensionless; for high signal-to-clutter ratio the phase "
        "standard deviation in radians is about D_A), PS mask (1 = candidate).\n\n"
        "Reference: Ferretti A., Prati C., Rocca F. (2001), Permanent scatterers in SAR interferometry, "
        "IEEE TGRS 39(1), doi:10.1109/36.898661."
    )
    input_raster_files = stacks.slc_raster_files  # a folder: its SLC files only (the guard checks those)
    COMPLEX_INPUTS = MULTIBAND_INPUTS = (ids.INPUT,)

    def initAlgorithm(self, config=None):
        self.addParameter(declare.rasters(self.INPUT, "Coregistered SLC stack (complex)"))
        self.addParameter(declare.boolean(self.CALIBRATE, "Calibrate amplitudes per date", True))
        self.addParameter(declare.number(self.DISPERSION_THRESHOLD, "PS threshold on D_A", 0.25, 0.01, 1.0))
        self.addParameter(declare.raster_out(self.OUTPUT_MEAN_AMPLITUDE, "Mean amplitude", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_DISPERSION, "Amplitude dispersion D_A"))
        self.addParameter(declare.raster_out(self.OUTPUT_PS_MASK, "PS candidates"))

    def check(self, parameters, context):
        stacks.check_slc_stack(self, parameters, context, 3)

    def process(self, parameters, context, feedback):
        stack = stacks.slc_stack(self, parameters, context, feedback=feedback)
        if len(stack) < 3:
            raise GeohazardError(f"INPUT has {len(stack)} date(s); amplitude dispersion needs at least 3")
        job = io_ad.Job(
            stack=stack, threshold=self.parameterAsDouble(parameters, self.DISPERSION_THRESHOLD, context),
            settings=knobs.run_settings(self, parameters, context),
            calibrate=self.parameterAsBool(parameters, self.CALIBRATE, context),
            outputs=layers.output_paths(self, parameters, (self.OUTPUT_MEAN_AMPLITUDE, self.OUTPUT_DISPERSION,
                                                           self.OUTPUT_PS_MASK), context,
                                        optional=(self.OUTPUT_MEAN_AMPLITUDE,)),
            ids={"mean": self.OUTPUT_MEAN_AMPLITUDE, "dispersion": self.OUTPUT_DISPERSION, "ps": self.OUTPUT_PS_MASK})
        outcome = io_ad.run(job, progress=FeedbackProgress(feedback))
        styles.style_raster_sequential(job.outputs[self.OUTPUT_DISPERSION], context=context, vmin=0.0, vmax=0.6,
                                       ramp_name="Viridis")
        return self.finish(outcome, feedback)
