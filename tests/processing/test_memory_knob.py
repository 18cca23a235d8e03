"""MAX_MEMORY_MB does what its help says: every tool that shows it plans its blocks from it, and the outputs do not
depend on it.

Each tool runs its small valid run (the recipes of tests/hostile/ and of tests/processing/test_engine_determinism.py,
a few made larger here) under a memory budget at which the input takes several blocks, then under half that budget.
The blocks the engine is handed (every ``process_blocks`` call: rows, points, tiles or groups of files) are recorded:
halving the budget must change them, and every output (raster values and band names, vector attributes and
geometries, CSV tables) must keep its bytes. Budgets this small (a few kB) are set through
``INSAR_GEOHAZARDS_MAX_MEMORY_MB``, the knob's environment default (the parameter takes whole MiB). The unwrapper is
the one tool whose blocks are its method (tiles, docs/unwrap.md): its plan must follow the knob, its bytes may not.

Counts of blocks, not times: the test does not depend on the machine's load.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import os
import sys

import numpy as np
import pytest
import registry
from testutils_hostile import hostile_module

HERE = os.path.dirname(os.path.abspath(__file__))

#: case -> (tool, where its run comes from: a case of the determinism harness, "hostile:<family>" or "custom",
#: extra parameters, the budget in MiB under which it takes several blocks), from the ``knob`` cases of
#: tests/registry.py
CASES = {case: (tool, k.run, k.extra, k.budget_mb) for case, (tool, k) in registry.cases("knob").items()}
#: tiles are the unwrapper's method: its plan follows the knob, its bytes may not (docs/unwrap.md)
PLAN_ONLY = {case for case, (_, k) in registry.cases("knob").items() if not k.same_bytes}


def _det():
    spec = importlib.util.spec_from_file_location("engine_determinism", os.path.join(HERE,
                                                                                     "test_engine_determinism.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _custom(tool, tmp):
    """Inputs tall enough for several blocks of the tools whose blocks have a floor (whole PCA tiles, 16 DEM rows,
    256-row unwrapping tiles)."""
    import datetime as dt

    from testutils import write_geotiff
    from testutils_hostile import GT, Recipe, dem_raster

    out = os.path.join(tmp, "out")
    os.makedirs(out, exist_ok=True)
    j = os.path.join
    if tool == "pcaatmosphere":
        rng = np.random.default_rng(0)
        dates = [dt.date(2021, 1, 5) + dt.timedelta(days=12 * i) for i in range(24)]
        series = np.cumsum(rng.normal(0, 2, (24, 48, 18)), axis=0)
        path = write_geotiff(j(tmp, "ts.tif"), series - series[:1], geotransform=GT,
                             descriptions=[d.isoformat() for d in dates])
        params = {"INPUT": path, "TILE_PIXELS": 8, "OUTPUT": j(out, "c.tif"), "OUTPUT_ATMOSPHERE": j(out, "a.tif"),
                  "OUTPUT_COMPONENTS": j(out, "n.tif")}
    elif tool == "geometricdistortion":
        params = {"DEM": dem_raster(j(tmp, "dem.tif"), shape=(100, 60)), "HEADING": -12.0, "INCIDENCE": 37.0,
                  "OUTPUT_CLASSES": j(out, "cls.tif"), "OUTPUT_RINDEX": j(out, "r.tif"),
                  "OUTPUT_VISIBILITY": j(out, "vis.tif"), "OUTPUT_TABLE": j(out, "t.csv")}
    elif tool == "unwrap":
        from testutils_unwrap import synthetic_interferogram

        d = synthetic_interferogram(800, 80, seed=6, bowls=((0.3, 0.5, -40.0, 15.0), (0.75, 0.4, 30.0, 12.0)))
        params = {"INPUT": [write_geotiff(j(tmp, "20200101_20200113.wrapped.tif"), d["wrapped"])],
                  "COHERENCE": [write_geotiff(j(tmp, "coh.tif"), d["coherence"])], "OUTPUT": j(out, "unw"),
                  "OUTPUT_REPORT": j(out, "r.csv")}
    else:
        raise KeyError(f"tests/registry.py: a custom knob run of {tool}, which has no builder here")
    return Recipe(params, [k for k in params if k.startswith("OUTPUT")], (None, None), lambda *a: None)


def _recipe(det, case, tmp):
    tool, source, _, _ = CASES[case]
    if source == "custom":
        return _custom(tool, str(tmp))
    if source.startswith("det"):
        return det._recipe(source.partition(":")[2] or case, tmp)
    return hostile_module(source.partition(":")[2]).recipe(tool, tmp)


@contextlib.contextmanager
def recorded_plans():
    """Every plan handed to the engine (``process_blocks``, wherever it was imported), as
    ``(row0, row1, files)`` of its blocks."""
    from insar_geohazards.algorithms import engine

    orig = engine.process_blocks
    plans = []

    def process_blocks(plan, *args, **kwargs):
        plans.append(tuple((b.row0, b.row1, b.files) for b in plan))
        return orig(plan, *args, **kwargs)

    patched = [m for m in list(sys.modules.values()) if getattr(m, "__name__", "").startswith("insar_geohazards")
               and getattr(m, "process_blocks", None) is orig]
    for m in patched:
        m.process_blocks = process_blocks
    try:
        yield plans
    finally:  # also the modules first imported meanwhile: they bound the wrapper, which must not outlive the run
        for m in list(sys.modules.values()):
            if getattr(m, "__name__", "").startswith("insar_geohazards") \
                    and getattr(m, "process_blocks", None) is process_blocks:
                m.process_blocks = orig


def _run(det, case, recipe, folder, mb, monkeypatch):
    from testutils_hostile import run

    tool, source, extra, _ = CASES[case]
    params = copy.deepcopy(recipe.params)
    os.makedirs(folder, exist_ok=True)
    for name in recipe.outputs:
        if isinstance(params.get(name), str):
            params[name] = os.path.join(folder, os.path.basename(params[name].rstrip("/")))
    if source.startswith("det"):  # the determinism harness's parameters of this case ("@x": an extra output)
        changed = det.TOOLS[source.partition(":")[2] or case][2]
        params.update({k: os.path.join(folder, v[1:]) if isinstance(v, str) and v.startswith("@") else v
                       for k, v in changed.items()})
    params.update(extra)
    monkeypatch.setenv("INSAR_GEOHAZARDS_MAX_MEMORY_MB", repr(mb))
    with recorded_plans() as plans:
        outputs = det._read_outputs(run(tool, params))
    return plans, outputs


def test_every_tool_that_shows_the_knob_is_here(qgis_app):
    """A tool that shows MAX_MEMORY_MB has ``knob`` cases in tests/registry.py (a new one must show that the knob
    moves its blocks), and a tool with such cases shows it."""
    from qgis.core import QgsApplication, QgsProcessingParameterDefinition

    shown = set()
    for alg in QgsApplication.processingRegistry().algorithms():
        if alg.provider() is None or alg.provider().id() != "geohazard":
            continue
        d = alg.parameterDefinition("MAX_MEMORY_MB")
        if d is not None and not d.flags() & QgsProcessingParameterDefinition.Flag.FlagHidden:
            shown.add(alg.name())
    listed = {tool for tool, *_ in CASES.values()}
    assert not shown - listed, f"tests/registry.py: no knob case for {sorted(shown - listed)}, which show MAX_MEMORY_MB"
    assert not listed - shown, f"tests/registry.py: knob cases for {sorted(listed - shown)}, which hide MAX_MEMORY_MB"


@pytest.mark.parametrize("case", sorted(CASES))
def test_halving_the_budget_changes_the_blocks_and_not_the_bytes(qgis_app, case, tmp_path, monkeypatch):
    det = _det()
    mb = CASES[case][3]
    recipe = _recipe(det, case, tmp_path / "in")
    plans, ref = _run(det, case, recipe, str(tmp_path / "full"), mb, monkeypatch)
    half_plans, half = _run(det, case, recipe, str(tmp_path / "half"), mb / 2, monkeypatch)
    assert ref, f"{case}: no output read"
    assert plans and max(len(p) for p in plans) > 1, f"{case}: one block at {mb} MiB ({plans})"
    assert half_plans != plans, f"{case}: the same blocks at {mb} and {mb / 2} MiB: {plans}"
    if case not in PLAN_ONLY:
        assert not det._differences(ref, half), f"{case}: outputs differ: {det._differences(ref, half)[:4]}"


def test_a_tool_whose_blocks_are_small_hides_the_knob_and_still_accepts_it(qgis_app, tmp_path, monkeypatch):
    """landslideactivity: blocks of 250,000 points (about 8 MB) next to the layer it reads, so no memory setting in
    its dialog or help; MAX_MEMORY_MB from a script or a model is accepted and changes nothing."""
    from qgis.core import QgsApplication, QgsProcessingParameterDefinition

    det = _det()
    alg = QgsApplication.processingRegistry().algorithmById("geohazard:landslideactivity")
    assert alg.parameterDefinition("MAX_MEMORY_MB").flags() & QgsProcessingParameterDefinition.Flag.FlagHidden
    assert "Memory for one block" not in alg.shortHelpString() and "Dask scheduler" in alg.shortHelpString()
    recipe = det._recipe("landslideactivity", tmp_path / "in")
    monkeypatch.delenv("INSAR_GEOHAZARDS_MAX_MEMORY_MB", raising=False)
    got = []
    for name, extra in (("without", {}), ("with", {"MAX_MEMORY_MB": 1})):
        from testutils_hostile import run

        params = copy.deepcopy(recipe.params)
        for key in recipe.outputs:
            params[key] = str(tmp_path / name / os.path.basename(params[key]))
        os.makedirs(tmp_path / name, exist_ok=True)
        got.append(det._read_outputs(run("landslideactivity", {**params, **extra})))
    assert got[0] and not det._differences(*got)
