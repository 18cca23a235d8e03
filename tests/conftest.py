"""Test harness.

* The repository root is the plugin folder; tests import it as ``insar_geohazards``
  through the symlink ``.build/plugins/insar_geohazards`` made here (``make`` makes it too).
* Core tests (``tests/core``) never import QGIS. Processing tests use the ``qgis_app``
  fixture, which starts a headless QGIS once per session, initialises Processing and
  registers the plugin's provider.
"""

from __future__ import annotations

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLUGINS = os.path.join(ROOT, ".build", "plugins")
LINK = os.path.join(PLUGINS, "insar_geohazards")
DATA = os.path.join(ROOT, "tests", "data")

os.makedirs(PLUGINS, exist_ok=True)
if not os.path.lexists(LINK):
    try:
        os.symlink(os.path.relpath(ROOT, PLUGINS), LINK)
    except FileExistsError:  # another pytest worker made it a moment ago
        pass
for p in (PLUGINS, os.path.join(ROOT, "tests")):
    if p not in sys.path:
        sys.path.insert(0, p)
for p in ("/usr/share/qgis/python/plugins", "/usr/share/qgis/python"):
    if os.path.isdir(p) and p not in sys.path:
        sys.path.append(p)
import testutils_seed  # noqa: E402 - from the tests folder just put on the path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
try:  # the tests that call the file layer directly run it as a tool run does: GDAL's errors as exceptions (the
    # plugin switches the mode only for its own runs: tests/processing/test_gdal_mode.py, in a process of its own)
    from osgeo import gdal, ogr

    gdal.UseExceptions()
    ogr.UseExceptions()
except ImportError:
    pass
# no background warm-up in the desktop sessions of the tests (the runner warms the cache itself); a tool run whose
# kernels are not compiled compiles them, whatever its size, so the tests run the numba kernels (the numpy path of
# small first runs has its own tests: tests/processing/test_compile_plan.py)
os.environ.setdefault("INSAR_GEOHAZARDS_WARM_UP", "0")
os.environ.setdefault("INSAR_GEOHAZARDS_COMPILE", "always")


_SESSION: dict = {}

# Tests that compile kernel families from an empty cache on purpose (a first run, other CPU targets): minutes of
# CPU each on two cores. `make test-full` (and `.ci/run_tests.sh` with GEOHAZARD_HEAVY_TESTS=1) runs them.
HEAVY = os.environ.get("GEOHAZARD_HEAVY_TESTS", "") not in ("", "0")


# After the test runner's warm-up (.ci/run_tests.sh): each plugin kernel this process still compiles, by test, into
# GEOHAZARD_COMPILED_LOG (one file per process), so the runner lists what the warm-up missed.
COMPILED_LOG = os.environ.get("GEOHAZARD_COMPILED_LOG", "")
_CURRENT = {"test": ""}


def pytest_configure(config):
    if not COMPILED_LOG:
        return
    from insar_geohazards.algorithms import _numba  # its numba settings before numba's import

    if not _numba.HAVE_NUMBA:
        return
    from numba.core import event

    path = os.path.join(COMPILED_LOG, f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}.txt")

    class Compiled(event.Listener):
        def on_start(self, event):
            pass

        def on_end(self, event):
            func = getattr((event.data or {}).get("dispatcher"), "py_func", None)
            if func is not None and (func.__module__ or "").startswith("insar_geohazards."):
                args = ", ".join(str(a) for a in (event.data or {}).get("args", ()))
                with open(path, "a", encoding="utf-8") as fh:
                    fh.write(f"{func.__module__}.{func.__qualname__}({args}) ({_CURRENT['test']})\n")

    event.register("numba:compile", Compiled())


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    _CURRENT["test"] = item.nodeid
    testutils_seed.CURRENT["node"] = item.nodeid


