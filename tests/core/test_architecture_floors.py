"""One name per toolbox group on every floor, and the plugin's own imports at the top of their modules.

* The mirror: a tool in ``processing_provider/tools/<group>/`` reads and writes its files through
  ``fileio/<group>/`` and calls its science in ``algorithms/<group>/``; what several groups share stays in the
  shared floors (``fileio/base``, ``display``, ``motion``, ``formats``; the core's top-level modules and
  ``algorithms/formats``). A tool that reaches another group's module is listed in ``CROSSINGS`` with the reason.
* Imports at the top: an import of the plugin's own modules inside a function is kept only where importing at the
  top would load an optional or heavy package (scipy, scikit-learn, h5py, matplotlib ...) at the plugin's start: a
  module that imports one at its top, or imports such a module at its top. The numba shim (``algorithms/_numba.py``)
  imports numba when a kernel is first needed, so the kernel modules are light: imported at the top like any other.

No QGIS is imported: the rules read the source.
"""

import ast
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PRODUCT = ("algorithms", "fileio", "processing_provider", "ui")
#: third-party packages every start of the plugin loads anyway (QGIS's Python brings them)
AT_START = {"numpy", "osgeo", "qgis", "PyQt5", "PyQt6", "sip", "insar_geohazards"}
STDLIB = set(sys.stdlib_module_names) | {"__future__"}

#: the fileio/ floors every group shares, and the core's shared packages (the rest of algorithms/ are modules at
#: its top: engine, errors, progress, conventions, plausibility, optional, dense, ordered, _numba, kernel_families)
SHARED_FILEIO = ("base", "display", "motion", "formats")
SHARED_CORE = ("formats",)

#: tool group -> (floor, module prefix) pairs of another group a tool of that group may use, and why
CROSSINGS = {}

#: groups without a folder of their own on a floor, and why
NO_FOLDER = {}


def _tree(path):
    with open(path, encoding="utf-8") as f:
        return ast.parse(f.read(), path)


def _product_files():
    for top in PRODUCT:
        for folder, _, names in os.walk(os.path.join(ROOT, top)):
            if "__pycache__" in folder:
                continue
            for n in sorted(names):
                if n.endswith(".py"):
                    yield os.path.relpath(os.path.join(folder, n), ROOT)


def _module(rel):
    stem = rel[:-3].replace(os.sep, ".")
    return stem[: -len(".__init__")] if stem.endswith(".__init__") else stem


def _exists(mod):
    p = os.path.join(ROOT, *mod.split("."))
    return os.path.isfile(p + ".py") or os.path.isfile(os.path.join(p, "__init__.py"))


def _target(rel, node):
    """The plugin module an ImportFrom names (without the package prefix), or None for another package's."""
    if node.level == 0:
        m = node.module or ""
        return m.removeprefix("insar_geohazards.") if m.startswith("insar_geohazards.") else None
    pkg = os.path.dirname(rel).split(os.sep)
    base = pkg[: len(pkg) - (node.level - 1)] if node.level > 1 else pkg
    return ".".join(base + ([node.module] if node.module else []))


def _loaded(rel, node):
    """The plugin modules an ImportFrom loads: the named one, its packages' __init__, imported submodules."""
    mod = _target(rel, node)
    if mod is None:
        return []
    parts = mod.split(".")
    out = [".".join(parts[:i]) for i in range(1, len(parts) + 1) if _exists(".".join(parts[:i]))]
    return out + [f"{mod}.{a.name}" for a in node.names if _exists(f"{mod}.{a.name}")]


