"""The ``geohazard`` Processing provider.

Tools are found by walking ``processing_provider/tools/``: every tool class defined in a
``tools/<family>/<tool ID>.py`` module (a :class:`.tools._base.GeohazardAlgorithm` subclass with a
``NAME``), so adding a tool never touches this file. Graphical models shipped in ``models/*.model3``
are added too (their ID is ``geohazard:<model name>``).
"""

from __future__ import annotations

import glob
import importlib
import os
import pkgutil

from qgis.core import QgsApplication, QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from ..algorithms.errors import GeohazardError
from ..algorithms.formats.products import read_stack_items
from ..fileio.base.decoded import shared_decoded
from ..fileio.base.probe import NOT_DATA, quiet_gdal_reads, shared_probes
from ..fileio.base.transaction import OutputTransaction
from ..fileio.display.arrange import arrange_model_outputs
from ..fileio.timeseries.stacks import filter_stack_files
from . import model_checks, tools
from .inputs.declare import PathList, QuietRaster
from .inputs.guard import missing_file_problem, range_problem
from .inputs.listing import real_paths
from .lazy import listing_tools
from .tools._base import GROUPS, PROVIDER_ICON, GeohazardAlgorithm, help_url, run_title

PROVIDER_ID = "geohazard"
MODELS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models")
#: the help page of each shipped model (``docs/<page>``, at the model's section); others: ``models``
MODEL_PAGES = {"correctedsbas": "corrections", "slcstacktotimeseries": "unwrap"}
#: the outputs of each shipped model loaded checked, on top of the run's group (the others load unchecked)
MODEL_MAIN_OUTPUTS = {"correctedsbas": ("demerror:VELOCITY",),
                      "sbastolandslideactivity": ("activity:ACTIVITY", "ada:ADAS"),
                      "slcstacktotimeseries": ("sbas:VELOCITY",)}


def algorithm_classes() -> list:
    """Every tool class of the plugin, in the order of their modules' paths."""
    classes = []
    for info in sorted(pkgutil.walk_packages(tools.__path__, tools.__name__ + "."), key=lambda m: m.name):
        if info.ispkg or info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        module = importlib.import_module(info.name)
        classes += [c for c in vars(module).values() if isinstance(c, type) and issubclass(c, GeohazardAlgorithm)
                    and c.__module__ == module.__name__ and c.NAME]
    return classes


def _paths(value) -> list:
    """File paths in a parameter value (a string, a list, an output definition), without URI options."""
    from qgis.core import QgsProcessingOutputLayerDefinition

    if isinstance(value, QgsProcessingOutputLayerDefinition):
        value = value.sink.staticValue()
    items = value if isinstance(value, (list, tuple)) else [value]
    return real_paths(item.split("|")[0] for item in items
                      if isinstance(item, str) and item and item != "TEMPORARY_OUTPUT" and "://" not in item)


def model_output_problem(model, parameters) -> str:
    """A model's output that is one of its inputs (each step guards its own inputs, not the model's: the
    DEM given as a later step's output would be overwritten), or two outputs on one file; "" when none."""
    inputs = {}
    for d in model.parameterDefinitions():
        if not d.isDestination():
            for p in _paths(parameters.get(d.name())):
                inputs.setdefault(p, d.name())
                if os.path.isdir(p):
                    for f in glob.glob(os.path.join(p, "*")):
                        inputs.setdefault(os.path.realpath(f), d.name())
    seen = {}
    for d in model.destinationParameterDefinitions():
        for p in _paths(parameters.get(d.name())):
            if p in inputs:
                return (f"{d.name()}: {p!r} is the model's input {inputs[p]}; writing it would destroy that input. "
                        "Choose another output path")
            if p in seen:
                return f"{d.name()} and {seen[p]} are the same file {p!r}; give each output its own path"
            seen[p] = d.name()
    return ""


