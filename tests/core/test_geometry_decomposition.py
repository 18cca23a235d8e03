"""Ascending/descending decomposition, gridding, interpolation and the EGMS CSV reader."""

import datetime as dt
import os

import numpy as np
import pytest

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.geometry import decomposition as dc
from insar_geohazards.algorithms.geometry.egms_csv import read_egms_csv
from insar_geohazards.algorithms.geometry.los import los_unit_vector

ASC = los_unit_vector(38.97, -8.94)   # EGMS track 117 (Ustica), per-point values printed in the CSV
DESC = los_unit_vector(36.5, -171.5)


def test_synthetic_east_up_recovered_exactly():
    rng = np.random.default_rng(0)
    east, up = rng.normal(0, 5, (20, 30)), rng.normal(-3, 4, (20, 30))
    los = [ASC[0] * east + ASC[2] * up, DESC[0] * east + DESC[2] * up]
    res = dc.decompose_los(los, [ASC[0], DESC[0]], [ASC[1], DESC[1]], [ASC[2], DESC[2]])
    np.testing.assert_allclose(res["east"], east, atol=1e-10)
    np.testing.assert_allclose(res["up"], up, atol=1e-10)
    a = np.array([[ASC[0], ASC[2]], [DESC[0], DESC[2]]])
    np.testing.assert_allclose(res["condition"], np.linalg.cond(a), rtol=1e-10)
    assert np.all(res["count"] == 2)


def test_north_neglected_or_constrained():
    east, north, up = 4.0, 10.0, -6.0
    los = [v[0] * east + v[1] * north + v[2] * up for v in (ASC, DESC)]
    vecs = [[ASC[i], DESC[i]] for i in range(3)]
    exact = dc.decompose_los([np.full((2, 2), x) for x in los], *vecs, north_mm=north)
    np.testing.assert_allclose(exact["east"], east, atol=1e-10)
    np.testing.assert_allclose(exact["up"], up, atol=1e-10)
    biased = dc.decompose_los([np.full((2, 2), x) for x in los], *vecs)
    a = np.array([[ASC[0], ASC[2]], [DESC[0], DESC[2]]])
    bias = np.linalg.solve(a, np.array([ASC[1], DESC[1]]) * north)  # the north leakage, known in closed form
    np.testing.assert_allclose(biased["east"], east + bias[0], atol=1e-10)
    np.testing.assert_allclose(biased["up"], up + bias[1], atol=1e-10)


def test_uncertainty_is_propagated():
    a = np.array([[ASC[0], ASC[2]], [DESC[0], DESC[2]]])
    sig = np.array([1.0, 2.0])
    cov = np.linalg.inv(a) @ np.diag(sig ** 2) @ np.linalg.inv(a).T
    res = dc.decompose_los([np.zeros((1, 1)), np.zeros((1, 1))], *[[ASC[i], DESC[i]] for i in range(3)],
                           sigma=sig)
    assert res["sigma_east"][0, 0] == pytest.approx(np.sqrt(cov[0, 0]), rel=1e-10)
    assert res["sigma_up"][0, 0] == pytest.approx(np.sqrt(cov[1, 1]), rel=1e-10)
    # three observations, inverse-variance weights: covariance = (A^T W A)^-1
    vecs = [ASC, DESC, los_unit_vector(30.0, -10.0)]
    sig3 = np.array([1.0, 2.0, 0.5])
    a3 = np.array([[v[0], v[2]] for v in vecs])
    cov3 = np.linalg.inv(a3.T @ np.diag(1 / sig3 ** 2) @ a3)
    res3 = dc.decompose_los([np.zeros((1, 1))] * 3, *[[v[i] for v in vecs] for i in range(3)], sigma=sig3,
                            weighted=True)
    assert res3["sigma_up"][0, 0] == pytest.approx(np.sqrt(cov3[1, 1]), rel=1e-10)


def test_same_look_twice_is_ill_conditioned():
    res = dc.decompose_los([np.ones((1, 1)), np.ones((1, 1))], [ASC[0], ASC[0]], [ASC[1], ASC[1]], [ASC[2], ASC[2]])
    assert np.isnan(res["up"][0, 0])
    assert res["condition"][0, 0] > 1e6


def test_point_gridding_matches_per_cell_least_squares():
    rng = np.random.default_rng(1)
    n = 400
    x = rng.uniform(4598600, 4599100, n)
    y = rng.uniform(1741300, 1741800, n)
    geom = rng.integers(0, 2, n)
    inc = np.where(geom == 0, 38.9, 36.6) + rng.normal(0, 0.3, n)
    head = np.where(geom == 0, -8.9, -171.4)
    e, nn, u = los_unit_vector(inc, head)
    v = rng.normal(0, 3, n)
    grid = dc.grid_for_points(x, y, 100.0)
    # EGMS L3 convention: cell centres on multiples of the cell size
    assert (grid.x0 + 50.0) % 100.0 == 0 and (grid.y0 - 50.0) % 100.0 == 0
    data = [dict(x=x[geom == g], y=y[geom == g], v=v[geom == g], sigma=None, e=e[geom == g], n=nn[geom == g],
                 u=u[geom == g]) for g in (0, 1)]
    res, _ = dc.decompose_point_sets(data, grid)
    r, c = grid.cell_index(x, y)
    checked = 0
    for rr in range(grid.n_rows):
        for cc in range(grid.n_cols):
            m = (r == rr) & (c == cc)
            if len(set(geom[m])) < 2:
                assert np.isnan(res["up"][rr, cc])
                continue
            sol, *_ = np.linalg.lstsq(np.column_stack([e[m], u[m]]), v[m], rcond=None)
            np.testing.assert_allclose([res["east"][rr, cc], res["up"][rr, cc]], sol, atol=1e-9)
            checked += 1
    assert checked >= 20


