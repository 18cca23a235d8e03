"""PS / DS tools: amplitude dispersion, DS phase linking, PS/DS point time series."""

from __future__ import annotations

import contextlib
import functools
import os

import numpy as np
from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorDestination,
)

from ..algorithms.engine import plan_blocks, process_blocks
from ..algorithms.errors import GeohazardError
from ..algorithms.formats.dates import field_name
from ..algorithms.formats.slc import baselines_for_dates, read_baselines
from ..algorithms.progress import SubProgress, check_canceled
from ..algorithms.timeseries.phase_linking import interferogram_pairs, phase_link_block, phase_link_plan
from ..algorithms.timeseries.ps import (
    DateSums,
    amplitude_dispersion_block,
    amplitude_sums_block,
    calibration_factors,
    ps_ds_selection,
)
from ..algorithms.timeseries.psi import ps_time_series
from . import params
from .base import GeohazardAlgorithm
from .engine_params import HELP as DASK_HELP
from .engine_params import add_dask_parameter, executor
from .feedback import FeedbackProgress
from .io.slc import check_slc_stack, point_coordinates, read_selected_phase, slc_block_rows, slc_stack
from .io.styles import style_points_velocity, style_raster_sequential
from .raster_io import (
    RasterWriter,
    optional_writer,
    output_paths,
    raster_source,
    read_band,
)
from .vector_io import write_vector
from .wavelength import HELP as WAVELENGTH_HELP
from .wavelength import carried_wavelength, resolve_wavelength, wavelength_parameter


