"""The provider's public face as plain data: tool IDs, parameter and output IDs, former IDs, shipped models.

``snapshot()`` reads it from a running QGIS with the provider registered (:func:`start_qgis`, also used by the
benchmarks); ``tests/data/public_api.json`` holds the frozen snapshot and the compatibility tests compare the
provider with it. Regenerate only when an ID is added on purpose (never to hide a removal):

    QT_QPA_PLATFORM=offscreen python3 tests/public_api.py > tests/data/public_api.json
"""

from __future__ import annotations

import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FROZEN = os.path.join(ROOT, "tests", "data", "public_api.json")


def _plain(value):
    """A default value as JSON can hold it (QGIS may hand back QVariants, points or lists)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def describe(alg) -> dict:
    """Parameters ``[type, flags, default]``, outputs (type), toolbox group and help page of one algorithm."""
    from qgis.core import QgsProcessingParameterDefinition as D

    params = {}
    for d in alg.parameterDefinitions():
        flags = " ".join(word for word, flag in (("hidden", D.Flag.FlagHidden), ("optional", D.Flag.FlagOptional))
                         if d.flags() & flag)
        params[d.name()] = [d.type(), flags.strip(), _plain(d.defaultValue())]
    outputs = {o.name(): o.type() for o in alg.outputDefinitions()}
    return {"parameters": params, "outputs": outputs, "group": alg.groupId(), "help": help_page(alg.helpUrl())}


def help_page(url: str) -> str:
    """The help page a help URL opens, as ``docs/<page>.html#<section>`` (the plugin's folder left out)."""
    from qgis.PyQt.QtCore import QUrl

    q = QUrl(url)
    if not q.isLocalFile():
        return url
    path = os.path.relpath(os.path.realpath(q.toLocalFile()), ROOT).replace(os.sep, "/")
    return path + ("#" + q.fragment() if q.fragment() else "")


def readme_lines() -> list:
    """The ``qgis_process ... run geohazard:`` command lines of README.md (continuation lines joined)."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read().replace("\\\n", " ")
    wanted = re.compile(r"qgis_process\S* .*run geohazard:")
    return [" ".join(line.split()) for line in text.splitlines() if wanted.search(line)]


def snapshot() -> dict:
    from qgis.core import QgsApplication

    registry = QgsApplication.processingRegistry()
    tools = {}
    for alg in registry.algorithms():
        if alg.provider() is not None and alg.provider().id() == "geohazard":
            tools[alg.id()] = describe(alg)
    return {"tools": dict(sorted(tools.items())), "readme_qgis_process": readme_lines()}


def start_qgis():
    """``(app, plugin)``: a headless QgsApplication with Processing and the geohazard provider ready."""
    for p in ("/usr/share/qgis/python/plugins", "/usr/share/qgis/python", os.path.join(ROOT, ".build", "plugins")):
        if p not in sys.path:
            sys.path.insert(0 if p.endswith("plugins") and ".build" in p else len(sys.path), p)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    from processing.core.Processing import Processing

    Processing.initialize()
    from insar_geohazards.plugin import InsarGeohazardsPlugin

    plugin = InsarGeohazardsPlugin(None)
    plugin.initProcessing()
    return app, plugin


def dumps(snap: dict) -> str:
    """The snapshot as JSON with one line per parameter (small diffs when an ID is added)."""
    lines = ['{"tools": {']
    tools = list(snap["tools"].items())
    for i, (tid, t) in enumerate(tools):
        lines.append(f" {json.dumps(tid)}: {{\"parameters\": {{")
        params = list(t["parameters"].items())
        lines += [f"  {json.dumps(k)}: {json.dumps(v)}" + ("," if j < len(params) - 1 else "")
                  for j, (k, v) in enumerate(params)]
        rest = {k: v for k, v in t.items() if k != "parameters"}
        lines.append(f" }}, {json.dumps(rest)[1:]}" + ("," if i < len(tools) - 1 else ""))
    lines.append(f'}}, "readme_qgis_process": {json.dumps(snap["readme_qgis_process"])}}}')
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    _app, _plugin = start_qgis()
    sys.stdout.write(dumps(snapshot()))
