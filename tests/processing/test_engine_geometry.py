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
    from insar_geohazards.fileio.base.raster import DEFAULT_BLOCK_ROWS, raster_info, read_band

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


@pytest.mark.parametrize("processes", ["0", "1"], ids=["worker_threads", "worker_processes"])
def test_geometricdistortion_on_a_dask_localcluster_equals_the_local_run(run_alg, inputs, tmp_path, monkeypatch,
                                                                        processes):
    pytest.importorskip("distributed", reason="dask.distributed is not installed (apt install python3-distributed)")
    local = tmp_path / "local"
    dask = tmp_path / "dask"
    local.mkdir()
    dask.mkdir()
    res_local = run_alg(NAME, _params(inputs, local))
    monkeypatch.setenv("INSAR_GEOHAZARDS_DASK_PROCESSES", processes)  # processes: the DEM is re-read by path
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


# --------------------------------------------------------------------------- LOS tools
@pytest.fixture(scope="module")
def los_inputs(tmp_path_factory):
    """A 3-band LOS time series with gaps, a DEM, an incidence raster in radians and a GAMMA lv_phi raster."""
    d = tmp_path_factory.mktemp("engine_los")
    rng = np.random.default_rng(21)
    n_rows, n_cols = 530, 47  # more than two 256-row tiles, a ragged last block
    gt = (600000.0, 15.0, 0.0, 5000000.0, 0.0, -15.0)
    los = rng.normal(0.0, 8.0, (3, n_rows, n_cols))
    los[:, rng.random((n_rows, n_cols)) < 0.01] = np.nan
    dem = _terrain(n_rows, n_cols, 22)
    inc_rad = np.radians(30.0 + 10.0 * rng.random((n_rows, n_cols)))
    lv_phi = np.radians(-170.0 + rng.normal(0.0, 0.5, (n_rows, n_cols)))
    return {"los": write_geotiff(d / "los.tif", los, geotransform=gt, descriptions=["d1", "d2", "d3"]),
            "dem": write_geotiff(d / "dem.tif", dem, geotransform=gt, nodata=-9999.0),
            "inc": write_geotiff(d / "inc.tif", inc_rad, geotransform=gt),
            "phi": write_geotiff(d / "phi.tif", lv_phi, geotransform=gt)}


def _los_ref(los_inputs, **kw):
    from engine_reference import los_projection_frozen

    from insar_geohazards.algorithms.geometry.los import AZIMUTH_KINDS, heading_from_azimuth
    from insar_geohazards.fileio.base.raster import raster_info, read_band

    read_heading = None
    if kw.pop("heading_raster", False):
        def read_heading(r0, r1):
            return heading_from_azimuth(read_band(los_inputs["phi"], rows=(r0, r1), dtype=np.float64),
                                        AZIMUTH_KINDS[1], look="right")
    return los_projection_frozen(raster_info(los_inputs["los"]), dem=raster_info(los_inputs["dem"]),
                                 read_heading=read_heading, **kw)


@pytest.mark.parametrize("variant", ["scalar_geometry", "rasters"])
def test_losprojection_rasters_equal_the_frozen_loop(run_alg, los_inputs, tmp_path, variant):
    params = {"INPUT": los_inputs["los"], "DEM": los_inputs["dem"], "HEADING": -12.0, "INCIDENCE": 37.0,
              "MIN_SENSITIVITY": 0.3, "OUTPUT_VERTICAL": str(tmp_path / "vert.tif"),
              "OUTPUT_DOWNSLOPE": str(tmp_path / "down.tif")}
    ref_kw = dict(heading=-12.0, incidence=37.0)
    if variant == "rasters":
        params.update({"INCIDENCE_RASTER": los_inputs["inc"], "INCIDENCE_UNITS": 1, "HEADING_RASTER": los_inputs["phi"],
                       "HEADING_UNITS": 1})
        ref_kw.update(inc_path=los_inputs["inc"], inc_kind=1, heading_raster=True)
    res = run_alg("losprojection", params)
    ref = _los_ref(los_inputs, **ref_kw)
    assert _read(res["OUTPUT_VERTICAL"]).tobytes() == ref["vertical"].tobytes()
    down = _read(res["OUTPUT_DOWNSLOPE"])
    assert down.tobytes() == ref["downslope"].tobytes()
    assert np.isfinite(down).mean() > 0.3  # the comparison is not between two empty rasters


