"""A tool with numba kernels starts numba in a thread while its inputs are checked: checked in a fresh process
(where numba is not imported yet), a refused run gives the guard's message and leaves no such thread behind,
and a run that computes loads its kernels with numba started, with the same outputs as a run that does not
start numba early."""

import os
import subprocess
import sys

import numpy as np
from testutils import write_geotiff

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

RUN = r"""
import sys, threading
sys.path.insert(0, {plugins!r})
sys.path.insert(0, "/usr/share/qgis/python/plugins")
from qgis.core import QgsApplication, QgsProcessingException
app = QgsApplication([], False)
app.initQgis()
from processing.core.Processing import Processing
Processing.initialize()
import processing
from insar_geohazards.processing_provider import early_kernels
from insar_geohazards.processing_provider.provider import GeohazardProvider
provider = GeohazardProvider()
assert QgsApplication.processingRegistry().addProvider(provider)
started = []
real_start = early_kernels.start
early_kernels.start = lambda kernels: started.append(tuple(kernels)) or (real_start(kernels) if {early} else None)
assert "numba" not in sys.modules
outs = {{k: {out!r} + "/" + k.lower() + ".tif" for k in ("OUTPUT_VELOCITY", "OUTPUT_TIMESERIES")}}
try:
    processing.run("geohazard:sbasinversion", {{"INTERFEROGRAMS": {bad!r}, **outs}})
    print("refused: no")
except QgsProcessingException as exc:
    print("refused:", str(exc).splitlines()[0])
print("threads left:", sum(t.name == "geohazard-kernels" for t in threading.enumerate()))
print("started for:", ",".join(started[0]) if started else "")
processing.run("geohazard:sbasinversion", {{"INTERFEROGRAMS": {good!r}, **outs}})
print("threads left:", sum(t.name == "geohazard-kernels" for t in threading.enumerate()))
"""


def _run(tmp_path, tag, early):
    bad, good = tmp_path / "bad", tmp_path / "good"
    if not bad.exists():
        bad.mkdir()
        write_geotiff(bad / "20200101_20200113_unw.tif", np.ones((4, 4)))
        write_geotiff(bad / "20200113_20200125_unw.tif", np.ones((5, 4)))
        good.mkdir()
        rng = np.random.default_rng(3)
        days = ["20200101", "20200113", "20200125", "20200206", "20200218"]
        for a in range(len(days)):
            for b in range(a + 1, min(a + 3, len(days))):
                write_geotiff(good / f"{days[a]}_{days[b]}_unw.tif", rng.normal(size=(6, 7)))
    out = tmp_path / tag
    out.mkdir()
    code = RUN.format(plugins=os.path.join(ROOT, ".build", "plugins"), bad=str(bad), good=str(good), out=str(out),
                      early=early)
    env = {k: v for k, v in os.environ.items() if k != "INSAR_GEOHAZARDS_DISABLE_NUMBA"}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**env, "PYTHONPATH": ""})
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout.strip().splitlines(), out


def test_numba_started_beside_the_checks_leaves_no_thread_and_same_outputs(tmp_path):
    lines, out = _run(tmp_path, "early", True)
    assert lines[0].startswith("refused: ") and "20200113_20200125_unw.tif has 5 rows x 4 columns" in lines[0], lines
    assert lines[1] == "threads left: 0"
    assert lines[2] == "started for: timeseries.sbas", lines
    assert lines[3] == "threads left: 0"
    lines_late, out_late = _run(tmp_path, "late", False)
    assert lines_late[0] == lines[0]
    for name in ("output_velocity.tif", "output_timeseries.tif"):
        assert (out / name).read_bytes() == (out_late / name).read_bytes(), name
