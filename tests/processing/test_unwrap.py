"""geohazard:unwrap: synthetic truth, the phaselinking -> unwrap -> sbasinversion chain, bad input, SNAPHU."""

import csv
import os

import numpy as np
import pytest
from testutils_unwrap import correct_share, synthetic_interferogram

NAME = "unwrap"
DATES = ["20200101", "20200113", "20200125"]
PAIRS = [(0, 1), (1, 2), (0, 2)]


def _read(path):
    from osgeo import gdal

    ds = gdal.Open(path)
    arr = ds.GetRasterBand(1).ReadAsArray()
    return arr


def _stack(tmp_path, rows=90, cols=110):
    """Three interferograms of a closed triplet (truth_ij + truth_jk = truth_ik) with coherence files."""
    from testutils import write_geotiff

    d01 = synthetic_interferogram(rows, cols, seed=1, bowls=((0.5, 0.5, -30.0, 14.0),), holes=())
    d12 = synthetic_interferogram(rows, cols, seed=2, bowls=((0.45, 0.55, -25.0, 12.0),), holes=())
    truth = [d01["truth"], d12["truth"], d01["truth"] + d12["truth"]]
    coh = np.minimum(d01["coherence"], d12["coherence"])
    folder = tmp_path / "wrapped"
    folder.mkdir()
    files = []
    rng = np.random.default_rng(3)
    for (i, j), t in zip(PAIRS, truth):
        name = f"{DATES[i]}_{DATES[j]}"
        noise = rng.normal(0, 0.3, t.shape) * (coh < 0.5)
        wrapped = np.angle(np.exp(1j * (t + noise)))
        wrapped[coh < 0.05] = rng.uniform(-np.pi, np.pi, (coh < 0.05).sum())
        files.append(write_geotiff(folder / f"{name}.wrapped.tif", wrapped))
        write_geotiff(tmp_path / f"{name}.coh.tif", coh)
    return folder, files, truth, coh


def test_unwraps_synthetic_triplet_with_report_and_closure(run_alg, tmp_path):
    folder, files, truth, coh = _stack(tmp_path)
    cohs = sorted(str(p) for p in tmp_path.glob("*.coh.tif"))
    out = run_alg(NAME, {"INPUT": [str(folder)], "COHERENCE": cohs, "OUTPUT": str(tmp_path / "unw"),
                         "OUTPUT_REPORT": str(tmp_path / "report.csv"), "OUTPUT_CLOSURE": str(tmp_path / "cl.csv")})
    region = coh >= 0.3
    for (i, j), t in zip(PAIRS, truth):
        name = f"{DATES[i]}_{DATES[j]}"
        unw = _read(os.path.join(out["OUTPUT"], f"{name}.unw.tif"))
        cc = _read(os.path.join(out["OUTPUT"], f"{name}.conncomp.tif"))
        assert cc.dtype == np.uint16 and (cc[np.isfinite(unw)] > 0).all()
        assert correct_share(unw, cc, t, region) > 0.98
    rows = list(csv.DictReader(open(out["OUTPUT_REPORT"])))
    assert [r["interferogram"] for r in rows] == ["20200101_20200113", "20200101_20200125", "20200113_20200125"]
    assert all(0.5 < float(r["share_unwrapped"]) <= 1 and int(r["components"]) >= 1 for r in rows)
    cl = list(csv.DictReader(open(out["OUTPUT_CLOSURE"])))
    assert len(cl) == 1 and float(cl[0]["share_not_closing"]) < 0.02


