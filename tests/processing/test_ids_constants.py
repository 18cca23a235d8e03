"""A tool file names each parameter and output ID once: its own as a class constant named as its value
(``WINDOW_DAYS = "WINDOW_DAYS"``, as QGIS's own algorithms do), the shared ones in
``processing_provider/inputs/ids.py``; everywhere else (initAlgorithm, checks, process, results) it uses the
constant (``self.X``, ``alg.X`` in a family helper, ``ids.X``), so a typo is an error a linter or the first run
shows, not a silent miss.

In the class body and the ``@tool`` decorator a shared ID is ``ids.X`` and a tool's own ID may be spelled, and then
it must be one the tool declares (``OVERLAP``, ``MULTIBAND_INPUTS``, ``main=`` ... naming an undeclared ID would be a
guard that never fires).
"""

import ast
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.join(ROOT, "processing_provider", "tools")
ID_LIKE = re.compile(r"[A-Z][A-Z0-9_]+")

#: a literal that equals an ID but is not one: (file, value) -> what it is
NOT_AN_ID = {("corrections/referencepoint.py", "COHERENCE"): "a field of the output layer"}
#: the class-level guard lists whose entries are parameter or output IDs
GUARD_LISTS = {"OVERLAP", "MULTIBAND_INPUTS", "MM_INPUTS", "COMPLEX_INPUTS", "COHERENCE_INPUTS", "CRS_FREE_INPUTS",
               "FOLDER_INPUTS", "EVERY_LAYER_INPUTS", "KEY_OUTPUT_FIELDS", "MAIN_OUTPUTS"}


def _shared():
    from insar_geohazards.processing_provider.inputs import ids

    return {v for k, v in vars(ids).items() if k.isupper() and isinstance(v, str)}


def _own_ids(cls):
    """The IDs a tool class declares (its mixins' included): its upper-case string class constants whose value is
    their name, the base class's shared ones left out."""
    from insar_geohazards.processing_provider.tools._base import GeohazardAlgorithm

    return {name for k in cls.__mro__ if k not in GeohazardAlgorithm.__mro__ for name, value in vars(k).items()
            if name.isupper() and value == name}


def _declared():
    """{file relative to tools/: the IDs its classes declare (mixins' included)}, family ``_common.py``
    files: those of every tool of the family."""
    from insar_geohazards.processing_provider.provider import algorithm_classes

    out = {}
    for cls in algorithm_classes():
        own = _own_ids(cls)
        parts = cls.__module__.split(".")
        family, name = parts[-2], parts[-1]
        out.setdefault(f"{family}/{name}.py", set()).update(own)
        out.setdefault(f"{family}/_common.py", set()).update(own)
    return out


def _read(rel):
    with open(os.path.join(TOOLS, rel)) as f:
        return f.read()


def _tool_files():
    for family in sorted(os.listdir(TOOLS)):
        folder = os.path.join(TOOLS, family)
        if os.path.isdir(folder):
            for name in sorted(os.listdir(folder)):
                if name.endswith(".py") and name != "__init__.py":
                    yield f"{family}/{name}"


def _parents(tree):
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    return parents


def _in_function(node, parents):
    while node in parents:
        node = parents[node]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return True
    return False


def _declarations(tree):
    """The string nodes that are declarations, not uses: a class constant named as its value (``X = "X"``), a
    former ID (``Alias(old, new)``) and an attribute name given to ``getattr``."""
    out = set()
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        for item in cls.body:
            if isinstance(item, ast.Assign) and len(item.targets) == 1 and isinstance(item.targets[0], ast.Name) \
                    and isinstance(item.value, ast.Constant) and item.value.value == item.targets[0].id:
                out.add(item.value)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Alias" and node.args:
            out.add(node.args[0])
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "getattr" and len(node.args) > 1:
            out.add(node.args[1])  # an attribute looked up by its name (a parameter some tools of a family have)
    return out


def _problems(rel, declared, shared, source=None):
    tree = ast.parse(source if source is not None else _read(rel))
    parents, skip = _parents(tree), _declarations(tree)
    problems = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or node in skip:
            continue
        value = node.value
        if (rel, value) in NOT_AN_ID or value not in declared | shared:
            continue
        if _in_function(node, parents):
            problems.append(f"{rel}:{node.lineno} spells the ID {value!r}: use its constant")
        elif value in shared and value not in declared:
            problems.append(f"{rel}:{node.lineno} spells the shared ID {value!r}: use ids.<NAME>")
    for node in ast.walk(tree):  # an ID given to declare.* or addOutput inside a function is a constant
        if isinstance(node, ast.Call) and _in_function(node, parents):
            func = node.func
            args = node.args
            if isinstance(func, ast.Attribute) and getattr(func.value, "id", None) == "declare":
                args = args[1:] if func.attr == "raster_folder_out" else args
            elif isinstance(func, ast.Attribute) and func.attr == "addOutput" and args \
                    and isinstance(args[0], ast.Call):
                args = args[0].args
            else:
                continue
            if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str) \
                    and ID_LIKE.fullmatch(args[0].value):
                problems.append(f"{rel}:{node.lineno} declares {args[0].value!r} as a literal: give it a constant")
    return problems


