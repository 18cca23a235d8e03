"""fileio/display/charts.py: every chart a tool draws, with matplotlib's object API only.

The QGIS process's pyplot (a Qt backend, a figure the Python console or another plugin holds open) is left as it
is by every charting tool; without matplotlib a chart is skipped with a warning naming the package and its install
line, and a report keeps its tables.
"""

import datetime as dt
import os
import sys

import numpy as np
import pytest
import testutils_hostile as hk
from testutils_charts import CHARTING, chart_files, charting_runs, is_png
from testutils_seed import drawn_seed


def test_a_qt_pyplot_backend_and_its_open_figure_survive_every_charting_tool(qgis_app, tmp_path):
    """As in a desktop QGIS whose console has a pyplot window open: the backend is still QtAgg and the figure
    still open after each charting tool has drawn its charts (PNG files, PNGs inside the HTML reports)."""
    import matplotlib

    matplotlib.use("QtAgg")  # the console's choice, before pyplot is imported
    import matplotlib.pyplot as plt

    fig = plt.figure()
    fig.gca().plot([0, 1], [1, 0])
    backend = matplotlib.get_backend()
    assert backend.lower() == "qtagg"
    try:
        runs = charting_runs(tmp_path)
        assert {tool for tool, _, _ in runs} == set(CHARTING)
        for tool, params, charts in runs:
            result = hk.run(tool, params)
            assert matplotlib.get_backend() == backend, tool
            assert plt.fignum_exists(fig.number), f"{tool} closed the console's figure"
            for key, path in charts.items():
                assert result.get(key) == path, (tool, key, result)
                if path.endswith(".html"):
                    with open(path, encoding="utf-8") as fh:
                        assert "data:image/png;base64," in fh.read() or os.path.isfile(
                            os.path.splitext(path)[0] + ".png"), (tool, key)
                    continue
                files = chart_files(path)
                assert files and all(is_png(f) for f in files), (tool, key, files)
    finally:
        plt.close(fig)


@pytest.fixture
def no_matplotlib(monkeypatch):
    for name in [n for n in sys.modules if n == "matplotlib" or n.startswith("matplotlib.")] + ["matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)  # "import matplotlib..." raises ModuleNotFoundError


class Log:
    def __init__(self):
        self.warnings = []

    def push_warning(self, text):
        self.warnings.append(text)


def _network():
    from insar_geohazards.algorithms.timeseries.network import build_network

    d = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(5)]
    return build_network([(d[i], d[j]) for i in range(5) for j in range(i + 1, min(i + 3, 5))],
                         bperp_m=np.linspace(-40.0, 40.0, 7))


def test_a_png_chart_is_drawn_with_matplotlib(tmp_path):
    from insar_geohazards.fileio.display import charts

    pytest.importorskip("matplotlib", reason="matplotlib is not installed: nothing to draw")
    log = Log()
    path = charts.network(_network(), str(tmp_path / "net.png"), log=log)
    assert path and is_png(path) and os.path.getsize(path) > 5000 and not log.warnings


def test_without_matplotlib_a_chart_is_skipped_with_the_install_line(no_matplotlib, tmp_path):
    """No file, None returned, one warning naming the output, the package and how to install it."""
    from insar_geohazards.algorithms.optional import install_line
    from insar_geohazards.fileio.display import charts

    log = Log()
    assert charts.network(_network(), str(tmp_path / "net.png"), log=log) is None
    assert not os.listdir(tmp_path)
    assert len(log.warnings) == 1 and "OUTPUT_NETWORK_PNG" in log.warnings[0]
    assert "matplotlib" in log.warnings[0] and install_line("matplotlib") in log.warnings[0]


def test_without_matplotlib_the_network_report_keeps_its_tables(no_matplotlib, tmp_path):
    """sbasinversion's OUTPUT_REPORT: the HTML and the text are written, no PNG, the report says why."""
    from insar_geohazards.fileio.timeseries.stacks import write_network_report

    net, log = _network(), Log()
    out = write_network_report(str(tmp_path / "network.html"), net, net, None, (3, 4), log=log)
    assert out == {"OUTPUT_REPORT": str(tmp_path / "network.html")}
    assert sorted(os.listdir(tmp_path)) == ["network.html", "network.txt"]
    text = (tmp_path / "network.html").read_text()
    assert "<img" not in text and "needs the Python package matplotlib" in text and "2020-01-13" in text
    assert len(log.warnings) == 1


@pytest.fixture
def broken_matplotlib(monkeypatch):
    """matplotlib installed (its package is found) but failing at import, as when one of its own dependencies is
    missing or it was built for another numpy: ``import matplotlib...`` raises an ImportError naming that
    dependency."""
    import importlib.abc
    import importlib.machinery

    class Broken(importlib.abc.Loader):
        def create_module(self, spec):
            return None

        def exec_module(self, module):
            raise ImportError("No module named 'kiwisolver'", name="kiwisolver")

    class Found(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "matplotlib":
                return importlib.machinery.ModuleSpec(name, Broken(), is_package=True)
            return None

    for name in [n for n in sys.modules if n == "matplotlib" or n.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [Found()] + sys.meta_path)


def test_a_matplotlib_that_does_not_import_skips_every_chart_with_a_warning(broken_matplotlib, qgis_app, tmp_path):
    """Every charting tool (swath profiles as PNG and HTML, for one band and for a dated series) completes: its
    chart skipped with one warning saying matplotlib does not import and why, an HTML report keeping its tables;
    never a traceback."""
    from testutils import recording_feedback, write_geotiff

    from insar_geohazards.algorithms.optional import install_line

    runs = charting_runs(tmp_path)
    for folder in ("png", "series"):
        (tmp_path / folder).mkdir()
    swath = next(p for t, p, _ in runs if t == "swathprofile")
    runs.append(("swathprofile", {**swath, "OUTPUT": str(tmp_path / "png" / "p.gpkg"),
                                  "OUTPUT_CHART": str(tmp_path / "png" / "p.png")},
                 {"OUTPUT_CHART": str(tmp_path / "png" / "p.png")}))
    rng = np.random.default_rng(drawn_seed())
    dates = [dt.date(2020, 1, 3) + dt.timedelta(days=12 * i) for i in range(int(rng.integers(3, 7)))]
    series = write_geotiff(str(tmp_path / "series.tif"), np.cumsum(rng.normal(-2.0, 1.0, (len(dates), 24, 28)), 0),
                           geotransform=hk.GT, descriptions=[d.strftime("%Y%m%d") for d in dates])
    runs.append(("swathprofile", {**swath, "INPUT": series, "OUTPUT": str(tmp_path / "series" / "p.gpkg"),
                                  "OUTPUT_CHART": str(tmp_path / "series" / "p.html")},
                 {"OUTPUT_CHART": str(tmp_path / "series" / "p.html")}))
    for tool, params, chart_outputs in runs:
        feedback = recording_feedback()
        result = hk.run(tool, params, feedback)
        warned = [w for w in feedback.warnings if "does not import" in w and "kiwisolver" in w]
        assert len(warned) == 1 and install_line("matplotlib") in warned[0], (tool, feedback.warnings)
        for key, path in chart_outputs.items():
            if path.endswith(".html"):
                with open(path, encoding="utf-8") as fh:
                    page = fh.read()
                assert "<img" not in page and "does not import" in page, (tool, key)
            else:
                assert key not in result and not chart_files(path), (tool, key, result)
