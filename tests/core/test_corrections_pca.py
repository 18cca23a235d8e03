"""Block-based PCA atmosphere correction on synthetic stacks with known deformation and atmosphere."""


import numpy as np
import pytest
from testutils_atmosphere import atmosphere_stack, velocity

from insar_geohazards.algorithms.corrections.pca import pca_block, phase_elevation_block, smooth_model
from insar_geohazards.algorithms.errors import GeohazardError


def _rms(a):
    return float(np.sqrt(np.mean(a ** 2)))


@pytest.mark.parametrize("kw, shape, tile", [
    (dict(strat_mm_per_km=2, turb_mm=6), (64, 64), 32),            # turbulent
    (dict(strat_mm_per_km=10, turb_mm=5, n_dates=30), (48, 80), 48),  # both, other shape and size
    (dict(strat_mm_per_km=5, turb_mm=3, turb_scale_px=6, seed=4, defo_rate_mm_yr=-100), (40, 40), 40),
])
def test_turbulence_removed_deformation_kept(kw, shape, tile):
    s = atmosphere_stack(shape=shape, **kw)
    g = smooth_model(s["dates"])
    out = pca_block(s["series_mm"], g, tile=tile)
    before = _rms(s["series_mm"] - s["deformation_mm"])
    after = _rms(out["corrected_mm"] - s["deformation_mm"])
    assert after < 0.7 * before
    # what is removed is orthogonal to the model: velocities are unchanged
    np.testing.assert_allclose(velocity(out["corrected_mm"], s["years"]), velocity(s["series_mm"], s["years"]),
                               atol=1e-8)
    np.testing.assert_array_equal(out["corrected_mm"][0], s["series_mm"][0])
    # in the deforming bowl too the series gets closer to the truth (the deformation is not removed)
    bowl = np.abs(s["velocity_mm_yr"]) > 0.5 * np.abs(s["velocity_mm_yr"]).max()
    assert _rms((out["corrected_mm"] - s["deformation_mm"])[:, bowl]) < \
        0.85 * _rms((s["series_mm"] - s["deformation_mm"])[:, bowl])


def test_phase_elevation_wins_on_seasonal_stratification():
    """A stratified delay that follows the seasons is smooth in time: PCA keeps it, phase-elevation removes it."""
    s = atmosphere_stack(shape=(64, 64), strat_mm_per_km=1, seasonal_mm_per_km=20, turb_mm=0.5, seed=2,
                         defo_rate_mm_yr=-10)
    pca = pca_block(s["series_mm"], smooth_model(s["dates"]), tile=64)["corrected_mm"]
    pe = phase_elevation_block(s["series_mm"], s["dem_m"], tile=64)
    assert _rms(pe - s["deformation_mm"]) < _rms(pca - s["deformation_mm"])


def test_surge_outside_the_model_needs_its_date():
    """A landslide surge (40 mm in two weeks) mixes with the delays in the leading component: part of it is
    taken for atmosphere, unless its date is declared as a step of the model."""
    s = atmosphere_stack(shape=(64, 64), strat_mm_per_km=3, turb_mm=4, surge_mm=-40.0, seed=6)
    bowl = np.abs(s["velocity_mm_yr"]) > 0.5 * np.abs(s["velocity_mm_yr"]).max()
    n = len(s["dates"])

    def jump(series):
        return (series[n // 2 + 3] - series[n // 2 - 3])[bowl].mean()

    plain = pca_block(s["series_mm"], smooth_model(s["dates"]), tile=64)["corrected_mm"]
    stepped = pca_block(s["series_mm"], smooth_model(s["dates"], step_dates=[s["dates"][n // 2]]),
                        tile=64)["corrected_mm"]
    true = jump(s["deformation_mm"])
    assert 0.5 * abs(true) < abs(jump(plain)) < 0.9 * abs(true)
    assert abs(jump(stepped) - true) < 0.1 * abs(true)
    assert _rms(stepped - s["deformation_mm"]) < 0.7 * _rms(s["series_mm"] - s["deformation_mm"])


def test_pca_wins_on_turbulence():
    s = atmosphere_stack(shape=(64, 64), strat_mm_per_km=2, turb_mm=6, seed=3)
    pca = pca_block(s["series_mm"], smooth_model(s["dates"]), tile=32)["corrected_mm"]
    pe = phase_elevation_block(s["series_mm"], s["dem_m"], tile=32)
    assert _rms(pca - s["deformation_mm"]) < 0.7 * _rms(pe - s["deformation_mm"])


def test_nan_pixels_and_few_dates():
    s = atmosphere_stack(shape=(32, 32), n_dates=24, seed=5)
    x = s["series_mm"].copy()
    x[3:, 4, 5] = np.nan
    out = pca_block(x, smooth_model(s["dates"]), tile=16)
    assert np.isnan(out["corrected_mm"][3:, 4, 5]).all() and np.isnan(out["n_removed"][4, 5])
    assert np.isfinite(out["corrected_mm"][:, 10, 10]).all()
    with pytest.raises(GeohazardError, match="at least 12"):
        smooth_model(s["dates"][:10])


def test_overlapping_tiles_do_not_depend_on_the_blocks():
    import functools

    from insar_geohazards.algorithms.corrections.pca import pca_engine_block
    from insar_geohazards.algorithms.engine import map_blocks, plan_blocks

    s = atmosphere_stack(shape=(50, 44), n_dates=24, seed=3)
    g = smooth_model(s["dates"])
    whole = pca_block(s["series_mm"], g, tile=16)
    f = functools.partial(pca_engine_block, g=g, tile=16)
    for rows in (7, 16, 50):
        out = map_blocks(f, {"series": s["series_mm"]}, n_rows=50, n_cols=44, outputs=["corrected_mm"],
                         plan=plan_blocks(50, 44, block_rows=rows, halo=16))
        np.testing.assert_array_equal(out["corrected_mm"], whole["corrected_mm"])
    # no seam: the correction varies as smoothly across tile edges as inside tiles
    d = s["series_mm"] - whole["corrected_mm"]
    jump = np.abs(np.diff(d, axis=2)).mean(axis=(0, 1))
    assert jump.max() < 3 * np.median(jump)
