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
    assert a.parameterDefinition("INCIDENCE").defaultValue() == 37.0
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
    with pytest.raises(QgsProcessingException,
                       match="INCIDENCE_RASTER must be between 0 and 90|INCIDENCE_RASTER: .* not physically plausible"):
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
