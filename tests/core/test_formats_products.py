"""Products as their producers deliver them: LiCSAR and HyP3 names, metadata text, baselines, E/N/U geometry and the
walk of their folder trees and zips (algorithms/formats/licsar.py, hyp3.py, products.py; no GDAL).

Sources of the layouts and texts checked here:

* LiCSAR: ``licsar_proc/bin/scripts/submit_to_public_metadata.sh`` (metadata.txt keys: master, center_time, heading,
  avg_incidence_angle, azimuth_resolution, range_resolution, centre_range_m, avg_height, applied_DEM), LiCSBAS
  ``LiCSBAS_io_lib.read_bperp_file`` (the two forms of ``baselines``, its docstring's example lines),
  ``LiCSBAS01_get_geotiff.py`` / ``LiCSBAS02_ml_prep.py`` (GEOC tree), ``licsar2licsbas.sh`` (portal tree),
  ``LiCSBAS_plot_ts.py`` (incidence = arccos(U)). https://github.com/yumorishita/LiCSBAS,
  https://github.com/comet-licsar/licsar_proc
* HyP3: ``hyp3-gamma`` ``ifm_sentinel.py`` (``make_parameter_file``: the .txt keys; ``move_output_files``: the file
  suffixes), the product README template (naming convention, lv_theta / lv_phi definitions), MintPy
  ``prep_hyp3.py`` (the product-name regular expressions, the example name
  S1AA_20161223T070700_20170116T070658_VVP024_INT80_G_ueF_74C2, the relative-orbit offsets).
  https://github.com/ASFHyP3/hyp3-gamma, https://hyp3-docs.asf.alaska.edu/guides/insar_product_guide/
"""

import datetime as dt
import os
import zipfile

import numpy as np
import pytest

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.formats import hyp3, licsar
from insar_geohazards.algorithms.formats.baselines import read_baselines
from insar_geohazards.algorithms.formats.dates import parse_date_pairs
from insar_geohazards.algorithms.formats.product_files import describe_file
from insar_geohazards.algorithms.formats.products import read_stack_items
from insar_geohazards.algorithms.geometry.los import los_unit_vector

D = dt.date
META = ("master=20180101\ncenter_time=05:21:14.512345\nheading=-169.8765\navg_incidence_angle=39.2346\n"
        "azimuth_resolution=13.981\nrange_resolution=2.329562\ncentre_range_m=880461.8\navg_height=512.3\n"
        "applied_DEM=CopernicusDEM_30m\n")


# ------------------------------------------------------------------ LiCSAR text files
def test_licsar_metadata_txt_gives_heading_incidence_and_slant_range():
    meta = licsar.parse_metadata(META)
    assert meta["master"] == "20180101" and meta["applied_DEM"] == "CopernicusDEM_30m"
    assert licsar.metadata_geometry(meta) == {"HEADING_DEG": -169.8765, "INCIDENCE_DEG": 39.2346,
                                              "SLANT_RANGE_M": 880461.8}
    with pytest.raises(GeohazardError, match="avg_incidence_angle='0.68'|outside"):
        licsar.metadata_geometry({"avg_incidence_angle": "0.2"}, "m.txt")
    with pytest.raises(GeohazardError, match="no 'key=value' line"):
        licsar.parse_metadata("20180101 20180113 12.3 12\n", "metadata.txt")


def test_licsar_baselines_both_forms_as_licsbas_reads_them():
    """The example lines of LiCSBAS io_lib.read_bperp_file's docstring (new and old forms)."""
    new = "20170302 20170326 130.9  24.0\n20170302 20170314  32.4  12.0\n"
    assert licsar.parse_baselines(new) == {D(2017, 3, 2): 0.0, D(2017, 3, 26): 130.9, D(2017, 3, 14): 32.4}
    old = ("  1 20170218 20170326 96.6 36.0    -12.0    24.0    34.2   130.9\n"
           "  2 20170302 20170314 32.4 12.0      0.0    12.0     0.0    32.4\n")
    per = licsar.parse_baselines(old)
    assert per == {D(2017, 2, 18): 34.2, D(2017, 3, 26): 130.9, D(2017, 3, 2): 0.0, D(2017, 3, 14): 32.4}
    table, missing = licsar.pair_baselines(per, [(D(2017, 3, 26), D(2017, 2, 18)), (D(2017, 3, 2), D(2018, 1, 1))])
    assert table == {(D(2017, 2, 18), D(2017, 3, 26)): pytest.approx(96.7)} and missing == [D(2018, 1, 1)]
    with pytest.raises(GeohazardError, match="baselines, line 1: 3 columns"):
        licsar.parse_baselines("20170302 20170326 130.9\n")
    with pytest.raises(GeohazardError, match="line 2: '2017032' is not a date"):
        licsar.parse_baselines("20170302 20170326 1 1\n20170302 2017032 1 1\n")