def test_chain_phaselinking_unwrap_sbasinversion(run_alg, tmp_path):
    from testutils_psds import write_slc_files

    from insar_geohazards.algorithms.timeseries.simulate import simulate_slc_stack

    sim = simulate_slc_stack(shape=(40, 50), n_dates=12, seed=4, atmosphere_std_rad=0.0, dem_error_std_m=0.0,
                             max_velocity_mm_yr=-60.0)
    files = write_slc_files(tmp_path, sim)
    pl = run_alg("phaselinking", {"INPUT": files, "WINDOW_ROWS": 5, "WINDOW_COLS": 7,
                                  "OUTPUT": str(tmp_path / "ph.tif"),
                                  "OUTPUT_TEMPORAL_COHERENCE": str(tmp_path / "tc.tif"),
                                  "OUTPUT_INTERFEROGRAMS": str(tmp_path / "ifg")})
    un = run_alg(NAME, {"INPUT": [pl["OUTPUT_INTERFEROGRAMS"]], "COHERENCE": [pl["OUTPUT_TEMPORAL_COHERENCE"]],
                        "MIN_COMPONENT_PIXELS": 10, "OUTPUT": str(tmp_path / "unw")})
    wrapped = sorted(os.listdir(pl["OUTPUT_INTERFEROGRAMS"]))
    unwrapped = sorted(f for f in os.listdir(un["OUTPUT"]) if f.endswith(".unw.tif"))
    assert [w.replace(".wrapped.", ".unw.") for w in wrapped] == unwrapped
    for w in wrapped:  # unwrapped = wrapped + 2 pi k wherever it is unwrapped
        a = _read(os.path.join(pl["OUTPUT_INTERFEROGRAMS"], w))
        u = _read(os.path.join(un["OUTPUT"], w.replace(".wrapped.", ".unw.")))
        ok = np.isfinite(u)
        assert ok.mean() > 0.3
        np.testing.assert_allclose(np.angle(np.exp(1j * (u[ok] - a[ok]))), 0, atol=1e-4)
    sb = run_alg("sbasinversion", {"INTERFEROGRAMS": [un["OUTPUT"]], "OUTPUT_VELOCITY": str(tmp_path / "v.tif"),
                                   "OUTPUT_TIMESERIES": str(tmp_path / "ts.tif")})
    from osgeo import gdal

    ds = gdal.Open(sb["OUTPUT_TIMESERIES"])
    assert ds.RasterCount == 12
    # end to end: the SBAS velocity follows the simulated bowl (0 to -60 mm/yr) with the sign of the
    # conventions, up to the reference pixel's velocity (132 days of noisy DS phase: a few mm/yr)
    v = _read(sb["OUTPUT_VELOCITY"])
    ok = np.isfinite(v) & (sim.labels >= 0)
    assert ok.mean() > 0.9
    err = v[ok] - sim.velocity_mm_yr[ok]
    assert np.corrcoef(v[ok], sim.velocity_mm_yr[ok])[0, 1] > 0.85
    assert np.sqrt(np.mean((err - np.median(err)) ** 2)) < 10.0


def test_bad_inputs_give_clear_messages_and_nothing_written(qgis_app, run_alg, tmp_path, monkeypatch):
    from qgis.core import QgsProcessingException
    from testutils import write_geotiff

    folder, files, truth, coh = _stack(tmp_path, 40, 50)
    out = str(tmp_path / "unw")
    unw_by_mistake = write_geotiff(tmp_path / "20200101_20200201.unw.tif", truth[0] * 3)
    with pytest.raises(QgsProcessingException, match="already unwrapped"):
        run_alg(NAME, {"INPUT": files[:2] + [unw_by_mistake], "OUTPUT": out})
    low = write_geotiff(tmp_path / "low.coh.tif", np.full(coh.shape, 0.1))
    with pytest.raises(QgsProcessingException, match="all incoherent"):
        run_alg(NAME, {"INPUT": files, "COHERENCE": [low], "OUTPUT": out})
    small = write_geotiff(tmp_path / "20200101_20200301.wrapped.tif", np.zeros((39, 50)))
    with pytest.raises(QgsProcessingException, match="20200101_20200301.wrapped.tif"):
        run_alg(NAME, {"INPUT": files + [small], "OUTPUT": out})
    coh_small = write_geotiff(tmp_path / "small.coh.tif", np.ones((40, 49)))
    with pytest.raises(QgsProcessingException, match="COHERENCE: small.coh.tif has 40 rows x 49 columns"):
        run_alg(NAME, {"INPUT": files, "COHERENCE": [coh_small], "OUTPUT": out})
    nodate = write_geotiff(tmp_path / "ifg.tif", np.zeros((40, 50)))
    with pytest.raises(QgsProcessingException, match="no date pair"):
        run_alg(NAME, {"INPUT": [nodate], "OUTPUT": out})
    import insar_geohazards.algorithms.unwrap.unwrap as tu

    monkeypatch.setattr(tu, "snaphu_available", lambda: False)
    with pytest.raises(QgsProcessingException, match="pip install"):
        run_alg(NAME, {"INPUT": files, "BACKEND": 1, "OUTPUT": out})
    assert not os.path.exists(out) or not os.listdir(out)


