"""timeseriesmodels on rasters on the block engine: pinned to the loop it replaced; Dask equals local.

A synthetic time-series raster (linear, seasonal and accelerating pixels with noise, gaps
and a step) taller than one 64-row block; models and breakpoints on.
"""

import datetime as dt

import numpy as np
import pytest
from engine_reference import models_raster_frozen
from testutils import write_geotiff


def _read(path):
    from osgeo import gdal

    ds = gdal.Open(path)
    return [ds.GetRasterBand(i + 1).GetDescription() for i in range(ds.RasterCount)], \
        np.stack([ds.GetRasterBand(i + 1).ReadAsArray() for i in range(ds.RasterCount)])


@pytest.fixture(scope="module")
def series_tif(tmp_path_factory):
    d = tmp_path_factory.mktemp("models")
    rng = np.random.default_rng(8)
    dates = [dt.date(2019, 1, 5) + dt.timedelta(days=12 * k) for k in range(40)]
    t = np.array([(x - dates[0]).days / 365.25 for x in dates])
    rows, cols = 150, 9
    v = rng.uniform(-20, 20, (rows, cols))
    amp = rng.uniform(0, 6, (rows, cols))
    acc = np.where(rng.random((rows, cols)) < 0.3, rng.uniform(-5, 5, (rows, cols)), 0.0)
    cube = (v * t[:, None, None] + amp * np.sin(2 * np.pi * t)[:, None, None] + 0.5 * acc * t[:, None, None] ** 2
            + rng.normal(0, 1.5, (len(t), rows, cols)))
    cube[20:, :10, 0] += 25.0  # a step
    cube[rng.random(cube.shape) < 0.03] = np.nan
    return write_geotiff(d / "ts.tif", cube, descriptions=[x.isoformat() for x in dates]), dates


def test_timeseriesmodels_raster_equals_the_frozen_loop(run_alg, tmp_path, series_tif):
    tif, dates = series_tif
    res = run_alg("timeseriesmodels", {"INPUT_RASTER": tif, "MODELS": [0, 1, 2], "BREAKPOINTS": True,
                                       "OUTPUT_RASTER": str(tmp_path / "p.tif")})
    names, got = _read(res["OUTPUT_RASTER"])
    opts = dict(models=["linear", "seasonal", "quadratic"], criterion="bic", origin_date=None, primary_end_days=None)
    ref_names, ref = models_raster_frozen(tif, dates, opts, True, 10.0)
    assert names == ref_names and got.tobytes() == ref.tobytes()
    assert np.isfinite(got[names.index("LIN_VEL")]).mean() > 0.9


def test_timeseriesmodels_raster_on_a_dask_localcluster_equals_the_local_run(run_alg, tmp_path, series_tif):
    pytest.importorskip("distributed", reason="dask.distributed is not installed (apt install python3-distributed)")
    tif, _ = series_tif
    outs = [_read(run_alg("timeseriesmodels", {"INPUT_RASTER": tif, "MODELS": [0, 1], "DASK_SCHEDULER": s,
                                               "OUTPUT_RASTER": str(tmp_path / f"p{s}.tif")})["OUTPUT_RASTER"])
            for s in ("", "local")]
    assert outs[0][0] == outs[1][0] and outs[0][1].tobytes() == outs[1][1].tobytes()
