"""MintPy results given to the tools as delivered (processing_provider/inputs/delivered.py): timeseries.h5,
velocity.h5, geometryGeo.h5 and maskTempCoh.h5 read georeferenced, dated, in mm and mm/yr, with MintPy's reference
and scene values; the oracle is the same data written by hand as our GeoTIFF (mm, dated bands) and typed.

Sample files as MintPy writes them (tests/testutils_mintpy.py cites MintPy's code: objects/stack.py,
timeseries2velocity.py, generate_mask.py, docs/api/data_structure.md, docs/api/attributes.md; the grid as
save_gdal.py builds it). MintPy's sign (docs/FAQs.md: LOS displacement positive toward the satellite) is ours.
"""

import os

import numpy as np
import pytest
import testutils_mintpy as tm
from testutils import read_bands, recording_feedback, write_geotiff

pytest.importorskip("h5py", reason="h5py is not installed")

GT = (400000.0, 100.0, 0.0, 3950000.0, 0.0, -100.0)


def _hand(tmp_path, name, arr_mm, descriptions=None, metadata=None):
    """The oracle: the same values written by hand as our GeoTIFF in mm (EPSG:32611, the MintPy file's grid)."""
    return write_geotiff(tmp_path / name, arr_mm, geotransform=GT, epsg=32611, descriptions=descriptions,
                         metadata=metadata)


def test_velocity_h5_in_losvelocitytovertical_equals_the_hand_made_raster(run_alg, tmp_path):
    days, _, vel = tm.scene()
    src = tm.write_velocity(tmp_path / "velocity.h5", vel, days)
    fb = recording_feedback()
    out = run_alg("losvelocitytovertical", {"INPUT": src, "INCIDENCE": 40.0, "OUTPUT": str(tmp_path / "v.tif")},
                  feedback=fb)["OUTPUT"]
    ref = run_alg("losvelocitytovertical", {"INPUT": _hand(tmp_path, "vel_mm.tif", vel * 1000.0), "INCIDENCE": 40.0,
                                            "OUTPUT": str(tmp_path / "v_ref.tif")})["OUTPUT"]
    arr, ds = read_bands(out)
    np.testing.assert_allclose(arr, read_bands(ref)[0], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(arr[0], vel * 1000.0 / np.cos(np.radians(40.0)), rtol=1e-5, atol=1e-6)
    assert ds.GetGeoTransform() == GT and "32611" in ds.GetProjection() or "UTM zone 11N" in ds.GetProjection()
    assert "velocity.h5 (velocity): values converted from m/year (MintPy) to mm/yr (x 1000)" in fb.text
    assert "reference pixel row 2, column 3 (REF_Y/REF_X)" in fb.text
    assert not [p for p in os.listdir(tmp_path) if p.endswith((".tif", ".vrt")) and "velocity.h5" in p], \
        "nothing is written beside the input"


def test_timeseries_h5_in_timeseriesmodels_equals_the_hand_made_series(run_alg, tmp_path):
    days, ts_m, _ = tm.scene()
    src = tm.write_timeseries(tmp_path / "timeseries.h5", ts_m, days)
    hand = _hand(tmp_path, "ts_mm.tif", ts_m * 1000.0, descriptions=[d.isoformat() for d in days])
    outs = [run_alg("timeseriesmodels", {"INPUT_RASTER": s, "MODELS": [0], "OUTPUT_RASTER": str(tmp_path / o)})
            ["OUTPUT_RASTER"] for s, o in ((src, "m.tif"), (hand, "m_ref.tif"))]
    a, ds = read_bands(outs[0])
    np.testing.assert_allclose(a, read_bands(outs[1])[0], rtol=1e-6, atol=1e-6, equal_nan=True)
    names = [ds.GetRasterBand(i + 1).GetDescription() for i in range(ds.RasterCount)]
    vel = a[names.index("LIN_VEL")]
    expected = np.polyfit([(d - days[0]).days / 365.25 for d in days], ts_m.reshape(len(days), -1) * 1000.0,
                          1)[0].reshape(vel.shape)
    np.testing.assert_allclose(vel, expected, rtol=2e-3, atol=2e-3)


def test_scene_geometry_from_the_work_folder_and_per_pixel_incidence_from_geometryGeo(run_alg, tmp_path):
    """losvelocitytovertical with nothing typed: the incidence of inputs/geometryGeo.h5 (smallbaselineApp.py's
    work folder) is the product's; the same file given as INCIDENCE_RASTER gives per-pixel incidenceAngle."""
    days, _, vel = tm.scene()
    src = tm.write_velocity(tmp_path / "velocity.h5", vel, days)
    os.mkdir(tmp_path / "inputs")
    inc = np.full((12, 15), 36.0, np.float32)
    inc[:, 8:] = 42.0
    geo = tm.write_geometry(tmp_path / "inputs" / "geometryGeo.h5", (12, 15), incidence_deg=inc)
    fb = recording_feedback()
    out = run_alg("losvelocitytovertical", {"INPUT": src, "OUTPUT": str(tmp_path / "v.tif")}, feedback=fb)["OUTPUT"]
    mean_inc = (8 * 36.0 + 7 * 42.0) / 15  # inputs/geometryGeo.h5 incidenceAngle averaged
    np.testing.assert_allclose(read_bands(out)[0][0], vel * 1000.0 / np.cos(np.radians(mean_inc)), rtol=1e-5,
                               atol=1e-6)
    assert "scene incidence and slant range from inputs/geometryGeo.h5" in fb.text.replace(os.sep, "/")
    assert f"incidence angle {mean_inc:.10g} deg: from the inputs' metadata" in fb.text
    out2 = run_alg("losvelocitytovertical", {"INPUT": src, "INCIDENCE_RASTER": geo, "OUTPUT": str(tmp_path / "p.tif")},
                   feedback=(fb2 := recording_feedback()))["OUTPUT"]
    np.testing.assert_allclose(read_bands(out2)[0][0], vel * 1000.0 / np.cos(np.radians(inc)), rtol=1e-5, atol=1e-6)
    assert "INCIDENCE_RASTER: geometryGeo.h5 (incidenceAngle): MintPy geometry read as a raster" in fb2.text


def test_one_dataset_by_gdal_name_and_a_mask(run_alg, tmp_path):
    days, _, vel = tm.scene()
    src = tm.write_velocity(tmp_path / "velocity.h5", vel, days)
    out = run_alg("losvelocitytovertical", {"INPUT": f'HDF5:"{src}"://velocityStd', "INCIDENCE": 60.0,
                                            "OUTPUT": str(tmp_path / "std.tif")})["OUTPUT"]
    np.testing.assert_allclose(read_bands(out)[0], 1.0, rtol=1e-5)  # 0.5 mm/yr / cos(60)


@pytest.mark.parametrize("maker, message", [
    (lambda p: tm.write_geometry(p / "geometryRadar.h5", (12, 15), geo=None), "is in radar coordinates"),
    (lambda p: tm.write_geometry(p / "geometryGeo.h5", (12, 15)), "MintPy geometry file holding"),
])
def test_radar_coordinates_and_an_unnamed_geometry_dataset_are_refused(run_alg, tmp_path, maker, message):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match=message):
        run_alg("losvelocitytovertical", {"INPUT": maker(tmp_path), "INCIDENCE": 40.0,
                                          "OUTPUT": str(tmp_path / "v.tif")})
    assert not os.path.exists(tmp_path / "v.tif")


