"""geohazard:troposphericcorrection on small synthetic stacks with a known truth and on the Mexico City stack."""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest
import testutils_hostile as hk
from testutils import recording_feedback
from testutils_corrections import synthetic_stack, velocity_from_ifgs, write_stack_tifs, write_tif
from testutils_stack_corrections import _gacos, _height_uplift_stack, _pair_arrays, _stack, _wkt


def test_phase_elevation_tool_matches_core_windows_per_date(qgis_app, tmp_path, small_blocks):
    from insar_geohazards.algorithms.corrections.troposphere import correct_phase_elevation

    s, files, dem = _stack(str(tmp_path), shape=(50, 90), seed=3, strat_mm_per_km=10.0, strat_gradient=1.0,
                           turb_mm=1.0)
    res = hk.run("troposphericcorrection", {
        "INTERFEROGRAMS": files, "INPUT_UNITS": 3, "DEM": dem, "METHOD": 1, "MODE": 1, "WINDOW": 30,
        "FILTER_PIXELS": 0, "TREND_GUARD": 0, "DEFORMING_AREAS": False,  # the core's plain mode
        "MIN_PIXELS": 50, "OUTPUT": str(tmp_path / "out"), "OUTPUT_REPORT": str(tmp_path / "t.csv")})
    got = _pair_arrays(res["OUTPUT"], s)
    n = len(s["dates"])
    ref_i = np.array([i for i, _ in s["pairs"]])
    sec_i = np.array([j for _, j in s["pairs"]])
    want, _ = correct_phase_elevation(s["ifg_mm"], s["dem"].astype(np.float32).astype(float), order=2, window=30,
                                      min_pixels=50, per_date=(ref_i, sec_i, n, None))
    # float32 blocks in the tool, float64 in the core: 1e-3 mm on delays of ~40 mm (windows, quadratic, per date)
    np.testing.assert_allclose(got, want, atol=2e-3)
    with open(res["OUTPUT_REPORT"]) as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(s["pairs"]) * 6 and "k2_per_km2" in rows[0]


def test_phase_elevation_bad_dem(qgis_app, tmp_path):
    s, files, dem = _stack(str(tmp_path), shape=(20, 24), seed=4)
    other = write_tif(str(tmp_path / "dem_other.tif"), s["dem"], _wkt(32633), (500000.0, 30.0, 0, 2150000.0, 0, -30.0))
    hk.expect_refusal("troposphericcorrection", {"INTERFEROGRAMS": files, "DEM": other, "INPUT_UNITS": 3,
                                                 "OUTPUT": str(tmp_path / "o")}, "DEM: .* another CRS")
    shifted = write_tif(str(tmp_path / "dem_grid.tif"), s["dem"][:, :20], _wkt(),
                        (500000.0, 30.0, 0, 2150000.0, 0, -30.0))
    hk.expect_refusal("troposphericcorrection", {"INTERFEROGRAMS": files, "DEM": shifted, "INPUT_UNITS": 3,
                                                 "OUTPUT": str(tmp_path / "o")}, "DEM: .* another grid")
    hk.expect_refusal("troposphericcorrection", {"INTERFEROGRAMS": files, "INPUT_UNITS": 3,
                                                 "OUTPUT": str(tmp_path / "o")}, "DEM: the phase-elevation")


