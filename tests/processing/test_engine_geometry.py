"""Geometry tools on the block engine: outputs pinned to the loops they replaced, and Dask runs equal local runs.

The reference is computed in the same session by the frozen pre-engine loops
(tests/engine_reference.py) calling the same kernels; the comparison is on bytes.
The Dask test starts a LocalCluster with 2 worker processes (skipped, with the reason,
when dask.distributed is missing: ``apt install python3-distributed``).
"""

import numpy as np
import pytest
from engine_reference import distortion_map_frozen
from testutils import write_geotiff

NAME = "geometricdistortion"


def _read(path):
    from osgeo import gdal

    ds = gdal.Open(path)
    return np.stack([ds.GetRasterBand(i + 1).ReadAsArray() for i in range(ds.RasterCount)])


def _terrain(n_rows, n_cols, seed):
    rng = np.random.default_rng(seed)
    z = np.cumsum(np.cumsum(rng.normal(0, 3.0, (n_rows, n_cols)), axis=0), axis=1) / 8.0 + 500.0
    z[rng.random(z.shape) < 0.002] = -9999.0
    return z


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("engine_geo")
    gt = (500000.0, 20.0, 0.0, 4100000.0, 0.0, -20.0)
    dem = _terrain(600, 140, 11)
    inc = 32.0 + 8.0 * np.random.default_rng(12).random(dem.shape)
    return {"dem": write_geotiff(d / "dem.tif", dem, geotransform=gt, nodata=-9999.0),
            "inc": write_geotiff(d / "inc.tif", inc, geotransform=gt), "dir": d}


def _params(inputs, tmp_path, **extra):
    return {"DEM": inputs["dem"], "HEADING": -12.0, "INCIDENCE_RASTER": inputs["inc"], "HEADING_2": 191.0,
            "INCIDENCE_2": 40.0, "OUTPUT_CLASSES": str(tmp_path / "c.tif"), "OUTPUT_RINDEX": str(tmp_path / "r.tif"),
            "OUTPUT_VISIBILITY": str(tmp_path / "v.tif"), "OUTPUT_TABLE": str(tmp_path / "t.csv"),
            "OUTPUT_COMBINED": str(tmp_path / "comb.tif"), **extra}


def _outputs(res):
    return {k: _read(res[k]) for k in ("OUTPUT_CLASSES", "OUTPUT_RINDEX", "OUTPUT_VISIBILITY", "OUTPUT_COMBINED")}


def test_geometricdistortion_outputs_equal_the_frozen_loop(run_alg, inputs, tmp_path):
    from insar_geohazards.algorithms.geometry import distortion as dist
    from insar_geohazards.processing_provider.raster_io import DEFAULT_BLOCK_ROWS, raster_info, read_band

    res = run_alg(NAME, _params(inputs, tmp_path))
    got = _outputs(res)
    info = raster_info(inputs["dem"])
    store = {}

    def write(r0, r1, gi, arrays):
        for k, v in arrays.items():
            store.setdefault((gi, k), {})[r0] = v

    geos = [dist.AcquisitionGeometry(heading_deg=-12.0, name="first geometry",
                                     read_incidence=lambda a, b: read_band(inputs["inc"], rows=(a, b),
                                                                           dtype=np.float64)),
            dist.AcquisitionGeometry(heading_deg=191.0, incidence_deg=40.0, name="second geometry")]
    distortion_map_frozen(lambda a, b: read_band(info.path, rows=(a, b), dtype=np.float32), write,
                          n_rows=info.height, n_cols=info.width, geometries=geos, dx_rows_m=20.0, dy_m=20.0,
                          block_rows=DEFAULT_BLOCK_ROWS)

    def whole(gi, k, dtype):
        return np.concatenate([store[(gi, k)][r] for r in sorted(store[(gi, k)])]).astype(dtype)

    assert got["OUTPUT_CLASSES"][0].tobytes() == whole(0, "classes", np.uint8).tobytes()
    assert got["OUTPUT_RINDEX"][0].tobytes() == whole(0, "rindex", np.float32).tobytes()
    assert got["OUTPUT_VISIBILITY"][0].tobytes() == whole(0, "visibility", np.uint8).tobytes()
    assert got["OUTPUT_COMBINED"].tobytes() == np.stack([whole(-1, "best", np.uint8),
                                                         whole(-1, "source", np.uint8)]).tobytes()
    assert len(np.unique(got["OUTPUT_CLASSES"])) >= 4  # the terrain exercises several classes


def test_geometricdistortion_on_a_dask_localcluster_equals_the_local_run(run_alg, inputs, tmp_path):
    pytest.importorskip("distributed", reason="dask.distributed is not installed (apt install python3-distributed)")
    local = tmp_path / "local"
    dask = tmp_path / "dask"
    local.mkdir()
    dask.mkdir()
    res_local = run_alg(NAME, _params(inputs, local))
    res_dask = run_alg(NAME, _params(inputs, dask, DASK_SCHEDULER="local"))
    a, b = _outputs(res_local), _outputs(res_dask)
    for k in a:
        assert a[k].tobytes() == b[k].tobytes(), k
    assert (local / "t.csv").read_text() == (dask / "t.csv").read_text()


def test_dask_scheduler_parameter_is_advanced_and_explained(alg, run_alg, inputs, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingParameterDefinition

    a = alg(NAME)
    p = a.parameterDefinition("DASK_SCHEDULER")
    assert p is not None and p.flags() & QgsProcessingParameterDefinition.Flag.FlagAdvanced
    assert "shared filesystem" in a.shortHelpString()
    with pytest.raises(QgsProcessingException, match="DASK_SCHEDULER must be empty"):
        run_alg(NAME, _params(inputs, tmp_path, DASK_SCHEDULER="nonsense"))
    assert not list(tmp_path.glob("*.tif*"))
