"""``geohazard:ascdescdecomposition``. Ascending + descending decomposition: east-west and vertical motion from LOS
velocities or time series of two or more geometries."""

from __future__ import annotations

import numpy as np

from ....algorithms.geometry import decomposition as _dec
from ....algorithms.progress import SubProgress, check_canceled
from ....fileio.base import blocks, raster
from ....fileio.base.writers import all_or_none
from ....fileio.display import styles
from ...inputs import declare, ids
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

    def _specs(self, parameters, opts, dates) -> dict:
        """``{output: (components, band descriptions)}`` of the outputs asked for."""
        specs = {self.OUTPUT_EAST: (["east"], ["east velocity mm/yr (positive east)"]),
                 self.OUTPUT_UP: (["up"], ["up velocity mm/yr (positive up)"])}
        if parameters.get(self.OUTPUT_QUALITY):  # optional: not written when left out
            specs[self.OUTPUT_QUALITY] = (["sigma_east", "sigma_up", "condition", "count"],
                                          ["sigma east (mm/yr)", "sigma up (mm/yr)", "condition number",
                                           "observations"])
        for key, comp in ((self.OUTPUT_EAST_TS, "east_ts"), (self.OUTPUT_UP_TS, "up_ts")):
            if parameters.get(key) and opts["ts"]:
                specs[key] = ([comp], [d.isoformat() for d in dates])
        return specs

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        mode, opts = pair.options(self, parameters, context, progress)
        if mode == "points":
            grid, crs_wkt, data = pair.point_sets(self, parameters, context, progress, opts["ts"])
            check_canceled(progress)
            res, dates = _dec.decompose_point_sets(data, grid, progress=SubProgress(progress, 50, 100), **opts)
            info = raster.RasterInfo(path="", width=grid.n_cols, height=grid.n_rows, count=1,
                                     geotransform=grid.geotransform, crs_wkt=crs_wkt)
        else:
            info, func, sources, dates = pair.raster_pair(self, parameters, context, opts, feedback)
        meta = {"north_assumption": "neglected" if opts["north"] == 0 else f"{opts['north']:g} mm/yr",
                "weighting": self.WEIGHTINGS[int(opts["weighted"])]}
        specs = self._specs(parameters, opts, dates)
        writers = {key: raster.RasterWriter.like(self.parameterAsOutputLayer(parameters, key, context), info,
                                                 count=len(desc), descriptions=desc, metadata=meta)
                   for key, (_, desc) in specs.items()}
        tally, run = _dec.ConditionTally(), blocks.RunSettings()  # no run-wide knobs: one row of output tiles a block

        def write(block, res):
            tally.add(res)
            for key, (comps, _) in specs.items():
                # an infinite condition (one look direction) is written as NaN: GDAL cannot histogram an inf band
                arrs = [np.asarray(np.where(np.isinf(res[c]), np.nan, res[c]) if c == "condition" else res[c],
                                   dtype=np.float64) for c in comps]
                writers[key].write(arrs[0] if len(arrs) == 1 else np.stack(arrs), row=block.row0)

        if mode == "points":
            with all_or_none(writers):
                write(run.plan(info.height, info.width, block_rows=info.height)[0], res)
        else:
            blocks.run_blocks(run.plan(info.height, info.width, block_rows=raster.DEFAULT_BLOCK_ROWS), func,
                              write, sources=sources, run=run, progress=progress, writers=writers)
        progress.push_info("North motion " + ("neglected (N = 0)" if opts["north"] == 0 else
                                              f"constrained to {opts['north']:g} mm/yr"))
        progress.push_info(tally.summary())
        out = {key: w.path for key, w in writers.items()}
        self._style(out, dates, context)
        return out

    def _style(self, out: dict, dates, context) -> None:
        for key in (self.OUTPUT_EAST, self.OUTPUT_UP):
            styles.style_raster_diverging(out[key], context=context)
        if self.OUTPUT_QUALITY in out:
            styles.style_raster_sequential(out[self.OUTPUT_QUALITY], context=context, band=3, vmin=1.0, vmax=3.0,
                                           ramp_name="Viridis")
        for key in (self.OUTPUT_EAST_TS, self.OUTPUT_UP_TS):
            if key in out:
                styles.style_raster_diverging(out[key], context=context, band=len(dates))
