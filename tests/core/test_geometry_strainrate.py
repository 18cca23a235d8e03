"""algorithms.geometry.strainrate: strain and rotation rates of an analytic velocity field (uniform strain and
rotation plus a Savage-Burford screw dislocation, differentiated in closed form here), on a grid and on scattered
points; block independence; bad input."""

import math
from types import SimpleNamespace

import numpy as np
import pytest

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.geometry import strainrate as sr

# uniform gradient (mm/yr per m): exx, eyy, shear and rotation all present
A = np.array([[2.0e-5, 0.7e-5], [-1.1e-5, -0.8e-5]])
SLIP, LOCK_M, STRIKE_DEG = 30.0, 8000.0, 35.0  # mm/yr, m, fault azimuth clockwise from north


def field(x, y):
    """Velocities (mm/yr) and their exact gradient at (x, y) m."""
    s, c = math.sin(math.radians(STRIKE_DEG)), math.cos(math.radians(STRIKE_DEG))
    along = np.array([s, c])        # unit vector along strike (east, north)
    across = np.array([c, -s])      # unit vector across, to the right of strike
    xp = x * across[0] + y * across[1]
    v = SLIP / math.pi * np.arctan(xp / LOCK_M)   # right-lateral screw dislocation, Savage & Burford (1973)
    dv = SLIP / (math.pi * LOCK_M) / (1.0 + (xp / LOCK_M) ** 2)
    ve = A[0, 0] * x + A[0, 1] * y + v * along[0]
    vn = A[1, 0] * x + A[1, 1] * y + v * along[1]
    grad = {"dve_dx": A[0, 0] + dv * along[0] * across[0], "dve_dy": A[0, 1] + dv * along[0] * across[1],
            "dvn_dx": A[1, 0] + dv * along[1] * across[0], "dvn_dy": A[1, 1] + dv * along[1] * across[1]}
    return ve, vn, grad


def exact_strain(grad):
    """Strain, shear, rotation and principal axes written independently: eigen-decomposition of the tensor."""
    exx, eyy = grad["dve_dx"], grad["dvn_dy"]
    exy = 0.5 * (grad["dve_dy"] + grad["dvn_dx"])
    tensor = np.stack([np.stack([exx, exy], -1), np.stack([exy, eyy], -1)], -2) * 1e6
    vals, vecs = np.linalg.eigh(tensor)
    e1, e2 = vals[..., 1], vals[..., 0]
    az = np.mod(np.degrees(np.arctan2(vecs[..., 0, 1], vecs[..., 1, 1])), 180.0)  # east over north of e1's vector
    return {"dilatation": (exx + eyy) * 1e6, "max_shear": (e1 - e2) / 2, "rotation":
            0.5 * (grad["dvn_dx"] - grad["dve_dy"]) * 1e6, "e1": e1, "e2": e2, "azimuth_e1_deg": az}


