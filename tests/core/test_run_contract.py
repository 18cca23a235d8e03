"""Where a run is orchestrated: one answer for every tool.

A tool's ``process`` reads its parameters into a job built by keyword (``<floor>.Job(a=..., b=...)``, a frozen
dataclass of ``fileio/<group>/<tool ID>.py``) and calls that module's ``run(job, progress=...)`` once; the block loops,
the memory model (bytes per pixel from the core) and the writers live in fileio (docs/architecture.md, "Add a tool").
The base class (``processing_provider/tools/_base.py``) runs the guard, then ``process`` inside the transaction, and
``finish`` logs the run's notes and returns its outputs. Outside the run a tool only resolves and checks its
parameters: every other method of the tool (its checks, its helpers, the mixins of its family's ``_common.py``) and
every module-level helper of its file calls from fileio (and from the core's file parsers, ``algorithms.formats``)
only the functions of :data:`OUTSIDE_RUN`, each there with why; reading data for the job is the run's. This test
reads the sources (no QGIS): a tool that does not hold the contract yet is listed in :data:`NOT_YET` (or, for reads
outside the run, :data:`READS_NOT_YET`) with what it still does, and the lists only shrink (a listed tool that now
holds it fails until its line is removed)."""

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

#: What a tool may call from fileio, or from the core's file parsers, outside ``process`` (its checks, its helpers, its
#: family's mixins, its module's functions): parameters resolved into values, fields, paths and dates, and checks of
#: what they name. Anything else there reads data for the job: the run reads it (the job carries the path, the layer
#: or the value). ``process`` itself calls only its job, its run, the grid probe and the styles.
OUTSIDE_RUN = {
    "fileio.base.raster.check_same_grid": "a check: the rasters given share one grid",
    "fileio.base.metadata.non_los_component": "a check: the component a raster's metadata declares (not the LOS)",
    "fileio.base.vector.wkt_of": "a CRS as the WKT text the job carries",
    "fileio.motion.ada.find_field": "a field chosen by its name among a layer's fields (no feature read)",
    "fileio.motion.points.raster_dates": "the dates of a series raster, from its band descriptions",
    "fileio.motion.points.date_fields_of": "the dated fields of a point layer, from its field names",
    "fileio.geometry.geometry.metric_pixel_size": "a check: the grid's pixel size in metres",
    "fileio.formats.loadegms.series_line": "the log line of how the series were written (text of the outcome)",
    "fileio.formats.baseline_geometry.baselines_geometry": "the scene values a BASELINES product states, for the "
                                                           "acquisition rule (typed > metadata > refusal)",
    "fileio.hazard.comparelayers.raster_side": "what a raster's metadata declares (quantity, component, unit, band "
                                               "dates)",
    "fileio.hazard.comparelayers.series_kind": "what a layer's dated fields say it holds",
    "fileio.hazard.comparelayers.field_kind": "what a field's name says it holds",
    "fileio.hazard.damageproxy.coherence_path": "the path a LiCSAR byte coherence is read through, for the guard",
    "fileio.hazard.susceptibility.folder_rasters": "the raster files a folder parameter names",
    "fileio.hazard.swathprofile.check_numeric_field": "a check: the field exists and is numeric",
    "fileio.kinematics.kinematics.require_projected": "a check: a projected CRS in metres",
    "fileio.kinematics.kinematics.crs_of": "the CRS of a layer or a raster",
    "fileio.unwrap.unwrap.prior_paths": "the PRIOR files a list of files and folders names",
    "fileio.unwrap.unwrap.match_priors": "the PRIOR rasters checked (grid, values) and paired with the "
                                         "interferograms; their rows are read by the run",
    "fileio.ada.adadetection.PointLayer": "one point layer of the job, handed over unread",
    "fileio.faults.faults.SourceFaults": "the source faults of the job (a layer or a Coulomb file), handed over unread",
    "fileio.corrections.corrections.stack_codec": "the codec a corrected stack is written with",
    "fileio.faults.faults.require_projected_crs": "a check: a projected CRS in metres",
    "fileio.faults.faults.frame_on_earth": "a check: a local frame placed on the Earth",
    "fileio.faults.faults.trace_ends": "the map coordinates of the fault traces' ends, for that check",
    "fileio.faults.faults.carried_constants": "the elastic constants a fault layer carries (typed > carried > default)",
    "fileio.faults.faults.OutputGrid": "the output grid as plain values (geotransform, size, CRS)",
    "algorithms.formats.h5_layers.open_layer": "an HDF5 result's layer probed: grid, dates, units (its rows are "
                                               "read by the run)",
}
#: The core's file parsers that read no file: dates in names and parameter text, the acquisition rule's keys.
TEXT_PARSERS = ("algorithms.formats.dates", "algorithms.formats.geometry_meta")
#: Methods that may read inputs for something other than the job: a first run's work estimate (compile the kernels
#: or run them as Python, :meth:`GeohazardAlgorithm.work_bytes`, and the fault tools' ``okada_work`` behind theirs);
#: the run reads the inputs again.
ESTIMATES = ("work_bytes", "okada_work")
#: Tool files and family helpers that still read data for the job outside the run, with what is left; only shrinks.
READS_NOT_YET: dict = {}