def test_read_baselines_takes_the_licsar_file_and_hyp3_txt(tmp_path):
    (tmp_path / "baselines").write_text("20200101 20200101 0.0 0\n20200101 20200113 40.5 12\n"
                                        "20200101 20200125 -9.5 24\n")
    table = read_baselines([str(tmp_path / "baselines")])
    assert table[(D(2020, 1, 13), D(2020, 1, 25))] == pytest.approx(-50.0)
    assert table[(D(2020, 1, 1), D(2020, 1, 25))] == pytest.approx(-9.5)
    name = "S1AA_20200101T135156_20200113T135157_VVP012_INT80_G_ueF_A1B2"
    folder = tmp_path / "hyp3" / name
    folder.mkdir(parents=True)
    (folder / f"{name}.txt").write_text("Reference Granule: S1A_IW_SLC__1SDV_x\nBaseline: 41.25\n")
    (folder / f"{name}.README.md.txt").write_text("ASF InSAR Data Package (GAMMA)\n")
    assert read_baselines([str(tmp_path / "hyp3")]) == {(D(2020, 1, 1), D(2020, 1, 13)): 41.25}


# ------------------------------------------------------------------ E/N/U
@pytest.mark.parametrize("heading", [-169.9, -12.0, 190.0, 347.5])
def test_enu_angles_invert_the_los_unit_vector(heading):
    inc = np.linspace(29.0, 46.0, 7)
    e, n, u = los_unit_vector(inc, heading)
    got_inc, got_head = licsar.enu_angles(e, n, u)
    np.testing.assert_allclose(got_inc, inc, atol=1e-9)
    np.testing.assert_allclose(got_head, np.full(7, heading % 360.0), atol=1e-9)
    # LiCSBAS reads the incidence as arccos(U)
    np.testing.assert_allclose(got_inc, np.degrees(np.arccos(u)), atol=1e-12)


def test_enu_angles_refuse_other_quantities_and_keep_no_data():
    e, n, u = los_unit_vector(np.array([35.0, 35.0]), -170.0)
    inc, head = licsar.enu_angles(np.r_[e[0], 0.0], np.r_[n[0], 0.0], np.r_[u[0], 0.0])
    assert np.isfinite(inc[0]) and np.isnan(inc[1]) and np.isnan(head[1])
    with pytest.raises(GeohazardError, match="not unit vectors"):
        licsar.enu_angles(e * 2, n * 2, u * 2)
    with pytest.raises(GeohazardError, match="points up"):
        licsar.enu_angles(-e, -n, -u)


# ------------------------------------------------------------------ HyP3 names and .txt
TXT = ("Reference Granule: S1A_IW_SLC__1SDV_20190610T135156_20190610T135223_027591_031D1A_6E37\n"
       "Secondary Granule: S1A_IW_SLC__1SDV_20190622T135157_20190622T135224_027766_03226F_F2FB\n"
       "Reference Pass Direction: ASCENDING\nReference Orbit Number: 27591\n"
       "Secondary Pass Direction: ASCENDING\nSecondary Orbit Number: 27766\n"
       "Baseline: -73.0542\nUTC time: 50316.462\nHeading: -11.9587652\nSpacecraft height: 693000.0\n"
       "Earth radius at nadir: 6371000.0\nSlant range near: 799000.0\nSlant range center: 880123.4\n"
       "Slant range far: 961000.0\nRange looks: 20\nAzimuth looks: 4\n"
       "Y coordinate of the reference point in the map projection: 3961000.0\n"
       "X coordinate of the reference point in the map projection: 394000.0\n")


