"""What the Processing toolbox, the locator and the menus ask of every algorithm (flags, title, group, icon, search
words, help) builds nothing: no tool created, no parameter declared again, no step of a shipped model copied. The
toolbox asks it at every filter of its tree (each switch of the current layer between a vector and a raster, each
layer loaded), so a model whose ``flags()`` copied its steps froze the desktop.

The calls are counted, not timed: every creation of a tool (``createInstance``) and every parameter declared
(``addParameter``, or copied from the tool's declaration) of the plugin's classes, while QGIS's own toolbox model
(C++) filters, sorts and searches the whole registry, as the desktop's toolbox does."""

import random

import pytest
from testutils_desktop import toolbox_role
from testutils_seed import drawn_seed

#: what the toolbox (its model's roles, its tooltip, its sorting), the locator filters and the menus call
TOOLBOX_CALLS = ("flags", "displayName", "group", "groupId", "icon", "svgIconPath", "tags", "shortDescription",
                 "helpUrl", "canExecute", "name", "id", "provider")


@pytest.fixture
def built(qgis_app, monkeypatch):
    """Counts the plugin's tools created and parameters declared while the test runs (C++ callers included: the
    overrides are Python methods of the classes, looked up at each call)."""
    from insar_geohazards.processing_provider.tools._base import GeohazardAlgorithm

    counts = {"createInstance": 0, "addParameter": 0}
    create, add = GeohazardAlgorithm.createInstance, GeohazardAlgorithm.addParameter

    def counted_create(self):
        counts["createInstance"] += 1
        return create(self)

    def counted_add(self, definition, createOutput=True):  # noqa: N803 - QGIS's keyword
        counts["addParameter"] += 1
        return add(self, definition, createOutput)

    monkeypatch.setattr(GeohazardAlgorithm, "createInstance", counted_create)
    monkeypatch.setattr(GeohazardAlgorithm, "addParameter", counted_add)
    return counts


def _provider_algorithms():
    from qgis.core import QgsApplication

    provider = QgsApplication.processingRegistry().providerById("geohazard")
    assert provider is not None
    return provider.algorithms()


def test_the_counter_sees_a_tool_built(built):
    """The counter itself: creating a tool through the registry (what a model's copied step did) is counted."""
    from qgis.core import QgsApplication

    alg = QgsApplication.processingRegistry().createAlgorithmById("geohazard:sbasinversion")
    assert alg is not None
    assert built["createInstance"] == 1 and built["addParameter"] > 5


def test_toolbox_calls_build_no_tool_and_no_parameter(built):
    from qgis.core import QgsProcessingAlgorithm, QgsProcessingModelAlgorithm

    algs = list(_provider_algorithms())
    models = [a for a in algs if isinstance(a, QgsProcessingModelAlgorithm)]
    assert len(models) >= 3 and len(algs) > 20
    rng = random.Random(drawn_seed())
    order = [(a, call) for a in algs for call in TOOLBOX_CALLS] * 3
    rng.shuffle(order)  # any order, each call several times
    for alg, call in order:
        getattr(alg, call)()
    assert built == {"createInstance": 0, "addParameter": 0}, built
    for model in models:  # the models still run in background tasks, and keep their ID, group and title
        assert not model.flags() & QgsProcessingAlgorithm.Flag.FlagNoThreading, model.id()
        assert model.id() == f"geohazard:{model.name()}" and model.name() == model.helpContent()["MODEL_ID"]
        assert model.groupId() in {a.groupId() for a in algs if not isinstance(a, QgsProcessingModelAlgorithm)}
        assert model.displayName() and model.displayName() != model.name()


def test_qgis_toolbox_model_filters_sorts_and_searches_without_building(built):
    """QGIS's own toolbox tree (C++): built over the registry, filtered as the desktop filters it when the current
    layer changes between a vector and a raster (in-place mode on and off, the in-place layer set), searched."""
    from qgis.core import QgsApplication, QgsVectorLayer
    from qgis.gui import QgsProcessingToolboxProxyModel

    Proxy = QgsProcessingToolboxProxyModel  # noqa: N806 - a class
    proxy = Proxy(None, QgsApplication.processingRegistry())
    points = QgsVectorLayer("Point?crs=EPSG:4326&field=v:double", "points", "memory")
    assert points.isValid()
    toolbox, in_place = Proxy.Filters(Proxy.Filter.FilterToolbox), Proxy.Filter.FilterInPlace
    for _ in range(3):
        proxy.setFilters(toolbox | in_place)
        proxy.setInPlaceLayer(points)
        proxy.setFilters(toolbox)
    for text in ("sbas", "landslide", "InSAR"):
        proxy.setFilterString(text)
    shown = _rows(proxy)
    proxy.setFilterString("")
    assert built == {"createInstance": 0, "addParameter": 0}, built
    # the search found the plugin's tools and models (the toolbox's tree still lists them)
    assert {"geohazard:sbasinversion"} <= set(_rows(proxy)) and "geohazard:correctedsbas" in _rows(proxy)
    assert shown, "searching InSAR lists no algorithm"


