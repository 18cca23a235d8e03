"""Landslide kinematics tools: 3-D motion, InSAR validation against GNSS, trigger correlation."""

from __future__ import annotations

import os

import numpy as np
from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
)

from ..algorithms.errors import GeohazardError
from ..algorithms.kinematics import motion3d as _m3
from ..algorithms.kinematics import triggers as _tr
from ..algorithms.kinematics import validation as _va
from .base import GeohazardAlgorithm
from .engine_params import HELP as DASK_HELP
from .engine_params import add_dask_parameter
from .feedback import FeedbackProgress
from .io import kinematics as kio

DBL = QgsProcessingParameterNumber.Type.Double


class Landslide3D(GeohazardAlgorithm):
    NAME, DISPLAY_NAME, GROUP_ID = "landslide3d", "3-D landslide displacement (east, north, up)", "geometry"
    MULTIBAND_INPUTS = ("RASTERS",)
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
        "(U = dz/dx E + dz/dy N; CONSTRAINT auto/always/never) on slopes of at least MIN_SLOPE degrees (default 5: "
        "flatter ground would turn vertical motion into spurious north motion). East/west-facing slopes stay "
        "ill-conditioned with ascending + descending LOS (flag 3): add azimuth offsets there. Without a DEM a "
        "rank-deficient geometry is refused with a clear message.\n<b>Estimators</b>: least squares, Huber "
        "M-estimator (IRLS, k = 1.345) or total least "
        "squares (unit-vector errors SIGMA_GEOMETRY).\n<b>Outputs</b>: OUTPUT (3 bands E, N, U, mm/yr), "
        "OUTPUT_QUALITY (sigma E/N/U propagated from the input sigmas, condition number, flag), optional "
        "OUTPUT_TS (E, N, U per common date every SPACING_DAYS, mm, with TIME_SERIES; velocities are then fitted "
        "to the series).\n<b>Defaults</b>: MAX_CONDITION 10 (errors amplified at most ~10x; asc + desc east/up "
        "is ~1.3), SIGMA_GEOMETRY 0.005 (~0.3 degree of incidence/heading error), CELL_SIZE 100 m (the EGMS L3 "
        "grid), MIN_SLOPE 5 degrees, SPACING_DAYS 6 (the Sentinel-1 repeat, as EGMS L3).\nReferences: Wright et al. "
        "(2004) doi:10.1029/2003GL018827; Joughin, Kwok & Fahnestock (1998) IEEE TGRS 36; Huber (1964) "
        "doi:10.1214/aoms/1177703732." + DASK_HELP)

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterMultipleLayers("RASTERS", self.tr("LOS / azimuth rasters"),
                                                               QgsProcessing.SourceType.TypeRaster, optional=True))
        self.addParameter(QgsProcessingParameterMultipleLayers("POINT_LAYERS", self.tr("LOS point layers"),
                                                               QgsProcessing.SourceType.TypeVectorPoint, optional=True))
        self.addParameter(QgsProcessingParameterString("GEOMETRIES", self.tr("Geometries (heading,incidence[,sigma]"
                                                                             " or az,heading[,sigma]; ...)")))
        self.addParameter(QgsProcessingParameterRasterLayer("DEM", self.tr("DEM (m)"), optional=True))
        self.addParameter(QgsProcessingParameterEnum("METHOD", self.tr("Estimator"), list(_m3.METHODS), defaultValue=0))
        self.addParameter(QgsProcessingParameterEnum("CONSTRAINT", self.tr("Surface-parallel constraint"),
                                                     list(_m3.CONSTRAINTS), defaultValue=0))
        for key, label, val in (("MAX_CONDITION", "Largest geometry condition number", 10.0),
                                ("SIGMA_GEOMETRY", "Unit-vector sigma (TLS)", 0.005),
                                ("CELL_SIZE", "Cell size for points (m)", 100.0),
                                ("MIN_SLOPE", "Gentlest slope constrained (degrees)", 5.0)):
            self.addParameter(QgsProcessingParameterNumber(key, self.tr(label), DBL, defaultValue=val, minValue=1e-6))
        self.addParameter(QgsProcessingParameterString("VALUE_FIELD", self.tr("Velocity field"), "mean_velocity"))
        self.addParameter(QgsProcessingParameterString("STD_FIELD", self.tr("Std field"), "mean_velocity_std",
                                                       optional=True))
        self.addParameter(QgsProcessingParameterBoolean("TIME_SERIES", self.tr("Time series"), defaultValue=False))
        self.addParameter(QgsProcessingParameterNumber("SPACING_DAYS", self.tr("Common date spacing (days)"),
                                                       QgsProcessingParameterNumber.Type.Integer, 6, minValue=1))
        self.addParameter(QgsProcessingParameterRasterDestination("OUTPUT", self.tr("East, north, up (mm/yr)")))
        self.addParameter(QgsProcessingParameterRasterDestination("OUTPUT_QUALITY", self.tr("Quality")))
        self.addParameter(QgsProcessingParameterRasterDestination("OUTPUT_TS", self.tr("3-D time series"),
                                                                  optional=True, createByDefault=False))
        add_dask_parameter(self)

    def process(self, parameters, context, feedback):
        rasters = self.parameterAsLayerList(parameters, "RASTERS", context) if parameters.get("RASTERS") else []
        points = [lyr for lyr in (self.parameterAsLayerList(parameters, "POINT_LAYERS", context)
                                  if parameters.get("POINT_LAYERS") else [])]
        if bool(rasters) == bool(points):
            raise GeohazardError("give either RASTERS or POINT_LAYERS (two or more layers of one kind)")
        layers = rasters or points
        names = [f"{'RASTERS' if rasters else 'POINT_LAYERS'} {i + 1} ({lyr.name()})" for i, lyr in enumerate(layers)]
        geoms = _m3.parse_geometries(self.parameterAsString(parameters, "GEOMETRIES", context), len(layers))
        dem = self.raster_info(parameters, "DEM", context) if parameters.get("DEM") else None
        solver = dict(method=_m3.METHODS[self.parameterAsEnum(parameters, "METHOD", context)],
                      constraint=_m3.CONSTRAINTS[self.parameterAsEnum(parameters, "CONSTRAINT", context)],
                      max_condition=self.parameterAsDouble(parameters, "MAX_CONDITION", context),
                      sigma_geometry=self.parameterAsDouble(parameters, "SIGMA_GEOMETRY", context),
                      min_slope_deg=self.parameterAsDouble(parameters, "MIN_SLOPE", context))
        cond = _m3.geometry_condition(geoms)
        if rasters and cond > solver["max_condition"] and (dem is None or solver["constraint"] == "never"):
            raise GeohazardError(f"the {len(layers)} geometries are rank-deficient (condition number {cond:.3g} > "
                                 f"{solver['max_condition']:g}): SAR LOS is almost blind to north-south motion. Give "
                                 "a DEM for the surface-parallel constraint (CONSTRAINT auto or always) or add azimuth "
                                 "offsets / other geometries")
        opts = dict(ts=self.parameterAsBool(parameters, "TIME_SERIES", context), max_gap=90.0, solver=solver,
                    spacing=self.parameterAsInt(parameters, "SPACING_DAYS", context))
        outs = {"velocity": self.parameterAsOutputLayer(parameters, "OUTPUT", context),
                "quality": self.parameterAsOutputLayer(parameters, "OUTPUT_QUALITY", context),
                "ts": self.parameterAsOutputLayer(parameters, "OUTPUT_TS", context) if parameters.get("OUTPUT_TS")
                else ""}
        progress = FeedbackProgress(feedback)
        progress.push_info(f"geometry condition number {cond:.3g} (3-D separable below {solver['max_condition']:g})")
        if rasters:
            written, _ = kio.motion3d_rasters(self, parameters, context, layers, names, geoms, dem, opts, outs,
                                              progress)
        else:
            info, res, dates = kio.motion3d_points(
                points, names, geoms,
                value_field=self.parameterAsString(parameters, "VALUE_FIELD", context),
                std_field=self.parameterAsString(parameters, "STD_FIELD", context), dem=dem,
                cell=self.parameterAsDouble(parameters, "CELL_SIZE", context), opts=opts, context=context,
                progress=progress)
            written = kio.write_grid_outputs(info, res, outs, dates)
        return {"OUTPUT": written["velocity"], "OUTPUT_QUALITY": written["quality"],
                **({"OUTPUT_TS": written["ts"]} if "ts" in written else {})}


