"""geohazard:comparelayers — parameters and help; raster against raster (same grid and resampled), points against
points, raster against points and along a swath, each statistic checked against scipy.stats; the chart; units and
components that differ refused with a message."""

import numpy as np
import pytest
import testutils_hostile as hk
from osgeo import gdal, ogr
from scipy import stats as st
from testutils import write_geotiff

NAME = "comparelayers"
E0, N0 = 500000.0, 4100000.0
GT = (E0, 30.0, 0.0, N0, 0.0, -30.0)


def grids(tmp_path, *, meta_in=None, meta_ref=None, shape=(40, 50), seed=0):
    rng = np.random.default_rng(seed)
    truth = rng.normal(-6.0, 4.0, shape)
    ref = truth + rng.normal(0, 0.8, shape)
    inp = 0.9 * truth - 1.5 + rng.normal(0, 1.2, shape)
    inp[5:8, 5:9] = np.nan
    mi = {"UNIT": "mm/yr", "COMPONENT": "LOS"} if meta_in is None else meta_in
    mr = {"UNIT": "mm/yr", "COMPONENT": "LOS"} if meta_ref is None else meta_ref
    a = write_geotiff(tmp_path / "insar.tif", inp, geotransform=GT, metadata=mi)
    b = write_geotiff(tmp_path / "model.tif", ref, geotransform=GT, metadata=mr)
    return str(a), str(b), inp.astype(np.float32).astype(float), ref.astype(np.float32).astype(float)


def table(path):
    ds = ogr.Open(str(path))
    return {f["statistic"]: f["value"] for f in ds.GetLayer(0)}


def check_against_scipy(t, a, b):
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    d = a - b
    assert t["n"] == ok.sum()
    assert t["bias"] == pytest.approx(d.mean(), rel=1e-9) and t["rmse"] == pytest.approx(np.sqrt((d ** 2).mean()))
    assert t["pearson_r"] == pytest.approx(st.pearsonr(a, b)[0], rel=1e-9)
    assert t["t_test_p"] == pytest.approx(st.ttest_rel(a, b).pvalue, rel=1e-6, abs=1e-300)
    assert t["wilcoxon_p"] == pytest.approx(st.wilcoxon(a, b).pvalue, rel=1e-6, abs=1e-300)


