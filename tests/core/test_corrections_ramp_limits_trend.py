"""Core of the correction chain's limits: the trend guard, the high-passed phase-elevation fit, ramps that do not
extrapolate or exceed their causes, culprit-only network drops and the final velocity of the DEM-error step."""

from __future__ import annotations

import numpy as np
import pytest

from insar_geohazards.algorithms.corrections.dem_error import dem_error_block, dem_error_engine_block, design_matrix
from insar_geohazards.algorithms.corrections.network_mod import (
    closure_misfit,
    closure_sums_block,
    closure_triplets,
    culprit_interferograms,
    modify_network,
)
from insar_geohazards.algorithms.corrections.ramp_limits import (
    default_max_gradient_mm_km,
    guarded_ramps,
    leverage_ratio,
    limited_fit_apply_block,
)
from insar_geohazards.algorithms.corrections.ramps import (
    FitSums,
    MaskTooSmallError,
    ramp_apply_block,
    ramp_normal_block,
    sum_rows,
)
from insar_geohazards.algorithms.corrections.trend import span_correlation, split_trend, student_quantile
from insar_geohazards.algorithms.corrections.troposphere import (
    correct_phase_elevation,
    elevation_normal_block,
    filter_radius,
    guarded_elevation_per_date,
    height_scaling,
)
from insar_geohazards.algorithms.engine import Block, plan_blocks
from insar_geohazards.algorithms.timeseries.network import build_network
from insar_geohazards.algorithms.timeseries.sbas import linear_velocity
from tests.testutils_corrections import smooth_noise, synthetic_stack, velocity_from_ifgs


def _idx(s):
    return (np.array([i for i, _ in s["pairs"]]), np.array([j for _, j in s["pairs"]]), len(s["dates"]))


# ------------------------------------------------------------------------------------------------ trend guard
def test_random_trends_are_removed_whole_and_deformation_trends_kept():
    rng = np.random.default_rng(0)
    years = np.arange(30) * 12 / 365.25
    random = rng.normal(0, 5.0, (30, 200))  # 200 random per-date series, white in time
    rem, split = split_trend(random, years, z=2.0)
    # 95 % of purely random trends are within z' standard errors: removed whole (200 draws: +-1.5 %)
    assert 0.9 < np.mean(split.removed_share == 1.0) <= 1.0
    np.testing.assert_allclose(rem[:, split.removed_share == 1.0], random[:, split.removed_share == 1.0])
    # a trend 20 standard errors strong (deformation seen by the fit) is kept but for z'^2 se^2 / |b|
    series = random[:, 0] + 60.0 * years
    rem, split = split_trend(series, years, z=2.0)
    zq = student_quantile(2.0, 28)
    assert abs(split.t[0]) > 10
    removed = split.slope[0] * split.removed_share[0]
    assert removed == pytest.approx(zq ** 2 * split.se[0] ** 2 / split.slope[0], rel=1e-9)
    assert abs(removed) <= zq * split.se[0]
    # z = inf removes every trend, z = 0 keeps every trend
    assert split_trend(series, years, z=np.inf)[1].removed_share[0] == 1.0
    np.testing.assert_allclose(split_trend(series, years, z=0.0)[0],
                               series - split.slope[0] * (years - years[0]), atol=1e-9)


def test_student_quantile_grows_with_few_dates():
    assert student_quantile(2.0, 8) == pytest.approx(2.37, abs=0.01)
    assert student_quantile(2.0, 28) == pytest.approx(2.09, abs=0.01)
    assert student_quantile(2.0, 10_000) == pytest.approx(2.0, abs=0.01)
    assert span_correlation(np.array([1.0, 2.0, 3.0, 4.0]), np.array([12, 24, 36, 48])) == pytest.approx(1.0)


def test_student_quantile_is_scipy_stats_t_at_the_normal_probability():
    """The same values as scipy.stats' ``t.ppf(norm.cdf(z), dof)`` (the library's own composition), to the bit,
    the tails whose normal probability rounds to 0 or 1 included (the quantile is then infinite)."""
    from scipy.stats import norm, t

    for z in (-40.0, -9.0, -2.5, -1e-3, 0.5, 1.0, 1.96, 2.0, 2.5, 3.0, 8.2, 8.5, 12.0, 40.0):
        for dof in (1, 2, 3, 8, 28, 57, 1000, 10_000):
            assert student_quantile(z, dof) == float(t.ppf(norm.cdf(z), dof)), (z, dof)


