"""geohazard:landslide3d, validateinsar, triggercorrelation — parameters, wrong input, synthetic and EGMS runs."""

import datetime as dt
import os

import numpy as np
import pytest
from testutils import write_geotiff

from insar_geohazards.algorithms.geometry.los import los_unit_vector
from insar_geohazards.algorithms.kinematics import motion3d as m3


def _table(path):
    import csv

    with open(path, newline="") as fh:
        return {r["station"]: r for r in csv.DictReader(fh)}


def _read(path):
    from osgeo import gdal

    ds = gdal.Open(path)
    arr = ds.ReadAsArray().reshape(ds.RasterCount, ds.RasterYSize, ds.RasterXSize)
    desc = [ds.GetRasterBand(i + 1).GetDescription() for i in range(ds.RasterCount)]
    return arr, desc


def _slide(tmp_path, n=24):
    """A tilted plane (slope 20 deg, aspect 160 deg) sliding downslope at 40 mm/yr, seen asc/desc + azimuth."""
    yy, xx = np.mgrid[0:n, 0:n] * 30.0
    s, a = np.radians(20.0), np.radians(160.0)
    dem = 1000.0 - np.tan(s) * (np.sin(a) * xx - np.cos(a) * yy)  # x east, rows go south
    v = 40.0
    truth = np.array([v * np.cos(s) * np.sin(a), v * np.cos(s) * np.cos(a), -v * np.sin(s)])
    asc, desc, az = los_unit_vector(39.0, -12.0), los_unit_vector(34.0, 192.0), m3.azimuth_unit_vector(-12.0)
    paths = {}
    for name, vec in (("asc", asc), ("desc", desc), ("az", az)):
        paths[name] = write_geotiff(tmp_path / f"{name}.tif", np.full((n, n), float(np.dot(vec, truth))))
    paths["dem"] = write_geotiff(tmp_path / "dem.tif", dem)
    return paths, truth


def test_parameters(alg):
    a, b, c = alg("landslide3d"), alg("validateinsar"), alg("triggercorrelation")
    ids = [p.name() for p in a.parameterDefinitions()]
    assert ids[:4] == ["RASTERS", "POINT_LAYERS", "GEOMETRIES", "DEM"] and "OUTPUT_QUALITY" in ids
    assert "STATIONS_CSV" in [p.name() for p in b.parameterDefinitions()]
    assert "DRIVER_CSV" in [p.name() for p in c.parameterDefinitions()]
    assert "doi:10.1109/JSTARS.2022.3171517" in b.shortHelpString()


def test_landslide3d_rasters_with_dem_and_with_azimuth(run_alg, tmp_path):
    p, truth = _slide(tmp_path)
    out = {"OUTPUT": str(tmp_path / "v.tif"), "OUTPUT_QUALITY": str(tmp_path / "q.tif")}
    res = run_alg("landslide3d", {"RASTERS": [p["asc"], p["desc"]], "GEOMETRIES": "-12,39,1;192,34,1",
                                  "DEM": p["dem"], **out})
    v, desc = _read(res["OUTPUT"])
    q, _ = _read(res["OUTPUT_QUALITY"])
    inner = (slice(None), slice(1, -1), slice(1, -1))  # the DEM slope is undefined on the edge
    np.testing.assert_allclose(v[inner], truth[:, None, None] * np.ones(v[inner].shape), atol=1e-3)
    assert np.all(q[4][1:-1, 1:-1] == m3.FLAG_CONSTRAINED) and desc[0].startswith("east")
    # azimuth offsets resolve north without a DEM
    out2 = {"OUTPUT": str(tmp_path / "v2.tif"), "OUTPUT_QUALITY": str(tmp_path / "q2.tif")}
    res = run_alg("landslide3d", {"RASTERS": [p["asc"], p["desc"], p["az"]], "GEOMETRIES": "-12,39;192,34;az,-12",
                                  "METHOD": 1, **out2})
    v, _ = _read(res["OUTPUT"])
    np.testing.assert_allclose(v, truth[:, None, None] * np.ones(v.shape), atol=1e-3)


