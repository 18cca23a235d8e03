"""Stress, Coulomb, fault geometry and the Coulomb .inp reader (vs Coulomb 3.4 output)."""

import csv
import os

import numpy as np
import pytest

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.faults import stress
from insar_geohazards.algorithms.faults.coulomb_inp import read_coulomb_inp
from insar_geohazards.algorithms.faults.faults import Faults, discretize, faults_from_traces, moment
from insar_geohazards.algorithms.faults.okada import okada_displacement

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "coulomb_inputs")


def _coulomb34():
    with open(os.path.join(DATA, "Coulomb34_benchmark_outs.csv")) as fh:
        rows = [r for r in csv.reader(fh) if r and r[0].strip()[:1].isdigit()]
    return [[float(v) for v in r] for r in rows]


def test_matches_coulomb34_on_simple_receiver_benchmark():
    """elastic_stresses_py's Coulomb 3.4 run: shear/normal/Coulomb on the receiver, 4+ digits."""
    c = read_coulomb_inp(os.path.join(DATA, "simple_receiver_bm.inp"))
    ref = _coulomb34()[1]  # fault 2 = the receiver
    rec = c.receivers
    cen = rec.centres()[0]
    np.testing.assert_allclose(cen / 1000.0, [ref[1], ref[2], ref[3]], atol=1e-5)
    kw = dict(shear_modulus_pa=c.shear_modulus_pa, poisson=c.poisson, friction=c.friction)
    bar = 1e5
    for rake, shear_col, coul_col in ((180.0, 9, 12), (90.0, 10, 13), (135.0, None, 17)):
        out = stress.coulomb_at_points(cen[0], cen[1], cen[2], c.sources.table(), strike_deg=rec.strike_deg[0],
                                       dip_deg=rec.dip_deg[0], rake_deg=rake, **kw)
        np.testing.assert_allclose(out["normal_pa"] / bar, ref[11], rtol=2e-5)
        if shear_col is not None:
            np.testing.assert_allclose(out["shear_pa"] / bar, ref[shear_col], rtol=2e-5)
        np.testing.assert_allclose(out["dcfs_pa"] / bar, ref[coul_col], rtol=2e-5)
    # Coulomb's optimum rake on the fixed receiver (its grid search in 0.1 degree steps) and dCFS on it
    assert out["opt_rake_deg"] == pytest.approx(ref[14], abs=0.06)
    np.testing.assert_allclose(out["opt_dcfs_pa"] / bar, ref[15], rtol=2e-5)


def test_all_example_inputs_read_and_run():
    for fn in sorted(os.listdir(DATA)):
        if not fn.endswith(".inp"):
            continue
        path = os.path.join(DATA, fn)
        if "Kode500" in fn:
            with pytest.raises(GeohazardError, match="Kode 500"):
                read_coulomb_inp(path)
            continue
        c = read_coulomb_inp(path)
        assert c.is_source.any() and c.grid is not None
        assert c.shear_modulus_pa == pytest.approx(3.2e10)
        src = c.sources
        x = np.linspace(c.grid["x_start_m"], c.grid["x_finish_m"], 7)
        y = np.linspace(c.grid["y_start_m"], c.grid["y_finish_m"], 7)
        xx, yy = np.meshgrid(x + 1.0, y + 1.0)
        out = stress.coulomb_at_points(xx, yy, max(c.calc_depth_m, 100.0), src.table(), strike_deg=30.0,
                                       dip_deg=60.0, rake_deg=90.0, shear_modulus_pa=c.shear_modulus_pa,
                                       poisson=c.poisson, friction=c.friction)
        assert np.isfinite(out["dcfs_pa"]).mean() > 0.9, fn


def test_example1_geometry_and_units():
    c = read_coulomb_inp(os.path.join(DATA, "Example-1.inp"))
    s = c.sources
    assert len(s) == 1 and s.strike_slip_m[0] == -2.0  # 2 m right-lateral = -2 m left-lateral
    assert s.strike_deg[0] == pytest.approx(np.degrees(np.arctan2(70.0, 70.02)), abs=1e-6)
    assert s.bottom_m[0] == 12000.0 and s.top_m[0] == 0.0
    assert c.friction == 0.4 and c.calc_depth_m == 8000.0
    assert c.regional[0][2] == pytest.approx(100e5)


