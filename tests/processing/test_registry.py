"""One registration per tool: tests/registry.py has one entry per tool the provider registers, and only those.

The cross-cutting tests (hostile inputs, units, secondary outputs, determinism, memory knob, block memory) read their
cases from that table, so a tool missing from it would silently miss them all: this file is where that fails, naming
the table and the tool. Each entry must also name parameters the tool has, recipes and builders that exist, and a
tool of the frozen public face (tests/data/public_api.json, which says what must not change).
"""

import json
import os

import pytest
import registry

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNITS = {"m", "km", "m2", "km2"}
LAYOUTS = {"rows", "files", "points", "none"}


def _text(*parts):
    with open(os.path.join(TESTS, *parts), encoding="utf-8") as fh:
        return fh.read()


@pytest.fixture(scope="module")
def provider_tools(qgis_app):
    from qgis.core import QgsApplication, QgsProcessingModelAlgorithm

    algs = QgsApplication.processingRegistry().providerById("geohazard").algorithms()
    return {a.name(): a for a in algs if not isinstance(a, QgsProcessingModelAlgorithm)}


def test_every_registered_tool_has_an_entry_and_every_entry_a_tool(provider_tools):
    missing = sorted(set(provider_tools) - set(registry.TOOLS))
    assert not missing, (f"tests/registry.py has no entry for {', '.join(missing)}, registered by the provider: "
                         "add one (docs/architecture.md, 'Add a tool')")
    unknown = sorted(set(registry.TOOLS) - set(provider_tools))
    assert not unknown, f"tests/registry.py has entries for {', '.join(unknown)}, which the provider does not register"


def test_every_registered_tool_is_in_the_frozen_public_face():
    frozen = json.loads(_text("data", "public_api.json"))["tools"]
    missing = sorted(t for t in registry.TOOLS if f"geohazard:{t}" not in frozen)
    assert not missing, f"tests/registry.py: {', '.join(missing)} not in tests/data/public_api.json"


def test_every_entry_names_parameters_the_tool_has(provider_tools):
    bad = []
    for tool, entry in sorted(registry.TOOLS.items()):
        alg = provider_tools.get(tool)
        if alg is None:
            continue  # said by test_every_registered_tool_has_an_entry_and_every_entry_a_tool
        named = {**{p: "lengths" for p in entry.lengths}, **{p: "not_lengths" for p in entry.not_lengths},
                 **{p: "secondary_outputs" for p in entry.secondary_outputs}}
        for case, det in entry.determinism.items():
            named.update({p: f"determinism {case}" for p in det.changed})
        for case, knob in entry.knob.items():
            named.update({p: f"knob {case}" for p in knob.extra})
        bad += [f"{tool} {field}: {pid}" for pid, field in named.items() if alg.parameterDefinition(pid) is None]
        bad += [f"{tool} lengths: {pid} in {unit}" for pid, unit in entry.lengths.items() if unit not in UNITS]
    assert not bad, f"tests/registry.py names parameters the tools do not have: {bad}"


def test_every_entry_names_recipes_and_builders_that_exist():
    det_text = _text("processing", "test_engine_determinism.py")
    knob_text = _text("processing", "test_memory_knob.py")
    block_text = _text("core", "test_engine_block_memory.py")
    det_cases = registry.cases("determinism")
    bad = []
    for tool, entry in registry.TOOLS.items():
        if entry.hostile:
            family, func = entry.hostile
            path = os.path.join(TESTS, "hostile", f"test_hostile_{family}.py")
            if not os.path.exists(path) or f"\ndef {func}(" not in _text(path):
                bad.append(f"{tool} hostile: no {func}() in tests/hostile/test_hostile_{family}.py")
        for case, det in entry.determinism.items():
            hostile = os.path.exists(os.path.join(TESTS, "hostile", f"test_hostile_{det.recipe}.py"))
            if not hostile and f'"{det.recipe}"' not in det_text:
                bad.append(f"{tool} determinism {case}: {det.recipe} is neither a hostile family nor a builder")
            if det.layout not in LAYOUTS:
                bad.append(f"{tool} determinism {case}: layout {det.layout} not in {sorted(LAYOUTS)}")
        for case, knob in entry.knob.items():
            kind, _, name = knob.run.partition(":")
            if kind == "det":
                ok = det_cases.get(name or case, (None,))[0] == tool
            elif kind == "hostile":
                ok = tool in registry.hostile_tools(name)
            else:
                ok = kind == "custom" and f'tool == "{tool}"' in knob_text
            if not ok:
                bad.append(f"{tool} knob {case}: no run {knob.run} of {tool}")
        for case, (builder, *_) in entry.block_memory.items():
            if f"\ndef {builder}(" not in block_text:
                bad.append(f"{tool} block_memory {case}: no {builder}() in tests/core/test_engine_block_memory.py")
    assert not bad, f"tests/registry.py: {bad}"


def test_every_tool_of_the_block_engine_has_determinism_cases(provider_tools):
    """A tool that takes the engine's run-wide knobs (DASK_SCHEDULER) gives the same bytes under other blocks, one
    numba thread and Dask: it has ``determinism`` cases, or its ``no_determinism`` says where that is tested; a tool
    with such cases takes DASK_SCHEDULER (the Dask run of the harness sets it)."""
    bad = []
    for tool, entry in sorted(registry.TOOLS.items()):
        alg = provider_tools.get(tool)
        if alg is None:
            continue  # said by test_every_registered_tool_has_an_entry_and_every_entry_a_tool
        engine = alg.parameterDefinition("DASK_SCHEDULER") is not None
        if engine and not entry.determinism and not entry.no_determinism:
            bad.append(f"{tool} takes DASK_SCHEDULER and has no determinism case")
        if not engine and (entry.determinism or entry.no_determinism):
            bad.append(f"{tool} has determinism cases (or no_determinism) and does not take DASK_SCHEDULER")
    assert not bad, f"tests/registry.py: {bad}"
