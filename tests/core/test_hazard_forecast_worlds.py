"""The forecast's choice on worlds it was not shown (algorithms/hazard/forecast.py): a world of the practice design
with its mix of shapes drawn at random on every run (tests/testutils_forecast.py, written from the design's numbers),
lines with AR(1) noise of every correlation, an acceleration against a reversal, consolidation whose loading date is
not given, and the choice's outputs against their definitions.

The seed of the random world is drawn afresh (tests/testutils_seed.py: ``GEOHAZARD_TEST_SEED`` or this file's own
``FORECAST_WORLD_SEED`` repeats one) and named in every message."""

import datetime as dt

import numpy as np
import pytest
from testutils_forecast import NOISE_MM, ar1_lines, forecast_world, scores
from testutils_seed import drawn_seed

from insar_geohazards.algorithms.hazard import forecast as fc
from insar_geohazards.algorithms.models.timeseriesmodels import TimeBase, fit_model

SEED = drawn_seed(env="FORECAST_WORLD_SEED")


def _spread(share: float, n: int) -> float:
    """Twice the binomial standard deviation of ``share`` on ``n`` series."""
    return 2.0 * np.sqrt(share * (1.0 - share) / n)


@pytest.fixture(scope="module")
def world():
    w = forecast_world(SEED, m=720)
    d, dates = w["series"], w["dates"]
    return w, fc.forecast_series(d[:60], dates[:60], dates[60:]), fc.forecast_series(d, dates, w["months"])


def test_a_world_with_a_mix_drawn_at_random_gets_its_models_and_calibrated_sigmas(world):
    """First 60 of 80 dates forecast at the last 20, and all 80 at 6-12 months: the model right for >= 80 % of the
    series, the quadratic ones chosen as accelerating for >= 80 %, the error to the truth <= 1.2 (held-out dates) and
    <= 1.3 (6-12 months) times the noise; in each class of at least 60 series the model right for 60 % and 85-98 % of
    the noisy values within 2 sigma (logarithmic creep and consolidation one answer). Each share's bound, the pooled
    80 % too, is widened by twice the binomial spread of a share on that many series (a series' held-out values err
    together: one value a series, the cautious count); the benchmark holds the exact bounds on 3,600-pixel worlds.
    On the first 60 dates the consolidation series count at 0.73, not 0.8 (the pooled share) and their class at
    0.53, not 0.6: over 60 dates the best exponential decay lies 0.2-4.3 (deviance) from a consolidation curve of
    K 12.5-50 mm against the 1.8 mm noise, and a choice between two curves known exactly at that distance is right
    Phi(sqrt(D)/2) of the time, 0.73 on average (0.59-0.85 by K, 0.71-0.75 by the world's dates): no rule tells more
    of them from decay (the forecast tells 0.71, its class share spread 0.017 between worlds beyond the binomial).
    Counted at 0.8 and 0.6 about 8e-5 (pooled) and 1e-5 (class) of the runs would fail by the mix drawn (CI failed
    once, seed 1315873743: 55 % consolidation, pooled 0.792; seed 10231 passed by 0.009), now about 3e-8 and 2e-8;
    the accelerating share unwidened 2.5e-6 (exact binomial), now widened like the others. Rates per run from seeds
    10000-10999 (none failed, before or after): each share modelled as the class rates measured times the mix, its
    spread binomial plus the measured spread between worlds, over Dirichlet(2) mixes.
    On all 80 dates (6-12 months) every class is counted at 0.8 and 0.6 (consolidation told 0.84 of the time)."""
    w, cut, full = world
    s = scores(cut, w["group"], w["truth"][60:], w["series"][60:])
    ctx = f"seed {SEED}, shares {np.round(w['shares'], 2).tolist()}: {s}"
    pooled = 0.8 - _spread(0.8, len(w["group"]))
    short = 0.8 - 0.73  # consolidation series no rule tells from exponential decay over 60 dates (docstring)
    assert s["right"] >= pooled - short * np.mean(w["group"] == 5) and s["error"] <= 1.2, ctx
    if (w["group"] == 3).sum() >= 30:
        assert s["accelerating"] >= 0.8 - _spread(0.8, int((w["group"] == 3).sum())), ctx
    for name, c in s["by_class"].items():
        if c["n"] >= 60:
            target = 0.6 - (short if name == "consolidation" else 0.0)
            assert c["right"] >= target - _spread(target, c["n"]), (name, ctx)
            assert 0.85 - _spread(0.95, c["n"]) <= c["coverage"] <= 0.98 + _spread(0.95, c["n"]), (name, ctx)

    class Months:
        model_code = full.model_code
        value_mm = full.value_mm[5:]
        sigma_mm = full.sigma_mm[5:]

    s80 = scores(Months, w["group"], w["truth_months"][5:], w["obs_months"][5:])
    ctx = f"seed {SEED}, shares {np.round(w['shares'], 2).tolist()}: {s80}"
    assert s80["right"] >= pooled and s80["error"] <= 1.3, ctx
    for name, c in s80["by_class"].items():
        if c["n"] >= 60:
            assert c["right"] >= 0.6 - _spread(0.6, c["n"]), (name, ctx)
            assert 0.85 - _spread(0.95, c["n"]) <= c["coverage"] <= 0.98 + _spread(0.95, c["n"]), (name, ctx)
    assert NOISE_MM == pytest.approx(1.8027756, rel=1e-6)


