"""``geohazard:landslide3d``. 3-D landslide displacement: east, north and up motion per cell from two or more SAR
geometries and azimuth offsets."""

from __future__ import annotations

from ....algorithms.errors import GeohazardError
from ....algorithms.kinematics import motion3d as _m3
from ....fileio.kinematics import landslide3d as io_3d
from ...inputs import declare, ids, knobs
from ...inputs.aliases import Alias
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool

#: the estimators' and constraint modes' labels in the dialog, by the core's names (their order: the core's)
METHOD_LABELS = {"ls": "Least squares", "huber": "Huber M-estimator (robust to outliers)",
                 "tls": "Total least squares (errors in the geometry too)"}
CONSTRAINT_LABELS = {"auto": "Only where the geometry is ill-conditioned",
                     "always": "Everywhere (slopes above the gentlest slope)",
                     "never": "Never (ill-conditioned cells are flagged)"}


@tool("landslide3d", "3-D landslide displacement (east, north, up)",
      tags="3-D,three-dimensional,landslide,east,north,up,azimuth offsets,surface-parallel,Huber,TLS",
      page="kinematics", engine=True,
      former=(Alias("STD_FIELD", ids.VELOCITY_STD_FIELD), Alias("OUTPUT_TS", ids.OUTPUT_TIMESERIES)))
