"""geohazard:slopestability — parameters and help, the factor of safety against the formula on GDAL's own slope
(gdaldem slope, Horn), classes, raster twins winning over numbers, the Monte Carlo against an independent
count, refusals, and a run on the bundled Ecuador DEM."""

import os

import numpy as np
import pytest
from osgeo import gdal
from testutils import write_geotiff

NAME = "slopestability"
GT = (500000.0, 10.0, 0.0, 9800000.0, 0.0, -10.0)
ECUADOR_DEM = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "ecuador_dem",
                           "dem.tif")
SOIL = {"COHESION_KPA": 4.0, "FRICTION_DEG": 32.0, "UNIT_WEIGHT_KN_M3": 18.5, "SOIL_DEPTH_M": 1.8, "WETNESS": 0.6}


def hill(path, shape=(60, 70)):
    """A hill whose flanks run from flat to about 45 degrees, with a flat plateau and a no-data hole."""
    r, c = np.mgrid[0:shape[0], 0:shape[1]].astype(float)
    z = 300.0 + 180.0 * np.exp(-(((r - 28) / 16.0) ** 2 + ((c - 34) / 19.0) ** 2)) + 0.8 * c
    z[:8, :12] = 310.0  # a flat corner
    z[40:43, 50:53] = np.nan
    return write_geotiff(path, z, geotransform=GT, epsg=32717)


def gdal_slope(path):
    """Slope in degrees by GDAL's gdaldem (Horn, the default), edges as no data."""
    ds = gdal.DEMProcessing("/vsimem/slope_check.tif", path, "slope", options=gdal.DEMProcessingOptions(alg="Horn"))
    band = ds.GetRasterBand(1)
    arr = band.ReadAsArray().astype(float)
    arr[arr == band.GetNoDataValue()] = np.nan
    ds = None
    gdal.Unlink("/vsimem/slope_check.tif")
    return arr


def formula(beta_deg, c, phi, gamma, z, m):
    """FS of the infinite slope written from Hammond et al. (1992) eq. 1, independently of the core."""
    b = np.radians(beta_deg)
    with np.errstate(divide="ignore", invalid="ignore"):
            return (c + (gamma - m * 9.81) * z * np.cos(b) ** 2 * np.tan(np.radians(phi))) / (gamma * z * np.sin(b)
                                                                                      * np.cos(b))


def read(path):
    ds = gdal.Open(path)
    band = ds.GetRasterBand(1)
    arr = band.ReadAsArray()
    return arr, band.GetNoDataValue()


