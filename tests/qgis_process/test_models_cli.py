"""Time-series model tools and the shipped model through headless ``qgis_process``.

The refused ORIGIN_DATE takes its ``KEY=value`` strings in this test process's QGIS (testutils_cli.in_app: the
provider's parameter check and run as qgis_process makes them; returncode, messages and errors kept), about 2.7
CPU-s less than a start of qgis_process; the runs whose ``--json`` output and model files are the point start
qgis_process. The models and inverse velocity on the real RADARSAT points read the demo's run
(tests/qgis_process/test_quiet_log_cli.py)."""

import glob
import os

import numpy as np
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


def test_zonalseries_on_the_real_radarsat_points_is_numpys_mean_per_date(qgis_app, tmp_path):
    """Two zones over the Boissano PS points (Monte Mario / Italy zone 1): the mean and count per date equal numpy's
    over the points OGR reads inside each rectangle (the layer's D fields read here directly)."""
    from osgeo import ogr
    from testutils_hostile import write_layer
    from testutils_models import read_layer

    boxes = [(1437500.0, 4886900.0, 1438300.0, 4887600.0), (1438600.0, 4887000.0, 1439400.0, 4887900.0)]
    wkts = [f"POLYGON(({a} {b},{c} {b},{c} {d},{a} {d},{a} {b}))" for a, b, c, d in boxes]
    zones = write_layer(tmp_path / "zones.gpkg", wkts, {"name": ["west", "east"]}, epsg=3003,
                        text_fields=("name",))
    out = in_app("run", "geohazard:zonalseries", "--", f"INPUT={RADARSAT}", f"ZONES={zones}", "ZONE_FIELD=name",
                 "STATISTICS=0", "STATISTICS=3", f"OUTPUT={tmp_path / 'z.csv'}")
    assert out.returncode == 0, out.stderr
    _, rows = read_layer(str(tmp_path / "z.csv"))
    ds = ogr.Open(RADARSAT)
    layer = ds.GetLayer(0)
    fields = [layer.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(layer.GetLayerDefn().GetFieldCount())]
    dated = sorted(f for f in fields if f[:1] == "D" and f[1:].isdigit() and len(f) == 9)
    xy, series = [], []
    for feat in layer:
        g = feat.GetGeometryRef()
        xy.append((g.GetX(), g.GetY()))
        series.append([feat.GetField(f) if feat.GetField(f) is not None else np.nan for f in dated])
    xy, series = np.array(xy), np.array(series, dtype=np.float64)
    for name, (a, b, c, d) in zip(("west", "east"), boxes):
        inside = (xy[:, 0] > a) & (xy[:, 0] < c) & (xy[:, 1] > b) & (xy[:, 1] < d)
        mine = [r for r in rows if r["zone"] == name]
        assert inside.sum() > 20 and len(mine) == len(dated)
        for k, r in enumerate(mine):
            v = series[inside, k]
            v = v[np.isfinite(v)]
            assert int(r["count"]) == v.size
            assert float(r["mean"]) == pytest.approx(np.mean(v), rel=1e-9, abs=1e-9)
