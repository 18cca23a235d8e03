"""Amplitude dispersion and phase linking on the block engine: pinned to the loops they replaced.

Simulated SLC stacks (files CFloat32 / CInt16, a multi-band radar-geometry stack, a PS
mask); the frozen pre-engine loops (tests/engine_reference.py) run in the same session on
the same SlcStack and write through the same RasterWriter; every output must match byte
for byte, with blocks that split the grid (halo rows included) and with the tools' own
block size. A Dask LocalCluster run must match the local run.
"""

import os

import numpy as np
import pytest
from engine_reference import amplitude_dispersion_frozen, phase_linking_frozen
from testutils import write_geotiff
from testutils_psds import write_slc_files, write_slc_multiband

from insar_geohazards.algorithms.timeseries.simulate import simulate_slc_stack

GT = (500000.0, 20.0, 0.0, 4100000.0, 0.0, -20.0)


def _bytes(path):
    from osgeo import gdal

    ds = gdal.Open(path)
    arr = ds.ReadAsArray()
    return arr.dtype.str, arr.shape, arr.tobytes()


def _stack(files):
    from insar_geohazards.fileio.psds.slc import SlcStack

    return SlcStack(files, "INPUT")


def _small_blocks(monkeypatch, rows):
    """Blocks of ``rows`` rows for the tools (their plan from the run settings, halo kept) and the frozen loops;
    None: the tools' own plan (the frozen loops: the former fixed rule)."""
    from insar_geohazards.fileio.base.blocks import RunSettings
    from insar_geohazards.fileio.psds.slc import slc_block_rows

    if rows is None:
        return slc_block_rows
    plan = RunSettings.plan
    monkeypatch.setattr(RunSettings, "plan", lambda self, n_rows, n_cols, **kw: plan(
        self, n_rows, n_cols, block_rows=rows, **{k: v for k, v in kw.items() if k == "halo"}))
    return lambda stack, **kw: rows


@pytest.mark.parametrize("kind,calibrate,rows", [("CFloat32", True, 7), ("CInt16", False, 5),
                                                 ("multiband", True, None), ("CFloat32", True, None)])
def test_amplitudedispersion_equals_the_frozen_loop(run_alg, tmp_path, monkeypatch, kind, calibrate, rows):
    sim = simulate_slc_stack(shape=(33, 41), n_dates=11, seed=8, water_fraction=0.25)
    if kind == "multiband":
        files = [write_slc_multiband(tmp_path / "stack.tif", sim)]
    else:
        files = write_slc_files(tmp_path, sim, dtype=kind)
    block_rows = _small_blocks(monkeypatch, rows)
    keys = ("OUTPUT_MEAN_AMPLITUDE", "OUTPUT_DISPERSION", "OUTPUT_PS_MASK")
    res = run_alg("amplitudedispersion", {"INPUT": files, "CALIBRATE": calibrate, "DISPERSION_THRESHOLD": 0.3,
                                          **{k: str(tmp_path / f"{k}.tif") for k in keys}})
    stack = _stack(files)
    ref = [str(tmp_path / f"ref_{k}.tif") for k in keys]
    n_ps = amplitude_dispersion_frozen(stack, block_rows(stack), ref, calibrate=calibrate, threshold=0.3)
    for k, r in zip(keys, ref):
        assert _bytes(res[k]) == _bytes(r), k
    assert n_ps > 0


