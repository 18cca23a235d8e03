"""The scene geometry a baselines product states (algorithms/formats/baseline_geometry.py), from the files as their
producers write them: ISCE2 topsStack ``reference/IW*.xml`` bursts, HyP3 ``<name>.txt`` inside product zips, MintPy
attributes by MintPy's own ``utils.range_distance`` / ``incidence_angle`` formulas (re-derived here), LiCSAR's
``metadata.txt``. No QGIS, no GDAL."""

import math
import os
import zipfile

import pytest

from insar_geohazards.algorithms.formats import baseline_geometry as bg


def _xml(path, swath, near, step, samples, bursts=2):
    body = "".join(f'<component name="burst{k}"><property name="startingrange"><value>{near}</value></property>'
                   f'<property name="rangepixelsize"><value>{step}</value></property>'
                   f'<property name="numberofsamples"><value>{samples}</value></property></component>'
                   for k in range(1, bursts + 1))
    with open(path, "w") as fh:
        fh.write(f'<component name="{swath}"><component name="bursts">{body}</component></component>')


def test_isce_tops_slant_range_is_the_middle_of_the_swaths_span(tmp_path):
    os.makedirs(tmp_path / "reference")
    os.makedirs(tmp_path / "baselines" / "20200101_20200113")
    _xml(tmp_path / "reference" / "IW1.xml", "IW1", 799000.0, 2.33, 21000)
    _xml(tmp_path / "reference" / "IW3.xml", "IW3", 880000.0, 2.33, 24000)
    [(label, md)] = bg.stated_geometry([str(tmp_path / "baselines")])
    far = 880000.0 + 2.33 * 23999
    assert float(md["SLANT_RANGE_M"]) == pytest.approx((799000.0 + far) / 2)
    assert "IW1.xml, IW3.xml" in label and "far range" in md["SLANT_RANGE_M_SOURCE"]
    # a pair folder inside baselines/ finds the same stack
    assert bg.stated_geometry([str(tmp_path / "baselines" / "20200101_20200113")])[0][1] == md


def test_hyp3_texts_are_read_inside_zips_and_averaged(tmp_path):
    names = ["S1AA_20200101T000000_20200113T000000_VVP012_INT80_G_ueF_A001",
             "S1AA_20200113T000000_20200125T000000_VVP012_INT80_G_ueF_A002"]
    for name, rng in zip(names, (880000.0, 880010.0)):
        with zipfile.ZipFile(tmp_path / f"{name}.zip", "w") as zf:
            granule = "S1A_IW_SLC__1SDV_20200101T000000_20200101T000027_030000_036F1E_ABCD"
            zf.writestr(f"{name}/{name}.txt", f"Reference Granule: {granule}\n"
                        f"Baseline: 12.5\nHeading: -12.0\nSlant range center: {rng}\n")
            zf.writestr(f"{name}/{name}.README.md.txt", "readme\n")
    texts = bg.hyp3_parameter_texts(str(tmp_path))
    assert [n for n, _ in texts] == [n + ".txt" for n in names]
    [(label, md)] = bg.stated_geometry([str(tmp_path)])
    assert float(md["SLANT_RANGE_M"]) == pytest.approx(880005.0)
    assert float(md["HEADING_DEG"]) % 360.0 == pytest.approx(348.0)  # -12 deg, as a circular mean gives it
    assert label == "HyP3 .txt of 2 products (mean)"


def test_mintpy_attribute_formulas_are_mintpy_s():
    """utils.range_distance: near + step (width - 1) / 2; utils.incidence_angle: the mean of the near and far
    (near + step width) incidence of a sphere of EARTH_RADIUS seen from HEIGHT above it."""
    a = {"STARTING_RANGE": "800000", "RANGE_PIXEL_SIZE": "46.6", "WIDTH": "5000", "EARTH_RADIUS": "6371000",
         "HEIGHT": "693000"}
    got = bg.mintpy_attribute_geometry(a)
    assert got["SLANT_RANGE_M"] == pytest.approx(800000 + 46.6 * 4999 / 2)
    r, h = 6371000.0, 693000.0

    def look(rng):  # the law of cosines at the target: angle between the local vertical and the look vector
        return 180.0 - math.degrees(math.acos((r * r + rng * rng - (r + h) ** 2) / (2 * r * rng)))

    assert got["INCIDENCE_DEG"] == pytest.approx((look(800000.0) + look(800000.0 + 46.6 * 5000)) / 2)
    assert 30 < got["INCIDENCE_DEG"] < 46  # a Sentinel-1 IW swath
    stated = bg.mintpy_attribute_geometry({**a, "SLANT_RANGE_DISTANCE": "850000", "CENTER_INCIDENCE_ANGLE": "39"})
    assert stated == {"SLANT_RANGE_M": 850000.0, "INCIDENCE_DEG": 39.0}


def test_licsar_metadata_beside_baselines_and_nothing_from_a_plain_csv(tmp_path):
    (tmp_path / "GEOC").mkdir()
    (tmp_path / "GEOC" / "baselines").write_text("20200101 20200101 0.0 0.0\n")
    (tmp_path / "GEOC" / "metadata.txt").write_text("centre_range_m=880461.8\navg_incidence_angle=39.2346\n"
                                                    "heading=-170.0\n")
    [(label, md)] = bg.stated_geometry([str(tmp_path / "GEOC" / "baselines")])
    assert (float(md["SLANT_RANGE_M"]), float(md["INCIDENCE_DEG"])) == (880461.8, 39.2346)
    assert label == "LiCSAR GEOC/metadata.txt"
    (tmp_path / "b.csv").write_text("date,bperp_m\n2020-01-01,0\n")
    assert bg.stated_geometry([str(tmp_path / "b.csv")]) == []
