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



def _imports_anywhere(path):
    """``(line, name, relative)`` of every import of ``path``, those inside functions and classes included:
    relative imports resolved below the plugin folder (``fileio.base.raster``), absolute ones as written."""
    package = os.path.relpath(os.path.dirname(path), ROOT).split(os.sep)
    with open(path) as f:
        tree = ast.parse(f.read())
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            yield from ((n.lineno, a.name, False) for a in n.names)
        elif isinstance(n, ast.ImportFrom):
            if n.level:
                base = package[:len(package) - n.level + 1]
                yield n.lineno, ".".join(base + ([n.module] if n.module else [])), True
            else:
                yield n.lineno, n.module or "", False


def test_the_core_imports_no_qgis_gdal_io_or_provider_even_inside_functions():
    """The import probe above sees the module-level imports only; an import inside a function would pull QGIS or
    GDAL into a notebook or a Dask worker at its first call. Every import of algorithms/, wherever it stands."""
    bad = []
    for dirpath, _, files in os.walk(os.path.join(ROOT, "algorithms")):
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            path = os.path.join(dirpath, name)
            for line, mod, relative in _imports_anywhere(path):
                top = mod.split(".")[0]
                if relative and top != "algorithms" \
                        or not relative and (top in ("qgis", "PyQt5", "PyQt6", "osgeo", "processing")
                                             or mod.startswith("insar_geohazards.") and
                                             not mod.startswith("insar_geohazards.algorithms")):
                    bad.append(f"{os.path.relpath(path, ROOT)}:{line} imports {mod}")
    assert not bad, bad


def test_the_core_imports_no_matplotlib_and_the_plugin_never_touches_pyplot():
    """Charts live in fileio/display/charts.py: the core returns arrays and tables and imports matplotlib nowhere
    (not even inside a function); no module the QGIS process loads imports pyplot or calls ``matplotlib.use``
    (either would switch the backend of the QGIS process and close the figures of other plugins and the console)."""
    core, pyplot = [], []
    for folder in ("algorithms", "fileio", "processing_provider", "ui"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, folder)):
            for name in sorted(files):
                if not name.endswith(".py"):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, ROOT)
                for line, mod, relative in _imports_anywhere(path):
                    if relative:
                        continue
                    if folder == "algorithms" and mod.split(".")[0] == "matplotlib":
                        core.append(f"{rel}:{line} imports {mod}")
                    if mod.startswith("matplotlib.pyplot") or mod == "pylab":
                        pyplot.append(f"{rel}:{line} imports {mod}")
                tree = _tree(path)
                for node in ast.walk(tree):
                    if isinstance(node, ast.ImportFrom) and node.module == "matplotlib" \
                            and any(a.name == "pyplot" for a in node.names):
                        pyplot.append(f"{rel}:{node.lineno} imports matplotlib.pyplot")
                    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                            and node.func.attr in ("use", "switch_backend") \
                            and isinstance(node.func.value, ast.Name) and node.func.value.id in ("matplotlib", "plt"):
                        pyplot.append(f"{rel}:{node.lineno} calls {node.func.value.id}.{node.func.attr}")
    assert not core, f"algorithms/ imports matplotlib (draw in fileio/display/charts.py): {core}"
    assert not pyplot, f"pyplot state in the QGIS process: {pyplot}"


def _formatted(arg) -> bool:
    """An f-string, a ``"..." % x`` or a ``"...".format(x)``: text formatted before it is translated."""
    return isinstance(arg, ast.JoinedStr) or (isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Mod)) or (
        isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr == "format")


def test_translations_take_constant_strings():
    """``tr()`` takes a template a translator can match (``tr("{n} pairs").format(n=n)``), never text already
    formatted (an f-string or a ``.format`` inside it)."""
    bad = []
    for folder in ("processing_provider", "ui", "fileio"):
        for path in _py_files(os.path.join(ROOT, folder)):
            for node in ast.walk(_tree(path)):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "tr" \
                        and node.args and _formatted(node.args[0]):
                    bad.append(f"{os.path.relpath(path, ROOT)}:{node.lineno}")
    assert not bad, f"tr() of formatted text: {bad}"

# ------------------------------------------------------------------ the provider: three layers, one room per tool
PROVIDER = os.path.join(ROOT, "processing_provider")
IO = os.path.join(ROOT, "fileio")
TOOLS = os.path.join(PROVIDER, "tools")
MAX_FILE_LINES = 600
MAX_ADAPTER_LINES = 60
# adapters not yet thin: their science moves to algorithms/ in the next steps of this reorganisation


def _tree(path):
    with open(path) as f:
        return ast.parse(f.read())


def _lines(path) -> int:
    with open(path, "rb") as f:
        return f.read().count(b"\n")


def _py_files(folder):
    for dirpath, _, files in os.walk(folder):
        for name in sorted(files):
            if name.endswith(".py"):
                yield os.path.join(dirpath, name)


