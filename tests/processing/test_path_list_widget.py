"""The "..." button of a raster list in a tool's dialog (ui/path_list_widget.py): the selection dialog it opens
shows a stack's file names whole, not at Qt's default size for it (436 x 251 px)."""

import os


def test_the_selection_dialog_opens_large_enough(qgis_app, tmp_path, monkeypatch):
    from qgis.gui import QgsProcessingMultipleInputDialog
    from qgis.PyQt.QtWidgets import QApplication

    from insar_geohazards.processing_provider.inputs.declare import rasters
    from insar_geohazards.ui import path_list_widget as plw

    seen = {}

    def exec_(dialog):  # shown as exec would show it, then cancelled
        dialog.show()
        QApplication.processEvents()
        seen["size"] = (dialog.width(), dialog.height())
        dialog.close()
        return 0

    monkeypatch.setattr(QgsProcessingMultipleInputDialog, "exec", exec_, raising=False)
    monkeypatch.setattr(QgsProcessingMultipleInputDialog, "exec_", exec_, raising=False)
    panel = plw.PathListPanel(rasters("INTERFEROGRAMS", "Unwrapped interferograms"))
    panel.set_items([os.path.join(str(tmp_path), f"S1_2020{m:02d}01_2020{m:02d}13_unw.tif") for m in range(1, 13)])
    panel.choose()
    assert seen["size"][0] >= 700 and seen["size"][1] >= 450, seen  # names of ~40 characters whole, ~20 rows
    assert len(panel.items) == 12  # a cancelled choice keeps the list
