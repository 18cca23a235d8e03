"""PSI arc network: periodogram, integration, incoherent-arc rejection, against simulator truth."""

import datetime as dt

import numpy as np
import pytest

from insar_geohazards.algorithms._numba import HAVE_NUMBA
from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.psds import psi
from insar_geohazards.algorithms.psds.psi import (
    arc_periodogram,
    delaunay_arcs,
    dem_error_phase_per_m,
    integrate_arcs,
    ps_time_series,
)
from insar_geohazards.algorithms.timeseries.simulate import simulate_slc_stack


@pytest.fixture(scope="module")
def sim():
    return simulate_slc_stack(shape=(90, 90), n_dates=36, seed=3, ps_fraction=0.03, water_fraction=0.2,
                              atmosphere_std_rad=0.0)


def _points(sim, n_fake=12):
    r, c = np.nonzero(sim.ps_mask)
    ph = np.angle(sim.slc[:, r, c] * np.conj(sim.slc[0, r, c]))
    rng = np.random.default_rng(0)
    wr, wc = np.nonzero(sim.labels == -1)
    sel = rng.choice(wr.size, n_fake, replace=False)
    r2, c2 = wr[sel], wc[sel]
    ph2 = np.angle(sim.slc[:, r2, c2] * np.conj(sim.slc[0, r2, c2]))
    return np.r_[r, r2], np.r_[c, c2], np.c_[ph, ph2], r.size


def test_delaunay_arcs_square():
    arcs = delaunay_arcs([0, 1, 0, 1], [0, 0, 1, 1])
    assert arcs.shape == (5, 2) and np.all(arcs[:, 0] < arcs[:, 1])
    assert delaunay_arcs([0, 1, 0, 1], [0, 0, 1, 1], max_length=1.01).shape == (4, 2)
    line = delaunay_arcs([0, 1, 2, 3], [0, 0, 0, 0])
    assert sorted(map(tuple, line)) == [(0, 1), (1, 2), (2, 3)]
    with pytest.raises(GeohazardError, match="at least 3"):
        delaunay_arcs([0, 1], [0, 1])


def test_periodogram_recovers_noise_free_arc():
    t = np.arange(30) * 12 / 365.25
    b = np.random.default_rng(1).normal(0, 80, 30)
    b -= b[0]
    kappa = dem_error_phase_per_m(b, wavelength_m=0.0555, slant_range_m=850e3, incidence_deg=37)
    dv_true, dh_true = np.array([-13.3, 7.1]), np.array([12.4, -20.0])
    a = -4 * np.pi / 55.5 * t
    ph = np.angle(np.exp(1j * (np.outer(dv_true, a) + np.outer(dh_true, kappa))))
    dv, dh, g = arc_periodogram(ph, t, kappa_per_m=kappa, wavelength_m=0.0555)
    np.testing.assert_allclose(dv, dv_true, atol=0.1)
    np.testing.assert_allclose(dh, dh_true, atol=0.5)
    assert np.all(g > 0.99)
    dv2, dh2, g2 = arc_periodogram(np.angle(np.exp(1j * np.outer(dv_true, a))), t, wavelength_m=0.0555)
    np.testing.assert_allclose(dv2, dv_true, atol=0.1)
    assert np.all(dh2 == 0)


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed: only the Python path exists")
def test_periodogram_kernel_numba_equals_python():
    rng = np.random.default_rng(2)
    z = np.exp(1j * rng.uniform(-np.pi, np.pi, (3, 8)))
    a = np.linspace(0, -5, 8)
    k = np.linspace(-0.05, 0.05, 8)
    vg, hg = np.linspace(-10, 10, 9), np.linspace(-20, 20, 5)
    o1 = [np.empty(3) for _ in range(3)]
    o2 = [np.empty(3) for _ in range(3)]
    centre = np.array([0.0, 1.5, -2.0])
    psi._periodogram_kernel(z, a, k, centre, -centre, vg, hg, *o1)
    psi._periodogram_kernel.py_func(z, a, k, centre, -centre, vg, hg, *o2)
    for x, y in zip(o1, o2):
        np.testing.assert_allclose(x, y, atol=1e-12)