def model_algorithms() -> list:
    """The graphical models shipped with the plugin (``models/*.model3``), loaded."""
    from qgis.core import QgsProcessingModelAlgorithm

    class ShippedModel(QgsProcessingModelAlgorithm):
        """A shipped model: its file's name is the readable one (the modeler's Model Properties show it), its ID
        the short one stored in its help (key ``MODEL_ID``; ``geohazard:<MODEL_ID>``); models saved before
        carry the short ID as their name and the readable one under ``DISPLAY_NAME``.

        The Processing toolbox asks every algorithm for its name, title, group, icon and flags each time it
        filters or sorts its tree (a switch of the current layer between a vector and a raster, a layer loaded):
        they are read once when the model is loaded (:meth:`remember`), never from its steps again."""

        def remember(self, flags=None):
            """Keep what the toolbox asks of the model (:func:`model_facts`); ``flags``: those of a model loaded
            from the same definition (:meth:`createInstance`)."""
            self._toolbox = model_facts(self, flags)
            return self

        def _kept(self, key: str):
            return (getattr(self, "_toolbox", None) or model_facts(self))[key]

        def name(self):
            return self._kept("name")

        def displayName(self):
            return self._kept("display")

        def groupId(self):
            return self._kept("group_id")

        def tags(self):
            return list(MODEL_TAGS)

        def helpUrl(self):
            return self._kept("help_url")

        def checkParameterValues(self, parameters, context):
            try:
                parameters = expand_model_folders(self, parameters)
            except GeohazardError as exc:
                return False, str(exc)
            # what QGIS's own check would call "Incorrect parameter value" or "not found" (of a file that exists
            # but is no raster): the input, the file and what was expected, as every tool says it
            problem = range_problem(self, parameters, context) or missing_file_problem(self, parameters)
            if problem:
                return False, problem
            ok, msg = super().checkParameterValues(parameters, context)
            if not ok:
                return ok, msg
            problem = model_output_problem(self, parameters)
            return (False, problem) if problem else (True, "")

        def processAlgorithm(self, parameters, context, feedback):
            # one transaction for the whole model: a failing later step removes the outputs
            # earlier steps published (each child's own transaction joins this one)
            parameters = fill_model_outputs(self, expand_model_folders(self, parameters, keep_products=True))
            run = OutputTransaction().begin({})

            try:
                # QGIS loads each step's raster inputs as layers of the run's context, with a default renderer
                # whose statistics GDAL would save beside each input when the context ends: opened with GDAL's
                # side-car files off, as every tool reads its inputs; the model's single raster inputs kept as
                # layers of the run, so the steps' variables find them (model_checks.keep_rasters)
                model_checks.keep_rasters(context, [v for d in self.parameterDefinitions() if d.type() == "raster"
                                                    for v in _paths(parameters.get(d.name()))])
                with quiet_gdal_reads(), model_checks.shipped_model_run(), shared_probes(), shared_decoded():
                    results = super().processAlgorithm(parameters, context, feedback)
            except BaseException:
                run.rollback()
                raise
            if feedback is not None and feedback.isCanceled():
                run.rollback()
                return {}
            if feedback is not None and run.notes:
                feedback.pushInfo("Summary of the steps:\n" + "\n".join(f"  {n}" for n in run.notes))
            run.commit()
            arrange_model_outputs(self.name(), run_title(self, parameters, context), context, results or {},
                                  MODEL_MAIN_OUTPUTS.get(self.name(), ()))
            return results

        def createInstance(self):
            model = ShippedModel()
            model.loadVariant(self.toVariant())
            model.setSourceFilePath(self.sourceFilePath())
            return relax_model_outputs(path_list_inputs(model)).remember(self._kept("flags"))

        def flags(self):
            # read when the model was loaded (remember): the toolbox asks every algorithm for its flags at each
            # filter of its tree, and a model's steps are whole tools (their parameters and help built again)
            return self._kept("flags")

    models = []
    for path in sorted(glob.glob(os.path.join(MODELS_DIR, "*.model3"))):
        model = ShippedModel()
        if model.fromFile(path):
            model.setSourceFilePath(path)
            models.append(relax_model_outputs(path_list_inputs(model)).remember())
    return models


#: the toolbox's search words of every shipped model
MODEL_TAGS = ("InSAR", "SAR", "geohazard", "model", "SBAS", "time series", "velocity", "ADA",
              "active deformation areas", "landslide", "activity", "inventory")


def model_facts(model, flags=None) -> dict:
    """What the Processing toolbox asks of a shipped model each time it filters or sorts its tree: its ID and title
    (from its help: ``MODEL_ID``, ``DISPLAY_NAME``), its group ID (a ``.model3`` stores the group's display name
    only: the tools' group ID, so the model sits in the same toolbox group as the tools), its help page and its
    flags (``flags`` when given, else :func:`threaded_model_flags`). Nothing here creates a step."""
    from qgis.core import QgsProcessingModelAlgorithm

    help_content = model.helpContent()
    name = help_content.get("MODEL_ID") or QgsProcessingModelAlgorithm.name(model)
    group = QgsProcessingModelAlgorithm.group(model)
    return {"name": name, "display": help_content.get("DISPLAY_NAME") or name,
            "group_id": {n: gid for gid, n in GROUPS.items()}.get(group, QgsProcessingModelAlgorithm.groupId(model)),
            "help_url": help_url(MODEL_PAGES.get(name, "models"), name),
            "flags": threaded_model_flags(model) if flags is None else flags}