def test_losvelocitytovertical_equals_the_frozen_loop(run_alg, los_inputs, tmp_path):
    from engine_reference import los_to_vertical_frozen

    from insar_geohazards.fileio.base.raster import raster_info

    info = raster_info(los_inputs["los"])
    res = run_alg("losvelocitytovertical", {"INPUT": los_inputs["los"], "INCIDENCE": 41.0,
                                            "OUTPUT": str(tmp_path / "a.tif")})
    assert _read(res["OUTPUT"]).tobytes() == los_to_vertical_frozen(info, inc_value=41.0).tobytes()
    res = run_alg("losvelocitytovertical", {"INPUT": los_inputs["los"], "INCIDENCE_RASTER": los_inputs["inc"],
                                            "INCIDENCE_UNITS": 1, "OUTPUT": str(tmp_path / "b.tif")})
    assert _read(res["OUTPUT"]).tobytes() == los_to_vertical_frozen(info, inc_path=los_inputs["inc"],
                                                                    in_radians=True).tobytes()


def test_los_tools_on_a_dask_localcluster_equal_the_local_run(run_alg, los_inputs, tmp_path):
    pytest.importorskip("distributed", reason="dask.distributed is not installed (apt install python3-distributed)")
    outs = []
    for sched in ("", "local"):
        d = tmp_path / (sched or "here")
        d.mkdir()
        res = run_alg("losprojection", {"INPUT": los_inputs["los"], "DEM": los_inputs["dem"], "HEADING_RASTER":
                                        los_inputs["phi"], "HEADING_UNITS": 1, "INCIDENCE": 37.0,
                                        "DASK_SCHEDULER": sched,
                                        "OUTPUT_VERTICAL": str(d / "v.tif"), "OUTPUT_DOWNSLOPE": str(d / "d.tif")})
        outs.append((_read(res["OUTPUT_VERTICAL"]), _read(res["OUTPUT_DOWNSLOPE"])))
    assert outs[0][0].tobytes() == outs[1][0].tobytes() and outs[0][1].tobytes() == outs[1][1].tobytes()


@pytest.mark.parametrize("sched", ["", "local"], ids=["this_process", "localcluster"])
def test_cancel_mid_way_leaves_no_output(qgis_app, run_alg, inputs, tmp_path, sched):
    """A cancel request during the run (progress past 40 %) stops between blocks: nothing is published."""
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    if sched:
        pytest.importorskip("distributed", reason="dask.distributed is not installed (apt install python3-distributed)")
    feedback = QgsProcessingFeedback()
    seen = []

    def on_progress(p):
        seen.append(p)
        if p > 40.0:
            feedback.cancel()

    feedback.progressChanged.connect(on_progress)
    params = _params(inputs, tmp_path, DASK_SCHEDULER=sched)
    with pytest.raises(QgsProcessingException, match="Canceled"):
        run_alg(NAME, params, feedback=feedback)
    assert seen and max(seen) < 100.0 and seen == sorted(seen)
    assert not list(tmp_path.iterdir())


def test_scene_heading_equals_the_frozen_loop():
    """The circular mean of a heading raster (range-scan heading) sums blocks in the same order as before."""
    from insar_geohazards.algorithms.progress import iter_blocks
    from insar_geohazards.fileio.base.raster import DEFAULT_BLOCK_ROWS
    from insar_geohazards.fileio.geometry.geometry import scene_heading

    h = -12.0 + np.random.default_rng(30).normal(0.0, 2.0, (777, 31))
    h[::50, 3] = np.nan
    sx = sy = 0.0
    for _, _, r0, r1 in iter_blocks(777, DEFAULT_BLOCK_ROWS):  # frozen: the loop scene_heading had
        hr = np.radians(h[r0:r1])
        ok = np.isfinite(hr)
        sx += float(np.sin(hr[ok]).sum())
        sy += float(np.cos(hr[ok]).sum())
    assert scene_heading(lambda a, b: h[a:b], 777) == float(np.degrees(np.arctan2(sx, sy)))
