"""Build the graphical models shipped with the plugin (``models/*.model3``).

Run with QGIS's Python from the repository root::

    /usr/bin/python3 models/build_models.py

The models are written with the ``QgsProcessingModelAlgorithm`` API so the file is exactly
what the QGIS 3.22+ modeler reads; open them in the modeler to inspect or extend them.
The child algorithms are referenced by their public IDs. Every child parameter the model
does not wire is stored as a static value equal to the tool's default, so the modeler
validates the model (QGIS treats a mandatory child parameter without a source as an error,
even when the tool has a default); the build therefore registers the plugin's provider
when it is not registered yet.
"""

from __future__ import annotations

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

MODEL_NAME = "sbastolandslideactivity"
MODEL_FILE = os.path.join(HERE, "sbas_to_landslide_activity.model3")
DISPLAY_NAME = "SBAS to landslide activity (model: SBAS -> ADA -> activity)"

HELP = (
    "SBAS time series -> velocity points -> active deformation areas (ADA) -> landslide activity.\n\n"
    "Chains geohazard:sbasinversion (unwrapped interferograms, optional coherence -> time series, "
    "velocity raster and velocity points with VEL, V_STDEV, COHERENCE and DYYYYMMDD fields), "
    "geohazard:adadetection (ADA polygons from the velocity points) and geohazard:landslideactivity "
    "(activity of the inventory's landslides from the points and ADAs, plus candidate new landslides).\n\n"
    "Inputs: INTERFEROGRAMS (unwrapped interferogram GeoTIFFs whose names carry the two dates, or a product as "
    "delivered: a LiCSAR frame folder, HyP3 zips or folders; docs/products.md), "
    "COHERENCE (optional, same dates; a product brings its own), REFERENCE (optional stable reference point; "
    "empty: the largest consistent ground), "
    "INVENTORY (landslide inventory polygons: your own, from the regional inventory, e.g. IFFI in Italy), "
    "DEM (optional, for slope-aware classification), INCIDENCE and HEADING (degrees; with a DEM the activity "
    "step projects the points' LOS velocity downslope and needs the acquisition geometry: the SBAS points carry "
    "no LOS fields, and no geometry is assumed).\n"
    "Outputs: time series and velocity rasters (mm, mm/yr, LOS positive toward the satellite), "
    "velocity points, ADA polygons, landslide activity and candidate landslides.\n\n"
    "Every step keeps its own defaults; open the model in the graphical modeler to change them."
)


def child_defaults(alg_id: str, wired: set) -> dict:
    """Static values for the child parameters the model does not wire: the tool's defaults
    (mandatory, non-destination parameters only; optional ones stay empty)."""
    from qgis.core import QgsApplication, QgsProcessingParameterDefinition

    alg = QgsApplication.processingRegistry().algorithmById(alg_id)
    if alg is None:
        raise SystemExit(f"{alg_id} is not registered: run from the repository root with QGIS's Python")
    out = {}
    # a parameter with former IDs is optional only so that models saved before it validate: keep its value
    renamed = {(h.metadata().get("geohazard_alias") or {}).get("of") for h in alg.parameterDefinitions()}
    for d in alg.parameterDefinitions():
        optional = d.flags() & QgsProcessingParameterDefinition.Flag.FlagOptional and d.name() not in renamed
        if d.name() in wired or d.isDestination() or optional:
            continue
        if d.flags() & QgsProcessingParameterDefinition.Flag.FlagHidden:
            continue
        out[d.name()] = d.defaultValue()
    return out


def _register_provider() -> None:
    """Register the plugin's provider (the children's definitions come from it)."""
    from qgis.core import QgsApplication

    if QgsApplication.processingRegistry().providerById("geohazard") is not None:
        return
    plugins = os.path.join(os.path.dirname(HERE), ".build", "plugins")
    if not os.path.isdir(os.path.join(plugins, "insar_geohazards")):
        os.makedirs(plugins, exist_ok=True)
        os.symlink(os.path.relpath(os.path.dirname(HERE), plugins), os.path.join(plugins, "insar_geohazards"))
    sys.path.insert(0, plugins)
    from insar_geohazards.processing_provider.provider import GeohazardProvider

    provider = GeohazardProvider()
    QgsApplication.processingRegistry().addProvider(provider)
    _KEEP.append(provider)


