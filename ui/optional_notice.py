"""The optional packages' notice in the desktop: once per QGIS profile, plugin version and QGIS version.

When numba, scikit-learn, h5py, matplotlib or Dask is missing from QGIS's Python, the message bar says once which
ones, what each costs and how to install it (:func:`algorithms.optional.notice`); the same text goes to the
message log. The profile's settings remember it was shown for this plugin version, this QGIS and this set of
missing packages, so it does not come back at every start; an upgrade or another missing package shows it again.
Without the desktop (qgis_process, scripts) the first tool run of the process logs it instead
(``processing_provider/tools/_base.py``).
"""

from __future__ import annotations

from qgis.core import Qgis, QgsMessageLog
from qgis.PyQt.QtCore import QSettings

from ..algorithms import kernel_families, optional
from .kernels import plugin_version

SETTINGS_KEY = "insar_geohazards/optional_notice"


def notice_key(missing) -> str:
    return f"{plugin_version()} | QGIS {Qgis.QGIS_VERSION} | {','.join(missing)}"


class OptionalPackagesPart:
    """GUI part: the one-time notice of the optional packages missing (see the module docstring)."""

    def __init__(self, iface):
        self.iface = iface
        self.shown = ""

    def init_gui(self) -> None:
        optional.mark_notice_given()  # the desktop says it here, not in a tool's log
        missing = optional.missing_packages()
        if not missing:
            return
        settings = QSettings()
        key = notice_key(missing)
        if settings.value(SETTINGS_KEY, "") == key:
            return
        self.shown = optional.notice(missing, numba_cost=kernel_families.numba_notice_cost)
        bar = getattr(self.iface, "messageBar", None)
        if bar is not None:
            bar().pushMessage("InSAR Geohazards", self.shown, Qgis.MessageLevel.Warning, 0)
        QgsMessageLog.logMessage(self.shown, "InSAR Geohazards", Qgis.MessageLevel.Warning)
        settings.setValue(SETTINGS_KEY, key)

    def unload(self) -> None:
        self.shown = ""