def _rows(proxy, parent=None) -> list:
    """Algorithm IDs shown in the proxy's tree."""
    from qgis.PyQt.QtCore import QModelIndex

    parent = parent if parent is not None else QModelIndex()
    out = []
    for row in range(proxy.rowCount(parent)):
        index = proxy.index(row, 0, parent)
        alg_id = proxy.data(index, toolbox_role("AlgorithmId"))
        if alg_id:
            out.append(alg_id)
        out += _rows(proxy, index)
    return out


def test_a_copied_shipped_model_keeps_its_threading_and_identity(built):
    """A dialog's or a run's copy of a shipped model (``create()``) carries what the listing read, from the same
    definition: it still runs threaded (every step is a registered tool that does)."""
    from qgis.core import QgsApplication, QgsProcessingAlgorithm, QgsProcessingModelAlgorithm

    from insar_geohazards.processing_provider.provider import threaded_model_flags

    registry = QgsApplication.processingRegistry()
    for model in [a for a in _provider_algorithms() if isinstance(a, QgsProcessingModelAlgorithm)]:
        copy = registry.createAlgorithmById(model.id())
        assert copy.id() == model.id() and copy.displayName() == model.displayName()
        assert copy.flags() == model.flags() == threaded_model_flags(model)
        assert not copy.flags() & QgsProcessingAlgorithm.Flag.FlagNoThreading


def test_a_model_with_a_step_that_needs_the_main_thread_stays_in_it(qgis_app):
    """The flags are worked out from the steps as registered: a step QGIS must run in its main thread (or one not
    registered) keeps the whole model there."""
    from qgis.core import QgsApplication, QgsProcessingAlgorithm, QgsProcessingModelAlgorithm

    from insar_geohazards.processing_provider.provider import threaded_model_flags

    model = next(a for a in _provider_algorithms() if isinstance(a, QgsProcessingModelAlgorithm))
    variant = model.toVariant()
    step = next(iter(variant["children"]))
    registry = QgsApplication.processingRegistry()
    main_thread = next((a.id() for a in registry.algorithms()
                        if a.flags() & QgsProcessingAlgorithm.Flag.FlagNoThreading), None)
    if main_thread is None:
        pytest.skip("no registered algorithm asks for QGIS's main thread in this QGIS")
    for alg_id in (main_thread, "geohazard:no_such_tool"):
        variant["children"][step]["alg_id"] = alg_id
        other = QgsProcessingModelAlgorithm()
        assert other.loadVariant(variant)
        assert threaded_model_flags(other) & QgsProcessingAlgorithm.Flag.FlagNoThreading, alg_id


def test_a_models_check_reads_its_steps_without_copying_them(built):
    """Whether a model has one of the plugin's tools among its steps (asked at each check of any model) is read from
    its definition: no step copied, so no tool made anew; a model of QGIS's own algorithms answers no."""
    from qgis.core import QgsApplication, QgsProcessingModelAlgorithm, QgsProcessingModelChildAlgorithm

    from insar_geohazards.processing_provider import model_checks

    shipped = [a for a in _provider_algorithms() if isinstance(a, QgsProcessingModelAlgorithm)]
    assert shipped and all(model_checks._uses_our_tools(m) for m in shipped)
    other = QgsProcessingModelAlgorithm("other", "", "")
    step = QgsProcessingModelChildAlgorithm("native:buffer")
    step.generateChildId(other)
    other.addChildAlgorithm(step)
    assert QgsApplication.processingRegistry().algorithmById("native:buffer") is not None
    assert not model_checks._uses_our_tools(other)
    assert built == {"createInstance": 0, "addParameter": 0}, built
