"""Offset tracking and offset time series core: synthetic truths from three texture generators."""

import numpy as np
import pytest
import testutils_kinematics as kt

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.kinematics import offset_timeseries as ots
from insar_geohazards.algorithms.kinematics import offsets as off


def _errors(r, ty, tx):
    ok = np.isfinite(r["dx"])
    return ok, np.concatenate([(r["dx"] - tx)[ok], (r["dy"] - ty)[ok]])


@pytest.mark.parametrize("kind", ["smooth", "fractal", "speckle"])
def test_subpixel_translation_within_005_px(kind):
    img = kt.texture((192, 192), kind, seed=11)
    rng = np.random.default_rng(4)
    errs = []
    for _ in range(2):
        dy, dx = rng.uniform(-3, 3, 2)
        r = off.offset_field(img, kt.fourier_shift(img, dy, dx), window=32, search=6, step=16)
        ok, e = _errors(r, dy, dx)
        assert ok.sum() >= 40
        errs.append(e)
    assert np.sqrt(np.mean(np.concatenate(errs) ** 2)) <= 0.05


@pytest.mark.parametrize("kind", ["smooth", "speckle"])
def test_rotation_and_translation_spline_warp(kind):
    img = kt.texture((224, 224), kind, seed=5)
    sec, truth = kt.affine_pair(img, rotation_deg=1.5, dy=0.8, dx=-1.6)
    r = off.offset_field(img, sec, window=32, search=8, step=16)
    rr, cc = kt.cell_centres(*r["dx"].shape, step=16, shift_px=r["shift_px"])
    ty, tx = truth(rr, cc)
    ok, e = _errors(r, ty, tx)
    assert ok.sum() >= 60 and np.sqrt(np.mean(e ** 2)) <= 0.05


@pytest.mark.parametrize("method", ["parabolic", "gaussian"])
def test_ncc_fit_methods_are_close(method):
    img = kt.texture((160, 160), "smooth", seed=2)
    r = off.offset_field(img, kt.fourier_shift(img, 1.25, -2.4), window=32, search=6, step=16, subpixel=method)
    ok, e = _errors(r, 1.25, -2.4)
    assert ok.sum() >= 20 and np.abs(e).max() < 0.15


@pytest.mark.parametrize("kind", ["smooth", "fractal", "speckle"])
def test_unrelated_images_give_no_confident_offset(kind):
    a, b = kt.texture((224, 224), kind, seed=1), kt.texture((224, 224), kind, seed=2)
    r = off.offset_field(a, b, window=64, search=16, step=16)
    assert not np.isfinite(r["dx"]).any()
    assert set(np.unique(r["flag"])) <= {off.FLAG_OUTSIDE, off.FLAG_BORDER, off.FLAG_LOW_NCC, off.FLAG_AMBIGUOUS}


def test_flat_and_half_flat_images():
    flat = np.full((128, 128), 3.0)
    r = off.offset_field(flat, flat, window=32, search=4, step=16)
    assert not np.isfinite(r["dx"]).any() and (r["flag"] == off.FLAG_FLAT).sum() > 0
    img = kt.texture((192, 192), "fractal", seed=4)
    sec = kt.fourier_shift(img, 1.2, -0.4)
    img[:, 96:] = 100.0
    sec[:, 96:] = 100.0
    r = off.offset_field(img, sec, window=32, search=8, step=16)
    assert not np.isfinite(r["dx"][:, 7:]).any()  # windows entirely in the flat half
    inside = {k: r[k][:, :5] for k in ("dx", "dy")}  # windows entirely in the textured half
    ok, e = _errors(inside, 1.2, -0.4)
    assert ok.sum() >= 10 and np.sqrt(np.mean(e ** 2)) < 0.05


def _snow_cells(ref, sec, snow, field, window, **kw):
    """(cells centred over the patch, of them valid, valid cells whose window misses the patch, their RMS error)."""
    from scipy import ndimage

    r = off.offset_field(ref, sec, window=window, search=6, step=8, **kw)
    rr, cc = kt.cell_centres(*r["dx"].shape, step=8, shift_px=r["shift_px"])
    at = (np.clip(np.round(rr).astype(int), 0, snow.shape[0] - 1), np.clip(np.round(cc).astype(int), 0,
                                                                             snow.shape[1] - 1))
    ok = np.isfinite(r["dx"])
    over = snow[at]
    clear = ndimage.uniform_filter(snow.astype(float), size=window, mode="constant")[at] == 0
    ty, tx = field(rr, cc)
    err = np.hypot(r["dx"] - tx, r["dy"] - ty)[ok & clear]
    return int(over.sum()), int((ok & over).sum()), int((ok & clear).sum()), float(np.sqrt(np.mean(err ** 2)))


@pytest.mark.parametrize("kind", ["smooth", "fractal", "speckle"])
@pytest.mark.parametrize("noise_frac", [0.03, 0.05])
@pytest.mark.parametrize("patch, both", [((100, 116, 120, 136), False), ((96, 160, 128, 192), False),
                                         ((40, 230, 130, 250), True)])