_KEEP: list = []
#: The size of a box in the modeler (QGIS's default for inputs, steps and outputs), and the space kept between boxes.
BOX = (200.0, 30.0)
GAP = 40.0


def _stack_inputs(*, coherence_x: int) -> list:
    """The unwrapped interferograms and their coherence rasters, the first inputs of the stack models, with the
    coherence box at ``coherence_x``."""
    from qgis.core import QgsProcessing, QgsProcessingParameterMultipleLayers

    return [(QgsProcessingParameterMultipleLayers("INTERFEROGRAMS", "Unwrapped interferograms",
                                                  QgsProcessing.SourceType.TypeRaster), 120),
            (QgsProcessingParameterMultipleLayers("COHERENCE", "Coherence rasters", QgsProcessing.SourceType.TypeRaster,
                                                  optional=True), coherence_x)]


class _Model:
    """A model being built: its inputs (in dialog order) and its children, each wired to model inputs, to
    other children's outputs or to static values, every other mandatory child parameter at its default."""

    def __init__(self, name: str, display_name: str, help_text: str, input_help: dict, *, group: str):
        from qgis.core import QgsProcessingModelAlgorithm

        from insar_geohazards.processing_provider.tools._base import GROUPS

        # the modeler shows the model's name: the readable one; the provider gives it its short ID (MODEL_ID);
        # a model sits in the toolbox group of its main job
        self.model = QgsProcessingModelAlgorithm(display_name, GROUPS[group], group)
        self.model.setHelpContent({"ALG_DESC": help_text, "ALG_CREATOR": "InSAR Geohazards",
                                   "DISPLAY_NAME": display_name, "MODEL_ID": name, **input_help})
        self.free_y = 0.0  # the first height below every step and output box placed so far

    def inputs(self, placed) -> None:
        """``(definition, x)`` of each model input; the dialog lists them in this order (without it QGIS sorts
        them by ID)."""
        from qgis.core import QgsProcessingModelParameter
        from qgis.PyQt.QtCore import QPointF

        for definition, x in placed:
            if definition.type() == "number":  # the spin box shows a few decimals, as the tools' (never 10.000000)
                meta = definition.metadata()
                meta["widget_wrapper"] = {**(meta.get("widget_wrapper") or {}), "decimals": 2}
                definition.setMetadata(meta)
            param = QgsProcessingModelParameter(definition.name())
            param.setPosition(QPointF(x, 60))
            self.model.addModelParameter(definition, param)
        self.model.setParameterOrder([d.name() for d, _ in placed])

    @staticmethod
    def param(name):
        from qgis.core import QgsProcessingModelChildParameterSource

        return [QgsProcessingModelChildParameterSource.fromModelParameter(name)]

    @staticmethod
    def output(child, output):
        from qgis.core import QgsProcessingModelChildParameterSource

        return [QgsProcessingModelChildParameterSource.fromChildOutput(child, output)]

    @staticmethod
    def static(value):
        from qgis.core import QgsProcessingModelChildParameterSource

        return [QgsProcessingModelChildParameterSource.fromStaticValue(value)]

    def child(self, child_id, alg_id, description, x, y, params, outputs) -> None:
        """Add ``alg_id`` as ``child_id`` with its wired ``params`` and the model ``outputs`` it gives
        (model output name -> (its output ID, label)).

        The modeler draws each box centred on its position (:data:`BOX` wide and high): the step at ``x`` and at
        ``y`` or lower, below the boxes placed before it; its outputs in a column at its right, from its height
        down, :data:`GAP` apart; the next step below them all."""
        from qgis.core import QgsProcessingModelChildAlgorithm, QgsProcessingModelOutput
        from qgis.PyQt.QtCore import QPointF

        width, height = BOX
        y = max(y, self.free_y + height / 2)
        child = QgsProcessingModelChildAlgorithm(alg_id)
        child.setChildId(child_id)
        child.setDescription(description)
        child.setPosition(QPointF(x, y))
        for name, sources in params.items():
            child.addParameterSources(name, sources)
        for name, value in child_defaults(alg_id, set(params)).items():
            child.addParameterSources(name, self.static(value))
        outs = {}
        for out_name, (param_name, label) in outputs.items():
            out = QgsProcessingModelOutput(out_name, label)
            out.setChildId(child_id)
            out.setChildOutputName(param_name)
            out.setPosition(QPointF(x + width + GAP, y + (height + GAP / 2) * len(outs)))
            outs[out_name] = out
        self.free_y = y + height / 2 + (height + GAP / 2) * max(len(outs) - 1, 0) + GAP
        child.setModelOutputs(outs)
        self.model.addChildAlgorithm(child)

    def done(self):
        return pin_output_names(self.model)


