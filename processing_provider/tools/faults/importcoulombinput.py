"""``geohazard:importcoulombinput``. Import Coulomb input: a Coulomb 3.x .inp file's faults as line layers, its
elastic constants reported."""

from __future__ import annotations

from osgeo import ogr

from ....fileio.base import vector
from ...inputs import declare
from ...lazy import lazy_module
from .._base import GeohazardAlgorithm, tool

coulomb_inp = lazy_module("....algorithms.faults.coulomb_inp", __package__)
faults = lazy_module("....algorithms.faults.faults", __package__)
okada = lazy_module("....algorithms.faults.okada", __package__)


@tool("importcoulombinput", "Import Coulomb 3 input file (.inp)", tags="Coulomb,.inp,fault,import",
      main=("OUTPUT_SOURCES", "OUTPUT_RECEIVERS"), page="faults")
class ImportCoulombInput(GeohazardAlgorithm):
    OUTPUT_SOURCES = "OUTPUT_SOURCES"
    OUTPUT_RECEIVERS = "OUTPUT_RECEIVERS"
    HELP = (
        "Reads a Coulomb 3.x input file and writes its faults as line layers (top edges, start -> finish, the "
        "fault dipping to the right), so Coulomb users can use them in the other fault tools.\n\n"
        "<b>Input</b>: .inp file (Kode 100 slip, 200/300 opening, 400 point sources; Kode 500 is refused).\n"
        "<b>CRS</b> and <b>origin</b>: the file's local km frame (x east, y north) is placed at ORIGIN_EAST, "
        "ORIGIN_NORTH (m) in this projected CRS. An origin (or a fault) with no longitude/latitude in that CRS (off "
        "the Earth, e.g. 1e300 m) is refused naming the CRS's area of use; faults outside the area of use (the "
        "default origin 0, 0 of a UTM zone lies 3-4.5 degrees west of it, on the equator) are drawn with a warning "
        "giving the origin's longitude and latitude.\n\n"
        "<b>Outputs</b>: sources (faults with slip) and receivers (faults without), with fields name, kode, "
        "dip_deg, top_m, bottom_m, slip_m, rake_deg, strike_slip_m (left-lateral +), dip_slip_m (reverse +), "
        "opening_m, right_lat_m (Coulomb's sign) and reverse_m, and the file's constants on every feature: "
        "shear_modulus_pa (from E1 and PR1), poisson (PR1) and friction (FRIC). okadaforward, coulombstress and "
        "coulombonfaults given these layers use those constants unless you type another value (a typed value "
        "that differs is used, with a warning naming both); the regional stress is reported in the log.\n"
        "Reference: Toda et al. (2011) Coulomb 3.3, USGS OFR 2011-1060, doi:10.3133/ofr20111060."
    )

    def initAlgorithm(self, config=None):
        self.addParameter(declare.file(self.INPUT, "Coulomb input file", extension="inp"))
        self.addParameter(declare.crs(self.CRS, "Projected CRS of the output", "EPSG:32610"))
        self.addParameter(declare.number(self.ORIGIN_EAST, "Frame origin, easting (map coordinate, m)", 0.0))
        self.addParameter(declare.number(self.ORIGIN_NORTH, "Frame origin, northing (map coordinate, m)", 0.0))
        self.addParameter(declare.vector_out(self.OUTPUT_SOURCES, "Source faults", "line"))
        self.addParameter(declare.vector_out(self.OUTPUT_RECEIVERS, "Receiver faults", "line", optional=True))

    def process(self, parameters, context, feedback):
        from ....fileio.faults.faults import (
            constant_fields,
            fault_fields,
            frame_on_earth,
            require_projected_crs,
            trace_ends,
            trace_wkb,
        )

        crs = self.parameterAsCrs(parameters, self.CRS, context)
        require_projected_crs(crs, self.CRS)
        cin = coulomb_inp.read_coulomb_inp(self.parameterAsFile(parameters, self.INPUT, context))
        e0 = self.parameterAsDouble(parameters, self.ORIGIN_EAST, context)
        n0 = self.parameterAsDouble(parameters, self.ORIGIN_NORTH, context)
        where = frame_on_earth(crs, (e0, n0), *trace_ends(cin.faults, e0, n0))
        if where:
            feedback.pushWarning(self.tr(where))
        feedback.pushInfo(self.tr(
            "Poisson {nu}, Young {e} Pa (shear modulus {mu} Pa), friction {fr} (written on every feature: fields "
            "shear_modulus_pa, poisson, friction), calculation depth {km} km (use it in DEPTHS), regional stress "
            "(azimuth, plunge, Pa, compression +) {regional}").format(
            nu=cin.poisson, e=f"{cin.young_pa:.4g}", mu=f"{cin.shear_modulus_pa:.4g}", fr=cin.friction,
            km=f"{cin.calc_depth_m / 1000.0:g}", regional=cin.regional))
        results = {}
        for key, mask in ((self.OUTPUT_SOURCES, cin.is_source), (self.OUTPUT_RECEIVERS, ~cin.is_source)):
            if not parameters.get(key) and key == self.OUTPUT_RECEIVERS:
                continue
            points = mask & (cin.faults.kind == okada.KIND_POINT)
            if points.any():
                feedback.pushWarning(self.tr("{n} Kode 400 point source(s) are not written as lines; use the .inp file "
                                             "directly in the fault tools (COULOMB_INP)").format(n=int(points.sum())))
            mask = mask & ~points
            f = cin.faults.subset(mask)
            out = self.parameterAsOutputLayer(parameters, key, context)
            fields = {**fault_fields(f, cin.kode[mask]),
                      **constant_fields(len(f), shear_modulus_pa=cin.shear_modulus_pa, poisson=cin.poisson,
                                        friction=cin.friction)}
            vector.write_vector(out, fields, crs_wkt=vector.wkt_of(crs),
                                wkb=trace_wkb(f, e0, n0), geometry_type=ogr.wkbLineString)
            results[key] = out
            if key == self.OUTPUT_SOURCES and len(f):
                m0, mw = faults.moment(f, shear_modulus_pa=cin.shear_modulus_pa)
                feedback.pushInfo(self.tr("{n} sources: M0 = {m0} N m, Mw = {mw}").format(
                    n=len(f), m0=f"{m0:.4g}", mw=f"{mw:.2f}"))
        return results