def test_noisy_featureless_patch_gets_no_offset(kind, noise_frac, patch, both):
    """A featureless patch (snow) with sensor noise 3-5 x 1 % of the texture's spread, half a window to most of the
    image, in the secondary or in both images, on a sliding textured ground: no cell centred over it gets a value
    (without the noise test 3-42 of them did, at 2-10 x the error of the textured cells), and no textured
    cell is lost."""
    ref, sec, snow, field = kt.snow_scene(kind, noise_frac=noise_frac, patch=patch, both=both, seed=3)
    over, over_kept, clear_kept, err = _snow_cells(ref, sec, snow, field, 32)
    assert over >= 4 and over_kept == 0
    _, _, clear_before, err_before = _snow_cells(ref, sec, snow, field, 32, noise=(0.0, 0.0))
    assert clear_kept == clear_before >= 150 and err == err_before < 0.25


def test_noise_estimates():
    """Immerkaer's robust estimate recovers white noise under a smooth texture (within 5 %); the pair bound never
    exceeds either image's own estimate and, on two real Sentinel-1 coherence maps of the same ground, is the
    lower one (their common pixel-scale texture cancels in the difference)."""
    img = kt.texture((300, 280), "smooth", seed=2)
    rng = np.random.default_rng(5)
    for sigma in (0.05, 0.2, 1.0):
        noisy = img + rng.normal(0, sigma, img.shape)
        assert abs(off.noise_sigma(noisy) / sigma - 1) < 0.05 + 0.04 / sigma  # + the texture's own response
    assert off.noise_sigma(np.full((20, 20), 3.0)) == 0.0
    a, b = img + rng.normal(0, 0.3, img.shape), img + rng.normal(0, 0.3, img.shape)
    na, nb = off.pair_noise(a, b)
    assert na <= off.noise_sigma(a) and nb <= off.noise_sigma(b) and abs(na / 0.3 - 1) < 0.08
    strips = off.sampled_noise(lambda r0, r1: a[r0:r1], lambda r0, r1: b[r0:r1], a.shape[0])
    assert np.allclose(strips, (na, nb), rtol=0.05)
    # thresholds: 1 + 2 / sqrt(2 n) times the noise, n = 8 x 8 (window 32) to 16 x 16 (window 64)
    assert off.sub_block_pixels(32) == 64 and off.sub_block_pixels(64) == 256 and off.sub_block_pixels(16) == 64
    t = off.flat_thresholds(10.0, 1.0, 2.0, window=64)
    assert np.allclose(t, (1.0 + 2.0 / np.sqrt(512), 2.0 + 4.0 / np.sqrt(512)))
    assert off.flat_thresholds(10.0, 0.0, 0.0, window=64) == (0.1, 0.1)


def _coherence(name):
    import os

    from osgeo import gdal

    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "sentinel1_mexico_city", "geotiffs",
                        f"cropA_{name}_VV_8rlks_flat_eqa_cc.tif")
    if not os.path.exists(path):
        pytest.skip(f"real data missing: {path}")
    return gdal.Open(path).ReadAsArray().astype(np.float64)


@pytest.mark.parametrize("window", [16, 24, 32])
def test_real_pair_keeps_its_textured_cells(window):
    """Two real Sentinel-1 coherence maps of Mexico City (different dates, same grid: true offset 0, real noise):
    every cell the quality tests keep without the noise test is kept with it, at < 0.1 px RMS; a featureless
    patch given the images' own noise level is refused."""
    pytest.importorskip("osgeo", reason="GDAL reads the real data")
    a, b = _coherence("20180106-20180130"), _coherence("20180106-20180319")
    kw = dict(window=window, search=3, step=4, highpass_px=2)
    r = off.offset_field(a, b, **kw)
    before = off.offset_field(a, b, **kw, noise=(0.0, 0.0))
    ok = np.isfinite(r["dx"])
    assert ok.sum() == np.isfinite(before["dx"]).sum() >= 60
    assert np.sqrt(np.mean(r["dx"][ok] ** 2 + r["dy"][ok] ** 2)) < 0.1
    b2 = b.copy()
    b2[20:44, 40:72] = np.median(b) + np.random.default_rng(0).normal(0, r["noise"][1], (24, 32))
    r2 = off.offset_field(a, b2, **kw)
    rr, cc = kt.cell_centres(*r2["dx"].shape, step=4, shift_px=r2["shift_px"])
    over = (rr >= 20 + window / 4) & (rr < 44 - window / 4) & (cc >= 40 + window / 4) & (cc < 72 - window / 4)
    assert over.sum() >= 1 and not np.isfinite(r2["dx"][over]).any()


def test_nodata_windows_are_skipped():
    img = kt.texture((160, 160), "speckle", seed=3)
    sec = kt.fourier_shift(img, 0.5, 0.5)
    sec[60:70, 60:70] = np.nan
    r = off.offset_field(img, sec, window=32, search=4, step=16)
    assert (r["flag"] == off.FLAG_OUTSIDE).sum() > 0 and np.isfinite(r["dx"]).sum() > 10