def test_gacos_delays_removed_in_radians(qgis_app, tmp_path):
    """Zenith delays that are linear in lon/lat (bilinear resampling is exact) on a geographic stack."""
    rng = np.random.default_rng(5)
    s = synthetic_stack(shape=(30, 40), n_dates=6, seed=5, strat_mm_per_km=0.0)
    gt = (-99.2, 0.001, 0, 19.45, 0, -0.001)
    lam = 0.0555
    # GACOS grid: coarser, covering the stack with a margin
    g_gt = (-99.21, 0.004, 0, 19.46, 0, -0.004)
    gy, gx = np.mgrid[0:15, 0:16]
    lon_g, lat_g = g_gt[0] + (gx + 0.5) * g_gt[1], g_gt[3] + (gy + 0.5) * g_gt[5]
    yy, xx = np.mgrid[0:30, 0:40]
    lon, lat = gt[0] + (xx + 0.5) * gt[1], gt[3] + (yy + 0.5) * gt[5]
    inc = 35.0
    coefs = [(2.3 + 0.02 * k, rng.normal(0, 2), rng.normal(0, 2)) for k in range(6)]
    los = []
    for d, (c0, cx, cy) in zip(s["dates"], coefs):
        _gacos(str(tmp_path / "gacos"), d, c0 + cx * (lon_g + 99.2) + cy * (lat_g - 19.45), g_gt)
        los.append((c0 + cx * (lon + 99.2) + cy * (lat - 19.45)) / np.cos(np.radians(inc)))
    los = np.stack(los)
    truth = -s["ifg_mm"] * 4 * np.pi / (lam * 1000)  # radians, phase grows with range
    data = np.stack([truth[k] + 4 * np.pi / lam * (los[j] - los[i]) for k, (i, j) in enumerate(s["pairs"])])
    files = write_stack_tifs(str(tmp_path / "ifgs"), data, s["dates"], s["pairs"], epsg=4326, x0=gt[0], y0=gt[3],
                             step=gt[1])
    _gacos(str(tmp_path / "gacos"), s["dates"][-1].replace(year=2021), np.ones((15, 16)), g_gt)  # not in the stack
    res = hk.run("troposphericcorrection", {"INTERFEROGRAMS": files, "METHOD": 2, "DELAYS": str(tmp_path / "gacos"),
                                            "INCIDENCE_ANGLE": inc, "WAVELENGTH_M": lam,
                                            "OUTPUT": str(tmp_path / "out")})
    got = _pair_arrays(res["OUTPUT"], s)
    inner = (slice(None), slice(2, -2), slice(2, -2))
    np.testing.assert_allclose(got[inner], truth[inner], atol=2e-3)
    inc_raster = write_tif(str(tmp_path / "inc.tif"), np.full((30, 40), inc), _wkt(4326), gt)
    res2 = hk.run("troposphericcorrection", {"INTERFEROGRAMS": files, "METHOD": 2, "DELAYS": str(tmp_path / "gacos"),
                                             "INCIDENCE_RASTER": inc_raster, "WAVELENGTH_M": lam,
                                             "OUTPUT": str(tmp_path / "out_inc")})
    np.testing.assert_allclose(_pair_arrays(res2["OUTPUT"], s), got, atol=1e-5)
    # the same maps as per-date GeoTIFFs (YYYYMMDD.ztd.tif, as newer GACOS orders)
    os.makedirs(tmp_path / "gacos_tif")
    for f in sorted(os.listdir(tmp_path / "gacos")):
        if f.endswith(".ztd"):
            arr = np.fromfile(str(tmp_path / "gacos" / f), dtype="<f4").reshape(15, 16)
            write_tif(str(tmp_path / "gacos_tif" / (f + ".tif")), arr, _wkt(4326), g_gt)
    res3 = hk.run("troposphericcorrection", {"INTERFEROGRAMS": files, "METHOD": 2,
                                             "DELAYS": str(tmp_path / "gacos_tif"), "INCIDENCE_ANGLE": inc,
                                             "WAVELENGTH_M": lam, "OUTPUT": str(tmp_path / "out_tif")})
    np.testing.assert_allclose(_pair_arrays(res3["OUTPUT"], s), got, atol=1e-5)
    # no angle given: the one the interferograms carry (INCIDENCE_DEG), named in the log
    from osgeo import gdal

    tagged = write_stack_tifs(str(tmp_path / "ifgs_tagged"), data, s["dates"], s["pairs"], epsg=4326, x0=gt[0],
                              y0=gt[3], step=gt[1])
    for f in tagged:
        ds = gdal.Open(f, gdal.GA_Update)
        ds.SetMetadataItem("INCIDENCE_DEG", str(inc))
        ds = None
    fb = recording_feedback()
    res4 = hk.run("troposphericcorrection", {"INTERFEROGRAMS": tagged, "METHOD": 2, "DELAYS": str(tmp_path / "gacos"),
                                             "WAVELENGTH_M": lam, "OUTPUT": str(tmp_path / "out_meta")}, feedback=fb)
    np.testing.assert_allclose(_pair_arrays(res4["OUTPUT"], s), got, atol=1e-5)
    assert "incidence angle 35 deg: from the inputs' metadata" in fb.text
    os.remove(os.path.join(str(tmp_path / "gacos"), f"{s['dates'][2]:%Y%m%d}.ztd"))
    os.remove(os.path.join(str(tmp_path / "gacos"), f"{s['dates'][2]:%Y%m%d}.ztd.rsc"))
    hk.expect_refusal("troposphericcorrection", {
        "INTERFEROGRAMS": files, "METHOD": 2, "DELAYS": str(tmp_path / "gacos"), "INCIDENCE_ANGLE": inc,
        "OUTPUT": str(tmp_path / "out2")}, f"DELAYS: no delay map for 1 of the 6 dates .*{s['dates'][2]:%Y%m%d}")
    hk.expect_refusal("troposphericcorrection", {
        "INTERFEROGRAMS": files, "METHOD": 2, "DELAYS": str(tmp_path / "gacos"), "OUTPUT": str(tmp_path / "out3")},
        "INCIDENCE_RASTER")


