"""geohazard:landslide3d: parameters, wrong inputs, runs against synthetic truths and EGMS Ustica."""

import datetime as dt
import os

import numpy as np
import pytest
from testutils import write_geotiff
from testutils_kinematics_tools import _egms_cells, _read, _slide

from insar_geohazards.algorithms.geometry.los import los_unit_vector
from insar_geohazards.algorithms.kinematics import motion3d as m3


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
        # EGMS L3): 0.01-0.25 mm/yr here, median 0.04 mm/yr on the whole island (BENCHMARKS.md, Kinematics)
        assert np.max(np.abs(np.sum(los * d, 0))) < 0.3
    assert np.median(np.linalg.norm(d, axis=0)) > 2.0
    # north is not observed but implied by the DEM: the cells that are not surface-parallel carry no 3-D value
    assert np.all(np.isnan(v[1].ravel()[~con & (q[4].ravel() != m3.FLAG_FREE)]))


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
