"""MintPy results read as layers (algorithms/formats/mintpy.py, ``open_layer``): georeference from the HDF5
attributes, dates, metres -> millimetres, the reference carried, radar coordinates and stacks refused.

The sample files are written as MintPy writes them (tests/testutils_mintpy.py cites MintPy's code for every
dataset and attribute). The expected georeference is the one MintPy's own ``save_gdal.write_gdal`` builds:
``(X_FIRST, X_STEP, 0, Y_FIRST, 0, Y_STEP)``, EPSG from ``EPSG``, else ``UTM_ZONE`` via
``utils0.utm_zone2epsg_code`` (pyproj: 11N -> 32611), else 4326
(github.com/insarlab/MintPy src/mintpy/save_gdal.py, src/mintpy/utils/utils0.py). Units per
``objects/stack.py`` DSET_UNIT_DICT (timeseries m, velocity m/year); sign per ``docs/FAQs.md`` (LOS displacement
positive toward the satellite, as ours: no sign change).
"""

import datetime as dt
import os

import numpy as np
import pytest
import testutils_mintpy as tm

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.formats import mintpy, units

pytest.importorskip("h5py", reason="h5py is not installed")


def test_timeseries_is_georeferenced_dated_in_mm_with_its_reference(tmp_path):
    days, ts_m, _ = tm.scene()
    path = tm.write_timeseries(tmp_path / "timeseries.h5", ts_m, days, bperp=np.arange(6) * 10.0 + 5.0)
    lay = mintpy.open_layer(path)
    assert lay.dataset == "timeseries" and lay.bands == 6 and lay.shape == (12, 15)
    assert lay.geotransform == (400000.0, 100.0, 0.0, 3950000.0, 0.0, -100.0) and lay.epsg == 32611
    assert lay.dates == days and lay.descriptions == [d.isoformat() for d in days]
    assert (lay.factor, lay.unit, lay.source_unit) == (1000.0, "mm", "m")
    md = lay.metadata
    assert md["UNIT"] == "mm" and md["SIGN"] == "LOS positive toward the satellite"
    assert (md["REFERENCE_ROW"], md["REFERENCE_COL"], md["REFERENCE_DATE"]) == ("2", "3", "2020-01-05")
    assert md["WAVELENGTH_M"] == "0.05546576" and md["HEADING_DEG"] == "-168"
    assert md["PERPENDICULAR_BASELINES_M"] == "0.000,10.000,20.000,30.000,40.000,50.000"
    vals = mintpy.read_layer_rows(lay, (0, 12))
    np.testing.assert_allclose(vals, ts_m.astype(np.float64) * 1000.0, rtol=1e-6, atol=1e-6)
    assert np.all(vals[:, 2, 3] == 0.0), "the reference pixel stays 0 (the datum), not no-data"


def test_pixels_mintpy_did_not_invert_become_nodata_not_stable_ground(tmp_path):
    """ifgram_inversion.py starts from ts = np.zeros and leaves pixels it skips at 0."""
    days, ts_m, vel = tm.scene()
    ts_m[:, 0, 0] = 0.0
    vel[0, 0] = 0.0
    lay = mintpy.open_layer(tm.write_timeseries(tmp_path / "timeseries.h5", ts_m, days))
    vals = mintpy.read_layer_rows(lay, (0, 12))
    assert np.isnan(vals[:, 0, 0]).all() and np.isfinite(vals[:, 2, 3]).all()
    assert mintpy.zero_pixels(lay, (0, 12)) == 1
    v = mintpy.open_layer(tm.write_velocity(tmp_path / "velocity.h5", vel, days))
    out = mintpy.read_layer_rows(v, (0, 12))
    assert np.isnan(out[0, 0, 0]) and out[0, 2, 3] == 0.0


def test_velocity_in_m_per_year_becomes_mm_per_year(tmp_path):
    days, _, vel = tm.scene()
    path = tm.write_velocity(tmp_path / "velocity.h5", vel, days)
    lay = mintpy.open_layer(path)
    assert lay.dataset == "velocity" and lay.bands == 1 and lay.dates is None
    assert (lay.factor, lay.unit, lay.source_unit) == (1000.0, "mm/yr", "m/year")
    assert lay.metadata["START_DATE"] == "2020-01-05" and lay.metadata["END_DATE"] == days[-1].isoformat()
    np.testing.assert_allclose(mintpy.read_layer_rows(lay, (0, 12))[0], vel * 1000.0, rtol=1e-6, atol=1e-6)
    std = mintpy.open_layer(path, dataset="velocityStd")
    assert std.unit == "mm/yr" and "SIGN" not in std.metadata
    np.testing.assert_allclose(mintpy.read_layer_rows(std, (0, 12)), 0.5, rtol=1e-6)


