"""Core of the stack corrections: ramps, phase-elevation, external delays, network, reference."""

from __future__ import annotations

import datetime as dt
import math
import struct

import numpy as np
import pytest
from testutils_seed import drawn_seed

from insar_geohazards.algorithms.corrections.network_mod import (
    closure_misfit,
    closure_sums_block,
    closure_triplets,
    modify_network,
)
from insar_geohazards.algorithms.corrections.ramps import MaskTooSmallError, remove_ramps, sum_rows
from insar_geohazards.algorithms.corrections.reference import reference_sums_block, select_reference, stacking_rate
from insar_geohazards.algorithms.corrections.troposphere import (
    correct_phase_elevation,
    delay_apply_block,
    delay_to_data_factor,
)
from insar_geohazards.algorithms.engine import Block
from insar_geohazards.algorithms.errors import GeohazardError, NetworkError
from insar_geohazards.algorithms.formats.gacos import match_dates, read_ztd
from insar_geohazards.algorithms.timeseries.network import build_network
from tests.testutils_corrections import synthetic_stack, velocity_from_ifgs


def _idx(s):
    n = len(s["dates"])
    ref = np.array([i for i, _ in s["pairs"]])
    sec = np.array([j for _, j in s["pairs"]])
    return ref, sec, n


def _vel_rms(s, ifg):
    ref, sec, n = _idx(s)
    v = velocity_from_ifgs(ifg, s["pairs"], n, s["years"])
    vt = velocity_from_ifgs(np.stack([s["defo_mm"][j] - s["defo_mm"][i] for i, j in s["pairs"]]), s["pairs"], n,
                            s["years"])
    d = v - vt
    return float(np.sqrt(np.mean((d - d.mean()) ** 2)))


@pytest.mark.parametrize("quadratic,shape,seed", [(False, (40, 70), 1), (True, (64, 48), 2), (False, (25, 200), 3)])
def test_ramps_removed_exactly_without_other_signal(quadratic, shape, seed):
    s = synthetic_stack(shape=shape, seed=seed, bowl_mm_yr=0.0, strat_mm_per_km=0.0, ramp_mm=20.0,
                        quadratic=quadratic)
    kind = "quadratic" if quadratic else "linear"
    out, coef = remove_ramps(s["ifg_mm"], kind=kind, min_pixels=50)
    assert np.abs(out).max() < 1e-3  # float32 output of values up to ~100 mm
    assert coef.shape == (len(s["pairs"]), 6 if quadratic else 3)


def test_ramps_per_date_keep_single_ifg_signal_and_mask():
    s = synthetic_stack(shape=(50, 60), seed=4, bowl_mm_yr=-60.0, strat_mm_per_km=0.0, ramp_mm=15.0)
    ref, sec, n = _idx(s)
    stable = s["bowl"] < 0.01  # fit outside the bowl only
    out, _ = remove_ramps(s["ifg_mm"], mask=stable, min_pixels=50)
    defo = np.stack([s["defo_mm"][j] - s["defo_mm"][i] for i, j in s["pairs"]])
    assert np.abs(out - defo).max() < 0.1  # the bowl's tail (< 1 %) sits in the mask
    out_d, _ = remove_ramps(s["ifg_mm"], mask=stable, min_pixels=50, per_date=(ref, sec, n, None))
    assert np.abs(out_d - defo).max() < 0.1
    assert _vel_rms(s, s["ifg_mm"]) > 5 * _vel_rms(s, out) + 1.0


def test_ramps_refuse_small_or_degenerate_masks():
    s = synthetic_stack(shape=(30, 30), seed=5, ramp_mm=5.0)
    mask = np.zeros((30, 30))
    mask[3:6, 3:6] = 1
    with pytest.raises(MaskTooSmallError, match="MASK: interferogram .* 9 usable pixel"):
        remove_ramps(s["ifg_mm"], mask=mask, min_pixels=100)
    line = np.zeros((30, 30))
    line[10, :] = 1  # one row: no constraint on the row slope
    with pytest.raises(MaskTooSmallError, match="line or a single point"):
        remove_ramps(s["ifg_mm"], mask=line, min_pixels=10)


