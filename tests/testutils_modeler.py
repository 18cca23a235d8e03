"""Models as a user builds them in QGIS's graphical modeler, and the modeler's own step dialog (no QGIS import at
module level).

:func:`accept_step` opens a step's dialog the way the modeler does when the step is double-clicked
(``processing.modeler.ModelerParametersDialog``, QGIS's Python dialog in 3.22 and 3.40), presses OK and puts the
step back into the model as the modeler does; :func:`offered` lists the other steps' outputs QGIS's modeler widget
offers to one input of a step. :class:`UserModel` builds a model with the PyQGIS model API.
"""

from __future__ import annotations

import re


def _dialog_class():
    import pytest

    try:
        from processing.modeler.ModelerParametersDialog import ModelerParametersDialog
    except ImportError as exc:  # a QGIS without the Processing plugin's modeler
        pytest.skip(f"QGIS's modeler step dialog is not available: {exc}")
    return ModelerParametersDialog


def source_meaning(source) -> tuple:
    """Where one value of a step comes from: ("static", value), ("input", name), ("step", child, output) ..."""
    from insar_geohazards.fileio.base import compat  # the enum moved to Qgis in 3.30

    kind = source.source()
    if kind == compat.MODEL_SOURCE_STATIC_VALUE:
        return ("static", _plain(source.staticValue()))
    if kind == compat.MODEL_SOURCE_MODEL_PARAMETER:
        return ("input", source.parameterName())
    if kind == compat.MODEL_SOURCE_CHILD_OUTPUT:
        return ("step", source.outputChildId(), source.outputName())
    return ("expression", source.expression() or source.expressionText())


_EXTENT = re.compile(r"^\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*(\[.*\])?\s*$")


def _plain(value):
    """A static value as its meaning: empty -> None, a CRS -> its authority ID, an extent text -> its numbers (the
    dialog writes them with 9 decimals)."""
    from qgis.core import QgsCoordinateReferenceSystem

    if value is None or value == "" or (hasattr(value, "isNull") and value.isNull()):
        return None
    if isinstance(value, QgsCoordinateReferenceSystem):
        return value.authid()
    if isinstance(value, str) and _EXTENT.match(value):
        m = _EXTENT.match(value)
        return tuple(round(float(v), 6) for v in m.groups()[:4]) + ((m.group(5) or "").strip("[] "),)
    return value


def step_links(child) -> dict:
    """``{parameter: [source meaning, ...]}`` of a step, an empty static value counted as no value."""
    out = {}
    for name, sources in child.parameterSources().items():
        values = [source_meaning(s) for s in sources]
        if values and all(v == ("static", None) for v in values):
            continue
        out[name] = values
    return out


def accept_step(model, child_id: str):
    """Open the step ``child_id``'s dialog as the modeler does, press OK without editing anything and put the step
    back into ``model``; returns ``(links before, links after)`` (:func:`step_links`)."""
    from qgis.PyQt.QtWidgets import QDialog, QDialogButtonBox

    dialog_class = _dialog_class()
    child = model.childAlgorithm(child_id)
    before = step_links(child)
    dlg = dialog_class(child.algorithm(), model, child_id, child.configuration())
    dlg.setComments(child.comment().description())
    dlg.buttonBox.button(QDialogButtonBox.StandardButton.Ok).click()
    assert dlg.result() == QDialog.DialogCode.Accepted, f"step {child_id}: the dialog refused OK"
    new = dlg.createAlgorithm()  # what the modeler does after the dialog closes with OK
    new.setChildId(child_id)
    new.copyNonDefinitionPropertiesFromModel(model)
    model.setChildAlgorithm(new)
    ok, issues = model.validateChildAlgorithm(child_id)
    assert ok, (child_id, issues)
    dlg.deleteLater()
    return before, step_links(model.childAlgorithm(child_id))


def accept_every_step(model) -> dict:
    """:func:`accept_step` on every step; returns ``{step: [(parameter, before, after), ...]}`` for each value the
    step had that the dialog changed (empty when the dialogs kept every link and value; a parameter the step left
    unset gets the dialog's default, as when a user adds the step)."""
    changed = {}
    for child_id in sorted(model.childAlgorithms()):
        before, after = accept_step(model, child_id)
        diff = [(p, before[p], after.get(p)) for p in sorted(before) if before[p] != after.get(p)]
        if diff:
            changed[child_id] = diff
    return changed


