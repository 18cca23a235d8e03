"""algorithms/formats/gamma.py and product_walks.py: GAMMA parameter files, grids by size, GMTSAR PRM dates, SNAP's
abstracted metadata (pure parsers; the rasters through QGIS in tests/processing/test_io_gamma.py and
test_product_walks.py)."""

import datetime as dt
import os

import pytest

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.formats import gamma
from insar_geohazards.algorithms.formats import product_walks as walks

HERE = os.path.dirname(os.path.abspath(__file__))
GAMMA_OBS = os.path.join(HERE, "..", "data", "envisat_small_test", "gamma_obs")


def _text(name):
    with open(os.path.join(GAMMA_OBS, name)) as fh:
        return fh.read()


def test_pyrate_envisat_parameter_files():
    grid = gamma.dem_par(_text("20060619_utm_dem.par"), "20060619_utm_dem.par")
    assert (grid.width, grid.lines, grid.epsg, grid.projection) == (47, 72, 4326, "EQA")
    # the corner is the centre of the first pixel: the geotransform starts half a post before it
    assert grid.geotransform == pytest.approx((150.91 - 8.33333e-4 / 2, 8.33333e-4, 0, -34.17 + 8.33333e-4 / 2, 0,
                                               -8.33333e-4))
    scene = gamma.image_par(_text("20060619_slc.par"), "20060619_slc.par")
    assert scene.date == dt.date(2006, 6, 19)
    assert scene.values["INCIDENCE_DEG"] == 22.9671 and scene.values["HEADING_DEG"] == 193.1522256
    assert scene.values["WAVELENGTH_M"] == pytest.approx(0.0561970, abs=1e-6)  # c / 5.334694994 GHz
    assert gamma.raster_dtype(47 * 72 * 4, grid, ".inc") == ("Float32", 4, 1)
    assert gamma.raster_dtype(47 * 72 * 8, grid, ".diff") == ("CFloat32", 8, 1)
    assert gamma.raster_dtype(1000, grid, ".unw") is None


def test_utm_grids_and_refusals():
    text = ("DEM_projection:     UTM\ndata_format:        INTEGER*2\nwidth: 100\nnlines: 50\n"
            "corner_north:  6200000.000  m\ncorner_east:   300000.000  m\npost_north:  -80.0  m\npost_east:  80.0  m\n"
            "projection_zone: 56\nfalse_northing:  10000000.0  m\ndatum_name: WGS 1984\n")
    g = gamma.dem_par(text, "seg.dem_par")
    assert g.epsg == 32756 and g.dem_type == ("Int16", 2)
    assert g.geotransform == (299960.0, 80.0, 0.0, 6200040.0, 0.0, -80.0)
    assert gamma.raster_dtype(100 * 50 * 2, g, ".dem") == ("Int16", 2, 1)
    assert gamma.dem_par(text.replace("10000000.0", "0.0"), "x").epsg == 32656
    with pytest.raises(GeohazardError, match=r"seg.dem_par: DEM_projection PS: only EQA .* and UTM"):
        gamma.dem_par(text.replace("UTM", "PS"), "seg.dem_par")
    with pytest.raises(GeohazardError, match="only WGS 84 grids"):
        gamma.dem_par(text.replace("WGS 1984", "Bessel 1841"), "seg.dem_par")
    with pytest.raises(GeohazardError, match="no 'DEM_projection:' line"):
        gamma.dem_par("width: 3\n", "a_dem.par")
    with pytest.raises(GeohazardError, match=r"r.mli.par: 'incidence_angle: 0.4 degrees' is out of the range"):
        gamma.image_par("incidence_angle: 0.4 degrees\n", "r.mli.par")
    # two grids of one size: not for a reader to choose
    other = gamma.dem_par(text.replace("300000.000", "310000.000"), "other.dem_par")
    with pytest.raises(GeohazardError, match=r"x.unw: its size fits two GAMMA grids, seg.dem_par and other.dem_par"):
        gamma.pick_grid(100 * 50 * 4, [g, other], ".unw", "x.unw")
    assert gamma.pick_grid(100 * 50 * 4, [g, g], ".unw", "x.unw") is g


def test_names():
    assert gamma.pair_key("geo_20060619-20061002_8rlks.unw") == "20060619_20061002"
    assert gamma.pair_key("20060619.rmli.par") is None
    assert gamma.raster_ext("a.lv_theta") == ".lv_theta" and gamma.raster_ext("a.tif") == ""
    assert gamma.is_dem_par_name("dem_seg.par") and gamma.is_dem_par_name("EQA.dem_par")
    assert gamma.is_image_par_name("20200101.rmli.par") and not gamma.is_image_par_name("x_bperp.par")


