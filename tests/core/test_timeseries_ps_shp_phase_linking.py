"""PS / DS core: amplitude dispersion, SHP tests, phase linking, against simulator truth and hand cases."""

import numpy as np
import pytest
from testutils import RecordingProgress

from insar_geohazards.algorithms._numba import HAVE_NUMBA
from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.psds.phase_linking import interferogram_pairs, phase_link, phase_link_stack, vectorised
from insar_geohazards.algorithms.psds.phase_linking import kernel as plk
from insar_geohazards.algorithms.psds.phase_linking.shp import (
    glrt_statistic,
    ks_statistic,
    shp_mask,
    shp_threshold,
)
from insar_geohazards.algorithms.psds.ps import (
    amplitude_date_sums,
    amplitude_dispersion,
    calibration_factors,
    ps_candidates,
)
from insar_geohazards.algorithms.timeseries.simulate import LandClass, simulate_slc_stack


@pytest.fixture(scope="module")
def sim():
    return simulate_slc_stack(shape=(48, 60), n_dates=24, seed=5, water_fraction=0.2, atmosphere_std_rad=0.3)


def _err(est, truth):
    return np.angle(np.exp(1j * (est - truth)))


def test_amplitude_dispersion_finds_the_simulated_ps_and_matches_scr(sim):
    amp = np.abs(sim.slc)
    before = amp.copy()
    mean, da = amplitude_dispersion(amp)
    np.testing.assert_array_equal(amp, before)
    mask = ps_candidates(da, threshold=0.25)
    assert mask[sim.ps_mask].all(), "every simulated PS (SCR >= 15 dB) must have D_A <= 0.25"
    # water (pure speckle): Rayleigh amplitudes have D_A = sqrt(4/pi - 1) = 0.523
    water = sim.labels == -1
    assert abs(np.median(da[water]) - np.sqrt(4 / np.pi - 1)) < 0.05
    assert not mask[water].any()
    assert np.all(np.isfinite(mean))


def test_calibration_removes_per_date_gain(sim):
    amp = np.abs(sim.slc).astype(np.float64)
    gain = np.linspace(0.5, 2.0, amp.shape[0])
    scaled = amp * gain[:, None, None]
    cal = calibration_factors(*amplitude_date_sums(scaled))
    _, da_cal = amplitude_dispersion(scaled, calibration=cal)
    _, da_raw = amplitude_dispersion(amp, calibration=calibration_factors(*amplitude_date_sums(amp)))
    ps = sim.ps_mask
    np.testing.assert_allclose(da_cal[ps], da_raw[ps], rtol=0.05)
    _, da_uncal = amplitude_dispersion(scaled)
    assert np.median(da_uncal[ps]) > 3 * np.median(da_cal[ps])


def test_amplitude_dispersion_bad_input():
    with pytest.raises(GeohazardError, match="at least 3"):
        amplitude_dispersion(np.ones((2, 3, 3)))
    with pytest.raises(GeohazardError, match="threshold"):
        ps_candidates(np.zeros((2, 2)), threshold=0.0)


def test_ks_statistic_matches_scipy():
    from scipy.stats import ks_2samp

    rng = np.random.default_rng(1)
    for _ in range(20):
        a = np.sort(rng.rayleigh(1.0, 30))
        b = np.sort(rng.rayleigh(rng.uniform(0.7, 1.5), 30))
        assert ks_statistic(a, b) == pytest.approx(ks_2samp(a, b).statistic, abs=1e-12)
        if HAVE_NUMBA:
            assert ks_statistic.py_func(a, b) == pytest.approx(ks_2samp(a, b).statistic, abs=1e-12)


def test_glrt_statistic_hand_value_and_threshold():
    # 2N(2 ln 1.5 - ln 1 - ln 2) for means 1 and 2, N = 10
    # N_eff = N / 2: 2 N_eff (2 ln 1.5 - ln 1 - ln 2) for means 1 and 2, N = 10
    assert glrt_statistic(1.0, 2.0, 10.0) == pytest.approx(10 * (2 * np.log(1.5) - np.log(2.0)))
    assert glrt_statistic(3.0, 3.0, 10.0) == 0.0
    assert shp_threshold("glrt", 0.05, 30) == pytest.approx(3.841458820694124)
    assert shp_threshold("ks", 0.05, 30) == pytest.approx(1.3581015157 * np.sqrt(2 / 30), rel=1e-6)


