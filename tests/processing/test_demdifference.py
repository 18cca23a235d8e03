"""geohazard:demdifference — parameters and help; analytic terrain moved by known sub-pixel shifts, a vertical offset
and a tilt, with a dump of known volume (shifts within a tenth of a cell, the volume, NMAD); an independent
co-registration written here (a brute-force search of the shift minimising the spread, scipy's spline shift); the
bundled Ecuador DEM shifted by known amounts; a second DEM on another grid and CRS; refusals."""

import os

import numpy as np
import pytest
from osgeo import gdal, ogr
from testutils import recording_feedback, write_geotiff

NAME = "demdifference"
DX = 10.0
GT = (600000.0, DX, 0.0, 9560000.0, 0.0, -DX)
ECUADOR_DEM = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "ecuador_dem",
                           "dem.tif")


def terrain(x, y):
    """Analytic hills: a DEM moved by any amount is the same formula at moved coordinates (no interpolation)."""
    return (300 + 60 * np.sin(x / 230.0) * np.cos(y / 310.0) + 25 * np.sin((x + 2 * y) / 97.0)
            + 12 * np.cos((3 * x - y) / 61.0) + 0.05 * (x - GT[0]))


def grid_xy(gt, shape):
    r, c = np.mgrid[0:shape[0], 0:shape[1]].astype(float)
    return gt[0] + (c + 0.5) * gt[1], gt[3] + (r + 0.5) * gt[5]


def dump_polygon(path, x0, y0, x1, y1, epsg=32717):
    from testutils_hostile import write_layer

    return write_layer(path, [f"POLYGON(({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))"], epsg=epsg,
                       layer="zones")


def pair(tmp_path, *, sx, sy, dz, tilt=(0.0, 0.0), noise=0.2, shape=(300, 320), dump=True):
    """Reference and other DEM: other(x, y) = terrain(x - sx, y - sy) + dz + tilt + noise (+ a 12 m dump)."""
    x, y = grid_xy(GT, shape)
    ref = terrain(x, y)
    xc, yc = GT[0] + shape[1] * DX / 2, GT[3] - shape[0] * DX / 2
    other = terrain(x - sx, y - sy) + dz + tilt[0] * (x - xc) + tilt[1] * (y - yc)
    other += np.random.default_rng(3).normal(0.0, noise, shape)
    box = (GT[0] + 100 * DX, GT[3] - 200 * DX, GT[0] + 160 * DX, GT[3] - 150 * DX)
    if dump:  # on the ground: where the moved DEM has it before the move
        inside = (x - sx > box[0]) & (x - sx < box[2]) & (y - sy > box[1]) & (y - sy < box[3])
        other[inside] += 12.0
    return (write_geotiff(str(tmp_path / "ref.tif"), ref, geotransform=GT, epsg=32717),
            write_geotiff(str(tmp_path / "other.tif"), other, geotransform=GT, epsg=32717),
            dump_polygon(str(tmp_path / "dump.gpkg"), *box), ref, other)


def independent_shift(ref, other, search_px=(-2.0, 2.0), step=0.05):
    """The shift (cells: rows, cols) that, applied to ``other`` by scipy's cubic-spline shift, minimises the NMAD of
    the difference over the inner cells: a brute-force search, coarse to fine."""
    from scipy import ndimage

    def spread(sr, sc):
        moved = ndimage.shift(other, (sr, sc), order=3, mode="nearest")
        d = (moved - ref)[20:-20, 20:-20]
        return np.median(np.abs(d - np.median(d)))

    best = (0.0, 0.0)
    for width, h in ((search_px[1] - search_px[0], 0.5), (1.0, 0.1), (0.2, step)):
        grid = np.arange(-width / 2, width / 2 + 1e-9, h)
        cands = [(best[0] + a, best[1] + b) for a in grid for b in grid]
        best = min(cands, key=lambda s: spread(*s))
    return best


