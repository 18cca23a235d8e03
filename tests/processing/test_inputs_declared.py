"""Each tool's parameters and outputs declared once a session and copied into every later instance (QGIS makes a new
instance of a model's step each time it copies the step): a copy is the declaration itself, for every tool, every
parameter class (QGIS's and the plugin's own) and every output, as the dialog, the modeler and ``qgis_process help``
read them."""

from __future__ import annotations

import pytest


def _parameter(d) -> tuple:
    return (type(d), d.name(), d.description(), d.help(), int(d.flags()), repr(d.defaultValue()), d.isDestination(),
            repr(sorted(d.metadata().items())), repr(sorted(d.toVariantMap().items())), d.asPythonString(),
            d.type(), d.toOutputDefinition().type() if d.isDestination() else None)


def _output(o) -> tuple:
    return type(o), o.name(), o.description(), o.type(), o.autoCreated()


def _declaration(alg) -> tuple:
    return [_parameter(d) for d in alg.parameterDefinitions()], [_output(o) for o in alg.outputDefinitions()]


def _difference(got, expected) -> list:
    return [(e[1], i, u, v) for g, e in zip(got[0] + got[1], expected[0] + expected[1]) if g != e
            for i, (u, v) in enumerate(zip(g, e)) if u != v][:3]


def _tools():
    from qgis.core import QgsApplication

    from insar_geohazards.processing_provider.tools._base import GeohazardAlgorithm

    provider = QgsApplication.processingRegistry().providerById("geohazard")
    return [a for a in provider.algorithms() if isinstance(a, GeohazardAlgorithm)]


def test_every_tools_copies_are_its_declaration(qgis_app):
    from insar_geohazards.processing_provider.inputs import declared as _base

    tools = _tools()
    assert len(tools) > 40
    for listed in tools:
        _base.DECLARED.pop(type(listed), None)
        declared = listed.create()  # declared by the tool's initAlgorithm, and kept
        assert type(listed) in _base.DECLARED, f"{listed.id()}: its declaration was not kept"
        copies = [listed.create(), listed.createInstance()]
        copies[1].initAlgorithm({})  # as QgsProcessingAlgorithm::create does
        expected = _declaration(declared)
        assert expected[0], listed.id()
        for copy in copies:
            assert _declaration(copy) == expected, (listed.id(), _difference(_declaration(copy), expected))
        # a copy's definitions are its own: changing one changes no other instance
        first = copies[0].parameterDefinitions()[0]
        first.setDescription("changed")
        assert _declaration(copies[1]) == expected and _declaration(listed.create()) == expected, listed.id()


def test_a_configuration_declares_afresh(qgis_app, monkeypatch):
    """An instance made with a configuration (QGIS passes a model step's) runs the tool's own declaration."""
    from insar_geohazards.processing_provider.inputs import declared as _base

    tool = next(a for a in _tools() if a.name() == "sbasinversion")
    tool.create()
    assert type(tool) in _base.DECLARED
    calls = []
    monkeypatch.setattr(_base.Declared, "replay", lambda self, alg: calls.append(alg))
    made = tool.create({"some": "configuration"})
    assert not calls
    tool.create()
    assert len(calls) == 1
    monkeypatch.undo()
    assert _declaration(made) == _declaration(tool.create())


@pytest.mark.parametrize("tool_id", ["correctedsbas"])
def test_a_models_steps_see_their_tools_declarations(qgis_app, tool_id):
    """The steps of a shipped model (made when QGIS copies the model's steps) carry their tool's declaration."""
    from qgis.core import QgsApplication

    registry = QgsApplication.processingRegistry()
    model = registry.createAlgorithmById(f"geohazard:{tool_id}")
    for child in model.childAlgorithms().values():
        tool = registry.createAlgorithmById(child.algorithmId())
        assert _declaration(child.algorithm()) == _declaration(tool), child.algorithmId()
