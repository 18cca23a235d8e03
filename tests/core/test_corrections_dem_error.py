"""DEM-error correction: synthetic truth, design checks, baselines from the formats users have."""

import datetime as dt

import numpy as np
import pytest

from insar_geohazards.algorithms.corrections.dem_error import (
    check_design,
    dem_error_block,
    design_matrix,
    read_date_baselines,
)
from insar_geohazards.algorithms.errors import GeohazardError


def _series(seed=0, n=30, shape=(15, 18), noise=0.5, step=None, seasonal=0.0):
    rng = np.random.default_rng(seed)
    dates = [dt.date(2019, 3, 1) + dt.timedelta(days=12 * i) for i in range(n)]
    b = rng.normal(0, 90, n)
    b -= b[0]
    t = np.array([(d - dates[0]).days for d in dates]) / 365.25
    r, inc = 850e3, np.full(shape, 37.0) + np.linspace(0, 8, shape[1])[None, :]
    s = r * np.sin(np.radians(inc))
    dz = rng.normal(0, 20, shape)
    vel = rng.normal(-5, 10, shape)
    ts = vel[None] * t[:, None, None] + 3 * t[:, None, None] ** 2 + seasonal * np.sin(2 * np.pi * t)[:, None, None]
    if step is not None:
        ts = ts + 15.0 * (np.array(dates) >= step)[:, None, None]
    defo = ts - ts[0]
    ts = defo + b[:, None, None] / s[None] * dz[None] * 1000.0 + rng.normal(0, noise, (n,) + shape)
    return dates, b, s, dz, defo, ts


@pytest.mark.parametrize("seed, n, shape, noise", [(0, 30, (15, 18), 0.5), (1, 18, (9, 31), 1.0),
                                                    (2, 60, (6, 6), 2.0)])
def test_truth_recovered(seed, n, shape, noise):
    dates, b, s, dz, defo, ts = _series(seed, n, shape, noise)
    g = design_matrix(dates, b)
    check_design(g)
    out = dem_error_block(ts, g, range_sin_inc_m=s)
    # expected error of dz: noise / (|b|/s) / sqrt(n), a few metres
    tol = 4 * noise / (np.std(b) / s.mean() * 1000) / np.sqrt(n)
    assert np.sqrt(np.nanmean((out["dem_error_m"] - dz) ** 2)) < tol
    rms_before = np.sqrt(np.mean((ts - defo) ** 2))
    rms_after = np.sqrt(np.mean((out["corrected_mm"] - defo - (out["corrected_mm"] - defo)[:1]) ** 2))
    assert rms_after < rms_before and rms_after < 1.6 * noise  # what is left is the noise (x sqrt 2: date 0)
    assert np.nanmedian(out["residual_rms_mm"]) < 1.5 * noise


def test_step_and_missing_dates():
    step = dt.date(2019, 9, 1)
    dates, b, s, dz, defo, ts = _series(3, 40, (8, 9), 0.5, step=step)
    ts[5:9, 2, 3] = np.nan
    out_nostep = dem_error_block(ts, design_matrix(dates, b), range_sin_inc_m=s)
    out = dem_error_block(ts, design_matrix(dates, b, step_dates=[step]), range_sin_inc_m=s)
    err = np.abs(out["dem_error_m"] - dz)
    assert np.nanmax(err) < np.nanmax(np.abs(out_nostep["dem_error_m"] - dz))
    assert np.isfinite(out["dem_error_m"][2, 3]) and np.isnan(out["corrected_mm"][5:9, 2, 3]).all()
    assert np.isfinite(out["corrected_mm"][10:, 2, 3]).all()


def test_invariant_to_range_and_incidence():
    dates, b, s, dz, defo, ts = _series(4)
    g = design_matrix(dates, b)
    a = dem_error_block(ts, g, range_sin_inc_m=5e5)
    c = dem_error_block(ts, g, range_sin_inc_m=7e5)
    np.testing.assert_allclose(a["corrected_mm"], c["corrected_mm"])
    np.testing.assert_allclose(c["dem_error_m"], a["dem_error_m"] * 1.4)


def test_degenerate_designs_refused():
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(10)]
    with pytest.raises(GeohazardError, match="same perpendicular baseline"):
        check_design(design_matrix(dates, np.zeros(10)))
    t = np.arange(10) * 12 / 365.25
    with pytest.raises(GeohazardError, match="told apart"):
        check_design(design_matrix(dates, 50 * t))
    with pytest.raises(GeohazardError, match="needs more than"):
        check_design(design_matrix(dates[:4], np.arange(4.0)))
    with pytest.raises(GeohazardError, match="STEP_DATES"):
        design_matrix(dates, np.arange(10.0), step_dates=[dt.date(2019, 1, 1)])


def test_baselines_csv_gamma_h5_isce(tmp_path):
    h5py = pytest.importorskip("h5py", reason="h5py is not installed")
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(4)]
    b = np.array([10.0, -20.0, 35.0, 5.0])
    csvf = tmp_path / "bperp.csv"
    csvf.write_text("date,bperp_m\n" + "".join(f"{d.isoformat()},{v}\n" for d, v in zip(dates, b)))
    np.testing.assert_allclose(read_date_baselines([str(csvf)], dates), b - b[0])
    # GAMMA *_base.par pairs (length signed by B_c) -> date baselines by least squares
    gam = tmp_path / "gamma"
    gam.mkdir()
    for i in range(3):
        v = b[i + 1] - b[i]
        (gam / f"{dates[i]:%Y%m%d}_{dates[i + 1]:%Y%m%d}_base.par").write_text(
            f"initial_baseline(TCN):   0.0 {v:.4f} 0.0   m   m   m\n")
    np.testing.assert_allclose(read_date_baselines([str(gam)], dates), b - b[0], atol=1e-3)
    # MintPy timeseries.h5
    h5 = tmp_path / "timeseries.h5"
    with h5py.File(h5, "w") as f:
        f["date"] = np.array([d.strftime("%Y%m%d").encode() for d in dates])
        f["bperp"] = b.astype(np.float32)
    np.testing.assert_allclose(read_date_baselines([str(h5)], dates), b - b[0], atol=1e-4)
    # ISCE2 stack baselines folder
    isce = tmp_path / "baselines"
    for i in range(1, 4):
        sub = isce / f"{dates[0]:%Y%m%d}_{dates[i]:%Y%m%d}"
        sub.mkdir(parents=True)
        (sub / f"{dates[0]:%Y%m%d}_{dates[i]:%Y%m%d}.txt").write_text(
            f"IW1 Bperp (average): {b[i] - b[0] - 1}\nIW2 Bperp (average): {b[i] - b[0] + 1}\n")
    np.testing.assert_allclose(read_date_baselines([str(isce)], dates), b - b[0], atol=1e-6)


def test_baselines_missing(tmp_path):
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(3)]
    with pytest.raises(GeohazardError, match="BASELINES: the DEM-error correction needs"):
        read_date_baselines([], dates)
    csvf = tmp_path / "b.csv"
    csvf.write_text(f"{dates[0]},0\n{dates[1]},3\n")
    with pytest.raises(GeohazardError, match="no perpendicular baseline for 1 date"):
        read_date_baselines([str(csvf)], dates)
    bad = tmp_path / "bad.csv"
    bad.write_text("2020-01-01,abc\n")
    with pytest.raises(GeohazardError, match="not a baseline"):
        read_date_baselines([str(bad)], dates)
