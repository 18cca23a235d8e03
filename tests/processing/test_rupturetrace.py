"""geohazard:rupturetrace: parameters and help; the trace of strike-slip ruptures made with the Okada core (random
geometries, speckle and decorrelation near the fault: tests/testutils_fault_worlds.py) lies within 200 m (median) of
the fault; a geographic raster; wrong inputs named, no trace a warning."""

import warnings

import numpy as np
import pytest
from osgeo import ogr
from testutils import write_geotiff
from testutils_fault_worlds import E0, N0, rupture_world, trace_score
from testutils_seed import drawn_seed

NAME = "rupturetrace"


def _trace_points(path):
    ds = ogr.Open(path)
    pts, jumps = [], []
    for f in ds.GetLayer(0):
        g = f.GetGeometryRef()
        pts += [(g.GetX(i), g.GetY(i)) for i in range(g.GetPointCount())]
        jumps.append(f["jump_m"])
    ds = None
    return np.array(pts).reshape(-1, 2), np.array(jumps)


def test_parameters_and_help(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    assert ids == ["INPUT", "MIN_OFFSET_M", "SMOOTHING_M", "OUTPUT"]
    text = a.shortHelpString()
    assert text.startswith("Maps a surface rupture as the line where coseismic azimuth offsets change sign")
    assert "jump_m" in text and "doi:10.1029/1999GL900138" in text and a.group() == "Faults and stress"


@pytest.mark.parametrize("k", range(2))
def test_trace_of_okada_ruptures(run_alg, tmp_path, k):
    seed = int(np.random.default_rng(8400 + k).integers(10**6))  # drawn at random once per case
    w = rupture_world(seed)
    src = write_geotiff(tmp_path / "azi.tif", w["offset"], geotransform=w["gt"])
    res = run_alg(NAME, {"INPUT": str(src), "OUTPUT": str(tmp_path / "trace.gpkg")})
    pts, jumps = _trace_points(res["OUTPUT"])
    median, covered = trace_score(pts, w["trace"])
    assert median <= 200.0, (seed, median)
    assert covered >= 0.6, (seed, covered)
    # the jump is the slip's along-track share, less what the smoothing and the fault's depth take
    share = w["slip_m"] * abs(np.cos(np.radians(w["rake_deg"]))) * abs(np.cos(np.radians(w["strike_deg"]
                                                                                          - w["heading_deg"])))
    assert 0.3 * share < np.median(jumps) <= 1.1 * share


def test_geographic_raster(run_alg, tmp_path):
    from pyproj import Transformer

    w = rupture_world(4242, half_m=18e3, pixel_m=150.0)
    to_ll = Transformer.from_crs("EPSG:32633", "EPSG:4326", always_xy=True)
    lon0, lat0 = to_ll.transform(E0, N0)
    # the same offsets on a geographic grid of about the same pixel (a small shear of the scene is harmless)
    dlat = 150.0 / 110574.0
    dlon = 150.0 / (111320.0 * np.cos(np.radians(lat0)))
    n = w["offset"].shape[0]
    gt = (lon0 - n / 2 * dlon, dlon, 0.0, lat0 + n / 2 * dlat, 0.0, -dlat)
    src = write_geotiff(tmp_path / "azi_ll.tif", w["offset"], geotransform=gt, epsg=4326)
    res = run_alg(NAME, {"INPUT": str(src), "OUTPUT": str(tmp_path / "trace.gpkg")})
    pts, _ = _trace_points(res["OUTPUT"])
    x = E0 + (pts[:, 0] - lon0) / dlon * 150.0
    y = N0 + (pts[:, 1] - lat0) / dlat * 150.0
    median, covered = trace_score(np.column_stack([x, y]), w["trace"])
    assert median <= 200.0 and covered >= 0.6
    ds = ogr.Open(res["OUTPUT"])
    srs = ds.GetLayer(0).GetSpatialRef()
    assert srs is not None and srs.IsGeographic()
    ds = None


def test_no_trace_is_a_warning_and_wrong_inputs_are_named(run_alg, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    class Log(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.warnings = []

        def reportError(self, error, fatalError=False):
            self.warnings.append(error)

        def pushWarning(self, warning):
            self.warnings.append(warning)

    rng = np.random.default_rng(3)
    flat = write_geotiff(tmp_path / "flat.tif", 0.1 * rng.standard_normal((120, 120)),
                         geotransform=(E0, 100.0, 0.0, N0, 0.0, -100.0))
    log = Log()
    res = run_alg(NAME, {"INPUT": str(flat), "OUTPUT": str(tmp_path / "none.gpkg")}, feedback=log)
    assert any("no rupture trace found" in t for t in log.warnings)
    pts, _ = _trace_points(res["OUTPUT"])
    assert pts.size == 0
    with pytest.raises(QgsProcessingException, match="SMOOTHING_M"):
        run_alg(NAME, {"INPUT": str(flat), "SMOOTHING_M": -5.0, "OUTPUT": str(tmp_path / "x.gpkg")})
    few = np.full((40, 40), np.nan)
    few[:5, :5] = 1.0
    sparse = write_geotiff(tmp_path / "few.tif", few, geotransform=(E0, 100.0, 0.0, N0, 0.0, -100.0), nodata=-9999)
    with pytest.raises(QgsProcessingException, match="valid pixels"):
        run_alg(NAME, {"INPUT": str(sparse), "OUTPUT": str(tmp_path / "y.gpkg")})


def test_a_fine_grid_is_averaged_to_a_quarter_of_the_smoothing(run_alg, tmp_path):
    """25 m pixels with SMOOTHING_M 300: cells of 3 x 3 pixels (75 m), said in the log; the trace as close."""
    from testutils import recording_feedback

    seed = int(np.random.default_rng(8420).integers(10**6))
    w = rupture_world(seed, half_m=12e3, pixel_m=25.0)
    src = write_geotiff(tmp_path / "azi.tif", w["offset"], geotransform=w["gt"])
    fb = recording_feedback()
    res = run_alg(NAME, {"INPUT": str(src), "OUTPUT": str(tmp_path / "trace.gpkg")}, fb)
    assert any("averaged onto cells of 3 x 3 pixels" in m for m in fb.info), fb.info
    pts, _ = _trace_points(res["OUTPUT"])
    median, covered = trace_score(pts, w["trace"])
    assert median <= 200.0 and covered >= 0.6, (seed, median, covered)


def test_cells_are_the_mean_of_their_valid_pixels(tmp_path):
    from insar_geohazards.fileio.base.raster import raster_info
    from insar_geohazards.fileio.faults.rupturetrace import read_averaged

    rng = np.random.default_rng(drawn_seed())
    a = rng.normal(size=(23, 31))
    a[rng.random(a.shape) < 0.3] = np.nan
    a[:3, :3] = np.nan  # a cell with no valid pixel
    path = write_geotiff(tmp_path / "a.tif", a, geotransform=(0.0, 10.0, 0.0, 0.0, 0.0, -10.0))
    got = read_averaged(raster_info(str(path)), "INPUT", 3)
    padded = np.full((24, 33), np.nan)
    padded[:23, :31] = a.astype(np.float32)
    with warnings.catch_warnings():  # numpy warns of the empty cell's mean
        warnings.simplefilter("ignore", RuntimeWarning)
        want = np.nanmean(padded.reshape(8, 3, 11, 3), axis=(1, 3))
    assert got.shape == (8, 11) and np.isnan(got[0, 0])
    np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)
