"""Interferogram network, stacking, phase-gradient stacking, GAMMA baselines, MintPy HDF5."""

import datetime as dt
import os

import numpy as np
import pytest
from testutils_timeseries import sbas_dates, sbas_pairs, synthetic_stack

from insar_geohazards.algorithms.errors import GeohazardError, NetworkError
from insar_geohazards.algorithms.formats.baselines import read_baselines, read_gamma_base_par, read_gamma_bperp
from insar_geohazards.algorithms.formats.mintpy import (
    MintpyTimeseriesWriter,
    read_ifgram_stack,
    write_ifgram_stack,
    write_velocity_h5,
)
from insar_geohazards.algorithms.timeseries.network import (
    build_network,
    filter_network,
    network_report_html,
    network_report_text,
    orient_pairs,
)
from insar_geohazards.algorithms.timeseries.phase_gradient import phase_gradient_stack, wrapped_gradients
from insar_geohazards.algorithms.timeseries.stacking import stacking_velocity

D = dt.date
MEXICO = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "sentinel1_mexico_city")


def test_design_matrices_and_integration():
    net = build_network([(D(2020, 1, 1), D(2020, 1, 13)), (D(2020, 1, 1), D(2020, 1, 25)),
                         (D(2020, 1, 13), D(2020, 1, 25))])
    np.testing.assert_array_equal(net.design_matrix(), [[1, 0], [0, 1], [-1, 1]])
    dt_ = 12 / 365.25
    np.testing.assert_allclose(net.velocity_design_matrix(), [[dt_, 0], [dt_, dt_], [0, dt_]])
    assert net.components() == [[0, 1, 2]]


def test_duplicates_reversed_and_empty_are_clear_errors():
    a, b = D(2020, 1, 1), D(2020, 1, 13)
    with pytest.raises(NetworkError, match="duplicate interferogram 20200101-20200113: x.tif and y.tif"):
        build_network([(a, b), (a, b)], names=["x.tif", "y.tif"])
    with pytest.raises(NetworkError, match="not before"):
        build_network([(b, a)])
    with pytest.raises(NetworkError, match="empty"):
        build_network([])
    pairs, sign = orient_pairs([(b, a), (a, b)])
    assert pairs == [(a, b), (a, b)] and list(sign) == [-1.0, 1.0]


def test_components_filters_and_report(tmp_path):
    dates = sbas_dates(10)
    pairs = sbas_pairs(dates, max_neighbours=2, gap_after=4)
    net = build_network(pairs, bperp_m=np.arange(len(pairs)) * 10.0 - 70)
    comps = net.components()
    assert comps == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    text = network_report_text(net)
    assert "DISCONNECTED into 2 subsets" in text and "subset 2: 5 dates: 2020-03-01" in text
    flt = filter_network(net, max_temporal_baseline_days=12, max_perp_baseline_m=60,
                         drop_pairs=["20200113-20200125"])
    assert flt.reasons[0] == "|bperp| 70.0 m > 60 m" and flt.reasons[2] == "dropped by the user"
    assert all(net.temporal_baseline_days[flt.keep] <= 12)
    assert all(np.abs(net.bperp_m[flt.keep]) <= 60)
    with pytest.raises(NetworkError, match="not in the network"):
        filter_network(net, drop_pairs=["20990101_20990113"])
    assert "<img src=\"net.png\"" in network_report_html(net, png_name="net.png")
    # per-date baselines reproduce the pair baselines where the network is consistent
    consistent = build_network(sbas_pairs(dates[:4], max_neighbours=3))
    b_date = np.array([0.0, 10.0, -5.0, 20.0])
    consistent = build_network(consistent.pairs, bperp_m=b_date[consistent.sec_index] - b_date[consistent.ref_index])
    np.testing.assert_allclose(consistent.date_bperp_m(), b_date, atol=1e-9)


def test_stacking_velocity_truth_and_error():
    net = build_network(sbas_pairs(sbas_dates(12), max_neighbours=4))
    truth, ifg, vel = synthetic_stack(net, shape=(6, 7), seasonal_mm=0.0)
    span = net.temporal_baseline_days / 365.25
    v, s, n = stacking_velocity(ifg, span)
    np.testing.assert_allclose(v, vel, atol=1e-9)
    np.testing.assert_allclose(s, 0.0, atol=1e-9)
    assert (n == net.n_pairs).all()
    rng = np.random.default_rng(0)
    noisy = ifg + rng.normal(0, 2.0, ifg.shape)
    noisy[:, 0, 0] = np.nan
    w = rng.uniform(0.5, 1.5, ifg.shape)
    v, s, n = stacking_velocity(noisy, span, weights=w, min_count=3)
    assert np.isnan(v[0, 0]) and n[0, 0] == 0
    k = (2, 3)
    ww, dd = w[:, k[0], k[1]], noisy[:, k[0], k[1]]
    np.testing.assert_allclose(v[k], np.sum(ww * dd * span) / np.sum(ww * span ** 2))
    assert np.nanmean(np.abs(v - vel)) < 3 * np.nanmean(s)
    with pytest.raises(GeohazardError, match="span_years"):
        stacking_velocity(ifg, span[:-1])