def build():
    from qgis.core import (
        QgsProcessing,
        QgsProcessingParameterNumber,
        QgsProcessingParameterPoint,
        QgsProcessingParameterRasterLayer,
        QgsProcessingParameterVectorLayer,
    )

    m = _Model(MODEL_NAME, DISPLAY_NAME, HELP, {
        "INTERFEROGRAMS": "Unwrapped interferograms (GeoTIFF, radians); dates in the file names. Or a product as "
                          "delivered: a LiCSAR frame folder (GEOC/ or the portal's), HyP3 zips or folders.",
        "COHERENCE": "Coherence rasters of the same pairs (optional; a product brings its own).",
        "REFERENCE": "Reference point of the SBAS inversion: a stable pixel, valid in every interferogram "
                     "(optional; empty = automatic: the largest area whose loops close and whose stacking rate is "
                     "the scene's mode; set it when you know a stable area).",
        "INVENTORY": "Landslide inventory polygons.",
        "DEM": "Digital elevation model (optional).",
        "INCIDENCE": "Incidence angle (degrees from the vertical; with a DEM, for the downslope velocity).",
        "HEADING": "Heading (degrees clockwise from north; with a DEM, for the downslope velocity)."},
        group="models")
    m.inputs([
        *_stack_inputs(coherence_x=380),
        (QgsProcessingParameterPoint("REFERENCE", "Reference point (empty: automatic)", optional=True), 640),
        (QgsProcessingParameterVectorLayer("INVENTORY", "Landslide inventory (polygons)",
                                           [QgsProcessing.SourceType.TypeVectorPolygon]), 900),
        (QgsProcessingParameterRasterLayer("DEM", "DEM", optional=True), 1160),
        (QgsProcessingParameterNumber("INCIDENCE", "Incidence (degrees; with a DEM)",
                                      QgsProcessingParameterNumber.Type.Double, None, True, 0.001, 89.999), 1420),
        (QgsProcessingParameterNumber("HEADING", "Heading (degrees; with a DEM)",
                                      QgsProcessingParameterNumber.Type.Double, None, True, -360.0, 360.0), 1680)])
    m.child("sbas", "geohazard:sbasinversion", "SBAS inversion", 240, 220,
            {"INTERFEROGRAMS": m.param("INTERFEROGRAMS"), "COHERENCE": m.param("COHERENCE"),
             "REFERENCE": m.param("REFERENCE")},
            {"TIMESERIES": ("OUTPUT_TIMESERIES", "Displacement time series (mm)"),
             "VELOCITY": ("OUTPUT_VELOCITY", "LOS velocity (mm/yr)"),
             "POINTS": ("OUTPUT_POINTS", "Velocity points")})
    m.child("ada", "geohazard:adadetection", "ADA detection", 480, 400,
            {"INPUT": m.output("sbas", "OUTPUT_POINTS")},
            {"ADAS": ("OUTPUT", "Active deformation areas")})
    m.child("activity", "geohazard:landslideactivity", "Landslide activity", 820, 560,
            {"INVENTORY": m.param("INVENTORY"), "POINTS": m.output("sbas", "OUTPUT_POINTS"),
             "DEM": m.param("DEM"), "ADAS": m.output("ada", "OUTPUT"), "INCIDENCE": m.param("INCIDENCE"),
             "HEADING": m.param("HEADING")},
            {"ACTIVITY": ("OUTPUT", "Landslide activity"),
             "CANDIDATES": ("OUTPUT_CANDIDATES", "Candidate landslides")})
    return m.done()


