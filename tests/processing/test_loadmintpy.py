"""geohazard:loadmintpy — MintPy results as layers: a dated time series in mm the dock reads, points the ADA, model
and forecast tools take, masks, wrong inputs refused with nothing written.

Sample files as MintPy writes them (tests/testutils_mintpy.py cites MintPy's code). Expected grid: MintPy's
save_gdal.py geotransform (X_FIRST, X_STEP, 0, Y_FIRST, 0, Y_STEP) and EPSG; units m -> mm and m/year -> mm/yr
(objects/stack.py DSET_UNIT_DICT); the points' VEL of a series: the least-squares line, as MintPy's
timeseries2velocity.py (polynomial of degree 1) computes it.
"""

import os

import numpy as np
import pytest
import testutils_mintpy as tm
from testutils import read_bands, recording_feedback

pytest.importorskip("h5py", reason="h5py is not installed")
NAME = "loadmintpy"


def test_parameters(alg):
    a = alg(NAME)
    assert [p.name() for p in a.parameterDefinitions()] == ["INPUT", "DATASET", "MASK", "OUTPUT", "OUTPUT_POINTS"]
    text = a.shortHelpString()
    for word in ("timeseries.h5", "velocity.h5", "geometryGeo.h5", "maskTempCoh.h5", "mm/yr", "REF_Y/REF_X",
                 "toward the satellite", "doi:10.1016/j.cageo.2019.104331", "radar coordinates"):
        assert word in text, word
    assert a.group() == "Import and formats"


