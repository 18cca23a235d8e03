"""``geohazard:loadmintpy``. Load HDF5 result: a MintPy (timeseries.h5, velocity.h5, geometry, HDF-EOS5 .he5),
LiCSBAS (cum.h5) or OPERA DISP-S1 result as a georeferenced, dated GeoTIFF in mm or mm/yr, and optionally as points
with their series. The producer is told by the file's layout (:data:`algorithms.formats.producers.H5_PRODUCERS`)."""

from __future__ import annotations

import os

from ....algorithms.errors import GeohazardError
from ....algorithms.formats import h5_layers
from ....fileio.formats import loadmintpy as io_load
from ...inputs import declare, delivered, ids
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("loadmintpy", "Load HDF5 result (MintPy, LiCSBAS, OPERA)",
      tags="MintPy,LiCSBAS,OPERA,DISP-S1,HDF-EOS5,cum.h5,HDF5,timeseries.h5,velocity.h5,geometryGeo.h5,"
           "maskTempCoh.h5,import,time series,velocity,SBAS",
      page="mintpy", main=(ids.OUTPUT, ids.OUTPUT_POINTS))
class LoadMintpy(GeohazardAlgorithm):
    DATASET = "DATASET"
    MASK = "MASK"
    HELP = (
        "Opens an HDF5 result of MintPy (Yunjun et al. 2019, doi:10.1016/j.cageo.2019.104331, its HDF-EOS5 .he5 "
        "too), LiCSBAS (cum.h5, cum_filt.h5) or OPERA (DISP-S1 .nc) as a georeferenced, dated, styled layer in mm "
        "or mm/yr (LOS, positive toward the satellite) that every tool and the time-series dock read; the producer "
        "is told by the file's layout. MintPy: <b>timeseries.h5</b> (and "
        "timeseries_ERA5_demErr.h5 ...: one band per date, ISO dates as band descriptions), <b>velocity.h5</b>, "
        "<b>geometryGeo.h5</b>, <b>maskTempCoh.h5</b>, <b>temporalCoherence.h5</b>, geo_*.h5 after MintPy's "
        "geocoding.\n\n"
        "<b>Read as delivered</b>: grid and CRS from MintPy's attributes (X_FIRST/Y_FIRST = upper-left corner, "
        "X_STEP/Y_STEP; EPSG, else UTM_ZONE, else WGS84 latitude/longitude, as MintPy's save_gdal); displacements "
        "from metres to <b>mm</b> and velocities from m/year to <b>mm/yr</b> (the log says so); LOS positive toward "
        "the satellite in MintPy as here (no sign change); MintPy's reference pixel REF_Y/REF_X and REF_DATE are "
        "carried as REFERENCE_ROW/REFERENCE_COL/REFERENCE_DATE, WAVELENGTH, HEADING and the scene incidence "
        "(CENTER_INCIDENCE_ANGLE, or the mean of the work folder's inputs/geometryGeo.h5) as WAVELENGTH_M, "
        "HEADING_DEG, INCIDENCE_DEG, the perpendicular baselines of a time series as PERPENDICULAR_BASELINES_M, so "
        "later steps need nothing typed. Pixels MintPy did not invert (0 at every date; the reference pixel "
        "excepted) are no data. Files in radar coordinates (geometryRadar.h5, results before geocode.py) are "
        "refused: geocode them with MintPy first.\n"
        "<b>Dataset</b>: empty = the file's own (timeseries, velocity, mask ...); a geometry file needs one "
        "(incidenceAngle, azimuthAngle, height, slantRangeDistance ...); velocity.h5 also holds velocityStd.\n"
        "<b>Mask</b> (optional): maskTempCoh.h5 (or any MintPy mask on the grid): pixels at 0 become no data, as "
        "MintPy's save_gdal -m.\n\n"
        "<b>Outputs</b>: the raster (GeoTIFF); optionally <b>points</b> (GeoPackage) at the valid pixel centres "
        "with PID, VEL and V_STDEV (mm/yr: the velocity and velocityStd, or for a time series its least-squares "
        "line and standard error as MintPy's timeseries2velocity) and one DYYYYMMDD field per date (mm), the "
        "fields adadetection, inversevelocity and timeseriesmodels read.\n\n"
        "Every raster parameter of the other tools also takes these files directly (read the same way into "
        "QGIS's temporary folder, never beside them); an incidence raster reads a geometry file's "
        "incidenceAngle, a heading raster its azimuthAngle, a DEM its height; HDF5:\"file.h5\"://dataset names "
        "one dataset.\n\n"
        "A <b>LiCSBAS cum.h5 / cum_filt.h5</b> (Morishita et al. 2020, doi:10.3390/rs12030424) is read the same "
        "way: cum (mm, one band per imdates date) or vel / vstd (mm/yr), on the grid of corner_lat/corner_lon/"
        "post_lat/post_lon (the first pixel's centre, WGS 84); LOS positive toward the satellite, as LiCSBAS "
        "writes it; refarea as the reference pixel; the scene incidence and heading from E.geo/N.geo/U.geo; the "
        "wavelength from info/13parameters.txt beside the file. A MintPy <b>HDF-EOS5 .he5</b> reads its "
        "HDFEOS/GRIDS/timeseries/observation/displacement (m to mm) and its geometry and quality groups; an "
        "<b>OPERA DISP-S1</b> .nc its displacement (m to mm) from the reference to the secondary date of its name."
    )
    KEY_OUTPUT_FIELDS = {ids.OUTPUT_POINTS: ("VEL",)}

    def initAlgorithm(self, config=None):
        self.addParameter(declare.file(self.INPUT, "MintPy HDF5 file",
                                           file_filter="MintPy, LiCSBAS, OPERA DISP-S1 (*.h5 *.he5 *.H5 *.nc)"))
        self.addParameter(declare.text(self.DATASET, "Dataset (empty = the file's own)", optional=True))
        self.addParameter(declare.raster(self.MASK, "Mask (maskTempCoh.h5; pixels at 0 left out)", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT, "MintPy layer"))
        self.addParameter(declare.vector_out(self.OUTPUT_POINTS, "Points (VEL, V_STDEV, DYYYYMMDD)", "point",
                                             optional=True, create=False))

    def _layer(self, parameters, context):
        path = self.parameterAsFile(parameters, self.INPUT, context)
        dataset = self.parameterAsString(parameters, self.DATASET, context).strip() or None
        layer = h5_layers.open_layer(path, dataset=dataset, name=f"{self.INPUT}: {os.path.basename(path)}")
        mask, mask_layer = "", None
        if parameters.get(self.MASK):
            src = delivered.product_source(parameters.get(self.MASK))
            if src is None:
                raise GeohazardError(f"{self.MASK}: give a MintPy mask (maskTempCoh.h5, or HDF5:\"file.h5\"://mask), "
                                     f"not {parameters.get(self.MASK)!r}")
            mask = src[0]
            mask_layer = h5_layers.open_layer(mask, dataset=src[1], name=f"{self.MASK}: {os.path.basename(mask)}")
        if mask_layer is not None and mask_layer.shape != layer.shape:
            raise GeohazardError(f"{self.MASK}: {os.path.basename(mask)} has {mask_layer.shape[0]} x "
                                 f"{mask_layer.shape[1]} pixels, {os.path.basename(path)} {layer.shape[0]} x "
                                 f"{layer.shape[1]}: not the same grid")
        return path, layer, mask, mask_layer

    def check(self, parameters, context):
        _, layer, _, _ = self._layer(parameters, context)
        if parameters.get(self.OUTPUT_POINTS) and not layer.is_displacement:
            raise GeohazardError(f"{self.OUTPUT_POINTS}: points are made of a time series or a velocity, not of "
                                 f"{layer.dataset!r}")

    def process(self, parameters, context, feedback):
        path, layer, mask, mask_layer = self._layer(parameters, context)
        job = io_load.Job(path=path, layer=layer, mask=mask, mask_layer=mask_layer, name=self.INPUT,
                          output=self.parameterAsOutputLayer(parameters, self.OUTPUT, context),
                          points_output=self.parameterAsOutputLayer(parameters, self.OUTPUT_POINTS, context)
                          if parameters.get(self.OUTPUT_POINTS) else "",
                          ids={"output": self.OUTPUT, "points": self.OUTPUT_POINTS})
        return self.finish(io_load.run(job, progress=FeedbackProgress(feedback), context=context), feedback)
