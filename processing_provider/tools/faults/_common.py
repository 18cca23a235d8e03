"""Shared helpers of the faults tools."""

from __future__ import annotations

import numpy as np
from qgis.core import (
    QgsWkbTypes,
)

from ....algorithms.errors import GeohazardError
from ...inputs import declare
from ...inputs.declare import km_parameter

#: The core modules whose numba kernels the Okada tools compile on their first run.
OKADA_KERNELS = ("elastic.okada", "elastic.okada_planes")
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

    IDS = "COULOMB_INP TOP_DEPTH_KM BOTTOM_DEPTH_KM SLIP RAKE"
    #: unit of the default depths in the dialog: "m" (okadaforward) or "km" (Coulomb tools, whose
    #: TOP_DEPTH_KM/BOTTOM_DEPTH_KM replace TOP_DEPTH/BOTTOM_DEPTH (m): their FORMER_IDS)
    DEPTH_UNIT = "m"

    def default_depths_m(self, parameters, context):
        """Default top and bottom depths of the source lines, in metres."""
        if self.DEPTH_UNIT == "m":
            return (self.parameterAsDouble(parameters, self.TOP_DEPTH, context),
                    self.parameterAsDouble(parameters, self.BOTTOM_DEPTH, context))
        return tuple(1000.0 * self.parameterAsDouble(parameters, pid, context)
                     for pid in (self.TOP_DEPTH_KM, self.BOTTOM_DEPTH_KM))

    def add_source_parameters(self):
        self.addParameter(declare.features(self.FAULTS, "Source faults (line layer, or slip patches from "
                                           "slipinversion)", ("line", "polygon"), optional=True))
        self.addParameter(declare.file(self.COULOMB_INP, "Coulomb 3 input file (.inp), instead of a layer",
                                       extension="inp", optional=True))
        self.addParameter(declare.crs(self.CRS, "CRS of the Coulomb file's frame (projected)", optional=True))
        self.addParameter(declare.number(self.ORIGIN_EAST, "Coulomb frame origin, easting (map coordinate, m)", 0.0))
        self.addParameter(declare.number(self.ORIGIN_NORTH, "Coulomb frame origin, northing (map coordinate, m)", 0.0))
        self.addParameter(declare.number(self.DIP, "Default dip (degrees)", 60.0, 0.001, 90.0))
        if self.DEPTH_UNIT == "m":
            for pid, label, default, lo in ((self.TOP_DEPTH, "Default top depth (m)", 0.0, 0.0),
                                            (self.BOTTOM_DEPTH, "Default bottom depth (m)", 15000.0, 0.001)):
                self.addParameter(declare.number(pid, label, default, lo, 1e6))
        else:
            self.addParameter(km_parameter(self, self.TOP_DEPTH_KM, "Default top depth", 0.0, minimum=0.0,
                                           maximum=1000.0))
            self.addParameter(km_parameter(self, self.BOTTOM_DEPTH_KM, "Default bottom depth", 15.0, minimum=0.001,
                                           maximum=1000.0))
        for pid, label, default, lo, hi in ((self.SLIP, "Default slip (m)", 1.0, -1e3, 1e3),
                                            (self.RAKE, "Default rake (degrees)", 0.0, -360.0, 360.0)):
            self.addParameter(declare.number(pid, label, default, lo, hi))
        self.addParameter(declare.number(self.POISSON, "Poisson's ratio", 0.25, 0.0, 0.499))

    def check(self, parameters, context):
        """Exactly one source (a layer or a Coulomb file), the Coulomb file placed in a projected CRS."""
        has_layer = bool(parameters.get(self.FAULTS))
        has_inp = bool(parameters.get(self.COULOMB_INP))
        if has_layer == has_inp:
            raise GeohazardError(self.tr("Give exactly one of FAULTS (line layer) or COULOMB_INP (.inp file)."))
        if has_inp and not self.parameterAsCrs(parameters, self.CRS, context).isValid():
            raise GeohazardError(self.tr("CRS: choose the projected CRS in which the Coulomb file's km frame is "
                                         "placed."))
        if has_inp and self.parameterAsCrs(parameters, self.CRS, context).isGeographic():
            raise GeohazardError(self.tr("CRS must be a projected CRS in metres, not a geographic one."))

    def read_sources(self, parameters, context):
        """-> (Faults, crs, coulomb input or None)."""
        from ....algorithms.elastic import coulomb_inp
        from ....algorithms.elastic.faults import faults_from_traces
        from ....io.faults import read_fault_lines, read_patch_polygons, require_projected_crs

        if parameters.get(self.COULOMB_INP):
            path = self.parameterAsFile(parameters, self.COULOMB_INP, context)
            crs = self.parameterAsCrs(parameters, self.CRS, context)
            require_projected_crs(crs, self.CRS)
            cin = coulomb_inp.read_coulomb_inp(path)
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


class _CoulombParams:
    IDS = "DEPTHS RECEIVER_STRIKE RECEIVER_DIP RECEIVER_RAKE FRICTION UNITS"

    def add_coulomb_parameters(self, strike=True):
        self.addParameter(declare.text(self.DEPTHS, "Calculation depths (km, comma separated)", "10"))
        if strike:
            self.addParameter(declare.number(self.RECEIVER_STRIKE, "Receiver strike (degrees)", 0.0, -360.0, 360.0))
        self.addParameter(declare.number(self.RECEIVER_DIP, "Receiver dip (degrees)", 90.0, 0.001, 90.0))
        self.addParameter(declare.number(self.RECEIVER_RAKE, "Receiver rake (degrees)", 180.0, -360.0, 360.0))
        self.addParameter(declare.number(self.FRICTION, "Effective friction coefficient", 0.4, 0.0, 2.0))
        self.addParameter(declare.number(self.SHEAR_MODULUS, "Shear modulus (Pa)", 3.2e10, 1e6))
        self.addParameter(declare.enum(self.UNITS, "Stress unit", [u for u, _ in UNITS]))

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