@pytest.mark.parametrize("method", ["glrt", "ks"])
def test_shp_false_rejection_near_alpha_and_rejects_other_class(method):
    # temporally independent speckle (coherence 0) -> the tests' independence assumption holds
    classes = [LandClass(0.0, 0.0, 1.0, 0.0, 1.0), LandClass(0.0, 0.0, 1.0, 0.0, 6.0)]
    s = simulate_slc_stack(shape=(30, 40), n_dates=40, seed=2, classes=classes, ps_fraction=0.0,
                           atmosphere_std_rad=0.0)
    m = shp_mask(s.slc, window=(7, 7), method=method, alpha=0.05)
    lab = s.labels
    same, other = [], []
    for dr in range(-3, 4):
        for dc in range(-3, 4):
            if dr == 0 and dc == 0:
                continue
            for r in range(3, 27):
                for c in range(3, 37):
                    (same if lab[r, c] == lab[r + dr, c + dc] else other).append(m[r, c, dr + 3, dc + 3])
    accept_same = np.mean(same)
    if method == "ks":
        assert 0.90 < accept_same < 0.995, accept_same  # false rejection ~ alpha
    else:
        assert accept_same > 0.97, accept_same  # N_eff = N / 2 is conservative for independent samples
    assert np.mean(other) < 0.05


def _constant_truth_stack(n=12, rows=9, cols=11, seed=0):
    rng = np.random.default_rng(seed)
    theta = rng.uniform(-np.pi, np.pi, n)
    z = (rng.standard_normal((rows, cols)) + 1j * rng.standard_normal((rows, cols)))
    return (np.exp(1j * theta)[:, None, None] * z[None]).astype(np.complex64), theta


@pytest.mark.parametrize("method", ["emi", "evd", "cevd"])
def test_fully_coherent_stack_is_recovered_exactly(method):
    slc, theta = _constant_truth_stack()
    res = phase_link(slc, window=(3, 5), method=method, shp_method="rect")
    expect = np.angle(np.exp(1j * (theta - theta[0])))
    np.testing.assert_allclose(_err(res.phase, expect[:, None, None]), 0.0, atol=2e-4)
    np.testing.assert_allclose(res.temporal_coherence, 1.0, atol=1e-4)
    assert res.shp_count[4, 5] == 15 and res.shp_count[0, 0] == 6


def test_phase_linking_against_simulator_truth(sim):
    ds = (sim.labels >= 0)
    out = {}
    for method in ("emi", "evd", "cevd"):
        res = phase_link(sim.slc, window=(7, 9), method=method, shp_method="glrt", ps_mask=sim.ps_mask)
        e = _err(res.phase[1:], sim.phase_true[1:])
        out[method] = np.sqrt(np.mean(e[:, ds] ** 2))
        # PS keep their own phase exactly
        own = np.angle(sim.slc[:, sim.ps_mask] * np.conj(sim.slc[0, sim.ps_mask]))
        np.testing.assert_allclose(_err(res.phase[:, sim.ps_mask], own), 0.0, atol=1e-5)
        assert np.all(res.temporal_coherence[sim.ps_mask] == 1.0)
        water = sim.labels == -1
        assert np.median(res.temporal_coherence[ds]) > 0.75
        assert np.median(res.temporal_coherence[water]) < 0.45
    raw = np.angle(sim.slc[1:] * np.conj(sim.slc[0]))
    single_look = np.sqrt(np.mean(_err(raw, sim.phase_true[1:])[:, ds] ** 2))
    assert single_look > 1.0
    assert max(out.values()) < 0.6 * single_look, (out, single_look)
    assert out["emi"] <= out["evd"] * 1.05, out


def test_blockwise_equals_whole_image(sim):
    whole = phase_link(sim.slc, window=(5, 7), method="emi", shp_method="ks", ps_mask=sim.ps_mask)
    phase = np.full_like(whole.phase, np.nan)
    tcoh = np.full_like(whole.temporal_coherence, np.nan)

    def write(res, a, b):
        phase[:, a:b] = res.phase
        tcoh[a:b] = res.temporal_coherence

    calls = []

    class P:
        def set_progress(self, p):
            calls.append(p)

        def is_canceled(self):
            return False

    phase_link_stack(lambda a, b: sim.slc[:, a:b], write, shape=sim.slc.shape[1:], n_dates=sim.slc.shape[0],
                     window=(5, 7), method="emi", shp_method="ks", read_ps_rows=lambda a, b: sim.ps_mask[a:b],
                     block_rows=7, progress=P())
    np.testing.assert_allclose(phase, whole.phase, atol=1e-5)
    np.testing.assert_allclose(tcoh, whole.temporal_coherence, atol=1e-5)
    assert calls[-1] == 100.0 and len(calls) > 5


