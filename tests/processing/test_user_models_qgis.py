"""Models a user draws that cross our tools and QGIS's own algorithms, built with the PyQGIS model API, every step
accepted in QGIS's step dialog, run, compared with the steps run one by one and checked against a truth:

(d) a LOS velocity and a DEM -> geometricdistortion -> GDAL raster calculator (the velocity kept where the slope is
    seen) -> QGIS pixels to points -> adadetection: the moving area on the plain is found, the one on the slope in
    active layover (facing the sensor, steeper than the incidence: from the DEM's own geometry) is not, and no
    point sits on that slope; nothing is written beside the inputs;
(e) interferograms -> sbasinversion -> timeseriesmodels -> inversevelocity, with QGIS zonal statistics and GDAL
    contours of the SBAS velocity: every point of a slope failing 20 days after the last date raises an alert or
    "passed" (no false negative), no steady or still point is red, orange or passed (yellow at most 1 %: the
    SBAS's random-walk errors), the zonal means are the simulated velocities' and the contour of -15 mm/yr runs
    where the simulated velocity is -15 mm/yr.
"""

import os

import numpy as np
import pytest
from testutils import read_array, vector_features, write_geotiff
from testutils_hostile import write_layer
from testutils_modeler import UserModel, run_model

PIXEL = 30.0
X0, Y0 = 500000.0, 4100000.0
GT = (X0, PIXEL, 0.0, Y0, 0.0, -PIXEL)


def _one_by_one(alg_id, params):
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    return processing.run(alg_id, params, context=QgsProcessingContext(), feedback=QgsProcessingFeedback())


def _listing(folder):
    return sorted((name, os.stat(os.path.join(folder, name)).st_mtime_ns) for name in os.listdir(folder))


# ------------------------------------------------------------------ (d) velocity -> visibility -> calculator -> ADA
ROWS, COLS = 40, 60
FACE = (30, 38)  # columns of the west-facing ridge face (rises 55 degrees eastwards: faces an ascending sensor)
BOWL = (20, 10, 5.0)  # row, column, radius (pixels) of the moving area on the plain
SLIDE = (12, 30)  # rows of the moving area on the ridge face


def _dem_and_velocity(folder):
    cols = np.arange(COLS)
    rise = np.tan(np.radians(55.0)) * PIXEL
    fall = np.tan(np.radians(10.0)) * PIXEL
    profile = np.where(cols < FACE[0], 0.0, np.where(cols < FACE[1], (cols - FACE[0] + 1) * rise, 0.0))
    top = (FACE[1] - FACE[0]) * rise
    profile = np.where(cols >= FACE[1], np.maximum(top - (cols - FACE[1] + 1) * fall, 0.0), profile)
    dem = np.tile(profile, (ROWS, 1))
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:ROWS, 0:COLS]
    vel = rng.normal(0.0, 1.0, (ROWS, COLS))
    bowl = (yy - BOWL[0]) ** 2 + (xx - BOWL[1]) ** 2 <= BOWL[2] ** 2
    vel[bowl] -= 40.0
    slide = (yy >= SLIDE[0]) & (yy < SLIDE[1]) & (xx >= FACE[0]) & (xx < FACE[1])
    vel[slide] -= 40.0
    os.makedirs(folder)
    paths = (write_geotiff(os.path.join(folder, "dem.tif"), dem, geotransform=GT),
             write_geotiff(os.path.join(folder, "vel.tif"), vel, geotransform=GT, nodata=-9999.0,
                           metadata={"UNIT": "mm/yr", "SIGN": "positive toward the satellite", "COMPONENT": "LOS"}))
    return paths, bowl, slide


def _centre(x, y):
    """Row and column of the pixel whose centre is (x, y)."""
    return int(round((Y0 - y) / PIXEL - 0.5)), int(round((x - X0) / PIXEL - 0.5))


