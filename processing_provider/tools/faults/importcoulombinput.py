"""``geohazard:importcoulombinput``. Import Coulomb input: a Coulomb 3.x .inp file's faults as line layers, its
elastic constants reported."""

from __future__ import annotations

from ....fileio.faults import importcoulombinput as io_import
from ...inputs import declare
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


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
        crs = self.parameterAsCrs(parameters, self.CRS, context)
        receivers = self.parameterAsOutputLayer(parameters, self.OUTPUT_RECEIVERS, context) \
            if parameters.get(self.OUTPUT_RECEIVERS) else ""
        job = io_import.Job(path=self.parameterAsFile(parameters, self.INPUT, context),
                            crs=crs.authid() or crs.toWkt(), crs_id=self.CRS,
                            origin_east=self.parameterAsDouble(parameters, self.ORIGIN_EAST, context),
                            origin_north=self.parameterAsDouble(parameters, self.ORIGIN_NORTH, context),
                            sources=self.parameterAsOutputLayer(parameters, self.OUTPUT_SOURCES, context),
                            receivers=receivers)
        return self.finish(io_import.run(job, progress=FeedbackProgress(feedback)), feedback)
