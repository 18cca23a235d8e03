"""Faults and stress tools: Okada forward models, Coulomb stress, Coulomb .inp import."""

from __future__ import annotations

import functools

import numpy as np
from osgeo import ogr
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessing,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterCrs,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
    QgsWkbTypes,
)

from ..algorithms.elastic.coulomb_inp import read_coulomb_inp
from ..algorithms.elastic.faults import faults_from_traces, moment
from ..algorithms.elastic.grid_blocks import coulomb_grid_block, okada_grid_block
from ..algorithms.elastic.inversion import concat_samples, invert_fault_slip, model_on_grid, plot_lcurve
from ..algorithms.elastic.okada import KIND_POINT
from ..algorithms.elastic.receivers import coulomb_on_receivers, depth_tag, split_receivers
from ..algorithms.elastic.stress import regional_stress_tensor
from ..algorithms.engine import plan_blocks, process_blocks
from ..algorithms.errors import GeohazardError
from ..algorithms.geometry import los as los_mod
from . import params
from .base import GeohazardAlgorithm
from .engine_params import HELP as DASK_HELP
from .engine_params import add_dask_parameter, executor
from .feedback import FeedbackProgress
from .io.faults import (
    fault_fields,
    patch_fields,
    patch_wkb,
    read_fault_lines,
    read_los_datasets,
    read_patch_polygons,
    require_projected_crs,
    sample_fields,
    segment_wkb,
    trace_wkb,
)
from .io.styles import style_lines_dcfs, style_raster_diverging
from .raster_io import RasterWriter, write_raster
from .units import km_parameter
from .vector_io import write_vector

UNITS = [("bar", 1e5), ("MPa", 1e6), ("kPa", 1e3)]

COMMON_SOURCE_HELP = (
    "<b>Source faults</b>: a line layer of fault traces (top edges, digitised so that the fault dips to "
    "the right), in a projected CRS in metres. Per-feature attributes are used when present: dip_deg, "
    "top_m, bottom_m (depths, m, positive down), slip_m, rake_deg (0 left-lateral, 90 reverse, 180 "
    "right-lateral, -90 normal), opening_m; otherwise the default values below. Each trace segment "
    "becomes one rectangle. The slip-patch polygons written by slipinversion are accepted too.\n"
    "<b>Coulomb input file</b> (alternative): a Coulomb 3.x .inp file; its local km frame is placed at "
    "ORIGIN_EAST/ORIGIN_NORTH (map coordinates, m) in the chosen CRS; its faults with slip are the sources.\n"
)
#: Units of the Coulomb dialogs (km for fault geometry, as Coulomb 3) and of the former IDs.
COULOMB_UNITS_HELP = (
    "<b>Units</b>: depths and lengths in km, as in Coulomb 3 (TOP_DEPTH_KM, BOTTOM_DEPTH_KM, DEPTHS{pixel}); "
    "slip in m (as Coulomb 3); frame origin as map coordinates (m). Layer fields keep their own unit "
    "(top_m, bottom_m in m). The former IDs TOP_DEPTH, BOTTOM_DEPTH{pixel_old} (m) still work in models and "
    "qgis_process and are converted.\n"
)


class _FaultSourceMixin:
    """Parameters and reading of source faults shared by forward and Coulomb tools."""

    FAULTS = "FAULTS"
    COULOMB_INP = "COULOMB_INP"
    CRS = "CRS"
    ORIGIN_EAST = "ORIGIN_EAST"
    ORIGIN_NORTH = "ORIGIN_NORTH"
    DIP = "DIP"
    TOP_DEPTH = "TOP_DEPTH"
    BOTTOM_DEPTH = "BOTTOM_DEPTH"
    TOP_DEPTH_KM = "TOP_DEPTH_KM"
    BOTTOM_DEPTH_KM = "BOTTOM_DEPTH_KM"
    SLIP = "SLIP"
    RAKE = "RAKE"
    POISSON = "POISSON"
    #: unit of the default depths in the dialog: "m" (okadaforward) or "km" (Coulomb tools, whose
    #: TOP_DEPTH_KM/BOTTOM_DEPTH_KM replace TOP_DEPTH/BOTTOM_DEPTH (m): former IDs, params.FORMER_IDS)
    DEPTH_UNIT = "m"

    def default_depths_m(self, parameters, context):
        """Default top and bottom depths of the source lines, in metres."""
        if self.DEPTH_UNIT == "m":
            return (self.parameterAsDouble(parameters, self.TOP_DEPTH, context),
                    self.parameterAsDouble(parameters, self.BOTTOM_DEPTH, context))
        return tuple(1000.0 * self.parameterAsDouble(parameters, pid, context)
                     for pid in (self.TOP_DEPTH_KM, self.BOTTOM_DEPTH_KM))

    def add_source_parameters(self):
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.FAULTS, self.tr("Source faults (line layer, or slip patches from slipinversion)"),
            [QgsProcessing.SourceType.TypeVectorLine, QgsProcessing.SourceType.TypeVectorPolygon], optional=True))
        self.addParameter(QgsProcessingParameterFile(
            self.COULOMB_INP, self.tr("Coulomb 3 input file (.inp), instead of a layer"), extension="inp",
            optional=True))
        self.addParameter(QgsProcessingParameterCrs(
            self.CRS, self.tr("CRS of the Coulomb file's frame (projected)"), optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.ORIGIN_EAST, self.tr("Coulomb frame origin, easting (map coordinate, m)"),
            QgsProcessingParameterNumber.Type.Double, 0.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.ORIGIN_NORTH, self.tr("Coulomb frame origin, northing (map coordinate, m)"),
            QgsProcessingParameterNumber.Type.Double, 0.0))
        num = QgsProcessingParameterNumber.Type.Double
        self.addParameter(QgsProcessingParameterNumber(self.DIP, self.tr("Default dip (degrees)"), num, 60.0,
                                                       minValue=0.001, maxValue=90.0))
        if self.DEPTH_UNIT == "m":
            for pid, label, default, lo in ((self.TOP_DEPTH, "Default top depth (m)", 0.0, 0.0),
                                            (self.BOTTOM_DEPTH, "Default bottom depth (m)", 15000.0, 0.001)):
                self.addParameter(QgsProcessingParameterNumber(pid, self.tr(label), num, default, minValue=lo,
                                                               maxValue=1e6))
        else:
            self.addParameter(km_parameter(self, self.TOP_DEPTH_KM, "Default top depth", 0.0, minimum=0.0,
                                           maximum=1000.0))
            self.addParameter(km_parameter(self, self.BOTTOM_DEPTH_KM, "Default bottom depth", 15.0, minimum=0.001,
                                           maximum=1000.0))
        for pid, label, default, lo, hi in ((self.SLIP, "Default slip (m)", 1.0, -1e3, 1e3),
                                            (self.RAKE, "Default rake (degrees)", 0.0, -360.0, 360.0)):
            self.addParameter(QgsProcessingParameterNumber(pid, self.tr(label), num, default, minValue=lo,
                                                           maxValue=hi))
        self.addParameter(QgsProcessingParameterNumber(
            self.POISSON, self.tr("Poisson's ratio"), QgsProcessingParameterNumber.Type.Double, 0.25, minValue=0.0,
            maxValue=0.499))

    def check_sources(self, parameters, context):
        has_layer = bool(parameters.get(self.FAULTS))
        has_inp = bool(parameters.get(self.COULOMB_INP))
        if has_layer == has_inp:
            return False, self.tr("Give exactly one of FAULTS (line layer) or COULOMB_INP (.inp file).")
        if has_inp and not self.parameterAsCrs(parameters, self.CRS, context).isValid():
            return False, self.tr("CRS: choose the projected CRS in which the Coulomb file's km frame is placed.")
        if has_inp and self.parameterAsCrs(parameters, self.CRS, context).isGeographic():
            return False, self.tr("CRS must be a projected CRS in metres, not a geographic one.")
        return True, ""

    def read_sources(self, parameters, context):
        """-> (Faults, crs, coulomb input or None)."""
        if parameters.get(self.COULOMB_INP):
            path = self.parameterAsFile(parameters, self.COULOMB_INP, context)
            crs = self.parameterAsCrs(parameters, self.CRS, context)
            require_projected_crs(crs, self.CRS)
            cin = read_coulomb_inp(path)
            src = cin.sources
            src.east_m = src.east_m + self.parameterAsDouble(parameters, self.ORIGIN_EAST, context)
            src.north_m = src.north_m + self.parameterAsDouble(parameters, self.ORIGIN_NORTH, context)
            return src, crs, cin
        source = self.parameterAsSource(parameters, self.FAULTS, context)
        polygon = QgsWkbTypes.GeometryType.PolygonGeometry
        if source is not None and QgsWkbTypes.geometryType(source.wkbType()) == polygon:
            faults, crs = read_patch_polygons(source, name=self.FAULTS)
            return faults, crs, None
        top_m, bottom_m = self.default_depths_m(parameters, context)
        defaults = {"dip": self.parameterAsDouble(parameters, self.DIP, context), "top": top_m, "bottom": bottom_m,
                    "slip": self.parameterAsDouble(parameters, self.SLIP, context),
                    "rake": self.parameterAsDouble(parameters, self.RAKE, context), "opening": 0.0}
        traces, a, names, crs = read_fault_lines(source, name=self.FAULTS, defaults=defaults, context=context)
        faults = faults_from_traces(traces, dip_deg=a["dip"], top_m=a["top"], bottom_m=a["bottom"], slip_m=a["slip"],
                                    rake_deg=a["rake"], opening_m=a["opening"], names=names)
        return faults, crs, None


