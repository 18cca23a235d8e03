"""Slip inversion: synthetic asc + desc earthquakes recovered (Mw within 0.05; thrust, normal, strike-slip and
oblique events with the default free rake), quadtree, Laplacian, rake bounds, the total-slip limit.

The synthetic events are made with our Okada forward model, itself checked against Okada (1985) Table 2
(test_faults_okada.py)."""

import numpy as np
import pytest

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.faults.faults import (
    discretize,
    faults_from_traces,
    mechanism,
    mechanism_name,
    moment,
)
from insar_geohazards.algorithms.faults.inversion import (
    check_rake_range,
    concat_samples,
    invert_slip,
    laplacian,
    quadtree_sample,
    slip_basis,
)
from insar_geohazards.algorithms.faults.okada import okada_displacement
from insar_geohazards.algorithms.geometry.los import los_unit_vector


def synthetic_quake(seed=0, noise_mm=3.0):
    """Known smooth slip on a 24 km x 14 km thrust, observed on asc + desc 1-km grids with noise."""
    f = faults_from_traces([np.array([[-12e3, 0.0], [12e3, 0.0]])], dip_deg=50.0, top_m=500.0, bottom_m=11e3,
                           slip_m=0.0, rake_deg=90.0)
    p, idx = discretize(f, patch_length_m=3e3, patch_width_m=2.75e3)
    c = p.centres()
    slip = 2.5 * np.exp(-((c[:, 0] / 7e3) ** 2 + ((c[:, 2] - 5e3) / 3.5e3) ** 2))
    rake = np.radians(75.0)
    p.strike_slip_m = slip * np.cos(rake)
    p.dip_slip_m = slip * np.sin(rake)
    x = np.arange(-40e3, 40e3, 1000.0) + 500.0
    xx, yy = np.meshgrid(x, x[::-1])
    disp = okada_displacement(xx, yy, p.table())
    rng = np.random.default_rng(seed)
    data = []
    for k, (inc, head) in enumerate(((34.0, -12.0), (39.0, 192.0))):
        lv = np.array(los_unit_vector(inc, head)).ravel()
        los = disp @ lv * 1000.0 + rng.normal(0, noise_mm, xx.shape)
        data.append(quadtree_sample(los, xx, yy, lv, max_std_mm=4.0, min_pixels=4, max_pixels=256, dataset=k))
    return p, idx, concat_samples(data)


def test_synthetic_asc_desc_earthquake_recovered(tmp_path):
    truth, idx, samples = synthetic_quake()
    assert 200 < samples.east_m.size < 4000
    m0_true, mw_true = moment(truth)
    patches = truth.subset(np.arange(len(truth)))
    res = invert_slip(samples, patches, idx, rake_range_deg=(30.0, 150.0), smoothing_grid=np.logspace(-2.5, 0.5, 8))
    assert abs(res.mw - mw_true) < 0.05, (res.mw, mw_true)
    assert res.variance_reduction > 0.95 and res.rms_mm < 5.0
    assert 0 < res.smoothing
    est = res.patches.slip_m
    true = truth.slip_m
    assert np.corrcoef(est, true)[0, 1] > 0.85
    big = true > 1.5
    rake = np.degrees(np.arctan2(res.patches.dip_slip_m[big], res.patches.strike_slip_m[big]))
    assert np.all(np.abs(rake - 75.0) < 20.0)


def test_quadtree_splits_where_signal_varies_and_drops_nodata():
    x = np.arange(64.0) * 100
    xx, yy = np.meshgrid(x, x)
    los = np.where(xx < 3200, 0.0, 50.0) + 0.0 * yy
    los[:16, :16] = np.nan
    s = quadtree_sample(los, xx, yy, np.array([0.6, -0.1, 0.79]), max_std_mm=1.0, min_pixels=4, max_pixels=4096)
    assert np.all(np.isin(np.round(s.los_mm, 6), [0.0, 50.0]))
    assert not np.any((s.east_m < 1600) & (s.north_m < 1600))
    assert s.count.sum() == 64 * 64 - 16 * 16
    with pytest.raises(GeohazardError, match="no cell"):
        quadtree_sample(np.full((4, 4), np.nan), xx[:4, :4], yy[:4, :4], np.array([0, 0, 1.0]))


def test_laplacian_of_constant_is_zero_inside():
    idx = np.array([(0, i, j) for j in range(4) for i in range(5)])
    lap = laplacian(idx)
    interior = [k for k, (_, i, j) in enumerate(idx) if 0 < i < 4 and 0 < j < 3]
    np.testing.assert_allclose(lap[interior] @ np.ones(len(idx)), 0.0)


