"""Where a run is orchestrated: one answer for every tool.

A tool's ``process`` reads its parameters into a job built by keyword (``<floor>.Job(a=..., b=...)``, a frozen
dataclass of ``fileio/<group>/<tool ID>.py``) and calls that module's ``run(job, progress=...)`` once; the block loops,
the memory model (bytes per pixel from the core) and the writers live in fileio (docs/architecture.md, "Add a tool").
The base class (``processing_provider/tools/_base.py``) runs the guard, then ``process`` inside the transaction, and
``finish`` logs the run's notes and returns its outputs. This test reads the sources (no QGIS): a tool that does not
hold the contract yet is listed in :data:`NOT_YET` with what it still does, and the list only shrinks (a listed tool
that now holds it fails until its line is removed)."""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOOLS = ROOT / "processing_provider" / "tools"

#: What a tool's ``process`` may call from fileio besides its run and its job: the styles of its outputs (the display
#: floor) and the grid probe of an input whose polygons are read in its CRS.
ALLOWED_FILEIO_CALLS = {"raster_info"}
ALLOWED_FILEIO_MODULES = ("fileio.display",)

#: Tools that orchestrate (part of) their run themselves, with what is left to move into their fileio floor's
#: ``run(job)``. Only shrinks.
_TOOL_LOOP = "its block loop (run_blocks, writers, bytes per pixel) is in the tool"
_CALLS = "calls several fileio functions with positional arguments; no Job and run(job) yet"
NOT_YET: dict = {}


def tool_files() -> list:
    return sorted(p for p in TOOLS.glob("*/*.py") if not p.name.startswith("_"))


def _key(path: pathlib.Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _fileio_names(tree: ast.Module) -> dict:
    """Names the module binds to fileio modules or functions: ``{name: dotted fileio path}`` (imports and
    ``lazy_module``)."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and "fileio" in node.module.split("."):
            mod = node.module[node.module.index("fileio"):]
            for alias in node.names:
                names[alias.asname or alias.name] = f"{mod}.{alias.name}"
        elif (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
              and getattr(node.value.func, "id", "") == "lazy_module" and "fileio" in node.value.args[0].value):
            target = node.value.args[0].value.lstrip(".")
            names[node.targets[0].id] = target
    return names


def contract_problems(path: pathlib.Path) -> list:
    """What keeps the tool at ``path`` from the contract (empty: it holds it)."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    problems = []
    for word in ("run_blocks", "RasterWriter", "osgeo", "bytes_per_pixel="):
        if word in text:
            problems.append(f"{word} in the tool")
    floor = f"fileio.{path.parent.name}.{path.stem}"
    names = _fileio_names(tree)
    own = {n for n, target in names.items() if target == floor}
    process = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "process"]
    if len(process) != 1:
        return problems + ["no single process method"]
    runs, jobs = [], {}
    for node in ast.walk(process[0]):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            func = node.value.func
            if isinstance(func, ast.Attribute) and getattr(func.value, "id", None) in own and func.attr == "Job":
                jobs[node.targets[0].id] = node.value
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        base = getattr(func.value, "id", None) if isinstance(func, ast.Attribute) else None
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if base in own and name == "run":
            runs.append(node)
        elif base in own and name == "Job":
            continue
        elif base in names or (base is None and name in names):
            target = names[base or name]
            if not (target.startswith(ALLOWED_FILEIO_MODULES) or name in ALLOWED_FILEIO_CALLS):
                problems.append(f"process calls {target}.{name}" if base else f"process calls {target}")
    if len(runs) != 1:
        problems.append(f"process calls {floor}.run {len(runs)} time(s), expected once")
    else:
        call = runs[0]
        if len(call.args) != 1 or not isinstance(call.args[0], ast.Name) or call.args[0].id not in jobs:
            problems.append("run is not given the job built in process as its one positional argument")
        elif jobs[call.args[0].id].args:
            problems.append("the Job is built with positional arguments, not by keyword")
    return problems