@pytest.mark.parametrize("shape,seed,turb", [((60, 80), 0, 0.0), ((48, 96), 7, 3.0), ((90, 50), 8, 2.0)])
def test_phase_elevation_recovers_stratification(shape, seed, turb):
    s = synthetic_stack(shape=shape, seed=seed, strat_mm_per_km=10.0, turb_mm=turb)
    stable = s["bowl"] < 0.05
    before = _vel_rms(s, s["ifg_mm"])
    out, delay = correct_phase_elevation(s["ifg_mm"], s["dem"], mask=stable, min_pixels=50)
    strat = np.stack([s["strat_mm"][j] - s["strat_mm"][i] for i, j in s["pairs"]])
    after = _vel_rms(s, out)
    floor = _vel_rms(s, s["ifg_mm"] - strat)  # what the turbulence alone leaves
    assert after < floor + 0.25 * (before - floor)
    if turb == 0.0:  # only a linear height term: removed up to float32
        err = (delay - delay.mean(axis=(1, 2), keepdims=True)) - (strat - strat.mean(axis=(1, 2), keepdims=True))
        assert np.abs(err).max() < 0.01 * np.abs(strat).max()
    ref, sec, n = _idx(s)
    out_d, _ = correct_phase_elevation(s["ifg_mm"], s["dem"], mask=stable, min_pixels=50,
                                       per_date=(ref, sec, n, None))
    assert _vel_rms(s, out_d) < floor + 0.25 * (before - floor)


def test_phase_elevation_windows_follow_varying_stratification():
    s = synthetic_stack(shape=(80, 160), seed=11, strat_mm_per_km=12.0, strat_gradient=1.6, bowl_mm_yr=0.0)
    strat = np.stack([s["strat_mm"][j] - s["strat_mm"][i] for i, j in s["pairs"]])

    def resid(out):  # after a linear ramp removal, which absorbs dk (h_min - 0) of the windows (module notes)
        r, _ = remove_ramps(out, min_pixels=50)
        return float(np.sqrt(np.mean(r ** 2)))

    one, _ = correct_phase_elevation(s["ifg_mm"], s["dem"], min_pixels=50)
    win, _ = correct_phase_elevation(s["ifg_mm"], s["dem"], window=40, min_pixels=50)
    assert resid(win) < 0.6 * resid(one)
    assert resid(one) < resid(strat)


def test_phase_elevation_quadratic_and_threshold():
    s = synthetic_stack(shape=(50, 50), seed=12, strat_mm_per_km=0.0, bowl_mm_yr=0.0)
    h = s["dem"]
    ifg = np.stack([0.5 + 3e-3 * h + 4e-6 * h * h + 0 * k for k in range(3)])
    out, _ = correct_phase_elevation(ifg, h, order=2, min_pixels=50)
    assert np.ptp(out, axis=(1, 2)).max() < 1e-3
    noise = np.random.default_rng(0).standard_normal((2, 50, 50))
    out2, delay2 = correct_phase_elevation(noise, h, correlation_threshold=0.5, min_pixels=50)
    assert np.all(delay2 == 0)
    with pytest.raises(MaskTooSmallError, match="one height"):
        correct_phase_elevation(ifg, np.full((50, 50), 100.0), min_pixels=50)


