"""Former parameter IDs as hidden aliases of the IDs that replaced them.

IDs are public API (models and ``qgis_process`` lines use them), so an ID that changed is kept as a
**hidden alias** of its new ID, listed once, in the tool class's ``FORMER_IDS`` (:class:`Alias`):

* ``GeohazardAlgorithm.addParameter`` declares, right after the new parameter, a hidden optional copy
  named by the former ID (range converted when the unit changed, e.g. m -> km) and makes the new ID
  optional (empty = its default), so a model saved before still validates;
* ``GeohazardAlgorithm`` resolves the aliases before checking and running (:func:`resolve_aliases`):
  the former ID's value, converted, becomes the new ID's value; both given with different values are
  refused naming both. Tools read only the new IDs.

Re-saving an old model step in the modeler drops the hidden value (the modeler does not keep hidden
parameters): set the new parameter then. An output's former ID is a hidden destination and no output of its own
(QGIS's modeler would list the output twice): the results carry the value under both IDs (:func:`with_former_outputs`),
so a model step saved before that reads it still runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from qgis.core import QgsProcessingParameterDefinition, QgsProcessingParameterNumber

from ...algorithms.errors import GeohazardError
from .ids import ASC_HEADING, ASC_INCIDENCE, DESC_HEADING, DESC_INCIDENCE


@dataclass(frozen=True)
class Alias:
    """``old_id`` is the former name of ``new_id``; ``factor`` = old unit per new unit (1000 for m -> km)."""

    old_id: str
    new_id: str
    factor: float = 1.0
    old_unit: str = ""
    unit: str = ""  # the new ID's unit (when it differs from old_unit)
    old_minimum: Optional[float] = None  # the former lower bound (in the old unit) when it differed


#: The two LOS geometries of the slip inversions, formerly named after the quantity first.
LOS_PAIR_ALIASES = (Alias("INCIDENCE_ASC", ASC_INCIDENCE), Alias("HEADING_ASC", ASC_HEADING),
                    Alias("INCIDENCE_DESC", DESC_INCIDENCE), Alias("HEADING_DESC", DESC_HEADING))
#: Default source depths of the Coulomb tools, formerly in m, now in km as in Coulomb 3.
DEPTH_KM_ALIASES = (Alias("TOP_DEPTH", "TOP_DEPTH_KM", 1000.0, "m", "km"),
                    Alias("BOTTOM_DEPTH", "BOTTOM_DEPTH_KM", 1000.0, "m", "km", old_minimum=0.001))

_META = "geohazard_alias"


def aliases_of(alg, new_id: str) -> list:
    """The former IDs of ``alg``'s parameter ``new_id`` (its class attribute ``FORMER_IDS``)."""
    return [a for a in getattr(alg, "FORMER_IDS", ()) if a.new_id == new_id]


def alias_definition(alg, definition, alias: Alias):
    """Hidden, optional copy of ``definition`` named ``alias.old_id`` (range in the old unit)."""
    old = definition.clone()
    old.setName(alias.old_id)
    unit = f"{alias.old_unit}; " if alias.old_unit else ""
    label = definition.description()
    if alias.old_unit and label.endswith(")") and "(" in label:
        label = label[:label.rindex("(")].rstrip()
    old.setDescription(alg.tr("{label} ({unit}former ID of {new})").format(label=label, unit=unit, new=alias.new_id))
    old.setDefaultValue(None)
    old.setFlags(old.flags() | QgsProcessingParameterDefinition.Flag.FlagHidden
                 | QgsProcessingParameterDefinition.Flag.FlagOptional)
    if old.isDestination():
        old.setCreateByDefault(False)  # written only when given (a model or a script of before)
    if isinstance(old, QgsProcessingParameterNumber) and alias.factor != 1.0:
        lo, hi = definition.minimum(), definition.maximum()
        old.setMinimum(lo * alias.factor if alias.old_minimum is None else alias.old_minimum)
        if hi < 1e300:
            old.setMaximum(hi * alias.factor)
        old.setMetadata({})
    meta = dict(old.metadata())
    meta[_META] = {"of": alias.new_id, "factor": alias.factor, "old_unit": alias.old_unit, "unit": alias.unit}
    old.setMetadata(meta)
    return old


