"""Shared helpers of the faults tools."""

from __future__ import annotations

import numpy as np
from qgis.core import (
    QgsProcessingException,
    QgsProcessingOutputNumber,
)

from ....algorithms import kernel_families
from ....algorithms.errors import GeohazardError
from ....algorithms.faults import coulomb_inp, okada_cost
from ....fileio.base.vector import wkt_of
from ....fileio.faults.faults import (
    OutputGrid,
    SourceFaults,
    carried_constants,
    frame_on_earth,
    read_source_faults,
    require_projected_crs,
    trace_ends,
)
from ...inputs import compilation, declare, ids
from ...inputs.acquisition import user_number
from ...inputs.aliases import given
from ...inputs.declare import km_parameter

#: The core modules whose numba kernels the Okada tools compile on their first run.
OKADA_KERNELS = ("faults.okada", "faults.okada_planes")
UNITS = [("bar", 1e5), ("MPa", 1e6), ("kPa", 1e3)]


COMMON_SOURCE_HELP = (
    "<b>Source faults</b>: a line layer of fault traces (top edges, digitised so that the fault dips to "
    "the right), in a projected CRS in metres. Per-feature attributes are used when present: dip_deg, "
    "top_m, bottom_m (depths, m, positive down), slip_m, rake_deg (0 left-lateral, 90 reverse, 180 "
    "right-lateral, -90 normal), opening_m; otherwise the default values below. Each trace segment "
    "becomes one rectangle. The slip-patch polygons written by slipinversion are accepted too.\n"
    "<b>Coulomb input file</b> (alternative): a Coulomb 3.x .inp file; its local km frame is placed at "
    "ORIGIN_EAST/ORIGIN_NORTH (map coordinates, m) in the chosen CRS; its faults with slip are the sources. An "
    "origin with no longitude/latitude in that CRS (off the Earth) is refused naming the CRS's area of use; "
    "faults outside the area of use are used with a warning giving the origin's longitude and latitude.\n"
    "<b>Constants</b> (Poisson's ratio; for stresses the shear modulus and friction too): a value you type (not "
    "left at its default) > the Coulomb file's (PR1, E1, FRIC: from COULOMB_INP, or from the fields poisson, "
    "shear_modulus_pa, friction that importcoulombinput writes on its layers) > the default; a typed value that "
    "differs from the file's is used with a warning naming both, and the log says where each value came from.\n"
)


#: Units of the Coulomb dialogs (km for fault geometry, as Coulomb 3) and of the former IDs.
COULOMB_UNITS_HELP = (
    "<b>Units</b>: depths and lengths in km, as in Coulomb 3 (TOP_DEPTH_KM, BOTTOM_DEPTH_KM, DEPTHS{pixel}); "
    "slip in m (as Coulomb 3); frame origin as map coordinates (m). Layer fields keep their own unit "
    "(top_m, bottom_m in m). The former IDs TOP_DEPTH, BOTTOM_DEPTH{pixel_old} (m) still work in models and "
    "qgis_process and are converted.\n"
)


def map_wkt(crs) -> str:
    """``crs`` as the WKT the vector outputs carry (:func:`~....fileio.base.vector.wkt_of`)."""
    return wkt_of(crs)


def okada_estimate(works, extra_s: float = 0.0):
    """A first run's work (:class:`~..inputs.compilation.WorkEstimate`) from Okada's per-configuration cost model
    (:mod:`~....algorithms.faults.okada_cost`, ``compile_costs.json``'s ``work`` row of ``okada``): its CPU seconds
    as numpy and compiled, ``extra_s`` (work besides Okada's, the same on both paths) added to each. Without the
    row: the evaluations as :class:`~....algorithms.kernel_families.OutputWork`."""
    nbytes = int(kernel_families.OKADA_BYTES * sum(w.pairs for w in works))
    row = kernel_families.measured_costs().get("work", {}).get("okada", {})
    cost = okada_cost.okada_cost(works, row)
    if cost is None:
        return kernel_families.OutputWork(nbytes)
    return compilation.WorkEstimate(nbytes, cost[0] + extra_s, cost[1] + extra_s)


