"""Processing tools of issue 16 part A on small synthetic stacks with a known truth and on the Mexico City stack."""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest
import testutils_hostile as hk
from testutils_corrections import synthetic_stack, velocity_from_ifgs, write_stack_tifs, write_tif

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MEXICO = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city")


def _wkt(epsg=32614):
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    return srs.ExportToWkt()


def _read(path):
    from osgeo import gdal

    ds = gdal.Open(str(path))
    arr = ds.GetRasterBand(1).ReadAsArray().astype(float)
    ds = None
    return arr


def _stack(tmp, **kw):
    s = synthetic_stack(**kw)
    files = write_stack_tifs(os.path.join(tmp, "ifgs"), s["ifg_mm"], s["dates"], s["pairs"])
    gt = (500000.0, 30.0, 0, 2150000.0, 0, -30.0)
    dem = write_tif(os.path.join(tmp, "dem.tif"), s["dem"], _wkt(), gt)
    return s, files, dem


def _pair_arrays(folder, s):
    out = []
    for i, j in s["pairs"]:
        a, b = s["dates"][i], s["dates"][j]
        out.append(_read(os.path.join(folder, f"{a:%Y%m%d}_{b:%Y%m%d}_unw.tif")))
    return np.stack(out)


@pytest.fixture()
def small_blocks(monkeypatch):
    """Force several blocks (and a partial last one) so the block loops are exercised."""
    monkeypatch.setenv("INSAR_GEOHAZARDS_MAX_MEMORY_MB", "0.3")


def test_rampremoval_matches_core_and_truth(qgis_app, tmp_path, small_blocks):
    from insar_geohazards.algorithms.corrections.ramps import remove_ramps

    s, files, _ = _stack(str(tmp_path), shape=(45, 70), seed=1, strat_mm_per_km=0.0, ramp_mm=25.0, quadratic=True)
    stable = (s["bowl"] < 0.01).astype(np.uint8)
    mask = write_tif(str(tmp_path / "mask.tif"), stable, _wkt(), (500000.0, 30.0, 0, 2150000.0, 0, -30.0))
    # ramps of 25 mm over a 2 km grid are far steeper than orbits make: the cap is lifted, the fit is checked
    res = hk.run("rampremoval", {"INTERFEROGRAMS": str(tmp_path / "ifgs"), "INPUT_UNITS": 3, "RAMP_TYPE": 1,
                                 "MASK": mask, "MAX_GRADIENT_MM_KM": 1000.0,
                                 "OUTPUT": str(tmp_path / "out"), "OUTPUT_REPORT": str(tmp_path / "r.csv")})
    got = _pair_arrays(res["OUTPUT"], s)
    assert sorted(os.listdir(res["OUTPUT"])) == sorted(os.path.basename(f) for f in files)
    ref, _ = remove_ramps(s["ifg_mm"], kind="quadratic", mask=stable, min_pixels=100)
    np.testing.assert_allclose(got, ref, atol=5e-5)  # float64 sums; float32 files of values up to ~240 mm
    defo = np.stack([s["defo_mm"][j] - s["defo_mm"][i] for i, j in s["pairs"]])
    assert np.abs(got - defo).max() < 0.2
    rows = list(csv.DictReader(open(res["OUTPUT_REPORT"])))
    assert len(rows) == len(s["pairs"]) and float(rows[0]["rms_after_fit"]) < 0.1 * float(rows[0]["rms_before"])


def test_rampremoval_refuses_too_small_mask(qgis_app, tmp_path):
    s, files, _ = _stack(str(tmp_path), shape=(30, 40), seed=2)
    tiny = np.zeros((30, 40), np.uint8)
    tiny[2:5, 2:5] = 1
    mask = write_tif(str(tmp_path / "mask.tif"), tiny, _wkt(), (500000.0, 30.0, 0, 2150000.0, 0, -30.0))
    hk.expect_refusal("rampremoval", {"INTERFEROGRAMS": files, "INPUT_UNITS": 3, "MASK": mask,
                                      "OUTPUT": str(tmp_path / "out")}, "MASK.*9 usable pixel")
    assert not os.path.exists(tmp_path / "out") or not os.listdir(tmp_path / "out")


