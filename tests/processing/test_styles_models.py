"""Styles: classified rasters, graduated points and stress lines, categories."""

import os

import numpy as np
from testutils import write_geotiff
from testutils_hostile import write_layer


def _line_layer(path):
    return write_layer(path, [f"LINESTRING({i} 0, {i} 10)" for i in range(4)], {"CFS_BAR": [-2.0, -0.1, 0.3, 1.5]},
                       layer="faults")


def test_classified_raster_graduated_lines_points_and_categories(qgis_app, tmp_path):
    from qgis.core import QgsRasterLayer, QgsVectorLayer
    from testutils_models import RADARSAT_SHP

    from insar_geohazards.fileio.display import styles

    cls = write_geotiff(tmp_path / "classes.tif", np.array([[0, 1], [2, 3]], float))
    qml = styles.style_raster_classified(cls, [(v, lab, styles.ALERT_COLOURS[v]) for v, lab in
                                               enumerate(["stable", "slow", "moderate", "fast"])])
    layer = QgsRasterLayer(cls, "c", "gdal")
    layer.loadNamedStyle(qml)
    assert layer.renderer().type() == "paletted"
    assert [c.label for c in layer.renderer().classes()] == ["stable", "slow", "moderate", "fast"]

    lines = _line_layer(tmp_path / "faults.gpkg")
    qml = styles.style_lines_stress(lines, "CFS_BAR", vmax=1.0)
    layer = QgsVectorLayer(lines, "f", "ogr")
    layer.loadNamedStyle(qml)
    r = layer.renderer()
    assert r.type() == "graduatedSymbol" and r.classAttribute() == "CFS_BAR"
    # positive (loading) is red, negative blue; every value falls in a class
    hi = r.symbolForValue(1.5).color()
    lo = r.symbolForValue(-2.0).color()
    assert hi.red() > hi.blue() and lo.blue() > lo.red()
    assert r.symbolForValue(1.5).width() == 1.2

    import shutil

    for ext in (".shp", ".shx", ".dbf", ".prj"):
        shutil.copy(os.path.splitext(RADARSAT_SHP)[0] + ext, tmp_path / ("ps" + ext))
    ps = str(tmp_path / "ps.shp")
    qml = styles.style_points_velocity(ps, "VEL")
    layer = QgsVectorLayer(ps, "ps", "ogr")
    layer.loadNamedStyle(qml)
    r = layer.renderer()
    assert r.type() == "graduatedSymbol" and len(r.ranges()) == 6  # a legend of a few classes
    # centred at zero: the middle break is 0 and the classes are symmetric
    assert abs(r.ranges()[3].lowerValue()) < 1e-9
    assert abs(r.ranges()[1].lowerValue() + r.ranges()[5].lowerValue()) < 1e-9
    assert all(rng.label().endswith(" mm/yr") for rng in r.ranges())
    sub = r.symbolForValue(-11.0).color()
    assert sub.red() > sub.blue()  # subsidence / away from the satellite is red

    qml = styles.style_vector_categorized(ps, "CODE", [("A1EMM", "fast", "#d7191c")])
    layer.loadNamedStyle(qml)
    assert layer.renderer().type() == "categorizedSymbol"
    assert styles.style_vector_graduated(ps, "NO_SUCH_FIELD") == ""
