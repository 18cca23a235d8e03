"""The desktop first hour: what a user meets in the dialog, the modeler,
the toolbox search and the layer panel, for every tool of the provider."""

import glob
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import registry
from testutils import recording_feedback, write_geotiff
from testutils_timeseries import sbas_dates, sbas_pairs, synthetic_stack

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL_ID = "geohazard:sbastolandslideactivity"

#: Outputs a user may leave out (createByDefault stays on in the dialog): ``secondary_outputs`` of tests/registry.py.
SECONDARY_OUTPUTS = {tool: entry.secondary_outputs for tool, entry in registry.TOOLS.items() if entry.secondary_outputs}

#: Parameters whose value is a count (or whole days / MB): Integer spin boxes, not "0.000000".
COUNTS = {"LOOKS", "MIN_COUNT", "MIN_NEIGHBOURS", "MIN_POINTS", "SMOOTH_WINDOW", "FIT_WINDOW",
          "MAX_PLOTS", "WINDOW_ROWS", "WINDOW_COLS", "N_MONTE_CARLO", "MAX_ITERATIONS", "SEED", "SPACING_DAYS",
          "MAX_GAP_DAYS", "RED_DAYS", "ORANGE_DAYS", "MAX_TEMPORAL_BASELINE", "MAX_MEMORY_MB", "REFERENCE_ROW",
          "REFERENCE_COL"}


def _provider_algorithms():
    from qgis.core import QgsApplication

    return QgsApplication.processingRegistry().providerById("geohazard").algorithms()


# ------------------------------------------------------------------------------------ the model
def test_shipped_model_validates_as_the_modeler_checks_it(qgis_app):
    from qgis.core import QgsApplication, QgsProcessingModelAlgorithm

    for model in (QgsApplication.processingRegistry().algorithmById(MODEL_ID), None):
        if model is None:  # as the Graphical Modeler opens it: straight from the file
            model = QgsProcessingModelAlgorithm()
            assert model.fromFile(os.path.join(ROOT, "models", "sbas_to_landslide_activity.model3"))
        ok, issues = model.validate()
        assert ok, issues
        for child in model.childAlgorithms():
            assert model.validateChildAlgorithm(child) == (True, [])
        assert model.parameterDefinitions()[0].name() == "INTERFEROGRAMS"  # the main input first
        assert all("optional" not in d.description().lower() for d in model.parameterDefinitions())


def test_model_static_child_values_are_the_tools_defaults(qgis_app):
    """Every child parameter the model does not wire carries the tool's own default."""
    from qgis.core import QgsApplication

    from insar_geohazards.fileio.base.compat import MODEL_SOURCE_STATIC_VALUE
    from insar_geohazards.processing_provider.inputs import knobs

    reg = QgsApplication.processingRegistry()
    model = reg.algorithmById(MODEL_ID)
    n = 0
    for child in model.childAlgorithms().values():
        tool = reg.algorithmById(child.algorithmId())
        for name, sources in child.parameterSources().items():
            if sources[0].source() == MODEL_SOURCE_STATIC_VALUE and name not in knobs.RUN_WIDE:
                # a run-wide knob has no default of its own (empty = the setting); the model's value is the same
                assert sources[0].staticValue() == tool.parameterDefinition(name).defaultValue(), name
                n += 1
    assert n >= 20


def test_model_runs_from_qgis_process_validation(qgis_app):
    """The model's public IDs are unchanged (the platform helper pins them)."""
    from qgis.core import QgsApplication

    model = QgsApplication.processingRegistry().algorithmById(MODEL_ID)
    assert {d.name() for d in model.destinationParameterDefinitions()} == {
        "sbas:TIMESERIES", "sbas:VELOCITY", "sbas:POINTS", "ada:ADAS", "activity:ACTIVITY", "activity:CANDIDATES"}
    assert _help_file(model)[0].endswith("models.html") and "landslide" in model.tags()


# ------------------------------------------------------------------------------- dialog polish
def _help_file(alg) -> tuple:
    """``(local file, section)`` the tool's Help button opens; the file exists."""
    from qgis.PyQt.QtCore import QUrl

    url = QUrl(alg.helpUrl())
    assert url.isLocalFile(), (alg.id(), alg.helpUrl())
    assert os.path.isfile(url.toLocalFile()), (alg.id(), alg.helpUrl())
    return url.toLocalFile(), url.fragment()


def test_every_tool_has_search_tags_and_a_local_help_page_at_its_section(qgis_app):
    """The Help button opens the page shipped with the plugin (rendered at `make link` / `make package`),
    at the tool's own section: no web page that may not exist."""
    algs = _provider_algorithms()
    assert len(algs) >= 24
    for a in algs:
        assert "InSAR" in a.tags(), a.id()
        path, section = _help_file(a)
        assert os.path.realpath(path).startswith(os.path.join(ROOT, "docs")) and path.endswith(".html"), a.id()
        assert section == a.name()
        with open(path, encoding="utf-8") as fh:
            assert f'id="{section}"' in fh.read(), f"{a.id()}: no section {section!r} in {path}"