@pytest.mark.parametrize("geo, epsg", [(tm.UTM, 32611), ({**tm.UTM, "EPSG": ""}, 32611),
                                       ({k: v for k, v in tm.UTM.items() if k != "EPSG"}, 32611),
                                       ({**{k: v for k, v in tm.UTM.items() if k != "EPSG"}, "UTM_ZONE": "36S"},
                                        32736), (tm.LATLON, 4326)])
def test_crs_from_epsg_utm_zone_or_latitude_longitude(tmp_path, geo, epsg):
    days, ts_m, _ = tm.scene()
    lay = mintpy.open_layer(tm.write_timeseries(tmp_path / "ts.h5", ts_m, days, geo=geo))
    assert lay.epsg == epsg
    assert lay.geotransform[0] == geo["X_FIRST"] and lay.geotransform[5] == geo["Y_STEP"]


def test_metres_without_a_crs_are_refused(tmp_path):
    days, ts_m, _ = tm.scene()
    geo = {k: v for k, v in tm.UTM.items() if k not in ("EPSG", "UTM_ZONE")}
    with pytest.raises(GeohazardError, match="no EPSG or UTM_ZONE attribute: the CRS is unknown"):
        mintpy.open_layer(tm.write_timeseries(tmp_path / "ts.h5", ts_m, days, geo=geo))


def test_geometry_dataset_chosen_by_what_the_raster_is_for(tmp_path):
    path = tm.write_geometry(tmp_path / "geometryGeo.h5", (12, 15))
    inc = mintpy.open_layer(path, purpose="incidence")
    assert inc.dataset == "incidenceAngle" and inc.unit == "deg"
    assert inc.metadata["ANGLE_CONTENT"] == "incidence_deg" and "SIGN" not in inc.metadata
    head = mintpy.open_layer(path, purpose="heading")
    assert head.dataset == "azimuthAngle" and head.metadata["ANGLE_CONTENT"] == "isce_los_azimuth_deg"
    dem = mintpy.open_layer(path, purpose="dem")
    assert dem.dataset == "height" and dem.unit == "m" and dem.factor == 1.0
    with pytest.raises(GeohazardError, match=r"geometry file holding azimuthAngle, height, incidenceAngle.*"
                                             r'HDF5:"geometryGeo.h5"://<dataset>'):
        mintpy.open_layer(path)
    assert mintpy.open_layer(path, dataset="slantRangeDistance").unit == "m"


def test_radar_coordinates_are_refused_saying_how_to_geocode(tmp_path):
    path = tm.write_geometry(tmp_path / "geometryRadar.h5", (12, 15), geo=None)
    with pytest.raises(GeohazardError, match=r"geometryRadar.h5 is in radar coordinates \(latitude/longitude "
                                             r"datasets.*geocode.py"):
        mintpy.open_layer(path, purpose="incidence")


def test_an_interferogram_stack_is_sent_to_the_sbas_tool(tmp_path):
    pairs = [(dt.date(2020, 1, 1), dt.date(2020, 1, 13))]
    path = mintpy.write_ifgram_stack(str(tmp_path / "ifgramStack.h5"), np.zeros((1, 4, 5), np.float32), pairs,
                                     wavelength_m=0.0555, geotransform=(0, 1, 0, 0, 0, -1), epsg=32633)
    with pytest.raises(GeohazardError, match="interferogram stack .*sbasinversion INTERFEROGRAMS"):
        mintpy.open_layer(path)


def test_mask_reads_as_0_1_bytes(tmp_path):
    mask = np.zeros((12, 15), bool)
    mask[3:9, 4:10] = True
    lay = mintpy.open_layer(tm.write_mask(tmp_path / "maskTempCoh.h5", mask))
    out = mintpy.read_layer_rows(lay, (0, 12))
    assert lay.is_mask and out.dtype == np.uint8 and (out[0] == mask).all()