def _imported_modules(tree, path):
    """Absolute dotted names (below the plugin) of the modules ``path`` imports (relative imports resolved)."""
    package = os.path.relpath(os.path.dirname(path), ROOT).split(os.sep)
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            yield from (a.name for a in n.names)
        elif isinstance(n, ast.ImportFrom):
            base = package[:len(package) - n.level + 1] if n.level else []
            mod = ".".join(base + ([n.module] if n.module else []))
            yield mod
            if not n.module:
                yield from (f"{mod}.{a.name}" for a in n.names)
        elif isinstance(n, ast.Call) and getattr(n.func, "id", "") == "lazy_module" and n.args \
                and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str):
            # a module bound by processing_provider.lazy (imported at its first use) counts as imported
            name = n.args[0].value
            level = len(name) - len(name.lstrip("."))
            base = package[:len(package) - level + 1] if level else []
            yield ".".join(base + [name.lstrip(".")])


def _calls(node):
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            f = n.func
            out.add(f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", ""))
    return out


def _tool_files():
    """``(family, tool ID, path)`` of every tool module (``tools/<family>/<tool ID>.py``)."""
    for family in sorted(os.listdir(TOOLS)):
        folder = os.path.join(TOOLS, family)
        if os.path.isdir(folder) and not family.startswith("_"):
            for name in sorted(os.listdir(folder)):
                if name.endswith(".py") and not name.startswith("_"):
                    yield family, name[:-3], os.path.join(folder, name)


_DECORATOR = {"NAME": 0, "DISPLAY_NAME": 1, "GROUP_ID": "group", "HELP_PAGE": "page", "TAGS": "tags",
              "MAIN_OUTPUTS": "main", "KERNELS": "kernels", "FORMER_IDS": "former", "ENGINE": "engine"}


def _class_attr(cls, name):
    """A tool's attribute: from its ``@tool(...)`` declaration, else from the class body."""
    for deco in cls.decorator_list:
        if isinstance(deco, ast.Call) and getattr(deco.func, "id", "") == "tool" and name in _DECORATOR:
            key = _DECORATOR[name]
            node = deco.args[key] if isinstance(key, int) else next(
                (k.value for k in deco.keywords if k.arg == key), None)
            return None if node is None else ast.literal_eval(node) if isinstance(node, ast.Constant) else node
    for n in cls.body:
        if isinstance(n, ast.Assign):
            for t in n.targets:
                if isinstance(t, ast.Name) and t.id == name:
                    return ast.literal_eval(n.value) if isinstance(n.value, ast.Constant) else n.value
    return None


def _tool_classes(tree):
    return [c for c in tree.body if isinstance(c, ast.ClassDef) and _class_attr(c, "NAME")]


def test_io_never_sees_the_parameter_layer_or_a_tool():
    """fileio/ (files <-> numpy, shared by the provider and the dock) imports nothing of the provider or the dock and no
    fileio function takes a tool or its parameters (``alg``, ``parameters``); inputs/ imports no tool; the dock reads
    files through fileio/, not through the provider."""
    bad = []
    for path in _py_files(IO):
        tree = _tree(path)
        for m in _imported_modules(tree, path):
            if m.startswith(("processing_provider", "ui")):
                bad.append(f"{os.path.relpath(path, ROOT)} imports {m}")
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef):
                args = {a.arg for a in fn.args.args + fn.args.kwonlyargs}
                if args & {"alg", "parameters"}:
                    bad.append(f"{os.path.relpath(path, ROOT)}:{fn.lineno} {fn.name}({', '.join(sorted(args))})")
    for path in _py_files(os.path.join(PROVIDER, "inputs")):
        for m in _imported_modules(_tree(path), path):
            if m.startswith("processing_provider.tools"):
                bad.append(f"{os.path.relpath(path, ROOT)} imports {m}")
    for path in _py_files(os.path.join(ROOT, "ui")):
        for m in _imported_modules(_tree(path), path):
            if m.startswith("processing_provider"):
                bad.append(f"{os.path.relpath(path, ROOT)} imports {m}")
    assert not bad, bad


#: What fileio/ may import of QGIS: the core library (CRS, features, layers, styles) and Qt's non-widget types (colours,
#: QMetaType). fileio/ is shared by the provider and the dock: no widget, no Processing framework, no tool.
IO_QGIS_ALLOWED = ("qgis.core", "qgis.PyQt.QtCore", "qgis.PyQt.QtGui")


def test_io_imports_no_widget_no_processing_framework_and_no_tool_even_inside_functions():
    bad = []
    for path in _py_files(IO):
        for line, mod, relative in _imports_anywhere(path):
            top = mod.split(".")[0]
            where = f"{os.path.relpath(path, ROOT)}:{line} imports {mod}"
            if relative and top in ("processing_provider", "ui", "plugin", "demo", "models"):
                bad.append(where)
            elif not relative and top == "qgis" and not mod.startswith(IO_QGIS_ALLOWED) and mod != "qgis.PyQt":
                bad.append(where)
            elif not relative and top in ("processing", "PyQt5", "PyQt6"):
                bad.append(where)
            elif not relative and mod.startswith("insar_geohazards.") and \
                    not mod.startswith(("insar_geohazards.fileio", "insar_geohazards.algorithms")):
                bad.append(where)
    assert not bad, bad