def test_help_falls_back_to_the_markdown_page_without_the_rendered_html(qgis_app, monkeypatch):
    from qgis.PyQt.QtCore import QUrl

    from insar_geohazards.processing_provider.tools import _base

    monkeypatch.setattr(_base, "DOCS_DIR", os.path.join(ROOT, "docs", "no-such-folder"))
    url = QUrl(_base.help_url("ada", "adadetection"))
    assert url.isLocalFile() and url.toLocalFile().endswith("no-such-folder/ada.md")


def test_help_pages_mark_the_files_the_installed_plugin_does_not_hold():
    """A page naming a benchmark, a test or the demo (left out of the plugin's zip) marks the name and says where
    those files are; a page naming only the plugin's own files gets no such note."""
    sys.path.insert(0, os.path.join(ROOT, "docs"))
    try:
        import build_help
    finally:
        sys.path.pop(0)
    page = build_help.render("# T\n\nRun `python3 benchmarks/x/run.py` on `algorithms/engine.py`; see `BENCHMARKS.md`.")
    assert page.count('<code class="source">') == 2 and '<code>algorithms/engine.py</code>' in page
    assert page.count('href="#source-files"') == 2 and 'id="source-files"' in page
    assert "not in the installed plugin" in page
    fenced = build_help.render("# T\n\n```\npython3 benchmarks/run.py faults\n```\n")
    assert 'id="source-files"' in fenced
    own = build_help.render("# T\n\nThe core is `algorithms/engine.py`; a folder `my_tests/` is the user's.\n")
    assert "source-files" not in own


def test_help_pages_render_the_markdown():
    """docs/build_help.py renders the pages as CommonMark with pipe tables (markdown-it-py, as a code forge shows
    them): headings with GitHub's slugs, nested lists, tables, code (fenced and indented), links, images,
    emphasis across a line break; tool anchors at headings and table rows."""
    sys.path.insert(0, os.path.join(ROOT, "docs"))
    try:
        import build_help
    finally:
        sys.path.pop(0)
    page = build_help.render(textwrap.dedent("""\
        # Tools (`geohazard:first`)

        Text with `a <b> | c` and **bold**, *italic*, [next](other.md#x) and ![fig](img/f.png).

        1. **Step**:
           * *inner* one;
           * inner two
        2. second

        | tool | what |
        |---|---|
        | `geohazard:second` | a `x\\|y` cell |

        ```
        code <here>
        ```

        A formula, indented:

            v = d / t

        *emphasis
        across a line* and **bold
        too**

        ## A -- B
        """))
    assert '<a id="first"></a><h1 id="tools-geohazardfirst">' in page
    assert "<code>a &lt;b&gt; | c</code>" in page and "<strong>bold</strong>" in page and "<em>italic</em>" in page
    assert '<a href="other.html#x">next</a>' in page and '<img src="img/f.png" alt="fig" />' in page
    assert "<ol>\n<li><strong>Step</strong>:\n<ul>\n<li><em>inner</em> one;</li>" in page
    assert '<tr id="second">\n<td><code>geohazard:second</code></td>\n<td>a <code>x|y</code> cell</td>' in page
    assert "<pre><code>code &lt;here&gt;\n</code></pre>" in page
    assert "<pre><code>v = d / t\n</code></pre>" in page  # an indented formula block stays a block
    assert "<em>emphasis\nacross a line</em> and <strong>bold\ntoo</strong>" in page  # no literal asterisks
    assert '<h2 id="a----b">' in page  # GitHub's slug: punctuation dropped, each space a hyphen


@pytest.mark.parametrize("word, expected", [
    ("subsidence", {"sbasinversion", "losvelocitytovertical", "ascdescdecomposition", "loadegms", "adadetection"}),
    ("landslide", {"landslideactivity", "sbastolandslideactivity", "geometricdistortion", "inversevelocity",
                   "phasegradientstacking", "losprojection"}),
    ("InSAR", {"sbasinversion", "okadaforward", "loadegms", "sbastolandslideactivity"}),
    ("velocity", {"sbasinversion", "stackingvelocity", "losvelocitytovertical", "inversevelocity"}),
])
def test_toolbox_search_finds_the_tools(qgis_app, word, expected):
    """The toolbox filter matches the name or a tag (case-insensitive), as QgsProcessingToolboxProxyModel."""
    found = {a.name() for a in _provider_algorithms()
             if word.lower() in a.displayName().lower() or any(word.lower() in t.lower() for t in a.tags())}
    assert expected <= found, expected - found


#: The characters of a tool's name the toolbox shows at its default width (the rest is cut to "...").
TOOLBOX_CHARS = 28


def test_every_tool_reads_distinctly_at_the_default_toolbox_width(qgis_app):
    """The toolbox cuts a long name to its first ~28 characters: two tools (or models) cut to the same words
    read as one; each tool's visible start is its own."""
    seen = {}
    for a in _provider_algorithms():
        seen.setdefault(a.displayName()[:TOOLBOX_CHARS].lower(), []).append(a.name())
    assert {start: names for start, names in seen.items() if len(names) > 1} == {}


