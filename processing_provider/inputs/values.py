"""Scalar parameters into plain Python values, each read the way its declaration says.

``values(alg, parameters, context, "NORTH_VELOCITY", "WEIGHTING", ...)`` gives a namespace whose attributes
are the parameter IDs: a number declared as a double is read with ``parameterAsDouble``, an integer with
``parameterAsInt``, a boolean with ``parameterAsBool``, an enum with ``parameterAsEnum`` (its index), a
text, a field or an expression with ``parameterAsString``, a CRS with ``parameterAsCrs``. A tool then reads
``v.NORTH_VELOCITY`` instead of one ``parameterAs...`` call per value.
"""

from __future__ import annotations

from types import SimpleNamespace

from qgis.core import (
    QgsProcessingParameterBoolean,
    QgsProcessingParameterCrs,
    QgsProcessingParameterEnum,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)


def value(alg, parameters, name: str, context):
    """One scalar parameter as the plain value its declaration calls for."""
    definition = alg.parameterDefinition(name)
    if isinstance(definition, QgsProcessingParameterNumber):
        if definition.dataType() == QgsProcessingParameterNumber.Type.Integer:
            return alg.parameterAsInt(parameters, name, context)
        return alg.parameterAsDouble(parameters, name, context)
    if isinstance(definition, QgsProcessingParameterBoolean):
        return alg.parameterAsBool(parameters, name, context)
    if isinstance(definition, QgsProcessingParameterEnum):
        if definition.allowMultiple():
            return alg.parameterAsEnums(parameters, name, context)
        return alg.parameterAsEnum(parameters, name, context)
    if isinstance(definition, (QgsProcessingParameterString, QgsProcessingParameterField)):
        return alg.parameterAsString(parameters, name, context)
    if isinstance(definition, QgsProcessingParameterCrs):
        return alg.parameterAsCrs(parameters, name, context)
    raise TypeError(f"{name}: {type(definition).__name__} is not a scalar parameter")


def values(alg, parameters, context, *names: str) -> SimpleNamespace:
    """The scalar parameters ``names`` as attributes named by their IDs."""
    return SimpleNamespace(**{name: value(alg, parameters, name, context) for name in names})
