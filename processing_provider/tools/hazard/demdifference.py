"""``geohazard:demdifference``. Elevation change between two DEMs after co-registering them (Nuth & Kääb, with a
planar tilt): thickness of fills and dumps, depletion and accumulation of landslides, volumes per polygon."""

from __future__ import annotations

from qgis.core import QgsProcessingOutputNumber, QgsProcessingUtils

from ....algorithms.errors import GeohazardError
from ....fileio.hazard import demdifference as io_dem
from ...inputs import declare, ids, knobs, layers
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("demdifference", "DEM difference (co-registered thickness and volumes)", page="hazard",
      tags="DEM,DEM difference,DoD,co-registration,coregistration,Nuth Kaab,thickness,volume,fill,dump,landslide,"
           "depletion,accumulation,elevation change", main=(ids.OUTPUT,), engine=True)
class DemDifference(GeohazardAlgorithm):
    INPUT_2 = "INPUT_2"
    EXCLUDE_AREA = "EXCLUDE_AREA"
    TILT = "TILT"
    VOLUME_AREA = "VOLUME_AREA"
    OUTPUT_ALIGNED = "OUTPUT_ALIGNED"
    OUTPUT_VOLUMES = "OUTPUT_VOLUMES"
    SHIFT_X_M = "SHIFT_X_M"
    SHIFT_Y_M = "SHIFT_Y_M"
    SHIFT_Z_M = "SHIFT_Z_M"
    NMAD_M = "NMAD_M"
    HELP = (
        "Elevation change between two DEMs after co-registering the second onto the first, so that a horizontal "
        "offset of a few metres does not show as metres of change on slopes. It needs a reference DEM, the other "
        "DEM and, best, the stable ground (or the changed areas to leave out); it gives the difference (m), the "
        "shift applied and the volumes per polygon.\n\n"
        "<b>Reference DEM</b> (INPUT, m, projected CRS in metres): its grid is the output's. <b>Other DEM</b> "
        "(INPUT_2, m): on another grid or CRS it is resampled onto the reference's grid by bilinear interpolation "
        "(GDAL's warper), the log says how; heights must share a vertical datum (a datum offset is taken as part of "
        "the vertical shift). <b>Stable area</b> (STABLE_AREA, polygons of ground that did not change) or <b>changed "
        "area</b> (EXCLUDE_AREA: dumps, landslides, pits, vegetation; stable = everything outside it); both: inside "
        "the first and outside the second; neither: the whole overlap, with a warning. <b>Tilt</b> (default yes): a "
        "plane is fitted instead of a constant vertical shift.\n"
        "<b>Method</b>: Nuth & Kääb (2011), iterated until the update is below 0.002 cells (at most 20 "
        "iterations): on stable cells of 3-70 degree slope, dh / tan(slope) is a cosine of the aspect whose "
        "amplitude and phase are the horizontal offset (fitted to the medians of 36 aspect bins); then the median "
        "vertical offset or, with TILT, a least-squares plane refitted without residuals beyond 4 NMAD. Grids up to "
        "2048 x 2048 cells are fitted whole; larger ones on 16 windows of 512 x 512 cells spread evenly (the DEMs "
        "may then be at most 62 cells apart); the difference is written in blocks in bounded memory.\n\n"
        "<b>Outputs</b>: OUTPUT, INPUT_2 minus INPUT after co-registration (m, on INPUT's grid; positive = gain: "
        "fill, accumulation; negative = loss: excavation, depletion); it is the THICKNESS a fill's consolidation "
        "takes in displacementforecast. OUTPUT_ALIGNED (optional), INPUT_2 moved onto INPUT. SHIFT_X_M, SHIFT_Y_M, "
        "SHIFT_Z_M: the shift applied to INPUT_2 (east, north, up, m); with a tilt, SHIFT_Z_M is the vertical shift "
        "at the grid centre (the plane's slopes are in the rasters' metadata, TILT_X and TILT_Y in m/m). NMAD_M: "
        "1.4826 x median |d - median d| of the difference over the stable cells (STABLE_AREA, or everything outside "
        "EXCLUDE_AREA) after co-registration, over the fit's cells. OUTPUT_VOLUMES: for each polygon of "
        "VOLUME_AREA (empty: those of EXCLUDE_AREA), area_m2, valid_share (share of its cells with a difference), "
        "gain_m3, loss_m3, net_m3, mean_dh_m over the cells with a difference, and sigma_m3 = NMAD_M x the area "
        "covered (errors taken as fully correlated over the polygon, a bound); where polygons overlap a cell counts "
        "for the later one (the log names them).\n\n"
        "Reference: Nuth C., Kääb A. (2011) The Cryosphere 5, 271-290, doi:10.5194/tc-5-271-2011."
    )
    HEIGHT_INPUTS = (ids.INPUT, INPUT_2)
    OVERLAP = ((ids.INPUT, INPUT_2), (ids.INPUT, ids.STABLE_AREA), (ids.INPUT, EXCLUDE_AREA),
               (ids.INPUT, VOLUME_AREA))

    def initAlgorithm(self, config=None):
        self.addParameter(declare.raster(self.INPUT, "Reference DEM (m, projected CRS in metres)"))
        # declared optional so that the dialog does not fill it with the reference's layer; check() requires it
        self.addParameter(declare.raster(self.INPUT_2, "Other DEM (m; minus the reference)", optional=True))
        self.addParameter(declare.features(self.STABLE_AREA, "Stable area (polygons)", "polygon", optional=True))
        self.addParameter(declare.features(self.EXCLUDE_AREA, "Changed area, left out of the fit (polygons)",
                                           "polygon", optional=True))
        self.addParameter(declare.boolean(self.TILT, "Fit a planar tilt", True))
        self.addParameter(declare.features(self.VOLUME_AREA, "Volume polygons (empty: the changed area)", "polygon",
                                           optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT, "Elevation difference (m)"))
        self.addParameter(declare.raster_out(self.OUTPUT_ALIGNED, "Other DEM aligned on the reference (m)",
                                             optional=True, create=False))
        self.addParameter(declare.vector_out(self.OUTPUT_VOLUMES, "Volumes per polygon", "polygon", optional=True))
        for oid, label in ((self.SHIFT_X_M, "Shift applied to INPUT_2, east (m)"),
                           (self.SHIFT_Y_M, "Shift applied to INPUT_2, north (m)"),
                           (self.SHIFT_Z_M, "Shift applied to INPUT_2, up, at the grid centre (m)"),
                           (self.NMAD_M, "NMAD of the difference on stable ground (m)")):
            self.addOutput(QgsProcessingOutputNumber(oid, self.tr(label)))

    def check(self, parameters, context):
        if not parameters.get(self.INPUT_2):
            raise GeohazardError(f"{self.INPUT_2}: no DEM given; give the other DEM (the one the reference "
                                 f"{self.INPUT} is subtracted from)")
        same = layers.same_source(self, parameters, (self.INPUT, self.INPUT_2), context)
        if same:
            raise GeohazardError(f"{self.INPUT} and {self.INPUT_2} are the same DEM ({same}): its difference with "
                                 "itself is zero everywhere; give the other DEM in INPUT_2")

    def _polygons(self, parameters, context, pid, crs_wkt):
        if not parameters.get(pid):
            return None
        wkbs = layers.polygons_wkb(self, parameters, pid, context, crs_wkt)
        if not wkbs:
            raise GeohazardError(f"{pid}: the layer has no polygon")
        return wkbs

    def process(self, parameters, context, feedback):
        info = self.raster_info(parameters, self.INPUT, context)
        polygons = {pid: self._polygons(parameters, context, pid, info.crs_wkt)
                    for pid in (self.STABLE_AREA, self.EXCLUDE_AREA, self.VOLUME_AREA)}
        job = io_dem.Job(
            reference=info.path, other=self.raster_path(parameters, self.INPUT_2, context),
            names=(self.INPUT, self.INPUT_2), folder=QgsProcessingUtils.tempFolder(),
            settings=knobs.run_settings(self, parameters, context),
            stable_wkb=polygons[self.STABLE_AREA], exclude_wkb=polygons[self.EXCLUDE_AREA],
            zone_wkb=polygons[self.VOLUME_AREA] or polygons[self.EXCLUDE_AREA],
            tilt=self.parameterAsBool(parameters, self.TILT, context),
            output=self.parameterAsOutputLayer(parameters, self.OUTPUT, context),
            output_aligned=self.parameterAsOutputLayer(parameters, self.OUTPUT_ALIGNED, context)
            if parameters.get(self.OUTPUT_ALIGNED) else "",
            output_volumes=self.parameterAsOutputLayer(parameters, self.OUTPUT_VOLUMES, context)
            if parameters.get(self.OUTPUT_VOLUMES) else "",
            area_names=(self.STABLE_AREA, self.EXCLUDE_AREA, self.VOLUME_AREA))
        outcome = io_dem.run(job, progress=FeedbackProgress(feedback), context=context)
        return self.finish(outcome, feedback)