# ------------------------------------------------------------------------------------------- phase-elevation
def _height_deformation_stack(seed=3, n_dates=30, strat_mm_per_km=8.0, uplift_mm_yr=120.0):
    """Uplift of a volcano's edifice (smooth, correlation > 0.9 with the height) plus a random stratified delay
    and turbulence, over a DEM with texture."""
    s = synthetic_stack(shape=(60, 80), n_dates=n_dates, seed=seed, bowl_mm_yr=0.0, strat_mm_per_km=0.0,
                        turb_mm=1.0, day_step=12)
    rng = np.random.default_rng(seed)
    edifice = s["dem"]
    h = edifice + 40.0 * smooth_noise(rng, edifice.shape, 1.0)  # the DEM: the edifice and its texture
    rate = uplift_mm_yr * (edifice - edifice.min()) / np.ptp(edifice)  # mm/yr
    defo = s["years"][:, None, None] * rate[None]
    strat = rng.normal(0, strat_mm_per_km, len(s["dates"]))[:, None, None] * (h / 1000.0)[None]
    series = defo + strat + s["turb_mm"]
    series -= series[:1]
    ifg = np.stack([series[j] - series[i] for i, j in s["pairs"]])
    return s, h, rate, ifg


def test_deformation_that_correlates_with_height_survives_the_phase_elevation_step():
    s, h, rate, ifg = _height_deformation_stack()
    assert np.corrcoef(rate.ravel(), h.ravel())[0, 1] > 0.9
    ref, sec, n = _idx(s)

    def velocity(x):
        return velocity_from_ifgs(x, s["pairs"], n, s["years"])

    def slope(v):  # mm/yr per km of height
        return float(np.polyfit(h.ravel() / 1000.0, v.ravel(), 1)[0])

    truth = slope(rate)
    plain, _ = correct_phase_elevation(ifg, h, per_date=(ref, sec, n, None), min_pixels=50)
    guarded, _ = correct_phase_elevation(ifg, h, per_date=(ref, sec, n, None), min_pixels=50, filter_px=3,
                                         years=s["years"], z=2.0)
    # the plain per-date fit removes the deformation with the atmosphere; the guarded one keeps it
    assert abs(slope(velocity(plain))) < 0.3 * truth
    assert slope(velocity(guarded)) == pytest.approx(truth, rel=0.1)
    # and the dates are cleaned: the error of the time series against the deformation goes down
    defo_ifg = np.stack([(rate * (s["years"][j] - s["years"][i])) for i, j in s["pairs"]])
    assert np.std(guarded - defo_ifg) < 0.5 * np.std(ifg - defo_ifg)


def test_slope_that_tracks_the_time_span_is_reported():
    s, h, rate, ifg = _height_deformation_stack(seed=4, strat_mm_per_km=0.5)
    ref, sec, n = _idx(s)
    h0, hs = height_scaling(h.min(), h.max())
    blk = Block(0, 0, 60, 0, 60, 60, 80)
    ne = sum_rows(elevation_normal_block(blk, {"stack": ifg, "dem": h}, h0=h0, hscale=hs))
    coef = np.linalg.solve(ne["ata"][:, 0], ne["atb"][:, 0][..., None])[..., 0][:, None, :]
    span = np.array([(s["dates"][j] - s["dates"][i]).days for i, j in s["pairs"]])
    _, g = guarded_elevation_per_date(coef, ref, sec, s["years"], z=2.0, span_days=span)
    assert g.span_r > 0.5 and g.split.t[0] > 5 and g.split.removed_share[0] < 0.2