def pin_output_names(model):
    """Keep the model's public output names ``<child>:<output>`` (``sbas:VELOCITY``, ``ada:ADAS`` ...)
    on every QGIS version.

    QGIS 3.22 names a model output ``<child id>:<output name>``. From QGIS 3.24 a new model is
    "internal version 2", whose outputs are renamed from their descriptions (``los_velocity_mmyr``),
    which would silently break ``demo/run_demo.py`` and every user's ``qgis_process`` line. Models
    without the version-2 marker keep the old names on every version, so the marker is set to
    version 1 explicitly (on 3.22 the key is simply ignored).
    """
    definition = model.toVariant()
    definition["internal_version"] = "Version1"
    if not model.loadVariant(definition):
        raise SystemExit("could not pin the model's output names")
    return model


def _write(build_model, path: str) -> str:
    """Start QGIS (unless running inside it), register the provider, build a model and write it."""
    sys.path.append("/usr/share/qgis/python/plugins")
    from qgis.core import QgsApplication

    if QgsApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QgsApplication([], False)
        app.initQgis()
        _KEEP.append(app)
    _register_provider()
    model = build_model()
    if not model.toFile(path):
        raise SystemExit(f"could not write {path}")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    with open(path, "w", encoding="utf-8") as f:
        f.write(_attributes_in_order(text))
    print(f"wrote {path}")
    return path


_OPTION = re.compile(r'<Option((?:\s+[a-z_]+="[^"]*")*)\s*(/?)>')
_ATTRIBUTE = re.compile(r'([a-z_]+)="([^"]*)"')
_ORDER = {"value": 0, "type": 1, "name": 2}


def _attributes_in_order(text: str) -> str:
    """The model file with each element's attributes in one order (value, type, name): Qt writes them in the order
    of a hash seeded anew at each start, so the same model would be written in other bytes at each build."""

    def ordered(match):
        pairs = sorted(_ATTRIBUTE.findall(match.group(1)), key=lambda p: (_ORDER.get(p[0], 3), p[0]))
        return "<Option" + "".join(f' {k}="{v}"' for k, v in pairs) + match.group(2) + ">"

    return _OPTION.sub(ordered, text)


def main(path: str = MODEL_FILE) -> str:
    """Write the "SBAS to landslide activity" model."""
    return _write(build, path)


# ---------------------------------------------------------------- SLC stack to time series
SLC_MODEL_NAME = "slcstacktotimeseries"
SLC_MODEL_FILE = os.path.join(HERE, "slc_stack_to_time_series.model3")
SLC_DISPLAY_NAME = "SLC stack to time series (model: PS/DS -> unwrapping -> SBAS)"
SLC_HELP = (
    "Coregistered SLC stack -> PS candidates -> DS phase linking -> wrapped interferograms -> phase "
    "unwrapping -> SBAS displacement time series and velocity.\n\n"
    "Chains geohazard:amplitudedispersion (PS mask), geohazard:phaselinking (linked phase, temporal "
    "coherence and a nearest-3 network of wrapped interferograms YYYYMMDD_YYYYMMDD.wrapped.tif, PS keep "
    "their own phase), geohazard:unwrap (built-in unwrapper, temporal coherence as the quality; "
    "YYYYMMDD_YYYYMMDD.unw.tif and connected components) and geohazard:sbasinversion (time series and "
    "velocity from the unwrapped folder).\n\n"
    "Inputs: SLC (coregistered complex rasters, one per date or one multi-band file, >= 3 dates); PRIOR "
    "(optional): a model of the expected unwrapped signal for the unwrapping step (steep basins: one raster, one "
    "per date pair, or a velocity), in PRIOR_UNITS (rad, mm or mm/yr, LOS positive toward the satellite). "
    "Outputs: PS mask, temporal coherence, wrapped and unwrapped interferogram folders, unwrapping report, "
    "time series (mm) and velocity (mm/yr, LOS positive toward the satellite).\n\n"
    "Every step keeps its own defaults; open the model in the graphical modeler to change them (e.g. the "
    "SNAPHU backend of the unwrapping step)."
)


