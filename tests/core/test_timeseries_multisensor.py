"""Joint multi-sensor east/up time series: kernel against dense algebra, known truths, gaps, north, bad input."""

import datetime as dt
import functools

import numpy as np
import pytest

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.geometry.decomposition import Grid
from insar_geohazards.algorithms.geometry.los import los_unit_vector
from insar_geohazards.algorithms.timeseries import multisensor as ms
from insar_geohazards.algorithms.timeseries.multisensor import batch as ms_batch
from insar_geohazards.algorithms.timeseries.multisensor import kernels as mk

D0 = dt.date(2018, 1, 1)
ASC = (39.0, -12.0)  # incidence, heading
DESC = (41.0, 192.0)


def dates_every(days, n, start=D0):
    return [start + dt.timedelta(days=int(days * i)) for i in range(n)]


def years(dates, ref):
    return np.array([(d - ref).days for d in dates], float) / 365.25


def truth(dates, ref, shape, *, v_e=6.0, v_u=-20.0, amp=4.0, acc=0.0):
    """East, up (n, rows, cols): linear + annual (up) + acceleration, varying across the columns."""
    t = years(dates, ref)[:, None, None]
    x = np.linspace(0.5, 1.5, shape[1])[None, None, :] * np.ones(shape)[None]
    east = v_e * x * t + 0 * x
    up = v_u * x * t + amp * (np.sin(2 * np.pi * t) - 0.0) + 0.5 * acc * x * t ** 2
    return east, up


def series_stack(name, geom, dates, east, up, *, noise=0.0, rng=None, north=None, **kw):
    e, n, u = (float(v) for v in los_unit_vector(*geom))
    los = e * east + u * up + (0.0 if north is None else n * north)
    if noise:
        los = los + rng.normal(0, noise, los.shape)
    los = los - los[0]  # the series' own reference date
    return ms.Stack(name, dates=dates, values=los, incidence_deg=geom[0], heading_deg=geom[1], **kw)


def _two(shape=(2, 2), n=30, *, noise=0.0, rng=None):
    """Ascending and descending series of ``n`` dates 12 days apart (descending 6 days later) on the truth."""
    da, dd = dates_every(12, n), dates_every(12, n, D0 + dt.timedelta(days=6))
    return [series_stack("asc", ASC, da, *truth(da, D0, shape), noise=noise, rng=rng),
            series_stack("desc", DESC, dd, *truth(dd, D0, shape), noise=noise, rng=rng)]


# --------------------------------------------------------------------------- kernel against dense algebra
def _dense_problem(seed=3):
    rng = np.random.default_rng(seed)
    t_out, n_pix, n_stk = 40, 9, 3
    tau_o = np.sort(rng.uniform(0, 4, t_out))
    tau_o[0] = 0.0
    knots = np.array(sorted({0, t_out - 1} | set(rng.choice(np.arange(1, t_out - 1), 20, replace=False).tolist())))
    tau = tau_o[knots]
    r = 3
    ro = knots[r]
    pos = np.minimum(np.searchsorted(knots, np.arange(t_out), side="right") - 1, knots.size - 1)
    w_o = np.zeros(t_out)
    inner = knots[pos] != np.arange(t_out)
    w_o[inner] = (tau_o[inner] - tau[pos[inner]]) / (tau[pos[inner] + 1] - tau[pos[inner]])
    obs_o = np.concatenate([np.arange(0, t_out, 2), np.arange(1, t_out, 2), np.arange(0, t_out, 3)]).astype(np.int64)
    obs_s = np.repeat(np.arange(n_stk), [len(range(0, t_out, 2)), len(range(1, t_out, 2)), len(range(0, t_out, 3))])
    n_obs = obs_o.size
    p = dict(
        ys=rng.normal(0, 5, (n_obs, n_pix)), ws=rng.uniform(0.05, 0.3, (n_obs, n_pix)), obs_o=obs_o,
        obs_s=obs_s.astype(np.int64), gh=rng.uniform(-0.7, 0.7, (n_stk, n_pix)),
        gu=rng.uniform(0.6, 0.9, (n_stk, n_pix)),
        gn=rng.uniform(-0.15, 0.0, (n_stk, n_pix)), tau=tau, r=r, out_k=pos.astype(np.int64), out_w=w_o, tau_o=tau_o,
        det=np.stack([np.sin(2 * np.pi * tau_o) - np.sin(2 * np.pi * tau_o[ro]),
                      np.cos(2 * np.pi * tau_o) - np.cos(2 * np.pi * tau_o[ro]), 0.5 * (tau_o - tau_o[ro]) ** 2], 1),
        det_w=np.array([1 / 30 ** 2, 1 / 30 ** 2, 1 / 50 ** 2]),
        q_e=rng.uniform(0.5, 5, n_pix), q_u=rng.uniform(0.5, 5, n_pix), qg=rng.uniform(10, 50, (1, 2, n_pix)),
        g_vel=rng.normal(0, 0.1, t_out), fun_o=np.array([[3, 30, 0, 0], [2, 10, 25, 33]], np.int64),
        fun_c=np.array([[-1.0, 1.0, 0, 0], [0.3, -0.3, -0.5, 0.5]]), n_mode=np.array([2, 0, 1], np.int64),
        mode_first=np.array([0, 2, 2], np.int64), mode_w=rng.uniform(0.5, 2, (3, n_pix)),
        north_prior=rng.normal(0, 3, n_pix), north_prior_w=1 / rng.uniform(1, 3, n_pix) ** 2)
    p["ws"][rng.uniform(size=p["ws"].shape) < 0.1] = 0.0
    h = np.diff(tau)
    p["wq_inc"] = 2 / (h[:-1] + h[1:])
    p["gap_inc"] = -np.ones(tau.size - 2, np.int64)
    p["gap_inc"][8:11] = 0
    p["obs_mode"] = np.zeros((n_obs, 2))
    for i in range(n_obs):
        p["obs_mode"][i, :p["n_mode"][obs_s[i]]] = rng.normal(0, 0.2, p["n_mode"][obs_s[i]])
    return p


def _run_kernel(p, north_est, want_leak, fn=None, batch=4):
    n_pix, t_out, n_stk = p["ys"].shape[1], p["tau_o"].size, p["gh"].shape[0]
    # displacement and sigma in float32, as the tool hands them to the kernel: its one compiled signature
    o = dict(d=np.full((2, t_out, n_pix), np.nan, np.float32), s=np.full((2, t_out, n_pix), np.nan, np.float32),
             vel=np.full((2, n_pix), np.nan), svel=np.full((2, n_pix), np.nan), fun=np.full((2, 2, n_pix), np.nan),
             sfun=np.full((2, 2, n_pix), np.nan), leak=np.full((2, n_pix), np.nan), north=np.full(n_pix, np.nan),
             snorth=np.full(n_pix, np.nan), res=np.full((n_stk, n_pix), np.nan),
             nres=np.zeros((n_stk, n_pix), np.int32), chi2=np.full(n_pix, np.nan), st=np.zeros(n_pix, np.uint8))
    (fn or mk.solve_pixels)(
        p["ys"], p["ws"], p["obs_o"], p["obs_s"], p["obs_mode"], p["mode_first"], p["n_mode"], p["mode_w"], p["gh"],
        p["gu"], p["gn"], p["tau"], p["r"], p["out_k"], p["out_w"], p["tau_o"], p["det"], p["det_w"], north_est,
        p["north_prior"], p["north_prior_w"], p["wq_inc"], p["q_e"], p["q_u"], p["qg"], p["gap_inc"],
        p["g_vel"], p["fun_o"], p["fun_c"], True, True, want_leak, np.arange(n_pix, dtype=np.int64), batch, o["d"],
        o["s"],
        o["vel"], o["svel"], o["fun"], o["sfun"], o["leak"], o["north"], o["snorth"], o["res"], o["nres"], o["chi2"],
        o["st"])
    return o


