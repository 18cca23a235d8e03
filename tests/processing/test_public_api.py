"""The provider's public face stays what models and scripts were written against (tests/data/public_api.json).

Every ``geohazard:`` tool and shipped model ID, every parameter ID (former IDs included, as hidden aliases),
every output ID and the README's ``qgis_process`` lines of the frozen snapshot still exist; a parameter keeps
its kind and, where it is the one the dialog shows, its default; and every step of every shipped model names
parameters and outputs its tool has. The qgis_process layer runs the README lines
(tests/qgis_process/test_public_api_cli.py).
"""

import glob
import json
import os

import pytest
from public_api import FROZEN, ROOT, describe, readme_lines

RUN_WIDE = ("MAX_MEMORY_MB", "DASK_SCHEDULER", "THREADS")

with open(FROZEN, encoding="utf-8") as _f:
    BEFORE = json.load(_f)


@pytest.fixture(scope="module")
def registry(qgis_app):
    from qgis.core import QgsApplication

    return QgsApplication.processingRegistry()


def _now(registry, tool_id):
    alg = registry.algorithmById(tool_id)
    assert alg is not None, f"{tool_id} is no longer registered"
    return alg, describe(alg)


@pytest.mark.parametrize("tool_id", sorted(BEFORE["tools"]))
def test_every_frozen_id_still_works(registry, tool_id):
    alg, now = _now(registry, tool_id)
    before = BEFORE["tools"][tool_id]
    for pid, (kind, flags, default) in before["parameters"].items():
        assert pid in now["parameters"], f"{tool_id}: parameter {pid} is gone"
        kind_now, flags_now, default_now = now["parameters"][pid]
        assert kind_now == kind, f"{tool_id}: {pid} was a {kind}, is a {kind_now}"
        if "hidden" in flags and "hidden" not in flags_now:
            continue  # a hidden parameter may come back into view
        alias = (alg.parameterDefinition(pid).metadata().get("geohazard_alias") or {}).get("of")
        if "hidden" not in flags and alias:
            # a visible ID became a former ID: the ID that replaced it keeps the default
            assert now["parameters"][alias][2] == default, f"{tool_id}: {alias} (formerly {pid}) default changed"
        elif pid in RUN_WIDE and default_now is None:
            continue  # a run-wide knob left empty takes the QGIS setting, the environment, else the same default
        elif "hidden" not in flags:
            assert default_now == default, f"{tool_id}: {pid} default {default!r} became {default_now!r}"
            assert ("optional" in flags_now) >= ("optional" in flags), f"{tool_id}: {pid} became mandatory"
    assert (now["group"], now["help"]) == (before["group"], before["help"]), f"{tool_id}: toolbox group or help page"
    for oid, kind in before["outputs"].items():
        former = alg.parameterDefinition(oid)
        if oid not in now["outputs"] and former is not None and former.isDestination() \
                and (former.metadata().get("geohazard_alias") or {}).get("of") in now["outputs"]:
            continue  # a former output ID: a hidden destination, whose results carry it (not a second output)
        assert oid in now["outputs"], f"{tool_id}: output {oid} is gone"
        assert now["outputs"][oid] == kind, f"{tool_id}: output {oid} was a {kind}, is a {now['outputs'][oid]}"


def test_no_tool_disappeared_and_readme_lines_unchanged(registry):
    ids = {a.id() for a in registry.algorithms() if a.provider() is not None and a.provider().id() == "geohazard"}
    assert set(BEFORE["tools"]) <= ids
    assert readme_lines() == BEFORE["readme_qgis_process"]


def _models():
    """The shipped models, and the model files as they were shipped before the tools were reorganised
    (tests/data/models_before: what users keep in their projects)."""
    from qgis.core import QgsProcessingModelAlgorithm

    out = []
    for folder in (os.path.join(ROOT, "models"), os.path.join(ROOT, "tests", "data", "models_before")):
        for path in sorted(glob.glob(os.path.join(folder, "*.model3"))):
            model = QgsProcessingModelAlgorithm()
            assert model.fromFile(path), path
            out.append(model)
    return out


def test_every_model_step_names_what_its_tool_has(registry):
    """Each child of each shipped model (today's and the files shipped before) resolves to a tool that declares
    the parameters it sets and the outputs the model takes from it (a former ID counts: it is declared, hidden)."""
    models = _models()
    assert len(models) == 7
    for model in models:
        for cid, child in model.childAlgorithms().items():
            alg = child.algorithm()
            assert alg is not None, (model.id(), cid, child.algorithmId())
            names = {d.name() for d in alg.parameterDefinitions()}
            # a model output is a step's destination (a former output ID included: hidden, not a second output)
            outputs = {o.name() for o in alg.outputDefinitions()} \
                | {d.name() for d in alg.destinationParameterDefinitions()}
            for pid in child.parameterSources():
                assert pid in names, f"{model.id()} step {cid}: {child.algorithmId()} has no parameter {pid}"
            for out in child.modelOutputs().values():
                assert out.childOutputName() in outputs, (model.id(), cid, out.childOutputName())
            for sources in child.parameterSources().values():
                for s in sources:
                    if s.outputChildId():  # the value comes from an earlier step's output
                        src = model.childAlgorithm(s.outputChildId()).algorithm()
                        assert s.outputName() in {o.name() for o in src.outputDefinitions()}
