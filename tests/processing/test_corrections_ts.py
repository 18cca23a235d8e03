"""geohazard:unwrapclosurecorrection and geohazard:demerrorcorrection: parameters, wrong input, synthetic
truth through GeoTIFF folders, outputs, nothing half-written."""

import datetime as dt
import os

import numpy as np
import pytest
from testutils import missing_parameters, write_geotiff
from testutils import read_raster as _read
from testutils_corrections import CYCLE_MM, S1_WAVELENGTH_M, error_counts, planted_stack


def _folder(tmp_path, net, data, *, to_rad=True, name="ifgs"):
    folder = tmp_path / name
    folder.mkdir()
    for k, (a, b) in enumerate(net.pairs):
        # radians, phase grows with range: rad = -mm * 4 pi / (lambda * 1000)
        arr = -data[k] * 4 * np.pi / (S1_WAVELENGTH_M * 1000) if to_rad else data[k]
        write_geotiff(folder / f"{a:%Y%m%d}_{b:%Y%m%d}.unw.tif", arr, nodata=-9999.0)
        write_geotiff(folder / f"{a:%Y%m%d}_{b:%Y%m%d}.cc.tif", np.full(arr.shape, 0.8))
    return folder


def test_parameters(alg):
    a = alg("unwrapclosurecorrection")
    assert not missing_parameters(a, ("INTERFEROGRAMS", "COHERENCE", "INPUT_UNITS", "WAVELENGTH_M", "MIN_COHERENCE",
                                      "MAX_CYCLES", "LOOP_THRESHOLD_RAD", "OUTPUT", "OUTPUT_CYCLES",
                                      "OUTPUT_NONCLOSING", "OUTPUT_STATS", "DASK_SCHEDULER"))
    assert "Yunjun" in a.shortHelpString() and a.group() == "Corrections"
    d = alg("demerrorcorrection")
    assert not missing_parameters(d, ("INPUT", "BASELINES", "SLANT_RANGE", "SLANT_RANGE_RASTER", "INCIDENCE",
                                      "INCIDENCE_RASTER", "POLY_ORDER", "STEP_DATES", "OUTPUT", "OUTPUT_DEM_ERROR",
                                      "OUTPUT_RESIDUAL"))
    assert "Fattahi" in d.shortHelpString()


def test_closure_folder_run(run_alg, tmp_path):
    net, clean, planted, _ = planted_stack(n_dates=10, neighbours=3, shape=(20, 24), noise_mm=0.8, share=0.3, seed=4)
    folder = _folder(tmp_path, net, clean + planted * CYCLE_MM)
    out_dir = tmp_path / "fixed"
    res = run_alg("unwrapclosurecorrection", {
        "INTERFEROGRAMS": str(folder), "COHERENCE": str(folder), "INPUT_UNITS": 0, "MIN_COHERENCE": 0.5,
        "OUTPUT": str(out_dir), "OUTPUT_CYCLES": str(tmp_path / "cycles.tif"),
        "OUTPUT_NONCLOSING": str(tmp_path / "nonclosing.tif"), "OUTPUT_STATS": str(tmp_path / "stats.csv"),
        "OUTPUT_LOOPS": str(tmp_path / "loops.csv")})
    names = sorted(os.listdir(out_dir))
    assert names == sorted(f"{a:%Y%m%d}_{b:%Y%m%d}.unw.tif" for a, b in net.pairs)
    corrected = []
    for a, b in net.pairs:
        arr, _ = _read(out_dir / f"{a:%Y%m%d}_{b:%Y%m%d}.unw.tif")
        corrected.append(-arr * S1_WAVELENGTH_M * 1000 / (4 * np.pi))
    n, fixed, new = error_counts(np.array(corrected), clean, planted)
    assert new == 0 and fixed / n > 0.9
    # the values not corrected are bit-identical to the input (float32 round trip)
    src, _ = _read(folder / f"{net.pairs[0][0]:%Y%m%d}_{net.pairs[0][1]:%Y%m%d}.unw.tif")
    out0, _ = _read(out_dir / f"{net.pairs[0][0]:%Y%m%d}_{net.pairs[0][1]:%Y%m%d}.unw.tif")
    same = planted[0] == 0
    np.testing.assert_array_equal(out0[same], src[same])
    cyc, _ = _read(res["OUTPUT_CYCLES"])
    assert cyc.sum() >= fixed
    nc, ds = _read(res["OUTPUT_NONCLOSING"])
    assert ds.GetRasterBand(1).GetDescription() == "before" and (nc[1] <= nc[0]).all() and nc[0].max() > 0
    import csv

    with open(res["OUTPUT_STATS"]) as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == net.n_pairs
    assert {"interferogram", "loops", "bad_loops", "rms_closure_rad", "share_nonclosing", "share_nonclosing_after",
            "corrected_pixels", "bad"} <= set(rows[0])
    hit = {f"{a:%Y%m%d}_{b:%Y%m%d}.unw.tif" for k, (a, b) in enumerate(net.pairs) if planted[k].any()}
    for r in rows:
        if r["interferogram"] in hit:
            assert float(r["share_nonclosing"]) > 0
        assert float(r["share_nonclosing_after"]) <= float(r["share_nonclosing"]) + 1e-12
    with open(res["OUTPUT_LOOPS"]) as fh:
        loops = list(csv.DictReader(fh))
    from insar_geohazards.algorithms.corrections.closure import network_triplets

    assert len(loops) == network_triplets(net.pairs).n and all(int(r["pixels"]) == 20 * 24 for r in loops)


