"""Point tools on the block engine: adadetection (spatial tiles with halos),
landslideactivity (point-in-polygon blocks) and timeseriesmodels on points (point blocks)
give the same bytes in this process and on an embedded Dask LocalCluster (2 worker threads
on this machine: at least two ADA tiles per worker)."""

import datetime as dt

import numpy as np
import pytest
from testutils import vector_features
from testutils_ada import planted_field, write_points, write_wkt_layer
from testutils_models import write_dated_layer


def dump(path):
    """Every feature's attributes and geometry WKB, in order (a byte-exact comparison)."""
    names, rows = vector_features(path)
    return [(tuple(r[n] for n in names), r["__wkb__"]) for r in rows]


@pytest.fixture(autouse=True)
def _needs_distributed():
    pytest.importorskip("distributed", reason="dask.distributed is not installed (apt install python3-distributed)")


def test_adadetection_tiles_on_dask_equal_the_local_run(run_alg, tmp_path):
    x, y, v, _, _ = planted_field(30_000, size_m=7_000, n_areas=10, n_noisy=4, seed=8)
    src = write_points(tmp_path / "pts.gpkg", x + 500_000.0, y + 4_000_000.0, {"VEL": v}, epsg=32632)
    runs = []
    for s in ("", "local"):
        res = run_alg("adadetection", {"INPUT": src, "DASK_SCHEDULER": s, "OUTPUT": str(tmp_path / f"a{s}.gpkg"),
                                       "OUTPUT_POINTS": str(tmp_path / f"p{s}.gpkg")})
        runs.append((dump(res["OUTPUT"]), dump(res["OUTPUT_POINTS"])))
    assert len(runs[0][0]) >= 5
    assert runs[0] == runs[1]


def test_landslideactivity_and_point_models_on_dask_equal_the_local_run(run_alg, tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    x, y = 600_000.0 + rng.uniform(0, 3000, 5000), 5_000_000.0 + rng.uniform(0, 3000, 5000)
    v = rng.normal(0, 1.5, x.size) - 8.0 * (np.hypot(x - 601_000, y - 5_001_000) < 400)
    pts = write_points(tmp_path / "pts.gpkg", x, y, {"VEL": v}, epsg=32632)
    inv = write_wkt_layer(tmp_path / "inv.gpkg", [
        "POLYGON((600600 5000600,601400 5000600,601400 5001400,600600 5001400,600600 5000600))",
        "POLYGON((602000 5002000,602500 5002100,602200 5002600,602000 5002000))"], fields={"name": ["a", "b"]},
        epsg=32632)
    acts = [dump(run_alg("landslideactivity", {"INVENTORY": inv, "POINTS": pts, "DASK_SCHEDULER": s,
                                               "OUTPUT": str(tmp_path / f"act{s}.gpkg")})["OUTPUT"])
            for s in ("", "local")]
    assert acts[0] == acts[1] and len(acts[0]) == 2
    dates = [dt.date(2020, 1, 3) + dt.timedelta(days=12 * i) for i in range(30)]
    t = np.array([(d - dates[0]).days for d in dates]) / 365.25
    d = t[:, None] * rng.uniform(-20, 20, 300)[None, :] + rng.normal(0, 1.0, (30, 300))
    src = write_dated_layer(tmp_path / "ts.gpkg", dates, d)
    from insar_geohazards.processing_provider.tools.models.timeseriesmodels import TimeSeriesModels

    monkeypatch.setattr(TimeSeriesModels, "BLOCK_POINTS", 64)  # 5 point blocks
    models = []
    for s in ("", "local", "", "local"):  # the seasonal model too (its peak day: arctan2 of contiguous copies)
        out = str(tmp_path / f"m{s}{len(models)}.gpkg")
        models.append(dump(run_alg("timeseriesmodels", {"INPUT": src, "MODELS": [0, 1, 2], "DASK_SCHEDULER": s,
                                                         "OUTPUT": out})["OUTPUT"]))
    assert models[0] == models[1] == models[2] == models[3] and len(models[0]) == 300
