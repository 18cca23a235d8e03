"""``geohazard:loadegms``. Load EGMS: European Ground Motion Service L2a/L2b/L3 products (CSV, zips, folders of tiles)
as dated point layers."""

from __future__ import annotations

import os

from ....fileio.formats import egms
from ....fileio.formats import loadegms as io_egms
from ...inputs import declare, ids, knobs
from ...inputs.ada import egms_tiles
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("loadegms", "Load EGMS product (L2a / L2b / L3 CSV)",
      tags="EGMS,European Ground Motion Service,Copernicus,import,velocity,subsidence,ground motion,points,tiles",
      page="ada", kernels=("formats.egms_tiles",))
class LoadEgms(GeohazardAlgorithm):
    INPUTS = "INPUTS"
    SERIES_STORAGE = "SERIES_STORAGE"
    HELP = (
        "Opens European Ground Motion Service (EGMS) point products — L2a Basic, L2b Calibrated or L3 "
        "Ortho — as point layers in one step. <b>Input</b>: one CSV as downloaded, plain or zipped (the .zip "
        "from the EGMS explorer) or a folder of them, and/or <b>Tiles</b>: several files, or folders read for "
        "their .zip and .csv "
        "files in file-name order (a national download of hundreds of tiles).\n\n"
        "<b>Output</b>: a GeoPackage with one point layer per track — L2a/L2b tiles are grouped by relative "
        "orbit and direction (EGMS_L2b_117_asc, EGMS_L2b_022_desc ...), L3 tiles by component (EGMS_L3_U, "
        "EGMS_L3_E); a single file gives one layer named after it — so an ascending point carries no empty "
        "descending dates. ADA detection given the GeoPackage's path finds the ADAs of every track on its own and "
        "writes them together with a layer field; another tool given the path reads its first layer (as QGIS loads "
        "a bare path) and warns naming the layers left out; give OUTPUT|layername=EGMS_L2b_022_desc to read one "
        "(tracks are never merged: their velocities are along different lines of sight). EPSG:3035 (ETRS89-LAEA, "
        "the EGMS easting/northing; files with latitude/longitude "
        "only are written in EPSG:4326) with typed fields: pid (text), mp_type/line/pixel (integer), all "
        "other attributes real (mean_velocity and mean_velocity_std mm/yr, LOS positive toward the "
        "satellite; los_east/los_north/los_up unit vector; heights m), date_first/date_last (date).\n\n"
        "<b>Series</b>: <i>fields</i> writes one displacement field per acquisition DYYYYMMDD "
        "(mm), the name the time-series, model and ADA tools read (on the real Ustica tiles 6.7x the zipped "
        "CSV on disk); "
        "<i>compressed table</i> keeps the series in the same GeoPackage as blocks of 1,024 points in 0.1 mm "
        "int16, differenced along time and zlib-compressed (exact for EGMS's 0.1 mm values; a block holding "
        "anything finer is kept as float32), which the time-series dock plots on a click: 1.8x the zipped "
        "CSV with the attributes and the spatial index (the series 0.74x), the form for national loads; "
        "<i>none</i> keeps attributes and velocities (what ADA detection reads) only (1.05x); "
        "<i>netCDF</i> writes beside the GeoPackage one netCDF-4 file per layer, OUTPUT_stem_layer.nc (CF "
        "timeSeries: dimensions point and time, displacement int16 with scale_factor 0.1 mm and _FillValue "
        "-32768, shuffled and deflated, the point coordinate holding the layer's fid, the dates as a CF time "
        "coordinate): about 230 bytes a point (the real Ustica tiles, 207 dates: the GeoPackage and the file "
        "together 1.8x the zips), read by every tool that reads dated fields (the layer's metadata "
        "GH_SERIES_FILE names it: keep it beside the GeoPackage), by GDAL (gdalmdiminfo), xarray "
        "(xarray.open_dataset) and Panoply. <i>Automatic</i> (default) takes netCDF when the tiles weigh more "
        "than 256 MB together (about 800,000 points, where dated fields would pass 1.5 GB and 200 columns), "
        "dated fields below; the log says which form was written.\n\n"
        "Tiles are streamed a chunk of lines at a time (memory bounded whatever the number of points: 10 M "
        "points measured: 47 s and 83 s of CPU on two cores with attributes only), inflated and parsed on other "
        "threads while this one writes through compiled SQLite inserts (the "
        "THREADS setting, Settings > Options > Advanced insar_geohazards/threads; every CPU by default; the "
        "same output whatever the count). Point IDs repeated across overlapping bursts are kept once per "
        "layer: the first copy read wins (tiles in the order given, a folder in file-name order). A damaged "
        "tile (bad zip, CRC error, malformed row) is named in a warning and skipped, the others load; when "
        "none can be read the tool stops naming each file and why. A spatial index is built for layers of "
        "up to 2,000,000 points (about 12 s of CPU per million points; QGIS builds one on demand for larger ones).\n"
        "Reference: EGMS Product Description Document, Copernicus Land Monitoring Service."
    )
    KEY_OUTPUT_FIELDS = {ids.OUTPUT: ("mean_velocity",)}
    SERIES_OPTIONS = ("Fields DYYYYMMDD in the layer (about 7x the CSV)",
                      "Series table in the GeoPackage (about 1.8x)",
                      "None (attributes and velocities only; about 1x)",
                      "netCDF-4 file per track beside it (about 1.8x)",
                      "Auto: netCDF past 256 MB, dated fields below")

    def initAlgorithm(self, config=None):
        self.addParameter(declare.file(self.INPUT, "EGMS CSV or ZIP file (or a folder of them)",
                                       file_filter="EGMS (*.csv *.zip *.CSV *.ZIP)", optional=True, or_folder=True))
        self.addParameter(declare.files(self.INPUTS, "EGMS tiles (files or folders of .zip / .csv)", optional=True))
        self.addParameter(declare.enum(self.SERIES_STORAGE, "Displacement series", list(self.SERIES_OPTIONS), 4))
        self.addParameter(declare.vector_out(self.OUTPUT, "EGMS points", "point"))

    def check(self, parameters, context):
        egms_tiles(self, parameters, context)

    def process(self, parameters, context, feedback):
        paths = egms_tiles(self, parameters, context)
        # the THREADS setting (QGIS option or environment; every CPU by default): tiles are inflated and parsed
        # on other threads while this one writes; the output is the same whatever the count
        job = io_egms.Job(paths=tuple(paths), output=self.parameterAsOutputLayer(parameters, self.OUTPUT, context),
                          series=egms.SERIES_MODES[self.parameterAsEnum(parameters, self.SERIES_STORAGE, context)],
                          workers=knobs.run_settings(self, parameters, context).threads or os.cpu_count() or 1,
                          output_id=self.OUTPUT)
        return self.finish(io_egms.run(job, progress=FeedbackProgress(feedback), context=context), feedback)

    @staticmethod
    def _series_line(report, asked: str) -> str:
        return io_egms.series_line(report, asked)