def test_cancel_between_blocks(sim):
    from insar_geohazards.algorithms.errors import OperationCanceled

    with pytest.raises(OperationCanceled):
        phase_link_stack(lambda a, b: sim.slc[:, a:b], lambda *a: None, shape=sim.slc.shape[1:],
                         n_dates=sim.slc.shape[0], block_rows=8, progress=RecordingProgress(canceled=True))


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed: only the Python path exists")
def test_kernel_numba_equals_python():
    slc, _ = _constant_truth_stack(n=6, rows=5, cols=6, seed=3)
    rng = np.random.default_rng(0)
    slc = (slc + 0.7 * (rng.standard_normal(slc.shape) + 1j * rng.standard_normal(slc.shape))).astype(np.complex64)
    from insar_geohazards.algorithms.psds.phase_linking.shp import shp_inputs

    slc_t = np.ascontiguousarray(np.moveaxis(slc, 0, -1))
    usable = np.ones(slc_t.shape[:2], bool)
    ps = np.zeros_like(usable)
    ps[2, 2] = True
    sa, mi = shp_inputs(slc_t, "ks")
    thr = shp_threshold("ks", 0.05, 6)
    outs = []
    for fn in (plk._phase_link_kernel, plk._phase_link_kernel.py_func):
        for method in (0, 1, 2):
            for ps_neighbours in (True, False):
                ph = np.zeros((6, 5, 6), np.float32)
                tc = np.zeros((5, 6), np.float32)
                cnt = np.zeros((5, 6), np.int32)
                fn(slc_t, usable, ps, sa, mi, mi, 1, thr, 1, 2, method, 0.01, 0, 5, ph, tc, cnt, ps_neighbours,
                   2, 4)  # two row chunks, ring tiles of 4 columns
                outs.append((ph, tc, cnt))
    for a, b in zip(outs[:6], outs[6:]):
        np.testing.assert_allclose(_err(a[0], b[0]), 0, atol=1e-4)
        np.testing.assert_allclose(a[1], b[1], atol=1e-5)
        np.testing.assert_array_equal(a[2], b[2])


def test_bad_input_messages():
    slc, _ = _constant_truth_stack(n=5, rows=6, cols=6)
    with pytest.raises(GeohazardError, match="must be complex"):
        phase_link(np.abs(slc), window=(3, 3))
    with pytest.raises(GeohazardError, match="larger than the image"):
        phase_link(slc, window=(7, 3))
    with pytest.raises(GeohazardError, match="at least 3 dates"):
        phase_link(slc[:2], window=(3, 3))
    with pytest.raises(GeohazardError, match="odd"):
        phase_link(slc, window=(4, 3))
    with pytest.raises(GeohazardError, match="method"):
        phase_link(slc, window=(3, 3), method="svd")
    with pytest.raises(GeohazardError, match="shp_method"):
        phase_link(slc, window=(3, 3), shp_method="ad")


def test_nodata_pixels_are_nan_and_not_neighbours():
    slc, theta = _constant_truth_stack()
    slc[:, 4, 5] = np.nan
    slc[:, 0, 0] = 0
    res = phase_link(slc, window=(3, 3), method="emi", shp_method="rect")
    assert np.isnan(res.phase[:, 4, 5]).all() and np.isnan(res.temporal_coherence[4, 5])
    assert np.isnan(res.phase[:, 0, 0]).all() and res.shp_count[0, 0] == 0
    assert res.shp_count[4, 4] == 8


def test_interferogram_pairs():
    assert interferogram_pairs(4, "single") == [(0, 1), (0, 2), (0, 3)]
    assert interferogram_pairs(4, "nearest", neighbours=2) == [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)]
    with pytest.raises(GeohazardError):
        interferogram_pairs(4, "full")


def test_emi_falls_back_to_coherence_weighted_evd_when_abs_g_is_indefinite():
    rng = np.random.default_rng(4)
    n = 10
    for _ in range(50):
        x = rng.standard_normal((n, 2)) + 1j * rng.standard_normal((n, 2))  # two looks: rank-2 G
        c = x @ x.conj().T
        d = np.sqrt(np.diag(c).real)
        g = c / np.outer(d, d)
        a = 0.99 * np.abs(g)
        np.fill_diagonal(a, 1.0)
        if np.linalg.eigvalsh(a)[0] < 0:
            break
    else:
        pytest.fail("no indefinite |G| found")
    outs = []
    for method in (0, 2):
        gt = g.T[:, :, None]
        with np.errstate(all="ignore"):
            vr, vi, tc = vectorised.link(np.ascontiguousarray(gt.real), np.ascontiguousarray(gt.imag), method, 0.01)
        v = vr[:, 0] + 1j * vi[:, 0]
        outs.append((np.angle(v * np.conj(v[0])), tc[0]))
    np.testing.assert_allclose(_err(outs[0][0], outs[1][0]), 0, atol=1e-6)
    assert outs[0][1] == pytest.approx(outs[1][1])