@pytest.mark.parametrize("case", ["ps_mask_ifgs", "multiband_complex", "own_blocks"])
def test_phaselinking_equals_the_frozen_loop(run_alg, tmp_path, monkeypatch, case):
    sim = simulate_slc_stack(shape=(30, 36), n_dates=9, seed=6, water_fraction=0.2, atmosphere_std_rad=0.3)
    params = {"WINDOW_ROWS": 5, "WINDOW_COLS": 7}
    kw = dict(window=(5, 7), method="emi", shp="glrt", alpha=0.05, as_complex=False)
    if case == "multiband_complex":
        files = [write_slc_multiband(tmp_path / "stack.tif", sim)]
        params.update({"SHP_METHOD": 1, "METHOD": 1, "OUTPUT_FORMAT": 1, "WINDOW_ROWS": 3})
        kw.update(window=(3, 7), method="evd", shp="ks", as_complex=True)
    else:
        files = write_slc_files(tmp_path, sim)
    if case == "ps_mask_ifgs":
        ps = write_geotiff(tmp_path / "psmask.tif", sim.ps_mask.astype(float), geotransform=GT)
        params.update({"PS_MASK": ps, "OUTPUT_INTERFEROGRAMS": str(tmp_path / "ifg")})
        kw.update(ps_path=ps, ifg_dir=str(tmp_path / "ref_ifg"))
    block_rows = _small_blocks(monkeypatch, None if case == "own_blocks" else 4)
    keys = ("OUTPUT", "OUTPUT_TEMPORAL_COHERENCE", "OUTPUT_SHP_COUNT")
    res = run_alg("phaselinking", {"INPUT": files, **params, **{k: str(tmp_path / f"{k}.tif") for k in keys}})
    stack = _stack(files)
    ref = [str(tmp_path / f"ref_{k}.tif") for k in keys]
    phase_linking_frozen(stack, block_rows(stack, cap=64, copies=5), ref, **kw)
    for k, r in zip(keys, ref):
        assert _bytes(res[k]) == _bytes(r), k
    if case == "ps_mask_ifgs":
        names = sorted(os.listdir(res["OUTPUT_INTERFEROGRAMS"]))
        assert names == sorted(os.listdir(tmp_path / "ref_ifg")) and len(names) == 8 + 7 + 6
        for nm in names:
            assert _bytes(os.path.join(res["OUTPUT_INTERFEROGRAMS"], nm)) == _bytes(str(tmp_path / "ref_ifg" / nm))
    tc = _bytes(res["OUTPUT_TEMPORAL_COHERENCE"])
    assert np.isfinite(np.frombuffer(tc[2], np.float32)).mean() > 0.5


def test_psds_tools_on_a_dask_localcluster_equal_the_local_run(run_alg, tmp_path, monkeypatch):
    pytest.importorskip("distributed", reason="dask.distributed is not installed (apt install python3-distributed)")
    sim = simulate_slc_stack(shape=(26, 30), n_dates=8, seed=3, water_fraction=0.2)
    files = write_slc_files(tmp_path, sim)
    ps = write_geotiff(tmp_path / "psmask.tif", sim.ps_mask.astype(float), geotransform=GT)
    _small_blocks(monkeypatch, 4)  # 7 blocks, each with its 2 halo rows
    got = []
    for sched in ("", "local"):
        d = tmp_path / (sched or "here")
        d.mkdir()
        a = run_alg("amplitudedispersion", {"INPUT": files, "DASK_SCHEDULER": sched,
                                            "OUTPUT_MEAN_AMPLITUDE": str(d / "m.tif"),
                                            "OUTPUT_DISPERSION": str(d / "da.tif"),
                                            "OUTPUT_PS_MASK": str(d / "ps.tif")})
        p = run_alg("phaselinking", {"INPUT": files, "WINDOW_ROWS": 5, "WINDOW_COLS": 7, "PS_MASK": ps,
                                     "DASK_SCHEDULER": sched, "OUTPUT": str(d / "ph.tif"),
                                     "OUTPUT_TEMPORAL_COHERENCE": str(d / "tc.tif"),
                                     "OUTPUT_SHP_COUNT": str(d / "n.tif")})
        got.append([_bytes(a[k]) for k in ("OUTPUT_MEAN_AMPLITUDE", "OUTPUT_DISPERSION", "OUTPUT_PS_MASK")]
                   + [_bytes(p[k]) for k in ("OUTPUT", "OUTPUT_TEMPORAL_COHERENCE", "OUTPUT_SHP_COUNT")])
    assert got[0] == got[1]
