"""ARIA GUNW and OPERA DISP-S1 walked into stack specs (algorithms/formats/gunw.py, opera.py), no QGIS.

Samples written with GDAL's netCDF driver as the producers lay them out (tests/testutils_netcdf_products.py cites
ARIA-tools, MintPy's prep_aria.py and opera-adt/disp-s1). Truths: the names' dates, the baselines, wavelength,
incidence and heading planted in the files, the sign rules of prep_aria.py (later_earlier, x -1) and of DISP-S1
(metres toward the platform: phase = -4 pi / wavelength x displacement).
"""

import datetime as dt
import math
import shutil

import pytest
import testutils_netcdf_products as tn
from testutils_products import S1_WAVELENGTH_M, Truth

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.formats import gunw, opera
from insar_geohazards.algorithms.formats.products import read_stack_items

pytest.importorskip("h5py", reason="h5py is not installed")
pytest.importorskip("osgeo", reason="the samples are written with GDAL")


def test_names():
    assert gunw.is_gunw_name("S1-GUNW-A-R-064-tops-20200130_20200124-135156-00119W_00034N-PP-3a3e-v2_0_4.nc")
    assert not gunw.is_gunw_name("S1-GUNW-A-R-064-tops-20200130_20200124-135156.tif")
    parts = opera.name_parts("OPERA_L3_DISP-S1_IW_F11116_VV_20160705T140755Z_20160729T140756Z_v1.0_"
                             "20250318T222753Z.nc")
    assert parts == {"frame": "11116", "ref": dt.date(2016, 7, 5), "sec": dt.date(2016, 7, 29),
                     "made": dt.date(2025, 3, 18)}


def test_gunw_spec_dates_baselines_geometry(tmp_path):
    t = Truth(n_dates=4)
    tn.gunw_folder(tmp_path / "g", t)
    spec = read_stack_items([str(tmp_path / "g")])
    assert spec.producer == "ARIA" and spec.wavelength[1] == pytest.approx(S1_WAVELENGTH_M)
    for p in spec.pairs:
        assert p.pair[0] > p.pair[1]  # ARIA's order: the later date first
        assert p.unw.startswith('NETCDF:"') and p.unw.endswith(":/science/grids/data/unwrappedPhase")
        key = tuple(sorted(p.pair))
        assert spec.baselines[key] == pytest.approx(t.bperp[key[1]] - t.bperp[key[0]], abs=1e-3)
    heads = [v for _, v in spec.geometry["HEADING_DEG"]]
    assert heads == pytest.approx([tn.ARIA_HEADING % 360] * len(spec.pairs))
    assert [v for _, v in spec.geometry["INCIDENCE_DEG"]] == pytest.approx([tn.ARIA_INCIDENCE] * len(spec.pairs))


def test_gunw_two_frames_of_one_pair_are_refused(tmp_path):
    t = Truth(n_dates=3)
    files = tn.gunw_folder(tmp_path / "g", t)
    src = files[t.pairs[0]]
    shutil.copy(src, src.replace("-135156-", "-135221-"))
    with pytest.raises(GeohazardError, match="is in two GUNW files"):
        read_stack_items([str(tmp_path / "g")])


def test_opera_spec_scale_and_reference(tmp_path):
    t = Truth(n_dates=5)
    tn.opera_folder(tmp_path / "o", t)
    spec = read_stack_items([str(tmp_path / "o")])
    assert spec.producer == "OPERA" and spec.frame == "F11116"
    assert spec.unw_scale == pytest.approx(-4.0 * math.pi / S1_WAVELENGTH_M, rel=1e-12)
    assert [p.pair for p in spec.pairs] == tn.opera_pairs(t)
    assert {p.meta["reference"] for p in spec.pairs} == {(25, 30)}
    assert [v for _, v in spec.geometry["INCIDENCE_DEG"]] == pytest.approx([38.0] * len(spec.pairs))
