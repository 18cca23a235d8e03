"""geohazard:offsettracking and geohazard:offsettimeseries: parameters, wrong inputs, runs against a known truth."""

import datetime as dt

import numpy as np
import testutils_kinematics as kt
from testutils import read_bands as _read
from testutils import recording_feedback, write_geotiff

GT = (500000.0, 10.0, 0.0, 4100000.0, 0.0, -10.0)


def _pair(tmp_path, dy=1.3, dx=-0.6, shape=(160, 192), kind="speckle", stable_motion=True):
    img = kt.texture(shape, kind, seed=7)
    sec = kt.fourier_shift(img, dy, dx)
    ref = write_geotiff(tmp_path / "ref.tif", img, geotransform=GT)
    sec = write_geotiff(tmp_path / "sec.tif", sec, geotransform=GT)
    return ref, sec


def test_parameters(alg):
    a = alg("offsettracking")
    ids = [p.name() for p in a.parameterDefinitions()]
    for pid in ("REFERENCE_IMAGE", "SECONDARY", "WINDOW", "SEARCH", "STEP", "SUBPIXEL", "MIN_NCC", "MIN_PEAK_RATIO",
                "STABLE_POLYGONS", "STABLE_MASK", "RESAMPLE", "OUTPUT", "OUTPUT_QUALITY", "DASK_SCHEDULER"):
        assert pid in ids
    assert "Guizar-Sicairos" in a.shortHelpString() and "Westerweel" in a.shortHelpString()
    assert a.group() == "Landslide and glacier kinematics"
    b = alg("offsettimeseries")
    assert [p.name() for p in b.parameterDefinitions()][:5] == ["INPUTS", "COMPONENTS", "WEIGHT_BAND", "K_MAD",
                                                                "MIN_REJECT"]


def test_translation_in_metres_east_north(run_alg, tmp_path):
    ref, sec = _pair(tmp_path)
    res = run_alg("offsettracking", {"REFERENCE_IMAGE": ref, "SECONDARY": sec, "WINDOW": 32, "SEARCH": 6, "STEP": 16,
                                     "OUTPUT": str(tmp_path / "off.tif"), "OUTPUT_QUALITY": str(tmp_path / "q.tif")})
    arr, ds = _read(res["OUTPUT"])
    assert ds.RasterCount == 7 and ds.GetRasterBand(1).GetDescription() == "east_m"
    ok = np.isfinite(arr[4])
    assert ok.sum() >= 40
    # column offset -0.6 px -> 6 m west; row offset +1.3 px (southward) -> 13 m south
    np.testing.assert_allclose(arr[4][ok], -0.6, atol=0.05)
    np.testing.assert_allclose(arr[5][ok], 1.3, atol=0.05)
    np.testing.assert_allclose(arr[0][ok], -6.0, atol=0.5)
    np.testing.assert_allclose(arr[1][ok], -13.0, atol=0.5)
    assert np.all(np.abs(arr[3][ok] - np.degrees(np.arctan2(-6.0, -13.0)) % 360) < 3)
    gt = ds.GetGeoTransform()
    assert gt[1] == 160.0 and gt[5] == -160.0  # 16 px step
    q, _ = _read(res["OUTPUT_QUALITY"])
    assert np.all(q[3][ok] == 0) and np.all(q[0][ok] > 0.5)


def test_stable_mask_removes_bias(run_alg, tmp_path):
    ref, sec = _pair(tmp_path, dy=0.4, dx=0.7)
    mask = np.zeros((160, 192))
    mask[:, :96] = 1  # all the image moved by the same co-registration error
    m = write_geotiff(tmp_path / "stable.tif", mask, geotransform=GT)
    res = run_alg("offsettracking", {"REFERENCE_IMAGE": ref, "SECONDARY": sec, "WINDOW": 32, "SEARCH": 6, "STEP": 16,
                                     "STABLE_MASK": m, "OUTPUT": str(tmp_path / "off.tif")})
    arr, ds = _read(res["OUTPUT"])
    ok = np.isfinite(arr[4])
    np.testing.assert_allclose(arr[4][ok], 0.0, atol=0.05)
    np.testing.assert_allclose(arr[5][ok], 0.0, atol=0.05)
    assert abs(float(ds.GetMetadataItem("bias_col_px")) - 0.7) < 0.03


