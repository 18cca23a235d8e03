"""The geometry tools' public IDs work end to end from ``run geohazard:... -- KEY=value`` lines.

``qgis_process.bin`` itself starts for the real-DEM distortion run, the Dask LocalCluster started inside a
headless qgis_process, and strainrate's refusal (exit status, stderr, no traceback). The other runs take the same
``KEY=value`` strings in this test process's QGIS (testutils_cli.in_app: the provider's parameter check and run as
qgis_process makes them; returncode, messages and errors kept), about 2.7 CPU-s less each than a start of
qgis_process.
"""

import os

import numpy as np
from testutils_cli import in_app, in_app_json, qgis_process, requires_qgis_process, run_json

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "data")
pytestmark = requires_qgis_process


def test_geometricdistortion_on_real_dem(tmp_path):
    dem = os.path.join(DATA, "envisat_small_test", "dem", "roipac_test_trimmed.tif")
    res = run_json("geometricdistortion", [f"DEM={dem}", "HEADING=193.15", "INCIDENCE=22.97",
               f"OUTPUT_CLASSES={tmp_path / 'c.tif'}", f"OUTPUT_RINDEX={tmp_path / 'r.tif'}",
               f"OUTPUT_VISIBILITY={tmp_path / 'v.tif'}", f"OUTPUT_TABLE={tmp_path / 't.csv'}"])
    from osgeo import gdal

    cls = gdal.Open(res["OUTPUT_CLASSES"]).ReadAsArray()
    assert set(np.unique(cls)) <= {0, 1, 2, 3, 4, 5, 6, 7} and (cls == 7).any()
    assert (tmp_path / "t.csv").read_text().startswith("geometry,classification")


def test_ascdescdecomposition_and_losprojection_on_real_egms(qgis_app, tmp_path):
    g = os.path.join(DATA, "egms_ustica")
    res = in_app_json("ascdescdecomposition", [f"ASC_POINTS={os.path.join(g, 'asc_117_subset.gpkg')}",
                  f"DESC_POINTS={os.path.join(g, 'desc_022_subset.gpkg')}", f"OUTPUT_EAST={tmp_path / 'e.tif'}",
                  f"OUTPUT_UP={tmp_path / 'u.tif'}", f"OUTPUT_QUALITY={tmp_path / 'q.tif'}"])
    from osgeo import gdal

    assert np.isfinite(gdal.Open(res["OUTPUT_UP"]).ReadAsArray()).sum() >= 10
    res = in_app_json("losprojection", [f"POINTS={os.path.join(g, 'desc_022_subset.gpkg')}",
                  f"OUTPUT_POINTS={tmp_path / 'p.gpkg'}"])
    assert os.path.exists(res["OUTPUT_POINTS"])


def test_missing_geometry_is_a_clear_error(qgis_app, tmp_path):
    g = os.path.join(DATA, "egms_ustica")
    out = in_app("run", "geohazard:ascdescdecomposition", "--",
                 f"ASC_POINTS={os.path.join(g, 'asc_117_subset.gpkg')}", f"OUTPUT_EAST={tmp_path / 'e.tif'}",
                 f"OUTPUT_UP={tmp_path / 'u.tif'}", f"OUTPUT_QUALITY={tmp_path / 'q.tif'}")
    assert out.returncode != 0
    text = out.stdout + out.stderr
    assert "DESC" in text and "Traceback" not in text
    assert not (tmp_path / "u.tif").exists()


def test_geometricdistortion_dask_scheduler_local_headless(qgis_app, tmp_path):
    """DASK_SCHEDULER=local through qgis_process: the embedded LocalCluster gives the local bytes (those of the
    run without it, in this process)."""
    import pytest

    pytest.importorskip("distributed", reason="dask.distributed is not installed (apt install python3-distributed)")
    dem = os.path.join(DATA, "envisat_small_test", "dem", "roipac_test_trimmed.tif")
    from osgeo import gdal

    got = []
    for sched in ("", "local"):
        d = tmp_path / (sched or "here")
        d.mkdir()
        run = run_json if sched else in_app_json
        res = run("geometricdistortion", [f"DEM={dem}", "HEADING=193.15", "INCIDENCE=22.97",
                       f"DASK_SCHEDULER={sched}", f"OUTPUT_CLASSES={d / 'c.tif'}", f"OUTPUT_RINDEX={d / 'r.tif'}",
                       f"OUTPUT_VISIBILITY={d / 'v.tif'}", f"OUTPUT_TABLE={d / 't.csv'}"])
        got.append([gdal.Open(res[k]).ReadAsArray().tobytes() for k in ("OUTPUT_CLASSES", "OUTPUT_RINDEX")])
    assert got[0] == got[1]


def test_strainrate_of_a_uniform_field(qgis_app, tmp_path):
    """A velocity field of uniform strain and rotation: every fitted pixel holds the closed-form rates."""
    from osgeo import gdal
    from testutils import write_geotiff

    rows, cols = np.mgrid[0:30, 0:40]
    x, y = cols * 100.0, -rows * 100.0
    ve, vn = 3e-5 * x + 1e-5 * y, -1e-5 * x - 2e-5 * y  # mm/yr; exx 30, eyy -20, exy 0, rotation -10 nanostrain/yr
    gt = (500000.0, 100.0, 0.0, 4100000.0, 0.0, -100.0)
    e = write_geotiff(tmp_path / "ve.tif", ve, geotransform=gt, metadata={"UNIT": "mm/yr", "COMPONENT": "EAST"})
    n = write_geotiff(tmp_path / "vn.tif", vn, geotransform=gt, metadata={"UNIT": "mm/yr", "COMPONENT": "NORTH"})
    res = in_app_json("strainrate", [f"INPUT_EAST={e}", f"INPUT_NORTH={n}", "SMOOTHING_M=200",
                                     f"OUTPUT_DILATATION={tmp_path / 'd.tif'}", f"OUTPUT_ROTATION={tmp_path / 'r.tif'}",
                                     f"OUTPUT_MAX_SHEAR={tmp_path / 's.tif'}"])
    for key, want in (("OUTPUT_DILATATION", 10.0), ("OUTPUT_ROTATION", -10.0), ("OUTPUT_MAX_SHEAR", 25.0)):
        got = gdal.Open(res[key]).ReadAsArray()
        assert np.nanmax(np.abs(got - want)) < 0.01, key
    out = qgis_process("run", "geohazard:strainrate", "--", f"INPUT_EAST={e}",
                       f"OUTPUT_DILATATION={tmp_path / 'x.tif'}")
    assert out.returncode != 0 and "INPUT_NORTH" in out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr
