"""Hostile GAMMA, GMTSAR and SNAP stacks: as an attacker (or a tired user) would give them. Each is refused naming
the file and what was expected. Layouts: tests/testutils_product_walks.py (sources in its docstring)."""

import os

import numpy as np
import pytest
import testutils_hostile as hk
from testutils_product_walks import gamma_stack, gmtsar_stack, snap_products
from testutils_products import Truth


def _vel(tmp_path, name="v.tif"):
    return {"OUTPUT_VELOCITY": str(tmp_path / name)}


def _gamma_unw_cut_short(root, t):
    pair = f"{t.pairs[1][0]:%Y%m%d}_{t.pairs[1][1]:%Y%m%d}"
    with open(os.path.join(root, "interferograms", pair, pair + ".unw"), "r+b") as fh:
        fh.truncate(1000)
    return (rf"INTERFEROGRAMS: g/interferograms/{pair}/{pair}.unw \(1,000 bytes\) fits none of the DEM/MAP grids "
            r"\(dem_seg.par 36 x 30; 4 bytes a pixel\): cut short")


def _snap_not_terrain_corrected(root, t):
    for dirpath, _, files in os.walk(root):
        for f in files:
            if f.endswith(".hdr"):
                p = os.path.join(dirpath, f)
                text = open(p).read().split("map info")[0]
                open(p, "w").write(text)
    return (r"INTERFEROGRAMS: .*Unw_Phase_ifg_IW2_VV_.*\.img has no map georeference: the stack is in radar "
            r"coordinates; apply SNAP's Radar > Geometric > Terrain Correction")


def _snap_header_cut_short(root, t):
    dim = sorted(f for f in os.listdir(root) if f.endswith(".dim"))[0]
    with open(os.path.join(root, dim), "r+b") as fh:
        fh.truncate(200)
    return rf"INTERFEROGRAMS: s/{dim} is not a readable BEAM-DIMAP header .*cut short"


@pytest.mark.parametrize("folder, stack, damage", [
    ("g", gamma_stack, _gamma_unw_cut_short),
    ("s", snap_products, _snap_not_terrain_corrected),
    ("s", snap_products, _snap_header_cut_short),
])
def test_a_damaged_stack_is_refused_naming_the_file(qgis_app, tmp_path, folder, stack, damage):
    """A GAMMA interferogram cut short, SNAP products left in radar coordinates (no Terrain Correction), a SNAP
    header cut short: each refused, naming the file and what was expected."""
    t = Truth(n_dates=4)
    root = stack(tmp_path / folder, t)
    hk.expect_refusal("stackingvelocity", {"INTERFEROGRAMS": root, **_vel(tmp_path)}, damage(root, t))


def test_two_producers_mixed_are_named(qgis_app, tmp_path):
    t = Truth(n_dates=4)
    hk.expect_refusal("stackingvelocity", {"INTERFEROGRAMS": [gmtsar_stack(tmp_path / "m", t),
                                                              snap_products(tmp_path / "s", t)], **_vel(tmp_path)},
                      r"INTERFEROGRAMS: the inputs mix products of two producers: GMTSAR .* and SNAP")


def test_a_gmtsar_stack_given_to_unwrap_is_named(qgis_app, tmp_path):
    g = gmtsar_stack(tmp_path / "m", Truth(n_dates=4))
    hk.expect_refusal("unwrap", {"INPUT": g, "OUTPUT": str(tmp_path / "u")},
                      r"GMTSAR stacks are read for their unwrapped interferograms")


def test_isce2_lookup_tables_of_another_grid_are_named(qgis_app, tmp_path):
    from osgeo import gdal
    from testutils_product_walks import isce_tops_stack

    t = Truth(n_dates=4)
    merged = isce_tops_stack(tmp_path / "i", t)
    g = os.path.join(merged, "geom_reference")
    for name in ("lat.rdr", "lon.rdr"):  # tables of a grid multilooked twice
        src = gdal.Open(os.path.join(g, name)).ReadAsArray()[::2, ::2]
        ds = gdal.GetDriverByName("ENVI").Create(os.path.join(g, name), src.shape[1], src.shape[0], 1,
                                                 gdal.GDT_Float64, ["SUFFIX=ADD"])
        ds.GetRasterBand(1).WriteArray(src)
        ds = None
        gdal.Translate(os.path.join(g, name + ".vrt"), os.path.join(g, name), format="VRT")
    hk.expect_refusal("stackingvelocity", {"INTERFEROGRAMS": merged, **_vel(tmp_path)},
                      r"INTERFEROGRAMS: .*filt_fine.unw.vrt is 36 x 30 pixels but the lookup tables \(lat.rdr.vrt\) "
                      r"are 18 x 15: they are not of its radar grid")