def test_high_passed_fit_ignores_smooth_signals_and_is_block_independent():
    rng = np.random.default_rng(7)
    rows, cols = 70, 90
    yy, xx = np.mgrid[0:rows, 0:cols].astype(float)
    h = 800 + 300 * smooth_noise(rng, (rows, cols), 1.5) + 200 * smooth_noise(rng, (rows, cols), 10)
    k = np.array([0.0, 12.0, -7.0])  # mm per km
    bowl = -30 * np.exp(-((xx - 40) ** 2 + (yy - 35) ** 2) / (2 * 15.0 ** 2))  # smooth, correlated with nothing
    ramp = 0.08 * xx - 0.05 * yy
    stack = np.stack([k[i] * h / 1000.0 + (i + 1) * (bowl + ramp) for i in range(3)])
    stack[1, 10:14, 20:30] = np.nan
    h0, hs = height_scaling(h.min(), h.max())
    whole = sum_rows(elevation_normal_block(Block(0, 0, rows, 0, rows, rows, cols), {"stack": stack, "dem": h},
                                            h0=h0, hscale=hs, filter_px=3.0))
    coef = np.linalg.solve(whole["ata"][:, 0], whole["atb"][:, 0][..., None])[..., 0]
    np.testing.assert_allclose(coef[:, 1] / hs * 1000.0, k, atol=0.6)  # the bowl and ramps do not bias it
    full_band = sum_rows(elevation_normal_block(Block(0, 0, rows, 0, rows, rows, cols), {"stack": stack, "dem": h},
                                                h0=h0, hscale=hs))
    coef_fb = np.linalg.solve(full_band["ata"][:, 0], full_band["atb"][:, 0][..., None])[..., 0]
    assert np.abs(coef_fb[1:, 1] / hs * 1000.0 - k[1:]).max() > 3 * np.abs(coef[1:, 1] / hs * 1000.0 - k[1:]).max()
    halo = filter_radius(3.0)
    for rows_per_block in (7, 16, 33):
        total = FitSums()
        for b in plan_blocks(rows, cols, halo=halo, block_rows=rows_per_block):
            total(b, elevation_normal_block(b, {"stack": stack[:, b.read0:b.read1], "dem": h[b.read0:b.read1]},
                                            h0=h0, hscale=hs, filter_px=3.0))
        for key in ("ata", "atb", "n", "btb"):  # the same bits for any block layout
            np.testing.assert_array_equal(total.result()[key], whole[key])


# ---------------------------------------------------------------------------------------------------- ramps
def _ramp_stack(seed=5, n_dates=14, rows=60, cols=100, ramp_mm=1.5):
    """Random per-date linear ramps (mm), a subsidence bowl in the east, turbulence; 150 m pixels."""
    rng = np.random.default_rng(seed)
    dates = n_dates
    years = np.arange(dates) * 12 / 365.25
    yy, xx = np.mgrid[0:rows, 0:cols].astype(float)
    xs, ys = 2 * xx / (cols - 1) - 1, 2 * yy / (rows - 1) - 1
    c = rng.normal(0, ramp_mm, (dates, 3))
    ramps = c[:, :1, None] + c[:, 1:2, None] * xs + c[:, 2:3, None] * ys
    bowl = -200.0 * np.exp(-((xx - 80) ** 2 + (yy - 30) ** 2) / (2 * 25.0 ** 2))
    series = years[:, None, None] * bowl[None] + ramps + 0.5 * rng.standard_normal((dates, rows, cols))
    series -= series[:1]
    pairs = [(i, j) for i in range(dates) for j in range(i + 1, min(dates, i + 4))]
    ifg = np.stack([series[j] - series[i] for i, j in pairs])
    ref = np.array([i for i, _ in pairs])
    sec = np.array([j for _, j in pairs])
    return ifg, years, (ref, sec, dates, None), bowl, pairs


def test_ramp_fitted_on_an_edge_strip_is_named_an_extrapolation_and_refused_or_refitted():
    ifg, years, per_date, bowl, pairs = _ramp_stack()
    rows, cols = ifg.shape[1:]
    strip = np.zeros((rows, cols), bool)
    strip[:, :12] = True  # a stable strip along the western edge
    blk = Block(0, 0, rows, 0, rows, rows, cols)
    normals = sum_rows(ramp_normal_block(blk, {"stack": ifg, "mask": strip}, kind="linear", with_all=True))
    assert leverage_ratio(normals["ata"].sum(axis=0), normals["n"].sum(), (rows, cols), "linear") > 30
    names = [f"ifg{i}" for i in range(len(pairs))]
    kw = dict(kind="linear", names=names, shape=(rows, cols), pixel_km=(0.15, 0.15), per_date=per_date,
              years=years, min_pixels=50, max_gradient_per_km=3.0, unit="mm")
    with pytest.raises(MaskTooSmallError, match=r"do not surround the scene.*up to [0-9.]+ mm at the far edge"):
        guarded_ramps(normals, extrapolation="refuse", **kw)
    coef, rep = guarded_ramps(normals, extrapolation="all", **kw)
    assert rep.extrapolating and rep.fitted_on == "all coherent pixels"
    assert "at the far edge" in rep.messages[0]
    # the bowl's trend is kept: removing the ramps does not tilt the velocity by more than the random ramps can
    out = ramp_apply_block(blk, {"stack": ifg}, kind="linear", coef=coef)["corrected"].astype(float)
    v_before = velocity_from_ifgs(ifg, pairs, len(years), years)
    v_after = velocity_from_ifgs(out, pairs, len(years), years)
    change = v_after - v_before
    tilt = np.ptp(change)
    assert tilt < 12.0, tilt  # mm/yr over the 15 km scene (the strip-fitted, unguarded ramps tilt it by > 100)
    coef0, _ = guarded_ramps(normals, extrapolation="cap", **{**kw, "z": np.inf, "max_gradient_per_km": None})
    eaten = velocity_from_ifgs(ramp_apply_block(blk, {"stack": ifg}, kind="linear", coef=coef0)["corrected"]
                               .astype(float), pairs, len(years), years) - v_before
    assert np.ptp(eaten) > 5 * tilt