def _grid(alg, parameters, context, crs, extent_id, pixel_id, px=None):
    """Output grid; ``px`` (m) overrides the value of ``pixel_id`` (a pixel size in m)."""
    extent = alg.parameterAsExtent(parameters, extent_id, context, crs)
    if extent.isNull() or extent.width() <= 0 or extent.height() <= 0:
        raise GeohazardError(f"{extent_id}: an extent with a non-zero width and height is needed")
    if px is None:
        px = alg.parameterAsDouble(parameters, pixel_id, context)
    ncols = int(np.ceil(extent.width() / px))
    nrows = int(np.ceil(extent.height() / px))
    if ncols * nrows > 25_000_000:
        raise GeohazardError(f"{pixel_id}: a pixel of {px:g} m over this extent gives {nrows} x {ncols} pixels; "
                             f"use a coarser pixel")
    gt = (extent.xMinimum(), px, 0.0, extent.yMaximum(), 0.0, -px)
    return gt, nrows, ncols


class OkadaForward(_FaultSourceMixin, GeohazardAlgorithm):
    NAME = "okadaforward"
    DISPLAY_NAME = "Okada forward model (fault slip to displacement)"
    GROUP_ID = "faults"
    HELP = (
        "Surface displacement of rectangular dislocations in an elastic half-space (Okada 1985/1992) on a "
        "regular grid: east, north, up and line-of-sight (LOS) bands, in mm.\n\n" + COMMON_SOURCE_HELP +
        "<b>Extent</b>, <b>pixel size</b> (m): the output grid, in the faults' CRS.\n"
        "<b>Incidence</b>, <b>heading</b> (degrees): LOS geometry (heading clockwise from north, right-looking "
        "sensor); LOS is positive toward the satellite.\n\n"
        "<b>Output</b>: 4-band GeoTIFF (east, north, up, LOS; mm). Points on a fault edge that reaches the "
        "surface are singular and left as nodata. The tool reports M0 and Mw (mu = 3.2e10 Pa).\n"
        "Reference: Okada Y. (1992) BSSA 82(2) 1018-1040, doi:10.1785/BSSA0820021018."
    ) + DASK_HELP
    EXTENT = "EXTENT"
    PIXEL_SIZE = "PIXEL_SIZE"
    INCIDENCE = "INCIDENCE"
    HEADING = "HEADING"
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):
        self.add_source_parameters()
        self.addParameter(QgsProcessingParameterExtent(self.EXTENT, self.tr("Output extent")))
        self.addParameter(QgsProcessingParameterNumber(
            self.PIXEL_SIZE, self.tr("Pixel size (m)"), QgsProcessingParameterNumber.Type.Double, 500.0, minValue=0.01))
        self.addParameter(QgsProcessingParameterNumber(
            self.INCIDENCE, self.tr("Incidence angle (degrees)"), QgsProcessingParameterNumber.Type.Double, 37.0,
            minValue=0.001, maxValue=89.999))
        self.addParameter(QgsProcessingParameterNumber(
            self.HEADING, self.tr("Satellite heading (degrees from north)"), QgsProcessingParameterNumber.Type.Double,
            -12.0, minValue=-360.0, maxValue=360.0))
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, self.tr("Displacement (mm)")))

        add_dask_parameter(self)
    def checkParameterValues(self, parameters, context):
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        return self.check_sources(parameters, context)

    def process(self, parameters, context, feedback):
        faults, crs, cin = self.read_sources(parameters, context)
        poisson = cin.poisson if cin is not None else self.parameterAsDouble(parameters, self.POISSON, context)
        gt, nrows, ncols = _grid(self, parameters, context, crs, self.EXTENT, self.PIXEL_SIZE)
        inc = self.parameterAsDouble(parameters, self.INCIDENCE, context)
        head = self.parameterAsDouble(parameters, self.HEADING, context)
        los_vec = np.array(los_mod.los_unit_vector(inc, head), dtype=float).reshape(3)
        out_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        func = functools.partial(okada_grid_block, geotransform=gt, table=faults.table(), poisson=poisson,
                                 los_vec=los_vec)
        plan = plan_blocks(nrows, ncols, block_rows=max(1, 200_000 // max(ncols, 1)))  # kernel temporaries per point
        with RasterWriter(out_path, width=ncols, height=nrows, geotransform=gt, crs_wkt=crs.toWkt(), count=4,
                          descriptions=["east_mm", "north_mm", "up_mm", "los_mm"]) as w, \
                executor(self, parameters, context, feedback) as ex:
            process_blocks(plan, func, lambda block, out: w.write(out["displacement"], row=block.row0),
                           executor=ex, progress=FeedbackProgress(feedback), background_write=True)
        style_raster_diverging(out_path, context=context, band=4)
        m0, mw = moment(faults)
        feedback.pushInfo(self.tr(f"{len(faults)} source planes; M0 = {m0:.4g} N m, Mw = {mw:.2f} (mu = 3.2e10 Pa)"))
        return {self.OUTPUT: out_path}


class _CoulombParams:
    DEPTHS = "DEPTHS"
    RECEIVER_STRIKE = "RECEIVER_STRIKE"
    RECEIVER_DIP = "RECEIVER_DIP"
    RECEIVER_RAKE = "RECEIVER_RAKE"
    FRICTION = "FRICTION"
    SHEAR_MODULUS = "SHEAR_MODULUS"
    UNITS = "UNITS"

    def add_coulomb_parameters(self, strike=True):
        self.addParameter(QgsProcessingParameterString(
            self.DEPTHS, self.tr("Calculation depths (km, comma separated)"), defaultValue="10"))
        if strike:
            self.addParameter(QgsProcessingParameterNumber(
                self.RECEIVER_STRIKE, self.tr("Receiver strike (degrees)"),
                QgsProcessingParameterNumber.Type.Double, 0.0,
                minValue=-360.0, maxValue=360.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.RECEIVER_DIP, self.tr("Receiver dip (degrees)"), QgsProcessingParameterNumber.Type.Double, 90.0,
            minValue=0.001, maxValue=90.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.RECEIVER_RAKE, self.tr("Receiver rake (degrees)"), QgsProcessingParameterNumber.Type.Double, 180.0,
            minValue=-360.0, maxValue=360.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.FRICTION, self.tr("Effective friction coefficient"), QgsProcessingParameterNumber.Type.Double, 0.4,
            minValue=0.0, maxValue=2.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.SHEAR_MODULUS, self.tr("Shear modulus (Pa)"), QgsProcessingParameterNumber.Type.Double, 3.2e10,
            minValue=1e6))
        self.addParameter(QgsProcessingParameterEnum(
            self.UNITS, self.tr("Stress unit"), options=[u for u, _ in UNITS], defaultValue=0))

    def depths_m(self, parameters, context):
        text = self.parameterAsString(parameters, self.DEPTHS, context)
        try:
            vals = [float(t) for t in text.replace(";", ",").split(",") if t.strip()]
        except ValueError:
            raise GeohazardError(f"{self.DEPTHS}: {text!r} is not a comma-separated list of depths in km") from None
        if not vals or any(v < 0 for v in vals):
            raise GeohazardError(f"{self.DEPTHS}: give one or more depths >= 0 km, got {text!r}")
        return [v * 1000.0 for v in vals]

    def elastic(self, parameters, context, cin):
        if cin is not None:
            return cin.shear_modulus_pa, cin.poisson
        return (self.parameterAsDouble(parameters, self.SHEAR_MODULUS, context),
                self.parameterAsDouble(parameters, self.POISSON, context))

    def material(self, parameters, context, cin, feedback):
        """(shear modulus Pa, Poisson, friction): from the Coulomb file when one is given, logged."""
        user = {self.SHEAR_MODULUS: self.parameterAsDouble(parameters, self.SHEAR_MODULUS, context),
                self.POISSON: self.parameterAsDouble(parameters, self.POISSON, context),
                self.FRICTION: self.parameterAsDouble(parameters, self.FRICTION, context)}
        if cin is None:
            feedback.pushInfo(self.tr(f"shear modulus {user[self.SHEAR_MODULUS]:.4g} Pa, Poisson "
                                      f"{user[self.POISSON]:g}, friction {user[self.FRICTION]:g} (parameters)"))
            return user[self.SHEAR_MODULUS], user[self.POISSON], user[self.FRICTION]
        from_file = {self.SHEAR_MODULUS: cin.shear_modulus_pa, self.POISSON: cin.poisson, self.FRICTION: cin.friction}
        feedback.pushInfo(self.tr(
            f"from the Coulomb file: shear modulus {cin.shear_modulus_pa:.4g} Pa (E1 = {cin.young_pa:.4g} Pa), "
            f"Poisson {cin.poisson:g} (PR1), friction {cin.friction:g} (FRIC)"))
        for key, val in from_file.items():
            given = parameters.get(key)
            if given not in (None, "") and not np.isclose(user[key], val, rtol=1e-9):
                feedback.pushWarning(self.tr(f"{key} = {user[key]:g} is not used: the Coulomb file's value {val:g} is"))
        return from_file[self.SHEAR_MODULUS], from_file[self.POISSON], from_file[self.FRICTION]


class CoulombStress(_CoulombParams, _FaultSourceMixin, GeohazardAlgorithm):
    NAME = "coulombstress"
    DISPLAY_NAME = "Coulomb stress change maps"
    GROUP_ID = "faults"
    HELP = (
        "Coulomb failure stress change (dCFS), shear and normal stress change on receiver faults, mapped at one "
        "or several depths, from source fault slip (Okada 1992 half-space).\n\n" + COMMON_SOURCE_HELP +
        "<b>Receivers</b>: a fixed strike/dip/rake (right-hand rule; rake 0 left-lateral, 90 reverse, 180 "
        "right-lateral) or, with <b>optimally oriented planes</b>, the planes best oriented for failure under "
        "the regional stress of the Coulomb file (S1..S3, compression positive). The two conjugate optimal planes "
        "have the same dCFS (King et al. 1994), so the shear and normal bands are those of the plane picked by a "
        "fixed rule: the larger dCFS when the two differ by more than 1e-6 of it, else the gentler dip, then the "
        "smaller dip-direction azimuth (0-360), two vertical planes the smaller strike (0-180).\n"
        "<b>Depths</b>: km, comma separated. <b>Friction</b>: effective mu'. <b>Stress unit</b>: bar, MPa or kPa.\n"
        "<b>Extent</b> (map coordinates) and <b>pixel size</b> (km): the output grid, in the faults' CRS.\n"
        + COULOMB_UNITS_HELP.format(pixel=", PIXEL_SIZE_KM", pixel_old=", PIXEL_SIZE") + "\n"
        "<b>Output</b>: GeoTIFF with 3 bands per depth: dCFS, shear (positive in the rake direction), normal "
        "(positive = unclamping); dCFS = shear + mu' normal; bands named by depth in km (dcfs_bar_5km, "
        "shear_bar_5km, normal_bar_5km). Points on a source edge are nodata.\n"
        "References: King G., Stein R., Lin J. (1994) BSSA 84(3) 935-953, doi:10.1785/BSSA0840030935; "
        "Toda et al. (2011) Coulomb 3.3, USGS OFR 2011-1060, doi:10.3133/ofr20111060."
    ) + DASK_HELP
    OPTIMAL = "OPTIMAL"
    EXTENT = "EXTENT"
    PIXEL_SIZE_KM = "PIXEL_SIZE_KM"
    OUTPUT = "OUTPUT"
    DEPTH_UNIT = "km"

    def initAlgorithm(self, config=None):
        self.add_source_parameters()
        self.add_coulomb_parameters()
        self.addParameter(QgsProcessingParameterBoolean(
            self.OPTIMAL, self.tr("Optimally oriented planes (needs the regional stress of a Coulomb file)"),
            defaultValue=False))
        self.addParameter(QgsProcessingParameterExtent(self.EXTENT, self.tr("Output extent")))
        self.addParameter(km_parameter(self, self.PIXEL_SIZE_KM, "Pixel size", 1.0, minimum=0.001))
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, self.tr("Coulomb stress change")))

        add_dask_parameter(self)
    def checkParameterValues(self, parameters, context):
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        ok, msg = self.check_sources(parameters, context)
        if not ok:
            return ok, msg
        if self.parameterAsBool(parameters, self.OPTIMAL, context) and not parameters.get(self.COULOMB_INP):
            return False, self.tr("OPTIMAL needs a regional stress: give it through COULOMB_INP (S1..S3 lines).")
        return True, ""

    def process(self, parameters, context, feedback):
        faults, crs, cin = self.read_sources(parameters, context)
        mu, nu, friction = self.material(parameters, context, cin, feedback)
        depths = self.depths_m(parameters, context)
        unit, scale = UNITS[self.parameterAsEnum(parameters, self.UNITS, context)]
        optimal = self.parameterAsBool(parameters, self.OPTIMAL, context)
        regional = regional_stress_tensor(cin.regional) if (optimal and cin is not None) else None
        rec = {} if optimal else {
            "strike_deg": self.parameterAsDouble(parameters, self.RECEIVER_STRIKE, context),
            "dip_deg": self.parameterAsDouble(parameters, self.RECEIVER_DIP, context),
            "rake_deg": self.parameterAsDouble(parameters, self.RECEIVER_RAKE, context)}
        px_m = 1000.0 * self.parameterAsDouble(parameters, self.PIXEL_SIZE_KM, context)
        gt, nrows, ncols = _grid(self, parameters, context, crs, self.EXTENT,
                                 params.id_given(self, parameters, self.PIXEL_SIZE_KM), px=px_m)
        out_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        desc = [f"{k}_{unit}_{d / 1000.0:g}km" for d in depths for k in ("dcfs", "shear", "normal")]
        func = functools.partial(coulomb_grid_block, geotransform=gt, table=faults.table(), depths_m=depths,
                                 regional=regional, shear_modulus_pa=mu, poisson=nu, friction=friction, receiver=rec,
                                 scale_pa=scale)
        plan = plan_blocks(nrows, ncols, block_rows=max(1, 50_000 // max(ncols, 1)))  # kernel temporaries per point
        with RasterWriter(out_path, width=ncols, height=nrows, geotransform=gt, crs_wkt=crs.toWkt(),
                          count=len(desc), descriptions=desc) as w, executor(self, parameters, context, feedback) as ex:
            process_blocks(plan, func, lambda block, out: w.write(out["stress"], row=block.row0),
                           executor=ex, progress=FeedbackProgress(feedback), background_write=True)
        style_raster_diverging(out_path, context=context, band=1, invert=True)
        return {self.OUTPUT: out_path}


class CoulombOnFaults(_CoulombParams, _FaultSourceMixin, GeohazardAlgorithm):
    NAME = "coulombonfaults"
    DISPLAY_NAME = "Coulomb stress change on mapped faults"
    GROUP_ID = "faults"
    HELP = (
        "Coulomb failure stress change resolved on every segment of a receiver fault inventory.\n\n"
        + COMMON_SOURCE_HELP +
        "<b>Receiver faults</b>: a line layer (same projected CRS family); strike comes from each segment's "
        "direction (fault dipping to the right), dip and rake from the fields dip_deg / rake_deg when present, "
        "else the default receiver dip and rake. With fields top_m / bottom_m (as written by "
        "importcoulombinput) the line is the receiver's top edge at depth top_m (Coulomb's convention); without "
        "them it is the surface trace (top 0 m).\n"
        "<b>Depths</b> (km, or <i>mid</i> for each receiver's mid-depth, Coulomb's element centre): stress is "
        "computed where each segment's plane reaches that depth, below the segment midpoint and (depth - "
        "top_m) / tan(dip) down-dip. A depth outside a receiver's top_m..bottom_m is computed on the plane's "
        "extension and the receivers concerned are named in a warning.\n"
        "<b>Elastic constants and friction</b>: with COULOMB_INP, its shear modulus (E1, PR1), Poisson's ratio "
        "and friction (FRIC) are used, and the log says so; otherwise the parameters.\n"
        + COULOMB_UNITS_HELP.format(pixel="", pixel_old="") + "\n"
        "<b>Output</b>: the receiver segments with fields strike_deg, dip_deg, rake_deg, top_m, bottom_m and, per "
        "depth, named by the depth in km (5 km: dcfs_5km, shear_5km, normal_5km; 7.5 km: dcfs_7p5km; mid: "
        "dcfs_mid; normal positive = unclamping) in the chosen unit on the given "
        "rake, and opt_rake_5km / opt_dcfs_5km: the rake of the largest resolved shear on the fixed plane "
        "(Coulomb's optimum rake on a specified fault) and dCFS on it; styled red above +0.1 bar and blue below "
        "-0.1 bar.\n"
        "Reference: King G., Stein R., Lin J. (1994) BSSA 84(3) 935-953, doi:10.1785/BSSA0840030935."
    )
    RECEIVERS = "RECEIVERS"
    OUTPUT = "OUTPUT"
    DEPTH_UNIT = "km"

    def initAlgorithm(self, config=None):
        self.add_source_parameters()
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.RECEIVERS, self.tr("Receiver faults (line layer)"), [QgsProcessing.SourceType.TypeVectorLine]))
        self.add_coulomb_parameters(strike=False)
        self.addParameter(QgsProcessingParameterVectorDestination(
            self.OUTPUT, self.tr("Receivers with Coulomb stress"), QgsProcessing.SourceType.TypeVectorLine))

    def checkParameterValues(self, parameters, context):
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        return self.check_sources(parameters, context)

    def receiver_depths(self, parameters, context):
        """DEPTHS as a list of metres, ``None`` standing for each receiver's mid-depth ("mid")."""
        text = self.parameterAsString(parameters, self.DEPTHS, context)
        out = []
        for tok in (t.strip() for t in text.replace(";", ",").split(",")):
            if not tok:
                continue
            if tok.lower() in ("mid", "centre", "center"):
                out.append(None)
                continue
            try:
                v = float(tok)
            except ValueError:
                raise GeohazardError(f"{self.DEPTHS}: {text!r} is not a comma-separated list of depths in km "
                                     f"(or 'mid')") from None
            if not np.isfinite(v) or v < 0:
                raise GeohazardError(f"{self.DEPTHS}: give depths >= 0 km (or 'mid'), got {text!r}")
            out.append(v * 1000.0)
        if not out:
            raise GeohazardError(f"{self.DEPTHS}: give one or more depths >= 0 km (or 'mid'), got {text!r}")
        return out

    def process(self, parameters, context, feedback):
        faults, crs, cin = self.read_sources(parameters, context)
        mu, nu, friction = self.material(parameters, context, cin, feedback)
        depths = self.receiver_depths(parameters, context)
        unit, scale = UNITS[self.parameterAsEnum(parameters, self.UNITS, context)]
        receivers = self.parameterAsSource(parameters, self.RECEIVERS, context)
        # top/bottom: NaN when the layer has no such field (the line is then a surface trace of unknown extent)
        defaults = {"dip": self.parameterAsDouble(parameters, self.RECEIVER_DIP, context), "top": np.nan,
                    "bottom": np.nan, "slip": 0.0, "opening": 0.0,
                    "rake": self.parameterAsDouble(parameters, self.RECEIVER_RAKE, context)}
        traces, a, names, _ = read_fault_lines(receivers, name=self.RECEIVERS, defaults=defaults, dest_crs=crs,
                                               context=context)
        progress = FeedbackProgress(feedback)
        seg = split_receivers(traces, a, names, name=self.RECEIVERS, progress=progress)
        fields = {**seg.fields(), **coulomb_on_receivers(
            seg, depths, faults.table(), shear_modulus_pa=mu, poisson=nu, friction=friction, scale_pa=scale,
            depths_name=self.DEPTHS, progress=progress)}
        out_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        write_vector(out_path, fields, crs_wkt=crs.toWkt(), wkb=segment_wkb(seg.p0, seg.p1),
                     geometry_type=ogr.wkbLineString)
        style_lines_dcfs(out_path, f"dcfs_{depth_tag(depths[0])}", 0.1 * 1e5 / scale, context)
        return {self.OUTPUT: out_path}


