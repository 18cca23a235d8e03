"""algorithms.hazard.mining_time: Knothe's time function on the PIM basin; the time factor recovered from series
generated here (the PIM forward model times 1 - exp(-c t) written out in the test, plus noise) within 10 % with a
standard error that covers the error; worlds the fit was not tuned on; the block function in any layout; bad
input named."""

import datetime as dt
import math
from types import SimpleNamespace

import numpy as np
import pytest

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.hazard import mining_time as mt
from insar_geohazards.algorithms.hazard.miningsubsidence import Panel, PimParameters, los_from_enu, pim_displacement

PARAMS = PimParameters(0.8, 2.0, 10.0, 0.3)
LOS = (-0.61, -0.13, 0.78)  # Sentinel-1 ascending-like ground-to-satellite vector


def world(seed, *, ends, los, c_true, noise_mm, n_dates=30, step_days=12, start=dt.date(2021, 1, 3), n_pts=900):
    rng = np.random.default_rng(seed)
    panels = [Panel.from_vertices([(0, 0), (600, 0), (600, 240), (0, 240)], 300.0, 3.0, name="A",
                                  end_date=ends[0]),
              Panel.from_vertices([(800, -100), (1100, -100), (1100, 500), (800, 500)], 420.0, 2.5, name="B",
                                  end_date=ends[1])]
    x, y = rng.uniform(-500, 1600, n_pts), rng.uniform(-600, 900, n_pts)
    dates = [start + dt.timedelta(days=step_days * k) for k in range(n_dates)]
    total = np.zeros((n_dates, n_pts))
    for p in panels:  # written out here: PIM of each panel times Knothe's 1 - exp(-c t), t in years after its end
        e, n, u = pim_displacement(x, y, [p], subsidence_factor=PARAMS.subsidence_factor, tan_beta=PARAMS.tan_beta,
                                   offset_m=PARAMS.offset_m, horizontal_factor=PARAMS.horizontal_factor)
        final = los_from_enu(e, n, u, los) if los else u
        for k, d in enumerate(dates):
            t = (d - p.end_date).days / 365.25
            total[k] += final * (1 - math.exp(-c_true * t)) if t > 0 else 0.0
    series = total - total[0] + rng.normal(0, noise_mm, total.shape) + rng.normal(0, 5, n_pts)[None]
    return series, x, y, dates, panels


@pytest.mark.parametrize("seed, c_true, los", [(0, 1.6, LOS), (1, 0.7, None), (2, 3.5, LOS), (3, 1.1, None)])
def test_time_factor_recovered_within_ten_percent(seed, c_true, los):
    series, x, y, dates, panels = world(seed, ends=(dt.date(2020, 11, 1), dt.date(2021, 5, 20)), los=los,
                                        c_true=c_true, noise_mm=4.0)
    fit = mt.fit_time_factor(series, x, y, dates, panels, PARAMS, los_vector=los)
    assert abs(fit.c_per_year - c_true) <= 0.10 * c_true
    assert 0 < fit.std_error < 0.05 * c_true and abs(fit.c_per_year - c_true) < 5 * fit.std_error
    # each point's reference is fitted (one offset per point over its 30 dates): the residual keeps the noise less
    # its mean, sqrt(29 / 30) x the noise
    assert fit.rms_mm == pytest.approx(4.0 * math.sqrt(29 / 30), rel=0.05) and not fit.warnings
    # the typed basin is the truth here: the fitted one stays on it
    assert fit.basin["subsidence_factor"][0] == pytest.approx(0.8, abs=0.02)
    assert fit.basin["tan_beta"][0] == pytest.approx(2.0, abs=0.05)


def test_an_unseen_world_one_panel_ending_inside_the_series():
    """Written once with numbers picked by hand, run as it came: one panel ends in the middle of the series, the
    other two years before it; 8 mm noise, 6-day sampling."""
    series, x, y, dates, panels = world(11, ends=(dt.date(2022, 2, 14), dt.date(2019, 3, 1)), los=LOS, c_true=2.3,
                                        noise_mm=8.0, n_dates=90, step_days=6, n_pts=600)
    fit = mt.fit_time_factor(series, x, y, dates, panels, PARAMS, los_vector=LOS)
    assert abs(fit.c_per_year - 2.3) <= 0.23


