"""losvelocitytovertical."""

from __future__ import annotations

import functools

import numpy as np

from ....algorithms.formats import geometry_meta as gm
from ....algorithms.geometry import los
from ....algorithms.geometry import los_blocks as _losb
from ....io import blocks, raster, styles
from ...inputs import acquisition, declare, knobs
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("losvelocitytovertical", "LOS velocity to vertical", group="geometry",
      tags="LOS,line of sight,vertical,velocity,subsidence,incidence", page="geometry", engine=True)
class LosVelocityToVertical(GeohazardAlgorithm):
    MULTIBAND_INPUTS = ("INPUT",)
    OVERLAP = (("INPUT", "INCIDENCE_RASTER"),)
    HELP = (
        "Projects line-of-sight (LOS) velocity or displacement onto the vertical, assuming the "
        "ground moves only up or down (subsidence, uplift): v_vert = v_los / cos(incidence).\n\n"
        "<b>Input LOS raster</b>: LOS velocity (mm/yr) or displacement (mm), positive toward the "
        "satellite. Every band is converted (a time-series raster stays a time series, band "
        "descriptions are kept). Nodata stays nodata.\n"
        "<b>Incidence angle</b>: a single value in degrees from the vertical (Sentinel-1 IW: "
        "about 30-46), used when no incidence raster is given; left at its default, the INCIDENCE_DEG the input "
        "carries is used instead (a typed value wins, with a warning naming both when they differ).\n"
        "<b>Incidence raster</b> (optional): per-pixel incidence on the same grid as the input, "
        "in degrees or radians (choose the unit).\n\n"
        "<b>Output</b>: vertical velocity/displacement in the input's unit, positive up, styled "
        "with a diverging ramp centred at zero.\n\n"
        "Valid only where horizontal motion is negligible; on slopes use the downslope "
        "projection. Reference: Notti D. et al. (2014), doi:10.1080/01431161.2014.894528."
    )

    UNITS = ["degrees", "radians"]

    def initAlgorithm(self, config=None):
        self.addParameter(declare.raster(self.INPUT, "Input LOS raster (positive toward the satellite)"))
        self.addParameter(declare.number(self.INCIDENCE,
                                         "Incidence angle (degrees), used when no incidence raster is given", 37.0,
                                         0.001, 89.999))
        self.addParameter(declare.raster(self.INCIDENCE_RASTER, "Incidence raster (same grid as the input)",
                                         optional=True))
        self.addParameter(declare.enum(self.INCIDENCE_UNITS, "Incidence raster unit", self.UNITS))
        self.addParameter(declare.raster_out(self.OUTPUT, "Vertical velocity"))

    def check(self, parameters, context):
        if parameters.get(self.INCIDENCE_RASTER):
            infos = [self.raster_info(parameters, p, context) for p in (self.INPUT, self.INCIDENCE_RASTER)]
            raster.check_same_grid(infos, [self.INPUT, self.INCIDENCE_RASTER])

    def process(self, parameters, context, feedback):
        info = self.raster_info(parameters, self.INPUT, context)
        inc_path = None
        if parameters.get(self.INCIDENCE_RASTER):
            inc_path = self.raster_path(parameters, self.INCIDENCE_RASTER, context)
        inc_value = self.parameterAsDouble(parameters, self.INCIDENCE, context)
        if not inc_path:
            inc_value = acquisition.resolve_geometry(
                self, parameters, self.INCIDENCE, context, feedback, gm.INCIDENCE_KEY, rasters=[info.path],
                default=self.parameterDefinition(self.INCIDENCE).defaultValue(),
                default_label=f"the {self.INCIDENCE} default").value
        inc_value = los.check_incidence(inc_value, name=self.INCIDENCE)
        in_radians = self.parameterAsEnum(parameters, self.INCIDENCE_UNITS, context) == 1
        if inc_path:
            raster.check_same_grid([info, raster.raster_info(inc_path, self.INCIDENCE_RASTER)], [self.INPUT,
                                                                                                 self.INCIDENCE_RASTER])
        out_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        sources = {"los": blocks.raster_source(info.path, bands=None, dtype=np.float64, name=self.INPUT)}
        if inc_path:
            sources["incidence"] = blocks.raster_source(inc_path, dtype=np.float64, name=self.INCIDENCE_RASTER)
        func = functools.partial(_losb.los_vertical_block, incidence_deg=inc_value, in_radians=in_radians,
                                 incidence_name=self.INCIDENCE_RASTER)
        run = knobs.run_settings(self, parameters, context)
        blocks.run_blocks(run.plan(info.height, info.width, bytes_per_pixel=8.0 * (2 * info.count + 2)), func,
                          sources=sources, run=run, progress=FeedbackProgress(feedback), background_write=True,
                          writers={"vertical": raster.RasterWriter.like(out_path, info, count=info.count,
                                                                        descriptions=info.descriptions)})
        styles.style_raster_diverging(out_path, context=context)
        return {self.OUTPUT: out_path}
