"""Loading the provider (what every qgis_process call and QGIS start pays) imports no heavy library a tool imports
only when it runs: numba (with llvmlite and scipy's top package), scipy's big subpackages, scikit-learn, h5py,
matplotlib, pyproj, Dask (the fixed cost of every run). The tools import their core modules at their top, kernel
modules included: the numba shim (:mod:`algorithms._numba`) imports numba when a kernel is first needed, so a
run imports numba for its own tool's kernels only."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEAVY = ("numba", "llvmlite", "scipy", "sklearn", "h5py", "matplotlib", "pyproj", "dask", "distributed")

PROBE = r"""
import sys
sys.path.insert(0, {plugins!r})
from insar_geohazards.processing_provider.provider import algorithm_classes
classes = algorithm_classes()
heavy = {heavy!r}
print(len(classes))
print(",".join(sorted(h for h in heavy if any(m == h or m.startswith(h + ".") for m in sys.modules))))
"""

# as QGIS does at start: the provider registered, every tool created with its parameters, the models loaded
PROBE_REGISTRY = r"""
import sys
sys.path.insert(0, {plugins!r})
sys.path.insert(0, "/usr/share/qgis/python/plugins")
from qgis.core import QgsApplication
app = QgsApplication([], False)
app.initQgis()
from insar_geohazards.processing_provider.provider import GeohazardProvider
provider = GeohazardProvider()
assert QgsApplication.processingRegistry().addProvider(provider)
heavy = {heavy!r}
print(len(provider.algorithms()), sum(len(a.parameterDefinitions()) for a in provider.algorithms()))
print(",".join(sorted(h for h in heavy if any(m == h or m.startswith(h + ".") for m in sys.modules))))
"""


def _probe(code):
    plugins = os.path.join(ROOT, ".build", "plugins")
    out = subprocess.run([sys.executable, "-c", code.format(plugins=plugins, heavy=HEAVY)], capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": ""})
    # what the process printed and said, in the failure: a crash (e.g. a signal at QGIS's exit) shows where it was
    assert out.returncode == 0, (f"the probe process ended with {out.returncode}; its output:\n{out.stdout[-2000:]}"
                                 f"\nits errors:\n{out.stderr[-4000:]}")
    return out.stdout.strip().split("\n") + [""]


def test_loading_every_tool_module_imports_no_heavy_library():
    lines = _probe(PROBE)
    assert int(lines[0]) >= 20  # the tool classes were collected
    assert lines[1] == "", f"loading the provider imported {lines[1]}; import them where the tool runs"


def test_registering_the_provider_imports_no_heavy_library():
    lines = _probe(PROBE_REGISTRY)
    n_algs, n_params = (int(v) for v in lines[0].split())
    assert n_algs >= 20 and n_params > 5 * n_algs  # every tool built its parameters
    assert lines[1] == "", f"registering the provider imported {lines[1]}; import them where the tool runs"


def test_lazy_module_imports_at_first_use_and_forwards_writes():
    from insar_geohazards.processing_provider.lazy import LazyModule, LazyText, lazy_module

    name = "insar_geohazards.algorithms.plausibility"
    stand_in = lazy_module(".plausibility", "insar_geohazards.algorithms")
    assert isinstance(stand_in, LazyModule) and "not imported yet" in repr(stand_in)
    module = sys.modules.get(name) or __import__(name, fromlist=["_"])
    assert stand_in.check_scalar is module.check_scalar
    assert "imported" in repr(stand_in) and "not" not in repr(stand_in)
    stand_in.EXTRA_FOR_TEST = 3  # written to the module itself (monkeypatching through the stand-in works)
    try:
        assert module.EXTRA_FOR_TEST == 3
    finally:
        del stand_in.EXTRA_FOR_TEST
    assert not hasattr(module, "EXTRA_FOR_TEST")
    with pytest.raises(AttributeError):
        stand_in.no_such_name  # noqa: B018 - the attribute read is the test

    calls = []

    class Tool:
        HELP = LazyText(lambda: calls.append(1) or "text")

    assert Tool.HELP == "text" and Tool().HELP == "text" and calls == [1]  # built once, on first read


PROBE_ONCE = r"""
import sys
sys.path.insert(0, {plugins!r})
sys.path.insert(0, "/usr/share/qgis/python/plugins")
from qgis.core import QgsApplication, QgsProcessingModelAlgorithm
app = QgsApplication([], False)
app.initQgis()
from insar_geohazards.processing_provider import provider as prov
created = {{"tools": 0, "models": 0}}
real_classes, real_models = prov.algorithm_classes, prov.model_algorithms

def classes():
    out = real_classes()
    created["tools"] += len(out)
    return out

def models():
    out = real_models()
    created["models"] += len(out)
    return out

prov.algorithm_classes, prov.model_algorithms = classes, models
provider = prov.GeohazardProvider()
loaded = []
provider.algorithmsLoaded.connect(lambda: loaded.append(len(provider.algorithms())))
assert QgsApplication.processingRegistry().addProvider(provider)
algs = provider.algorithms()
shipped = [a for a in algs if isinstance(a, QgsProcessingModelAlgorithm)]
orphans = [c.algorithmId() for m in shipped for c in m.childAlgorithms().values() if c.algorithm() is None]
print(len(algs) - len(shipped), len(shipped), created["tools"], created["models"], loaded[-1], len(orphans))
provider.refreshAlgorithms()
print(len(provider.algorithms()))
"""


def test_registering_the_provider_creates_each_tool_and_model_once():
    """QGIS and every qgis_process call pay the creation of every tool (its parameters, its help): once each,
    the shipped models added once the provider is registered, their steps resolved; a later refresh (Processing
    options) still lists every tool and model."""
    lines = _probe(PROBE_ONCE)
    n_tools, n_models, tools_made, models_made, listed, orphans = (int(v) for v in lines[0].split())
    assert n_tools >= 20 and n_models >= 3
    assert tools_made == n_tools, f"{tools_made} tools created for {n_tools}"
    assert models_made == n_models, f"{models_made} models loaded for {n_models}"
    assert listed == n_tools + n_models and orphans == 0
    assert int(lines[1]) == n_tools + n_models