def test_closure_refusals(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    net, clean, planted, _ = planted_stack(n_dates=5, neighbours=1, shape=(8, 8), seed=1, patch=(2, 4))
    folder = _folder(tmp_path, net, clean)
    with pytest.raises(QgsProcessingException, match="no closed triplet"):
        run_alg("unwrapclosurecorrection", {"INTERFEROGRAMS": str(folder), "OUTPUT": str(tmp_path / "o")})
    assert not os.path.exists(tmp_path / "o") or not os.listdir(tmp_path / "o")
    net, clean, planted, _ = planted_stack(n_dates=5, neighbours=2, shape=(8, 8), seed=1, patch=(2, 4))
    folder = _folder(tmp_path, net, clean, name="ifgs2")
    with pytest.raises(QgsProcessingException, match="destroy the input|holds the input"):
        run_alg("unwrapclosurecorrection", {"INTERFEROGRAMS": str(folder), "OUTPUT": str(folder)})


def _ts_raster(tmp_path, *, n=24, shape=(10, 12), seed=0):
    rng = np.random.default_rng(seed)
    dates = [dt.date(2021, 1, 5) + dt.timedelta(days=12 * i) for i in range(n)]
    b = rng.normal(0, 80, n)
    b -= b[0]
    t = np.array([(d - dates[0]).days for d in dates]) / 365.25
    s = 850e3 * np.sin(np.radians(39.0))
    dz = rng.normal(0, 25, shape)
    defo = rng.normal(-8, 6, shape)[None] * t[:, None, None]
    ts = defo + b[:, None, None] / s * dz[None] * 1000 + rng.normal(0, 0.3, (n,) + shape)
    ts -= ts[:1]
    path = write_geotiff(tmp_path / "ts.tif", ts, descriptions=[d.isoformat() for d in dates])
    csvf = tmp_path / "bperp.csv"
    csvf.write_text("date,bperp_m\n" + "".join(f"{d.isoformat()},{v:.4f}\n" for d, v in zip(dates, b + 12.0)))
    return path, str(csvf), dates, dz, defo


def test_dem_error_run(run_alg, tmp_path):
    path, csvf, dates, dz, defo = _ts_raster(tmp_path)
    res = run_alg("demerrorcorrection", {"INPUT": path, "BASELINES": [csvf], "SLANT_RANGE": 850000.0,
                                         "INCIDENCE": 39.0, "OUTPUT": str(tmp_path / "cor.tif"),
                                         "OUTPUT_DEM_ERROR": str(tmp_path / "dz.tif"),
                                         "OUTPUT_RESIDUAL": str(tmp_path / "res.tif")})
    est, _ = _read(res["OUTPUT_DEM_ERROR"])
    assert np.sqrt(np.mean((est - dz) ** 2)) < 3.0  # m, for dz of 25 m RMS
    cor, ds = _read(res["OUTPUT"])
    assert [ds.GetRasterBand(i + 1).GetDescription() for i in range(ds.RasterCount)] == [d.isoformat() for d in dates]
    assert np.sqrt(np.mean((cor - defo) ** 2)) < 1.0
    # an incidence raster on the grid gives the same series
    inc = write_geotiff(tmp_path / "inc.tif", np.full(dz.shape, 39.0))
    res2 = run_alg("demerrorcorrection", {"INPUT": path, "BASELINES": [csvf], "INCIDENCE_RASTER": inc,
                                          "OUTPUT": str(tmp_path / "cor2.tif"),
                                          "OUTPUT_DEM_ERROR": str(tmp_path / "dz2.tif")})
    np.testing.assert_allclose(_read(res2["OUTPUT"])[0], cor, atol=1e-4)


def test_dem_error_refusals(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    path, csvf, dates, _, _ = _ts_raster(tmp_path)
    with pytest.raises(QgsProcessingException, match="BASELINES"):
        run_alg("demerrorcorrection", {"INPUT": path, "BASELINES": [], "OUTPUT": str(tmp_path / "c.tif"),
                                       "OUTPUT_DEM_ERROR": str(tmp_path / "d.tif")})
    short = tmp_path / "short.csv"
    short.write_text("".join(f"{d.isoformat()},{i}\n" for i, d in enumerate(dates[:-1])))
    with pytest.raises(QgsProcessingException, match="no perpendicular baseline for 1 date"):
        run_alg("demerrorcorrection", {"INPUT": path, "BASELINES": [str(short)], "OUTPUT": str(tmp_path / "c.tif"),
                                       "OUTPUT_DEM_ERROR": str(tmp_path / "d.tif")})
    assert not os.path.exists(tmp_path / "c.tif") and not os.path.exists(tmp_path / "d.tif")
    nodates = write_geotiff(tmp_path / "nodates.tif", np.zeros((3, 4, 4)))
    with pytest.raises(QgsProcessingException, match="description"):
        run_alg("demerrorcorrection", {"INPUT": nodates, "BASELINES": [csvf], "OUTPUT": str(tmp_path / "c.tif"),
                                       "OUTPUT_DEM_ERROR": str(tmp_path / "d.tif")})


def test_closure_mexico_city_planted(run_alg, tmp_path, data_dir):
    """Real Sentinel-1 GAMMA stack (tests/data, PyRate's Mexico City crop): the stack closes as given (nothing
    changed), cycle slips planted in interferograms with 3+ loops are fixed, none made elsewhere."""
    import glob
    import shutil

    from osgeo import gdal

    src = sorted(glob.glob(os.path.join(str(data_dir), "sentinel1_mexico_city", "geotiffs", "*_unw.tif")))
    folder = tmp_path / "mx"
    folder.mkdir()
    orig = {}
    for p in src:
        shutil.copy(p, folder)
        orig[os.path.basename(p)] = gdal.Open(p).ReadAsArray().astype(np.float64)
    planted = {"cropA_20180307-20180506_VV_8rlks_eqa_unw.tif": (slice(10, 25), slice(60, 80), 1),
               "cropA_20180319-20180331_VV_8rlks_eqa_unw.tif": (slice(30, 45), slice(20, 35), -2),
               "cropA_20180331-20180506_VV_8rlks_eqa_unw.tif": (slice(40, 55), slice(70, 90), 1)}
    for name, (r, c, n) in planted.items():
        ds = gdal.Open(str(folder / name), gdal.GA_Update)
        arr = ds.ReadAsArray()
        valid = arr != 0
        arr[r, c] = np.where(valid[r, c], arr[r, c] + n * 2 * np.pi, 0)
        ds.GetRasterBand(1).WriteArray(arr)
        ds = None
    res = run_alg("unwrapclosurecorrection", {"INTERFEROGRAMS": str(folder), "OUTPUT": str(tmp_path / "fixed"),
                                              "OUTPUT_STATS": str(tmp_path / "s.csv")})
    n_planted = n_fixed = n_new = 0
    for name, a in orig.items():
        b = gdal.Open(os.path.join(res["OUTPUT"], name)).ReadAsArray().astype(np.float64)
        ok = (a != 0) & np.isfinite(b)
        cyc = np.rint((b - a) / (2 * np.pi))
        mask = np.zeros(a.shape, bool)
        if name in planted:
            r, c, _ = planted[name]
            mask[r, c] = True
            n_planted += int((mask & ok).sum())
            n_fixed += int((mask & ok & (cyc == 0)).sum())
        n_new += int((~mask & ok & (cyc != 0)).sum())
    assert n_new == 0
    assert n_fixed / n_planted > 0.95


def test_pca_atmosphere_run(run_alg, tmp_path):
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "corrections"))
    from synthetic_atmosphere import atmosphere_stack

    s = atmosphere_stack(shape=(40, 56), n_dates=30, strat_mm_per_km=5, turb_mm=5, seed=8)
    path = write_geotiff(tmp_path / "ts.tif", s["series_mm"], descriptions=[d.isoformat() for d in s["dates"]])
    res = run_alg("pcaatmosphere", {"INPUT": path, "TILE_PIXELS": 32, "OUTPUT": str(tmp_path / "c.tif"),
                                    "OUTPUT_ATMOSPHERE": str(tmp_path / "a.tif"),
                                    "OUTPUT_COMPONENTS": str(tmp_path / "n.tif")})
    cor, ds = _read(res["OUTPUT"])
    assert ds.GetRasterBand(1).GetDescription() == s["dates"][0].isoformat()
    before = np.sqrt(np.mean((s["series_mm"] - s["deformation_mm"]) ** 2))
    after = np.sqrt(np.mean((cor - s["deformation_mm"]) ** 2))
    assert after < 0.7 * before
    atm, _ = _read(res["OUTPUT_ATMOSPHERE"])
    np.testing.assert_allclose(atm + cor, s["series_mm"], atol=1e-3)
    n, _ = _read(res["OUTPUT_COMPONENTS"])
    assert np.nanmin(n) >= 1
    few = write_geotiff(tmp_path / "few.tif", s["series_mm"][:8], descriptions=[d.isoformat() for d in s["dates"][:8]])
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="at least 12"):
        run_alg("pcaatmosphere", {"INPUT": few, "OUTPUT": str(tmp_path / "c2.tif")})
    assert not os.path.exists(tmp_path / "c2.tif")