def threaded_model_flags(model):
    """``model``'s flags, without the main-thread flag QGIS gives every model when each of its steps is a
    registered algorithm that runs in a background task (each of this plugin's tools does): the desktop then keeps
    repainting while a first run compiles the numba kernels, and Cancel works. Read from the model's definition
    and the registry's algorithms (no step is created); QGIS's own flags when a step is not registered."""
    from qgis.core import QgsProcessingAlgorithm, QgsProcessingModelAlgorithm

    flags = QgsProcessingModelAlgorithm.flags(model)
    registry = QgsApplication.processingRegistry()
    steps = (model.toVariant().get("children") or {}).values()
    for step in steps:
        alg = registry.algorithmById(str(step.get("alg_id") or ""))
        if alg is None or alg.flags() & QgsProcessingAlgorithm.Flag.FlagNoThreading:
            # QGIS 3.22 flags every model so; later QGIS versions may leave it to the steps: say it here
            return flags | QgsProcessingAlgorithm.Flag.FlagNoThreading
    return flags & ~QgsProcessingAlgorithm.Flag.FlagNoThreading


def path_list_inputs(model):
    """The model's raster and file list inputs as :class:`.inputs.declare.PathList` (folders and baseline tables
    checked as paths, not opened as layers with every data provider), its raster inputs as
    :class:`.inputs.declare.QuietRaster` (checked without statistics left beside the file), in the same order."""
    from qgis.core import QgsProcessing

    kinds = (QgsProcessing.SourceType.TypeRaster, QgsProcessing.SourceType.TypeFile)

    def ours(d):
        if d.type() == "multilayer" and d.layerType() in kinds and not isinstance(d, PathList):
            return PathList.of(d)
        if d.type() == "raster" and not isinstance(d, QuietRaster):
            return QuietRaster.of(d)
        return None

    inputs = [_own_class(d) for d in model.parameterDefinitions() if not d.isDestination()]
    if not any(ours(d) is not None for d in inputs):
        return model
    # a definition added to a model goes last: re-add every input in its order, then the outputs after them
    kept = [(ours(d) or d.clone(), model.parameterComponent(d.name()).clone()) for d in inputs]
    for d, _ in kept:
        model.removeModelParameter(d.name())
    for d, component in kept:
        model.addModelParameter(d, component)
    model.updateDestinationParameters()
    return model


def _own_class(definition):
    """``definition`` wrapped as the class its ``type()`` names. sip hands back the Python wrapper it still holds
    for an address, and a wrapper left from a deleted definition of another class (a raster layer input, say)
    can be returned for a multiple-layer one later allocated there (seen under QGIS 3.40 and 3.22, once in a suite)."""
    from qgis.core import QgsProcessingParameterMultipleLayers, QgsProcessingParameterRasterLayer
    from qgis.PyQt import sip

    for kind, cls in (("multilayer", QgsProcessingParameterMultipleLayers),
                      ("raster", QgsProcessingParameterRasterLayer)):
        if definition.type() == kind and not isinstance(definition, cls):
            # the stale wrapper's class may be unrelated to ``cls`` (a number input, say): sip.cast refuses that,
            # so the object is wrapped again from its address as the class its type() names
            return sip.wrapinstance(sip.unwrapinstance(definition), cls)
    return definition


def relax_model_outputs(model):
    """Every output of a shipped model optional: a user names the ones to keep (from qgis_process too), the
    others go to temporary files (:func:`fill_model_outputs`)."""
    from qgis.core import QgsProcessingParameterDefinition

    for d in model.destinationParameterDefinitions():
        model.parameterDefinition(d.name()).setFlags(d.flags() | QgsProcessingParameterDefinition.Flag.FlagOptional)
    return model


def fill_model_outputs(model, parameters) -> dict:
    """``parameters`` with a temporary destination for each model output left empty: QGIS 3.22 would give the
    step an empty path (a later step reading it then fails, e.g. ADA on the SBAS points)."""
    from qgis.core import QgsProcessingOutputLayerDefinition

    out = dict(parameters)
    for d in model.destinationParameterDefinitions():
        value = out.get(d.name())
        if value is None or value == "" or (isinstance(value, QgsProcessingOutputLayerDefinition)
                                            and not value.sink.staticValue()):
            out[d.name()] = d.generateTemporaryDestination()
    return out


