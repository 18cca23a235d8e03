"""``geohazard:slipinversion``. Slip inversion: distributed slip on a fault from ascending and/or descending LOS
displacement maps (Okada half-space, regularised least squares)."""

from __future__ import annotations

import numpy as np
from qgis.core import QgsProcessingException

from ....algorithms.errors import GeohazardError
from ....algorithms.faults import faults, inversion
from ....fileio.display import styles
from ....fileio.faults import slipinversion as io_slip
from ...inputs import aliases, compilation, declare, ids, layers
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool
from ._common import OKADA_KERNELS, RAKE_HELP, _FitOutputs, add_rake_parameters, okada_cost, okada_estimate, rake_range


@tool("slipinversion", "Slip inversion from InSAR (distributed slip)",
      tags="slip,inversion,fault,earthquake,Okada,distributed slip,coseismic", main=("OUTPUT_PATCHES",),
      kernels=OKADA_KERNELS, page="faults", former=aliases.LOS_PAIR_ALIASES)
class SlipInversion(_FitOutputs, GeohazardAlgorithm):
    FAULT = "FAULT"
    PATCH_LENGTH = "PATCH_LENGTH"
    PATCH_WIDTH = "PATCH_WIDTH"
    RAKE_MIN = "RAKE_MIN"
    RAKE_MAX = "RAKE_MAX"
    SMOOTHING = "SMOOTHING"
    QUADTREE_STD = "QUADTREE_STD"
    RAMP = "RAMP"
    MAX_SLIP = "MAX_SLIP"
    DIP_SEARCH = "DIP_SEARCH"
    OUTPUT_PATCHES = "OUTPUT_PATCHES"
    OUTPUT_SAMPLES = "OUTPUT_SAMPLES"
    OUTPUT_MODEL = "OUTPUT_MODEL"
    OUTPUT_RESIDUAL = "OUTPUT_RESIDUAL"
    OUTPUT_LCURVE = "OUTPUT_LCURVE"
    HELP = (
        "Distributed slip on a fault from one or two LOS displacement maps (ascending and/or descending) in an "
        "elastic half-space (Okada 1992).\n\n"
        "<b>LOS rasters</b>: coseismic LOS displacement in mm, positive toward the satellite, projected CRS "
        "in metres; each with its incidence and heading (degrees; heading clockwise from north, right-looking; empty: "
        "the INCIDENCE_DEG / HEADING_DEG the raster carries, else the tool stops and says what to type).\n"
        "<b>Fault trace</b>: line layer (top edge, fault dipping to the right); <b>dip</b>, <b>top</b> and "
        "<b>bottom depth</b> (m); <b>patch length/width</b> (m) define the patches.\n"
        + RAKE_HELP.format(where="patch (default 50 m)") +
        "<b>Smoothing</b>: Laplacian weight; 0 = automatic choice "
        "at the corner of the L-curve (PNG output). <b>Ramp</b>: a plane per dataset is estimated with the slip.\n"
        "<b>Quadtree</b>: cells are split while their standard deviation exceeds the threshold (mm).\n"
        "<b>Dip grid search</b> ('min,max,step'): the inversion is run for each dip with the smoothing chosen at "
        "DIP (or given), the dip with the smallest RMS is kept and reported.\n\n"
        "<b>Outputs</b>: slip patches (polygons: strike_slip_m left-lateral +, dip_slip_m reverse +, slip_m, "
        "rake_deg, depth_m), quadtree samples (points: los_mm, model_mm, residual_mm, dataset), model and "
        "residual rasters on the grid of the first LOS raster (mm), the L-curve PNG, and M0 (N m), Mw, RMS "
        "(mm) and variance reduction.\n"
        "References: Jonsson et al. (2002) BSSA 92(4), doi:10.1785/0120000922; Okada (1992), "
        "doi:10.1785/BSSA0820021018."
    )
    OVERLAP = ((ids.LOS_ASC, ids.LOS_DESC), (ids.LOS_ASC, "FAULT", 1.0))

    def initAlgorithm(self, config=None):

        declare.add_los_pair(self)
        self.addParameter(declare.features(self.FAULT, "Fault trace (line layer)", "line"))
        for pid, label, default, lo, hi in (
                (self.DIP, "Dip (degrees)", 60.0, 0.001, 90.0),
                (self.TOP_DEPTH, "Top depth (m)", 0.0, 0.0, 1e6),
                (self.BOTTOM_DEPTH, "Bottom depth (m)", 15000.0, 1.0, 1e6),
                (self.PATCH_LENGTH, "Patch length along strike (m)", 2000.0, 10.0, 1e6),
                (self.PATCH_WIDTH, "Patch width down dip (m)", 2000.0, 10.0, 1e6),
                (self.SMOOTHING, "Smoothing weight (0 = L-curve corner)", 0.0, 0.0, 1e6),
                (self.QUADTREE_STD, "Quadtree split threshold (mm)", 5.0, 0.001, 1e6),
                (self.SHEAR_MODULUS, "Shear modulus (Pa)", 3.2e10, 1e6, 1e13),
                (self.POISSON, "Poisson's ratio", 0.25, 0.0, 0.499)):
            self.addParameter(declare.number(pid, label, default, lo, hi))
        add_rake_parameters(self, 50.0)
        self.addParameter(declare.boolean(self.RAMP, "Estimate a ramp per dataset", True))
        self.addParameter(declare.text(self.DIP_SEARCH, "Dip search 'min,max,step' (degrees)",
                                       optional=True))
        self.addParameter(declare.vector_out(self.OUTPUT_PATCHES, "Slip patches", "polygon"))
        self.addParameter(declare.vector_out(self.OUTPUT_SAMPLES, "Quadtree samples", "point", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_MODEL, "Model LOS (mm)", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_RESIDUAL, "Residual LOS (mm)", optional=True))
        self.addParameter(declare.file_out(self.OUTPUT_LCURVE, "L-curve", "PNG files (*.png)", optional=True))
        self.add_fit_outputs()

    def check(self, parameters, context):
        if self.parameterAsDouble(parameters, self.BOTTOM_DEPTH, context) <= self.parameterAsDouble(
                parameters, self.TOP_DEPTH, context):
            raise GeohazardError(self.tr("BOTTOM_DEPTH must be deeper than TOP_DEPTH."))
        rake_range(self, parameters, context)

    def _dips(self, parameters, context):
        """The dips of DIP_SEARCH 'min,max,step' (None when empty: invert at DIP)."""
        text = self.parameterAsString(parameters, self.DIP_SEARCH, context).strip()
        if not text:
            return None
        try:
            d0, d1, step = (float(t) for t in text.split(","))
        except ValueError:
            raise GeohazardError(f"{self.DIP_SEARCH}: expected 'min,max,step', got {text!r}") from None
        if step <= 0 or d1 < d0:
            raise GeohazardError(f"{self.DIP_SEARCH}: need min <= max and step > 0, got {text!r}")
        return np.arange(d0, d1 + 1e-9, step)

    def work_bytes(self, parameters, context):
        """On a first run: the design matrices' work (quadtree samples x patches, once more per dip searched; every
        pixel of the first raster x patches for the model and residual outputs) by Okada's cost model; the rasters
        are read and sampled for it (the run reads them again)."""
        if not compilation.pending_families(self.KERNELS):
            return None
        try:
            samples = sum(d[5].east_m.size for d in layers.los_datasets(self, parameters, context,
                                                                          self.QUADTREE_STD))
            v = self.values(parameters, context, self.DIP, self.TOP_DEPTH, self.BOTTOM_DEPTH)
            flts = io_slip.read_faults(  # this tool's depths are in m (not the km source-fault mixin's)
                self.parameterAsSource(parameters, self.FAULT, context), name=self.FAULT, dip_deg=v.DIP,
                top_m=v.TOP_DEPTH, bottom_m=v.BOTTOM_DEPTH, context=context,
                crs_wkt=self.raster_info(parameters, self.first_los(parameters), context).crs_wkt)
            dips = self._dips(parameters, context)
            size = dict(patch_length_m=self.parameterAsDouble(parameters, self.PATCH_LENGTH, context),
                        patch_width_m=self.parameterAsDouble(parameters, self.PATCH_WIDTH, context))
            inversion.check_problem_size(flts, **size, n_samples=samples, dips_deg=dips)  # the run refuses it
            patches, _ = faults.discretize(flts, **size)
        except (ValueError, OSError, RuntimeError, QgsProcessingException):
            return None
        table = patches.table()
        works = [okada_cost.okada_work(samples, table, "greens",
                                       evaluations=1 if dips is None else len(dips) + 2)]
        if parameters.get(self.OUTPUT_MODEL) or parameters.get(self.OUTPUT_RESIDUAL):
            first = self.raster_info(parameters, self.first_los(parameters), context)
            works.append(okada_cost.okada_work(first.width * first.height, table, "greens"))
        return okada_estimate(works)

    def first_los(self, parameters):
        """The first LOS raster given (its grid takes the model and residual outputs)."""
        return ids.LOS_ASC if parameters.get(ids.LOS_ASC) else ids.LOS_DESC

    def process(self, parameters, context, feedback):
        dips = self._dips(parameters, context)
        outputs = layers.output_paths(self, parameters, (self.OUTPUT_PATCHES, self.OUTPUT_SAMPLES, self.OUTPUT_MODEL,
                                                         self.OUTPUT_RESIDUAL), context,
                                      optional=(self.OUTPUT_SAMPLES, self.OUTPUT_MODEL, self.OUTPUT_RESIDUAL))
        outputs[self.OUTPUT_LCURVE] = layers.optional_file(self, parameters, self.OUTPUT_LCURVE, context)
        v = self.values(parameters, context, self.DIP, self.TOP_DEPTH, self.BOTTOM_DEPTH)
        job = io_slip.Job(los=tuple(layers.los_items(self, parameters, context, feedback)),
                          quadtree_std_mm=self.parameterAsDouble(parameters, self.QUADTREE_STD, context),
                          fault=self.parameterAsSource(parameters, self.FAULT, context), fault_name=self.FAULT,
                          dip_deg=v.DIP, top_m=v.TOP_DEPTH, bottom_m=v.BOTTOM_DEPTH,  # m, not the mixin's km
                          patch_length_m=self.parameterAsDouble(parameters, self.PATCH_LENGTH, context),
                          patch_width_m=self.parameterAsDouble(parameters, self.PATCH_WIDTH, context),
                          outputs={k: v for k, v in outputs.items() if v},
                          dips_deg=None if dips is None else tuple(dips),
                          smoothing=self.parameterAsDouble(parameters, self.SMOOTHING, context),
                          rake_range_deg=rake_range(self, parameters, context),
                          max_slip_m=self.parameterAsDouble(parameters, self.MAX_SLIP, context),
                          ramp=self.parameterAsBool(parameters, self.RAMP, context),
                          poisson=self.parameterAsDouble(parameters, self.POISSON, context),
                          shear_modulus_pa=self.parameterAsDouble(parameters, self.SHEAR_MODULUS, context))
        outcome = io_slip.run(job, progress=FeedbackProgress(feedback, 0, 95), context=context)
        for oid in (self.OUTPUT_MODEL, self.OUTPUT_RESIDUAL):
            if oid in outcome.outputs:
                styles.style_raster_diverging(outcome.outputs[oid], context=context)
        return self.finish(outcome, feedback)
