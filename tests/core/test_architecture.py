"""The pure core never pulls in QGIS, Qt, GDAL's bindings or Dask; tools on the block engine loop over no blocks."""

import ast
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PROBE = r"""
import importlib, pkgutil, sys
sys.path.insert(0, {plugins!r})
import insar_geohazards.algorithms as core
names = [core.__name__]
for m in pkgutil.walk_packages(core.__path__, core.__name__ + "."):
    names.append(m.name)
for n in names:
    importlib.import_module(n)
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("qgis", "PyQt5", "PyQt6", "osgeo", "processing",
                                                         "dask", "distributed")
             or m.startswith(("insar_geohazards.processing_provider", "insar_geohazards.ui")))
print(len(names))
print(",".join(bad))
"""


def test_core_imports_no_qgis_qt_or_gdal():
    plugins = os.path.join(ROOT, ".build", "plugins")
    out = subprocess.run([sys.executable, "-c", PROBE.format(plugins=plugins)], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": ""})
    n_modules, bad = out.stdout.strip().split("\n") + [""] * (2 - len(out.stdout.strip().split("\n")))
    assert int(n_modules) >= 6
    assert bad == "", f"algorithms/ imported forbidden modules: {bad}"


def test_core_imports_without_numba():
    plugins = os.path.join(ROOT, ".build", "plugins")
    code = PROBE.format(plugins=plugins) + "\nimport insar_geohazards.algorithms._numba as s; assert not s.HAVE_NUMBA"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": "", "INSAR_GEOHAZARDS_DISABLE_NUMBA": "1"})


# Tools whose raster work runs on the block engine (algorithms/engine.py): their adapter code
# must not loop over blocks (no iter_blocks, no `for r0 in range(...)`), must call
# process_blocks (or a core driver built on it) and declare the shared DASK_SCHEDULER.
ENGINE_TOOLS = {
    "tools_geometry.py": {"GeometricDistortion": ["process"], "LosVelocityToVertical": ["process"],
                          "LosProjection": ["_rasters"]},
    "tools_timeseries.py": {"StackingVelocity": ["process"], "PhaseGradientStacking": ["process"]},
    "tools_faults.py": {"OkadaForward": ["process"], "CoulombStress": ["process"]},
    "tools_models.py": {"TimeSeriesModels": ["_process_raster"]},
    "tools_psds.py": {"AmplitudeDispersion": ["process"], "PhaseLinking": ["process"]},
}


def _methods(module, cls_name, names):
    tree = ast.parse(open(os.path.join(ROOT, "processing_provider", module)).read())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls_name)
    found = {n.name: n for n in cls.body if isinstance(n, ast.FunctionDef)}
    return cls, [found[n] for n in names]


def _calls(node):
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            f = n.func
            out.add(f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", ""))
    return out


def test_engine_tools_do_not_loop_over_blocks_and_share_the_scheduler_parameter():
    for module, classes in ENGINE_TOOLS.items():
        for cls_name, methods in classes.items():
            cls, funcs = _methods(module, cls_name, methods)
            for fn in funcs:
                calls = _calls(fn)
                assert "iter_blocks" not in calls, f"{cls_name}.{fn.name} loops over blocks itself"
                for loop in (n for n in ast.walk(fn) if isinstance(n, ast.For)):
                    it = loop.iter
                    is_range = isinstance(it, ast.Call) and getattr(it.func, "id", "") == "range"
                    assert not (is_range and isinstance(loop.target, ast.Name) and loop.target.id in ("r0", "row")), \
                        f"{cls_name}.{fn.name} loops over row blocks itself"
                assert calls & {"process_blocks", "distortion_map"}, f"{cls_name}.{fn.name} does not use the engine"
            init = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "initAlgorithm")
            assert "add_dask_parameter" in _calls(init), f"{cls_name} does not declare DASK_SCHEDULER"


def test_dask_scheduler_is_declared_once():
    hits = []
    for folder in ("processing_provider", "ui"):
        for name in os.listdir(os.path.join(ROOT, folder)):
            if name.endswith(".py"):
                text = open(os.path.join(ROOT, folder, name)).read()
                if 'DASK_SCHEDULER = "DASK_SCHEDULER"' in text or '"DASK_SCHEDULER", ' in text:
                    hits.append(name)
    assert hits == ["engine_params.py"], hits


def test_the_core_imports_dask_only_inside_functions():
    for dirpath, _, files in os.walk(os.path.join(ROOT, "algorithms")):
        for name in files:
            if not name.endswith(".py"):
                continue
            tree = ast.parse(open(os.path.join(dirpath, name)).read())
            for node in tree.body:  # module level only
                mods = []
                if isinstance(node, ast.Import):
                    mods = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    mods = [node.module]
                assert not any(m.split(".")[0] in ("dask", "distributed") for m in mods), \
                    f"{name} imports Dask at module level"
