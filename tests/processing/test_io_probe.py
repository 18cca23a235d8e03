"""The input probe under threads: ``fileio.base.probe.probe_rasters`` called from several Python threads at once, in a
QGIS process whose message log has a Python slot and whose GDAL error handler is a Python function (a GDAL message
routed to it needs the interpreter's lock, the case that can deadlock), never hangs."""

import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

#: One process: QGIS started (its GDAL/OGR error handlers installed), a Python slot on the message log (a GDAL warning
#: routed to it needs the interpreter's lock), a folder of rasters (valid, all-no-data edges that make the probe search
#: the whole band, a truncated file that makes GDAL report errors), then ROUNDS rounds of THREADS threads that each
#: probe the whole list at the same time. It prints "rounds done N" at the end.
_SCRIPT = textwrap.dedent(r"""
    import os, sys, threading
    sys.path.insert(0, {plugins!r})
    import numpy as np
    from qgis.core import QgsApplication
    app = QgsApplication([], False)
    app.initQgis()
    logged = []
    QgsApplication.messageLog().messageReceived.connect(lambda *a: logged.append(a[0]))
    from osgeo import gdal, osr
    # GDAL's messages to Python, process-wide, as a session whose GDAL handler writes to a log with Python slots
    gdal.SetErrorHandler(lambda level, number, text: logged.append(text))
    from insar_geohazards.algorithms.errors import GeohazardError
    from insar_geohazards.fileio.base import probe

    folder, rounds, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = np.random.default_rng(1)
    paths = []
    for i in range(12):
        p = os.path.join(folder, f"r{{i:02d}}.tif")
        ds = gdal.GetDriverByName("GTiff").Create(p, 64, 48, 1, gdal.GDT_Float32)
        ds.SetGeoTransform((500000.0, 30.0, 0.0, 4200000.0, 0.0, -30.0))
        ds.SetProjection(osr.SRS_WKT_WGS84_LAT_LONG)
        a = rng.normal(size=(48, 64)).astype(np.float32)
        if i % 6 == 0:  # edge rows all no-data: the probe searches the band
            a[0] = a[-1] = np.nan
        ds.GetRasterBand(1).SetNoDataValue(float("nan"))
        ds.GetRasterBand(1).WriteArray(a)
        ds = None
        paths.append(p)
    bad = os.path.join(folder, "truncated.tif")
    with open(paths[1], "rb") as f:
        data = f.read()
    with open(bad, "wb") as f:
        f.write(data[: len(data) // 2])
    opts = {{"complex_ok": False, "multiband_ok": False, "coherence": False}}
    good = [("INTERFEROGRAMS", p, opts) for p in paths]
    failures = []

    def work(k):
        try:
            infos = probe.probe_rasters(good)
            assert len(infos) == len(good) and all(i["valid"] for i in infos)
            try:
                probe.probe_rasters(good[:10] + [("INTERFEROGRAMS", bad, opts)])
                failures.append("the truncated file was accepted")
            except GeohazardError as exc:
                assert "truncated.tif" in str(exc), exc
        except Exception as exc:  # reported by the main thread
            failures.append(repr(exc))

    for r in range(rounds):
        ts = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        if failures:
            print("failures", failures[:3], flush=True)
            sys.exit(1)
    print("rounds done", rounds, flush=True)
    os._exit(0)
""")


def test_probes_from_several_threads_never_hang(tmp_path):
    """200 rounds of 3 threads probing 12 rasters (and a truncated one) each, in a subprocess with a timeout: a
    deadlock between GDAL's locks and the interpreter's lock fails the test instead of hanging the run."""
    pytest.importorskip("qgis.core", reason="QGIS Python bindings are not installed (run `make test`)")
    script = _SCRIPT.format(plugins=os.path.join(ROOT, ".build", "plugins"))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    try:
        out = subprocess.run([sys.executable, "-c", script, str(tmp_path), "200", "3"], capture_output=True,
                             text=True, timeout=600, env=env)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"probing from several threads hung (no end after {exc.timeout} s)")
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "rounds done 200" in out.stdout
