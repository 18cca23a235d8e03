"""No file, dataset or thread left open by a tool run, whether it ends well or is refused half-way.

A desktop session runs tens of tools in one process (macOS allows 256 open files per process by default). Each run
here goes through ``processing.run`` in this process, as the desktop's Python and the tests do; after it the test
releases what QGIS itself keeps, the way the desktop does (:func:`settle`), then counts ``/proc/self/fd`` and the
threads. What QGIS keeps, and why the test releases it:

* QGIS's OGR connection pool closes a GeoPackage's dataset through ``deleteLater``: the desktop's event loop runs
  that deferred delete, a process without an event loop (a script, a test worker) never does, and keeps one
  descriptor per GeoPackage a layer read (measured: a ``QgsVectorLayer`` made, read and deleted keeps its file open
  until ``QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)``);
* QGIS keeps every exception a Python ``processAlgorithm`` raises (a reference its error handler never gives back),
  and with it the frames of ``processing.run`` that called the tool (``frame.f_back``), which hold the run's
  context and so the layers QGIS loaded for the parameters: the test empties the context's layer store after a run.

Everything the plugin opens itself must be closed by then: a dataset left in a frame of a refused run (the input
probe's, a reader's) shows as a descriptor on a file of the run's folder.
"""

from __future__ import annotations

import gc
import os
import threading

import pytest
import registry
from testutils_hostile import hostile_module

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"),
                                reason="open descriptors are counted from /proc/self/fd (Linux)")

#: Tools run 20 times in a row: a raster tool, a GeoPackage points tool read through GDAL's Arrow stream and
#: written by QGIS's sink, a stack tool with its product reader.
REPEATED = ("losvelocitytovertical", "adaclassification", "sbasinversion")
#: Tools whose refused runs are checked: a raster tool of the block engine, a GeoPackage tool, a stack tool.
REFUSED = ("pcaatmosphere", "landslideactivity", "referencepoint")
#: Descriptors a first run may open for good outside the run's folder: matplotlib's font cache keeps the font file
#: it drew the first chart with (``DejaVuSans.ttf``, a bounded cache of 64 fonts); nothing else was seen opened once
#: for the session across the 50 tools.
ONCE_FDS = 2


def _recipe(tool, tmp):
    family, func = registry.TOOLS[tool].hostile
    os.makedirs(tmp, exist_ok=True)
    recipe = getattr(hostile_module(family), func)
    return recipe(tmp) if family == "unwrap" else recipe(tool, tmp)


def settle():
    """What the desktop's event loop does between two runs: QGIS's deferred deletes run (its OGR connection pool
    closes the GeoPackages of deleted layers that way), garbage collected."""
    from qgis.PyQt.QtCore import QCoreApplication, QEvent

    gc.collect()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


