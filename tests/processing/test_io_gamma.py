"""GAMMA products as GAMMA writes them: headerless big-endian rasters beside their DEM/MAP and image parameter files.

The real sample is PyRate's ``tests/test_data/small_test/gamma_obs`` (Envisat, 2006-06-19; in
``tests/data/envisat_small_test/gamma_obs``): ``20060619_utm.dem``, ``.inc``, ``.lv_theta`` (47 x 72 REAL*4, EQA grid of
``20060619_utm_dem.par``) and the SLC header ``20060619_slc.par`` (incidence_angle, heading, radar_frequency). The
oracle: the files as delivered give the bytes the same data converted and typed by hand give.
"""

import os

import numpy as np
import pytest
from testutils import read_bands as _read
from testutils import recording_feedback
from testutils_geometry import gamma_to_geotiff, read_gamma_par


@pytest.fixture
def gamma_obs(data_dir):
    return os.path.join(data_dir, "envisat_small_test", "gamma_obs")


def _outs(tmp_path, tag):
    return {"OUTPUT_CLASSES": str(tmp_path / f"{tag}_c.tif"), "OUTPUT_RINDEX": str(tmp_path / f"{tag}_r.tif"),
            "OUTPUT_VISIBILITY": str(tmp_path / f"{tag}_v.tif"), "OUTPUT_TABLE": str(tmp_path / f"{tag}_t.csv")}


#: PyRate's gamma_obs as its repository holds it: the geometry of 2006-06-19, 13 image parameter files, 17
#: interferograms and their GAMMA baseline files.
GAMMA_OBS_FILES = sorted(
    ["20060619_utm.dem", "20060619_utm.inc", "20060619_utm.lv_theta", "20060619_utm_dem.par"]
    + [f"{d}_slc.par" for d in ("20060619", "20060828", "20061002", "20061106", "20061211", "20070115", "20070219",
                                "20070326", "20070430", "20070604", "20070709", "20070813", "20070917")]
    + [f"{p}_{kind}" for p in ("20060619-20061002", "20060828-20061211", "20061002-20070219", "20061002-20070430",
                               "20061106-20061211", "20061106-20070115", "20061106-20070326", "20061211-20070709",
                               "20061211-20070813", "20070115-20070326", "20070115-20070917", "20070219-20070430",
                               "20070219-20070604", "20070326-20070917", "20070430-20070604", "20070604-20070709",
                               "20070709-20070813") for kind in ("base.par", "utm.unw")])


def test_geometric_distortion_reads_the_gamma_dem_and_its_slc_header_as_delivered(run_alg, tmp_path, gamma_obs):
    fb = recording_feedback()
    delivered = run_alg("geometricdistortion", {"DEM": os.path.join(gamma_obs, "20060619_utm.dem"),
                                                **_outs(tmp_path, "d")}, feedback=fb)
    par = read_gamma_par(os.path.join(gamma_obs, "20060619_slc.par"))
    dem = gamma_to_geotiff(os.path.join(gamma_obs, "20060619_utm.dem"), os.path.join(gamma_obs,
                                                                                     "20060619_utm_dem.par"),
                           tmp_path / "dem.tif")
    by_hand = run_alg("geometricdistortion", {"DEM": dem, "HEADING": float(par["heading"]),
                                              "INCIDENCE": float(par["incidence_angle"]), **_outs(tmp_path, "h")})
    for key in ("OUTPUT_CLASSES", "OUTPUT_RINDEX", "OUTPUT_VISIBILITY"):
        a, ga = _read(delivered[key])
        b, gb = _read(by_hand[key])
        np.testing.assert_array_equal(a, b)
        assert ga.GetGeoTransform() == gb.GetGeoTransform()
    # the log says where the geometry came from; nothing was typed
    assert "GAMMA raster read as delivered (Float32, big-endian, 47 x 72 on the grid of 20060619_utm_dem.par, " \
           "EPSG:4326)" in fb.text
    assert "193.152" in fb.text and "20060619_slc.par" in fb.text
    # nothing written beside the product
    assert sorted(os.listdir(gamma_obs)) == GAMMA_OBS_FILES