def test_external_delay_signs_and_projection():
    rng = np.random.default_rng(3)
    zen = 2.3 + 0.05 * rng.standard_normal((3, 10, 12))
    inc = np.full((10, 12), 39.0)
    los = zen / np.cos(np.radians(inc))
    lam = 0.0555
    # a file named (date2, date0): holds second-named minus first-named = date0 - date2
    first, second = np.array([0, 2]), np.array([1, 0])
    truth_mm = np.zeros((2, 10, 12))
    apparent_mm = -1000 * np.stack([los[1] - los[0], los[0] - los[2]])  # longer path = away from the satellite
    for units, conv in ((3, 1.0), (2, 1e-3), (0, -4 * np.pi / (lam * 1000)), (1, 4 * np.pi / (lam * 1000))):
        data = (truth_mm + apparent_mm) * conv
        out = delay_apply_block(None, {"stack": data, "zenith": zen, "incidence": inc}, first_index=first,
                                second_index=second, factor=delay_to_data_factor(units, lam))["corrected"]
        assert np.allclose(out, truth_mm * conv, atol=1e-4 * max(1, abs(conv)))
    const = delay_apply_block(None, {"stack": apparent_mm, "zenith": zen}, first_index=first, second_index=second,
                              factor=-1000.0, incidence_deg=39.0)["corrected"]
    assert np.abs(const).max() < 1e-3


def test_gacos_reader_and_dates(tmp_path):
    arr = np.arange(12, dtype="<f4").reshape(3, 4)
    p = tmp_path / "20200113.ztd"
    arr.tofile(p)
    (tmp_path / "20200113.ztd.rsc").write_text("WIDTH 4\nFILE_LENGTH 3\nX_FIRST -99.2\nY_FIRST 19.5\n"
                                               "X_STEP 0.01\nY_STEP -0.01\n")
    data, gt = read_ztd(str(p))
    assert np.array_equal(data, arr) and gt == (-99.2, 0.01, 0.0, 19.5, 0.0, -0.01)
    (tmp_path / "20200125.ztd").write_bytes(b"\0" * 10)
    (tmp_path / "20200125.ztd.rsc").write_text((tmp_path / "20200113.ztd.rsc").read_text())
    with pytest.raises(GeohazardError, match="holds 10 bytes"):
        read_ztd(str(tmp_path / "20200125.ztd"))
    d = [dt.date(2020, 1, 13), dt.date(2020, 1, 25), dt.date(2020, 2, 6)]
    with pytest.raises(GeohazardError, match="DELAYS: no delay map for 1 of the 3 dates .*20200206"):
        match_dates([str(p), str(tmp_path / "20200125.ztd")], d)
    got, extra = match_dates([str(p), str(tmp_path / "20200125.ztd"), "x/20200218.ztd", "y/20200206.ztd.tif"], d)
    assert [got[x].endswith(("ztd", "tif")) for x in d] == [True] * 3 and extra == ["x/20200218.ztd"]


def _net(n_dates=8, neigh=3):
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(n_dates)]
    pairs = [(dates[i], dates[j]) for i in range(n_dates) for j in range(i + 1, min(n_dates, i + 1 + neigh))]
    return build_network(pairs, bperp_m=np.linspace(-100, 100, len(pairs)))


def test_modify_network_filters_and_connectivity():
    net = _net()
    e = modify_network(net, max_temporal_baseline_days=24)
    assert e.n_kept == 13 and all("temporal baseline" in r for r in e.reasons.values())
    e = modify_network(net, max_perp_baseline_m=50, allow_disconnected=True)
    assert e.dates_out == [net.dates[0], net.dates[-1]]
    assert all(abs(net.bperp_m[i]) <= 50 for i in np.flatnonzero(e.keep))
    e = modify_network(net, exclude_dates=["20200113"], exclude_pairs=["20200101_20200125"])
    assert e.n_kept == net.n_pairs - 5  # 4 pairs touch 20200113, plus the excluded pair
    with pytest.raises(NetworkError, match="1 date\\(s\\) lose every interferogram: 20200113"):
        modify_network(net, exclude_pairs=["20200101_20200113", "20200113_20200125", "20200113_20200206",
                                           "20200113_20200218"])
    with pytest.raises(NetworkError, match="2 separate subsets"):
        modify_network(net, max_temporal_baseline_days=12, exclude_pairs=["20200125_20200206"])
    e = modify_network(net, max_temporal_baseline_days=12, exclude_pairs=["20200125_20200206"], allow_disconnected=True)
    assert len(e.subsets) == 2
    coh = np.linspace(0.2, 0.9, net.n_pairs)
    e = modify_network(net, mean_coherence=coh, min_mean_coherence=0.85, keep_connected=True)
    assert len(e.subsets) == 1 and not e.dates_out and e.restored
    with pytest.raises(NetworkError, match="EXCLUDE_DATES: 20210101 is not a date"):
        modify_network(net, exclude_dates=["20210101"])


