"""Optimally oriented planes (algorithms/faults/stress.py::optimal_planes): the tie between the conjugate planes.

At the optimal angle the two conjugate planes have the same dCFS in exact arithmetic, so the plane (and with
it the shear and normal stress) must be chosen by a rule that rounding cannot flip: the larger dCFS beyond a
tolerance, else gentler dip, then dip direction, vertical planes by strike. Checked here against an
independent brute-force calculation of King, Stein & Lin (1994)'s definition, on constructed exact ties, on
random stresses (rounding-level ties), and against flipped eigenvector signs (what differs between LAPACKs).
"""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from insar_geohazards.algorithms.faults import stress

MU = 0.4
THETA_DEG = np.degrees(0.5 * np.arctan2(1.0, MU))  # angle between the optimal planes' normal and s3: 34.10 deg


def regional(s1, s2, s3):
    """Regional stress (Pa, tension positive) from (azimuth, plunge, magnitude compression positive) axes."""
    return stress.regional_stress_tensor([s1, s2, s3])


# --------------------------------------------------------------------------- an independent calculation
def ksl_vertical_planes(change, total, friction=MU):
    """King, Stein & Lin (1994) written out for vertical planes (a vertical intermediate axis): over the strike
    phi of a vertical plane (normal (cos phi, -sin phi, 0), strike vector (sin phi, cos phi, 0)), the total
    Coulomb stress |tau_t| + mu sigma_t is maximised; dCFS = sign(tau_t) tau_c + mu sigma_c on the maximisers.
    Returns the two maximising strikes in [0, 180) and the dCFS at each (brute force, then refined)."""
    def tractions(phi, t):
        p = np.radians(phi)
        n = np.array([np.cos(p), -np.sin(p), 0.0])
        s = np.array([np.sin(p), np.cos(p), 0.0])
        return s @ t @ n, n @ t @ n

    def cfs_total(phi):
        tau, sig = tractions(phi, total)
        return -(abs(tau) + friction * sig)

    grid = np.arange(0.0, 180.0, 0.05)
    vals = np.array([cfs_total(p) for p in grid])
    out = []
    for k in np.argsort(vals):
        if any(min(abs(grid[k] - p), 180 - abs(grid[k] - p)) < 10.0 for p, _ in out):
            continue
        r = minimize_scalar(cfs_total, bounds=(grid[k] - 0.1, grid[k] + 0.1), method="bounded",
                            options={"xatol": 1e-11})
        phi = r.x % 180.0
        tau_t, _ = tractions(phi, total)
        tau_c, sig_c = tractions(phi, change)
        out.append((phi, np.sign(tau_t) * tau_c + friction * sig_c))
        if len(out) == 2:
            break
    return out


def strike_slip_case(rng):
    """Stress changes with no vertical shear under a strike-slip regional stress (vertical s2): a 2-D problem."""
    reg = regional((19.0, 0.0, 100e5), (0.0, 90.0, 30e5), (109.0, 0.0, 0.0))
    a = rng.normal(size=(3, 3)) * 3e5
    chg = a + a.T
    chg[0, 2] = chg[2, 0] = chg[1, 2] = chg[2, 1] = 0.0
    return chg, reg


@pytest.mark.parametrize("seed", range(4))
def test_dcfs_and_planes_equal_king_stein_lin_1994_brute_force(seed):
    chg, reg = strike_slip_case(np.random.default_rng(seed))
    (p1, d1), (p2, d2) = ksl_vertical_planes(chg, chg + reg)
    assert d1 == pytest.approx(d2, rel=1e-9, abs=1e-3)  # the conjugate planes tie, as the module says
    dcfs, st, dp, rk = stress.optimal_planes(chg, reg, friction=MU)
    assert all(np.shape(a) == () for a in (dcfs, st, dp, rk))  # shape stress.shape[:-2], as documented
    assert float(dcfs) == pytest.approx(d1, rel=1e-8, abs=1e-3)
    assert float(dp) == pytest.approx(90.0, abs=1e-9)
    # the rule for two vertical planes: the smaller strike in [0, 180)
    want = min(p1, p2)
    assert min(abs(float(st) % 180.0 - want), 180.0 - abs(float(st) % 180.0 - want)) < 1e-6
    # shear and normal of the returned plane add up to the returned dCFS (to the tie tolerance)
    d_plane, shear, normal = stress.resolve_on_planes(chg, st, dp, rk, friction=MU)
    assert float(shear + MU * normal) == pytest.approx(float(dcfs), rel=1e-9, abs=1e-3)