def test_an_incidence_raster_as_delivered_equals_the_converted_one(run_alg, tmp_path, gamma_obs):
    """losvelocitytovertical on a velocity on the GAMMA grid, with the .inc as delivered and converted by hand."""
    from testutils import write_geotiff

    par = os.path.join(gamma_obs, "20060619_utm_dem.par")
    inc = gamma_to_geotiff(os.path.join(gamma_obs, "20060619_utm.inc"), par, tmp_path / "inc.tif")
    gt = _read(inc)[1].GetGeoTransform()
    vel = write_geotiff(tmp_path / "vel.tif", np.linspace(-10, 10, 72 * 47).reshape(72, 47).astype(np.float32),
                        geotransform=gt, epsg=4326)
    a = run_alg("losvelocitytovertical", {"INPUT": vel, "INCIDENCE_RASTER": os.path.join(gamma_obs,
                                                                                          "20060619_utm.inc"),
                                          "OUTPUT": str(tmp_path / "a.tif")})["OUTPUT"]
    b = run_alg("losvelocitytovertical", {"INPUT": vel, "INCIDENCE_RASTER": inc,
                                          "OUTPUT": str(tmp_path / "b.tif")})["OUTPUT"]
    va, vb = _read(a)[0], _read(b)[0]
    np.testing.assert_array_equal(va, vb)
    np.testing.assert_allclose(va[0], np.linspace(-10, 10, 72 * 47).reshape(72, 47) / np.cos(np.radians(22.9671)),
                               rtol=1e-5)


def test_gamma_rasters_that_do_not_fit_or_fit_two_grids_are_named(run_alg, tmp_path, gamma_obs):
    import shutil

    from qgis.core import QgsProcessingException

    folder = tmp_path / "g"
    shutil.copytree(gamma_obs, folder)
    # a second DEM/MAP file of another extent with the same size: which grid is not for us to guess
    text = (folder / "20060619_utm_dem.par").read_text().replace("150.9100000", "151.9100000")
    (folder / "other_dem.par").write_text(text)
    with pytest.raises(QgsProcessingException, match=r"DEM: .*20060619_utm.dem: its size fits two GAMMA grids, "
                                                     r"20060619_utm_dem.par and other_dem.par"):
        run_alg("geometricdistortion", {"DEM": str(folder / "20060619_utm.dem"), **_outs(tmp_path, "x")})
    (folder / "other_dem.par").unlink()
    # a file cut short fits no grid: it is not read as a GAMMA raster, and QGIS cannot read it either
    (folder / "20060619_utm.dem").write_bytes((folder / "20060619_utm.dem").read_bytes()[:1000])
    with pytest.raises(QgsProcessingException, match="DEM"):
        run_alg("geometricdistortion", {"DEM": str(folder / "20060619_utm.dem"), **_outs(tmp_path, "y")})


def test_an_image_parameter_file_in_another_unit_beside_a_raster_is_named(run_alg, tmp_path, gamma_obs):
    """The real Envisat DEM with its grid file and an image parameter file whose radar_frequency was written in GHz
    without its unit (and one with its unit): the first is named in the log and its scene values are not used, the
    second is read with its unit."""
    import shutil

    folder = tmp_path / "g"
    folder.mkdir()
    for name in ("20060619_utm.dem", "20060619_utm_dem.par"):
        shutil.copy(os.path.join(gamma_obs, name), folder)
    with open(os.path.join(gamma_obs, "20060619_slc.par")) as fh:
        text = fh.read()
    (folder / "20060619_slc.par").write_text(text.replace("5.334694994e+09 Hz", "5.334694994"))
    fb = recording_feedback()
    run_alg("geometricdistortion", {"DEM": str(folder / "20060619_utm.dem"), "HEADING": 193.15, "INCIDENCE": 22.97,
                                    **_outs(tmp_path, "a")}, feedback=fb)
    assert "20060619_slc.par: 'radar_frequency: 5.334694994' read in Hz gives a wavelength of" in fb.text
    assert "in GHz it would be 5.62 cm, C band" in fb.text and "its scene values are not used" in fb.text
    (folder / "20060619_slc.par").write_text(text.replace("5.334694994e+09 Hz", "5.334694994 GHz"))
    fb = recording_feedback()
    run_alg("geometricdistortion", {"DEM": str(folder / "20060619_utm.dem"), **_outs(tmp_path, "b")}, feedback=fb)
    assert "WAVELENGTH_M 0.0561967: 20060619_slc.par" in fb.text and "HEADING_DEG 193.152" in fb.text