def test_stable_polygon_in_another_crs_removes_bias(run_alg, tmp_path):
    import testutils_hostile as hk
    from osgeo import osr

    ref, sec = _pair(tmp_path, dy=-0.5, dx=0.25)
    # the left half of the image (x 500000-500960 m, y 4098400-4100000 m), given in WGS 84
    src, dst = osr.SpatialReference(), osr.SpatialReference()
    src.ImportFromEPSG(32633)
    dst.ImportFromEPSG(4326)
    for s_ in (src, dst):
        s_.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    tr = osr.CoordinateTransformation(src, dst)
    ring = [tr.TransformPoint(x, y)[:2] for x, y in ((500000, 4098400), (500960, 4098400), (500960, 4100000),
                                                      (500000, 4100000), (500000, 4098400))]
    wkt = "POLYGON((" + ",".join(f"{x:.9f} {y:.9f}" for x, y in ring) + "))"
    poly = hk.write_layer(tmp_path / "stable.gpkg", [wkt], epsg=4326)
    res = run_alg("offsettracking", {"REFERENCE_IMAGE": ref, "SECONDARY": sec, "WINDOW": 32, "SEARCH": 6, "STEP": 16,
                                     "STABLE_POLYGONS": poly, "OUTPUT": str(tmp_path / "off.tif")})
    arr, ds = _read(res["OUTPUT"])
    ok = np.isfinite(arr[4])
    assert ok.sum() >= 40
    np.testing.assert_allclose(arr[4][ok], 0.0, atol=0.05)
    np.testing.assert_allclose(arr[5][ok], 0.0, atol=0.05)
    assert int(ds.GetMetadataItem("bias_cells")) >= 15


def test_noise_pair_gives_no_offset(run_alg, tmp_path):
    rng = np.random.default_rng(1)
    ref = write_geotiff(tmp_path / "a.tif", rng.normal(size=(160, 160)), geotransform=GT)
    sec = write_geotiff(tmp_path / "b.tif", rng.normal(size=(160, 160)), geotransform=GT)
    res = run_alg("offsettracking", {"REFERENCE_IMAGE": ref, "SECONDARY": sec, "WINDOW": 32, "SEARCH": 6, "STEP": 16,
                                     "OUTPUT": str(tmp_path / "off.tif"), "OUTPUT_QUALITY": str(tmp_path / "q.tif")})
    arr, _ = _read(res["OUTPUT"])
    assert not np.isfinite(arr[0]).any()
    q, _ = _read(res["OUTPUT_QUALITY"])
    # pure noise has no texture above its own noise: featureless (2), never a valid offset
    assert set(np.unique(q[3]).astype(int)) <= {1, 2, 3, 4, 5}
    assert (q[3] == 2).sum() > 0.9 * (q[3] != 1).sum()


def test_different_grid_refused_unless_resampled(run_alg, alg, tmp_path):
    from qgis.core import QgsProcessingContext

    img = kt.texture((160, 160), "speckle", seed=3)
    ref = write_geotiff(tmp_path / "ref.tif", img, geotransform=GT)
    gt2 = (GT[0] + 5.0, 10.0, 0.0, GT[3], 0.0, -10.0)  # half a pixel east: same motion, other grid
    sec = write_geotiff(tmp_path / "sec.tif", kt.fourier_shift(img, 0.0, 0.5), geotransform=gt2)
    params = {"REFERENCE_IMAGE": ref, "SECONDARY": sec, "WINDOW": 32, "SEARCH": 4, "STEP": 16,
              "OUTPUT": str(tmp_path / "o.tif")}
    ok, msg = alg("offsettracking").checkParameterValues(params, QgsProcessingContext())
    assert not ok and "RESAMPLE" in msg and "SECONDARY" in msg
    res = run_alg("offsettracking", {**params, "RESAMPLE": True})
    arr, _ = _read(res["OUTPUT"])
    good = np.isfinite(arr[4])
    # the secondary's content moved 0.5 px east and its grid 0.5 px east: 1 px on the reference grid
    assert good.sum() > 10 and abs(np.median(arr[4][good]) - 1.0) < 0.1