def test_scene_values_mean_and_spread():
    a = gamma.ImagePar("a.mli.par", values={"HEADING_DEG": 359.5, "INCIDENCE_DEG": 38.0, "WAVELENGTH_M": 0.0555})
    b = gamma.ImagePar("b.mli.par", values={"HEADING_DEG": 0.5, "INCIDENCE_DEG": 38.2, "WAVELENGTH_M": 0.0555})
    values, warnings = gamma.scene_values([a, b])
    assert values["HEADING_DEG"][0] == pytest.approx(0.0, abs=1e-9) or values["HEADING_DEG"][0] == pytest.approx(360)
    assert values["INCIDENCE_DEG"] == (pytest.approx(38.1), "a.mli.par and 1 more (mean)") and not warnings
    c = gamma.ImagePar("c.mli.par", values={"HEADING_DEG": 190.0})
    assert "two tracks mixed?" in gamma.scene_values([a, c])[1][0]
    d = gamma.ImagePar("d.mli.par", values={"WAVELENGTH_M": 0.031})
    with pytest.raises(GeohazardError, match="two radar frequencies"):
        gamma.scene_values([a, d])


def test_gmtsar_prm_and_snap_metadata():
    assert walks.parse_prm("radar_wavelength = 0.0554658\nnear_range = 800000\n")["radar_wavelength"] == "0.0554658"
    meta = walks._dim_metadata('<Dimap_Document><MDElem name="metadata"><MDElem name="Abstracted_Metadata">'
                               '<MDATTR name="radar_frequency">5405.0</MDATTR></MDElem></MDElem></Dimap_Document>',
                               "p.dim")
    assert meta == {"radar_frequency": "5405.0"}
    with pytest.raises(GeohazardError, match=r"p.dim is not a readable BEAM-DIMAP header .* cut short"):
        walks._dim_metadata("<Dimap_Document><MDElem", "p.dim")


def test_roipac_rsc_and_walk(tmp_path):
    """A ROI_PAC header as PyRate's Envisat test data holds it (tests/test_data/small_test/roipac_obs/
    geo_060828-061211.unw.rsc) and the walk of a folder of rmg .unw files (pure: names, headers, sizes)."""
    from insar_geohazards.algorithms.formats import roipac
    from insar_geohazards.algorithms.formats.listing import item_entries

    text = ("WIDTH             47\nFILE_LENGTH       72\nX_FIRST           150.910000000   \n"
            "X_STEP            0.000833333     \nY_FIRST           -34.170000000   \n"
            "Y_STEP            -0.000833333   \n"
            "WAVELENGTH        0.0562356424 \nDATE              060828\nDATE12            060828-061211\n")
    rsc = roipac.parse_rsc(text)
    assert rsc["X_FIRST"] == "150.910000000" and rsc["WAVELENGTH"] == "0.0562356424" and rsc["DATE12"] == \
        "060828-061211"
    (tmp_path / "geo_060828-061211.unw").write_bytes(b"\0" * 47 * 72 * 8)
    (tmp_path / "geo_060828-061211.unw.rsc").write_text(text)
    spec = roipac.roipac_stack(item_entries([str(tmp_path)])[0])
    assert [p.name for p in spec.pairs] == ["20060828_20061211"]
    assert spec.wavelength[1] == 0.0562356424 and spec.crs_if_missing == "EPSG:4326" and spec.zero_is_nodata
    assert spec.bands == {str(tmp_path / "geo_060828-061211.unw"): 2}
    (tmp_path / "geo_060828-061211.unw.rsc").write_text(text.replace("WIDTH             47", "WIDTH             46"))
    with pytest.raises(GeohazardError, match=r"geo_060828-061211.unw has 27,072 bytes but its .rsc says 46 x 72"):
        roipac.roipac_stack(item_entries([str(tmp_path)])[0])
    (tmp_path / "geo_060828-061211.unw.rsc").write_text(text + "PROJECTION UTM56\n")
    assert roipac.roipac_stack(item_entries([str(tmp_path)])[0]).crs_if_missing == ""  # GDAL reads it


def test_byte_order_by_plausibility_on_pyrates_real_interferogram(tmp_path):
    """GAMMA's rasters have no header and are big-endian; the order of a file is the one whose values are data
    (PyRate's real Envisat 20060619-20061002_utm.unw: radians, 0 = no data)."""
    import numpy as np

    real = os.path.join(GAMMA_OBS, "20060619-20061002_utm.unw")
    assert gamma.byte_order(real, ("Float32", 4, 1), "a.unw") == ("MSB", "")
    le = tmp_path / "le.unw"
    np.fromfile(real, ">f4").astype("<f4").tofile(le)
    order, note = gamma.byte_order(str(le), ("Float32", 4, 1), "le.unw")
    assert order == "LSB" and note.startswith("le.unw is little-endian (its values read in GAMMA's big-endian order "
                                              "are not data")
    assert gamma.byte_order(str(le), ("Int16", 2, 1), "le.dem") == ("MSB", "")  # integers: GAMMA's order
    junk = tmp_path / "junk.unw"
    np.random.default_rng(1).integers(0, 2 ** 32, 47 * 72, dtype=np.uint32).tofile(junk)
    with pytest.raises(GeohazardError, match=r"junk.unw: its values are not plausible in either byte order"):
        gamma.byte_order(str(junk), ("Float32", 4, 1), "junk.unw")
