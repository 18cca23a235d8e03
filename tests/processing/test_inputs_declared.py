"""processing_provider/inputs/declared.py: the decimals a Double parameter's spin box shows (enough for its default
and bounds, at least 2, 3 for fractions in 0..1, at most 9); other parameters untouched."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("default, lo, hi, want", [
    (1.5, 0.0, 100.0, 2), (0.25, 0.0, 1.0, 3), (0.0125, 0.0, 10.0, 4), (10.0, -1e20, 1e20, 2),
    (2e-9, 0.0, 5.0, 9), (1e-12, 0.0, 5.0, 2), (None, 0.5, 2.0, 2),
])
def test_a_doubles_decimals_cover_its_default_and_bounds(qgis_app, default, lo, hi, want):
    from qgis.core import QgsProcessingParameterNumber

    from insar_geohazards.processing_provider.inputs.declared import set_decimals

    d = QgsProcessingParameterNumber("X", "x", QgsProcessingParameterNumber.Type.Double, default, True, lo, hi)
    d.setMetadata({"widget_wrapper": {"other": 1}})
    set_decimals(d)
    assert d.metadata()["widget_wrapper"] == {"other": 1, "decimals": want}
    d.setMetadata({"widget_wrapper": {"decimals": 1}})
    set_decimals(d)  # a tool's own choice stands
    assert d.metadata()["widget_wrapper"]["decimals"] == 1


def test_integers_and_other_parameters_are_left_alone(qgis_app):
    from qgis.core import QgsProcessingParameterNumber, QgsProcessingParameterString

    from insar_geohazards.processing_provider.inputs.declared import set_decimals

    for d in (QgsProcessingParameterNumber("N", "n", QgsProcessingParameterNumber.Type.Integer, 3),
              QgsProcessingParameterString("S", "s", "a")):
        set_decimals(d)
        assert "widget_wrapper" not in d.metadata()