#: The floors of fileio/, lowest first (fileio/__init__.py): a module imports the core, its own floor and lower
#: ones, never a higher one, so each floor can be read knowing only those below it.
FILEIO_FLOORS = ("base", "display", "motion", "formats", "geometry", "timeseries", "psds", "unwrap", "corrections",
                 "interferograms", "kinematics", "ada", "models", "faults", "hazard")


def test_fileio_floors_import_only_lower_floors():
    bad = []
    for path in _py_files(IO):
        where = os.path.relpath(path, IO).split(os.sep)
        if len(where) == 1:
            assert where == ["__init__.py"], f"{path}: a module of fileio/ belongs to a floor"
            continue
        assert where[0] in FILEIO_FLOORS, f"{path}: floor {where[0]!r} is not in FILEIO_FLOORS"
        for m in _imported_modules(_tree(path), path):
            parts = m.removeprefix("insar_geohazards.").split(".")
            if parts[0] == "fileio" and len(parts) > 1 and parts[1] in FILEIO_FLOORS and \
                    FILEIO_FLOORS.index(parts[1]) > FILEIO_FLOORS.index(where[0]):
                bad.append(f"{os.path.relpath(path, ROOT)} imports {m}, a higher floor")
    assert not bad, bad


def test_one_room_per_tool_named_after_its_id():
    """Each tool module holds one tool class whose NAME is the file's name, and its identity on the class; its
    toolbox group is its folder (no group typed on the class: one taxonomy); its module docstring names its ID and
    says what it does."""
    seen = set()
    for _, stem, path in _tool_files():
        classes = _tool_classes(_tree(path))
        assert [_class_attr(c, "NAME") for c in classes] == [stem], path
        cls = classes[0]
        for attr in ("DISPLAY_NAME", "HELP", "HELP_PAGE"):
            assert _class_attr(cls, attr) is not None, f"{path}: {attr}"
        assert _class_attr(cls, "GROUP_ID") is None, f"{path}: its group is its folder, not typed"
        doc = ast.get_docstring(_tree(path)) or ""
        assert doc.startswith(f"``geohazard:{stem}``. ") and len(doc.split()) >= 8, \
            f"{path}: the module docstring names the tool's ID and says what it does: {doc!r}"
        seen.add(stem)
    assert len(seen) >= 37


def test_no_name_keyed_tool_dicts():
    """What belongs to a tool is a class attribute: no module-level dict keyed by tool IDs in the provider."""
    names = {stem for _, stem, _ in _tool_files()}
    names -= {os.path.basename(os.path.dirname(path)) for _, _, path in _tool_files()}  # GROUPS: keyed by folders
    bad = []
    for path in _py_files(PROVIDER):
        for node in _tree(path).body:
            value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
            if isinstance(value, ast.Dict):
                keys = {k.value for k in value.keys if isinstance(k, ast.Constant)}
                if keys & names:
                    bad.append(f"{os.path.relpath(path, ROOT)}:{node.lineno} keyed by {sorted(keys & names)[:3]}")
    assert not bad, bad


def test_no_provider_file_over_600_lines():
    long = {os.path.relpath(p, ROOT): _lines(p) for p in [*_py_files(PROVIDER), *_py_files(IO)]
            if _lines(p) > MAX_FILE_LINES}
    assert not long, long


def _functions(tree):
    """Top-level functions and the methods of every class of a module: name -> node."""
    out = {}
    for n in tree.body:
        if isinstance(n, ast.FunctionDef):
            out[n.name] = n
        elif isinstance(n, ast.ClassDef):
            for m in n.body:
                if isinstance(m, ast.FunctionDef):
                    out.setdefault(m.name, m)
    return out


def _reached(funcs: dict) -> set:
    """Names of ``funcs`` that ``process`` reaches through calls (itself included)."""
    todo, seen = [n for n in ("process", "processAlgorithm") if n in funcs], set()
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += [c for c in _calls(funcs[name]) if c in funcs]
    return seen


def adapter_lines(family: str, path: str) -> dict:
    """Lines of each tool's ``process`` with the helpers only it calls (the functions and methods of its module
    it reaches, and those of its family's ``_common.py`` that no other tool of the family reaches), counted as
    ``wc -l`` counts them."""
    common_path = os.path.join(TOOLS, family, "_common.py")
    common = _functions(_tree(common_path)) if os.path.isfile(common_path) else {}
    others = set()
    for _, _, other in _tool_files():
        if os.path.dirname(other) == os.path.dirname(path) and other != path:
            others |= _reached({**common, **_functions(_tree(other))}) & set(common)
    tree = _tree(path)
    own = _functions(tree)
    funcs = {**common, **own}
    mine = [n for n in _reached(funcs) if n in own or n not in others]
    return {_class_attr(c, "NAME"): sum(funcs[n].end_lineno - funcs[n].lineno + 1 for n in mine)
            for c in _tool_classes(tree)}


