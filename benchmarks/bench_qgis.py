"""QGIS started headless with this plugin's provider registered, for the benchmarks run in QGIS's Python."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start_qgis():
    """``(app, plugin)``: a headless QgsApplication with Processing and the geohazard provider ready."""
    for path in (os.path.join(ROOT, ".build", "plugins"), "/usr/share/qgis/python/plugins"):
        if path not in sys.path:
            sys.path.insert(0, path)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    from processing.core.Processing import Processing

    Processing.initialize()
    from insar_geohazards.plugin import InsarGeohazardsPlugin

    plugin = InsarGeohazardsPlugin(None)
    plugin.initProcessing()
    return app, plugin
