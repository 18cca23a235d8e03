"""validateinsar."""

from __future__ import annotations

import os

from ....algorithms.errors import GeohazardError
from ....algorithms.kinematics import motion3d as _m3
from ....algorithms.kinematics import validation as _va
from ....io import kinematics as kio
from ....io.vector import wkt_of
from ...inputs import declare, layers
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("validateinsar", "Validate InSAR against GNSS / levelling", group="geometry",
      tags="validation,GNSS,GPS,levelling,accuracy,RMSE,ValInSAR,ground truth", page="kinematics")
class ValidateInsar(GeohazardAlgorithm):
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
        self.addParameter(declare.features("INSAR", "InSAR points (dated fields)", "point", optional=True))
        self.addParameter(declare.raster("INSAR_RASTER", "InSAR raster (dated bands, mm)", optional=True))
        self.addParameter(declare.file("STATIONS_CSV", "Station time series (CSV)", extension="csv", optional=True))
        self.addParameter(declare.features("STATIONS_TABLE", "Station time series (layer or table)", "table",
                                           optional=True))
        self.addParameter(declare.features("STATIONS", "Station locations", "point", optional=True))
        self.addParameter(declare.text("NAME_FIELD", "Station name field", "station"))
        self.addParameter(declare.text("REFERENCE_STATION", "Reference (station, 'mean' or empty)", "mean",
                                       optional=True))
        for key, label, val in (("RADIUS", "Colocation radius (m)", 100.0), ("WINDOW_DAYS", "Station window (days)",
                                                                             7.0),
                                ("HEADING", "Heading if no LOS fields", -12.0),
                                ("INCIDENCE", "Incidence if no LOS fields", 37.0),
                                ("MAX_NRMSE", "Largest RMSE / range", 0.25), ("MIN_R2", "Smallest R2", 0.7),
                                ("MAX_DV", "Largest velocity difference (mm/yr)", 2.0),
                                ("MAX_RMSE", "Largest RMSE (mm)", 5.0)):
            self.addParameter(declare.number(key, label, val, -360.0 if key == "HEADING" else 0.0))
        self.addParameter(declare.integer("MAX_GAP_DAYS", "Longest station gap bridged (days)", 15, 1))
        self.addParameter(declare.vector_out("OUTPUT", "Stations with statistics"))
        self.addParameter(declare.file_out("OUTPUT_TABLE", "Table", "CSV (*.csv)"))
        self.addParameter(declare.folder_out("OUTPUT_PLOTS", "Plots folder", optional=True, create=False))

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
            stations = layers.station_inputs(self, parameters, context, crs, csv_path, "STATIONS", name_field)
        else:
            crs = kio.crs_of(self.raster_info(parameters, "INSAR_RASTER", context))
            stations = layers.station_inputs(self, parameters, context, crs, csv_path, "STATIONS", name_field)
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
        out = kio.write_validation(res, wkt_of(crs), stations, self.parameterAsOutputLayer(parameters, "OUTPUT",
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