def _dense_solution(p, pix, north_est):
    """The posterior of one pixel from the full normal matrix written out (numpy inverse)."""
    kk, t_out, n_stk = p["tau"].size, p["tau_o"].size, p["gh"].shape[0]
    nj = p["det"].shape[1]
    n_modes = int(p["n_mode"].sum())
    nb = 2 * nj + north_est + n_stk + n_modes
    n = 2 * kk + nb
    off, m0 = 2 * kk + 2 * nj + north_est, 2 * kk + 2 * nj + north_est + n_stk
    ro = np.flatnonzero(np.isclose(p["tau_o"], p["tau"][p["r"]]))[0]

    def out_rows(comp):
        m = np.zeros((t_out, n))
        for t in range(t_out):
            k, w = p["out_k"][t], p["out_w"][t]
            m[t, 2 * k + comp] += 1 - w
            if w:
                m[t, 2 * (k + 1) + comp] += w
            m[t, 2 * kk + comp * nj:2 * kk + (comp + 1) * nj] = p["det"][t]
        return m

    eh, eu = out_rows(0), out_rows(1)
    q = np.zeros((n, n))
    f = np.zeros(n)
    fl = np.zeros(n)
    rows = []
    for i in range(p["obs_o"].size):
        t, s, w = p["obs_o"][i], p["obs_s"][i], p["ws"][i, pix]
        if w <= 0:
            continue
        g = p["gh"][s, pix] * eh[t] + p["gu"][s, pix] * eu[t]
        dtr = p["tau_o"][t] - p["tau_o"][ro]
        if north_est:
            g[2 * kk + 2 * nj] = p["gn"][s, pix] * dtr
        g[off + s] = 1.0
        for m in range(p["n_mode"][s]):
            g[m0 + p["mode_first"][s] + m] = p["obs_mode"][i, m]
        rows.append((s, w, g, p["ys"][i, pix]))
        q += w * np.outer(g, g)
        f += w * g * p["ys"][i, pix]
        fl += w * g * p["gn"][s, pix] * dtr
    h = np.diff(p["tau"])
    for k in range(1, kk - 1):
        a, c = 1 / h[k - 1], 1 / h[k]
        for comp in range(2):
            qq = p["qg"][0, comp, pix] if p["gap_inc"][k - 1] >= 0 else (p["q_e"], p["q_u"])[comp][pix]
            g = np.zeros(n)
            g[2 * (k - 1) + comp], g[2 * k + comp], g[2 * (k + 1) + comp] = a, -(a + c), c
            q += np.outer(g, g) * p["wq_inc"][k - 1] / qq
    q[2 * kk:2 * kk + 2 * nj, 2 * kk:2 * kk + 2 * nj] += np.diag(np.tile(p["det_w"], 2))
    if north_est:
        q[2 * kk + 2 * nj, 2 * kk + 2 * nj] += p["north_prior_w"][pix]
        f[2 * kk + 2 * nj] += p["north_prior_w"][pix] * p["north_prior"][pix]
    for m in range(n_modes):
        q[m0 + m, m0 + m] += p["mode_w"][m, pix]
    keep = [i for i in range(n) if i not in (2 * p["r"], 2 * p["r"] + 1)]
    cov = np.zeros((n, n))
    cov[np.ix_(keep, keep)] = np.linalg.inv(q[np.ix_(keep, keep)])
    x = cov @ f
    # residual RMS per stack and the mean squared normalised residual
    r2 = np.zeros(n_stk)
    cnt = np.zeros(n_stk)
    chi = 0.0
    for s, w, g, y in rows:
        e = y - g @ x
        r2[s] += e * e
        cnt[s] += 1
        chi += w * e * e
    with np.errstate(invalid="ignore"):
        res = np.sqrt(r2 / cnt)
    return eh, eu, x, cov, cov @ fl, res, chi / max(len(rows), 1)


@pytest.mark.parametrize("north_est", [0, 1])
def test_kernel_equals_dense_posterior(north_est):
    """Solution, every date's sigma, velocity, gap/velocity-change functionals, north velocity, leakage, residual RMS
    per stack and chi2 equal the posterior computed from the full normal matrix (knots with interpolated dates,
    annual term, network modes, a gap with its own density, the datum)."""
    p = _dense_problem()
    o = _run_kernel(p, north_est, want_leak=north_est == 0)
    for pix in range(p["ys"].shape[1]):
        eh, eu, x, cov, xl, res, chi2 = _dense_solution(p, pix, north_est)
        np.testing.assert_allclose(o["res"][:, pix], res, atol=1e-7)
        np.testing.assert_allclose(o["chi2"][pix], chi2, atol=1e-8)
        for comp, e in ((0, eh), (1, eu)):
            # float32 outputs: the float64 posterior rounded to float32 (half a float32 ulp, 2**-24 relative)
            np.testing.assert_allclose(o["d"][comp, :, pix], e @ x, rtol=2.0 ** -23, atol=1e-6)
            np.testing.assert_allclose(o["s"][comp, :, pix], np.sqrt(np.einsum("ij,jk,ik->i", e, cov, e)),
                                       rtol=2.0 ** -23, atol=1e-6)
            gv = p["g_vel"] @ e
            np.testing.assert_allclose([o["vel"][comp, pix], o["svel"][comp, pix]], [gv @ x, np.sqrt(gv @ cov @ gv)],
                                       atol=1e-7)
            for fi in range(2):
                ef = p["fun_c"][fi] @ e[p["fun_o"][fi]]
                np.testing.assert_allclose([o["fun"][fi, comp, pix], o["sfun"][fi, comp, pix]],
                                           [ef @ x, np.sqrt(ef @ cov @ ef)], atol=1e-6)
            if north_est == 0:
                np.testing.assert_allclose(o["leak"][comp, pix], gv @ xl, atol=1e-8)
        if north_est:
            k = 2 * p["tau"].size + 2 * p["det"].shape[1]
            np.testing.assert_allclose([o["north"][pix], o["snorth"][pix]], [x[k], np.sqrt(cov[k, k])], atol=1e-7)