def test_loop_closure_flags_planted_unwrapping_error():
    s = synthetic_stack(shape=(30, 40), n_dates=8, seed=9, turb_mm=2.0)
    net = build_network([(s["dates"][i], s["dates"][j]) for i, j in s["pairs"]])
    rad = -s["ifg_mm"] * 4 * np.pi / 55.5
    bad = 5
    rad[bad, 10:25, 5:30] += 2 * np.pi
    tri = closure_triplets(net)
    blk = Block(0, 0, 30, 0, 30, 30, 40)
    rows = closure_sums_block(blk, {"stack": rad}, triplets=tri, signs=np.ones(net.n_pairs), to_radians=1.0)
    mis = closure_misfit(sum_rows(rows))
    assert mis.max() > 1.5 and np.median(mis) < 0.5
    e = modify_network(net, triplets=tri, loop_misfit_rad=mis, max_loop_misfit_rad=1.0)
    assert list(np.flatnonzero(~e.keep)) == [bad]


def test_reference_avoids_the_moving_area():
    s = synthetic_stack(shape=(60, 80), seed=13, bowl_mm_yr=-80.0, strat_mm_per_km=0.0, turb_mm=0.5)
    span = np.array([s["years"][j] - s["years"][i] for i, j in s["pairs"]])
    coh = np.clip(0.5 + 0.45 * s["bowl"], 0, 1)  # the bowl is the most coherent place
    cube = np.repeat(coh[None], len(s["pairs"]), axis=0)
    blk = Block(0, 0, 60, 0, 60, 60, 80)
    sums = reference_sums_block(blk, {"stack": s["ifg_mm"], "coherence": cube}, span_years=span)
    rate = stacking_rate(sums["sdt"], sums["dt2"])
    plain = select_reference(sums["count"], len(s["pairs"]), rate=rate, mean_coherence=sums["coh"], stability=False)
    assert s["bowl"][plain.row, plain.col] > 0.5  # coherence alone picks the subsiding centre
    ch = select_reference(sums["count"], len(s["pairs"]), rate=rate, mean_coherence=sums["coh"])
    assert s["bowl"][ch.row, ch.col] < 0.05 and abs(ch.rate - ch.median_rate) < 2.0
    with pytest.raises(GeohazardError, match="no pixel has data in every interferogram"):
        select_reference(np.zeros((5, 5)), 3, rate=np.zeros((5, 5)))


def test_per_date_coefficients_follow_files_named_later_first():
    from insar_geohazards.algorithms.corrections.ramps import per_date_coefficients

    rng = np.random.default_rng(0)
    ref = np.array([0, 0, 1, 1, 2])
    sec = np.array([1, 2, 2, 3, 3])
    dates = rng.normal(size=(4, 3))
    dates[0] = 0
    coef = dates[sec] - dates[ref]  # "second minus first", files named earlier-first
    signs = np.array([1.0, -1.0, 1.0, -1.0, 1.0])  # files 1 and 3 are named later-first: they hold first - second
    per_date, per_ifg = per_date_coefficients(coef * signs[:, None], ref, sec, 4, signs)
    np.testing.assert_allclose(per_date, dates, atol=1e-12)
    np.testing.assert_allclose(per_ifg, coef * signs[:, None], atol=1e-12)


# --------------------------------------------------------------------------- one read per interferogram
def _two_pass_ramps(stack, inputs, kind, block_rows, names, coh_thr):
    """Reference: the tools' two-pass path (normals summed over row blocks, solve, correct row block by row block)."""
    from insar_geohazards.algorithms.corrections import ramps
    from insar_geohazards.algorithms.engine import plan_blocks

    m, h, w = stack.shape
    total = None
    plan = plan_blocks(h, w, block_rows=block_rows)
    for b in plan:
        part = {k: (v[..., b.row0:b.row1, :] if v is not None else None) for k, v in inputs.items()}
        total = ramps.add_normals(total, ramps.ramp_normal_block(b, part, kind=kind, coherence_threshold=coh_thr))
    coef = ramps.solve_normals(total, names=names, min_pixels=30)
    out = np.concatenate([ramps.ramp_apply_block(b, {"stack": stack[:, b.row0:b.row1]}, kind=kind, coef=coef)[
        "corrected"] for b in plan], axis=1)
    return out, coef, total