def test_ramps_larger_than_orbits_make_are_capped():
    ifg, years, per_date, _, pairs = _ramp_stack(seed=6, ramp_mm=40.0)  # 40 mm ramps over 17 km: far too steep
    rows, cols = ifg.shape[1:]
    blk = Block(0, 0, rows, 0, rows, rows, cols)
    normals = sum_rows(ramp_normal_block(blk, {"stack": ifg}, kind="linear", with_all=True))
    coef, rep = guarded_ramps(normals, kind="linear", names=[str(i) for i in range(len(pairs))], shape=(rows, cols),
                              pixel_km=(0.15, 0.15), min_pixels=50, max_gradient_per_km=3.0)
    assert rep.capped and not rep.extrapolating
    diag = np.hypot(rows * 0.15, cols * 0.15)
    for _, before, allowed in rep.capped:
        assert before > allowed == pytest.approx(3.0 * diag)
    x = np.linspace(-1, 1, 9)
    for c in coef:
        surf = c[1] * x[None, :] + c[2] * x[:, None]
        assert np.ptp(surf) <= 3.0 * diag * (1 + 1e-9)
    assert default_max_gradient_mm_km(0.0555) == 3.0
    assert default_max_gradient_mm_km(0.236) > 50.0


def test_per_interferogram_limited_fit_does_not_depend_on_the_blocks():
    ifg, years, per_date, _, pairs = _ramp_stack(seed=8)
    rows, cols = ifg.shape[1:]
    strip = np.zeros((rows, cols), np.uint8)
    strip[:, :12] = 1
    names = [str(i) for i in range(len(pairs))]
    kw = dict(kind="linear", names=names, shape=(rows, cols), pixel_km=(0.15, 0.15), max_gradient_per_km=3.0,
              min_pixels=50)
    whole = limited_fit_apply_block(Block(0, 0, rows, 0, rows, rows, cols, files=(0, len(pairs))),
                                    {"stack": ifg, "mask": strip}, **kw)
    assert whole["swapped"].all()
    parts = []
    for f0 in range(0, len(pairs), 5):
        f1 = min(len(pairs), f0 + 5)
        parts.append(limited_fit_apply_block(Block(0, 0, rows, 0, rows, rows, cols, files=(f0, f1)),
                                             {"stack": ifg[f0:f1], "mask": strip}, **kw)["corrected"])
    assert np.concatenate(parts).tobytes() == whole["corrected"].tobytes()


# -------------------------------------------------------------------------------------------------- network
def test_a_pair_that_only_shares_loops_with_a_bad_one_is_kept():
    """Pairs (i, i+1) and (i, i+2): the long pair 2-4 holds an unwrapping error; the short pair 3-4 is clean
    but each of its loops holds 2-4 or ... so the old all-loops-bad rule dropped it too."""
    import datetime as dt

    d = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(7)]
    pairs = [(d[i], d[j]) for i in range(7) for j in range(i + 1, min(7, i + 3))]
    net = build_network(pairs)
    rng = np.random.default_rng(1)
    rad = rng.normal(0, 0.3, (net.n_pairs, 20, 20))
    bad = net.pairs.index((d[2], d[4]))
    rad[bad, 5:15, 5:15] += 2 * np.pi
    tri = closure_triplets(net)
    sums = sum_rows(closure_sums_block(None, {"stack": rad}, triplets=tri, signs=np.ones(net.n_pairs),
                                       to_radians=1.0))
    mis = closure_misfit(sums)
    culprits = np.flatnonzero(culprit_interferograms(tri, mis, 1.5, net.n_pairs))
    assert list(culprits) == [bad]
    # the loops 2-3-4 and 2-4-... misclose; 3-4's loops are 2-3-4 (bad) and 3-4-5 (good): kept; 2-3 as well
    edit = modify_network(net, triplets=tri, loop_misfit_rad=mis, max_loop_misfit_rad=1.5, keep_connected=True)
    assert list(np.flatnonzero(~edit.keep)) == [bad]
    # clean pairs whose every loop holds the bad one: loops 0-1-2 and 0-2-3 share 0-2, which slipped; 0-1, 1-2,
    # 2-3 and 0-3 are each in one loop, a bad one, and were all dropped with it; now their loops leave with 0-2
    net2 = build_network([(d[0], d[1]), (d[1], d[2]), (d[0], d[2]), (d[2], d[3]), (d[0], d[3])])
    rad2 = rng.normal(0, 0.3, (5, 20, 20))
    rad2[2, 5:15, 5:15] += 2 * np.pi
    tri2 = closure_triplets(net2)
    mis2 = closure_misfit(sum_rows(closure_sums_block(None, {"stack": rad2}, triplets=tri2, signs=np.ones(5),
                                                      to_radians=1.0)))
    assert (mis2 > 1.5).all()
    edit2 = modify_network(net2, triplets=tri2, loop_misfit_rad=mis2, max_loop_misfit_rad=1.5)
    assert [net2.pairs[i] for i in np.flatnonzero(~edit2.keep)] == [(d[0], d[2])]