class ImportCoulombInput(GeohazardAlgorithm):
    NAME = "importcoulombinput"
    DISPLAY_NAME = "Import Coulomb 3 input file (.inp)"
    GROUP_ID = "faults"
    HELP = (
        "Reads a Coulomb 3.x input file and writes its faults as line layers (top edges, start -> finish, the "
        "fault dipping to the right), so Coulomb users can use them in the other fault tools.\n\n"
        "<b>Input</b>: .inp file (Kode 100 slip, 200/300 opening, 400 point sources; Kode 500 is refused).\n"
        "<b>CRS</b> and <b>origin</b>: the file's local km frame (x east, y north) is placed at ORIGIN_EAST, "
        "ORIGIN_NORTH (m) in this projected CRS.\n\n"
        "<b>Outputs</b>: sources (faults with slip) and receivers (faults without), with fields name, kode, "
        "dip_deg, top_m, bottom_m, slip_m, rake_deg, strike_slip_m (left-lateral +), dip_slip_m (reverse +), "
        "opening_m, right_lat_m (Coulomb's sign) and reverse_m. Elastic constants, friction and the regional "
        "stress are reported in the log.\n"
        "Reference: Toda et al. (2011) Coulomb 3.3, USGS OFR 2011-1060, doi:10.3133/ofr20111060."
    )
    INPUT = "INPUT"
    CRS = "CRS"
    ORIGIN_EAST = "ORIGIN_EAST"
    ORIGIN_NORTH = "ORIGIN_NORTH"
    OUTPUT_SOURCES = "OUTPUT_SOURCES"
    OUTPUT_RECEIVERS = "OUTPUT_RECEIVERS"

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFile(self.INPUT, self.tr("Coulomb input file"), extension="inp"))
        self.addParameter(QgsProcessingParameterCrs(self.CRS, self.tr("Projected CRS of the output"), "EPSG:32610"))
        self.addParameter(QgsProcessingParameterNumber(
            self.ORIGIN_EAST, self.tr("Frame origin, easting (map coordinate, m)"),
            QgsProcessingParameterNumber.Type.Double, 0.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.ORIGIN_NORTH, self.tr("Frame origin, northing (map coordinate, m)"),
            QgsProcessingParameterNumber.Type.Double, 0.0))
        self.addParameter(QgsProcessingParameterVectorDestination(
            self.OUTPUT_SOURCES, self.tr("Source faults"), QgsProcessing.SourceType.TypeVectorLine))
        self.addParameter(QgsProcessingParameterVectorDestination(
            self.OUTPUT_RECEIVERS, self.tr("Receiver faults"), QgsProcessing.SourceType.TypeVectorLine, optional=True))

    def process(self, parameters, context, feedback):
        crs = self.parameterAsCrs(parameters, self.CRS, context)
        require_projected_crs(crs, self.CRS)
        cin = read_coulomb_inp(self.parameterAsFile(parameters, self.INPUT, context))
        e0 = self.parameterAsDouble(parameters, self.ORIGIN_EAST, context)
        n0 = self.parameterAsDouble(parameters, self.ORIGIN_NORTH, context)
        feedback.pushInfo(self.tr(
            f"Poisson {cin.poisson}, Young {cin.young_pa:.4g} Pa (shear modulus {cin.shear_modulus_pa:.4g} Pa), "
            f"friction {cin.friction}, calculation depth {cin.calc_depth_m / 1000.0:g} km (use it in DEPTHS), "
            f"regional stress (azimuth, plunge, Pa, compression +) {cin.regional}"))
        results = {}
        for key, mask in ((self.OUTPUT_SOURCES, cin.is_source), (self.OUTPUT_RECEIVERS, ~cin.is_source)):
            if not parameters.get(key) and key == self.OUTPUT_RECEIVERS:
                continue
            points = mask & (cin.faults.kind == KIND_POINT)
            if points.any():
                feedback.pushWarning(self.tr(f"{int(points.sum())} Kode 400 point source(s) are not written as lines; "
                                             f"use the .inp file directly in the fault tools (COULOMB_INP)"))
            mask = mask & ~points
            f = cin.faults.subset(mask)
            out = self.parameterAsOutputLayer(parameters, key, context)
            write_vector(out, fault_fields(f, cin.kode[mask]), crs_wkt=crs.toWkt(), wkb=trace_wkb(f, e0, n0),
                         geometry_type=ogr.wkbLineString)
            results[key] = out
            if key == self.OUTPUT_SOURCES and len(f):
                m0, mw = moment(f, shear_modulus_pa=cin.shear_modulus_pa)
                feedback.pushInfo(self.tr(f"{len(f)} sources: M0 = {m0:.4g} N m, Mw = {mw:.2f}"))
        return results


