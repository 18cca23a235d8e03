"""InSAR Geohazards QGIS plugin."""


def classFactory(iface):  # noqa: N802 - QGIS API name
    from .plugin import InsarGeohazardsPlugin

    return InsarGeohazardsPlugin(iface)