def test_every_tool_is_listed_or_holds_the_contract():
    files = {_key(p): p for p in tool_files()}
    assert files, f"no tool module under {TOOLS}"
    broken = {k: contract_problems(p) for k, p in files.items() if k not in NOT_YET}
    broken = {k: v for k, v in broken.items() if v}
    assert not broken, ("these tools orchestrate their run in the tool (build a Job by keyword and call "
                        f"fileio.<group>.<tool ID>.run(job, progress=...) once): {broken}")


def test_the_list_of_tools_not_yet_converted_only_shrinks():
    files = {_key(p): p for p in tool_files()}
    gone = sorted(set(NOT_YET) - set(files))
    assert not gone, f"NOT_YET names tools that do not exist: {gone}"
    done = sorted(k for k in NOT_YET if not contract_problems(files[k]))
    assert not done, f"these tools hold the contract now: remove them from NOT_YET: {done}"
    assert all(reason.strip() for reason in NOT_YET.values())


@pytest.mark.parametrize("key", ["hazard/susceptibility", "interferograms/targetsuitability",
                                 "interferograms/basindetection", "hazard/demdifference", "hazard/slopestability",
                                 "hazard/damageproxy", "interferograms/interferogramfilter"])
def test_the_converted_tools_hold_it(key):
    """The tools that had the most orchestration in them (17 positional arguments, a literal memory model, a
    branch per input kind) hold the contract, and demdifference's notes and values come from its run."""
    assert key not in NOT_YET
    assert contract_problems(TOOLS / f"{key}.py") == []


def test_the_checker_sees_a_tool_loop_and_positional_arguments(tmp_path):
    """The checker itself, on tools written here: one that holds the contract, one with its own block loop, one
    that builds its job by position."""
    group = tmp_path / "hazard"
    group.mkdir()
    path = group / "creep.py"
    good = (
        "from ....fileio.hazard import creep as io_creep\n"
        "class Creep:\n"
        "    def process(self, parameters, context, feedback):\n"
        "        job = io_creep.Job(path=parameters['INPUT'], window_days=3.0)\n"
        "        return self.finish(io_creep.run(job, progress=feedback), feedback)\n")
    path.write_text(good)
    assert contract_problems(path) == []
    path.write_text(good.replace("        return", "        blocks.run_blocks(plan, func, run=run)\n        return"))
    assert any("run_blocks" in p for p in contract_problems(path))
    path.write_text(good.replace("io_creep.Job(path=parameters['INPUT'], window_days=3.0)",
                                 "io_creep.Job(parameters['INPUT'], 3.0)"))
    assert contract_problems(path) == ["the Job is built with positional arguments, not by keyword"]


def test_the_base_class_runs_process_inside_the_guard_and_the_transaction():
    """``processAlgorithm`` of the base class is the one place a run starts (GDAL's errors as exceptions): it
    checks, then calls ``process`` inside the output transaction; no tool overrides it, and ``finish`` returns a
    run's outputs and values."""
    tree = ast.parse((TOOLS / "_base.py").read_text(encoding="utf-8"))
    base = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "GeohazardAlgorithm")
    methods = {m.name: m for m in base.body if isinstance(m, ast.FunctionDef)}
    assert {"processAlgorithm", "process", "finish"} <= set(methods)
    entry = ast.unparse(methods["processAlgorithm"])  # GDAL's errors as exceptions for the run, then the run
    assert "gdal_exceptions()" in entry and "self._process_algorithm(" in entry
    body = ast.unparse(methods["_process_algorithm"])
    assert "OutputTransaction" in body and "self.process(" in body
    assert body.index("check_before(") < body.index("self.check(") < body.index("self.process(")
    finish = ast.unparse(methods["finish"])
    assert "outcome.outputs" in finish and "outcome.values" in finish and "self.note(" in finish
    for path in tool_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        overriding = [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
                      and n.name == "processAlgorithm"]
        assert not overriding, f"{_key(path)} overrides processAlgorithm: implement process instead"