def test_parameters_and_help(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    for pid in ("INPUT", "FIELD", "REFERENCE", "REFERENCE_FIELD", "MAX_DISTANCE_M", "LINE", "WIDTH", "STEP",
                "OUTPUT", "OUTPUT_RASTER", "OUTPUT_TABLE", "OUTPUT_CHART"):
        assert pid in ids
    assert {o.name() for o in a.outputDefinitions()} >= {"BIAS", "RMSE", "R", "N"}
    text = a.shortHelpString()
    assert text.startswith("Compares a layer with a reference of the same quantity")
    assert "INPUT minus REFERENCE" in text and "the bias included" in text and a.group() == "Hazard maps"


def test_rasters_on_one_grid(run_alg, tmp_path):
    a, b, inp, ref = grids(tmp_path)
    res = run_alg(NAME, {"INPUT": a, "REFERENCE": b, "OUTPUT_RASTER": str(tmp_path / "d.tif"),
                         "OUTPUT_TABLE": str(tmp_path / "t.gpkg"), "OUTPUT_CHART": str(tmp_path / "c.png")})
    t = table(res["OUTPUT_TABLE"])
    check_against_scipy(t, inp, ref)
    assert res["BIAS"] == pytest.approx(t["bias"]) and res["N"] == t["n"] and res["R"] == pytest.approx(t["pearson_r"])
    ds = gdal.Open(res["OUTPUT_RASTER"])
    diff = ds.ReadAsArray()
    assert np.allclose(diff, inp - ref, atol=1e-5, equal_nan=True) and ds.GetGeoTransform() == GT
    ds = None
    pytest.importorskip("matplotlib", reason="matplotlib is not installed: no chart")
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"


def test_reference_on_another_grid_is_resampled(run_alg, tmp_path):
    x = E0 + (np.arange(50) + 0.5) * 30.0
    y = N0 - (np.arange(40) + 0.5) * 30.0
    xx, yy = np.meshgrid(x, y)
    plane = lambda u, v: 0.01 * (u - E0) - 0.02 * (N0 - v) + 3.0  # noqa: E731 - a plane: bilinear is exact
    a = write_geotiff(tmp_path / "a.tif", plane(xx, yy) + 1.0, geotransform=GT)
    fine = (E0 - 300.0, 10.0, 0.0, N0 + 300.0, 0.0, -10.0)
    fx = fine[0] + (np.arange(220) + 0.5) * 10.0
    fy = fine[3] - (np.arange(190) + 0.5) * 10.0
    b = write_geotiff(tmp_path / "b.tif", plane(*np.meshgrid(fx, fy)), geotransform=fine)
    res = run_alg(NAME, {"INPUT": str(a), "REFERENCE": str(b), "OUTPUT_TABLE": str(tmp_path / "t.gpkg")})
    t = table(res["OUTPUT_TABLE"])
    assert t["n"] == 2000 and t["bias"] == pytest.approx(1.0, abs=1e-4) and t["nmad"] < 1e-3


def test_points_against_points_pair_the_nearest(run_alg, tmp_path):
    rng = np.random.default_rng(7)
    xi, yi = E0 + rng.uniform(0, 2000, 120), N0 + rng.uniform(0, 2000, 120)
    xr, yr = xi + rng.normal(0, 10, 120), yi + rng.normal(0, 10, 120)
    xr[:10] += 500.0  # ten levelling benchmarks far from any PS
    vi, vr = rng.normal(-5, 3, 120), rng.normal(-5, 3, 120)
    ps = hk.write_layer(tmp_path / "ps.gpkg", [f"POINT({a} {b})" for a, b in zip(xi, yi)], {"VEL": list(vi)})
    lev = hk.write_layer(tmp_path / "lev.gpkg", [f"POINT({a} {b})" for a, b in zip(xr, yr)], {"VEL": list(vr)})
    res = run_alg(NAME, {"INPUT": ps, "FIELD": "VEL", "REFERENCE": lev, "REFERENCE_FIELD": "VEL",
                         "MAX_DISTANCE_M": 60.0, "OUTPUT": str(tmp_path / "p.gpkg"),
                         "OUTPUT_TABLE": str(tmp_path / "t.gpkg")})
    d = np.hypot(xi[:, None] - xr[None], yi[:, None] - yr[None])
    j = d.argmin(axis=1)
    ref = np.where(d.min(axis=1) <= 60.0, vr[j], np.nan)
    check_against_scipy(table(res["OUTPUT_TABLE"]), vi, ref)
    ds = ogr.Open(res["OUTPUT"])
    got = np.array([f["reference"] if f["reference"] is not None else np.nan for f in ds.GetLayer(0)], float)
    assert np.allclose(got, ref, equal_nan=True)


def test_raster_against_points_and_along_a_swath(run_alg, tmp_path):
    a, b, inp, ref = grids(tmp_path)
    rows, cols = np.array([3, 10, 20, 30, 35, 12, 25]), np.array([4, 10, 40, 2, 47, 30, 18])
    x, y = E0 + (cols + 0.5) * 30.0, N0 - (rows + 0.5) * 30.0
    lev = hk.write_layer(tmp_path / "lev.gpkg", [f"POINT({u} {v})" for u, v in zip(x, y)],
                         {"VEL": list(ref[rows, cols])})
    res = run_alg(NAME, {"INPUT": a, "REFERENCE": lev, "REFERENCE_FIELD": "VEL", "OUTPUT": str(tmp_path / "p.gpkg"),
                         "OUTPUT_TABLE": str(tmp_path / "t.gpkg")})
    check_against_scipy(table(res["OUTPUT_TABLE"]), inp[rows, cols], ref[rows, cols])
    line = hk.line_layer(tmp_path / "line.gpkg", [[(E0 + 15.0, N0 - 600.0), (E0 + 1485.0, N0 - 600.0)]])
    res = run_alg(NAME, {"INPUT": a, "REFERENCE": b, "LINE": line, "WIDTH": 200.0, "STEP": 150.0,
                         "OUTPUT": str(tmp_path / "s.gpkg"), "OUTPUT_TABLE": str(tmp_path / "ts.gpkg")})
    ds = ogr.Open(res["OUTPUT"])
    feats = list(ds.GetLayer(0))
    assert len(feats) == 10  # 1470 m in bins of 150 m
    # bin 0: the pixels whose centres lie within 100 m of the line and in its first 150 m, averaged separately
    xx, yy = np.meshgrid(E0 + (np.arange(50) + 0.5) * 30.0, N0 - (np.arange(40) + 0.5) * 30.0)
    sel = (np.abs(yy - (N0 - 600.0)) <= 100.0) & (xx - (E0 + 15.0) >= 0) & (xx - (E0 + 15.0) < 150.0)
    assert feats[0]["input"] == pytest.approx(np.nanmean(inp[sel]), rel=1e-6)
    assert feats[0]["reference"] == pytest.approx(np.nanmean(ref[sel]), rel=1e-6)
    assert table(res["OUTPUT_TABLE"])["n"] == 10


def test_other_quantities_and_components_are_refused(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    a, b, _, _ = grids(tmp_path, meta_ref={"UNIT": "mm", "COMPONENT": "LOS"})
    out = {"OUTPUT_TABLE": str(tmp_path / "t.gpkg")}
    with pytest.raises(QgsProcessingException, match="a velocity against a displacement"):
        run_alg(NAME, dict(out, INPUT=a, REFERENCE=b))
    (tmp_path / "v").mkdir()
    a, b, _, _ = grids(tmp_path / "v", meta_ref={"UNIT": "mm/yr", "COMPONENT": "VERTICAL"})
    with pytest.raises(QgsProcessingException, match="LOS against VERTICAL.*losvelocitytovertical"):
        run_alg(NAME, dict(out, INPUT=a, REFERENCE=b))
    assert not (tmp_path / "t.gpkg").exists()
    pts = hk.write_layer(tmp_path / "p.gpkg", [f"POINT({E0 + 100} {N0 - 100})"], {"VEL": [1.0]})
    with pytest.raises(QgsProcessingException, match="REFERENCE_FIELD"):
        run_alg(NAME, dict(out, INPUT=a, REFERENCE=pts))


def test_in_a_drawn_model_mining_in_time_against_the_final_basin_then_strain(run_alg, tmp_path):
    """A user's model: miningsubsidence forward (the final basin) and MODE 2 (its forecast 80 years after the end
    of extraction, c typed) compared by comparelayers: the forecast is the final basin, bias and RMSE ~0; then
    strainrate as a model step on two velocity rasters."""
    import processing
    from qgis.core import (
        QgsProcessing,
        QgsProcessingContext,
        QgsProcessingFeedback,
        QgsProcessingParameterExtent,
        QgsProcessingParameterFeatureSource,
        QgsProcessingParameterRasterLayer,
        QgsProcessingParameterString,
    )
    from testutils_models import build_models_module, drawn_model

    plan = hk.polygon_layer(tmp_path / "plan.gpkg", [f"POLYGON(({E0} {N0},{E0 + 600} {N0},{E0 + 600} {N0 + 240},"
                                                     f"{E0} {N0 + 240},{E0} {N0}))"],
                            fields={"DEPTH_M": [300.0], "THICKNESS_M": [3.0]})
    ext = f"{E0 - 600},{E0 + 1200},{N0 - 600},{N0 + 840} [EPSG:32633]"
    model = drawn_model("mine in time", [
        QgsProcessingParameterFeatureSource("PLAN", "plan", [QgsProcessing.SourceType.TypeVectorPolygon]),
        QgsProcessingParameterExtent("EXT", "extent"), QgsProcessingParameterString("END", "end of extraction"),
        QgsProcessingParameterString("WHEN", "forecast dates"),
    ], [
        ("final", "geohazard:miningsubsidence", {"PANELS": "PLAN", "EXTENT": "EXT", "PIXEL_SIZE": 30.0}, {}),
        ("time", "geohazard:miningsubsidence", {"MODE": 2, "PANELS": "PLAN", "EXTENT": "EXT", "PIXEL_SIZE": 30.0,
                                                "TIME_FACTOR": 1.2, "END_DATE": "END", "FORECAST_DATES": "WHEN"}, {}),
        ("cmp", "geohazard:comparelayers", {"INPUT": ("time", "OUTPUT_VERTICAL"),
                                            "REFERENCE": ("final", "OUTPUT_VERTICAL")},
         {"STATS": ("OUTPUT_TABLE", "statistics")}),
    ])
    model = build_models_module().pin_output_names(model)
    out = processing.run(model, {"PLAN": plan, "EXT": ext, "END": "2020-01-01", "WHEN": "2100-01-01",
                                 "cmp:STATS": str(tmp_path / "stats.gpkg")},
                         context=QgsProcessingContext(), feedback=QgsProcessingFeedback())
    t = table(out["cmp:STATS"])
    assert t["n"] == 60 * 48 and abs(t["bias"]) < 1e-3 and t["rmse"] < 1e-3 and t["pearson_r"] > 0.999999
    xx, yy = np.meshgrid(np.arange(30) * 100.0, -np.arange(20) * 100.0)
    e = write_geotiff(tmp_path / "ve.tif", 2e-5 * xx, geotransform=(E0, 100.0, 0.0, N0, 0.0, -100.0),
                      metadata={"UNIT": "mm/yr"})
    n = write_geotiff(tmp_path / "vn.tif", 1e-5 * xx, geotransform=(E0, 100.0, 0.0, N0, 0.0, -100.0),
                      metadata={"UNIT": "mm/yr"})
    strain = drawn_model("strain", [QgsProcessingParameterRasterLayer("E", "east"),
                                    QgsProcessingParameterRasterLayer("N", "north")],
                         [("s", "geohazard:strainrate", {"INPUT_EAST": "E", "INPUT_NORTH": "N", "SMOOTHING_M": 200.0},
                           {"ROT": ("OUTPUT_ROTATION", "rotation")})])
    strain = build_models_module().pin_output_names(strain)
    out = processing.run(strain, {"E": str(e), "N": str(n), "s:ROT": str(tmp_path / "rot.tif")},
                         context=QgsProcessingContext(), feedback=QgsProcessingFeedback())
    ds = gdal.Open(out["s:ROT"])
    assert np.allclose(ds.ReadAsArray(), 5.0, atol=1e-3)  # (dvn/dx - dve/dy) / 2 = 1e-5 / 2 per m = 5 nrad/yr
