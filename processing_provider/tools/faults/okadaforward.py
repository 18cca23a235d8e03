"""``geohazard:okadaforward``. Okada forward model: surface displacement (east, north, up, LOS) of rectangular
dislocations in an elastic half-space on a grid."""

from __future__ import annotations

import functools

import numpy as np

from ....algorithms.geometry import los as los_mod
from ....fileio.base import blocks, raster
from ....fileio.display import styles
from ...inputs import declare, knobs
from ...inputs.feedback import FeedbackProgress
from ...lazy import lazy_module
from .._base import GeohazardAlgorithm, tool
from ._common import COMMON_SOURCE_HELP, OKADA_KERNELS, _FaultSourceMixin, _grid

grid_blocks = lazy_module("....algorithms.faults.grid_blocks", __package__)


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
        return self.grid_work(parameters, context, self.PIXEL_SIZE)

    def process(self, parameters, context, feedback):
        from ....algorithms.faults.faults import moment

        faults, crs, cin = self.read_sources(parameters, context, feedback)
        poisson = self.resolve_constants(parameters, context, cin, feedback, (self.POISSON,))[self.POISSON]
        gt, nrows, ncols = _grid(self, parameters, context, crs, self.EXTENT, self.PIXEL_SIZE)
        inc = self.parameterAsDouble(parameters, self.INCIDENCE, context)
        head = self.parameterAsDouble(parameters, self.HEADING, context)
        los_vec = np.array(los_mod.los_unit_vector(inc, head), dtype=float).reshape(3)
        out_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        func = functools.partial(grid_blocks.okada_grid_block, geotransform=gt, table=faults.table(), poisson=poisson,
                                 los_vec=los_vec)
        run = knobs.run_settings(self, parameters, context)
        plan = run.plan(nrows, ncols, bytes_per_pixel=grid_blocks.OKADA_BYTES_PER_PIXEL,
                        max_rows=max(1, grid_blocks.OKADA_BLOCK_PIXELS // ncols))
        blocks.run_blocks(plan, func, sources={}, run=run,
                          progress=FeedbackProgress(feedback), background_write=True,
                   writers={"displacement": raster.RasterWriter(out_path, width=ncols, height=nrows, geotransform=gt,
                                                                crs_wkt=crs.toWkt(), count=4,
                                                         descriptions=["east_mm", "north_mm", "up_mm", "los_mm"])})
        styles.style_raster_diverging(out_path, context=context, band=4)
        m0, mw = moment(faults)
        feedback.pushInfo(self.tr("{n} source planes; M0 = {m0} N m, Mw = {mw} (mu = 3.2e10 Pa)").format(
            n=len(faults), m0=f"{m0:.4g}", mw=f"{mw:.2f}"))
        return {self.OUTPUT: out_path}