class AmplitudeDispersion(GeohazardAlgorithm):
    COMPLEX_INPUTS = MULTIBAND_INPUTS = ("INPUT",)
    NAME = "amplitudedispersion"
    DISPLAY_NAME = "PS candidates by amplitude dispersion"
    GROUP_ID = "timeseries"
    HELP = (
        "Permanent-scatterer (PS) candidates from a coregistered SLC stack: mean amplitude, amplitude "
        "dispersion index D_A = sigma_A / mean_A and the PS-candidate mask D_A <= threshold.\n\n"
        "<b>SLC stack</b>: complex rasters GDAL can read (GeoTIFF CInt16/CFloat32, ENVI, VRT, ISCE "
        "*.slc.full.vrt, SNAP BEAM-DIMAP i/q bands), one file per date (date YYYYMMDD or 01Jan2020 in the "
        "name or folder) or one multi-band file whose band descriptions are dates. Radar geometry "
        "(no georeferencing) is fine; outputs stay on the input grid.\n"
        "<b>Calibrate</b>: divide each date by its image-wide mean amplitude first (removes gain changes "
        "between acquisitions).\n<b>Threshold</b>: largest D_A of a candidate (0.25 in Ferretti et al.).\n\n"
        "<b>Outputs</b>: mean amplitude, D_A (dimensionless; for high signal-to-clutter ratio the phase "
        "standard deviation in radians is about D_A), PS mask (1 = candidate).\n\n"
        "Reference: Ferretti A., Prati C., Rocca F. (2001), Permanent scatterers in SAR interferometry, "
        "IEEE TGRS 39(1), doi:10.1109/36.898661." + DASK_HELP
    )
    INPUT = "INPUT"
    CALIBRATE = "CALIBRATE"
    DISPERSION_THRESHOLD = params.DISPERSION_THRESHOLD
    OUTPUT_MEAN_AMPLITUDE = "OUTPUT_MEAN_AMPLITUDE"
    OUTPUT_DISPERSION = "OUTPUT_DISPERSION"
    OUTPUT_PS_MASK = "OUTPUT_PS_MASK"

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.INPUT, self.tr("Coregistered SLC stack (complex)"), QgsProcessing.SourceType.TypeRaster))
        self.addParameter(QgsProcessingParameterBoolean(
            self.CALIBRATE, self.tr("Calibrate amplitudes per date"), defaultValue=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.DISPERSION_THRESHOLD, self.tr("PS threshold on D_A"), QgsProcessingParameterNumber.Type.Double,
            defaultValue=0.25, minValue=0.01, maxValue=1.0))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_MEAN_AMPLITUDE, self.tr("Mean amplitude"), optional=True))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_DISPERSION, self.tr("Amplitude dispersion D_A")))
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT_PS_MASK, self.tr("PS candidates")))
        add_dask_parameter(self)

    def checkParameterValues(self, parameters, context):
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        return check_slc_stack(self, parameters, context, 3)

    def process(self, parameters, context, feedback):
        stack = slc_stack(self, parameters, context)
        if len(stack) < 3:
            raise GeohazardError(f"INPUT has {len(stack)} date(s); amplitude dispersion needs at least 3")
        thr = self.parameterAsDouble(parameters, self.DISPERSION_THRESHOLD, context)
        info = stack.info
        progress = FeedbackProgress(feedback)
        calibrate = self.parameterAsBool(parameters, self.CALIBRATE, context)
        plan = plan_blocks(info.height, info.width, block_rows=slc_block_rows(stack))
        sources = {"slc": stack.source()}
        outs = output_paths(self, parameters, (self.OUTPUT_MEAN_AMPLITUDE, self.OUTPUT_DISPERSION,
                                               self.OUTPUT_PS_MASK), context, optional=(self.OUTPUT_MEAN_AMPLITUDE,))
        totals = {"n_ps": 0}
        date_sums = DateSums()  # per-row sums added in row order: the same factors for any block layout

        with executor(self, parameters, context, feedback) as ex, \
                optional_writer(outs.get(self.OUTPUT_MEAN_AMPLITUDE, ""), info) as w_mean, \
                RasterWriter.like(outs[self.OUTPUT_DISPERSION], info) as w_da, \
                RasterWriter.like(outs[self.OUTPUT_PS_MASK], info, dtype=np.uint8, nodata=255) as w_ps:
            cal = None
            if calibrate:
                process_blocks(plan, amplitude_sums_block, date_sums, sources=sources, executor=ex,
                               progress=SubProgress(progress, 0, 40))
                cal = calibration_factors(*date_sums.result())

            def write(block, out):
                totals["n_ps"] += int((out["ps"] == 1).sum())
                w_mean.write(out["mean"], row=block.row0)
                w_da.write(out["dispersion"], row=block.row0)
                w_ps.write(out["ps"], row=block.row0)

            process_blocks(plan, functools.partial(amplitude_dispersion_block, calibration=cal, threshold=thr), write,
                           sources=sources, executor=ex, progress=SubProgress(progress, 40 if calibrate else 0, 100),
                           background_write=True)
        n_ps = totals["n_ps"]
        feedback.pushInfo(f"{n_ps} PS candidates (D_A <= {thr:g}) from {len(stack)} dates")
        if n_ps == 0:
            feedback.pushWarning(f"no pixel has D_A <= {thr:g}; raise the threshold or check the stack")
        style_raster_sequential(outs[self.OUTPUT_DISPERSION], context=context, vmin=0.0, vmax=0.6, ramp_name="Viridis")
        return outs


