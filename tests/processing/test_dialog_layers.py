"""Every tool's dialog opens, and takes a raster and a point layer in its layer inputs, with a raster as the active
layer (the desktop's usual state after any run that made one): no field parameter hangs off an input that accepts
rasters (QGIS 3.22's field widget crashes on that pairing)."""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

#: One QGIS process with widgets: a raster and a point layer in the project, the raster active, then each tool's
#: dialog made, shown, and each of its single-layer inputs given the raster and then the points. Prints "dialogs N".
_SCRIPT = textwrap.dedent(r"""
    import os, sys, types
    sys.path.insert(0, {plugins!r})
    for p in ("/usr/share/qgis/python/plugins", "/usr/share/qgis/python"):
        sys.path.append(p)
    import numpy as np
    from osgeo import gdal, ogr, osr
    from qgis.core import (QgsApplication, QgsProcessingContext, QgsProcessingParameterFeatureSource,
                           QgsProcessingParameterMapLayer, QgsProcessingParameterRasterLayer,
                           QgsProcessingParameterVectorLayer, QgsProject, QgsRasterLayer, QgsVectorLayer)
    app = QgsApplication([], True)
    app.initQgis()
    from processing.core.Processing import Processing
    Processing.initialize()
    from insar_geohazards.plugin import InsarGeohazardsPlugin
    plugin = InsarGeohazardsPlugin(None)
    plugin.initProcessing()
    folder = sys.argv[1]
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    ds = gdal.GetDriverByName("GTiff").Create(os.path.join(folder, "r.tif"), 10, 10, 1, gdal.GDT_Float32)
    ds.SetGeoTransform((500000, 10, 0, 4100000, 0, -10))
    ds.SetProjection(srs.ExportToWkt())
    ds.GetRasterBand(1).WriteArray(np.ones((10, 10)))
    ds = None
    src = ogr.GetDriverByName("GPKG").CreateDataSource(os.path.join(folder, "p.gpkg"))
    lyr = src.CreateLayer("p", srs, ogr.wkbPoint)
    lyr.CreateField(ogr.FieldDefn("VEL", ogr.OFTReal))
    f = ogr.Feature(lyr.GetLayerDefn())
    f.SetGeometry(ogr.CreateGeometryFromWkt("POINT(500050 4099950)"))
    f.SetField("VEL", 1.0)
    lyr.CreateFeature(f)
    src = None
    raster = QgsRasterLayer(os.path.join(folder, "r.tif"), "r")
    points = QgsVectorLayer(os.path.join(folder, "p.gpkg"), "p", "ogr")
    QgsProject.instance().addMapLayers([points, raster])
    from qgis.PyQt.QtWidgets import QApplication, QMainWindow
    from processing.tools import general
    import qgis.utils
    window = QMainWindow()
    general.iface = qgis.utils.iface = types.SimpleNamespace(mainWindow=lambda: window, activeLayer=lambda: raster,
                                                             mapCanvas=lambda: None)
    context = QgsProcessingContext()
    kinds = (QgsProcessingParameterMapLayer, QgsProcessingParameterRasterLayer, QgsProcessingParameterVectorLayer,
             QgsProcessingParameterFeatureSource)
    n = 0
    for alg in QgsApplication.processingRegistry().providerById("geohazard").algorithms():
        print("tool", alg.id(), flush=True)
        dialog = general.createAlgorithmDialog(alg.id(), {{}})
        dialog.show()
        QApplication.processEvents()
        wrappers = getattr(dialog.mainWidget(), "wrappers", {{}})
        for d in alg.parameterDefinitions():
            w = wrappers.get(d.name())
            if w is None or not isinstance(d, kinds):
                continue
            for layer in (raster, points):
                print("  ", d.name(), layer.name(), flush=True)
                w.setParameterValue(layer, context)
                QApplication.processEvents()
        dialog.close()
        dialog.deleteLater()
        QApplication.processEvents()
        n += 1
    print("dialogs", n, flush=True)
    os._exit(0)
""")


def test_no_field_hangs_off_an_input_that_accepts_rasters(qgis_app):
    from qgis.core import QgsApplication, QgsProcessing, QgsProcessingParameterField

    raster_kinds = {int(QgsProcessing.SourceType.TypeRaster), int(QgsProcessing.SourceType.TypeMapLayer)}
    bad = []
    for alg in QgsApplication.processingRegistry().providerById("geohazard").algorithms():
        for d in alg.parameterDefinitions():
            if not isinstance(d, QgsProcessingParameterField) or not d.parentLayerParameterName():
                continue
            parent = alg.parameterDefinition(d.parentLayerParameterName())
            kinds = {int(t) for t in getattr(parent, "dataTypes", lambda: [])()}
            if parent.type() in ("layer", "raster") and (not kinds or kinds & raster_kinds):
                bad.append((alg.id(), d.name(), parent.name()))
    assert bad == []


@pytest.mark.serial
@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed (apt-get install xvfb)")
def test_every_dialog_opens_with_a_raster_active_and_takes_layers(tmp_path):
    """Under Xvfb (a real X display, as the desktop): a process per run, so a crash fails the test."""
    pytest.importorskip("qgis.core", reason="QGIS Python bindings are not installed (run `make test`)")
    script = tmp_path / "dialogs.py"
    script.write_text(_SCRIPT.format(plugins=os.path.join(ROOT, ".build", "plugins")))
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(QT_QPA_PLATFORM="xcb", INSAR_GEOHAZARDS_WARM_UP="0")
    out = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", sys.executable, str(script),
                          str(tmp_path)], capture_output=True, text=True, env=env, timeout=600)
    last = [line for line in out.stdout.splitlines() if line.startswith("tool")][-1:] or ["(none)"]
    assert out.returncode == 0, f"exit {out.returncode} at {last[0]}\n{out.stdout[-1500:]}\n{out.stderr[-1500:]}"
    assert "dialogs" in out.stdout and int(out.stdout.rsplit("dialogs", 1)[1].split()[0]) >= 40