def test_landslide3d_quality_with_empty_sigmas_is_not_called_empty(run_alg, tmp_path):
    """Two geometries without sigmas and the DEM constraint: no redundancy, so the sigma bands are NoData while the
    condition and flag bands hold data; no "every pixel is NoData" warning about OUTPUT_QUALITY."""
    from testutils import recording_feedback

    p, _ = _slide(tmp_path)
    fb = recording_feedback()
    res = run_alg("landslide3d", {"RASTERS": [p["asc"], p["desc"]], "GEOMETRIES": "-12,39;192,34", "DEM": p["dem"],
                                  "OUTPUT": str(tmp_path / "v.tif"), "OUTPUT_QUALITY": str(tmp_path / "q.tif")},
                  feedback=fb)
    q, _ = _read(res["OUTPUT_QUALITY"])
    assert not np.isfinite(q[0]).any() and np.isfinite(q[4]).all()
    assert not any("NoData" in w for w in fb.warnings), fb.warnings


def test_landslide3d_wrong_input(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    p, _ = _slide(tmp_path, n=8)
    out = {"OUTPUT": str(tmp_path / "v.tif"), "OUTPUT_QUALITY": str(tmp_path / "q.tif")}
    with pytest.raises(QgsProcessingException, match="rank-deficient.*DEM"):
        run_alg("landslide3d", {"RASTERS": [p["asc"], p["desc"]], "GEOMETRIES": "-12,39;192,34", **out})
    with pytest.raises(QgsProcessingException, match="GEOMETRIES has 1 entries for 2 inputs"):
        run_alg("landslide3d", {"RASTERS": [p["asc"], p["desc"]], "GEOMETRIES": "-12,39", "DEM": p["dem"], **out})
    assert not os.path.exists(out["OUTPUT"])


def test_landslide3d_egms_points(run_alg, tmp_path, data_dir):
    g = os.path.join(data_dir, "egms_ustica")
    out = {"OUTPUT": str(tmp_path / "v.tif"), "OUTPUT_QUALITY": str(tmp_path / "q.tif")}
    dem = write_geotiff(tmp_path / "dem.tif", 200.0 + 1.5 * np.arange(60)[None, :] * np.ones((60, 1)),
                        geotransform=(4598500.0, 10.0, 0.0, 1741900.0, 0.0, -10.0), epsg=3035)
    res = run_alg("landslide3d", {"POINT_LAYERS": [os.path.join(g, "asc_117_subset.gpkg"),
                                             os.path.join(g, "desc_022_subset.gpkg")],
                                  "GEOMETRIES": "-8.9,39;-171.5,36.5", "DEM": dem, **out})
    v, _ = _read(res["OUTPUT"])
    q, _ = _read(res["OUTPUT_QUALITY"])
    ok = q[4] == m3.FLAG_CONSTRAINED
    assert ok.sum() >= 9
    # a plane rising east (dz/dx = 0.15, 8.5 deg, aspect 270): surface-parallel U = +0.15 E exactly
    np.testing.assert_allclose(v[2][ok], 0.15 * v[0][ok], atol=1e-4)
    assert np.all(np.abs(v[0][ok]) < 10) and np.all(np.abs(v[2][ok]) < 10)  # Ustica: a few mm/yr (north is weak)


def _egms_cells(path, gt, shape):
    """Cell means (velocity, LOS east/north/up, orthometric height) of an EGMS point layer on a grid."""
    from osgeo import ogr

    ds = ogr.Open(path)
    rows = []
    for f in ds.GetLayer(0):
        g = f.GetGeometryRef()
        rows.append([g.GetX(), g.GetY()] + [f.GetField(k) for k in ("mean_velocity", "los_east", "los_north",
                                                                    "los_up", "height_ortho")])
    a = np.array(rows, float)
    c = np.floor((a[:, 0] - gt[0]) / gt[1]).astype(int)
    r = np.floor((a[:, 1] - gt[3]) / gt[5]).astype(int)
    ok = (r >= 0) & (r < shape[0]) & (c >= 0) & (c < shape[1])
    idx = r[ok] * shape[1] + c[ok]
    cnt = np.bincount(idx, minlength=shape[0] * shape[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.stack([np.bincount(idx, weights=a[ok, k], minlength=cnt.size) / cnt for k in range(2, 7)])


def test_landslide3d_real_egms_run_against_ascdescdecomposition(run_alg, tmp_path, data_dir):
    """EGMS Ustica asc 117 + desc 022 (real L2b points, 500 m x 500 m subset; no independent 3-D reference
    exists for Ustica). Without a DEM north cannot be separated: refused, nothing written. With a DEM
    (cell-mean orthometric height of the points, on the 100 m grid both tools use) the surface-parallel cells
    reproduce both LOS cell means, and differ from ascdescdecomposition's east + up only along the null
    vector of the two LOS (the direction two views cannot see)."""
    from qgis.core import QgsProcessingException

    g = os.path.join(data_dir, "egms_ustica")
    layers = [os.path.join(g, "asc_117_subset.gpkg"), os.path.join(g, "desc_022_subset.gpkg")]
    out = {"OUTPUT": str(tmp_path / "v.tif"), "OUTPUT_QUALITY": str(tmp_path / "q.tif")}
    with pytest.raises(QgsProcessingException, match="rank-deficient everywhere.*Give a DEM"):
        run_alg("landslide3d", {"POINT_LAYERS": layers, "GEOMETRIES": "-8.9,39;-171.5,36.5", **out})
    assert not any(os.path.exists(v) for v in out.values())
    two = run_alg("ascdescdecomposition", {"ASC_POINTS": layers[0], "DESC_POINTS": layers[1], "PIXEL_SIZE": 100,
                                           "OUTPUT_EAST": str(tmp_path / "e.tif"), "OUTPUT_UP": str(tmp_path / "u.tif"),
                                           "OUTPUT_QUALITY": str(tmp_path / "adq.tif")})
    from osgeo import gdal

    ds = gdal.Open(two["OUTPUT_EAST"])
    gt, shape = ds.GetGeoTransform(), (ds.RasterYSize, ds.RasterXSize)
    ds = None
    cells = [_egms_cells(p, gt, shape) for p in layers]
    with np.errstate(invalid="ignore"):
        hsum = sum(np.nan_to_num(c[4]) * np.isfinite(c[4]) for c in cells)
        hcnt = sum(np.isfinite(c[4]).astype(float) for c in cells)
        dem_h = (hsum / hcnt).reshape(shape)
    dem = write_geotiff(tmp_path / "dem.tif", np.where(np.isfinite(dem_h), dem_h, -9999.0), geotransform=gt,
                        epsg=3035, nodata=-9999.0)
    res = run_alg("landslide3d", {"POINT_LAYERS": layers, "GEOMETRIES": "-8.9,39;-171.5,36.5", "DEM": dem,
                                  "MIN_SLOPE": 2.0, **out})
    v, _ = _read(res["OUTPUT"])
    q, _ = _read(res["OUTPUT_QUALITY"])
    assert v.shape[1:] == shape
    con = (q[4] == m3.FLAG_CONSTRAINED).ravel()
    assert con.sum() >= 3
    e2, _ = _read(two["OUTPUT_EAST"])
    u2, _ = _read(two["OUTPUT_UP"])
    d = np.stack([v[0].ravel() - e2[0].ravel(), v[1].ravel(), v[2].ravel() - u2[0].ravel()])[:, con]
    for c in cells:
        los = c[1:4][:, con]
        # the 3-D vector reproduces this geometry's LOS cell mean
        np.testing.assert_allclose(np.sum(los * v.reshape(3, -1)[:, con], 0), c[0][con], atol=1e-4)
        # the 3-D minus east+up difference (several mm/yr: north 1.6-10.8 here) is invisible to this
        # geometry, up to the two tools' different gridding (cell means vs all points in one least squares,
        # EGMS L3): 0.01-0.25 mm/yr here, median 0.04 mm/yr on the whole island (BENCHMARKS.md)
        assert np.max(np.abs(np.sum(los * d, 0))) < 0.3
    assert np.median(np.linalg.norm(d, axis=0)) > 2.0
    # north is not observed but implied by the DEM: the cells that are not surface-parallel carry no 3-D value
    assert np.all(np.isnan(v[1].ravel()[~con & (q[4].ravel() != m3.FLAG_FREE)]))


def _validation_inputs(tmp_path):
    from qgis.core import QgsFeature, QgsField, QgsFields, QgsGeometry, QgsPointXY, QgsVectorFileWriter, QgsVectorLayer

    from insar_geohazards.processing_provider.io.compat import FIELD_DOUBLE

    rng = np.random.default_rng(3)
    gd = [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(2 * 365)]
    idates = [dt.date(2020, 1, 5) + dt.timedelta(days=12 * i) for i in range(55)]
    e, n, u = los_unit_vector(39.0, -10.0)
    st = {"S1": (500100.0, 4100100.0, -6.0, 0.0), "S2": (502000.0, 4101000.0, -2.0, 1.5),
          "S3": (503000.0, 4100500.0, -10.0, -1.0), "OUT": (590000.0, 4100000.0, 0.0, 0.0)}
    lines = ["station,date,east,north,up,x,y"]
    for k, (x, y, vu, _) in st.items():
        for i, d in enumerate(gd):
            t = i / 365.25
            lines.append(f"{k},{d.isoformat()},{rng.normal(0, 1):.2f},{rng.normal(0, 1):.2f},"
                         f"{vu * t + rng.normal(0, 2):.2f},{x},{y}")
    csv = tmp_path / "gnss.csv"
    csv.write_text("\n".join(lines) + "\n")
    fields = QgsFields()
    for nm in ("los_east", "los_north", "los_up") + tuple("D" + d.strftime("%Y%m%d") for d in idates):
        fields.append(QgsField(nm, FIELD_DOUBLE))
    layer = QgsVectorLayer("Point?crs=EPSG:32633", "insar", "memory")
    layer.dataProvider().addAttributes(fields.toList())
    layer.updateFields()
    feats = []
    for k, (x, y, vu, bias) in st.items():
        if k == "OUT":
            continue
        for j in range(2):
            f = QgsFeature(layer.fields())
            f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(x + 20 * j, y)))
            ts = [(u * vu + bias + 2.0) * ((d - gd[0]).days / 365.25) + rng.normal(0, 1) for d in idates]
            f.setAttributes([float(e), float(n), float(u)] + [float(v) for v in ts])
            feats.append(f)
    layer.dataProvider().addFeatures(feats)
    path = str(tmp_path / "insar.gpkg")
    opts = QgsVectorFileWriter.SaveVectorOptions()
    opts.driverName = "GPKG"
    from qgis.core import QgsCoordinateTransformContext

    QgsVectorFileWriter.writeAsVectorFormatV3(layer, path, QgsCoordinateTransformContext(), opts)
    return path, str(csv), st


def test_validateinsar_known_bias_and_outside_station(run_alg, tmp_path):
    insar, csv, st = _validation_inputs(tmp_path)
    res = run_alg("validateinsar", {"INSAR": insar, "STATIONS_CSV": csv, "REFERENCE_STATION": "S1",
                                    "OUTPUT": str(tmp_path / "st.gpkg"), "OUTPUT_TABLE": str(tmp_path / "st.csv"),
                                    "OUTPUT_PLOTS": str(tmp_path / "plots")})
    rows = _table(res["OUTPUT_TABLE"])
    assert rows["OUT"]["status"] == "outside"
    assert rows["S1"]["status"] == "reference"
    for k in ("S2", "S3"):  # the 2 mm/yr reference motion is removed, the per-station bias remains
        assert float(rows[k]["velocity_difference"]) == pytest.approx(st[k][3], abs=0.5)
    assert os.path.exists(os.path.join(res["OUTPUT_PLOTS"], "station_S2.png"))
    assert os.path.exists(os.path.join(res["OUTPUT_PLOTS"], "velocities.png"))
    # the ValInSAR network levels: S2 and S3 compared (S1 is the reference): too few for velocity statistics,
    # the series level is the mean of the two stations' statistics
    net = rows["NETWORK_MEAN_SERIES"]
    assert net["n_points"] == "2"
    assert float(net["rmse"]) == pytest.approx((float(rows["S2"]["rmse"]) + float(rows["S3"]["rmse"])) / 2, abs=1e-3)
    assert rows["NETWORK_VELOCITIES"]["passed"] == "" and rows["NETWORK_VELOCITIES"]["rmse"] == "nan"
    for k in ("S2", "S3"):
        assert float(rows[k]["md"]) <= float(rows[k]["rmse"]) and 0 < float(rows[k]["r2"]) <= 1


@pytest.mark.parametrize("geom", ["Point", "Polygon"])  # points, or ADA polygons with their mean series
def test_triggercorrelation_points(run_alg, tmp_path, geom):
    from qgis.core import QgsFeature, QgsField, QgsGeometry, QgsPointXY, QgsVectorLayer

    from insar_geohazards.algorithms.kinematics import triggers as tr
    from insar_geohazards.processing_provider.io.compat import FIELD_DOUBLE

    rng = np.random.default_rng(5)
    days = [dt.date(2019, 1, 1) + dt.timedelta(days=i) for i in range(3 * 365)]
    rain = rng.gamma(0.4, 12, len(days)) * (rng.uniform(size=len(days)) < 0.4)
    _, api = tr.antecedent_index(days, rain, tau_days=20)
    lag = 24
    vel = 5 + 0.3 * np.concatenate([np.full(lag, api[0]), api[:-lag]])
    disp = np.cumsum(vel) / 365.25
    idx = np.arange(0, len(days), 12)
    drv = tmp_path / "rain.csv"
    drv.write_text("date,rain_mm\n" + "\n".join(f"{d.isoformat()},{r:.3f}" for d, r in zip(days, rain)) + "\n")
    layer = QgsVectorLayer(f"{geom}?crs=EPSG:32633", "defo", "memory")
    layer.dataProvider().addAttributes([QgsField("D" + days[i].strftime("%Y%m%d"), FIELD_DOUBLE) for i in idx])
    layer.updateFields()
    feats = []
    for j in range(3):
        f = QgsFeature(layer.fields())
        pt = QgsPointXY(500000 + 10 * j, 4100000)
        f.setGeometry(QgsGeometry.fromPointXY(pt) if geom == "Point" else QgsGeometry.fromWkt(
            f"POLYGON(({pt.x()} {pt.y()}, {pt.x() + 5} {pt.y()}, {pt.x() + 5} {pt.y() + 5}, {pt.x()} {pt.y()}))"))
        f.setAttributes([float(disp[i] + rng.normal(0, 0.05)) for i in idx])
        feats.append(f)
    layer.dataProvider().addFeatures(feats)
    res = run_alg("triggercorrelation", {"INPUT": layer, "DRIVER_CSV": str(drv), "STEP_DAYS": 12, "TAU_DAYS": 20,
                                         "OUTPUT": str(tmp_path / "c.gpkg"), "OUTPUT_PLOT": str(tmp_path / "c.png")})
    out = QgsVectorLayer(res["OUTPUT"], "c", "ogr")
    assert out.geometryType() == layer.geometryType()
    lags = [f["best_lag_days"] for f in out.getFeatures()]
    assert len(lags) == 3 and all(abs(v - lag) <= 12 for v in lags)
    assert all(f["p_corrected"] < 0.01 for f in out.getFeatures())
    assert os.path.getsize(res["OUTPUT_PLOT"]) > 1000


def test_landslidethickness_from_synthetic_3d_field(run_alg, tmp_path):
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "core"))
    from test_kinematics_core import _thick_case

    th, e, nn, u, z, h, r2 = _thick_case(n=32, dx=20.0)
    gt = (500000.0, 20.0, 0.0, 4100000.0, 0.0, -20.0)
    vel = write_geotiff(tmp_path / "v.tif", np.stack([e, nn, u]), geotransform=gt)
    dem = write_geotiff(tmp_path / "dem.tif", z, geotransform=gt)
    # the outline as a polygon (the ellipse r = 1)
    from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsProcessingException, QgsVectorLayer

    t = np.linspace(0, 2 * np.pi, 90)
    cx, cy = 500000.0 + 16 * 20.0, 4100000.0 - 16 * 20.0
    ring = [QgsPointXY(cx + 250 * np.cos(a), cy + 150 * np.sin(a)) for a in t]
    lyr = QgsVectorLayer("Polygon?crs=EPSG:32633", "outline", "memory")
    f = QgsFeature()
    f.setGeometry(QgsGeometry.fromPolygonXY([ring]))
    lyr.dataProvider().addFeatures([f])
    res = run_alg("landslidethickness", {"VELOCITY": vel, "DEM": dem, "LANDSLIDE_OUTLINE": lyr,
                                         "OUTPUT": str(tmp_path / "h.tif"), "OUTPUT_QUALITY": str(tmp_path / "q.tif")})
    got, _ = _read(res["OUTPUT"])
    inner = r2 < 0.8
    assert np.sqrt(np.nanmean((got[0][inner] - h[inner]) ** 2)) < 1.0  # m, of 20 m maximum
    assert np.isnan(got[0][r2 > 1.05]).all()
    # an outline layer without polygons is refused naming its parameter, nothing written
    empty = QgsVectorLayer("Polygon?crs=EPSG:32633", "empty", "memory")
    with pytest.raises(QgsProcessingException, match="LANDSLIDE_OUTLINE has no polygon"):
        run_alg("landslidethickness", {"VELOCITY": vel, "DEM": dem, "LANDSLIDE_OUTLINE": empty,
                                       "OUTPUT": str(tmp_path / "h2.tif"), "OUTPUT_QUALITY": str(tmp_path / "q2.tif")})
    assert not (tmp_path / "h2.tif").exists()