def test_phase_gradient_of_wrapped_ramp():
    rows, cols = 6, 8
    yy, xx = np.mgrid[0:rows, 0:cols]
    phase = 2.5 * xx - 0.4 * yy  # 2.5 rad/px along columns: aliases only if |g| > pi
    wrapped = np.angle(np.exp(1j * phase))
    gc, gr = wrapped_gradients(wrapped)
    np.testing.assert_allclose(gc[:, :-1], 2.5)
    np.testing.assert_allclose(gr[:-1, :], -0.4)
    assert np.isnan(gc[:, -1]).all() and np.isnan(gr[-1, :]).all()
    gc2, _ = wrapped_gradients(np.exp(1j * phase) * 3.0)  # complex input, any amplitude
    np.testing.assert_allclose(gc2[:, :-1], 2.5)


def test_phase_gradient_stack_rate():
    lam = 0.0555
    spans = np.array([12, 24, 36]) / 365.25
    rows, cols = 5, 6
    _, xx = np.mgrid[0:rows, 0:cols]
    rate = 0.02 * xx  # LOS-increase gradient rate in rad/px/yr x 100
    stack = np.stack([np.angle(np.exp(1j * 30 * rate * s)) for s in spans])
    out = phase_gradient_stack(stack, spans, wavelength_m=lam)
    expected_rad = 30 * 0.02  # rad / px / yr along columns
    np.testing.assert_allclose(out["col_mm_yr"][:, :-1], -expected_rad * lam * 1000 / (4 * np.pi))
    np.testing.assert_allclose(out["row_mm_yr"][:-1, :], 0.0, atol=1e-12)
    np.testing.assert_allclose(out["magnitude_mm_yr"][:-1, :-1], expected_rad * lam * 1000 / (4 * np.pi))
    assert (out["count"][:-1, :-1] == 3).all()
    with pytest.raises(GeohazardError, match="span_years"):
        phase_gradient_stack(stack, spans[:2], wavelength_m=lam)


def test_gamma_baselines_real_mexico_city():
    folder = os.path.join(MEXICO, "baselines")
    table = read_baselines([folder])
    assert len(table) == 30
    b = table[(D(2018, 1, 6), D(2018, 1, 30))]
    # the table's bperp column runs 32.9 m (near range) .. ~28 m (far range); centre ~30 m
    assert 29.0 < b < 32.0
    assert read_gamma_bperp(os.path.join(folder, "20180106-20180130_VV_8rlks_bperp.par.gz")) == b


def test_gamma_base_par(tmp_path):
    p = tmp_path / "20180106-20180130_VV_8rlks_base.par"
    p.write_text("initial_baseline(TCN):  -0.15  40.11  4.50   m   m   m\n"
                 "precision_baseline(TCN):  0.0  40.10  4.52   m   m   m\n")
    assert read_gamma_base_par(str(p)) == pytest.approx(np.hypot(40.10, 4.52))
    bad = tmp_path / "20180106-20180130_bperp.par"
    bad.write_text("nothing here\n")
    with pytest.raises(GeohazardError, match="20180106-20180130_bperp.par"):
        read_gamma_bperp(str(bad))


def test_mintpy_roundtrip(tmp_path):
    h5py = pytest.importorskip("h5py", reason="h5py is not installed")
    net = build_network(sbas_pairs(sbas_dates(6), max_neighbours=2))
    truth, ifg, _ = synthetic_stack(net, shape=(4, 5))
    lam = 0.0555
    phase = -ifg / 1000.0 * 4 * np.pi / lam
    path = write_ifgram_stack(str(tmp_path / "ifgramStack.h5"), phase, net.pairs, coherence=np.ones(phase.shape),
                              wavelength_m=lam, geotransform=(10.0, 0.1, 0, 50.0, 0, -0.1), epsg=4326)
    st = read_ifgram_stack(path)
    assert st.pairs == list(net.pairs) and st.wavelength_m == pytest.approx(lam)
    assert st.geotransform == (10.0, 0.1, 0.0, 50.0, 0.0, -0.1) and st.epsg == 4326
    np.testing.assert_allclose(st.read((1, 3)), phase[:, 1:3], rtol=1e-6)
    w = MintpyTimeseriesWriter(str(tmp_path / "timeseries.h5"), list(net.dates), (4, 5), wavelength_m=lam)
    w.write(truth[:, :2], row=0)
    w.write(truth[:, 2:], row=2)
    w.commit()
    write_velocity_h5(str(tmp_path / "velocity.h5"), np.ones((4, 5)), np.zeros((4, 5)), dates=list(net.dates),
                      wavelength_m=lam)
    with h5py.File(tmp_path / "timeseries.h5") as f:
        np.testing.assert_allclose(f["timeseries"][:], truth / 1000.0, rtol=1e-5, atol=1e-9)
        assert f.attrs["FILE_TYPE"] == "timeseries" and f["date"][0] == b"20200101"
    with h5py.File(tmp_path / "velocity.h5") as f:
        assert f.attrs["UNIT"] == "m/year" and f["velocity"][0, 0] == pytest.approx(0.001)
    (tmp_path / "bad.h5").write_text("not hdf5")
    with pytest.raises(GeohazardError, match="bad.h5"):
        read_ifgram_stack(str(tmp_path / "bad.h5"))