class PhaseLinking(GeohazardAlgorithm):
    COMPLEX_INPUTS = MULTIBAND_INPUTS = ("INPUT",)
    OVERLAP = (("INPUT", "PS_MASK"),)
    NAME = "phaselinking"
    DISPLAY_NAME = "DS phase linking"
    GROUP_ID = "timeseries"
    HELP = (
        "Distributed-scatterer (DS) phase linking of a coregistered SLC stack. For each pixel the "
        "statistically homogeneous pixels (SHP) in a window are chosen by a two-sample Kolmogorov-Smirnov "
        "test or a GLRT on their amplitude time series (significance level alpha); their sample coherence "
        "matrix G gives N linked phases by EMI (Ansari et al. 2018), EVD (principal eigenvector) or "
        "coherence-weighted EVD (eigenvector of |G| o G). PS pixels (optional mask) keep their own phase "
        "and, as in dolphin, still count as neighbours of other pixels when the homogeneous-pixel test accepts "
        "them. Processed in row blocks with window overlap.\n\n"
        "<b>SLC stack</b>: as for the amplitude dispersion tool (>= 3 dates).\n"
        "<b>Window</b>: rows x columns (odd), e.g. 5 x 11 for Sentinel-1 azimuth x range.\n\n"
        "<b>Outputs</b>: linked wrapped phase, one band per date (single reference: date 1 = 0), in radians "
        "(phase grows with range) or as unit complex numbers; temporal coherence "
        "gamma = |sum_{m!=n} exp(j(phi_mn - (theta_m - theta_n)))| / (N(N-1)) (1 = the linked phases explain "
        "every interferogram; PS get 1); SHP count; optionally wrapped interferograms "
        "YYYYMMDD_YYYYMMDD.wrapped.tif of a single-reference or nearest-3 network, ready for unwrapping.\n\n"
        "References: Ferretti et al. (2011), SqueeSAR, doi:10.1109/TGRS.2011.2124465; Ansari et al. (2018), "
        "doi:10.1109/TGRS.2018.2826045; Parizzi & Brcic (2011), doi:10.1109/LGRS.2010.2083631." + DASK_HELP
    )
    INPUT = "INPUT"
    WINDOW_ROWS = "WINDOW_ROWS"
    WINDOW_COLS = "WINDOW_COLS"
    SHP_METHOD = "SHP_METHOD"
    ALPHA = "ALPHA"
    METHOD = "METHOD"
    PS_MASK = "PS_MASK"
    OUTPUT_FORMAT = "OUTPUT_FORMAT"
    NETWORK = "NETWORK"
    OUTPUT = "OUTPUT"
    OUTPUT_TEMPORAL_COHERENCE = "OUTPUT_TEMPORAL_COHERENCE"
    OUTPUT_SHP_COUNT = "OUTPUT_SHP_COUNT"
    OUTPUT_INTERFEROGRAMS = "OUTPUT_INTERFEROGRAMS"
    SHP_CODES = ["glrt", "ks", "rect"]
    SHP_NAMES = ["GLRT (Parizzi & Brcic)", "Kolmogorov-Smirnov", "None (rectangular window)"]
    METHOD_CODES = ["emi", "evd", "cevd"]
    METHOD_NAMES = ["EMI", "EVD", "Coherence-weighted EVD"]
    FORMATS = ["Phase (radians, Float32)", "Unit complex (CFloat32)"]
    NETWORKS = ["Single reference (first date)", "Nearest 3 dates"]

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.INPUT, self.tr("Coregistered SLC stack (complex)"), QgsProcessing.SourceType.TypeRaster))
        self.addParameter(QgsProcessingParameterNumber(
            self.WINDOW_ROWS, self.tr("Window rows (odd)"), QgsProcessingParameterNumber.Type.Integer,
            defaultValue=5, minValue=1, maxValue=101))
        self.addParameter(QgsProcessingParameterNumber(
            self.WINDOW_COLS, self.tr("Window columns (odd)"), QgsProcessingParameterNumber.Type.Integer,
            defaultValue=11, minValue=1, maxValue=101))
        self.addParameter(QgsProcessingParameterEnum(
            self.SHP_METHOD, self.tr("Homogeneous-pixel test"), options=self.SHP_NAMES, defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            self.ALPHA, self.tr("Significance level of the test"), QgsProcessingParameterNumber.Type.Double,
            defaultValue=0.05, minValue=0.0001, maxValue=0.5))
        self.addParameter(QgsProcessingParameterEnum(
            self.METHOD, self.tr("Phase-linking estimator"), options=self.METHOD_NAMES, defaultValue=0))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.PS_MASK, self.tr("PS mask (non-zero = PS, keeps its own phase)"), optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            self.OUTPUT_FORMAT, self.tr("Linked phase format"), options=self.FORMATS, defaultValue=0))
        self.addParameter(QgsProcessingParameterEnum(
            self.NETWORK, self.tr("Interferogram network"), options=self.NETWORKS, defaultValue=1))
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, self.tr("Linked phase")))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_TEMPORAL_COHERENCE, self.tr("Temporal coherence (0-1)"), optional=True))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_SHP_COUNT, self.tr("SHP count (pixels)"), optional=True))
        self.addParameter(QgsProcessingParameterFolderDestination(
            self.OUTPUT_INTERFEROGRAMS, self.tr("Wrapped interferograms folder"), optional=True,
            createByDefault=False))
        add_dask_parameter(self)

    def checkParameterValues(self, parameters, context):
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        for p in (self.WINDOW_ROWS, self.WINDOW_COLS):
            v = self.parameterAsInt(parameters, p, context)
            if v % 2 == 0:
                return False, f"{p} must be odd, got {v}"
        n_win = self.parameterAsInt(parameters, self.WINDOW_ROWS, context) * \
            self.parameterAsInt(parameters, self.WINDOW_COLS, context)
        if n_win < 9:
            return False, (f"WINDOW_ROWS x WINDOW_COLS: a window of {n_win} pixel(s) has too few neighbours to "
                           "estimate a coherence (with one pixel it is 1 everywhere, with a few it is biased "
                           "far above the truth); use at least 9 pixels, e.g. 3 x 3")
        ok, msg = check_slc_stack(self, parameters, context, 3)
        if not ok:
            return ok, msg
        stack = slc_stack(self, parameters, context)
        wr = self.parameterAsInt(parameters, self.WINDOW_ROWS, context)
        wc = self.parameterAsInt(parameters, self.WINDOW_COLS, context)
        if wr > stack.info.height or wc > stack.info.width:
            return False, (f"window {wr} x {wc} is larger than the image "
                           f"({stack.info.height} x {stack.info.width} pixels)")
        if parameters.get(self.PS_MASK):
            try:
                m = self.raster_info(parameters, self.PS_MASK, context)
            except QgsProcessingException as exc:
                return False, str(exc)
            if m.shape != stack.info.shape:
                return False, (f"PS_MASK has {m.height} rows x {m.width} columns, expected "
                               f"{stack.info.height} x {stack.info.width} like INPUT")
        return True, ""

    def process(self, parameters, context, feedback):
        stack = slc_stack(self, parameters, context)
        info = stack.info
        n = len(stack)
        window = (self.parameterAsInt(parameters, self.WINDOW_ROWS, context),
                  self.parameterAsInt(parameters, self.WINDOW_COLS, context))
        shp = self.SHP_CODES[self.parameterAsEnum(parameters, self.SHP_METHOD, context)]
        method = self.METHOD_CODES[self.parameterAsEnum(parameters, self.METHOD, context)]
        alpha = self.parameterAsDouble(parameters, self.ALPHA, context)
        as_complex = self.parameterAsEnum(parameters, self.OUTPUT_FORMAT, context) == 1
        ps_path = self.raster_path(parameters, self.PS_MASK, context) if parameters.get(self.PS_MASK) else None
        ifg_dir = self.parameterAsString(parameters, self.OUTPUT_INTERFEROGRAMS, context) \
            if parameters.get(self.OUTPUT_INTERFEROGRAMS) else ""
        network = "single" if self.parameterAsEnum(parameters, self.NETWORK, context) == 0 else "nearest"
        pairs = interferogram_pairs(n, network, neighbours=3) if ifg_dir else []
        outs = output_paths(self, parameters, (self.OUTPUT, self.OUTPUT_TEMPORAL_COHERENCE, self.OUTPUT_SHP_COUNT),
                            context, optional=(self.OUTPUT_TEMPORAL_COHERENCE, self.OUTPUT_SHP_COUNT))
        plan = phase_link_plan(info.shape, n, window=window, method=method, shp_method=shp, alpha=alpha,
                               block_rows=slc_block_rows(stack, cap=64, copies=5))
        sources = {"slc": stack.source()}
        if ps_path:
            sources["ps_mask"] = raster_source(ps_path, name=self.PS_MASK)
        func = functools.partial(phase_link_block, window=window, method=method, shp_method=shp, alpha=alpha)
        if ifg_dir:
            os.makedirs(ifg_dir, exist_ok=True)
        carried = carried_wavelength([lyr.source() for lyr in self.parameterAsLayerList(parameters, self.INPUT,
                                                                                          context)])
        with contextlib.ExitStack() as files:
            w_ph = files.enter_context(RasterWriter.like(
                outs[self.OUTPUT], info, count=n, descriptions=[d.isoformat() for d in stack.dates],
                dtype=np.complex64 if as_complex else np.float32,
                metadata={"method": method, "shp_method": shp, "window": f"{window}", **carried}))
            w_tc = files.enter_context(optional_writer(outs.get(self.OUTPUT_TEMPORAL_COHERENCE, ""), info))
            w_n = files.enter_context(optional_writer(outs.get(self.OUTPUT_SHP_COUNT, ""), info, dtype=np.int32,
                                                      nodata=0))
            ifg_writers = [files.enter_context(RasterWriter.like(
                os.path.join(ifg_dir, f"{stack.dates[i]:%Y%m%d}_{stack.dates[j]:%Y%m%d}.wrapped.tif"), info,
                descriptions=[f"{stack.dates[i]:%Y%m%d}_{stack.dates[j]:%Y%m%d}"], metadata=carried))
                for i, j in pairs]

            def write(block, out):
                ph = out["phase"]
                w_ph.write(np.exp(1j * ph.astype(np.float64)).astype(np.complex64) if as_complex else ph,
                           row=block.row0)
                w_tc.write(out["temporal_coherence"], row=block.row0)
                w_n.write(out["shp_count"], row=block.row0)
                for (i, j), w in zip(pairs, ifg_writers):
                    w.write(np.angle(np.exp(1j * (ph[j] - ph[i]))).astype(np.float32), row=block.row0)

            with executor(self, parameters, context, feedback) as ex:
                process_blocks(plan, func, write, sources=sources, executor=ex, progress=FeedbackProgress(feedback),
                               background_write=True)
        if self.OUTPUT_TEMPORAL_COHERENCE in outs:
            style_raster_sequential(outs[self.OUTPUT_TEMPORAL_COHERENCE], context=context, vmin=0.0, vmax=1.0)
        result = dict(outs)
        if ifg_dir:
            result[self.OUTPUT_INTERFEROGRAMS] = ifg_dir
        return result