def test_adapters_are_at_most_60_lines():
    """A tool's process() reads parameters, calls the core, writes outputs: at most 60 lines with the helpers
    only it calls (readers and writers belong in fileio/, parameter handling shared by tools in inputs/, science in
    algorithms/)."""
    long = {}
    for family, _, path in _tool_files():
        for name, n in adapter_lines(family, path).items():
            if n > MAX_ADAPTER_LINES:
                long[name] = n
    assert not long, f"adapters over {MAX_ADAPTER_LINES} lines: {long}"


def test_one_block_loop():
    """Only the runner of fileio/base/blocks.py calls the engine's process_blocks; engine tools hand it a block function
    (or call a core driver built on the engine) and never loop over row blocks themselves."""
    bad = []
    for path in [*_py_files(PROVIDER), *_py_files(IO)]:
        if path.endswith(os.path.join("fileio", "base", "blocks.py")) or \
                path.endswith(os.path.join("fileio", "geometry", "geometry.py")):
            continue
        if "process_blocks" in _calls(_tree(path)):
            bad.append(os.path.relpath(path, ROOT))
    for _, _, path in _tool_files():
        tree = _tree(path)
        calls = _calls(tree)
        assert "iter_blocks" not in calls, path
        for loop in (n for n in ast.walk(tree) if isinstance(n, ast.For)):
            it = loop.iter
            is_range = isinstance(it, ast.Call) and getattr(it.func, "id", "") == "range"
            assert not (is_range and isinstance(loop.target, ast.Name) and loop.target.id in ("r0", "row")), path
    assert not bad, f"block loops outside fileio/base/blocks.py: {bad}"


def test_run_wide_knobs_are_declared_once():
    """MAX_MEMORY_MB, DASK_SCHEDULER and THREADS are declared in inputs/knobs.py only (every engine tool gets
    them from the base class)."""
    hits = []
    for path in [*_py_files(PROVIDER), *_py_files(IO), *_py_files(os.path.join(ROOT, "ui"))]:
        text = open(path).read()
        for knob in ("MAX_MEMORY_MB", "DASK_SCHEDULER", "THREADS"):
            if f'"{knob}"' in text:
                hits.append((os.path.relpath(path, ROOT), knob))
    assert sorted({h[0] for h in hits}) == ["processing_provider/inputs/knobs.py"], hits


def test_tools_plan_their_blocks_through_the_run_settings():
    """A tool's blocks come from the run's settings (MAX_MEMORY_MB): ``run.plan``, ``run.rows``, ``run.plan_files``
    (fileio/base/blocks.py), or a core planner handed ``run.max_memory_mb``; no tool file calls the engine's planners or
    turns the budget into bytes itself (tests/processing/test_memory_knob.py checks that the knob moves the blocks)."""
    bad = []
    for _, tool_id, path in _tool_files():
        calls = _calls(_tree(path))
        bad += [(tool_id, c) for c in ("plan_blocks", "plan_file_groups", "budget_rows", "max_memory_bytes")
                if c in calls]
    assert not bad, bad


def test_tools_do_not_import_each_other_and_ui_imports_no_tool():
    bad = []
    for family, _, path in _tool_files():
        for m in _imported_modules(_tree(path), path):
            if m.startswith("processing_provider.tools.") and not m.endswith(("._base", "._common")) \
                    and m != f"processing_provider.tools.{family}":
                bad.append((os.path.relpath(path, ROOT), m))
    for path in _py_files(os.path.join(ROOT, "ui")):
        bad += [(path, m) for m in _imported_modules(_tree(path), path) if ".tools." in m and not m.endswith("_base")]
    assert not bad, bad


def test_tool_modules_hold_algorithm_classes_and_no_gdal_calls():
    """Readers and writers live in fileio/: no GDAL/OGR/OSR call and no class but the tool (and its family's
    parameter mixins) in a tool module."""
    bad = []
    for _, _, path in list(_tool_files()):
        tree = _tree(path)
        tools = {c.name for c in _tool_classes(tree)}
        bad += [f"{path}: class {c.name}" for c in tree.body if isinstance(c, ast.ClassDef) and c.name not in tools]
        for n in ast.walk(tree):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
                owner = getattr(n.func.value, "id", "")
                if owner in ("gdal", "ogr", "osr") or n.func.attr in ("ReadAsArray", "GetRasterBand", "WriteArray"):
                    bad.append(f"{path}:{n.lineno}: {owner or '...'}.{n.func.attr}()")
    assert not bad, bad