def _series(tmp_path, n_dates=6, shape=(4, 5), gross=True):
    d0 = dt.date(2021, 1, 1)
    dates = [d0 + dt.timedelta(days=12 * k) for k in range(n_dates)]
    t = np.array([(d - d0).days / 365.25 for d in dates])
    ve, vn = 36.5, -18.25  # m/yr
    paths = []
    rng = np.random.default_rng(2)
    for i in range(n_dates):
        for j in range(i + 1, min(n_dates, i + 3)):
            e = ve * (t[j] - t[i]) + rng.normal(0, 0.02, shape)
            n = vn * (t[j] - t[i]) + rng.normal(0, 0.02, shape)
            if gross and (i, j) == (1, 2):
                e = e + 5.0
            name = f"off_{dates[i]:%Y%m%d}_{dates[j]:%Y%m%d}.tif"
            paths.append(write_geotiff(tmp_path / name, np.stack([e, n, np.zeros(shape), np.zeros(shape)]),
                                       geotransform=GT))
    return paths, dates, t, ve, vn


def test_offset_time_series_rejects_gross_error(run_alg, tmp_path):
    paths, dates, t, ve, vn = _series(tmp_path)
    res = run_alg("offsettimeseries", {"INPUTS": paths, "COMPONENTS": "1,2", "OUTPUT": str(tmp_path / "d.tif"),
                                       "OUTPUT_VELOCITY": str(tmp_path / "v.tif"),
                                       "OUTPUT_SIGMA": str(tmp_path / "s.tif")})
    d, ds = _read(res["OUTPUT"])
    assert ds.RasterCount == 12 and ds.GetRasterBand(2).GetDescription() == f"c1_{dates[1].isoformat()}"
    np.testing.assert_allclose(d[:6], (ve * t)[:, None, None] * np.ones(d[:6].shape), atol=0.1)
    np.testing.assert_allclose(d[6:], (vn * t)[:, None, None] * np.ones(d[6:].shape), atol=0.1)
    v, _ = _read(res["OUTPUT_VELOCITY"])
    np.testing.assert_allclose(v[0], ve, rtol=0.02)
    np.testing.assert_allclose(v[1], vn, rtol=0.02)
    assert np.all(v[2] == 1) and np.all(v[4] == 1)  # one network, the gross error rejected
    s, _ = _read(res["OUTPUT_SIGMA"])
    assert np.all(s[0] == 0) and np.all((s[1:6] > 0.001) & (s[1:6] < 0.1))


def test_offset_time_series_disconnected_network(run_alg, tmp_path):
    paths, dates, t, ve, vn = _series(tmp_path, gross=False)
    cut = ("20210113_20210206", "20210125_20210206", "20210125_20210218")  # every pair across 25 Jan | 6 Feb
    keep = [p for p in paths if not any(c in p for c in cut)]
    res = run_alg("offsettimeseries", {"INPUTS": keep, "COMPONENTS": "1", "WEIGHT_BAND": 3,
                                       "OUTPUT": str(tmp_path / "d.tif"),
                                       "OUTPUT_VELOCITY": str(tmp_path / "v.tif"),
                                       "OUTPUT_COMPONENTS": str(tmp_path / "c.tif")})
    c, _ = _read(res["OUTPUT_COMPONENTS"])
    v, _ = _read(res["OUTPUT_VELOCITY"])
    assert np.all(v[1] == 2)
    labels = c[:, 0, 0].tolist()
    assert labels[0] == labels[1] and labels[-1] == labels[-2] and labels[0] != labels[-1]
    d, _ = _read(res["OUTPUT"])
    second = labels.index(labels[-1])
    np.testing.assert_allclose(d[second], 0.0, atol=1e-6)  # each component starts at 0