class PsTimeSeries(GeohazardAlgorithm):
    COMPLEX_INPUTS = MULTIBAND_INPUTS = ("INPUT",)
    COHERENCE_INPUTS = ("TEMPORAL_COHERENCE",)
    OVERLAP = (("INPUT", "DISPERSION"), ("INPUT", "TEMPORAL_COHERENCE"))
    NAME = "pstimeseries"
    DISPLAY_NAME = "PS/DS point time series"
    GROUP_ID = "timeseries"
    HELP = (
        "Point time series without 2-D unwrapping (the classic PSI route). PS points (amplitude "
        "dispersion <= threshold) and DS points (temporal coherence >= threshold, not PS) are linked by a "
        "Delaunay arc network; on each arc the velocity and DEM-error differences are found by a "
        "periodogram over the interferometric phases (maximum arc temporal coherence); incoherent arcs "
        "(below the arc coherence threshold, e.g. crossing decorrelated areas) and arcs that disagree with "
        "the network are rejected; the rest are integrated by weighted least squares from the reference "
        "point; arc residuals (small on coherent arcs, so unwrapped in time) give the displacement series.\n\n"
        "<b>Phase stack</b>: the linked phase of the phase-linking tool (radians or complex, dated bands) "
        "or the coregistered SLC stack itself.\n"
        "<b>Amplitude dispersion</b> and/or <b>temporal coherence</b> rasters select the points (at least "
        "one).\n<b>Baselines</b> (optional): a 'date bperp_m' table, a GAMMA bperp_file, an ISCE2 "
        "baselines folder's file or a SNAP .dim header; without them only velocity is estimated.\n"
        "<b>Reference</b>: row/column of the reference pixel (-1 = the best point).\n"
        "<b>Latitude/longitude rasters</b> (radar geometry only): put the points on the map (EPSG:4326); "
        "otherwise points of an ungeoreferenced stack are drawn at x = column, y = -row.\n\n"
        "<b>Output</b>: points with ROW, COL, TYPE (PS/DS), VEL (mm/yr, LOS, positive toward the "
        "satellite, relative to the reference point), V_STDEV (mm/yr, standard error of the fitted "
        "slope), COHERENCE (mean temporal coherence of the point's accepted arcs), HEIGHT_ERR (m, DEM "
        "error relative to the reference) and DYYYYMMDD displacements (mm, relative to the first date).\n"
        + WAVELENGTH_HELP + "\n\n"
        "References: Ferretti et al. (2001), doi:10.1109/36.898661; Kampes (2006), "
        "doi:10.1007/978-1-4020-4723-7."
    )
    INPUT = "INPUT"
    DISPERSION = "DISPERSION"
    DISPERSION_THRESHOLD = params.DISPERSION_THRESHOLD
    TEMPORAL_COHERENCE = "TEMPORAL_COHERENCE"
    MIN_TEMPORAL_COHERENCE = params.MIN_TEMPORAL_COHERENCE
    BASELINES = "BASELINES"
    WAVELENGTH = params.WAVELENGTH
    SLANT_RANGE = "SLANT_RANGE"
    INCIDENCE = "INCIDENCE"
    ARC_COHERENCE = "ARC_COHERENCE"
    MAX_VELOCITY = "MAX_VELOCITY"
    MAX_HEIGHT_ERROR = "MAX_HEIGHT_ERROR"
    MAX_ARC_LENGTH = "MAX_ARC_LENGTH"
    REFERENCE_ROW = "REFERENCE_ROW"
    REFERENCE_COL = "REFERENCE_COL"
    LATITUDE = "LATITUDE"
    LONGITUDE = "LONGITUDE"
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):
        dbl = QgsProcessingParameterNumber.Type.Double
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.INPUT, self.tr("Phase stack (linked phase or SLCs)"), QgsProcessing.SourceType.TypeRaster))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.DISPERSION, self.tr("Amplitude dispersion (selects PS)"), optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.DISPERSION_THRESHOLD, self.tr("PS: largest amplitude dispersion"), dbl, defaultValue=0.25,
            minValue=0.01, maxValue=1.0))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.TEMPORAL_COHERENCE, self.tr("Temporal coherence (selects DS)"), optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.MIN_TEMPORAL_COHERENCE, self.tr("DS: smallest temporal coherence"), dbl, defaultValue=0.8,
            minValue=0.0, maxValue=1.0))
        self.addParameter(QgsProcessingParameterFile(
            self.BASELINES, self.tr("Perpendicular baselines (table, GAMMA bperp_file, ISCE txt, SNAP .dim)"),
            optional=True))
        self.addParameter(wavelength_parameter(self, self.WAVELENGTH))
        self.addParameter(QgsProcessingParameterNumber(
            self.SLANT_RANGE, self.tr("Slant range (m)"), dbl, defaultValue=850000.0, minValue=1000.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.INCIDENCE, self.tr("Incidence angle (degrees)"), dbl, defaultValue=37.0, minValue=0.1,
            maxValue=89.9))
        self.addParameter(QgsProcessingParameterNumber(
            self.ARC_COHERENCE, self.tr("Smallest arc temporal coherence"), dbl, defaultValue=0.7,
            minValue=0.05, maxValue=0.99))
        self.addParameter(QgsProcessingParameterNumber(
            self.MAX_VELOCITY, self.tr("Largest velocity difference on an arc (mm/yr)"), dbl, defaultValue=50.0,
            minValue=1.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.MAX_HEIGHT_ERROR, self.tr("Largest DEM-error difference on an arc (m)"), dbl, defaultValue=50.0,
            minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.MAX_ARC_LENGTH, self.tr("Longest arc (m in a projected stack, pixels without georeferencing; "
                                         "0 = no limit)"), dbl, defaultValue=0.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.REFERENCE_ROW, self.tr("Reference pixel row (-1 = automatic)"),
            QgsProcessingParameterNumber.Type.Integer, defaultValue=-1, minValue=-1))
        self.addParameter(QgsProcessingParameterNumber(
            self.REFERENCE_COL, self.tr("Reference pixel column (-1 = automatic)"),
            QgsProcessingParameterNumber.Type.Integer, defaultValue=-1, minValue=-1))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.LATITUDE, self.tr("Latitude raster (radar geometry)"), optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.LONGITUDE, self.tr("Longitude raster (radar geometry)"), optional=True))
        self.addParameter(QgsProcessingParameterVectorDestination(
            self.OUTPUT, self.tr("PS/DS points"), QgsProcessing.SourceType.TypeVectorPoint))

    def checkParameterValues(self, parameters, context):
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        if not parameters.get(self.DISPERSION) and not parameters.get(self.TEMPORAL_COHERENCE):
            return False, "give DISPERSION (PS) and/or TEMPORAL_COHERENCE (DS) to select points"
        if bool(parameters.get(self.LATITUDE)) != bool(parameters.get(self.LONGITUDE)):
            return False, "LATITUDE and LONGITUDE must be given together"
        ref = [self.parameterAsInt(parameters, p, context) for p in (self.REFERENCE_ROW, self.REFERENCE_COL)]
        if (ref[0] >= 0) != (ref[1] >= 0):
            return False, (f"REFERENCE_ROW ({ref[0]}) and REFERENCE_COL ({ref[1]}) go together: give both (a pixel) "
                           "or leave both at -1 (automatic)")
        ok, msg = check_slc_stack(self, parameters, context, 4, need_complex=False)
        if not ok:
            return ok, msg
        shape = slc_stack(self, parameters, context, False).info.shape
        for p in (self.DISPERSION, self.TEMPORAL_COHERENCE, self.LATITUDE, self.LONGITUDE):
            if parameters.get(p):
                try:
                    info = self.raster_info(parameters, p, context)
                except QgsProcessingException as exc:
                    return False, str(exc)
                if info.shape != shape:
                    return False, (f"{p} has {info.height} rows x {info.width} columns, expected "
                                   f"{shape[0]} x {shape[1]} like INPUT")
        return True, ""

    def _select(self, parameters, context, width):
        """``select(r0, r1)`` for :func:`read_selected_phase`: the core PS/DS rule on DISPERSION, TEMPORAL_COHERENCE."""
        paths = {pid: self.raster_path(parameters, pid, context) if parameters.get(pid) else None
                 for pid in (self.DISPERSION, self.TEMPORAL_COHERENCE)}
        opts = dict(dispersion_threshold=self.parameterAsDouble(parameters, self.DISPERSION_THRESHOLD, context),
                    coherence_threshold=self.parameterAsDouble(parameters, self.MIN_TEMPORAL_COHERENCE, context))

        def select(r0, r1):
            da, tc = (read_band(path, rows=(r0, r1), name=pid, dtype=np.float64) if path else None
                      for pid, path in paths.items())
            return ps_ds_selection((r1 - r0, width), da, tc, **opts)

        return select, opts

    def _reference(self, parameters, context, rows, cols):
        rr0 = self.parameterAsInt(parameters, self.REFERENCE_ROW, context)
        rc0 = self.parameterAsInt(parameters, self.REFERENCE_COL, context)
        if rr0 < 0 or rc0 < 0:
            return None
        hit = np.flatnonzero((rows == rr0) & (cols == rc0))
        if hit.size == 0:
            raise GeohazardError(f"reference pixel (row {rr0}, column {rc0}) is not a selected PS/DS point")
        return int(hit[0])

    def process(self, parameters, context, feedback):
        stack = slc_stack(self, parameters, context, need_complex=False)
        info = stack.info
        progress = FeedbackProgress(feedback)
        select, opts = self._select(parameters, context, info.width)
        no_signal: list = []
        picked = read_selected_phase(stack, select, slc_block_rows(stack), SubProgress(progress, 0, 30),
                                     no_signal=no_signal)
        if sum(no_signal) and picked is None:
            raise GeohazardError(f"INPUT: all {sum(no_signal)} selected pixels have zero amplitude on at least one "
                                 "date: their phase is undefined (an empty or zero-filled SLC?); check the stack")
        if sum(no_signal):
            feedback.pushWarning(f"INPUT: {sum(no_signal)} selected pixel(s) have zero amplitude on at least one date "
                                 "(no phase there) and are left out")
        if picked is None:
            raise GeohazardError(f"no PS (D_A <= {opts['dispersion_threshold']:g}) or DS (temporal coherence >= "
                                 f"{opts['coherence_threshold']:g}) point found; relax the thresholds")
        rows, cols, kinds, quality, phase = picked
        feedback.pushInfo(f"{(kinds == 'PS').sum()} PS and {(kinds == 'DS').sum()} DS points selected")
        x, y = info.pixel_centres(rows, cols) if info.has_georef else (cols + 0.5, rows + 0.5)
        bperp = None
        if parameters.get(self.BASELINES):
            bperp = baselines_for_dates(read_baselines(self.parameterAsFile(parameters, self.BASELINES, context)),
                                        stack.dates)
        max_len = self.parameterAsDouble(parameters, self.MAX_ARC_LENGTH, context)
        wavelength = resolve_wavelength(
            self, parameters, self.WAVELENGTH, context, feedback,
            rasters=[lyr.source() for lyr in self.parameterAsLayerList(parameters, self.INPUT, context)])
        res = ps_time_series(
            phase, x, y, stack.dates, bperp_m=bperp, wavelength_m=wavelength.wavelength_m,
            slant_range_m=self.parameterAsDouble(parameters, self.SLANT_RANGE, context),
            incidence_deg=self.parameterAsDouble(parameters, self.INCIDENCE, context),
            reference=self._reference(parameters, context, rows, cols),
            arc_coherence_min=self.parameterAsDouble(parameters, self.ARC_COHERENCE, context),
            max_velocity_mm_yr=self.parameterAsDouble(parameters, self.MAX_VELOCITY, context),
            max_height_error_m=self.parameterAsDouble(parameters, self.MAX_HEIGHT_ERROR, context),
            max_arc_length=max_len if max_len > 0 else None, quality=quality,
            progress=SubProgress(progress, 30, 90))
        check_canceled(progress)
        k = res.index
        feedback.pushInfo(f"{int(res.arc_accepted.sum())} of {res.arcs.shape[0]} arcs accepted; "
                          f"{k.size} points kept; reference at row {rows[res.reference]}, "
                          f"column {cols[res.reference]}")
        lat_lon = [self.raster_path(parameters, pid, context) if parameters.get(self.LATITUDE) else None
                   for pid in (self.LATITUDE, self.LONGITUDE)]
        px, py, crs = point_coordinates(info, rows[k], cols[k], *lat_lon)
        fields = {"ROW": rows[k].astype(np.int64), "COL": cols[k].astype(np.int64), "TYPE": kinds[k].astype(object),
                  "VEL": res.velocity_mm_yr, "V_STDEV": res.velocity_std_mm_yr, "COHERENCE": res.coherence,
                  "HEIGHT_ERR": res.height_error_m if bperp is not None else np.full(k.size, np.nan),
                  **{field_name(d): res.displacement_mm[i] for i, d in enumerate(stack.dates)}}
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        write_vector(out, fields, crs_wkt=crs, x=px, y=py, progress=SubProgress(progress, 90, 100))
        style_points_velocity(out, context=context)
        return {self.OUTPUT: out}


ALGORITHMS = [AmplitudeDispersion, PhaseLinking, PsTimeSeries]