class ValidateInsar(GeohazardAlgorithm):
    NAME, DISPLAY_NAME, GROUP_ID = "validateinsar", "Validate InSAR against GNSS / levelling", "geometry"
    CRS_FREE_INPUTS = ("STATIONS_TABLE",)
    MULTIBAND_INPUTS = ("INSAR_RASTER",)  # one dated band per InSAR date: every band is read
    HELP = (
        "Compares InSAR time series (INSAR points with dated fields YYYYMMDD/DYYYYMMDD, or INSAR_RASTER with dated "
        "band descriptions; mm, LOS positive toward the satellite; LOS vectors from los_east/los_north/los_up "
        "fields, else HEADING/INCIDENCE) with GNSS or levelling series.\n"
        "<b>Stations</b>: STATIONS_CSV, or STATIONS_TABLE (any layer or table with the same columns), in long "
        "format 'station,date,east,north,up' (mm; levelling: up only), "
        "coordinates from x/y columns (InSAR CRS) or the STATIONS layer (field NAME_FIELD).\n<b>Method</b>: InSAR "
        "points within RADIUS m are averaged; the station ENU is projected on their LOS; station series are "
        "averaged over WINDOW_DAYS around each InSAR date, or interpolated (sparse levelling; gaps longer than "
        "MAX_GAP_DAYS not bridged); both in mm (station series varying 100x less than the InSAR series at the "
        "same places, as stations in metres do, or 100x more are warned about); a common reference removes "
        "the InSAR reference-point motion (REFERENCE_STATION: a station name, 'mean' = network mean, or empty = none); "
        "both series start at zero on the first common date. Per station: bias (mean difference, mm), RMSE, std, "
        "Pearson r and R2, velocities and their difference (mm/yr), ValInSAR normalised RMSEs (RMSE / range and "
        "RMSE / |mean| of the station series, NRMSE1/NRMSE2 of the authors' code), mean absolute difference MD "
        "and MD / range, MD / |mean|, the line InSAR = slope x in-situ + intercept.\n<b>Network (the two "
        "ValInSAR levels)</b>: the velocities of all compared stations (at least 3; not the reference station) "
        "with the same statistics (mm/yr), and the mean of the per-station series statistics: table rows "
        "NETWORK_VELOCITIES and NETWORK_MEAN_SERIES.\n<b>Pass/fail</b>: per station NRMSE_range <= 0.25, R2 >= "
        "0.7, |velocity difference| <= 2 mm/yr and RMSE <= 5 mm; network velocities NRMSE_range and R2 with the "
        "same limits. These limits are this project's defaults (configurable), not the paper's classification "
        "table, which could not be consulted (the authors' code computes the statistics but holds no class "
        "limits). Stations without InSAR points within RADIUS are listed as 'outside'.\n"
        "<b>Defaults</b>: RADIUS 100 m (one EGMS L3 cell around the monument), WINDOW_DAYS 7 (a week of daily GNSS, "
        "shorter than the 6-12 day InSAR sampling), MAX_GAP_DAYS 15.\n"
        "<b>Outputs</b>: station layer, CSV table, PNG plots (one per station + velocity scatter) in OUTPUT_PLOTS.\n"
        "Reference: Navarro-Hernandez et al. (2022) ValInSAR, IEEE JSTARS 15, 3650-3671, "
        "doi:10.1109/JSTARS.2022.3171517 (statistics as in the authors' MATLAB code, "
        "github.com/marianavarro27/ValInSAR, B01_ValidateTwobyTwo.m).")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFeatureSource(
            "INSAR", self.tr("InSAR points (dated fields)"), [QgsProcessing.SourceType.TypeVectorPoint], optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer("INSAR_RASTER", self.tr("InSAR raster (dated bands, mm)"),
                                                            optional=True))
        self.addParameter(QgsProcessingParameterFile("STATIONS_CSV", self.tr("Station time series (CSV)"),
                                                     extension="csv", optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            "STATIONS_TABLE", self.tr("Station time series (layer or table)"), [QgsProcessing.SourceType.TypeVector],
            optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            "STATIONS", self.tr("Station locations"), [QgsProcessing.SourceType.TypeVectorPoint], optional=True))
        self.addParameter(QgsProcessingParameterString("NAME_FIELD", self.tr("Station name field"), "station"))
        self.addParameter(QgsProcessingParameterString(
            "REFERENCE_STATION", self.tr("Reference (station, 'mean' or empty)"), "mean", optional=True))
        for key, label, val in (("RADIUS", "Colocation radius (m)", 100.0), ("WINDOW_DAYS", "Station window (days)",
                                                                             7.0),
                                ("HEADING", "Heading if no LOS fields", -12.0),
                                ("INCIDENCE", "Incidence if no LOS fields", 37.0),
                                ("MAX_NRMSE", "Largest RMSE / range", 0.25), ("MIN_R2", "Smallest R2", 0.7),
                                ("MAX_DV", "Largest velocity difference (mm/yr)", 2.0),
                                ("MAX_RMSE", "Largest RMSE (mm)", 5.0)):
            self.addParameter(QgsProcessingParameterNumber(key, self.tr(label), DBL, defaultValue=val,
                                                           minValue=-360.0 if key == "HEADING" else 0.0))
        self.addParameter(QgsProcessingParameterNumber("MAX_GAP_DAYS", self.tr("Longest station gap bridged (days)"),
                                                       QgsProcessingParameterNumber.Type.Integer, 15, minValue=1))
        self.addParameter(QgsProcessingParameterVectorDestination("OUTPUT", self.tr("Stations with statistics")))
        self.addParameter(QgsProcessingParameterFileDestination("OUTPUT_TABLE", self.tr("Table"), "CSV (*.csv)"))
        self.addParameter(QgsProcessingParameterFolderDestination("OUTPUT_PLOTS", self.tr("Plots folder"),
                                                                  optional=True, createByDefault=False))

    def process(self, parameters, context, feedback):
        if bool(parameters.get("INSAR")) == bool(parameters.get("INSAR_RASTER")):
            raise GeohazardError("give either INSAR (points) or INSAR_RASTER (dated bands)")
        g = _m3.parse_geometries(f"{self.parameterAsDouble(parameters, 'HEADING', context)},"
                                 f"{self.parameterAsDouble(parameters, 'INCIDENCE', context)}", 1)[0]
        csv_path = self.parameterAsFile(parameters, "STATIONS_CSV", context)
        name_field = self.parameterAsString(parameters, "NAME_FIELD", context)
        if parameters.get("INSAR"):
            src = self.parameterAsSource(parameters, "INSAR", context)
            crs = kio.crs_of(src)
            kio.require_projected(crs, "INSAR")
            pts = kio.read_los_points(src, "INSAR", value_field="", std_field="", geometry=g, crs=crs,
                                      context=context, progress=FeedbackProgress(feedback, 0, 40), dated=True)
            stations = kio.station_inputs(self, parameters, context, crs, csv_path, "STATIONS", name_field)
        else:
            crs = kio.crs_of(self.raster_info(parameters, "INSAR_RASTER", context))
            stations = kio.station_inputs(self, parameters, context, crs, csv_path, "STATIONS", name_field)
            pts, _ = kio.insar_raster_points(self.raster_path(parameters, "INSAR_RASTER", context), "INSAR_RASTER",
                                             stations, self.parameterAsDouble(parameters, "RADIUS", context), g)
        p = {k: self.parameterAsDouble(parameters, k, context) for k in ("RADIUS", "WINDOW_DAYS", "MAX_GAP_DAYS",
                                                                           "MAX_NRMSE",
                                                                           "MIN_R2", "MAX_DV", "MAX_RMSE")}
        ref = (self.parameterAsString(parameters, "REFERENCE_STATION", context) or "").strip() or None
        res, info = _va.validate_insar(stations, pts["x"], pts["y"], pts["e"], pts["n"], pts["u"], pts["series"],
                                       pts["dates"], radius_m=p["RADIUS"], reference=ref, window_days=p["WINDOW_DAYS"],
                                       max_gap_days=p["MAX_GAP_DAYS"],
                                       thresholds={"nrmse_range": p["MAX_NRMSE"], "r2": p["MIN_R2"],
                                                   "abs_velocity_difference": p["MAX_DV"], "rmse": p["MAX_RMSE"]})
        progress = FeedbackProgress(feedback, 40, 100)
        for message in info["warnings"]:
            progress.push_warning(message)
        progress.push_info(f"common reference: {info['reference']}")
        for r in res:
            if r.status != _va.STATUS_OK and r.status != _va.STATUS_REFERENCE:
                progress.push_warning(f"station {r.name}: {r.status} (InSAR points within {p['RADIUS']:g} m: "
                                      f"{r.n_points})")
        net = info["network"]
        vel = net["velocity"]
        if "rmse" in vel:
            progress.push_info(
                f"network velocities ({vel['n']} stations, mm/yr): RMSE {vel['rmse']:.2f}, NRMSE_range "
                f"{vel['nrmse_range']:.3f}, NRMSE_mean {vel['nrmse_mean']:.3f}, R2 {vel['r2']:.3f}, "
                f"slope {vel['slope']:.2f} -> {'pass' if net['passed'] else 'fail ' + ','.join(net['failed'])}")
        else:
            progress.push_info(f"network velocities: {vel['n']} compared station(s), at least 3 are needed for "
                               "the network statistics")
        out = kio.write_validation(res, crs.toWkt(), stations, self.parameterAsOutputLayer(parameters, "OUTPUT",
                                                                                           context),
                                   self.parameterAsFileOutput(parameters, "OUTPUT_TABLE", context), network=net)
        result = {"OUTPUT": out["layer"], "OUTPUT_TABLE": out["table"]}
        if parameters.get("OUTPUT_PLOTS"):
            folder = self.parameterAsString(parameters, "OUTPUT_PLOTS", context)
            os.makedirs(folder, exist_ok=True)
            for r in res:
                if r.insar is not None:
                    _va.plot_station(r, os.path.join(folder, f"station_{r.name}.png"))
            _va.plot_summary(res, os.path.join(folder, "velocities.png"), network=net)
            result["OUTPUT_PLOTS"] = folder
        return result