def test_integrate_arcs_triangle_least_squares():
    arcs = np.array([[0, 1], [1, 2], [0, 2]])
    # inconsistent loop: 1 + 1 vs 3 -> equal-weight LSQ gives x1 = 4/3, x2 = 8/3
    x = integrate_arcs(arcs, np.array([1.0, 1.0, 3.0]), np.ones(3), 3, 0)
    np.testing.assert_allclose(x, [0, 4 / 3, 8 / 3])


def test_ps_time_series_recovers_simulated_velocity_and_rejects_decorrelated_arcs(sim):
    rows, cols, ph, n_ps = _points(sim)
    res = ps_time_series(ph, cols + 0.5, rows + 0.5, sim.dates, bperp_m=sim.bperp_m, wavelength_m=sim.wavelength_m,
                         slant_range_m=sim.slant_range_m, incidence_deg=sim.incidence_deg, reference=0)
    # arcs touching a decorrelated (water) point are rejected, those points dropped
    fake_arcs = (res.arcs >= n_ps).any(axis=1)
    assert fake_arcs.sum() > 20
    assert not res.arc_accepted[fake_arcs].any()
    assert res.arc_coherence[fake_arcs].max() < 0.7
    assert not np.isin(np.arange(n_ps, rows.size), res.index).any()
    assert res.n_dropped == rows.size - n_ps
    i = res.index
    v_true = sim.velocity_mm_yr[rows[i], cols[i]] - sim.velocity_mm_yr[rows[0], cols[0]]
    h_true = sim.dem_error_m[rows[i], cols[i]] - sim.dem_error_m[rows[0], cols[0]]
    err = res.velocity_mm_yr - v_true
    # within noise: the rms error matches the reported standard error (no atmosphere here)
    assert np.sqrt(np.mean(err ** 2)) < 1.5 * np.median(res.velocity_std_mm_yr[1:]) + 0.05
    assert np.mean(np.abs(err) < 3 * res.velocity_std_mm_yr + 0.05) > 0.97
    assert np.sqrt(np.mean((res.height_error_m - h_true) ** 2)) < 2.0
    assert np.ptp(v_true) > 10
    # displacement series: LOS mm relative to date 0 and the reference
    t = sim.time_yr
    d_true = np.outer(t, v_true)
    assert np.sqrt(np.mean((res.displacement_mm - d_true) ** 2)) < 2.0
    assert np.all(res.displacement_mm[0] == 0)
    assert np.all((res.coherence > 0.7) & (res.coherence <= 1))


def test_velocity_only_without_baselines():
    s = simulate_slc_stack(shape=(40, 40), n_dates=30, seed=8, ps_fraction=0.05, dem_error_std_m=0.0,
                           atmosphere_std_rad=0.0)
    r, c = np.nonzero(s.ps_mask)
    ph = np.angle(s.slc[:, r, c] * np.conj(s.slc[0, r, c]))
    res = ps_time_series(ph, c, r, s.dates, wavelength_m=s.wavelength_m, quality=-np.hypot(r - 20, c - 20))
    ref = res.reference
    v_true = s.velocity_mm_yr[r[res.index], c[res.index]] - s.velocity_mm_yr[r[ref], c[ref]]
    assert np.sqrt(np.mean((res.velocity_mm_yr - v_true) ** 2)) < 0.5
    assert ref == int(np.argmax(-np.hypot(r - 20, c - 20)))


def test_ps_time_series_bad_input():
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(5)]
    with pytest.raises(GeohazardError, match="at least 3 are needed"):
        ps_time_series(np.zeros((5, 2)), [0, 1], [0, 1], dates)
    with pytest.raises(GeohazardError, match="at least 4 dates"):
        ps_time_series(np.zeros((3, 5)), np.arange(5), np.arange(5) % 2, dates[:3])
    with pytest.raises(GeohazardError, match="bperp_m"):
        ps_time_series(np.zeros((5, 4)), [0, 1, 0, 1], [0, 0, 1, 1], dates, bperp_m=[0, 1])
    rng = np.random.default_rng(0)
    many = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(40)]
    with pytest.raises(GeohazardError, match="no coherent arc"):
        ps_time_series(rng.uniform(-3, 3, (40, 6)), np.arange(6) % 3, np.arange(6) // 3, many)