# The seeds a test drew at random (tests/testutils_seed.py: its own, its module fixtures', its module's at import)
# go into its failure report, with the line that draws the same world again.
@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    before = testutils_seed.CURRENT["node"]
    if fixturedef.scope != "function":
        testutils_seed.CURRENT["node"] = f"{request.node.nodeid}::{fixturedef.argname}"
    try:
        yield
    finally:
        testutils_seed.CURRENT["node"] = before


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed or not hasattr(report.longrepr, "addsection"):
        return
    chain = [node.nodeid for node in item.listchain()]
    keys = [str(getattr(item, "path", getattr(item, "fspath", "")))]
    keys += [f"{node}::{name}" for node in chain for name in getattr(item, "fixturenames", ())] + [item.nodeid]
    note = testutils_seed.failure_note(keys)
    if note:
        report.longrepr.addsection("random world", note.replace("<this test's id>", item.nodeid))


def pytest_runtest_teardown(item):
    # QGIS closes the GeoPackages its layers read through deleteLater (its OGR connection pool), which only an event
    # loop runs: without this a worker keeps one descriptor per GeoPackage a test loaded (tests/processing/
    # test_open_files.py), hundreds by the end of its files
    if "qgis.core" in sys.modules and sys.modules["qgis.core"].QgsApplication.instance() is not None:
        from qgis.PyQt.QtCore import QCoreApplication, QEvent

        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


# Where the suite's CPU goes (.ci/run_tests.sh sets GEOHAZARD_CPU_LOG to a folder and prints the totals at the end):
# each test's CPU seconds, its set-up and teardown included (module fixtures count in the test that makes or ends
# them), this process's own plus its finished child processes' (qgis_process starts, Dask worker processes), and
# the qgis_process starts it made; one tab-separated file per process.
CPU_LOG = os.environ.get("GEOHAZARD_CPU_LOG", "")


def _cpu_s() -> float:
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


_QGIS_STARTS = [0]


if CPU_LOG:
    import subprocess as _subprocess

    _Popen_init = _subprocess.Popen.__init__

    def _counting_init(self, args, *a, **kw):
        first = args if isinstance(args, (str, bytes, os.PathLike)) else (list(args)[:1] or [""])[0]
        if os.path.basename(str(first)).startswith("qgis_process"):
            _QGIS_STARTS[0] += 1
        _Popen_init(self, args, *a, **kw)

    _subprocess.Popen.__init__ = _counting_init

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(item, nextitem):
        cpu0, starts0, wall0 = _cpu_s(), _QGIS_STARTS[0], __import__("time").monotonic()
        yield
        line = (f"{item.nodeid}\t{_cpu_s() - cpu0:.2f}\t{__import__('time').monotonic() - wall0:.2f}\t"
                f"{_QGIS_STARTS[0] - starts0}\t{__import__('time').time():.1f}\n")
        name = f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}.tsv"
        os.makedirs(CPU_LOG, exist_ok=True)
        with open(os.path.join(CPU_LOG, name), "a", encoding="utf-8") as fh:
            fh.write(line)

    def pytest_sessionfinish(session):
        """The signatures of the plugin's numba kernels this process used (compiled or loaded from the cache): the
        warm-up's signatures that no process lists are compiled for nothing (.ci/cpu_report.py)."""
        seen = set()
        for name, module in list(sys.modules.items()):
            if not name.startswith("insar_geohazards.") or module is None:
                continue
            for obj in list(vars(module).values()):
                if isinstance(obj, type):  # a kernel class (its signatures and py_func are properties), not a kernel
                    continue
                sigs = getattr(obj, "signatures", None)
                if sigs and getattr(obj, "py_func", None) is not None and id(obj) not in seen:
                    seen.add(id(obj))
                    # named as numba's cache files are: the module's file name, the qualified name
                    short = f"{obj.py_func.__module__.rsplit('.', 1)[-1]}.{obj.py_func.__qualname__}"
                    lines = "".join(f"{short}\t{', '.join(str(a) for a in sig)}\n" for sig in sigs)
                    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
                    with open(os.path.join(CPU_LOG, f"{worker}-{os.getpid()}.signatures"), "a",
                              encoding="utf-8") as fh:
                        fh.write(lines)