def test_a_gamma_interferogram_given_as_a_dem_is_named(qgis_app, tmp_path):
    t = Truth(n_dates=3)
    root = gamma_stack(tmp_path / "g", t)
    pair = f"{t.pairs[0][0]:%Y%m%d}_{t.pairs[0][1]:%Y%m%d}"
    unw = os.path.join(root, "interferograms", pair, pair + ".unw")
    import shutil

    shutil.copy(os.path.join(root, "dem_seg.par"), os.path.dirname(unw))  # its grid beside it: a GAMMA raster
    hk.expect_refusal("geometricdistortion", {"DEM": unw, "HEADING": -12.0, "INCIDENCE": 38.0,
                                              "OUTPUT_CLASSES": str(tmp_path / "c.tif"),
                                              "OUTPUT_RINDEX": str(tmp_path / "r.tif"),
                                              "OUTPUT_VISIBILITY": str(tmp_path / "v.tif"),
                                              "OUTPUT_TABLE": str(tmp_path / "t.csv")},
                      rf"DEM: {pair}.unw is a GAMMA .unw file, not heights \(.dem, .hgt\)")


REF = "25.0330,39.9960 [EPSG:4326]"  # row 4, column 33 of the walks' grid: still ground


def _velocity(tmp_path, given, name):
    from testutils import read_array

    out = hk.run("stackingvelocity", {"INTERFEROGRAMS": given, "REFERENCE": REF, **_vel(tmp_path, name)})
    return read_array(out["OUTPUT_VELOCITY"])


def test_a_gmtsar_wavelength_in_millimetres_is_refused_naming_the_prm_and_one_with_its_unit_is_read(qgis_app,
                                                                                                     tmp_path):
    """GMTSAR writes ``radar_wavelength`` in metres (its readers: ``prm->lambda = SOL / radarFrequency``;
    ``SC_identity = 10`` is Sentinel-1). 55.47 there (millimetres) was read as 55 m: velocities x1000 at exit 0."""
    from testutils_products import S1_WAVELENGTH_M

    t = Truth(n_dates=4)
    mm = gmtsar_stack(tmp_path / "mm", t, wavelength_text=f"{S1_WAVELENGTH_M * 1000:.7f}")
    hk.expect_refusal("stackingvelocity", {"INTERFEROGRAMS": mm, **_vel(tmp_path)},
                      r"INTERFEROGRAMS: intf_all/\d{7}_\d{7}/S1_\d{8}_ALL_F1.PRM: 'radar_wavelength: 55.46576\d+' read "
                      r"in m gives a wavelength of 55.4658 m, which no SAR has .*in mm it would be 5.547 cm, C band")
    assert not os.path.exists(tmp_path / "v.tif")
    with_unit = gmtsar_stack(tmp_path / "unit", t, wavelength_text=f"{S1_WAVELENGTH_M * 1000:.9f} mm")
    vel = _velocity(tmp_path, with_unit, "u.tif")
    np.testing.assert_allclose(vel[3:], t.velocity[3:], atol=2e-3)


@pytest.mark.parametrize("frequency", ["1.2575 GHz", "1257500000.0   Hz", "1.2575e+09"])
def test_a_gamma_l_band_stack_takes_its_frequency_with_its_unit(qgis_app, tmp_path, frequency):
    """ISP image parameter files write ``radar_frequency:  <value>  Hz``; an L-band stack whose files say
    ``1.2575 GHz`` (``sensor: PALSAR-2``) was left out and Sentinel-1's wavelength used (velocities x0.233)."""
    t = Truth(n_dates=4)
    wl = 299_792_458.0 / 1.2575e9
    g = gamma_stack(tmp_path / "g", t, frequency_text=frequency, sensor="PALSAR-2", wavelength=wl)
    vel = _velocity(tmp_path, g, "l.tif")
    np.testing.assert_allclose(vel[3:], t.velocity[3:], atol=2e-3)


