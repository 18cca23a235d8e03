"""Phase linking with a PS mask: PS pixels enter their neighbours' windows by default (dolphin's
default, ``mask_input_ps=False``), which must be at least as accurate as keeping them out.

The stacks come from a generator written here, independent of algorithms/timeseries/simulate.py:
DS speckle coloured by the Cholesky factor of an exponential-decay coherence matrix (plus a
long-term floor), PS = a strong constant scatterer plus weak clutter, both carrying the same
deformation phase (a spatial bowl growing linearly in time) and a per-date atmospheric ramp.
"""

import numpy as np
import pytest

from insar_geohazards.algorithms.psds.phase_linking import phase_link


def _stack(shape, n, *, ps_fraction, tau, floor, scr_db, seed):
    rng = np.random.default_rng(seed)
    rows, cols = shape
    t = np.arange(n)
    gamma = (1 - floor) * np.exp(-np.abs(t[:, None] - t[None, :]) / tau) + floor
    np.fill_diagonal(gamma, 1.0)
    chol = np.linalg.cholesky(gamma)
    yy, xx = np.mgrid[0:rows, 0:cols]
    bowl = np.exp(-((yy - rows / 2) ** 2 + (xx - cols / 2) ** 2) / (2 * (0.3 * rows) ** 2))
    ramp = rng.normal(0, 0.4, (n, 2))
    phase = (-3.0 * bowl[None] * t[:, None, None] / n
             + ramp[:, :1, None] * yy[None] / rows + ramp[:, 1:, None] * xx[None] / cols)
    phase -= phase[:1]
    z = (rng.standard_normal((n, rows * cols)) + 1j * rng.standard_normal((n, rows * cols))) / np.sqrt(2)
    ds = (chol @ z).reshape(n, rows, cols)
    ps = rng.random(shape) < ps_fraction
    amp = 10 ** (rng.uniform(*scr_db, ps.sum()) / 20)
    clutter = (rng.standard_normal((n, ps.sum())) + 1j * rng.standard_normal((n, ps.sum()))) / np.sqrt(2)
    ds[:, ps] = amp[None] + clutter
    slc = (ds * np.exp(1j * phase)).astype(np.complex64)
    return slc, phase, ps


def _err(est, truth, mask):
    e = np.angle(np.exp(1j * (est[1:] - truth[1:])))
    return float(np.sqrt(np.mean(e[:, mask] ** 2)))


GENERATORS = [
    # shape, dates, PS fraction, decorrelation time (dates), long-term coherence, PS SCR (dB), seed
    ((36, 44), 16, 0.05, 4.0, 0.2, (12.0, 20.0), 101),
    ((30, 60), 20, 0.10, 8.0, 0.1, (10.0, 16.0), 202),
    ((44, 36), 12, 0.02, 2.0, 0.3, (15.0, 25.0), 303),
]


@pytest.mark.parametrize("gen", GENERATORS)
def test_ps_as_neighbours_at_least_as_accurate(gen):
    shape, n, frac, tau, floor, scr, seed = gen
    slc, truth, ps = _stack(shape, n, ps_fraction=frac, tau=tau, floor=floor, scr_db=scr, seed=seed)
    inner = np.zeros(shape, bool)
    inner[3:-3, 4:-4] = True
    ds = inner & ~ps
    for shp in ("rect", "glrt"):
        kept = phase_link(slc, window=(7, 9), method="emi", shp_method=shp, ps_mask=ps)
        out = phase_link(slc, window=(7, 9), method="emi", shp_method=shp, ps_mask=ps, ps_neighbours=False)
        e_kept, e_out = _err(kept.phase, truth, ds), _err(out.phase, truth, ds)
        assert e_kept <= 1.01 * e_out, (shp, e_kept, e_out)
        # PS keep their own phase either way
        own = np.angle(slc[:, ps] * np.conj(slc[0, ps]))
        np.testing.assert_allclose(np.angle(np.exp(1j * (kept.phase[:, ps] - own))), 0.0, atol=1e-5)
        assert np.all(kept.temporal_coherence[ps] == 1.0)
    # with rectangular windows every PS is a neighbour: the counts say so
    rect = phase_link(slc, window=(7, 9), method="emi", shp_method="rect", ps_mask=ps)
    rect_out = phase_link(slc, window=(7, 9), method="emi", shp_method="rect", ps_mask=ps, ps_neighbours=False)
    assert (rect.shp_count[ds] >= rect_out.shp_count[ds]).all()
    assert (rect.shp_count[ds] > rect_out.shp_count[ds]).any()


def test_emi_converges_where_the_smallest_eigenvalue_is_below_the_shift():
    """On few looks the smallest eigenvalue of |G|^-1 o G is often below 0.99 (the first shift):
    the linked phase must still be the eigenvector numpy finds."""
    shape, n = (9, 9), 12
    slc, _, _ = _stack(shape, n, ps_fraction=0.0, tau=3.0, floor=0.2, scr_db=(10, 12), seed=7)
    res = phase_link(slc, window=(9, 9), method="emi", shp_method="rect", beta=0.01, rows=(4, 5))
    x = slc.reshape(n, -1).astype(np.complex128)
    c = x @ x.conj().T
    d = np.sqrt(np.real(np.diag(c)))
    g = c / np.outer(d, d)
    a = 0.99 * np.abs(g)
    np.fill_diagonal(a, 1.0)
    w, v = np.linalg.eigh(np.linalg.inv(a) * g)
    ref = np.angle(v[:, 0] * np.conj(v[0, 0]))
    got = res.phase[:, 0, 4]
    np.testing.assert_allclose(np.angle(np.exp(1j * (got - ref))), 0.0, atol=1e-4)
