"""fileio/hazard/slopestability: a DEM's grid refused where Horn's slope needs metres (rotated, feet), the outputs'
metadata, and the same bytes for any memory budget (the Monte Carlo's draws are the same for every cell)."""

import numpy as np
import pytest
from osgeo import gdal
from testutils import write_geotiff

GT = (500000.0, 10.0, 0.0, 9800000.0, 0.0, -10.0)
SOIL = {"cohesion_kpa": 3.0, "friction_deg": 31.0, "unit_weight_kn_m3": 19.0, "soil_depth_m": 1.2, "wetness": 0.4}
NAMES = {"dem": "DEM", "cohesion_kpa": "COHESION_KPA", "friction_deg": "FRICTION_DEG",
         "unit_weight_kn_m3": "UNIT_WEIGHT_KN_M3", "soil_depth_m": "SOIL_DEPTH_M", "wetness": "WETNESS"}


def dem(path, **kw):
    r, c = np.mgrid[0:40, 0:30].astype(float)
    return write_geotiff(path, 400.0 + 3.0 * r + 0.02 * c * c + 5 * np.sin(r / 4.0), **kw)


def run(tmp_path, tag, budget_mb=None, **kw):
    from insar_geohazards.fileio.base.blocks import RunSettings
    from insar_geohazards.fileio.hazard import slopestability as io

    outs = {"fs": ("OUTPUT", str(tmp_path / f"fs_{tag}.tif")), "classes": ("OUTPUT_CLASSES", ""),
            "probability": ("OUTPUT_PROBABILITY", str(tmp_path / f"p_{tag}.tif"))}
    return io.run_slope_stability(kw.pop("path", None) or dem(str(tmp_path / "dem.tif"), geotransform=GT,
                                                              epsg=32717),
                                  {}, SOIL, names=NAMES, ranges={"wetness": (0.4, 1.0)}, samples=64, outs=outs,
                                  run=RunSettings(max_memory_mb=budget_mb))


def test_outputs_carry_their_units_and_draws_and_keep_their_bytes_under_any_budget(qgis_app, tmp_path):
    whole = run(tmp_path, "whole")
    small = run(tmp_path, "small", budget_mb=0.01)
    assert set(whole) == {"OUTPUT", "OUTPUT_PROBABILITY"}
    for key in whole:
        a, b = gdal.Open(whole[key]).ReadAsArray(), gdal.Open(small[key]).ReadAsArray()
        assert np.array_equal(a, b, equal_nan=True)
    meta = gdal.Open(whole["OUTPUT_PROBABILITY"]).GetMetadata()
    assert meta["SAMPLES"] == "64" and meta["RANGES"] == "WETNESS 0.4-1" and meta["SEED"]
    ds = gdal.Open(whole["OUTPUT"])  # the band dies with an unnamed dataset on GDAL >= 3.8
    assert ds.GetRasterBand(1).GetDescription() == "factor_of_safety"


def test_a_rotated_or_non_metric_grid_is_refused(qgis_app, tmp_path):
    from insar_geohazards.algorithms.errors import GeohazardError

    rotated = dem(str(tmp_path / "rot.tif"), geotransform=(500000.0, 10.0, 1.0, 9800000.0, 1.0, -10.0), epsg=32717)
    with pytest.raises(GeohazardError, match="rotated grid"):
        run(tmp_path, "rot", path=rotated)
    feet = dem(str(tmp_path / "ft.tif"), geotransform=(2000000.0, 30.0, 0.0, 500000.0, 0.0, -30.0), epsg=2227)
    with pytest.raises(GeohazardError, match="needs a projected CRS in metres"):
        run(tmp_path, "ft", path=feet)