def tool_files() -> list:
    return sorted(p for p in TOOLS.glob("*/*.py") if not p.name.startswith("_"))


def _key(path: pathlib.Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _floor_of(dotted: str) -> str:
    """The part of a dotted module path from ``fileio`` or ``algorithms.formats`` on ("" for any other module)."""
    parts = dotted.lstrip(".").split(".")
    if "fileio" in parts:
        return ".".join(parts[parts.index("fileio"):])
    for k in range(len(parts) - 1):
        if parts[k:k + 2] == ["algorithms", "formats"]:
            return ".".join(parts[k:])
    return ""


def _fileio_names(tree: ast.Module) -> dict:
    """Names the module binds to fileio modules or functions and to the core's file parsers (``algorithms.formats``):
    ``{name: dotted path}`` (imports, also inside functions, and ``lazy_module``)."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and _floor_of(node.module):
            for alias in node.names:
                names[alias.asname or alias.name] = f"{_floor_of(node.module)}.{alias.name}"
        elif (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
              and getattr(node.value.func, "id", "") == "lazy_module" and _floor_of(node.value.args[0].value)):
            names[node.targets[0].id] = _floor_of(node.value.args[0].value)
    return names


def _call_target(node: ast.Call, names: dict) -> str:
    """The dotted fileio / parser path a call reaches through the module's names ("" for any other call)."""
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in names:
        return f"{names[func.value.id]}.{func.attr}"
    if isinstance(func, ast.Name) and func.id in names:
        return names[func.id]
    return ""


def _calls_by_function(tree: ast.Module):
    """``(function name, call)`` of every call of the module, named by the innermost function around it
    (``<module>`` outside any); a lambda counts as part of the function that holds it."""
    def visit(node, where):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else where
            if isinstance(child, ast.Call):
                yield inner, child
            yield from visit(child, inner)

    yield from visit(tree, "<module>")


def reads_outside_run(path: pathlib.Path) -> list:
    """The calls of the file at ``path`` (a tool or its family's ``_common.py``) outside ``process`` that reach fileio
    or a file parser of the core beyond :data:`OUTSIDE_RUN`: what reads data for the job outside the run."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = _fileio_names(tree)
    found = []
    for where, call in _calls_by_function(tree):
        target = _call_target(call, names)
        if (not target or where == "process" or where in ESTIMATES or target in OUTSIDE_RUN
                or target.startswith(TEXT_PARSERS)):
            continue
        found.append(f"{where} calls {target} (line {call.lineno})")
    return found


def family_helpers() -> list:
    """The families' shared modules (``tools/<family>/_common.py``): their mixins are methods of the tools."""
    return sorted(TOOLS.glob("*/_common.py"))


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
            if not (target.startswith(ALLOWED_FILEIO_MODULES + TEXT_PARSERS) or name in ALLOWED_FILEIO_CALLS):
                problems.append(f"process calls {target}.{name}" if base else f"process calls {target}")
    if len(runs) != 1:
        problems.append(f"process calls {floor}.run {len(runs)} time(s), expected once")
    else:
        call = runs[0]
        if len(call.args) != 1 or not isinstance(call.args[0], ast.Name) or call.args[0].id not in jobs:
            problems.append("run is not given the job built in process as its one positional argument")
        elif jobs[call.args[0].id].args:
            problems.append("the Job is built with positional arguments, not by keyword")
    return problems + reads_outside_run(path)


def test_every_tool_is_listed_or_holds_the_contract():
    files = {_key(p): p for p in tool_files()}
    assert files, f"no tool module under {TOOLS}"
    broken = {k: contract_problems(p) for k, p in files.items() if k not in NOT_YET}
    broken = {k: v for k, v in broken.items() if v}
    assert not broken, ("these tools orchestrate their run in the tool (build a Job by keyword and call "
                        "fileio.<group>.<tool ID>.run(job, progress=...) once; outside it only resolve and check "
                        f"parameters, tests/core/test_run_contract.py OUTSIDE_RUN): {broken}")


def test_the_family_helpers_read_no_data_for_a_job():
    """The mixins and helpers of ``tools/<family>/_common.py`` are the tools' methods too: they resolve and check
    parameters, the runs read the data (the helpers that still read are listed, and the list only shrinks)."""
    helpers = {_key(p): p for p in family_helpers()}
    assert helpers, f"no tools/<family>/_common.py under {TOOLS}"
    broken = {k: reads_outside_run(p) for k, p in helpers.items() if k not in READS_NOT_YET}
    broken = {k: v for k, v in broken.items() if v}
    assert not broken, f"these family helpers read data for a tool's job outside its run: {broken}"
    gone = sorted(set(READS_NOT_YET) - set(helpers) - {_key(p) for p in tool_files()})
    assert not gone, f"READS_NOT_YET names files that do not exist: {gone}"
    done = sorted(k for k in READS_NOT_YET if k in helpers and not reads_outside_run(helpers[k]))
    assert not done, f"these read no data for a job outside the run now: remove them from READS_NOT_YET: {done}"
    assert all(reason.strip() for reason in READS_NOT_YET.values())


def test_every_call_allowed_outside_the_run_has_a_reason_and_a_caller():
    """The allow-list names what the tools call, each with a reason: an entry no tool or family helper calls any
    more goes (so the list says what the tools do, not what they once did)."""
    assert all(isinstance(r, str) and r.strip() for r in OUTSIDE_RUN.values())
    called = set()
    for path in tool_files() + family_helpers():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = _fileio_names(tree)
        called |= {_call_target(call, names) for where, call in _calls_by_function(tree)
                   if where != "process" and where not in ESTIMATES}
    unused = sorted(set(OUTSIDE_RUN) - called)
    assert not unused, f"OUTSIDE_RUN allows calls no tool makes outside its run: {unused}"


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


@pytest.mark.parametrize("helper, read", [
    # the fault traces read into the job by a helper of the tool (slipinversion's former _faults)
    ("from ....fileio.faults.faults import read_fault_lines\n",
     "read_fault_lines(self.parameterAsSource(parameters, 'FAULT', context), name='FAULT', defaults={})"),
    # the baselines read by the core's file parser (pstimeseries' former _baselines_and_geometry)
    ("from ....algorithms.formats import slc as baselines\n", "baselines.read_baselines(parameters['BASELINES'])"),
    # the points read by a callable the job carries, made by the tool (adadetection's former _points)
    ("", "io_creep.LayerPoints(table, dates, series, 'VEL', None, None)"),
])
def test_the_checker_sees_a_read_for_the_job_outside_the_run(tmp_path, helper, read):
    """A tool that reads data for its job in another method, through a fileio reader, a file parser of the core or
    its floor's own classes, breaks the contract; the same method resolving a field by name (allowed, with its
    reason) or reading in ``work_bytes`` (a first run's estimate) does not."""
    group = tmp_path / "hazard"
    group.mkdir()
    path = group / "creep.py"
    head = ("from ....fileio.hazard import creep as io_creep\n"
            "from ....fileio.motion.ada import find_field\n" + helper +
            "class Creep:\n"
            "    def process(self, parameters, context, feedback):\n"
            "        job = io_creep.Job(path=parameters['INPUT'], data=self._data(parameters, context))\n"
            "        return self.finish(io_creep.run(job, progress=feedback), feedback)\n")
    path.write_text(head + "    def _data(self, parameters, context):\n        return find_field(parameters, ())\n")
    assert contract_problems(path) == []
    path.write_text(head + f"    def work_bytes(self, parameters, context):\n        return {read}\n"
                           "    def _data(self, parameters, context):\n        return None\n")
    assert contract_problems(path) == []
    path.write_text(head + f"    def _data(self, parameters, context):\n        return {read}\n")
    problems = contract_problems(path)
    assert len(problems) == 1 and problems[0].startswith("_data calls "), problems
    path.write_text(head + f"def _data(parameters):\n    return {read}\n")  # a module-level helper alike
    assert len(contract_problems(path)) == 1


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
