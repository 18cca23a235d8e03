"""``geohazard:strainrate``. Strain rates: dilatation, maximum shear, rotation and principal axes of the horizontal
strain rate from east and north velocity fields (rasters or points)."""

from __future__ import annotations

from ....algorithms.errors import GeohazardError
from ...inputs import declare, ids, knobs
from ...inputs.feedback import FeedbackProgress
from ...lazy import lazy_module
from .._base import GeohazardAlgorithm, tool

io_strain = lazy_module("....fileio.geometry.strainrate", __package__)


@tool("strainrate", "Strain rates from east and north velocities", page="geometry",
      tags="strain,strain rate,dilatation,shear,rotation,principal axes,fault,interseismic,GNSS,velocity field",
      main=("OUTPUT_DILATATION", "OUTPUT_MAX_SHEAR", ids.OUTPUT_POINTS), engine=True)
class StrainRate(GeohazardAlgorithm):
    INPUT_EAST = "INPUT_EAST"
    INPUT_NORTH = "INPUT_NORTH"
    EAST_FIELD = "EAST_FIELD"
    NORTH_FIELD = "NORTH_FIELD"
    SMOOTHING_M = "SMOOTHING_M"
    OUTPUT_DILATATION = "OUTPUT_DILATATION"
    OUTPUT_MAX_SHEAR = "OUTPUT_MAX_SHEAR"
    OUTPUT_ROTATION = "OUTPUT_ROTATION"
    OUTPUT_PRINCIPAL = "OUTPUT_PRINCIPAL"
    HELP = (
        "Horizontal strain rates from east and north velocity fields: dilatation, maximum shear and rotation rates "
        "and the principal axes, in nanostrain per year. It needs the east and north velocities (mm/yr) as two "
        "rasters on one grid (ascdescdecomposition's or multisensortimeseries' outputs) or as points with two "
        "fields (GNSS, decomposed PS), in a projected CRS.\n\n"
        "<b>Inputs</b>: INPUT_EAST and INPUT_NORTH (mm/yr, east and north positive; a raster whose metadata "
        "declares another component or unit is refused), or POINTS with EAST_FIELD and NORTH_FIELD (mm/yr).\n"
        "<b>Method</b>: at each pixel or point, a plane v = a + b dx + c dy is fitted to each velocity component by "
        "weighted least squares over the neighbours within 3 SMOOTHING_M, weights exp(-d^2 / 2 SMOOTHING_M^2): "
        "SMOOTHING_M is the Gaussian sigma (m; at least one pixel; 2-5 pixels or the network's station spacing). "
        "Edges and gaps are handled without mirroring: the fit there is one-sided, and a site whose neighbours "
        "hold no plane (too few, or on a line) is left empty. A field linear over the window is reproduced "
        "exactly; a curved one is smoothed at the scale of SMOOTHING_M.\n"
        "<b>Conventions</b> (x east, y north): exx = dve/dx, eyy = dvn/dy, exy = (dve/dy + dvn/dx) / 2; dilatation "
        "exx + eyy (positive: expansion); principal rates e1 >= e2 (extension positive); maximum shear (e1 - e2) "
        "/ 2; rotation (dvn/dx - dve/dy) / 2, positive counter-clockwise (nanoradians per year). 1 mm/yr per km "
        "is 1,000 nanostrain per year.\n"
        "<b>Outputs</b> (rasters on the velocities' grid): OUTPUT_DILATATION, OUTPUT_MAX_SHEAR, OUTPUT_ROTATION, "
        "OUTPUT_PRINCIPAL (4 bands: azimuth of the e1 axis and of the e2 axis, degrees clockwise from north in "
        "[0, 180), e1, e2). With POINTS, OUTPUT_POINTS holds the same quantities as fields.\n"
        "References: Savage J.C., Burford R.O. (1973) doi:10.1029/JB078i005p00832 (the screw-dislocation profile "
        "the tool is checked on); Shen Z.-K. et al. (2015) doi:10.1785/0120140247 (distance-weighted strain rates)."
    )
    OVERLAP = (("INPUT_EAST", "INPUT_NORTH"),)

    def initAlgorithm(self, config=None):
        self.addParameter(declare.raster(self.INPUT_EAST, "East velocity (mm/yr)", optional=True))
        self.addParameter(declare.raster(self.INPUT_NORTH, "North velocity (mm/yr)", optional=True))
        self.addParameter(declare.features(self.POINTS, "Velocity points", "point", optional=True))
        self.addParameter(declare.field(self.EAST_FIELD, "East velocity field (mm/yr)", self.POINTS, numeric=True,
                                        optional=True))
        self.addParameter(declare.field(self.NORTH_FIELD, "North velocity field (mm/yr)", self.POINTS,
                                        numeric=True, optional=True))
        self.addParameter(declare.number(self.SMOOTHING_M, "Smoothing, Gaussian sigma (m)", 1000.0, 0.001, 1e6))
        for pid, label in ((self.OUTPUT_DILATATION, "Dilatation (nanostrain/yr)"),
                           (self.OUTPUT_MAX_SHEAR, "Maximum shear (nanostrain/yr)"),
                           (self.OUTPUT_ROTATION, "Rotation (nanorad/yr, + anticlockwise)"),
                           (self.OUTPUT_PRINCIPAL, "Principal axes and rates")):
            self.addParameter(declare.raster_out(pid, label, optional=True, create=pid == self.OUTPUT_DILATATION))
        self.addParameter(declare.vector_out(self.OUTPUT_POINTS, "Strain rates at the points", "point",
                                             optional=True, create=False))

    def check(self, parameters, context):
        rasters = [p for p in (self.INPUT_EAST, self.INPUT_NORTH) if parameters.get(p)]
        points = bool(parameters.get(self.POINTS))
        if rasters and points:
            raise GeohazardError(f"give either {self.INPUT_EAST} and {self.INPUT_NORTH} (rasters) or {self.POINTS} "
                                 "(points), not both")
        if len(rasters) == 1:
            missing = self.INPUT_NORTH if rasters[0] == self.INPUT_EAST else self.INPUT_EAST
            raise GeohazardError(f"{rasters[0]} was given without {missing}: both velocity components are needed")
        if not rasters and not points:
            raise GeohazardError(f"give {self.INPUT_EAST} and {self.INPUT_NORTH} (velocity rasters, mm/yr) or "
                                 f"{self.POINTS} with {self.EAST_FIELD} and {self.NORTH_FIELD}")
        if points:
            for pid in (self.EAST_FIELD, self.NORTH_FIELD):
                if not parameters.get(pid):
                    raise GeohazardError(f"{self.POINTS} needs {pid} (the velocity field, mm/yr)")
            if not parameters.get(self.OUTPUT_POINTS):
                raise GeohazardError(f"{self.POINTS} gives its strain rates in {self.OUTPUT_POINTS}: name that output")

    def process(self, parameters, context, feedback):
        v = self.values(parameters, context, self.SMOOTHING_M)
        names = {"east": self.INPUT_EAST, "north": self.INPUT_NORTH, "points": self.POINTS}
        if parameters.get(self.POINTS):
            job = io_strain.Job(
                sigma_m=v.SMOOTHING_M, names=names, points=self.parameterAsSource(parameters, self.POINTS, context),
                east_field=self.parameterAsString(parameters, self.EAST_FIELD, context),
                north_field=self.parameterAsString(parameters, self.NORTH_FIELD, context),
                points_output=self.parameterAsOutputLayer(parameters, self.OUTPUT_POINTS, context),
                points_output_id=self.OUTPUT_POINTS)
        else:
            job = io_strain.Job(
                sigma_m=v.SMOOTHING_M, names=names, settings=knobs.run_settings(self, parameters, context),
                east=self.raster_path(parameters, self.INPUT_EAST, context),
                north=self.raster_path(parameters, self.INPUT_NORTH, context),
                outputs={k: (pid, self.parameterAsOutputLayer(parameters, pid, context) if parameters.get(pid) else "")
                         for k, pid in (("dilatation", self.OUTPUT_DILATATION), ("max_shear", self.OUTPUT_MAX_SHEAR),
                                        ("rotation", self.OUTPUT_ROTATION), ("principal", self.OUTPUT_PRINCIPAL))})
        return self.finish(io_strain.run(job, progress=FeedbackProgress(feedback), context=context), feedback)
