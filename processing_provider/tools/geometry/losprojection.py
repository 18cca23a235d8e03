"""losprojection."""

from __future__ import annotations

import functools

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
)

from ....algorithms.errors import GeohazardError
from ....algorithms.geometry import distortion as _dist
from ....algorithms.geometry import los, terrain
from ....algorithms.geometry import los_blocks as _losb
from ....algorithms.progress import SubProgress, iter_blocks
from ...inputs import declare, knobs
from ...inputs.feedback import FeedbackProgress
from ...io import blocks, geometry, raster, styles, vector
from .._base import GeohazardAlgorithm, tool


@tool("losprojection", "LOS projection to vertical and downslope", group="geometry",
      tags="LOS,line of sight,vertical,downslope,slope,landslide,velocity,subsidence",
      main=("OUTPUT_VERTICAL", "OUTPUT_POINTS"), page="geometry", engine=True)
class LosProjection(GeohazardAlgorithm):
    OVERLAP = (("INPUT", "DEM"), ("POINTS", "DEM"), ("INPUT", "INCIDENCE_RASTER"))
    HELP = (
        "Projects line-of-sight (LOS) velocities onto the vertical (v_vert = v_los / u_up, i.e. / cos(incidence)) "
        "and onto the steepest-descent direction of the terrain (V_SLOPE = V_LOS / C, C the cosine between the "
        "LOS and the downslope unit vector from slope and aspect), for a raster and/or a point layer.\n\n"
        "<b>LOS raster</b> (optional): velocity in mm/yr or displacement in mm, positive toward the "
        "satellite; every band is projected (a time series stays a time series, band descriptions are kept). "
        "<b>Points</b> (optional): e.g. EGMS or any PS/DS layer with a velocity field; per-point LOS "
        "unit vectors are taken from los_east/los_north/los_up when present (EGMS), else from incidence_angle/"
        "track_angle fields, else from the heading and incidence given here.\n"
        "<b>Heading raster</b> (optional, rasters only): per-pixel heading, or the look-vector azimuth of "
        "GAMMA/HyP3 (lv_phi) or ISCE (los band 2).\n"
        "<b>DEM</b>: needed for the downslope projection (projected or geographic; slopes in metres). For a "
        "raster it must be on the same grid; points are placed on it by their coordinates (any CRS).\n"
        "<b>Minimum sensitivity</b>: V_SLOPE is left empty where |C| is below it (the projection would amplify "
        "noise more than 1/|C|); default 0.3 (amplification <= 3.3).\n\n"
        "Outputs: vertical and downslope rasters (diverging styles) and/or a point layer with v_los, v_vertical, "
        "v_downslope (positive = moving downhill), sensitivity C, slope, aspect and the source feature id.\n"
        "References: Cigna F. et al. (2012) doi:10.1016/j.rse.2011.03.004; Notti D. et al. (2014) "
        "doi:10.1080/01431161.2014.894528."
    )

    INPUT = "INPUT"
    POINTS = "POINTS"
    VELOCITY_FIELD = "VELOCITY_FIELD"
    DEM = "DEM"
    HEADING = "HEADING"
    INCIDENCE = "INCIDENCE"
    INCIDENCE_RASTER = "INCIDENCE_RASTER"
    INCIDENCE_UNITS = "INCIDENCE_UNITS"
    HEADING_RASTER = "HEADING_RASTER"
    HEADING_UNITS = "HEADING_UNITS"
    LOOK = "LOOK"
    MIN_SENSITIVITY = "MIN_SENSITIVITY"
    OUTPUT_VERTICAL = "OUTPUT_VERTICAL"
    OUTPUT_DOWNSLOPE = "OUTPUT_DOWNSLOPE"
    OUTPUT_POINTS = "OUTPUT_POINTS"

    def initAlgorithm(self, config=None):
        self.addParameter(declare.raster(self.INPUT, "LOS velocity raster", optional=True))
        self.addParameter(declare.features(self.POINTS, "LOS velocity points", "point", optional=True))
        self.addParameter(declare.field(self.VELOCITY_FIELD, "Velocity field (mm/yr, positive toward the satellite)",
                                        self.POINTS, default="mean_velocity", numeric=True, optional=True))
        self.addParameter(declare.raster(self.DEM, "DEM (metres)", optional=True))
        self.addParameter(declare.number(self.HEADING, "Heading (degrees clockwise from north)", -12.0, -360.0, 360.0))
        self.addParameter(declare.number(self.INCIDENCE, "Incidence angle (degrees)", 37.0, 0.001, 89.999))
        self.addParameter(declare.raster(self.INCIDENCE_RASTER, "Incidence raster (grid of the LOS raster)",
                                         optional=True))
        self.addParameter(declare.enum(self.INCIDENCE_UNITS, "Incidence raster content", geometry.INCIDENCE_KINDS))
        self.addParameter(declare.raster(self.HEADING_RASTER,
                                         "Heading / look-vector azimuth raster (grid of the LOS raster)",
                                         optional=True))
        self.addParameter(declare.enum(self.HEADING_UNITS, "Heading raster content", geometry.HEADING_KINDS))
        self.addParameter(declare.enum(self.LOOK, "Look side", ["right", "left"]))
        self.addParameter(declare.number(self.MIN_SENSITIVITY, "Minimum |C| for the downslope projection", 0.3, 0.01,
                                         1.0))
        self.addParameter(declare.raster_out(self.OUTPUT_VERTICAL, "Vertical velocity", optional=True, create=False))
        self.addParameter(declare.raster_out(self.OUTPUT_DOWNSLOPE, "Downslope velocity", optional=True, create=False))
        self.addParameter(declare.vector_out(self.OUTPUT_POINTS, "Projected points", "point", optional=True,
                                             create=False))

    def check(self, parameters, context):
        has_r, has_p = bool(parameters.get(self.INPUT)), bool(parameters.get(self.POINTS))
        if not (has_r or has_p):
            raise GeohazardError("give a LOS raster (INPUT) or a point layer (POINTS)")
        if has_p and not parameters.get(self.OUTPUT_POINTS):
            raise GeohazardError("POINTS given: set OUTPUT_POINTS")
        if has_r and not (parameters.get(self.OUTPUT_VERTICAL) or parameters.get(self.OUTPUT_DOWNSLOPE)):
            raise GeohazardError("INPUT given: set OUTPUT_VERTICAL and/or OUTPUT_DOWNSLOPE")
        if parameters.get(self.OUTPUT_DOWNSLOPE) and not parameters.get(self.DEM):
            raise GeohazardError("OUTPUT_DOWNSLOPE needs a DEM")
        if has_r:
            info = self.raster_info(parameters, self.INPUT, context)
            for p in (self.DEM, self.INCIDENCE_RASTER, self.HEADING_RASTER):
                if parameters.get(p):
                    raster.check_same_grid([info, self.raster_info(parameters, p, context)], [self.INPUT, p])
        if parameters.get(self.DEM):
            geometry.metric_pixel_size(self.raster_info(parameters, self.DEM, context), self.DEM)

    def process(self, parameters, context, feedback):
        heading = float(_dist.check_heading(self.parameterAsDouble(parameters, self.HEADING, context), name="HEADING"))
        incidence = float(los.check_incidence(self.parameterAsDouble(parameters, self.INCIDENCE, context),
                                              name=self.INCIDENCE))
        look = ["right", "left"][self.parameterAsEnum(parameters, self.LOOK, context)]
        cmin = self.parameterAsDouble(parameters, self.MIN_SENSITIVITY, context)
        dem = self.raster_info(parameters, self.DEM, context) if parameters.get(self.DEM) else None
        result = {}
        progress = FeedbackProgress(feedback, 0, 50 if parameters.get(self.POINTS) else 100)
        if parameters.get(self.INPUT):
            result.update(self._rasters(parameters, context, progress, dem, heading, incidence, look, cmin))
        if parameters.get(self.POINTS):
            progress = FeedbackProgress(feedback, 50 if parameters.get(self.INPUT) else 0, 100)
            result[self.OUTPUT_POINTS] = self._points(parameters, context, progress, dem, heading, incidence,
                                                      look, cmin)
        return result

    def _rasters(self, parameters, context, progress, dem, heading, incidence, look, cmin):
        info = self.raster_info(parameters, self.INPUT, context)
        kind = self.parameterAsEnum(parameters, self.INCIDENCE_UNITS, context)
        inc_path = self.raster_path(parameters, self.INCIDENCE_RASTER, context) \
            if parameters.get(self.INCIDENCE_RASTER) else None
        h_path = None
        if parameters.get(self.HEADING_RASTER):
            h_path = self.raster_path(parameters, self.HEADING_RASTER, context)
            raster.check_same_grid([info, raster.raster_info(h_path, self.HEADING_RASTER)], [self.INPUT,
                                                                                             self.HEADING_RASTER])
        dx_rows, dy = None, 1.0
        if dem is not None:
            raster.check_same_grid([info, dem], [self.INPUT, self.DEM])
            dx_rows, dy = geometry.metric_pixel_size(dem, self.DEM)
        outs = {}
        for key, desc in ((self.OUTPUT_VERTICAL, "vertical"), (self.OUTPUT_DOWNSLOPE, "downslope")):
            if parameters.get(key):
                descs = info.descriptions if info.count > 1 else [f"{desc} velocity"]
                outs[key] = raster.RasterWriter.like(self.parameterAsOutputLayer(parameters, key, context), info,
                                                     count=info.count, descriptions=descs)
        down = self.OUTPUT_DOWNSLOPE in outs
        sources = {"los": blocks.raster_source(info.path, bands=None, dtype=np.float64, name=self.INPUT)}
        for key, path, name in (("incidence", inc_path, self.INCIDENCE_RASTER),
                                ("heading", h_path, self.HEADING_RASTER),
                                ("dem", dem.path if down else None, self.DEM)):
            if path:
                sources[key] = blocks.raster_source(path, dtype=np.float64, name=name)
        func = functools.partial(
            _losb.los_projection_block, heading_deg=heading, incidence_deg=incidence, look=look,
            incidence_kind=kind, heading_kind=self.parameterAsEnum(parameters, self.HEADING_UNITS, context),
            min_sensitivity=cmin, dx_rows_m=dx_rows if down else None, dy_m=dy if down else 1.0,
            vertical=self.OUTPUT_VERTICAL in outs, downslope=down, incidence_name=self.INCIDENCE_RASTER)
        keys = {self.OUTPUT_VERTICAL: "vertical", self.OUTPUT_DOWNSLOPE: "downslope"}
        run = knobs.run_settings(self, parameters, context)
        blocks.run_blocks(run.plan(info.height, info.width, halo=1 if down else 0,
                                   bytes_per_pixel=8.0 * (info.count * (1 + len(outs)) + 12)),
                          func, sources=sources, run=run, progress=progress, background_write=True,
                          writers={keys[k]: w for k, w in outs.items()})
        result = {key: w.path for key, w in outs.items()}
        for path in result.values():
            styles.style_raster_diverging(path, context=context)
        return result

    def _points(self, parameters, context, progress, dem, heading, incidence, look, cmin):
        source = self.parameterAsSource(parameters, self.POINTS, context)
        vfield = self.parameterAsString(parameters, self.VELOCITY_FIELD, context) or "mean_velocity"
        extra = geometry.optional_fields(source, ["los_east", "los_north", "los_up", "incidence_angle", "track_angle"])
        dest_crs = None
        if dem is not None:
            dest_crs = QgsCoordinateReferenceSystem()
            dest_crs.createFromWkt(dem.crs_wkt)
        pts = vector.read_points(source, [vfield] + extra, name=self.POINTS, dest_crs=dest_crs, context=context,
                                 progress=SubProgress(progress, 0, 30))
        n = len(pts)
        e, nn, u, how = geometry.los_from_fields(pts, n, heading, incidence, look)
        progress.push_info(f"LOS vectors from {how}")
        v = pts.attributes[vfield]
        with np.errstate(divide="ignore", invalid="ignore"):
            vert = v / u
        slope = np.full(n, np.nan)
        aspect = np.full(n, np.nan)
        if dem is not None:
            dx_rows, dy = geometry.metric_pixel_size(dem, self.DEM)
            row, col = dem.world_to_pixel(pts.x, pts.y)
            row, col = np.floor(row).astype(np.int64), np.floor(col).astype(np.int64)
            inside = (row >= 0) & (row < dem.height) & (col >= 0) & (col < dem.width)
            if (~inside).any():
                progress.push_warning(f"{int((~inside).sum())} of {n} points fall outside the DEM: no downslope value")
            for q0, q1, r0, r1 in iter_blocks(dem.height, raster.DEFAULT_BLOCK_ROWS, overlap=1,
                                              progress=SubProgress(progress, 30, 80)):
                sel = inside & (row >= r0) & (row < r1)
                if not sel.any():
                    continue
                z = raster.read_band(dem.path, rows=(q0, q1), name=self.DEM, dtype=np.float64)
                s, a = terrain.slope_aspect_metric(z, dx_rows[q0:q1], dy)
                slope[sel] = s[row[sel] - q0, col[sel]]
                aspect[sel] = a[row[sel] - q0, col[sel]]
        down, c = terrain.los_to_downslope(v, e, nn, u, slope, aspect, min_sensitivity=cmin)
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT_POINTS, context)
        crs = dest_crs if dest_crs is not None else source.sourceCrs()
        vector.write_vector(out, {"source_fid": pts.fids, "v_los": v, "v_vertical": vert, "v_downslope": down,
                                  "sensitivity": c, "slope_deg": slope, "aspect_deg": aspect,
                                  "los_east": np.asarray(e, float), "los_north": np.asarray(nn, float),
                                  "los_up": np.asarray(u, float)},
                            crs_wkt=crs.toWkt(), x=pts.x, y=pts.y, progress=SubProgress(progress, 80, 100))
        return out