#: .ci/run_tests.sh: a folder where each test process writes the files holding a test marked `serial`, as it collected
#: them before `-m` deselects them; the runner's serial run then collects those files only, not the whole suite again
#: (3.6 CPU-s with the test modules already rewritten, 11.3 without).
SERIAL_FILES = os.environ.get("GEOHAZARD_SERIAL_FILES", "")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    if SERIAL_FILES:
        files = sorted({str(item.path) for item in items if item.get_closest_marker("serial") is not None})
        os.makedirs(SERIAL_FILES, exist_ok=True)
        with open(os.path.join(SERIAL_FILES, f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}.txt"),
                  "w", encoding="utf-8") as fh:
            fh.write("".join(f"{f}\n" for f in files))
    # the files holding a test marked `slow` first (their order kept): the workers take files in this order, so
    # a run of minutes starts at the beginning instead of running alone at the end
    slow_files = {item.path for item in items if item.get_closest_marker("slow") is not None}
    items[:] = [i for i in items if i.path in slow_files] + [i for i in items if i.path not in slow_files]
    if HEAVY:
        return
    skip = pytest.mark.skip(reason="heavy: compiles kernels from an empty cache (minutes of CPU); "
                                   "`make test-full` runs it")
    for item in items:
        if item.get_closest_marker("heavy") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def data_dir():
    return DATA


@pytest.fixture(scope="session")
def ustica_egms():
    """``read_egms`` of a real Ustica tile (``tests/data/egms_ustica/<name>``), parsed once per session: the
    whole-file parse costs about 2 CPU-s a tile and several modules compare against the same tile. Callers only
    read the result (never modify it)."""
    from insar_geohazards.algorithms.formats.egms import read_egms

    cache = {}

    def _read(name):
        if name not in cache:
            cache[name] = read_egms(os.path.join(DATA, "egms_ustica", name))
        return cache[name]

    return _read


@pytest.fixture(scope="session")
def qgis_app():
    """A headless QGIS with Processing initialised and the ``geohazard`` provider registered."""
    qgis_core = pytest.importorskip("qgis.core", reason="QGIS Python bindings are not installed (run `make test`)")
    app = qgis_core.QgsApplication([], False)
    app.initQgis()
    from processing.core.Processing import Processing

    Processing.initialize()
    from insar_geohazards.plugin import InsarGeohazardsPlugin

    plugin = InsarGeohazardsPlugin(None)
    plugin.initProcessing()
    _SESSION["plugin"] = plugin
    yield app
    plugin.unload()


@pytest.fixture
def session_plugin(qgis_app):
    """The plugin instance whose provider the session registered."""
    return _SESSION["plugin"]


@pytest.fixture
def run_alg(qgis_app):
    """Run ``geohazard:<name>`` with a fresh context and feedback; returns the results dict."""
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    def _run(name, params, feedback=None):
        context = QgsProcessingContext()
        return processing.run(f"geohazard:{name}", params, context=context,
                              feedback=feedback or QgsProcessingFeedback())

    return _run


@pytest.fixture
def project(qgis_app):
    """QGIS's project; the layers a test adds to it are removed after the test."""
    from qgis.core import QgsProject

    proj = QgsProject.instance()
    before = set(proj.mapLayers())
    yield proj
    proj.removeMapLayers([i for i in proj.mapLayers() if i not in before])


@pytest.fixture
def alg(qgis_app):
    """Factory for a registered algorithm instance: ``alg("losvelocitytovertical")``."""
    from qgis.core import QgsApplication

    def _get(name):
        a = QgsApplication.processingRegistry().createAlgorithmById(f"geohazard:{name}")
        assert a is not None, f"geohazard:{name} is not registered"
        return a

    return _get


@pytest.fixture()
def small_blocks(monkeypatch):
    """Force several blocks (and a partial last one) so the block loops are exercised."""
    monkeypatch.setenv("INSAR_GEOHAZARDS_MAX_MEMORY_MB", "0.3")


@pytest.fixture
def cold_kernels(monkeypatch):
    """Every kernel reads as not compiled (neither in this process nor in the cache, no family recorded ready)."""
    pytest.importorskip("numba", reason="numba is not installed: nothing compiles")
    from insar_geohazards.algorithms import _numba, kernel_families

    monkeypatch.setattr(_numba, "kernels_to_compile", lambda modules: ["some.kernel"])
    monkeypatch.setattr(_numba, "first_compilation", lambda modules: True)
    monkeypatch.setattr(kernel_families, "family_ready", lambda family: False)
    monkeypatch.delenv("INSAR_GEOHAZARDS_COMPILE", raising=False)