def test_triggercorrelation_raster_cells(run_alg, tmp_path):
    from insar_geohazards.algorithms.kinematics import triggers as tr

    rng = np.random.default_rng(8)
    days = [dt.date(2019, 1, 1) + dt.timedelta(days=i) for i in range(3 * 365)]
    level = np.sin(2 * np.pi * np.arange(len(days)) / 365.25) + 0.3 * np.sin(2 * np.pi * np.arange(len(days)) / 97)
    drv = tmp_path / "level.csv"
    drv.write_text("date,level_m\n" + "\n".join(f"{d.isoformat()},{v:.4f}" for d, v in zip(days, level)) + "\n")
    idx = np.arange(0, len(days) - 60, 12)
    lag = np.array([[0, 24], [48, 72]])  # days, per cell
    stack = np.zeros((idx.size, 2, 2))
    for (r, c), lg in np.ndenumerate(lag):
        vel = 10 + 20 * level[idx + 60 - lg]  # velocity follows the level lg days later
        stack[:, r, c] = np.cumsum(vel) * 12 / 365.25 + rng.normal(0, 0.02, idx.size)
    ras = write_geotiff(tmp_path / "ts.tif", stack, descriptions=[days[i + 60].isoformat() for i in idx])
    res = run_alg("triggercorrelation", {"INPUT_RASTER": ras, "DRIVER_CSV": str(drv), "DRIVER_KIND": 1,
                                         "STEP_DAYS": 12, "MAX_LAG_DAYS": 120,
                                         "OUTPUT_RASTER": str(tmp_path / "c.tif")})
    out, desc = _read(res["OUTPUT_RASTER"])
    assert desc[0] == "best lag days"
    assert np.all(np.abs(out[0] - lag) <= 12) and np.all(out[1] > 0.8)
    assert tr.RESPONSES[0] == "rate"