def test_the_choice_outputs_are_the_criterion_weights(world):
    """The chosen model's weight is ``1 / sum exp(-(IC_k - IC_chosen)/2)`` over the candidates (by hand from the
    criteria), the runner-up is the best other candidate, a close choice is a gap under 2, and the world's series
    have no offset."""
    w, cut, _ = world
    d, dates = w["series"][:60], w["dates"][:60]
    opts = dict(criterion="bic", origin_date=TimeBase(dates).origin_date, primary_end_days=None, thickness_ok=None,
                fit_loading=True)
    ch = fc._chosen(d, dates, list(fc.FORECAST_MODELS), opts, w["dates"][60:])
    codes = np.array([1, 2, 3, 4, 5, 6, 7])
    for j in range(0, d.shape[1], 37):
        ic = ch.ic[:, j]
        k = int(np.argmin(ic))
        others = np.where(np.arange(ic.size) == k, np.inf, ic)
        assert cut.weight[j] == pytest.approx(1.0 / np.sum(np.exp(-(ic[np.isfinite(ic)] - ic[k]) / 2)), rel=1e-12)
        assert cut.runner_up[j] == codes[int(np.argmin(others))]
        assert cut.gap[j] == pytest.approx(np.min(others) - ic[k], rel=1e-12)
        assert cut.close[j] == (cut.gap[j] < fc.CLOSE_GAP)
    assert np.mean(cut.steps_count > 0) <= 0.01 and np.mean(cut.steps_used) <= 0.01


@pytest.mark.parametrize("n_dates", [60, 150])
def test_lines_with_ar1_noise_get_neither_an_acceleration_nor_an_offset(n_dates):
    """Lines with AR(1) noise (phi 0.3, 0.6, 0.9 at the sampling interval, 2 mm): a quadratic chosen for under
    10 % and an offset found for at most 2 % of the series, for every correlation."""
    for k, phi in enumerate((0.3, 0.6, 0.9)):
        dates, d = ar1_lines(100 * n_dates + k, 300, n_dates, phi)
        res = fc.forecast_series(d, dates, [dates[-1] + dt.timedelta(days=180)])
        assert np.mean(res.model_code == 3) < 0.1, (phi, np.bincount(res.model_code, minlength=7))
        assert np.mean(res.steps_count > 0) <= 0.02, (phi, np.bincount(res.steps_count))


def test_an_acceleration_is_chosen_and_a_reversal_is_not():
    """Parabolas of the same curvature (-6 mm/yr^2, 80 dates, 1.8 mm noise): speeding up from the start is chosen
    as quadratic; turning back in the middle of the window (the velocity changes sign there) never is."""
    rng = np.random.default_rng(2)
    dates = [dt.date(2019, 1, 6) + dt.timedelta(days=12 * i) for i in range(80)]
    t = np.arange(80) * 12 / 365.25
    for t_turn, want in ((-0.5, True), (0.5 * t[-1], False)):
        clean = -3.0 * (t - t_turn) ** 2
        res = fc.forecast_series(clean[:, None] + rng.normal(0, NOISE_MM, (80, 200)), dates,
                                 [dates[-1] + dt.timedelta(days=90)])
        share = np.mean(res.model_code == 3)
        assert (share > 0.9) if want else (share == 0.0), (t_turn, np.bincount(res.model_code, minlength=7))


def test_consolidation_without_an_origin_fits_the_time_since_loading():
    """Buisman settlement -K log10((td + 150)/150) with K 20-40 mm, no origin date given: the consolidation model
    (time since loading fitted) or logarithmic creep (the same curve with a rate) is chosen for most series (the
    rest mostly exponential decay, the close three-parameter rival: about 30 % at 1.8 mm of noise over 80 dates),
    and its rate and loading time are the truth's (the loading 150 days before the first date is t_l = 138 days
    before the default origin, 12 days before it)."""
    rng = np.random.default_rng(4)
    dates = [dt.date(2019, 1, 6) + dt.timedelta(days=12 * i) for i in range(80)]
    td = np.arange(80)[:, None] * 12.0
    K = rng.uniform(20, 40, 300)
    d = -K * np.log10((td + 150.0) / 150.0) + rng.normal(0, NOISE_MM, (80, 300))
    res = fc.forecast_series(d, dates, [dates[-1] + dt.timedelta(days=90)])
    assert np.mean(np.isin(res.model_code, (4, 5))) >= 0.6, np.bincount(res.model_code, minlength=7)
    assert np.mean(res.close[res.model_code == 6]) >= 0.5  # the decays chosen instead are mostly flagged close
    fit = fit_model(d, dates, "settlement")
    assert np.median(fit.param("rate_mm_per_decade") / -K) == pytest.approx(1.0, abs=0.05)
    assert np.median(fit.param("loading_days")) == pytest.approx(138.0, rel=0.15)
