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
    # EGMS L3 convention: cell edges on multiples of the cell size (centres at k*100+50)
    assert grid.x0 % 100.0 == 0 and grid.y0 % 100.0 == 0
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


# Layout of the official EGMS L3 Ortho tile that covers Ustica (tile E45N17, 100 km, 2020-2024):
# EPSG:3035, 1000 x 1000 cells of 100 m, top-left corner (4500000, 1800000); the tile name is
# its lower-left corner in 100 km units (EGMS product naming, and the aoi (4500000, 1700000,
# 4600000, 1800000) and GeoTIFF transform of the open EGMS Ortho implementation,
# FilSantarelli/egms-ortho-product test/E45N17.params, egms_io.create_ortho_geotiff).
L3_TILE_X0, L3_TILE_Y0, L3_CELL, L3_N = 4500000.0, 1800000.0, 100.0, 1000


def _l3_pixel(x, y):
    return (np.floor((L3_TILE_Y0 - np.asarray(y)) / L3_CELL).astype(int),
            np.floor((np.asarray(x) - L3_TILE_X0) / L3_CELL).astype(int))


def test_ustica_grid_coincides_with_official_l3_tile_cells(data_dir):
    """Every cell of the Ustica grid is one cell of the official L3 tile, holding the same points."""
    x, y = [], []
    for name in ("EGMS_L2b_117_0227_IW2_VV_2020_2024_1.zip", "EGMS_L2b_022_0845_IW2_VV_2020_2024_1.zip"):
        c = read_egms_csv(os.path.join(data_dir, "egms_ustica", name))["columns"]
        x.append(c["easting"])
        y.append(c["northing"])
    x, y = np.concatenate(x), np.concatenate(y)
    grid = dc.grid_for_points(x, y, 100.0)
    off_x = (grid.x0 - L3_TILE_X0) / L3_CELL
    off_y = (L3_TILE_Y0 - grid.y0) / L3_CELL
    # whole numbers of cells (before the fix both were k + 0.5: half a cell off)
    assert off_x == round(off_x) and off_y == round(off_y)
    r, c = grid.cell_index(x, y)
    tr, tc = _l3_pixel(x, y)
    assert np.all(r >= 0)
    # Ustica straddles tiles E45N17 and E46N17 (x >= 4600000); both tiles share one 100 m lattice, so
    # columns >= 1000 here are the first columns of E46N17
    assert np.all((tr >= 0) & (tr < L3_N)) and (tc < L3_N).sum() > 1000 and (tc >= L3_N).sum() > 1000
    np.testing.assert_array_equal(r + int(off_y), tr)
    np.testing.assert_array_equal(c + int(off_x), tc)
    # a template with the tile's own layout gives the tile's cells unchanged
    tile = dc.grid_from_geotransform((L3_TILE_X0, L3_CELL, 0.0, L3_TILE_Y0, 0.0, -L3_CELL), L3_N, L3_N)
    inside = tc < L3_N
    np.testing.assert_array_equal(np.stack(tile.cell_index(x[inside], y[inside])), np.stack([tr, tc])[:, inside])
    assert np.all(tile.cell_index(x[~inside], y[~inside])[0] == -1)


def test_grid_origin_and_edges():
    # points exactly on edges belong to the cell east / south of the edge
    g = dc.grid_for_points([100.0, 299.0], [500.0, 300.0], 100.0)
    assert (g.x0, g.y0, g.n_cols, g.n_rows) == (100.0, 500.0, 2, 3)
    r, c = g.cell_index([100.0, 200.0, 299.0], [500.0, 400.0, 300.0])
    assert list(r) == [0, 1, 2] and list(c) == [0, 1, 1]
    # a shifted origin: cell centres on multiples of 100 (the layout before the fix)
    g = dc.grid_for_points([1234.0], [5678.0], 100.0, origin_x=50.0, origin_y=-4450.0)
    assert (g.x0, g.y0, g.n_cols, g.n_rows) == (1150.0, 5750.0, 1, 1)
    g = dc.grid_for_points([1234.0, 1800.0], [5678.0, 5000.0], 25.0, origin_x=4500010.0, origin_y=10.0)
    assert (g.x0 - 10.0) % 25.0 == 0 and (g.y0 - 10.0) % 25.0 == 0
    r, c = g.cell_index([1234.0, 1800.0], [5678.0, 5000.0])
    assert list(r) == [0, g.n_rows - 1] and list(c) == [0, g.n_cols - 1]
    with pytest.raises(GeohazardError, match="origin_x"):
        dc.grid_for_points([0.0], [0.0], 100.0, origin_x=float("nan"))
    for gt, msg in (((0, 100, 1, 0, 0, -100), "rotated"), ((0, 100, 0, 0, 0, 100), "north-up"),
                    ((0, 100, 0, 0, 0, -50), "square")):
        with pytest.raises(GeohazardError, match=msg):
            dc.grid_from_geotransform(gt, 10, 10, name="TEMPLATE")


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