def offered(model, child_id: str, parameter: str) -> list:
    """``[(step, output), ...]``: the other steps' outputs QGIS's modeler offers to ``parameter`` of the step
    ``child_id`` (the "Algorithm output" list of the step dialog)."""
    from qgis.core import QgsProcessingContext
    from qgis.gui import QgsGui
    from qgis.PyQt.QtWidgets import QComboBox

    definition = model.childAlgorithm(child_id).algorithm().parameterDefinition(parameter)
    widget = QgsGui.processingGuiRegistry().createModelerParameterWidget(model, child_id, definition,
                                                                         QgsProcessingContext())
    assert widget is not None, f"no modeler widget for {parameter}"
    found = []
    for combo in widget.findChildren(QComboBox):
        for i in range(combo.count()):
            data = combo.itemData(i)
            if isinstance(data, (list, tuple)) and len(data) == 2 and data[0] in model.childAlgorithms():
                found.append((data[0], data[1]))
    widget.deleteLater()
    return found


class UserModel:
    """A model built with the PyQGIS model API, as a user draws one: inputs, steps linked to inputs, to other
    steps' outputs or to static values, and the outputs kept (model output names ``<step>:<name>``)."""

    def __init__(self, name: str):
        from qgis.core import QgsProcessingModelAlgorithm

        self.model = QgsProcessingModelAlgorithm(name, "tests")
        self._x = 0

    def input(self, definition) -> None:
        from qgis.core import QgsProcessingModelParameter
        from qgis.PyQt.QtCore import QPointF

        component = QgsProcessingModelParameter(definition.name())
        component.setPosition(QPointF(120 + 240 * len(self.model.parameterComponents()), 60))
        self.model.addModelParameter(definition, component)

    def step(self, child_id: str, alg_id: str, description: str, values: dict, keep: dict = None) -> None:
        """``values``: parameter -> ("input", name) / ("step", child, output) / a static value; ``keep``: model
        output name -> the step's output ID."""
        from qgis.core import (
            QgsProcessingModelChildAlgorithm,
            QgsProcessingModelChildParameterSource,
            QgsProcessingModelOutput,
        )
        from qgis.PyQt.QtCore import QPointF

        child = QgsProcessingModelChildAlgorithm(alg_id)
        child.setChildId(child_id)
        child.setDescription(description)
        self._x += 1
        child.setPosition(QPointF(120 + 260 * self._x, 140 + 110 * self._x))
        for name, value in values.items():
            if isinstance(value, tuple) and value and value[0] == "input":
                src = QgsProcessingModelChildParameterSource.fromModelParameter(value[1])
            elif isinstance(value, tuple) and value and value[0] == "step":
                src = QgsProcessingModelChildParameterSource.fromChildOutput(value[1], value[2])
            else:
                src = QgsProcessingModelChildParameterSource.fromStaticValue(value)
            child.addParameterSources(name, [src])
        outputs = {}
        for name, output_id in (keep or {}).items():
            out = QgsProcessingModelOutput(name, name)
            out.setChildId(child_id)
            out.setChildOutputName(output_id)
            out.setPosition(QPointF(120 + 260 * self._x + 200, 200 + 110 * self._x + 30 * len(outputs)))
            outputs[name] = out
        child.setModelOutputs(outputs)
        self.model.addChildAlgorithm(child)

    def done(self):
        """The model with model outputs named ``<step>:<name>`` on every QGIS version (internal version 1), every
        step accepted in its dialog (:func:`accepted`)."""
        definition = self.model.toVariant()
        definition["internal_version"] = "Version1"
        assert self.model.loadVariant(definition)
        return accepted(self.model)


def accepted(model):
    """``model`` with every step opened in its dialog and accepted (the dialog fills the values left unset with the
    tool's defaults, as when the user adds the step); every link and value set is kept, and the model validates."""
    changed = accept_every_step(model)
    assert changed == {}, changed
    ok, issues = model.validate()
    assert ok, issues
    return model


def docs_models():
    """``docs/make_models_own.py`` loaded as a module (the worked models of docs/models_own.md)."""
    import importlib.util
    import os

    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "make_models_own.py")
    spec = importlib.util.spec_from_file_location("make_models_own", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run_model(model, parameters: dict, feedback=None) -> dict:
    """Run ``model`` as the Processing dialog does; returns its results."""
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    return processing.run(model, parameters, context=QgsProcessingContext(),
                          feedback=feedback or QgsProcessingFeedback())