def test_validateinsar_raster_against_levelling(run_alg, tmp_path):
    """Levelling (up only, sparse: every 60 days) against a dated LOS raster with a 1.5 mm/yr bias."""
    rng = np.random.default_rng(11)
    e, n, u = los_unit_vector(37.0, -12.0)
    idates = [dt.date(2021, 1, 1) + dt.timedelta(days=12 * i) for i in range(60)]
    t = np.array([(d - idates[0]).days for d in idates]) / 365.25
    stack = (u * -8.0 + 1.5) * t[:, None, None] + rng.normal(0, 0.5, (t.size, 10, 10))
    ras = write_geotiff(tmp_path / "los.tif", stack, descriptions=[d.isoformat() for d in idates])
    lev = ["station,date,up,x,y"]
    for k in range(0, 720, 60):
        d = idates[0] + dt.timedelta(days=k)
        lev.append(f"BM1,{d.isoformat()},{-8.0 * k / 365.25 + rng.normal(0, 0.3):.2f},500150,4099850")
        lev.append(f"BM2,{d.isoformat()},{-8.0 * k / 365.25:.2f},510000,4099850")
    csv = tmp_path / "lev.csv"
    csv.write_text("\n".join(lev) + "\n")
    res = run_alg("validateinsar", {"INSAR_RASTER": ras, "STATIONS_CSV": str(csv), "REFERENCE_STATION": "",
                                    "HEADING": -12.0, "INCIDENCE": 37.0, "WINDOW_DAYS": 0.0, "MAX_GAP_DAYS": 90.0,
                                    "OUTPUT": str(tmp_path / "st.gpkg"), "OUTPUT_TABLE": str(tmp_path / "st.csv")})
    rows = _table(res["OUTPUT_TABLE"])
    assert rows["BM2"]["status"] == "outside"
    assert float(rows["BM1"]["velocity_difference"]) == pytest.approx(1.5, abs=0.3)
    # the same series as a table layer (QGIS reads the date column as dates)
    from qgis.core import QgsVectorLayer

    table = QgsVectorLayer(f"file://{csv}?delimiter=,&geomType=none&detectTypes=yes", "lev", "delimitedtext")
    assert table.isValid()
    res2 = run_alg("validateinsar", {"INSAR_RASTER": ras, "STATIONS_TABLE": table, "REFERENCE_STATION": "",
                                     "HEADING": -12.0, "INCIDENCE": 37.0, "WINDOW_DAYS": 0.0, "MAX_GAP_DAYS": 90,
                                     "OUTPUT": str(tmp_path / "st2.gpkg"), "OUTPUT_TABLE": str(tmp_path / "st2.csv")})
    rows2 = _table(res2["OUTPUT_TABLE"])
    assert rows2["BM1"]["velocity_difference"] == rows["BM1"]["velocity_difference"]
    # every dated band is used: no "only band 1 is read"; the levelling in metres is warned about
    from testutils import recording_feedback

    fb = recording_feedback()
    metres = tmp_path / "lev_m.csv"
    metres.write_text("\n".join([lev[0]] + [",".join(r.split(",")[:2] + [f"{float(r.split(',')[2]) / 1000:.6f}"]
                                                     + r.split(",")[3:]) for r in lev[1:]]) + "\n")
    run_alg("validateinsar", {"INSAR_RASTER": ras, "STATIONS_CSV": str(metres), "REFERENCE_STATION": "",
                              "HEADING": -12.0, "INCIDENCE": 37.0, "WINDOW_DAYS": 0.0, "MAX_GAP_DAYS": 90.0,
                              "OUTPUT": str(tmp_path / "st3.gpkg"), "OUTPUT_TABLE": str(tmp_path / "st3.csv")},
            feedback=fb)
    assert not any("only band 1" in w for w in fb.warnings), fb.warnings
    assert any("stations in metres" in w and "east, north, up" in w for w in fb.warnings), fb.warnings


