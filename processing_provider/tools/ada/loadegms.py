"""loadegms."""

from __future__ import annotations

import numpy as np

from ....algorithms.formats import dates, egms
from ....algorithms.progress import SubProgress, check_canceled
from ....io import ada, styles
from ...inputs import declare
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("loadegms", "Load EGMS product (L2a / L2b / L3 CSV)", group="formats",
      tags="EGMS,European Ground Motion Service,Copernicus,import,velocity,subsidence,ground motion,points", page="ada")
class LoadEgms(GeohazardAlgorithm):
    KEY_OUTPUT_FIELDS = {"OUTPUT": ("mean_velocity",)}
    HELP = (
        "Opens a European Ground Motion Service (EGMS) point product — L2a Basic, L2b Calibrated or L3 "
        "Ortho — as a point layer in one step. <b>Input</b>: the CSV as downloaded, plain or zipped "
        "(the .zip from the EGMS explorer).\n\n"
        "<b>Output</b>: a GeoPackage point layer in EPSG:3035 (ETRS89-LAEA, the EGMS easting/northing; "
        "L2a files with latitude/longitude only are written in EPSG:4326) with typed fields: pid (text), "
        "mp_type/line/pixel (integer), all other attributes real (mean_velocity and mean_velocity_std "
        "mm/yr, LOS positive toward the satellite; los_east/los_north/los_up unit vector; heights m), "
        "date_first/date_last (date), and one displacement field per acquisition DYYYYMMDD (mm), the "
        "name the time-series and ADA tools read.\n"
        "Reference: EGMS Product Description Document, Copernicus Land Monitoring Service."
    )


    def initAlgorithm(self, config=None):
        self.addParameter(declare.file(self.INPUT, "EGMS CSV or ZIP file",
                                       file_filter="EGMS (*.csv *.zip *.CSV *.ZIP)"))
        self.addParameter(declare.vector_out(self.OUTPUT, "EGMS points", "point"))

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        path = self.parameterAsFile(parameters, self.INPUT, context)
        data = egms.read_egms(path)
        progress.set_progress(40)
        check_canceled(progress)
        fields = dict(data.columns)
        n = len(data)
        if data.dates:
            fields["date_first"] = np.array([data.dates[0]] * n, dtype=object)
            fields["date_last"] = np.array([data.dates[-1]] * n, dtype=object)
            for j, d in enumerate(data.dates):
                fields[dates.field_name(d)] = data.displacement_mm[:, j].astype(np.float64)
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        ada.write_points_gpkg(out, data.x, data.y, fields, crs_wkt=ada.epsg_wkt(data.epsg), layer_name=data.name,
                              progress=SubProgress(progress, 40, 100))
        styles.style_ada_vector(out, context, field_name_="mean_velocity", kind="velocity")
        feedback.pushInfo(f"{data.level}: {n} points, {len(data.dates)} dates "
                          f"({data.dates[0] if data.dates else '-'} .. {data.dates[-1] if data.dates else '-'}), "
                          f"EPSG:{data.epsg}")
        return {self.OUTPUT: out}