def test_timeseries_as_a_dated_layer_and_masked_points(run_alg, tmp_path, qgis_app):
    from qgis.core import QgsRasterLayer

    from insar_geohazards.ui.timeseries_data import is_timeseries_raster

    days, ts_m, _ = tm.scene(rows=20, cols=24, n=8)
    src = tm.write_timeseries(tmp_path / "timeseries.h5", ts_m, days)
    mask = np.ones((20, 24), bool)
    mask[:, :3] = False
    msk = tm.write_mask(tmp_path / "maskTempCoh.h5", mask)
    fb = recording_feedback()
    res = run_alg(NAME, {"INPUT": src, "MASK": msk, "OUTPUT": str(tmp_path / "ts.tif"),
                         "OUTPUT_POINTS": str(tmp_path / "pts.gpkg")}, fb)
    arr, ds = read_bands(res["OUTPUT"])
    assert [ds.GetRasterBand(i + 1).GetDescription() for i in range(8)] == [d.isoformat() for d in days]
    assert ds.GetGeoTransform() == (400000.0, 100.0, 0.0, 3950000.0, 0.0, -100.0)
    assert ds.GetMetadataItem("UNIT") == "mm" and ds.GetMetadataItem("REFERENCE_ROW") == "2"
    expected = np.where(mask[None], ts_m.astype(np.float64) * 1000.0, np.nan)
    np.testing.assert_allclose(arr, expected, rtol=1e-6, atol=1e-6, equal_nan=True)
    assert is_timeseries_raster(QgsRasterLayer(res["OUTPUT"], "ts", "gdal")), "the dock takes it"
    assert "values converted from m (MintPy) to mm (x 1000)" in fb.text
    from osgeo import ogr

    ds_pts = ogr.Open(res["OUTPUT_POINTS"])
    lyr = ds_pts.GetLayer(0)
    assert lyr.GetFeatureCount() == int(mask.sum())
    names = [lyr.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(lyr.GetLayerDefn().GetFieldCount())]
    assert names[:3] == ["PID", "VEL", "V_STDEV"] and names[3:] == [f"D{d:%Y%m%d}" for d in days]
    years = np.array([(d - days[0]).days / 365.25 for d in days])
    f = next(iter(lyr))
    x, y = f.GetGeometryRef().GetX(), f.GetGeometryRef().GetY()
    r, c = int((3950000.0 - y) // 100), int((x - 400000.0) // 100)
    assert (x - 400000.0) % 100 == 50.0, "points at pixel centres"
    series = ts_m[:, r, c].astype(np.float64) * 1000.0
    assert f.GetField("VEL") == pytest.approx(np.polyfit(years, series, 1)[0], rel=1e-6, abs=1e-6)
    assert [f.GetField(f"D{d:%Y%m%d}") for d in days] == pytest.approx(series, rel=1e-6, abs=1e-6)


def test_velocity_points_feed_ada_detection(run_alg, tmp_path):
    days, _, vel = tm.scene(rows=40, cols=40)
    src = tm.write_velocity(tmp_path / "velocity.h5", vel, days)
    res = run_alg(NAME, {"INPUT": src, "OUTPUT": str(tmp_path / "v.tif"), "OUTPUT_POINTS": str(tmp_path / "p.gpkg")})
    from osgeo import ogr

    ds_pts = ogr.Open(res["OUTPUT_POINTS"])
    f = next(iter(ds_pts.GetLayer(0)))
    assert f.GetField("V_STDEV") == pytest.approx(0.5, rel=1e-5)  # velocityStd 0.0005 m/year
    ada = run_alg("adadetection", {"INPUT": res["OUTPUT_POINTS"], "THRESHOLD": 5.0,
                                   "OUTPUT": str(tmp_path / "ada.gpkg")})["OUTPUT"]
    ds_ada = ogr.Open(ada)
    areas = list(ds_ada.GetLayer(0))
    assert len(areas) == 1, "one subsiding bowl"
    assert areas[0].GetField("median_vel") < -10.0


@pytest.mark.parametrize("maker, params, message", [
    (lambda p: tm.write_geometry(p / "geometryRadar.h5", (8, 9), geo=None), {}, "radar coordinates"),
    (lambda p: tm.write_geometry(p / "geometryGeo.h5", (8, 9)), {}, "name the dataset"),
    (lambda p: tm.write_geometry(p / "geometryGeo.h5", (8, 9)), {"DATASET": "nope"}, "no dataset 'nope'"),
    (lambda p: tm.write_geometry(p / "geometryGeo.h5", (8, 9)), {"DATASET": "height", "OUTPUT_POINTS": "pts.gpkg"},
     "points are made of a time series or a velocity"),
])
def test_wrong_inputs_are_named_and_nothing_is_written(run_alg, tmp_path, maker, params, message):
    from qgis.core import QgsProcessingException

    extra = {k: (str(tmp_path / v) if k == "OUTPUT_POINTS" else v) for k, v in params.items()}
    with pytest.raises(QgsProcessingException, match=message):
        run_alg(NAME, {"INPUT": maker(tmp_path), "OUTPUT": str(tmp_path / "o.tif"), **extra})
    assert not os.path.exists(tmp_path / "o.tif") and not os.path.exists(tmp_path / "pts.gpkg")


def test_geometry_dataset_by_name(run_alg, tmp_path):
    src = tm.write_geometry(tmp_path / "geometryGeo.h5", (8, 9))
    res = run_alg(NAME, {"INPUT": src, "DATASET": "incidenceAngle", "OUTPUT": str(tmp_path / "inc.tif")})
    arr, ds = read_bands(res["OUTPUT"])
    np.testing.assert_allclose(arr[0], 33.0 + 0.01 * np.arange(9)[None, :] + 0 * np.arange(8)[:, None], rtol=1e-6)
    assert ds.GetMetadataItem("ANGLE_CONTENT") == "incidence_deg" and ds.GetMetadataItem("UNIT") == "deg"


def test_series_points_feed_the_forecast_and_the_models(run_alg, tmp_path):
    """The points' DYYYYMMDD fields (mm) are what inversevelocity and timeseriesmodels read."""
    days, ts_m, _ = tm.scene(rows=8, cols=9, n=12)
    src = tm.write_timeseries(tmp_path / "timeseries.h5", ts_m, days)
    pts = run_alg(NAME, {"INPUT": src, "OUTPUT": str(tmp_path / "ts.tif"),
                         "OUTPUT_POINTS": str(tmp_path / "p.gpkg")})["OUTPUT_POINTS"]
    fc = run_alg("inversevelocity", {"INPUT": pts, "OUTPUT": str(tmp_path / "fc.gpkg")})["OUTPUT"]
    models = run_alg("timeseriesmodels", {"INPUT": pts, "MODELS": [0], "OUTPUT": str(tmp_path / "m.gpkg")})["OUTPUT"]
    from osgeo import ogr

    ds_fc, ds_m = ogr.Open(fc), ogr.Open(models)
    assert ds_fc.GetLayer(0).GetFeatureCount() == 8 * 9 and ds_m.GetLayer(0).GetFeatureCount() == 8 * 9
    years = np.array([(d - days[0]).days / 365.25 for d in days])
    f = next(iter(ds_m.GetLayer(0)))
    pid = f.GetField("PID")
    r, c = divmod(pid - 1, 9)
    assert f.GetField("LIN_VEL") == pytest.approx(np.polyfit(years, ts_m[:, r, c] * 1000.0, 1)[0], abs=1e-3)