def test_phase_elevation_tool_matches_core_windows_per_date(qgis_app, tmp_path, small_blocks):
    from insar_geohazards.algorithms.corrections.troposphere import correct_phase_elevation

    s, files, dem = _stack(str(tmp_path), shape=(50, 90), seed=3, strat_mm_per_km=10.0, strat_gradient=1.0,
                           turb_mm=1.0)
    res = hk.run("troposphericcorrection", {
        "INTERFEROGRAMS": files, "INPUT_UNITS": 3, "DEM": dem, "METHOD": 1, "MODE": 1, "WINDOW": 30,
        "FILTER_PIXELS": 0, "TREND_GUARD": 0,  # the whole-band fit and every trend removed: the core's plain mode
        "MIN_PIXELS": 50, "OUTPUT": str(tmp_path / "out"), "OUTPUT_REPORT": str(tmp_path / "t.csv")})
    got = _pair_arrays(res["OUTPUT"], s)
    n = len(s["dates"])
    ref_i = np.array([i for i, _ in s["pairs"]])
    sec_i = np.array([j for _, j in s["pairs"]])
    want, _ = correct_phase_elevation(s["ifg_mm"], s["dem"].astype(np.float32).astype(float), order=2, window=30,
                                      min_pixels=50, per_date=(ref_i, sec_i, n, None))
    # float32 blocks in the tool, float64 in the core: 1e-3 mm on delays of ~40 mm (windows, quadratic, per date)
    np.testing.assert_allclose(got, want, atol=2e-3)
    rows = list(csv.DictReader(open(res["OUTPUT_REPORT"])))
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


def _gacos(folder, date, zen, gt):
    os.makedirs(folder, exist_ok=True)
    p = os.path.join(folder, f"{date:%Y%m%d}.ztd")
    np.asarray(zen, "<f4").tofile(p)
    with open(p + ".rsc", "w") as fh:
        fh.write(f"WIDTH {zen.shape[1]}\nFILE_LENGTH {zen.shape[0]}\nX_FIRST {gt[0]}\nY_FIRST {gt[3]}\n"
                 f"X_STEP {gt[1]}\nY_STEP {gt[5]}\n")
    return p


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
    os.remove(os.path.join(str(tmp_path / "gacos"), f"{s['dates'][2]:%Y%m%d}.ztd"))
    os.remove(os.path.join(str(tmp_path / "gacos"), f"{s['dates'][2]:%Y%m%d}.ztd.rsc"))
    hk.expect_refusal("troposphericcorrection", {
        "INTERFEROGRAMS": files, "METHOD": 2, "DELAYS": str(tmp_path / "gacos"), "INCIDENCE_ANGLE": inc,
        "OUTPUT": str(tmp_path / "out2")}, f"DELAYS: no delay map for 1 of the 6 dates .*{s['dates'][2]:%Y%m%d}")
    hk.expect_refusal("troposphericcorrection", {
        "INTERFEROGRAMS": files, "METHOD": 2, "DELAYS": str(tmp_path / "gacos"), "OUTPUT": str(tmp_path / "out3")},
        "INCIDENCE_RASTER")


def test_modifynetwork_mexico_city(qgis_app, tmp_path):
    g = os.path.join(MEXICO, "geotiffs")
    res = hk.run("modifynetwork", {"INTERFEROGRAMS": g, "COHERENCE": g, "BASELINES": os.path.join(MEXICO, "baselines"),
                                   "MAX_TEMPORAL_BASELINE": 60, "MAX_PERP_BASELINE": 100, "KEEP_CONNECTED": True,
                                   "OUTPUT": str(tmp_path / "net"), "OUTPUT_REPORT": str(tmp_path / "net.csv")})
    rows = list(csv.DictReader(open(res["OUTPUT_REPORT"])))
    kept = sorted(r["interferogram"] for r in rows if r["kept"] == "yes")
    assert sorted(os.listdir(res["OUTPUT"])) == kept
    assert all(int(r["temporal_baseline_days"]) <= 60 or r["reason"].startswith("put back") for r in rows
               if r["kept"] == "yes")
    assert {r["reason"].split(" ")[0] for r in rows if r["kept"] == "no"} <= {"temporal", "|bperp|"}
    # 19 pairs of <= 60 days (all |bperp| <= 100 m) + 20180506-20180717 put back to reach 2018-07-17
    assert len(kept) == 20 and sum(r["reason"].startswith("put back") for r in rows) == 1
    # without keep-connected the same drops leave 2018-01-06..07-17 split: refused, nothing written
    hk.expect_refusal("modifynetwork", {"INTERFEROGRAMS": g, "MAX_TEMPORAL_BASELINE": 36,
                                        "OUTPUT": str(tmp_path / "net2")}, "disconnect.*subsets|lose every")
    assert not os.path.exists(tmp_path / "net2") or not os.listdir(tmp_path / "net2")
    hk.expect_refusal("modifynetwork", {"INTERFEROGRAMS": g, "MIN_MEAN_COHERENCE": 0.5,
                                        "OUTPUT": str(tmp_path / "net3")}, "needs COHERENCE")


