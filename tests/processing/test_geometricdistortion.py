"""geohazard:geometricdistortion — parameters, wrong parameters, real Envisat geometry, synthetic ridge, cancel."""

import csv
import math
import os

import numpy as np
import pytest
from testutils import read_bands as _read
from testutils import write_geotiff
from testutils_geometry import gamma_to_geotiff, read_gamma_par, ridge

NAME = "geometricdistortion"


def _ridge_dem(tmp_path):
    dem, p = ridge(60, 330, 2.0, look_azimuth_deg=90.0, crest_m=300.0, height_m=100.0, front_deg=50.0,
                   back_deg=60.0)
    return write_geotiff(tmp_path / "ridge.tif", dem, geotransform=(500000.0, 2.0, 0.0, 4100000.0, 0.0, -2.0)), p


def test_parameters(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    assert ids == ["DEM", "HEADING", "INCIDENCE", "INCIDENCE_RASTER", "INCIDENCE_UNITS", "HEADING_RASTER",
                   "HEADING_UNITS", "LOOK", "HEADING_2",
                   "INCIDENCE_2", "INCIDENCE_RASTER_2", "STRONG_RATIO", "MODERATE_RATIO", "FLAT_SLOPE",
                   "MIN_SENSITIVITY", "OUTPUT_CLASSES", "OUTPUT_RINDEX", "OUTPUT_VISIBILITY", "OUTPUT_TABLE",
                   "OUTPUT_COMBINED", "MAX_MEMORY_MB", "DASK_SCHEDULER", "THREADS"]
    assert "R-index" in a.shortHelpString() and "passive" in a.shortHelpString()
    assert a.group() == "Geometry and line of sight"


def test_synthetic_ridge_classes_table_and_combined(run_alg, tmp_path):
    src, p = _ridge_dem(tmp_path)
    res = run_alg(NAME, {"DEM": src, "HEADING": 0.0, "INCIDENCE": 35.0, "HEADING_2": 180.0, "INCIDENCE_2": 35.0,
                         "OUTPUT_CLASSES": str(tmp_path / "cls.tif"), "OUTPUT_RINDEX": str(tmp_path / "ri.tif"),
                         "OUTPUT_VISIBILITY": str(tmp_path / "vis.tif"), "OUTPUT_TABLE": str(tmp_path / "t.csv"),
                         "OUTPUT_COMBINED": str(tmp_path / "comb.tif")})
    cls, ds = _read(res["OUTPUT_CLASSES"])
    row = cls[0, 30]
    pr = p[30]
    t = math.radians(35.0)
    in_passive_shadow = (pr > 300 + 100 / math.tan(math.radians(60)) + 3) & (pr < 300 + 100 * math.tan(t) - 3)
    in_passive_layover = (pr > 300 - 100 / math.tan(t) + 3) & (pr < 300 - 100 / math.tan(math.radians(50)) - 3)
    assert np.all(row[in_passive_shadow] == 4) and np.all(row[in_passive_layover] == 2)
    assert ds.GetRasterBand(1).GetNoDataValue() == 0
    # lossless DEFLATE, tiled (level 1 for speed: docs/geometry.md, Performance notes)
    assert ds.GetMetadata("IMAGE_STRUCTURE").get("COMPRESSION") == "DEFLATE"
    assert ds.GetRasterBand(1).GetBlockSize() == [256, 256]
    assert os.path.exists(os.path.splitext(res["OUTPUT_CLASSES"])[0] + ".qml")
    ri, ri_ds = _read(res["OUTPUT_RINDEX"])
    assert ri_ds.GetMetadata("IMAGE_STRUCTURE").get("COMPRESSION") == "DEFLATE"
    flat = (pr < 100) & (pr > 5)
    np.testing.assert_allclose(ri[0, 30][flat], math.sin(t), atol=1e-6)
    with open(res["OUTPUT_TABLE"]) as fh:
        rows = list(csv.DictReader(fh))
    first = [r for r in rows if r["geometry"] == "first geometry" and r["classification"] == "distortion"]
    assert sum(float(r["share_pct"]) for r in first) == pytest.approx(100.0, abs=1e-3)
    assert {r["name"] for r in rows} >= {"passive shadow", "layover", "parallel illumination"}
    # the same geometry as an ISCE los azimuth raster (band 2: ground-to-satellite, anticlockwise from north)
    from osgeo import gdal

    isce_az = write_geotiff(tmp_path / "los_az.tif", np.full(cls.shape[1:], 90.0),
                            geotransform=gdal.Open(src).GetGeoTransform())
    res2 = run_alg(NAME, {"DEM": src, "HEADING": 100.0, "INCIDENCE": 35.0, "HEADING_RASTER": isce_az,
                          "HEADING_UNITS": 3, "OUTPUT_CLASSES": str(tmp_path / "cls2.tif"),
                          "OUTPUT_RINDEX": str(tmp_path / "ri2.tif"), "OUTPUT_VISIBILITY": str(tmp_path / "vis2.tif"),
                          "OUTPUT_TABLE": str(tmp_path / "t2.csv")})
    np.testing.assert_array_equal(_read(res2["OUTPUT_CLASSES"])[0], cls)
    comb, _ = _read(res["OUTPUT_COMBINED"])
    assert comb.shape[0] == 2
    # seen from the other side the west foot is not in layover: the combined map picks the second geometry
    assert np.all(comb[1, 30][in_passive_layover] == 2)


def test_real_envisat_geographic_dem_with_gamma_incidence(run_alg, tmp_path, data_dir):
    """Real PyRate/GAMMA Envisat geometry: geographic DEM, incidence raster, heading from the SLC header."""
    g = os.path.join(data_dir, "envisat_small_test", "gamma_obs")
    par = os.path.join(g, "20060619_utm_dem.par")
    dem = gamma_to_geotiff(os.path.join(g, "20060619_utm.dem"), par, tmp_path / "dem.tif")
    lvt = gamma_to_geotiff(os.path.join(g, "20060619_utm.lv_theta"), par, tmp_path / "lv_theta.tif")
    heading = float(read_gamma_par(os.path.join(g, "20060619_slc.par"))["heading"])
    res = run_alg(NAME, {"DEM": dem, "HEADING": heading, "INCIDENCE_RASTER": lvt, "INCIDENCE_UNITS": 2,
                         "OUTPUT_CLASSES": str(tmp_path / "c.tif"), "OUTPUT_RINDEX": str(tmp_path / "r.tif"),
                         "OUTPUT_VISIBILITY": str(tmp_path / "v.tif"), "OUTPUT_TABLE": str(tmp_path / "t.csv")})
    cls, _ = _read(res["OUTPUT_CLASSES"])
    ri, _ = _read(res["OUTPUT_RINDEX"])
    inc = 90.0 - 67.0329
    valid = cls[0] > 0
    assert valid[1:-1, 1:-1].all() and not valid[0].any()
    # gentle real terrain (about 90 m pixels): no shadow, R-index near sin(23 deg) on average
    assert not np.isin(cls[0], [3, 4]).any()
    assert abs(np.nanmedian(ri) - math.sin(math.radians(inc))) < 0.05
    # the same DEM read as GeoTIFF straight from the bundle agrees on height range
    z, _ = _read(dem)
    assert 190 < z.min() < z.max() < 380


def test_the_second_geometry_is_not_checked_against_the_first_passs_metadata(run_alg, tmp_path, data_dir):
    """The GAMMA DEM carries the first pass's geometry (heading 193.15, incidence 22.97 from its 20060619_slc.par):
    the demo's second geometry (-13, 23: the ascending pass) is another pass, no disagreement; a first heading typed
    against that metadata is one warning naming HEADING and both values."""
    from testutils import recording_feedback

    dem = os.path.join(data_dir, "envisat_small_test", "gamma_obs", "20060619_utm.dem")
    heading = float(read_gamma_par(os.path.join(data_dir, "envisat_small_test", "gamma_obs",
                                                "20060619_slc.par"))["heading"])
    fb = recording_feedback()
    run_alg(NAME, {"DEM": dem, "HEADING_2": -13.0, "INCIDENCE_2": 23.0, "OUTPUT_CLASSES": str(tmp_path / "a.tif"),
                   "OUTPUT_COMBINED": str(tmp_path / "ab.tif")}, feedback=fb)
    assert [w for w in fb.warnings if "disagree" in w] == []
    assert f"heading {heading:.7f} deg: from the inputs' metadata" in fb.text
    assert "heading -13 deg: given by HEADING_2" in fb.text
    assert "incidence angle 23 deg: given by INCIDENCE_2" in fb.text

    fb = recording_feedback()
    run_alg(NAME, {"DEM": dem, "HEADING": -13.0, "HEADING_2": heading, "INCIDENCE_2": 23.0,
                   "OUTPUT_CLASSES": str(tmp_path / "b.tif")}, feedback=fb)
    disagree = [w for w in fb.warnings if "disagree" in w]
    assert len(disagree) == 1 and disagree[0].startswith("HEADING = -13 deg disagrees"), disagree
    assert f"{heading:.7f}" in disagree[0]


def test_wrong_parameters_give_clear_messages_and_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    out = {"OUTPUT_CLASSES": str(tmp_path / "c.tif"), "OUTPUT_RINDEX": str(tmp_path / "r.tif"),
           "OUTPUT_VISIBILITY": str(tmp_path / "v.tif"), "OUTPUT_TABLE": str(tmp_path / "t.csv")}
    no_crs = write_geotiff(tmp_path / "nocrs.tif", np.zeros((5, 5)), epsg=None)
    with pytest.raises(QgsProcessingException, match="DEM has no coordinate reference system"):
        run_alg(NAME, {"DEM": no_crs, **out})
    dem = write_geotiff(tmp_path / "dem.tif", np.zeros((5, 5)))
    with pytest.raises(QgsProcessingException, match="north-south"):
        run_alg(NAME, {"DEM": dem, "HEADING": 90.0, "INCIDENCE": 37.0, **out})
    # formerly a silent Sentinel-1 ascending geometry (-12, 37 degrees): now the run says what to type
    with pytest.raises(QgsProcessingException, match=r"HEADING: the inputs carry no heading .*type HEADING "
                                                     r"\(flight direction"):
        run_alg(NAME, {"DEM": dem, "INCIDENCE": 37.0, **out})
    with pytest.raises(QgsProcessingException, match=r"INCIDENCE: the inputs carry no incidence angle"):
        run_alg(NAME, {"DEM": dem, "HEADING": -12.0, **out})
    with pytest.raises(QgsProcessingException, match=r"INCIDENCE_2: the inputs carry no incidence angle"):
        run_alg(NAME, {"DEM": dem, "HEADING": -12.0, "INCIDENCE": 37.0, "HEADING_2": 192.0, **out})
    inc = write_geotiff(tmp_path / "inc.tif", np.full((4, 5), 30.0))
    with pytest.raises(QgsProcessingException, match="INCIDENCE_RASTER has 4 rows"):
        run_alg(NAME, {"DEM": dem, "INCIDENCE_RASTER": inc, **out})
    with pytest.raises(QgsProcessingException, match="HEADING_2"):
        run_alg(NAME, {"DEM": dem, "OUTPUT_COMBINED": str(tmp_path / "x.tif"), **out})
    radians_as_degrees = write_geotiff(tmp_path / "inc2.tif", np.full((5, 5), 120.0))
    with pytest.raises(QgsProcessingException, match="between 0 and 90|not physically plausible"):
        run_alg(NAME, {"DEM": dem, "INCIDENCE_RASTER": radians_as_degrees, **out})
    assert not any(os.path.exists(v) for v in out.values())
    assert not list(tmp_path.glob("*.part*"))


def test_cancel_leaves_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    src, _ = _ridge_dem(tmp_path)
    feedback = QgsProcessingFeedback()
    feedback.cancel()
    out = {"OUTPUT_CLASSES": str(tmp_path / "c.tif"), "OUTPUT_RINDEX": str(tmp_path / "r.tif"),
           "OUTPUT_VISIBILITY": str(tmp_path / "v.tif"), "OUTPUT_TABLE": str(tmp_path / "t.csv")}
    with pytest.raises(QgsProcessingException, match="Canceled"):
        run_alg(NAME, {"DEM": src, "HEADING": 0.0, **out}, feedback=feedback)
    assert not any(os.path.exists(v) for v in out.values())
    assert not list(tmp_path.glob("*.part*"))


def test_distortion_blocks_follow_the_memory_budget_on_wide_dems():
    """One row of 256-row output tiles while it fits MAX_MEMORY_MB (64 bytes a pixel); on wider DEMs or under a
    smaller budget, fewer rows (a multiple of 16, at least 16) within the budget."""
    from insar_geohazards.fileio.base.blocks import RunSettings
    from insar_geohazards.fileio.geometry import geometry

    run = RunSettings(max_memory_mb=512)
    assert geometry.distortion_block_rows(run, 10_000) == 256
    assert geometry.distortion_block_rows(run, 30_000) == 256
    assert geometry.distortion_block_rows(run, 32_768) == 240
    assert geometry.distortion_block_rows(run, 60_000) == 128
    assert geometry.distortion_block_rows(run, 10_000_000) == 16
    assert geometry.distortion_block_rows(RunSettings(max_memory_mb=256), 60_000) == 64
    assert geometry.distortion_block_rows(RunSettings(max_memory_mb=64), 10_000) == 96
    for mb in (64, 128, 512):
        for width in (33_000, 45_000, 60_000, 100_000):
            rows = geometry.distortion_block_rows(RunSettings(max_memory_mb=mb), width)
            assert rows % 16 == 0 and rows >= 16
            assert rows == 16 or (rows + 2) * width * geometry.DISTORTION_BYTES_PER_PIXEL <= mb * 2**20
