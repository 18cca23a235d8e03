"""algorithms.interferograms.interferogramfilter: multilooking is the complex block mean, the Gaussian filter's closed
form on a plane wave, the Goldstein filter against the noise-free phase, the same bytes for any block layout,
refusals."""

import numpy as np
import pytest

from insar_geohazards.algorithms.engine import plan_blocks
from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.interferograms import interferogramfilter as flt


def _noisy(shape=(128, 144), coherence=0.6, seed=0):
    """Fringes (a bowl on a ramp) and single-look decorrelation noise from two correlated circular Gaussian SLCs."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:shape[0], 0:shape[1]].astype(float)
    truth = -25.0 * np.exp(-((y - 60) ** 2 + (x - 70) ** 2) / (2 * 18.0 ** 2)) + 0.3 * x
    a = (rng.normal(size=shape) + 1j * rng.normal(size=shape)) / np.sqrt(2)
    b = (rng.normal(size=shape) + 1j * rng.normal(size=shape)) / np.sqrt(2)
    s2 = coherence * a * np.exp(-1j * truth) + np.sqrt(1 - coherence ** 2) * b
    return a * np.conj(s2), truth


def _error(z, truth, border=0):
    e = np.angle(z * np.exp(-1j * truth))
    if border:
        e = e[border:-border, border:-border]
    return float(np.sqrt(np.nanmean(e ** 2)))


def _blocked(z, block_rows, **kw):
    ly, lx = kw.get("looks_y", 1), kw.get("looks_x", 1)
    rows, cols = z.shape[0] // ly, z.shape[1] // lx
    halo = flt.filter_halo(kw["method"], patch=kw.get("patch", 32), step=kw.get("step", 8), sigma=kw.get("sigma", 1.0))
    out, coh = None, None
    for b in plan_blocks(rows, cols, halo=halo, block_rows=block_rows):
        r = flt.filter_block(b, {"z": np.ascontiguousarray(z[b.read0 * ly:b.read1 * ly, :cols * lx])}, **kw)
        if out is None:
            out = np.empty((rows, cols), r["filtered"].dtype)
            coh = np.empty((rows, cols), np.float32)
        out[b.row0:b.row1], coh[b.row0:b.row1] = r["filtered"], r["coherence"]
    return out, coh


def test_multilook_is_the_complex_block_mean_exactly():
    rng = np.random.default_rng(1)
    # small integers: every sum is exact, so the mean must be numpy's to the bit whatever the order of the sums
    z = (rng.integers(-50, 50, (12, 15)) + 1j * rng.integers(-50, 50, (12, 15))).astype(np.complex128)
    mean, coh = flt.multilook(z, 3, 5)
    ref = z.reshape(4, 3, 3, 5).mean(axis=(1, 3))
    np.testing.assert_array_equal(mean, ref)
    np.testing.assert_allclose(coh, np.abs(z.reshape(4, 3, 3, 5).sum(axis=(1, 3)))
                               / np.abs(z).reshape(4, 3, 3, 5).sum(axis=(1, 3)), rtol=1e-14)
    w = rng.normal(size=(13, 17)) + 1j * rng.normal(size=(13, 17))  # partial windows left out
    np.testing.assert_allclose(flt.multilook(w, 2, 4)[0], w[:12, :16].reshape(6, 2, 4, 4).mean(axis=(1, 3)),
                               rtol=1e-14)


def test_multilook_leaves_out_pixels_without_value():
    z = np.ones((4, 4), np.complex128)
    z[0, 0] = np.nan
    z[2:, 2:] = np.nan
    mean, coh = flt.multilook(z, 2, 2)
    assert mean[0, 0] == 1 and coh[0, 0] == 1
    assert np.isnan(mean[1, 1]) and np.isnan(coh[1, 1])


def test_the_tool_block_function_multilooks_like_the_block_mean():
    z, _ = _noisy((40, 42))
    got, coh = flt.filter_array(z, method="none", looks_y=4, looks_x=3)
    zz = z.reshape(10, 4, 14, 3)
    np.testing.assert_allclose(got, zz.mean(axis=(1, 3)), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(coh, np.abs(zz.sum(axis=(1, 3))) / np.abs(zz).sum(axis=(1, 3)), rtol=1e-6)


def test_gaussian_on_a_plane_wave_keeps_the_phase_and_damps_by_the_closed_form():
    """A Gaussian of sigma pixels multiplies exp(i k x) by exp(-(k sigma)^2 / 2) (the Fourier transform of the
    kernel), the phase untouched: checked away from the edges."""
    k, sigma = 0.6, 1.5
    y, x = np.mgrid[0:40, 0:60].astype(float)
    z = np.exp(1j * k * x)
    got, _ = flt.filter_array(z, method="gaussian", sigma=sigma)
    inner = (slice(10, -10), slice(10, -10))
    np.testing.assert_allclose(np.abs(got[inner]), np.exp(-(k * sigma) ** 2 / 2), rtol=2e-3)
    assert np.abs(np.angle(got[inner] * np.exp(-1j * k * x[inner]))).max() < 1e-5


def test_goldstein_with_alpha_zero_gives_the_input():
    z, _ = _noisy((50, 70))
    got, _ = flt.filter_array(z, method="goldstein", alpha=0.0)
    np.testing.assert_allclose(got, z, rtol=1e-5, atol=1e-5)


def test_goldstein_keeps_noise_free_fringes():
    """Noise-free fringes come out within a few thousandths of a radian on a plane; a bowl whose fringes bend within
    a patch is smoothed a little, as by any spectral filter (dolphin's goldstein: 0.145 rad on the same bowl, ours
    0.156). At the edges the mirrored fringes bend, so the border is left out. The spectrum's smoothing widens the
    pass band around a peak that falls between frequencies, so a plane keeps a little less exactly (0.016 rad)."""
    y, x = np.mgrid[0:96, 0:96].astype(float)
    plane = 0.9 * x - 0.4 * y
    bowl = plane + 8 * np.exp(-((y - 48) ** 2 + (x - 48) ** 2) / 400.0)
    for smooth, plane_limit in ((0, 0.01), (3, 0.02)):
        for truth, limit in ((plane, plane_limit), (bowl, 0.17)):
            got, _ = flt.filter_array(np.exp(1j * truth), method="goldstein", alpha=0.8, smooth=smooth)
            assert _error(got, truth, border=16) < limit, (smooth, _error(got, truth, border=16))


@pytest.mark.parametrize("coherence", [0.3, 0.5, 0.8])
def test_goldstein_lowers_the_phase_error_more_with_a_larger_alpha(coherence):
    z, truth = _noisy(coherence=coherence, seed=int(coherence * 10))
    raw = _error(z, truth)
    errs = [_error(flt.filter_array(z, method="goldstein", alpha=a)[0], truth) for a in (0.3, 0.6, 0.9)]
    assert errs[0] < raw and errs[1] < errs[0] and errs[2] < errs[1], (raw, errs)


def test_coherence_estimate_follows_the_simulated_coherence():
    est = []
    for g in (0.3, 0.6, 0.9):
        z, _ = _noisy((64, 64), coherence=g, seed=3)
        est.append(float(np.nanmean(flt.filter_array(z, method="none", looks_y=4, looks_x=4)[1])))
    assert est[0] < est[1] < est[2]


@pytest.mark.parametrize("kw", [
    {"method": "goldstein", "alpha": 0.7},
    {"method": "goldstein", "alpha": 0.5, "patch": 16, "step": 4, "looks_y": 2, "looks_x": 3},
    {"method": "gaussian", "sigma": 2.0},
    {"method": "none"},
])
def test_same_bytes_for_any_block_layout(kw):
    z, _ = _noisy((75, 61))
    z[10:14, 20:30] = np.nan
    ref = _blocked(z, 10 ** 6, **kw)
    for rows in (1, 7, 16):
        got = _blocked(z, rows, **kw)
        assert got[0].tobytes() == ref[0].tobytes() and got[1].tobytes() == ref[1].tobytes(), (kw, rows)
    assert np.isnan(ref[0][12 // kw.get("looks_y", 1), 25 // kw.get("looks_x", 1)]) or kw.get("looks_y", 1) > 1


def test_phase_input_is_its_complex_exponential():
    z, _ = _noisy((40, 50))
    phase = np.angle(z)
    a, _ = flt.filter_array(phase, method="goldstein", alpha=0.5)
    b, _ = flt.filter_array(np.exp(1j * phase), method="goldstein", alpha=0.5)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_phase_in_degrees_is_refused_naming_degrees():
    z, _ = _noisy((20, 20))
    with pytest.raises(GeohazardError, match="degrees"):
        flt.filter_array(np.degrees(np.angle(z)), name="20200101_20200113.tif", patch=16, step=8)


def test_unwrapped_phase_is_refused():
    y, x = np.mgrid[0:20, 0:20].astype(float)
    with pytest.raises(GeohazardError, match="already unwrapped"):
        flt.filter_array(3.0 * x * 20, name="a.tif", patch=16, step=8)


@pytest.mark.parametrize("kw,match", [
    ({"looks_y": 30}, "larger than the interferogram"), ({"looks_x": 0}, "LOOKS_X"), ({"alpha": 1.5}, "ALPHA"),
    ({"patch": 30}, "PATCH_SIZE"), ({"method": "median"}, "method"), ({"sigma": 0.0}, "GAUSSIAN_SIGMA"),
    ({"smooth": 2, "patch": 16, "step": 8}, "SMOOTH_PX"), ({"smooth": 11, "patch": 16, "step": 8}, "SMOOTH_PX"),
    ({"smooth": -1, "patch": 16, "step": 8}, "SMOOTH_PX"), ({"smooth_quality": 1.5}, "SMOOTH_QUALITY"),
])
def test_impossible_options_are_refused(kw, match):
    with pytest.raises(GeohazardError, match=match):
        flt.filter_array(np.ones((20, 20), np.complex64), **kw)


def test_a_patch_larger_than_the_raster_is_refused_naming_patch_size_and_the_raster():
    z, _ = _noisy((64, 64))
    with pytest.raises(GeohazardError, match=r"PATCH_SIZE 256 is larger than the interferogram \(64 rows x 64 col"):
        flt.filter_array(z, patch=256)
    with pytest.raises(GeohazardError, match=r"PATCH_SIZE 32 .*\(16 rows x 32 columns after the looks\)"):
        flt.filter_array(z, patch=32, looks_y=4, looks_x=2)
    flt.filter_array(z, patch=64)  # as large as the raster: accepted


@pytest.mark.parametrize("offset", [0.0, 0.5])
def test_phase_in_cycles_is_refused_with_the_conversion(offset):
    """A wrapped phase in cycles (-0.5..0.5 or 0..1) read as radians would be nearly constant: fringes erased,
    coherence 1 everywhere. It is refused, saying cycles and how to convert."""
    z, _ = _noisy((64, 64), coherence=0.9)
    cycles = np.angle(z) / (2 * np.pi) + offset
    with pytest.raises(GeohazardError, match=r"cycles.*x 2 pi"):
        flt.filter_array(cycles, name="20200101_20200113.tif")


def test_a_small_radian_phase_without_fringes_is_not_taken_for_cycles():
    """A fringe-free, low-noise pair in radians within -0.5..0.5 stays accepted (no jumps of most of a cycle)."""
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:64, 0:64].astype(float)
    phase = np.clip(0.4 * np.sin(x / 20.0) + rng.normal(0, 0.03, x.shape), -0.5, 0.5)
    got, _ = flt.filter_array(phase)
    assert np.isfinite(got).all()


@pytest.mark.parametrize("smooth,quality,coherence", [(0, 0.0, 0.5), (3, 0.0, 0.5), (5, 0.0, 0.5), (3, 0.7, 0.5),
                                                      (3, 0.7, 0.85), (3, 0.3, 0.85)])
def test_goldstein_matches_the_variant_written_patch_by_patch(smooth, quality, coherence):
    """The batched, block-anchored filter against the same definition written independently one patch at a time
    (tests/testutils_goldstein.windowed_goldstein: numpy's FFT, scipy's wrapped boxcar, numpy's reflect padding,
    the fringe quality of each patch in float64)."""
    from testutils_goldstein import windowed_goldstein

    z, _ = _noisy((90, 70), coherence=coherence, seed=7)
    got, _ = flt.filter_array(z, alpha=0.6, smooth=smooth, smooth_quality=quality)
    ref = windowed_goldstein(z, 0.6, smooth=smooth, smooth_quality=quality)
    np.testing.assert_allclose(got, ref, atol=2e-5 * np.abs(ref).max())


def test_smoothing_gives_the_same_bytes_for_any_block_layout():
    z, _ = _noisy((100, 60), coherence=0.5, seed=2)
    kw = {"method": "goldstein", "alpha": 0.5, "patch": 16, "step": 8, "smooth": 5, "smooth_quality": 0.5}
    whole = _blocked(z, 100, **kw)
    for rows in (7, 33):
        part = _blocked(z, rows, **kw)
        assert whole[0].tobytes() == part[0].tobytes() and whole[1].tobytes() == part[1].tobytes()


REGIMES_TOLERANCE = 1.02  # residues: the default may leave 2 % more than the classic filter only through rounding


def test_the_default_smoothing_is_no_worse_than_the_classic_filter_in_every_regime():
    """On known-truth frames (gentle fringes with 0.5 and 0.9 rad of noise, steep fringes at coherence 0.4-0.8, a
    bowl at coherence 0.3-0.9) the default leaves no more residues and no larger phase error than Goldstein &
    Werner's classic filter written independently (tests/testutils_goldstein.classic_goldstein)."""
    from testutils_goldstein import classic_goldstein, phase_error, regime_frames, residue_count

    for regime, truth, z in regime_frames(128, seed=5):
        ours, _ = flt.filter_array(z, alpha=0.5)
        classic = classic_goldstein(z, 0.5)
        r_ours, r_classic = residue_count(ours), residue_count(classic)
        e_ours, e_classic = phase_error(ours, truth), phase_error(classic, truth)
        assert r_ours <= r_classic, (regime, r_ours, r_classic)
        assert e_ours <= e_classic, (regime, e_ours, e_classic)


