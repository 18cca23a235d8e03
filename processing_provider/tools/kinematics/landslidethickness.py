"""``geohazard:landslidethickness``. Landslide thickness: thickness from the 3-D surface velocity by mass conservation.
"""

from __future__ import annotations

import numpy as np

from ....algorithms.errors import GeohazardError
from ....algorithms.kinematics import thickness as _th
from ....algorithms.kinematics.thickness import ALPHA_RANGE, RHEOLOGY_RANGE
from ....fileio.base.raster import check_same_grid, read_band, read_bands, write_raster
from ....fileio.kinematics import kinematics as kio
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
        vel = self.raster_info(parameters, self.VELOCITY, context)
        dem = self.raster_info(parameters, self.DEM, context)
        if vel.count != 3:
            raise GeohazardError(f"VELOCITY must have 3 bands (east, north, up: landslide3d OUTPUT), got {vel.count}")
        check_same_grid([vel, dem], [self.VELOCITY, self.DEM])
        if vel.width * vel.height > 25_000_000:
            raise GeohazardError(f"VELOCITY has {vel.width} x {vel.height} cells; clip it to the landslide first")
        dx, dy = kio.metric_size(dem, self.DEM)
        v = read_bands(vel.path, name=self.VELOCITY, dtype=np.float64)
        mask = kio.polygon_mask(self.parameterAsSource(parameters, self.LANDSLIDE_OUTLINE, context), vel, context,
                                self.LANDSLIDE_OUTLINE) \
            if parameters.get(self.LANDSLIDE_OUTLINE) else None
        v_alpha = self.parameterAsDouble(parameters, self.ALPHA, context)
        halves = kio.speed_halves(self.raster_path(parameters, self.TIME_SERIES_3D, context), self.TIME_SERIES_3D) \
            if parameters.get(self.TIME_SERIES_3D) else None
        res = _th.invert_thickness(v[0], v[1], v[2], read_band(dem.path, name=self.DEM, dtype=np.float64), dx_m=dx[0],
                                   dy_m=dy, mask=mask, speed_halves=halves,
                                   rheology_factor=self.parameterAsDouble(parameters, self.RHEOLOGY_FACTOR, context),
                                   alpha=v_alpha,
                                   min_speed=self.parameterAsDouble(parameters, self.MIN_SPEED, context))
        progress = FeedbackProgress(feedback)
        fl = res["flags"][np.isfinite(res["thickness"])]
        counts = ", ".join(f"{k} {int(np.sum(fl & b > 0))}" for k, b in _th.FLAGS.items())
        progress.push_info(f"{res['n_cells']} landslide cells, volume {res['volume_m3']:.4g} m3; flags: {counts}")
        if res["smoothing_ratio"] > _th.WARN_SMOOTHING_RATIO:
            radius = res["radius_cells"]
            progress.push_warning(
                f"ALPHA = {v_alpha:g} is a strong smoothing for this landslide ({radius:.1f} cells in radius: "
                f"ALPHA / radius = {res['smoothing_ratio']:.2f}, above {_th.WARN_SMOOTHING_RATIO:g}): the thickness "
                "and the volume are biased low (6-17 % at 0.1, about half at 0.25 on synthetic landslides); "
                f"ALPHA {_th.WARN_SMOOTHING_RATIO * radius:.2g} or less keeps the bias small")
        if res["n_surface_parallel"]:
            progress.push_warning(f"{res['n_surface_parallel']} of {res['n_cells']} landslide cells have a velocity "
                                  "parallel to the DEM surface by construction (landslide3d's constraint): dz/dt is 0 "
                                  "there and their thickness comes from the smoothing only")
        out = write_raster(self.parameterAsOutputLayer(parameters, self.OUTPUT, context), res["thickness"], vel,
                           descriptions=["thickness m"])
        q = write_raster(self.parameterAsOutputLayer(parameters, self.OUTPUT_QUALITY, context),
                         np.stack([res["dzdt"], res["residual"], res["flags"].astype(float)]), vel,
                         descriptions=["dz/dt mm/yr", "mass-balance residual mm/yr", "flags"])
        return {self.OUTPUT: out, self.OUTPUT_QUALITY: q}