def test_not_hdf5_and_not_mintpy_are_named(tmp_path):
    bad = tmp_path / "velocity.h5"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 20)
    with pytest.raises(GeohazardError, match="velocity.h5 is not an HDF5 file h5py can open"):
        mintpy.open_layer(str(bad))
    import h5py

    with h5py.File(tmp_path / "other.h5", "w") as f:
        f.create_dataset("x", data=np.zeros(3))
    with pytest.raises(GeohazardError, match="without MintPy's layout"):
        mintpy.open_layer(str(tmp_path / "other.h5"))


def test_length_units():
    assert units.length_unit("m") == (1000.0, "mm") and units.length_unit(b"m/year") == (1000.0, "mm/yr")
    assert units.length_unit("M/YR") == (1000.0, "mm/yr") and units.length_unit("cm") == (10.0, "mm")
    assert units.length_unit("mm/yr") == (1.0, "mm/yr")
    assert units.length_unit("1") is None and units.length_unit("radian") is None and units.length_unit("") is None


def test_the_work_folders_geometry_gives_the_scene_incidence(tmp_path):
    """smallbaselineApp.py's work folder: timeseries.h5 beside inputs/geometryGeo.h5."""
    days, ts_m, _ = tm.scene()
    ts = tm.write_timeseries(tmp_path / "timeseries.h5", ts_m, days)
    lay = mintpy.open_layer(ts)
    assert mintpy.sibling_geometry(lay) is None
    os.mkdir(tmp_path / "inputs")
    inc = np.full((12, 15), 40.0)
    inc[0, :] = 0.0  # geocoding fill: left out
    inc[1, :] = 30.0
    geo = tm.write_geometry(tmp_path / "inputs" / "geometryGeo.h5", (12, 15), incidence_deg=inc)
    assert mintpy.sibling_geometry(lay) == geo
    scene = mintpy.scene_geometry(geo)
    assert float(scene["INCIDENCE_DEG"]) == pytest.approx((30.0 * 15 + 40.0 * 150) / 165)
    assert float(scene["SLANT_RANGE_M"]) == pytest.approx(880000.0 + 50.0 * 7.0)
    other = tm.write_geometry(tmp_path / "geometryGeo.h5", (12, 16))  # another grid: not this result's
    assert mintpy.sibling_geometry(lay) == geo and other


def test_a_raster_without_unit_whose_values_cannot_be_millimetres_is_named():
    """A MintPy save_gdal velocity: m/year values (10 mm/yr = 0.01), no unit in the GeoTIFF (save_gdal.py writes
    only the grid and the CRS)."""
    msg = units.not_millimetres(0.012, name="INPUT: velocity.tif")
    assert msg.startswith("INPUT: velocity.tif declares no unit and is read as mm/yr, but 99 % of its values are "
                          "within +-0.012 mm/yr") and "looks like m/yr" in msg and "UNIT=m/yr" in msg
    assert units.not_millimetres(3.0, name="x") is None and units.not_millimetres(float("nan"), name="x") is None
    assert "looks like m " in units.not_millimetres(0.1, name="x", assumed="mm") + " "


def test_an_ifgram_stack_with_every_interferogram_dropped_says_so(tmp_path):
    """MintPy's ``modify_network.py`` writes ``dropIfgram`` (True = kept): all False left "no interferogram was
    given"; the message names dropIfgram. Some False: those are left out."""
    import h5py

    days = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * k) for k in range(4)]
    pairs = list(zip(days[:-1], days[1:]))
    path = mintpy.write_ifgram_stack(str(tmp_path / "ifgramStack.h5"), np.ones((3, 4, 5), np.float32), pairs,
                                     wavelength_m=0.0555, geotransform=(0, 1, 0, 0, 0, -1), epsg=32633)
    with h5py.File(path, "r+") as f:
        f["dropIfgram"][:] = [True, False, True]
    assert mintpy.read_ifgram_stack(path).pairs == [pairs[0], pairs[2]]
    with h5py.File(path, "r+") as f:
        f["dropIfgram"][:] = False
    with pytest.raises(GeohazardError, match=r"ifgramStack.h5: all 3 interferograms are dropped by dropIfgram "
                                             r"\(MintPy's modify_network.py"):
        mintpy.read_ifgram_stack(path)
    assert len(mintpy.read_ifgram_stack(path, use_drop_flag=False).pairs) == 3