def test_cancel_leaves_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    folder, files, truth, coh = _stack(tmp_path, 30, 40)
    feedback = QgsProcessingFeedback()
    feedback.cancel()
    with pytest.raises(QgsProcessingException, match="Canceled"):
        run_alg(NAME, {"INPUT": files, "OUTPUT": str(tmp_path / "unw")}, feedback=feedback)
    assert not list((tmp_path / "unw").glob("*.tif"))


def test_snaphu_backend_identical_to_snaphu_py(run_alg, tmp_path):
    snaphu = pytest.importorskip("snaphu", reason="the optional package snaphu (snaphu-py) is not installed "
                                                   "in this Python: pip install snaphu")
    folder, files, truth, coh = _stack(tmp_path, 60, 70)
    out = run_alg(NAME, {"INPUT": files[:1], "COHERENCE": [str(tmp_path / "20200101_20200113.coh.tif")],
                         "BACKEND": 1, "MIN_COHERENCE": 0.0, "NLOOKS": 9, "OUTPUT": str(tmp_path / "unw")})
    wrapped = _read(files[0])
    c = _read(str(tmp_path / "20200101_20200113.coh.tif"))
    unw, cc = snaphu.unwrap(np.exp(1j * wrapped).astype(np.complex64), c, nlooks=9.0, cost="smooth", init="mcf")
    mine = _read(os.path.join(out["OUTPUT"], "20200101_20200113.unw.tif"))
    mine_cc = _read(os.path.join(out["OUTPUT"], "20200101_20200113.conncomp.tif"))
    np.testing.assert_array_equal(mine_cc, cc)
    np.testing.assert_array_equal(mine[cc > 0], unw[cc > 0].astype(np.float32))


@pytest.mark.parametrize("dataset,pattern,coherence", [
    ("sentinel1_mexico_city", "geotiffs/*_unw.tif", "geotiffs/*_cc.tif"),  # GAMMA, fast subsidence
    ("envisat_small_test", "tif/*_unw.tif", None),  # ROI_PAC / GAMMA, no coherence: estimated from fringes
])
def test_real_interferograms_rewrapped_match_the_producers_unwrapping(run_alg, tmp_path, dataset, pattern, coherence):
    """Real unwrapped interferograms (PyRate test data) wrapped again and unwrapped by the built-in
    backend agree with the producer's unwrapping (a peer MCF unwrapper) to the cycle."""
    import glob

    from osgeo import gdal
    from testutils import write_geotiff

    from insar_geohazards.algorithms.formats.dates import parse_date_pair

    root = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", dataset)
    truth = {}
    for f in sorted(glob.glob(os.path.join(root, pattern))):
        ds = gdal.Open(f)
        band = ds.GetRasterBand(1)
        a = band.ReadAsArray().astype(np.float64)
        nd = band.GetNoDataValue()
        a[(a == nd) | (a == 0)] = np.nan
        d1, d2 = parse_date_pair(os.path.basename(f))
        name = f"{d1:%Y%m%d}_{d2:%Y%m%d}"
        truth[name] = a
        wrapped = write_geotiff(tmp_path / f"{name}.wrapped.tif", np.angle(np.exp(1j * a)),
                                geotransform=ds.GetGeoTransform())
        wds = gdal.Open(str(wrapped), gdal.GA_Update)  # the producer's CRS, as the coherence rasters carry it
        wds.SetProjection(ds.GetProjection())
        wds = None
    params = {"INPUT": [str(p) for p in sorted(tmp_path.glob("*.wrapped.tif"))], "MIN_COHERENCE": 0.0,
              "MIN_COMPONENT_PIXELS": 1, "OUTPUT": str(tmp_path / "unw")}
    if coherence:
        params["COHERENCE"] = sorted(glob.glob(os.path.join(root, coherence)))
    out = run_alg(NAME, params)
    shares = []
    for name, a in truth.items():
        unw = _read(os.path.join(out["OUTPUT"], f"{name}.unw.tif"))
        cc = _read(os.path.join(out["OUTPUT"], f"{name}.conncomp.tif"))
        shares.append(correct_share(unw, cc, a, np.isfinite(a)))
    assert len(shares) >= 17
    assert min(shares) > 0.99 and np.mean(shares) > 0.998, np.round(shares, 4)


