"""``geohazard:targetsuitability``. Target suitability: expected radar targets per km2 from land cover and the
R-index, and expected points per area."""

from __future__ import annotations

from ....algorithms.errors import GeohazardError
from ....algorithms.formats import geometry_meta as gm
from ....fileio.display import styles
from ....fileio.interferograms import targetsuitability as io_targets
from ...inputs import acquisition, declare, ids, knobs, layers
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("targetsuitability", "Target suitability",
      tags="target density,persistent scatterers,PS density,land cover,CORINE,R-index,feasibility,ISBAS",
      page="interferograms", main=(ids.OUTPUT, "OUTPUT_TABLE"), engine=True)
class TargetSuitability(GeohazardAlgorithm):
    LAND_COVER = "LAND_COVER"
    LAND_COVER_CODES = "LAND_COVER_CODES"
    DENSITIES = "DENSITIES"
    R_INDEX = "R_INDEX"
    DISTORTION = "DISTORTION"
    AREAS = "AREAS"
    CALIBRATION_POINTS = "CALIBRATION_POINTS"
    CALIBRATION_AREA = "CALIBRATION_AREA"
    OUTPUT_TABLE = "OUTPUT_TABLE"
    OUTPUT_DENSITIES = "OUTPUT_DENSITIES"
    DENSITY_REFERENCE = "DENSITY_REFERENCE"
    INCIDENCE = ids.INCIDENCE
    MIN_POINTS = "MIN_POINTS"
    HELP = (
        "Predicts, before radar data are bought, how many measurement points (radar targets) to expect per km2. It "
        "needs a land-cover raster, densities per class (a table, or an InSAR result to measure them on) and the "
        "R-index of geometricdistortion. It gives a raster of expected targets per km2 (class density times the "
        "R-index clipped to 0..1, 0 in layover and shadow) and, for optional polygons, their expected points and "
        "whether they are enough.\n\n"
        "<b>Land cover</b>: class codes, CORINE three-digit codes by default (111 continuous urban fabric ... 523 "
        "sea and ocean); the Copernicus CORINE GeoTIFF stores grid codes 1-44 (48 no data): choose that in "
        "<b>Land-cover codes</b> and they are read as the three-digit codes. Its grid is the output's grid.\n"
        "<b>Densities</b>: CSV with the columns class,density[,label]: expected targets per km2 for the band and "
        "processing you plan (e.g. from a PSI or ISBAS result over similar land cover). Every code of the land "
        "cover must have a row: codes without one are listed (with their pixel counts and CORINE names) and the "
        "run stops; a missing class is never taken as 0.\n"
        "<b>Density reference</b> (DENSITY_REFERENCE, default: per unit R-index): what a typed density counts. "
        "<i>Per unit R-index</i>: the map is density x clip(R, 0, 1), so on flat ground (R = sin(incidence), about "
        "0.4-0.7) it gives less than the typed value; the densities measured on Calibration points are always of "
        "this kind. <i>Flat open ground at the scene's incidence</i>: the density a study reports for flat ground "
        "(e.g. 8,000 points per km2 on flat urban ground): it is divided by sin(incidence) first, so flat ground "
        "gives it back and slopes facing the sensor less. It needs the scene's incidence: INCIDENCE (degrees from "
        "the vertical), else the INCIDENCE_DEG the R-index or land cover carries, else the run stops.\n"
        "<b>Calibration points</b> (instead of, or with, Densities): the points of an existing result in the same "
        "band over similar land cover (EGMS points for C-band in Europe, a PS or SBAS export, pstimeseries' "
        "output), in any CRS (reprojected onto the land cover, which must cover them). The density of a class is "
        "the number of points on its pixels in the calibration area divided by its area there (km2, pixel areas on "
        "the ellipsoid for a geographic grid) and by the mean clipped R-index of those pixels, so that density x "
        "R gives back the points counted: the way the feasibility study derived its densities from PSI results. A "
        "class with less than 1 km2 seen by the radar there (area x mean clipped R) gets no density and is named "
        "in the log. With Densities too, the classes Densities lists keep its values; the others take the measured "
        "ones.\n"
        "<b>Calibration area</b> (optional): polygons where the calibration result is complete (its processed "
        "footprint). Without it, the convex hull of the points: too large where the result has holes or does not "
        "fill its hull (then the densities come out too low), so give the footprint when you have it.\n"
        "<b>R-index</b>: the R-index output of geometricdistortion (R = sin(incidence - slope along range); <= 0 "
        "layover, NaN active shadow, taken as 0): a sine, -1..1; a raster beyond 1.5 (an angle in degrees) is "
        "refused. On another grid it is resampled onto the land-cover grid (bilinear) and the log says so.\n"
        "<b>Distortion classes</b> (optional): the class output of geometricdistortion; its passive layover and "
        "shadow (classes 2 and 4), which the R-index does not show, are set to 0 too (resampled with nearest "
        "neighbour when on another grid). With it, pixels outside the DEM are no-data instead of shadow.\n"
        "<b>Areas</b> (optional): polygons, e.g. a landslide inventory.\n\n"
        "<b>Output</b>: expected targets per km2 (float32, no-data where the land cover or the R-index is). "
        "<b>Expected points per area</b> (optional, with Areas): the polygons with AREA_FID (the input feature id), "
        "AREA_KM2 (of the pixels whose centre is inside), COVERED_KM2 (of those with a value), EXPECTED_POINTS "
        "(the integral of the density over the polygon: sum of density x pixel area, pixel areas on the WGS84 "
        "ellipsoid for a geographic grid), POINTS_KM2 and sufficient (EXPECTED_POINTS >= MIN_POINTS, default 5). "
        "An area with no pixel of the land cover (off its extent, or over its no-data) gets no value (NULL) in "
        "EXPECTED_POINTS, POINTS_KM2 and sufficient, and a warning names it. <b>Measured densities</b> (optional, "
        "with Calibration points): the CSV class,density,label,points,area_km2 (classes without a density as # "
        "lines), which Densities reads (per unit R-index): keep it to plan another area, or link it to Densities "
        "in a model.\n\n"
        "Method: the target-suitability map of the British nationwide feasibility study, Cigna F., Bateson L., "
        "Jordan C., Dashwood C. (2014) doi:10.1016/j.rse.2014.06.025; R-index after Notti D. et al. (2014) "
        "doi:10.1080/01431161.2014.894528."
    )
    OVERLAP = (("LAND_COVER", "R_INDEX"),)
    FLAT_NEEDS = ("DENSITY_REFERENCE 'flat open ground' divides the densities by the flat ground's R-index, "
                  "sin(incidence): " + acquisition.incidence_hint(ids.INCIDENCE))
    CODE_KINDS = ["CORINE codes (111-523) or the table's own",
                  "CORINE GeoTIFF grid codes (1-44, 48 = no data)"]

    def initAlgorithm(self, config=None):
        self.addParameter(declare.raster(self.LAND_COVER, "Land cover (class codes)"))
        self.addParameter(declare.enum(self.LAND_COVER_CODES, "Land-cover codes", self.CODE_KINDS))
        self.addParameter(declare.file(self.DENSITIES, "Densities (CSV: class,density[,label])",
                                       file_filter="CSV files (*.csv *.txt)", optional=True))
        self.addParameter(declare.raster(self.R_INDEX, "R-index (from geometricdistortion)"))
        self.addParameter(declare.raster(self.DISTORTION, "Distortion classes (geometricdistortion)",
                                         optional=True))
        self.addParameter(declare.features(self.AREAS, "Areas (polygons)", "polygon", optional=True))
        self.addParameter(declare.features(self.CALIBRATION_POINTS, "Calibration points (InSAR result)",
                                           "point", optional=True))
        self.addParameter(declare.features(self.CALIBRATION_AREA, "Calibration area (polygons)",
                                           "polygon", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT, "Expected targets (per km2)"))
        self.addParameter(declare.vector_out(self.OUTPUT_TABLE, "Expected points per area", "polygon",
                                             optional=True, create=False))
        self.addParameter(declare.table_out(self.OUTPUT_DENSITIES, "Measured densities (CSV)", "CSV files (*.csv)",
                                            optional=True, create=False))
        self.addParameter(declare.enum(self.DENSITY_REFERENCE, "Densities count targets per km2",
                                       ["per unit R-index (default)", "on flat open ground (scene incidence)"]))
        self.addParameter(declare.number(self.INCIDENCE, "Incidence for flat ground (degrees)",
                                         None, 0.001, 89.999, optional=True))
        self.addParameter(declare.integer(self.MIN_POINTS, "Enough points per area (sufficient)", 5, 0))

    def process(self, parameters, context, feedback):
        info = self.raster_info(parameters, self.LAND_COVER, context)
        flat = bool(parameters.get(self.DENSITIES)) and self.parameterAsEnum(
            parameters, self.DENSITY_REFERENCE, context) == 1
        r_index, distortion = (self.raster_path(parameters, pid, context) if parameters.get(pid) else ""
                               for pid in (self.R_INDEX, self.DISTORTION))
        points = layers.read_point_table(self, parameters, self.CALIBRATION_POINTS, context, ()) \
            if parameters.get(self.CALIBRATION_POINTS) else None
        outputs = {self.OUTPUT: self.parameterAsOutputLayer(parameters, self.OUTPUT, context),
                   **{pid: layers.optional_file(self, parameters, pid, context)
                      for pid in (self.OUTPUT_TABLE, self.OUTPUT_DENSITIES)}}
        polygons = {pid: layers.polygons_with_ids(self, parameters, pid, context, info.crs_wkt)
                    if parameters.get(pid) and (pid != self.AREAS or outputs[self.OUTPUT_TABLE]) else None
                    for pid in (self.CALIBRATION_AREA, self.AREAS)}
        job = io_targets.Job(
            land_cover=info, settings=knobs.run_settings(self, parameters, context),
            outputs=outputs,
            grid_codes=self.parameterAsEnum(parameters, self.LAND_COVER_CODES, context) == 1,
            densities=self.parameterAsFile(parameters, self.DENSITIES, context) if parameters.get(self.DENSITIES)
            else "",
            flat_incidence_deg=acquisition.resolve_geometry(
                self, parameters, self.INCIDENCE, context, feedback, gm.INCIDENCE_KEY, carried=False,
                rasters=[r_index, info.path], why_needed=self.FLAT_NEEDS).value if flat else None,
            r_index=r_index, distortion=distortion,
            calibration_points=(points.x, points.y, points.crs.toWkt() if points.crs else "") if points else None,
            calibration_area=polygons[self.CALIBRATION_AREA], areas=polygons[self.AREAS],
            min_points=self.parameterAsDouble(parameters, self.MIN_POINTS, context))
        outcome = io_targets.run(job, progress=FeedbackProgress(feedback))
        styles.style_raster_sequential(outcome.outputs[self.OUTPUT], context=context, ramp_name="Viridis")
        return self.finish(outcome, feedback)

    def check(self, parameters, context):
        if parameters.get(self.OUTPUT_TABLE) and not parameters.get(self.AREAS):
            raise GeohazardError(f"{self.OUTPUT_TABLE} needs {self.AREAS}: give the polygons to count "
                                          "the expected points in")
        if not parameters.get(self.DENSITIES) and not parameters.get(self.CALIBRATION_POINTS):
            raise GeohazardError(f"give {self.DENSITIES} (a CSV class,density) or {self.CALIBRATION_POINTS} (an "
                                 "existing InSAR result to measure the densities on): the tool has no densities "
                                 "of its own")
        if parameters.get(self.DENSITY_REFERENCE) in (1, "1") and not parameters.get(self.DENSITIES):
            raise GeohazardError(f"{self.DENSITY_REFERENCE} 'flat open ground' says how the densities of "
                                 f"{self.DENSITIES} were given; without {self.DENSITIES} there are only measured "
                                 "densities, which are per unit R-index: leave it at 0")
        for pid in (self.CALIBRATION_AREA, self.OUTPUT_DENSITIES):
            if parameters.get(pid) and not parameters.get(self.CALIBRATION_POINTS):
                raise GeohazardError(f"{pid} needs {self.CALIBRATION_POINTS}: give the points of the result to "
                                     "measure the densities on")