def test_loop_misfit_over_coherent_pixels_only():
    import datetime as dt

    d = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(5)]
    net = build_network([(d[i], d[j]) for i in range(5) for j in range(i + 1, min(5, i + 3))])
    rng = np.random.default_rng(2)
    rad = rng.normal(0, 0.2, (net.n_pairs, 20, 20))
    coh = np.full(rad.shape, 0.8)
    rad[:, :, :8] = rng.uniform(-20, 20, (net.n_pairs, 20, 8))  # incoherent ground: noise of many cycles
    coh[:, :, :8] = 0.1
    tri = closure_triplets(net)
    raw = closure_misfit(sum_rows(closure_sums_block(None, {"stack": rad}, triplets=tri, signs=np.ones(net.n_pairs),
                                                     to_radians=1.0)))
    masked = closure_misfit(sum_rows(closure_sums_block(None, {"stack": rad, "coherence": coh}, triplets=tri,
                                                        signs=np.ones(net.n_pairs), to_radians=1.0,
                                                        coherence_threshold=0.3)))
    assert raw.min() > 1.5 and masked.max() < 0.6


# ------------------------------------------------------------------------------------------ final velocity
def test_dem_error_block_gives_the_final_velocity_of_the_corrected_series():
    import datetime as dt

    rng = np.random.default_rng(4)
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(15)]
    years = np.array([(x - dates[0]).days for x in dates]) / 365.25
    bperp = rng.normal(0, 80, 15)
    dz = rng.normal(0, 20, (6, 7))
    rate = rng.normal(0, 30, (6, 7))
    s = 800e3 * np.sin(np.radians(38.0))
    ts = years[:, None, None] * rate[None] + bperp[:, None, None] * (dz / s)[None] * 1000.0
    g = design_matrix(dates, bperp, poly_order=2)
    out = dem_error_engine_block(None, {"series": ts}, g=g, slant_range_m=800e3, incidence_deg=38.0, years=years)
    np.testing.assert_allclose(out["dem_error_m"], dz, atol=1e-6)
    np.testing.assert_allclose(out["velocity_mm_yr"], rate, atol=1e-6)
    want, want_std = linear_velocity(dem_error_block(ts, g, range_sin_inc_m=s)["corrected_mm"], years)
    np.testing.assert_array_equal(out["velocity_mm_yr"], want)
    np.testing.assert_array_equal(out["velocity_std_mm_yr"], want_std)


def test_split_input_network_is_named_as_such_not_blamed_on_keep_connected():
    import datetime as dt

    from insar_geohazards.algorithms.timeseries.network import NetworkError

    d = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(6)]
    net = build_network([(d[0], d[1]), (d[1], d[2]), (d[3], d[4]), (d[4], d[5])])  # two islands
    with pytest.raises(NetworkError, match=r"input network is already split into 2 subsets before any drop") as e:
        modify_network(net, keep_connected=True)
    assert "turn on KEEP_CONNECTED" not in str(e.value)
    net2 = build_network([(d[i], d[j]) for i in range(6) for j in range(i + 1, min(6, i + 3))])
    with pytest.raises(NetworkError, match=r"KEEP_CONNECTED put back what it could, but not the interferograms "
                                           r"dropped by name") as e:
        modify_network(net2, keep_connected=True, exclude_dates=[d[2], d[3]])
    assert "turn on KEEP_CONNECTED" not in str(e.value)