def test_velocity_visibility_mask_gdal_calculator_points_ada(qgis_app, tmp_path):
    from osgeo import ogr
    from qgis.core import QgsProcessingParameterRasterLayer

    (dem, vel), bowl, slide = _dem_and_velocity(str(tmp_path / "in"))
    before = _listing(str(tmp_path / "in"))
    m = UserModel("Velocity seen by the sensor to ADA")
    m.input(QgsProcessingParameterRasterLayer("VEL", "LOS velocity (mm/yr)"))
    m.input(QgsProcessingParameterRasterLayer("DEM", "DEM (m)"))
    m.step("distortion", "geohazard:geometricdistortion", "Layover and shadow",
           {"DEM": ("input", "DEM"), "HEADING": -12.0, "INCIDENCE": 39.0}, {"CLASSES": "OUTPUT_CLASSES"})
    m.step("calc", "gdal:rastercalculator", "Velocity where the slope is seen",
           {"INPUT_A": ("input", "VEL"), "BAND_A": "1", "INPUT_B": ("step", "distortion", "OUTPUT_CLASSES"),
            "BAND_B": "1", "FORMULA": "A*(B>=6)-9999*(B<6)", "NO_DATA": -9999.0, "RTYPE": 5}, {"SEEN": "OUTPUT"})
    m.step("points", "native:pixelstopoints", "Raster pixels to points",
           {"INPUT_RASTER": ("step", "calc", "OUTPUT"), "RASTER_BAND": "1", "FIELD_NAME": "VALUE"})
    m.step("ada", "geohazard:adadetection", "ADA", {"INPUT": ("step", "points", "OUTPUT"), "VELOCITY_FIELD": "VALUE"},
           {"ADAS": "OUTPUT", "POINTS": "OUTPUT_POINTS"})
    model = m.done()
    out = tmp_path / "out"
    out.mkdir()
    got = run_model(model, {"VEL": vel, "DEM": dem, "distortion:CLASSES": str(out / "classes.tif"),
                            "calc:SEEN": str(out / "seen.tif"), "ada:ADAS": str(out / "ada.gpkg"),
                            "ada:POINTS": str(out / "ada_points.gpkg")})
    assert _listing(str(tmp_path / "in")) == before  # nothing beside the model's raster inputs

    # one by one: the same classes, the same ADAs
    dist = _one_by_one("geohazard:geometricdistortion", {"DEM": dem, "HEADING": -12.0, "INCIDENCE": 39.0,
                                                         "OUTPUT_CLASSES": str(tmp_path / "c1.tif")})
    np.testing.assert_array_equal(read_array(got["distortion:CLASSES"]), read_array(dist["OUTPUT_CLASSES"]))
    calc = _one_by_one("gdal:rastercalculator", {"INPUT_A": vel, "BAND_A": "1", "INPUT_B": dist["OUTPUT_CLASSES"],
                                                 "BAND_B": "1", "FORMULA": "A*(B>=6)-9999*(B<6)", "NO_DATA": -9999.0,
                                                 "RTYPE": 5, "OUTPUT": str(tmp_path / "seen1.tif")})
    pts = _one_by_one("native:pixelstopoints", {"INPUT_RASTER": calc["OUTPUT"], "RASTER_BAND": "1",
                                                "FIELD_NAME": "VALUE", "OUTPUT": str(tmp_path / "p1.gpkg")})
    ada = _one_by_one("geohazard:adadetection", {"INPUT": pts["OUTPUT"], "VELOCITY_FIELD": "VALUE",
                                                 "OUTPUT": str(tmp_path / "ada1.gpkg")})
    # (the model's points are a memory layer keeping the float32 values whole; a GeoPackage written by QGIS keeps
    # the field's 8 decimals: the ADA statistics agree to that)
    model_adas, adas1 = vector_features(got["ada:ADAS"])[1], vector_features(ada["OUTPUT"])[1]
    assert len(model_adas) == len(adas1)
    for a, b in zip(model_adas, adas1):
        assert a.keys() == b.keys()
        for key in a:
            if isinstance(a[key], float):
                assert a[key] == pytest.approx(b[key], rel=1e-7, abs=1e-7), key
            elif key is not None:
                assert a[key] == b[key], key

    # truth from the DEM's geometry: the ridge face rises 55 degrees towards the east, 54 along the range of a
    # -12 degree heading, steeper than the 39 degree incidence: active layover, its pixels masked
    classes = read_array(got["distortion:CLASSES"])
    assert np.all(classes[1:-1, FACE[0] + 1:FACE[1] - 1] == 1)  # active layover (the face's foot and top aside)
    assert np.all(classes[:, FACE[0]:FACE[1]] < 6)  # nothing of the face is seen (edge rows: no slope, nodata)
    seen = classes >= 6
    _, rows = vector_features(got["ada:POINTS"])
    assert len(rows) == seen.sum()  # one point per pixel seen (QGIS's pixels to points skips the nodata)
    cells = {_centre(*ogr.CreateGeometryFromWkb(r["__wkb__"]).GetPoint_2D()) for r in rows}
    assert not any(slide[c] for c in cells) and all(seen[c] for c in cells)
    in_bowl = [r for r in rows if bowl[_centre(*ogr.CreateGeometryFromWkb(r["__wkb__"]).GetPoint_2D())]]
    assert len(in_bowl) == bowl.sum() and all(r["ada_id"] == in_bowl[0]["ada_id"] >= 0 for r in in_bowl)
    _, adas = vector_features(got["ada:ADAS"])
    assert len(adas) == 1  # the bowl; the slide on the layover face is not seen
    assert adas[0]["mean_vel"] == pytest.approx(-40.0, abs=2.0)


