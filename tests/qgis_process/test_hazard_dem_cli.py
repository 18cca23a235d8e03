"""demdifference and slopestability headless through qgis_process: the public IDs, the number outputs in the JSON,
a refusal naming the parameter, and the chain the help promises (a DEM difference as displacementforecast's
THICKNESS) as a graphical model. slopestability's run takes its ``KEY=value`` strings in this test process's QGIS
(testutils_cli.in_app: the provider's parameter check and run as qgis_process makes them), about 2.7 CPU-s less than
a start of qgis_process; its refusal (exit status, stderr) starts qgis_process."""

import os
import sys

import numpy as np
from testutils_cli import in_app_json, listed, qgis_process, requires_qgis_process, run_json

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytestmark = requires_qgis_process
sys.path.insert(0, os.path.join(ROOT, "tests"))
ECUADOR = os.path.join(ROOT, "tests", "data", "ecuador_dem", "dem.tif")


def test_demdifference_and_slopestability_on_the_ecuador_dem(qgis_app, tmp_path):
    from osgeo import gdal
    from scipy import ndimage
    from testutils import write_geotiff

    out = listed()
    assert "geohazard:demdifference" in out.stdout and "geohazard:slopestability" in out.stdout
    ds = gdal.Open(ECUADOR)
    ref = ds.GetRasterBand(1).ReadAsArray().astype(float)
    filled = np.where(np.isnan(ref), np.nanmedian(ref), ref)
    other = ndimage.shift(filled, (0.5, -0.3), order=3, mode="nearest") - 0.7  # 3 m east, 5 m south, 0.7 m down
    other_p = write_geotiff(tmp_path / "other.tif", np.where(np.isnan(ref), np.nan, other),
                            geotransform=ds.GetGeoTransform(), epsg=32717)
    res = run_json("demdifference", dict(INPUT=ECUADOR, INPUT_2=other_p, TILT="false", OUTPUT=tmp_path / "d.tif",
                                         MAX_MEMORY_MB=1))
    assert abs(res["SHIFT_X_M"] - 3.0) < 1.0 and abs(res["SHIFT_Y_M"] - 5.0) < 1.0
    assert abs(res["SHIFT_Z_M"] - 0.7) < 0.1 and 0 <= res["NMAD_M"] < 1.0
    fs = in_app_json("slopestability", dict(DEM=ECUADOR, COHESION_KPA=6, FRICTION_DEG=35, SOIL_DEPTH_M=1.5, WETNESS=0.5,
                                            WETNESS_MAX=1, SAMPLES=50, OUTPUT=tmp_path / "fs.tif",
                                            OUTPUT_CLASSES=tmp_path / "c.tif", OUTPUT_PROBABILITY=tmp_path / "p.tif"))
    assert os.path.exists(fs["OUTPUT_CLASSES"]) and os.path.exists(fs["OUTPUT_PROBABILITY"])
    bad = qgis_process("run", "geohazard:slopestability", "--", f"DEM={ECUADOR}", "COHESION_KPA=6",
                       "FRICTION_DEG=35", "SOIL_DEPTH_M=1.5", f"OUTPUT={tmp_path / 'x.tif'}")
    assert bad.returncode != 0 and "WETNESS: no value" in bad.stdout + bad.stderr
    assert not os.path.exists(tmp_path / "x.tif")


def test_a_model_feeds_the_difference_to_displacementforecast_as_thickness(tmp_path):
    from qgis.core import (
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
    )
    from testutils import write_geotiff

    gt = (600000.0, 10.0, 0.0, 9560000.0, 0.0, -10.0)
    r, c = np.mgrid[0:80, 0:90].astype(float)
    x, y = gt[0] + (c + 0.5) * 10, gt[3] - (r + 0.5) * 10
    z = 300 + 40 * np.sin(x / 130.0) * np.cos(y / 170.0) + 15 * np.sin((x + 2 * y) / 77.0)
    fill = np.where((r > 30) & (r < 50) & (c > 30) & (c < 60), 8.0, 0.0)
    before = write_geotiff(tmp_path / "before.tif", z, geotransform=gt, epsg=32717)
    after = write_geotiff(tmp_path / "after.tif", z + fill, geotransform=gt, epsg=32717)
    dates = [f"2021-{m:02d}-01" for m in range(1, 13)]
    t = np.arange(12)[:, None, None] / 12.0
    series = write_geotiff(tmp_path / "ts.tif", -20 * np.log1p(3 * t) * (fill[None] > 0) + 0 * t, geotransform=gt,
                           epsg=32717, descriptions=dates)
    model = QgsProcessingModelAlgorithm("dump", "tests")
    dod = QgsProcessingModelChildAlgorithm("geohazard:demdifference")
    dod.setChildId("dod")
    for pid, v in {"INPUT": before, "INPUT_2": after, "TILT": False}.items():
        dod.addParameterSources(pid, [QgsProcessingModelChildParameterSource.fromStaticValue(v)])
    fc = QgsProcessingModelChildAlgorithm("geohazard:displacementforecast")
    fc.setChildId("forecast")
    for pid, v in {"INPUT_RASTER": series, "FORECAST_DATES": "2022-06-01", "MODEL": 0}.items():
        fc.addParameterSources(pid, [QgsProcessingModelChildParameterSource.fromStaticValue(v)])
    fc.addParameterSources("THICKNESS", [QgsProcessingModelChildParameterSource.fromChildOutput("dod", "OUTPUT")])
    out = QgsProcessingModelOutput("forecast", "forecast")
    out.setChildOutputName("OUTPUT_RASTER")
    out.setChildId("forecast")
    fc.setModelOutputs({"forecast": out})
    model.addChildAlgorithm(dod)
    model.addChildAlgorithm(fc)
    path = str(tmp_path / "dump.model3")
    assert model.toFile(path)
    res = qgis_process("--json", "run", path, "--", f"forecast:forecast={tmp_path / 'f.tif'}")
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    assert os.path.exists(tmp_path / "f.tif")
