"""``geohazard:referencepoint``. Reference point: a coherent pixel, valid in every interferogram, that moves like the
stable majority; the stack re-referenced to it."""

from __future__ import annotations

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessingOutputString,
)

from ....algorithms.progress import SubProgress
from ....io import vector
from ...inputs import declare, knobs, layers, stacks
from ...inputs.feedback import FeedbackProgress
from ...lazy import lazy_module
from .._base import StackAlgorithm, tool
from ._common import STACK_HELP

corrections = lazy_module("....io.corrections", __package__)
reference = lazy_module("....algorithms.corrections.reference", __package__)  # numba: loaded when a run starts


@tool("referencepoint", "Reference point (coherent and stable)",
      tags="reference point,stable,coherence,SBAS,time series,MintPy", page="corrections", engine=True)
class ReferencePoint(StackAlgorithm):
    HELP = (
        "Chooses the reference point of a time series: a pixel with data in every interferogram whose "
        "neighbourhood is coherent (MintPy reference_point: maximum average coherence) and which moves like the "
        "coherent majority of the scene: the weighted stacking rate of each pixel (Sandwell & Price 1998, "
        "doi:10.1029/1998JB900010) is compared with their median, and score = window-mean coherence x "
        "exp(-|rate - median| / (3 MAD)) is maximised. A very coherent pixel in a subsidence bowl thus loses "
        "to a coherent one outside it; where most of the scene moves (a city-wide subsidence bowl), give the "
        "<b>stable area</b> (polygons and/or mask raster): the reference is then chosen inside it. Untick "
        "<b>Stability</b> for the coherence-only choice.\n\n"
        + STACK_HELP +
        "<b>Window</b>: side of the neighbourhood (pixels, odd; 5 as the SBAS tool).\n\n"
        "<b>Outputs</b>: the point (GeoPackage in the interferograms' CRS: ROW, COL, COHERENCE, RATE in input "
        "unit per year, SCORE), REFERENCE_POINT as text 'x,y [CRS]' to wire into the SBAS tool's REFERENCE in a "
        "model, and a CSV of the best candidates."
    )

    IDS = "WINDOW STABILITY MASK REFERENCE_POINT"

    def initAlgorithm(self, config=None):
        self.addParameter(declare.integer(self.WINDOW, "Window (pixels)", 5, 1, 51))
        self.addParameter(declare.boolean(self.STABILITY, "Prefer pixels that move like the scene (stability)", True))
        self.addParameter(declare.vector_layer(self.STABLE_AREA, "Stable area (polygons)", "polygon", optional=True))
        self.addParameter(declare.raster(self.MASK, "Mask raster (non-zero = allowed)", optional=True))
        self.addParameter(declare.vector_out(self.OUTPUT, "Reference point", "point"))
        self.addParameter(declare.file_out(self.OUTPUT_REPORT, "Candidates (CSV)", "CSV files (*.csv)", optional=True))
        self.addOutput(QgsProcessingOutputString(self.REFERENCE_POINT, self.tr("Reference point as 'x,y [CRS]'")))

    def process(self, parameters, context, feedback):
        progress, run = FeedbackProgress(feedback), knobs.run_settings(self, parameters, context)
        stack = stacks.correction_stack(self, parameters, context, feedback, run)
        choice = choose_reference(stack, run, SubProgress(progress, 0, 90),
                                  window=self.parameterAsInt(parameters, self.WINDOW, context),
                                  stability=self.parameterAsBool(parameters, self.STABILITY, context),
                                  allowed=layers.fit_mask(self, parameters, context, stack.info))
        info = stack.info
        x, y = info.pixel_centres(choice.row, choice.col)
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        vector.write_vector(out, {"ROW": np.array([choice.row]), "COL": np.array([choice.col]),
                                  "COHERENCE": np.array([choice.coherence]), "RATE": np.array([choice.rate]),
                                  "SCORE": np.array([choice.score])}, crs_wkt=info.crs_wkt, x=np.array([float(x)]),
                            y=np.array([float(y)]))
        authid = QgsCoordinateReferenceSystem.fromWkt(info.crs_wkt).authid() if info.crs_wkt else ""
        text = f"{float(x)!r},{float(y)!r}" + (f" [{authid}]" if authid else "")
        feedback.pushInfo(self.note(f"Reference point: row {choice.row}, column {choice.col} ({text}); window "
                                    f"coherence {choice.coherence:.3f}, rate {choice.rate:.4g} vs scene median "
                                    f"{choice.median_rate:.4g} (input unit per year)"))
        result = {self.OUTPUT: out, self.REFERENCE_POINT: text}
        rep = layers.optional_file(self, parameters, self.OUTPUT_REPORT, context)
        if rep:
            rows = []
            for k, c in enumerate(choice.candidates, 1):
                cx, cy = info.pixel_centres(c["row"], c["col"])
                rows.append({"rank": k, **c, "x": float(cx), "y": float(cy)})
            result[self.OUTPUT_REPORT] = corrections.write_csv(rep, rows)
        return result


def choose_reference(stack: corrections.Stack, run, progress, *, window: int = 5,
                     stability: bool = True, allowed=None) -> reference.ReferenceChoice:
    """The coherence + stability reference of a stack (one block pass, then :func:`reference.select_reference`)."""
    maps = corrections.stacking_sums(stack, run, progress)
    rate = reference.stacking_rate(maps["sdt"], maps["dt2"])
    return reference.select_reference(maps["count"], stack.m, rate=rate, mean_coherence=maps.get("coh"),
                                      window=window, stability=stability, allowed=allowed)
