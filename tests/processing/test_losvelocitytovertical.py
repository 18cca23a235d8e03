"""geohazard:losvelocitytovertical — parameters, wrong parameters, real runs, cancellation."""

import glob
import os

import numpy as np
import pytest
from testutils import read_bands as _read
from testutils import write_geotiff

NAME = "losvelocitytovertical"


def test_parameters(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    assert ids == ["INPUT", "INCIDENCE", "INCIDENCE_RASTER", "INCIDENCE_UNITS", "OUTPUT", "MAX_MEMORY_MB",
                   "DASK_SCHEDULER", "THREADS"]
    assert a.parameterDefinition("INCIDENCE_RASTER").flags() & a.parameterDefinition("INCIDENCE_RASTER").FlagOptional
    inc = a.parameterDefinition("INCIDENCE")
    assert inc.defaultValue() is None and inc.flags() & inc.FlagOptional, "no assumed geometry: empty = metadata"
    assert "cos(incidence)" in a.shortHelpString()
    assert a.group() == "Geometry and line of sight"


def test_run_number_incidence_multiband_keeps_nodata_and_descriptions(run_alg, tmp_path):
    los = np.array([[[10.0, -9999.0], [-4.0, 0.5]], [[1.0, 2.0], [3.0, 4.0]]])
    src = write_geotiff(tmp_path / "los.tif", los, nodata=-9999.0, descriptions=["2020-01-01", "2020-01-13"])
    out = run_alg(NAME, {"INPUT": src, "INCIDENCE": 60.0, "OUTPUT": str(tmp_path / "vert.tif")})["OUTPUT"]
    arr, ds = _read(out)
    expected = np.where(los == -9999.0, np.nan, los * 2.0)
    np.testing.assert_allclose(arr, expected, rtol=1e-6)
    assert [ds.GetRasterBand(i + 1).GetDescription() for i in range(2)] == ["2020-01-01", "2020-01-13"]
    assert ds.GetGeoTransform() == (500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0)
    assert os.path.exists(os.path.splitext(out)[0] + ".qml"), "output style sidecar missing"


def test_run_incidence_raster_radians(run_alg, tmp_path):
    los = np.full((3, 4), 7.0)
    inc_deg = np.linspace(20, 45, 12).reshape(3, 4)
    src = write_geotiff(tmp_path / "los.tif", los)
    inc = write_geotiff(tmp_path / "inc.tif", np.radians(inc_deg))
    out = run_alg(NAME, {"INPUT": src, "INCIDENCE_RASTER": inc, "INCIDENCE_UNITS": 1,
                         "OUTPUT": str(tmp_path / "vert.tif")})["OUTPUT"]
    arr, _ = _read(out)
    np.testing.assert_allclose(arr[0], 7.0 / np.cos(np.radians(inc_deg)), rtol=1e-5)


def test_real_envisat_interferogram(run_alg, tmp_path, data_dir):
    """A real Envisat unwrapped interferogram: output = input / cos(23 deg) where valid."""
    src = sorted(glob.glob(os.path.join(data_dir, "envisat_small_test", "tif", "*.tif")))[0]
    out = run_alg(NAME, {"INPUT": src, "INCIDENCE": 23.0, "OUTPUT": str(tmp_path / "v.tif")})["OUTPUT"]
    inp, _ = _read(src)
    arr, ds = _read(out)
    assert ds.RasterXSize == 47 and ds.RasterYSize == 72
    valid = np.isfinite(arr)
    assert valid.sum() > 0.5 * arr.size
    np.testing.assert_allclose(arr[valid], inp[valid] / np.cos(np.radians(23.0)), rtol=1e-6)


def test_wrong_parameters_give_clear_messages_and_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    src = write_geotiff(tmp_path / "los.tif", np.ones((4, 5)))
    other = write_geotiff(tmp_path / "small.tif", np.full((3, 5), 30.0))
    out = tmp_path / "out.tif"
    with pytest.raises(QgsProcessingException, match="INCIDENCE_RASTER has 3 rows x 5 columns, expected 4 x 5"):
        run_alg(NAME, {"INPUT": src, "INCIDENCE_RASTER": other, "OUTPUT": str(out)})
    not_raster = tmp_path / "notes.txt"
    not_raster.write_text("hello")
    with pytest.raises(QgsProcessingException, match="INPUT"):
        run_alg(NAME, {"INPUT": str(not_raster), "OUTPUT": str(out)})
    degrees_as_radians = write_geotiff(tmp_path / "inc.tif", np.full((4, 5), 35.0))
    with pytest.raises(QgsProcessingException, match="INCIDENCE_RASTER: inc.tif has values from 35 to 35, which "
                                                     "cannot be an incidence angle in radians"):
        run_alg(NAME, {"INPUT": src, "INCIDENCE_RASTER": degrees_as_radians, "INCIDENCE_UNITS": 1,
                       "OUTPUT": str(out)})
    assert not out.exists()
    assert not list(tmp_path.glob("*.part*"))


def test_cancel_leaves_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    src = write_geotiff(tmp_path / "los.tif", np.ones((600, 50)))
    feedback = QgsProcessingFeedback()
    feedback.cancel()
    out = tmp_path / "out.tif"
    with pytest.raises(QgsProcessingException, match="Canceled"):
        run_alg(NAME, {"INPUT": src, "INCIDENCE": 30.0, "OUTPUT": str(out)}, feedback=feedback)
    assert not out.exists()
    assert not list(tmp_path.glob("*.part*"))


def test_vertical_output_carries_unit_sign_component_and_the_incidence_used(run_alg, tmp_path):
    """A LOS velocity as sbasinversion writes it (UNIT mm/yr, SIGN LOS positive toward the satellite,
    INCIDENCE_DEG 39.7, band "LOS velocity (mm/yr)", a history), INCIDENCE not typed: the vertical uses 39.7
    (v / cos 39.7 deg, computed here with math) and says so - UNIT mm/yr, SIGN up positive, COMPONENT VERTICAL,
    PROJECTION_INCIDENCE_DEG 39.7, the band "vertical velocity (mm/yr)", the history
    INCIDENCE=39.7 from the metadata (not 37); the LOS keys are not carried. The vertical given back as a LOS input
    is refused. With an incidence raster the history says the number was not used."""
    import math

    from osgeo import gdal
    from qgis.core import QgsProcessingException

    v = np.linspace(-20.0, 6.0, 12).reshape(3, 4)
    src = write_geotiff(tmp_path / "vel.tif", v, descriptions=["LOS velocity (mm/yr)"],
                        metadata={"UNIT": "mm/yr", "SIGN": "LOS positive toward the satellite", "INCIDENCE_DEG": "39.7",
                                  "HEADING_DEG": "-12.5", "REFERENCE_ROW": "1", "REFERENCE_COL": "2",
                                  "PROCESSING_HISTORY": "geohazard:sbasinversion 0.2.0: WEIGHTING=coherence"})
    out = run_alg(NAME, {"INPUT": src, "OUTPUT": str(tmp_path / "up.tif")})["OUTPUT"]
    arr, _ = _read(out)
    np.testing.assert_allclose(arr[0], v / math.cos(math.radians(39.7)), rtol=1e-6)
    ds = gdal.Open(out)
    md = ds.GetMetadata()
    desc = ds.GetRasterBand(1).GetDescription()
    ds = None
    assert (md["UNIT"], md["SIGN"], md["COMPONENT"], md["PROJECTION_INCIDENCE_DEG"]) == \
        ("mm/yr", "up positive", "VERTICAL", "39.7")
    assert (md["REFERENCE_ROW"], md["REFERENCE_COL"]) == ("1", "2")
    assert "INCIDENCE_DEG" not in md and "HEADING_DEG" not in md
    assert desc == "vertical velocity (mm/yr)"
    steps = md["PROCESSING_HISTORY"].splitlines()
    assert steps[0].startswith("geohazard:sbasinversion")
    assert "INCIDENCE=39.7 (metadata: vel.tif INCIDENCE_DEG)" in steps[-1] and "INCIDENCE=37" not in steps[-1]
    with pytest.raises(QgsProcessingException, match="INPUT is not along the line of sight.*COMPONENT=VERTICAL"):
        run_alg(NAME, {"INPUT": out, "OUTPUT": str(tmp_path / "twice.tif")})
    assert not (tmp_path / "twice.tif").exists()
    inc = write_geotiff(tmp_path / "inc.tif", np.full((3, 4), 40.0))
    out = run_alg(NAME, {"INPUT": src, "INCIDENCE_RASTER": inc,
                         "OUTPUT": str(tmp_path / "up2.tif")})["OUTPUT"]
    md = gdal.Open(out).GetMetadata()
    assert md["PROJECTION_INCIDENCE_DEG"] == "per pixel: inc.tif (incidence angle, degrees)"
    assert "INCIDENCE=not used (INCIDENCE_RASTER" in md["PROCESSING_HISTORY"].splitlines()[-1]


def test_no_geometry_typed_or_carried_is_refused_saying_what_to_type(qgis_app, run_alg, tmp_path):
    """Formerly a silent 37 degrees: a run without INCIDENCE, raster or INCIDENCE_DEG metadata now stops."""
    from qgis.core import QgsProcessingException

    src = write_geotiff(tmp_path / "los.tif", np.full((4, 5), 5.0))
    out = tmp_path / "out.tif"
    with pytest.raises(QgsProcessingException, match=r"INCIDENCE: the inputs carry no incidence angle "
                                                     r"\(INCIDENCE_DEG\) and none was given; type INCIDENCE "
                                                     r"\(degrees from the vertical.*or give INCIDENCE_RASTER"):
        run_alg(NAME, {"INPUT": src, "OUTPUT": str(out)})
    assert not out.exists()
    tagged = write_geotiff(tmp_path / "tagged.tif", np.full((4, 5), 5.0), metadata={"INCIDENCE_DEG": "60"})
    res = run_alg(NAME, {"INPUT": tagged, "OUTPUT": str(out)})
    np.testing.assert_allclose(_read(res["OUTPUT"])[0], 10.0, rtol=1e-6)


def test_hyp3_lv_theta_and_licsar_u_read_for_what_they_are(qgis_app, run_alg, tmp_path):
    """HyP3 lv_theta: look-vector elevation from the horizontal, radians (HyP3 InSAR product guide); LiCSAR U.tif:
    up component of the ground-to-satellite unit vector = cos(incidence). With the content option at its default
    they are recognised by their producer's names and read as what they hold, the log says so; declared so, the
    same; declared as another content (an incidence in radians), refused naming the content that fits."""
    from qgis.core import QgsProcessingException
    from testutils import recording_feedback

    inc = np.linspace(31.0, 45.0, 20).reshape(4, 5)
    src = write_geotiff(tmp_path / "los.tif", np.full((4, 5), 8.0))
    theta = write_geotiff(tmp_path / "S1AA_20200101T000000_20200113T000000_VVP012_INT80_G_ueF_1A2B_lv_theta.tif",
                          np.radians(90.0 - inc))
    up = write_geotiff(tmp_path / "124D_05291_131313.geo.U.tif", np.cos(np.radians(inc)))
    out = tmp_path / "out.tif"
    for path, kind in ((theta, 3), (up, 4)):
        fb = recording_feedback()
        res = run_alg(NAME, {"INPUT": src, "INCIDENCE_RASTER": path, "OUTPUT": str(tmp_path / f"d{kind}.tif")},
                      feedback=fb)
        np.testing.assert_allclose(_read(res["OUTPUT"])[0][0], 8.0 / np.cos(np.radians(inc)), rtol=1e-5)
        assert any(t.startswith(f"INCIDENCE_UNITS: {os.path.basename(path)} is read as what its producer says it "
                                "holds") and "left at its default" in t for t in fb.info), fb.info
        res = run_alg(NAME, {"INPUT": src, "INCIDENCE_RASTER": path, "INCIDENCE_UNITS": kind,
                             "OUTPUT": str(tmp_path / f"v{kind}.tif")})
        np.testing.assert_allclose(_read(res["OUTPUT"])[0][0], 8.0 / np.cos(np.radians(inc)), rtol=1e-5)
        with pytest.raises(QgsProcessingException, match=rf"set INCIDENCE_UNITS to '.*' \({kind}\)"):
            run_alg(NAME, {"INPUT": src, "INCIDENCE_RASTER": path, "INCIDENCE_UNITS": 1, "OUTPUT": str(out)})
        assert not out.exists()
    radians = write_geotiff(tmp_path / "inc_rad.tif", np.radians(inc))
    with pytest.raises(QgsProcessingException, match=r"look like an incidence angle in radians.*\(1\)"):
        run_alg(NAME, {"INPUT": src, "INCIDENCE_RASTER": radians, "OUTPUT": str(out)})
