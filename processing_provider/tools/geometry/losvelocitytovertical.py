"""``geohazard:losvelocitytovertical``. LOS to vertical: line-of-sight velocity or displacement projected onto the
vertical (v_los / cos(incidence))."""

from __future__ import annotations

import os

from ....algorithms.errors import GeohazardError
from ....algorithms.formats import geometry_meta as gm
from ....algorithms.geometry import los
from ....fileio.base import raster
from ....fileio.base.metadata import non_los_component
from ....fileio.display import styles
from ....fileio.geometry import geometry
from ....fileio.geometry import losvelocitytovertical as io_vertical
from ...inputs import acquisition, angles, declare, ids, knobs
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("losvelocitytovertical", "LOS velocity to vertical",
      tags="LOS,line of sight,vertical,velocity,subsidence,incidence", page="geometry", engine=True)
class LosVelocityToVertical(GeohazardAlgorithm):
    HELP = (
        "Projects line-of-sight (LOS) velocity or displacement onto the vertical, assuming the "
        "ground moves only up or down (subsidence, uplift): v_vert = v_los / cos(incidence).\n\n"
        "<b>Input LOS raster</b>: LOS velocity (mm/yr) or displacement (mm), positive toward the "
        "satellite. Every band is converted (a time-series raster stays a time series, band "
        "descriptions are kept). Nodata stays nodata.\n"
        "MintPy's velocity.h5 / timeseries.h5 are read as delivered (m -> mm, georeferenced, dated); a raster whose "
        "metadata says m or m/yr is converted; one without a unit whose values cannot be mm is named in a warning.\n"
        "<b>Incidence angle</b>: a single value in degrees from the vertical (Sentinel-1 IW: "
        "about 30-46), used when no incidence raster is given. Empty (the default): the INCIDENCE_DEG the input "
        "carries (our stack tools write it; MintPy's CENTER_INCIDENCE_ANGLE or its work folder's "
        "inputs/geometryGeo.h5); a typed value wins, with a warning naming both when they differ. With neither, the "
        "tool stops and says what to type: it assumes no geometry.\n"
        "<b>Incidence raster</b> (optional): per-pixel incidence on the same grid as the input; its content "
        "(incidence or look-vector elevation, degrees or radians, or the up component of the LOS unit vector as "
        "LiCSAR's U.tif) is chosen in the next field and checked against the values (radians declared as degrees, "
        "an elevation angle given as incidence, a unit-vector component given as an angle are refused, naming the "
        "content that fits). MintPy's geometryGeo.h5 is read for its incidenceAngle.\n\n"
        "<b>Output</b>: vertical velocity/displacement in the input's unit, positive up, styled "
        "with a diverging ramp centred at zero. It carries, as GDAL metadata: UNIT (the input's; without one mm "
        "for a dated series, else mm/yr), SIGN up positive, COMPONENT VERTICAL, PROJECTION_INCIDENCE_DEG (the "
        "incidence used: the number, or per pixel and the raster), the input's reference (REFERENCE_*) and its "
        "dates; band descriptions say vertical, not LOS (dates are kept), and the processing history records the "
        "incidence actually used and where it came from. The input's line-of-sight keys (INCIDENCE_DEG, "
        "HEADING_DEG) are not carried, and an input whose metadata declares another component (COMPONENT "
        "VERTICAL ...) is refused: it is not along the line of sight.\n\n"
        "Valid only where horizontal motion is negligible; on slopes use the downslope "
        "projection. Reference: Notti D. et al. (2014), doi:10.1080/01431161.2014.894528."
    )
    MULTIBAND_INPUTS = (ids.INPUT,)
    MM_INPUTS = (ids.INPUT,)
    OVERLAP = ((ids.INPUT, ids.INCIDENCE_RASTER),)

    def initAlgorithm(self, config=None):
        self.addParameter(declare.raster(self.INPUT, "Input LOS raster (positive toward the satellite)"))
        self.addParameter(declare.number(self.INCIDENCE, "Incidence (degrees; empty = metadata)",
                                         None, 0.001, 89.999, optional=True))
        self.addParameter(declare.raster(self.INCIDENCE_RASTER, "Incidence raster (same grid as the input)",
                                         optional=True))
        self.addParameter(declare.enum(self.INCIDENCE_UNITS, "Incidence raster content", geometry.INCIDENCE_KINDS))
        self.addParameter(declare.raster_out(self.OUTPUT, "Vertical velocity"))

    def check(self, parameters, context):
        component = non_los_component(self.raster_info(parameters, self.INPUT, context).path)
        if component:
            raise GeohazardError(f"{self.INPUT} is not along the line of sight: its metadata says {component} (an "
                                 "output of losvelocitytovertical or of a decomposition); give the LOS raster")
        if parameters.get(self.INCIDENCE_RASTER):
            infos = [self.raster_info(parameters, p, context) for p in (self.INPUT, self.INCIDENCE_RASTER)]
            raster.check_same_grid(infos, [self.INPUT, self.INCIDENCE_RASTER])

    def process(self, parameters, context, feedback):
        info = self.raster_info(parameters, self.INPUT, context)
        inc_path = None
        if parameters.get(self.INCIDENCE_RASTER):
            inc_path = self.raster_path(parameters, self.INCIDENCE_RASTER, context)
        inc_value = acquisition.scene_value(
            self, parameters, self.INCIDENCE, context, feedback, gm.INCIDENCE_KEY, needed=not inc_path,
            rasters=[info.path], hint=acquisition.incidence_hint(self.INCIDENCE, self.INCIDENCE_RASTER))
        inc_value = float(los.check_incidence(inc_value, name=self.INCIDENCE))
        kind = angles.incidence_kind(self, parameters, context, inc_path, feedback)[0] if inc_path else 0
        if inc_path:
            used = f"per pixel: {os.path.basename(inc_path)} ({geometry.INCIDENCE_KINDS[kind]})"
            self.record_used(self.INCIDENCE, f"not used ({self.INCIDENCE_RASTER}, {used})")
        else:
            used = f"{inc_value:.10g}"
        job = io_vertical.Job(los=info, output=self.parameterAsOutputLayer(parameters, self.OUTPUT, context),
                              incidence_deg=inc_value, incidence_used=used, incidence_raster=inc_path or "",
                              incidence_kind=kind, settings=knobs.run_settings(self, parameters, context),
                              names={"los": self.INPUT, "incidence": self.INCIDENCE_RASTER})
        outcome = io_vertical.run(job, progress=FeedbackProgress(feedback))
        styles.style_raster_diverging(job.output, context=context)
        return self.finish(outcome, feedback)