#: The tools whose names the toolbox cut at its default width ("Susceptibility from controll..."): named so they fit.
WHOLE_IN_TOOLBOX = ("damageproxy", "displacementforecast", "miningsubsidence", "susceptibility", "swathprofile",
                    "basindetection", "interferogramfilter", "targetsuitability")


def test_the_newest_tools_names_fit_the_toolbox_whole(qgis_app):
    """Their whole name within the characters the toolbox shows at its default width; the detail that was in
    their names is in their tags (the toolbox search still finds them by it) and their help."""
    from qgis.core import QgsApplication

    reg = QgsApplication.processingRegistry()
    long = {t: reg.algorithmById(f"geohazard:{t}").displayName() for t in WHOLE_IN_TOOLBOX
            if len(reg.algorithmById(f"geohazard:{t}").displayName()) > TOOLBOX_CHARS}
    assert long == {}


def test_no_description_says_optional(qgis_app):
    """QGIS appends "[optional]" itself; a description saying it too reads "optional ... [optional]"."""
    for a in _provider_algorithms():
        for d in a.parameterDefinitions():
            assert "optional" not in d.description().lower(), (a.id(), d.name(), d.description())


#: The longest label the dialog shows uncut at its default size (the detail is in the help).
MAX_LABEL = 60


def test_every_label_fits_the_dialog(qgis_app):
    """Every parameter and output label a dialog shows, of every tool and shipped model, fits in 60 characters."""
    from qgis.core import QgsProcessingParameterDefinition

    long = [(a.name(), d.name(), len(d.description()), d.description()) for a in _provider_algorithms()
            for d in a.parameterDefinitions()
            if not d.flags() & QgsProcessingParameterDefinition.Flag.FlagHidden and len(d.description()) > MAX_LABEL]
    assert long == []


#: QGIS's default size of a tool's dialog (the parameters on the left, the help on the right).
DIALOG_SIZE = (688, 523)


def test_every_dialog_fits_its_default_size(qgis_app, monkeypatch):
    """Each tool's and shipped model's dialog at QGIS's default size shows every label whole and every widget with
    its "..." button inside the parameters panel: nothing in the panel asks for more width than it has (QGIS then
    cuts the labels and pushes the buttons past the right edge, behind a horizontal scroll bar). The font is the
    desktop's usual one, 9 points of the default sans serif (DejaVu Sans on Debian, wider than Windows' Segoe UI);
    the headless platform of the tests would use 12."""
    from processing.tools import general
    from qgis.PyQt.QtGui import QFont
    from qgis.PyQt.QtWidgets import QApplication

    before = QApplication.font()
    QApplication.setFont(QFont("Sans Serif", 9))
    try:
        too_wide, checked = _dialogs_too_wide(general, monkeypatch)
    finally:
        QApplication.setFont(before)
    assert checked >= 40
    assert too_wide == [], "\n".join(map(str, too_wide))


def _dialogs_too_wide(general, monkeypatch):
    import types

    from qgis.PyQt.QtWidgets import QApplication, QMainWindow, QScrollArea, QToolButton

    window = QMainWindow()
    monkeypatch.setattr(general, "iface", types.SimpleNamespace(mainWindow=lambda: window))
    too_wide, checked = [], 0
    for alg in _provider_algorithms():
        dialog = general.createAlgorithmDialog(alg.id(), {})
        dialog.show()
        dialog.resize(*DIALOG_SIZE)
        QApplication.processEvents()
        panel = dialog.mainWidget()
        area = next(a for a in panel.findChildren(QScrollArea) if a.widget() is not None)
        room = area.viewport().width()
        need = area.widget().minimumSizeHint().width()
        buttons = [b for b in area.widget().findChildren(QToolButton) if b.isVisible()]
        past = [b.text() for b in buttons if b.mapTo(area.viewport(), b.rect().topRight()).x() > room]
        if need > room or past:
            too_wide.append((alg.name(), need, room, past[:3]))
        checked += 1
        dialog.close()
        dialog.deleteLater()
    return too_wide, checked


@pytest.mark.parametrize("tool, first, second, parameters", [
    ("multisensortimeseries", "SERIES", "MANIFEST", {"OUTPUT_UP": "TEMPORARY_OUTPUT"}),
    ("timeseriesmodels", "INPUT", "INPUT_RASTER", {"OUTPUT": "TEMPORARY_OUTPUT"}),
])
def test_one_of_two_inputs_is_said_in_both_labels_and_the_refusal(qgis_app, tool, first, second, parameters):
    """Both inputs are optional in the dialog, but one is needed: both labels say so, and a run with neither is
    refused naming both."""
    from qgis.core import QgsApplication, QgsProcessingContext

    alg = QgsApplication.processingRegistry().algorithmById(f"geohazard:{tool}")
    for name in (first, second):
        assert "needed" in alg.parameterDefinition(name).description(), alg.parameterDefinition(name).description()
    ok, message = alg.checkParameterValues(parameters, QgsProcessingContext())
    assert not ok and first in message and second in message and "needed" in message, message


