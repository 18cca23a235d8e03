"""``geohazard:multisensortimeseries``. Multi-sensor time series: one up and one east history, with 1-sigma, from every
stack a user holds, across mission gaps."""

from __future__ import annotations

from ....fileio.display import styles
from ....fileio.timeseries import multisensor as ms_io
from ....fileio.timeseries import multisensortimeseries as io_ms
from ...inputs import declare, knobs
from ...inputs import multisensor as ms_in
from ...inputs.aliases import given
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool

#: Words shown for the GDAL resampling of each RESAMPLING index (the stored index is unchanged).
RESAMPLING_LABELS = {"bilinear": "Bilinear interpolation (smooth fields)",
                     "nearest": "Nearest neighbour (no new values)",
                     "average": "Average of the covered pixels (finer inputs)", "cubic": "Cubic convolution"}

@tool("multisensortimeseries", "Multi-sensor east and up time series (every stack, across gaps)",
      tags=("multi-sensor,multi-geometry,MSBAS,ascending,descending,decomposition,east-west,vertical,time series,"
            "TerraSAR-X,COSMO-SkyMed,Envisat,ERS,ALOS,Sentinel-1,EGMS,gap"),
      main=("OUTPUT_UP", "OUTPUT_EAST"), page="multisensor", engine=True,
      kernels=("timeseries.multisensor.kernels", "timeseries.multisensor.lanes", "timeseries.multisensor.batch"))