def _module_level(tree):
    """Statements run at import: the module's own, those of its top-level if/try (TYPE_CHECKING left out) and
    class bodies, never a function's."""
    stack = list(tree.body)
    while stack:
        s = stack.pop()
        yield s
        if isinstance(s, ast.If) and "TYPE_CHECKING" in ast.unparse(s.test):
            continue
        if isinstance(s, (ast.If, ast.Try)):
            stack += s.body + s.orelse + getattr(s, "finalbody", [])
            stack += [x for h in getattr(s, "handlers", []) for x in h.body]
        elif isinstance(s, ast.ClassDef):
            stack += [x for x in s.body if not isinstance(x, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _kernel_modules():
    """The core modules of the numba kernel families (algorithms/kernel_families.py's FAMILIES)."""
    tree = _tree(os.path.join(ROOT, "algorithms", "kernel_families.py"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Family":
            for arg in list(node.args[1:2]) + [k.value for k in node.keywords if k.arg == "calls"]:
                for elt in getattr(arg, "elts", []):
                    if isinstance(elt, ast.Constant) and _exists(f"algorithms.{elt.value}"):
                        out.add(f"algorithms.{elt.value}")
    return out


def _heavy_modules():
    """Plugin modules whose import loads a package the plugin's start does not load (numba, scipy ...), through
    their module-level imports."""
    edges, heavy = {}, set()
    for rel in _product_files():
        mod, tree = _module(rel), _tree(os.path.join(ROOT, rel))
        e = {".".join(mod.split(".")[:i]) for i in range(1, mod.count(".") + 1)}
        for s in _module_level(tree):
            if isinstance(s, ast.Import):
                names = [a.name for a in s.names]
            elif isinstance(s, ast.ImportFrom):
                loaded = _loaded(rel, s)
                e.update(loaded)
                names = [] if loaded or s.level else [s.module or ""]
            else:
                continue
            if any(n.split(".")[0] not in STDLIB | AT_START for n in names):
                heavy.add(mod)
        edges[mod] = e
    grew = True
    while grew:
        grew = False
        for mod, e in edges.items():
            if mod not in heavy and e & heavy:
                heavy.add(mod)
                grew = True
    return heavy


def _imports_in_functions():
    for rel in _product_files():
        tree = _tree(os.path.join(ROOT, rel))
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(fn):
                    if isinstance(node, ast.ImportFrom) and _target(rel, node) is not None:
                        yield rel, node
                    elif isinstance(node, ast.Import) and any(a.name.startswith("insar_geohazards")
                                                               for a in node.names):
                        yield rel, node


def test_the_plugins_own_imports_stand_at_the_top_unless_they_load_numba_or_an_optional_package():
    heavy = _heavy_modules()
    assert "algorithms.interferograms.basin_sim" in heavy and "algorithms.errors" not in heavy, \
        "the heavy set is not what it says"
    light_kernels = _kernel_modules() - heavy
    assert "algorithms._numba" not in heavy and "algorithms.timeseries.sbas" in light_kernels, \
        "the numba shim or a kernel module imports numba (or another heavy package) at its top"
    seen, bad = set(), []
    for rel, node in _imports_in_functions():
        seen.add((rel, node.lineno))
        loaded = _loaded(rel, node) if isinstance(node, ast.ImportFrom) else []
        if not loaded or not any(m in heavy for m in loaded):
            bad.append(f"{rel}:{node.lineno}: {ast.unparse(node)}")
    assert not bad, ("imports of the plugin's own light modules inside functions: move them to the top of the "
                     f"module (a cycle they would make is a design to fix, not a reason): {bad}")
    # the count the rule leaves: the modules that import scipy, scikit-learn, h5py ... at their top
    assert len(seen) < 60, f"{len(seen)} in-house imports inside functions, expected under 60"


def _tool_uses(path):
    """(floor, module) of every fileio/ and algorithms/ module a tool file imports or binds lazily."""
    rel = os.path.relpath(path, ROOT)
    tree = _tree(path)
    mods = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            mods.update(_loaded(rel, node))
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "lazy_module" and node.args \
                and isinstance(node.args[0], ast.Constant):
            name = node.args[0].value
            level = len(name) - len(name.lstrip("."))
            pkg = os.path.dirname(rel).split(os.sep)
            mods.add(".".join(pkg[: len(pkg) - (level - 1)] + [name.lstrip(".")]))
    out = set()
    for m in mods:
        parts = m.split(".")
        package = os.path.isdir(os.path.join(ROOT, *parts))
        if parts[0] in ("fileio", "algorithms") and len(parts) > 1 and not (package and len(parts) == 2):
            out.add((parts[0], ".".join(parts[1:])))
    return out


def _groups():
    tools = os.path.join(ROOT, "processing_provider", "tools")
    return sorted(g for g in os.listdir(tools) if os.path.isdir(os.path.join(tools, g)) and not g.startswith("_"))


def test_each_tool_group_has_its_folder_of_the_same_name_on_every_floor():
    missing = []
    for group in _groups():
        for floor in ("fileio", "algorithms"):
            has = os.path.isfile(os.path.join(ROOT, floor, group, "__init__.py"))
            if not has and (group, floor) not in NO_FOLDER:
                missing.append(f"{floor}/{group}/")
            assert not (has and (group, floor) in NO_FOLDER), f"{floor}/{group}/ exists: drop it from NO_FOLDER"
    assert not missing, f"tool groups without their folder (or a reason in NO_FOLDER): {missing}"


def test_each_tool_reads_its_files_and_science_on_its_groups_floors():
    """A tool of group G imports fileio/G/, algorithms/G/ and the shared floors, or a listed crossing."""
    tools = os.path.join(ROOT, "processing_provider", "tools")
    bad, used = [], set()
    for group in _groups():
        for name in sorted(os.listdir(os.path.join(tools, group))):
            if not name.endswith(".py") or name == "__init__.py":
                continue
            for floor, mod in sorted(_tool_uses(os.path.join(tools, group, name))):
                top = mod.split(".")[0]
                if top == group:
                    continue
                if floor == "fileio" and top in SHARED_FILEIO:
                    continue
                if floor == "algorithms" and (top in SHARED_CORE or "." not in mod):
                    continue
                crossing = [k for k in CROSSINGS.get(group, {}) if k[0] == floor and
                            (mod == k[1] or mod.startswith(k[1] + "."))]
                if crossing:
                    used.add((group, crossing[0]))
                    continue
                bad.append(f"tools/{group}/{name} uses {floor}/{mod.replace('.', '/')}")
    assert not bad, f"a tool's module on another group's floor: move it, or list the crossing with why: {bad}"
    stale = [f"{g}: {k}" for g, ks in CROSSINGS.items() for k in ks if (g, k) not in used]
    assert not stale, f"CROSSINGS no tool uses: {stale}"


def _core_map():
    """{tool ID: [module paths under algorithms/]} from docs/architecture.md's map of where a tool's science is."""
    with open(os.path.join(ROOT, "docs", "architecture.md"), encoding="utf-8") as fh:
        text = fh.read()
    block = text.split("<!-- core map -->", 1)[1].split("<!-- end core map -->", 1)[0]
    rows = {}
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = re.findall(r"`([\w/.]+)`", cells[1])
    return rows


def test_each_tools_science_is_named_after_it_or_on_the_docs_map():
    tools = {os.path.basename(p)[:-3]: os.path.basename(os.path.dirname(p))
             for p in _product_files() if p.startswith("processing_provider/tools/") and p.count("/") == 3
             and not os.path.basename(p).startswith("_")}
    core_map = _core_map()
    unmapped, wrong = [], []
    for tool, group in sorted(tools.items()):
        named = os.path.join(ROOT, "algorithms", group, tool)
        if not (os.path.isfile(named + ".py") or os.path.isdir(named)) and tool not in core_map:
            unmapped.append(f"{group}/{tool}")
    for tool, modules in core_map.items():
        if tool not in tools:
            wrong.append(f"{tool}: no such tool")
        if not modules:
            wrong.append(f"{tool}: no module named")
        wrong += [f"{tool}: algorithms/{m} does not exist" for m in modules
                  if not os.path.exists(os.path.join(ROOT, "algorithms", m))]
    assert not unmapped, f"tools whose science is neither algorithms/<group>/<tool ID>.py nor on the map: {unmapped}"
    assert not wrong, wrong