def test_referencepoint_mexico_city_outside_the_bowl_and_feeds_sbas(qgis_app, tmp_path):
    g = os.path.join(MEXICO, "geotiffs")
    res = hk.run("referencepoint", {"INTERFEROGRAMS": g, "COHERENCE": g, "OUTPUT": str(tmp_path / "ref.gpkg"),
                                    "OUTPUT_REPORT": str(tmp_path / "ref.csv")})
    from osgeo import ogr

    ds = ogr.Open(res["OUTPUT"])
    f = next(iter(ds.GetLayer(0)))
    col = f["COL"]
    ds = None
    assert col < 60  # the subsidence bowl fills columns 70+ (SBAS velocities < -180 mm/yr there)
    assert res["REFERENCE_POINT"].endswith("[EPSG:4326]")
    res2 = hk.run("stackingvelocity", {"INTERFEROGRAMS": g, "REFERENCE": res["REFERENCE_POINT"],
                                       "OUTPUT_VELOCITY": str(tmp_path / "v.tif")})
    v = _read(res2["OUTPUT_VELOCITY"])
    assert np.isfinite(v).mean() > 0.9 and np.nanpercentile(v[:, 70:], 10) < -100



def _report(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("tool,params", [
    ("rampremoval", {"RAMP_TYPE": 1}),
    ("troposphericcorrection", {"METHOD": 1}),
    ("rampremoval", {"MODE": 1}),  # per date: two passes over whole interferograms vs over row blocks
    ("troposphericcorrection", {"METHOD": 0, "MODE": 1, "WINDOW": 30}),
])
def test_one_read_and_two_pass_paths_write_the_same(qgis_app, tmp_path, monkeypatch, tool, params):
    """Whole interferograms in memory (each read once) vs a budget below one interferogram (fit over row blocks,
    then correct: two reads): same files and report to float rounding; the run says which it did."""
    from qgis.core import QgsProcessingFeedback

    s, files, dem = _stack(str(tmp_path), shape=(45, 70), seed=21, strat_mm_per_km=10.0, ramp_mm=20.0)
    rng = np.random.default_rng(21)
    cohs = []
    for f in files:  # coherence rasters matched by date pair: some pixels below the 0.3 threshold
        cohs.append(write_tif(f.replace("_unw.tif", "_cor.tif"), rng.uniform(0.1, 1.0, (45, 70)), _wkt(),
                              (500000.0, 30.0, 0, 2150000.0, 0, -30.0)))

    class Log(QgsProcessingFeedback):
        text = ""

        def pushInfo(self, info):
            Log.text += info + "\n"

    outs = {}
    per_date = params.get("MODE") == 1
    runs = (("one", "512"), ("two", "0.05")) + ((("dask", "512"),) if tool == "rampremoval" and not per_date else ())
    for label, mb in runs:
        monkeypatch.setenv("INSAR_GEOHAZARDS_MAX_MEMORY_MB", mb)
        Log.text = ""
        extra = {"DEM": dem} if tool == "troposphericcorrection" else {}
        if label == "dask":  # blocks of whole interferograms as tasks of an embedded LocalCluster
            pytest.importorskip("distributed", reason="dask.distributed is not installed")
            extra["DASK_SCHEDULER"] = "local"
        res = hk.run(tool, {"INTERFEROGRAMS": files, "COHERENCE": cohs, "INPUT_UNITS": 3, "MIN_PIXELS": 50, **extra,
                            **params, "OUTPUT": str(tmp_path / label), "OUTPUT_REPORT": str(tmp_path / f"{label}.csv")},
                     Log())
        assert ("read once" in Log.text) == (label != "two" and not per_date), Log.text
        assert ("row blocks" in Log.text) == (label == "two"), Log.text
        outs[label] = (_pair_arrays(res["OUTPUT"], s), _report(res["OUTPUT_REPORT"]))
    assert outs["one"][0].tobytes() == outs["two"][0].tobytes()  # normal equations added row by row: same bytes
    if "dask" in outs:
        assert outs["dask"][0].tobytes() == outs["one"][0].tobytes()
    from osgeo import gdal

    from insar_geohazards.processing_provider.raster_io import gtiff_has_zstd

    ds = gdal.Open(str(tmp_path / "one" / os.path.basename(files[0])))
    assert ds.GetMetadata("IMAGE_STRUCTURE")["COMPRESSION"] == ("ZSTD" if gtiff_has_zstd() else "DEFLATE")
    ds = None
    for a, b in zip(outs["one"][1], outs["two"][1]):
        assert a.keys() == b.keys() and a["interferogram"] == b["interferogram"] and a["pixels"] == b["pixels"]
        for k in a:
            if k not in ("interferogram", "pixels", "whole_image_fit", "window"):
                assert float(a[k]) == pytest.approx(float(b[k]), rel=1e-7, abs=1e-9), k


class _Log:
    """A feedback that keeps what the tool said."""

    def __new__(cls):
        from qgis.core import QgsProcessingFeedback

        class Log(QgsProcessingFeedback):
            def __init__(self):
                super().__init__()
                self.text = ""

            def pushInfo(self, info):
                self.text += info + "\n"

            def pushWarning(self, warning):
                self.text += "WARNING " + warning + "\n"

        return Log()


def _height_uplift_stack(tmp, step=150.0):
    """20 dates: uplift of the high ground (+100 mm/yr at the top, correlation > 0.9 with the height), a random
    stratified delay of 2 mm/km and turbulence; 150 m pixels."""
    s = synthetic_stack(shape=(48, 64), n_dates=20, seed=31, bowl_mm_yr=0.0, strat_mm_per_km=2.0, turb_mm=0.5,
                        day_step=12)
    rate = 100.0 * (s["dem"] - s["dem"].min()) / np.ptp(s["dem"])
    defo = s["years"][:, None, None] * rate[None]
    ifg = s["ifg_mm"] + np.stack([defo[j] - defo[i] for i, j in s["pairs"]])
    files = write_stack_tifs(os.path.join(tmp, "ifgs"), ifg, s["dates"], s["pairs"], step=step)
    dem = write_tif(os.path.join(tmp, "dem.tif"), s["dem"], _wkt(), (500000.0, step, 0, 2150000.0, 0, -step))
    return s, files, dem, rate, ifg


def test_phase_elevation_keeps_height_correlated_uplift_and_says_the_slope_grows_with_time(qgis_app, tmp_path,
                                                                                      small_blocks):
    from insar_geohazards.algorithms.corrections.troposphere import correct_phase_elevation

    s, files, dem, rate, ifg = _height_uplift_stack(str(tmp_path))
    log = _Log()
    res = hk.run("troposphericcorrection", {"INTERFEROGRAMS": files, "INPUT_UNITS": 3, "DEM": dem, "MODE": 1,
                                            "MIN_PIXELS": 50, "OUTPUT": str(tmp_path / "out"),
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
                                             "OUTPUT": str(tmp_path / "out0")})
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


def test_rampremoval_names_an_extrapolated_ramp_and_does_not_tilt_the_bowl(qgis_app, tmp_path):
    s = synthetic_stack(shape=(40, 90), n_dates=16, seed=33, bowl_mm_yr=-150.0, strat_mm_per_km=0.0, ramp_mm=1.0,
                        turb_mm=0.5)
    step = 150.0
    files = write_stack_tifs(str(tmp_path / "ifgs"), s["ifg_mm"], s["dates"], s["pairs"], step=step)
    strip = np.zeros((40, 90), np.uint8)
    strip[:, :10] = 1  # a stable strip along the western edge
    mask = write_tif(str(tmp_path / "strip.tif"), strip, _wkt(), (500000.0, step, 0, 2150000.0, 0, -step))
    base = {"INTERFEROGRAMS": files, "INPUT_UNITS": 3, "MASK": mask, "MODE": 1, "MIN_PIXELS": 50}
    hk.expect_refusal("rampremoval", {**base, "EXTRAPOLATION": 2, "OUTPUT": str(tmp_path / "no")},
                      r"do not surround the scene.*up to [0-9.]+ mm at the far edge")
    assert not os.path.exists(tmp_path / "no") or not os.listdir(tmp_path / "no")
    log = _Log()
    res = hk.run("rampremoval", {**base, "OUTPUT": str(tmp_path / "out")}, log)
    assert "at the far edge" in log.text and "fitted on every coherent pixel" in log.text, log.text
    n = len(s["dates"])
    v0 = velocity_from_ifgs(s["ifg_mm"], s["pairs"], n, s["years"])
    v1 = velocity_from_ifgs(_pair_arrays(res["OUTPUT"], s), s["pairs"], n, s["years"])
    change = v1 - v0
    cols = np.arange(90)[None, :].repeat(40, 0)
    tilt = np.polyfit(cols.ravel(), change.ravel(), 1)[0] * 89
    assert abs(tilt) < 10.0, tilt  # mm/yr across the 13.5 km scene
