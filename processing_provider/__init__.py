"""QGIS side of the plugin: the Processing provider, its tools, and layer <-> numpy IO."""
