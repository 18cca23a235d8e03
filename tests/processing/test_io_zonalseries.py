"""fileio.models.zonalseries: groups of dates that cover every band once within the budget, a zone's window and mask
(GDAL's pixel-centre rule) against QGIS's geometry test, zones read with their names, null geometries said."""

import numpy as np
import pytest
from testutils import recording_feedback
from testutils_hostile import write_layer
from testutils_seed import drawn_seed

GT = (500000.0, 20.0, 0.0, 4100000.0, 0.0, -20.0)


@pytest.mark.parametrize("n_bands,n_pixels,budget", [(7, 10, 1e9), (7, 1000, 8000 * 3), (200, 10**6, 512 * 2**20),
                                                     (5, 10**7, 1.0)])
def test_band_groups_cover_every_band_once_within_the_budget(n_bands, n_pixels, budget):
    from insar_geohazards.fileio.models.zonalseries import band_groups

    groups = band_groups(n_bands, n_pixels, budget)
    assert [b for g in groups for b in g] == list(range(1, n_bands + 1))
    assert all(len(g) * n_pixels * 8 <= max(budget, n_pixels * 8) for g in groups)


def test_zone_window_and_mask_are_the_pixel_centres_qgis_puts_inside(qgis_app):
    """A ring of 17 vertices drawn at random around a centre (one vertex in each of 17 equal sectors, 150-380 m out):
    the window and mask are the pixel centres QGIS's ``contains`` puts inside. One vertex a sector keeps the centre
    inside and neighbours less than two sectors apart, so the ring holds the disc of 150 cos(2 pi / 17) = 139.9 m
    and its 67 pixel centres on every draw (the bound of 50 guards against an empty mask passing); 17 angles drawn
    anywhere fell in one half turn 17 / 2**16 of the time and then held 50 centres or fewer about 3 % of the time
    (one run in ~100,000), 5,000 seeds of the sector draw held 133 or more."""
    from osgeo import ogr
    from qgis.core import QgsGeometry, QgsPointXY

    from insar_geohazards.fileio.base.raster import RasterInfo
    from insar_geohazards.fileio.models.zonalseries import zone_windows

    info = RasterInfo(path="", width=50, height=40, count=1, geotransform=GT, crs_wkt="")
    rng = np.random.default_rng(drawn_seed())
    angles = (np.arange(17) + rng.uniform(0, 1, 17)) * (2 * np.pi / 17) + rng.uniform(0, 2 * np.pi)
    r = rng.uniform(150.0, 380.0, 17)
    ring = [(500500.0 + a * np.cos(t), 4099600.0 + a * np.sin(t)) for a, t in zip(r, angles)]
    wkt = "POLYGON((" + ",".join(f"{x:.3f} {y:.3f}" for x, y in ring + ring[:1]) + "))"
    [(window, mask)] = zone_windows(info, [(1, ogr.CreateGeometryFromWkt(wkt).ExportToWkb())])
    full = np.zeros((40, 50), bool)
    full[window[0]:window[1], window[2]:window[3]] = mask
    geom = QgsGeometry.fromWkt(wkt)
    rows, cols = np.mgrid[0:40, 0:50]
    x, y = GT[0] + (cols + 0.5) * GT[1], GT[3] + (rows + 0.5) * GT[5]
    want = np.array([[geom.contains(QgsPointXY(x[i, j], y[i, j])) for j in range(50)] for i in range(40)])
    assert full.sum() > 50 and (full == want).all()


def test_zones_read_with_names_and_null_geometries_said(qgis_app, tmp_path):
    from qgis.core import QgsCoordinateTransformContext, QgsVectorLayer

    from insar_geohazards.fileio.models.zonalseries import read_zones

    path = write_layer(tmp_path / "z.gpkg", ["POLYGON((0 0,1 0,1 1,0 0))", None, "POLYGON((2 2,3 2,3 3,2 2))"],
                       {"name": ["a", "b", ""]}, epsg=32633, text_fields=("name",))
    fb = recording_feedback()
    from insar_geohazards.processing_provider.inputs.feedback import FeedbackProgress

    zones, labels = read_zones(QgsVectorLayer(path, "z", "ogr"), "name", "", QgsCoordinateTransformContext(), "ZONES",
                               FeedbackProgress(fb))
    assert [fid for fid, _ in zones] == [1, 3] and labels == ["a", "3"]
    assert any("1 feature(s) without a geometry" in w for w in fb.warnings)
