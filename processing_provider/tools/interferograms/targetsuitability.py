"""``geohazard:targetsuitability``. Target suitability: expected radar targets per km2 from land cover and the
R-index, and expected points per area."""

from __future__ import annotations

import functools
import shutil

import numpy as np

from ....algorithms.errors import GeohazardError
from ....io import blocks, raster, styles
from ....io import targets as io_targets
from ...inputs import declare, ids, knobs, layers
from ...inputs.feedback import FeedbackProgress
from ...lazy import lazy_module
from .._base import GeohazardAlgorithm, tool

_targets = lazy_module("....algorithms.interferograms.targets", __package__)


@tool("targetsuitability", "Target suitability (expected points per km2 from land cover and R-index)",
      tags="target density,persistent scatterers,PS density,land cover,CORINE,R-index,feasibility,ISBAS",
      page="interferograms", main=(ids.OUTPUT, "OUTPUT_TABLE"), engine=True)
class TargetSuitability(GeohazardAlgorithm):
    HELP = (
        "Predicts, before any radar data are bought or processed, how many measurement points (radar targets) to "
        "expect per km2. It needs a land-cover raster, a table of densities per class and the R-index of the "
        "geometric distortion tool. It gives a raster of expected targets per km2 (class density times the R-index "
        "clipped to 0..1, 0 in layover and shadow) and, for an optional polygon layer, a table of expected points "
        "(\"will this slope have enough points?\").\n\n"
        "<b>Land cover</b>: class codes, CORINE three-digit codes by default (111 continuous urban fabric ... 523 "
        "sea and ocean); the Copernicus CORINE GeoTIFF stores grid codes 1-44 (48 no data): choose that in "
        "<b>Land-cover codes</b> and they are read as the three-digit codes. Its grid is the output's grid.\n"
        "<b>Densities</b>: CSV with the columns class,density[,label]: expected targets per km2 for the band and "
        "processing you plan (e.g. from a PSI or ISBAS result over similar land cover). Every code of the land "
        "cover must have a row: codes without one are listed (with their pixel counts and CORINE names) and the "
        "run stops; a missing class is never taken as 0.\n"
        "<b>R-index</b>: the R-index output of geometricdistortion (R = sin(incidence - slope along range); <= 0 "
        "layover, NaN active shadow, taken as 0). On another grid it is resampled onto the land-cover grid "
        "(bilinear) and the log says so.\n"
        "<b>Distortion classes</b> (optional): the class output of geometricdistortion; its passive layover and "
        "shadow (classes 2 and 4), which the R-index does not show, are set to 0 too (resampled with nearest "
        "neighbour when on another grid). With it, pixels outside the DEM are no-data instead of shadow.\n"
        "<b>Areas</b> (optional): polygons, e.g. a landslide inventory.\n\n"
        "<b>Output</b>: expected targets per km2 (float32, no-data where the land cover or the R-index is). "
        "<b>Expected points per area</b> (optional, with Areas): the polygons with AREA_FID (the input feature id), "
        "AREA_KM2 (of the pixels whose centre is inside), COVERED_KM2 (of those with a value), EXPECTED_POINTS "
        "(the integral of the density over the polygon: sum of density x pixel area, pixel areas on the WGS84 "
        "ellipsoid for a geographic grid) and POINTS_KM2.\n\n"
        "Method: the target-suitability map of the British nationwide feasibility study, Cigna F., Bateson L., "
        "Jordan C., Dashwood C. (2014) doi:10.1016/j.rse.2014.06.025; R-index after Notti D. et al. (2014) "
        "doi:10.1080/01431161.2014.894528."
    )
    LAND_COVER = "LAND_COVER"
    LAND_COVER_CODES = "LAND_COVER_CODES"
    DENSITIES = "DENSITIES"
    R_INDEX = "R_INDEX"
    DISTORTION = "DISTORTION"
    AREAS = "AREAS"
    OUTPUT_TABLE = "OUTPUT_TABLE"
    OVERLAP = (("LAND_COVER", "R_INDEX"),)
    CODE_KINDS = ["CORINE codes (111-523) or the table's own",
                  "CORINE GeoTIFF grid codes (1-44, 48 = no data)"]

    def initAlgorithm(self, config=None):
        self.addParameter(declare.raster(self.LAND_COVER, "Land cover (class codes)"))
        self.addParameter(declare.enum(self.LAND_COVER_CODES, "Land-cover codes", self.CODE_KINDS))
        self.addParameter(declare.file(self.DENSITIES, "Densities (CSV: class,density[,label])",
                                       file_filter="CSV files (*.csv *.txt)"))
        self.addParameter(declare.raster(self.R_INDEX, "R-index (from geometricdistortion)"))
        self.addParameter(declare.raster(self.DISTORTION, "Distortion classes (geometricdistortion)",
                                         optional=True))
        self.addParameter(declare.features(self.AREAS, "Areas (polygons)", "polygon", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT, "Expected targets (per km2)"))
        self.addParameter(declare.vector_out(self.OUTPUT_TABLE, "Expected points per area", "polygon",
                                             optional=True, create=False))

    def process(self, parameters, context, feedback):
        progress, run = FeedbackProgress(feedback), knobs.run_settings(self, parameters, context)
        info = self.raster_info(parameters, self.LAND_COVER, context)
        grid_codes = self.parameterAsEnum(parameters, self.LAND_COVER_CODES, context) == 1
        table = io_targets.read_density_table(self.parameterAsFile(parameters, self.DENSITIES, context))
        codes, counts = io_targets.class_counts(info, run, progress, grid_codes=grid_codes, name=self.LAND_COVER)
        problem = _targets.missing_codes_message(codes, counts, table)
        if problem:
            raise GeohazardError(problem)
        folder = io_targets.scratch_folder()
        try:
            sources = {"land_cover": blocks.raster_source(info.path, dtype=np.float64, name=self.LAND_COVER)}
            for key, pid, how in (("rindex", self.R_INDEX, "bilinear"), ("classes", self.DISTORTION, "near")):
                if parameters.get(pid):
                    path, note = io_targets.on_grid(info, self.raster_path(parameters, pid, context), pid,
                                                    resampling=how, folder=folder)
                    sources[key] = blocks.raster_source(path, dtype=np.float64, name=pid)
                    if note:
                        feedback.pushInfo(note)
            out = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
            func = functools.partial(_targets.suitability_block, table=table, grid_codes=grid_codes)
            blocks.run_blocks(run.plan(info.height, info.width, bytes_per_pixel=72.0), func, sources=sources,
                              run=run, progress=progress, background_write=True,
                              writers={"density": raster.RasterWriter.like(out, info, descriptions=[
                                  "expected targets per km2"], metadata={"UNIT": "targets/km2"})})
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        styles.style_raster_sequential(out, context=context, ramp_name="Viridis")
        results = {self.OUTPUT: out}
        table_path = layers.optional_file(self, parameters, self.OUTPUT_TABLE, context)
        if table_path and parameters.get(self.AREAS):
            polys = io_targets.polygons_of(layers.feature_source(self, parameters, self.AREAS, context),
                                           info.crs_wkt, context.transformContext(), self.AREAS)
            rows = io_targets.points_per_polygon(out, info, polys, progress)
            results[self.OUTPUT_TABLE] = io_targets.write_points_table(table_path, rows, polys, info.crs_wkt)
            total = rows["EXPECTED_POINTS"].sum()
            feedback.pushInfo(self.note(f"{len(polys)} area(s): {total:.0f} expected points"))
        return results

    def check(self, parameters, context):
        if parameters.get(self.OUTPUT_TABLE) and not parameters.get(self.AREAS):
            raise GeohazardError(f"{self.OUTPUT_TABLE} needs {self.AREAS}: give the polygons to count "
                                          "the expected points in")
