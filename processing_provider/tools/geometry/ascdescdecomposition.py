"""``geohazard:ascdescdecomposition``. Ascending + descending decomposition: east-west and vertical motion from LOS
velocities or time series of two or more geometries."""

from __future__ import annotations

from ....fileio.geometry import ascdescdecomposition as io_dec
from ...inputs import declare, ids, layers
from ...inputs import geometry as pair
from ...inputs.aliases import Alias
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("ascdescdecomposition", "Ascending + descending decomposition (east-west and vertical)",
      tags="ascending,descending,decomposition,east-west,vertical,velocity,subsidence,uplift", main=("OUTPUT_UP",),
      page="geometry", former=(Alias("STD_FIELD", ids.VELOCITY_STD_FIELD), Alias("CELL_SIZE",
                                                                                 ids.PIXEL_SIZE)))
class AscDescDecomposition(GeohazardAlgorithm):
    ASC_RASTER = "ASC_RASTER"
    DESC_RASTER = "DESC_RASTER"
    ASC_SIGMA = "ASC_SIGMA"
    DESC_SIGMA = "DESC_SIGMA"
    ASC_POINTS = "ASC_POINTS"
    DESC_POINTS = "DESC_POINTS"
    GRID_CRS = "GRID_CRS"
    TEMPLATE = "TEMPLATE"
    ORIGIN_X = "ORIGIN_X"
    ORIGIN_Y = "ORIGIN_Y"
    NORTH_VELOCITY = "NORTH_VELOCITY"
    MAX_CONDITION = "MAX_CONDITION"
    TIME_SERIES = "TIME_SERIES"
    SPACING_DAYS = "SPACING_DAYS"
    MAX_GAP_DAYS = "MAX_GAP_DAYS"
    OUTPUT_EAST = "OUTPUT_EAST"
    OUTPUT_UP = "OUTPUT_UP"
    OUTPUT_QUALITY = "OUTPUT_QUALITY"
    OUTPUT_EAST_TS = "OUTPUT_EAST_TS"
    OUTPUT_UP_TS = "OUTPUT_UP_TS"
    HELP = (
        "Combines ascending and descending LOS velocities (or displacement time series) into east-west and "
        "vertical motion by least squares per cell: d_i - n_i N = e_i E + u_i U for every observation i of the "
        "cell, (e, n, u) its ground-to-satellite unit vector. North motion N is neglected (0, the default) or "
        "constrained to the value given (mm/yr); SAR is almost blind to it and the output states the "
        "assumption.\n\n"
        "<b>Rasters</b>: ASC_RASTER and DESC_RASTER on the same grid (MintPy velocity.h5 / timeseries.h5 read as "
        "delivered, m -> mm), with their heading and incidence (empty, the default: the HEADING_DEG / "
        "INCIDENCE_DEG each raster carries, MintPy's HEADING and CENTER_INCIDENCE_ANGLE included; the log names the "
        "source; a typed value that contradicts them is warned; with neither the tool stops and says what to "
        "type: it assumes no geometry). "
        "<b>Points</b>: ASC_POINTS and DESC_POINTS (e.g. EGMS L2a/L2b), gridded on square cells of PIXEL_SIZE "
        "metres in GRID_CRS whose edges lie on ORIGIN_X/ORIGIN_Y + multiples of the cell size (default origin 0, 0: "
        "edges on multiples of 100 m in EPSG:3035, centres at k*100+50, the cell layout of the official EGMS L3 "
        "tiles and of the INSPIRE ETRS89-LAEA grid). With a TEMPLATE raster the output takes the template's grid "
        "(origin, cell size, extent and CRS; points outside it are left out and counted). Every point "
        "enters the cell's least squares with its own LOS vector (fields los_east/los_north/los_up, else "
        "incidence_angle/track_angle, else the numbers given, which are then needed). A cell needs both geometries.\n"
        "<b>Uncertainty</b>: from the std field of points (mean_velocity_std) or the SIGMA numbers for rasters, "
        "propagated through the least squares (unit weights as EGMS L3, or inverse-variance weights).\n"
        "<b>Time series</b>: with TIME_SERIES, the dated fields (YYYYMMDD / DYYYYMMDD) of points, or the bands of "
        "multi-band rasters whose descriptions are dates, are interpolated linearly onto common dates every "
        "SPACING_DAYS days over the overlap of both series (no value across gaps longer than MAX_GAP_DAYS), "
        "decomposed date by date, and the east/up velocities are fitted to the decomposed series (linear + "
        "annual term, as EGMS mean_velocity). This is the EGMS L3 Ortho route (interpolation to a 6-day cadence, "
        "date-by-date least squares, velocity fitted afterwards) and the default; inputs without dates (velocity "
        "rasters, points without dated fields) are decomposed as velocities, with a warning. With TIME_SERIES "
        "off the velocities themselves are decomposed, which differs from EGMS L3 by the temporal sampling "
        "(EGMS Ustica: median 0.04 mm/yr, 95th percentile 0.16 mm/yr in up).\n\n"
        "Outputs: east (positive east) and up (positive up) rasters in mm/yr; a quality raster (bands: sigma "
        "east, sigma up, condition number of the geometry (NaN where one look direction cannot separate east "
        "from up), observations used); optional east/up time-series rasters (one band per common date, mm).\n"
        "References: Manzo M. et al. (2006) doi:10.1016/j.jvolgeores.2005.11.010; Copernicus EGMS L3 Ortho "
        "product description."
    )
    MULTIBAND_INPUTS = ("ASC_RASTER", "DESC_RASTER")
    MM_INPUTS = ("ASC_RASTER", "DESC_RASTER")
    OVERLAP = (("ASC_RASTER", "DESC_RASTER"), ("ASC_POINTS", "DESC_POINTS"))
    WEIGHTINGS = ["unit weights (EGMS L3)", "inverse variance (needs standard deviations)"]

    def initAlgorithm(self, config=None):
        for geo in ("ASC", "DESC"):
            label = "Ascending" if geo == "ASC" else "Descending"
            self.addParameter(declare.raster(f"{geo}_RASTER", f"{label} LOS raster (mm/yr or dated mm)",
                                             optional=True))
            self.addParameter(declare.number(f"{geo}_HEADING", f"{label} heading (degrees)", None,
                                             -360.0, 360.0, optional=True))
            self.addParameter(declare.number(f"{geo}_INCIDENCE", f"{label} incidence (degrees)",
                                             None, 0.001, 89.999, optional=True))
            self.addParameter(declare.number(f"{geo}_SIGMA", f"{label} raster standard deviation (0 = unknown)", 0.0,
                                             0.0))
            self.addParameter(declare.features(f"{geo}_POINTS", f"{label} points", "point", optional=True))
        self.addParameter(declare.text(self.VELOCITY_FIELD, "Velocity field of the points", "mean_velocity"))
        self.addParameter(declare.text(self.VELOCITY_STD_FIELD,
                                       "Velocity std. dev. field",
                                       "mean_velocity_std", optional=True))
        self.addParameter(declare.number(self.PIXEL_SIZE, "Pixel size of the point grid (m)", 100.0, 0.01))
        self.addParameter(declare.crs(self.GRID_CRS, "Grid CRS of points (default EPSG:3035)",
                                      "EPSG:3035", optional=True))
        self.addParameter(declare.raster(self.TEMPLATE,
            "Template raster to snap the point grid to", optional=True))
        for key, axis in ((self.ORIGIN_X, "x"), (self.ORIGIN_Y, "y")):
            self.addParameter(declare.number(key, f"Grid origin {axis} for points (a cell corner, GRID_CRS metres)",
                                             0.0))
        self.addParameter(declare.number(self.NORTH_VELOCITY, "North velocity assumed (mm/yr; 0 = neglected)", 0.0))
        self.addParameter(declare.enum(self.WEIGHTING, "Weighting", self.WEIGHTINGS))
        self.addParameter(declare.number(self.MAX_CONDITION, "Maximum condition number of the geometry", 10.0, 1.0))
        self.addParameter(declare.boolean(self.TIME_SERIES,
            "Decompose time series (dated inputs)", True))
        self.addParameter(declare.integer(self.SPACING_DAYS, "Common date spacing (days)", 6, 1))
        self.addParameter(declare.integer(self.MAX_GAP_DAYS, "Longest gap bridged by interpolation (days)", 90, 1))
        self.addParameter(declare.raster_out(self.OUTPUT_EAST, "East velocity"))
        self.addParameter(declare.raster_out(self.OUTPUT_UP, "Up velocity"))
        self.addParameter(declare.raster_out(self.OUTPUT_QUALITY, "Quality (sigmas, condition, count)",
                                             optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_EAST_TS, "East time series", optional=True, create=False))
        self.addParameter(declare.raster_out(self.OUTPUT_UP_TS, "Up time series", optional=True, create=False))

    def check(self, parameters, context):
        pair.check_pair(self, parameters, context)

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        mode, opts = pair.options(self, parameters, context, progress)
        data = {"points": pair.point_sets(self, parameters, context, progress, opts["ts"])} if mode == "points" else \
            {"rasters": pair.raster_pair(self, parameters, context, opts, feedback)}
        job = io_dec.Job(**data, opts=opts, weighting=self.WEIGHTINGS[int(opts["weighted"])],
                         outputs=layers.output_paths(self, parameters, list(io_dec.OUTPUTS), context,
                                                     optional=(self.OUTPUT_QUALITY, self.OUTPUT_EAST_TS,
                                                               self.OUTPUT_UP_TS)))
        return self.finish(io_dec.run(job, progress=progress, context=context), feedback)
