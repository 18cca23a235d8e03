"""Stacking velocity and phase-gradient stacking on the block engine: pinned to the loops they replaced.

Real Sentinel-1 interferograms (tests/data/sentinel1_mexico_city) and a synthetic wrapped
stack with a block size that splits the grid; the frozen pre-engine loops
(tests/engine_reference.py) run in the same session on the same StackInput; bytes must
match. A LocalCluster run must match the local run.
"""

import datetime as dt
import os

import numpy as np
import pytest
from engine_reference import phase_gradient_frozen, stacking_velocity_frozen
from testutils import write_geotiff


def _read(path):
    from osgeo import gdal

    ds = gdal.Open(path)
    return np.stack([ds.GetRasterBand(i + 1).ReadAsArray() for i in range(ds.RasterCount)])


def _stack(alg, params):
    from qgis.core import QgsProcessingContext

    from insar_geohazards.algorithms.timeseries.network import filter_network
    from insar_geohazards.processing_provider.inputs.stacks import gather_stack

    a = alg
    ctx = QgsProcessingContext()
    stack = gather_stack(a, params, ctx, allow_mintpy=False, baselines=False)
    flt = filter_network(stack.network, max_temporal_baseline_days=float(params.get("MAX_TEMPORAL_BASELINE", 0)))
    return stack.subset(flt.keep) if not flt.keep.all() else stack


@pytest.fixture(scope="module")
def wrapped_folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("wrapped")
    rng = np.random.default_rng(4)
    rows, cols = 70, 33
    yy, xx = np.mgrid[0:rows, 0:cols]
    slide = np.exp(-((yy - 35) ** 2 + (xx - 16) ** 2) / 40.0)
    d0 = dt.date(2021, 1, 1)
    for k in range(9):
        a, b = d0 + dt.timedelta(days=12 * k), d0 + dt.timedelta(days=12 * k + 24)
        phase = 3.0 * slide + 0.05 * xx * rng.normal() + rng.normal(0, 0.2, (rows, cols))
        write_geotiff(d / f"{a:%Y%m%d}_{b:%Y%m%d}.wrapped.tif", np.angle(np.exp(1j * phase)))
        write_geotiff(d / f"{a:%Y%m%d}_{b:%Y%m%d}.cc.tif", rng.uniform(0.2, 1.0, (rows, cols)))
    return str(d)


def test_stackingvelocity_equals_the_frozen_loop_on_real_data(alg, run_alg, tmp_path, data_dir):
    from insar_geohazards.fileio.base.blocks import RunSettings
    from insar_geohazards.fileio.timeseries.stacks import block_rows_for, reference_values
    from insar_geohazards.processing_provider.inputs.stacks import reference_pixel

    folder = os.path.join(data_dir, "sentinel1_mexico_city", "geotiffs")
    params = {"INTERFEROGRAMS": folder, "COHERENCE": folder, "WEIGHTING": 1, "COHERENCE_THRESHOLD": 0.2,
              "REFERENCE": "-99.1780,19.4400 [EPSG:4326]", "OUTPUT_VELOCITY": str(tmp_path / "v.tif"),
              "OUTPUT_VELOCITY_STD": str(tmp_path / "s.tif"), "OUTPUT_COUNT": str(tmp_path / "n.tif")}
    res = run_alg("stackingvelocity", params)
    a = alg("stackingvelocity")
    stack = _stack(a, params)
    from qgis.core import QgsProcessingContext

    ref_rc = reference_pixel(a, params, QgsProcessingContext(), stack, None, None)
    ref = stacking_velocity_frozen(stack, block_rows_for(stack, RunSettings(), factor=5),
                                   ref_mm=reference_values(stack, *ref_rc),
                                   span=stack.network.temporal_baseline_days / 365.25, weighted=True, thr=0.2,
                                   looks=10, min_count=2)
    for key, r in zip(("OUTPUT_VELOCITY", "OUTPUT_VELOCITY_STD", "OUTPUT_COUNT"), ref):
        assert _read(res[key])[0].tobytes() == r.tobytes(), key
    assert np.isfinite(ref[0]).mean() > 0.5


@pytest.mark.parametrize("data", ["real", "synthetic"])
def test_phasegradientstacking_equals_the_frozen_loop(alg, run_alg, tmp_path, data_dir, wrapped_folder, data,
                                                     monkeypatch):
    from insar_geohazards.fileio.base.blocks import RunSettings
    from insar_geohazards.fileio.timeseries import stacks as tt

    if data == "real":
        folder = os.path.join(data_dir, "sentinel1_mexico_city", "geotiffs")
        params = {"INTERFEROGRAMS": folder, "COHERENCE": folder, "MAX_TEMPORAL_BASELINE": 48}
        rows = None
    else:
        params = {"INTERFEROGRAMS": wrapped_folder, "COHERENCE": wrapped_folder, "INPUT_UNITS": 1,
                  "WAVELENGTH_M": 0.0555}
        rows = 16  # several blocks with their halo row
        monkeypatch.setattr(tt, "block_rows_for", lambda stack, run, factor=10: rows)
    params.update({"OUTPUT": str(tmp_path / "g.tif"), "OUTPUT_RANGE": str(tmp_path / "gx.tif"),
                   "OUTPUT_AZIMUTH": str(tmp_path / "gy.tif")})
    res = run_alg("phasegradientstacking", params)
    stack = _stack(alg("phasegradientstacking"), params)
    ref = phase_gradient_frozen(stack, rows or tt.block_rows_for(stack, RunSettings(), factor=10),
                                sign=-1.0 if params.get("INPUT_UNITS") == 1 else 1.0,
                                span=stack.network.temporal_baseline_days / 365.25, min_count=1)
    for key, k in (("OUTPUT", "magnitude_mm_yr"), ("OUTPUT_RANGE", "col_mm_yr"), ("OUTPUT_AZIMUTH", "row_mm_yr")):
        assert _read(res[key])[0].tobytes() == ref[k].tobytes(), key
    assert np.isfinite(ref["magnitude_mm_yr"]).mean() > 0.5


def test_stack_tools_on_a_dask_localcluster_equal_the_local_run(run_alg, tmp_path, wrapped_folder, monkeypatch):
    pytest.importorskip("distributed", reason="dask.distributed is not installed (apt install python3-distributed)")
    from insar_geohazards.fileio.timeseries import stacks

    monkeypatch.setattr(stacks, "block_rows_for", lambda stack, run, factor=10: 16)
    got = []
    for sched in ("", "local"):
        d = tmp_path / (sched or "here")
        d.mkdir()
        g = run_alg("phasegradientstacking", {"INTERFEROGRAMS": wrapped_folder, "COHERENCE": wrapped_folder,
                                              "DASK_SCHEDULER": sched, "OUTPUT": str(d / "g.tif")})
        v = run_alg("stackingvelocity", {"INTERFEROGRAMS": wrapped_folder, "INPUT_UNITS": 0,
                                         "DASK_SCHEDULER": sched, "OUTPUT_VELOCITY": str(d / "v.tif")})
        got.append((_read(g["OUTPUT"]), _read(v["OUTPUT_VELOCITY"])))
    assert got[0][0].tobytes() == got[1][0].tobytes() and got[0][1].tobytes() == got[1][1].tobytes()