def test_dask_localcluster_equals_the_local_run(run_alg, tmp_path, monkeypatch):
    pytest.importorskip("distributed", reason="dask.distributed is not installed (apt install python3-distributed)")
    from insar_geohazards.algorithms import engine
    from insar_geohazards.processing_provider.io import corrections as tc

    # 3 blocks of 16 rows, the corrected files' tiles as tall
    monkeypatch.setattr(tc, "closure_plan", lambda info, *a: (engine.plan_blocks(info.height, info.width,
                                                                                 block_rows=16), 16))
    net, clean, planted, _ = planted_stack(n_dates=8, neighbours=3, shape=(40, 24), noise_mm=0.8, seed=6)
    folder = _folder(tmp_path, net, clean + planted * CYCLE_MM)
    got = []
    for sched in ("", "local"):
        d = tmp_path / (sched or "here")
        d.mkdir()
        res = run_alg("unwrapclosurecorrection", {"INTERFEROGRAMS": str(folder), "DASK_SCHEDULER": sched,
                                                  "OUTPUT": str(d / "fixed"), "OUTPUT_CYCLES": str(d / "c.tif")})
        got.append([_read(os.path.join(res["OUTPUT"], f))[0].tobytes() for f in sorted(os.listdir(res["OUTPUT"]))]
                   + [_read(res["OUTPUT_CYCLES"])[0].tobytes()])
        _, ds = _read(os.path.join(res["OUTPUT"], sorted(os.listdir(res["OUTPUT"]))[0]))
        assert ds.GetRasterBand(1).GetBlockSize() == [256, 16]
    assert got[0] == got[1]


