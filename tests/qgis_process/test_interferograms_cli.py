"""The Interferograms tools through headless ``qgis_process --json``: interferogramfilter on a folder of wrapped
interferograms, with looks, its outputs named as the inputs on the looked grid."""

import os

import numpy as np
from testutils import write_geotiff
from testutils_cli import requires_qgis_process, run_json
from testutils_unwrap import synthetic_interferogram

pytestmark = requires_qgis_process


def test_interferogramfilter_on_a_folder_json(tmp_path):
    from osgeo import gdal
    from testutils import write_geotiff

    folder = tmp_path / "wrapped"
    folder.mkdir()
    pairs = ["20200101_20200113", "20200113_20200125"]
    truths, raws = [], []
    for k, pair in enumerate(pairs):
        d = synthetic_interferogram(128, 160, seed=k, bowls=((0.5, 0.5, -30.0, 24.0),), holes=(), water=False, looks=1,
                                    coh_range=(0.5, 0.9))
        write_geotiff(folder / f"{pair}.wrapped.tif", d["wrapped"])
        truths.append(d["truth"])
        raws.append(d["wrapped"])
    res = run_json("interferogramfilter", {"INPUT": str(folder), "ALPHA": 0.7, "LOOKS_Y": 2, "LOOKS_X": 2,
                                           "OUTPUT": str(tmp_path / "flt"), "OUTPUT_COHERENCE": str(tmp_path / "coh")})
    assert sorted(os.listdir(res["OUTPUT"])) == [f"{p}.wrapped.tif" for p in pairs]
    assert sorted(os.listdir(res["OUTPUT_COHERENCE"])) == [f"{p}.coh.tif" for p in pairs]
    ds = gdal.Open(os.path.join(res["OUTPUT"], f"{pairs[0]}.wrapped.tif"))
    assert (ds.RasterYSize, ds.RasterXSize) == (64, 80) and ds.GetGeoTransform()[1] == 60.0
    filtered = ds.ReadAsArray()
    ds = None
    truth = np.angle(np.exp(1j * truths[0]).reshape(64, 2, 80, 2).mean(axis=(1, 3)))
    looked = np.angle(np.exp(1j * raws[0]).reshape(64, 2, 80, 2).mean(axis=(1, 3)))

    def err(phase):
        return np.sqrt(np.mean(np.angle(np.exp(1j * (phase - truth))) ** 2))

    assert err(filtered) < 0.6 * err(looked), (err(filtered), err(looked))


def test_targetsuitability_table_and_map(tmp_path):
    from osgeo import gdal

    gt = (500000.0, 100.0, 0.0, 4100000.0, 0.0, -100.0)
    lc = write_geotiff(tmp_path / "lc.tif", np.array([[111.0, 211.0], [311.0, 111.0]]), geotransform=gt)
    r = write_geotiff(tmp_path / "r.tif", np.array([[0.5, 1.0], [1.0, -0.2]]), geotransform=gt)
    csv = tmp_path / "d.csv"
    csv.write_text("class,density,label\n111,1000,town\n211,40,arable\n311,2.5,forest\n")
    res = run_json("geohazard:targetsuitability", {"LAND_COVER": lc, "DENSITIES": str(csv), "R_INDEX": r,
                                                    "OUTPUT": str(tmp_path / "t.tif")})
    np.testing.assert_allclose(gdal.Open(res["OUTPUT"]).ReadAsArray(), [[500.0, 40.0], [2.5, 0.0]])


def test_targetsuitability_densities_measured_on_points(tmp_path):
    # 2 x 2 pixels of 1 km2 in UTM 33N, R = 0.5 on the left, 1 on the right; 3 calibration points on each of the
    # left pixels, 2 on each of the right ones, given in WGS84: 111 -> 6 / (2 x 0.5), 211 -> 4 / (2 x 1)
    from osgeo import gdal
    from pyproj import Transformer
    from testutils_hostile import write_layer

    gt = (500000.0, 1000.0, 0.0, 4100000.0, 0.0, -1000.0)
    lc = write_geotiff(tmp_path / "lc.tif", np.array([[111.0, 211.0], [111.0, 211.0]]), geotransform=gt)
    r = write_geotiff(tmp_path / "r.tif", np.array([[0.5, 1.0], [0.5, 1.0]]), geotransform=gt)
    xs = [500300.0, 500500.0, 500700.0] * 2 + [501400.0, 501600.0] * 2
    ys = [4099500.0] * 3 + [4098500.0] * 3 + [4099500.0] * 2 + [4098500.0] * 2
    lon, lat = Transformer.from_crs("EPSG:32633", "EPSG:4326", always_xy=True).transform(xs, ys)
    pts = write_layer(str(tmp_path / "pts.gpkg"), [f"POINT({float(a)!r} {float(b)!r})" for a, b in zip(lon, lat)],
                      epsg=4326, layer="points")
    area = write_layer(str(tmp_path / "area.gpkg"), ["POLYGON((500000 4098000,502000 4098000,502000 4100000,"
                                                     "500000 4100000,500000 4098000))"])
    res = run_json("geohazard:targetsuitability", {"LAND_COVER": lc, "R_INDEX": r, "CALIBRATION_POINTS": pts,
                                                    "CALIBRATION_AREA": area, "OUTPUT": str(tmp_path / "t.tif"),
                                                    "OUTPUT_DENSITIES": str(tmp_path / "measured.csv")})
    lines = open(res["OUTPUT_DENSITIES"], encoding="utf-8").read().splitlines()
    assert lines[1:] == ["class,density,label,points,area_km2", "111,6,continuous urban fabric,6,2",
                         "211,2,non-irrigated arable land,4,2"]
    np.testing.assert_allclose(gdal.Open(res["OUTPUT"]).ReadAsArray(), [[3.0, 2.0], [3.0, 2.0]])