def test_one_home_per_module_and_per_constant():
    """No module stands in for another (sys.modules aliases) and the raster extensions are listed once."""
    bad = []
    ext = []
    for path in [*_py_files(PROVIDER), *_py_files(IO), *_py_files(os.path.join(ROOT, "algorithms"))]:
        text = open(path).read()
        if "sys.modules[" in text:
            bad.append(os.path.relpath(path, ROOT))
        if "RASTER_EXT = (" in text:
            ext.append(os.path.relpath(path, ROOT))
    assert not bad, bad
    assert ext == ["algorithms/formats/stack_names.py"], ext


def test_no_hand_written_writer_aborts():
    """No ``except BaseException: w.abort()`` in the provider: writers are context managers, published together
    by fileio.base.writers.all_or_none (the runner of fileio/base/blocks.py enters them)."""
    bad = []
    for path in [*_py_files(PROVIDER), *_py_files(IO)]:
        for n in ast.walk(_tree(path)):
            if isinstance(n, ast.ExceptHandler) and getattr(n.type, "id", "") == "BaseException" \
                    and "abort" in _calls(n):
                bad.append(f"{os.path.relpath(path, ROOT)}:{n.lineno}")
    assert not bad, bad


#: Folders of the repository that are not the product (the plugin's own code is every other folder with Python).
NOT_PRODUCT = {"tests", "benchmarks", "scripts", "docs", "models", "icons", "dist", ".build", ".ci", ".git"}
#: The first line of a module written by scripts/generate (make generate): such a module is not hand-written.
GENERATED = "# Generated by scripts/generate"


def _product_modules():
    """{path relative to the repository: text} of every hand-written Python module of the product (the core, the
    IO, the provider, the dock, the demo and the plugin's entry points), generated modules left out."""
    out = {}
    for top in sorted(os.listdir(ROOT)):
        path = os.path.join(ROOT, top)
        if top in NOT_PRODUCT or top.startswith("."):
            continue
        files = [path] if top.endswith(".py") else [
            os.path.join(folder, name) for folder, dirs, names in os.walk(path)
            if "__pycache__" not in folder for name in names if name.endswith(".py")]
        for file in files:
            if os.path.isfile(file):
                with open(file, encoding="utf-8") as f:
                    text = f.read()
                if not text.startswith(GENERATED):
                    out[os.path.relpath(file, ROOT)] = text
    return out


def test_no_hand_written_function_over_200_lines_and_no_core_or_dock_file_over_1500():
    modules = _product_modules()
    assert {m.split(os.sep)[0] for m in modules} >= {"algorithms", "processing_provider", "ui", "demo"}
    long = []
    for rel, text in modules.items():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 200:
                long.append(f"{rel}:{node.lineno} {node.name}, {node.end_lineno - node.lineno + 1} lines")
        if rel.startswith(("algorithms", "ui")) and text.count("\n") > 1500:
            long.append(f"{rel}: {text.count(chr(10))} lines")
    assert not long, "split these (generated modules start with " + repr(GENERATED) + "):\n" + "\n".join(long)


def test_the_guards_see_generated_modules_by_their_first_line():
    generated = [os.path.join(folder, name) for folder, _dirs, names in os.walk(os.path.join(ROOT, "algorithms"))
                 for name in names if name.endswith(".py")]
    marked = set()
    for path in generated:
        with open(path, encoding="utf-8") as f:
            if f.readline().startswith(GENERATED):
                marked.add(os.path.relpath(path, ROOT))
    with open(os.path.join(ROOT, ".gitattributes"), encoding="utf-8") as f:
        attributes = {line.split()[0] for line in f if "linguist-generated" in line}
    assert marked == attributes and len(marked) >= 5
    assert not marked & set(_product_modules())


def test_no_issue_numbers_or_project_history_in_the_code():
    import re

    pattern = re.compile(r"\bissue[s]? ?#?\d+|\bpart [AB]\b|\bformer place of\b", re.I)
    bad = []
    for folder in ("algorithms", "processing_provider", "fileio", "ui", "tests", "models", "demo"):
        for path in _py_files(os.path.join(ROOT, folder)):
            if os.path.abspath(path) == os.path.abspath(__file__):
                continue  # the pattern itself
            for i, line in enumerate(open(path), 1):
                # Okada's own terms (his Table 6 "part A", Table 7 "part B") are not project history
                if pattern.search(line) and not any(w in os.path.basename(path) for w in ("okada", "dc3d")):
                    bad.append(f"{os.path.relpath(path, ROOT)}:{i}: {line.strip()}")
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


