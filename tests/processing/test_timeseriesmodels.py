"""geohazard:timeseriesmodels — parameters, wrong parameters, synthetic truth, real RADARSAT PS, raster, cancel."""

import datetime as dt
import os

import numpy as np
import pytest
from testutils import write_geotiff
from testutils_models import RADARSAT_SHP, read_layer, write_dated_layer

NAME = "timeseriesmodels"
DATES = [dt.date(2019, 1, 5) + dt.timedelta(days=12 * i) for i in range(60)]
T_YR = np.array([(d - DATES[0]).days for d in DATES]) / 365.25


def test_parameters(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    assert ids == ["INPUT", "INPUT_RASTER", "MODELS", "CRITERION", "ORIGIN_DATE", "PRIMARY_END_DAYS",
                   "BREAKPOINTS", "MIN_DELTA_BIC", "OUTPUT", "OUTPUT_RASTER", "MAX_MEMORY_MB", "DASK_SCHEDULER",
                   "THREADS"]
    # the dialog shows words; the stored indices stay the core's order (models and scripts use them)
    assert a.parameterDefinition("MODELS").options() == [
        "Linear", "Seasonal (linear + annual and semi-annual)", "Quadratic (constant acceleration)",
        "Logarithmic (creep)", "Afterslip", "Secondary consolidation"]
    from insar_geohazards.algorithms.models.timeseriesmodels import MODELS
    assert list(MODELS) == ["linear", "seasonal", "quadratic", "logarithmic", "afterslip", "consolidation"]
    assert a.parameterDefinition("CRITERION").defaultValue() == 2
    assert "log10(1 + tau/tau_c)" in a.shortHelpString()
    assert a.group() == "Time-series models and early warning"


def test_run_synthetic_points_recovers_truth_and_breaks(run_alg, tmp_path):
    rng = np.random.default_rng(0)
    vel = np.array([-12.0, 4.0, -30.0, 0.0])
    d = T_YR[:, None] * vel[None, :] + rng.normal(0, 0.5, (60, 4))
    d[:, 2] += -0.5 * 8.0 * T_YR ** 2  # acceleration -8 mm/yr^2
    d[30:, 3] += 10.0  # a step of +10 mm
    d[5, 0] = np.nan  # a gap
    src = write_dated_layer(tmp_path / "pts.gpkg", DATES, d)
    out = run_alg(NAME, {"INPUT": src, "MODELS": [0, 2], "BREAKPOINTS": True,
                         "OUTPUT": str(tmp_path / "models.gpkg")})["OUTPUT"]
    names, rows = read_layer(out)
    for f in ("CODE", "BEST_MODEL", "RMS_MM", "N_DATES", "LIN_VEL", "LIN_VEL_SD", "QUA_ACC", "BRK_KIND",
              "BRK_DATE", "BRK_STEP", "D20190105"):
        assert f in names
    assert abs(rows[0]["LIN_VEL"] + 12.0) < 4 * rows[0]["LIN_VEL_SD"]
    assert rows[0]["N_DATES"] == 59
    assert rows[2]["BEST_MODEL"] == "quadratic"
    assert abs(rows[2]["QUA_ACC"] + 8.0) < 4 * rows[2]["QUA_ACC_SD"]
    assert rows[3]["BRK_KIND"] == "step"
    assert str(rows[3]["BRK_DATE"]).replace("/", "-").startswith(DATES[30].isoformat())
    assert abs(rows[3]["BRK_STEP"] - 10.0) < 1.0
    assert rows[1]["BRK_KIND"] == "none"
    assert os.path.exists(os.path.splitext(out)[0] + ".qml")


def test_real_radarsat_linear_velocity_matches_the_product(run_alg, tmp_path):
    """The PS product's own VEL (mm/yr) is reproduced by our linear model on its 99 dated fields."""
    out = run_alg(NAME, {"INPUT": RADARSAT_SHP, "MODELS": [0, 1, 2], "OUTPUT": str(tmp_path / "m.gpkg")})["OUTPUT"]
    _, rows = read_layer(out)
    assert len(rows) == 1372
    vel = np.array([r["VEL"] for r in rows])
    ours = np.array([r["LIN_VEL"] for r in rows])
    sd = np.array([r["LIN_VEL_SD"] for r in rows])
    prod_sd = np.array([r["V_STDEV"] for r in rows])
    assert np.max(np.abs(ours - vel)) < 0.011  # product rounded to 0.01 mm/yr
    assert 0.7 < np.median(sd) / np.median(prod_sd) < 1.3
    assert {r["BEST_MODEL"] for r in rows} <= {"linear", "seasonal", "quadratic"}
    assert rows[0]["CODE"] and rows[0]["D20101217"] is not None


def test_egms_bare_date_fields_and_raster(run_alg, tmp_path):
    d = T_YR[:, None] * np.array([[5.0, -5.0]])
    src = write_dated_layer(tmp_path / "egms.gpkg", DATES, d, prefix="")
    out = run_alg(NAME, {"INPUT": src, "MODELS": [0], "OUTPUT": str(tmp_path / "o.gpkg")})["OUTPUT"]
    _, rows = read_layer(out)
    np.testing.assert_allclose([r["LIN_VEL"] for r in rows], [5.0, -5.0], atol=1e-6)
    ada = write_dated_layer(tmp_path / "ada.gpkg", DATES, d, polygons=True)
    out = run_alg(NAME, {"INPUT": ada, "MODELS": [0], "OUTPUT": str(tmp_path / "ada_models.gpkg")})["OUTPUT"]
    from osgeo import ogr

    ds_ada = ogr.Open(out)
    assert ds_ada.GetLayer(0).GetGeomType() == ogr.wkbPolygon
    assert ds_ada.GetLayer(0).GetFeatureCount() == 2
    cube = (T_YR[:, None, None] * np.array([[[-10.0, 3.0], [0.0, 7.0]]])).astype(np.float32)
    cube[:, 1, 0] = np.nan
    tif = write_geotiff(tmp_path / "ts.tif", cube, descriptions=[x.isoformat() for x in DATES])
    res = run_alg(NAME, {"INPUT_RASTER": tif, "MODELS": [0, 2], "OUTPUT_RASTER": str(tmp_path / "p.tif")})

    from osgeo import gdal

    ds = gdal.Open(res["OUTPUT_RASTER"])
    names = [ds.GetRasterBand(i + 1).GetDescription() for i in range(ds.RasterCount)]
    assert names[:4] == ["BEST_MODEL", "RMS_MM", "LIN_VEL", "LIN_VEL_SD"]
    lin = ds.GetRasterBand(3).ReadAsArray()
    np.testing.assert_allclose(lin[[0, 0, 1], [0, 1, 1]], [-10.0, 3.0, 7.0], atol=1e-3)
    assert np.isnan(lin[1, 0])
    assert ds.GetGeoTransform() == (500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0)
    assert "1=linear" in ds.GetMetadataItem("BEST_MODEL_CODES")


def test_wrong_parameters_give_clear_messages_and_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    out = tmp_path / "out.gpkg"
    pts = write_dated_layer(tmp_path / "p.gpkg", DATES[:4], np.zeros((4, 2)))
    msg = "seasonal model has 6 parameters and needs at least 7 dates, got 4"
    with pytest.raises(QgsProcessingException, match=msg):
        run_alg(NAME, {"INPUT": pts, "MODELS": [1], "OUTPUT": str(out)})
    with pytest.raises(QgsProcessingException, match=r"\(INPUT\) or .* \(INPUT_RASTER\) is needed"):
        run_alg(NAME, {"OUTPUT": str(out)})
    no_dates = write_dated_layer(tmp_path / "nd.gpkg", [], np.zeros((0, 2)), extra={"VEL": [1.0, 2.0]})
    with pytest.raises(QgsProcessingException, match="no numeric dated displacement fields.*CODE, VEL"):
        run_alg(NAME, {"INPUT": no_dates, "OUTPUT": str(out)})
    plain = write_geotiff(tmp_path / "plain.tif", np.zeros((3, 4, 4)))
    with pytest.raises(QgsProcessingException, match="band 1 description '' is not a date"):
        run_alg(NAME, {"INPUT_RASTER": plain, "OUTPUT_RASTER": str(tmp_path / "r.tif")})
    shuffled = write_geotiff(tmp_path / "sh.tif", np.zeros((3, 4, 4)),
                             descriptions=["2020-01-01", "2020-02-01", "2020-01-15"])
    with pytest.raises(QgsProcessingException, match="strictly increasing, but 2020-01-15 follows 2020-02-01"):
        run_alg(NAME, {"INPUT_RASTER": shuffled, "OUTPUT_RASTER": str(tmp_path / "r.tif")})
    with pytest.raises(QgsProcessingException, match="cannot read a date from 'June'"):
        run_alg(NAME, {"INPUT": pts, "ORIGIN_DATE": "June", "OUTPUT": str(out)})
    assert not out.exists() and not (tmp_path / "r.tif").exists()
    assert not list(tmp_path.glob("*.part*"))


def test_cancel_leaves_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    cube = np.zeros((8, 300, 20), np.float32)
    tif = write_geotiff(tmp_path / "ts.tif", cube, descriptions=[x.isoformat() for x in DATES[:8]])
    feedback = QgsProcessingFeedback()
    feedback.cancel()
    out = tmp_path / "o.tif"
    with pytest.raises(QgsProcessingException, match="Canceled"):
        run_alg(NAME, {"INPUT_RASTER": tif, "OUTPUT_RASTER": str(out)}, feedback=feedback)
    assert not out.exists()
    assert not list(tmp_path.glob("*.part*"))
