"""``geohazard:miningsubsidence``. Mining subsidence by the probability-integral method: the final basin of mined
panels (forward), or its parameters and the goaf's position fitted to InSAR (inversion)."""

from __future__ import annotations

from ....algorithms.errors import GeohazardError
from ....algorithms.hazard import miningsubsidence as mining
from ....fileio.hazard import miningsubsidence as io_mining
from ...inputs import acquisition, declare, ids, knobs
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool

MODES = ["Forward (basin from the plan)", "Invert (fit to InSAR)", "Time (Knothe, forecasts)",
         "During extraction (advancing face, forecasts)"]
COMPONENTS = ["LOS (+ toward satellite)", "Vertical (up +)"]
POSITIONS = ("Translation of the plan", "Translation and rotation of the plan",
             "Plan fixed (fit the propagation angle instead)")


@tool("miningsubsidence", "Mining subsidence (PIM)", page="hazard",
      tags="mining,subsidence,probability integral,PIM,Knothe,goaf,coal,longwall,panel,inversion",
      main=("OUTPUT_VERTICAL", "OUTPUT_PANEL"), engine=True)
class MiningSubsidence(GeohazardAlgorithm):
    MODE = "MODE"
    PANELS = "PANELS"
    DEPTH_M = "DEPTH_M"
    THICKNESS_M = "THICKNESS_M"
    SUBSIDENCE_FACTOR = "SUBSIDENCE_FACTOR"
    TAN_BETA = "TAN_BETA"
    PROPAGATION_ANGLE = "PROPAGATION_ANGLE"
    SHIFT_AZIMUTH = "SHIFT_AZIMUTH"
    OFFSET_M = "OFFSET_M"
    HORIZONTAL_FACTOR = "HORIZONTAL_FACTOR"
    INPUT_2 = "INPUT_2"
    INCIDENCE_2 = "INCIDENCE_2"
    HEADING_2 = "HEADING_2"
    FIT_POSITION = "FIT_POSITION"
    RAMP = "RAMP"
    MAX_SAMPLES = "MAX_SAMPLES"
    INPUT_COMPONENT = "INPUT_COMPONENT"
    START_DATE = "START_DATE"
    END_DATE = "END_DATE"
    TIME_FACTOR = "TIME_FACTOR"
    FORECAST_DATES = "FORECAST_DATES"
    ADVANCE_AZIMUTH_DEG = "ADVANCE_AZIMUTH_DEG"
    TAN_BETA_2 = "TAN_BETA_2"
    OUTPUT_VERTICAL = "OUTPUT_VERTICAL"
    OUTPUT_EAST = "OUTPUT_EAST"
    OUTPUT_NORTH = "OUTPUT_NORTH"
    OUTPUT_LOS = "OUTPUT_LOS"
    OUTPUT_PARAMETERS = "OUTPUT_PARAMETERS"
    OUTPUT_PANEL = "OUTPUT_PANEL"
    HELP = (
        "The final surface basin of mined panels by the probability-integral method (Knothe, Liu Baocheng), or "
        "the method's parameters and the goaf's position fitted to InSAR line-of-sight displacement, or the basin "
        "growing in time (after extraction, or while the face advances) with its time factor fitted to an InSAR "
        "series. It needs the mine plan (polygons with depth and thickness) and, to fit, LOS maps or a series; it "
        "gives displacement (mm), the parameter table and the panels.\n\n"
        "<b>Mode</b>: forward (the basin on EXTENT at PIXEL_SIZE), invert (fit to INPUT and INPUT_2; the "
        "rasters are then the fitted final basin on INPUT's grid), time (the basin growing after extraction) or "
        "during extraction (the face advancing).\n"
        "<b>Time mode</b>: each panel moves the surface by W(t) = W_final (1 - exp(-c t)) (Knothe's time function), "
        "t the years since the panel's END_DATE (nothing before it; START_DATE, when given, must not be after it): "
        "the fields START_DATE / END_DATE (Date fields or YYYY-MM-DD text), or the typed dates where a field is "
        "absent or NULL. The final basin W_final is the PIM of the plan with the parameters above. TIME_FACTOR c "
        "(1/yr, 0.01-100); empty: fitted, with its standard error, to INPUT, a time series (mm, one band per date "
        "described YYYY-MM-DD, each pixel measured from the first date), line of sight (INCIDENCE / HEADING typed or "
        "carried) or vertical (INPUT_COMPONENT; a raster whose metadata declares another component is refused). "
        "FORECAST_DATES (YYYY-MM-DD, comma separated; empty: INPUT's dates): OUTPUT_VERTICAL has one band per date, "
        "the vertical displacement since extraction (mm, up positive), on INPUT's grid (or EXTENT / PIXEL_SIZE "
        "with a typed c and no INPUT). OUTPUT_PARAMETERS gains time_factor_per_year (value, std_error) and the "
        "misfit rms_mm. Fitting c also refits q, TAN_BETA, OFFSET_M (and HORIZONTAL_FACTOR for a LOS series): the "
        "typed values are a prior (spread q 0.15, tan(beta) 0.8, s a tenth of the depth, b 0.1), so c's standard "
        "error carries the basin's uncertainty; the forecasts use the fitted basin, and a typed basin the series "
        "contradicts is said in the log. Each pixel's reference is fitted; the errors allow for noise shared by a "
        "date's pixels (the atmosphere) but not for noise correlated in time.\n"
        "<b>During extraction</b> (MODE 3): each panel's face advances along ADVANCE_AZIMUTH_DEG (degrees clockwise "
        "from north; the field ADVANCE_AZIMUTH_DEG or the typed value) at a constant rate, from the back edge on "
        "START_DATE to the front edge on END_DATE (both needed); each extracted element moves the surface by its "
        "PIM share times 1 - exp(-c t), t the years since the face passed it. TAN_BETA_2 (optional): tan(beta) on "
        "the side to the right of the advance (across the strike; a lopsided, fault-controlled basin), TAN_BETA on "
        "the left and at the ends; each side keeps half the volume. Fits and forecasts as the time mode.\n"
        "<b>Panels</b>: polygons of any shape (holes and multipolygons too) in a projected CRS (m), a horizontal "
        "seam; fields DEPTH_M (mining depth H, m) and THICKNESS_M (mined thickness m, m), or the typed values where "
        "a field is absent or NULL. Several panels add up. Depths beyond 2,000 m and thicknesses beyond 20 m are "
        "refused as implausible.\n"
        "<b>Parameters</b>: SUBSIDENCE_FACTOR q in (0, 1.2] (W_max = q m), TAN_BETA (r = H / tan(beta)), OFFSET_M "
        "(inflection offset s, m: the panel is shrunk by s), HORIZONTAL_FACTOR b (U = b r grad W), PROPAGATION_ANGLE "
        "theta (degrees; 90 for a horizontal seam: no shift; below 90 the basin moves by H cot(theta) toward "
        "SHIFT_AZIMUTH, degrees clockwise from north).\n"
        "<b>Inversion</b>: INPUT (LOS displacement, mm, positive toward the satellite, projected CRS) with "
        "INCIDENCE and HEADING (degrees; empty: the raster's INCIDENCE_DEG / HEADING_DEG, else the tool stops), and "
        "optionally INPUT_2 with INCIDENCE_2 / HEADING_2 (the other orbit). The plan is the prior: least squares "
        "refine q, tan(beta), s, b and the plan's position (FIT_POSITION: a translation, with a rotation, or the "
        "plan fixed and theta fitted: a shift of the basin by theta and a translation of the plan look the same "
        "from the surface, so only one of them is fitted), plus an offset and a ramp per map (RAMP). Standard "
        "errors come from the Jacobian and assume independent noise (lower bounds on a real, correlated map). At "
        "most MAX_SAMPLES pixels per map are used (a regular subsample).\n\n"
        "<b>Outputs</b> (mm): OUTPUT_VERTICAL (up positive: subsidence is negative), OUTPUT_EAST, OUTPUT_NORTH, "
        "OUTPUT_LOS (positive toward the satellite; forward mode: INCIDENCE / HEADING typed or carried by INPUT), "
        "OUTPUT_PARAMETERS (parameter, value, std_error; empty std_error: held), OUTPUT_PANEL (the panels, moved "
        "by the fit: the goaf located, with depth_m, thickness_m, radius_m, w_max_mm).\n"
        "<b>Method</b>: W = W_max / r^2 times the integral over the panel of exp(-pi rho^2 / r^2), exact for any "
        "polygon (Owen's T function over the panel's edges; the horizontal terms in erf).\n"
        "References: Zhang W. et al. (2021) Remote Sensing 13(16) 3204, doi:10.3390/rs13163204; Owen D.B. (1956) "
        "doi:10.1214/aoms/1177728074; Knothe S. (1952) Archiwum Gornictwa i Hutnictwa 1(1) (the time function)."
    )
    MM_INPUTS = (ids.INPUT, "INPUT_2")
    OVERLAP = ((ids.INPUT, "PANELS"), ("INPUT_2", "PANELS"))

    def initAlgorithm(self, config=None):
        self.addParameter(declare.enum(self.MODE, "Mode", MODES))
        self.addParameter(declare.features(self.PANELS, "Mined panels (polygons)", "polygon"))
        for pid, label in ((self.DEPTH_M, "Depth if no DEPTH_M field (m)"),
                           (self.THICKNESS_M, "Thickness if no THICKNESS_M field (m)")):
            self.addParameter(declare.number(pid, label, None, 0.0, 1e5, optional=True))
        for pid, label, default, lo, hi in (
                (self.SUBSIDENCE_FACTOR, "Subsidence factor q", 0.8, 0.001, 1.2),
                (self.TAN_BETA, "tan(beta), major influence angle", 2.0, 0.3, 6.0),
                (self.OFFSET_M, "Inflection offset s (m)", 0.0, 0.0, 1000.0),
                (self.HORIZONTAL_FACTOR, "Horizontal-movement factor b", 0.3, 0.0, 1.0),
                (self.PROPAGATION_ANGLE, "Propagation angle theta (degrees)", 90.0, 30.0, 150.0),
                (self.SHIFT_AZIMUTH, "Shift azimuth, theta < 90 (degrees)", 0.0, -360.0, 360.0)):
            self.addParameter(declare.number(pid, label, default, lo, hi, advanced=pid == self.SHIFT_AZIMUTH))
        self.addParameter(declare.extent(self.EXTENT, "Output extent (forward)", optional=True))
        self.addParameter(declare.number(self.PIXEL_SIZE, "Pixel size (m; forward)", 10.0, 0.01))
        for rid, iid, hid, n in ((self.INPUT, self.INCIDENCE, self.HEADING, ""),
                                 (self.INPUT_2, self.INCIDENCE_2, self.HEADING_2, " 2")):
            self.addParameter(declare.raster(rid, f"LOS displacement{n} (mm; inversion)", optional=True))
            self.addParameter(declare.number(iid, f"Incidence{n} (degrees; empty = metadata)", None, 0.001, 89.999,
                                             optional=True))
            self.addParameter(declare.number(hid, f"Heading{n} (degrees; empty = metadata)", None, -360.0, 360.0,
                                             optional=True))
        self.addParameter(declare.enum(self.FIT_POSITION, "Position fitted", list(POSITIONS)))
        self.addParameter(declare.boolean(self.RAMP, "Fit a planar ramp per map", True))
        self.addParameter(declare.integer(self.MAX_SAMPLES, "Samples per map at most", 5000, 50, 1_000_000,
                                          advanced=True))
        self.addParameter(declare.enum(self.INPUT_COMPONENT, "Series component (time)", COMPONENTS))
        self.addParameter(declare.text(self.START_DATE, "Start date if no field", optional=True))
        self.addParameter(declare.text(self.END_DATE, "End date if no field", optional=True))
        self.addParameter(declare.number(self.TIME_FACTOR, "Time factor c (1/yr)", None, 0.01, 100.0,
                                         optional=True))
        self.addParameter(declare.text(self.FORECAST_DATES, "Forecast dates (YYYY-MM-DD)",
                                       optional=True))
        self.addParameter(declare.number(self.ADVANCE_AZIMUTH_DEG, "Face advance azimuth if no field (degrees)", None,
                                         -360.0, 360.0, optional=True))
        self.addParameter(declare.number(self.TAN_BETA_2, "tan(beta) right of the advance (lopsided)", None, 0.3,
                                         6.0, optional=True))
        for pid, label in ((self.OUTPUT_VERTICAL, "Vertical displacement (mm, up positive)"),
                           (self.OUTPUT_EAST, "East displacement (mm)"), (self.OUTPUT_NORTH, "North displacement (mm)"),
                           (self.OUTPUT_LOS, "LOS displacement (mm, + toward satellite)")):
            self.addParameter(declare.raster_out(pid, label, optional=pid != self.OUTPUT_VERTICAL,
                                                 create=pid == self.OUTPUT_VERTICAL))
        self.addParameter(declare.vector_out(self.OUTPUT_PARAMETERS, "PIM parameters", "table", optional=True))
        self.addParameter(declare.vector_out(self.OUTPUT_PANEL, "Panels (fitted)", "polygon", optional=True))

    def multiband_inputs(self, parameters, context) -> tuple:
        """The time modes read INPUT's every band (a date each)."""
        return (self.INPUT,) if self.parameterAsEnum(parameters, self.MODE, context) in (2, 3) else ()

    def check(self, parameters, context):
        mode = self.parameterAsEnum(parameters, self.MODE, context)
        if mode in (2, 3):
            typed_c = parameters.get(self.TIME_FACTOR) not in (None, "")
            if not typed_c and not parameters.get(self.INPUT):
                raise GeohazardError(f"{self.MODE} time needs {self.INPUT} (a time series, mm) to fit the time "
                                     f"factor, or a typed {self.TIME_FACTOR} (1/yr)")
            if not parameters.get(self.INPUT) and not parameters.get(self.EXTENT):
                raise GeohazardError(f"{self.MODE} time without {self.INPUT} needs {self.EXTENT} (the area of the "
                                     "forecast maps)")
            if not parameters.get(self.INPUT) and not str(parameters.get(self.FORECAST_DATES) or "").strip():
                raise GeohazardError(f"{self.MODE} time without {self.INPUT} needs {self.FORECAST_DATES}")
            return
        invert = mode == 1
        if invert and not parameters.get(self.INPUT):
            raise GeohazardError(f"{self.MODE} invert needs {self.INPUT} (LOS displacement, mm)")
        if not invert and not parameters.get(self.EXTENT):
            raise GeohazardError(f"{self.MODE} forward needs {self.EXTENT} (the area of the basin map)")

    def process(self, parameters, context, feedback):
        v = self.values(parameters, context, self.MODE, self.SUBSIDENCE_FACTOR, self.TAN_BETA, self.OFFSET_M,
                        self.HORIZONTAL_FACTOR, self.PROPAGATION_ANGLE, self.SHIFT_AZIMUTH, self.FIT_POSITION,
                        self.RAMP, self.MAX_SAMPLES, self.PIXEL_SIZE, self.START_DATE, self.END_DATE,
                        self.FORECAST_DATES, self.INPUT_COMPONENT)
        typed = {p: parameters[p] if parameters.get(p) not in (None, "") else None
                 for p in (self.DEPTH_M, self.THICKNESS_M, self.TIME_FACTOR, self.ADVANCE_AZIMUTH_DEG,
                           self.TAN_BETA_2)}
        job = io_mining.Job(
            mode=v.MODE, panels=self.parameterAsSource(parameters, self.PANELS, context), typed=dict(typed, **vars(v)),
            params=mining.PimParameters(v.SUBSIDENCE_FACTOR, v.TAN_BETA, v.OFFSET_M, v.HORIZONTAL_FACTOR,
                                        v.PROPAGATION_ANGLE, v.SHIFT_AZIMUTH),
            inputs=tuple((rid, self.raster_path(parameters, rid, context)) for rid in (self.INPUT, self.INPUT_2)
                         if parameters.get(rid)),
            geometry=lambda rid: self._geometry(parameters, context, feedback, rid),
            extent=lambda crs: self.parameterAsExtent(parameters, self.EXTENT, context, crs),
            outputs={pid: self.parameterAsOutputLayer(parameters, pid, context) if parameters.get(pid) else ""
                     for pid in io_mining.OUTPUT_IDS}, settings=knobs.run_settings(self, parameters, context))
        return self.finish(io_mining.run(job, progress=FeedbackProgress(feedback), context=context), feedback)

    def _geometry(self, parameters, context, feedback, rid):
        """(incidence, heading) of the LOS raster ``rid`` (or of the forward LOS): typed > its metadata > refusal."""
        iid, hid = (self.INCIDENCE_2, self.HEADING_2) if rid == self.INPUT_2 else (self.INCIDENCE, self.HEADING)
        rasters = [self.raster_path(parameters, rid, context)] if parameters.get(rid) else []
        head, inc = acquisition.heading_and_incidence(self, parameters, context, feedback, need_heading=True,
                                                      need_incidence=True, rasters=rasters, heading_pid=hid,
                                                      incidence_pid=iid)
        return inc, head
