"""algorithms.formats.units: undeclared no-data values found the same whatever the blocks, kept where the data reach
them; height units and Earth's range; unit factors between two rasters; the millimetre checks."""

import math

import numpy as np
import pytest

from insar_geohazards.algorithms.formats import units as u

F32_MIN = float(np.finfo(np.float32).min)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sentinels_are_found_the_same_for_any_blocking(seed):
    rng = np.random.default_rng(seed)
    data = rng.normal(300.0, 80.0, 5000)
    which = rng.choice([-32768.0, -9999.0, F32_MIN, np.inf, -np.inf], size=int(rng.integers(1, 4)), replace=False)
    holes = rng.choice(data.size, 60, replace=False)
    data[holes] = rng.choice(which, holes.size)
    whole = u.sentinel_values(data)
    scan = u.SentinelScan()
    for part in np.array_split(data, int(rng.integers(2, 40))):
        scan.add(part)
    assert scan.found() == whole
    assert {v for v, _ in whole} == {float(v) for v in set(data[holes])}
    assert sum(n for _, n in whole) == holes.size
    clean = np.where(u.sentinel_mask(data, whole), np.nan, data)
    assert np.isnan(clean).sum() == holes.size and np.nanmin(clean) > -1000.0


def test_a_listed_sentinel_the_data_reach_is_a_value():
    """-9999 mm in a mining basin whose values reach -9,990 mm is a measurement, not no data; -32768 below heights of
    0-900 m is no data; rounded prints of the float32 minimum are no data."""
    basin = np.r_[np.linspace(-9990.0, 0.0, 500), -9999.0]
    assert u.sentinel_values(basin) == []
    dem = np.r_[np.linspace(0.0, 900.0, 500), -32768.0, -32768.0]
    assert u.sentinel_values(dem) == [(-32768.0, 2)]
    assert u.sentinel_values(np.r_[dem[:500], -3.4e38]) == [(-3.4e38, 1)]
    assert u.sentinel_values(np.full(10, -9999.0)) == [(-9999.0, 10)]  # nothing else left: no data


def test_height_units_and_the_range_of_heights_on_earth():
    assert u.height_unit("ft") == 0.3048 and u.height_unit("US survey foot") == pytest.approx(1200 / 3937)
    assert u.height_unit("metre") == 1.0 and u.height_unit("cm") == 0.01 and u.height_unit("degree") is None
    assert u.implausible_heights(-420.0, 8848.0, name="DEM") is None
    msg = u.implausible_heights(1200.0, 95000.0, name="DEM: a.tif")
    assert "DEM: a.tif" in msg and "in cm it would be 950 m" in msg and "gdal_edit -units cm" in msg


@pytest.mark.parametrize("slope,text", [(3.28, "feet against metres"), (1000.0, "mm against metres"),
                                        (0.0101, "metres against cm"), (1.0, None), (2.0, None), (math.nan, None)])
def test_unit_ratios(slope, text):
    got = u.unit_ratio(slope)
    assert (got is None) if text is None else text in got


def test_beyond_millimetres_says_so_only_above_the_ceiling():
    assert u.beyond_millimetres(500.0, name="X", assumed="mm/yr") is None
    assert "X declares no unit" in u.beyond_millimetres(5.0e4, name="X", assumed="mm/yr")
    assert u.beyond_millimetres(5.0e4, name="X", assumed="mm") is None
