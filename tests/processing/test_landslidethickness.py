"""geohazard:landslidethickness: parameters, wrong inputs, runs against synthetic truths and EGMS Ustica."""

import os

import numpy as np
import pytest
from testutils import write_geotiff
from testutils_kinematics_tools import _read


def test_landslidethickness_from_synthetic_3d_field(run_alg, tmp_path):
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "core"))
    from test_kinematics_motion3d_validation_triggers import _thick_case

    th, e, nn, u, z, h, r2 = _thick_case(n=32, dx=20.0)
    gt = (500000.0, 20.0, 0.0, 4100000.0, 0.0, -20.0)
    vel = write_geotiff(tmp_path / "v.tif", np.stack([e, nn, u]), geotransform=gt)
    dem = write_geotiff(tmp_path / "dem.tif", z, geotransform=gt)
    # the outline as a polygon (the ellipse r = 1)
    from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsProcessingException, QgsVectorLayer

    t = np.linspace(0, 2 * np.pi, 90)
    cx, cy = 500000.0 + 16 * 20.0, 4100000.0 - 16 * 20.0
    ring = [QgsPointXY(cx + 250 * np.cos(a), cy + 150 * np.sin(a)) for a in t]
    lyr = QgsVectorLayer("Polygon?crs=EPSG:32633", "outline", "memory")
    f = QgsFeature()
    f.setGeometry(QgsGeometry.fromPolygonXY([ring]))
    lyr.dataProvider().addFeatures([f])
    res = run_alg("landslidethickness", {"VELOCITY": vel, "DEM": dem, "LANDSLIDE_OUTLINE": lyr,
                                         "OUTPUT": str(tmp_path / "h.tif"), "OUTPUT_QUALITY": str(tmp_path / "q.tif")})
    got, _ = _read(res["OUTPUT"])
    inner = r2 < 0.8
    assert np.sqrt(np.nanmean((got[0][inner] - h[inner]) ** 2)) < 1.0  # m, of 20 m maximum
    assert np.isnan(got[0][r2 > 1.05]).all()
    # an outline layer without polygons is refused naming its parameter, nothing written
    empty = QgsVectorLayer("Polygon?crs=EPSG:32633", "empty", "memory")
    with pytest.raises(QgsProcessingException, match="LANDSLIDE_OUTLINE has no polygon"):
        run_alg("landslidethickness", {"VELOCITY": vel, "DEM": dem, "LANDSLIDE_OUTLINE": empty,
                                       "OUTPUT": str(tmp_path / "h2.tif"), "OUTPUT_QUALITY": str(tmp_path / "q2.tif")})
    assert not (tmp_path / "h2.tif").exists()