def test_landslide3d_time_series_rasters_and_egms_points(run_alg, tmp_path, data_dir):
    p, truth = _slide(tmp_path, n=10)
    from osgeo import gdal

    dem = p["dem"]
    # asc every 12 days, desc every 12 days shifted by 6: common 6-day dates over the overlap
    out = {}
    for name, heading, inc, start in (("asc", -12.0, 39.0, dt.date(2021, 1, 1)), ("desc", 192.0, 34.0,
                                                                                  dt.date(2021, 1, 7))):
        dates = [start + dt.timedelta(days=12 * i) for i in range(20)]
        yrs = np.array([(d - dt.date(2021, 1, 1)).days for d in dates]) / 365.25
        los = float(np.dot(los_unit_vector(inc, heading), truth))
        out[name] = write_geotiff(tmp_path / f"{name}_ts.tif", los * yrs[:, None, None] * np.ones((20, 10, 10)),
                                  descriptions=[d.isoformat() for d in dates])
    res = run_alg("landslide3d", {"RASTERS": [out["asc"], out["desc"]], "GEOMETRIES": "-12,39;192,34", "DEM": dem,
                                  "TIME_SERIES": True, "OUTPUT": str(tmp_path / "v.tif"),
                                  "OUTPUT_QUALITY": str(tmp_path / "q.tif"), "OUTPUT_TS": str(tmp_path / "ts.tif")})
    ts, desc = _read(res["OUTPUT_TS"])
    k = ts.shape[0] // 3
    assert desc[0] == "east 2021-01-07" and desc[k].startswith("north")
    v, _ = _read(res["OUTPUT"])
    np.testing.assert_allclose(v[:, 5, 5], truth, rtol=1e-3)  # velocities fitted to the 3-D series
    ds = gdal.Open(res["OUTPUT_TS"])
    assert ds.RasterCount == 3 * k
    # EGMS subset, time series on the 6-day common axis
    g = os.path.join(data_dir, "egms_ustica")
    dem2 = write_geotiff(tmp_path / "dem2.tif", 200.0 + 1.5 * np.arange(60)[None, :] * np.ones((60, 1)),
                         geotransform=(4598500.0, 10.0, 0.0, 1741900.0, 0.0, -10.0), epsg=3035)
    res = run_alg("landslide3d", {"POINT_LAYERS": [os.path.join(g, "asc_117_subset.gpkg"),
                                             os.path.join(g, "desc_022_subset.gpkg")],
                                  "GEOMETRIES": "-8.9,39;-171.5,36.5", "DEM": dem2, "TIME_SERIES": True,
                                  "SPACING_DAYS": 30,
                                  "OUTPUT": str(tmp_path / "pv.tif"), "OUTPUT_QUALITY": str(tmp_path / "pq.tif"),
                                  "OUTPUT_TS": str(tmp_path / "pts.tif")})
    ts, desc = _read(res["OUTPUT_TS"])
    k = ts.shape[0] // 3
    ok = np.isfinite(ts[k - 1])
    assert k > 40 and ok.sum() >= 9
    np.testing.assert_allclose(ts[2 * k:][:, ok], 0.15 * ts[:k][:, ok], atol=1e-3)  # surface-parallel every date