def _groups(m, h, w, per_file_mb):
    from insar_geohazards.algorithms.engine import plan_file_groups

    return plan_file_groups(m, h, w, bytes_per_file_pixel=32.0, bytes_per_pixel=8.0, max_memory_mb=512,
                            group_mb=per_file_mb)


@pytest.mark.parametrize("kind,shape,seed", [("linear", (40, 70), 11), ("quadratic", (64, 48), 12)])
def test_one_read_ramp_blocks_equal_the_two_pass_path(kind, shape, seed):
    from insar_geohazards.algorithms.corrections import ramps

    s = synthetic_stack(shape=shape, seed=seed, strat_mm_per_km=0.0, ramp_mm=25.0, quadratic=kind == "quadratic")
    rng = np.random.default_rng(seed)
    stack = s["ifg_mm"].astype(np.float32)
    stack[rng.random(stack.shape) < 0.05] = np.nan  # data gaps differ per interferogram
    coh = rng.uniform(0.0, 1.0, stack.shape).astype(np.float32)
    mask = (s["bowl"] < 0.01).astype(np.uint8)
    m, h, w = stack.shape
    names = [str(i) for i in range(m)]
    want, wcoef, wn = _two_pass_ramps(stack, {"stack": stack, "mask": mask, "coherence": coh}, kind, 7, names, 0.3)
    plan = _groups(m, h, w, 3 * h * w * 32 / 2**20)  # 3 interferograms a block, the last one shorter
    assert [b.files for b in plan][:2] == [(0, 3), (3, 6)] and plan[-1].files[1] == m
    got = np.empty_like(want)
    for b in plan:
        f0, f1 = b.files
        out = ramps.ramp_fit_apply_block(b, {"stack": stack[f0:f1], "mask": mask, "coherence": coh[f0:f1]},
                                         kind=kind, coherence_threshold=0.3, min_pixels=30, names=names)
        got[f0:f1] = out["corrected"]
        np.testing.assert_array_equal(out["coef"], wcoef[f0:f1])  # the same bits: sums added row by row
        np.testing.assert_array_equal(out["n"], wn["n"][f0:f1])
    assert got.tobytes() == want.tobytes()
    assert np.array_equal(np.isnan(got), np.isnan(stack))


@pytest.mark.parametrize("order,window", [(1, 0), (2, 0), (1, 20)])
def test_one_read_phase_elevation_blocks_equal_the_two_pass_path(order, window):
    from insar_geohazards.algorithms.corrections import troposphere as tr
    from insar_geohazards.algorithms.corrections.ramps import FitSums
    from insar_geohazards.algorithms.engine import plan_blocks

    s = synthetic_stack(shape=(45, 60), seed=13 + order + window, strat_mm_per_km=10.0, turb_mm=1.0)
    stack = s["ifg_mm"].astype(np.float32)
    dem = s["dem"].astype(np.float64)
    dem[3:6, 10:14] = np.nan  # no height here: not fitted, NaN out
    m, h, w = stack.shape
    names = [str(i) for i in range(m)]
    h0, hs = tr.height_scaling(np.nanmin(dem), np.nanmax(dem))
    layout = tr.window_layout((h, w), window)
    kw = {"order": order, "h0": h0, "hscale": hs, "layout": layout}
    rows = plan_blocks(h, w, block_rows=8)
    total = FitSums(m, layout[0])
    for b in rows:
        total(b, tr.elevation_normal_block(b, {"stack": stack[:, b.row0:b.row1], "dem": dem[b.row0:b.row1]}, **kw))
    coef, corr, fallback = tr.solve_elevation(total.result(), names=names, min_pixels=30)
    want = np.concatenate([tr.elevation_apply_block(b, {"stack": stack[:, b.row0:b.row1], "dem": dem[b.row0:b.row1]},
                                                    coef=coef, **kw)["corrected"] for b in rows], axis=1)
    heights = tr.height_inputs(dem, h0, hs)  # what the tool hands every block of whole interferograms
    got = np.empty_like(want)
    for b in _groups(m, h, w, 4 * h * w * 32 / 2**20):
        f0, f1 = b.files
        out = tr.elevation_fit_apply_block(b, {"stack": stack[f0:f1], **heights}, min_pixels=30, names=names, **kw)
        got[f0:f1] = out["corrected"]
        np.testing.assert_array_equal(out["coef"], coef[f0:f1])  # the same bits: sums added row by row
        np.testing.assert_array_equal(out["fallback"], fallback[f0:f1])
    assert got.tobytes() == want.tobytes()
    assert np.isnan(got[:, 3:6, 10:14]).all()


