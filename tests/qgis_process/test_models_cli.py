"""Time-series model tools and the shipped model through headless ``qgis_process``.

The refused ORIGIN_DATE takes its ``KEY=value`` strings in this test process's QGIS (testutils_cli.in_app: the
provider's parameter check and run as qgis_process makes them; returncode, messages and errors kept), about 2.7
CPU-s less than a start of qgis_process; the runs whose ``--json`` output and model files are the point start
qgis_process. The models and inverse velocity on the real RADARSAT points read the demo's run
(tests/qgis_process/test_quiet_log_cli.py)."""

import glob
import os

import pytest
from testutils_cli import in_app, listed, qgis_process, requires_qgis_process

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RADARSAT = glob.glob(os.path.join(ROOT, "tests", "data", "radarsat_boissano", "*.shp"))[0]
pytestmark = requires_qgis_process


def test_tools_and_model_are_listed():
    out = listed()
    assert out.returncode == 0, out.stderr
    for alg in ("geohazard:timeseriesmodels", "geohazard:inversevelocity", "geohazard:sbastolandslideactivity"):
        assert alg in out.stdout


def test_bad_input_is_a_clear_error_not_a_traceback(qgis_app, tmp_path):
    out = in_app("run", "geohazard:timeseriesmodels", "--", f"INPUT={RADARSAT}", "MODELS=1",
                       "ORIGIN_DATE=someday", f"OUTPUT={tmp_path / 'o.gpkg'}")
    assert out.returncode != 0
    text = out.stdout + out.stderr
    assert "cannot read a date from 'someday'" in text
    assert "Traceback" not in text
    assert not (tmp_path / "o.gpkg").exists()


def _user_model(path, *, distortion_after_sbas):
    """A model as a user draws it in the modeler: QGIS's own input types (multiple raster layers, a raster layer),
    a stack step (sbasinversion on INTERFEROGRAMS) and a geometricdistortion step on DEM with no heading, which
    the DEM does not carry: the step refuses, asking for it."""
    from qgis.core import QgsProcessing, QgsProcessingParameterMultipleLayers, QgsProcessingParameterRasterLayer
    from testutils_models import drawn_model

    model = drawn_model("user model", [
        QgsProcessingParameterMultipleLayers("INTERFEROGRAMS", "ifgs", QgsProcessing.SourceType.TypeRaster),
        QgsProcessingParameterRasterLayer("DEM", "dem"),
    ], [
        ("sbas", "geohazard:sbasinversion", {"INTERFEROGRAMS": "INTERFEROGRAMS", "MIN_TEMPORAL_COHERENCE": 0},
         {out: (out, "") for out in ("OUTPUT_VELOCITY", "OUTPUT_TIMESERIES")}),
        ("dist", "geohazard:geometricdistortion", {"DEM": "DEM"},
         {out: (out, "") for out in ("OUTPUT_CLASSES", "OUTPUT_RINDEX", "OUTPUT_VISIBILITY", "OUTPUT_TABLE")}),
    ], group="mine", after={"dist": ("sbas",)} if distortion_after_sbas else None)
    assert model.toFile(str(path))
    return str(path)


@pytest.mark.parametrize("after", [True, False])
def test_a_user_model_refused_at_a_step_leaves_nothing_beside_the_inputs(qgis_app, tmp_path, after):
    """qgis_process checks a model's inputs in C++ with GDAL's PAM on: each interferogram loaded as a layer writes
    <file>.aux.xml (its histogram) when the run's layers are closed. A model that ran left none; one refused at a
    step (geometricdistortion asking for its heading) left one beside every input. The inputs' folder after a
    refused run is the one before it."""
    import shutil

    from testutils_products import Truth, licsar_frame

    t = Truth(n_dates=4)
    geoc = licsar_frame(tmp_path / "w", t)
    ifgs = sorted(glob.glob(os.path.join(geoc, "*", "*.geo.unw.tif")))
    dem = os.path.join(geoc, "124D_05291_131313.geo.hgt.tif")
    model = _user_model(tmp_path / "mine.model3", distortion_after_sbas=after)
    before = sorted(os.path.relpath(os.path.join(r, f), geoc) for r, _, fs in os.walk(geoc) for f in fs)
    outs = tmp_path / "outs"
    outs.mkdir()
    args = [f"INTERFEROGRAMS={p}" for p in ifgs] + [f"DEM={dem}"]
    args += [f"sbas:{k}={outs / (k + '.tif')}" for k in ("OUTPUT_VELOCITY", "OUTPUT_TIMESERIES")]
    args += [f"dist:{k}={outs / (k + ext)}" for k, ext in (("OUTPUT_CLASSES", ".tif"), ("OUTPUT_RINDEX", ".tif"),
                                                          ("OUTPUT_VISIBILITY", ".tif"), ("OUTPUT_TABLE", ".csv"))]
    out = qgis_process("run", model, "--", *args)
    text = out.stdout + out.stderr
    assert out.returncode != 0 and "HEADING" in text and "Traceback" not in text, text[-3000:]
    after_run = sorted(os.path.relpath(os.path.join(r, f), geoc) for r, _, fs in os.walk(geoc) for f in fs)
    assert after_run == before, sorted(set(after_run) - set(before))
    shutil.rmtree(outs)