# ------------------------------------------------------------------ (e) SBAS -> models -> inverse velocity -> QGIS
SHAPE = (12, 24)
STABLE = 6  # columns 0-5 still (the reference is there)
STEADY = (6, 16)  # columns 6-15: steady subsidence, -3 mm/yr more per column (-3 .. -30)
# columns 16-23: a slope failing 20 days after the last date (Voight alpha 2, 200 mm/yr 30 days before failure)


def _failing_scene(tmp_path):
    from testutils_timeseries import sbas_dates, sbas_pairs

    from insar_geohazards.algorithms.timeseries.network import build_network

    net = build_network(sbas_pairs(sbas_dates(62, step_days=6), max_neighbours=3))  # a year of 6-day dates
    days = np.array([(d - net.dates[0]).days for d in net.dates], dtype=float)
    tf = days[-1] + 20.0
    k = 200.0 / 365.25 * 30.0
    voight = -k * np.log(tf / (tf - days))  # mm, away from the satellite, 0 at the first date
    rows, cols = SHAPE
    v = np.zeros(SHAPE)
    v[:, STEADY[0]:STEADY[1]] = -3.0 * (np.arange(STEADY[0], STEADY[1]) - STABLE + 1)
    truth = v[None] * (days / 365.25)[:, None, None]
    truth[:, :, STEADY[1]:] = voight[:, None, None]
    rng = np.random.default_rng(3)
    ifg = truth[net.sec_index] - truth[net.ref_index] + rng.normal(0.0, 1.0, (len(net.pairs),) + SHAPE)
    folder = tmp_path / "ifgs"
    folder.mkdir()
    files = [write_geotiff(folder / f"{a:%Y%m%d}_{b:%Y%m%d}.unw.tif", ifg[i], geotransform=GT, nodata=-9999.0)
             for i, (a, b) in enumerate(net.pairs)]
    # the linear velocity a straight line through the true series has (what SBAS's velocity estimates)
    lin = np.polyfit(days / 365.25, truth.reshape(days.size, -1), 1)[0].reshape(SHAPE)
    return files, truth, lin


