"""The kinematics tools' public IDs work end to end through headless qgis_process.

``qgis_process.bin`` itself starts for landslide3d (its rasters typed as repeated keys, its geometries as one
string) and its refusal (exit status, stderr, no traceback); the runs of triggercorrelation and validateinsar take
the same ``KEY=value`` strings in this test process's QGIS (testutils_cli.in_app: the provider's parameter check and
run as qgis_process makes them), about 2.7 CPU-s less each than a start of qgis_process."""

import os

import numpy as np
from testutils import write_geotiff
from testutils_cli import in_app_json, qgis_process, requires_qgis_process, run_json

from insar_geohazards.algorithms.geometry.los import los_unit_vector

pytestmark = requires_qgis_process


def test_landslide3d_asc_desc_dem(tmp_path):
    n = 10
    yy, xx = np.mgrid[0:n, 0:n] * 30.0
    s, a = np.radians(25.0), np.radians(200.0)
    dem = write_geotiff(tmp_path / "dem.tif", 800.0 - np.tan(s) * (np.sin(a) * xx - np.cos(a) * yy))
    truth = 30.0 * np.array([np.cos(s) * np.sin(a), np.cos(s) * np.cos(a), -np.sin(s)])
    paths = [write_geotiff(tmp_path / f"g{i}.tif", np.full((n, n), float(np.dot(los_unit_vector(inc, h), truth))))
             for i, (h, inc) in enumerate(((-12.0, 39.0), (192.0, 34.0)))]
    res = run_json("landslide3d", [f"RASTERS={paths[0]}", f"RASTERS={paths[1]}", "GEOMETRIES=-12,39;192,34",
                                   f"DEM={dem}", f"OUTPUT={tmp_path / 'v.tif'}",
                                   f"OUTPUT_QUALITY={tmp_path / 'q.tif'}"])
    from osgeo import gdal

    ds = gdal.Open(res["OUTPUT"])
    v = ds.ReadAsArray()
    np.testing.assert_allclose(v[:, 5, 5], truth, atol=1e-3)


def test_landslide3d_rank_deficient_is_a_clear_error(tmp_path):
    p = [write_geotiff(tmp_path / f"g{i}.tif", np.ones((5, 5))) for i in range(2)]
    out = qgis_process("run", "geohazard:landslide3d", "--", f"RASTERS={p[0]}", f"RASTERS={p[1]}",
                       "GEOMETRIES=-12,39;192,34", f"OUTPUT={tmp_path / 'v.tif'}",
                       f"OUTPUT_QUALITY={tmp_path / 'q.tif'}")
    assert out.returncode != 0 and "rank-deficient" in (out.stdout + out.stderr)
    assert "Traceback" not in out.stdout + out.stderr
    assert not os.path.exists(tmp_path / "v.tif")


def test_validateinsar_and_triggercorrelation(qgis_app, tmp_path):
    import datetime as dt

    import testutils_hostile as hk

    defo = hk.dated_layer(str(tmp_path / "defo.gpkg"))
    rng = np.random.default_rng(0)
    start = dt.date(2018, 12, 1)
    (tmp_path / "rain.csv").write_text("date,rain\n" + "\n".join(
        f"{start + dt.timedelta(days=i)},{v:.2f}" for i, v in enumerate(rng.gamma(0.5, 6, 420))) + "\n")
    res = in_app_json("triggercorrelation", [f"INPUT={defo}", f"DRIVER_CSV={tmp_path / 'rain.csv'}", "STEP_DAYS=12",
                                             "MAX_LAG_DAYS=48", f"OUTPUT={tmp_path / 'c.gpkg'}"])
    assert os.path.exists(res["OUTPUT"])
    lines = ["station,date,up,x,y"] + [f"A,{dt.date(2019, 1, 1) + dt.timedelta(days=i)},{-0.02 * i:.3f},500000,4800000"
                                       for i in range(300)]
    (tmp_path / "gnss.csv").write_text("\n".join(lines) + "\n")
    res = in_app_json("validateinsar", [f"INSAR={defo}", f"STATIONS_CSV={tmp_path / 'gnss.csv'}", "REFERENCE_STATION=",
                                        "HEADING=-12", "INCIDENCE=37",
                                        f"OUTPUT={tmp_path / 's.gpkg'}", f"OUTPUT_TABLE={tmp_path / 's.csv'}"])
    text = (tmp_path / "s.csv").read_text()
    assert text.startswith("station,status") and "\nA,compared" in text