def test_knothe_fraction_and_grid_block():
    assert mt.knothe_fraction([-1.0, 0.0, 1.0], 0.5).tolist() == pytest.approx([0, 0, 1 - math.exp(-0.5)])
    panels = [Panel.from_vertices([(0, 0), (600, 0), (600, 240), (0, 240)], 300.0, 3.0, end_date=dt.date(2020, 1, 1))]
    dates = [dt.date(2019, 6, 1), dt.date(2020, 7, 1), dt.date(2030, 1, 1)]
    gt = (-300.0, 30.0, 0.0, 540.0, 0.0, -30.0)
    whole = mt.time_grid_block(SimpleNamespace(row0=0, row1=28, rows=28, n_cols=40), {}, geotransform=gt,
                               panels=panels, params=PARAMS, dates=dates, c_per_year=1.5)["vertical"]
    parts = [mt.time_grid_block(SimpleNamespace(row0=a, row1=b, rows=b - a, n_cols=40), {}, geotransform=gt,
                                panels=panels, params=PARAMS, dates=dates, c_per_year=1.5)["vertical"]
             for a, b in ((0, 5), (5, 17), (17, 28))]
    assert np.concatenate(parts, axis=1).tobytes() == whole.tobytes()
    assert np.all(whole[0] == 0)  # before the end of extraction
    final = pim_displacement(*np.meshgrid(-300 + 15 + 30 * np.arange(40), 540 - 15 - 30 * np.arange(28)), panels,
                             subsidence_factor=0.8, tan_beta=2.0, offset_m=10.0, horizontal_factor=0.3)[2]
    assert np.allclose(whole[2], final * (1 - math.exp(-1.5 * 10.0027)), rtol=1e-4)


def test_bad_input_is_named():
    series, x, y, dates, panels = world(5, ends=(dt.date(2020, 11, 1), dt.date(2021, 5, 20)), los=None, c_true=1.0,
                                        noise_mm=1.0, n_pts=50)
    undated = [Panel.from_vertices([(0, 0), (9, 0), (9, 9)], 300.0, 3.0, name="X")]
    with pytest.raises(GeohazardError, match="panel X has no END_DATE"):
        mt.fit_time_factor(series, x, y, dates, undated, PARAMS)
    early = world(5, ends=(dt.date(2024, 1, 1), dt.date(2024, 2, 1)), los=None, c_true=1.0, noise_mm=1.0, n_pts=50)
    with pytest.raises(GeohazardError, match="before every panel's END_DATE"):
        mt.fit_time_factor(*early[:4], early[4], PARAMS)
    with pytest.raises(GeohazardError, match="TIME_FACTOR"):
        mt.check_time_factor(500.0)
    bad = [Panel.from_vertices([(0, 0), (9, 0), (9, 9)], 300.0, 3.0, name="Y", start_date=dt.date(2021, 1, 1),
                               end_date=dt.date(2020, 1, 1))]
    with pytest.raises(GeohazardError, match="START_DATE 2021-01-01 is after END_DATE"):
        mt.check_panel_dates(bad)


@pytest.mark.parametrize("seed", range(6))
def test_a_flipped_series_or_one_moving_before_the_end_is_named_and_a_right_one_is_not(seed):
    """The series of :func:`world` at random: as generated it fits; flipped it is refused as flipped; generated with
    subsidence from months before the panels' END_DATEs it is refused as begun earlier."""
    rng = np.random.default_rng(100 + seed)
    los = LOS if seed % 2 else None
    c_true = float(rng.uniform(0.8, 3.0))
    ends = (dt.date(2021, 6, 1), dt.date(2021, 9, 15))
    series, x, y, dates, panels = world(seed, ends=ends, los=los, c_true=c_true, noise_mm=float(rng.uniform(2, 6)),
                                        n_dates=45, start=dt.date(2021, 1, 3))
    fit = mt.fit_time_factor(series, x, y, dates, panels, PARAMS, los_vector=los)
    assert abs(fit.c_per_year - c_true) <= 0.15 * c_true
    with pytest.raises(GeohazardError, match="its sign looks flipped"):
        mt.fit_time_factor(-series, x, y, dates, panels, PARAMS, los_vector=los)
    began = tuple(e - dt.timedelta(days=int(rng.integers(120, 160))) for e in ends)
    moved, *_ = world(seed, ends=began, los=los, c_true=c_true, noise_mm=3.0, n_dates=45, start=dt.date(2021, 1, 3))
    with pytest.raises(GeohazardError, match="began earlier"):
        mt.fit_time_factor(moved, x, y, dates, panels, PARAMS, los_vector=los)