def test_hyp3_names_roles_and_parameters():
    name = "S1AA_20161223T070700_20170116T070658_VVP024_INT80_G_ueF_74C2"  # MintPy prep_hyp3's example
    assert hyp3.product_name(f"/data/{name}.zip") == name
    assert hyp3.product_name(f"{name}_unw_phase_clip.tif") == name
    assert hyp3.file_role(f"{name}_unw_phase.tif", name) == "unw"
    assert hyp3.file_role(f"{name}_corr.tif", name) == "coh"
    assert hyp3.file_role(f"{name}.txt", name) == "txt"
    assert hyp3.file_role(f"{name}.README.md.txt", name) == "readme"
    assert hyp3.file_role(f"{name}_unw_phase.png", name) is None
    assert hyp3.product_name("S1_213524_IW1_20170411_20170517_VV_INT80_8E81.txt")  # an ISCE2 burst product
    assert hyp3.product_name("S1AA_20161223_20170116_unw.tif") is None
    assert parse_date_pairs([f"{name}_unw_phase.tif"], name="X") == [(D(2016, 12, 23), D(2017, 1, 16))]
    meta = hyp3.parse_parameters(TXT)
    assert hyp3.parameters_geometry(meta) == {"HEADING_DEG": -11.9587652, "SLANT_RANGE_M": 880123.4}
    assert hyp3.parameters_baseline(meta) == -73.0542
    assert hyp3.parameters_reference(meta) == (394000.0, 3961000.0)
    assert hyp3.pass_direction(meta) == "ASCENDING"
    with pytest.raises(GeohazardError, match="not a HyP3 parameter file"):
        hyp3.parse_parameters("Heading: 12\n", "x.txt")


# ------------------------------------------------------------------ walking what is given
def _touch(path, data=b"II*\x00"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
    return str(path)


def _geoc(root, frame="124D_05291_131313", pairs=("20200101_20200113", "20200113_20200125", "20200101_20200125")):
    geoc = os.path.join(str(root), "GEOC")
    for p in pairs:
        _touch(os.path.join(geoc, p, f"{p}.geo.unw.tif"))
        _touch(os.path.join(geoc, p, f"{p}.geo.cc.tif"))
        _touch(os.path.join(geoc, p, f"{p}.geo.unw.png"), b"\x89PNG")
    for key in ("E", "N", "U", "hgt"):
        _touch(os.path.join(geoc, f"{frame}.geo.{key}.tif"))
    with open(os.path.join(geoc, "metadata.txt"), "w") as fh:
        fh.write(META)
    with open(os.path.join(geoc, "baselines"), "w") as fh:
        fh.write("20200101 20200101 0 0\n20200101 20200113 10 12\n20200101 20200125 -20 24\n")
    return geoc


def test_licsar_geoc_walked_with_its_metadata(tmp_path):
    spec = read_stack_items([_geoc(tmp_path)])
    assert spec.producer == "LiCSAR" and spec.frame == "124D_05291_131313" and spec.zero_is_nodata
    assert [p.name for p in spec.pairs] == ["20200101_20200113", "20200101_20200125", "20200113_20200125"]
    assert all(p.unw.endswith(".geo.unw.tif") and p.coh.endswith(".geo.cc.tif") for p in spec.pairs)
    assert set(spec.scene) == {"E", "N", "U", "hgt", "metadata", "baselines"}
    assert spec.geometry["HEADING_DEG"][0][1] == -169.8765
    assert spec.baselines[(D(2020, 1, 13), D(2020, 1, 25))] == -30.0
    assert spec.wavelength[1] == pytest.approx(0.05546576, abs=1e-8)
    assert any("browse images" in why for _, why in spec.left_out)


def test_the_add_directory_list_of_a_tree_is_the_same_product(tmp_path):
    """QGIS's "Add Directory..." lists every raster file of the tree (no baselines, no metadata.txt): the files are
    read as the frame, its text files found beside its geometry rasters."""
    geoc = _geoc(tmp_path)
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(geoc) for f in fs if f.endswith(".tif"))
    spec = read_stack_items(files)
    assert len(spec.pairs) == 3 and spec.baselines is not None and "metadata" in spec.scene


def test_portal_frame_and_its_interferograms_folder_alone(tmp_path):
    frame = "124D_05291_131313"
    top = tmp_path / frame
    for p in ("20200101_20200113", "20200113_20200125"):
        _touch(top / "interferograms" / p / f"{p}.geo.unw.tif")
        _touch(top / "interferograms" / p / f"{p}.geo.cc.tif")
    for key in ("E", "N", "U"):
        _touch(top / "metadata" / f"{frame}.geo.{key}.tif")
    (top / "metadata" / "metadata.txt").write_text(META)
    for d in ("20200101", "20200113", "20200125"):
        _touch(top / "epochs" / d / f"{d}.sltd.geo.tif")
    spec = read_stack_items([str(top)])
    assert "portal" in spec.layout and len(spec.gacos) == 3 and set(spec.scene) >= {"E", "N", "U", "metadata"}
    alone = read_stack_items([str(top / "interferograms")])  # metadata/ and epochs/ read beside it, logged
    assert set(alone.scene) >= {"E", "N", "U", "metadata"} and len(alone.gacos) == 3
    assert any("read beside the folder given" in line for line in alone.taken)