def test_one_read_block_memory_stays_within_the_tools_model():
    """Peak memory of one block of whole interferograms (inputs + everything the block function allocates)
    is within the model the tools plan with: 32 bytes a pixel of each interferogram (Stack.file_bytes) and
    8 (ramps) / 40 (phase-elevation) a pixel shared (tools_corrections.py)."""
    import tracemalloc

    from insar_geohazards.algorithms.corrections import ramps
    from insar_geohazards.algorithms.corrections import troposphere as tr
    from insar_geohazards.algorithms.engine import Block

    rng = np.random.default_rng(7)
    k, h, w = 6, 300, 400
    npx = h * w
    stack = rng.normal(size=(k, h, w)).astype(np.float32)
    stack += np.linspace(0, 5, w, dtype=np.float32)[None, None, :]
    dem = rng.uniform(100, 900, (h, w))
    block = Block(0, 0, h, 0, h, h, w, (0, k))
    names = [str(i) for i in range(k)]
    heights = tr.height_inputs(dem, 500.0, 400.0)  # made once a run, held by every block
    cases = [
        (8.0, 0, lambda: ramps.ramp_fit_apply_block(block, {"stack": stack, "mask": np.ones((h, w), np.uint8)},
                                                    kind="quadratic", names=names)),
        (40.0, sum(v.nbytes for v in heights.values()),
         lambda: tr.elevation_fit_apply_block(block, {"stack": stack, **heights}, order=2, h0=500.0, hscale=400.0,
                                              names=names)),
    ]
    for shared, held, run in cases:
        tracemalloc.start()
        out = run()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert out["corrected"].shape == (k, h, w)
        used = peak + stack.nbytes + held  # the block's inputs were read before the block function ran
        assert used <= k * npx * 32.0 + npx * shared, (used / npx / k, shared)