def test_median_test_flags_an_outlier_not_a_gradient():
    rows, cols = np.mgrid[0:12, 0:12].astype(float)
    dx, dy = 0.5 * cols, -0.3 * rows  # strong linear gradient: nothing to flag
    assert not off.normalized_median_test(dx, dy).any()
    dx[5, 6] += 3.0
    bad = off.normalized_median_test(dx, dy)
    assert bad[5, 6] and bad.sum() == 1


def test_stable_bias_and_metric_conversion():
    img = kt.texture((192, 192), "speckle", seed=8)
    stable = np.zeros(img.shape, bool)
    stable[:, :96] = True
    r = off.offset_field(img, kt.fourier_shift(img, 0.3, 0.6), window=32, search=4, step=16, stable=stable)
    assert abs(r["bias"]["dx"] - 0.6) < 0.02 and abs(r["bias"]["dy"] - 0.3) < 0.02
    ok = np.isfinite(r["dx"])
    assert np.abs(r["dx"][ok]).max() < 0.05
    m = off.to_metric(np.array([1.0]), np.array([2.0]), (0, 10.0, 0, 0, 0, -10.0))
    assert m["first"][0] == 10.0 and m["second"][0] == -20.0
    assert abs(m["direction_deg"][0] - (180 - np.degrees(np.arctan(0.5)))) < 1e-9
    with pytest.raises(GeohazardError, match="pixel spacings"):
        off.to_metric(np.ones(1), np.ones(1), None)
    with pytest.raises(GeohazardError, match="STABLE_POLYGONS"):
        off.stable_bias(np.ones(3), np.ones(3), np.ones(3, bool))


def test_bad_options_are_named():
    img = np.ones((64, 64))
    with pytest.raises(GeohazardError, match="window"):
        off.offset_field(img, img, window=4)
    with pytest.raises(GeohazardError, match="secondary"):
        off.offset_field(img, img[:10], window=16, search=2)


def _network(n=8, span=3, seed=0, noise=0.01):
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.uniform(0.02, 0.06, n))
    d = 12.0 * (t - t[0]) + 0.5 * np.sin(2 * np.pi * t)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, min(n, i + span + 1))]
    pi, pj = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    y = (d[pj] - d[pi])[:, None] + rng.normal(0, noise, (len(pairs), 30))
    return t, d - d[0], pi, pj, y


def test_time_series_recovers_truth_and_rejects_a_gross_error():
    t, d, pi, pj, y = _network()
    y[4] += 3.0
    r = ots.offset_time_series(y[None], pi, pj, t)
    np.testing.assert_allclose(r["displacement"][0], d[:, None] * np.ones((1, 30)), atol=0.05)
    assert np.all(r["n_rejected"] >= 1) and np.all(r["n_networks"] == 1)
    assert np.all(r["sigma"][0, 0] == 0) and np.all(r["sigma"][0, 1:] < 0.05)


def test_weighted_solution_and_sigma_equal_numpy_lstsq():
    """Step 2 (banded Cholesky on the normal matrix) equals numpy's weighted least squares and
    s0^2 (A'WA)^-1 on a network with short and long pairs (dense and banded normal matrices)."""
    rng = np.random.default_rng(3)
    t, d, pi, pj, y = _network(n=9, span=2, seed=5, noise=0.05)
    long_pairs = [(0, 8), (1, 6), (2, 7)]
    pi = np.concatenate([pi, [p[0] for p in long_pairs]])
    pj = np.concatenate([pj, [p[1] for p in long_pairs]])
    y = np.concatenate([y, (d[pj[-3:]] - d[pi[-3:]])[:, None] + rng.normal(0, 0.05, (3, 30))])
    w = rng.uniform(0.5, 4.0, y.shape)
    for p_i, p_j, yy, ww in ((pi[:-3], pj[:-3], y[:-3], w[:-3]), (pi, pj, y, w)):
        r = ots.offset_time_series(yy[None], p_i, p_j, t, weights=ww, k_mad=1e6)
        a = np.zeros((p_i.size, t.size - 1))
        for q, (i, j) in enumerate(zip(p_i, p_j)):
            if i > 0:
                a[q, i - 1] = -1.0
            a[q, j - 1] = 1.0
        for px in (0, 7, 29):
            sw = np.sqrt(ww[:, px])
            x = np.linalg.lstsq(a * sw[:, None], yy[:, px] * sw, rcond=None)[0]
            np.testing.assert_allclose(r["displacement"][0, 1:, px], x, rtol=0, atol=1e-10)
            res = yy[:, px] - a @ x
            s02 = np.sum(ww[:, px] * res ** 2) / (p_i.size - a.shape[1])
            cov = s02 * np.linalg.inv(a.T @ (a * ww[:, px][:, None]))
            np.testing.assert_allclose(r["sigma"][0, 1:, px], np.sqrt(np.diag(cov)), rtol=1e-9)


