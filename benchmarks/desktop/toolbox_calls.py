"""What the Processing toolbox asks of every algorithm, timed per provider in one process: the geohazard provider
against QGIS's own (native, qgis, gdal).

    /usr/bin/python3 benchmarks/desktop/toolbox_calls.py [--plugins DIR] [--repeats 7] [--json OUT]

``--plugins``: the folder holding ``insar_geohazards`` (default: this checkout's ``.build/plugins``; another copy
measures another version of the plugin in the same way). Each call (``flags``, ``displayName`` ...) is made on
every algorithm of a provider from Python, best of ``--repeats`` passes; then QGIS's own toolbox model (C++) is asked
each algorithm's flags role, and its proxy filters the whole tree as the desktop does at each switch of the current
layer between a vector and a raster (in-place mode on, then off). Prints a table and one ``{"bench": ...}`` line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.append(os.path.join(ROOT, "tests"))  # the toolbox model's roles, shared with the tests
from testutils_desktop import toolbox_role  # noqa: E402

CALLS = ("flags", "displayName", "group", "groupId", "icon", "svgIconPath", "tags", "shortDescription",
         "helpUrl", "canExecute", "name", "id")
PROVIDERS = ("geohazard", "native", "qgis", "gdal")


def start(plugins: str):
    """A headless QGIS with Processing and the plugin's provider registered (as the desktop's initProcessing)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, plugins)
    for p in ("/usr/share/qgis/python/plugins", "/usr/share/qgis/python"):
        if p not in sys.path:
            sys.path.append(p)
    from qgis.core import QgsApplication

    app = QgsApplication([], True)
    app.initQgis()
    from processing.core.Processing import Processing

    Processing.initialize()
    from insar_geohazards.plugin import InsarGeohazardsPlugin

    plugin = InsarGeohazardsPlugin(None)
    plugin.initProcessing()
    return app, plugin


def best(fn, repeats: int) -> float:
    out = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - t0)
    return out


def python_calls(repeats: int) -> dict:
    """{provider: {"n": algorithms, call: (total ms, µs per algorithm)}}."""
    from qgis.core import QgsApplication

    out = {}
    for pid in PROVIDERS:
        provider = QgsApplication.processingRegistry().providerById(pid)
        if provider is None:
            continue
        algs = provider.algorithms()
        row = {"n": len(algs)}
        for call in CALLS:
            methods = [getattr(a, call) for a in algs]

            def every(methods=methods):
                for m in methods:
                    m()

            seconds = best(every, repeats)
            row[call] = (seconds * 1e3, seconds / len(algs) * 1e6)
        out[pid] = row
    return out


def toolbox_model(repeats: int) -> dict:
    """The toolbox's own (C++) model: its flags role per algorithm, per provider (µs per algorithm), and one
    filter of the whole tree, expanded, as a current-layer switch does it (ms, every provider together)."""
    from qgis.core import QgsApplication
    from qgis.gui import QgsProcessingToolboxModel
    from qgis.PyQt.QtCore import QModelIndex

    registry = QgsApplication.processingRegistry()
    model = QgsProcessingToolboxModel(None, registry)
    by_provider: dict = {}

    def walk(parent):
        for row in range(model.rowCount(parent)):
            index = model.index(row, 0, parent)
            alg_id = model.data(index, toolbox_role("AlgorithmId"))
            if alg_id:
                by_provider.setdefault(alg_id.split(":")[0], []).append(index)
            walk(index)

    walk(QModelIndex())
    out, flags_role = {}, toolbox_role("AlgorithmFlags")
    for pid, indexes in by_provider.items():
        if pid not in PROVIDERS:
            continue
        seconds = best(lambda indexes=indexes: [model.data(i, flags_role)
                                                 for i in indexes], repeats)
        out[pid] = seconds / len(indexes) * 1e6
    return out


def switch_ms(repeats: int) -> float:
    """One filter of QGIS's toolbox tree (every provider), expanded, as a switch of the current layer between a
    vector and a raster does it (ms)."""
    from qgis.core import QgsApplication, QgsVectorLayer
    from qgis.gui import QgsProcessingToolboxProxyModel
    from qgis.PyQt.QtCore import QModelIndex

    Proxy = QgsProcessingToolboxProxyModel  # noqa: N806 - a class
    proxy = Proxy(None, QgsApplication.processingRegistry())
    toolbox = Proxy.Filters(Proxy.Filter.FilterToolbox)
    layer = QgsVectorLayer("Point?crs=EPSG:4326", "points", "memory")
    proxy.setInPlaceLayer(layer)

    def shown(parent=None) -> int:
        # the rows a fully expanded toolbox shows: each is filtered (a view asks the same)
        parent = QModelIndex() if parent is None else parent
        return sum(1 + shown(proxy.index(r, 0, parent)) for r in range(proxy.rowCount(parent)))

    def switch():
        proxy.setFilters(toolbox | Proxy.Filter.FilterInPlace)  # to a vector layer (in-place mode on)
        shown()
        proxy.setFilters(toolbox)  # back to a raster
        shown()

    return best(switch, repeats) * 1e3 / 2


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--plugins", default=os.path.join(ROOT, ".build", "plugins"))
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", default="")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    app, plugin = start(os.path.abspath(args.plugins))
    calls = python_calls(args.repeats)
    tree = toolbox_model(args.repeats)
    tree["switch_ms"] = switch_ms(args.repeats)
    plugin.unload()  # the same switch without the plugin's provider
    tree["switch_without_ms"] = switch_ms(args.repeats)
    print(f"{'provider':10} {'n':>4} " + " ".join(f"{c[:11]:>11}" for c in CALLS) + "   (µs per algorithm)")
    for pid, row in calls.items():
        print(f"{pid:10} {row['n']:4d} " + " ".join(f"{row[c][1]:11.2f}" for c in CALLS))
    ours, native = calls["geohazard"], calls["native"]
    flags_ms, ratio = ours["flags"][0], ours["flags"][1] / native["flags"][1]
    print(f"geohazard flags() over its {ours['n']} algorithms: {flags_ms:.3f} ms; per algorithm {ratio:.2f}x native's")
    print("toolbox model's flags role, µs per algorithm: " + ", ".join(
        f"{p} {tree[p]:.2f}" for p in PROVIDERS if p in tree))
    print(f"toolbox tree filtered once (a current-layer switch): {tree['switch_ms']:.2f} ms, every provider; "
          f"{tree['switch_without_ms']:.2f} ms without the plugin's provider")
    result = {"calls": calls, "toolbox_model_us": tree, "load": [round(x, 2) for x in load],
              "plugins": os.path.abspath(args.plugins)}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=1)
    print(json.dumps({"bench": {
        "ours": f"flags() over the {ours['n']} algorithms {flags_ms:.3f} ms, {ours['flags'][1]:.2f} µs each "
                f"(native {native['flags'][1]:.2f}: {ratio:.2f}x); through the toolbox's model "
                f"{tree.get('geohazard', 0):.2f} µs (native {tree.get('native', 0):.2f}); a current-layer switch "
                f"filters the whole toolbox in {tree['switch_ms']:.2f} ms ({tree['switch_without_ms']:.2f} without "
                "the plugin)",
        "ratio": f"{ratio:.2f}x native per algorithm", "floor": "goal <= 20 ms, <= 2x native",
        "date": time.strftime("%Y-%m-%d") + f", load {load[0]:.1f}"}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