def open_files() -> dict:
    """``{descriptor: what it points at}`` of this process."""
    out = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            out[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the descriptor listdir itself used, closed meanwhile
            pass
    return out


def state():
    settle()
    return {"fds": open_files(), "threads": sorted(t.name for t in threading.enumerate()),
            "native": len(os.listdir("/proc/self/task"))}


def run(tool, params, feedback=None):
    """``processing.run`` with a context of its own, its layer store emptied after (QGIS keeps the context of a
    refused run: the module's docstring); the error, if any, returned as text."""
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingException, QgsProcessingFeedback

    context = QgsProcessingContext()
    try:
        processing.run(f"geohazard:{tool}", params, context=context, feedback=feedback or QgsProcessingFeedback())
        return ""
    except QgsProcessingException as exc:
        return str(exc) or "refused"
    finally:
        context.temporaryLayerStore().removeAllMapLayers()
        del context


def inside(fds: dict, folder) -> list:
    folder = os.path.realpath(str(folder))
    return sorted(p for p in fds.values() if p.startswith(folder + os.sep))


def _pool_threads() -> int:
    """Native threads the libraries' pools may start once for the session and keep: numba's workers
    (``NUMBA_NUM_THREADS``, one per core, plus its launcher) and the BLAS's (OpenBLAS: one per core less one). A pool
    that grows with every run shows in the repeated runs, which must leave exactly what their first run left."""
    cores = os.cpu_count() or 1
    return 2 * cores + 1


def test_every_tool_once_then_some_twenty_times_leave_nothing_open(qgis_app, tmp_path):
    """Every tool of the registry with a small valid run, once, in one process: no descriptor left on a file of
    the runs and at most ONCE_FDS elsewhere, no Python thread left, native threads only the libraries' pools
    (started once). Then REPEATED, 20 runs each: the descriptors and threads are exactly those after their first
    run."""
    tools = [t for t, entry in registry.TOOLS.items() if entry.hostile]
    recipes = {t: _recipe(t, str(tmp_path / t)) for t in tools}
    before = state()
    failed = {t: msg for t in tools if (msg := run(t, recipes[t].params))}
    assert not failed, f"valid runs refused: {failed}"
    after = state()
    assert not inside(after["fds"], tmp_path), f"left open after the runs: {inside(after['fds'], tmp_path)}"
    new = sorted(set(after["fds"].items()) - set(before["fds"].items()))
    assert len(after["fds"]) - len(before["fds"]) <= ONCE_FDS, f"descriptors opened for good: {new}"
    assert after["threads"] == before["threads"], f"Python threads left: {after['threads']} vs {before['threads']}"
    assert after["native"] - before["native"] <= _pool_threads(), "native threads left beyond the pools'"

    for tool in REPEATED:
        first = state()
        for _ in range(20):
            assert not run(tool, recipes[tool].params)
        now = state()
        assert sorted(now["fds"].values()) == sorted(first["fds"].values()), \
            f"{tool}: 20 runs left {sorted(set(now['fds'].values()) - set(first['fds'].values()))} open"
        assert now["threads"] == first["threads"] and now["native"] == first["native"], tool


@pytest.mark.parametrize("tool", REFUSED)
def test_refused_and_canceled_runs_close_what_they_opened(qgis_app, tmp_path, tool):
    """Runs refused half-way (a truncated input, an all-no-data input, no CRS, output = input, a cancel after the
    first progress and one before anything is read) close every dataset and layer they opened: no descriptor left on
    a file of the run's folder, descriptors and threads back to where they were."""
    import testutils_hostile as hk

    recipe = _recipe(tool, str(tmp_path))
    assert not run(tool, recipe.params)  # the first run starts what a session starts once
    before = state()
    inp, outp = recipe.overwrite
    value = recipe.params[inp]
    first = str(value[0] if isinstance(value, list) else value).split("|")[0]
    if os.path.isdir(first):
        first = sorted(os.path.join(first, f) for f in os.listdir(first))[0]
    cases = [(kind, dict(recipe.params, **recipe.spoil(kind, str(tmp_path))[0]), None)
             for kind in ("truncated", "nan", "nocrs")]
    cases += [("output = input", dict(recipe.params, **{outp: first}), None),
              ("cancel", recipe.params, hk.CancelOnProgress(at_once=False)),
              ("cancel at once", recipe.params, hk.CancelOnProgress(at_once=True))]
    refused = []
    for kind, params, feedback in cases:
        message = run(tool, params, feedback)
        if message:
            refused.append(kind)
        left = inside(state()["fds"], tmp_path)
        assert not left, f"{tool}, {kind} ({message[:120]!r}): left open {left}"
    assert len(refused) >= 4, f"{tool}: too few refusals to test ({refused})"
    after = state()
    assert sorted(after["fds"].values()) == sorted(before["fds"].values()), \
        f"{tool}: {sorted(set(after['fds'].values()) - set(before['fds'].values()))} left open"
    assert after["threads"] == before["threads"] and after["native"] == before["native"], tool