def test_no_import_cycles_in_the_core_the_io_the_provider_or_the_dock():
    """Imports form no cycle, counting those inside functions too (an import put in a function to hide a circle
    is still a circle) and the modules bound lazily; ``algorithms``, ``fileio``, ``processing_provider`` and ``ui``."""
    graph = {}
    for folder in ("algorithms", "fileio", "processing_provider", "ui"):
        for path in _py_files(os.path.join(ROOT, folder)):
            name = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".").removesuffix(".__init__")
            graph[name] = {m for m in _imported_modules(_tree(path), path)}
    graph = {k: {m for m in v if m in graph and m != k} for k, v in graph.items()}
    # importing ``a.b.c`` runs the packages' ``a`` and ``a.b`` __init__ first: those are edges too (except the
    # importer's own packages, which Python loaded before it)
    for k, v in graph.items():
        own = {k.rsplit(".", i)[0] for i in range(1, k.count(".") + 1)}
        graph[k] = v | {p for m in v for p in (m.rsplit(".", i)[0] for i in range(1, m.count(".") + 1))
                        if p in graph and p not in own and p != k}
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    # a package importing its own submodules (``from . import x`` in __init__) is not a cycle of modules
    cycles = [c for c in cycles if not any(b.startswith(a + ".") for a, b in zip(c, c[1:]))]
    assert not cycles, cycles