def _trigger_notes(progress, res, what: str) -> None:
    """Warnings on a correlation result: best lags on the search limit, series without any correlation."""
    n = res["best_r"].size
    lim = int(np.sum(res["at_limit"]))
    if lim:
        progress.push_warning(f"{lim} of {n} {what} have their strongest correlation at the largest lag tried "
                              f"({res['lags_days'][-1]:g} days): the true lag may be longer (raise MAX_LAG_DAYS)")
    none = int(np.sum(~np.isfinite(res["best_r"])))
    if none:
        progress.push_warning(f"{none} of {n} {what} have too few values on the common axis for a correlation (left "
                              "empty)")


class TriggerCorrelation(GeohazardAlgorithm):
    NAME, DISPLAY_NAME, GROUP_ID = "triggercorrelation", "Deformation vs trigger (lagged correlation)", "timeseries"
    KEY_OUTPUT_FIELDS = {"OUTPUT": ("best_r",)}
    CRS_FREE_INPUTS = ("INPUT",)  # the geometry is copied, never used
    MULTIBAND_INPUTS = ("INPUT_RASTER",)
    HELP = (
        "Relates deformation time series to a driver series from a CSV (columns date,value): rainfall (flux, "
        "summed per step; with TAU_DAYS > 0 the antecedent index A_t = k A_(t-1) + R_t, k = exp(-1/TAU_DAYS)) or "
        "a level (state, interpolated). Deformation: INPUT, points or ADA polygons with dated fields "
        "YYYYMMDD/DYYYYMMDD (mm), or INPUT_RASTER, a multi-band raster whose band descriptions are dates (mm).\n"
        "Both go on a common axis of STEP_DAYS bins over their overlap; the response is the velocity (mm/yr) or the "
        "detrended displacement. For lags 0..MAX_LAG_DAYS (driver leading) the Pearson correlation is computed; "
        "the best lag is the one of the largest |r|, of either sign: corr_sign is +1 where the response rises with "
        "the driver, -1 where it falls (a slope facing the sensor moving away as rain rises; subsidence as the "
        "water level drops). Its two-sided p-value comes from Student's t with the effective sample size of two "
        "autocorrelated series (Bretherton et al. 1999, doi:10.1175/1520-0442(1999)012<1990:TENOSD>2.0.CO;2), "
        "Bonferroni-corrected over the lags tried; a best lag on the largest lag tried is warned about. Features "
        "are also decomposed into trend + annual/semi-annual harmonics (velocity, annual amplitude and peak day; "
        "at least 8 dates over 365 days, else empty and the log says why).\nDriver checks: a date given twice "
        "with different values is refused (the same value twice is kept once, with a warning); rainfall (flux) "
        "cannot be negative; a level (state) can. Driver gaps: missing days make their bins (and the antecedent "
        "index, until its memory fades below 5 %) missing; their number is reported.\nOutputs: OUTPUT layer "
        "(best_lag_days, best_r (signed), corr_sign, p, p_corrected, n_eff, velocity, annual_amplitude, "
        "annual_peak_doy); OUTPUT_RASTER (bands best lag, best r (signed), p, p corrected); optional PNG of the "
        "mean series (OUTPUT_PLOT).\n"
        "<b>Defaults</b>: STEP_DAYS 12 (the Sentinel-1 repeat), MAX_LAG_DAYS 180 (half a year: seasonal drivers), "
        "TAU_DAYS 0 (plain rainfall sums per step).")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFeatureSource("INPUT", self.tr("Deformation (dated fields)"),
                                                              [QgsProcessing.SourceType.TypeVector], optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer("INPUT_RASTER", self.tr("Deformation raster (dated bands)"),
                                                            optional=True))
        self.addParameter(QgsProcessingParameterFile("DRIVER_CSV", self.tr("Driver CSV (date,value)"), extension="csv"))
        self.addParameter(QgsProcessingParameterEnum("DRIVER_KIND", self.tr("Driver kind"),
                                                     ["flux (rainfall)", "state (water level)"], defaultValue=0))
        self.addParameter(QgsProcessingParameterEnum("RESPONSE", self.tr("Response"), list(_tr.RESPONSES),
                                                     defaultValue=0))
        for key, label, val in (("STEP_DAYS", "Step (days)", 12.0), ("TAU_DAYS", "Antecedent decay (days, 0 = off)",
                                                                     0.0),
                                ("MAX_LAG_DAYS", "Largest lag (days)", 180.0)):
            self.addParameter(QgsProcessingParameterNumber(key, self.tr(label), DBL, defaultValue=val, minValue=0.0))
        self.addParameter(QgsProcessingParameterVectorDestination("OUTPUT", self.tr("Correlation per feature"),
                                                                  optional=True, createByDefault=False))
        self.addParameter(QgsProcessingParameterRasterDestination("OUTPUT_RASTER", self.tr("Correlation per cell"),
                                                                  optional=True, createByDefault=False))
        self.addParameter(QgsProcessingParameterFileDestination("OUTPUT_PLOT", self.tr("Plot"), "PNG (*.png)",
                                                                optional=True, createByDefault=False))
        add_dask_parameter(self)

    def process(self, parameters, context, feedback):
        if bool(parameters.get("INPUT")) == bool(parameters.get("INPUT_RASTER")):
            raise GeohazardError("give either INPUT (points/polygons) or INPUT_RASTER (dated bands)")
        ddates, dvals = kio.read_driver_csv(self.parameterAsFile(parameters, "DRIVER_CSV", context))
        tau = self.parameterAsDouble(parameters, "TAU_DAYS", context)
        opts = dict(step=self.parameterAsDouble(parameters, "STEP_DAYS", context), tau=tau if tau > 0 else None,
                    kind=_tr.DRIVER_KINDS[self.parameterAsEnum(parameters, "DRIVER_KIND", context)],
                    response=_tr.RESPONSES[self.parameterAsEnum(parameters, "RESPONSE", context)],
                    max_lag=self.parameterAsDouble(parameters, "MAX_LAG_DAYS", context))
        progress = FeedbackProgress(feedback)
        if parameters.get("INPUT_RASTER"):
            if not parameters.get("OUTPUT_RASTER"):
                raise GeohazardError("INPUT_RASTER given: set OUTPUT_RASTER")
            return {"OUTPUT_RASTER": kio.trigger_raster(
                self, parameters, context, self.raster_path(parameters, "INPUT_RASTER", context), "INPUT_RASTER",
                ddates, dvals, opts, self.parameterAsOutputLayer(parameters, "OUTPUT_RASTER", context), progress)}
        if not parameters.get("OUTPUT"):
            raise GeohazardError("INPUT given: set OUTPUT")
        feats, dates, series = kio.dated_features(self.parameterAsSource(parameters, "INPUT", context), "INPUT",
                                                  context)
        kw = dict(step_days=opts["step"], kind=opts["kind"], response=opts["response"], tau_days=opts["tau"],
                  max_lag_days=opts["max_lag"])
        warnings: list = []
        res = _tr.correlate_with_driver(dates, series, ddates, dvals, warnings=warnings, **kw)
        for w in warnings:
            progress.push_warning(w)
        if res["driver_gap_bins"]:
            progress.push_warning(f"driver: {res['driver_gap_bins']} of {res['driver'].size} bins have gaps and were "
                                  "left out of the correlation")
        _trigger_notes(progress, res, "features")
        seas = _tr.seasonal_parameters(dates, series)
        reason = _tr.seasonal_reason(dates)
        n_nan = int(np.sum(~np.isfinite(seas["velocity"])))
        if reason:  # an explanation, not a data problem: the fields cannot exist for so short a series
            progress.push_info(f"velocity, annual_amplitude and annual_peak_doy left empty: {reason}")
        elif n_nan:
            progress.push_warning(f"velocity, annual_amplitude and annual_peak_doy left empty for {n_nan} of "
                                  f"{seas['velocity'].size} features: their valid values span less than 365 days or "
                                  "number fewer than 8")
        fields = {"source_fid": feats["fid"], **{k: res[k] for k in ("best_lag_days", "best_r")},
                  "corr_sign": res["sign"], **{k: res[k] for k in ("p", "p_corrected", "n_eff")}, **seas}
        result = {"OUTPUT": kio.write_features(self.parameterAsOutputLayer(parameters, "OUTPUT", context), fields,
                                               feats)}
        if parameters.get("OUTPUT_PLOT"):
            with np.errstate(invalid="ignore"):
                avg = np.nanmean(series, axis=1)
            mean = _tr.correlate_with_driver(dates, avg, ddates, dvals, **kw)
            result["OUTPUT_PLOT"] = _tr.plot_correlation(
                mean, self.parameterAsFileOutput(parameters, "OUTPUT_PLOT", context), title="mean of all features",
                series=(dates, avg))
        return result