def test_bad_rake_range():
    truth, idx, samples = synthetic_quake()
    with pytest.raises(GeohazardError, match="rake_range_deg"):
        invert_slip(samples, truth, idx, rake_range_deg=(0.0, 270.0), smoothing=0.1)
    # the former default: two opposite bounding rakes, whose non-negative sums are strike-slip only
    with pytest.raises(GeohazardError, match=r"0\.\.180 spans 180 degrees.*only strike-slip.*free rake"):
        invert_slip(samples, truth, idx, rake_range_deg=(0.0, 180.0), smoothing=0.1)
    with pytest.raises(GeohazardError, match="maximum rake must exceed"):
        check_rake_range((90.0, 90.0))
    with pytest.raises(GeohazardError, match="maximum rake must exceed"):
        check_rake_range((float("nan"), 90.0))
    with pytest.raises(GeohazardError, match="max_slip_m"):
        invert_slip(samples, truth, idx, smoothing=0.1, max_slip_m=0.0)


def uniform_event(rake_deg, slip_m=1.0):
    """A 20 km x 14 km plane (dip 45) with uniform slip of ``rake_deg`` (Mw 6.571 for 1 m), seen on asc + desc
    1-km grids without noise, and its 32 patches."""
    f = faults_from_traces([np.array([[-10e3, 0.0], [10e3, 0.0]])], dip_deg=45.0, top_m=1000.0, bottom_m=11e3)
    p, idx = discretize(f, patch_length_m=2.5e3, patch_width_m=3.5e3)
    p.strike_slip_m[:] = slip_m * np.cos(np.radians(rake_deg))
    p.dip_slip_m[:] = slip_m * np.sin(np.radians(rake_deg))
    x = np.arange(-40e3, 40e3, 1000.0) + 500.0
    xx, yy = np.meshgrid(x, x[::-1])
    disp = okada_displacement(xx, yy, p.table())
    parts = []
    for k, (inc, head) in enumerate(((34.0, -12.0), (39.0, 192.0))):
        lv = np.array(los_unit_vector(inc, head)).ravel()
        parts.append(quadtree_sample(disp @ lv * 1000.0, xx, yy, lv, max_std_mm=4.0, max_pixels=256, dataset=k))
    return p, idx, concat_samples(parts)


def _moment_rake(faults):
    a = faults.area_m2
    return np.degrees(np.arctan2(np.sum(a * faults.dip_slip_m), np.sum(a * faults.strike_slip_m)))


@pytest.mark.parametrize("rake, style", [(90.0, "thrust (reverse)"), (-90.0, "normal"),
                                         (180.0, "strike-slip (right-lateral)"),
                                         (135.0, "oblique thrust, right-lateral")])
def test_default_free_rake_recovers_any_mechanism(rake, style):
    """With the defaults (no rake bounds) the inversion finds a thrust, a normal, a strike-slip and an oblique
    event: rake within 3 degrees, Mw within 0.05. Under the former default (bounds 0..180) the rake-135 thrust of
    Mw 6.571 came out as strike-slip: rake 180.0, Mw 6.487."""
    truth, idx, samples = uniform_event(rake)
    mw_true = moment(truth)[1]
    assert abs(mw_true - 6.571) < 0.001
    res = invert_slip(samples, truth.subset(np.arange(len(truth))), idx, smoothing_grid=np.logspace(-3, 0, 6))
    found = _moment_rake(res.patches)
    assert abs((found - rake + 180.0) % 360.0 - 180.0) < 3.0, found
    assert abs(res.mw - mw_true) < 0.05, (res.mw, mw_true)
    said = mechanism(res.patches)
    assert style in said and f"Mw {res.mw:.3f}" in said


def test_rake_bounds_keep_every_rake_inside():
    """Bounds narrower than 180 degrees hold each patch's rake inside them, even where the data want another."""
    truth, idx, samples = uniform_event(135.0)
    res = invert_slip(samples, truth.subset(np.arange(len(truth))), idx, rake_range_deg=(30.0, 110.0),
                      smoothing=0.05)
    slipping = res.patches.slip_m > 1e-6
    assert slipping.any()
    r = res.patches.rake_deg[slipping]
    assert np.all((r > 30.0 - 1e-6) & (r < 110.0 + 1e-6)), r
    assert np.max(r) > 100.0  # pushed against the bound nearest the truth


def test_total_slip_limit_holds_every_patch():
    """With a limit below the true slip, no patch's total slip exceeds it (free rake and rake bounds alike)."""
    truth, idx, samples = uniform_event(90.0, slip_m=3.0)
    for rng in (None, (10.0, 170.0)):
        res = invert_slip(samples, truth.subset(np.arange(len(truth))), idx, rake_range_deg=rng, smoothing=0.01,
                          max_slip_m=1.5)
        assert res.patches.slip_m.max() <= 1.5 * (1 + 1e-6)
        assert res.patches.slip_m.max() > 1.4  # the limit is reached, not a smaller solution
    basis, lo, hi = slip_basis(None, 2, held_rad=np.array([np.nan, np.radians(90.0)]), max_slip_m=2.0)
    np.testing.assert_allclose(basis[1, :, 0], [0.0, 1.0], atol=1e-12)
    assert lo.tolist() == [-2.0, -2.0, 0.0, 0.0] and hi.tolist() == [2.0, 2.0, 2.0, 0.0]


