"""demo.qgz as a user opens it (demo/run_demo.py's write_project on small stand-ins for the demo's outputs): the
main job's group on and open, the others closed; points above the opaque rasters; the step's first output checked,
the other rasters unchecked; layers named by their output (quantity (unit)) and the dates they span."""

import os
import subprocess
import sys
import textwrap

import numpy as np
from testutils import write_geotiff

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _points(path, dates):
    from osgeo import ogr, osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    layer = ds.CreateLayer("points", srs, ogr.wkbPoint)
    layer.CreateField(ogr.FieldDefn("VEL", ogr.OFTReal))
    for d in dates:
        layer.CreateField(ogr.FieldDefn(f"D{d}", ogr.OFTReal))
    f = ogr.Feature(layer.GetLayerDefn())
    f.SetGeometry(ogr.CreateGeometryFromWkt("POINT (500045 4099955)"))
    layer.CreateFeature(f)
    ds = None
    return str(path)


def test_demo_project_shows_the_points_and_the_main_product(qgis_app, tmp_path):
    from qgis.core import QgsLayerTree, QgsProject, QgsRasterLayer

    dates = ["20200101", "20200113", "20200125"]
    vel = write_geotiff(tmp_path / "mexico_velocity.tif", np.zeros((4, 5)))
    coh = write_geotiff(tmp_path / "mexico_temporal_coherence.tif", np.ones((4, 5)))
    ts = write_geotiff(tmp_path / "mexico_timeseries.tif", np.zeros((3, 4, 5)),
                       descriptions=["2020-01-01", "2020-01-13", "2020-01-25"])
    pts = _points(tmp_path / "mexico_points.gpkg", dates)
    vertical = write_geotiff(tmp_path / "envisat_vertical.tif", np.zeros((4, 5)), metadata={"UNIT": "mm/yr"})
    main = "Mexico City: SBAS time series (main job)"
    layers = [("Envisat: LOS to vertical", ("geohazard:losvelocitytovertical", "OUTPUT"), vertical)] + [
        (main, ("geohazard:sbasinversion", key), path) for key, path in (
            ("OUTPUT_VELOCITY", vel), ("OUTPUT_TEMPORAL_COHERENCE", coh), ("OUTPUT_TIMESERIES", ts),
            ("OUTPUT_POINTS", pts))]
    script = tmp_path / "write.py"
    script.write_text(textwrap.dedent(f"""\
        import importlib.util, sys
        spec = importlib.util.spec_from_file_location("run_demo", {os.path.join(ROOT, "demo", "run_demo.py")!r})
        demo = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(demo)
        print(demo.write_project({str(tmp_path)!r}, {layers!r}, {main!r}))
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert out.returncode == 0, out.stderr[-3000:]
    project = QgsProject()
    assert project.read(out.stdout.split()[-1])
    groups = {g.name(): g for g in project.layerTreeRoot().children() if QgsLayerTree.isGroup(g)}
    assert project.layerTreeRoot().children()[0].name() == main  # its first layer is current when QGIS opens it
    assert groups[main].itemVisibilityChecked() and groups[main].isExpanded()
    other = groups["Envisat: LOS to vertical"]
    assert not other.itemVisibilityChecked() and not other.isExpanded()
    assert other.findLayers()[0].layer().name() == "Vertical velocity (mm/yr)"  # the unit the raster declares
    nodes = groups[main].findLayers()
    names = [n.layer().name() for n in nodes]
    assert names[0] == "Velocity points (mm/yr; time series in mm), 2020-01-01 to 2020-01-25", names
    assert names[1] == "Velocity (mm/yr)" and names[3] == "Time series (mm), 2020-01-01 to 2020-01-25", names
    assert [n.itemVisibilityChecked() for n in nodes] == [True, True, False, False]
    assert not isinstance(nodes[0].layer(), QgsRasterLayer) and all(isinstance(n.layer(), QgsRasterLayer)
                                                                      for n in nodes[1:])
