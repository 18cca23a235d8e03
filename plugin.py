"""Plugin entry: registers the Processing provider and the GUI parts."""

from __future__ import annotations

from qgis.core import QgsApplication


class InsarGeohazardsPlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider = None
        self._gui_parts = []

    def initProcessing(self):  # noqa: N802 - QGIS API name
        from .processing_provider.provider import GeohazardProvider

        if self.provider is None:
            provider = GeohazardProvider()
            # the registry refuses a second provider with the same id (another copy of the
            # plugin already loaded): keep none rather than a provider it does not own
            if QgsApplication.processingRegistry().addProvider(provider):
                self.provider = provider
                from .processing_provider import model_checks

                model_checks.install()  # a user's model with our steps checks its raster inputs quietly

    def initGui(self):  # noqa: N802 - QGIS API name
        self.initProcessing()
        if self.iface is None:
            return
        from .ui import gui_parts

        for part_cls in gui_parts():
            part = part_cls(self.iface)
            part.init_gui()
            self._gui_parts.append(part)

    def unload(self):
        for part in reversed(self._gui_parts):
            part.unload()
        self._gui_parts = []
        if self.provider is not None:
            from .processing_provider import model_checks

            model_checks.uninstall()
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