def test_interpolation_and_time_series_decomposition():
    d_a = [dt.date(2020, 1, 3) + dt.timedelta(days=12 * i) for i in range(40)]
    d_d = [dt.date(2020, 1, 9) + dt.timedelta(days=12 * i) for i in range(40)]
    ve, vu = 3.0, -8.0  # mm/yr

    def disp(dates, vec):
        t = np.array([(d - dt.date(2020, 1, 1)).days / 365.25 for d in dates])
        return (vec[0] * ve + vec[2] * vu) * t

    common = dc.common_dates(d_a, d_d, spacing_days=6)
    assert common[0] == dt.date(2020, 1, 9) and common[-1] <= d_a[-1]
    sa = dc.interpolate_to_dates(disp(d_a, ASC)[:, None], d_a, common)
    sd = dc.interpolate_to_dates(disp(d_d, DESC)[:, None], d_d, common)
    res = dc.decompose_los([sa[:, :, None], sd[:, :, None]], [ASC[0], DESC[0]], [ASC[1], DESC[1]],
                           [ASC[2], DESC[2]])
    ok = np.isfinite(res["up"][:, 0, 0])
    assert ok.sum() >= len(common) - 2
    t = np.array([(d - dt.date(2020, 1, 1)).days / 365.25 for d in common])
    np.testing.assert_allclose(res["up"][ok, 0, 0], vu * t[ok], atol=1e-9)
    np.testing.assert_allclose(res["east"][ok, 0, 0], ve * t[ok], atol=1e-9)
    assert dc.velocity_from_series(res["up"][:, 0, 0], common) == pytest.approx(vu, abs=1e-9)


def test_interpolation_respects_gaps_and_nans():
    dates = [dt.date(2020, 1, 1), dt.date(2020, 1, 11), dt.date(2020, 6, 1), dt.date(2020, 6, 11)]
    vals = np.array([[0.0, 0.0], [10.0, np.nan], [20.0, 20.0], [30.0, 30.0]])
    tgt = [dt.date(2020, 1, 6), dt.date(2020, 3, 1), dt.date(2020, 6, 6), dt.date(2021, 1, 1)]
    out = dc.interpolate_to_dates(vals, dates, tgt, max_gap_days=90)
    np.testing.assert_allclose(out[:, 0], [5.0, np.nan, 25.0, np.nan])
    assert np.isnan(out[0, 1]) and out[2, 1] == pytest.approx(25.0)


def test_seasonal_velocity_fit_and_errors():
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=6 * i) for i in range(200)]
    t = np.array([(d - dates[0]).days for d in dates]) / 365.25
    y = 2.0 + 5.0 * t + 3.0 * (np.cos(2 * np.pi * t) - 1) + 1.5 * np.sin(2 * np.pi * t)
    assert dc.velocity_from_series(y, dates) == pytest.approx(5.0, abs=1e-9)
    with pytest.raises(GeohazardError, match="at least two geometries"):
        dc.decompose_los([np.zeros((2, 2))], [0.5], [0.0], [0.8])
    with pytest.raises(GeohazardError, match="do not overlap in time"):
        dc.common_dates([dt.date(2020, 1, 1)], [dt.date(2021, 1, 1)])
    with pytest.raises(GeohazardError, match="shape"):
        dc.decompose_los([np.zeros((2, 2)), np.zeros((3, 2))], [0.5, -0.5], [0, 0], [0.8, 0.8])


def test_egms_csv_reader_on_real_rows(data_dir):
    path = os.path.join(data_dir, "egms_ustica", "asc_117_first20.csv")
    d = read_egms_csv(path)
    assert d["series"].shape == (len(d["dates"]), 20)
    assert d["dates"][0] == dt.date(2020, 1, 3)
    c = d["columns"]
    # the EGMS LOS vector is our los_unit_vector(incidence_angle, track_angle)
    e, n, u = los_unit_vector(c["incidence_angle"], c["track_angle"])
    np.testing.assert_allclose(e, c["los_east"], atol=6e-4)
    np.testing.assert_allclose(n, c["los_north"], atol=6e-4)
    np.testing.assert_allclose(u, c["los_up"], atol=6e-4)
    with pytest.raises(GeohazardError, match="does not exist"):
        read_egms_csv(path + ".missing")


@pytest.mark.parametrize("heading", [-12.0, 192.0, 100.0])
def test_heading_from_look_vector_azimuths(heading):
    from insar_geohazards.algorithms.geometry.los import heading_from_azimuth

    e, n, _ = los_unit_vector(35.0, heading)
    az_sat = np.degrees(np.arctan2(e, n))  # clockwise from north, ground -> satellite
    lv_phi = np.radians(90.0 - az_sat)  # counter-clockwise from east
    for values, kind in ((lv_phi, "lv_phi_rad"), (np.degrees(lv_phi), "lv_phi_deg"),
                         (-az_sat, "isce_los_azimuth_deg"), (heading, "heading_deg")):
        got = heading_from_azimuth(values, kind)
        assert (got - heading + 180.0) % 360.0 - 180.0 == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(GeohazardError, match="azimuth kind"):
        heading_from_azimuth(0.0, "radians")
