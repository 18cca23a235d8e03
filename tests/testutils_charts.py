"""Every tool that draws a chart, as a small valid run with its chart outputs asked for.

``charting_runs(tmp)`` -> ``[(tool, params, chart outputs)]``: each tool's hostile recipe (its small valid run,
tests/hostile/test_hostile_<family>.py) with every chart output set (a PNG file, an HTML report, a folder of PNGs).
Read by tests/processing/test_io_charts.py (the pyplot backend of the process untouched) and
tests/hostile/test_optional_packages.py (the charts skipped, the runs completed, without matplotlib).
"""

from __future__ import annotations

import os

from testutils_hostile import hostile_module

#: tool -> (hostile family, {chart output ID: file name in the run's output folder ("/" ending: a folder)})
CHARTING = {
    "swathprofile": ("hazard", {"OUTPUT_CHART": "profile.html"}),
    "comparelayers": ("hazard", {"OUTPUT_CHART": "chart.png"}),
    "susceptibility": ("hazard", {"OUTPUT_REPORT": "report.html"}),
    "sbasinversion": ("timeseries", {"OUTPUT_REPORT": "network.html"}),
    "faultproximity": ("ada", {"OUTPUT_CHART": "bands.png"}),
    "slipinversion": ("faults", {"OUTPUT_LCURVE": "lcurve.png"}),
    "interseismicslip": ("faults", {"OUTPUT_CHART": "profile.png"}),
    "triggercorrelation": ("kinematics", {"OUTPUT_PLOT": "trigger.png"}),
    "validateinsar": ("kinematics", {"OUTPUT_PLOTS": "stations/"}),
    "inversevelocity": ("models", {"OUTPUT_PLOTS": "plots/"}),
}


def charting_runs(tmp, tools=None) -> list:
    """``[(tool, params, {chart output ID: path})]`` of the charting tools (``tools``: a subset), each in its own
    folder under ``tmp``."""
    families, runs = {}, []
    for tool, (family, charts) in CHARTING.items():
        if tools is not None and tool not in tools:
            continue
        if family not in families:
            families[family] = hostile_module(family)
        folder = os.path.join(str(tmp), tool)
        os.makedirs(folder, exist_ok=True)
        recipe = families[family].recipe(tool, folder)
        params = {k: v for k, v in recipe.params.items() if k not in ("PLOT_FOLDER", "OUTPUT_CHART", "OUTPUT_REPORT")}
        paths = {key: os.path.join(folder, "out", name.rstrip("/")) for key, name in charts.items()}
        params.update(paths)
        runs.append((tool, params, paths))
    return runs


def chart_files(path: str) -> list:
    """The PNG files a chart output made: the file itself, the PNGs of a folder, the PNGs inside an HTML page."""
    if os.path.isdir(path):
        return sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith(".png"))
    return [path] if os.path.isfile(path) else []


def is_png(path: str) -> bool:
    with open(path, "rb") as fh:
        return fh.read(8) == b"\x89PNG\r\n\x1a\n"
