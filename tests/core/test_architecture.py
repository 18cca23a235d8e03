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


# ------------------------------------------------------------------ the provider: three layers, one room per tool
PROVIDER = os.path.join(ROOT, "processing_provider")
IO = os.path.join(ROOT, "io")
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
    """io/ (files <-> numpy, shared by the provider and the dock) imports nothing of the provider or the dock and no
    io function takes a tool or its parameters (``alg``, ``parameters``); inputs/ imports no tool; the dock reads
    files through io/, not through the provider."""
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


def test_one_room_per_tool_named_after_its_id():
    """Each tool module holds one tool class whose NAME is the file's name, and its identity on the class."""
    seen = set()
    for _, stem, path in _tool_files():
        classes = _tool_classes(_tree(path))
        assert [_class_attr(c, "NAME") for c in classes] == [stem], path
        cls = classes[0]
        for attr in ("DISPLAY_NAME", "GROUP_ID", "HELP", "HELP_PAGE"):
            assert _class_attr(cls, attr) is not None, f"{path}: {attr}"
        seen.add(stem)
    assert len(seen) >= 37


def test_no_name_keyed_tool_dicts():
    """What belongs to a tool is a class attribute: no module-level dict keyed by tool IDs in the provider."""
    names = {stem for _, stem, _ in _tool_files()}
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
    only it calls (readers and writers belong in io/, parameter handling shared by tools in inputs/, science in
    algorithms/)."""
    long = {}
    for family, _, path in _tool_files():
        for name, n in adapter_lines(family, path).items():
            if n > MAX_ADAPTER_LINES:
                long[name] = n
    assert not long, f"adapters over {MAX_ADAPTER_LINES} lines: {long}"


def test_one_block_loop():
    """Only the runner of io/blocks.py calls the engine's process_blocks; engine tools hand it a block function
    (or call a core driver built on the engine) and never loop over row blocks themselves."""
    bad = []
    for path in [*_py_files(PROVIDER), *_py_files(IO)]:
        if path.endswith(os.path.join("io", "blocks.py")) or path.endswith(os.path.join("io", "geometry.py")):
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
    assert not bad, f"block loops outside io/blocks.py: {bad}"


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
    """Readers and writers live in io/: no GDAL/OGR/OSR call and no class but the tool (and its family's
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
    by io.writers.all_or_none (the runner of io/blocks.py enters them)."""
    bad = []
    for path in [*_py_files(PROVIDER), *_py_files(IO)]:
        for n in ast.walk(_tree(path)):
            if isinstance(n, ast.ExceptHandler) and getattr(n.type, "id", "") == "BaseException" \
                    and "abort" in _calls(n):
                bad.append(f"{os.path.relpath(path, ROOT)}:{n.lineno}")
    assert not bad, bad


def test_no_issue_numbers_or_project_history_in_the_code():
    import re

    pattern = re.compile(r"\bissue[s]? ?#?\d+|\bpart [AB]\b|\bformer place of\b", re.I)
    bad = []
    for folder in ("algorithms", "processing_provider", "io", "ui", "tests", "models", "demo"):
        for path in _py_files(os.path.join(ROOT, folder)):
            if os.path.abspath(path) == os.path.abspath(__file__):
                continue  # the pattern itself
            for i, line in enumerate(open(path), 1):
                # Okada's own terms (his Table 6 "part A", Table 7 "part B") are not project history
                if pattern.search(line) and "okada" not in os.path.basename(path):
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


def test_no_import_cycles_in_the_core_or_the_provider():
    """Module-level imports form no cycle (a function-level import, taken when it runs, does not count)."""
    graph = {}
    for folder in ("algorithms", "processing_provider"):
        for path in _py_files(os.path.join(ROOT, folder)):
            name = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".").removesuffix(".__init__")
            tree = _tree(path)
            top = ast.Module(body=[n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))],
                             type_ignores=[])
            graph[name] = {m for m in _imported_modules(top, path)}
    graph = {k: {m for m in v if m in graph and m != k} for k, v in graph.items()}
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