def test_a_gamma_frequency_of_another_band_than_its_sensor_is_refused_naming_the_file(qgis_app, tmp_path):
    t = Truth(n_dates=4)
    g = gamma_stack(tmp_path / "g", t, frequency_text="1.2575", sensor="S1A IW IW1 VV")
    hk.expect_refusal("stackingvelocity", {"INTERFEROGRAMS": g, **_vel(tmp_path)},
                      r"INTERFEROGRAMS: \d{8}.rmli.par: 'radar_frequency: 1.2575' read in Hz gives a wavelength of "
                      r"2.38\d+e\+08 m, which no SAR has")
    g = gamma_stack(tmp_path / "h", t, frequency_text="1.2575e9 Hz", sensor="S1A IW IW1 VV")
    hk.expect_refusal("stackingvelocity", {"INTERFEROGRAMS": g, **_vel(tmp_path)},
                      r"INTERFEROGRAMS: \d{8}.rmli.par: 'radar_frequency: 1.2575e9 Hz' gives a wavelength of 23.84 cm, "
                      r"L band, but the file is of Sentinel-1 \(C band\)")
    assert not os.path.exists(tmp_path / "v.tif")


def _isce_geocoded_los(folder, shape, incidence, heading):
    """``los.rdr.geo`` as ISCE2 geocodes ``geom_reference/los.rdr`` (``geocodeGdal.py``): two float32 bands, band 1
    the incidence angle, band 2 the azimuth of the ground-to-satellite vector in degrees anticlockwise from north
    (90 - heading for a right-looking sensor), the ISCE ``.xml`` (Coordinate1/Coordinate2 startingValue and delta)
    and the ``.vrt`` ISCE renders beside it (the file QGIS shows). Returns the ``.vrt``."""
    from osgeo import gdal, osr
    from testutils_product_walks import ISCE_GT

    path = os.path.join(str(folder), "los.rdr.geo")
    os.makedirs(str(folder), exist_ok=True)
    ds = gdal.GetDriverByName("ISCE").Create(path, shape[1], shape[0], 2, gdal.GDT_Float32, ["SCHEME=BIL"])
    ds.SetGeoTransform(ISCE_GT)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    ds.SetProjection(srs.ExportToWkt())
    ds.GetRasterBand(1).WriteArray(np.full(shape, incidence, np.float32))
    ds.GetRasterBand(2).WriteArray(np.full(shape, 90.0 - heading, np.float32))
    ds = None
    gdal.Translate(path + ".vrt", path, format="VRT")
    os.remove(path + ".aux.xml")
    return path + ".vrt"


def test_an_isce_los_raster_given_as_heading_raster_is_read_from_its_band_2(qgis_app, tmp_path):
    """HEADING_UNITS "ISCE los band 2" on ISCE's two-band los raster: band 1 (the incidence) was read as the azimuth,
    a downslope velocity of the wrong sign at exit 0. The run equals the one with the heading typed."""
    from testutils import read_array, recording_feedback
    from testutils_product_walks import HEADING, INCIDENCE, ISCE_GT
    from testutils_products import write_tif

    t = Truth(n_dates=3)
    rows, cols = t.shape
    los = write_tif(str(tmp_path / "los_vel.tif"), np.full(t.shape, -10.0), geotransform=ISCE_GT)
    dem = write_tif(str(tmp_path / "dem.tif"), 800.0 - 0.9 * np.arange(cols)[None, :] * np.ones((rows, 1))
                    - 0.3 * np.arange(rows)[:, None], geotransform=ISCE_GT)
    vrt = _isce_geocoded_los(tmp_path / "geo", t.shape, INCIDENCE, HEADING)
    common = {"INPUT": los, "DEM": dem, "INCIDENCE": INCIDENCE, "MIN_SENSITIVITY": 0.01}
    fb = recording_feedback()
    a = hk.run("losprojection", {**common, "HEADING_RASTER": vrt, "HEADING_UNITS": 3,
                                 "OUTPUT_DOWNSLOPE": str(tmp_path / "a.tif")}, fb)
    b = hk.run("losprojection", {**common, "HEADING": HEADING, "OUTPUT_DOWNSLOPE": str(tmp_path / "b.tif")})
    da, db = read_array(a["OUTPUT_DOWNSLOPE"]), read_array(b["OUTPUT_DOWNSLOPE"])
    assert np.isfinite(db).sum() > 0.5 * db.size
    np.testing.assert_allclose(da, db, rtol=0, atol=1e-4)
    assert "band 2 is read, as HEADING_UNITS says" in fb.text
    assert not any("band" in w for w in fb.warnings)
    assert sorted(os.listdir(tmp_path / "geo")) == ["los.rdr.geo", "los.rdr.geo.vrt", "los.rdr.geo.xml"]