def with_aliases(alg, definition) -> list:
    """``definition`` (made optional when it has former IDs) followed by the hidden alias definitions."""
    aliases = aliases_of(alg, definition.name())
    if not aliases:
        return [definition]
    definition.setFlags(definition.flags() | QgsProcessingParameterDefinition.Flag.FlagOptional)
    return [definition] + [alias_definition(alg, definition, a) for a in aliases]


def given(parameters, pid) -> bool:
    """True when ``pid`` carries a value (not absent, None or blank)."""
    value = parameters.get(pid)
    return value is not None and not (isinstance(value, str) and not value.strip())


def _show(value, factor) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return repr(value)


def _same(a, b) -> bool:
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    except (TypeError, ValueError):
        return str(a) == str(b)


def resolve_aliases(alg, parameters, context) -> dict:
    """``parameters`` with the value of every former ID given copied to its new ID (converted).

    The former ID stays in the dict (messages can name the ID the user gave: :func:`id_given`).
    Raises :class:`GeohazardError` naming both IDs when the former and the new ID are both given
    with different values."""
    params = dict(parameters)
    for d in alg.parameterDefinitions():
        meta = d.metadata().get(_META)
        if not meta:
            continue
        old_id, new_id, factor = d.name(), meta["of"], float(meta["factor"])
        if not given(params, old_id):
            continue
        value = params[old_id]
        if d.isDestination():  # an output: written once, under its new ID (the results carry both IDs)
            if given(params, new_id) and not _temporary(params[new_id]) and str(params[new_id]) != str(value):
                raise GeohazardError(f"{old_id} and {new_id} name two files for one output; give only {new_id} "
                                     f"({old_id} is its former name)")
            params[new_id] = params.pop(old_id)
            continue
        if factor != 1.0:
            value = alg.parameterAsDouble({old_id: value}, old_id, context) / factor
        if given(params, new_id):
            new = params[new_id]
            if factor != 1.0 or isinstance(new, (int, float)):
                new = alg.parameterAsDouble(params, new_id, context)
            if not _same(new, value):
                old_unit = f" {meta['old_unit']}" if meta["old_unit"] else ""
                unit = f" {meta['unit']}" if meta["unit"] else ""
                raise GeohazardError(
                    f"{old_id} = {_show(params[old_id], factor)}{old_unit} and {new_id} = {_show(new, factor)}{unit} "
                    f"disagree; give only {new_id}" + (f" (in{unit})" if unit else "")
                    + f"; {old_id} is its former name" + (f" in{old_unit}" if old_unit else ""))
        params[new_id] = value
    return params


def _temporary(value) -> bool:
    """A destination left to QGIS (a temporary output), as a model fills the outputs it does not keep."""
    from qgis.core import QgsProcessing, QgsProcessingOutputLayerDefinition

    if isinstance(value, QgsProcessingOutputLayerDefinition):
        value = value.sink.staticValue()
    return str(value) == QgsProcessing.TEMPORARY_OUTPUT


def with_former_outputs(alg, results: dict) -> dict:
    """``results`` with each output also under its former IDs (a model step saved before reads it by those)."""
    out = dict(results)
    for a in getattr(alg, "FORMER_IDS", ()):
        if a.new_id in out and alg.parameterDefinition(a.old_id) is not None \
                and alg.parameterDefinition(a.old_id).isDestination():
            out.setdefault(a.old_id, out[a.new_id])
    return out


def id_given(alg, parameters, new_id: str) -> str:
    """The ID the user gave for ``new_id``: its former ID when that carries the value, else ``new_id``."""
    for a in aliases_of(alg, new_id):
        if given(parameters, a.old_id):
            return a.old_id
    return new_id
