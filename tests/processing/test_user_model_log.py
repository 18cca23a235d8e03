"""A model a user draws with QGIS's own raster-list input (the multiple-layer widget, not the plugin's) feeding a
stack tool: the run logs no "[OGR] Cannot open" line for the rasters (QGIS tried each raster with the vector
provider while writing each step's command and checking its values)."""

import os

import numpy as np
from testutils import MessageLog
from testutils_corrections import write_stack_tifs
from testutils_modeler import UserModel, run_model


def test_a_user_models_raster_list_logs_no_cannot_open(qgis_app, tmp_path):
    from qgis.core import QgsProcessing, QgsProcessingContext, QgsProcessingParameterMultipleLayers

    dates = [np.datetime64("2020-01-01") + np.timedelta64(12 * k, "D") for k in range(6)]
    dates = [d.astype(object) for d in dates]
    pairs = [(i, j) for i in range(6) for j in range(i + 1, min(i + 3, 6))]  # indices into dates
    ifg = np.random.default_rng(0).normal(0.0, 0.3, (len(pairs), 8, 9))
    files = write_stack_tifs(str(tmp_path / "ifgs"), ifg, dates, pairs, step=100.0)
    m = UserModel("SBAS of a raster list")
    m.input(QgsProcessingParameterMultipleLayers("IFGS", "Unwrapped interferograms",
                                                 QgsProcessing.SourceType.TypeRaster))
    m.step("sbas", "geohazard:sbasinversion", "SBAS", {"INTERFEROGRAMS": ("input", "IFGS"), "INPUT_UNITS": 0,
                                                       "MIN_TEMPORAL_COHERENCE": 0.0},
           {"VELOCITY": "OUTPUT_VELOCITY"})
    model = m.done()
    params = {"IFGS": files, "sbas:VELOCITY": str(tmp_path / "v.tif")}
    with MessageLog() as log:
        got = run_model(model, params)
        # the dialog's way: the check, then the command written to the log and the history, in one context
        context = QgsProcessingContext()
        assert model.checkParameterValues(params, context)[0]
        assert "20200101_20200113_unw.tif" in model.parameterDefinition("IFGS").valueAsPythonString(files, context)
    assert got["sbas:VELOCITY"]
    assert [text for _, _, text in log.messages if "Cannot open" in text] == []
    assert not any(f.endswith(".aux.xml") for f in os.listdir(tmp_path / "ifgs"))