class MultisensorTimeSeries(GeohazardAlgorithm):
    # its own parameter and output IDs, written once in inputs/multisensor.py (the shared ones are on the base)
    SERIES = ms_in.SERIES
    MANIFEST = ms_in.MANIFEST
    INCIDENCES = ms_in.INCIDENCES
    HEADINGS = ms_in.HEADINGS
    INCIDENCE_RASTERS = ms_in.INCIDENCE_RASTERS
    HEADING_RASTERS = ms_in.HEADING_RASTERS
    WAVELENGTHS = ms_in.WAVELENGTHS
    REFERENCE_DATE = ms_in.REFERENCE_DATE
    NORTH = ms_in.NORTH
    NORTH_VELOCITY = ms_in.NORTH_VELOCITY
    NORTH_RASTER = ms_in.NORTH_RASTER
    NORTH_SIGMA = ms_in.NORTH_SIGMA
    GAP_DAYS = ms_in.GAP_DAYS
    MAX_BRIDGE_YEARS = ms_in.MAX_BRIDGE_YEARS
    TEMPLATE = ms_in.TEMPLATE
    RESAMPLING = ms_in.RESAMPLING
    OUTPUT_UP = ms_in.OUTPUT_UP
    OUTPUT_EAST = ms_in.OUTPUT_EAST
    OUTPUT_SIGMA_UP = ms_in.OUTPUT_SIGMA_UP
    OUTPUT_SIGMA_EAST = ms_in.OUTPUT_SIGMA_EAST
    OUTPUT_VELOCITY = ms_in.OUTPUT_VELOCITY
    OUTPUT_QUALITY = ms_in.OUTPUT_QUALITY
    OUTPUT_GAPS = ms_in.OUTPUT_GAPS
    HELP = (
        "One vertical (up) and one east history, with a 1-sigma on every date, from every stack you have "
        "(ERS/Envisat, ALOS, TerraSAR-X/COSMO-SkyMed, Sentinel-1 ascending and descending), across the gaps "
        "between missions. It needs the LOS series rasters or a stack manifest, with each stack's geometry (typed "
        "or from its metadata). It gives the up and east series and their 1-sigma (mm), velocities (mm/yr), "
        "quality, the displacement across each gap and a per-stack report.\n\n"
        "<b>Method</b>: each stack has its own wavelength, geometry, dates and reference. All stacks are solved "
        "together, pixel by pixel, on the union of their dates (not by combining finished per-stack results): "
        "the motion is piecewise linear between knots at least 12 days apart, with a velocity random walk whose "
        "density comes from each pixel's own data shrunk toward the scene's (estimated first from a fixed "
        "sample of pixels, named in the log) by their precisions (a cubic smoothing spline; MSBAS's first-order "
        "regularisation "
        "with its weight set from the data and stated per pixel), an annual term and an acceleration, an offset "
        "per stack (stacks need no shared reference date) and the drift of each interferogram network. See "
        "docs/multisensor.md for the model, benchmarks and limits.\n\n"
        "<b>Stacks</b>: SERIES takes rasters of per-date LOS series, one per stack (the time series of "
        "sbasinversion and pstimeseries: one band per date, band descriptions YYYY-MM-DD, mm, LOS positive "
        "toward the satellite; MintPy's timeseries.h5 as delivered: metres read as mm, dates, grid, HEADING and "
        "CENTER_INCIDENCE_ANGLE from its attributes; LOS components of a manifest must be unit vectors pointing up). "
        "A MANIFEST (CSV with a header, or JSON list) adds stacks, one row each, columns "
        "name, path (a series raster; or a folder of interferograms, or interferogram rasters separated by ';' "
        "with date pairs in their names; or a stack as its producer delivers it: a LiCSAR frame (LiCSBAS GEOC/ or "
        "the portal's frame folder) or HyP3 zips or folders, read as the stack tools read them, wavelength, "
        "incidence and heading from the product; a MintPy timeseries.h5; EGMS L2a/L2b points as downloaded, zip or "
        "CSV, averaged onto EGMS L3's 100 m cells with each cell's mean LOS vector, or the GeoPackage Load EGMS "
        "wrote from them: one stack per track layer, or file.gpkg|layername=<track> for one), kind (series / "
        "interferograms / points), units (mm, m, rad), wavelength_m, "
        "incidence_deg and heading_deg (numbers or raster paths), or los_east / los_north / los_up (numbers or "
        "rasters: the ground-to-satellite unit vector, as EGMS), look (right / left), reference_date; relative "
        "paths are relative to the manifest.\n"
        "<b>Metadata</b>: what a stack's GeoTIFF carries is used (UNIT; WAVELENGTH_M or WAVELENGTH_METRES; "
        "INCIDENCE_DEG and HEADING_DEG; LOOK); a value given here wins and a disagreement is warned about. "
        "Interferograms without UNIT are read as unwrapped phase in radians growing with range; series without "
        "UNIT as mm. A stack in radians needs its wavelength (metadata or here): it is never borrowed from "
        "another stack.\n"
        "<b>Geometry of SERIES rasters</b>: INCIDENCES and HEADINGS (degrees; comma-separated, one per SERIES "
        "raster in order, or one for all) or INCIDENCE_RASTERS and HEADING_RASTERS (one per SERIES raster, in "
        "order), else the rasters' metadata. WAVELENGTHS (m) likewise. A stack without geometry is refused; so are "
        "angles that look like radians or lie out of range (incidence 0-80, heading -360 to 360 degrees), LOS-vector "
        "rasters that are not unit vectors or point into the ground (EGMS gives the ground-to-satellite vector, up > "
        "0), a raster without a valid pixel, one stack given twice (the same file, or the same dates and values), a "
        "stack with fewer than 8 dates, one stack alone, and stacks that all look along one line of sight. One "
        "raster of three bands given as los_east, los_north and los_up is read band by band (east, north, up, or as "
        "its band descriptions name them). An interferogram of a folder whose name holds no date pair is left out "
        "and named in the log.\n"
        "<b>Grid</b>: every stack, geometry, north and DEM raster is resampled (RESAMPLING, named in the log) onto "
        "one output grid: TEMPLATE's grid, else the finest input grid over the union of the stacks' extents, among "
        "the stacks in a projected CRS when there are any (pixel areas compared in square metres; a geographic "
        "stack is resampled onto it). Stacks that share no area with another stack are refused; so is a grid one "
        "row of which does not fit the memory budget (MAX_MEMORY_MB), or whose time series would not fit the free "
        "space of their folder, before anything is read.\n"
        "<b>Reference</b>: REFERENCE (a point every stack covers) re-references every stack there (its values "
        "there are subtracted). Empty: a per-date series keeps its own reference (its reference point, or the GNSS "
        "datum of EGMS L2b/L3), and so does an interferogram stack whose interferograms are all 0 at one pixel; an "
        "interferogram stack with no such pixel carries one constant per interferogram (unwrapped without a "
        "reference) and is tied to the ground every stack covers: at a fixed sample of its pixels the network is "
        "inverted, each date's median is the datum (that ground read as stable), each interferogram's offset from "
        "it is subtracted; the log says which stacks and warns when a series sees that ground move in its own "
        "reference (then give REFERENCE). REFERENCE_DATE: the outputs' datum (0 there); empty: the first date.\n"
        "<b>North</b>: neglected (north = 0; the output says how much a north velocity would leak into east and "
        "up), a north velocity (NORTH_VELOCITY or a NORTH_RASTER, mm/yr, e.g. a GNSS velocity model as EGMS uses, "
        "with its sigma NORTH_SIGMA), or along the downslope direction of the DEM (landslides: the horizontal "
        "motion follows the aspect where the slope is 5 degrees or more). The choice is in every output's "
        "metadata (NORTH_MODE).\n"
        "<b>Gaps</b>: consecutive dates more than GAP_DAYS apart form a gap; the temporal model bridges it (model "
        "dates every 30 days inside it, band metadata OBSERVED=0) with an uncertainty that grows across it, and "
        "the displacement across each gap is output with its sigma (on the benchmark scenarios it holds the "
        "displacement within 2-sigma on 93-100 % of the pixels across multi-year gaps and is conservative, up to "
        "1.4-2.3 times the error made where the ground does not wander). Stacks more than MAX_BRIDGE_YEARS apart "
        "are refused.\n"
        "<b>Residuals</b>: a stack whose residual RMS exceeds twice its noise on 1 % of its pixels or more is "
        "warned about in the log, naming it and the share (an unwrapping error, a reference that moves, a wrong "
        "unit, wavelength or geometry).\n\n"
        "<b>Outputs</b> (mm and mm/yr; up positive upward, east positive eastward; 0 on the reference date), each "
        "optional, at least one asked for: "
        "OUTPUT_UP and OUTPUT_EAST (one band per model date, band descriptions = ISO dates), their 1-sigma "
        "OUTPUT_SIGMA_UP / OUTPUT_SIGMA_EAST, OUTPUT_VELOCITY (east, up, sigma east, sigma up; north and its "
        "sigma when north is given or along the slope: linear + annual fit over the observed dates), "
        "OUTPUT_QUALITY (status: 0 solved, 1 no data, 2 one geometry (east and up not separable), 3 singular; "
        "mean squared normalised residual; east and up velocity error per mm/yr of north motion neglected; "
        "velocity random-walk density east and up, mm^2/yr^3), OUTPUT_GAPS (per gap: displacement east, up and "
        "their sigma) and OUTPUT_REPORT (CSV, one row per stack: pixels, mean noise, mean residual RMS, pixels "
        "whose residual exceeds twice the noise). The time series are written in small square tiles sized to "
        "their dates (ZSTD), so that the dock reads one pixel on every date quickly; the "
        "time-series rasters carry TIMESERIES_COMPONENT (UP / EAST) or TIMESERIES_SIGMA_OF, TIMESERIES_GROUP "
        "(shared by the outputs of one run) and TIMESERIES_SOURCES (the input series) for the time-series dock, "
        "which draws the up and east curves of a picked pixel with its input LOS series (read on a worker "
        "thread).\n\n"
        "This tool extends ascdescdecomposition, which stays for velocity maps and EGMS points (its time-series "
        "route interpolates two stacks onto 6-day dates and decomposes them date by date, with no sigma per date "
        "and nothing across gaps).\n"
        "References: Samsonov S., d'Oreye N. (2012) doi:10.1111/j.1365-246X.2012.05636.x and (2017) "
        "doi:10.1016/j.cageo.2017.08.008 (MSBAS); Wahba G. (1978) doi:10.1111/j.2517-6161.1978.tb01050.x "
        "(smoothing spline as a Bayesian estimate)."
    )
    MULTIBAND_INPUTS = (ms_in.SERIES, ms_in.MANIFEST)
    COMPILE_VARIANTS = ("",)  # its first run's compile measured (compile_costs.json)

    def initAlgorithm(self, config=None):
        self.addParameter(declare.rasters(self.SERIES, "LOS series (this or a manifest needed)",
                                          optional=True))
        self.addParameter(declare.file(self.MANIFEST, "Stack manifest (this or LOS series needed)",
                                       file_filter="Manifest (*.csv *.json)", optional=True))
        self.addParameter(declare.text(self.INCIDENCES, "Incidence of each SERIES (degrees, ...)",
                                       optional=True))
        self.addParameter(declare.text(self.HEADINGS, "Heading of each SERIES raster (degrees, ...)",
                                       optional=True))
        self.addParameter(declare.rasters(self.INCIDENCE_RASTERS, "Incidence rasters, one per SERIES raster",
                                          optional=True))
        self.addParameter(declare.rasters(self.HEADING_RASTERS, "Heading rasters, one per SERIES raster",
                                          optional=True))
        self.addParameter(declare.text(self.WAVELENGTHS, "Wavelength of each SERIES raster (m, ...)",
                                       optional=True, advanced=True))
        self.addParameter(declare.enum(self.LOOK, "Look side", ["right", "left"], advanced=True))
        self.addParameter(declare.point(self.REFERENCE, "Common reference point", optional=True))
        self.addParameter(declare.text(self.REFERENCE_DATE, "Reference date of the outputs (YYYY-MM-DD)",
                                       optional=True))
        self.addParameter(declare.enum(self.NORTH, "North component", list(ms_in.NORTH_MODES)))
        self.addParameter(declare.number(self.NORTH_VELOCITY, "North velocity (mm/yr)", 0.0))
        self.addParameter(declare.raster(self.NORTH_RASTER, "North velocity raster (mm/yr)", optional=True))
        self.addParameter(declare.number(self.NORTH_SIGMA, "North velocity sigma (mm/yr; 0 = exact)", 0.0, 0.0))
        self.addParameter(declare.raster(self.DEM, "DEM (m; for the downslope constraint)", optional=True))
        self.addParameter(declare.integer(self.GAP_DAYS, "Dates further apart than this form a gap (days)", 90, 1,
                                          advanced=True))
        self.addParameter(declare.number(self.MAX_BRIDGE_YEARS, "Longest gap bridged (years)", 12.0, 0.1,
                                         advanced=True))
        self.addParameter(declare.raster(self.TEMPLATE, "Template raster giving the output grid", optional=True))
        self.addParameter(declare.enum(self.RESAMPLING, "Resampling onto the output grid",
                                       [RESAMPLING_LABELS[r] for r in ms_io.RESAMPLINGS]))
        self.addParameter(declare.raster_out(self.OUTPUT_UP, "Up time series (mm)", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_EAST, "East time series (mm)", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_SIGMA_UP, "Up 1-sigma (mm)", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_SIGMA_EAST, "East 1-sigma (mm)", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_VELOCITY, "Velocities (mm/yr)", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_QUALITY, "Quality (status, residual, north leak, density)",
                                             optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_GAPS, "Displacement across each gap (mm)", optional=True,
                                             create=False))
        self.addParameter(declare.file_out(self.OUTPUT_REPORT, "Per-stack residual report (CSV)", "CSV (*.csv)",
                                           optional=True))

    def check(self, parameters, context):
        ms_in.check(self, parameters, context)

    def input_raster_files(self, parameters, context):
        return ms_in.input_raster_files(self, parameters, context)

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        v = self.values(parameters, context, self.GAP_DAYS, self.MAX_BRIDGE_YEARS)
        job = io_ms.Job(
            entries=tuple(ms_in.resolve(ms_in.gather(self, parameters, context), progress)),
            outputs={k: self.parameterAsOutputLayer(parameters, k, context) for k in ms_in.OUTPUTS[:-1]
                     if ms_in.asked(parameters, k)},
            report=self.parameterAsFileOutput(parameters, self.OUTPUT_REPORT, context)
            if ms_in.asked(parameters, self.OUTPUT_REPORT) else "",
            template=self.raster_info(parameters, self.TEMPLATE, context) if given(parameters, self.TEMPLATE) else None,
            reference=ms_in.reference_point(self, parameters, context), north=ms_in.north(self, parameters, context),
            reference_date=ms_in.reference_date(self, parameters, context), gap_days=float(v.GAP_DAYS),
            max_bridge_years=v.MAX_BRIDGE_YEARS,
            resampling=ms_io.RESAMPLINGS[self.parameterAsEnum(parameters, self.RESAMPLING, context)],
            settings=knobs.run_settings(self, parameters, context))
        outcome = io_ms.run(job, progress=progress)
        styles.apply_sidecars_on_load(context, outcome.outputs.values())
        return self.finish(outcome, feedback)