class LandslideThickness(GeohazardAlgorithm):
    NAME, DISPLAY_NAME, GROUP_ID = "landslidethickness", "Landslide thickness (mass conservation)", "geometry"
    MULTIBAND_INPUTS = ("VELOCITY", "TIME_SERIES_3D")
    HELP = (
        "Thickness h (m) of a landslide from its 3-D surface velocity by volume conservation (Booth et al. 2013): "
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
        "DEM on the same grid (m); optional TIME_SERIES_3D = landslide3d OUTPUT_TS to test steadiness.\n"
        "<b>Outputs</b>: OUTPUT thickness (m); OUTPUT_QUALITY bands dz/dt (mm/yr), mass-balance residual (mm/yr), "
        "flags (bit mask: 1 slow, 2 negative thickness, 4 misfit = residual > max(3 robust sigma, 2 mm/yr): "
        "divergent or convergent flux not explained, 8 non-steady = speed changed > 30 % between the halves of the "
        "series, 16 edge). The solve is global over the landslide (not in blocks): up to 2 million landslide cells.\n"
        "<b>Defaults</b>: RHEOLOGY_FACTOR 1 (slow landslides mostly slide on a basal shear zone), ALPHA 0.3 (1.4-2.3 % "
        "thickness error on synthetic landslides; larger is smoother), MIN_SPEED 1 mm/yr (the InSAR velocity noise).\n"
        "References: Booth et al. (2013) doi:10.1002/grl.50828; Delbridge et al. (2016) JGR Solid Earth 121; "
        "Hu et al. (2018) doi:10.1002/2017GL076623.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterRasterLayer("VELOCITY", self.tr("3-D velocity (E, N, U mm/yr)")))
        self.addParameter(QgsProcessingParameterRasterLayer("DEM", self.tr("DEM (m)")))
        self.addParameter(QgsProcessingParameterFeatureSource(
            "LANDSLIDE_OUTLINE", self.tr("Landslide outline"), [QgsProcessing.SourceType.TypeVectorPolygon],
            optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer("TIME_SERIES_3D", self.tr("3-D time series (landslide3d)"),
                                                            optional=True))
        for key, label, val, hi in (("RHEOLOGY_FACTOR", "Rheology factor f", 1.0, 1.0),
                                    ("ALPHA", "Smoothing (dimensionless)", 0.3, 1e6),
                                    ("MIN_SPEED", "Smallest horizontal speed (mm/yr)", 1.0, 1e9)):
            self.addParameter(QgsProcessingParameterNumber(key, self.tr(label), DBL, defaultValue=val, minValue=0.0,
                                                           maxValue=hi))
        self.addParameter(QgsProcessingParameterRasterDestination("OUTPUT", self.tr("Thickness (m)")))
        self.addParameter(QgsProcessingParameterRasterDestination("OUTPUT_QUALITY", self.tr("dz/dt, residual, flags")))

    def process(self, parameters, context, feedback):
        from ..algorithms.kinematics import thickness as _th
        from .raster_io import check_same_grid, read_band, read_bands, write_raster

        vel = self.raster_info(parameters, "VELOCITY", context)
        dem = self.raster_info(parameters, "DEM", context)
        if vel.count != 3:
            raise GeohazardError(f"VELOCITY must have 3 bands (east, north, up: landslide3d OUTPUT), got {vel.count}")
        check_same_grid([vel, dem], ["VELOCITY", "DEM"])
        if vel.width * vel.height > 25_000_000:
            raise GeohazardError(f"VELOCITY has {vel.width} x {vel.height} cells; clip it to the landslide first")
        dx, dy = kio.metric_size(dem, "DEM")
        v = read_bands(vel.path, name="VELOCITY", dtype=np.float64)
        mask = kio.polygon_mask(self.parameterAsSource(parameters, "LANDSLIDE_OUTLINE", context), vel, context,
                                 "LANDSLIDE_OUTLINE") \
            if parameters.get("LANDSLIDE_OUTLINE") else None
        halves = kio.speed_halves(self.raster_path(parameters, "TIME_SERIES_3D", context), "TIME_SERIES_3D") \
            if parameters.get("TIME_SERIES_3D") else None
        res = _th.invert_thickness(v[0], v[1], v[2], read_band(dem.path, name="DEM", dtype=np.float64), dx_m=dx[0],
                                   dy_m=dy, mask=mask, speed_halves=halves,
                                   rheology_factor=self.parameterAsDouble(parameters, "RHEOLOGY_FACTOR", context),
                                   alpha=self.parameterAsDouble(parameters, "ALPHA", context),
                                   min_speed=self.parameterAsDouble(parameters, "MIN_SPEED", context))
        progress = FeedbackProgress(feedback)
        fl = res["flags"][np.isfinite(res["thickness"])]
        counts = ", ".join(f"{k} {int(np.sum(fl & b > 0))}" for k, b in _th.FLAGS.items())
        progress.push_info(f"{res['n_cells']} landslide cells, volume {res['volume_m3']:.4g} m3; flags: {counts}")
        if res["n_surface_parallel"]:
            progress.push_warning(f"{res['n_surface_parallel']} of {res['n_cells']} landslide cells have a velocity "
                                  "parallel to the DEM surface by construction (landslide3d's constraint): dz/dt is 0 "
                                  "there and their thickness comes from the smoothing only")
        out = write_raster(self.parameterAsOutputLayer(parameters, "OUTPUT", context), res["thickness"], vel,
                           descriptions=["thickness m"])
        q = write_raster(self.parameterAsOutputLayer(parameters, "OUTPUT_QUALITY", context),
                         np.stack([res["dzdt"], res["residual"], res["flags"].astype(float)]), vel,
                         descriptions=["dz/dt mm/yr", "mass-balance residual mm/yr", "flags"])
        return {"OUTPUT": out, "OUTPUT_QUALITY": q}



ALGORITHMS = [Landslide3D, LandslideThickness, ValidateInsar, TriggerCorrelation]