def expand_model_folders(model, parameters, *, keep_products: bool = False) -> dict:
    """``parameters`` with each folder given to a multiple-raster input replaced by its stack files (as the
    tools do: interferograms, or coherence rasters for COHERENCE). With ``keep_products`` (the run, after QGIS
    checked the files), folders that hold a product as delivered (a LiCSAR frame, HyP3 products ...) are kept:
    the steps read the product whole (its metadata files give the scene values, baselines and reference)."""
    from qgis.core import QgsProcessing

    out = dict(parameters)
    for d in model.parameterDefinitions():
        if d.type() != "multilayer" or d.layerType() != QgsProcessing.SourceType.TypeRaster:
            continue
        value = out.get(d.name())
        items = value if isinstance(value, (list, tuple)) else [value] if value else []
        if any(_side_car(i) for i in items):
            # "Add Directory..." lists the .aux.xml files QGIS writes next to rasters: left out, as the tools do
            items = out[d.name()] = [i for i in items if not _side_car(i)]
        if not any(isinstance(i, str) and os.path.isdir(i) for i in items):
            continue
        if keep_products and _is_product(items, d.name()):
            continue
        files = []
        for item in items:
            if isinstance(item, str) and os.path.isdir(item):
                found = filter_stack_files(sorted(glob.glob(os.path.join(item, "*"))),
                                           "coh" if d.name() == "COHERENCE" else "ifg")
                if not found:
                    raise GeohazardError(f"{d.name()}: the folder {item!r} holds no raster")
                files += found
            else:
                files.append(item)
        out[d.name()] = files
    return out


def _side_car(item) -> bool:
    """Whether ``item`` is a path to a file that is never data itself (``.aux.xml``, ``.ovr`` ...)."""
    return isinstance(item, str) and item.lower().endswith(NOT_DATA) and os.path.isfile(item)


def _is_product(items, name: str) -> bool:
    """True when ``items`` (folders, files) are a product as delivered that the stack tools read whole."""
    if not all(isinstance(i, str) for i in items):
        return False
    try:
        return read_stack_items(list(items), name=name) is not None
    except GeohazardError:
        return False


def silence_hdf5_diagnostics() -> int:
    """Stop HDF5's automatic error printing ("HDF5-DIAG: Error detected ...", 11 lines on stderr)
    in this thread. QGIS prints it when it probes a folder path given to a layer input (the mesh
    provider asks HDF5 whether the folder is an HDF5 file) although the tool then reads the folder
    fine. HDF5 still returns its errors to the callers (GDAL, MDAL, h5py), which report them
    themselves; h5py does the same on import. Linux (reads /proc/self/maps); elsewhere a no-op.
    Returns the number of HDF5 libraries silenced."""
    import ctypes

    libs = set()
    try:
        with open("/proc/self/maps") as maps:  # the HDF5 copies loaded in this process (Linux)
            libs = {line.split()[-1] for line in maps if "/libhdf5" in line and "_hl" not in line.split("/")[-1]}
    except OSError:
        pass
    done = 0
    for lib in sorted(libs):
        try:
            fn = ctypes.CDLL(lib).H5Eset_auto2
        except (OSError, AttributeError):
            continue
        fn.argtypes = [ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p]
        if fn(0, None, None) >= 0:  # H5E_DEFAULT, no printing function
            done += 1
    # h5py silences the HDF5 it uses when it is imported; it is not imported here (0.3 s at QGIS start)
    return done


class GeohazardProvider(QgsProcessingProvider):
    def id(self) -> str:
        return PROVIDER_ID

    def name(self) -> str:
        return "InSAR Geohazards"

    def longName(self) -> str:
        return "InSAR Geohazards: time series, active deformation areas, geometry and faults"

    def icon(self) -> QIcon:
        return QIcon(PROVIDER_ICON)

    def svgIconPath(self) -> str:
        return PROVIDER_ICON

    def supportsNonFileBasedOutput(self) -> bool:
        # outputs are written with GDAL/OGR, so temporary outputs must be files
        return False

    def load(self) -> bool:
        # QGIS probes files as layers in several places (multiple-layer parameters, the
        # browser); for a gzip file (GAMMA *.par.gz baselines) GDAL then writes a
        # *.gz.properties index next to it. The plugin never writes next to its inputs:
        # turn the index off for the session unless the user set it.
        from osgeo import gdal

        if gdal.GetConfigOption("CPL_VSIL_GZIP_WRITE_PROPERTIES") is None:
            gdal.SetConfigOption("CPL_VSIL_GZIP_WRITE_PROPERTIES", "NO")
        silence_hdf5_diagnostics()
        # A model's child algorithms are resolved through the registry, which knows this
        # provider only after load() returns: the shipped models are added once it is
        # registered, so they see their children (and expose their outputs) from the start.
        # Only they wait: the tools are created once per start (QGIS and every qgis_process call).
        self._models_ready = False
        QgsApplication.processingRegistry().providerAdded.connect(self._registered)
        return super().load()

    def _registered(self, provider_id: str) -> None:
        if provider_id != self.id():
            return
        QgsApplication.processingRegistry().providerAdded.disconnect(self._registered)
        self._models_ready = True
        with listing_tools():
            for model in model_algorithms():
                self.addAlgorithm(model)
        self.algorithmsLoaded.emit()

    def loadAlgorithms(self) -> None:
        with listing_tools():  # the shipped models create their steps' tools too
            for cls in algorithm_classes():
                self.addAlgorithm(cls())
            if getattr(self, "_models_ready", True):
                for model in model_algorithms():
                    self.addAlgorithm(model)