def test_closure_plan_fits_the_budget(qgis_app):
    """The plan of unwrapclosurecorrection counts every block alive at once (read ahead, computed, queued,
    written): rows x width x closure_pixel_bytes within MAX_MEMORY_MB; below one 256-row tile the blocks
    are a multiple of 16 rows and the corrected files' tiles as tall; the model grows with the network."""
    from insar_geohazards.algorithms.corrections.closure import closure_block_bytes
    from insar_geohazards.processing_provider.io.corrections import closure_pixel_bytes, closure_plan
    from insar_geohazards.processing_provider.io.raster import RasterInfo

    assert closure_pixel_bytes(202, 256, False) == 202 * 28 + closure_block_bytes(202, 256)
    assert closure_pixel_bytes(202, 256, True) > closure_pixel_bytes(202, 256, False)
    for (h, w), m, t, coh, mb in (((1000, 1000), 202, 256, False, 512), ((1000, 1000), 202, 256, True, 512),
                                  ((3000, 2000), 40, 60, False, 64), ((500, 300), 10, 8, False, 16),
                                  ((100000, 5000), 300, 900, False, 16)):
        info = RasterInfo(path="x.tif", width=w, height=h, count=1, geotransform=(0, 1, 0, 0, 0, -1), crs_wkt="")
        plan, tile = closure_plan(info, m, t, coh, mb)
        rows = plan[0].row1 - plan[0].row0
        assert plan[-1].row1 == h and all(b.row0 == a.row1 for a, b in zip(plan, plan[1:]))
        assert rows * w * closure_pixel_bytes(m, t, coh) <= mb * 2 ** 20 or rows == 1
        if rows < min(h, 256):
            assert rows % 16 == 0 or rows < 16
            assert tile == max(16, rows // 16 * 16)
        else:
            assert tile is None and (rows % 256 == 0 or rows == h)


def test_dem_error_writes_the_final_velocity(run_alg, tmp_path):
    path, csvf, dates, dz, defo = _ts_raster(tmp_path)
    res = run_alg("demerrorcorrection", {"INPUT": path, "BASELINES": [csvf], "OUTPUT": str(tmp_path / "cor.tif"),
                                         "OUTPUT_DEM_ERROR": str(tmp_path / "dz.tif"),
                                         "OUTPUT_VELOCITY": str(tmp_path / "v.tif"),
                                         "OUTPUT_VELOCITY_STD": str(tmp_path / "vs.tif")})
    v, _ = _read(res["OUTPUT_VELOCITY"])
    t = np.array([(d - dates[0]).days for d in dates]) / 365.25
    rate = defo[-1] / t[-1]
    assert np.sqrt(np.mean((v - rate) ** 2)) < 0.5  # mm/yr, dates with 0.3 mm of noise
    cor, _ = _read(res["OUTPUT"])  # the line fitted to the corrected series, not to the input
    np.testing.assert_allclose(v, np.polyfit(t, cor.reshape(len(dates), -1), 1)[0].reshape(v.shape), atol=1e-3)
    vs, _ = _read(res["OUTPUT_VELOCITY_STD"])
    assert np.all((vs > 0) & (vs < 1.0))


def test_closure_without_coherence_warns_that_min_coherence_is_not_applied(run_alg, tmp_path):
    from qgis.core import QgsProcessingFeedback

    class Log(QgsProcessingFeedback):
        warnings = []

        def pushWarning(self, text):
            Log.warnings.append(text)

    net, clean, planted, _ = planted_stack(n_dates=8, neighbours=3, shape=(12, 14), seed=2, patch=(3, 5))
    folder = _folder(tmp_path, net, clean)
    run_alg("unwrapclosurecorrection", {"INTERFEROGRAMS": str(folder), "COHERENCE_THRESHOLD": 0.3,
                                        "OUTPUT": str(tmp_path / "o")}, feedback=Log())
    assert any("COHERENCE_THRESHOLD 0.3 is not applied" in w for w in Log.warnings)