def build_slc():
    from qgis.core import QgsProcessing, QgsProcessingParameterEnum, QgsProcessingParameterMultipleLayers

    m = _Model(SLC_MODEL_NAME, SLC_DISPLAY_NAME, SLC_HELP, {
        "SLC": "Coregistered SLC stack (complex rasters; dates from the file names or band descriptions).",
        "PRIOR": "Prior model of the unwrapped signal for the unwrapping step (optional; one raster for every "
                 "interferogram, one per date pair, or one velocity raster; on the SLCs' grid).",
        "PRIOR_UNITS": "Units of the prior: rad (the interferograms' convention), mm or mm/yr (LOS, positive toward "
                       "the satellite)."},
        group="psds")
    m.inputs([(QgsProcessingParameterMultipleLayers("SLC", "Coregistered SLC stack (complex)",
                                                    QgsProcessing.SourceType.TypeRaster), 120),
              (QgsProcessingParameterMultipleLayers("PRIOR", "Prior model for unwrapping",
                                                    QgsProcessing.SourceType.TypeRaster, optional=True), 380),
              (QgsProcessingParameterEnum("PRIOR_UNITS", "Prior units",
                                          ["Radians (as the interferograms)", "Millimetres (LOS)",
                                           "Millimetres a year (LOS velocity)"], defaultValue=0, optional=True), 640)])
    m.child("ps", "geohazard:amplitudedispersion", "Amplitude dispersion (PS candidates)", 240, 200,
            {"INPUT": m.param("SLC")},
            {"PS_MASK": ("OUTPUT_PS_MASK", "PS candidates")})
    m.child("linking", "geohazard:phaselinking", "DS phase linking", 480, 360,
            {"INPUT": m.param("SLC"), "PS_MASK": m.output("ps", "OUTPUT_PS_MASK")},
            {"TEMPORAL_COHERENCE": ("OUTPUT_TEMPORAL_COHERENCE", "Temporal coherence"),
             "WRAPPED": ("OUTPUT_INTERFEROGRAMS", "Wrapped interferograms folder")})
    m.child("unwrap", "geohazard:unwrap", "Phase unwrapping", 720, 520,
            {"INPUT": m.output("linking", "OUTPUT_INTERFEROGRAMS_LAYERS"),
             "COHERENCE": m.output("linking", "OUTPUT_TEMPORAL_COHERENCE"), "PRIOR": m.param("PRIOR"),
             "PRIOR_UNITS": m.param("PRIOR_UNITS")},
            {"UNWRAPPED": ("OUTPUT", "Unwrapped interferograms folder"),
             "UNWRAP_REPORT": ("OUTPUT_REPORT", "Unwrapping report")})
    m.child("sbas", "geohazard:sbasinversion", "SBAS inversion", 960, 680,
            {"INTERFEROGRAMS": m.output("unwrap", "OUTPUT_LAYERS")},
            {"TIMESERIES": ("OUTPUT_TIMESERIES", "Displacement time series (mm)"),
             "VELOCITY": ("OUTPUT_VELOCITY", "LOS velocity (mm/yr)")})
    return m.done()


def main_slc(path: str = SLC_MODEL_FILE) -> str:
    """Write the "SLC stack to time series" model."""
    return _write(build_slc, path)


# ---------------------------------------------------------------- Corrected SBAS
CORR_MODEL_NAME = "correctedsbas"
CORR_MODEL_FILE = os.path.join(HERE, "corrected_sbas.model3")
CORR_DISPLAY_NAME = ("Corrected SBAS (model: unwrapping errors -> network -> troposphere -> ramps -> reference -> "
                     "SBAS -> DEM error -> final velocity)")