def test_tiles_under_a_small_memory_budget_and_on_dask(run_alg, tmp_path):
    """MAX_MEMORY_MB=1 cuts a 300-row interferogram into two row tiles: same correct share as the whole
    raster in one piece (which is the core's global unwrapper byte for byte); Dask gives the same bytes."""
    from testutils import write_geotiff

    from insar_geohazards.algorithms.unwrap.unwrap import unwrap_interferogram

    d = synthetic_interferogram(300, 80, seed=6, bowls=((0.3, 0.5, -40.0, 15.0), (0.75, 0.4, 30.0, 12.0)),
                                holes=((0.5, 0.7, 0.1),))
    ifg = write_geotiff(tmp_path / "20200101_20200113.wrapped.tif", d["wrapped"])
    coh = write_geotiff(tmp_path / "coh.tif", d["coherence"])
    mask = np.ones(d["wrapped"].shape, np.float32)
    mask[:, :4] = 0
    msk = write_geotiff(tmp_path / "mask.tif", mask)
    region = d["land"] & (d["coherence"] >= 0.3) & (mask > 0)
    out = {}
    for key, extra in (("whole", {}), ("tiles", {"MAX_MEMORY_MB": 1}),
                       ("dask", {"MAX_MEMORY_MB": 1, "DASK_SCHEDULER": "local"})):
        res = run_alg(NAME, {"INPUT": [ifg], "COHERENCE": [coh], "MASK": msk, "OUTPUT": str(tmp_path / key),
                             "OUTPUT_REPORT": str(tmp_path / f"{key}.csv"), **extra})
        out[key] = (_read(os.path.join(res["OUTPUT"], "20200101_20200113.unw.tif")),
                    _read(os.path.join(res["OUTPUT"], "20200101_20200113.conncomp.tif")),
                    list(csv.DictReader(open(res["OUTPUT_REPORT"])))[0])
    assert out["whole"][2]["tiles"] == "1" and out["tiles"][2]["tiles"] == "2"
    assert out["tiles"][2]["components"] == out["whole"][2]["components"]
    ref = unwrap_interferogram(d["wrapped"], d["coherence"], mask > 0)
    np.testing.assert_array_equal(out["whole"][0], ref.unwrapped)
    np.testing.assert_array_equal(out["whole"][1], ref.components)
    whole = correct_share(out["whole"][0], out["whole"][1], d["truth"], region)
    tiled = correct_share(out["tiles"][0], out["tiles"][1], d["truth"], region)
    assert tiled > 0.98 and tiled >= whole - 0.002
    assert (out["tiles"][1][:, :4] == 0).all()
    np.testing.assert_array_equal(out["dask"][0], out["tiles"][0])
    np.testing.assert_array_equal(out["dask"][1], out["tiles"][1])
    assert not [f for f in os.listdir(tmp_path / "tiles") if f.startswith(".")]  # scratch removed