def test_a_roipac_stack_takes_its_wavelength_no_data_and_crs_from_the_rsc(qgis_app, tmp_path):
    """ROI_PAC's geo_<pair>.unw + .unw.rsc (PyRate's Envisat layout): WAVELENGTH was ignored (Sentinel-1's used,
    x0.986), the exact 0 outside the unwrapped area was read as a phase (invented velocities) and the outputs had no
    CRS. The velocity equals the truth, the corner without data is no data, the output is in EPSG:4326."""
    from osgeo import gdal
    from testutils import recording_feedback
    from testutils_product_walks import GT, roipac_stack

    t = Truth(n_dates=5)
    r = roipac_stack(tmp_path / "roipac", t, platform="ENVISAT")
    fb = recording_feedback()
    out = hk.run("stackingvelocity", {"INTERFEROGRAMS": r, "REFERENCE": REF, **_vel(tmp_path)}, fb)
    ds = gdal.Open(out["OUTPUT_VELOCITY"])
    vel = ds.ReadAsArray()
    np.testing.assert_allclose(vel[3:], t.velocity[3:], atol=2e-3)
    assert np.isnan(vel[:3, :4]).all()
    assert ds.GetSpatialRef() is not None and ds.GetSpatialRef().GetAuthorityCode(None) == "4326"
    assert ds.GetGeoTransform() == pytest.approx(GT)
    assert f"ROI_PAC stack: {len(t.pairs)} interferograms" in fb.text
    assert "wavelength 0.056235642 m: stated by the product (WAVELENGTH of the .rsc headers" in fb.text, fb.text
    before = sorted(os.listdir(r))
    # a header in radar coordinates, and a grid in metres without its PROJECTION: refused naming the file
    radar = roipac_stack(tmp_path / "radar", t, geocoded=False)
    hk.expect_refusal("stackingvelocity", {"INTERFEROGRAMS": radar, **_vel(tmp_path, "w.tif")},
                      r"INTERFEROGRAMS: radar/geo_\d{6}-\d{6}.unw.rsc has no X_FIRST/Y_FIRST: .* radar coordinates")
    utm = roipac_stack(tmp_path / "utm", t, x_first=500000.0, y_first=4100000.0, step=30.0)
    hk.expect_refusal("stackingvelocity", {"INTERFEROGRAMS": utm, **_vel(tmp_path, "w.tif")},
                      r"INTERFEROGRAMS: utm/geo_\d{6}-\d{6}.unw: the grid spans x 500000..501080, .*not longitude/"
                      r"latitude, as a ROI_PAC .rsc without PROJECTION means")
    # millimetres in WAVELENGTH, and an L-band value for an Envisat platform
    mm = roipac_stack(tmp_path / "mm", t, wavelength_text="56.2356424")
    hk.expect_refusal("stackingvelocity", {"INTERFEROGRAMS": mm, **_vel(tmp_path, "w.tif")},
                      r"INTERFEROGRAMS: mm/geo_\d{6}-\d{6}.unw.rsc: 'WAVELENGTH: 56.2356424' read in m gives")
    assert sorted(os.listdir(r)) == before and not os.path.exists(tmp_path / "w.tif")


