"""What loading the plugin costs at QGIS start, in fresh processes (wall and CPU seconds, best of BENCH_REPEAT).

Usage: /usr/bin/python3 benchmarks/psds/startup_times.py [PLUGIN_PARENT ...]   (default: this checkout's
``.build/plugins``; give several folders each holding an ``insar_geohazards`` to compare versions in one run,
their processes interleaved).

Each repeat is a new Python process that does what QGIS does when it starts with the plugin enabled:
``QgsApplication`` + ``initQgis`` and ``Processing.initialize`` (QGIS's own part), then ``qgis.utils.loadPlugin``
+ ``startPlugin`` (the plugin's import, ``classFactory``, ``initGui``, which registers the provider) and listing
the provider's algorithms (their parameters built): the plugin's part. ``gui_import`` is the import of the
desktop's time-series viewer on top (``initGui`` builds it when QGIS has a main window; without one, here, only its
import is timed). The plugin's bytecode is compiled first (``compileall``), as QGIS leaves it in ``__pycache__``
after the first start; ``BENCH_NO_PYC=1`` times the plugin compiled from source at every start instead (what a
process started with PYTHONDONTWRITEBYTECODE set and no ``__pycache__`` pays). Prints JSON.
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
REPEAT = int(os.environ.get("BENCH_REPEAT", 5))

PROBE = r"""
import json, os, sys, time
def clock():
    return time.perf_counter(), time.process_time()
def since(t):
    w, c = clock()
    return [round(w - t[0], 4), round(c - t[1], 4)]
res = {}
t = clock()
sys.path.insert(0, "/usr/share/qgis/python/plugins")
from qgis.core import QgsApplication
app = QgsApplication([], False)
app.initQgis()
from processing.core.Processing import Processing
Processing.initialize()
res["qgis_start"] = since(t)
t = clock()
import qgis.utils
qgis.utils.plugin_paths = [PLUGINS]
sys.path.insert(0, PLUGINS)
assert qgis.utils.loadPlugin("insar_geohazards") and qgis.utils.startPlugin("insar_geohazards")
provider = QgsApplication.processingRegistry().providerById("geohazard")
n = sum(len(a.parameterDefinitions()) for a in provider.algorithms())
res["plugin_load"] = since(t)
res["algorithms"] = len(provider.algorithms())
res["parameters"] = n
t = clock()
gui_before = len(sys.modules)
import insar_geohazards.ui.timeseries_viewer
res["gui_import"] = since(t)
res["gui_modules"] = len(sys.modules) - gui_before
res["modules"] = len([m for m in sys.modules if m.startswith("insar_geohazards")])
res["numba_imported"] = "numba" in sys.modules
print(json.dumps(res))
"""


def _prepare(plugins, no_pyc):
    plugin = os.path.realpath(os.path.join(plugins, "insar_geohazards"))
    if no_pyc:  # the bytecode only: numba's kernel cache shares the __pycache__ folders
        for d, _, names in os.walk(plugin):
            if os.path.basename(d) == "__pycache__":
                for name in names:
                    if name.endswith(".pyc"):
                        os.remove(os.path.join(d, name))
    else:
        skip = r"(\.build|tests|benchmarks|demo|docs)"
        subprocess.run([sys.executable, "-m", "compileall", "-q", "-x", skip, plugin], check=True, capture_output=True)


def _probe(plugins):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run([sys.executable, "-c", f"PLUGINS = {plugins!r}\n" + PROBE], env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().split("\n")[-1])


def main(folders):
    no_pyc = os.environ.get("BENCH_NO_PYC", "") == "1"
    for plugins in folders:
        _prepare(plugins, no_pyc)
    runs = {plugins: [] for plugins in folders}
    for i in range(REPEAT + 1):  # interleaved, so that a change of load hits every version; the first: file cache
        for plugins in folders:
            got = _probe(plugins)
            if i:
                runs[plugins].append(got)
    result = {}
    for plugins, rs in runs.items():
        res = {key: min((r[key] for r in rs), key=lambda v: v[0])
               for key in ("qgis_start", "plugin_load", "gui_import")}
        res.update({key: rs[0][key] for key in ("algorithms", "parameters", "modules", "numba_imported")})
        res["plugin_load_cpu_s_all"] = [r["plugin_load"][1] for r in rs]
        result[plugins] = res
    result["bytecode"] = "compiled from source at each start" if no_pyc else "__pycache__"
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main([os.path.abspath(a) for a in sys.argv[1:]] or [os.path.join(ROOT, ".build", "plugins")])
