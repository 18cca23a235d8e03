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
    "tools_timeseries.py": {"StackingVelocity": ["process"], "PhaseGradientStacking": ["process"],
                            "SbasInversion": ["process"]},
    "tools_faults.py": {"OkadaForward": ["process"], "CoulombStress": ["process"]},
    "tools_models.py": {"TimeSeriesModels": ["_process_raster"]},
    "tools_psds.py": {"AmplitudeDispersion": ["process"], "PhaseLinking": ["process"]},
}


# Provider functions that drive the engine for a tool (each must call process_blocks itself).
ENGINE_DRIVERS = {"scan_stack": "tools_timeseries.py", "write_sbas_outputs": "tools_timeseries.py"}


def test_engine_drivers_call_the_engine():
    for name, module in ENGINE_DRIVERS.items():
        tree = ast.parse(open(os.path.join(ROOT, "processing_provider", module)).read())
        fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
        assert "process_blocks" in _calls(fn) and "iter_blocks" not in _calls(fn), name


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
                assert calls & {"process_blocks", "distortion_map"} | set(ENGINE_DRIVERS), \
                    f"{cls_name}.{fn.name} does not use the engine"
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


# ------------------------------------------------------------------ the seams of issue 15
PROVIDER = os.path.join(ROOT, "processing_provider")
TOOL_MODULES = sorted(n for n in os.listdir(PROVIDER) if n.startswith("tools_") and n.endswith(".py"))
MAX_ADAPTER_LINES = 60
# adapters still over the limit, each owned by another branch (the coordinator removes an entry
# once that branch is merged and the adapter is short)
LONG_ADAPTERS = {}
# imports between tool modules still in place, owned by another branch
TOOL_IMPORTS = {}
# modules whose IO / writer handling is being rewritten by another branch
IO_OWNED_ELSEWHERE = {}
HAND_ABORTS = {}


def _tree(path):
    with open(path) as f:
        return ast.parse(f.read())


def _imported_modules(tree):
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            yield from (a.name for a in n.names)
        elif isinstance(n, ast.ImportFrom):
            yield (n.module or "") + "".join(f".{a.name}" for a in n.names if not n.module)


def _algorithm_classes(tree):
    return [c for c in tree.body if isinstance(c, ast.ClassDef)
            and any(getattr(b, "id", "") == "GeohazardAlgorithm" for b in c.bases)]


def test_adapters_are_at_most_60_lines():
    """A tool's process()/processAlgorithm reads parameters, calls the core, writes outputs: <= 60 lines."""
    long = {}
    for module in TOOL_MODULES:
        for cls in _algorithm_classes(_tree(os.path.join(PROVIDER, module))):
            for fn in cls.body:
                if isinstance(fn, ast.FunctionDef) and fn.name in ("process", "processAlgorithm"):
                    n = fn.end_lineno - fn.lineno + 1
                    if n > MAX_ADAPTER_LINES and (module, cls.name) not in LONG_ADAPTERS:
                        long[f"{module}:{cls.name}.{fn.name}"] = n
    assert not long, f"adapters over {MAX_ADAPTER_LINES} lines (move IO to processing_provider/io, science to " \
                     f"algorithms/): {long}"


def test_ui_imports_io_never_a_tool_module():
    for name in os.listdir(os.path.join(ROOT, "ui")):
        if name.endswith(".py"):
            mods = list(_imported_modules(_tree(os.path.join(ROOT, "ui", name))))
            assert not [m for m in mods if "tools_" in m], f"ui/{name} imports a tool module: {mods}"


def test_tool_modules_do_not_import_each_other():
    bad = []
    for module in TOOL_MODULES:
        for m in _imported_modules(_tree(os.path.join(PROVIDER, module))):
            other = m.rsplit(".", 1)[-1]
            if other.startswith("tools_") and (module, other) not in TOOL_IMPORTS:
                bad.append((module, m))
    assert not bad, f"tool modules importing tool modules (shared code belongs in processing_provider/io): {bad}"


def test_io_lives_in_the_io_package():
    """tools_*.py hold algorithm classes (and their parameter mixins) only: no reader/writer classes and no
    GDAL/OGR/OSR calls; those live in processing_provider/io (raster_io.py / vector_io.py re-exported there)."""
    bad = []
    for module in TOOL_MODULES:
        if module in IO_OWNED_ELSEWHERE:
            continue
        tree = _tree(os.path.join(PROVIDER, module))
        algs = {c.name for c in _algorithm_classes(tree)}
        mixins = {getattr(b, "id", "") for c in tree.body if isinstance(c, ast.ClassDef) and c.name in algs
                  for b in c.bases}
        for c in tree.body:
            if isinstance(c, ast.ClassDef) and c.name not in algs and c.name not in mixins:
                bad.append(f"{module}: class {c.name}")
        for n in ast.walk(tree):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
                owner = getattr(n.func.value, "id", "")
                if owner in ("gdal", "ogr", "osr") or n.func.attr in ("ReadAsArray", "GetRasterBand", "WriteArray"):
                    bad.append(f"{module}:{n.lineno}: {owner or '...'}.{n.func.attr}()")
    assert not bad, bad
    for name in ("stacks", "slc", "points", "faults", "geometry", "styles", "writers", "forecast", "raster", "vector"):
        assert os.path.isfile(os.path.join(PROVIDER, "io", f"{name}.py")), name
    for name in os.listdir(os.path.join(PROVIDER, "io")):
        if name.endswith(".py"):
            mods = list(_imported_modules(_tree(os.path.join(PROVIDER, "io", name))))
            assert not [m for m in mods if "tools_" in m], f"io/{name} imports a tool module"


def test_writers_are_aborted_by_their_context_manager():
    """No hand-written ``except BaseException: w.abort()``: RasterWriter is a context manager
    (io.writers.all_or_none for a group)."""
    bad = []
    for module in TOOL_MODULES:
        tree = _tree(os.path.join(PROVIDER, module))
        for top in tree.body:
            for n in ast.walk(top):
                if isinstance(n, ast.ExceptHandler) and getattr(n.type, "id", "") == "BaseException" \
                        and "abort" in _calls(n) and (module, getattr(top, "name", "")) not in HAND_ABORTS:
                    bad.append(f"{module}:{n.lineno}")
    assert not bad, bad


def test_phase_to_mm_only_in_conventions():
    """lambda / (4 pi) is written once, in algorithms/conventions.py; everything else calls it."""
    import re

    pattern = re.compile(r"4(\.0)?\s*\*\s*(np\.|math\.)?pi\b")
    bad = []
    for folder in ("algorithms", "processing_provider", "ui"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, folder)):
            for name in files:
                path = os.path.join(dirpath, name)
                if not name.endswith(".py") or path.endswith(os.path.join("algorithms", "conventions.py")):
                    continue
                with open(path) as f:
                    for i, line in enumerate(f, 1):
                        code = line.split("#", 1)[0]
                        if pattern.search(code):
                            bad.append(f"{os.path.relpath(path, ROOT)}:{i}: {line.strip()}")
    assert not bad, bad