def test_cancel_between_tiles_leaves_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback
    from testutils import write_geotiff

    d = synthetic_interferogram(300, 60, seed=2, holes=())
    ifg = write_geotiff(tmp_path / "20200101_20200113.wrapped.tif", d["wrapped"])

    class CancelInTiles(QgsProcessingFeedback):
        def setProgress(self, p):
            super().setProgress(p)
            if 0 < p < 100:
                self.cancel()

    with pytest.raises(QgsProcessingException, match="Canceled"):
        run_alg(NAME, {"INPUT": [ifg], "MAX_MEMORY_MB": 1, "OUTPUT": str(tmp_path / "unw")},
                feedback=CancelInTiles())
    assert not (tmp_path / "unw").exists() or not os.listdir(tmp_path / "unw")


def test_unwrapped_rows_in_a_later_tile_are_refused_and_nothing_written(qgis_app, run_alg, tmp_path):
    """The tiled run finds the problem in its second tile, after the first was unwrapped: a clear
    message naming the file, and neither outputs nor scratch files left."""
    from qgis.core import QgsProcessingException
    from testutils import write_geotiff

    d = synthetic_interferogram(300, 60, seed=3, holes=())
    bad = d["wrapped"].copy()
    bad[280:] = d["truth"][280:] + 20.0
    ifg = write_geotiff(tmp_path / "20200101_20200113.wrapped.tif", bad)
    with pytest.raises(QgsProcessingException, match="20200101_20200113.wrapped.tif.*already unwrapped"):
        run_alg(NAME, {"INPUT": [ifg], "MAX_MEMORY_MB": 1, "OUTPUT": str(tmp_path / "unw"),
                       "OUTPUT_REPORT": str(tmp_path / "r.csv")})
    assert not (tmp_path / "unw").exists() or not os.listdir(tmp_path / "unw")
    assert not (tmp_path / "r.csv").exists()


# ---------------------------------------------------------------- a prior model (PRIOR, PRIOR_UNITS)
def _steep_basin_files(tmp_path, pair="20200101_20200113"):
    """A steep simulated basin (gradients beyond pi per pixel, tests/core/test_unwrap_unwrap_prior.py) as a
    Sentinel-1 wrapped interferogram, and its truth."""
    import sys

    from testutils import write_geotiff

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "core"))
    from test_unwrap_unwrap_prior import steep_basin

    wrapped, truth = steep_basin()
    src = write_geotiff(tmp_path / f"{pair}.wrapped.tif", wrapped, metadata={"WAVELENGTH_METRES": "0.0554658"})
    return src, truth


def _unwrapped_share(out, truth, pair="20200101_20200113"):
    unw, cc = (_read(os.path.join(out, f"{pair}.{k}.tif")) for k in ("unw", "conncomp"))
    return correct_share(unw, cc, truth, np.ones(truth.shape, bool))


@pytest.mark.parametrize("units", [0, 1, 2])
def test_a_prior_in_rad_mm_or_mm_per_year_unwraps_a_steep_basin(run_alg, tmp_path, units):
    from testutils import recording_feedback, write_geotiff

    from insar_geohazards.algorithms import conventions

    src, truth = _steep_basin_files(tmp_path)
    prior_rad = 0.8 * truth
    mm = conventions.phase_to_los_mm(prior_rad, 0.0554658)  # positive toward the satellite
    prior = [prior_rad, mm, mm / (12 / 365.25)][units]
    prior_tif = write_geotiff(tmp_path / "prior.tif", prior)
    plain = run_alg(NAME, {"INPUT": [src], "OUTPUT": str(tmp_path / "plain"), "MIN_COMPONENT_PIXELS": 10})
    assert _unwrapped_share(plain["OUTPUT"], truth) < 0.9
    fb = recording_feedback()
    res = run_alg(NAME, {"INPUT": [src], "PRIOR": [prior_tif], "PRIOR_UNITS": units, "MIN_COMPONENT_PIXELS": 10,
                         "OUTPUT": str(tmp_path / "prior"), "OUTPUT_REPORT": str(tmp_path / "r.csv")}, feedback=fb)
    assert _unwrapped_share(res["OUTPUT"], truth) >= 0.99
    with open(tmp_path / "r.csv", encoding="utf-8") as fh:
        row = next(csv.DictReader(fh))
    assert float(row["prior_share"]) > 0.85 and row["prior_flagged"] == "False"
    assert any("the prior carried" in line for line in fb.info), fb.info


