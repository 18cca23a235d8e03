"""Length units of the tool dialogs.

One length unit per dialog, written in every length parameter's description: metres for the
InSAR, ADA and geometry tools and for the fault tools driven by InSAR (okadaforward,
slipinversion, uniformslipinversion); kilometres for fault geometry in the Coulomb tools,
as in Coulomb 3 (slip stays in metres there, as in Coulomb 3, and frame origins are map
coordinates in the CRS's metres). docs/architecture.md ("Units in the dialogs") lists it.

A parameter whose unit changed gets a new ID (``TOP_DEPTH_KM``); the old ID (``TOP_DEPTH``, m)
stays declared, hidden, so models and ``qgis_process`` lines written before keep their
meaning: its value is converted, and giving both with different values is refused.
"""

from __future__ import annotations

import math

from qgis.core import QgsProcessingParameterDefinition, QgsProcessingParameterNumber

from ..algorithms.errors import GeohazardError

#: old unit per new unit, by the pair (old unit, new unit)
FACTORS = {("m", "km"): 1000.0}


def given(parameters, pid) -> bool:
    """True when ``pid`` carries a value (not absent, None or blank)."""
    value = parameters.get(pid)
    return value is not None and not (isinstance(value, str) and not value.strip())


def add_length_with_alias(alg, new_id, label, unit, default, *, old_id, old_unit, minimum, maximum=None,
                          old_minimum=None):
    """Declare ``new_id`` (``label (unit)``, shown) and ``old_id`` (hidden, optional, in ``old_unit``).

    ``minimum`` and ``maximum`` are in ``unit``; the alias accepts the same range in its own unit, or
    from ``old_minimum`` (in ``old_unit``: the bound it had, so no value accepted before is refused).
    ``new_id`` is optional (left empty it takes its default): a model saved before it existed has no
    value for it, and the modeler would otherwise flag that model's step as invalid.
    """
    factor = FACTORS[(old_unit, unit)]
    num = QgsProcessingParameterNumber.Type.Double
    kwargs = {"minValue": minimum}
    if maximum is not None:
        kwargs["maxValue"] = maximum
    new = QgsProcessingParameterNumber(new_id, alg.tr(f"{label} ({unit})"), num, default, optional=True, **kwargs)
    if unit == "km":  # metre resolution in the spin box
        new.setMetadata({"widget_wrapper": {"decimals": 3}})
    alg.addParameter(new)
    old_kwargs = {"minValue": minimum * factor if old_minimum is None else old_minimum}
    if maximum is not None:
        old_kwargs["maxValue"] = maximum * factor
    old = QgsProcessingParameterNumber(
        old_id, alg.tr(f"{label} ({old_unit}; former ID of {new_id})"), num, None, optional=True,
        **old_kwargs)
    old.setFlags(old.flags() | QgsProcessingParameterDefinition.Flag.FlagHidden)
    alg.addParameter(old)


def length_value(alg, parameters, context, new_id, *, old_id, old_unit, unit) -> float:
    """Value of ``new_id`` in its unit; the former ``old_id`` (in ``old_unit``) when that is given."""
    factor = FACTORS[(old_unit, unit)]
    if not given(parameters, old_id):
        return alg.parameterAsDouble(parameters, new_id, context)
    old = alg.parameterAsDouble(parameters, old_id, context) / factor
    if given(parameters, new_id):
        new = alg.parameterAsDouble(parameters, new_id, context)
        if not math.isclose(new, old, rel_tol=1e-9, abs_tol=1e-12):
            raise GeohazardError(
                f"{old_id} = {old * factor:g} {old_unit} and {new_id} = {new:g} {unit} disagree; give only "
                f"{new_id} (in {unit}); {old_id} is its former name in {old_unit}")
    return old


def check_aliases(alg, parameters, context, aliases) -> tuple:
    """``checkParameterValues`` part: (False, message) when an old ID and its new ID disagree.

    ``aliases``: iterable of (new_id, old_id, old_unit, unit)."""
    for new_id, old_id, old_unit, unit in aliases:
        try:
            length_value(alg, parameters, context, new_id, old_id=old_id, old_unit=old_unit, unit=unit)
        except GeohazardError as exc:
            return False, str(exc)
    return True, ""
