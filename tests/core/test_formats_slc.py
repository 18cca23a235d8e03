"""SLC stack dates and perpendicular-baseline readers (table, GAMMA, ISCE2, SNAP)."""

import datetime as dt
import os

import pytest

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.formats.slc import (
    baselines_for_dates,
    date_from_description,
    date_from_name,
    read_baselines,
    slc_folder_files,
    slc_list_files,
)

D = dt.date


def test_dates_from_names_and_descriptions():
    assert date_from_name("/data/merged/SLC/20200113/20200113.slc.full.vrt") == D(2020, 1, 13)
    assert date_from_name("S1A_IW_SLC__1SDV_20200101T053416_20200101T053443_030.tif") == D(2020, 1, 1)
    assert date_from_name("/x/20190505/burst_01.slc") == D(2019, 5, 5)
    assert date_from_name("subset_of_S1A_Stack_slv_13Jan2020.img") == D(2020, 1, 13)
    assert date_from_description("2020-02-01") == D(2020, 2, 1)
    assert date_from_description("i_VV_slv1_13Jan2020"[2:]) == D(2020, 1, 13)
    with pytest.raises(GeohazardError, match="no acquisition date"):
        date_from_name("slc_stack.tif")
    with pytest.raises(GeohazardError, match="holds no date"):
        date_from_description("Band 1")


def test_plain_table_and_gamma_bperp_file(tmp_path):
    t = tmp_path / "bperp.csv"
    t.write_text("date,bperp_m\n2020-01-01,0\n20200113,12.5\n2020-01-25,-30.25\n")
    assert read_baselines(str(t)) == {D(2020, 1, 1): 0.0, D(2020, 1, 13): 12.5, D(2020, 1, 25): -30.25}
    g = tmp_path / "bperp_file"
    # GAMMA base_calc: index, reference, secondary, bperp, btemp, ...
    g.write_text("1 20200101 20200113   12.500   12.000 0.0 0.0\n"
                 "2 20200113 20200125  -42.750   12.000 0.0 0.0\n")
    b = read_baselines(str(g))
    assert b[D(2020, 1, 13)] == pytest.approx(12.5) and b[D(2020, 1, 25)] == pytest.approx(-30.25)
    arr = baselines_for_dates(b, [D(2020, 1, 13), D(2020, 1, 25)])
    assert arr.tolist() == pytest.approx([0.0, -42.75])
    with pytest.raises(GeohazardError, match="2020-02-06"):
        baselines_for_dates(b, [D(2020, 1, 13), D(2020, 2, 6)])


def test_isce_baseline_folder(tmp_path):
    for sec, val in (("20200113", "10.0"), ("20200125", "-5.5")):
        d = tmp_path / f"20200101_{sec}"
        d.mkdir()
        (d / f"20200101_{sec}.txt").write_text(
            f"swath: IW1\nBpar (average): 3.0\nBperp (average): {val}\nswath: IW2\nBperp (average): {val}\n")
    b = read_baselines(str(tmp_path))
    assert b[D(2020, 1, 13)] == pytest.approx(10.0) and b[D(2020, 1, 25)] == pytest.approx(-5.5)
    one_file = tmp_path / "20200101_20200113" / "20200101_20200113.txt"
    assert read_baselines(str(one_file)) == b


def test_snap_dim_baselines(tmp_path):
    dim = tmp_path / "stack.dim"
    dim.write_text("""<?xml version="1.0"?><Dimap_Document><Dataset_Sources><MDElem name="metadata">
<MDElem name="Abstracted_Metadata"><MDElem name="Baselines"><MDElem name="Ref_01Jan2020">
<MDElem name="Secondary_01Jan2020"><MDATTR name="Perp Baseline" type="float64">0.0</MDATTR></MDElem>
<MDElem name="Secondary_13Jan2020"><MDATTR name="Perp Baseline" type="float64">-21.5</MDATTR></MDElem>
</MDElem></MDElem></MDElem></MDElem></Dataset_Sources></Dimap_Document>""")
    b = read_baselines(str(dim))
    assert b[D(2020, 1, 13)] == pytest.approx(-21.5)
    with pytest.raises(GeohazardError, match="does not exist"):
        read_baselines(str(tmp_path / "missing.txt"))
    bad = tmp_path / "empty.txt"
    bad.write_text("# nothing\n")
    with pytest.raises(GeohazardError, match="no 'date bperp'"):
        read_baselines(str(bad))


def _touch(root, *names):
    for n in names:
        path = root / n
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")


def test_slc_folder_files_one_per_date_sidecars_and_other_rasters_left_out(tmp_path):
    flat = tmp_path / "flat"
    _touch(flat, "slc_20200113.tif", "slc_20200101.tif", "slc_20200101.tif.aux.xml", "dem.tif", "ps_mask.tif",
           "20200101_20200113_cc.tif", "20200101_20200113.unw.tif", "notes.txt", "slc_20200125.slc",
           "slc_20200125.slc.vrt", "slc_20200125.slc.hdr")
    got = [os.path.basename(p) for p in slc_folder_files(str(flat))]
    assert got == ["slc_20200101.tif", "slc_20200113.tif", "slc_20200125.slc.vrt"]  # by date; the VRT of a raw file


def test_slc_folder_files_isce_merged_slc_and_snap_product(tmp_path):
    isce = tmp_path / "merged" / "SLC"
    for d in ("20200113", "20200101"):
        _touch(isce, f"{d}/{d}.slc.full", f"{d}/{d}.slc.full.vrt", f"{d}/{d}.slc.full.xml", f"{d}/{d}.slc.full.hdr")
    _touch(isce, "README/notes.vrt")  # an undated subfolder is not a date
    got = [os.path.relpath(p, isce) for p in slc_folder_files(str(isce))]
    assert got == ["20200101/20200101.slc.full.vrt", "20200113/20200113.slc.full.vrt"]
    assert [date_from_name(p) for p in slc_folder_files(str(isce))] == [D(2020, 1, 1), D(2020, 1, 13)]
    snap = tmp_path / "snap"
    _touch(snap, "stack.dim", "stack.data/i_VV_01Jan2020.img", "stack.data/q_VV_01Jan2020.img")
    assert [os.path.basename(p) for p in slc_folder_files(str(snap))] == ["stack.dim"]  # one multi-band product
    empty = tmp_path / "empty"
    _touch(empty, "readme.txt")
    assert slc_folder_files(str(empty)) == []


def test_slc_list_files_filters_a_list_made_of_a_folder(tmp_path):
    names = ["slc_20200101.tif", "slc_20200101.tif.aux.xml", "slc_20200113.slc", "slc_20200113.slc.vrt",
             "slc_20200113.slc.hdr", "dem.tif", "20200101_20200113_cc.tif"]
    got = slc_list_files([str(tmp_path / n) for n in names])
    assert [os.path.basename(p) for p in got] == ["slc_20200101.tif", "slc_20200113.slc.vrt"]
    isce = [str(tmp_path / d / "slc.vrt") for d in ("20200113", "20200101")]  # dated by their folders
    assert slc_list_files(isce + [str(tmp_path / "s_20200125.tif")]) == isce + [str(tmp_path / "s_20200125.tif")]
    undated = slc_list_files([str(tmp_path / "a_20200101.tif"), str(tmp_path / "b.tif")])
    assert undated[1].endswith("b.tif")  # kept: the stack refuses it, naming it