class _FaultSourceMixin:
    """Parameters and reading of source faults shared by forward and Coulomb tools."""

    COULOMB_INP = "COULOMB_INP"
    TOP_DEPTH_KM = "TOP_DEPTH_KM"
    BOTTOM_DEPTH_KM = "BOTTOM_DEPTH_KM"
    SLIP = "SLIP"
    RAKE = "RAKE"
    #: unit of the default depths in the dialog: "m" (okadaforward) or "km" (Coulomb tools, by _CoulombParams, whose
    #: TOP_DEPTH_KM/BOTTOM_DEPTH_KM replace TOP_DEPTH/BOTTOM_DEPTH (m): their FORMER_IDS)
    DEPTH_UNIT = "m"
    COMPILE_VARIANTS = ("",)  # the first run's compile of each tool measured (compile_costs.json)

    def grid_work(self, parameters, context, pixel_id, kind, px=None, depths_m=(0.0,)):
        """This run's first-run estimate (:func:`okada_estimate`) for its output grid: its pixel centres at each of
        ``depths_m`` against the distinct corners of its sources (and, near a plane, their patches), as ``kind``
        (``displacement`` or ``gradients``)."""
        def stations(crs):
            gt, nrows, ncols = _grid(self, parameters, context, crs, self.EXTENT, pixel_id, px=px)
            return np.meshgrid(gt[0] + (np.arange(ncols) + 0.5) * gt[1], gt[3] + (np.arange(nrows) + 0.5) * gt[5])

        return self.okada_work(parameters, context, stations, kind, depths_m)

    def okada_work(self, parameters, context, stations, kind, depths_m=(0.0,)):
        """:meth:`grid_work` for the stations ``stations(crs)`` (their count, or their map coordinates ``(east,
        north)``) where Okada's solution is evaluated at each of ``depths_m``; None (nothing to choose: the kernels
        are compiled, or the sources or stations cannot be read yet: the run reports that)."""
        if not compilation.pending_families(self.KERNELS):
            return None

        try:
            sources, crs, _ = self.read_sources(parameters, context)
            faults = read_source_faults(sources)  # for the estimate only: the run reads them again
            where = stations(crs)
        except (ValueError, OSError, RuntimeError, QgsProcessingException):
            return None
        points = None if isinstance(where, int) else where
        n = where if points is None else int(np.size(points[0]))
        return okada_estimate([okada_cost.okada_work(n, faults.table(), kind, evaluations=len(depths_m),
                                                     points=points, depths_m=depths_m)])

    def map_wkt(self, crs) -> str:
        return map_wkt(crs)

    def default_depths_m(self, parameters, context):
        """Default top and bottom depths of the source lines, in metres."""
        if self.DEPTH_UNIT == "m":
            return (self.parameterAsDouble(parameters, self.TOP_DEPTH, context),
                    self.parameterAsDouble(parameters, self.BOTTOM_DEPTH, context))
        return tuple(1000.0 * self.parameterAsDouble(parameters, pid, context)
                     for pid in (self.TOP_DEPTH_KM, self.BOTTOM_DEPTH_KM))

    def add_source_parameters(self):
        self.addParameter(declare.features(self.FAULTS, "Source faults (lines, or slip patches)",
                                           ("line", "polygon"), optional=True))
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

    def read_sources(self, parameters, context, feedback=None):
        """-> (source faults, crs, coulomb input or None): the sources as the run reads them
        (:class:`~....fileio.faults.faults.SourceFaults`), their projected CRS, and the Coulomb file parsed for its
        constants, its regional stress and the check that its frame, placed at the origin given, is on the Earth."""
        if parameters.get(self.COULOMB_INP):
            path = self.parameterAsFile(parameters, self.COULOMB_INP, context)
            crs = self.parameterAsCrs(parameters, self.CRS, context)
            require_projected_crs(crs, self.CRS)
            cin = coulomb_inp.read_coulomb_inp(path)
            e0 = self.parameterAsDouble(parameters, self.ORIGIN_EAST, context)
            n0 = self.parameterAsDouble(parameters, self.ORIGIN_NORTH, context)
            where = frame_on_earth(crs, (e0, n0), *trace_ends(cin.faults, e0, n0))
            if where and feedback is not None:
                feedback.pushWarning(where)
            return SourceFaults(name=self.COULOMB_INP, inp=path, origin=(e0, n0)), crs, cin
        source = self.parameterAsSource(parameters, self.FAULTS, context)
        if source is None:
            raise GeohazardError(f"{self.FAULTS}: the layer could not be loaded")
        require_projected_crs(source.sourceCrs(), self.FAULTS)
        top_m, bottom_m = self.default_depths_m(parameters, context)
        defaults = {"dip": self.parameterAsDouble(parameters, self.DIP, context), "top": top_m, "bottom": bottom_m,
                    "slip": self.parameterAsDouble(parameters, self.SLIP, context),
                    "rake": self.parameterAsDouble(parameters, self.RAKE, context), "opening": 0.0}
        return SourceFaults(name=self.FAULTS, layer=source, defaults=defaults), source.sourceCrs(), None

    #: parameter -> (field of the layers importcoulombinput writes, the Coulomb file's name for it)
    CONSTANTS = {ids.SHEAR_MODULUS: ("shear_modulus_pa", "E1 and PR1"), ids.POISSON: ("poisson", "PR1"),
                 "FRICTION": ("friction", "FRIC")}

    def resolve_constants(self, parameters, context, cin, feedback, keys) -> dict:
        """The elastic constants and friction ``keys`` (parameter IDs) of a run, by one rule: a value the user typed
        (a parameter left at its default counts as not typed) > the Coulomb file's (COULOMB_INP, or the fields
        shear_modulus_pa / poisson / friction that importcoulombinput writes on its layers, read from FAULTS and
        RECEIVERS) > the parameter's default. A typed value that contradicts the file's is a warning naming both;
        the values and where each came from are logged."""
        carried = {}  # field -> (value, where)
        if cin is not None:
            file_values = {"shear_modulus_pa": cin.shear_modulus_pa, "poisson": cin.poisson, "friction": cin.friction}
            carried = {f: (v, f"the Coulomb file COULOMB_INP ({self.CONSTANTS[k][1]})")
                       for k, (f, _) in self.CONSTANTS.items() for v in [file_values[f]]}
        else:
            for pid in (self.FAULTS, getattr(self, "RECEIVERS", None)):
                if not pid or not parameters.get(pid) or pid not in [d.name() for d in self.parameterDefinitions()]:
                    continue
                found, warnings = carried_constants(self.parameterAsSource(parameters, pid, context), pid)
                for w in warnings:
                    feedback.pushWarning(w)
                for f, v in found.items():
                    if f not in carried:
                        carried[f] = (v, f"{pid} (field {f}, the Coulomb file's value written by importcoulombinput)")
                    elif not np.isclose(carried[f][0], v, rtol=1e-9):
                        feedback.pushWarning(f"{pid} carries {f} = {v:g}, {carried[f][1].split(' (')[0]} carries "
                                             f"{carried[f][0]:g}: the latter is used")
        out, said = {}, []
        for key in keys:
            field, _ = self.CONSTANTS[key]
            typed = user_number(self, parameters, key, context)
            default = self.parameterAsDouble(parameters, key, context)
            if typed is not None:
                out[key] = typed
                said.append(f"{key} {typed:.4g} (typed)")
                if field in carried and not np.isclose(typed, carried[field][0], rtol=1e-9):
                    feedback.pushWarning(f"{key} = {typed:g} (typed) is used; {carried[field][1]} gives "
                                         f"{carried[field][0]:g}")
            elif field in carried:
                out[key] = carried[field][0]
                said.append(f"{key} {out[key]:.4g} (from {carried[field][1]})")
            else:
                out[key] = default
                said.append(f"{key} {default:.4g} (default)")
        feedback.pushInfo("; ".join(said))
        return out