def test_noise_free_network_rejects_nothing_and_bridges_survive():
    t, d, pi, pj, y = _network(noise=0.0)
    keep = ~((pi <= 3) & (pj >= 4))
    bridge = (pi == 3) & (pj == 4)
    keep |= bridge
    r = ots.offset_time_series(y[None, keep], pi[keep], pj[keep], t)
    assert np.all(r["n_rejected"] == 0)
    np.testing.assert_allclose(r["displacement"][0], d[:, None] * np.ones((1, 30)), atol=1e-9)
    y2 = y.copy()
    y2[bridge] += 5.0  # an error on the only link cannot be detected: it shifts the later dates
    r2 = ots.offset_time_series(y2[None, keep], pi[keep], pj[keep], t)
    assert np.all(r2["n_rejected"] == 0)


def test_disconnected_network_solved_per_component():
    t, d, pi, pj, y = _network()
    keep = ~((pi <= 3) & (pj >= 4))
    r = ots.offset_time_series(y[None, keep], pi[keep], pj[keep], t)
    assert np.all(r["n_networks"] == 2)
    lab = r["labels"][:, 0]
    assert len(set(lab[:4])) == 1 and len(set(lab[4:])) == 1 and lab[0] != lab[4]
    np.testing.assert_allclose(r["displacement"][0, 4], 0.0)
    np.testing.assert_allclose(r["displacement"][0, 5:, 0], d[5:] - d[4], atol=0.05)
    assert ots.network_components(len(t), pi[keep], pj[keep]) == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_no_redundancy_gives_nan_sigma_and_missing_pairs_are_skipped():
    t = np.array([0.0, 0.1, 0.2])
    pi, pj = np.array([0, 1]), np.array([1, 2])
    y = np.array([[[1.0, np.nan]], [[2.0, 2.0]]]).transpose(1, 0, 2)  # (1, 2 pairs, 2 px)
    r = ots.offset_time_series(y, pi, pj, t)
    assert np.isnan(r["sigma"][0, 1, 0]) and r["displacement"][0, 2, 0] == pytest.approx(3.0, abs=1e-12)
    assert np.isnan(r["displacement"][0, 0, 1])
    assert r["displacement"][0, 1, 1] == 0.0 and r["displacement"][0, 2, 1] == pytest.approx(2.0, abs=1e-12)
    with pytest.raises(GeohazardError, match="t_years"):
        ots.offset_time_series(y, pi, pj, t[::-1])


_FIELD_KEYS = ("dx", "dy", "ncc", "peak_ratio", "snr", "flag")


def _same_bytes(a, b):
    for k in _FIELD_KEYS:
        assert a[k].dtype == b[k].dtype and a[k].tobytes() == b[k].tobytes(), k


@pytest.mark.parametrize("window, search, step, subpixel", [
    (32, 6, 16, "dft"), (32, 6, 16, "parabolic"), (33, 5, 16, "dft"), (24, 4, 8, "dft")])
def test_blocks_and_threads_do_not_change_the_field(monkeypatch, window, search, step, subpixel):
    """Row blocks of any height (a multiple of the step or not, one output row each up to the whole image) and
    one or two threads give the same bytes: every sum is taken in an order fixed by the window, never by the
    block, the batch of cells sharing a BLAS call, or the thread. (33, 5, 16): no common tile, the per-cell
    search."""
    img = kt.texture((176, 152), "speckle", seed=9)
    sec = kt.fourier_shift(img, -1.3, 2.2)
    kw = dict(window=window, search=search, step=step, subpixel=subpixel)
    whole = off.offset_field(img, sec, **kw, block_rows=176)
    assert np.isfinite(whole["dx"]).sum() >= 20
    for rows in (step, 23, 37, 50, 101):
        _same_bytes(whole, off.offset_field(img, sec, **kw, block_rows=rows))
    for workers in ("1", "2"):  # scipy.fft threads over the batch of windows
        monkeypatch.setenv("INSAR_GEOHAZARDS_FFT_WORKERS", workers)
        off.levels._fft_backend.cache_clear()
        try:
            _same_bytes(whole, off.offset_field(img, sec, **kw, block_rows=50))
        finally:
            off.levels._fft_backend.cache_clear()
    numba = pytest.importorskip("numba", reason="thread counts only matter with numba")
    n0 = numba.get_num_threads()
    try:
        for n in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(n)
            _same_bytes(whole, off.offset_field(img, sec, **kw, block_rows=37))
    finally:
        numba.set_num_threads(n0)


def test_blocks_do_not_change_the_field_without_highpass():
    """Without the high-pass filter the images keep a large mean (removed once for all blocks)."""
    img = kt.texture((160, 144), "speckle", seed=9)
    sec = kt.fourier_shift(img, -1.3, 2.2)
    whole = off.offset_field(img + 5000.0, sec + 5000.0, window=32, search=6, step=16, highpass_px=0)
    ok, e = _errors(whole, -1.3, 2.2)
    assert ok.sum() >= 20 and np.sqrt(np.mean(e ** 2)) < 0.05  # single-precision correlations still exact
    for rows in (16, 29, 64):
        _same_bytes(whole, off.offset_field(img + 5000.0, sec + 5000.0, window=32, search=6, step=16,
                                            highpass_px=0, block_rows=rows))
    assert off.block_rows_for(144, window=32, search=6, step=16, max_memory_mb=1) == 16
    _same_bytes(whole, off.offset_field(img + 5000.0, sec + 5000.0, window=32, search=6, step=16, highpass_px=0,
                                        max_memory_mb=1))


