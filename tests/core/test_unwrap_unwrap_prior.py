"""algorithms.unwrap.unwrap_prior: a steep simulated mining basin (gradients beyond pi per pixel) that plain
unwrapping gets wrong and unwrapping with a prior (the true field scaled by 80 %, or low-passed) gets right; the
prior of the wrong sign flagged; units through the project's phase <-> mm rule."""

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter
from testutils_unwrap import correct_share

from insar_geohazards.algorithms import conventions
from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.unwrap import unwrap, unwrap_prior


def steep_basin(n=120, peak=-200.0, radius=18.0, coherence=0.8, looks=4, seed=0):
    """A Gaussian subsidence bowl (rad; steepest gradient peak / (radius sqrt(e)) = 6.7 rad/px, beyond pi) with
    phase noise simulated from two correlated circular Gaussian signals averaged over ``looks``."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:n, 0:n].astype(float)
    truth = peak * np.exp(-((y - n / 2) ** 2 + (x - n / 2) ** 2) / (2 * radius ** 2))
    s1 = (rng.standard_normal((looks, n, n)) + 1j * rng.standard_normal((looks, n, n))) / np.sqrt(2)
    nn = (rng.standard_normal((looks, n, n)) + 1j * rng.standard_normal((looks, n, n))) / np.sqrt(2)
    s2 = coherence * s1 + np.sqrt(1 - coherence ** 2) * nn
    ifg = (s1 * np.conj(s2)).mean(axis=0) * np.exp(1j * truth)
    return np.angle(ifg).astype(np.float32), truth


@pytest.fixture(scope="module")
def basin():
    wrapped, truth = steep_basin()
    assert np.abs(np.gradient(truth)).max() > np.pi
    return wrapped, truth


def _share(res, truth):
    return correct_share(res.unwrapped, res.components, truth, np.ones(truth.shape, bool))


def test_plain_unwrapping_fails_on_the_steep_basin(basin):
    wrapped, truth = basin
    assert _share(unwrap.unwrap_interferogram(wrapped, min_component_size=10), truth) < 0.9


@pytest.mark.parametrize("kind", ["scaled", "low-passed"])
def test_a_prior_brings_the_basin_to_99_percent(basin, kind):
    wrapped, truth = basin
    prior = 0.8 * truth if kind == "scaled" else gaussian_filter(truth, 4)
    res = unwrap_prior.unwrap_with_prior(wrapped, prior, unwrap.unwrap_interferogram, min_component_size=10)
    assert _share(res, truth) >= 0.99
    # the result is the input plus whole cycles: the prior only chose them
    k = (res.unwrapped - wrapped) / (2 * np.pi)
    assert np.abs(k - np.rint(k)).max() < 1e-3
    assert res.stats["prior_share"] > 0.85 and res.stats["residual_steepness"] < 0.7
    assert not res.stats["prior_flagged"]


def test_a_prior_of_the_wrong_sign_is_flagged(basin):
    wrapped, truth = basin
    res = unwrap_prior.unwrap_with_prior(wrapped, -0.8 * truth, unwrap.unwrap_interferogram, min_component_size=10)
    assert res.stats["prior_flagged"] and res.stats["residual_steepness"] > 1
    assert "wrong sign" in unwrap_prior.flag_message("20200101_20200113", res.stats)


def test_units_follow_the_project_phase_to_mm_rule():
    wl = conventions.SENTINEL1_WAVELENGTH_M
    # 10 mm toward the satellite is -4 pi 10 / (lambda in mm) rad (phase grows with range)
    assert unwrap_prior.prior_scale("mm", wavelength_m=wl) * 10 == pytest.approx(-4 * np.pi * 10 / (wl * 1000))
    assert unwrap_prior.prior_scale("mm/yr", wavelength_m=wl, span_years=0.5) == pytest.approx(
        0.5 * unwrap_prior.prior_scale("mm", wavelength_m=wl))
    assert unwrap_prior.prior_scale("rad") == 1.0
    with pytest.raises(GeohazardError, match="wavelength"):
        unwrap_prior.prior_scale("mm")


def test_an_unwrapped_input_is_still_refused_with_a_prior():
    y, x = np.mgrid[0:20, 0:20].astype(float)
    with pytest.raises(GeohazardError, match="already unwrapped"):
        unwrap_prior.wrapped_residual(3.0 * x, np.zeros((20, 20)), "a.tif")


def test_snaphu_with_a_prior_reaches_99_percent(basin):
    if not unwrap.snaphu_available():
        pytest.skip("the optional snaphu package is not installed in this Python")
    wrapped, truth = basin
    assert _share(unwrap.unwrap_interferogram(wrapped, backend="snaphu"), truth) < 0.9  # SNAPHU cuts it short too
    res = unwrap_prior.unwrap_with_prior(wrapped, 0.8 * truth, unwrap.unwrap_interferogram, backend="snaphu",
                                         min_component_size=10)
    assert _share(res, truth) >= 0.99


def test_a_wrapped_phase_is_not_a_prior_but_a_small_unwrapped_one_is():
    """The bowl of 0-70 rad wrapped (confined to -pi..pi, jumps of 2 pi) is named as wrapped; the same bowl scaled to
    2.5 rad (within -pi..pi, no jump) and the unwrapped bowl itself are priors."""
    y, x = np.mgrid[0:80, 0:80].astype(float)
    bowl = -70.0 * np.exp(-((y - 40) ** 2 + (x - 40) ** 2) / (2 * 15.0 ** 2))
    msg = unwrap_prior.wrapped_prior_problem(np.angle(np.exp(1j * bowl)), "PRIOR: model.tif")
    assert msg.startswith("PRIOR: model.tif: values stay within") and "wrapped phase, not a prior model" in msg
    assert unwrap_prior.wrapped_prior_problem(bowl * 2.5 / 70.0) == ""
    assert unwrap_prior.wrapped_prior_problem(bowl) == ""
    assert unwrap_prior.wrapped_prior_problem(np.full((5, 5), np.nan)) == ""
