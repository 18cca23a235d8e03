"""``geohazard:validateinsar``. Validate InSAR: InSAR time series compared with GNSS or levelling projected onto the
line of sight."""

from __future__ import annotations

from qgis.core import QgsCoordinateReferenceSystem

from ....algorithms.errors import GeohazardError
from ....algorithms.kinematics import motion3d as _m3
from ....fileio.kinematics import kinematics as kio
from ....fileio.kinematics import validateinsar as io_va
from ...inputs import acquisition, declare, layers
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("validateinsar", "Validate InSAR against GNSS / levelling",
      tags="validation,GNSS,GPS,levelling,accuracy,RMSE,ValInSAR,ground truth", page="kinematics")
class ValidateInsar(GeohazardAlgorithm):
    INSAR = "INSAR"
    INSAR_RASTER = "INSAR_RASTER"
    STATIONS_CSV = "STATIONS_CSV"
    STATIONS_TABLE = "STATIONS_TABLE"
    STATIONS = "STATIONS"
    NAME_FIELD = "NAME_FIELD"
    REFERENCE_STATION = "REFERENCE_STATION"
    MAX_GAP_DAYS = "MAX_GAP_DAYS"
    OUTPUT_TABLE = "OUTPUT_TABLE"
    RADIUS = "RADIUS"
    WINDOW_DAYS = "WINDOW_DAYS"
    MAX_NRMSE = "MAX_NRMSE"
    MIN_R2 = "MIN_R2"
    MAX_DV = "MAX_DV"
    MAX_RMSE = "MAX_RMSE"
    HELP = (
        "Compares InSAR time series with GNSS or levelling series at their stations: per station and over the "
        "network, the bias, RMSE, correlation, velocities and ValInSAR's normalised errors, with a pass/fail flag. "
        "Needs dated InSAR points or a dated raster and the stations' series (a CSV or a table); gives a station "
        "layer, a table and plots.\n\n"
        "<b>InSAR</b>: INSAR points with dated fields YYYYMMDD/DYYYYMMDD, or INSAR_RASTER with dated band "
        "descriptions; mm, LOS positive toward the satellite; LOS vectors from los_east/los_north/los_up fields, "
        "else HEADING/INCIDENCE, or the HEADING_DEG/INCIDENCE_DEG the raster carries; with none of them the tool "
        "stops and says what to type.\n"
        "<b>Stations</b>: STATIONS_CSV, or STATIONS_TABLE (any layer or table with the same columns), in long "
        "format 'station,date,east,north,up' (mm; levelling: up only), "
        "coordinates from x/y columns (InSAR CRS) or the STATIONS layer (field NAME_FIELD).\n\n<b>Method</b>: InSAR "
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
    CRS_FREE_INPUTS = ("STATIONS_TABLE",)
    MULTIBAND_INPUTS = ("INSAR_RASTER",)  # one dated band per InSAR date: every band is read
    MM_INPUTS = ("INSAR_RASTER",)

    def initAlgorithm(self, config=None):
        self.addParameter(declare.features(self.INSAR, "InSAR points (dated fields)", "point", optional=True))
        self.addParameter(declare.raster(self.INSAR_RASTER, "InSAR raster (dated bands, mm)", optional=True))
        self.addParameter(declare.file(self.STATIONS_CSV, "Station time series (CSV)", extension="csv", optional=True))
        self.addParameter(declare.features(self.STATIONS_TABLE, "Station time series (layer or table)", "table",
                                           optional=True))
        self.addParameter(declare.features(self.STATIONS, "Station locations", "point", optional=True))
        self.addParameter(declare.text(self.NAME_FIELD, "Station name field", "station"))
        self.addParameter(declare.text(self.REFERENCE_STATION, "Reference (station, 'mean' or empty)", "mean",
                                       optional=True))
        for key, label, val in ((self.RADIUS, "Colocation radius (m)", 100.0),
                                (self.WINDOW_DAYS, "Station window (days)", 7.0),
                                (self.MAX_NRMSE, "Largest RMSE / range", 0.25), (self.MIN_R2, "Smallest R2", 0.7),
                                (self.MAX_DV, "Largest velocity difference (mm/yr)", 2.0),
                                (self.MAX_RMSE, "Largest RMSE (mm)", 5.0)):
            self.addParameter(declare.number(key, label, val, 0.0))
            if key == self.WINDOW_DAYS:  # the acquisition geometry: no default (typed > raster's metadata > refusal)
                self.addParameter(declare.number(self.HEADING, "Heading (degrees; empty = metadata)",
                                                 None, -360.0, 360.0, optional=True))
                self.addParameter(declare.number(self.INCIDENCE, "Incidence (degrees; empty = "
                                                 "metadata)", None, 0.0, 89.999, optional=True))
        self.addParameter(declare.integer(self.MAX_GAP_DAYS, "Longest station gap bridged (days)", 15, 1))
        self.addParameter(declare.vector_out(self.OUTPUT, "Stations with statistics"))
        self.addParameter(declare.file_out(self.OUTPUT_TABLE, "Table", "CSV (*.csv)"))
        self.addParameter(declare.folder_out(self.OUTPUT_PLOTS, "Plots folder", optional=True, create=False))

    def check(self, parameters, context):
        if bool(parameters.get(self.INSAR)) == bool(parameters.get(self.INSAR_RASTER)):
            raise GeohazardError("give either INSAR (points) or INSAR_RASTER (dated bands)")
        if parameters.get(self.INSAR):
            kio.require_projected(kio.crs_of(self.parameterAsSource(parameters, self.INSAR, context)), self.INSAR)

    def process(self, parameters, context, feedback):
        raster = [self.raster_path(parameters, self.INSAR_RASTER, context)] if parameters.get(self.INSAR_RASTER) else []
        need = bool(raster) or not acquisition.points_carry_los(self.parameterAsSource(parameters, self.INSAR, context))
        g = _m3.parse_geometries("{},{}".format(*acquisition.heading_and_incidence(  # NaN: the points' LOS fields
            self, parameters, context, feedback, need_heading=need, need_incidence=need, rasters=raster)), 1)[0]
        csv_path = self.parameterAsFile(parameters, self.STATIONS_CSV, context)
        name_field = self.parameterAsString(parameters, self.NAME_FIELD, context)
        src = uri = None
        if parameters.get(self.INSAR):
            src, uri = layers.dated_source(self, parameters, self.INSAR, context)
            crs = src.sourceCrs()
        else:
            grid = self.raster_info(parameters, self.INSAR_RASTER, context)
            crs = QgsCoordinateReferenceSystem.fromWkt(grid.crs_wkt)
        job = io_va.Job(
            stations=layers.station_inputs(self, parameters, context, crs, csv_path, self.STATIONS, name_field),
            geometry=g, crs=crs, points=src, uri=uri or "", raster=raster[0] if raster else "",
            params={k: self.parameterAsDouble(parameters, k, context) for k in (
                self.RADIUS, self.WINDOW_DAYS, self.MAX_GAP_DAYS, self.MAX_NRMSE, self.MIN_R2, self.MAX_DV,
                self.MAX_RMSE)},
            reference=(self.parameterAsString(parameters, self.REFERENCE_STATION, context) or "").strip() or None,
            output=self.parameterAsOutputLayer(parameters, self.OUTPUT, context),
            table=self.parameterAsFileOutput(parameters, self.OUTPUT_TABLE, context),
            plots=self.parameterAsString(parameters, self.OUTPUT_PLOTS, context)
            if parameters.get(self.OUTPUT_PLOTS) else "",
            names={"insar": self.INSAR, "insar_raster": self.INSAR_RASTER, "output": self.OUTPUT,
                   "table": self.OUTPUT_TABLE, "plots": self.OUTPUT_PLOTS})
        return self.finish(io_va.run(job, progress=FeedbackProgress(feedback), context=context), feedback)
