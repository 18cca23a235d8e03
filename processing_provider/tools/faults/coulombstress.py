"""``geohazard:coulombstress``. Coulomb stress maps: Coulomb failure, shear and normal stress change on receiver faults
at one or several depths from source fault slip."""

from __future__ import annotations

from ....algorithms.errors import GeohazardError
from ....algorithms.faults import stress
from ....fileio.display import styles
from ....fileio.faults import coulombstress as io_coulomb
from ...inputs import aliases, declare, ids, knobs
from ...inputs.aliases import Alias
from ...inputs.declare import km_parameter
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool
from ._common import (
    COMMON_SOURCE_HELP,
    COULOMB_UNITS_HELP,
    OKADA_KERNELS,
    UNITS,
    _CoulombParams,
    _FaultSourceMixin,
    output_grid,
)


@tool("coulombstress", "Coulomb stress change maps",
      tags="Coulomb,stress,CFS,fault,earthquake,triggering", kernels=OKADA_KERNELS, page="faults",
      former=aliases.DEPTH_KM_ALIASES + (Alias("PIXEL_SIZE", ids.PIXEL_SIZE_KM, 1000.0, "m", "km",
                                               old_minimum=0.01),),
      engine=True)
class CoulombStress(_CoulombParams, _FaultSourceMixin, GeohazardAlgorithm):
    OPTIMAL = "OPTIMAL"
    HELP = (
        "Coulomb failure stress change (dCFS), shear and normal stress change on receiver faults, mapped at one "
        "or several depths, from source fault slip (Okada 1992 half-space).\n\n" + COMMON_SOURCE_HELP +
        "<b>Receivers</b>: a fixed strike/dip/rake (right-hand rule; rake 0 left-lateral, 90 reverse, 180 "
        "right-lateral) or, with <b>optimally oriented planes</b>, the planes best oriented for failure under "
        "the regional stress of the Coulomb file (S1..S3, compression positive). The two conjugate optimal planes "
        "have the same dCFS (King et al. 1994), so the shear and normal bands are those of the plane picked by a "
        "fixed rule: the larger dCFS when the two differ by more than 1e-6 of it, else the gentler dip, then the "
        "smaller dip-direction azimuth (0-360), two vertical planes the smaller strike (0-180).\n"
        "<b>Depths</b>: km, comma separated. <b>Friction</b>: effective mu'. <b>Stress unit</b>: bar, MPa or kPa.\n"
        "<b>Extent</b> (map coordinates) and <b>pixel size</b> (km): the output grid, in the faults' CRS.\n"
        + COULOMB_UNITS_HELP.format(pixel=", PIXEL_SIZE_KM", pixel_old=", PIXEL_SIZE") + "\n"
        "<b>Output</b>: GeoTIFF with 3 bands per depth: dCFS, shear (positive in the rake direction), normal "
        "(positive = unclamping); dCFS = shear + mu' normal; bands named by depth in km (dcfs_bar_5km, "
        "shear_bar_5km, normal_bar_5km). Points on a source edge are nodata.\n"
        "<b>Blocks</b>: the grid is computed in blocks of at most 50,000 pixels, fewer when the memory for one "
        "block (advanced) is smaller than 384 + 48 x depths bytes a pixel times that.\n"
        "References: King G., Stein R., Lin J. (1994) BSSA 84(3) 935-953, doi:10.1785/BSSA0840030935; "
        "Toda et al. (2011) Coulomb 3.3, USGS OFR 2011-1060, doi:10.3133/ofr20111060."
    )

    def initAlgorithm(self, config=None):
        self.add_source_parameters()
        self.add_coulomb_parameters()
        self.addParameter(declare.boolean(self.OPTIMAL,
                                          "Optimally oriented planes (Coulomb file stress)",
                                          False))
        self.addParameter(declare.extent(self.EXTENT, "Output extent"))
        self.addParameter(km_parameter(self, self.PIXEL_SIZE_KM, "Pixel size", 1.0, minimum=0.001))
        self.addParameter(declare.raster_out(self.OUTPUT, "Coulomb stress change"))

    def check(self, parameters, context):
        super().check(parameters, context)
        if self.parameterAsBool(parameters, self.OPTIMAL, context) and not parameters.get(self.COULOMB_INP):
            raise GeohazardError(self.tr("OPTIMAL needs a regional stress: give it through COULOMB_INP (S1..S3 "
                                         "lines)."))

    def work_bytes(self, parameters, context):
        try:
            depths = self.depths_m(parameters, context)
        except ValueError:
            return None
        px_m = 1000.0 * self.parameterAsDouble(parameters, self.PIXEL_SIZE_KM, context)
        return self.grid_work(parameters, context, self.PIXEL_SIZE_KM, "gradients", px=px_m, depths_m=depths)

    def process(self, parameters, context, feedback):
        sources, crs, cin = self.read_sources(parameters, context, feedback)
        mu, nu, friction = self.material(parameters, context, cin, feedback)
        unit, scale = UNITS[self.parameterAsEnum(parameters, self.UNITS, context)]
        optimal = self.parameterAsBool(parameters, self.OPTIMAL, context)
        rec = {} if optimal else {
            "strike_deg": self.parameterAsDouble(parameters, self.RECEIVER_STRIKE, context),
            "dip_deg": self.parameterAsDouble(parameters, self.RECEIVER_DIP, context),
            "rake_deg": self.parameterAsDouble(parameters, self.RECEIVER_RAKE, context)}
        px_m = 1000.0 * self.parameterAsDouble(parameters, self.PIXEL_SIZE_KM, context)
        grid = output_grid(self, parameters, context, crs, self.EXTENT,
                           aliases.id_given(self, parameters, self.PIXEL_SIZE_KM), px=px_m)
        job = io_coulomb.Job(sources=sources, grid=grid,
                             output=self.parameterAsOutputLayer(parameters, self.OUTPUT, context),
                             depths_m=tuple(self.depths_m(parameters, context)), receiver=rec,
                             regional=stress.regional_stress_tensor(cin.regional) if (optimal and cin is not None)
                             else None, shear_modulus_pa=mu, poisson=nu, friction=friction, unit=unit,
                             scale_pa=scale, settings=knobs.run_settings(self, parameters, context))
        outcome = io_coulomb.run(job, progress=FeedbackProgress(feedback))
        styles.style_raster_diverging(job.output, context=context, band=1, invert=True)
        return self.finish(outcome, feedback)