def test_parameters_and_help(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    for pid in ("DEM", "COHESION_KPA", "COHESION_KPA_RASTER", "FRICTION_DEG", "FRICTION_DEG_RASTER",
                "UNIT_WEIGHT_KN_M3", "UNIT_WEIGHT_KN_M3_RASTER", "SOIL_DEPTH_M", "SOIL_DEPTH_M_RASTER", "WETNESS",
                "WETNESS_RASTER", "COHESION_KPA_MAX", "FRICTION_DEG_MAX", "SOIL_DEPTH_M_MAX", "WETNESS_MAX",
                "SAMPLES", "OUTPUT", "OUTPUT_CLASSES", "OUTPUT_PROBABILITY", "MAX_MEMORY_MB"):
        assert pid in ids
    assert a.parameterDefinition("UNIT_WEIGHT_KN_M3").defaultValue() == 19.0
    text = a.shortHelpString()
    assert text.startswith("Factor of safety of shallow landslides") and "doi:10.5194/gmd-7-2969-2014" in text
    assert "0.5 degrees" in text and "raster twin wins" in text and a.group() == "Hazard maps"


def test_factor_of_safety_matches_the_formula_on_gdal_slope(run_alg, tmp_path):
    dem = hill(str(tmp_path / "dem.tif"))
    res = run_alg(NAME, dict(SOIL, DEM=dem, OUTPUT=str(tmp_path / "fs.tif"), OUTPUT_CLASSES=str(tmp_path / "c.tif")))
    fs, _ = read(res["OUTPUT"])
    slope = gdal_slope(dem)
    want = formula(slope, 4.0, 32.0, 18.5, 1.8, 0.6)
    steep = np.isfinite(slope) & (slope >= 0.5)
    assert steep.sum() > 3000 and (want[steep] < 1).any() and (want[steep] > 1.5).any()
    np.testing.assert_allclose(fs[steep], want[steep], rtol=1e-3)
    assert np.isnan(fs[~steep]).all()  # flat, edges and next to the hole
    classes, nodata = read(res["OUTPUT_CLASSES"])
    assert nodata == 0
    edges = np.digitize(want[steep], [1.0, 1.3, 1.5]) + 1
    agree = classes[steep] == edges
    near = np.min(np.abs(want[steep][:, None] - np.array([1.0, 1.3, 1.5])), axis=1) < 1e-4
    assert (agree | near).all()
    assert (classes[2:7, 2:10] == 4).all()  # flat: stable
    assert (classes[0] == 0).all() and (classes[41, 51] == 0)


def test_a_raster_twin_wins_over_its_number(run_alg, tmp_path):
    dem = hill(str(tmp_path / "dem.tif"))
    depth = np.full((60, 70), 1.0)
    depth[:, 35:] = 3.0
    depth_path = write_geotiff(str(tmp_path / "z.tif"), depth, geotransform=GT, epsg=32717)
    res = run_alg(NAME, dict(SOIL, DEM=dem, SOIL_DEPTH_M_RASTER=depth_path, OUTPUT=str(tmp_path / "fs.tif")))
    fs, _ = read(res["OUTPUT"])
    slope = gdal_slope(dem)
    want = formula(slope, 4.0, 32.0, 18.5, depth, 0.6)
    steep = np.isfinite(slope) & (slope >= 0.5)
    np.testing.assert_allclose(fs[steep], want[steep], rtol=1e-3)


def test_monte_carlo_probability_against_an_independent_count(run_alg, tmp_path):
    dem = hill(str(tmp_path / "dem.tif"))
    params = dict(SOIL, DEM=dem, COHESION_KPA=2.0, COHESION_KPA_MAX=8.0, WETNESS=0.2, WETNESS_MAX=1.0, SAMPLES=400,
                  OUTPUT=str(tmp_path / "fs.tif"), OUTPUT_PROBABILITY=str(tmp_path / "p.tif"))
    p, _ = read(run_alg(NAME, params)["OUTPUT_PROBABILITY"])
    slope = gdal_slope(dem)
    steep = np.isfinite(slope) & (slope >= 0.5)
    # the draws are uniform: the exact probability is the area of {(c, m): FS < 1} over the rectangle. FS is linear
    # in c (c only in the numerator), so at each wetness the share of cohesions in [2, 8] with FS < 1 is exact from
    # FS at both ends; over the wetness, the midpoint rule on 800 values (error ~1e-6; a 241 x 241 grid of both took
    # 11 CPU-s and 3.6 GB, to within 0.002)
    beta = slope[steep][None, :]
    m = (0.2 + 0.8 * (np.arange(800) + 0.5) / 800)[:, None]
    fs_lo, fs_hi = formula(beta, 2.0, 32.0, 18.5, 1.8, m), formula(beta, 8.0, 32.0, 18.5, 1.8, m)
    exact = np.clip((1.0 - fs_lo) / (fs_hi - fs_lo), 0.0, 1.0).mean(axis=0)
    assert ((exact > 0.05) & (exact < 0.95)).sum() > 100
    assert np.abs(p[steep] - exact).max() < 0.1 and abs(float(np.mean(p[steep] - exact))) < 0.01
    assert (p[2:7, 2:10] == 0).all()
    again = run_alg(NAME, dict(params, OUTPUT=str(tmp_path / "fs2.tif"), OUTPUT_PROBABILITY=str(tmp_path / "p2.tif")))
    assert np.array_equal(read(again["OUTPUT_PROBABILITY"])[0], p, equal_nan=True)


@pytest.mark.parametrize("change, match", [
    ({"COHESION_KPA": None}, "COHESION_KPA: no value"),
    ({"OUTPUT_PROBABILITY": "@p.tif"}, "needs at least one range"),
    ({"FRICTION_DEG_MAX": 20.0}, "FRICTION_DEG_MAX = 20 is below FRICTION_DEG"),
    ({"SOIL_DEPTH_M_RASTER": "@z.tif", "SOIL_DEPTH_M_MAX": 3.0}, "a range applies to the number SOIL_DEPTH_M"),
    ({"WETNESS_RASTER": "@w.tif"}, "WETNESS_RASTER: values from"),
])
def test_wrong_parameters_are_refused_naming_them(alg, run_alg, tmp_path, change, match):
    from qgis.core import QgsProcessingException

    dem = hill(str(tmp_path / "dem.tif"))
    write_geotiff(str(tmp_path / "z.tif"), np.full((60, 70), 2.0), geotransform=GT, epsg=32717)
    write_geotiff(str(tmp_path / "w.tif"), np.full((60, 70), 1.4), geotransform=GT, epsg=32717)
    params = dict(SOIL, DEM=dem, OUTPUT=str(tmp_path / "fs.tif"))
    for k, v in change.items():
        if v is None:
            params.pop(k)
        else:
            params[k] = str(tmp_path / v[1:]) if isinstance(v, str) and v.startswith("@") else v
    with pytest.raises(QgsProcessingException, match=match):
        run_alg(NAME, params)
    assert not os.path.exists(params["OUTPUT"])


def test_a_geographic_dem_is_refused(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    dem = write_geotiff(str(tmp_path / "geo.tif"), np.random.default_rng(0).normal(500, 20, (20, 20)),
                        geotransform=(-79.0, 0.0003, 0.0, -1.0, 0.0, -0.0003), epsg=4326)
    with pytest.raises(QgsProcessingException, match="geographic CRS"):
        run_alg(NAME, dict(SOIL, DEM=dem, OUTPUT=str(tmp_path / "fs.tif")))


def test_the_bundled_ecuador_dem(run_alg, tmp_path):
    if not os.path.exists(ECUADOR_DEM):
        pytest.skip(f"the Ecuador DEM subset is not bundled at {ECUADOR_DEM}")
    res = run_alg(NAME, dict(SOIL, DEM=ECUADOR_DEM, OUTPUT=str(tmp_path / "fs.tif"),
                             OUTPUT_CLASSES=str(tmp_path / "c.tif")))
    fs, _ = read(res["OUTPUT"])
    slope = gdal_slope(ECUADOR_DEM)
    want = formula(slope, 4.0, 32.0, 18.5, 1.8, 0.6)
    steep = np.isfinite(slope) & (slope >= 0.5)
    # gdaldem computes in float32: on the gentlest cells (FS ~ 50) its slope's rounding alone moves FS by ~1e-3
    rel = np.abs(fs[steep] / want[steep] - 1.0)
    assert steep.sum() > 150000 and np.mean(rel < 1e-3) > 0.9999 and rel.max() < 2e-3
    classes, _ = read(res["OUTPUT_CLASSES"])
    assert set(np.unique(classes[steep])) >= {1, 4}


def test_a_one_step_model_runs_it_as_the_modeler_saves_it(qgis_app, tmp_path):
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback
    from testutils import one_step_model

    dem = hill(str(tmp_path / "dem.tif"))
    model = one_step_model(tmp_path / "fs.model3", "geohazard:slopestability", dict(SOIL, DEM=dem, SAMPLES=1000),
                           {"fs": "OUTPUT"})
    # QGIS 3.22 names the model's output "step:fs", 3.40+ (model format version 2) "fs"
    name = model.destinationParameterDefinitions()[0].name()
    res = processing.run(model, {name: str(tmp_path / "fs.tif")}, context=QgsProcessingContext(),
                         feedback=QgsProcessingFeedback())
    fs, _ = read(res[name])
    slope = gdal_slope(dem)
    steep = np.isfinite(slope) & (slope >= 0.5)
    np.testing.assert_allclose(fs[steep], formula(slope, 4.0, 32.0, 18.5, 1.8, 0.6)[steep], rtol=1e-3)
