"""Plugin entry: registers the Processing provider and the GUI parts.

Enabled in a running desktop (installed from the Plugin Manager, or ticked there), the plugin's ~250 modules are
imported in a thread (compiled to bytecode the first time: most of the cost), and the provider and the GUI parts
are added once they are, so the window keeps repainting meanwhile. At QGIS's start and in ``qgis_process`` (the
window not shown yet, or none) everything is added at once, before a project or a run can ask for the tools.
"""

from __future__ import annotations

import importlib
import threading

from qgis.core import QgsApplication

#: how often the main thread looks whether the modules' import in the thread is over (ms)
POLL_MS = 50


def _import_modules(package: str) -> None:
    """Import what registering the provider and the GUI parts imports (the tools' modules included)."""
    try:
        provider = importlib.import_module(f"{package}.processing_provider.provider")
        provider.algorithm_classes()
        importlib.import_module(f"{package}.ui")
    except Exception:  # noqa: BLE001 - the main thread imports them again and QGIS reports the error there
        return


class InsarGeohazardsPlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider = None
        self._gui_parts = []
        self._importing = None  # (thread, timer) while the modules are imported in a thread

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
        window = self.iface.mainWindow() if hasattr(self.iface, "mainWindow") else None
        if window is not None and window.isVisible():
            self._import_then_start()
            return
        self._start()

    def _start(self) -> None:
        self.initProcessing()
        if self.iface is None:
            return
        from .ui import gui_parts

        for part_cls in gui_parts():
            part = part_cls(self.iface)
            part.init_gui()
            self._gui_parts.append(part)

    def _import_then_start(self) -> None:
        """The modules imported in a thread; :meth:`_start` in the main thread once they are."""
        from qgis.PyQt.QtCore import QTimer

        thread = threading.Thread(target=_import_modules, args=(__package__,), name="geohazard-import",
                                  daemon=True)
        timer = QTimer()
        timer.timeout.connect(self._imported)
        self._importing = (thread, timer)
        thread.start()
        timer.start(POLL_MS)

    def _imported(self) -> None:
        thread, timer = self._importing
        if thread.is_alive():
            return
        timer.stop()
        self._importing = None
        self._start()  # a module that failed in the thread fails here again, reported by QGIS as at a start

    def unload(self):
        if self._importing is not None:  # disabled before the import in the thread was over: nothing to remove
            self._importing[1].stop()
            self._importing = None
        for part in reversed(self._gui_parts):
            part.unload()
        self._gui_parts = []
        if self.provider is not None:
            from .processing_provider import model_checks

            model_checks.uninstall()
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
