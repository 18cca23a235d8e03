"""Length units of the tool dialogs.

One length unit per dialog, written in every length parameter's description: metres for the
InSAR, ADA and geometry tools and for the fault tools driven by InSAR (okadaforward,
slipinversion, uniformslipinversion); kilometres for fault geometry in the Coulomb tools,
as in Coulomb 3 (slip stays in metres there, as in Coulomb 3, and frame origins are map
coordinates in the CRS's metres). docs/architecture.md ("Units in the dialogs") lists it.

A parameter whose unit changed gets a new ID (``TOP_DEPTH_KM``); the old ID (``TOP_DEPTH``, m)
stays declared, hidden, so models and ``qgis_process`` lines written before keep their
meaning: it is listed in :data:`.params.FORMER_IDS` with its unit factor, declared and
converted by the generic alias mechanism of :mod:`.params`.
"""

from __future__ import annotations

from qgis.core import QgsProcessingParameterNumber

from .params import given  # noqa: F401  (kept for callers of the former units.given)


def km_parameter(alg, pid, label, default, *, minimum, maximum=None) -> QgsProcessingParameterNumber:
    """A length in km (``label (km)``), with metre resolution in the spin box."""
    kwargs = {"minValue": minimum}
    if maximum is not None:
        kwargs["maxValue"] = maximum
    p = QgsProcessingParameterNumber(pid, alg.tr(f"{label} (km)"), QgsProcessingParameterNumber.Type.Double,
                                     default, **kwargs)
    p.setMetadata({"widget_wrapper": {"decimals": 3}})
    return p
