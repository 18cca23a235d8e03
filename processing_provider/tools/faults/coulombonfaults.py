"""``geohazard:coulombonfaults``. Coulomb stress on faults: the Coulomb failure stress change resolved on every segment
of a receiver fault inventory."""

from __future__ import annotations

import numpy as np

from ....algorithms.errors import GeohazardError
from ....algorithms.faults import receivers
from ....fileio.display import styles
from ....fileio.faults import coulombonfaults as io_receivers
from ...inputs import aliases, declare
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool
from ._common import COMMON_SOURCE_HELP, COULOMB_UNITS_HELP, OKADA_KERNELS, UNITS, _CoulombParams, _FaultSourceMixin


@tool("coulombonfaults", "Coulomb stress change on mapped faults",
      tags="Coulomb,stress,CFS,receiver faults,earthquake,triggering", kernels=OKADA_KERNELS, page="faults",
      former=aliases.DEPTH_KM_ALIASES)
class CoulombOnFaults(_CoulombParams, _FaultSourceMixin, GeohazardAlgorithm):
    RECEIVERS = "RECEIVERS"
    HELP = (
        "Coulomb failure stress change from source fault slip, resolved on every segment of a receiver fault "
        "inventory.\n\n"
        + COMMON_SOURCE_HELP +
        "<b>Receiver faults</b>: a line layer (same projected CRS family); strike comes from each segment's "
        "direction (fault dipping to the right), dip and rake from the fields dip_deg / rake_deg when present, "
        "else the default receiver dip and rake. With fields top_m / bottom_m (as written by "
        "importcoulombinput) the line is the receiver's top edge at depth top_m (Coulomb's convention); without "
        "them it is the surface trace (top 0 m).\n"
        "<b>Depths</b> (km, or <i>mid</i> for each receiver's mid-depth, Coulomb's element centre): stress is "
        "computed where each segment's plane reaches that depth, below the segment midpoint and (depth - "
        "top_m) / tan(dip) down-dip. A depth outside a receiver's top_m..bottom_m is computed on the plane's "
        "extension and the receivers concerned are named in a warning.\n"
        "<b>Elastic constants and friction</b>: a value you type (not left at its default) is used; else the "
        "Coulomb file's shear modulus (E1, PR1), Poisson's ratio and friction (FRIC), from COULOMB_INP or from the "
        "fields shear_modulus_pa, poisson, friction of the FAULTS / RECEIVERS layers importcoulombinput writes; "
        "else the defaults. A typed value that differs from the file's is a warning naming both; the log says where "
        "each value came from.\n"
        + COULOMB_UNITS_HELP.format(pixel="", pixel_old="") + "\n"
        "<b>Output</b>: the receiver segments with fields strike_deg, dip_deg, rake_deg, top_m, bottom_m and, per "
        "depth, named by the depth in km (5 km: dcfs_5km, shear_5km, normal_5km; 7.5 km: dcfs_7p5km; mid: "
        "dcfs_mid; normal positive = unclamping) in the chosen unit on the given "
        "rake, and opt_rake_5km / opt_dcfs_5km: the rake of the largest resolved shear on the fixed plane "
        "(Coulomb's optimum rake on a specified fault) and dCFS on it; styled red above +0.1 bar and blue below "
        "-0.1 bar.\n"
        "Reference: King G., Stein R., Lin J. (1994) BSSA 84(3) 935-953, doi:10.1785/BSSA0840030935."
    )

    def initAlgorithm(self, config=None):
        self.add_source_parameters()
        self.addParameter(declare.features(self.RECEIVERS, "Receiver faults (line layer)", "line"))
        self.add_coulomb_parameters(strike=False)
        self.addParameter(declare.vector_out(self.OUTPUT, "Receivers with Coulomb stress", "line"))

    def receiver_depths(self, parameters, context):
        """DEPTHS as a list of metres, ``None`` standing for each receiver's mid-depth ("mid")."""
        text = self.parameterAsString(parameters, self.DEPTHS, context)
        out = []
        for tok in (t.strip() for t in text.replace(";", ",").split(",")):
            if not tok:
                continue
            if tok.lower() in ("mid", "centre", "center"):
                out.append(None)
                continue
            try:
                v = float(tok)
            except ValueError:
                raise GeohazardError(f"{self.DEPTHS}: {text!r} is not a comma-separated list of depths in km "
                                     f"(or 'mid')") from None
            if not np.isfinite(v) or v < 0:
                raise GeohazardError(f"{self.DEPTHS}: give depths >= 0 km (or 'mid'), got {text!r}")
            out.append(v * 1000.0)
        if not out:
            raise GeohazardError(f"{self.DEPTHS}: give one or more depths >= 0 km (or 'mid'), got {text!r}")
        return out

    def work_bytes(self, parameters, context):
        source = self.parameterAsSource(parameters, self.RECEIVERS, context)
        try:
            depths = self.receiver_depths(parameters, context)
        except ValueError:
            return None
        if source is None:
            return None

        def segments(crs):
            return sum(max(1, f.geometry().constGet().nCoordinates() - 1) for f in source.getFeatures()
                       if f.hasGeometry())

        return self.okada_work(parameters, context, segments, "gradients", depths_m=depths)

    def process(self, parameters, context, feedback):
        sources, crs, cin = self.read_sources(parameters, context, feedback)
        mu, nu, friction = self.material(parameters, context, cin, feedback)
        depths = self.receiver_depths(parameters, context)
        unit, scale = UNITS[self.parameterAsEnum(parameters, self.UNITS, context)]
        # top/bottom: NaN when the layer has no such field (the line is then a surface trace of unknown extent)
        defaults = {"dip": self.parameterAsDouble(parameters, self.RECEIVER_DIP, context), "top": np.nan,
                    "bottom": np.nan, "slip": 0.0, "opening": 0.0,
                    "rake": self.parameterAsDouble(parameters, self.RECEIVER_RAKE, context)}
        job = io_receivers.Job(sources=sources, receivers=self.parameterAsSource(parameters, self.RECEIVERS, context),
                               receiver_defaults=defaults, crs=crs, depths_m=tuple(depths), shear_modulus_pa=mu,
                               poisson=nu, friction=friction,
                               scale_pa=scale, output=self.parameterAsOutputLayer(parameters, self.OUTPUT, context),
                               crs_wkt=self.map_wkt(crs), ids={"receivers": self.RECEIVERS, "depths": self.DEPTHS})
        outcome = io_receivers.run(job, progress=FeedbackProgress(feedback), context=context)
        styles.style_lines_dcfs(job.output, f"dcfs_{receivers.depth_tag(depths[0])}", 0.1 * 1e5 / scale, context)
        return self.finish(outcome, feedback)
