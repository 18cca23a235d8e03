"""Core pieces that moved out of the adapters: phase <-> mm factors, the PS/DS rule,
receiver segments, the slip-inversion ramp."""

import numpy as np
import pytest

from insar_geohazards.algorithms import conventions as c
from insar_geohazards.algorithms.errors import GeohazardError


def test_phase_mm_factors_match_the_published_sentinel1_value_and_each_other():
    # Sentinel-1 C band, lambda = 0.05546576 m: one radian of two-way phase is lambda / (4 pi) = 4.41383 mm
    assert c.mm_per_radian(c.SENTINEL1_WAVELENGTH_M, phase_sign=1) == pytest.approx(4.41383, abs=1e-5)
    assert c.mm_per_radian(c.SENTINEL1_WAVELENGTH_M) == -c.mm_per_radian(c.SENTINEL1_WAVELENGTH_M, phase_sign=1)
    for wl in (0.031, c.SENTINEL1_WAVELENGTH_M, c.ALOS_WAVELENGTH_M):
        assert c.radians_per_mm(wl) * c.mm_per_radian(wl, phase_sign=1) == pytest.approx(1.0, rel=1e-15)
        assert c.radians_per_mm(wl, phase_sign=-1) == -c.radians_per_mm(wl)
    phase = np.array([-2.0, 0.0, 0.5, 3.0])
    np.testing.assert_array_equal(c.phase_to_los_mm(phase, 0.0555), phase * c.mm_per_radian(0.0555))
    np.testing.assert_allclose(c.phase_to_mm_elementwise(phase, 0.0555), c.phase_to_los_mm(phase, 0.0555),
                               rtol=1e-15)
    # half a wavelength of LOS motion is 2 pi of phase
    assert c.radians_per_mm(0.0555) * 0.0555 / 2 * 1000 == pytest.approx(2 * np.pi, rel=1e-14)


def test_ps_ds_rule():
    from insar_geohazards.algorithms.psds.ps import ps_ds_selection

    da = np.array([[0.1, 0.3, 0.2], [np.nan, 0.5, 0.25]])
    tc = np.array([[0.95, 0.9, 0.5], [0.85, np.nan, 0.79]])
    ps, ds, q = ps_ds_selection(da.shape, da, tc, dispersion_threshold=0.25, coherence_threshold=0.8)
    np.testing.assert_array_equal(ps, [[True, False, True], [False, False, True]])
    np.testing.assert_array_equal(ds, [[False, True, False], [True, False, False]])  # a PS is never a DS
    assert q[0, 0] == pytest.approx(1.9) and q[0, 1] == 0.9 and q[1, 0] == 0.85
    assert np.isneginf(q[1, 1])
    assert q[ps].min() > q[ds].max()  # every PS ranks above every DS for the reference choice
    ps, ds, q = ps_ds_selection((2, 3), None, tc, coherence_threshold=0.8)
    assert not ps.any() and ds.sum() == 3  # 0.95, 0.9, 0.85; not 0.79 nor NaN
    ps, ds, _ = ps_ds_selection((2, 3), da, None, dispersion_threshold=0.25)
    assert ps.sum() == 3 and not ds.any()


def test_receiver_segments_and_their_strike():
    from insar_geohazards.algorithms.faults.receivers import depth_tag, split_receivers

    line = np.array([[0.0, 0.0], [0.0, 1000.0], [0.0, 1000.0], [1000.0, 1000.0]])  # north, (repeat), east
    attrs = {"dip": np.array([60.0]), "rake": np.array([90.0]), "top": np.array([np.nan]),
             "bottom": np.array([np.nan])}
    seg = split_receivers([line], attrs, ["f"])
    assert len(seg) == 2  # the zero-length piece is dropped
    np.testing.assert_allclose(seg.strike_deg, [0.0, 90.0])
    np.testing.assert_array_equal(seg.top_m, [0.0, 0.0])
    with pytest.raises(GeohazardError, match="RECEIVERS: no segment of non-zero length"):
        split_receivers([np.array([[1.0, 1.0], [1.0, 1.0]])], attrs, ["f"])
    with pytest.raises(GeohazardError, match=r"dip_deg must be in \(0, 90\]"):
        split_receivers([line], {**attrs, "dip": np.array([95.0])}, ["f"])
    assert depth_tag(None) == "mid" and depth_tag(2500.0) == "2p5km" and depth_tag(10000.0) == "10km"


def test_ramp_value_is_the_ramp_of_the_design_matrix():
    from insar_geohazards.algorithms.faults.inversion import ramp_basis, ramp_value

    rng = np.random.default_rng(0)
    e, n = rng.uniform(4e5, 5e5, 50), rng.uniform(4.0e6, 4.1e6, 50)
    coeffs = np.array([0.01, -0.003, 0.002])
    one, bx, by = ramp_basis(e, n, e.mean(), n.mean())
    np.testing.assert_allclose(ramp_value(coeffs, e, n, e.mean(), n.mean()),
                               coeffs[0] * one + coeffs[1] * bx + coeffs[2] * by, rtol=1e-13, atol=1e-18)