def test_hooke_and_traction_signs():
    # uniaxial extension along east: sigma_ee = (lambda + 2 mu) e, others lambda e
    g = np.zeros((3, 3))
    g[0, 0] = 1e-6
    s = stress.stress_from_gradient(g, shear_modulus_pa=3e10, poisson=0.25)
    lam = stress.lame_lambda(3e10, 0.25)
    np.testing.assert_allclose(np.diag(s), [(lam + 6e10) * 1e-6, lam * 1e-6, lam * 1e-6])
    # vertical N-S receiver feels the east-west tension as unclamping
    dcfs, shear, normal = stress.resolve_on_planes(s, 0.0, 90.0, 0.0, friction=0.4)
    assert normal > 0 and abs(shear) < 1e-9 and dcfs == pytest.approx(0.4 * normal)
    # simple shear sigma_en > 0 drives right-lateral... check the sign on an E-W plane
    t = np.zeros((3, 3))
    t[0, 1] = t[1, 0] = 1e5
    _, sh_ll, _ = stress.resolve_on_planes(t, 90.0, 90.0, 0.0)  # strike east, dips south, left-lateral
    _, sh_rl, _ = stress.resolve_on_planes(t, 90.0, 90.0, 180.0)
    assert sh_ll == pytest.approx(-sh_rl)


def test_optimal_planes_not_worse_than_any_plane():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(3, 3)) * 1e5
    sig = a + a.T
    reg = stress.regional_stress_tensor([(19.0, 0.0, 100e5), (109.0, 0.0, 0.0), (90.0, 89.999, 30e5)])
    dcfs, st, dp, rk = stress.optimal_planes(sig, reg, friction=0.4)
    # the returned plane's orientation reproduces the returned value
    d2, _, _ = stress.resolve_on_planes(sig, st, dp, rk, friction=0.4)
    np.testing.assert_allclose(d2, dcfs, rtol=1e-6, atol=1.0)


def test_geometry_patches_and_moment():
    f = faults_from_traces([np.array([[0.0, 0.0], [10e3, 0.0], [10e3, 10e3]])], dip_deg=45.0, top_m=1e3,
                           bottom_m=11e3, slip_m=2.0, rake_deg=90.0)
    assert len(f) == 2
    np.testing.assert_allclose(f.strike_deg, [90.0, 0.0])
    np.testing.assert_allclose(f.width_m, 10e3 * np.sqrt(2))
    p, idx = discretize(f, patch_length_m=2e3, patch_width_m=2e3 * np.sqrt(2))
    assert len(p) == 2 * 5 * 5 and idx.shape == (50, 3)
    np.testing.assert_allclose(p.area_m2.sum(), f.area_m2.sum())
    m0, mw = moment(f, shear_modulus_pa=3e10)
    assert m0 == pytest.approx(3e10 * 2 * 10e3 * 10e3 * np.sqrt(2) * 2.0)
    assert mw == pytest.approx(2.0 / 3.0 * (np.log10(m0) - 9.1))
    # patches reproduce the parent's displacement
    e = np.array([3e3, 12e3, -4e3])
    n = np.array([-5e3, 4e3, 2e3])
    np.testing.assert_allclose(okada_displacement(e, n, p.table()), okada_displacement(e, n, f.table()),
                               rtol=1e-9, atol=1e-12)
    # corners: the bottom edge lies W cos(dip) to the right of the strike direction
    c = Faults.create(east_m=0.0, north_m=0.0, strike_deg=0.0, dip_deg=45.0, length_m=1e3, top_m=0.0,
                      bottom_m=1e3).corners()[0]
    np.testing.assert_allclose(c[3], [1e3, 0.0, 1e3], atol=1e-9)