def test_counts_are_integer_parameters_and_doubles_show_few_decimals(qgis_app):
    from qgis.core import QgsProcessingParameterNumber

    seen = set()
    for a in _provider_algorithms():
        if a.id() == MODEL_ID:
            continue
        for d in a.parameterDefinitions():
            if d.type() != "number":
                continue
            if d.name() in COUNTS:
                assert d.dataType() == QgsProcessingParameterNumber.Type.Integer, (a.id(), d.name())
                seen.add(d.name())
            if d.dataType() == QgsProcessingParameterNumber.Type.Double:
                dec = d.metadata()["widget_wrapper"]["decimals"]
                assert 1 <= dec <= 4, (a.id(), d.name(), dec)  # never "10.000000"
                default = d.defaultValue()
                if default is not None:  # the spin box shows the default without rounding it
                    assert abs(round(default, dec) - default) <= 1e-9 * max(1.0, abs(default)), (a.id(), d.name())
    assert seen == COUNTS


#: one-word options that are words a user reads as such (units, the look side)
WORD_OPTIONS = {"right", "left", "bar", "degrees", "radians"}


def test_combos_show_words_not_the_cores_codes(qgis_app):
    """An enum's options read as words ("Least squares", not "ls"); the stored value is the index either way."""
    for a in _provider_algorithms():
        for d in a.parameterDefinitions():
            if d.type() != "enum":
                continue
            for option in d.options():
                assert option in WORD_OPTIONS or " " in option or option != option.lower(), (a.id(), d.name(), option)


def test_main_inputs_are_mandatory(qgis_app):
    from qgis.core import QgsApplication, QgsProcessingParameterDefinition

    sbas = QgsApplication.processingRegistry().algorithmById("geohazard:sbasinversion")
    assert not sbas.parameterDefinition("INTERFEROGRAMS").flags() & QgsProcessingParameterDefinition.Flag.FlagOptional
    assert sbas.parameterDefinitions()[0].name() == "INTERFEROGRAMS"
    # the MintPy stack goes into INTERFEROGRAMS; MINTPY_STACK stays for scripts, out of the dialog
    assert sbas.parameterDefinition("MINTPY_STACK").flags() & QgsProcessingParameterDefinition.Flag.FlagHidden


def test_secondary_outputs_are_optional_but_made_by_default(qgis_app):
    from qgis.core import QgsApplication, QgsProcessingParameterDefinition

    reg = QgsApplication.processingRegistry()
    for name, outs in SECONDARY_OUTPUTS.items():
        a = reg.algorithmById(f"geohazard:{name}")
        for out in outs:
            d = a.parameterDefinition(out)
            assert d.flags() & QgsProcessingParameterDefinition.Flag.FlagOptional, (name, out)
            assert d.createByDefault(), (name, out)


# --------------------------------------------------------------------------------- SBAS inputs
def _stack_folder(tmp_path, shape=(9, 11)):
    from insar_geohazards.algorithms.timeseries.network import build_network

    net = build_network(sbas_pairs(sbas_dates(7), max_neighbours=3))
    truth, ifg, vel = synthetic_stack(net, shape=shape, noise_mm=0.5, seed=3)
    folder = tmp_path / "stack"
    (folder / "dem").mkdir(parents=True)
    for k, (a, b) in enumerate(net.pairs):
        for kind, arr in (("unw", ifg[k]), ("cc", np.full(shape, 0.7))):
            p = write_geotiff(folder / f"S1_{a:%Y%m%d}_{b:%Y%m%d}_{kind}.tif", arr)
            with open(str(p) + ".aux.xml", "w") as f:  # what QGIS leaves after computing statistics
                f.write("<PAMDataset></PAMDataset>\n")
    write_geotiff(folder / "dem.tif", np.full(shape, 100.0))
    write_geotiff(folder / "dem" / "srtm.tif", np.full(shape, 100.0))
    return net, folder


def _add_directory(folder):
    """What the multiple-layer widget's "Add Directory..." puts in the list: every file, recursively."""
    return sorted(glob.glob(os.path.join(str(folder), "**", "*"), recursive=True))


def test_add_directory_list_runs_like_the_folder(run_alg, tmp_path):
    from osgeo import gdal
    from qgis.core import QgsProcessingFeedback

    net, folder = _stack_folder(tmp_path)
    files = [f for f in _add_directory(folder) if os.path.isfile(f)]
    assert len(files) == 4 * net.n_pairs + 2
    outs = {}
    for tag, value in (("folder", str(folder)), ("list", files)):
        fb = recording_feedback()
        res = run_alg("sbasinversion", {
            "INTERFEROGRAMS": value, "COHERENCE": value, "INPUT_UNITS": 3, "WEIGHTING": 1,
            "MIN_TEMPORAL_COHERENCE": 0, "OUTPUT_TIMESERIES": str(tmp_path / f"{tag}_ts.tif"),
            "OUTPUT_VELOCITY": str(tmp_path / f"{tag}_v.tif")}, feedback=fb)
        ds = gdal.Open(res["OUTPUT_VELOCITY"])
        outs[tag] = ds.ReadAsArray()
        ds = None
        if tag == "list":
            assert "INTERFEROGRAMS: left out" in fb.text and "dem.tif, srtm.tif" in fb.text, fb.text
        assert isinstance(fb, QgsProcessingFeedback)
    np.testing.assert_array_equal(outs["folder"], outs["list"])
    assert np.isfinite(outs["list"]).all()