def test_a_gamma_interferogram_written_little_endian_is_read_so_and_garbage_is_named(qgis_app, tmp_path):
    """GAMMA writes big-endian and its files have no header; a stack written little-endian gave velocities of 1e21
    mm/yr at exit 0 and Python RuntimeWarnings. The byte order is found by plausibility: the velocity equals the
    truth, the log names the files; bytes that are no float32 in either order are refused naming the file."""
    import warnings

    from testutils import recording_feedback

    t = Truth(n_dates=4)
    g = gamma_stack(tmp_path / "g", t, endian="<")
    fb = recording_feedback()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = hk.run("stackingvelocity", {"INTERFEROGRAMS": g, "REFERENCE": REF, **_vel(tmp_path, "le.tif")}, fb)
    from testutils import read_array

    vel = read_array(out["OUTPUT_VELOCITY"])
    np.testing.assert_allclose(vel[3:], t.velocity[3:], atol=2e-3)
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert any(f"{_pair(t, 0)}.unw is little-endian" in w for w in fb.warnings)
    assert "little-endian float32 on the grid of dem_seg.par" in fb.text
    bad = os.path.join(g, "interferograms", _pair(t, 1), _pair(t, 1) + ".unw")
    np.random.default_rng(0).integers(0, 2 ** 32, os.path.getsize(bad) // 4, dtype=np.uint32).tofile(bad)
    hk.expect_refusal("stackingvelocity", {"INTERFEROGRAMS": g, **_vel(tmp_path, "w.tif")},
                      rf"INTERFEROGRAMS: g/interferograms/{_pair(t, 1)}/{_pair(t, 1)}.unw: its values are not "
                      r"plausible in either byte order")


def _pair(t, k):
    return f"{t.pairs[k][0]:%Y%m%d}_{t.pairs[k][1]:%Y%m%d}"


@pytest.mark.parametrize("damage", ["zero rows", "cut short"])
def test_isce2_lookup_tables_zero_on_rows_or_cut_short_are_named(qgis_app, tmp_path, damage):
    """ISCE2 topsStack's geom_reference/lat.rdr (float64, its .vrt beside it, as topo writes them) zero on its
    last rows, or cut short: the message blamed the intact interferograms ("all 9 rasters have no valid pixel")."""
    from testutils_product_walks import isce_tops_stack

    t = Truth(n_dates=4)
    merged = isce_tops_stack(tmp_path / "i", t)
    lat = os.path.join(merged, "geom_reference", "lat.rdr")
    rows, cols = t.shape
    if damage == "zero rows":
        a = np.fromfile(lat, "<f8").reshape(rows, cols)
        a[20:] = 0.0
        a.tofile(lat)
    else:
        with open(lat, "r+b") as fh:
            fh.truncate(cols * 8 * 20)
    before = hk.digest([lat])
    what = (r"holds 0 \(no position\) on 10 of its 30 rows \(rows 20-29\)" if damage == "zero rows" else
            r"is cut short: lat.rdr holds 5,760 bytes, its 36 x 30 pixels need 8,640 \(about 20 of its 30 rows\)")
    hk.expect_refusal("stackingvelocity", {"INTERFEROGRAMS": merged, **_vel(tmp_path)},
                      rf"INTERFEROGRAMS: geom_reference/lat.rdr.vrt: the lookup table {what}")
    assert hk.digest([lat]) == before and not os.path.exists(tmp_path / "v.tif")


def test_a_snap_header_without_its_data_folder_is_named(qgis_app, tmp_path):
    """BEAM-DIMAP keeps a product's bands in ``<product>.data/`` beside ``<product>.dim`` (SNAP's DIMAP writer): a
    .dim copied without its .data was dropped without a word; now the log names it, and products that all lack
    theirs are refused naming the first."""
    import shutil

    from testutils import recording_feedback

    t = Truth(n_dates=4)
    root = snap_products(tmp_path / "s", t)
    dims = sorted(f for f in os.listdir(root) if f.endswith(".dim"))
    shutil.rmtree(os.path.join(root, dims[0][:-4] + ".data"))
    fb = recording_feedback()
    hk.run("stackingvelocity", {"INTERFEROGRAMS": root, "REFERENCE": REF, **_vel(tmp_path)}, fb)
    assert any(f"s/{dims[0]}: its folder {dims[0][:-4]}.data (where SNAP writes the product's bands) is not beside "
               "it; the product is left out" in w for w in fb.warnings), fb.warnings
    kept = [p for p in t.pairs if f"{p[0]:%Y%m%d}" not in dims[0]]  # one product per first date
    assert f"SNAP BEAM-DIMAP: {len(kept)} unwrapped interferograms" in fb.text
    for d in dims[1:]:
        shutil.rmtree(os.path.join(root, d[:-4] + ".data"))
    hk.expect_refusal("stackingvelocity", {"INTERFEROGRAMS": root, **_vel(tmp_path, "w.tif")},
                      rf"INTERFEROGRAMS: s/{dims[0]}: its folder {dims[0][:-4]}.data .* is not beside it, nor are "
                      rf"those of {len(dims) - 1} other .dim")
