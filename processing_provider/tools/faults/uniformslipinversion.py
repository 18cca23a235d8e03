"""``geohazard:uniformslipinversion``. Uniform-slip inversion: the single rectangular fault with uniform slip that best
explains LOS displacement maps, by a global search."""

from __future__ import annotations

import numpy as np
from qgis.core import QgsProcessingException

from ....algorithms.errors import GeohazardError
from ....algorithms.faults.inversion import uniform_search_cost
from ....fileio.faults import uniformslipinversion as io_uniform
from ...inputs import aliases, compilation, declare, ids, layers
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool
from ._common import OKADA_KERNELS, RAKE_HELP, _FitOutputs, add_rake_parameters, okada_cost, okada_estimate, rake_range


def _range(alg, parameters, pid, context):
    text = alg.parameterAsString(parameters, pid, context)
    try:
        lo, hi = (float(t) for t in text.replace(";", ",").split(","))
    except ValueError:
        raise GeohazardError(f"{pid}: expected 'min,max', got {text!r}") from None
    if hi < lo:
        raise GeohazardError(f"{pid}: min must not exceed max, got {text!r}")
    return lo, hi


@tool("uniformslipinversion", "Uniform-slip fault inversion from InSAR (global search)",
      tags="slip,inversion,fault,earthquake,Okada,uniform slip,coseismic,Monte Carlo", kernels=OKADA_KERNELS,
      page="faults", former=aliases.LOS_PAIR_ALIASES)