def _trigger_layer(days, idx, columns):
    from qgis.core import QgsFeature, QgsField, QgsGeometry, QgsPointXY, QgsVectorLayer

    from insar_geohazards.processing_provider.io.compat import FIELD_DOUBLE

    layer = QgsVectorLayer("Point?crs=EPSG:32633", "defo", "memory")
    layer.dataProvider().addAttributes([QgsField("D" + days[i].strftime("%Y%m%d"), FIELD_DOUBLE) for i in idx])
    layer.updateFields()
    feats = []
    for j, col in enumerate(columns):
        f = QgsFeature(layer.fields())
        f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(500000 + 10 * j, 4100000)))
        f.setAttributes([float(v) for v in col])
        feats.append(f)
    layer.dataProvider().addFeatures(feats)
    return layer


def test_triggercorrelation_negative_response_defaults(run_alg, tmp_path):
    """With the defaults (STEP_DAYS 12, TAU_DAYS 0): series falling as the rain rises get their lag and corr_sign -1;
    a repeated date with one value is kept once with a warning, with two values refused naming it; negative rain is
    refused; a 348-day series says why velocity and amplitude are empty."""
    from qgis.core import QgsProcessingException, QgsVectorLayer
    from testutils import recording_feedback

    rng = np.random.default_rng(6)
    days = [dt.date(2019, 1, 1) + dt.timedelta(days=i) for i in range(3 * 365)]
    season = 0.2 + np.clip(np.sin(2 * np.pi * np.arange(len(days)) / 365.25), 0, None)
    rain = rng.gamma(0.4, 12, len(days)) * season * (rng.uniform(size=len(days)) < 0.4)
    r12 = np.convolve(rain, np.ones(12))[:len(days)]
    idx = np.arange(0, len(days), 12)
    lags, signs = [24, 72, 24, 72], [1, 1, -1, -1]
    cols = [np.cumsum(10 + s * 0.5 * np.concatenate([np.full(lg, r12[0]), r12[:-lg]]))[idx] / 365.25
            + rng.normal(0, 0.05, idx.size) for lg, s in zip(lags, signs)]
    layer = _trigger_layer(days, idx, cols)
    rows = [f"{d.isoformat()},{r:.3f}" for d, r in zip(days, rain)]
    drv = tmp_path / "rain.csv"
    drv.write_text("date,rain_mm\n" + "\n".join(rows + [rows[40]]) + "\n")  # one date twice, same value
    fb = recording_feedback()
    res = run_alg("triggercorrelation", {"INPUT": layer, "DRIVER_CSV": str(drv), "OUTPUT": str(tmp_path / "c.gpkg")},
                  feedback=fb)
    out = list(QgsVectorLayer(res["OUTPUT"], "c", "ogr").getFeatures())
    assert [f["corr_sign"] for f in out] == signs
    assert all(abs(f["best_lag_days"] - lg) <= 12 for f, lg in zip(out, lags))
    assert all(np.sign(f["best_r"]) == s and f["p_corrected"] < 1e-3 for f, s in zip(out, signs))
    assert any(days[40].isoformat() in w and "kept once" in w for w in fb.warnings)
    bad = tmp_path / "bad.csv"
    bad.write_text("date,rain_mm\n" + "\n".join(rows + [f"{days[40].isoformat()},99"]) + "\n")
    with pytest.raises(QgsProcessingException, match=f"{days[40].isoformat()} twice with different values"):
        run_alg("triggercorrelation", {"INPUT": layer, "DRIVER_CSV": str(bad), "OUTPUT": str(tmp_path / "b.gpkg")})
    neg = tmp_path / "neg.csv"
    neg.write_text("date,rain_mm\n" + "\n".join(f"{d.isoformat()},{-r - 1:.3f}" for d, r in zip(days, rain)) + "\n")
    with pytest.raises(QgsProcessingException, match="rainfall cannot be negative"):
        run_alg("triggercorrelation", {"INPUT": layer, "DRIVER_CSV": str(neg), "OUTPUT": str(tmp_path / "n.gpkg")})
    assert not (tmp_path / "b.gpkg").exists() and not (tmp_path / "n.gpkg").exists()
    short = idx[idx < 360][:30]
    fb = recording_feedback()
    res = run_alg("triggercorrelation", {"INPUT": _trigger_layer(days, short, [c[:short.size] for c in cols]),
                                         "DRIVER_CSV": str(drv), "OUTPUT": str(tmp_path / "s.gpkg")}, feedback=fb)
    assert any("velocity" in w and "348 days" in w for w in fb.info), fb.info