def test_a_save_gdal_velocity_in_metres_is_named_and_a_declared_unit_converted(run_alg, tmp_path):
    """MintPy's save_gdal.py writes the m/year values with the grid and CRS only (no unit)."""
    days, _, vel = tm.scene()
    tif = _hand(tmp_path, "velocity.tif", vel)
    fb = recording_feedback()
    run_alg("losvelocitytovertical", {"INPUT": tif, "INCIDENCE": 40.0, "OUTPUT": str(tmp_path / "v.tif")}, feedback=fb)
    assert any("velocity.tif declares no unit and is read as mm/yr, but 99 % of its values" in w and "m/yr" in w
               for w in fb.warnings), fb.warnings
    tagged = _hand(tmp_path, "velocity_m.tif", vel, metadata={"UNIT": "m/yr"})
    fb2 = recording_feedback()
    out = run_alg("losvelocitytovertical", {"INPUT": tagged, "INCIDENCE": 40.0, "OUTPUT": str(tmp_path / "w.tif")},
                  feedback=fb2)["OUTPUT"]
    np.testing.assert_allclose(read_bands(out)[0][0], vel * 1000.0 / np.cos(np.radians(40.0)), rtol=1e-5, atol=1e-6)
    assert "velocity_m.tif declares UNIT=m/yr: read as mm/yr (x 1000)" in fb2.text
    assert not fb2.warnings


def test_multisensor_series_from_two_timeseries_h5_equal_the_typed_geotiffs(run_alg, tmp_path):
    """Ascending and descending MintPy timeseries.h5 (metres; HEADING and CENTER_INCIDENCE_ANGLE attributes, as ISCE
    products loaded by MintPy carry) as SERIES, nothing typed: the same up/east as the mm GeoTIFFs with the geometry
    typed."""
    from testutils_multisensor import scene

    sc = scene(str(tmp_path / "in"), with_ifg=False, metadata_geometry=False)
    h5 = []
    for (name, (days, vals, _)), (inc, head) in zip(sc["stacks"].items(), sc["geometry"]):
        geo = {"X_FIRST": 500000.0, "Y_FIRST": 4100000.0, "X_STEP": 30.0, "Y_STEP": -30.0, "EPSG": 32633}
        h5.append(tm.write_timeseries(tmp_path / "in" / f"{name}.h5", (vals / 1000.0).astype(np.float32), days, geo=geo,
                                      ref_yx=(0, 0), extra={"HEADING": head, "CENTER_INCIDENCE_ANGLE": inc}))
    outs = []
    for i, params in enumerate(({"SERIES": sc["series"], "INCIDENCES": "36, 41", "HEADINGS": "-12, 192"},
                                {"SERIES": h5})):
        os.makedirs(tmp_path / f"out{i}")
        fb = recording_feedback()
        o = tmp_path / f"out{i}"
        outs.append(run_alg("multisensortimeseries", {**params, **{k: str(o / f"{k}.{e}") for k, e in (
            ("OUTPUT_UP", "tif"), ("OUTPUT_EAST", "tif"), ("OUTPUT_SIGMA_UP", "tif"), ("OUTPUT_SIGMA_EAST", "tif"),
            ("OUTPUT_VELOCITY", "tif"), ("OUTPUT_QUALITY", "tif"), ("OUTPUT_REPORT", "csv"))}}, fb))
    up_h5, up_tif = read_bands(outs[1]["OUTPUT_UP"])[0], read_bands(outs[0]["OUTPUT_UP"])[0]
    assert up_h5.shape == up_tif.shape
    np.testing.assert_allclose(up_h5, up_tif, rtol=1e-4, atol=2e-3, equal_nan=True)
    assert "SERIES: s1_asc.h5 (timeseries): values converted from m (MintPy) to mm (x 1000)" in fb.text