def test_kernel_any_observation_order():
    """Observations of the stacks interleaved (not stack after stack) give the same posterior."""
    p = _dense_problem(seed=7)
    ref = _run_kernel(p, 1, False)
    perm = np.random.default_rng(1).permutation(p["obs_o"].size)
    q = dict(p)
    for key in ("ys", "ws", "obs_mode"):
        q[key] = np.ascontiguousarray(p[key][perm])
    for key in ("obs_o", "obs_s"):
        q[key] = np.ascontiguousarray(p[key][perm])
    o = _run_kernel(q, 1, False)
    for key in ("d", "s", "vel", "svel", "fun", "sfun", "north", "snorth", "res", "chi2"):
        np.testing.assert_allclose(o[key], ref[key], rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(o["nres"], ref["nres"])


def _solve_pixels_python(*args):
    """``solve_pixels`` with its loop over batches as plain Python, in this thread."""
    todo, batch = args[-15], args[-14]
    ms_batch._solve_pixel_batches.py_func(0, (todo.size + batch - 1) // batch, *args)


def test_kernel_numba_equals_python_and_any_batch():
    p = _dense_problem(seed=5)
    ref = _run_kernel(p, 0, True, batch=9)
    for fn, batch in ((mk.solve_pixels, 1), (mk.solve_pixels, 4), (_solve_pixels_python, 2)):
        o = _run_kernel(p, 0, True, fn=fn, batch=batch)
        for key in ref:
            np.testing.assert_array_equal(o[key], ref[key])


# --------------------------------------------------------------------------- known truths
@pytest.mark.parametrize("n", [1, 2, 7, 98, 100, 129])
def test_median_of_columns_equals_np_median(n):
    """The sorting-network median of each column is np.median's value to the bit (odd and even lengths, ties,
    infinities); a column holding a NaN is NaN (the caller then takes np.median of that pixel)."""
    rng = np.random.default_rng(n)
    z = np.abs(rng.standard_t(3, (n, 37)))
    z[:, 3] = 1.5  # all tied
    z[: n // 2, 4] = np.inf
    z[rng.integers(0, n), 5] = np.inf
    z[:, 6] = np.round(z[:, 6])  # many ties
    z[rng.integers(0, n), 7] = np.nan
    med = mk._v_median_rows(np.ascontiguousarray(z))
    want = np.array([np.median(z[:, q]) for q in range(z.shape[1])])
    np.testing.assert_array_equal(np.isnan(med), np.isnan(z).any(axis=0))
    ok = ~np.isnan(z).any(axis=0)
    assert med[ok].tobytes() == want[ok].tobytes()


def test_series_statistics_chunk_equals_pixel_by_pixel():
    """The path for chunks valid on every date gives each pixel the bits of the general per-pixel path."""
    rng = np.random.default_rng(3)
    n_t, n_pix = 61, 300
    t = np.cumsum(rng.uniform(0.02, 0.05, n_t))
    t -= t[0]
    basis = np.column_stack([np.ones(n_t), t - t.mean(), np.sin(np.pi * t / t[-1]), np.sin(2 * np.pi * t / t[-1])])
    pinv = np.linalg.pinv(basis)
    kl = np.array([2, 3], np.int64)
    g, h, dn = np.array([0.3, 0.1]), np.array([0.05, 0.04]), np.array([0.02, 0.01])
    y = np.cumsum(rng.normal(0, 2, (n_t, n_pix)), axis=0) + rng.normal(0, 3, (n_t, n_pix))
    y[:, 7] = 0.0  # a flat series: zero residuals, ties everywhere
    s_net = np.abs(rng.normal(1, 0.3, n_pix))
    sig, q, c = np.empty(n_pix), np.empty(n_pix), np.empty((2, n_pix))
    mk.series_statistics(t, basis, pinv, kl, g, h, dn, 0.3, y, 5, s_net, sig, q, c)
    sig1, q1, c1 = np.empty(n_pix), np.empty(n_pix), np.empty((2, n_pix))
    for p in range(n_pix):
        mk._series_statistics_pixel(p, t, basis, pinv, kl, g, h, dn, 0.3, y, 5, s_net, sig1, q1, c1)
    assert sig.tobytes() == sig1.tobytes() and q.tobytes() == q1.tobytes() and c.tobytes() == c1.tobytes()
    # the modes' coefficients are those of the least-squares fit
    np.testing.assert_allclose(c[:, 0], (pinv @ y[:, 0])[kl], rtol=1e-9, atol=1e-12)


def test_noise_free_linear_and_annual_motion_recovered_exactly():
    """Two geometries on interleaved dates, per-date series with unknown offsets: a linear + annual truth is
    in the model, so it is reproduced to rounding (the prior costs nothing for it)."""
    shape = (3, 4)
    da, dd = dates_every(12, 90), dates_every(12, 90, D0 + dt.timedelta(days=5))
    ea, ua = truth(da, D0, shape)
    ed, ud = truth(dd, D0, shape)
    stacks = [series_stack("asc", ASC, da, ea, ua), series_stack("desc", DESC, dd, ed, ud)]
    res = ms.solve_multisensor(stacks, min_sigma_mm=0.5)
    te, tu = truth(res.dates, res.reference_date, shape)
    assert res.reference_date == D0 and len(res.dates) == 180 and not res.gaps
    np.testing.assert_allclose(res["east"], te, atol=2e-3)
    np.testing.assert_allclose(res["up"], tu, atol=2e-3)
    np.testing.assert_allclose(res["velocity"][1], -20.0 * np.linspace(0.5, 1.5, 4)[None, :] * np.ones(shape),
                               atol=0.02)
    assert np.all(res["status"] == 0) and np.all(res["sigma_up"][0] == 0) and np.all(res["sigma_up"][1:] > 0)


def test_noisy_series_sigma_is_honest_and_beats_date_by_date():
    """White noise of known size: errors against the truth have z-scores of spread ~1, and the joint estimate
    is far better than decomposing each date with its nearest partner."""
    rng = np.random.default_rng(1)
    shape = (6, 10)
    da, dd = dates_every(6, 160), dates_every(12, 80, D0 + dt.timedelta(days=3))
    stacks = []
    for name, geom, dates, noise in (("asc", ASC, da, 4.0), ("desc", DESC, dd, 3.0)):
        e, u = truth(dates, D0, shape, acc=4.0)
        stacks.append(series_stack(name, geom, dates, e, u, noise=noise, rng=rng))
    res = ms.solve_multisensor(stacks)
    te, tu = truth(res.dates, res.reference_date, shape, acc=4.0)
    # the reference date (sigma 0 by definition) left out
    z = np.concatenate([((res["east"] - te)[1:] / res["sigma_east"][1:]).ravel(),
                        ((res["up"] - tu)[1:] / res["sigma_up"][1:]).ravel()])
    assert 0.75 < z.std() < 1.3, z.std()
    assert np.mean(np.abs(z) < 2) > 0.9
    sig = np.nanmedian(res["noise_sigma"].reshape(2, -1), axis=1)
    np.testing.assert_allclose(sig, [4.0, 3.0], rtol=0.15)
    err_up = np.sqrt(np.mean((res["up"] - tu) ** 2))
    assert err_up < 2.0  # a single pair of dates would give ~ sqrt(4^2 + 3^2) / (2 cos(40)) = 3.3 mm and worse


def test_interferogram_stack_equals_its_series_without_closure_error():
    """A stack of interferograms made of the differences of a series (no closure error) gives what the series
    gives: the network solve reduces it to that series, its drift modes are pinned."""
    shape = (2, 3)
    da, dd = dates_every(12, 40), dates_every(12, 40, D0 + dt.timedelta(days=6))
    ea, ua = truth(da, D0, shape)
    ed, ud = truth(dd, D0, shape)
    rng = np.random.default_rng(2)
    asc = series_stack("asc", ASC, da, ea, ua, noise=2.0, rng=rng)
    desc = series_stack("desc", DESC, dd, ed, ud, noise=2.0, rng=rng)
    pairs = [(da[i], da[j]) for i in range(40) for j in range(i + 1, min(40, i + 4))]
    idx = {d: i for i, d in enumerate(da)}
    ifg = np.stack([asc.values[idx[b]] - asc.values[idx[a]] for a, b in pairs])
    asc_ifg = ms.Stack("asc", pairs=pairs, values=ifg, incidence_deg=ASC[0], heading_deg=ASC[1])
    a = ms.solve_multisensor([asc, desc])
    b = ms.solve_multisensor([asc_ifg, desc])
    np.testing.assert_allclose(b["up"], a["up"], atol=1e-3)
    np.testing.assert_allclose(b["sigma_up"], a["sigma_up"], rtol=1e-3, atol=1e-4)
    assert np.all(b["dropped"] == 0)


def test_phase_in_radians_with_wavelength_equals_millimetres():
    shape = (2, 2)
    da, dd = dates_every(12, 30), dates_every(12, 30, D0 + dt.timedelta(days=6))
    ea, ua = truth(da, D0, shape)
    ed, ud = truth(dd, D0, shape)
    asc = series_stack("asc", ASC, da, ea, ua)
    desc = series_stack("desc", DESC, dd, ed, ud)
    wl = 0.0311
    rad = ms.Stack("asc", dates=da, values=-asc.values * 4 * np.pi / (wl * 1000), units="rad", wavelength_m=wl,
                   incidence_deg=ASC[0], heading_deg=ASC[1])
    a = ms.solve_multisensor([asc, desc])
    b = ms.solve_multisensor([rad, desc])
    np.testing.assert_allclose(b["east"], a["east"], atol=1e-9)


# --------------------------------------------------------------------------- gaps
def _envisat_then_s1(s1_start_days: int, n_envisat: int, n_s1: int) -> list:
    """Four tracks ``(name, (incidence, heading), first date, step days, n dates)``: Envisat ascending and descending
    every 35 days from D0, then Sentinel-1 ascending and descending every 12 days from ``s1_start_days`` after D0."""
    return [("ENV-asc", (23.0, -13.0), D0, 35, n_envisat),
            ("ENV-desc", (23.0, 193.0), D0 + dt.timedelta(days=17), 35, n_envisat),
            ("S1-asc", ASC, D0 + dt.timedelta(days=s1_start_days), 12, n_s1),
            ("S1-desc", DESC, D0 + dt.timedelta(days=s1_start_days + 6), 12, n_s1)]


def _gap_stacks(rng, shape, noise=2.0, acc=0.0):
    out = []
    for name, geom, start, step, n in _envisat_then_s1(2200, 40, 120):
        dates = dates_every(step, n, start)
        e, u = truth(dates, D0, shape, acc=acc)
        out.append(series_stack(name, geom, dates, e, u, noise=noise, rng=rng))
    return out


def test_gap_between_missions_is_bridged_flagged_and_honest():
    rng = np.random.default_rng(4)
    shape = (6, 8)
    stacks = _gap_stacks(rng, shape)
    res = ms.solve_multisensor(stacks)
    assert len(res.gaps) == 1
    g = res.gaps[0]
    assert g.before == ("ENV-asc", "ENV-desc") and g.after == ("S1-asc", "S1-desc") and g.days > 2 * 365
    assert (~res.observed).sum() >= g.days // 30 - 1  # flagged model dates inside the gap
    assert any("gap of" in line for line in res.report)
    te, tu = truth([g.last_before, g.first_after], D0, shape)
    for ci, t in ((0, te), (1, tu)):
        z = (res["gap_displacement"][0, ci] - (t[1] - t[0])) / res["gap_sigma"][0, ci]
        assert np.mean(np.abs(z) < 2) >= 0.9
    # every date after the gap carries the bridge: its sigma exceeds the last one before
    i_a, i_b = res.dates.index(g.last_before), res.dates.index(g.first_after)
    assert np.all(res["sigma_up"][i_b] > res["sigma_up"][i_a])


def test_gap_sigma_spread_sits_in_its_band_on_a_motion_without_wander():
    """Envisat asc + desc (6 years), a short sparse noisy stack at their end, a 3.6-year gap, Sentinel-1 asc +
    desc: on a linear + annual motion (no velocity wander) the displacement across the gap is within 2-sigma on
    95 % of the pixels or more and its z-scores' spread stays between 0.4 and 1.25 (the densities' floors make
    the bridge conservative there; it must neither understate nor overstate by more than 2.5 times)."""
    shape = (10, 20)
    res = _gap_no_wander_solution(7, True)
    assert len(res.gaps) == 1 and res.gaps[0].days > 3 * 365
    g = res.gaps[0]
    te, tu = truth([g.last_before, g.first_after], D0, shape)
    for ci, t in ((0, te), (1, tu)):
        z = ((res["gap_displacement"][0, ci] - (t[1] - t[0])) / res["gap_sigma"][0, ci]).ravel()
        assert np.isfinite(z).all()
        assert np.mean(np.abs(z) < 2) >= 0.95
        assert 0.4 <= z.std() <= 1.25 and np.sqrt(np.mean(z ** 2)) <= 1.25


def test_density_split_weighs_each_stack_by_the_precision_of_its_estimate():
    """A short, sparse stack whose density estimate is mostly noise (variance 100^2) does not outweigh two long
    stacks that pin the density near zero (variance 0.5^2); a stack whose estimate stands out is followed."""
    asc, desc, alos = (los_unit_vector(*g) for g in ((23.0, -13.0), (23.0, 193.0), (38.7, -10.0)))
    gh = np.array([[asc[0]], [desc[0]], [alos[0]]], float)
    gu = np.array([[asc[2]], [desc[2]], [alos[2]]], float)
    q_los = np.array([[0.2], [0.1], [300.0]])
    var_q = np.array([[0.25], [0.25], [1e4]])
    qh, qu = ms._split_process_noise(q_los, gh, gu, 0.0, var_q)
    assert qh[0] < 2.0 and qu[0] < 2.0
    # equal weights: the noisy stack's value sets the density (what the weights prevent)
    qh_eq, qu_eq = ms._split_process_noise(q_los, gh, gu, 0.0)
    assert max(qh_eq[0], qu_eq[0]) > 50.0
    # the long stacks see a wander of 20 mm^2/yr^3 in the LOS: it is kept
    qh2, qu2 = ms._split_process_noise(np.array([[20.0], [20.0], [0.0]]), gh, gu, 0.0, var_q)
    los = gh[:2, 0] ** 2 * qh2[0] + gu[:2, 0] ** 2 * qu2[0]
    assert np.allclose(los, 20.0, rtol=0.05)


def test_gap_longer_than_max_bridge_is_refused_naming_the_stacks():
    rng = np.random.default_rng(4)
    stacks = _gap_stacks(rng, (2, 2))
    with pytest.raises(GeohazardError, match=r"'ENV-asc', 'ENV-desc'.*'S1-asc', 'S1-desc'.*max_bridge_years"):
        ms.solve_multisensor(stacks, max_bridge_years=2.0)


def test_stack_isolated_in_time_is_reported():
    shape = (2, 2)
    da, dd = dates_every(12, 60), dates_every(12, 60, D0 + dt.timedelta(days=6))
    lone = dates_every(46, 20, D0 + dt.timedelta(days=60 * 12 + 60))
    stacks = [series_stack("asc", ASC, da, *truth(da, D0, shape)),
              series_stack("desc", DESC, dd, *truth(dd, D0, shape)),
              series_stack("ALOS", (38.7, -10.0), lone, *truth(lone, D0, shape))]
    res = ms.solve_multisensor(stacks)
    assert any("'ALOS'" in line and "overlaps no other stack" in line for line in res.report)
    assert any("one geometry only (ALOS)" in line for line in res.report)


# --------------------------------------------------------------------------- north
def test_north_leakage_response_equals_closed_form_for_two_geometries():
    """With two geometries the velocity's response to a north velocity left out is A^-1 n exactly."""
    shape = (2, 3)
    stacks = _two(shape, 60)
    res = ms.solve_multisensor(stacks)
    ea, na, ua = los_unit_vector(*ASC)
    ed, nd, ud = los_unit_vector(*DESC)
    expected = np.linalg.solve(np.array([[ea, ua], [ed, ud]]), [na, nd])
    np.testing.assert_allclose(res["leak_per_north"][:, 0, 0], expected, atol=2e-3)


def test_north_given_removes_the_leak_and_slope_mode_recovers_north():
    rng = np.random.default_rng(5)
    shape = (4, 5)
    da, dd = dates_every(12, 100), dates_every(12, 100, D0 + dt.timedelta(days=6))
    tsx = dates_every(11, 108, D0 + dt.timedelta(days=3))
    aspect, slope_deg = 20.0, 25.0
    h_rate = 30.0  # horizontal mm/yr along the aspect, surface parallel
    stacks = []
    for name, geom, dates in (("asc", ASC, da), ("desc", DESC, dd), ("tsx", (30.0, -10.0), tsx)):
        t = years(dates, D0)[:, None, None] * np.ones(shape)[None]
        e, n = h_rate * np.sin(np.radians(aspect)) * t, h_rate * np.cos(np.radians(aspect)) * t
        u = -h_rate * np.tan(np.radians(slope_deg)) * t
        stacks.append(series_stack(name, geom, dates, e, u, north=n, noise=1.0, rng=rng))
    t_all = years(sorted({d for s in stacks for d in s.dates}), D0)
    zero = ms.solve_multisensor(stacks)
    given = ms.solve_multisensor(stacks, north=ms.NorthModel("given",
                                                             velocity_mm_yr=h_rate * np.cos(np.radians(aspect))))
    slope = ms.solve_multisensor(stacks, north=ms.NorthModel("slope", slope_deg=np.full(shape, slope_deg),
                                                             aspect_deg=np.full(shape, aspect)))
    true_vu = -h_rate * np.tan(np.radians(slope_deg))
    err_zero = np.abs(zero["velocity"][1] - true_vu).mean()
    assert err_zero > 2.0  # north motion leaks into up when neglected
    for res in (given, slope):
        assert np.abs(res["velocity"][1] - true_vu).mean() < 0.5
        np.testing.assert_allclose(res["velocity_north"], h_rate * np.cos(np.radians(aspect)), atol=1.0)
        assert res["north"].shape == (len(t_all),) + shape
    assert np.all(slope["north_mode"] == ms.NORTH_CODES["slope"]) and np.all(given["north_mode"] == 1)
    assert "slope" in slope.north and "velocity model" in given.north


def test_north_given_with_sigma_propagates_its_uncertainty():
    rng = np.random.default_rng(6)
    stacks = _two((2, 2), 80, noise=1.0, rng=rng)
    exact = ms.solve_multisensor(stacks, north=ms.NorthModel("given", velocity_mm_yr=0.0))
    loose = ms.solve_multisensor(stacks, north=ms.NorthModel("given", velocity_mm_yr=0.0, sigma_mm_yr=3.0))
    assert np.all(loose["sigma_velocity"][1] > exact["sigma_velocity"][1])
    np.testing.assert_allclose(loose["sigma_velocity_north"], 3.0, rtol=0.05)


# --------------------------------------------------------------------------- layout, inputs, outputs
@pytest.mark.parametrize("options", [{}, {"exact_density_variance": True, "local_prior_nodes": 2,
                                                "design_weights": True, "cross_products": True,
                                                "grid_prior_gaps": True, "grid_prior_periods": True,
                                                "unbiased_noise_power": True},
                                     {"prior_mean_error": True, "prior_effective_pixels": True,
                                      "prior_mean_spread": True}])
def test_same_bytes_whatever_the_block_layout(options):
    rng = np.random.default_rng(7)
    shape = (7, 5)
    stacks = _gap_stacks(rng, shape)
    stacks[1].values[:, 2, :] = np.nan  # one geometry missing on a row
    stacks[2].values[5:9, 4, 1] = np.nan  # a few missing dates
    pairs = [(stacks[2].dates[i], stacks[2].dates[j]) for i in range(120) for j in range(i + 1, min(120, i + 3))]
    idx = {d: i for i, d in enumerate(stacks[2].dates)}
    ifg = np.stack([stacks[2].values[idx[b]] - stacks[2].values[idx[a]] for a, b in pairs])
    ifg += rng.normal(0, 0.5, ifg.shape)
    stacks[2] = ms.Stack("S1-asc", pairs=pairs, values=ifg, incidence_deg=ASC[0], heading_deg=ASC[1])
    runs = [ms.solve_multisensor(stacks, block_rows=b, **options) for b in (1, 3, 7)]
    for r in runs[1:]:
        for key, arr in runs[0].arrays.items():
            np.testing.assert_array_equal(r[key], arr, err_msg=key)
    assert np.all(runs[0]["status"] == 0) and np.all(runs[0]["dropped"] == 0)


def test_inputs_not_mutated_and_single_geometry_pixels_flagged():
    rng = np.random.default_rng(8)
    stacks = _two((3, 3), 50, noise=1.0, rng=rng)
    stacks[1].values[:, 0, 0] = np.nan
    before = [s.values.copy() for s in stacks]
    res = ms.solve_multisensor(stacks)
    for s, b in zip(stacks, before):
        np.testing.assert_array_equal(s.values, b)
    assert res["status"][0, 0] == mk.STATUS_GEOMETRY and np.isnan(res["up"][:, 0, 0]).all()
    assert np.all(res["status"].ravel()[1:] == 0)


def test_grid_points_to_stack_averages_points_per_cell():
    grid = Grid(0.0, 200.0, 100.0, 2, 2)
    x = np.array([10.0, 20.0, 150.0, 150.0])
    y = np.array([190.0, 150.0, 50.0, 60.0])
    series = np.array([[1.0, 3.0, 5.0, np.nan], [2.0, 4.0, 6.0, 8.0]])
    e = np.array([-0.6, -0.6, -0.6, -0.6])
    out = ms.grid_points_to_stack(x, y, series, e, np.full(4, -0.1), np.full(4, 0.79), grid)
    np.testing.assert_allclose(out["values"][:, 0, 0], [2.0, 3.0])
    np.testing.assert_allclose(out["values"][:, 1, 1], [5.0, 7.0])
    assert np.isnan(out["values"][0, 0, 1]) and out["count"][1, 1] == 2
    norm = out["los_east"] ** 2 + out["los_north"] ** 2 + out["los_up"] ** 2
    np.testing.assert_allclose(norm[np.isfinite(norm)], 1.0)


# --------------------------------------------------------------------------- bad input
def test_stacks_without_spatial_overlap_are_refused_by_name():
    a, d = _two((2, 4))
    a.values[:, :, 2:] = np.nan
    d.values[:, :, :2] = np.nan
    with pytest.raises(GeohazardError, match=r"stack 'asc' and the other stacks \('desc'\) do not overlap in space"):
        ms.solve_multisensor([a, d])


def test_stack_without_geometry_is_refused_by_name():
    a, d = _two()
    d.incidence_deg = None
    with pytest.raises(GeohazardError, match="stack 'desc' has no geometry.*only heading_deg given"):
        ms.solve_multisensor([a, d])


def test_unparsable_dates_are_refused_naming_stack_and_value():
    a, d = _two()
    a.dates = list(a.dates)
    a.dates[3] = "2018-13-45"
    with pytest.raises(GeohazardError, match=r"stack 'asc': cannot read a date from '2018-13-45'"):
        ms.solve_multisensor([a, d])
    a.dates[3] = a.dates[2]
    with pytest.raises(GeohazardError, match=r"stack 'asc': date .* appears twice"):
        ms.solve_multisensor([a, d])


def test_same_geometry_different_wavelengths_without_metadata_is_refused():
    a, d = _two()
    x = ms.Stack("TSX-asc", dates=a.dates, values=a.values * 0.2, units="rad", incidence_deg=ASC[0],
                 heading_deg=ASC[1])
    s1 = ms.Stack("S1-asc", dates=a.dates, values=a.values * 0.07, units="rad", wavelength_m=0.0555,
                  incidence_deg=ASC[0], heading_deg=ASC[1])
    with pytest.raises(GeohazardError, match=r"stack 'TSX-asc' is in radians but has no wavelength.*shares its "
                                             r"geometry with 'S1-asc' \(0.0555 m\)"):
        ms.solve_multisensor([s1, x, d])


def test_reference_point_outside_a_stack_is_refused_by_name():
    a, d = _two()
    d.reference_rc = (5, 1)
    with pytest.raises(GeohazardError, match=r"stack 'desc': reference point \(row 5, col 1\) lies outside"):
        ms.solve_multisensor([a, d])
    with pytest.raises(GeohazardError, match=r"reference point \(row 0, col 9\) lies outside the grid"):
        ms.solve_multisensor(_two(), reference_rc=(0, 9))


@pytest.mark.parametrize("change, pattern", [
    (lambda s: setattr(s[0], "name", "desc"), "two stacks are named 'desc'"),
    (lambda s: setattr(s[1], "values", s[1].values[:, :1]), r"stack 'desc': values have shape"),
    (lambda s: setattr(s[0], "units", "cm"), r"stack 'asc': units must be one of"),
    (lambda s: setattr(s[1], "incidence_deg", 95.0), r"stack 'desc': incidence_deg must be between 0 and 90"),
    (lambda s: setattr(s[0], "reference_date", dt.date(2030, 1, 1)), r"stack 'asc': reference date 2030-01-01"),
    (lambda s: setattr(s[1], "sigma_mm", -1.0), r"stack 'desc': sigma_mm must be > 0"),
])
def test_other_bad_stack_arguments_name_the_stack(change, pattern):
    stacks = _two()
    change(stacks)
    with pytest.raises(GeohazardError, match=pattern):
        ms.solve_multisensor(stacks)


def test_split_interferogram_network_is_refused():
    a, d = _two()
    da = a.dates
    pairs = [(da[i], da[i + 1]) for i in range(10)] + [(da[i], da[i + 1]) for i in range(15, 29)]
    ifg = np.zeros((len(pairs), 2, 2))
    with pytest.raises(GeohazardError, match=r"stack 'asc': its interferogram network is split into 2 subsets"):
        ms.solve_multisensor([ms.Stack("asc", pairs=pairs, values=ifg, incidence_deg=ASC[0], heading_deg=ASC[1]), d])


def test_one_geometry_everywhere_gives_no_solution():
    a, _ = _two()
    b = series_stack("asc2", ASC, a.dates, *truth(a.dates, D0, (2, 2)))
    res = ms.solve_multisensor([a, b])
    assert np.all(res["status"] == mk.STATUS_GEOMETRY) and np.isnan(res["east"]).all()


def test_noise_correlated_in_time_is_raised_to_the_residuals():
    """Filtered series (AR(1) noise) fool the lag-1 noise estimate; the residual check raises it."""
    rng = np.random.default_rng(9)
    shape = (4, 4)
    stacks = []
    for name, geom, start in (("asc", ASC, D0), ("desc", DESC, D0 + dt.timedelta(days=6))):
        dates = dates_every(12, 120, start)
        e, u = truth(dates, D0, shape)
        eps = np.zeros((len(dates),) + shape)
        for i in range(1, len(dates)):
            eps[i] = 0.8 * eps[i - 1] + rng.normal(0, 2.0, shape)
        st = series_stack(name, geom, dates, e, u)
        st.values = st.values + eps
        stacks.append(st)
    plain = ms.solve_multisensor(stacks, refine_noise=False)
    refined = ms.solve_multisensor(stacks)
    assert np.median(plain["chi2"]) > 1.3
    assert np.median(refined["chi2"]) < 1.15
    assert np.all(refined["noise_sigma"] >= plain["noise_sigma"] - 1e-6)
    assert np.median(refined["sigma_up"][-1]) > np.median(plain["sigma_up"][-1])


def test_problem_pickles_without_its_data_and_solves_the_same():
    """What a Dask worker receives: no pixel arrays, the block brings them; same bytes."""
    import pickle

    rng = np.random.default_rng(10)
    shape = (3, 4)
    stacks = [series_stack("asc", ASC, dates_every(12, 40), *truth(dates_every(12, 40), D0, shape), noise=1.0,
                           rng=rng),
              series_stack("desc", DESC, dates_every(12, 40, D0 + dt.timedelta(days=6)),
                           *truth(dates_every(12, 40, D0 + dt.timedelta(days=6)), D0, shape), noise=1.0, rng=rng)]
    stacks[0].incidence_deg = np.full(shape, ASC[0])
    north = ms.NorthModel("slope", slope_deg=np.full(shape, 20.0), aspect_deg=np.full(shape, 90.0))
    prob = ms.MultisensorProblem(stacks, shape=shape, north=north)
    blob = pickle.dumps(prob)
    assert len(blob) < 100_000  # the stacks hold 2 x 40 x 12 values and a 3 x 4 incidence raster
    worker = pickle.loads(blob)
    assert worker.plans[0].spec.values is None
    inputs = {k: np.asarray(v) for k, v in prob.sources().items()}
    a = prob.solve_arrays(inputs, shape)
    b = worker.solve_arrays(inputs, shape)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def _no_wander_stacks(rng, shape, noise=2.0):
    """Four series stacks over three years on a linear + annual truth (no velocity wander), white noise."""
    stacks = []
    for name, geom, start, step in (("S1-asc", ASC, D0, 6), ("S1-desc", DESC, D0 + dt.timedelta(days=3), 12),
                                    ("TSX-asc", (28.0, -10.0), D0 + dt.timedelta(days=1), 11),
                                    ("CSK-desc", (33.0, 190.0), D0 + dt.timedelta(days=2), 16)):
        dates = dates_every(step, int(3 * 365 / step), start)
        e, u = truth(dates, D0, shape)
        stacks.append(series_stack(name, geom, dates, e, u, noise=noise, rng=rng))
    return stacks


def test_density_estimate_of_a_series_without_wander_is_unbiased_and_pooled_before_clipping():
    """Series with no velocity wander: each stack's density estimate is noise around zero. Kept signed, its mean
    over many pixels a small fraction of its scatter, and the stacks pooled first then clipped once leave about
    half the pixels at zero; clipping each stack first (the positive part of each draw) pools to a density 1.5
    times as large on average, at zero on fewer pixels."""
    rng = np.random.default_rng(5)
    shape = (40, 50)
    stacks = _no_wander_stacks(rng, shape)
    problem = ms.MultisensorProblem(stacks, shape=shape)
    n_pix = shape[0] * shape[1]
    q_los, var_q, gh, gu = (np.empty((len(stacks), n_pix)) for _ in range(4))
    for si, (s, plan) in enumerate(zip(stacks, problem.plans)):
        t, basis, pinv, kl, g_irw, h_noise, d_net, d_lag1 = plan.stats
        sig, q = np.empty(n_pix), np.empty(n_pix)
        mk.series_statistics(t, basis, pinv, kl, g_irw, h_noise, d_net, d_lag1,
                             np.ascontiguousarray(s.values.reshape(len(s.dates), n_pix)), 8, np.zeros(n_pix), sig, q,
                             np.zeros((0, n_pix)))
        q_los[si] = q
        pw = sig[None, :] ** 2 * h_noise[:, None]
        var_q[si] = 2.0 * np.sum(pw * pw, axis=0) / np.sum(g_irw) ** 2
        e, n, u = (float(v) for v in los_unit_vector(s.incidence_deg, s.heading_deg))
        gh[si], gu[si] = e, u
    for si in range(len(stacks)):
        # signed: centred on the zero truth (its mean a small fraction of its scatter; the positive part of each
        # draw averages 0.4 of it), about half the draws negative
        assert abs(q_los[si].mean()) < 0.15 * q_los[si].std()
        assert 0.3 < np.mean(q_los[si] < 0) < 0.7
    pooled = np.stack(ms._split_process_noise(q_los, gh, gu, 0.0, var_q))
    clipped_first = np.stack(ms._split_process_noise(np.maximum(q_los, 0.0), gh, gu, 0.0, var_q))
    assert np.all(np.mean(pooled == 0.0, axis=1) > 0.45)
    assert np.all(np.mean(clipped_first == 0.0, axis=1) < 0.35)
    assert np.all(np.mean(clipped_first, axis=1) > 1.3 * np.mean(pooled, axis=1))


def test_solver_density_of_a_series_without_wander_sits_at_zero_on_about_half_the_pixels():
    """The same through the solver (each pixel's own estimate) with a negligible floor: the density it uses is zero
    (the floor) on about half the pixels of a motion without wander, as an unbiased estimate clipped once gives."""
    rng = np.random.default_rng(5)
    shape = (12, 20)
    res = ms.solve_multisensor(_no_wander_stacks(rng, shape), min_process_noise=1e-4, scene_densities=False)
    at_floor = np.mean(res["process_noise"] <= 1e-4 * (1 + 1e-6))
    assert at_floor >= 0.35


def test_each_period_between_gaps_has_its_own_density_never_below_the_whole_series():
    """Envisat asc + desc whose velocity wanders (a random walk), a 5-year gap, Sentinel-1 asc + desc on a steady
    motion: the Envisat period gets its own density, above the whole series' (which the steady Sentinel-1 years
    dilute), and the Sentinel-1 period keeps the whole series' (a period of a few years cannot see a wander slower
    than its span, so no period falls below it)."""
    rng = np.random.default_rng(11)
    shape = (6, 8)
    stacks = []
    for name, geom, start, step, n, wander in (("ENV-asc", (23.0, -13.0), D0, 35, 60, True),
                                               ("ENV-desc", (23.0, 193.0), D0 + dt.timedelta(days=17), 35, 60, True),
                                               ("S1-asc", ASC, D0 + dt.timedelta(days=3800), 12, 150, False),
                                               ("S1-desc", DESC, D0 + dt.timedelta(days=3806), 12, 150, False)):
        dates = dates_every(step, n, start)
        e, u = truth(dates, D0, shape)
        if wander:
            # velocity random walk of 400 mm^2/yr^3 in up, the same draw for every pixel and both stacks
            walk = np.random.default_rng(3).normal(0.0, 1.0, 400)
            t = np.array(years(dates, D0))
            grid = np.linspace(0.0, t[-1], 400)
            vel = np.cumsum(walk) * np.sqrt(400.0 * (grid[1] - grid[0]))
            u = u + np.interp(t, grid, np.cumsum(vel) * (grid[1] - grid[0]))[:, None, None]
        stacks.append(series_stack(name, geom, dates, e, u, noise=1.5, rng=rng))
    res = ms.solve_multisensor(stacks, scene_densities=False)
    assert len(res.gaps) == 1
    per = res["period_process_noise"]
    assert per.shape == (2, 2) + shape
    assert np.median(per[0, 1]) > 1.5 * np.median(res["process_noise"][1])
    assert np.mean(np.isclose(per[1], res["process_noise"], rtol=1e-6)) >= 0.5
    assert np.all(per >= res["process_noise"][None] * (1 - 1e-6))
    # the scene's priors: the Envisat period's mean density stands far above the Sentinel-1 period's, whose pixels
    # keep the whole series' density or their own small one; no period below it
    problem = ms.MultisensorProblem(stacks, shape=shape)
    prior = problem.calibrate(problem.sources())
    # (the prior varies over the scene: its mean on every sampled node; the wander here is the same everywhere)
    assert np.min(prior["seg"][0][1][0]) > 100 * max(np.max(prior["seg"][1][1][0]), 0.1)
    res = ms.solve_multisensor(stacks)
    per = res["period_process_noise"]
    assert np.all(per[1] <= np.maximum(res["process_noise"], 0.1))
    assert np.all(per >= res["process_noise"][None] * (1 - 1e-6))


def test_scene_prior_recovers_the_mean_and_spread_of_known_densities():
    """Densities drawn around 3 with a spread of 2 over the ground, each seen with its own noise (variance 1 to 400):
    the random-effects moments give back the mean and the spread, and shrinking each estimate toward that prior by
    their precisions lowers the error of every noise class (the posterior mean's error is the harmonic
    combination ``tau^2 v / (tau^2 + v)``)."""
    rng = np.random.default_rng(21)
    n = 20000
    theta = rng.normal(3.0, 2.0, n)
    v = rng.choice([1.0, 25.0, 400.0], n)
    q = theta + rng.normal(0.0, np.sqrt(v))
    m, tau2, var_m = ms._scene_prior(q, v)
    assert var_m == pytest.approx(1.0 / np.sum(1.0 / (v + tau2)))
    assert abs(m - 3.0) < 0.1 and abs(tau2 - 4.0) < 0.6
    post = ms._shrink(q, v, (m, tau2))
    for vc in (1.0, 25.0, 400.0):
        sel = v == vc
        mse = np.mean((post[sel] - theta[sel]) ** 2)
        assert mse < np.mean((q[sel] - theta[sel]) ** 2)
        assert mse == pytest.approx(4.0 * vc / (4.0 + vc), rel=0.1)
    # no estimate: the prior mean; no spread over the ground: every pixel takes the mean
    assert ms._shrink(np.array([np.nan]), np.array([1.0]), (m, tau2))[0] == m
    np.testing.assert_allclose(ms._shrink(q[:5], v[:5], (2.5, 0.0)), 2.5)


def test_scene_prior_of_one_estimate_that_outweighs_the_rest_has_no_spread_and_no_warning():
    """A reference pixel's estimate (noise variance 1e-20) outweighs the others beyond float precision: the spread
    cannot be told (0, not the NaN of a 0 / 0 that poisoned the prior before, with numpy's divide warnings); a
    variance whose inverse overflows counts as no estimate."""
    import warnings

    q = np.array([0.0, 2.0, 3.5, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m, tau2, var_m = ms._scene_prior(q, np.array([1e-20, 1.0, 4.0, 2.0]))
        assert abs(m) < 1e-12 and tau2 == 0.0 and 0 < var_m <= 1e-20
        assert all(np.isfinite(ms._scene_prior(q, np.array([1e-320, 1.0, 4.0, 2.0]))))


def test_grid_prior_separates_still_from_wandering_ground():
    """Seven pixels in ten do not wander, three wander at 40 mm^2/yr^3: the grid prior (NPMLE over a fixed grid of
    densities) puts about 0.7 of its weight at or near zero and about 0.3 near 40, for the signed estimates (normal
    likelihood) and for velocity changes across a gap (the exact likelihood of ``dv ~ N(0, b + theta T)``); each
    pixel's posterior mean then sits near zero on still ground and near 40 where it wanders, where the moments'
    shrinkage gives every still pixel a share of the wandering ones' density."""
    rng = np.random.default_rng(5)
    n = 4000
    wander = rng.uniform(size=n) < 0.3
    theta = np.where(wander, 40.0, 0.0)
    grid = ms._DENSITY_GRID
    # signed estimates, noise variance 4 to 25
    v = rng.choice([4.0, 25.0], n)
    q = theta + rng.normal(0.0, np.sqrt(v))
    pr = ms._grid_prior(q, v, "normal")
    assert np.sum(pr[3][grid < 5]) == pytest.approx(0.7, abs=0.04)
    assert np.sum(pr[3][(grid > 25) & (grid < 60)]) == pytest.approx(0.3, abs=0.04)
    post = ms._shrink(q, v, pr)
    assert np.median(post[~wander]) < 1.0 and 30 < np.median(post[wander]) < 50
    moments = ms._shrink(q, v, ms._scene_prior(q, v))
    assert np.median(post[~wander]) < 0.5 * np.median(moments[~wander])
    # velocity changes across a gap of T = 4 years, noise power b
    t_gap, b = 4.0, rng.choice([2.0, 8.0], n)
    dv = rng.normal(0.0, np.sqrt(b + theta * t_gap))
    q_c, v_c = (dv * dv - b) / t_gap, 0.5 * (b / t_gap) ** 2
    pc = ms._grid_prior(q_c, v_c, "change")
    assert np.sum(pc[3][grid < 5]) == pytest.approx(0.7, abs=0.05)
    post_c = ms._shrink(q_c, v_c, pc)
    # one velocity change is one chi-square draw of one degree of freedom: a still pixel keeps some doubt
    assert np.median(post_c[~wander]) < 6.0 and 20 < np.median(post_c[wander]) < 60
    # no estimate: the prior's mean
    assert ms._shrink(np.array([np.nan]), np.array([1.0]), pr)[0] == pytest.approx(pr[0])


@pytest.mark.parametrize("share", [1.0, 2.0])
def test_gap_change_likelihood_matches_its_estimate(monkeypatch, share):
    """The gap's estimate ``q = (dv^2 - k s^2) / T`` with its variance ``v = 2 s^4 / T^2`` (the square of a normal
    ``dv`` of variance ``s^2``) is read by the grid's "change" likelihood as the normal density of ``dv`` with variance
    ``k s^2 + theta T``, whatever the noise share ``k``: the likelihood and the estimate count the noise alike."""
    monkeypatch.setattr(ms.density, "_GAP_NOISE_SHARE", share)  # where the likelihood reads it
    t_gap = 3.5
    s2 = np.array([0.7, 2.0, 9.0])
    dv = np.array([0.4, -3.0, 5.5])
    q, v = (dv * dv - share * s2) / t_gap, 2.0 * s2 * s2 / t_gap ** 2
    ll = ms._grid_loglik(q, v, "change")
    var = share * s2[:, None] + ms._DENSITY_GRID[None, :] * t_gap
    exact = -0.5 * np.log(var) - 0.5 * dv[:, None] ** 2 / var
    diff = ll - exact
    np.testing.assert_allclose(diff - diff[:, :1], 0.0, atol=1e-9)


def _gap_no_wander_stacks(rng, shape):
    stacks = []
    for name, geom, start, step, n, noise in (("ENV-asc", (23.0, -13.0), D0, 35, 60, 2.0),
                                              ("ENV-desc", (23.0, 193.0), D0 + dt.timedelta(days=17), 35, 60, 2.0),
                                              ("ALOS-asc", (38.7, -10.0), D0 + dt.timedelta(days=1500), 46, 14, 10.0),
                                              ("S1-asc", ASC, D0 + dt.timedelta(days=3400), 12, 150, 2.0),
                                              ("S1-desc", DESC, D0 + dt.timedelta(days=3406), 12, 150, 2.0)):
        dates = dates_every(step, n, start)
        e, u = truth(dates, D0, shape)
        stacks.append(series_stack(name, geom, dates, e, u, noise=noise, rng=rng))
    return stacks


@functools.cache
def _gap_no_wander_solution(seed, scene):
    """The solve of :func:`_gap_no_wander_stacks` on a 10 x 20 grid drawn from ``seed`` (scene priors or fixed
    floors), made once per module: the same inputs give the same result, so tests that read the same solve share
    it (tests only read it)."""
    stacks = _gap_no_wander_stacks(np.random.default_rng(seed), (10, 20))
    return ms.solve_multisensor(stacks, scene_densities=scene)


def test_scene_priors_are_less_conservative_across_a_gap_than_the_fixed_floors():
    """A motion without wander across a 3.6-year gap (three noise draws): the fixed floors make the bridge's sigma
    about twice the error (z spread near 0.5); the scene's priors (densities shrunk toward a mean near zero)
    raise the spread by at least 0.05 in each draw and keep 95 % of the pixels within 2-sigma."""
    shape = (10, 20)
    for seed in (7, 8, 9):
        spreads = {}
        for scene in (True, False):
            res = _gap_no_wander_solution(seed, scene)
            g = res.gaps[0]
            te, tu = truth([g.last_before, g.first_after], D0, shape)
            zs = [((res["gap_displacement"][0, ci] - (t[1] - t[0])) / res["gap_sigma"][0, ci]).ravel()
                  for ci, t in ((0, te), (1, tu))]
            assert all(np.mean(np.abs(z) < 2) >= 0.95 for z in zs)
            spreads[scene] = [float(np.sqrt(np.mean(z ** 2))) for z in zs]
            if scene:
                assert any("the scene's prior from 200 sampled pixels" in line for line in res.report)
        assert all(a >= b + 0.05 for a, b in zip(spreads[True], spreads[False])), spreads


def test_scene_prior_keeps_the_density_of_pixels_whose_velocity_wanders():
    """Half the pixels' velocity wanders (an independent random walk of 300 mm^2/yr^3 in up), half does not: the
    shrunk density of the wandering half stays ten times that of the steady half (near the truth), and across the gap
    neither half is over-confident (z rms at most 1.25)."""
    rng = np.random.default_rng(12)
    shape = (8, 12)
    wander = np.zeros(shape, bool)
    wander[:, 6:] = True
    grid = np.linspace(0.0, 14.0, 1400)
    dt_y = grid[1] - grid[0]
    vel = np.cumsum(rng.normal(0.0, np.sqrt(300.0 * dt_y), (1400,) + shape), axis=0)
    disp = np.cumsum(vel, axis=0) * dt_y * wander[None]
    stacks = []
    for name, geom, start, step, n in _envisat_then_s1(3400, 60, 150):
        dates = dates_every(step, n, start)
        e, u = truth(dates, D0, shape)
        t = years(dates, D0)
        u = u + np.stack([disp[min(int(round(ti / dt_y)), 1399)] for ti in t])
        stacks.append(series_stack(name, geom, dates, e, u, noise=2.0, rng=rng))
    res = ms.solve_multisensor(stacks)
    q = res["process_noise"][1]
    assert np.median(q[wander]) > 10 * np.median(q[~wander])
    assert 150 < np.median(q[wander]) < 600
    g = res.gaps[0]
    te, tu = truth([g.last_before, g.first_after], D0, shape)
    ia, ib = (min(int(round(years([d], D0)[0] / dt_y)), 1399) for d in (g.last_before, g.first_after))
    z = (res["gap_displacement"][0, 1] - (tu[1] - tu[0]) - (disp[ib] - disp[ia])) / res["gap_sigma"][0, 1]
    for half in (wander, ~wander):
        # 48 pixels a half: the fraction within 2-sigma of an honest sigma (95 %) scatters by 3 %
        assert np.mean(np.abs(z[half]) < 2) >= 0.85 and np.sqrt(np.mean(z[half] ** 2)) <= 1.25


@pytest.mark.parametrize("local", [0, 3])
def test_scene_prior_depends_on_the_grid_alone_and_travels_to_workers(local):
    """The pixel sample is fixed by the grid's shape; the prior calibrated once is the same from arrays or sources
    and is pickled with the problem (a worker solves with it, same bytes); a prior that varies over the scene
    (``local_prior_nodes``, with the scene's median noise weights) too."""
    import pickle

    from insar_geohazards.algorithms.engine import ArraySource

    rng = np.random.default_rng(13)
    shape = (70, 90)
    prob = ms.MultisensorProblem(_two(shape, 40, noise=1.0, rng=rng), shape=shape, local_prior_nodes=local,
                                 design_weights=bool(local), exact_density_variance=bool(local))
    r, c = prob.sample_pixels()
    assert r.size == 32 and c.size == 64 and r[0] == 0 and r[-1] == 69 and c[-1] == 89
    src = prob.sources()
    a = prob.calibrate(src)
    b = prob.calibrate({k: ArraySource(v) for k, v in src.items()})
    assert a["n"] == 32 * 64
    if local:
        # the prior varies over the scene: a mean and a spread on every sampled node
        assert a["all"][1][0].shape == (32, 64) and a["all"][1][1].shape == (32, 64)
    for key in ("all", "seg"):
        np.testing.assert_equal(a[key], b[key])
    worker = pickle.loads(pickle.dumps(prob))
    np.testing.assert_equal(worker.scene_prior["all"], a["all"])
    # rows 10-13 as a raster read gives them (C-ordered arrays; a view of the rows would have numba compile the
    # solver's kernels a second time, for that layout, in this test alone)
    block = {k: np.asarray(v)[..., 10:14, :].copy() for k, v in src.items()}
    x, y = prob.solve_arrays(block, (4, 90)), worker.solve_arrays(block, (4, 90))
    for key in x:
        np.testing.assert_array_equal(x[key], y[key])



def test_a_gap_bordered_by_one_geometry_keeps_its_own_density_under_the_scene_prior():
    """Descending alone for three years, both geometries for one, ascending alone for two, a 3.5-year gap, then
    both: a steady motion, so the scene's prior of the gap is near zero. The year before the gap is seen by one
    geometry, so how the velocity's change splits between east and up is not observed there: the gap's density
    stays at least each pixel's own change floored as without calibration (min_gap_process_noise), where shrinking
    alone takes it lower; with RADARSAT-2 until the gap (both geometries on each side) it shrinks below that floor."""
    shape = (6, 10)

    def solve(n_rs2):
        rng = np.random.default_rng(5)
        stacks = []
        for name, geom, start, step, n in (("RS2-desc", DESC, D0, 24, n_rs2),
                                           ("TSX", (28.0, -10.0), D0 + dt.timedelta(days=1100), 11, 170),
                                           ("S1-asc", ASC, D0 + dt.timedelta(days=4200), 12, 90),
                                           ("S1-desc", DESC, D0 + dt.timedelta(days=4205), 12, 90)):
            dates = dates_every(step, n, start)
            e, u = truth(dates, D0, shape)
            stacks.append(series_stack(name, geom, dates, e, u, noise=2.0, rng=rng))
        return ms.solve_multisensor(stacks)

    one = solve(60)
    assert len(one.gaps) == 1
    assert any("seen by one geometry only (TSX)" in line for line in one.report)
    assert any("the scene's prior from" in line for line in one.report)
    qg = one["gap_process_noise"][0]
    assert np.isfinite(qg).all() and np.all(qg >= 0.25 * (1 - 1e-6))
    # RADARSAT-2 until the gap: both geometries on each side, and the gap's density shrinks below that floor
    both = solve(124)
    assert not any("seen by one geometry only (TSX)" in line for line in both.report)
    assert np.median(both["gap_process_noise"][0]) < 0.25


def test_density_estimate_variance_under_noise_alone_counts_correlated_modes_and_the_noise_estimate():
    """White noise alone on an Envisat-like series (40 dates, 35 days): the signed density estimates scatter as the
    full variance says (the slow modes' coefficients are correlated, and the subtracted white-noise power is itself
    estimated from 38 lag residuals); the diagonal alone understates the scatter."""
    rng = np.random.default_rng(31)
    dates = dates_every(35, 40, D0)
    n_pix = 6000
    y = rng.normal(0.0, 2.0, (40, n_pix))
    stats = ms._series_statistics_design(dates, None, 3)
    t, basis, pinv, kl, g_irw, h_noise, d_net, d_lag1 = stats
    s_est, q_est = np.empty(n_pix), np.empty(n_pix)
    mk.series_statistics(t, basis, pinv, kl, g_irw, h_noise, d_net, d_lag1, np.ascontiguousarray(y), 8,
                         np.zeros(n_pix), s_est, q_est, np.zeros((0, n_pix)))
    design = ms._density_noise_design(stats, None)
    zero = np.zeros(n_pix)
    g_sum = float(np.sum(g_irw))
    # at the true noise the full variance is the scatter of the estimates; the diagonal alone falls short
    full = ms._density_noise_variance(design, np.full(n_pix, 4.0), zero, g_sum, True, h_noise, d_net)
    diag = ms._density_noise_variance(design, np.full(n_pix, 4.0), zero, g_sum, False, h_noise, d_net)
    assert np.var(q_est) == pytest.approx(full[0], rel=0.08)
    assert np.var(q_est) > 1.2 * diag[0]  # 275 against 206 (full: 269)


def test_cross_products_tell_east_from_up_where_the_squares_cannot():
    """A symmetric ascending + descending pair (the same incidence): each stack's own density sees
    ``e^2 q_E + u^2 q_U`` with the same ``e^2``, so east and up share it alike; the products of the two stacks'
    slow-mode coefficients see ``-e^2 q_E + u^2 q_U`` and separate them. The velocity wanders in up only (a random
    walk of 400 mm^2/yr^3, an independent draw per pixel): with the products east's density falls far below up's."""
    rng = np.random.default_rng(17)
    shape = (8, 10)
    n_pix = shape[0] * shape[1]
    dates_a = dates_every(12, 240, D0)
    dates_d = dates_every(12, 240, D0 + dt.timedelta(days=6))
    grid = np.linspace(0.0, 8.0, 1601)
    vel = np.cumsum(rng.normal(0.0, np.sqrt(400.0 * (grid[1] - grid[0])), (grid.size, n_pix)), axis=0)
    disp = np.cumsum(vel, axis=0) * (grid[1] - grid[0])
    stacks = []
    for name, geom, dates in (("asc", (39.0, -10.0), dates_a), ("desc", (39.0, 190.0), dates_d)):
        t = np.array(years(dates, D0))
        wander = np.stack([np.interp(t, grid, disp[:, i]) for i in range(n_pix)], axis=1).reshape((len(dates),) + shape)
        e, u = truth(dates, D0, shape)
        stacks.append(series_stack(name, geom, dates, e, u + wander, noise=1.5, rng=rng))
    dens = {}
    for cp in (False, True):
        res = ms.solve_multisensor(stacks, cross_products=cp, scene_densities=False)
        dens[cp] = np.median(res["process_noise"].reshape(2, -1), axis=1)
    # the squares alone: the same density in east and up
    assert dens[False][0] == pytest.approx(dens[False][1], rel=1e-6)
    # the products: up keeps the wander, east falls to a small fraction of it
    assert dens[True][1] > 100 and dens[True][0] < 0.2 * dens[True][1]


@pytest.mark.parametrize("n_dates, step", [(20, 46), (60, 35)])
def test_subtracted_noise_power_made_mean_unbiased(n_dates, step):
    """White noise alone: the median-based noise estimate is right in the median but its square is too large on
    average (``1 + 2 b + c / 4``: the sample median's bias and the estimate's own scatter), so a density estimate that
    subtracts it runs negative; divided by that factor, the estimates are centred on the zero truth."""
    rng = np.random.default_rng(41)
    dates = dates_every(step, n_dates, D0)
    n_pix = 8000
    y = rng.normal(0.0, 2.0, (n_dates, n_pix))
    stats = ms._series_statistics_design(dates, None, 3)
    t, basis, pinv, kl, g_irw, h_noise, d_net, d_lag1 = stats
    s_est, q_est = np.empty(n_pix), np.empty(n_pix)
    mk.series_statistics(t, basis, pinv, kl, g_irw, h_noise, d_net, d_lag1, np.ascontiguousarray(y), 8,
                         np.zeros(n_pix), s_est, q_est, np.zeros((0, n_pix)))
    bias = ms._noise_power_bias(n_dates)
    assert np.median(s_est ** 2) / 4.0 == pytest.approx(1.0, abs=0.03)
    assert np.mean(s_est ** 2) / 4.0 == pytest.approx(bias, abs=0.025)
    se = q_est.std() / np.sqrt(n_pix)
    q_u = q_est + (s_est ** 2 - s_est ** 2 / bias) * np.sum(h_noise) / np.sum(g_irw)
    assert q_est.mean() < -4 * se
    assert abs(q_u.mean()) < 3 * se


def test_scene_prior_of_ground_without_wander_sits_at_zero_once_the_weights_do_not_share_the_noise_estimate():
    """Independent pixels, white noise, no wander (the truth of every density 0). Weighed by their own noise
    estimate, which the density estimate subtracts (a low noise estimate raises both the estimate and its weight),
    the sampled estimates lean positive and scatter more than their variance says: the scene's prior comes out with
    a positive mean and a spread read as wander. With the variance at the stack's median noise, the scatter of the
    subtracted noise power counted, and that power made mean-unbiased, the prior sits at zero."""
    rng = np.random.default_rng(5)
    shape = (32, 64)
    stacks = _no_wander_stacks(rng, shape)
    priors = {}
    for fixed in (False, True):
        opts = dict(exact_density_variance=True, design_weights=True, unbiased_noise_power=True) if fixed else {}
        problem = ms.MultisensorProblem(stacks, shape=shape, **opts)
        priors[fixed] = [p[:2] for p in problem.calibrate(problem.sources())["all"]]
    for m, tau2 in priors[False]:
        assert m > 0.4 and tau2 > 5.0  # 0.73 / 1.30 mm^2/yr^3, spread^2 19 / 22
    for m, tau2 in priors[True]:
        assert m < 0.1 and tau2 < 1.0  # 0 / 0


def _shared_noise_stacks(rng, shape, shared, own=2.0):
    """The four stacks of :func:`_no_wander_stacks` with a noise per date made of a part every pixel shares (sd
    ``shared``, one draw per date: an atmosphere as wide as the scene) and each pixel's own (sd ``own``)."""
    stacks = _no_wander_stacks(rng, shape, noise=own)
    out = []
    for s in stacks:
        common = rng.normal(0.0, shared, (len(s.dates), 1, 1)) if shared else 0.0
        v = s.values + common
        out.append(ms._replace(s, values=v - v[0]))
    return out


@pytest.mark.parametrize("shared", [0.0, 2.0])
def test_effective_number_of_independent_pixels_from_the_residuals_spatial_correlation(shared):
    """Pixels whose noise is their own: the sample is worth about all its pixels (``n / n_eff`` near 1). Half the
    noise's variance shared by the whole scene: two pixels' noises correlate by 0.5, their density estimates by
    0.25, and the sample's mean is worth about 4 pixels (``n / n_eff = 1 + (n - 1) 0.25``)."""
    rng = np.random.default_rng(21)
    shape = (16, 32)
    problem = ms.MultisensorProblem(_shared_noise_stacks(rng, shape, shared), shape=shape, prior_mean_error=True)
    pr = problem.calibrate(problem.sources())
    n = pr["n"]
    for infl in pr["inflation"]["all"]:
        if shared:
            assert 0.6 < infl / (1 + (n - 1) * 0.25) < 1.5
        else:
            assert infl < 1 + 0.02 * n
    assert any("independent pixels" in line for line in pr["lines"])


def test_prior_mean_shrunk_by_its_own_standard_error_where_the_scene_shares_its_noise():
    """No wander, half the noise shared by the scene: the scene's prior mean (truth 0) as estimated is one draw
    of the shared noise, clipped at zero, and comes out positive in two of four seeds (0.3-12 mm^2/yr^3, 0.5-15
    times the error it states for independent pixels); treated as one more noisy estimate (its square less its
    standard error's square at the effective number of pixels, 5-6 mm^2/yr^3 here) the draws within that error
    fall to zero and the others shrink by its share (a chi-square-like draw of a few slow modes can lie 1.5
    errors above the truth: seed 0 keeps 7.3 and 10.8). A mean far above its error is kept."""
    shape = (16, 32)
    raw, fixed = [], []
    for seed in range(4):
        stacks = _shared_noise_stacks(np.random.default_rng(100 + seed), shape, 2.0)
        for opt, acc in ((False, raw), (True, fixed)):
            problem = ms.MultisensorProblem(stacks, shape=shape, prior_mean_error=opt)
            acc.extend(p[0] for p in problem.calibrate(problem.sources())["all"])
    assert all(f <= r for f, r in zip(fixed, raw)) and max(raw) > 5.0
    assert sum(f == 0.0 for f in fixed) == 6 and sum(r == 0.0 for r in raw) == 4
    # the square's noise subtracted: a mean of 10 standard errors keeps 99.5 % of itself
    rng = np.random.default_rng(3)
    q = 10.0 + rng.normal(0.0, 1.0, 400)
    m, _, var_m = ms._scene_prior(q, np.ones(400), inflation=100.0, mean_error=True)
    assert abs(var_m - 0.25) < 0.01 and 9.7 < m < 10.3
    assert ms._scene_prior(q - 10.0, np.ones(400), inflation=100.0, mean_error=True)[0] < 0.5
    # carried into the spread instead: the mean kept, its squared error added to the spread over the ground
    plain, spread = ms._scene_prior(q, np.ones(400)), ms._scene_prior(q, np.ones(400), inflation=100.0,
                                                                      mean_spread=True)
    assert spread[0] == plain[0] and abs(spread[1] - plain[1] - spread[2]) < 1e-12 and abs(spread[2] - 0.25) < 0.01
