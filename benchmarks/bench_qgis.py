"""QGIS started headless with this plugin's provider registered, for the benchmarks run in QGIS's Python
(the same start as the tests' public-API snapshot: ``tests/public_api.py``), a tool's run measured in that session,
and a tool's local run against an embedded Dask LocalCluster in that session."""

import os
import resource
import statistics
import time

from common import ROOT
from public_api import start_qgis

__all__ = ["ROOT", "local_against_cluster", "measured_run", "start_qgis"]


def _decoded(path):
    if path.endswith(".tif"):
        from osgeo import gdal

        return gdal.Open(path).ReadAsArray().tobytes()
    with open(path, "rb") as f:
        return f.read()


def measured_run(alg, params):
    """``processing.run`` of ``alg`` on ``params`` in this session: its results, its wall seconds, and this process's
    resource usage (``resource.getrusage``) before and after it."""
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    res = processing.run(alg, params, context=QgsProcessingContext(), feedback=QgsProcessingFeedback())
    dt = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return res, dt, ru0, ru


def local_against_cluster(run, repeat):
    """``run(scheduler, tag)`` (it returns the tool's {output: path}) REPEAT times with DASK_SCHEDULER "" (this
    process) and "local" (a LocalCluster the tool starts, its start-up included), alternately: every wall time,
    the medians, the overhead, the 1-minute load before each run, and whether the outputs are the same values."""
    times, loads, results = {"": [], "local": []}, {"": [], "local": []}, {}
    for i in range(repeat):
        for sched in ("", "local"):
            loads[sched].append(round(os.getloadavg()[0], 1))
            t0 = time.perf_counter()
            results[sched] = run(sched, f"{sched or 'here'}{i}")
            times[sched].append(round(time.perf_counter() - t0, 2))
    same = all(_decoded(v) == _decoded(results["local"][k]) for k, v in results[""].items()
               if isinstance(v, str) and os.path.isfile(v))
    med = {k: statistics.median(v) for k, v in times.items()}
    return {"local_s": times[""], "localcluster_s": times["local"], "median_local_s": med[""],
            "median_localcluster_s": med["local"], "overhead_pct": round(100.0 * (med["local"] / med[""] - 1.0), 1),
            "load_1min_local": loads[""], "load_1min_localcluster": loads["local"], "identical": bool(same)}