@pytest.mark.parametrize("with_coherence", [True, False])
def test_stacking_sums_are_a_pixels_terms_added_in_order(with_coherence):
    """The stacking-rate sums of the reference point and the deforming areas, against a plain Python loop written
    here (one pixel, one interferogram at a time, Python's float arithmetic): the same bits, with NaN, zeros, -0.0
    and files of both orientations, for float32 and float64 stacks; the sum of -0.0 terms stays -0.0."""
    rng = np.random.default_rng(5)
    m, h, w = 17, 4, 9
    for dtype in (np.float32, np.float64):
        data = rng.normal(size=(m, h, w)).astype(dtype)
        data[rng.random(data.shape) < 0.15] = np.nan
        data[:, 0, :3] = 0.0
        data[:, 2, 4] = -0.0
        data[:, 1, 0] = np.nan
        coh = rng.random((m, h, w)).astype(np.float32)
        coh[rng.random(coh.shape) < 0.1] = np.nan
        inputs = {"stack": data, **({"coherence": coh} if with_coherence else {})}
        span, signs = rng.uniform(0.03, 0.4, m), np.where(rng.random(m) < 0.3, -1.0, 1.0)
        got = reference_sums_block(None, inputs, span_years=span, signs=signs)
        assert got.keys() == ({"count", "sdt", "dt2"} | ({"coh"} if with_coherence else set()))
        assert got["count"].dtype == np.int32 and got["sdt"].dtype == got["dt2"].dtype == np.float64
        for r in range(h):
            for c in range(w):
                n, a, b, q = 0, None, None, None
                for k in range(m):
                    v = float(data[k, r, c])
                    ok = math.isfinite(v)
                    ta = float(span[k]) * ((v if ok else 0.0) * float(signs[k]))
                    tb = (float(span[k]) * float(span[k])) * (1.0 if ok else 0.0)
                    n += ok
                    a, b = (ta, tb) if k == 0 else (a + ta, b + tb)
                    cv = float(coh[k, r, c])
                    tc = cv if math.isfinite(cv) else 0.0
                    q = tc if k == 0 else q + tc
                assert got["count"][r, c] == n
                assert struct.pack("<d", got["sdt"][r, c]) == struct.pack("<d", a), (r, c)
                assert struct.pack("<d", got["dt2"][r, c]) == struct.pack("<d", b), (r, c)
                if with_coherence:
                    assert struct.pack("<d", got["coh"][r, c]) == struct.pack("<d", q / m), (r, c)
        plus = reference_sums_block(None, inputs, span_years=span)  # no signs: every file as given
        assert np.signbit(plus["sdt"][2, 4]) and plus["sdt"][2, 4] == 0.0  # -0.0 terms only: the sum stays -0.0


def test_phase_elevation_systems_solved_as_a_batch_equal_each_alone():
    """The per-interferogram and per-window normal equations are solved as one batch: each system's bits and its
    refusal (singular, not finite) are those it gets alone, and equal numpy's solve to rounding."""
    from insar_geohazards.algorithms.corrections.troposphere import _solve

    rng = np.random.default_rng(drawn_seed(1000))
    k = int(rng.integers(2, 5))
    x = rng.normal(size=(7, 3, 40, k)) * rng.uniform(0.1, 10.0, k)
    ata = np.einsum("...pi,...pj->...ij", x, x)
    atb = rng.normal(size=(7, 3, k))
    ata[1, 2] = np.outer(np.ones(k), np.ones(k))  # rank one: refused
    ata[4, 0, 0, 0] = np.nan  # not finite: refused
    got, ok = _solve(ata, atb)
    assert not ok[1, 2] and not ok[4, 0] and ok.sum() == 19
    assert np.isnan(got[~ok]).all()
    for i in range(7):
        for w in range(3):
            alone, ok1 = _solve(ata[i, w], atb[i, w])
            assert bool(ok1) == bool(ok[i, w])
            assert alone.tobytes() == got[i, w].tobytes()
            if ok1:
                np.testing.assert_allclose(alone, np.linalg.solve(ata[i, w], atb[i, w]), rtol=1e-8, atol=1e-12)


def test_the_high_pass_smoothing_is_scipys_gaussian_filter_array_by_array():
    """The phase-elevation fit's smoothing of a stack of arrays (one pass per axis for the arrays of one type) has
    the bits of ``scipy.ndimage.gaussian_filter`` of each array alone (zeros outside, three sigmas), float32 arrays
    rounded as that filter rounds them, for random sigmas, shapes and mixes of types."""
    from scipy.ndimage import gaussian_filter

    from insar_geohazards.algorithms.corrections.troposphere import _smooth_each

    rng = np.random.default_rng(drawn_seed(1000))
    for _ in range(5):
        shape = (int(rng.integers(5, 80)), int(rng.integers(5, 80)))
        arrays = [rng.normal(size=shape).astype(rng.choice([np.float32, np.float64])) for _ in range(4)]
        sigma = float(rng.uniform(0.5, 8.0))
        for a, got in zip(arrays, _smooth_each(arrays, sigma)):
            want = gaussian_filter(a, sigma, mode="constant", cval=0.0, truncate=3.0)
            assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), sigma
