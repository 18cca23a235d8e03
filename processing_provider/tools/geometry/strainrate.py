"""``geohazard:strainrate``. Strain rates: dilatation, maximum shear, rotation and principal axes of the horizontal
strain rate from east and north velocity fields (rasters or points)."""

from __future__ import annotations

from ....algorithms.errors import GeohazardError
from ....fileio.geometry import strainrate as io_strain
from ...inputs import declare, ids, knobs, layers
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("strainrate", "Strain rates from east and north velocities", page="geometry",
      tags="strain,strain rate,dilatation,shear,rotation,principal axes,fault,interseismic,GNSS,velocity field",
      main=("OUTPUT_DILATATION", "OUTPUT_MAX_SHEAR", ids.OUTPUT_POINTS), engine=True)
class StrainRate(GeohazardAlgorithm):
    INPUT_EAST = "INPUT_EAST"
    INPUT_NORTH = "INPUT_NORTH"
    EAST_FIELD = "EAST_FIELD"
    NORTH_FIELD = "NORTH_FIELD"
    SMOOTHING_M = "SMOOTHING_M"
    UNIT = "UNIT"
    OUTPUT_DILATATION = "OUTPUT_DILATATION"
    OUTPUT_MAX_SHEAR = "OUTPUT_MAX_SHEAR"
    OUTPUT_ROTATION = "OUTPUT_ROTATION"
    OUTPUT_PRINCIPAL = "OUTPUT_PRINCIPAL"
    HELP = (
        "Horizontal strain rates from east and north velocity fields, or strains from east and north displacements: "
        "dilatation, maximum shear, rotation and the principal axes, in nanostrain per year (or nanostrain). It needs "
        "the east and north velocities (mm/yr) or displacements (mm) as two rasters on one grid in a projected CRS "
        "(ascdescdecomposition's or multisensortimeseries' outputs, a coseismic decomposition) or as points with two "
        "fields (GNSS, decomposed PS).\n\n"
        "<b>Inputs</b>: INPUT_EAST and INPUT_NORTH (east and north positive; a raster declaring m, m/yr or cm is read "
        "in mm or mm/yr; one declaring another component or a unit that is no length is refused), or POINTS with "
        "EAST_FIELD and NORTH_FIELD (in any CRS: points in degrees are projected onto a local azimuthal equidistant "
        "projection centred on them, said in the log). <b>UNIT</b>: what the inputs hold: as the rasters declare (UNIT "
        "mm/yr: a rate; mm, or a band described by a date: a displacement; nothing declared: a rate, said in the log), "
        "a rate, or a displacement; a choice that contradicts what the files declare is refused. Rates give strain "
        "rates (nanostrain/yr, nanoradian/yr), displacements strains (nanostrain, nanoradian): the outputs' band "
        "descriptions, UNIT metadata and layer names say which.\n"
        "<b>Method</b>: at each pixel or point, a plane v = a + b dx + c dy is fitted to each component by weighted "
        "least squares, weights exp(-d^2 / 2 SMOOTHING_M^2): SMOOTHING_M is the Gaussian sigma (m; at least one pixel; "
        "2-5 pixels or the network's station spacing). On points the neighbours are those within 3 SMOOTHING_M (a "
        "circle); on rasters those within 3 SMOOTHING_M along each axis (a square window of 6 SMOOTHING_M a side, "
        "computed as two one-dimensional passes; its corners beyond the circle weigh less than 1.1 % of the centre). "
        "Edges and gaps are handled without mirroring: the fit there is one-sided, and a site whose neighbours hold no "
        "plane (too few, or on a line) is left empty; the log counts the points left empty and why, and a network that "
        "holds no plane anywhere (stations at one spot or on one line, or too sparse for SMOOTHING_M) is refused "
        "saying which. A field linear over the window is reproduced exactly; a curved one is smoothed at the scale of "
        "SMOOTHING_M.\n"
        "<b>Conventions</b> (x east, y north): exx = dve/dx, eyy = dvn/dy, exy = (dve/dy + dvn/dx) / 2; dilatation exx "
        "+ eyy (positive: expansion); principal rates e1 >= e2 (extension positive); maximum shear (e1 - e2) / 2; "
        "rotation (dvn/dx - dve/dy) / 2, positive counter-clockwise (nanoradians). 1 mm/yr per km is 1,000 nanostrain "
        "per year (1 mm per km: 1,000 nanostrain).\n"
        "<b>Outputs</b> (rasters on the inputs' grid): OUTPUT_DILATATION, OUTPUT_MAX_SHEAR, OUTPUT_ROTATION, "
        "OUTPUT_PRINCIPAL (4 bands: azimuth of the e1 axis and of the e2 axis, degrees clockwise from north in [0, "
        "180), e1, e2). With POINTS, OUTPUT_POINTS holds the same quantities as fields.\n"
        "References: Savage J.C., Burford R.O. (1973) doi:10.1029/JB078i005p00832 (the screw-dislocation profile the "
        "tool is checked on); Shen Z.-K. et al. (2015) doi:10.1785/0120140247 (distance-weighted strain rates)."
    )
    OVERLAP = (("INPUT_EAST", "INPUT_NORTH"),)
    MM_INPUTS = ("INPUT_EAST", "INPUT_NORTH")
    UNITS = ["As the rasters declare (else a rate, mm/yr)", "Rate (mm/yr): strain rates",
             "Displacement (mm): strains"]

    def initAlgorithm(self, config=None):
        self.addParameter(declare.raster(self.INPUT_EAST, "East velocity (mm/yr) or displacement (mm)",
                                         optional=True))
        self.addParameter(declare.raster(self.INPUT_NORTH, "North velocity (mm/yr) or displacement (mm)",
                                         optional=True))
        self.addParameter(declare.features(self.POINTS, "Velocity or displacement points", "point", optional=True))
        self.addParameter(declare.field(self.EAST_FIELD, "East field (mm/yr or mm)", self.POINTS, numeric=True,
                                        optional=True))
        self.addParameter(declare.field(self.NORTH_FIELD, "North field (mm/yr or mm)", self.POINTS,
                                        numeric=True, optional=True))
        self.addParameter(declare.enum(self.UNIT, "The inputs hold", self.UNITS))
        self.addParameter(declare.number(self.SMOOTHING_M, "Smoothing, Gaussian sigma (m)", 1000.0, 0.001, 1e6))
        # no unit in the labels: the layer's name takes the one the raster declares (per year or not)
        for pid, label in ((self.OUTPUT_DILATATION, "Dilatation"),
                           (self.OUTPUT_MAX_SHEAR, "Maximum shear"),
                           (self.OUTPUT_ROTATION, "Rotation, positive anticlockwise"),
                           (self.OUTPUT_PRINCIPAL, "Principal axes and strains")):
            self.addParameter(declare.raster_out(pid, label, optional=True, create=pid == self.OUTPUT_DILATATION))
        self.addParameter(declare.vector_out(self.OUTPUT_POINTS, "Strain rates or strains at the points", "point",
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
            layer = self.parameterAsVectorLayer(parameters, self.POINTS, context)
            for pid in (self.EAST_FIELD, self.NORTH_FIELD):
                if not parameters.get(pid):
                    raise GeohazardError(f"{self.POINTS} needs {pid} (the velocity field, mm/yr)")
                if layer is not None:
                    layers.numeric_fields(layer, pid, [self.parameterAsString(parameters, pid, context)])
            if not parameters.get(self.OUTPUT_POINTS):
                raise GeohazardError(f"{self.POINTS} gives its strain rates in {self.OUTPUT_POINTS}: name that output")

    def process(self, parameters, context, feedback):
        v = self.values(parameters, context, self.SMOOTHING_M, self.UNIT)
        names = {"east": self.INPUT_EAST, "north": self.INPUT_NORTH, "points": self.POINTS}
        if parameters.get(self.POINTS):
            job = io_strain.Job(
                sigma_m=v.SMOOTHING_M, names=names, points=self.parameterAsSource(parameters, self.POINTS, context),
                east_field=self.parameterAsString(parameters, self.EAST_FIELD, context),
                north_field=self.parameterAsString(parameters, self.NORTH_FIELD, context),
                points_output=self.parameterAsOutputLayer(parameters, self.OUTPUT_POINTS, context),
                points_output_id=self.OUTPUT_POINTS, unit=v.UNIT)
        else:
            job = io_strain.Job(
                sigma_m=v.SMOOTHING_M, names=names, settings=knobs.run_settings(self, parameters, context), unit=v.UNIT,
                east=self.raster_path(parameters, self.INPUT_EAST, context),
                north=self.raster_path(parameters, self.INPUT_NORTH, context),
                outputs={k: (pid, self.parameterAsOutputLayer(parameters, pid, context) if parameters.get(pid) else "")
                         for k, pid in (("dilatation", self.OUTPUT_DILATATION), ("max_shear", self.OUTPUT_MAX_SHEAR),
                                        ("rotation", self.OUTPUT_ROTATION), ("principal", self.OUTPUT_PRINCIPAL))})
        return self.finish(io_strain.run(job, progress=FeedbackProgress(feedback), context=context), feedback)
