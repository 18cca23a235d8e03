"""``geohazard:landslidethickness``. Landslide thickness: thickness from the 3-D surface velocity by mass conservation.
"""

from __future__ import annotations

from ....algorithms.kinematics.thickness import ALPHA_RANGE, RHEOLOGY_RANGE
from ....fileio.kinematics import landslidethickness as io_th
from ...inputs import declare
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("landslidethickness", "Landslide thickness (mass conservation)",
      tags="landslide,thickness,depth,volume,mass conservation,flux,rheology,3-D", page="kinematics")
class LandslideThickness(GeohazardAlgorithm):
    VELOCITY = "VELOCITY"
    LANDSLIDE_OUTLINE = "LANDSLIDE_OUTLINE"
    TIME_SERIES_3D = "TIME_SERIES_3D"
    OUTPUT_QUALITY = "OUTPUT_QUALITY"
    RHEOLOGY_FACTOR = "RHEOLOGY_FACTOR"
    ALPHA = "ALPHA"
    MIN_SPEED = "MIN_SPEED"
    HELP = (
        "Estimates the thickness h (m) of a landslide from its 3-D surface velocity by volume conservation (Booth "
        "et al. 2013). It needs the 3-D velocity (E, N, U in mm/yr, e.g. landslide3d's), a DEM and optionally the "
        "landslide outline. It gives the thickness (m) and a quality raster (dz/dt, mass-balance residual, flags)."
        "\n\n<b>Method</b>: "
        "dz/dt = -div(f h u_s), with u_s = (E, N) the surface velocity, f the rheology factor (depth-averaged / "
        "surface velocity: 1 = sliding block, 2/3 = viscous flow without basal slip; h scales as 1/f) and dz/dt "
        "= U - E dz/dx - N dz/dy the height change at a fixed place. Solved on the grid by least squares with "
        "Laplacian smoothing (ALPHA, dimensionless) and h = 0 outside the landslide (LANDSLIDE_OUTLINE polygons, "
        "else cells faster than MIN_SPEED mm/yr). The velocities in the flux operator are smoothed inside the "
        "landslide (Gaussian, 2 cells): their noise would otherwise bias the thickness low (errors in variables; "
        "with landslide3d's noise the volume came out 5-92 % small, now within -1.4..+4.1 % on average over five "
        "shapes, 100-1000 mm/yr). A velocity surface-parallel by construction (landslide3d's DEM constraint: dz/dt "
        "= 0) on most of the landslide is refused.\n<b>Inputs</b>: VELOCITY = landslide3d OUTPUT (E, N, U in mm/yr, "
        "solved without the surface-parallel constraint), "
        "DEM on the same grid (m); optional TIME_SERIES_3D = landslide3d OUTPUT_TIMESERIES to test steadiness.\n"
        "<b>Outputs</b>: OUTPUT thickness (m); OUTPUT_QUALITY bands dz/dt (mm/yr), mass-balance residual (mm/yr), "
        "flags (bit mask: 1 slow, 2 negative thickness, 4 misfit = residual > max(3 robust sigma, 2 mm/yr): "
        "divergent or convergent flux not explained, 8 non-steady = speed changed > 30 % between the halves of the "
        "series, 16 edge). The solve is global over the landslide (not in blocks): up to 2 million landslide cells.\n"
        "<b>Defaults</b>: RHEOLOGY_FACTOR 1 (slow landslides mostly slide on a basal shear zone), ALPHA 0.3 (1.4-2.3 % "
        "thickness error on synthetic landslides; larger is smoother), MIN_SPEED 1 mm/yr (the InSAR velocity noise).\n"
        "<b>Accepted values</b>: RHEOLOGY_FACTOR 0.5-1 (a power-law flow without basal slip has f = (n + 1) / (n + 2), "
        "2/3 to 1; 1/2 is the floor of any gravity-driven shear flow); ALPHA 0-10, and at most 0.1 N for a "
        "landslide of N cells in radius (N = sqrt(cells / pi)): the smoothing's weight against the data grows as "
        "ALPHA / N, and on synthetic landslides the volume was 0.83-0.94 of the truth at ALPHA = 0.1 N, about half "
        "at 0.25 N and 0 (thickness 0 everywhere) at ALPHA 30. An ALPHA above 0.25 N is refused naming the "
        "largest plausible value; one above 0.1 N runs with a warning.\n"
        "References: Booth et al. (2013) doi:10.1002/grl.50828; Delbridge et al. (2016) JGR Solid Earth 121; "
        "Hu et al. (2018) doi:10.1002/2017GL076623.")
    MULTIBAND_INPUTS = ("VELOCITY", "TIME_SERIES_3D")
    RANGE_HINTS = {
        "RHEOLOGY_FACTOR": "1 a block sliding on a basal shear zone, 2/3 Newtonian flow without basal slip, 1/2 the "
                           "floor of any gravity-driven shear flow; Booth et al. 2013, doi:10.1002/grl.50828",
        "ALPHA": "a dimensionless smoothing weight, 0.3 by default; at most 0.1 times the landslide's radius in cells, "
                 "above it the smoothing flattens the thickness toward 0"}

    def initAlgorithm(self, config=None):
        self.addParameter(declare.raster(self.VELOCITY, "3-D velocity (E, N, U mm/yr)"))
        self.addParameter(declare.raster(self.DEM, "DEM (m)"))
        self.addParameter(declare.features(self.LANDSLIDE_OUTLINE, "Landslide outline", "polygon", optional=True))
        self.addParameter(declare.raster(self.TIME_SERIES_3D, "3-D time series (landslide3d)", optional=True))
        for key, label, val, (lo, hi) in ((self.RHEOLOGY_FACTOR, "Rheology factor f", 1.0, RHEOLOGY_RANGE),
                                          (self.ALPHA, "Smoothing (dimensionless)", 0.3, ALPHA_RANGE),
                                          (self.MIN_SPEED, "Smallest horizontal speed (mm/yr)", 1.0, (0.0, 1e9))):
            self.addParameter(declare.number(key, label, val, lo, hi))
        self.addParameter(declare.raster_out(self.OUTPUT, "Thickness (m)"))
        self.addParameter(declare.raster_out(self.OUTPUT_QUALITY, "dz/dt, residual, flags"))

    def process(self, parameters, context, feedback):
        job = io_th.Job(
            velocity=self.raster_info(parameters, self.VELOCITY, context),
            dem=self.raster_info(parameters, self.DEM, context),
            outline=self.parameterAsSource(parameters, self.LANDSLIDE_OUTLINE, context)
            if parameters.get(self.LANDSLIDE_OUTLINE) else None,
            time_series=self.raster_path(parameters, self.TIME_SERIES_3D, context)
            if parameters.get(self.TIME_SERIES_3D) else "",
            alpha=self.parameterAsDouble(parameters, self.ALPHA, context),
            rheology_factor=self.parameterAsDouble(parameters, self.RHEOLOGY_FACTOR, context),
            min_speed=self.parameterAsDouble(parameters, self.MIN_SPEED, context),
            output=self.parameterAsOutputLayer(parameters, self.OUTPUT, context),
            quality=self.parameterAsOutputLayer(parameters, self.OUTPUT_QUALITY, context),
            names={"velocity": self.VELOCITY, "dem": self.DEM, "outline": self.LANDSLIDE_OUTLINE,
                   "time_series": self.TIME_SERIES_3D, "output": self.OUTPUT, "quality": self.OUTPUT_QUALITY})
        return self.finish(io_th.run(job, progress=FeedbackProgress(feedback), context=context), feedback)