def test_mintpy_stack_given_as_the_interferograms(run_alg, tmp_path):
    pytest.importorskip("h5py", reason="h5py is not installed")
    from osgeo import gdal

    from insar_geohazards.algorithms.formats.mintpy import write_ifgram_stack
    from insar_geohazards.algorithms.timeseries.network import build_network

    net = build_network(sbas_pairs(sbas_dates(7), max_neighbours=3))
    _, ifg, _ = synthetic_stack(net, shape=(8, 9), noise_mm=0.5, seed=5)
    lam = 0.0555
    h5 = write_ifgram_stack(str(tmp_path / "ifgramStack.h5"), -ifg / 1000 * 4 * np.pi / lam, net.pairs,
                            wavelength_m=lam, geotransform=(500000.0, 30.0, 0, 4100000.0, 0, -30.0), epsg=32633)
    arrays = []
    from testutils import MessageLog

    for tag, params in (("new", {"INTERFEROGRAMS": [h5]}), ("old", {"MINTPY_STACK": h5})):
        with MessageLog() as log:
            res = run_alg("sbasinversion", {**params, "REFERENCE": "500045,4099955 [EPSG:32633]",
                                            "MIN_TEMPORAL_COHERENCE": 0,
                                            "OUTPUT_TIMESERIES": str(tmp_path / f"{tag}_ts.tif"),
                                            "OUTPUT_VELOCITY": str(tmp_path / f"{tag}_v.tif")})
        assert log.noise() == [], tag  # an .h5 input logged "Unable to load mesh"
        ds = gdal.Open(res["OUTPUT_TIMESERIES"])
        arrays.append(ds.ReadAsArray())
        ds = None
    np.testing.assert_array_equal(arrays[0], arrays[1])