_CPU_SCRIPT = """
import hashlib, sys
if __name__ == "__main__":
    sys.path[:0] = sys.argv[1:]
import numpy as np
import testutils_kinematics as kt
from insar_geohazards.algorithms.kinematics import offsets as off
img = kt.texture((160, 152), "speckle", seed=4)
sec = kt.fourier_shift(img, 0.8, -1.7)
h = hashlib.sha256()
for window, step, subpixel, rows in ((32, 16, "dft", 160), (33, 16, "dft", 37), (32, 16, "parabolic", 23)):
    r = off.offset_field(img, sec, window=window, search=5, step=step, subpixel=subpixel, block_rows=rows)
    assert np.isfinite(r["dx"]).sum() > 10
    for k in ("dx", "dy", "ncc", "peak_ratio", "snr", "flag"):
        h.update(np.ascontiguousarray(r[k]).tobytes())
digest = h.hexdigest()
if __name__ == "__main__":
    print(digest)
"""


@pytest.mark.heavy
def test_same_bytes_on_avx2_and_avx512_targets(tmp_path):
    """The numba kernels compiled for an AVX2 CPU (haswell; numpy's AVX-512 loops and OpenBLAS's AVX-512 kernels
    switched off too) and an AVX-512 one (skylake-avx512) give the same bytes as for this machine: no reduction
    reordered by the vector width, no fused multiply-add, no BLAS call, tables from Python's math."""
    pytest.importorskip("numba", reason="the CPU target is numba's")
    import os
    import subprocess
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    paths = [os.path.join(os.path.dirname(os.path.dirname(here)), ".build", "plugins"), os.path.dirname(here)]
    try:  # numpy's own AVX-512 loops, switched off for the AVX2 run
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:
        from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    avx512 = " ".join(f for f in __cpu_dispatch__ if "AVX512" in f and __cpu_features__.get(f))
    here_ns = {"__name__": "here"}
    exec(_CPU_SCRIPT, here_ns)  # this machine, in this process
    digests = {"host": here_ns["digest"]}
    for cpu in ("haswell", "skylake-avx512"):
        env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / cpu), "NUMBA_CPU_NAME": cpu}
        if cpu == "haswell":
            env["OPENBLAS_CORETYPE"] = "Haswell"
            if avx512:
                env["NPY_DISABLE_CPU_FEATURES"] = avx512
        run = subprocess.run([sys.executable, "-c", _CPU_SCRIPT, *paths], env=env, capture_output=True, text=True,
                             timeout=600)
        assert run.returncode == 0, run.stderr[-2000:]
        digests[cpu] = run.stdout.strip()
    assert len(set(digests.values())) == 1, digests


@pytest.mark.parametrize("window, search, step, subpixel, kind", [
    (32, 6, 16, "dft", "speckle"), (48, 5, 12, "dft", "fractal"), (24, 3, 8, "parabolic", "smooth")])
def test_shared_tiles_match_the_per_cell_search(monkeypatch, window, search, step, subpixel, kind):
    """The shared-tile integer search (window a multiple of gcd(window, step)) gives the offsets, quality and
    flags of the search that correlates every cell's own window, to single-precision rounding; with nodata
    and a flat patch in the way."""
    assert off.search._tile_size(window, search, step) > 0
    img = kt.texture((176, 160), kind, seed=12)
    sec = kt.fourier_shift(img, 1.7, -2.3)
    sec[100:110, 30:50] = np.nan
    img[20:60, 100:140] = 50.0
    sec[20:60, 100:140] = 50.0
    kw = dict(window=window, search=search, step=step, subpixel=subpixel)
    tiled = off.offset_field(img, sec, **kw)
    monkeypatch.setattr(off.field, "_tile_size", lambda *a: 0)
    own = off.offset_field(img, sec, **kw)
    np.testing.assert_array_equal(tiled["flag"], own["flag"])
    assert {off.FLAG_VALID, off.FLAG_OUTSIDE, off.FLAG_FLAT} <= set(np.unique(own["flag"]))
    for k, atol, rtol in (("dx", 1e-4, 0), ("dy", 1e-4, 0), ("ncc", 1e-5, 0), ("peak_ratio", 0, 1e-4),
                          ("snr", 0, 1e-4)):
        np.testing.assert_allclose(tiled[k], own[k], rtol=rtol, atol=atol, equal_nan=True)


