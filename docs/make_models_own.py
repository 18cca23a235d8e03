"""The two worked models of docs/models_own.md, built with the PyQGIS model API and saved to docs/models_own/.

Run from the repository root (after `make link`):

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 docs/make_models_own.py

:func:`sbas_model` and :func:`egms_model` are the models the page draws (docs/make_models_own_figures.py takes their
pictures in the QGIS desktop) and the ones tests/processing/test_user_models.py opens in QGIS's step dialog, runs
and checks. Each step gets the values the page sets; the others keep the tools' defaults (as the step dialog
stores them when a user adds the step).
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "models_own")


def _model(name: str, inputs: list, steps: list, help_text: str):
    """A model of ``inputs`` (definition, x) and ``steps`` (child ID, tool, description, (x, y), values, outputs):
    a value is ("input", name), ("step", child, output) or a static value; outputs map a model output name to the
    step's output ID."""
    from qgis.core import (
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
    )
    from qgis.PyQt.QtCore import QPointF

    model = QgsProcessingModelAlgorithm(name, "My models")
    model.setHelpContent({"ALG_DESC": help_text, "ALG_CREATOR": "InSAR Geohazards documentation"})
    for definition, x in inputs:
        component = QgsProcessingModelParameter(definition.name())
        component.setPosition(QPointF(x, 60))
        model.addModelParameter(definition, component)
    model.setParameterOrder([d.name() for d, _ in inputs])
    for child_id, alg_id, description, (x, y), values, outputs in steps:
        child = QgsProcessingModelChildAlgorithm(alg_id)
        child.setChildId(child_id)
        child.setDescription(description)
        child.setPosition(QPointF(x, y))
        # the values a user leaves as they are: the tool's defaults, stored as the step dialog stores them (a step
        # without them is drawn red in the modeler: QGIS wants a value for every mandatory parameter)
        values = {**_build_models().child_defaults(alg_id, set(values)), **values}
        for pid, value in values.items():
            if isinstance(value, tuple) and value[0] == "input":
                source = QgsProcessingModelChildParameterSource.fromModelParameter(value[1])
            elif isinstance(value, tuple) and value[0] == "step":
                source = QgsProcessingModelChildParameterSource.fromChildOutput(value[1], value[2])
            else:
                source = QgsProcessingModelChildParameterSource.fromStaticValue(value)
            child.addParameterSources(pid, [source])
        kept = {}
        for k, (out_name, (output_id, label)) in enumerate(outputs.items()):
            out = QgsProcessingModelOutput(out_name, label)
            out.setChildId(child_id)
            out.setChildOutputName(output_id)
            out.setPosition(QPointF(x + 260, y - 30 + 45 * k))
            kept[out_name] = out
        child.setModelOutputs(kept)
        model.addChildAlgorithm(child)
    # model outputs named <step>:<name> on every QGIS version (3.24+ would rename them from their labels)
    definition = model.toVariant()
    definition["internal_version"] = "Version1"
    model.loadVariant(definition)
    return model


def _build_models():
    """``models/build_models.py`` (its ``child_defaults``: a tool's default values as a model step stores them)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_models", os.path.join(os.path.dirname(HERE), "models",
                                                                               "build_models.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def sbas_model():
    """Unwrapped interferograms -> ramp removal (per date) -> SBAS -> time-series models."""
    from qgis.core import QgsProcessing, QgsProcessingParameterMultipleLayers

    return _model(
        "Interferograms to velocity models (ramps, SBAS, time-series models)",
        [(QgsProcessingParameterMultipleLayers("INTERFEROGRAMS", "Unwrapped interferograms",
                                               QgsProcessing.SourceType.TypeRaster), 150)],
        [("ramps", "geohazard:rampremoval", "Ramp removal (per date)", (150, 200),
          {"INTERFEROGRAMS": ("input", "INTERFEROGRAMS"), "MODE": 1}, {}),
         ("sbas", "geohazard:sbasinversion", "SBAS inversion", (330, 340),
          {"INTERFEROGRAMS": ("step", "ramps", "OUTPUT_LAYERS")},
          {"VELOCITY": ("OUTPUT_VELOCITY", "LOS velocity (mm/yr)"),
           "TIMESERIES": ("OUTPUT_TIMESERIES", "Displacement time series (mm)")}),
         ("models", "geohazard:timeseriesmodels", "Time-series models", (510, 500),
          {"INPUT_RASTER": ("step", "sbas", "OUTPUT_TIMESERIES")},
          {"PARAMETERS": ("OUTPUT_RASTER", "Model parameters (raster)")})],
        "Removes the orbital ramps of each date, inverts the corrected interferograms with SBAS and fits the "
        "linear, seasonal and quadratic models to every pixel's time series (docs/models_own.md).")


def egms_model():
    """An EGMS file -> points -> active deformation areas -> their classes -> activity of the inventory's
    landslides and candidate new ones."""
    from qgis.core import QgsProcessing, QgsProcessingParameterFile, QgsProcessingParameterVectorLayer

    return _model(
        "EGMS to landslide activity (ADA, classes, activity)",
        [(QgsProcessingParameterFile("EGMS", "EGMS file (.zip or .csv)"), 150),
         (QgsProcessingParameterVectorLayer("INVENTORY", "Landslide inventory (polygons)",
                                            [QgsProcessing.SourceType.TypeVectorPolygon]), 520)],
        [("egms", "geohazard:loadegms", "Load EGMS", (150, 190), {"INPUT": ("input", "EGMS")}, {}),
         ("ada", "geohazard:adadetection", "ADA detection", (260, 320), {"INPUT": ("step", "egms", "OUTPUT")},
          {"ADAS": ("OUTPUT", "Active deformation areas")}),
         ("classes", "geohazard:adaclassification", "ADA classification", (370, 450),
          {"INPUT": ("step", "ada", "OUTPUT")}, {"CLASSES": ("OUTPUT", "Classified ADAs")}),
         ("activity", "geohazard:landslideactivity", "Landslide activity", (520, 590),
          {"INVENTORY": ("input", "INVENTORY"), "POINTS": ("step", "egms", "OUTPUT"),
           "ADAS": ("step", "classes", "OUTPUT")},
          {"ACTIVITY": ("OUTPUT", "Landslide activity"), "CANDIDATES": ("OUTPUT_CANDIDATES", "Candidate landslides")})],
        "Loads an EGMS file, finds the active deformation areas, classifies them and gives the activity of the "
        "inventory's landslides and the candidate new ones (docs/models_own.md).")


MODELS = {"sbas_to_velocity_models.model3": sbas_model, "egms_to_landslide_activity.model3": egms_model}


def main() -> None:
    sys.path.append("/usr/share/qgis/python/plugins")
    from qgis.core import QgsApplication

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QgsApplication([], False)
    app.initQgis()
    _build_models()._register_provider()  # the steps' tools, for their defaults
    os.makedirs(OUT, exist_ok=True)
    for name, build in MODELS.items():
        path = os.path.join(OUT, name)
        if not build().toFile(path):
            raise SystemExit(f"could not write {path}")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