def _zones(path):
    """Two polygons: the steady strip's columns 8-13 and the failing slope's 17-22, all rows (cell edges)."""
    zones = {"steady": (8, 14), "failing": (17, 23)}
    wkts = []
    for c0, c1 in zones.values():
        x0, x1, y0, y1 = X0 + c0 * PIXEL, X0 + c1 * PIXEL, Y0 - SHAPE[0] * PIXEL, Y0
        wkts.append(f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))")
    return write_layer(path, wkts, {"name": list(zones)}, layer="zones", text_fields=("name",)), zones


def test_sbas_models_inverse_velocity_zonal_statistics_contours(qgis_app, tmp_path):
    from osgeo import ogr
    from qgis.core import (
        QgsProcessing,
        QgsProcessingParameterMultipleLayers,
        QgsProcessingParameterVectorLayer,
    )

    files, truth, lin = _failing_scene(tmp_path)
    zones, zone_cols = _zones(tmp_path / "zones.gpkg")
    ref = f"{X0 + 2.5 * PIXEL},{Y0 - 6.5 * PIXEL} [EPSG:32633]"  # a still pixel
    m = UserModel("SBAS to forecast, zonal means and contours")
    m.input(QgsProcessingParameterMultipleLayers("IFGS", "Unwrapped interferograms (mm)",
                                                 QgsProcessing.SourceType.TypeRaster))
    m.input(QgsProcessingParameterVectorLayer("ZONES", "Zones", [QgsProcessing.SourceType.TypeVectorPolygon]))
    m.step("sbas", "geohazard:sbasinversion", "SBAS", {"INTERFEROGRAMS": ("input", "IFGS"), "INPUT_UNITS": 3,
                                                       "REFERENCE": ref, "MIN_TEMPORAL_COHERENCE": 0.0},
           {"VELOCITY": "OUTPUT_VELOCITY", "POINTS": "OUTPUT_POINTS"})
    m.step("models", "geohazard:timeseriesmodels", "Time-series models", {"INPUT": ("step", "sbas", "OUTPUT_POINTS")},
           {"MODELS": "OUTPUT"})
    m.step("iv", "geohazard:inversevelocity", "Inverse velocity", {"INPUT": ("step", "models", "OUTPUT")},
           {"FORECAST": "OUTPUT"})
    m.step("zonal", "native:zonalstatisticsfb", "Zonal statistics",
           {"INPUT": ("input", "ZONES"), "INPUT_RASTER": ("step", "sbas", "OUTPUT_VELOCITY"), "RASTER_BAND": "1",
            "COLUMN_PREFIX": "v_", "STATISTICS": [0, 1, 2]}, {"ZONAL": "OUTPUT"})
    m.step("contours", "gdal:contour", "Contours", {"INPUT": ("step", "sbas", "OUTPUT_VELOCITY"), "BAND": "1",
                                                    "INTERVAL": 20.0, "OFFSET": 5.0, "FIELD_NAME": "ELEV"},
           {"CONTOURS": "OUTPUT"})
    model = m.done()
    out = tmp_path / "out"
    out.mkdir()
    got = run_model(model, {"IFGS": files, "ZONES": zones, "sbas:VELOCITY": str(out / "v.tif"),
                            "sbas:POINTS": str(out / "pts.gpkg"), "models:MODELS": str(out / "models.gpkg"),
                            "iv:FORECAST": str(out / "iv.gpkg"), "zonal:ZONAL": str(out / "zonal.gpkg"),
                            "contours:CONTOURS": str(out / "contours.gpkg")})

    # one by one: the same forecast
    sbas = _one_by_one("geohazard:sbasinversion", {"INTERFEROGRAMS": files, "INPUT_UNITS": 3, "REFERENCE": ref,
                                                   "MIN_TEMPORAL_COHERENCE": 0.0,
                                                   "OUTPUT_TIMESERIES": str(tmp_path / "ts1.tif"),
                                                   "OUTPUT_VELOCITY": str(tmp_path / "v1.tif"),
                                                   "OUTPUT_POINTS": str(tmp_path / "p1.gpkg")})
    models = _one_by_one("geohazard:timeseriesmodels", {"INPUT": sbas["OUTPUT_POINTS"],
                                                        "OUTPUT": str(tmp_path / "m1.gpkg")})
    iv = _one_by_one("geohazard:inversevelocity", {"INPUT": models["OUTPUT"], "OUTPUT": str(tmp_path / "iv1.gpkg")})
    np.testing.assert_array_equal(read_array(got["sbas:VELOCITY"]), read_array(sbas["OUTPUT_VELOCITY"]))
    keys = ("IV_ALERT", "IV_LEVEL", "TF_DATE", "IV_ACC_P")
    assert [[r[k] for k in keys] for r in vector_features(got["iv:FORECAST"])[1]] == \
        [[r[k] for k in keys] for r in vector_features(iv["OUTPUT"])[1]]

    # truth 1: the failing slope raises an alert or "passed" at every point, no steady or still point does
    _, rows = vector_features(got["iv:FORECAST"])
    assert len(rows) == SHAPE[0] * SHAPE[1]
    failing, other = [], []
    for r in rows:
        row, col = _centre(*ogr.CreateGeometryFromWkb(r["__wkb__"]).GetPoint_2D())
        (failing if col >= STEADY[1] else other).append(r)
    levels = [r["IV_LEVEL"] for r in failing]
    assert set(levels) <= {"red", "orange", "yellow", "passed"}, sorted(set(levels))
    assert sum(lv in ("red", "orange") for lv in levels) >= 0.8 * len(levels)
    due = np.datetime64(str(np.datetime64("2020-01-01") + np.timedelta64(61 * 6 + 20, "D")))
    tf = np.array([np.datetime64(r["TF_DATE"].replace("/", "-")) for r in failing if r["TF_DATE"]])
    assert tf.size >= 0.8 * len(failing) and np.median(np.abs((tf - due).astype(int))) <= 20
    # no red, orange or passed elsewhere; an SBAS of independent noise per interferogram (1 mm) gives each date's
    # displacement a random-walk error that can bend a steady series like a parabola (here one pixel of 192, white
    # residuals around the bend, p = 1e-17): at most 1 % yellow ("no usable 1/v trend"), never a forecast date
    assert {r["IV_LEVEL"] for r in other} <= {"none", "not judged", "yellow"}
    yellow = [r for r in other if r["IV_LEVEL"] == "yellow"]
    assert len(yellow) <= 0.01 * len(other) and not any(r["TF_DATE"] for r in yellow)
    # truth 2: the zonal means are the simulated linear velocities' (relative to the still reference)
    _, zonal = vector_features(got["zonal:ZONAL"])
    for z in zonal:
        c0, c1 = zone_cols[z["name"]]
        assert z["v_count"] == SHAPE[0] * (c1 - c0)
        assert z["v_mean"] == pytest.approx(float(lin[:, c0:c1].mean()), abs=0.5), z["name"]
    # truth 3: the -15 mm/yr contour runs along column 10 (-3 x (10 - 5) = -15 mm/yr), between the centres of
    # columns 9 and 11 (-12 and -18 mm/yr; the SBAS velocity is within about 1.5 mm/yr of the truth)
    _, lines = vector_features(got["contours:CONTOURS"])
    at15 = [ogr.CreateGeometryFromWkb(r["__wkb__"]) for r in lines if r["ELEV"] == -15.0]
    assert at15
    xs = np.array([g.GetPoint_2D(i)[0] for g in at15 for i in range(g.GetPointCount())])
    centre = X0 + 10.5 * PIXEL
    assert np.all(np.abs(xs - centre) < PIXEL) and abs(np.median(xs) - centre) < 0.3 * PIXEL, (xs.min(), xs.max())
    ys = np.array([g.GetPoint_2D(i)[1] for g in at15 for i in range(g.GetPointCount())])
    assert ys.max() - ys.min() >= (SHAPE[0] - 1) * PIXEL - 1e-6  # across the scene, first to last row's centre