#: Window (pixels) of the noise-adaptive filter of the final velocity (3 x 3: as good as 5 x 5 on the synthetic
#: stacks' whole scenes, better on their deforming pixels; docs/corrections.md).
CORR_VELOCITY_WINDOW_PX = 3
CORR_HELP = (
    "Corrects a stack of unwrapped interferograms step by step and inverts it into a displacement time series and "
    "a final LOS velocity. It needs the interferograms (their coherence optional), the perpendicular baselines and "
    "a DEM, and optionally a stable area and the acquisition geometry. It gives the corrected interferograms, the "
    "SBAS time series and velocity, the DEM error and the final velocity with its standard error (mm, mm/yr, LOS "
    "positive toward the satellite).\n\n"
    "Inputs: INTERFEROGRAMS (unwrapped interferograms whose names carry the two dates, radians growing with "
    "range as GAMMA/ISCE/MintPy/LiCSAR/HyP3, or a product as delivered: a LiCSAR frame folder, HyP3 zips or "
    "folders, docs/products.md), COHERENCE (optional, same dates; without it every value is used; for a product, "
    "give the same folder or zips here so that every step uses its coherence), "
    "BASELINES (perpendicular baselines for the DEM-error step: GAMMA bperp files or folder, CSV date,bperp_m, "
    "MintPy .h5, ISCE; optional when the interferograms carry PERPENDICULAR_BASELINE_M: every step carries it on "
    "and the SBAS step turns it into the date baselines of the time series), DEM (heights in metres on the "
    "interferograms' grid), STABLE_AREA (optional polygons of "
    "ground that does not move: the unwrapping-error correction is made relative to it, the reference is chosen "
    "inside and the ramps are fitted on it when it surrounds the scene), INCIDENCE and SLANT_RANGE (optional "
    "rasters on the grid, degrees and metres: they scale the DEM "
    "error), or INCIDENCE_DEG and SLANT_RANGE_M (one value each); without them the INCIDENCE_DEG and SLANT_RANGE_M "
    "the interferograms carry (the log says which); with neither the DEM-error step stops and says what to give "
    "(no geometry is assumed). ALLOW_DISCONNECTED (optional, off: a network split into subsets no interferogram "
    "joins is refused, naming them; on: accepted, the SBAS step bridges the subsets with the minimum-norm "
    "velocity).\n"
    "Outputs: network report, loop-closure statistics, corrected interferograms folder, reference point, SBAS "
    "time series (mm) and velocity (mm/yr) before the DEM-error step, time series corrected for the DEM error "
    "(mm), the DEM error (m), the final velocity and its standard error (mm/yr, LOS positive toward the "
    "satellite) and the final velocity before its spatial filter (mm/yr).\n\n"
    "The steps: unwrapped interferograms -> unwrapping-error correction by phase closure -> network modification -> "
    "tropospheric phase-elevation correction -> ramp removal -> reference point -> SBAS time series -> DEM-error "
    "correction -> final velocity. The order loses least: what can be corrected is corrected first "
    "(geohazard:unwrapclosurecorrection fixes "
    "whole cycles by phase closure on every value, each pixel solving the integer closures its neighbourhood agrees "
    "on, so a bank or a patch off by whole cycles is corrected where it slipped and noise is not), then "
    "geohazard:modifynetwork drops only "
    "the interferograms whose loops still misclose by more than 1.5 rad over the coherent pixels, one culprit at a "
    "time (a pair that only shared loops with a dropped one is kept; the network is kept connected). "
    "geohazard:troposphericcorrection fits the linear phase-elevation slope on the coherent pixels outside the "
    "areas whose stacking rate departs from the scene's plane, after a 3-pixel high-pass (a bowl, a ramp or a "
    "subsiding valley floor does not bias it), per date, lets the slope vary linearly across the scene as far as "
    "the data resolve it (lateral humidity gradients; two halves of the scene fitted apart say how far), and keeps "
    "the part of the slope's trend that tracks time beyond 2 standard errors (deformation that correlates with "
    "height survives; the log warns when the slope tracks the pairs' time span). geohazard:rampremoval fits linear "
    "ramps per date on the stable area, or "
    "on every coherent pixel when the stable area does not surround the scene (it would extrapolate: the log gives "
    "the far-edge size), leaving out the areas whose stacking rate departs from the scene's plane (a bowl's flank "
    "is not a ramp) and removes their trend unless it is far beyond what random ramps make. "
    "geohazard:referencepoint chooses a coherent pixel "
    "moving like the scene (inside the stable area when given), geohazard:sbasinversion inverts the series "
    "(weighted by the phase variance of each pair's coherence when COHERENCE is given, as MintPy) and "
    "geohazard:demerrorcorrection (Fattahi & Amelung 2013, with the perpendicular baselines and, when given, the "
    "incidence and slant-range rasters) "
    "removes the DEM error and writes the final velocity and its standard error, after a 3 x 3 noise-adaptive "
    "filter (Lee / local Wiener, driven by each pixel's own standard error: a pixel takes its neighbours' mean "
    "only as far as its own noise explains the difference, so flat ground and the inside of a bowl are smoothed "
    "and a bowl's flank, a landslide's border or a single fast pixel is kept; the standard error is the "
    "filter's). The unfiltered final velocity is an output of its own; to turn the filter off, set the "
    "DEM-error step's velocity filter window to 0 in the modeler. Each step writes a folder of "
    "interferograms with the input file names, so any step can be opened, checked or replaced in the modeler.\n\n"
    "Every step keeps its own defaults otherwise; open the model in the graphical modeler to change them (e.g. "
    "external GACOS delays instead of phase-elevation, windows, quadratic ramps)."
)