def grid(pixel=500.0, n=121):
    x = (np.arange(n) - n // 2) * pixel
    y = (n // 2 - np.arange(n)) * pixel
    return np.meshgrid(x, y)


def test_grid_matches_the_analytic_field_within_two_percent():
    xx, yy = grid()
    ve, vn, grad = field(xx, yy)
    got = sr.strain_from_gradients(sr.gradients_grid(ve, vn, pixel_x_m=500.0, pixel_y_m=500.0, sigma_m=1000.0))
    want = exact_strain(grad)
    inner = (slice(10, -10), slice(10, -10))
    for key in ("dilatation", "max_shear", "rotation", "e1", "e2"):
        scale = np.max(np.abs(want[key][inner]))
        err = np.max(np.abs(got[key][inner] - want[key][inner]))
        assert err <= 0.02 * scale, (key, err, scale)
    # the axis where the tensor is not isotropic: within a degree
    aniso = want["max_shear"][inner] > 0.1 * np.max(want["max_shear"][inner])
    d = np.abs(got["azimuth_e1_deg"][inner] - want["azimuth_e1_deg"][inner])[aniso]
    assert np.max(np.minimum(d, 180 - d)) < 1.0
    # edges: one-sided fits, no mirroring: a linear field stays exact up to the corner
    lin = sr.gradients_grid(A[0, 0] * xx + A[0, 1] * yy, A[1, 0] * xx + A[1, 1] * yy, pixel_x_m=500.0,
                            pixel_y_m=500.0, sigma_m=1000.0)
    assert np.nanmax(np.abs(lin["dve_dy"] - A[0, 1])) < 1e-12 and np.isfinite(lin["dvn_dx"][0, 1])


def test_pure_rotation_and_pure_shear_signs():
    xx, yy = grid(100.0, 41)
    w = 1e-5  # counter-clockwise rigid rotation: ve = -w y, vn = w x
    s = sr.strain_from_gradients(sr.gradients_grid(-w * yy, w * xx, pixel_x_m=100.0, pixel_y_m=100.0,
                                                   sigma_m=200.0))
    assert np.allclose(s["rotation"], 10.0) and np.allclose(s["dilatation"], 0, atol=1e-9)
    assert np.allclose(s["max_shear"], 0, atol=1e-9)
    # extension east-west only: e1 = exx, axis azimuth 90
    s = sr.strain_from_gradients(sr.gradients_grid(2e-5 * xx, 0 * xx, pixel_x_m=100.0, pixel_y_m=100.0,
                                                   sigma_m=200.0))
    assert np.allclose(s["e1"], 20.0) and np.allclose(s["e2"], 0, atol=1e-9)
    assert np.allclose(s["max_shear"], 10.0) and np.allclose(s["azimuth_e1_deg"], 90.0)


def test_points_match_the_analytic_field():
    rng = np.random.default_rng(3)
    xx, yy = np.meshgrid(np.arange(-25000, 25001, 600.0), np.arange(-25000, 25001, 600.0))
    x = xx.ravel() + rng.uniform(-150, 150, xx.size)  # sites off a lattice, as PS or a dense GNSS network
    y = yy.ravel() + rng.uniform(-150, 150, xx.size)
    ve, vn, grad = field(x, y)
    got = sr.strain_from_gradients(sr.gradients_points(x, y, ve, vn, sigma_m=900.0))
    want = exact_strain(grad)
    inner = (np.abs(x) < 20000) & (np.abs(y) < 20000)
    # irregular sites: the field's curvature leaks between components, so the bound is 2 % of the strain-rate
    # magnitude (the largest principal rate), not of each component's own (the dilatation is 1 % of it here)
    scale = np.max(np.maximum(np.abs(want["e1"]), np.abs(want["e2"]))[inner])
    for key in ("dilatation", "max_shear", "rotation"):
        assert np.nanmax(np.abs(got[key][inner] - want[key][inner])) <= 0.02 * scale, key
    assert np.isfinite(got["rotation"]).all()


def test_same_bytes_in_blocks_and_gaps_stay_gaps():
    xx, yy = grid(500.0, 60)
    ve, vn, _ = field(xx, yy)
    ve[20:23, 30:33] = np.nan
    kw = dict(pixel_x_m=500.0, pixel_y_m=500.0, sigma_m=900.0)
    halo = sr.halo_rows(900.0, 500.0)
    whole = sr.strain_block(SimpleNamespace(core=slice(0, 60)), {"east": ve, "north": vn}, **kw)
    parts = {k: [] for k in whole}
    for r0 in range(0, 60, 7):
        r1 = min(60, r0 + 7)
        a, b = max(0, r0 - halo), min(60, r1 + halo)
        out = sr.strain_block(SimpleNamespace(core=slice(r0 - a, r1 - a)), {"east": ve[a:b], "north": vn[a:b]},
                              **kw)
        for k, v in out.items():
            parts[k].append(v)
    for k, v in whole.items():
        joined = np.concatenate(parts[k], axis=-2)
        assert joined.tobytes() == v.tobytes(), k
    assert np.isnan(whole["dilatation"][21, 31]) and np.isfinite(whole["dilatation"][21, 35])


def test_bad_input_is_named():
    with pytest.raises(GeohazardError, match="SMOOTHING_M"):
        sr.check_smoothing(10.0, 20.0, 20.0)
    with pytest.raises(GeohazardError, match="SMOOTHING_M"):
        sr.check_smoothing(float("nan"), 20.0, 20.0)
    with pytest.raises(GeohazardError, match="shape"):
        sr.gradients_grid(np.zeros((3, 4)), np.zeros((4, 3)), pixel_x_m=1.0, pixel_y_m=1.0, sigma_m=2.0)
    g = sr.gradients_points([0.0, 1.0, 2.0], [0.0, 1.0, 2.0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0], sigma_m=5.0)
    assert np.all(np.isnan(g["dve_dx"]))  # collinear points hold no plane


def test_points_left_empty_say_why_and_a_network_without_a_plane_is_named():
    rng = np.random.default_rng(12)
    xy = rng.uniform(0, 10000, (120, 2))
    xy = np.r_[xy, [[60000.0, 0.0], [90000.0, 0.0]], [[5000.0, np.nan]]]  # two isolated, one without position
    g = np.array([[2e-5, 1e-5], [-1e-5, 3e-5]])
    ve, vn = g @ np.nan_to_num(xy).T
    grad = sr.gradients_points(xy[:, 0], xy[:, 1], ve, vn, sigma_m=1500.0)
    reason = grad["reason"]
    assert (reason[:120] == sr.FITTED).all() and list(reason[120:]) == [sr.FEW, sr.FEW, sr.MISSING]
    assert np.allclose(grad["dve_dx"][:120], g[0, 0]) and np.allclose(grad["dvn_dy"][:120], g[1, 1])
    t = rng.uniform(0, 10000, 40)
    line = sr.gradients_points(t, 0.5 * t, t, t, sigma_m=3000.0)
    assert (line["reason"] == sr.ON_A_LINE).all()
    assert "lie on one line" in sr.network_problem(t, 0.5 * t, sigma_m=3000.0, name="POINTS")
    assert "2 distinct position" in sr.network_problem(np.r_[t[:2], t[:2]], np.r_[t[:2], t[:2]], sigma_m=10.0,
                                                       name="POINTS")
    msg = sr.network_problem(xy[:120, 0], xy[:120, 1], sigma_m=50.0, name="POINTS")
    assert "raise SMOOTHING_M to at least" in msg


def test_strain_outputs_are_named_per_year_or_not():
    rate, strain = sr.output_specs(True), sr.output_specs(False)
    assert rate["dilatation"] == (("dilatation_nstrain_yr",), "nanostrain/yr")
    assert strain["dilatation"] == (("dilatation_nstrain",), "nanostrain")
    assert strain["rotation"][1] == "nanoradian" and strain["principal"][0][2] == "e1_nstrain"