# ------------------------------------------------------------------------------ optional outputs
def test_sbas_with_only_the_wanted_outputs_writes_only_those(run_alg, tmp_path):
    net, folder = _stack_folder(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    res = run_alg("sbasinversion", {"INTERFEROGRAMS": str(folder), "INPUT_UNITS": 3, "MIN_TEMPORAL_COHERENCE": 0,
                                    "OUTPUT_VELOCITY": str(out / "v.tif"), "OUTPUT_TIMESERIES": str(out / "ts.tif")})
    assert os.path.exists(res["OUTPUT_VELOCITY"]) and os.path.exists(res["OUTPUT_TIMESERIES"])
    for key in SECONDARY_OUTPUTS["sbasinversion"]:
        assert not res.get(key), key
    assert sorted(p.name for p in out.iterdir() if p.suffix == ".tif") == ["ts.tif", "v.tif"]


def test_geometricdistortion_without_secondary_outputs(run_alg, tmp_path):
    yy, xx = np.mgrid[0:40, 0:50]
    dem = write_geotiff(tmp_path / "dem.tif", 300.0 + 8.0 * xx + 20 * np.sin(yy / 5.0))
    out = tmp_path / "out"
    out.mkdir()
    res = run_alg("geometricdistortion", {"DEM": str(dem), "HEADING": -12.0, "INCIDENCE": 37.0,
                                          "OUTPUT_CLASSES": str(out / "classes.tif")})
    assert os.path.exists(res["OUTPUT_CLASSES"])
    assert sorted(p.name for p in out.iterdir() if p.suffix in (".tif", ".csv")) == ["classes.tif"]


# ------------------------------------------------------------------------- layers in the project
@pytest.fixture
def insertion_point_reset(qgis_app):
    """After the test, new layers land at the top of the project's root again. The layer-tree bridge keeps a raw
    pointer to the group it inserts into: left on a group that a later test removes, the next layer added to the
    project (any test in the same process) writes into freed memory and QGIS crashes."""
    yield
    from qgis.core import QgsProject

    project = QgsProject.instance()
    bridge = project.layerTreeRegistryBridge()
    bridge.setLayerInsertionPoint(bridge.InsertionPoint(project.layerTreeRoot(), 0))


def test_outputs_load_named_styled_main_visible_on_top(run_alg, tmp_path, insertion_point_reset):
    """As the dialog does (runAndLoadResults): the run's layers in one group of their own at the top of the layer
    tree, even when the layer panel's current group is a hidden one; velocity and points visible on top, the
    secondary rasters unchecked below, every layer named by its output with units and the dates it spans, legends
    rounded, the processing history in the layer metadata."""
    import processing
    from qgis.core import QgsLayerTree, QgsProcessingContext, QgsProject

    net, folder = _stack_folder(tmp_path)
    project = QgsProject.instance()
    project.removeAllMapLayers()
    project.layerTreeRoot().removeAllChildren()
    hidden = project.layerTreeRoot().addGroup("Earlier results")
    hidden.setItemVisibilityChecked(False)
    project.layerTreeRegistryBridge().setLayerInsertionPoint(project.layerTreeRegistryBridge().InsertionPoint(
        hidden, 0))  # the panel's current group, unchecked: new layers would land there unseen
    context = QgsProcessingContext()
    context.setProject(project)
    params = {"INTERFEROGRAMS": str(folder), "COHERENCE": str(folder), "INPUT_UNITS": 3,
              "MIN_TEMPORAL_COHERENCE": 0, "OUTPUT_POINTS": str(tmp_path / "pts.gpkg")}
    for key in ("OUTPUT_TIMESERIES", "OUTPUT_VELOCITY") + SECONDARY_OUTPUTS["sbasinversion"]:
        params[key] = str(tmp_path / f"{key.lower()}.tif")
    from testutils import MessageLog

    with MessageLog() as log:
        processing.runAndLoadResults("geohazard:sbasinversion", params, context=context)
    assert log.noise() == []
    group = project.layerTreeRoot().children()[0]
    assert QgsLayerTree.isGroup(group) and group.itemVisibilityChecked() and group.isExpanded()
    span = f"{min(net.dates).isoformat()} to {max(net.dates).isoformat()}"
    assert group.name() == f"SBAS / ISBAS time series inversion: {folder.name}, {span}", group.name()
    assert hidden.children() == []
    PTS = f"Velocity points (mm/yr; time series in mm), {span}"
    nodes = [n for n in group.children() if QgsLayerTree.isLayer(n)]
    frames = [n for n in group.children() if QgsLayerTree.isGroup(n)]
    from insar_geohazards.fileio.display.temporal import has_ranges_per_band

    # QGIS < 3.38: the time series' group of one layer per date (what Export Animation draws), unchecked as the
    # series is
    assert [len(f.findLayers()) for f in frames] == ([] if has_ranges_per_band() else [len(net.dates)])
    assert not any(f.itemVisibilityChecked() for f in frames)
    assert len(nodes) == len(project.mapLayers()) - sum(len(f.findLayers()) for f in frames) == 6
    names = [n.layer().name() for n in nodes]
    visible = {n.layer().name(): n.itemVisibilityChecked() for n in nodes}
    vel_name = f"Velocity (mm/yr), {span}"
    assert names[:2] == [PTS, vel_name], names
    assert {n.split(", ")[0] for n in names[2:]} == {
        "Time series (mm)", "Velocity standard error (mm/yr)", "Temporal coherence (0-1)",
        "Interferograms used per pixel (count)"}
    assert visible[PTS] and visible[vel_name]
    assert not any(visible[n] for n in names[2:])
    vel = [n.layer() for n in nodes if n.layer().name() == vel_name][0]
    assert vel.metadata().history()[-1].startswith("geohazard:sbasinversion"), vel.metadata().history()
    assert vel.renderer().type() == "singlebandpseudocolor"
    labels = [i.label for i in vel.renderer().shader().rasterShaderFunction().colorRampItemList()]
    assert all(lab.endswith(" mm/yr") for lab in labels), labels
    assert all(len(lab.split()[0].split(".")[-1]) <= 3 for lab in labels), labels
    # a legend of a few classes, a diverging ramp centred on 0 (red away from the satellite, blue toward it)
    items = vel.renderer().shader().rasterShaderFunction().colorRampItemList()
    assert len(items) == 7 and items[3].value == 0.0 and items[0].value == -items[-1].value
    assert items[0].color.red() > items[0].color.blue() and items[-1].color.blue() > items[-1].color.red()
    coherence = [n.layer() for n in nodes if n.layer().name().startswith("Temporal coherence")][0]
    assert len(coherence.renderer().shader().rasterShaderFunction().colorRampItemList()) == 5
    # the legend lists those labels (not a bar headed "Band 1 (Gray)" with six-decimal ends)
    assert not vel.renderer().shader().rasterShaderFunction().legendSettings().useContinuousLegend()
    pts = [n.layer() for n in nodes if n.layer().name() == PTS][0]
    assert pts.renderer().type() == "graduatedSymbol" and pts.renderer().classAttribute() == "VEL"
    assert all(r.label().endswith(" mm/yr") for r in pts.renderer().ranges())
    assert vel.dataProvider().generateBandName(1).endswith("LOS velocity (mm/yr)") or \
        "velocity" in vel.dataProvider().bandDescription(1).lower()
    # a second run: a second group, on top
    processing.runAndLoadResults("geohazard:sbasinversion", {**params, **{
        k: str(tmp_path / f"second_{k.lower()}.{'gpkg' if k == 'OUTPUT_POINTS' else 'tif'}")
        for k in params if k.startswith("OUTPUT")}}, context=context)
    groups = [c for c in project.layerTreeRoot().children() if QgsLayerTree.isGroup(c)]
    assert [len([n for n in g.children() if QgsLayerTree.isLayer(n)]) for g in groups] == [6, 6, 0]
    assert groups[1] is group
    project.removeAllMapLayers()
    project.layerTreeRoot().removeAllChildren()


# ------------------------------------------------------------------------------------- numba
def test_first_run_compilation_is_announced(qgis_app, monkeypatch):
    from insar_geohazards.algorithms import _numba
    from insar_geohazards.processing_provider.inputs import compilation
    from insar_geohazards.processing_provider.tools.timeseries.sbasinversion import SbasInversion

    monkeypatch.setattr(_numba, "first_compilation", lambda modules: True)
    monkeypatch.setattr(_numba, "kernels_to_compile", lambda modules: ["timeseries.sbas.kernel"])
    fb = recording_feedback()
    assert compilation.announce_compilation(SbasInversion.KERNELS, fb) == ["timeseries.sbas.kernel"]
    assert "first run only" in fb.text and fb.progress_texts == ["Compiling fast kernels, first run only..."]
    monkeypatch.setattr(_numba, "first_compilation", lambda modules: False)
    fb = recording_feedback()
    assert not compilation.announce_compilation(SbasInversion.KERNELS, fb) and fb.text == ""


def test_kernels_are_cached_on_disk_in_numba_cache_dir(tmp_path):
    """A kernel compiled once is found in the cache by the next process (what a read-only plugin
    folder relies on: numba then writes to NUMBA_CACHE_DIR or the user's cache folder)."""
    pytest.importorskip("numba", reason="numba is not installed")
    pkg = tmp_path / "kern"
    pkg.mkdir()
    (pkg / "mod.py").write_text(textwrap.dedent("""
        from insar_geohazards.algorithms._numba import njit

        @njit
        def twice(x):
            return 2.0 * x
    """))
    script = textwrap.dedent(f"""
        import sys
        sys.path[:0] = [{os.path.join(ROOT, '.build', 'plugins')!r}, {str(pkg)!r}]
        import mod
        from insar_geohazards.algorithms._numba import kernels_to_compile
        before = kernels_to_compile([mod])
        assert mod.twice(2.0) == 4.0
        print(len(before), len(kernels_to_compile([mod])))
    """)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"), "INSAR_GEOHAZARDS_DISABLE_NUMBA": ""}
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert first.returncode == 0, first.stderr[-2000:]
    assert first.stdout.split() == ["1", "0"]
    assert glob.glob(str(tmp_path / "cache" / "**" / "*.nbi"), recursive=True)
    second = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert second.stdout.split() == ["0", "0"], second.stderr[-2000:]


def test_njit_falls_back_to_no_cache_without_a_writable_cache_folder(monkeypatch):
    from insar_geohazards.algorithms import _numba

    if not _numba.HAVE_NUMBA:
        pytest.skip("numba is not installed (the shim returns plain functions)")
    calls = []

    def fake_njit(**kwargs):
        calls.append(kwargs.get("cache"))
        if kwargs.get("cache"):
            raise RuntimeError("cannot cache function 'f': no locator available for file '/ro/f.py'")
        return lambda fn: fn

    monkeypatch.setattr(_numba._numba, "njit", fake_njit)

    def f(x):
        return x

    assert _numba.njit(f)(3) == 3 and calls == [True, False]
    assert _numba.njit(parallel=True)(f)(4) == 4


# ------------------------------------------------------------------------------ qgis_process
def test_qgis_process_folder_input_only_wanted_outputs_no_hdf5_noise(qgis_app, tmp_path):
    """The user's command line: folder inputs, only the outputs wanted; no HDF5-DIAG block on stderr."""
    from testutils_cli import QGIS_PROCESS, qgis_process, results

    if QGIS_PROCESS is None:
        pytest.skip("qgis_process.bin is not installed (run `make test`)")
    net, folder = _stack_folder(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    proc = qgis_process("--json", "run", "geohazard:sbasinversion", "--", f"INTERFEROGRAMS={folder}",
                        f"COHERENCE={folder}", "INPUT_UNITS=3", "MIN_TEMPORAL_COHERENCE=0",
                        f"OUTPUT_VELOCITY={out / 'v.tif'}", f"OUTPUT_TIMESERIES={out / 'ts.tif'}")
    res = results(proc)
    assert os.path.exists(res["OUTPUT_VELOCITY"]) and os.path.exists(res["OUTPUT_TIMESERIES"])
    assert sorted(p.name for p in out.iterdir() if p.suffix == ".tif") == ["ts.tif", "v.tif"]
    assert "HDF5-DIAG" not in proc.stderr + proc.stdout


def test_more_tools_without_their_secondary_outputs(run_alg, tmp_path):
    """Amplitude dispersion, asc/desc decomposition and fault proximity with only the main outputs."""
    from testutils_ada import write_wkt_layer
    from testutils_psds import write_slc_files

    from insar_geohazards.algorithms.geometry.los import los_unit_vector
    from insar_geohazards.algorithms.timeseries.simulate import simulate_slc_stack

    out = tmp_path / "out"
    out.mkdir()
    sim = simulate_slc_stack(shape=(20, 24), n_dates=8, seed=2, water_fraction=0.2)
    res = run_alg("amplitudedispersion", {"INPUT": write_slc_files(tmp_path, sim),
                                          "OUTPUT_DISPERSION": str(out / "da.tif"),
                                          "OUTPUT_PS_MASK": str(out / "ps.tif")})
    assert "OUTPUT_MEAN_AMPLITUDE" not in res and os.path.exists(res["OUTPUT_PS_MASK"])

    rng = np.random.default_rng(2)
    east, up = rng.normal(0, 4, (6, 7)), rng.normal(-5, 3, (6, 7))
    a, d = los_unit_vector(39.0, -10.0), los_unit_vector(35.0, 190.0)
    res = run_alg("ascdescdecomposition", {
        "ASC_RASTER": write_geotiff(tmp_path / "a.tif", a[0] * east + a[2] * up), "ASC_HEADING": -10.0,
        "ASC_INCIDENCE": 39.0, "DESC_RASTER": write_geotiff(tmp_path / "d.tif", d[0] * east + d[2] * up),
        "DESC_HEADING": 190.0, "DESC_INCIDENCE": 35.0,
        "OUTPUT_EAST": str(out / "e.tif"), "OUTPUT_UP": str(out / "u.tif")})
    assert "OUTPUT_QUALITY" not in res and os.path.exists(res["OUTPUT_UP"])

    x0, y0 = 500000.0, 4100000.0
    faults = write_wkt_layer(tmp_path / "f.gpkg", [f"LINESTRING({x0} {y0}, {x0} {y0 - 9000})"])
    ada = write_wkt_layer(tmp_path / "ada.gpkg", [f"POLYGON(({x0 + 300} {y0 - 2000},{x0 + 400} {y0 - 2000},"
                                                  f"{x0 + 400} {y0 - 1900},{x0 + 300} {y0 - 1900},"
                                                  f"{x0 + 300} {y0 - 2000}))"])
    res = run_alg("faultproximity", {"INPUT": ada, "FAULTS": faults, "OUTPUT": str(out / "prox.gpkg")})
    assert "OUTPUT_CHART" not in res and res["SHARE_BY_BAND"]["0-500 m"] == 1.0
    assert sorted(p.name for p in out.iterdir() if p.suffix in (".tif", ".gpkg", ".png")) == \
        ["da.tif", "e.tif", "prox.gpkg", "ps.tif", "u.tif"]


def test_compile_notice_map_names_real_tools_and_kernel_modules(qgis_app):
    """A tool's KERNELS name core modules that hold numba kernels (with numba installed)."""
    import importlib

    from insar_geohazards.algorithms import _numba

    KERNELS = {a.name(): a.KERNELS for a in _provider_algorithms() if getattr(a, "KERNELS", ())}
    assert {"sbasinversion", "okadaforward", "unwrap"} <= set(KERNELS)
    if not _numba.HAVE_NUMBA:
        pytest.skip("numba is not installed: no kernels to look for")
    for mods in KERNELS.values():
        for m in mods:
            module = importlib.import_module(f"insar_geohazards.algorithms.{m}")
            assert any(isinstance(o, _numba.Kernel) for o in vars(module).values()), m


def test_each_tool_shows_its_family_icon(qgis_app):
    """One icon per family of tools (the folders of processing_provider/tools), a valid SVG that renders; the
    family is the toolbox group (one taxonomy: folder = group = icon), and a shipped model sits in a tools' group."""
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtSvg import QSvgRenderer

    from insar_geohazards.processing_provider.tools._base import GROUPS

    tools_dir = os.path.join(ROOT, "processing_provider", "tools")
    families = {d for d in os.listdir(tools_dir) if os.path.isdir(os.path.join(tools_dir, d)) and not d.startswith("_")}
    seen = {}
    assert set(GROUPS) == families
    for a in _provider_algorithms():
        assert a.groupId() in GROUPS and a.group() == GROUPS[a.groupId()], (a.id(), a.groupId(), a.group())
        if not hasattr(a, "FAMILY"):  # the shipped graphical models keep QGIS's model icon
            continue
        module_family = type(a).__module__.split(".")[-2]
        assert a.groupId() == module_family, (a.id(), a.groupId(), module_family)
        path = a.svgIconPath()
        assert os.path.basename(path) == module_family + ".svg", (a.id(), path)
        assert os.path.isfile(path) and QSvgRenderer(path).isValid(), path
        assert not a.icon().isNull() and not a.icon().pixmap(QSize(24, 24)).isNull(), a.id()
        seen[module_family] = path
    assert set(seen) == families
    with_contents = {open(p, encoding="utf-8").read() for p in seen.values()}
    assert len(with_contents) == len(families), "two families share an icon"