RAKE_HELP = (
    "<b>Rake</b>: empty RAKE_MIN and RAKE_MAX (the default) = free rake: strike-slip and dip-slip of any sign, so "
    "a thrust, a normal, a strike-slip or an oblique event is found without stating it. Rake bounds (degrees; 0 "
    "left-lateral, 90 reverse, +-180 right-lateral, -90 normal), both given and less than 180 degrees apart, keep "
    "every rake inside them (slip >= 0 along both bounding rakes); a range of 180 degrees or more (0-180 say, whose "
    "bounding rakes are opposite and add up to strike-slip only) is refused. <b>Maximum slip</b> (MAX_SLIP, m): "
    "the largest total slip of a {where}. The log states the mechanism found: rake, faulting style (thrust, "
    "normal, strike-slip, oblique) and Mw.\n"
)


def add_rake_parameters(alg, max_slip_m: float):
    """RAKE_MIN / RAKE_MAX (optional: empty = free rake) and MAX_SLIP (m) of the slip inversions."""
    for pid, label in ((alg.RAKE_MIN, "Minimum rake (degrees; empty = free rake)"),
                       (alg.RAKE_MAX, "Maximum rake (degrees; empty = free rake)")):
        alg.addParameter(declare.number(pid, label, None, -360.0, 360.0, optional=True))
    alg.addParameter(declare.number(alg.MAX_SLIP, "Maximum total slip (m)", max_slip_m, 0.001, 1000.0))