def build_corrected():
    from qgis.core import (
        QgsProcessing,
        QgsProcessingParameterBoolean,
        QgsProcessingParameterMultipleLayers,
        QgsProcessingParameterNumber,
        QgsProcessingParameterRasterLayer,
        QgsProcessingParameterVectorLayer,
    )

    m = _Model(CORR_MODEL_NAME, CORR_DISPLAY_NAME, CORR_HELP, {
        "INTERFEROGRAMS": "Unwrapped interferograms (rasters or a folder; radians); dates in the file names. Or "
                          "a product as delivered: a LiCSAR frame folder (GEOC/ or the portal's), HyP3 zips or "
                          "folders.",
        "COHERENCE": "Coherence rasters of the same pairs (optional; for a product, the same folder or zips).",
        "BASELINES": "Perpendicular baselines: GAMMA *_bperp.par / *_base.par files or folder, CSV date,bperp_m, "
                     "MintPy .h5 or ISCE folder (for the DEM-error step; optional when the interferograms carry "
                     "PERPENDICULAR_BASELINE_M).",
        "DEM": "Heights in metres on the interferograms' grid.",
        "STABLE_AREA": "Polygons of ground that does not move (optional): the unwrapping-error correction is made "
                       "relative to it, the reference is chosen inside, and the ramps are fitted on it when it "
                       "surrounds the scene.",
        "INCIDENCE": "Incidence angle raster (degrees, optional; the DEM-error step's geometry; without it "
                     "INCIDENCE_DEG, else the INCIDENCE_DEG the interferograms carry).",
        "SLANT_RANGE": "Slant range raster (metres, optional; the DEM-error step's geometry; without it "
                       "SLANT_RANGE_M, else the SLANT_RANGE_M the interferograms carry).",
        "INCIDENCE_DEG": "Incidence angle, one value (degrees; when no INCIDENCE raster and the interferograms "
                         "carry none).",
        "SLANT_RANGE_M": "Slant range, one value (metres; when no SLANT_RANGE raster and the interferograms carry "
                         "none).",
        "ALLOW_DISCONNECTED": "Accept a network split into subsets no interferogram joins (given so, or split by the "
                              "network step's drops after it put back what reconnects): the SBAS step then bridges "
                              "the subsets with the minimum-norm velocity, as MintPy. Off: such a network is "
                              "refused, naming the subsets."}, group="corrections")
    m.inputs([
        *_stack_inputs(coherence_x=360),
        (QgsProcessingParameterMultipleLayers("BASELINES", "Perpendicular baselines (files or folder)",
                                              QgsProcessing.SourceType.TypeFile, optional=True), 600),
        (QgsProcessingParameterRasterLayer("DEM", "DEM (m, same grid)"), 840),
        (QgsProcessingParameterVectorLayer("STABLE_AREA", "Stable area (polygons)",
                                           [QgsProcessing.SourceType.TypeVectorPolygon], optional=True), 1080),
        (QgsProcessingParameterRasterLayer("INCIDENCE", "Incidence angle (degrees, raster)", optional=True),
         1320),
        (QgsProcessingParameterRasterLayer("SLANT_RANGE", "Slant range (m, raster)", optional=True), 1560),
        (QgsProcessingParameterNumber("INCIDENCE_DEG", "Incidence angle (degrees, one value)",
                                      QgsProcessingParameterNumber.Type.Double, None, True, 0.1, 89.9), 1800),
        (QgsProcessingParameterNumber("SLANT_RANGE_M", "Slant range (m, one value)",
                                      QgsProcessingParameterNumber.Type.Double, None, True, 1.0), 2040),
        (QgsProcessingParameterBoolean("ALLOW_DISCONNECTED", "Allow a disconnected network", False, optional=True),
         2280)])
    coh, stable = m.param("COHERENCE"), m.param("STABLE_AREA")
    m.child("unwrapping", "geohazard:unwrapclosurecorrection", "Unwrapping-error correction (phase closure)",
            240, 200, {"INTERFEROGRAMS": m.param("INTERFEROGRAMS"), "COHERENCE": coh,
                       "COHERENCE_THRESHOLD": m.static(0.0), "STABLE_AREA": stable},
            {"LOOP_STATS": ("OUTPUT_STATS", "Loop-closure statistics (CSV)")})
    m.child("network", "geohazard:modifynetwork", "Modify network (loops still misclosing)", 340, 280,
            {"INTERFEROGRAMS": m.output("unwrapping", "OUTPUT_LAYERS"), "COHERENCE": coh,
             "MAX_LOOP_MISFIT": m.static(1.5), "LOOP_COHERENCE": m.static(0.3), "KEEP_CONNECTED": m.static(True),
             "ALLOW_DISCONNECTED": m.param("ALLOW_DISCONNECTED")},
            {"NETWORK_REPORT": ("OUTPUT_REPORT", "Network report (CSV)")})
    m.child("troposphere", "geohazard:troposphericcorrection", "Tropospheric correction (phase-elevation)",
            440, 360, {"INTERFEROGRAMS": m.output("network", "OUTPUT_LAYERS"), "COHERENCE": coh,
                       "DEM": m.param("DEM"), "MODE": m.static(1), "LATERAL_VARIATION": m.static(True)}, {})
    m.child("ramps", "geohazard:rampremoval", "Ramp removal", 640, 520,
            {"INTERFEROGRAMS": m.output("troposphere", "OUTPUT_LAYERS"), "COHERENCE": coh, "STABLE_AREA": stable,
             "MODE": m.static(1)},
            {"CORRECTED": ("OUTPUT", "Corrected interferograms folder")})
    m.child("reference", "geohazard:referencepoint", "Reference point", 840, 680,
            {"INTERFEROGRAMS": m.output("ramps", "OUTPUT_LAYERS"), "COHERENCE": coh, "STABLE_AREA": stable},
            {"REFERENCE": ("OUTPUT", "Reference point")})
    m.child("sbas", "geohazard:sbasinversion", "SBAS inversion", 1040, 840,
            {"INTERFEROGRAMS": m.output("ramps", "OUTPUT_LAYERS"), "COHERENCE": coh,
             "REFERENCE": m.output("reference", "REFERENCE_POINT"), "WEIGHTING": m.static(2)},
            {"TIMESERIES": ("OUTPUT_TIMESERIES", "Time series before the DEM-error step (mm)"),
             "VELOCITY": ("OUTPUT_VELOCITY", "Velocity before the DEM-error step (mm/yr)")})
    m.child("demerror", "geohazard:demerrorcorrection", "DEM-error correction and final velocity", 1240, 1000,
            {"INPUT": m.output("sbas", "OUTPUT_TIMESERIES"), "BASELINES": m.param("BASELINES"),
             "INCIDENCE_RASTER": m.param("INCIDENCE"), "SLANT_RANGE_RASTER": m.param("SLANT_RANGE"),
             "INCIDENCE": m.param("INCIDENCE_DEG"), "SLANT_RANGE_M": m.param("SLANT_RANGE_M"),
             "FILTER_WINDOW": m.static(CORR_VELOCITY_WINDOW_PX)},
            {"TIMESERIES": ("OUTPUT", "Time series, DEM error removed (mm)"),
             "DEM_ERROR": ("OUTPUT_DEM_ERROR", "DEM error (m)"),
             "VELOCITY": ("OUTPUT_VELOCITY", "Final LOS velocity (mm/yr, 3 x 3 filter)"),
             "VELOCITY_STD": ("OUTPUT_VELOCITY_STD", "Final velocity standard error (mm/yr)"),
             "VELOCITY_UNFILTERED": ("OUTPUT_VELOCITY_UNFILTERED", "Final LOS velocity before the filter (mm/yr)")})
    return m.done()


def main_corrected(path: str = CORR_MODEL_FILE) -> str:
    """Write the "Corrected SBAS" model."""
    return _write(build_corrected, path)


if __name__ == "__main__":
    main_slc()  # starts QGIS when needed and keeps it for the next model
    main_corrected()
    main(sys.argv[1] if len(sys.argv) > 1 else MODEL_FILE)
