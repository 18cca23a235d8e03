"""``geohazard:okadaforward``. Okada forward model: surface displacement (east, north, up, LOS) of rectangular
dislocations in an elastic half-space on a grid."""

from __future__ import annotations

from ....fileio.display import styles
from ....fileio.faults import okadaforward as io_okada
from ...inputs import declare, knobs
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool
from ._common import COMMON_SOURCE_HELP, OKADA_KERNELS, _FaultSourceMixin, output_grid


@tool("okadaforward", "Okada forward model (fault slip to displacement)",
      tags="Okada,dislocation,fault,earthquake,displacement,forward model", kernels=OKADA_KERNELS, page="faults",
      engine=True)
class OkadaForward(_FaultSourceMixin, GeohazardAlgorithm):
    HELP = (
        "Surface displacement from fault slip on rectangular dislocations in an elastic half-space (Okada "
        "1985/1992) on a "
        "regular grid: east, north, up and line-of-sight (LOS) bands, in mm.\n\n" + COMMON_SOURCE_HELP +
        "<b>Extent</b>, <b>pixel size</b> (m): the output grid, in the faults' CRS.\n"
        "<b>Incidence</b>, <b>heading</b> (degrees): LOS geometry (heading clockwise from north, right-looking "
        "sensor); LOS is positive toward the satellite.\n\n"
        "<b>Output</b>: 4-band GeoTIFF (east, north, up, LOS; mm). Points on a fault edge that reaches the "
        "surface are singular and left as nodata. The tool reports M0 and Mw (mu = 3.2e10 Pa).\n"
        "<b>Blocks</b>: the grid is computed in blocks of at most 200,000 pixels (96 bytes each), fewer when the "
        "memory for one block (advanced) is smaller.\n"
        "Reference: Okada Y. (1992) BSSA 82(2) 1018-1040, doi:10.1785/BSSA0820021018."
    )

    def initAlgorithm(self, config=None):
        self.add_source_parameters()
        self.addParameter(declare.extent(self.EXTENT, "Output extent"))
        self.addParameter(declare.number(self.PIXEL_SIZE, "Pixel size (m)", 500.0, 0.01))
        self.addParameter(declare.number(self.INCIDENCE, "Incidence angle (degrees)", 37.0, 0.001, 89.999))
        self.addParameter(declare.number(self.HEADING, "Satellite heading (degrees from north)", -12.0, -360.0, 360.0))
        self.addParameter(declare.raster_out(self.OUTPUT, "Displacement (mm)"))

    def work_bytes(self, parameters, context):
        return self.grid_work(parameters, context, self.PIXEL_SIZE, "displacement")  # at the surface

    def process(self, parameters, context, feedback):
        sources, crs, cin = self.read_sources(parameters, context, feedback)
        poisson = self.resolve_constants(parameters, context, cin, feedback, (self.POISSON,))[self.POISSON]
        grid = output_grid(self, parameters, context, crs, self.EXTENT, self.PIXEL_SIZE)
        job = io_okada.Job(sources=sources, grid=grid,
                           output=self.parameterAsOutputLayer(parameters, self.OUTPUT, context), poisson=poisson,
                           incidence_deg=self.parameterAsDouble(parameters, self.INCIDENCE, context),
                           heading_deg=self.parameterAsDouble(parameters, self.HEADING, context),
                           settings=knobs.run_settings(self, parameters, context))
        outcome = io_okada.run(job, progress=FeedbackProgress(feedback))
        styles.style_raster_diverging(job.output, context=context, band=4)
        return self.finish(outcome, feedback)
