"""The optional packages hidden in turn, as on a Windows or macOS QGIS without them.

For each of numba, matplotlib, h5py, scikit-learn and Dask, a fresh Python hides the package (an import blocker on
``sys.meta_path`` installed before anything else: ``import numba`` raises ModuleNotFoundError as on a machine
without it), starts QGIS with Processing, loads the plugin and runs the tools that need the package on small
inputs, as ``qgis_process`` would. Expected: the plugin lists every tool; no traceback anywhere; the first run's log
holds the notice naming what is missing; a tool that runs without the package gives the same numbers as this
process (every package installed) gave on the same inputs, a chart it cannot draw skipped with a warning naming
matplotlib and its install line; a tool that cannot run refuses with one message naming the package and the
install line, writing nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
import testutils_hostile as hk
from testutils_charts import CHARTING
from testutils_hostile import hostile_module
from testutils_optional import values

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "data")

#: import name -> the modules hidden with it
HIDE = {"numba": ("numba", "llvmlite"), "matplotlib": ("matplotlib",), "h5py": ("h5py",), "sklearn": ("sklearn",),
        "dask": ("dask", "distributed")}

DRIVER = textwrap.dedent(r"""
    import json, os, sys, time, traceback
    HIDDEN = tuple(p for p in os.environ.get("GH_HIDE", "").split(",") if p)


    class Hide:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in HIDDEN:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None


    sys.meta_path.insert(0, Hide())
    root, plan_path = sys.argv[1], sys.argv[2]
    sys.path[:0] = [os.path.join(root, ".build", "plugins"), os.path.join(root, "tests")]
    sys.path += ["/usr/share/qgis/python/plugins", "/usr/share/qgis/python"]
    from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingException, QgsProcessingFeedback
    app = QgsApplication([], False)
    app.initQgis()
    from processing.core.Processing import Processing
    Processing.initialize()
    import processing
    import insar_geohazards
    from testutils_optional import values
    plugin = insar_geohazards.classFactory(None)
    plugin.initGui()
    algs = QgsApplication.processingRegistry().providerById("geohazard").algorithms()


    class Log(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.info, self.warnings, self.errors = [], [], []

        def pushInfo(self, text):
            self.info.append(text)

        def pushWarning(self, text):
            self.warnings.append(text)

        def reportError(self, text, fatal=False):
            self.errors.append(text)


    out = {"tools": len(algs), "runs": []}
    for tool, params in json.load(open(plan_path)):
        log, rec, t0 = Log(), {"tool": tool}, time.process_time()
        try:
            res = processing.run(f"geohazard:{tool}", params, context=QgsProcessingContext(), feedback=log)
            rec.update(status="ok", results={k: v for k, v in res.items() if isinstance(v, str)})
            rec["values"] = {k: values(v) for k, v in rec["results"].items() if os.path.isfile(v)}
        except QgsProcessingException as exc:
            rec.update(status="refused", message=str(exc))
        except BaseException:
            rec.update(status="traceback", message=traceback.format_exc())
        rec.update(info=log.info, warnings=log.warnings, errors=log.errors, cpu_s=time.process_time() - t0)
        out["runs"].append(rec)
    out["loaded"] = sorted(m for m in sys.modules if m.split(".")[0] in HIDDEN)
    print("GH_RESULT " + json.dumps(out))
""")


def _remap(params: dict, folder: str) -> dict:
    """``params`` with every output written into ``folder`` instead (same file names)."""
    os.makedirs(folder, exist_ok=True)
    return {k: (os.path.join(folder, os.path.basename(v.rstrip("/"))) if k.startswith("OUTPUT") and isinstance(v, str)
                else v) for k, v in params.items()}


def _recipe(family, tool, folder, **extra):
    params = hostile_module(family).recipe(tool, folder).params
    params = {k: v for k, v in params.items() if k != "PLOT_FOLDER"}
    return {**params, **extra}


@pytest.fixture(scope="module")
def plans(tmp_path_factory, qgis_app):
    """Per package: ``[(tool, params, expectation)]`` on small inputs made here (every package installed), and the
    numbers of the runs expected the same, run here."""
    from testutils_charts import charting_runs
    from testutils_mintpy import scene, write_timeseries

    tmp = str(tmp_path_factory.mktemp("optional"))
    j = os.path.join
    runs = {"matplotlib": [(t, p, "same") for t, p, _ in charting_runs(j(tmp, "charts"))]}
    numba_tools = (("timeseries", "sbasinversion"), ("psds", "phaselinking"), ("faults", "okadaforward"))
    runs["numba"] = [(t, _recipe(f, t, j(tmp, "numba", t)), "same") for f, t in numba_tools]
    days, ts_m, _ = scene(rows=8, cols=9, n=5)
    os.makedirs(j(tmp, "h5"), exist_ok=True)
    runs["h5py"] = [
        ("loadmintpy", {"INPUT": write_timeseries(j(tmp, "h5", "timeseries.h5"), ts_m, days),
                        "OUTPUT": j(tmp, "h5", "out", "ts.tif")}, "refused"),
        ("loadegms", {"INPUT": j(DATA, "egms_ustica", "asc_117_first20.csv"), "SERIES_STORAGE": 3,
                      "OUTPUT": j(tmp, "h5", "out", "egms.gpkg")}, "refused")]
    runs["sklearn"] = [("susceptibility", _recipe("hazard", "susceptibility", j(tmp, "sklearn"), METHOD=1), "refused"),
                       ("susceptibility", _recipe("hazard", "susceptibility", j(tmp, "sklearn_fr"), METHOD=0), "same")]
    runs["dask"] = [("sbasinversion", _recipe("timeseries", "sbasinversion", j(tmp, "dask"), DASK_SCHEDULER="local"),
                     "refused")]
    baseline = {}
    for package, items in runs.items():
        for i, (tool, params, expect) in enumerate(items):
            if expect != "same":
                continue
            res = hk.run(tool, _remap(params, j(tmp, "baseline", package, str(i))))
            baseline[(package, i)] = {k: values(v) for k, v in res.items() if isinstance(v, str) and os.path.isfile(v)}
    return tmp, runs, baseline


def _drive(tmp, package, items):
    plan = [(tool, _remap(params, os.path.join(tmp, f"without_{package}", str(i))))
            for i, (tool, params, _) in enumerate(items)]
    path = os.path.join(tmp, f"plan_{package}.json")
    with open(path, "w") as fh:
        json.dump(plan, fh)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", GH_HIDE=",".join(HIDE[package]))
    proc = subprocess.run([sys.executable, "-c", DRIVER, ROOT, path], capture_output=True, text=True, env=env,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("GH_RESULT "))
    return json.loads(line[len("GH_RESULT "):]), plan


@pytest.mark.parametrize("package", list(HIDE))
def test_each_optional_package_hidden(plans, package, qgis_app):
    from qgis.core import QgsApplication

    from insar_geohazards.algorithms.optional import PACKAGES, install_line

    tmp, runs, baseline = plans
    got, plan = _drive(tmp, package, runs[package])
    assert got["loaded"] == [], f"{package} was imported although hidden: {got['loaded']}"
    assert got["tools"] == len(QgsApplication.processingRegistry().providerById("geohazard").algorithms())
    pypi, line = PACKAGES[package][0], install_line(package)
    # the notice, in the log of the first run that got past the parameter checks (a refusal there has no log: its
    # message names the package itself)
    first = next((r for r in got["runs"] if r["info"]), None)
    if first is not None:
        assert any("optional Python packages missing" in t and pypi in t and line in t for t in first["info"]), first
    print(f"without {package}: " + ", ".join(f"{r['tool']} {r['status']} {r['cpu_s']:.1f} CPU-s" for r in got["runs"]))
    for i, ((tool, _, expect), rec, (_, params)) in enumerate(zip(runs[package], got["runs"], plan)):
        where = f"{tool} without {package}"
        text = "\n".join(rec["info"] + rec["warnings"] + rec["errors"] + [rec.get("message", "")])
        assert "Traceback" not in text, (where, text)
        assert rec["status"] == ("ok" if expect == "same" else "refused"), (where, rec)
        if expect == "refused":
            assert pypi in rec["message"] and line in rec["message"], (where, rec["message"])
            written = os.listdir(os.path.join(tmp, f"without_{package}", str(i)))
            assert written == [], (where, written)
            continue
        base = baseline[(package, i)]
        for key, value in base.items():  # the numbers of every output (charts and reports have none)
            if value:
                assert rec["values"].get(key) == value, (where, key)
        assert sum(1 for v in base.values() if v) >= 1, (where, base)
        if package == "matplotlib":
            warned = [w for w in rec["warnings"] if "matplotlib" in w and line in w]
            assert len(warned) == 1, (where, rec["warnings"])
            for key in CHARTING[tool][1]:
                path = params[key]
                if path.endswith(".html"):  # a report keeps its tables, says why its picture is missing
                    with open(path, encoding="utf-8") as fh:
                        page = fh.read()
                    assert "<img" not in page and "needs the Python package matplotlib" in page, where
                else:
                    assert key not in rec["results"] and not os.path.exists(path), (where, key)
        if package == "numba":
            assert any("numba is not installed" in t and line in t for t in rec["info"]), (where, rec["info"])
    if package == "numba":  # each tool its own measured figure, not one median for all
        figures = [next(t for t in r["info"] if "numba is not installed" in t) for r in got["runs"]]
        assert len(set(figures)) == len(figures), figures