class SlipInversion(GeohazardAlgorithm):
    OVERLAP = (("LOS_ASC", "LOS_DESC"), ("LOS_ASC", "FAULT", 1.0))
    NAME = "slipinversion"
    DISPLAY_NAME = "Slip inversion from InSAR (distributed slip)"
    GROUP_ID = "faults"
    HELP = (
        "Distributed slip on a fault from one or two LOS displacement maps (ascending and/or descending) in an "
        "elastic half-space (Okada 1992).\n\n"
        "<b>LOS rasters</b>: coseismic LOS displacement in mm, positive toward the satellite, projected CRS "
        "in metres; each with its incidence and heading (degrees; heading clockwise from north, right-looking).\n"
        "<b>Fault trace</b>: line layer (top edge, fault dipping to the right); <b>dip</b>, <b>top</b> and "
        "<b>bottom depth</b> (m); <b>patch length/width</b> (m) define the patches.\n"
        "<b>Rake range</b>: slip is the non-negative sum of the two bounding rakes (range <= 180 degrees), "
        "so every patch's rake stays inside it. <b>Smoothing</b>: Laplacian weight; 0 = automatic choice "
        "at the corner of the L-curve (PNG output). <b>Ramp</b>: a plane per dataset is estimated with the slip.\n"
        "<b>Quadtree</b>: cells are split while their standard deviation exceeds the threshold (mm).\n"
        "<b>Dip grid search</b> ('min,max,step'): the inversion is run for each dip with the smoothing chosen at "
        "DIP (or given), the dip with the smallest RMS is kept and reported.\n\n"
        "<b>Outputs</b>: slip patches (polygons: strike_slip_m left-lateral +, dip_slip_m reverse +, slip_m, "
        "rake_deg, depth_m), quadtree samples (points: los_mm, model_mm, residual_mm, dataset), model and "
        "residual rasters on the grid of the first LOS raster (mm), the L-curve PNG, and M0 (N m), Mw, RMS "
        "(mm) and variance reduction.\n"
        "References: Jonsson et al. (2002) BSSA 92(4), doi:10.1785/0120000922; Okada (1992), "
        "doi:10.1785/BSSA0820021018."
    )
    LOS_ASC, LOS_DESC = "LOS_ASC", "LOS_DESC"
    FAULT = "FAULT"
    DIP = "DIP"
    TOP_DEPTH = "TOP_DEPTH"
    BOTTOM_DEPTH = "BOTTOM_DEPTH"
    PATCH_LENGTH = "PATCH_LENGTH"
    PATCH_WIDTH = "PATCH_WIDTH"
    RAKE_MIN = "RAKE_MIN"
    RAKE_MAX = "RAKE_MAX"
    SMOOTHING = "SMOOTHING"
    QUADTREE_STD = "QUADTREE_STD"
    RAMP = "RAMP"
    DIP_SEARCH = "DIP_SEARCH"
    SHEAR_MODULUS = "SHEAR_MODULUS"
    POISSON = "POISSON"
    OUTPUT_PATCHES = "OUTPUT_PATCHES"
    OUTPUT_SAMPLES = "OUTPUT_SAMPLES"
    OUTPUT_MODEL = "OUTPUT_MODEL"
    OUTPUT_RESIDUAL = "OUTPUT_RESIDUAL"
    OUTPUT_LCURVE = "OUTPUT_LCURVE"

    def initAlgorithm(self, config=None):
        from qgis.core import QgsProcessingParameterFileDestination

        num = QgsProcessingParameterNumber.Type.Double
        params.add_los_pair(self)
        self.addParameter(QgsProcessingParameterFeatureSource(self.FAULT, self.tr("Fault trace (line layer)"),
                                                              [QgsProcessing.SourceType.TypeVectorLine]))
        for pid, label, default, lo, hi in (
                (self.DIP, "Dip (degrees)", 60.0, 0.001, 90.0),
                (self.TOP_DEPTH, "Top depth (m)", 0.0, 0.0, 1e6),
                (self.BOTTOM_DEPTH, "Bottom depth (m)", 15000.0, 1.0, 1e6),
                (self.PATCH_LENGTH, "Patch length along strike (m)", 2000.0, 10.0, 1e6),
                (self.PATCH_WIDTH, "Patch width down dip (m)", 2000.0, 10.0, 1e6),
                (self.RAKE_MIN, "Minimum rake (degrees)", 0.0, -360.0, 360.0),
                (self.RAKE_MAX, "Maximum rake (degrees)", 180.0, -360.0, 360.0),
                (self.SMOOTHING, "Smoothing weight (0 = L-curve corner)", 0.0, 0.0, 1e6),
                (self.QUADTREE_STD, "Quadtree split threshold (mm)", 5.0, 0.001, 1e6),
                (self.SHEAR_MODULUS, "Shear modulus (Pa)", 3.2e10, 1e6, 1e13),
                (self.POISSON, "Poisson's ratio", 0.25, 0.0, 0.499)):
            self.addParameter(QgsProcessingParameterNumber(pid, self.tr(label), num, default, minValue=lo,
                                                           maxValue=hi))
        self.addParameter(QgsProcessingParameterBoolean(self.RAMP, self.tr("Estimate a ramp per dataset"), True))
        self.addParameter(QgsProcessingParameterString(
            self.DIP_SEARCH, self.tr("Dip grid search 'min,max,step' in degrees (empty = use DIP)"), optional=True))
        self.addParameter(QgsProcessingParameterVectorDestination(self.OUTPUT_PATCHES, self.tr("Slip patches"),
                                                                  QgsProcessing.SourceType.TypeVectorPolygon))
        self.addParameter(QgsProcessingParameterVectorDestination(
            self.OUTPUT_SAMPLES, self.tr("Quadtree samples"), QgsProcessing.SourceType.TypeVectorPoint, optional=True))
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT_MODEL, self.tr("Model LOS (mm)"),
                                                                  optional=True))
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT_RESIDUAL, self.tr("Residual LOS (mm)"),
                                                                  optional=True))
        self.addParameter(QgsProcessingParameterFileDestination(self.OUTPUT_LCURVE, self.tr("L-curve"),
                                                                "PNG files (*.png)", optional=True))
        from qgis.core import QgsProcessingOutputNumber

        for oid, label in (("M0", "Seismic moment (N m)"), ("MW", "Moment magnitude"), ("RMS_MM", "RMS (mm)"),
                           ("VARIANCE_REDUCTION", "Variance reduction (0-1)")):
            self.addOutput(QgsProcessingOutputNumber(oid, self.tr(label)))

    def checkParameterValues(self, parameters, context):
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        if self.parameterAsDouble(parameters, self.BOTTOM_DEPTH, context) <= self.parameterAsDouble(
                parameters, self.TOP_DEPTH, context):
            return False, self.tr("BOTTOM_DEPTH must be deeper than TOP_DEPTH.")
        span = (self.parameterAsDouble(parameters, self.RAKE_MAX, context)
                - self.parameterAsDouble(parameters, self.RAKE_MIN, context))
        if not 0 < span <= 180:
            return False, self.tr(f"RAKE_MAX - RAKE_MIN must be in (0, 180] degrees, got {span:g}.")
        return True, ""

    def _dips(self, parameters, context):
        """The dips of DIP_SEARCH 'min,max,step' (None when empty: invert at DIP)."""
        text = self.parameterAsString(parameters, self.DIP_SEARCH, context).strip()
        if not text:
            return None
        try:
            d0, d1, step = (float(t) for t in text.split(","))
        except ValueError:
            raise GeohazardError(f"{self.DIP_SEARCH}: expected 'min,max,step', got {text!r}") from None
        if step <= 0 or d1 < d0:
            raise GeohazardError(f"{self.DIP_SEARCH}: need min <= max and step > 0, got {text!r}")
        return np.arange(d0, d1 + 1e-9, step)

    #: Largest problem solved: patches, and bytes of the dense Green's functions (2 slip components per patch).
    MAX_PATCHES = 20_000
    MAX_GREENS_BYTES = 4e9

    def _check_size(self, faults, patch_length_m, patch_width_m, n_samples, dips) -> None:
        """Refuse, before any work, a discretisation too fine for the memory it needs (counted per fault as
        the inversion cuts it: whole patches along strike and down dip; the gentlest dip of a search)."""
        dip = np.radians(np.full(len(faults.length_m), float(np.min(dips))) if dips is not None else faults.dip_deg)
        width = (faults.bottom_m - faults.top_m) / np.maximum(np.sin(dip), 1e-6)
        n = int(np.sum(np.maximum(1, np.ceil(faults.length_m / patch_length_m - 1e-9))
                       * np.maximum(1, np.ceil(width / patch_width_m - 1e-9))))
        need = 2.0 * n * max(n_samples, 1) * 8.0
        if n > self.MAX_PATCHES or need > self.MAX_GREENS_BYTES:
            raise GeohazardError(
                f"PATCH_LENGTH {patch_length_m:g} m x PATCH_WIDTH {patch_width_m:g} m cut the fault into about {n:,} "
                f"patches; with {n_samples:,} samples their Green's functions need {need / 1e9:.1f} GB (at most "
                f"{self.MAX_PATCHES:,} patches and {self.MAX_GREENS_BYTES / 1e9:g} GB): use larger patches, a shorter "
                "fault or fewer samples (a larger QUADTREE_STD)")

    def _faults(self, parameters, context, crs):
        # this tool's depths are in m (it does not inherit the km source-fault mixin)
        defaults = {"dip": self.parameterAsDouble(parameters, self.DIP, context), "slip": 0.0, "rake": 0.0,
                    "top": self.parameterAsDouble(parameters, self.TOP_DEPTH, context), "opening": 0.0,
                    "bottom": self.parameterAsDouble(parameters, self.BOTTOM_DEPTH, context)}
        traces, _, names, _ = read_fault_lines(self.parameterAsSource(parameters, self.FAULT, context),
                                               name=self.FAULT, defaults=defaults, dest_crs=crs, context=context)
        return faults_from_traces(traces, dip_deg=defaults["dip"], top_m=defaults["top"],
                                  bottom_m=defaults["bottom"], names=names)

    def process(self, parameters, context, feedback):
        datasets = read_los_datasets(self, parameters, context, self.QUADTREE_STD)
        crs = QgsCoordinateReferenceSystem(datasets[0][0].crs_wkt)
        samples = concat_samples([d[5] for d in datasets])
        feedback.pushInfo(f"{samples.east_m.size} quadtree samples from {len(datasets)} dataset(s)")
        opts = dict(rake_range_deg=(self.parameterAsDouble(parameters, self.RAKE_MIN, context),
                                    self.parameterAsDouble(parameters, self.RAKE_MAX, context)),
                    ramp=self.parameterAsBool(parameters, self.RAMP, context),
                    poisson=self.parameterAsDouble(parameters, self.POISSON, context))
        faults = self._faults(parameters, context, crs)
        plen = self.parameterAsDouble(parameters, self.PATCH_LENGTH, context)
        pwid = self.parameterAsDouble(parameters, self.PATCH_WIDTH, context)
        self._check_size(faults, plen, pwid, samples.east_m.size, self._dips(parameters, context))
        res, patches, index, dip_table = invert_fault_slip(
            samples, faults, **opts, patch_length_m=plen, patch_width_m=pwid,
            smoothing=self.parameterAsDouble(parameters, self.SMOOTHING, context),
            shear_modulus_pa=self.parameterAsDouble(parameters, self.SHEAR_MODULUS, context),
            dips_deg=self._dips(parameters, context), progress=FeedbackProgress(feedback, 0, 95))
        feedback.pushInfo(f"{len(patches)} patches")
        if dip_table is not None:
            for dip, rms, mw in dip_table:
                feedback.pushInfo(f"dip {dip:g}: RMS {rms:.3f} mm, Mw {mw:.3f}")
            feedback.pushInfo(f"best dip {dip_table[np.argmin(dip_table[:, 1]), 0]:g} degrees")
        feedback.pushInfo(f"M0 = {res.m0_nm:.4g} N m, Mw = {res.mw:.3f}, RMS = {res.rms_mm:.2f} mm, variance "
                          f"reduction = {100 * res.variance_reduction:.1f} %, smoothing = {res.smoothing:.4g}")
        results = {"M0": res.m0_nm, "MW": res.mw, "RMS_MM": res.rms_mm, "VARIANCE_REDUCTION": res.variance_reduction}
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT_PATCHES, context)
        write_vector(out, patch_fields(res.patches, index), crs_wkt=crs.toWkt(), wkb=patch_wkb(res.patches),
                     geometry_type=ogr.wkbPolygon)
        results[self.OUTPUT_PATCHES] = out
        if parameters.get(self.OUTPUT_SAMPLES):
            results[self.OUTPUT_SAMPLES] = self.parameterAsOutputLayer(parameters, self.OUTPUT_SAMPLES, context)
            write_vector(results[self.OUTPUT_SAMPLES], sample_fields(samples, res.model_mm), crs_wkt=crs.toWkt(),
                         x=samples.east_m, y=samples.north_m)
        info, los, xx, yy, lv, _ = datasets[0]
        if parameters.get(self.OUTPUT_MODEL) or parameters.get(self.OUTPUT_RESIDUAL):
            model = model_on_grid(res, samples, patches, los, xx, yy, lv, **opts)
            for key, arr in ((self.OUTPUT_MODEL, model), (self.OUTPUT_RESIDUAL, los - model)):
                if parameters.get(key):
                    results[key] = write_raster(self.parameterAsOutputLayer(parameters, key, context), arr, info,
                                                descriptions=[key.lower()])
                    style_raster_diverging(results[key], context=context)
        if parameters.get(self.OUTPUT_LCURVE):
            path = self.parameterAsFileOutput(parameters, self.OUTPUT_LCURVE, context)
            if res.lcurve.size:
                results[self.OUTPUT_LCURVE] = plot_lcurve(res, path)
            else:
                feedback.pushInfo("Fixed smoothing: no L-curve computed")
        return results