class Landslide3D(GeohazardAlgorithm):
    RASTERS = "RASTERS"
    POINT_LAYERS = "POINT_LAYERS"
    GEOMETRIES = "GEOMETRIES"
    METHOD = "METHOD"
    CONSTRAINT = "CONSTRAINT"
    VALUE_FIELD = "VALUE_FIELD"
    TIME_SERIES = "TIME_SERIES"
    SPACING_DAYS = "SPACING_DAYS"
    OUTPUT_QUALITY = "OUTPUT_QUALITY"
    MAX_CONDITION = "MAX_CONDITION"
    SIGMA_GEOMETRY = "SIGMA_GEOMETRY"
    CELL_SIZE = "CELL_SIZE"
    MIN_SLOPE = "MIN_SLOPE"
    HELP = (
        "East, north and up motion per cell from two or more SAR geometries: LOS velocities or time series "
        "(ascending/descending, C- and L-band) and optional azimuth offsets. Each observation is d = e E + n N + u U "
        "with (e, n, u) the ground-to-satellite unit vector (LOS, positive toward the satellite) or the flight "
        "direction (azimuth offsets, positive along the flight).\n\n"
        "<b>Inputs</b>: RASTERS on one grid, or POINT_LAYERS layers (e.g. EGMS L2b, gridded on CELL_SIZE m cells; "
        "LOS vectors from los_east/los_north/los_up fields). GEOMETRIES: one entry per input, in order, "
        "'heading,incidence[,sigma]' for LOS or 'az,heading[,sigma]' for azimuth offsets, separated by ';' "
        "(degrees; heading clockwise from north; sigma in the input unit). All inputs in one unit: mm/yr, or mm "
        "for time series (convert azimuth offsets from pixels/metres first).\n"
        "<b>Rank deficiency</b>: LOS alone is almost blind to north-south motion; where the geometry condition "
        "number exceeds MAX_CONDITION (default 10) the motion is constrained parallel to the DEM surface "
        "(U = dz/dx E + dz/dy N; CONSTRAINT: only there by default, everywhere, or never) on slopes of at least "
        "MIN_SLOPE degrees (default 5: "
        "flatter ground would turn vertical motion into spurious north motion). East/west-facing slopes stay "
        "ill-conditioned with ascending + descending LOS (flag 3): add azimuth offsets there. Without a DEM a "
        "rank-deficient geometry is refused with a clear message.\n<b>Estimators</b>: least squares, Huber "
        "M-estimator (IRLS, k = 1.345) or total least "
        "squares (unit-vector errors SIGMA_GEOMETRY).\n<b>Outputs</b>: OUTPUT (3 bands E, N, U, mm/yr), "
        "OUTPUT_QUALITY (sigma E/N/U propagated from the input sigmas, condition number, flag), optional "
        "OUTPUT_TIMESERIES (E, N, U per common date every SPACING_DAYS, mm, with TIME_SERIES; velocities are then "
        "fitted to the series).\n<b>Defaults</b>: MAX_CONDITION 10 (errors amplified at most ~10x; asc + desc east/up "
        "is ~1.3), SIGMA_GEOMETRY 0.005 (~0.3 degree of incidence/heading error), CELL_SIZE 100 m (the EGMS L3 "
        "grid), MIN_SLOPE 5 degrees, SPACING_DAYS 6 (the Sentinel-1 repeat, as EGMS L3).\nReferences: Wright et al. "
        "(2004) doi:10.1029/2003GL018827; Joughin, Kwok & Fahnestock (1998) IEEE TGRS 36; Huber (1964) "
        "doi:10.1214/aoms/1177703732.")
    MULTIBAND_INPUTS = ("RASTERS",)

    def initAlgorithm(self, config=None):
        self.addParameter(declare.rasters(self.RASTERS, "LOS / azimuth rasters", optional=True))
        self.addParameter(declare.layers(self.POINT_LAYERS, "LOS point layers", "point", optional=True))
        self.addParameter(declare.text(self.GEOMETRIES,
                                       "Geometries (heading,incidence[,sigma]; ...)"))
        self.addParameter(declare.raster(self.DEM, "DEM (m)", optional=True))
        self.addParameter(declare.enum(self.METHOD, "Estimator", [METHOD_LABELS[m] for m in _m3.METHODS]))
        self.addParameter(declare.enum(self.CONSTRAINT, "Surface-parallel constraint",
                                       [CONSTRAINT_LABELS[c] for c in _m3.CONSTRAINTS]))
        for key, label, val, decimals in ((self.MAX_CONDITION, "Largest geometry condition number", 10.0, 1),
                                          (self.SIGMA_GEOMETRY, "Unit-vector sigma (TLS)", 0.005, 4),
                                          (self.CELL_SIZE, "Cell size for points (m)", 100.0, 1),
                                          (self.MIN_SLOPE, "Gentlest slope constrained (degrees)", 5.0, 1)):
            # the lower bound only says "more than zero": the spin box shows the decimals the values need
            p = declare.number(key, label, val, 1e-6)
            p.setMetadata({"widget_wrapper": {"decimals": decimals}})
            self.addParameter(p)
        self.addParameter(declare.text(self.VALUE_FIELD, "Velocity field", "mean_velocity"))
        self.addParameter(declare.text(ids.VELOCITY_STD_FIELD, "Std field", "mean_velocity_std", optional=True))
        self.addParameter(declare.boolean(self.TIME_SERIES, "Time series", False))
        self.addParameter(declare.integer(self.SPACING_DAYS, "Common date spacing (days)", 6, 1))
        self.addParameter(declare.raster_out(self.OUTPUT, "East, north, up (mm/yr)"))
        self.addParameter(declare.raster_out(self.OUTPUT_QUALITY, "Quality"))
        self.addParameter(declare.raster_out(ids.OUTPUT_TIMESERIES, "3-D time series", optional=True, create=False))

    def process(self, parameters, context, feedback):
        rasters = self.parameterAsLayerList(parameters, self.RASTERS, context) if parameters.get(self.RASTERS) else []
        points = [lyr for lyr in (self.parameterAsLayerList(parameters, self.POINT_LAYERS, context)
                                  if parameters.get(self.POINT_LAYERS) else [])]
        if bool(rasters) == bool(points):
            raise GeohazardError("give either RASTERS or POINT_LAYERS (two or more layers of one kind)")
        layers = rasters or points
        names = [f"{self.RASTERS if rasters else self.POINT_LAYERS} {i + 1} ({lyr.name()})"
                 for i, lyr in enumerate(layers)]
        geoms = _m3.parse_geometries(self.parameterAsString(parameters, self.GEOMETRIES, context), len(layers))
        dem = self.raster_info(parameters, self.DEM, context) if parameters.get(self.DEM) else None
        solver = dict(method=_m3.METHODS[self.parameterAsEnum(parameters, self.METHOD, context)],
                      constraint=_m3.CONSTRAINTS[self.parameterAsEnum(parameters, self.CONSTRAINT, context)],
                      max_condition=self.parameterAsDouble(parameters, self.MAX_CONDITION, context),
                      sigma_geometry=self.parameterAsDouble(parameters, self.SIGMA_GEOMETRY, context),
                      min_slope_deg=self.parameterAsDouble(parameters, self.MIN_SLOPE, context))
        cond = _m3.geometry_condition(geoms)
        if rasters and cond > solver["max_condition"] and (dem is None or solver["constraint"] == "never"):
            raise GeohazardError(f"the {len(layers)} geometries are rank-deficient (condition number {cond:.3g} > "
                                 f"{solver['max_condition']:g}): SAR LOS is almost blind to north-south motion. Give "
                                 "a DEM for the surface-parallel constraint (CONSTRAINT auto or always) or add azimuth "
                                 "offsets / other geometries")
        opts = dict(ts=self.parameterAsBool(parameters, self.TIME_SERIES, context), max_gap=90.0, solver=solver,
                    spacing=self.parameterAsInt(parameters, self.SPACING_DAYS, context))
        outs = {key: (self.parameterAsOutputLayer(parameters, pid, context) if parameters.get(pid) else "")
                for key, pid in (("velocity", self.OUTPUT), ("quality", self.OUTPUT_QUALITY),
                                 ("ts", self.OUTPUT_TIMESERIES))}
        progress = FeedbackProgress(feedback)
        progress.push_info(f"geometry condition number {cond:.3g} (3-D separable below {solver['max_condition']:g})")
        job = io_3d.Job(
            names=tuple(names), geometries=geoms, opts=opts, outputs=outs, dem=dem,
            ids={"velocity": self.OUTPUT, "quality": self.OUTPUT_QUALITY, "ts": ids.OUTPUT_TIMESERIES},
            rasters=tuple(lyr.source() for lyr in layers) if rasters else (), points=tuple(points),
            value_field=self.parameterAsString(parameters, self.VALUE_FIELD, context) if points else "",
            std_field=self.parameterAsString(parameters, ids.VELOCITY_STD_FIELD, context) if points else "",
            cell=self.parameterAsDouble(parameters, self.CELL_SIZE, context) if points else 0.0,
            settings=knobs.run_settings(self, parameters, context))
        return self.finish(io_3d.run(job, progress=progress, context=context), feedback)
