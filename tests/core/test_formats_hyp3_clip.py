"""HyP3 files clipped by ASF's MintPy recipe, walked into a stack spec (algorithms/formats/products.py, hyp3.py),
with a real producer file: the parameter ``.txt`` hyp3-isce2 writes from real Sentinel-1 metadata
(tests/data/hyp3_isce2_parameters/, BSD-3-Clause, its LICENSE names the source). Truths: the values in that file.
"""

import datetime as dt
import os
import shutil

import pytest

from insar_geohazards.algorithms.formats import hyp3
from insar_geohazards.algorithms.formats.products import read_stack_items

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "hyp3_isce2_parameters")
#: hyp3-isce2's burst product name of the pair of single_burst_parameters.txt (packaging.get_product_name's form).
NAME = "S1_372326_IW3_20180628_20190705_VV_INT40_D62F"


@pytest.mark.parametrize("suffix", ["_clip", "_clipped"])
def test_clipped_file_roles(suffix):
    assert hyp3.file_role(f"{NAME}_unw_phase{suffix}.tif", NAME) == "unw"
    assert hyp3.file_role(f"{NAME}_corr{suffix}.tif", NAME) == "coh"
    assert hyp3.file_role(f"{NAME}_lv_theta{suffix}.tif", NAME) == "lv_theta"
    assert hyp3.is_clipped(f"{NAME}_corr{suffix}.tif") and not hyp3.is_clipped(f"{NAME}_corr.tif")


def test_real_parameter_file_read_beside_a_list_of_clipped_files(tmp_path):
    """The clipped files given one by one: the product's .txt (the real one) is read from their folder."""
    folder = tmp_path / NAME
    folder.mkdir()
    shutil.copy(os.path.join(DATA, "single_burst_parameters.txt"), folder / f"{NAME}.txt")
    for role in ("_unw_phase", "_corr", "_unw_phase_clip", "_corr_clip"):
        (folder / f"{NAME}{role}.tif").write_bytes(b"II*\x00")  # the walk names files, it does not open them
    spec = read_stack_items([str(folder / f"{NAME}_unw_phase_clip.tif"), str(folder / f"{NAME}_corr_clip.tif")])
    assert spec.producer == "HyP3" and len(spec.pairs) == 1
    pair = spec.pairs[0]
    assert pair.pair == (dt.date(2018, 6, 28), dt.date(2019, 7, 5))
    assert pair.unw.endswith("_unw_phase_clip.tif") and pair.coh.endswith("_corr_clip.tif")
    assert spec.geometry["HEADING_DEG"][0][1] == -163.184113207136
    assert spec.geometry["SLANT_RANGE_M"][0][1] == 827292.8619908537
    assert spec.baselines == {pair.pair: 7.636373874371554}
    assert "with the product's .txt beside them" in " ".join(spec.taken)


def test_folder_with_originals_and_clipped_reads_the_clipped(tmp_path):
    folder = tmp_path / "data" / NAME
    folder.mkdir(parents=True)
    shutil.copy(os.path.join(DATA, "single_burst_parameters.txt"), folder / f"{NAME}.txt")
    for role in ("_unw_phase", "_corr", "_unw_phase_clipped", "_corr_clipped"):
        (folder / f"{NAME}{role}.tif").write_bytes(b"II*\x00")
    spec = read_stack_items([str(tmp_path / "data")])
    assert os.path.basename(spec.pairs[0].unw) == f"{NAME}_unw_phase_clipped.tif"
    assert sorted(os.path.basename(r) for r, why in spec.left_out if "unclipped" in why) == \
        [f"{NAME}_corr.tif", f"{NAME}_unw_phase.tif"]


def test_real_slc_product_parameters():
    with open(os.path.join(DATA, "slc_parameters.txt")) as fh:
        meta = hyp3.parse_parameters(fh.read(), "slc_parameters.txt")
    assert hyp3.parameters_geometry(meta) == {"HEADING_DEG": -15.3974576912639, "SLANT_RANGE_M": 826758.6675801671}
    assert hyp3.parameters_baseline(meta) == -129.02564735771583
    assert hyp3.pass_direction(meta).upper().startswith("ASC")
