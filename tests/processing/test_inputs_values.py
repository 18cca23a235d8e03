"""inputs/values.py: each scalar parameter read the way its declaration says."""

import pytest


def test_values_read_as_declared(alg):
    from qgis.core import QgsProcessingContext

    from insar_geohazards.processing_provider.inputs.values import value, values

    a = alg("losvelocitytovertical")
    context = QgsProcessingContext()
    v = values(a, {"INCIDENCE": "35.5", "INCIDENCE_UNITS": 1}, context, "INCIDENCE", "INCIDENCE_UNITS")
    assert v.INCIDENCE == 35.5 and isinstance(v.INCIDENCE, float)
    assert v.INCIDENCE_UNITS == 1 and isinstance(v.INCIDENCE_UNITS, int)
    with pytest.raises(TypeError, match="INPUT: .* is not a scalar parameter"):
        value(a, {}, "INPUT", context)