def test_hostile_trees_are_named(tmp_path):
    # two frames mixed
    a, b = _geoc(tmp_path / "a"), _geoc(tmp_path / "b", frame="021D_04972_131213")
    with pytest.raises(GeohazardError, match="INTERFEROGRAMS: two LiCSAR frames are mixed: 124D_05291_131313 .* and "
                                             "021D_04972_131213"):
        read_stack_items([a, b])
    # a pair folder without its unwrapped interferogram: warned, left out
    geoc = _geoc(tmp_path / "c")
    os.remove(os.path.join(geoc, "20200113_20200125", "20200113_20200125.geo.unw.tif"))
    spec = read_stack_items([geoc])
    assert [p.name for p in spec.pairs] == ["20200101_20200113", "20200101_20200125"]
    assert "GEOC/20200113_20200125: no 20200113_20200125.geo.unw.tif (the unwrapped interferogram)" in spec.warnings[0]
    # a zip cut short
    name = "S1AA_20200101T135156_20200113T135157_VVP012_INT80_G_ueF_A1B2"
    zpath = tmp_path / "z" / f"{name}.zip"
    zpath.parent.mkdir()
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr(f"{name}/{name}_unw_phase.tif", b"x" * 5000)
        zf.writestr(f"{name}/{name}.txt", TXT)
    with open(zpath, "r+b") as fh:
        fh.truncate(os.path.getsize(zpath) - 40)
    with pytest.raises(GeohazardError, match=f"INTERFEROGRAMS: {name}.zip is not a complete zip archive .* a "
                                             "download cut short"):
        read_stack_items([str(zpath)])
    # the same zip among good products in a folder: left out, named in a warning
    good = "S1AA_20200113T135156_20200125T135157_VVP012_INT80_G_ueF_C3D4"
    with zipfile.ZipFile(tmp_path / "z" / f"{good}.zip", "w") as zf:
        zf.writestr(f"{good}/{good}_unw_phase.tif", b"x" * 50)
        zf.writestr(f"{good}/{good}.txt", TXT)
    spec = read_stack_items([str(tmp_path / "z")])
    assert [p.name for p in spec.pairs] == ["20200113_20200125"] and spec.pairs[0].unw.startswith("/vsizip/")
    assert any(f"left out: z/{name}.zip is not a complete zip archive" in w for w in spec.warnings)
    # two producers in one input
    with pytest.raises(GeohazardError, match="mix products of two producers: LiCSAR .* and HyP3"):
        read_stack_items([_geoc(tmp_path / "d"), str(tmp_path / "z" / f"{good}.zip")])


def test_plain_rasters_are_not_a_product_and_product_files_are_named(tmp_path):
    for p in ("20200101_20200113.unw.tif", "20200113_20200125.unw.tif"):
        _touch(tmp_path / "plain" / p)
    assert read_stack_items([str(tmp_path / "plain")]) is None
    assert "east component" in describe_file("124D_05291_131313.geo.E.tif")
    with pytest.raises(GeohazardError, match="124D_05291_131313.geo.E.tif is a file of LiCSAR frame "
                                             "124D_05291_131313: the east component"):
        parse_date_pairs(["20200101_20200113.unw.tif", "124D_05291_131313.geo.E.tif"], name="INTERFEROGRAMS")


def test_source_files_name_the_files_of_netcdf_and_hdf5_datasets(tmp_path):
    """The files a product's stack reads, as the outputs must not overwrite them: a netCDF or HDF5 dataset
    (``NETCDF:"<file>":<dataset>``, ``HDF5:"<file>":<dataset>``) is its file, once."""
    from insar_geohazards.algorithms.formats.stack_spec import PairSpec, StackSpec

    nc, h5 = str(tmp_path / "a.nc"), str(tmp_path / "b.h5")
    pair = (dt.date(2020, 1, 1), dt.date(2020, 1, 13))
    spec = StackSpec("X", "test", [PairSpec(pair, f'NETCDF:"{nc}":/displacement', f'NETCDF:"{nc}":/temporal_coherence'),
                                   PairSpec(pair, "/vsimem/x/georef_0.vrt", None)],
                     masks={f'NETCDF:"{nc}":/displacement': f'NETCDF:"{nc}":/recommended_mask'},
                     georef={f'HDF5:"{h5}"://science/LSAR/GUNW/grids/frequencyA/unwrappedInterferogram/HH/'
                             'unwrappedPhase': ((0, 1, 0, 0, 0, -1), 32611, (2, 2))})
    assert spec.source_files() == [nc, h5]