def test_the_conjugate_planes_tie_for_any_stress():
    """Random regional stresses and changes: the dCFS of the two conjugate planes agree to rounding (the shear
    term of the change in the s1-s3 plane cancels at tan 2 theta = 1 / mu')."""
    rng = np.random.default_rng(11)
    for _ in range(50):
        a, b = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
        reg, chg = (a + a.T) * 1e6, (b + b.T) * 1e5
        total = reg + chg
        w, v = np.linalg.eigh(total)
        d = []
        for sign in (1.0, -1.0):
            n = np.sin(np.radians(THETA_DEG)) * sign * v[:, 0] + np.cos(np.radians(THETA_DEG)) * v[:, 2]
            t = total @ n
            slip = t - (t @ n) * n
            slip /= np.linalg.norm(slip)
            d.append((chg @ n) @ slip + MU * (chg @ n) @ n)
        assert d[0] == pytest.approx(d[1], rel=1e-11, abs=1e-4)


@pytest.mark.parametrize("regime, dip, strike", [
    # thrust: s1 E-W, s3 vertical: planes strike N-S, dip theta east and west; east (dip direction 90) first
    ("thrust", THETA_DEG, 0.0),
    # normal: s1 vertical, s3 N-S: planes strike E-W, dip 90 - theta north and south; north (dip direction 0,
    # an azimuth near the 0/360 seam) first, i.e. strike 270
    ("normal", 90.0 - THETA_DEG, 270.0),
])
def test_exact_ties_take_the_documented_plane(regime, dip, strike):
    reg = {"thrust": regional((90.0, 0.0, 100e5), (0.0, 0.0, 30e5), (0.0, 90.0, 0.0)),
           "normal": regional((0.0, 90.0, 100e5), (90.0, 0.0, 30e5), (0.0, 0.0, 0.0))}[regime]
    # changes sharing the regional axes (diagonal in east/north/up): the two planes tie exactly
    chg = np.array([np.diag(d) for d in ([1e5, -2e5, 0.5e5], [-3e5, 1e5, 0.0], [2e4, 2e4, -4e4])])
    dcfs, st, dp, rk = stress.optimal_planes(chg, reg, friction=MU)
    np.testing.assert_allclose(dp, dip, atol=1e-9)
    np.testing.assert_allclose((st - strike + 180.0) % 360.0 - 180.0, 0.0, atol=1e-9)
    d_plane, shear, normal = stress.resolve_on_planes(chg, st, dp, rk, friction=MU)
    np.testing.assert_allclose(d_plane, dcfs, rtol=1e-9, atol=1e-3)


def _flip_eigenvectors(monkeypatch, columns):
    orig = np.linalg.eigh

    def eigh(a):
        w, v = orig(a)
        v = v.copy()
        v[..., :, columns] *= -1.0
        return w, v
    monkeypatch.setattr(np.linalg, "eigh", eigh)