def rake_range(alg, parameters, context):
    """``None`` (free rake: RAKE_MIN and RAKE_MAX empty) or the rake bounds ``(min, max)`` in degrees."""
    have = [given(parameters, pid) for pid in (alg.RAKE_MIN, alg.RAKE_MAX)]
    if not any(have):
        return None
    if not all(have):
        raise GeohazardError(f"{alg.RAKE_MIN} and {alg.RAKE_MAX}: give both rake bounds, or leave both empty for free "
                             "rake (strike-slip and dip-slip of any sign)")
    lo, hi = (alg.parameterAsDouble(parameters, pid, context) for pid in (alg.RAKE_MIN, alg.RAKE_MAX))
    if not 0 < hi - lo < 180:
        raise GeohazardError(
            f"{alg.RAKE_MAX} - {alg.RAKE_MIN} must be in (0, 180) degrees, got {hi:g} - {lo:g} = {hi - lo:g}: rake "
            "bounds 180 degrees or more apart cannot hold the rakes between them (0 and 180 allow only strike-slip); "
            f"leave {alg.RAKE_MIN} and {alg.RAKE_MAX} empty for free rake (any mechanism)")
    return lo, hi


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


def output_grid(alg, parameters, context, crs, extent_id, pixel_id, px=None):
    """:func:`_grid` as the grid tools' runs take it (:class:`~....fileio.faults.faults.OutputGrid`, in ``crs``)."""
    gt, nrows, ncols = _grid(alg, parameters, context, crs, extent_id, pixel_id, px=px)
    return OutputGrid(geotransform=gt, rows=nrows, cols=ncols, crs_wkt=crs.toWkt())


class _FitOutputs:
    """The numbers both slip inversions give (moment, magnitude, fit), declared and returned alike."""

    M0 = "M0"
    MW = "MW"
    RMS_MM = "RMS_MM"
    VARIANCE_REDUCTION = "VARIANCE_REDUCTION"
    #: their first run compiles the rectangle kernel of the design matrix: measured per tool (compile_costs.json)
    COMPILE_VARIANTS = ("",)

    def add_fit_outputs(self):
        for oid, label in ((self.M0, "Seismic moment (N m)"), (self.MW, "Moment magnitude"), (self.RMS_MM, "RMS (mm)"),
                           (self.VARIANCE_REDUCTION, "Variance reduction (0-1)")):
            self.addOutput(QgsProcessingOutputNumber(oid, self.tr(label)))


class _CoulombParams:
    """Receiver planes, friction and stress unit of the Coulomb tools, their depths in km."""

    DEPTHS = "DEPTHS"
    RECEIVER_STRIKE = "RECEIVER_STRIKE"
    RECEIVER_DIP = "RECEIVER_DIP"
    RECEIVER_RAKE = "RECEIVER_RAKE"
    FRICTION = "FRICTION"
    UNITS = "UNITS"
    DEPTH_UNIT = "km"

    def add_coulomb_parameters(self, strike=True):
        self.addParameter(declare.text(self.DEPTHS, "Calculation depths (km, comma separated)", "10"))
        if strike:
            self.addParameter(declare.number(self.RECEIVER_STRIKE, "Receiver strike (degrees)", 0.0, -360.0, 360.0))
        self.addParameter(declare.number(self.RECEIVER_DIP, "Receiver dip (degrees)", 90.0, 0.001, 90.0))
        self.addParameter(declare.number(self.RECEIVER_RAKE, "Receiver rake (degrees)", 180.0, -360.0, 360.0))
        self.addParameter(declare.number(self.FRICTION, "Effective friction coefficient", 0.4, 0.0, 2.0))
        # an upper bound, as the slip inversions': without one QGIS's dialogs cap the field at 999,999,999, and the
        # default 3.2e10 Pa became 1e9 Pa (stresses 32 times too small) in the toolbox and the modeler
        self.addParameter(declare.number(self.SHEAR_MODULUS, "Shear modulus (Pa)", 3.2e10, 1e6, 1e13))
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

    def material(self, parameters, context, cin, feedback):
        """(shear modulus Pa, Poisson, friction): typed > the Coulomb file's (COULOMB_INP or the fields of the
        layers importcoulombinput writes) > default, logged (:meth:`_FaultSourceMixin.resolve_constants`)."""
        if cin is not None:
            feedback.pushInfo(self.tr(
                "the Coulomb file gives: shear modulus {mu} Pa (E1 = {e1} Pa), Poisson {nu} (PR1), friction {fr} "
                "(FRIC)").format(mu=f"{cin.shear_modulus_pa:.4g}", e1=f"{cin.young_pa:.4g}", nu=f"{cin.poisson:g}",
                                 fr=f"{cin.friction:g}"))
        v = self.resolve_constants(parameters, context, cin, feedback,
                                   (self.SHEAR_MODULUS, self.POISSON, self.FRICTION))
        return v[self.SHEAR_MODULUS], v[self.POISSON], v[self.FRICTION]