class UniformSlipInversion(_FitOutputs, GeohazardAlgorithm):
    EAST_RANGE = "EAST_RANGE"
    NORTH_RANGE = "NORTH_RANGE"
    STRIKE_RANGE = "STRIKE_RANGE"
    DIP_RANGE = "DIP_RANGE"
    TOP_RANGE = "TOP_RANGE"
    LENGTH_RANGE = "LENGTH_RANGE"
    WIDTH_RANGE = "WIDTH_RANGE"
    N_MONTE_CARLO = "N_MONTE_CARLO"
    MAX_ITERATIONS = "MAX_ITERATIONS"
    SEED = "SEED"
    OUTPUT_FAULT = "OUTPUT_FAULT"
    OUTPUT_TABLE = "OUTPUT_TABLE"
    RAKE_MIN = "RAKE_MIN"
    RAKE_MAX = "RAKE_MAX"
    MAX_SLIP = "MAX_SLIP"
    QUADTREE_STD = "QUADTREE_STD"
    HELP = (
        "Finds the single rectangular fault with uniform slip that best explains one or two LOS maps, by a "
        "global search (differential evolution) over location, strike, dip, top depth, length and width "
        "within bounds; for each trial geometry the slip (free rake, or within the rake bounds) and a ramp per "
        "dataset are the bounded least-squares solution. Uncertainties: the search is repeated on data perturbed with "
        "Gaussian noise of the best fit's RMS (Monte Carlo).\n\n"
        "<b>LOS rasters</b>: mm, positive toward the satellite, projected CRS (metres), each with incidence and "
        "heading (empty: the INCIDENCE_DEG / HEADING_DEG the raster carries, else the tool stops and says what to "
        "type).\n"
        + RAKE_HELP.format(where="fault (default 20 m)") +
        "<b>Ranges</b>: 'min,max'; location is the centre of the top edge (map coordinates, m); "
        "strike/dip in degrees (fault dips to the right of strike); depth, length, width in m.\n\n"
        "<b>Outputs</b>: the best fault as a line (top edge) with dip_deg, top_m, bottom_m, slip_m, rake_deg, "
        "strike_slip_m, dip_slip_m, mw (usable in okadaforward and coulombstress), and a table with one row per "
        "Monte-Carlo realisation; the log gives means and standard deviations.\n"
        "<b>Cost</b>: the search is estimated before it starts (misfit evaluations x quadtree samples); an "
        "estimate above one hour is refused with the figures, lower N_MONTE_CARLO or MAX_ITERATIONS or raise "
        "QUADTREE_STD. Progress is reported per optimiser generation and Cancel stops the search.\n"
        "References: Storn & Price (1997) doi:10.1023/A:1008202821328; Okada (1992) doi:10.1785/BSSA0820021018."
    )
    OVERLAP = ((ids.LOS_ASC, ids.LOS_DESC),)
    #: the search box, one parameter per axis: ID, label, default (None = optional)
    RANGES = ((EAST_RANGE, "Top-edge centre easting range (m)", None),
              (NORTH_RANGE, "Top-edge centre northing range (m)", None),
              (STRIKE_RANGE, "Strike range (degrees)", "0,180"), (DIP_RANGE, "Dip range (degrees)", "20,89"),
              (TOP_RANGE, "Top depth range (m)", "0,10000"), (LENGTH_RANGE, "Length range (m)", "2000,60000"),
              (WIDTH_RANGE, "Width range (m)", "2000,30000"))

    def initAlgorithm(self, config=None):
        declare.add_los_pair(self)
        for pid, label, default in self.RANGES:
            self.addParameter(declare.text(pid, label, default, optional=default is None))
        add_rake_parameters(self, 20.0)
        for pid, label, default, lo, hi in ((self.QUADTREE_STD, "Quadtree split threshold (mm)", 5.0, 0.001, 1e6),
                                            (self.SHEAR_MODULUS, "Shear modulus (Pa)", 3.2e10, 1e6, 1e13),
                                            (self.POISSON, "Poisson's ratio", 0.25, 0.0, 0.499)):
            self.addParameter(declare.number(pid, label, default, lo, hi))
        self.addParameter(declare.integer(self.N_MONTE_CARLO, "Monte-Carlo realisations", 20, 0, 1000))
        self.addParameter(declare.integer(self.MAX_ITERATIONS, "Optimiser generations", 60, 5, 10000))
        self.addParameter(declare.integer(self.SEED, "Random seed", 0, 0))
        self.addParameter(declare.vector_out(self.OUTPUT_FAULT, "Best fault", "line"))
        self.addParameter(declare.vector_out(self.OUTPUT_TABLE, "Monte-Carlo table", "table", optional=True))
        self.add_fit_outputs()

    def check(self, parameters, context):
        for pid, _, _ in self.RANGES:
            if self.parameterAsString(parameters, pid, context).strip():
                _range(self, parameters, pid, context)
        rake_range(self, parameters, context)

    def bounds(self, parameters, context) -> tuple:
        """The search box: ``(min, max)`` per axis of :attr:`RANGES`; None for a location range left empty (the
        first raster's extent)."""
        out = []
        for axis, (pid, _, _) in enumerate(self.RANGES):
            if self.parameterAsString(parameters, pid, context).strip():
                out.append(_range(self, parameters, pid, context))
            elif axis > 1:
                raise GeohazardError(f"{pid} is required")
            else:
                out.append(None)
        return tuple(out)

    def work_bytes(self, parameters, context):
        """On a first run: the search's misfit evaluations (``inversion.uniform_search_cost``), each a design matrix
        of one patch at every quadtree sample, by Okada's cost model; the rest of the search the same on both
        paths. The rasters are read and sampled for it (the run reads them again)."""
        if not compilation.pending_families(self.KERNELS):
            return None
        try:
            samples = sum(d[5].east_m.size for d in layers.los_datasets(self, parameters, context,
                                                                          self.QUADTREE_STD))
        except (ValueError, OSError, RuntimeError, QgsProcessingException):
            return None
        evals, seconds = uniform_search_cost(samples, maxiter=self.parameterAsInt(parameters, self.MAX_ITERATIONS,
                                                                                  context),
                                             n_monte_carlo=self.parameterAsInt(parameters, self.N_MONTE_CARLO, context))
        one = np.zeros((1, 11))
        one[0, 5:7] = 1.0  # one rectangle: its work is counted per patch, whatever its geometry
        return okada_estimate([okada_cost.okada_work(samples, one, "greens", evaluations=evals)], extra_s=seconds)

    def process(self, parameters, context, feedback):
        tab = self.parameterAsOutputLayer(parameters, self.OUTPUT_TABLE, context) \
            if parameters.get(self.OUTPUT_TABLE) else ""
        job = io_uniform.Job(los=tuple(layers.los_items(self, parameters, context, feedback)),
                             quadtree_std_mm=self.parameterAsDouble(parameters, self.QUADTREE_STD, context),
                             bounds=self.bounds(parameters, context),
                             fault_output=self.parameterAsOutputLayer(parameters, self.OUTPUT_FAULT, context),
                             table_output=tab, rake_range_deg=rake_range(self, parameters, context),
                             max_slip_m=self.parameterAsDouble(parameters, self.MAX_SLIP, context),
                             shear_modulus_pa=self.parameterAsDouble(parameters, self.SHEAR_MODULUS, context),
                             poisson=self.parameterAsDouble(parameters, self.POISSON, context),
                             n_monte_carlo=self.parameterAsInt(parameters, self.N_MONTE_CARLO, context),
                             max_iterations=self.parameterAsInt(parameters, self.MAX_ITERATIONS, context),
                             seed=self.parameterAsInt(parameters, self.SEED, context))
        return self.finish(io_uniform.run(job, progress=FeedbackProgress(feedback, 0, 95)), feedback)
