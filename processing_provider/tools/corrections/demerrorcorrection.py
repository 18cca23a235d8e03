"""``geohazard:demerrorcorrection``. DEM-error correction: the topographic residual of every pixel estimated from the
perpendicular baselines and removed from a displacement time series."""

from __future__ import annotations

from ....algorithms.corrections import velocity_filter
from ....algorithms.formats import geometry_meta as gm
from ....fileio.corrections import demerrorcorrection as io_dem
from ...inputs import acquisition, declare, ids, layers
from ...inputs.aliases import Alias
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool
from ._common import series_fields, step_dates


@tool("demerrorcorrection", "DEM-error correction of a time series",
      tags="DEM error,topographic residual,perpendicular baseline,correction,time series,MintPy", page="corrections",
      main=("OUTPUT_VELOCITY",), former=(Alias("SLANT_RANGE", ids.SLANT_RANGE_M),), kernels=("timeseries.sbas",),
      engine=True)
class DemErrorCorrection(GeohazardAlgorithm):
    SLANT_RANGE_RASTER = "SLANT_RANGE_RASTER"
    POLY_ORDER = "POLY_ORDER"
    STEP_DATES = "STEP_DATES"
    FILTER_WINDOW = "FILTER_WINDOW"
    OUTPUT_DEM_ERROR = "OUTPUT_DEM_ERROR"
    OUTPUT_RESIDUAL = "OUTPUT_RESIDUAL"
    OUTPUT_VELOCITY = "OUTPUT_VELOCITY"
    OUTPUT_VELOCITY_STD = "OUTPUT_VELOCITY_STD"
    OUTPUT_VELOCITY_UNFILTERED = "OUTPUT_VELOCITY_UNFILTERED"
    HELP = (
        "Estimates the DEM error (topographic residual) of every pixel and removes its effect from a displacement "
        "time series (Fattahi & Amelung 2013, doi:10.1109/TGRS.2012.2227761; as MintPy dem_error.py): per pixel, "
        "least squares of the series on B_perp / (R sin(incidence)) together with a temporal deformation model "
        "(polynomial in time, optional steps), then d_cor = d - B_perp / (R sin(incidence)) * dz.\n\n"
        "<b>Time series</b>: a multi-band raster with one band per date and the date (YYYY-MM-DD) as band "
        "description, in mm, LOS positive toward the satellite, as written by the SBAS tool.\n"
        "<b>Baselines</b>: perpendicular baseline of each date from a CSV 'date,bperp_m', a MintPy "
        "timeseries.h5 or ifgramStack.h5, GAMMA *_bperp.par / *_base.par files or folder, an ISCE baselines "
        "folder, a LiCSAR frame's baselines file or HyP3 products' .txt (or their folders) (pair baselines are "
        "turned into date baselines by least squares, the first date at 0). Empty: the "
        "baselines the time series carries (PERPENDICULAR_BASELINES_M, written by the SBAS tool when its "
        "interferograms carry PERPENDICULAR_BASELINE_M or it was given BASELINES); without either the tool stops "
        "and says so (a wrong baseline gives a wrong DEM error).\n"
        "<b>Slant range</b> (SLANT_RANGE_M, m; the former ID SLANT_RANGE still works) and <b>incidence</b> "
        "(degrees): rasters on the grid (MintPy's geometryGeo.h5 "
        "gives its slantRangeDistance and incidenceAngle), or constants. Empty (the default): the value the time "
        "series carries (SLANT_RANGE_M, INCIDENCE_DEG; MintPy's timeseries.h5 with its work folder's geometry), else "
        "what the product given as BASELINES states (LiCSAR's metadata.txt, HyP3's .txt 'Slant range center' and "
        "lv_theta, ISCE2's reference/IW*.xml and los.rdr, MintPy's geometry file or attributes); a "
        "value you type is used, with a warning naming both when the metadata says otherwise; the log says which "
        "value was used and where it came from. With neither, the tool stops and says what to type (it no longer "
        "assumes the middle of a Sentinel-1 IW swath, 850 km and 39 deg). They scale the DEM error (by "
        "R sin(incidence): 850 vs 880 km is 3.5 %, 30 vs 45 deg 41 %); the corrected time series does not depend "
        "on them.\n"
        "<b>Polynomial order</b> (default 2, as MintPy) and <b>step dates</b> (YYYY-MM-DD, comma separated: "
        "earthquakes, works) of the deformation model.\n\n"
        "<b>Outputs</b>: corrected time series (same layout and reference as the input), DEM error (m, MintPy's "
        "sign: the series holds + B_perp / (R sin inc) * dz), RMS of the fit residual (mm), and the <b>final "
        "velocity</b> of the corrected series with its standard error (mm/yr, least-squares line as the SBAS tool "
        "and MintPy's timeseries2velocity, LOS positive toward the satellite). Dates without data at a "
        "pixel are left out of its fit; pixels with fewer than (number of model terms + 3) dates are NaN.\n\n"
        "<b>Velocity filter window</b> (pixels, odd; default 0 = off; the Corrected SBAS model uses 3): a "
        "noise-adaptive (Lee 1980 / local Wiener) filter of the final velocity driven by each pixel's own standard "
        "error: v_f = mu + g (v - mu), g = clip(1 - std^2 / local variance, 0, 1), mu and the local variance over "
        "the window. Where the pixel's own noise explains the differences with its neighbours (flat ground, the "
        "inside of a smooth bowl) it takes the window mean; where the velocities differ by more than the noise (a "
        "bowl's flank, a landslide's border, a single fast pixel) it keeps its value. The decorrelation noise of "
        "the pixels is nearly independent from pixel to pixel, so this removes much of it (synthetic stacks with "
        "known truth, sparse network: 5.0 -> 3.9 mm/yr RMS; docs/corrections.md). The standard error written is "
        "the "
        "filter's, propagated through its weights: the part of each pixel's variance its neighbours do not share "
        "(at most the local variance) is averaged down, the shared part is not. The "
        "unfiltered final velocity is the optional <b>unfiltered velocity</b> output; pixels without a velocity "
        "stay without one; the log gives the window and the median reduction of the standard error."
    )
    CARRIES_GEOMETRY = True
    OVERLAP = ((ids.INPUT, ids.INCIDENCE_RASTER), (ids.INPUT, "SLANT_RANGE_RASTER"))
    MULTIBAND_INPUTS = (ids.INPUT,)  # one band per date
    MM_INPUTS = (ids.INPUT,)

    def initAlgorithm(self, config=None):
        self.addParameter(declare.raster(self.INPUT, "Time series (mm, one band per date)"))
        self.addParameter(declare.files(self.BASELINES,
            "Perpendicular baselines (files or folder)",
            optional=True))
        self.addParameter(declare.raster(self.SLANT_RANGE_RASTER, "Slant range raster (m)", optional=True))
        self.addParameter(declare.number(self.SLANT_RANGE_M, "Slant range (m; empty = metadata)", None, 1.0,
                                         optional=True))
        self.addParameter(declare.raster(self.INCIDENCE_RASTER, "Incidence angle raster (degrees)", optional=True))
        self.addParameter(declare.number(self.INCIDENCE, "Incidence (degrees; empty = metadata)",
                                         None, 0.1, 89.9, optional=True))
        self.addParameter(declare.integer(self.POLY_ORDER, "Polynomial order of the deformation model", 2, 0, 5))
        self.addParameter(declare.text(self.STEP_DATES,
                                       "Step dates of the model (YYYY-MM-DD, ...)",
                                       optional=True))
        self.addParameter(declare.integer(self.FILTER_WINDOW,
                                          "Velocity filter window (pixels, odd; 0 = noise-adaptive)", 0,
                                          0, 15))
        self.addParameter(declare.raster_out(self.OUTPUT, "Corrected time series (mm)"))
        self.addParameter(declare.raster_out(self.OUTPUT_DEM_ERROR, "DEM error (m)"))
        self.addParameter(declare.raster_out(self.OUTPUT_RESIDUAL, "RMS of the fit residual (mm)", optional=True,
                                             create=False))
        self.addParameter(declare.raster_out(self.OUTPUT_VELOCITY, "Final velocity of the corrected series (mm/yr)",
                                             optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_VELOCITY_STD, "Final velocity standard error (mm/yr)",
                                             optional=True, create=False))
        self.addParameter(declare.raster_out(self.OUTPUT_VELOCITY_UNFILTERED,
                                             "Velocity before the filter (mm/yr)", optional=True,
                                             create=False))

    def check(self, parameters, context):
        step_dates(self, parameters, context)
        self._window(parameters, context)

    def _window(self, parameters, context) -> int:
        return velocity_filter.check_window(self.parameterAsInt(parameters, self.FILTER_WINDOW, context),
                                            name=self.FILTER_WINDOW)

    def process(self, parameters, context, feedback):
        fields = series_fields(self, parameters, context, io_dem.OUTPUTS, (self.OUTPUT, self.OUTPUT_DEM_ERROR))
        dates, bperp, stated = acquisition.series_baselines(self, parameters, context, feedback, fields["series"])
        geometry = {}
        for key, pid, by_raster in ((gm.SLANT_RANGE_KEY, self.SLANT_RANGE_M, self.SLANT_RANGE_RASTER),
                                    (gm.INCIDENCE_KEY, self.INCIDENCE, self.INCIDENCE_RASTER)):
            if parameters.get(by_raster):
                feedback.pushInfo(f"{gm.QUANTITIES[key].name}: per pixel from {by_raster}")
                continue
            geometry[key] = acquisition.scene_value(
                self, parameters, pid, context, feedback, key, needed=True, rasters=[fields["series"].path],
                attributes=acquisition.product_values(stated, key, [fields["series"].path], self.BASELINES),
                hint=acquisition.slant_range_hint(pid, by_raster) if key == gm.SLANT_RANGE_KEY
                else acquisition.incidence_hint(pid, by_raster))
        job = io_dem.Job(**fields, dates=dates, bperp_m=bperp, geometry=geometry,
                         poly_order=self.parameterAsInt(parameters, self.POLY_ORDER, context),
                         step_dates=step_dates(self, parameters, context), filter_window=self._window(parameters,
                                                                                                      context),
                         sources=layers.geometry_sources(self, parameters, context, fields["series"]))
        return self.finish(io_dem.run(job, progress=FeedbackProgress(feedback), context=context), feedback)
