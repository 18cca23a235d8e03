"""``geohazard:geometricdistortion``. Geometric distortion: layover, shadow, foreshortening, R-index and slope
visibility of a SAR geometry over a DEM."""

from __future__ import annotations

import numpy as np

from ....algorithms.errors import GeohazardError
from ....fileio.base import raster
from ....fileio.display import styles
from ....fileio.geometry import geometricdistortion as io_dist
from ....fileio.geometry import geometry
from ...inputs import declare, ids, knobs, layers
from ...inputs import geometry as pair
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("geometricdistortion", "Geometric distortion (layover, shadow, R-index, visibility)",
      tags="layover,shadow,foreshortening,R-index,visibility,sensitivity,landslide,DEM",
      kernels=("geometry.distortion",), page="geometry", engine=True)
class GeometricDistortion(GeohazardAlgorithm):
    HEADING_2 = "HEADING_2"
    INCIDENCE_2 = "INCIDENCE_2"
    INCIDENCE_RASTER_2 = "INCIDENCE_RASTER_2"
    STRONG_RATIO = "STRONG_RATIO"
    MODERATE_RATIO = "MODERATE_RATIO"
    FLAT_SLOPE = "FLAT_SLOPE"
    OUTPUT_CLASSES = "OUTPUT_CLASSES"
    OUTPUT_RINDEX = "OUTPUT_RINDEX"
    OUTPUT_VISIBILITY = "OUTPUT_VISIBILITY"
    OUTPUT_TABLE = "OUTPUT_TABLE"
    OUTPUT_COMBINED = "OUTPUT_COMBINED"
    HELP = (
        "Maps where a SAR geometry can see the ground: active and passive layover, active and passive "
        "shadow, strong and moderate foreshortening and good visibility; the R-index; and the visibility/"
        "sensitivity of each slope to downslope motion, with a table of the share of each class.\n\n"
        "<b>DEM</b>: heights in metres, projected or geographic CRS (slope and aspect are computed in metres "
        "either way: a geographic DEM uses the WGS84 pixel size of each row). A GAMMA DEM as GAMMA writes it "
        "(e.g. 20060619_utm.dem, no header) is read with the DEM/MAP parameter file beside it, and the heading "
        "and incidence of the image parameter file beside it (*_slc.par, *.mli.par) are used (docs/products.md).\n"
        "<b>Heading</b>: satellite flight direction, degrees clockwise from north (Sentinel-1 ascending about "
        "-10 to -13, descending about 190-193). <b>Incidence</b>: degrees from the vertical, one value or a "
        "raster on the DEM grid, band 1 (incidence in degrees/radians, e.g. ISCE los.rdr.geo band 1 or MintPy's "
        "geometryGeo.h5, the look-vector elevation angle lv_theta = 90 - incidence of GAMMA/HyP3 in radians, "
        "LiCSAR's U.tif; its content is declared and checked against the values and the file). The geometry has "
        "no default: typed, else the INCIDENCE_DEG / HEADING_DEG the DEM carries, else the tool stops and says "
        "what to type (scripts that relied on the former -12 / 37 now type them). The range scan uses one heading "
        "for the scene (it changes by a fraction of a degree along a frame). <b>Look side</b>: right for every "
        "current spaceborne SAR.\n"
        "<b>Heading raster</b> (optional): per-pixel heading, or the look-vector azimuth of GAMMA/HyP3 (lv_phi) "
        "or ISCE (los band 2); the range scan then uses its circular mean.\n"
        "<b>Second geometry</b> (optional heading): gives a combined map with the best class of the two per "
        "pixel (band 1) and which geometry gave it (band 2: 1 = first, 2 = second, 3 = equal).\n\n"
        "Active layover: slope facing the sensor steeper than the incidence; active shadow: slope facing away "
        "steeper than 90 - incidence. Passive layover (ground sharing its slant range with a layover slope) and "
        "passive shadow (ground hidden behind a ridge) come from a scan of every range line across the DEM "
        "(far-field approximation, block by block with bounded memory: blocks of at most 256 rows, fewer when the "
        "memory for one block (advanced) is smaller than 64 bytes a pixel times that; a 1-gigapixel DEM runs in "
        "under 1 GB, and "
        "needs about 9 bytes per pixel of free disk for the outputs and the temporary scan files). Foreshortening "
        "is judged by R-index / sin(incidence), the ground length of a pixel relative to flat ground: strong below "
        "0.5, moderate below 0.8 (configurable).\n"
        "R-index = sin(incidence - alpha), alpha the slope along range (positive facing the sensor); <= 0 is "
        "layover, NaN in active shadow.\n"
        "Visibility classes: shadow, layover, parallel illumination (LOS within 10 degrees of grazing the slope), "
        "flat (slope below the flat threshold: motion assumed vertical), low sensitivity (|C| below the "
        "threshold, C the cosine between the LOS and the downslope direction), sensitivity.\n\n"
        "Outputs: class raster (styled legend), R-index raster, visibility raster, a CSV table (geometry, "
        "class, pixels, share %, area km2) and the optional combined raster.\n"
        "References: Notti D. et al. (2014) doi:10.1080/01431161.2014.894528; Cigna F. et al. (2014) "
        "doi:10.5194/nhess-14-2373-2014; Kropatsch & Strobl (1990) doi:10.1109/36.58986."
    )
    OVERLAP = ((ids.DEM, ids.INCIDENCE_RASTER), (ids.DEM, ids.HEADING_RASTER), (ids.DEM, "INCIDENCE_RASTER_2"))
    LOOKS = ["right", "left"]
    #: the arrays written and their GeoTIFF dtypes (blocks computed elsewhere carry only these back)
    WRITTEN = {"classes": None, "rindex": np.float32, "visibility": None}

    def initAlgorithm(self, config=None):
        self.addParameter(declare.raster(self.DEM, "DEM (metres)"))
        self.addParameter(declare.number(self.HEADING, "Heading (degrees clockwise from north)",
                                         None, -360.0, 360.0, optional=True))
        self.addParameter(declare.number(self.INCIDENCE,
                                         "Incidence angle (degrees; or a raster)", None,
                                         0.001, 89.999, optional=True))
        self.addParameter(declare.raster(self.INCIDENCE_RASTER, "Incidence raster (DEM grid)", optional=True))
        self.addParameter(declare.enum(self.INCIDENCE_UNITS, "Incidence raster content", geometry.INCIDENCE_KINDS))
        self.addParameter(declare.raster(self.HEADING_RASTER, "Heading / LOS azimuth raster (DEM grid)",
                                         optional=True))
        self.addParameter(declare.enum(self.HEADING_UNITS, "Heading raster content", geometry.HEADING_KINDS))
        self.addParameter(declare.enum(self.LOOK, "Look side", self.LOOKS))
        self.addParameter(declare.number(self.HEADING_2, "Second geometry: heading (degrees)",
                                         None, -360.0, 360.0, optional=True))
        self.addParameter(declare.number(self.INCIDENCE_2, "Second geometry: incidence (degrees)", None, 0.001, 89.999,
                                         optional=True))
        self.addParameter(declare.raster(self.INCIDENCE_RASTER_2,
                                         "Second geometry: incidence raster", optional=True))
        self.addParameter(declare.number(self.STRONG_RATIO, "Strong foreshortening below R-index / sin(incidence)", 0.5,
                                         0.01, 1.0))
        self.addParameter(declare.number(self.MODERATE_RATIO, "Moderate foreshortening below R-index / sin(incidence)",
                                         0.8, 0.01, 1.0))
        self.addParameter(declare.number(self.FLAT_SLOPE, "Flat below slope (degrees)", 5.0, 0.0, 89.0))
        self.addParameter(declare.number(self.MIN_SENSITIVITY, "Low sensitivity below |C| (cosine LOS / downslope)",
                                         0.3, 0.01, 1.0))
        self.addParameter(declare.raster_out(self.OUTPUT_CLASSES, "Distortion classes"))
        self.addParameter(declare.raster_out(self.OUTPUT_RINDEX, "R-index", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_VISIBILITY, "Visibility / sensitivity classes", optional=True))
        self.addParameter(declare.file_out(self.OUTPUT_TABLE, "Class shares table", "CSV files (*.csv)", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_COMBINED, "Combined two-geometry classes", optional=True,
                                             create=False))

    def _second(self, parameters):
        return parameters.get(self.HEADING_2) not in (None, "")

    def check(self, parameters, context):
        dem = self.raster_info(parameters, self.DEM, context)
        geometry.metric_pixel_size(dem, self.DEM)
        for p in (self.INCIDENCE_RASTER, self.INCIDENCE_RASTER_2, self.HEADING_RASTER):
            if parameters.get(p):
                raster.check_same_grid([dem, self.raster_info(parameters, p, context)], [self.DEM, p])
        if self.parameterAsDouble(parameters, self.STRONG_RATIO, context) >= \
                self.parameterAsDouble(parameters, self.MODERATE_RATIO, context):
            raise GeohazardError("STRONG_RATIO must be smaller than MODERATE_RATIO")
        if parameters.get(self.OUTPUT_COMBINED) and not self._second(parameters):
            raise GeohazardError("OUTPUT_COMBINED needs a second geometry: set HEADING_2")

    def process(self, parameters, context, feedback):
        info = self.raster_info(parameters, self.DEM, context)
        geos = pair.acquisition_geometries(self, parameters, context, feedback, info)
        names = {self.OUTPUT_CLASSES: "classes", self.OUTPUT_RINDEX: "rindex", self.OUTPUT_VISIBILITY: "visibility",
                 self.OUTPUT_COMBINED: "combined"}
        outs = layers.output_paths(self, parameters, names, context, optional=list(names)[1:])
        table = layers.optional_file(self, parameters, self.OUTPUT_TABLE, context)
        v = self.values(parameters, context, self.STRONG_RATIO, self.MODERATE_RATIO, self.FLAT_SLOPE,
                        self.MIN_SENSITIVITY)
        job = io_dist.Job(dem=info, dem_name=self.DEM, geometries=tuple(geos), outputs=outs, kinds=names,
                          written=self.WRITTEN, table=table or "", table_id=self.OUTPUT_TABLE,
                          strong_ratio=v.STRONG_RATIO, moderate_ratio=v.MODERATE_RATIO, flat_slope_deg=v.FLAT_SLOPE,
                          min_sensitivity=v.MIN_SENSITIVITY, settings=knobs.run_settings(self, parameters, context))
        outcome = io_dist.run(job, progress=FeedbackProgress(feedback))
        styles.style_distortion({names[k]: p for k, p in outs.items()}, context)
        return self.finish(outcome, feedback)
