"""Slip inversion: synthetic asc + desc earthquake recovered (Mw within 0.05), quadtree, Laplacian."""

import numpy as np
import pytest

from insar_geohazards.algorithms.elastic.faults import discretize, faults_from_traces, moment
from insar_geohazards.algorithms.elastic.inversion import (
    concat_samples,
    invert_slip,
    laplacian,
    plot_lcurve,
    quadtree_sample,
)
from insar_geohazards.algorithms.elastic.okada import okada_displacement
from insar_geohazards.algorithms.errors import GeohazardError
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
    png = plot_lcurve(res, str(tmp_path / "lcurve.png"))
    with open(png, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"


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


def test_uniform_slip_inversion_recovers_a_synthetic_fault():
    from insar_geohazards.algorithms.elastic.inversion import invert_uniform_slip, uniform_fault

    true_params = [2000.0, -1000.0, 110.0, 55.0, 2000.0, 16e3, 9e3]
    truth = uniform_fault(true_params, (1.2, 0.8), (0.0, 180.0))  # rake 90 +- : mostly reverse
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
    res = invert_uniform_slip(s, bounds, rake_range_deg=(0.0, 180.0), n_monte_carlo=3, maxiter=40, popsize=10,
                              seed=1)
    assert abs(res.mw - moment(truth)[1]) < 0.05
    assert np.hypot(res.params[0] - 2000.0, res.params[1] + 1000.0) < 1500.0
    assert abs(res.params[3] - 55.0) < 8.0
    assert res.realisations.shape == (3, 12) and np.all(np.isfinite(res.realisations))
    assert res.variance_reduction > 0.98
    with pytest.raises(GeohazardError, match="dip bounds"):
        invert_uniform_slip(s, [(0, 1)] * 3 + [(0, 95)] + [(0, 1), (1, 2), (1, 2)])


def test_dip_search_finds_the_true_dip():
    from insar_geohazards.algorithms.elastic.inversion import search_dip

    truth, idx, samples = synthetic_quake(seed=4)
    f = faults_from_traces([np.array([[-12e3, 0.0], [12e3, 0.0]])], dip_deg=30.0, top_m=500.0, bottom_m=11e3)
    best, table = search_dip(samples, f, [30.0, 40.0, 50.0, 60.0, 70.0], patch_length_m=3e3, patch_width_m=2.75e3,
                             smoothing=0.15, rake_range_deg=(30.0, 150.0))
    assert best == 50.0 and table.shape == (5, 3)
    with pytest.raises(GeohazardError, match="dips_deg"):
        search_dip(samples, f, [95.0], patch_length_m=3e3, patch_width_m=3e3, smoothing=0.1)