def test_the_default_adds_fewer_residues_than_the_classic_filter_on_real_steep_fringes():
    """The 30 Sentinel-1 Mexico City pairs (8 looks, a steep subsidence bowl; tests/data, Apache-2.0): their
    unwrapped phase wrapped and filtered. Every filter adds residues on these steep fringes; the default adds fewer
    than the classic filter, the unsmoothed variant more."""
    import glob
    import os

    from osgeo import gdal
    from testutils_goldstein import classic_goldstein, residue_count

    folder = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "sentinel1_mexico_city", "geotiffs")
    files = sorted(glob.glob(os.path.join(folder, "*_unw.tif")))
    assert len(files) == 30
    counts = {"input": 0, "classic": 0, "default": 0, "unsmoothed": 0}
    for path in files:
        ds = gdal.Open(path)
        unw = ds.GetRasterBand(1).ReadAsArray().astype(float)
        ds = None
        unw[unw == 0] = np.nan  # the files' nodata
        z = np.exp(1j * unw)
        counts["input"] += residue_count(z)
        for key, out in (("classic", classic_goldstein(z, 0.5)), ("default", flt.filter_array(z)[0]),
                         ("unsmoothed", flt.filter_array(z, smooth=0)[0])):
            counts[key] += residue_count(np.where(np.isfinite(unw), out, np.nan))
    assert counts["default"] <= counts["classic"] < counts["unsmoothed"], counts
    assert counts["default"] - counts["input"] < counts["classic"] - counts["input"], counts


def test_the_smoothing_goes_to_clean_fringes_and_not_to_decorrelation_noise():
    """By default the spectrum is smoothed only in patches whose fringe quality reaches 0.7: single-look noise of
    coherence 0.5 (quality about 0.25) comes out as unsmoothed, byte for byte; noise-free fringes (quality 1) as
    smoothed in every patch."""
    from testutils_goldstein import fringe_quality

    z, _ = _noisy((96, 96), coherence=0.5, seed=3)
    assert fringe_quality(z[:32, :32]) < 0.4
    assert flt.filter_array(z)[0].tobytes() == flt.filter_array(z, smooth=0)[0].tobytes()
    y, x = np.mgrid[0:96, 0:96].astype(float)
    clean = np.exp(1j * (0.9 * x - 0.4 * y + 8 * np.exp(-((y - 48) ** 2 + (x - 48) ** 2) / 400.0)))
    assert flt.filter_array(clean)[0].tobytes() == flt.filter_array(clean, smooth_quality=0.0)[0].tobytes()
    assert flt.filter_array(clean)[0].tobytes() != flt.filter_array(clean, smooth=0)[0].tobytes()