@pytest.mark.parametrize("rake, name", [(0.0, "strike-slip (left-lateral)"), (-179.0, "strike-slip (right-lateral)"),
                                        (95.0, "thrust (reverse)"), (-70.0, "normal"),
                                        (45.0, "oblique thrust, left-lateral"),
                                        (-135.0, "oblique normal, right-lateral"), (450.0, "thrust (reverse)")])
def test_mechanism_names(rake, name):
    assert mechanism_name(rake) == name


def test_uniform_fit_at_the_true_geometry_finds_the_rake():
    """The linear step of the uniform-slip search, at the true geometry: free rake gives the true slip and rake of
    a rake-135 thrust; the former default bounds (0, 180) are refused."""
    from insar_geohazards.algorithms.faults.inversion import Samples, _fit_linear, uniform_fault

    params = [2000.0, -1000.0, 110.0, 55.0, 2000.0, 16e3, 9e3]
    truth = uniform_fault(params, np.cos(np.radians(135.0)), np.sin(np.radians(135.0)))
    x = np.arange(-30e3, 30e3, 1500.0) + 750.0
    xx, yy = np.meshgrid(x, x[::-1])
    lv = np.array(los_unit_vector(34.0, -12.0)).ravel()
    n = xx.size
    s = Samples(xx.ravel(), yy.ravel(), okada_displacement(xx.ravel(), yy.ravel(), truth.table()) @ lv * 1000.0,
                np.zeros(n), np.ones(n, np.int64), np.tile(lv, (n, 1)), np.zeros(n, np.int64))
    w = np.ones(n)
    misfit, sol = _fit_linear(s, params, w, None, 20.0, True, 0.25)
    np.testing.assert_allclose(sol[:2], [np.cos(np.radians(135.0)), np.sin(np.radians(135.0))], atol=1e-6)
    assert misfit < 1e-12
    with pytest.raises(GeohazardError, match="only strike-slip"):
        _fit_linear(s, params, w, (0.0, 180.0), 20.0, True, 0.25)


def test_uniform_slip_inversion_recovers_a_synthetic_fault():
    from insar_geohazards.algorithms.faults.inversion import invert_uniform_slip, uniform_fault

    true_params = [2000.0, -1000.0, 110.0, 55.0, 2000.0, 16e3, 9e3]
    truth = uniform_fault(true_params, 0.4, 0.0)  # left-lateral strike-slip
    x = np.arange(-30e3, 30e3, 1500.0) + 750.0
    xx, yy = np.meshgrid(x, x[::-1])
    disp = okada_displacement(xx, yy, truth.table())
    rng = np.random.default_rng(5)
    parts = []
    for k, (inc, head) in enumerate(((34.0, -12.0), (39.0, 192.0))):
        lv = np.array(los_unit_vector(inc, head)).ravel()
        los = disp @ lv * 1000.0 + rng.normal(0, 2.0, xx.shape)
        parts.append(quadtree_sample(los, xx, yy, lv, max_std_mm=3.0, max_pixels=64, dataset=k))
    s = concat_samples(parts)
    bounds = [(-8e3, 8e3), (-8e3, 8e3), (80.0, 140.0), (30.0, 80.0), (0.0, 5e3), (8e3, 25e3), (4e3, 15e3)]
    res = invert_uniform_slip(s, bounds, n_monte_carlo=3, maxiter=40, popsize=10, seed=1)
    assert abs(res.mw - moment(truth)[1]) < 0.05
    assert np.hypot(res.params[0] - 2000.0, res.params[1] + 1000.0) < 1500.0
    assert abs(res.params[3] - 55.0) < 8.0
    assert res.realisations.shape == (3, 12) and np.all(np.isfinite(res.realisations))
    assert res.variance_reduction > 0.98
    with pytest.raises(GeohazardError, match="dip bounds"):
        invert_uniform_slip(s, [(0, 1)] * 3 + [(0, 95)] + [(0, 1), (1, 2), (1, 2)])


def test_dip_search_finds_the_true_dip():
    from insar_geohazards.algorithms.faults.inversion import search_dip

    truth, idx, samples = synthetic_quake(seed=4)
    f = faults_from_traces([np.array([[-12e3, 0.0], [12e3, 0.0]])], dip_deg=30.0, top_m=500.0, bottom_m=11e3)
    best, table = search_dip(samples, f, [30.0, 40.0, 50.0, 60.0, 70.0], patch_length_m=3e3, patch_width_m=2.75e3,
                             smoothing=0.15, rake_range_deg=(30.0, 150.0))
    assert best == 50.0 and table.shape == (5, 3)
    with pytest.raises(GeohazardError, match="dips_deg"):
        search_dip(samples, f, [95.0], patch_length_m=3e3, patch_width_m=3e3, smoothing=0.1)
