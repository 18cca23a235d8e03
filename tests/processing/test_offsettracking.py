"""geohazard:offsettracking: parameters, wrong inputs, runs against a known truth."""

import numpy as np
import testutils_kinematics as kt
from testutils import epsg_transform, write_geotiff
from testutils import read_bands as _read
from testutils_offsets import GT, _pair


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

    ref, sec = _pair(tmp_path, dy=-0.5, dx=0.25)
    # the left half of the image (x 500000-500960 m, y 4098400-4100000 m), given in WGS 84
    tr = epsg_transform(32633, 4326)
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


def test_subpixel_choices_follow_the_cores_methods():
    """The dialog lists the sub-pixel methods without importing the core (its kernels load when the tool runs):
    choice i of SUBPIXEL must be the core's method i."""
    from insar_geohazards.algorithms.kinematics.offsets import SUBPIXEL_METHODS
    from insar_geohazards.processing_provider.tools.kinematics import offsettracking

    assert tuple(offsettracking.SUBPIXEL_LABELS) == SUBPIXEL_METHODS
    alg = offsettracking.OffsetTracking()
    alg.initAlgorithm({})
    options = alg.parameterDefinition(alg.SUBPIXEL).options()
    assert options == [offsettracking.SUBPIXEL_LABELS[m] for m in SUBPIXEL_METHODS]
