"""geohazard:rampremoval on small synthetic stacks with a known truth and on the Mexico City stack."""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest
import testutils_hostile as hk
from testutils import recording_feedback
from testutils_corrections import synthetic_stack, velocity_from_ifgs, write_stack_tifs, write_tif
from testutils_stack_corrections import _pair_arrays, _report, _stack, _wkt


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
        assert ("left out of the ramp fit" in Log.text) == (tool == "rampremoval" and per_date), Log.text
        outs[label] = (_pair_arrays(res["OUTPUT"], s), _report(res["OUTPUT_REPORT"]))
    assert outs["one"][0].tobytes() == outs["two"][0].tobytes()  # normal equations added row by row: same bytes
    if "dask" in outs:
        assert outs["dask"][0].tobytes() == outs["one"][0].tobytes()
    from osgeo import gdal

    from insar_geohazards.fileio.base.raster import gtiff_has_zstd

    ds = gdal.Open(str(tmp_path / "one" / os.path.basename(files[0])))
    assert ds.GetMetadata("IMAGE_STRUCTURE")["COMPRESSION"] == ("ZSTD" if gtiff_has_zstd() else "DEFLATE")
    ds = None
    for a, b in zip(outs["one"][1], outs["two"][1]):
        assert a.keys() == b.keys() and a["interferogram"] == b["interferogram"] and a["pixels"] == b["pixels"]
        for k in a:
            if k not in ("interferogram", "pixels", "whole_image_fit", "window"):
                assert float(a[k]) == pytest.approx(float(b[k]), rel=1e-7, abs=1e-9), k


@pytest.mark.parametrize("tool", ["unwrapclosurecorrection", "troposphericcorrection", "rampremoval"])
def test_a_temporary_output_is_written_uncompressed_with_the_same_values(qgis_app, tmp_path, tool):
    """A stack written to a temporary destination (what a model gives a step whose output it does not keep: the
    next step reads it once and QGIS deletes it) is uncompressed, 5 x cheaper to write and 12 x cheaper to read
    back than ZSTD; the values are the same bytes as in a folder the user chose, which stays ZSTD."""
    from osgeo import gdal

    from insar_geohazards.fileio.base.raster import gtiff_has_zstd

    s, files, dem = _stack(str(tmp_path), shape=(45, 70), seed=23, strat_mm_per_km=10.0, ramp_mm=20.0)
    extra = {"DEM": dem} if tool == "troposphericcorrection" else {}
    values, codecs = [], []
    for out in (str(tmp_path / "chosen"), "TEMPORARY_OUTPUT"):
        res = hk.run(tool, {"INTERFEROGRAMS": files, "INPUT_UNITS": 3, **extra, "OUTPUT": out})
        values.append(_pair_arrays(res["OUTPUT"], s).tobytes())
        ds = gdal.Open(os.path.join(res["OUTPUT"], os.path.basename(files[0])))
        codecs.append(ds.GetMetadata("IMAGE_STRUCTURE").get("COMPRESSION", "NONE"))
        ds = None
    assert codecs == ["ZSTD" if gtiff_has_zstd() else "DEFLATE", "NONE"]
    assert values[0] == values[1]


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
    log = recording_feedback()
    res = hk.run("rampremoval", {**base, "OUTPUT": str(tmp_path / "out")}, log)
    assert "at the far edge" in log.text and "fitted on every coherent pixel" in log.text, log.text
    n = len(s["dates"])
    v0 = velocity_from_ifgs(s["ifg_mm"], s["pairs"], n, s["years"])
    v1 = velocity_from_ifgs(_pair_arrays(res["OUTPUT"], s), s["pairs"], n, s["years"])
    change = v1 - v0
    cols = np.arange(90)[None, :].repeat(40, 0)
    tilt = np.polyfit(cols.ravel(), change.ravel(), 1)[0] * 89
    assert abs(tilt) < 10.0, tilt  # mm/yr across the 13.5 km scene


def test_per_date_ramps_leave_the_deforming_areas_out(qgis_app, tmp_path):
    """A bowl on the west side and random ramps: fitted on every pixel, the ramps take the bowl's flank and their
    trend tilts the velocity; with the deforming areas left out (default) the velocity is the bowl's."""
    s = synthetic_stack(shape=(50, 100), n_dates=20, seed=5, bowl_mm_yr=-60.0, strat_mm_per_km=0.0, ramp_mm=2.0,
                        turb_mm=0.5, day_step=12)
    files = write_stack_tifs(str(tmp_path / "ifgs"), s["ifg_mm"], s["dates"], s["pairs"], step=150.0)
    base = {"INTERFEROGRAMS": files, "INPUT_UNITS": 3, "MODE": 1, "MIN_PIXELS": 50}
    n = len(s["dates"])
    truth = velocity_from_ifgs(np.stack([s["defo_mm"][j] - s["defo_mm"][i] for i, j in s["pairs"]]), s["pairs"], n,
                               s["years"])
    err = {}
    for on in (True, False):
        log = recording_feedback()
        res = hk.run("rampremoval", {**base, "DEFORMING_AREAS": on, "OUTPUT": str(tmp_path / f"out{on}")}, log)
        assert ("left out of the ramp fit" in log.text) == on, log.text
        v = velocity_from_ifgs(_pair_arrays(res["OUTPUT"], s), s["pairs"], n, s["years"])
        e = (v - truth) - np.median(v - truth)
        err[on] = float(np.sqrt(np.mean(e ** 2)))
    assert err[True] < 0.5 * err[False] and err[True] < 1.5, err