def test_parameters_and_help(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    for pid in ("INPUT", "INPUT_2", "STABLE_AREA", "EXCLUDE_AREA", "TILT", "VOLUME_AREA", "OUTPUT", "OUTPUT_ALIGNED",
                "OUTPUT_VOLUMES", "MAX_MEMORY_MB", "DASK_SCHEDULER"):
        assert pid in ids
    outs = [o.name() for o in a.outputDefinitions()]
    assert {"SHIFT_X_M", "SHIFT_Y_M", "SHIFT_Z_M", "NMAD_M"} <= set(outs)
    assert a.parameterDefinition("TILT").defaultValue() is True
    text = a.shortHelpString()
    assert text.startswith("Elevation change between two DEMs") and "doi:10.5194/tc-5-271-2011" in text
    assert "at the grid centre" in text and "1.4826" in text and "displacementforecast" in text
    assert a.group() == "Hazard maps"


def test_known_shift_tilt_and_dump_volume(run_alg, tmp_path):
    sx, sy, dz, tilt = 13.7, -8.2, 2.5, (1e-4, -2e-4)
    ref_p, other_p, dump, _, _ = pair(tmp_path, sx=sx, sy=sy, dz=dz, tilt=tilt)
    around = dump_polygon(str(tmp_path / "around.gpkg"), GT[0] + 97 * DX, GT[3] - 203 * DX, GT[0] + 163 * DX,
                          GT[3] - 147 * DX)
    res = run_alg(NAME, {"INPUT": ref_p, "INPUT_2": other_p, "EXCLUDE_AREA": dump, "VOLUME_AREA": around,
                         "OUTPUT": str(tmp_path / "d.tif"), "OUTPUT_ALIGNED": str(tmp_path / "a.tif"),
                         "OUTPUT_VOLUMES": str(tmp_path / "v.gpkg")})
    # the shift applied to INPUT_2 undoes the displacement: -sx, -sy, -dz at the centre
    assert abs(res["SHIFT_X_M"] + sx) < 0.1 * DX and abs(res["SHIFT_Y_M"] + sy) < 0.1 * DX
    assert abs(res["SHIFT_X_M"] + sx) < 0.02 * DX and abs(res["SHIFT_Y_M"] + sy) < 0.02 * DX
    assert abs(res["SHIFT_Z_M"] + dz) < 0.05
    assert 0.2 < res["NMAD_M"] < 0.45  # the noise of one DEM (0.2 m) plus interpolation
    diff = gdal.Open(res["OUTPUT"]).ReadAsArray().astype(float)
    stable = diff[5:-5, 5:-5]
    assert abs(np.nanmedian(stable)) < 0.05
    ds = ogr.Open(res["OUTPUT_VOLUMES"])
    f = ds.GetLayer(0).GetNextFeature()
    # 60 x 50 cells of 100 m2 raised by 12 m: 3.6e6 m3, inside a polygon of 66 x 56 cells
    assert f["zone"] == 1 and abs(f["net_m3"] - 12.0 * 60 * 50 * DX * DX) < 0.005 * 3.6e6
    assert abs(f["mean_dh_m"] - 3.6e6 / (66 * 56 * DX * DX)) < 0.05 and f["valid_share"] == 1.0
    assert f["area_m2"] == 66 * 56 * DX * DX and f["sigma_m3"] == pytest.approx(res["NMAD_M"] * 66 * 56 * DX * DX)
    meta = gdal.Open(res["OUTPUT"]).GetMetadata()
    assert abs(float(meta["TILT_X"]) + tilt[0]) < 2e-5 and abs(float(meta["TILT_Y"]) + tilt[1]) < 2e-5


@pytest.mark.parametrize("sx_px, sy_px", [(0.37, -0.61), (1.5, 0.25), (-0.8, 1.1)])
def test_shifts_agree_with_an_independent_brute_force_search(run_alg, tmp_path, sx_px, sy_px):
    ref_p, other_p, dump, ref, other = pair(tmp_path, sx=sx_px * DX, sy=sy_px * DX, dz=0.0, noise=0.1, dump=False,
                                            shape=(160, 170))
    res = run_alg(NAME, {"INPUT": ref_p, "INPUT_2": other_p, "TILT": False, "OUTPUT": str(tmp_path / "d.tif")})
    rows, cols = independent_shift(ref, other)
    # scipy's shift by (rows, cols) moves the image down and right: east = cols cells, north = -rows cells
    assert abs(res["SHIFT_X_M"] / DX - cols) < 0.1 and abs(res["SHIFT_Y_M"] / DX + rows) < 0.1
    assert abs(res["SHIFT_X_M"] / DX + sx_px) < 0.1 and abs(res["SHIFT_Y_M"] / DX + sy_px) < 0.1


def test_the_ecuador_dem_shifted_by_known_amounts(run_alg, tmp_path):
    if not os.path.exists(ECUADOR_DEM):
        pytest.skip(f"the Ecuador DEM is not bundled at {ECUADOR_DEM}")
    from scipy import ndimage

    ds = gdal.Open(ECUADOR_DEM)
    ref = ds.GetRasterBand(1).ReadAsArray().astype(float)
    gt = ds.GetGeoTransform()
    rows, cols = -0.42, 0.73  # the other DEM is the real one displaced 0.73 cells east and 0.42 north
    holes = np.isnan(ref)  # 619 cells without height: filled for the spline, then no data again around them
    filled = np.where(holes, np.nanmedian(ref), ref)
    other = ndimage.shift(filled, (rows, cols), order=3, mode="nearest") + 1.8
    other[ndimage.binary_dilation(ndimage.shift(holes.astype(float), (rows, cols), order=1) > 0, iterations=3)] = np.nan
    other += np.random.default_rng(5).normal(0.0, 0.5, ref.shape)
    other_p = write_geotiff(str(tmp_path / "other.tif"), other, geotransform=gt, epsg=32717)
    res = run_alg(NAME, {"INPUT": ECUADOR_DEM, "INPUT_2": other_p, "OUTPUT": str(tmp_path / "d.tif")})
    assert abs(res["SHIFT_X_M"] / gt[1] + cols) < 0.1 and abs(res["SHIFT_Y_M"] / abs(gt[5]) - rows) < 0.1
    assert abs(res["SHIFT_Z_M"] + 1.8) < 0.1


def test_a_second_dem_on_another_grid_and_crs_is_resampled_and_said(run_alg, tmp_path):
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsPointXY,
        QgsProject,
    )

    ref_p, _, _, _, _ = pair(tmp_path, sx=0.0, sy=0.0, dz=0.0, dump=False, shape=(200, 220))
    # the other DEM in UTM 18S (EPSG:32718), 7 m cells, its heights the same terrain moved 6 m east, 4 m south
    zone17, zone18 = QgsCoordinateReferenceSystem("EPSG:32717"), QgsCoordinateReferenceSystem("EPSG:32718")
    tr = QgsCoordinateTransform(zone18, zone17, QgsProject.instance())
    # the corner back into zone 18 by a transform of its own (no direction enum: 3.22 and Qt6 spell it apart)
    corner = QgsCoordinateTransform(zone17, zone18, QgsProject.instance()).transform(QgsPointXY(GT[0], GT[3]))
    gt2 = (corner.x() - 200.0, 7.0, 0.0, corner.y() + 200.0, 0.0, -7.0)
    shape2 = (380, 400)
    x2, y2 = grid_xy(gt2, shape2)
    x17 = np.empty(shape2)
    y17 = np.empty(shape2)
    for i in range(shape2[0]):
        for j in range(shape2[1]):
            p = tr.transform(QgsPointXY(x2[i, j], y2[i, j]))
            x17[i, j], y17[i, j] = p.x(), p.y()
    other_p = write_geotiff(str(tmp_path / "other18.tif"), terrain(x17 - 6.0, y17 + 4.0), geotransform=gt2,
                            epsg=32718)
    fb = recording_feedback()
    res = run_alg(NAME, {"INPUT": ref_p, "INPUT_2": other_p, "OUTPUT": str(tmp_path / "d.tif")}, feedback=fb)
    log = " ".join(fb.info)
    assert abs(res["SHIFT_X_M"] + 6.0) < 0.1 * DX and abs(res["SHIFT_Y_M"] - 4.0) < 0.1 * DX
    assert "resampled onto the grid of INPUT" in log and "EPSG:32718" in log