def test_offset_time_series_flags_dates_on_a_single_pair(run_alg, tmp_path):
    """Row 0 loses the pair (3, 5) and its other pair to date 5, (4, 5), carries a +5 m gross error: nothing can
    detect it, so date 5 is flagged there (and nowhere else) and counted in the log; the value keeps the error."""
    from osgeo import gdal

    paths, dates, t, ve, vn = _series(tmp_path, gross=False)
    assert "20210206_20210302" in paths[7] and "20210218_20210302" in paths[8]
    for path, add in ((paths[7], np.nan), (paths[8], 5.0)):
        ds = gdal.Open(path, gdal.GA_Update)
        band = ds.GetRasterBand(1)
        a = band.ReadAsArray()
        a[0] += add
        band.WriteArray(a)
        ds = None
    fb = recording_feedback()
    # MIN_REJECT 0.5 m (noise 0.02 m): with 9 pairs over 6 dates the robust scale of the noise alone is small
    # enough to reject good pairs at a few cells, which would leave bridges there too
    res = run_alg("offsettimeseries", {"INPUTS": paths, "COMPONENTS": "1", "OUTPUT": str(tmp_path / "d.tif"),
                                       "OUTPUT_VELOCITY": str(tmp_path / "v.tif"), "MIN_REJECT": 0.5,
                                       "OUTPUT_UNCHECKED": str(tmp_path / "u.tif")}, feedback=fb)
    u, ds = _read(res["OUTPUT_UNCHECKED"])
    assert ds.RasterCount == 6 and ds.GetRasterBand(6).GetDescription() == dates[5].isoformat()
    want = np.zeros(u.shape)
    want[5, 0] = 1
    np.testing.assert_array_equal(u, want)
    d, _ = _read(res["OUTPUT"])
    np.testing.assert_allclose(d[5, 0] - ve * t[5], 5.0, atol=0.1)  # kept, not rejected: undetectable
    np.testing.assert_allclose(d[5, 1:], ve * t[5], atol=0.1)
    assert any("5 of 120 pixel-dates" in w and "cannot be detected" in w for w in fb.warnings), fb.warnings


def test_offset_time_series_accepts_a_folder(run_alg, alg, tmp_path):
    """A folder in INPUTS is read like the stack tools read one (its rasters with a date pair in the name; a DEM
    beside them is left out), with the result of the listed files; an empty folder is named in the message."""
    from qgis.core import QgsProcessingContext

    folder = tmp_path / "pairs"
    folder.mkdir()
    paths, dates, t, ve, vn = _series(folder, gross=False)
    write_geotiff(folder / "dem.tif", np.zeros((10, 12)), geotransform=GT)
    params = {"INPUTS": [str(folder)], "COMPONENTS": "1,2", "OUTPUT": str(tmp_path / "d.tif"),
              "OUTPUT_VELOCITY": str(tmp_path / "v.tif")}
    ok, msg = alg("offsettimeseries").checkParameterValues(params, QgsProcessingContext())
    assert ok, msg
    res = run_alg("offsettimeseries", params)
    ref = run_alg("offsettimeseries", {**params, "INPUTS": paths, "OUTPUT": str(tmp_path / "d2.tif"),
                                       "OUTPUT_VELOCITY": str(tmp_path / "v2.tif")})
    np.testing.assert_array_equal(_read(res["OUTPUT"])[0], _read(ref["OUTPUT"])[0])
    empty = tmp_path / "empty"
    empty.mkdir()
    ok, msg = alg("offsettimeseries").checkParameterValues({**params, "INPUTS": [str(empty)]}, QgsProcessingContext())
    assert not ok and "INPUTS" in msg and "empty" in msg