def test_phase_elevation_keeps_height_correlated_uplift_and_says_the_slope_grows_with_time(qgis_app, tmp_path,
                                                                                      small_blocks):
    from insar_geohazards.algorithms.corrections.troposphere import correct_phase_elevation

    s, files, dem, rate, ifg = _height_uplift_stack(str(tmp_path))
    log = recording_feedback()
    res = hk.run("troposphericcorrection", {"INTERFEROGRAMS": files, "INPUT_UNITS": 3, "DEM": dem, "MODE": 1,
                                            "MIN_PIXELS": 50, "DEFORMING_AREAS": False, "OUTPUT": str(tmp_path / "out"),
                                            "OUTPUT_REPORT": str(tmp_path / "t.csv")}, log)
    assert "slope grows with time" in log.text and "time span: r = +" in log.text, log.text
    got = _pair_arrays(res["OUTPUT"], s)
    n = len(s["dates"])
    v = velocity_from_ifgs(got, s["pairs"], n, s["years"])
    slope = np.polyfit(s["dem"].ravel(), v.ravel(), 1)[0]
    truth = np.polyfit(s["dem"].ravel(), rate.ravel(), 1)[0]
    assert slope == pytest.approx(truth, rel=0.15)  # the random stratification's own trend is +-5 %
    res0 = hk.run("troposphericcorrection", {"INTERFEROGRAMS": files, "INPUT_UNITS": 3, "DEM": dem, "MODE": 1,
                                             "MIN_PIXELS": 50, "FILTER_PIXELS": 0, "TREND_GUARD": 0,
                                             "DEFORMING_AREAS": False, "OUTPUT": str(tmp_path / "out0")})
    v0 = velocity_from_ifgs(_pair_arrays(res0["OUTPUT"], s), s["pairs"], n, s["years"])
    assert abs(np.polyfit(s["dem"].ravel(), v0.ravel(), 1)[0]) < 0.2 * truth  # without them the uplift is eaten
    # the tool (row blocks with a halo for the high-pass) equals the core
    ref_i = np.array([i for i, _ in s["pairs"]])
    sec_i = np.array([j for _, j in s["pairs"]])
    want, _ = correct_phase_elevation(ifg.astype(np.float32).astype(float), s["dem"].astype(np.float32).astype(float),
                                      per_date=(ref_i, sec_i, n, None), min_pixels=50, filter_px=3.0,
                                      years=s["years"], z=2.0)
    np.testing.assert_allclose(got, want, atol=2e-3)
    rows = list(csv.DictReader(open(res["OUTPUT_REPORT"])))
    assert {"k1_per_km", "removed_k1_per_km", "correlation", "removed_rms_mm"} <= set(rows[0])


