"""What the desktop screenshot scripts of docs/ share (run in the real QGIS desktop by docs/run_in_desktop.sh): the
main window at a known size without the Browser panel, and a dialog shown, grabbed once drawn and closed. Not a
tool of the plugin: the plugin never imports this file.
"""

from qgis.PyQt.QtCore import QPoint, Qt, QTimer
from qgis.PyQt.QtTest import QTest
from qgis.PyQt.QtWidgets import QDockWidget
from qgis.utils import iface


def click_map(x: float, y: float, button=Qt.MouseButton.LeftButton, wait_ms: int = 200) -> None:
    """A click of ``button`` on the map canvas at the map coordinates ``(x, y)``, then ``wait_ms`` of events."""
    canvas = iface.mapCanvas()
    p = canvas.getCoordinateTransform().transform(x, y)
    QTest.mouseClick(canvas.viewport(), button, Qt.KeyboardModifier.NoModifier,
                     QPoint(int(round(p.x())), int(round(p.y()))))
    QTest.qWait(wait_ms)


def main_window(width: int, height: int, layers_width: int = 0):
    """QGIS's main window resized to ``width`` x ``height``, its Browser and Python console panels hidden; with
    ``layers_width``, the Layers panel shown that wide (for names such as quantity (unit), dates)."""
    window = iface.mainWindow()
    window.resize(width, height)
    for dock in window.findChildren(QDockWidget):
        if dock.objectName() in ("Browser", "PythonConsole"):
            dock.setVisible(False)
        if dock.objectName() == "Layers" and layers_width:
            dock.setVisible(True)
            window.resizeDocks([dock], [layers_width], Qt.Orientation.Horizontal)
    return window


def grab_dialog(dlg, size: tuple, picture: str, wait_ms: int, then) -> None:
    """Show ``dlg`` at ``size`` (resized after show(): a dialog restores its last size when shown), save it to
    ``picture`` after ``wait_ms`` (drawn by then), close it and call ``then``."""
    dlg.show()
    dlg.resize(*size)

    def grab():
        dlg.grab().save(picture)
        dlg.close()
        then()

    QTimer.singleShot(wait_ms, grab)