def test_refusals_name_the_parameter(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    ref_p, other_p, _, _, _ = pair(tmp_path, sx=5.0, sy=0.0, dz=0.0, dump=False, shape=(120, 120))
    tiny = dump_polygon(str(tmp_path / "tiny.gpkg"), GT[0] + 500, GT[3] - 600, GT[0] + 560, GT[3] - 540)
    with pytest.raises(QgsProcessingException, match="stable cells"):
        run_alg(NAME, {"INPUT": ref_p, "INPUT_2": other_p, "STABLE_AREA": tiny, "OUTPUT": str(tmp_path / "d.tif")})
    geo = write_geotiff(str(tmp_path / "geo.tif"), np.full((50, 50), 100.0) + np.arange(50),
                        geotransform=(-79.0, 0.0003, 0.0, -4.0, 0.0, -0.0003), epsg=4326)
    geo_2 = write_geotiff(str(tmp_path / "geo_2.tif"), np.full((50, 50), 101.0) + np.arange(50),
                          geotransform=(-79.0, 0.0003, 0.0, -4.0, 0.0, -0.0003), epsg=4326)
    with pytest.raises(QgsProcessingException, match="INPUT is in a geographic CRS"):
        run_alg(NAME, {"INPUT": geo, "INPUT_2": geo_2, "OUTPUT": str(tmp_path / "d2.tif")})
    assert not os.path.exists(str(tmp_path / "d.tif")) and not os.path.exists(str(tmp_path / "d2.tif"))