def test_one_prior_per_pair_is_matched_by_its_name(run_alg, tmp_path):
    from testutils import write_geotiff

    src, truth = _steep_basin_files(tmp_path)
    (tmp_path / "priors").mkdir()
    prior = write_geotiff(tmp_path / "priors" / "20200101_20200113.model.tif", 0.8 * truth)
    res = run_alg(NAME, {"INPUT": [src], "PRIOR": [prior], "OUTPUT": str(tmp_path / "u"), "MIN_COMPONENT_PIXELS": 10})
    assert _unwrapped_share(res["OUTPUT"], truth) >= 0.99


def test_a_wrapped_phase_given_as_prior_is_refused_and_no_output_calls_it_good(run_alg, tmp_path):
    """The wrapped interferogram itself (or any phase confined to -pi..pi with fringes) as PRIOR would make the
    residual flat and come back as the "unwrapped" output: refused, saying it is wrapped. A small unwrapped prior
    within -pi..pi (no jumps) stays accepted."""
    from qgis.core import QgsProcessingException
    from testutils import write_geotiff

    src, truth = _steep_basin_files(tmp_path)
    wrapped_prior = write_geotiff(tmp_path / "wrapped_prior.tif", np.angle(np.exp(1j * 0.8 * truth)))
    with pytest.raises(QgsProcessingException, match=r"wrapped phase, not a prior model"):
        run_alg(NAME, {"INPUT": [src], "PRIOR": [wrapped_prior], "OUTPUT": str(tmp_path / "w"),
                       "OUTPUT_REPORT": str(tmp_path / "w.csv"), "MIN_COMPONENT_PIXELS": 10})
    assert not (tmp_path / "w.csv").exists()
    assert not (tmp_path / "w").exists() or not os.listdir(tmp_path / "w")
    small = write_geotiff(tmp_path / "small_prior.tif", truth * (2.5 / np.nanmax(np.abs(truth))))
    run_alg(NAME, {"INPUT": [src], "PRIOR": [small], "OUTPUT": str(tmp_path / "s"), "MIN_COMPONENT_PIXELS": 10})


def test_a_prior_given_as_a_folder_is_used_or_refused_never_dropped(run_alg, tmp_path):
    """A folder as PRIOR gives its rasters (here one per pair, matched by name): the steep basin unwraps as with the
    file; an empty folder is refused, named."""
    from qgis.core import QgsProcessingException
    from testutils import write_geotiff

    src, truth = _steep_basin_files(tmp_path)
    (tmp_path / "priors").mkdir()
    write_geotiff(tmp_path / "priors" / "20200101_20200113.model.tif", 0.8 * truth)
    res = run_alg(NAME, {"INPUT": [src], "PRIOR": str(tmp_path / "priors"), "OUTPUT": str(tmp_path / "u"),
                         "MIN_COMPONENT_PIXELS": 10})
    assert _unwrapped_share(res["OUTPUT"], truth) >= 0.99
    (tmp_path / "empty").mkdir()
    with pytest.raises(QgsProcessingException, match=r"PRIOR: the folder .*empty.* holds no raster"):
        run_alg(NAME, {"INPUT": [src], "PRIOR": str(tmp_path / "empty"), "OUTPUT": str(tmp_path / "e"),
                       "MIN_COMPONENT_PIXELS": 10})
