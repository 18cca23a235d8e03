"""The acquisition geometry's rule (algorithms/formats/geometry_meta.py): user > metadata > default, named
sources, contradictions warned, disagreeing files refused, other software's keys read, baselines parsed."""

import datetime as dt

import numpy as np
import pytest

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.formats import geometry_meta as gm


def _found(q, *items):
    found, problems = gm.collect(q, items)
    assert not problems
    return found


def test_user_beats_metadata_with_a_warning_naming_both():
    found = _found(gm.INCIDENCE, ("a.tif", {"INCIDENCE_DEG": "34.0"}), ("b.tif", {"INCIDENCE_DEG": "34"}))
    c = gm.choose_value(gm.INCIDENCE, 30.0, found, parameter="INCIDENCE", default=39.0)
    assert c.value == 30.0 and c.source == "given by INCIDENCE"
    assert c.warnings == ["INCIDENCE = 30 deg disagrees with the inputs' metadata (a.tif INCIDENCE_DEG (and the same "
                          "in 1 other file(s)) = 34 deg); using INCIDENCE. Leave INCIDENCE empty to use the metadata"]
    same = gm.choose_value(gm.INCIDENCE, 34.0, found, parameter="INCIDENCE")
    assert same.warnings == []


def test_metadata_beats_the_default_and_names_its_file():
    found = _found(gm.SLANT_RANGE, ("ts.tif", {"slant_range_m": b"880000"}))
    c = gm.choose_value(gm.SLANT_RANGE, None, found, parameter="SLANT_RANGE", default=850000.0)
    assert (c.value, c.from_metadata) == (880000.0, True)
    assert c.source == "from the inputs' metadata (ts.tif SLANT_RANGE_M)"
    d = gm.choose_value(gm.SLANT_RANGE, None, [], parameter="SLANT_RANGE", default=850000.0, default_label="S1")
    assert d.value == 850000.0 and d.source.startswith("S1 (no SLANT_RANGE given and no SLANT_RANGE_M")


def test_no_value_and_no_default_is_an_error_saying_what_to_give():
    with pytest.raises(GeohazardError, match="INCIDENCE: the inputs carry no incidence angle .* give a raster"):
        gm.choose_value(gm.INCIDENCE, None, [], parameter="INCIDENCE", why_needed="give a raster")


def test_other_software_keys_and_circular_heading():
    assert gm.value_from_metadata(gm.INCIDENCE, {"INCIDENCE_DEGREES": "38.2"}) == ("INCIDENCE_DEGREES", 38.2)
    assert gm.value_from_metadata(gm.HEADING, {"HEADING": "-168.1"}) == ("HEADING", -168.1)
    found = _found(gm.HEADING, ("a", {"HEADING_DEG": "-12"}), ("b", {"HEADING_DEG": "348"}))
    assert gm.single_value(gm.HEADING, found)[0] == -12.0  # the same direction


def test_files_that_disagree_or_hold_nonsense_are_refused_by_name():
    found = _found(gm.INCIDENCE, ("a.tif", {"INCIDENCE_DEG": "34"}), ("b.tif", {"INCIDENCE_DEG": "41.5"}))
    with pytest.raises(GeohazardError, match=r"a.tif INCIDENCE_DEG = 34 deg but b.tif INCIDENCE_DEG = 41.5 deg"):
        gm.choose_value(gm.INCIDENCE, None, found, parameter="INCIDENCE", default=39.0)
    found, problems = gm.collect(gm.INCIDENCE, [("c.tif", {"INCIDENCE_DEG": "0.6 rad"})])
    assert found == [] and "c.tif: metadata INCIDENCE_DEG='0.6 rad' is not a number" in problems[0]
    with pytest.raises(GeohazardError, match="c.tif"):
        gm.choose_value(gm.INCIDENCE, None, found, parameter="INCIDENCE", problems=problems, default=39.0)
    c = gm.choose_value(gm.INCIDENCE, 35.0, found, parameter="INCIDENCE", problems=problems)
    assert c.value == 35.0 and "ignored, INCIDENCE is used" in c.warnings[0]
    with pytest.raises(GeohazardError, match="not a valid slant range in m"):
        gm.value_from_metadata(gm.SLANT_RANGE, {"SLANT_RANGE_M": "880"})  # kilometres


def test_pair_and_date_baselines():
    assert gm.pair_baseline_from_metadata("20200113_20200101.tif", {"PERPENDICULAR_BASELINE_M": "-42.5"}) == \
        ((dt.date(2020, 1, 1), dt.date(2020, 1, 13)), -42.5)
    with pytest.raises(GeohazardError, match="not a perpendicular baseline in metres"):
        gm.pair_baseline_from_metadata("20200101_20200113.tif", {"PERPENDICULAR_BASELINE_M": "42000"})
    assert gm.date_baselines_from_metadata("ts.tif", {"PERPENDICULAR_BASELINES_M": "0,12.5,-3"}, 3) == [0, 12.5, -3]
    with pytest.raises(GeohazardError, match="does not hold 4 perpendicular baselines"):
        gm.date_baselines_from_metadata("ts.tif", {"PERPENDICULAR_BASELINES_M": "0,12.5,-3"}, 4)
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(5)]
    b = np.array([0.0, 30.0, -20.0, 55.0, 5.0])
    pairs = {(dates[i], dates[j]): b[j] - b[i] for i in range(5) for j in range(i + 1, min(i + 3, 5))}
    np.testing.assert_allclose(gm.date_baselines_from_pairs(pairs, dates), b, atol=1e-9)
    with pytest.raises(GeohazardError, match="no perpendicular baseline reaches 1 date"):
        gm.date_baselines_from_pairs({k: v for k, v in pairs.items() if dates[4] not in k}, dates)