def test_tests_import_the_plugin_by_its_package_name():
    """Tests import ``insar_geohazards.algorithms...``, never ``algorithms...`` (the repository folder on the path).
    numba caches a kernel next to its source file whatever name the module was imported under, and the cached code
    names that module: a kernel first compiled under ``algorithms.*`` is then found by every later process, and a
    ``qgis_process`` run, where no such module exists, fails to load it (seen when the test files ran in another
    order on two workers)."""
    own = ("algorithms", "processing_provider", "ui", "plugin")
    bad = []
    for path in _py_files(os.path.join(ROOT, "tests")):
        for node in ast.walk(ast.parse(open(path, encoding="utf-8").read(), path)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            bad += [f"{os.path.relpath(path, ROOT)}:{node.lineno}: {n}" for n in names if n.split(".")[0] in own]
    assert not bad, bad


# ------------------------------------------------------------------ fileio/ and inputs/: a test file each, or the
# reason
#: fileio/ and inputs/ modules without a test file of their own (tests/<layer>/test_io_<module>.py,
#: test_inputs_<module>.py; a tool's run module, fileio/<group>/<tool ID>.py, has its tool's
#: tests/processing/test_<tool ID>.py), each with the tests that exercise it and why those are its tests. A new module
#: gets its own test file; this list only shrinks.
TESTED_THROUGH = {
    "fileio/motion/ada": (("tests/processing/test_ada_io.py", "tests/processing/test_adadetection.py"),
                          "the ADA layers' reader and writer, tested as one subject with the ADA tools"),
    "fileio/base/blocks": (("tests/processing/test_engine_stacks.py", "tests/processing/test_engine_psds.py",
                            "tests/processing/test_memory_knob.py"),
                           "the block runner: every engine test runs through it, the knob test plans through it"),
    "fileio/corrections/corrections": (("tests/processing/test_demerrorcorrection.py",
                                  "tests/processing/test_referencepoint.py",
                                  "tests/processing/test_unwrapclosurecorrection.py"),
                                 "the stack corrections' readers and writers, only reached through those tools"),
    "fileio/formats/egms": (("tests/processing/test_loadegms.py",),
                            "the EGMS loader's file side, tested with the loader"),
    "fileio/faults/faults": (("tests/processing/test_coulombonfaults.py", "tests/processing/test_importcoulombinput.py",
                              "tests/processing/test_slipinversion.py"), "fault layers in and out of the fault tools"),
    "fileio/ada/features": (
        ("tests/processing/test_landslideactivity.py", "tests/processing/test_faultproximity.py",
         "tests/processing/test_adaclassification.py"), "polygon and point features of the ADA tools"),
    "fileio/geometry/geometry": (("tests/processing/test_engine_geometry.py", "tests/processing/test_losprojection.py"),
                               "geometry rasters through the geometry engine tests"),
    "fileio/display/comparison_chart": (("tests/processing/test_comparelayers.py",),
                                        "the comparison's chart, drawn by the tool's run"),
    "fileio/kinematics/kinematics": (
        ("tests/processing/test_landslide3d.py", "tests/processing/test_landslidethickness.py",
         "tests/processing/test_validateinsar.py"), "inputs and outputs of the kinematics tools"),
    "fileio/base/metadata": (("tests/processing/test_input_listing.py", "tests/processing/test_wavelength_rule.py",
                              "tests/processing/test_processing_history.py"),
                             "the metadata rule (wavelength, listing, history), each a subject of its own"),
    "fileio/formats/mintpy": (("tests/processing/test_loadmintpy.py", "tests/processing/test_mintpy_inputs.py"),
                              "MintPy files in and out, tested as the MintPy subject"),
    "fileio/timeseries/multisensor": (("tests/processing/test_multisensortimeseries.py",),
                                       "the multi-sensor tool's file side"),
    "fileio/timeseries/multisensor_datum": (("tests/processing/test_multisensortimeseries.py",),
                                             "the multi-sensor tool's datum"),
    "fileio/timeseries/multisensor_grid": (("tests/processing/test_multisensortimeseries.py",),
                                            "the multi-sensor tool's grid"),
    "fileio/motion/points": (("tests/processing/test_timeseriesmodels.py", "tests/processing/test_pcaatmosphere.py",
                              "tests/processing/test_inversevelocity.py"), "point time series read by the point tools"),
    "fileio/formats/products": (("tests/processing/test_products.py",),
                                "product layouts as delivered, their own subject"),
    "fileio/base/raster": (("tests/processing/test_raster_io_tiles.py", "tests/processing/test_engine_sbas.py"),
                           "rasters in and out: the tile test and every engine test"),
    "fileio/psds/slc": (("tests/processing/test_engine_psds.py", "tests/processing/test_amplitudedispersion.py"),
                         "SLC stacks through the PS/DS engine tests"),
    "fileio/timeseries/stack_reference": (("tests/processing/test_engine_sbas.py",
                                           "tests/processing/test_referencepoint.py"),
                                          "the reference pixel of the stack tools, through the tools that choose it"),
    "fileio/timeseries/stacks": (("tests/processing/test_engine_stacks.py", "tests/processing/test_engine_sbas.py"),
                            "stack inputs through the stack engine tests"),
    "fileio/display/styles": (("tests/processing/test_styles_models.py",), "styles and shipped models, one subject"),
    "fileio/timeseries/timeseries": (("tests/processing/test_sbasinversion.py",),
                                     "the SBAS tool's time-series outputs"),
    "fileio/base/transaction": (("tests/processing/test_engine_determinism.py",
                                 "tests/processing/test_losvelocitytovertical.py"),
                                "outputs written whole or not at all, checked where a run is cancelled or fails"),
    "fileio/display/arrange": (("tests/processing/test_desktop.py", "tests/processing/test_demo_project.py"),
                               "where a run's results land in the project: a desktop session's layer tree"),
    "fileio/display/temporal": (("tests/processing/test_temporal.py",),
                                "result layers the Temporal Controller animates"),
    "fileio/timeseries/multisensor_products": (("tests/processing/test_multisensor_delivered.py",),
                                                "the multi-sensor tool's stacks as delivered"),
    "fileio/formats/product_sources": (("tests/processing/test_product_walks.py",
                                        "tests/qgis_process/test_products_cli.py"),
                                       "product files made readable before the grid rule (GAMMA, ISCE2, GMTSAR)"),
    "fileio/motion/series_nc": (
        ("tests/processing/test_loadegms_netcdf.py",),
        "the EGMS series as a netCDF-4 file: written by loadegms, read by the dated-field tools"),
    "fileio/display/reference": (("tests/processing/test_timeseries_dock_map.py",),
                                 "a layer relative to the dock's reference: the dock's map features on real data"),
    "fileio/motion/series_table": (
        ("tests/processing/test_loadegms.py", "tests/processing/test_io_series_view.py"),
        "the series kept out of the fields (table or netCDF) read for points or a date: loadegms writes them"),
    "fileio/base/vector": (("tests/processing/test_importcoulombinput.py", "tests/processing/test_adadetection.py"),
                           "vector layers written by the tools"),
    "fileio/base/writers": (("tests/processing/test_ascdescdecomposition.py", "tests/processing/test_unwrap.py"),
                            "the raster writers of the tools that write whole grids"),
    "inputs/acquisition": (("tests/processing/test_losprojection.py", "tests/processing/test_losvelocitytovertical.py"),
                           "acquisition geometry parameters, read only for a tool"),
    "inputs/ada": (("tests/processing/test_adadetection.py", "tests/processing/test_adaclassification.py"),
                   "the ADA tools' parameters"),
    "inputs/aliases": (("tests/processing/test_params_aliases.py", "tests/processing/test_output_aliases.py"),
                       "former IDs, named after their subject"),
    "inputs/angles": (("tests/processing/test_losvelocitytovertical.py", "tests/hostile/test_hostile_geometry.py"),
                      "angle rasters checked by the guard before a geometry tool runs"),
    "inputs/compilation": (("tests/processing/test_first_run_progress.py",), "the first run's kernel compilation"),
    "inputs/declare": (("tests/processing/test_quiet_log.py", "tests/processing/test_params_aliases.py"),
                       "parameter declarations: every tool's parameter test reads them"),
    "inputs/delivered": (("tests/processing/test_loadmintpy.py", "tests/processing/test_products.py"),
                         "products as delivered, given as tool inputs"),
    "inputs/feedback": (("tests/processing/test_first_run_progress.py",), "progress and log of a run"),
    "inputs/geometry": (("tests/processing/test_ascdescdecomposition.py",
                         "tests/processing/test_geometricdistortion.py"),
                        "two-geometry parameters of those tools"),
    "inputs/guard": (("tests/processing/test_input_listing.py", "tests/processing/test_quiet_log.py"),
                     "the input guard, with the hostile layer (tests/hostile)"),
    "inputs/history": (("tests/processing/test_processing_history.py",), "the processing history, its subject"),
    "inputs/kinematics": (("tests/processing/test_offsettracking.py", "tests/processing/test_offsettimeseries.py"),
                          "the offset tools' parameters"),
    "inputs/knobs": (("tests/processing/test_memory_knob.py",), "the run-wide knobs, tested as the memory knob"),
    "inputs/layers": (("tests/processing/test_adadetection.py", "tests/processing/test_referencepoint.py"),
                      "layer parameters, read only for a tool"),
    "inputs/reference": (("tests/processing/test_referencepoint.py", "tests/processing/test_engine_sbas.py"),
                         "the automatic reference of every stack tool, tested through the tools that pick it"),
    "inputs/links": (("tests/processing/test_user_models.py",), "what a model step receives: the model tests"),
    "inputs/listing": (("tests/processing/test_input_listing.py",), "its own subject's file"),
    "inputs/multisensor": (("tests/processing/test_multisensortimeseries.py",), "the multi-sensor tool's parameters"),
    "inputs/stacks": (("tests/processing/test_engine_stacks.py", "tests/processing/test_engine_sbas.py"),
                      "the stack-spec reader through the stack engine tests"),
    "inputs/wavelength": (("tests/processing/test_wavelength_rule.py",), "the wavelength rule, its subject"),
}

#: The name of a module's own test file, before the module's name (a fileio/ module's keeps the short one).
OWN_TEST = {"fileio": "test_io_", "inputs": "test_inputs_"}


def test_every_io_and_inputs_module_has_a_test_file_or_a_listed_reason():
    missing, stale = [], []
    for folder, prefix in ((IO, "fileio"), (os.path.join(PROVIDER, "inputs"), "inputs")):
        for name in sorted(os.path.relpath(path, folder) for path in _py_files(folder)):
            if not name.endswith(".py") or os.path.basename(name) == "__init__.py":
                continue
            key = f"{prefix}/{name[:-3]}"
            own_name = f"{OWN_TEST[prefix]}{os.path.basename(name)[:-3]}.py"
            own = [layer for layer in ("core", "processing", "hostile", "qgis_process")
                   if os.path.exists(os.path.join(ROOT, "tests", layer, own_name))]
            # a tool's run module (fileio/<group>/<tool ID>.py) has its tool's own test file
            if prefix == "fileio" and os.path.isfile(os.path.join(TOOLS, name)):
                own += [f for f in (os.path.join("processing", f"test_{os.path.basename(name)}"),)
                        if os.path.exists(os.path.join(ROOT, "tests", f))]
            if own and key in TESTED_THROUGH:
                stale.append(f"{key} has its own test file now: drop it from TESTED_THROUGH")
            if not own and key not in TESTED_THROUGH:
                missing.append(key)
    for key, (files, reason) in TESTED_THROUGH.items():
        assert reason and files, key
        stale += [f"{key}: {f} does not exist" for f in files if not os.path.exists(os.path.join(ROOT, f))]
        prefix, mod = key.split("/", 1)
        folder = IO if prefix == "fileio" else os.path.join(PROVIDER, "inputs")
        if not os.path.exists(os.path.join(folder, f"{mod}.py")):
            stale.append(f"{key}: no such module")
    assert not missing, f"modules with neither a test file nor a listed reason: {missing}"
    assert not stale, stale


def test_no_private_name_is_imported_from_another_package():
    """A name with a leading underscore is its package's own: another package (or floor) that needs it imports it
    under a public name from the module that owns it. A private module imported by name (the numba shim) is a module,
    not a name, and is not concerned."""
    bad = []
    for top in ("algorithms", "fileio", "processing_provider", "ui"):
        for path in _py_files(os.path.join(ROOT, top)):
            package = os.path.relpath(os.path.dirname(path), ROOT).split(os.sep)
            for node in ast.walk(_tree(path)):
                if not isinstance(node, ast.ImportFrom):
                    continue
                if node.level:
                    target = package[: len(package) - node.level + 1] + (node.module.split(".") if node.module else [])
                elif (node.module or "").startswith("insar_geohazards."):
                    target = node.module.split(".")[1:]
                else:
                    continue
                where = os.path.join(ROOT, *target)
                owner = target if os.path.isdir(where) else target[:-1]
                for alias in node.names:
                    name = alias.name
                    if not name.startswith("_") or name.startswith("__") or owner == package:
                        continue
                    if os.path.isfile(os.path.join(where, name + ".py")) or os.path.isdir(os.path.join(where, name)):
                        continue  # a module
                    bad.append(f"{os.path.relpath(path, ROOT)}:{node.lineno} imports {name} from {'.'.join(target)}")
    assert not bad, bad