@pytest.mark.parametrize("columns", [[0], [2], [0, 2]])
def test_the_plane_does_not_depend_on_the_eigenvector_signs(monkeypatch, columns):
    """The sign of an eigenvector is LAPACK's choice (it differs between libraries, versions and CPUs): the
    returned plane, shear and normal stress must not follow it. Random changes (rounding-level ties), the
    free surface of a thrust regime (exact ties) and a strike-slip regime."""
    from insar_geohazards.algorithms.faults.faults import Faults
    from insar_geohazards.algorithms.faults.okada import okada_displacement

    f = Faults.create(east_m=[0.0], north_m=[0.0], strike_deg=[30.0], dip_deg=[50.0], length_m=[20e3], top_m=[2e3],
                      bottom_m=[15e3], strike_slip_m=[1.0], dip_slip_m=[1.5])
    x, y = np.meshgrid(np.linspace(-40e3, 40e3, 25), np.linspace(-40e3, 40e3, 21))
    regs = [regional((90.0, 0.0, 100e5), (0.0, 0.0, 30e5), (0.0, 90.0, 0.0)),
            regional((19.0001, -0.0001, 100e5), (109.0001, -0.0001, 0.0), (89.9999, 89.999, 30e5))]
    for depth in (0.0, 7500.0):
        _, grad = okada_displacement(x, y, f.table(), up_m=-depth, gradients=True)
        sig = stress.stress_from_gradient(grad)
        for reg in regs:
            base = stress.coulomb_at_points(x, y, depth, f.table(), regional=reg, friction=MU)
            with monkeypatch.context() as m:
                _flip_eigenvectors(m, columns)
                flipped = stress.coulomb_at_points(x, y, depth, f.table(), regional=reg, friction=MU)
                opt = stress.optimal_planes(sig, reg, friction=MU)
            assert np.isfinite(base["dcfs_pa"]).mean() > 0.95
            for k in ("dcfs_pa", "shear_pa", "normal_pa", "dip_deg"):
                np.testing.assert_array_equal(flipped[k], base[k], err_msg=k)
            np.testing.assert_array_equal(opt[0], stress.optimal_planes(sig, reg, friction=MU)[0])


def test_pick_takes_the_larger_dcfs_beyond_the_tolerance_and_the_order_within():
    east = np.array([np.sin(np.radians(30.0)), 0.0, np.cos(np.radians(30.0))])  # dips 30 deg east
    west = np.array([-np.sin(np.radians(40.0)), 0.0, np.cos(np.radians(40.0))])  # dips 40 deg west
    scale = 1e7  # a total stress of 100 bar
    big = 1e5
    # beyond the tolerance the larger dCFS wins, whatever the order
    assert not stress.pick_conjugate(big, big * (1 + 1e-5), east, west, scale)
    assert stress.pick_conjugate(big * (1 + 1e-5), big, west, east, scale)
    # within it (relative or at the level of the total stress's rounding) the gentler dip wins
    assert stress.pick_conjugate(big, big * (1 + 1e-7), east, west, scale)
    assert not stress.pick_conjugate(big * (1 + 1e-7), big, west, east, scale)
    assert stress.pick_conjugate(1e-4, -1e-4, east, west, scale) == stress.pick_conjugate(-1e-4, 1e-4, east, west,
                                                                                          scale)
    # equal dips: the smaller dip direction; at the 0/360 seam the azimuth just below 360 counts as 0
    north = np.array([0.0, np.sin(np.radians(50.0)), np.cos(np.radians(50.0))])
    south = np.array([0.0, -np.sin(np.radians(50.0)), np.cos(np.radians(50.0))])
    north_w = np.array([-1e-12, np.sin(np.radians(50.0)), np.cos(np.radians(50.0))])  # azimuth 360 - 1e-10 deg
    assert stress.pick_conjugate(big, big, north, south, scale) and not stress.pick_conjugate(big, big, south, north,
                                                                                              scale)
    assert stress.pick_conjugate(big, big, north_w, south, scale)
    # two vertical planes: the smaller strike in [0, 180), whichever side their normals point to
    v40 = np.array([np.cos(np.radians(40.0)), -np.sin(np.radians(40.0)), 0.0])  # strike 40
    v160 = np.array([np.cos(np.radians(160.0)), -np.sin(np.radians(160.0)), 0.0])  # strike 160
    for a in (v40, -v40):
        for b in (v160, -v160):
            assert stress.pick_conjugate(big, big, a, b, scale) and not stress.pick_conjugate(big, big, b, a, scale)


def test_points_on_a_source_edge_stay_nodata():
    """A NaN stress (a point on a source edge) gives NaN, not a LinAlgError for the whole grid."""
    reg = regional((90.0, 0.0, 100e5), (0.0, 0.0, 30e5), (0.0, 90.0, 0.0))
    chg = np.array([np.diag([1e5, -2e5, 0.5e5]), np.full((3, 3), np.nan), np.diag([-3e5, 1e5, 0.0])])
    out = stress.optimal_planes(chg, reg, friction=MU)
    for a in out:
        assert np.isnan(a[1]) and np.isfinite(a[[0, 2]]).all()
    np.testing.assert_array_equal(out[0][[0, 2]], stress.optimal_planes(chg[[0, 2]], reg, friction=MU)[0])