def _class_level_ids(tree):
    """(line, value) of the ID-like strings in a class's guard lists and in ``@tool(main=...)``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.Assign) and any(getattr(t, "id", None) in GUARD_LISTS for t in item.targets):
                    value = item.value.keys if isinstance(item.value, ast.Dict) else [item.value]
                    for part in value:
                        for n in ast.walk(part):
                            if isinstance(n, ast.Constant) and isinstance(n.value, str) and ID_LIKE.fullmatch(n.value):
                                yield n.lineno, n.value
            for deco in node.decorator_list:
                for kw in getattr(deco, "keywords", ()):
                    if kw.arg == "main":
                        for n in ast.walk(kw.value):
                            if isinstance(n, ast.Constant) and isinstance(n.value, str):
                                yield n.lineno, n.value


def test_tool_files_spell_no_id_outside_its_declaration(qgis_app):
    declared, shared = _declared(), _shared()
    files = list(_tool_files())
    assert len(files) >= 40
    problems = [p for f in files for p in _problems(f, declared.get(f, set()), shared)]
    assert not problems, f"{len(problems)} IDs spelled as literals:\n" + "\n".join(problems)


def test_class_level_id_lists_name_declared_ids(qgis_app):
    declared, shared = _declared(), _shared()
    problems = []
    for rel in _tool_files():
        tree = ast.parse(_read(rel))
        for line, value in _class_level_ids(tree):
            if value not in declared.get(rel, set()) | shared:
                problems.append(f"{rel}:{line} names {value!r}, an ID the tool does not declare")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("source, expected", [
    ('class T:\n    MINE = "MINE"\n    def f(self, p):\n        return p.get("MINE")\n', 1),
    ('class T:\n    MINE = "MINE"\n    def f(self, p):\n        return p.get(self.MINE)\n', 0),
    ('class T:\n    def f(self):\n        self.addParameter(declare.raster("NEW", "x"))\n', 1),
    ('class T:\n    OVERLAP = (("INPUT", "MINE"),)\n    MINE = "MINE"\n', 1),  # a shared ID in the class body
    ('class T:\n    OVERLAP = ((ids.INPUT, "MINE"),)\n    MINE = "MINE"\n', 0),
])
def test_the_check_finds_a_literal_id(source, expected):
    """The scan itself: a literal own ID in a method, an undeclared literal given to ``declare``, a shared ID spelled
    in the class body are each found; the constants are not."""
    assert len(_problems("fam/t.py", {"MINE"}, {"INPUT"}, source)) == expected


def test_every_parameter_and_output_has_its_constant(qgis_app):
    """Each parameter and output a tool shows is one of its own class constants or a shared ID (a run-wide knob, the
    layers output of a set of rasters and the hidden aliases of former IDs aside): an ID typed only where it is
    declared would have no constant to read it with."""
    from insar_geohazards.processing_provider.inputs import knobs
    from insar_geohazards.processing_provider.provider import algorithm_classes

    shared = _shared() | set(knobs.RUN_WIDE)
    problems = []
    for cls in algorithm_classes():
        alg = cls()
        alg.initAlgorithm()
        known = _own_ids(cls) | shared
        former = {a.old_id for a in cls.FORMER_IDS}
        names = [d.name() for d in alg.parameterDefinitions()] + [d.name() for d in alg.outputDefinitions()]
        known |= {f"{k}_LAYERS" for k in known}  # the layers output of a set of rasters (declare.raster_folder_out)
        problems += [f"{cls.NAME}: {n}" for n in names if n not in known and n not in former]
    assert not problems, "IDs without a constant:\n" + "\n".join(sorted(set(problems)))


def _header_rank(item) -> int:
    """0 for an ID (``X = "X"``, or a shared one ``X = ids.X``), 1 for ``HELP``, 2 for any other class constant."""
    if isinstance(item, ast.Assign) and len(item.targets) == 1 and isinstance(item.targets[0], ast.Name):
        name, value = item.targets[0].id, item.value
        if (isinstance(value, ast.Constant) and value.value == name) or getattr(value, "attr", None) == name:
            return 0
        if name == "HELP":
            return 1
    return 2


def test_every_tool_class_declares_its_ids_then_help_then_its_tables():
    """One class layout in every tool file: the parameter and output IDs, then HELP, then the other class constants
    (the guard lists and flags, the choice tables initAlgorithm offers), then the methods."""
    problems = []
    for rel in _tool_files():
        for cls in (n for n in ast.parse(_read(rel)).body if isinstance(n, ast.ClassDef)):
            header = []
            for item in cls.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    break
                if not (isinstance(item, ast.Expr) and isinstance(item.value, ast.Constant)):  # a docstring
                    header.append(item)
            ranks = [_header_rank(item) for item in header]
            if ranks != sorted(ranks):
                first = next(i for i in range(1, len(ranks)) if ranks[i] < ranks[i - 1])
                problems.append(f"{rel}:{header[first].lineno} {cls.name}: IDs, then HELP, then the other constants")
    assert not problems, "\n".join(problems)
