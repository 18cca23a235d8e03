"""What the plugin's start costs: the provider's load in a QgsApplication and a whole ``qgis_process list``.

Each repeat starts fresh processes for each plugin tree given (alternated, so that a change of the machine's load
falls on every tree alike):

* in a QgsApplication (as QGIS's desktop start does it): the CPU seconds of importing the provider, creating every
  tool and registering it, the modules that imports (all, and the plugin's own), and whether numba was imported;
* ``qgis_process.bin list``: the process's CPU seconds (user + system, its children included), the modules its
  Python imported (``PYTHONPROFILEIMPORTTIME``: one line per module) and whether numba is among them.

    /usr/bin/python3 benchmarks/startup/provider_start.py [--repeat N] PLUGINS_DIR [PLUGINS_DIR ...]

``PLUGINS_DIR`` holds ``insar_geohazards`` (``.build/plugins`` after ``make link``). Prints a JSON object per tree:
the medians and the spread of each figure.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys

PROBE = r"""
import sys, time
sys.path.insert(0, {plugins!r})
sys.path.insert(0, "/usr/share/qgis/python/plugins")
from qgis.core import QgsApplication
app = QgsApplication([], False)
app.initQgis()
before = set(sys.modules)
t0 = time.process_time()
from insar_geohazards.processing_provider.provider import GeohazardProvider
provider = GeohazardProvider()
assert QgsApplication.processingRegistry().addProvider(provider)
n = len(provider.algorithms())
cpu = time.process_time() - t0
new = set(sys.modules) - before
import json
print(json.dumps({{"cpu_s": cpu, "algorithms": n, "modules": len(new),
                  "plugin_modules": sum(1 for m in new if m.startswith("insar_geohazards")),
                  "numba": any(m == "numba" or m.startswith("numba.") for m in sys.modules)}}))
"""


def _in_application(plugins: str) -> dict:
    out = subprocess.run(["/usr/bin/python3", "-c", PROBE.format(plugins=plugins)], capture_output=True, text=True,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _qgis_process_list(plugins: str) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_PLUGINPATH": plugins, "PYTHONPROFILEIMPORTTIME": "1"}
    out = subprocess.run(["qgis_process.bin", "list"], capture_output=True, text=True, env=env, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    names = [line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")]
    names = [n for n in names if n and n != "package"]
    listed = sum(1 for line in out.stdout.splitlines() if "geohazard:" in line)
    return {"cpu_s": cpu, "modules": len(names), "plugin_modules": sum(1 for n in names if n.startswith("insar_geo")),
            "numba": any(n == "numba" or n.startswith("numba.") for n in names), "geohazard_tools": listed}


def _summary(rows: list) -> dict:
    out = {}
    for key in rows[0]:
        values = [r[key] for r in rows]
        if isinstance(values[0], bool) or not isinstance(values[0], (int, float)):
            out[key] = sorted(set(values))
        else:
            out[key] = {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
                        "max": round(max(values), 3)}
    return out


def main(argv: list) -> None:
    repeat = 5
    if argv[:1] == ["--repeat"]:
        repeat, argv = int(argv[1]), argv[2:]
    trees = [os.path.abspath(p) for p in argv]
    runs = {t: {"application": [], "qgis_process_list": []} for t in trees}
    for _ in range(repeat):
        for t in trees:
            runs[t]["application"].append(_in_application(t))
            runs[t]["qgis_process_list"].append(_qgis_process_list(t))
    print(json.dumps({t: {k: _summary(v) for k, v in r.items()} | {"repeat": repeat, "load": os.getloadavg()}
                      for t, r in runs.items()}, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
