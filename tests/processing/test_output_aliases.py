"""A former output ID keeps working: inversevelocity's plots folder was PLOT_FOLDER, now OUTPUT_PLOTS.

The former ID is a hidden destination; given (a script, a qgis_process line, a model step saved before), the
output is written where it points and the results carry it under both IDs, so a model that reads the child
output PLOT_FOLDER still gets it. Both IDs naming different places are refused.
"""

import glob
import os
import subprocess

import pytest
from testutils import one_step_model

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def points(tmp_path_factory):
    """Two points failing by tertiary creep (1/v = A (t_f - t), t_f 34 days after the last date) and a steady one:
    two alerts, so two plots."""
    import datetime as dt

    import numpy as np
    from testutils_models import write_dated_layer

    days = np.arange(0, 372, 6.0)
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=int(x)) for x in days]
    rng = np.random.default_rng(0)
    creep = (1 / 0.1826) * np.log((400.0 - days) / 400.0)
    values = np.column_stack([creep + rng.normal(0, 0.1, days.size), creep + rng.normal(0, 0.1, days.size),
                              -3.0 * days / 365.25 + rng.normal(0, 0.1, days.size)])
    return write_dated_layer(tmp_path_factory.mktemp("alias") / "pts.gpkg", dates, values)


def _pngs(folder):
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(str(folder), "*.png")))


def test_former_output_id_writes_where_it_points_and_is_in_the_results(run_alg, tmp_path, points):
    new = run_alg("inversevelocity", {"INPUT": points, "OUTPUT": str(tmp_path / "new.gpkg"),
                                      "OUTPUT_PLOTS": str(tmp_path / "new_plots")})
    old = run_alg("inversevelocity", {"INPUT": points, "OUTPUT": str(tmp_path / "old.gpkg"),
                                      "PLOT_FOLDER": str(tmp_path / "old_plots")})
    assert _pngs(tmp_path / "new_plots") and _pngs(tmp_path / "old_plots") == _pngs(tmp_path / "new_plots")
    assert old["PLOT_FOLDER"] == old["OUTPUT_PLOTS"] == str(tmp_path / "old_plots")
    assert "PLOT_FOLDER" in new and new["PLOT_FOLDER"] == new["OUTPUT_PLOTS"]


def test_both_ids_naming_two_places_are_refused(run_alg, tmp_path, points):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="PLOT_FOLDER and OUTPUT_PLOTS name two files for one output"):
        run_alg("inversevelocity", {"INPUT": points, "OUTPUT": str(tmp_path / "x.gpkg"),
                                    "PLOT_FOLDER": str(tmp_path / "a"), "OUTPUT_PLOTS": str(tmp_path / "b")})
    assert not (tmp_path / "x.gpkg").exists()


def test_a_model_step_reading_the_former_output_id_runs(qgis_app, tmp_path, points):
    import processing
    from qgis.core import (
        QgsApplication,
        QgsProcessingContext,
        QgsProcessingFeedback,
    )

    tool = QgsApplication.processingRegistry().algorithmById("geohazard:inversevelocity")
    values = {d.name(): d.defaultValue() for d in tool.parameterDefinitions()
              if not d.isDestination() and d.defaultValue() is not None}
    loaded = one_step_model(tmp_path / "plots_before.model3", "geohazard:inversevelocity", {**values, "INPUT": points},
                            {"alerts": "OUTPUT", "plots": "PLOT_FOLDER"})
    dests = {d.name(): d for d in loaded.destinationParameterDefinitions()}
    params = {name: str(tmp_path / ("m.gpkg" if name.endswith("alerts") else "m_plots")) for name in dests}
    res = processing.run(loaded, params, context=QgsProcessingContext(), feedback=QgsProcessingFeedback())
    plots = [v for k, v in res.items() if k.endswith("plots")]
    assert plots and _pngs(plots[0]), res


def test_former_output_id_through_qgis_process(qgis_app, tmp_path, points):
    env = {**os.environ, "QGIS_PLUGINPATH": os.path.join(ROOT, ".build", "plugins"), "QT_QPA_PLATFORM": "offscreen"}
    args = ["qgis_process.bin", "--json", "run", "geohazard:inversevelocity", "--", f"INPUT={points}",
            f"OUTPUT={tmp_path / 'cli.gpkg'}", f"PLOT_FOLDER={tmp_path / 'cli_plots'}"]
    res = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    import json

    results = json.loads(res.stdout[res.stdout.index("{"):])["results"]
    assert results["PLOT_FOLDER"] == results["OUTPUT_PLOTS"] == str(tmp_path / "cli_plots")
    assert _pngs(tmp_path / "cli_plots")


def test_a_former_output_id_is_not_listed_twice_in_the_modeler(qgis_app):
    """QGIS's modeler lists a step's outputs for the next step's input: an output kept under its former ID (a hidden
    destination whose results carry it) is listed once, under its new ID."""
    from qgis.core import QgsProcessingModelAlgorithm, QgsProcessingModelChildAlgorithm
    from testutils_modeler import offered

    model = QgsProcessingModelAlgorithm("former IDs", "tests")
    for cid, alg_id in (("l3d", "geohazard:landslide3d"), ("iv", "geohazard:inversevelocity"),
                        ("models", "geohazard:timeseriesmodels"), ("tropo", "geohazard:troposphericcorrection")):
        child = QgsProcessingModelChildAlgorithm(alg_id)
        child.setChildId(cid)
        model.addChildAlgorithm(child)
    rasters = offered(model, "models", "INPUT_RASTER")
    assert rasters.count(("l3d", "OUTPUT_TIMESERIES")) == 1 and ("l3d", "OUTPUT_TS") not in rasters
    folders = offered(model, "tropo", "DELAYS")  # a folder input: the plots folder is offered, once
    assert folders.count(("iv", "OUTPUT_PLOTS")) == 1 and ("iv", "PLOT_FOLDER") not in folders