def test_a_subsiding_valley_floor_is_left_out_of_the_phase_elevation_fit(qgis_app, tmp_path, small_blocks):
    """Subsidence confined to the low ground, linear in the height there: the valley is found from the stacking
    rate and left out of the fit (the log says so), and the valley's velocity keeps its truth (the benchmark
    stacks with stronger stratification, benchmarks/corrections/world_compare.py, show the gain)."""
    s = synthetic_stack(shape=(60, 80), n_dates=24, seed=37, bowl_mm_yr=0.0, strat_mm_per_km=4.0, turb_mm=0.5,
                        day_step=12)
    low = np.clip(1.0 - (s["dem"] - s["dem"].min()) / (0.35 * np.ptp(s["dem"])), 0.0, 1.0)
    rate = -60.0 * low  # linear in the height on the valley floor: the relief's texture is in the motion too
    defo = s["years"][:, None, None] * rate[None]
    ifg = s["ifg_mm"] + np.stack([defo[j] - defo[i] for i, j in s["pairs"]])
    files = write_stack_tifs(os.path.join(str(tmp_path), "ifgs"), ifg, s["dates"], s["pairs"], step=150.0)
    dem = write_tif(os.path.join(str(tmp_path), "dem.tif"), s["dem"], _wkt(),
                    (500000.0, 150.0, 0, 2150000.0, 0, -150.0))
    n = len(s["dates"])
    valley = low > 0.3
    assert 0.03 < valley.mean() < 0.5
    errors = {}
    for areas in (True, False):
        log = recording_feedback()
        res = hk.run("troposphericcorrection", {"INTERFEROGRAMS": files, "INPUT_UNITS": 3, "DEM": dem, "MODE": 1,
                                                "MIN_PIXELS": 50, "DEFORMING_AREAS": areas,
                                                "OUTPUT": str(tmp_path / f"out{int(areas)}")}, log)
        v = velocity_from_ifgs(_pair_arrays(res["OUTPUT"], s), s["pairs"], n, s["years"])
        quiet = ~valley & (low == 0)
        e = (v - np.median(v[quiet])) - rate
        errors[areas] = float(np.sqrt(np.mean(e[valley] ** 2)))
        if areas:
            assert "left out of the phase-elevation fit" in log.text, log.text
    # the subsidence's size in the valley: 20-60 mm/yr
    assert errors[True] <= errors[False], errors
    assert errors[True] < 1.5, errors


def test_lateral_variation_tool_matches_core_and_is_refused_where_it_cannot_work(qgis_app, tmp_path, small_blocks):
    """LATERAL_VARIATION on forced row blocks (with the high-pass halo) equals the core; the log gives the share of
    the lateral terms the data resolve; per interferogram or with windows it is refused, naming the parameters."""
    from insar_geohazards.algorithms.corrections.troposphere import correct_phase_elevation

    s, files, dem = _stack(str(tmp_path), shape=(50, 70), seed=11, strat_mm_per_km=10.0, strat_gradient=1.5,
                           turb_mm=1.0, n_dates=10)
    log = recording_feedback()
    res = hk.run("troposphericcorrection", {
        "INTERFEROGRAMS": files, "INPUT_UNITS": 3, "DEM": dem, "MODE": 1, "LATERAL_VARIATION": True,
        "DEFORMING_AREAS": False, "MIN_PIXELS": 50, "OUTPUT": str(tmp_path / "out"),
        "OUTPUT_REPORT": str(tmp_path / "t.csv")}, log)
    got = _pair_arrays(res["OUTPUT"], s)
    n = len(s["dates"])
    ref_i = np.array([i for i, _ in s["pairs"]])
    sec_i = np.array([j for _, j in s["pairs"]])
    want, _ = correct_phase_elevation(s["ifg_mm"].astype(np.float32).astype(float),
                                      s["dem"].astype(np.float32).astype(float), per_date=(ref_i, sec_i, n, None),
                                      min_pixels=50, filter_px=3.0, years=s["years"], z=2.0, lateral=True)
    np.testing.assert_allclose(got, want, atol=2e-3)
    assert "lateral variation of the slope" in log.text
    rows = list(csv.DictReader(open(res["OUTPUT_REPORT"])))
    assert {"k1_east_per_km", "k1_south_per_km", "removed_k1_east_per_km"} <= set(rows[0])
    for extra, msg in (({"MODE": 0}, "LATERAL_VARIATION: .* per date"),
                       ({"WINDOW": 20}, "LATERAL_VARIATION and WINDOW")):
        hk.expect_refusal("troposphericcorrection", {
            "INTERFEROGRAMS": files, "INPUT_UNITS": 3, "DEM": dem, "MODE": 1, "LATERAL_VARIATION": True,
            "OUTPUT": str(tmp_path / "o"), **extra}, msg)