def _range(alg, parameters, pid, context):
    text = alg.parameterAsString(parameters, pid, context)
    try:
        lo, hi = (float(t) for t in text.replace(";", ",").split(","))
    except ValueError:
        raise GeohazardError(f"{pid}: expected 'min,max', got {text!r}") from None
    if hi < lo:
        raise GeohazardError(f"{pid}: min must not exceed max, got {text!r}")
    return lo, hi


class UniformSlipInversion(GeohazardAlgorithm):
    OVERLAP = (("LOS_ASC", "LOS_DESC"),)
    NAME = "uniformslipinversion"
    DISPLAY_NAME = "Uniform-slip fault inversion from InSAR (global search)"
    GROUP_ID = "faults"
    HELP = (
        "Finds the single rectangular fault with uniform slip that best explains one or two LOS maps, by a "
        "global search (differential evolution) over location, strike, dip, top depth, length and width "
        "within bounds; for each trial geometry the slip (within the rake range) and a ramp per dataset are the "
        "bounded least-squares solution. Uncertainties: the search is repeated on data perturbed with "
        "Gaussian noise of the best fit's RMS (Monte Carlo).\n\n"
        "<b>LOS rasters</b>: mm, positive toward the satellite, projected CRS (metres), each with incidence and "
        "heading. <b>Ranges</b>: 'min,max'; location is the centre of the top edge (map coordinates, m); "
        "strike/dip in degrees (fault dips to the right of strike); depth, length, width in m.\n\n"
        "<b>Outputs</b>: the best fault as a line (top edge) with dip_deg, top_m, bottom_m, slip_m, rake_deg, "
        "strike_slip_m, dip_slip_m, mw (usable in okadaforward and coulombstress), and a table with one row per "
        "Monte-Carlo realisation; the log gives means and standard deviations.\n"
        "<b>Cost</b>: the search is estimated before it starts (misfit evaluations x quadtree samples); an "
        "estimate above one hour is refused with the figures, lower N_MONTE_CARLO or MAX_ITERATIONS or raise "
        "QUADTREE_STD. Progress is reported per optimiser generation and Cancel stops the search.\n"
        "References: Storn & Price (1997) doi:10.1023/A:1008202821328; Okada (1992) doi:10.1785/BSSA0820021018."
    )
    RANGES = (("EAST_RANGE", "Top-edge centre easting range (m)"),
              ("NORTH_RANGE", "Top-edge centre northing range (m)"),
              ("STRIKE_RANGE", "Strike range (degrees)"), ("DIP_RANGE", "Dip range (degrees)"),
              ("TOP_RANGE", "Top depth range (m)"), ("LENGTH_RANGE", "Length range (m)"),
              ("WIDTH_RANGE", "Width range (m)"))

    def initAlgorithm(self, config=None):
        params.add_los_pair(self)
        for pid, label in self.RANGES:
            default = {"STRIKE_RANGE": "0,180", "DIP_RANGE": "20,89", "TOP_RANGE": "0,10000",
                       "LENGTH_RANGE": "2000,60000", "WIDTH_RANGE": "2000,30000"}.get(pid)
            self.addParameter(QgsProcessingParameterString(pid, self.tr(label), defaultValue=default,
                                                           optional=default is None))
        num = QgsProcessingParameterNumber.Type.Double
        for pid, label, default, lo, hi in (("RAKE_MIN", "Minimum rake (degrees)", 0.0, -360.0, 360.0),
                                            ("RAKE_MAX", "Maximum rake (degrees)", 180.0, -360.0, 360.0),
                                            ("QUADTREE_STD", "Quadtree split threshold (mm)", 5.0, 0.001, 1e6),
                                            ("SHEAR_MODULUS", "Shear modulus (Pa)", 3.2e10, 1e6, 1e13),
                                            ("POISSON", "Poisson's ratio", 0.25, 0.0, 0.499)):
            self.addParameter(QgsProcessingParameterNumber(pid, self.tr(label), num, default, minValue=lo,
                                                           maxValue=hi))
        self.addParameter(QgsProcessingParameterNumber("N_MONTE_CARLO", self.tr("Monte-Carlo realisations"),
                                                       QgsProcessingParameterNumber.Type.Integer, 20, minValue=0,
                                                       maxValue=1000))
        self.addParameter(QgsProcessingParameterNumber("MAX_ITERATIONS", self.tr("Optimiser generations"),
                                                       QgsProcessingParameterNumber.Type.Integer, 60, minValue=5,
                                                       maxValue=10000))
        self.addParameter(QgsProcessingParameterNumber("SEED", self.tr("Random seed"),
                                                       QgsProcessingParameterNumber.Type.Integer, 0, minValue=0))
        self.addParameter(QgsProcessingParameterVectorDestination("OUTPUT_FAULT", self.tr("Best fault"),
                                                                  QgsProcessing.SourceType.TypeVectorLine))
        self.addParameter(QgsProcessingParameterVectorDestination("OUTPUT_TABLE", self.tr("Monte-Carlo table"),
                                                                  QgsProcessing.SourceType.TypeVector, optional=True))
        from qgis.core import QgsProcessingOutputNumber

        for oid, label in (("M0", "Seismic moment (N m)"), ("MW", "Moment magnitude"), ("RMS_MM", "RMS (mm)"),
                           ("VARIANCE_REDUCTION", "Variance reduction (0-1)")):
            self.addOutput(QgsProcessingOutputNumber(oid, self.tr(label)))

    def checkParameterValues(self, parameters, context):
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        try:
            for pid, _ in self.RANGES:
                if self.parameterAsString(parameters, pid, context).strip():
                    _range(self, parameters, pid, context)
        except GeohazardError as exc:
            return False, str(exc)
        span = self.parameterAsDouble(parameters, "RAKE_MAX", context) - self.parameterAsDouble(
            parameters, "RAKE_MIN", context)
        if not 0 < span <= 180:
            return False, self.tr(f"RAKE_MAX - RAKE_MIN must be in (0, 180] degrees, got {span:g}.")
        return True, ""

    def process(self, parameters, context, feedback):
        from ..algorithms.elastic.inversion import UNIFORM_PARAMETERS, concat_samples, invert_uniform_slip

        datasets = read_los_datasets(self, parameters, context, "QUADTREE_STD")
        info = datasets[0][0]
        samples = concat_samples([d[5] for d in datasets])
        bounds = []
        for (pid, _), axis in zip(self.RANGES, range(7)):
            if not self.parameterAsString(parameters, pid, context).strip():
                if axis > 1:
                    raise GeohazardError(f"{pid} is required")
                lo, hi = (info.geotransform[0], info.geotransform[0] + info.width * info.geotransform[1]) \
                    if axis == 0 else sorted((info.geotransform[3], info.geotransform[3] + info.height
                                              * info.geotransform[5]))
            else:
                lo, hi = _range(self, parameters, pid, context)
            bounds.append((lo, hi))
        rake = (self.parameterAsDouble(parameters, "RAKE_MIN", context),
                self.parameterAsDouble(parameters, "RAKE_MAX", context))
        mu = self.parameterAsDouble(parameters, "SHEAR_MODULUS", context)
        res = invert_uniform_slip(samples, bounds, rake_range_deg=rake, shear_modulus_pa=mu,
                                  poisson=self.parameterAsDouble(parameters, "POISSON", context),
                                  n_monte_carlo=self.parameterAsInt(parameters, "N_MONTE_CARLO", context),
                                  maxiter=self.parameterAsInt(parameters, "MAX_ITERATIONS", context),
                                  seed=self.parameterAsInt(parameters, "SEED", context),
                                  progress=FeedbackProgress(feedback, 0, 95))
        f = res.fault
        crs_wkt = info.crs_wkt
        feedback.pushInfo(self.tr(f"best: {dict(zip(UNIFORM_PARAMETERS, np.round(res.params, 2)))}, slip "
                                  f"{f.slip_m[0]:.3f} m, rake {f.rake_deg[0]:.1f}, Mw {res.mw:.3f}, RMS "
                                  f"{res.rms_mm:.2f} mm"))
        names = list(UNIFORM_PARAMETERS) + ["strike_slip_m", "dip_slip_m", "slip_m", "rake_deg", "mw"]
        if len(res.realisations):
            for k, nm in enumerate(names):
                col = res.realisations[:, k]
                sd = col.std(ddof=1) if len(col) > 1 else 0.0
                feedback.pushInfo(self.tr(f"{nm}: mean {col.mean():.4g}, std {sd:.3g}"))
        out = self.parameterAsOutputLayer(parameters, "OUTPUT_FAULT", context)
        fields = fault_fields(f, np.array([100]))
        fields["mw"] = np.array([res.mw])
        write_vector(out, fields, crs_wkt=crs_wkt, wkb=trace_wkb(f, 0.0, 0.0), geometry_type=ogr.wkbLineString)
        results = {"OUTPUT_FAULT": out, "M0": res.m0_nm, "MW": res.mw, "RMS_MM": res.rms_mm,
                   "VARIANCE_REDUCTION": res.variance_reduction}
        if parameters.get("OUTPUT_TABLE") and len(res.realisations):
            tab = self.parameterAsOutputLayer(parameters, "OUTPUT_TABLE", context)
            cols = {"realisation": np.arange(1, len(res.realisations) + 1, dtype=np.int64)}
            cols.update({nm: res.realisations[:, k] for k, nm in enumerate(names)})
            write_vector(tab, cols, wkb=[None] * len(res.realisations), geometry_type=ogr.wkbNone)
            results["OUTPUT_TABLE"] = tab
        return results


ALGORITHMS = [ImportCoulombInput, OkadaForward, CoulombStress, CoulombOnFaults, SlipInversion,
              UniformSlipInversion]