def test_correlation_weights_favour_good_pairs():
    """A noisy pair given a low correlation weighs less: the weighted series is closer to the truth."""
    t, d, pi, pj, y = _network(noise=0.005, seed=3)
    rng = np.random.default_rng(5)
    noisy = np.arange(0, len(pi), 3)
    y[noisy] += rng.normal(0, 0.3, (noisy.size, y.shape[1]))  # not gross (k=3 keeps most), just poor
    rho = np.full(y.shape, 0.95)
    rho[noisy] = 0.3
    w = ots.correlation_weights(rho)
    assert w[noisy][0, 0] < 0.11 < 9.0 < w[1, 0]
    flat = ots.offset_time_series(y[None], pi, pj, t, k_mad=100.0)
    weighted = ots.offset_time_series(y[None], pi, pj, t, weights=w, k_mad=100.0)
    truth = d[:, None] * np.ones((1, y.shape[1]))
    err_flat = np.sqrt(np.mean((flat["displacement"][0] - truth) ** 2))
    err_w = np.sqrt(np.mean((weighted["displacement"][0] - truth) ** 2))
    assert err_w < 0.5 * err_flat
    assert np.all(ots.correlation_weights(np.array([np.nan])) == 0)


def _flags_by_removal(n_dates, pi, pj, use):
    """Reference rule, brute force: date d is unchecked when removing one used pair disconnects it from the
    first date of its component (scipy connected components of the graph without that pair)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    def comps(mask):
        g = coo_matrix((np.ones(int(mask.sum())), (pi[mask], pj[mask])), shape=(n_dates, n_dates))
        return connected_components(g, directed=False)[1]

    seen = np.zeros(n_dates, bool)
    seen[pi[use]] = True
    seen[pj[use]] = True
    lab = comps(use)
    ref = {lab[d]: d for d in range(n_dates - 1, -1, -1) if seen[d]}
    flags = np.where(seen, 0, -1)
    for p in np.nonzero(use)[0]:
        m = use.copy()
        m[p] = False
        lab2 = comps(m)
        for d in np.nonzero(seen)[0]:
            if lab2[d] != lab2[ref[lab[d]]]:
                flags[d] = 1
    return flags


def test_dates_resting_on_a_single_pair_are_flagged_exactly_there():
    """A date hanging on one pair (first, last) and a bridge inside the network: flagged exactly on the far
    side of the bridge from the component's first date, with or without a gross error on the bridge (which
    cannot be rejected and shifts those dates); a redundant network, or one where a gross error was
    rejected, has no flag."""
    t, d, pi, pj, y = _network(n=8, span=3, noise=0.0)
    cross = [(1, 4), (2, 4), (2, 5), (3, 5), (3, 6)]  # the pairs across dates 3 | 4 but (3, 4)
    cases = {  # pairs removed -> dates expected flagged
        "full": ([], []),
        "last hangs": ([(4, 7), (5, 7)], [7]),
        "inner bridge": (cross, [4, 5, 6, 7]),
        "first hangs": ([(0, 2), (0, 3)], [1, 2, 3, 4, 5, 6, 7]),
        "two components": (cross + [(3, 4)], []),  # two complete graphs of 4 dates
        "both": (cross + [(3, 4), (0, 2), (0, 3), (4, 7), (5, 7)], [1, 2, 3, 7]),
    }
    bridges = {"last hangs": (6, 7), "inner bridge": (3, 4), "first hangs": (0, 1), "both": (0, 1)}
    for gross in (0.0, 8.0):
        for name, (removed, expect) in cases.items():
            yy = y.copy()
            for i, j in removed:
                yy[(pi == i) & (pj == j)] = np.nan
            if name in bridges:
                yy[(pi == bridges[name][0]) & (pj == bridges[name][1])] += gross
            else:
                yy[(pi == 4) & (pj == 5)] += gross  # a redundant pair: rejected, leaves no bridge
            r = ots.offset_time_series(yy[None], pi, pj, t)
            want = np.zeros(8, int)
            want[expect] = 1
            np.testing.assert_array_equal(r["unchecked"], np.repeat(want[:, None], 30, axis=1), err_msg=name)
            assert np.all(r["n_unchecked"] == len(expect)), name
            if name in bridges and gross:
                assert np.all(r["n_rejected"] == 0)  # undetectable: the flagged dates carry the error
                far = [1, 2, 3] if name == "both" else expect  # "both": the bridge (0, 1) moves dates 1-3
                err = r["displacement"][0, far] - (d[far] - d[0])[:, None]
                np.testing.assert_allclose(np.abs(err), 8.0, atol=1e-9, err_msg=name)
            elif name == "full" and gross:
                assert np.all(r["n_rejected"] == 1)
                np.testing.assert_allclose(r["displacement"][0], d[:, None] * np.ones((1, 30)), atol=1e-9)
            if name in ("two components", "both"):
                assert np.all(r["n_networks"] == 2)


@pytest.mark.parametrize("seed,n,span,missing", [(1, 10, 3, 0.45), (2, 16, 2, 0.3), (3, 7, 6, 0.6)])
def test_unchecked_flags_equal_brute_force_on_random_networks(seed, n, span, missing):
    """Tarjan low-link bridges + 2-edge-connected classes equal the brute-force rule (remove each pair, test
    connectivity) on random networks with many missing pairs (no noise: nothing rejected)."""
    rng = np.random.default_rng(seed)
    t, d, pi, pj, y = _network(n=n, span=span, seed=seed, noise=0.0)
    y = np.repeat(y[:, :1], 200, axis=1)
    y[rng.random(y.shape) < missing] = np.nan
    r = ots.offset_time_series(y[None], pi, pj, t)
    assert np.all(r["n_rejected"] == 0)
    n_flag = 0
    for px in range(y.shape[1]):
        want = _flags_by_removal(n, pi, pj, np.isfinite(y[:, px]))
        np.testing.assert_array_equal(r["unchecked"][:, px], want, err_msg=f"pixel {px}")
        n_flag += int(np.sum(want == 1))
    assert n_flag > 50 and np.array_equal(r["n_unchecked"], np.sum(r["unchecked"] == 1, axis=0))


def _chain(n, span):
    return np.array([(i, j) for i in range(n) for j in range(i + 1, min(n, i + span + 1))]).T


def test_noise_only_sparse_network_keeps_its_good_pairs():
    """0.02 m noise, 9 pairs over 6 dates (each date with the next 2). A MAD scale of a few
    near-zero robust residuals rejected good pairs at a quarter of the pixels (and dropped last dates); data
    snooping with k = 3 loses a pair with probability ~erfc(3 / sqrt 2) = 0.27 % per pixel."""
    rng = np.random.default_rng(0)
    pi, pj = _chain(6, 2)
    t = np.arange(6) * 0.1
    d = 0.5 * t + 0.1 * np.sin(7 * t)
    y = (d[pj] - d[pi])[:, None] + rng.normal(0, 0.02, (pi.size, 2000))
    r = ots.offset_time_series(y[None], pi, pj, t)
    assert np.sum(r["n_rejected"] > 0) <= 12  # 0.6 %: binomial(2000, 0.0027) is below 12 with p > 0.99
    assert np.all(np.isfinite(r["displacement"])) and np.all(r["n_networks"] == 1)
    assert np.all(r["unchecked"] == 0)
    # two components (east, north): the same rule on F(2, 2 (f - 1))
    y2 = np.stack([y, (d[pj] - d[pi])[:, None] + rng.normal(0, 0.02, y.shape)])
    r2 = ots.offset_time_series(y2, pi, pj, t)
    assert np.sum(r2["n_rejected"] > 0) <= 12


@pytest.mark.parametrize("gross", [3.0, -1.1, 0.05])
def test_gross_error_on_any_pair_is_rejected_or_its_dates_flagged(gross):
    """"Never a confident wrong offset": one gross error on each pair in turn of a noise-free
    network of 8 dates each paired with the next 2. Every date is either right (to 1e-9) or flagged
    unchecked. Where the pair shares a cut with another one (the two pairs of the first or the last date)
    the error is detected but not located: one of the two is rejected, the other becomes a bridge and its
    dates are flagged; elsewhere exactly the bad pair is rejected and nothing is flagged."""
    pi, pj = _chain(8, 2)
    t = np.arange(8) * 0.1
    d = 0.5 * t + 0.2 * np.sin(5 * t)
    y = np.repeat((d[pj] - d[pi])[:, None], pi.size, axis=1)
    y[np.arange(pi.size), np.arange(pi.size)] += gross  # pixel g: the error on pair g
    r = ots.offset_time_series(y[None], pi, pj, t)
    err = np.abs(r["displacement"][0] - (d - d[0])[:, None])
    assert np.all(r["n_rejected"] == 1) and np.all(r["n_networks"] == 1)
    assert np.all((err < 1e-9) | (r["unchecked"] == 1))
    cut = {(0, 1), (0, 2), (5, 7), (6, 7)}
    for g in range(pi.size):
        if (pi[g], pj[g]) not in cut:
            assert np.all(err[:, g] < 1e-9) and r["n_unchecked"][g] == 0, (pi[g], pj[g])


def test_several_gross_errors_per_pixel_are_rejected_or_flagged():
    """Several gross errors per pixel (3 % of the pairs, 10-50 m, 5 % missing, 0.3 m noise) on a redundant
    network (20 dates, each with the next 4): the robust part (a) removes them together where a
    one-at-a-time test is masked; every date off by more than 3 m is flagged and few good pairs are lost."""
    rng = np.random.default_rng(1)
    pi, pj = _chain(20, 4)
    t = np.arange(20) * 12 / 365.25
    d = 50.0 * t
    npx = 600
    y = np.repeat((d[pj] - d[pi])[None, :, None], 2, 0) * np.ones((2, 1, npx)) + rng.normal(0, 0.3, (2, pi.size, npx))
    miss = rng.random((pi.size, npx)) < 0.05
    gross = (rng.random((pi.size, npx)) < 0.03) & ~miss
    y[:, gross] += rng.choice([-1, 1], (2, int(gross.sum()))) * rng.uniform(10, 50, (2, int(gross.sum())))
    y[:, miss] = np.nan
    r = ots.offset_time_series(y, pi, pj, t)
    err = np.sqrt(np.sum((r["displacement"] - (d - d[0])[None, :, None]) ** 2, axis=0))
    assert not np.any((err > 3.0) & (r["unchecked"] != 1))
    assert np.sum(np.maximum(r["n_rejected"] - gross.sum(0), 0)) <= 0.002 * pi.size * npx
    assert np.all(r["n_rejected"] >= gross.sum(0) - 1)


@pytest.mark.parametrize("n,bw", [(7, 2), (12, 4), (5, 4), (9, 8)])
def test_band_of_the_inverse_equals_numpy(n, bw):
    """The redundancy numbers of step 1b use the band of (A'WA)^-1 from the Cholesky factor (Takahashi)."""
    rng = np.random.default_rng(n + bw)
    b = np.tril(rng.normal(size=(n, n))) * (np.subtract.outer(np.arange(n), np.arange(n)) <= bw)
    a = b @ b.T + n * np.eye(n)
    fac = a.copy()
    assert ots._cholesky(fac, n, bw)
    z = np.zeros((n, n))
    ots._band_inverse(fac, n, bw, z)
    band = np.tri(n, dtype=bool) & (np.subtract.outer(np.arange(n), np.arange(n)) <= bw)
    np.testing.assert_allclose(z[band], np.linalg.inv(a)[band], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("window, step", [(64, 16), (40, 12), (24, 20), (32, 8)])
def test_shared_sub_block_stds_equal_each_windows_own(window, step):
    """The reference windows' smallest sub-block standard deviation, each sub-block computed once for every window
    holding it, has the bytes of the per-window computation (sub-blocks on a grid of the step or of a divisor)."""
    raw = kt.texture((200, 190), "fractal", seed=4) * 30.0 + 500.0
    raw[60:90, 40:120] = 7.0  # a flat patch: zero standard deviation in some sub-blocks
    rb, cb = 3, 5
    n_i, n_j = (200 - rb - window) // step + 1, (190 - cb - window) // step + 1
    ci, cj = np.nonzero(np.random.default_rng(1).random((n_i, n_j)) < 0.7)
    shared = off.search._shared_min_sub_std(raw, ci, cj, rb, cb, step, window)
    own = np.empty((ci.size, 4))
    off.search._window_stats(raw, raw, rb + ci * step, cb + cj * step, window, 0.0, False, True, own)
    assert shared.tobytes() == own[:, 3].tobytes()
    assert (shared == 0).any() and (shared > 0).any()


@pytest.mark.parametrize("w, upsample", [(64, 10), (33, 10), (48, 20)])
def test_upsampled_dft_refinement_equals_the_direct_sum(w, upsample):
    """The residual shift of the upsampled-DFT refinement equals a direct double-precision evaluation of its
    definition (full spectra, every frequency and shift summed with numpy, highest sample then a 3-point parabola
    in each axis), to single-precision rounding."""
    rng = np.random.default_rng(w)
    img = kt.texture((3 * w, 3 * w), "speckle", seed=w)
    n = 6
    truth = rng.uniform(-0.6, 0.6, (n, 2))
    tap = off.matching._taper(w)
    a = np.empty((n, w, w), np.float32)
    b = np.empty((n, w, w), np.float32)
    for k in range(n):
        sh = kt.fourier_shift(img, *truth[k])[w:2 * w, w:2 * w]
        a[k] = tap * (img[w:2 * w, w:2 * w] - img[w:2 * w, w:2 * w].mean())
        b[k] = tap * (sh - sh.mean())
    dy, dx = off.matching._refine_dft(a, b, upsample)
    half = int(np.ceil(0.75 * upsample))
    t = np.arange(-half, half + 1) / upsample
    f = np.fft.fftfreq(w)
    e_r = np.exp(2j * np.pi * np.outer(t, f))  # (shift, frequency)
    if w % 2 == 0:
        f[w // 2] = 0.5  # the columns' Nyquist frequency counted as +1/2, as a real FFT's last column holds it
    e_c = np.exp(2j * np.pi * np.outer(t, f))
    for k in range(n):
        x = np.fft.fft2(b[k].astype(np.float64)) * np.conj(np.fft.fft2(a[k].astype(np.float64)))
        p = x / np.sqrt(np.abs(x))
        surf = (e_r @ p @ e_c.T).real
        i, j = np.unravel_index(np.argmax(surf), surf.shape)

        def vertex(m, c, q):
            return (m - q) / (2.0 * (m - 2.0 * c + q)) if 2.0 * (m - 2.0 * c + q) < 0 else 0.0
        last = surf.shape[0] - 1
        ry = t[i] + (vertex(surf[i - 1, j], surf[i, j], surf[i + 1, j]) if 0 < i < last else 0.0) / upsample
        rx = t[j] + (vertex(surf[i, j - 1], surf[i, j], surf[i, j + 1]) if 0 < j < last else 0.0) / upsample
        assert abs(dy[k] - ry) < 2e-3 and abs(dx[k] - rx) < 2e-3, (k, dy[k], ry, dx[k], rx)
        assert abs(dy[k] - truth[k, 0]) < 0.1 and abs(dx[k] - truth[k, 1]) < 0.1
