"""geohazard:offsettimeseries: parameters, wrong inputs, runs against a known truth."""

import numpy as np
from testutils import read_bands as _read
from testutils import recording_feedback, write_geotiff
from testutils_offsets import GT, _series


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
