"""Base class shared by every InSAR Geohazards Processing tool.

A tool is one class in ``tools/<family>/<tool ID>.py``, declared by the :func:`tool` decorator above it
(its ID, title, help page ...: the class attributes below; its toolbox group is its folder) with its ``HELP`` text; it
implements ``initAlgorithm`` and ``process`` (instead of ``processAlgorithm``), and stays thin:
parameters -> arrays -> one core call -> outputs. Core errors become ``QgsProcessingException`` with the
core's message; a cancel request becomes a clean stop with no output left behind. The class attributes:

``NAME``, ``DISPLAY_NAME``, ``GROUP_ID``
    the tool's ID (``geohazard:<NAME>``), its title and its toolbox group (:data:`GROUPS`): the group is the
    folder of ``tools/`` the tool's module is in (``FAMILY``), never typed.
``TAGS``
    search words of the toolbox, comma separated (every tool also gets "InSAR", "SAR", "geohazard").
``MAIN_OUTPUTS``
    outputs loaded visible when the tool finishes in QGIS (default: its first output).
``KERNELS``
    core modules (under ``algorithms/``) holding the numba kernels it calls (first-run compile notice).
``HELP_PAGE``
    the page of ``docs/`` its help button opens (:func:`help_url`, at the tool's section).
``FORMER_IDS``
    former parameter or output IDs, kept as hidden aliases (:class:`..inputs.aliases.Alias`).
``ENGINE``
    the run-wide knobs (:mod:`..inputs.knobs`) of a tool on the block engine: ``True`` all, a tuple those it uses.
``FAMILY``
    the folder of ``tools/`` the tool's module is in (set from it): its toolbox group and its icon (``icons/``).

Every run goes through the guard layer (:mod:`..inputs.guard`) before ``process`` is called and inside a
run-level transaction (:mod:`..fileio.base.transaction`): outputs are published together or not at all. A tool
tunes the guard with class attributes:

``COMPLEX_INPUTS``
    raster parameters that accept complex data (SLCs); complex rasters are refused elsewhere.
``MULTIBAND_INPUTS``
    raster parameters whose every band is data (a 2-band amplitude + phase ``.unw`` is refused there; elsewhere
    its phase band is read).
``MM_INPUTS``
    raster parameters holding LOS displacement (mm) or velocity (mm/yr): one whose metadata says m, m/yr, cm ...
    is read converted, one without a unit whose values cannot be mm is warned about (:mod:`..inputs.delivered`).
``HEIGHT_INPUTS``
    rasters of heights (m) besides ``DEM``: read in metres, their unit checked (:mod:`..inputs.delivered`).
``COHERENCE_INPUTS``
    raster parameters holding a coherence (0-1 scale checked); default ``("COHERENCE",)``.
``CRS_FREE_INPUTS``
    vector parameters whose geometry is not used (a layer without CRS is accepted).
``OVERLAP``
    pairs of parameters that must cover a common area when both are given.
``KEY_OUTPUT_FIELDS``
    ``{output: (field, ...)}``: a vector output whose key fields are NULL in every feature is reported as empty
    (default: any numeric field).
"""

from __future__ import annotations

import inspect
import os
import stat

from qgis.core import QgsProcessingAlgorithm, QgsProcessingException
from qgis.PyQt.QtCore import QCoreApplication, QUrl
from qgis.PyQt.QtGui import QIcon

from ...algorithms import kernel_families
from ...algorithms.errors import GeohazardError, OperationCanceled
from ...algorithms.optional import notice_once
from ...fileio.base.metadata import stamp_geometry, stamp_history
from ...fileio.base.overviews import build_overviews
from ...fileio.base.probe import degenerate_outputs, gdal_exceptions, quiet_gdal_reads, run_headers
from ...fileio.base.raster import RasterInfo, raster_info
from ...fileio.base.runs import closed_after_run, released
from ...fileio.base.transaction import OutputTransaction, disk_full
from ...fileio.display.arrange import arrange_outputs
from .. import early_kernels, model_checks
from ..inputs import declare, delivered, ids, knobs, stacks, values
from ..inputs.aliases import resolve_aliases, with_aliases, with_former_outputs
from ..inputs.compilation import compilation_progress
from ..inputs.declared import set_decimals
from ..inputs.feedback import FeedbackProgress
from ..inputs.guard import check_before, input_files, missing_file_problem, range_problem
from ..inputs.history import history
from ..inputs.layers import raster_path
from ..inputs.links import received_problem, remember_reports
from ..inputs.listing import real_paths
from ..lazy import listing, read_once

#: Processing groups: id -> display name. A group's ID is the folder of ``tools/`` its tools live in (and the
#: name of its icon, ``icons/families/<ID>.svg``): the toolbox, the folders and the icons are one taxonomy.
GROUPS = {
    "timeseries": "Time series",
    "psds": "PS and DS (SLC stacks)",
    "unwrap": "Phase unwrapping",
    "corrections": "Corrections",
    "models": "Time-series models and early warning",
    "ada": "Active deformation areas",
    "formats": "Import and formats",
    "geometry": "Geometry and line of sight",
    "kinematics": "Landslide and glacier kinematics",
    "faults": "Faults and stress",
    "hazard": "Hazard maps",
    "interferograms": "Interferograms",
}

PLUGIN_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ICON_DIR = os.path.join(PLUGIN_DIR, "icons")
PROVIDER_ICON = os.path.join(ICON_DIR, "insar_geohazards.svg")
DOCS_DIR = os.path.join(PLUGIN_DIR, "docs")


def help_url(page: str, anchor: str = "") -> str:
    """``file://`` URL of the help page ``docs/<page>.html`` shipped with the plugin, at the section ``anchor``
    (the HTML is rendered from the Markdown by ``docs/build_help.py`` at ``make package`` and ``make link``);
    the Markdown page itself where the HTML was not rendered (a checkout used without ``make link``)."""
    html = os.path.join(DOCS_DIR, page + ".html")
    if not os.path.exists(html):
        return QUrl.fromLocalFile(os.path.join(DOCS_DIR, page + ".md")).toString()
    url = QUrl.fromLocalFile(html)
    if anchor:
        url.setFragment(anchor)
    return url.toString()

#: Search words every tool gets, so searching the toolbox for the provider's topic lists all of them.
COMMON_TAGS = ("InSAR", "SAR", "geohazard")


def _guarded_check(alg, parameters, context, check):
    """Ranges first, then former parameter IDs resolved, then ``check(parameters)`` with GDAL's PAM
    off (no ``.aux.xml`` written next to the inputs while QGIS loads them)."""
    with gdal_exceptions():
        problem = received_problem(alg, parameters) or range_problem(alg, parameters, context) \
            or missing_file_problem(alg, parameters)
        if problem:
            return False, problem
        try:
            parameters = resolve_aliases(alg, parameters, context)
        except GeohazardError as exc:
            return False, str(exc)
        with quiet_gdal_reads():
            return check(parameters)


def tool(name: str, display_name: str, *, page: str, tags: str = "", main: tuple = (),
         kernels: tuple = (), former: tuple = (), engine=False):
    """Class decorator of a tool: its ID, title, help page, search words, the outputs loaded visible, its numba
    kernel modules, its former parameter IDs and whether it runs on the block engine (the class attributes
    ``NAME`` ... ``ENGINE`` of :class:`GeohazardAlgorithm`; its toolbox group is its folder)."""
    def declare(cls):
        cls.NAME, cls.DISPLAY_NAME, cls.HELP_PAGE = name, display_name, page
        cls.TAGS, cls.MAIN_OUTPUTS, cls.KERNELS = tags, tuple(main), tuple(kernels)
        cls.FORMER_IDS, cls.ENGINE = tuple(former), knobs.RUN_WIDE if engine is True else tuple(engine or ())
        return cls

    return declare


def run_title(alg, parameters, context) -> str:
    """``"<tool>: <input>"``, the name of a run's group of layers: the tool and the name of its main input (the
    first input given: a file's or a layer's name, a folder's name for a list of files)."""
    name = ""
    for d in alg.parameterDefinitions():
        if d.isDestination() or d.flags() & d.Flag.FlagHidden:
            continue
        value = parameters.get(d.name())
        if hasattr(value, "source") and hasattr(value, "selectedFeaturesOnly"):  # a feature source definition
            value = value.source.staticValue()
        if hasattr(value, "name") and callable(value.name):  # a layer
            name = value.name()
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
            paths = [v.split("|")[0] for v in value]
            name = os.path.basename(os.path.dirname(paths[0])) if len(paths) > 1 else \
                os.path.splitext(os.path.basename(paths[0]))[0]
        elif isinstance(value, str) and value and d.type() in ("raster", "vector", "source", "file", "multilayer",
                                                                "mesh", "layer", "pointcloud"):
            layer = context.project().mapLayer(value) if context is not None and context.project() else None
            name = layer.name() if layer is not None else \
                os.path.splitext(os.path.basename(value.split("|")[0].rstrip("/")))[0]
        if name:
            break
    return f"{alg.displayName()}: {name}" if name else alg.displayName()


class GeohazardAlgorithm(QgsProcessingAlgorithm):
    """Common plumbing: names, groups, help, translation and error mapping."""

    NAME = ""
    DISPLAY_NAME = ""
    GROUP_ID = ""
    HELP = ""
    TAGS = ""
    MAIN_OUTPUTS: tuple = ()
    KERNELS: tuple = ()
    #: the tool's own measured compile costs (``compile_costs.json``'s ``tools``, :meth:`compile_entry`): "" its
    #: run, another name a variant that compiles a different part of its families (:meth:`compile_variant`); empty:
    #: the estimate is its families' whole warm-up
    COMPILE_VARIANTS: tuple = ()
    HELP_PAGE = ""
    FORMER_IDS: tuple = ()
    ENGINE: tuple = ()
    FAMILY = ""
    #: the stack parameters (:func:`..inputs.declare.add_stack_parameters`) declared first; a MintPy
    #: ``ifgramStack.h5`` accepted with ``MINTPY`` (the stack tools: :class:`StackAlgorithm`)
    STACK_PARAMETERS = False
    MINTPY = False

    # the parameter IDs several tools share (inputs/ids.py); a tool writes only its own, each once, as a class
    # constant named as its value (``WINDOW_DAYS = "WINDOW_DAYS"``), and uses ``self.X`` in its methods
    ASC_HEADING = ids.ASC_HEADING
    ASC_INCIDENCE = ids.ASC_INCIDENCE
    BASELINES = ids.BASELINES
    BOTTOM_DEPTH = ids.BOTTOM_DEPTH
    COHERENCE = ids.COHERENCE
    COHERENCE_THRESHOLD = ids.COHERENCE_THRESHOLD
    CRS = ids.CRS
    DEM = ids.DEM
    DESC_HEADING = ids.DESC_HEADING
    DESC_INCIDENCE = ids.DESC_INCIDENCE
    DIP = ids.DIP
    DISPERSION_THRESHOLD = ids.DISPERSION_THRESHOLD
    DROP_PAIRS = ids.DROP_PAIRS
    EXTENT = ids.EXTENT
    FAULTS = ids.FAULTS
    HEADING = ids.HEADING
    HEADING_RASTER = ids.HEADING_RASTER
    HEADING_UNITS = ids.HEADING_UNITS
    INCIDENCE = ids.INCIDENCE
    INCIDENCE_RASTER = ids.INCIDENCE_RASTER
    INCIDENCE_UNITS = ids.INCIDENCE_UNITS
    INPUT = ids.INPUT
    INPUT_UNITS = ids.INPUT_UNITS
    INTERFEROGRAMS = ids.INTERFEROGRAMS
    INVENTORY = ids.INVENTORY
    LOOK = ids.LOOK
    LOS_ASC = ids.LOS_ASC
    LOS_DESC = ids.LOS_DESC
    LOOKS = ids.LOOKS
    MAX_PERP_BASELINE = ids.MAX_PERP_BASELINE
    MAX_TEMPORAL_BASELINE = ids.MAX_TEMPORAL_BASELINE
    MINTPY_STACK = ids.MINTPY_STACK
    MIN_COUNT = ids.MIN_COUNT
    MIN_MEAN_COHERENCE = ids.MIN_MEAN_COHERENCE
    MIN_SENSITIVITY = ids.MIN_SENSITIVITY
    MIN_TEMPORAL_COHERENCE = ids.MIN_TEMPORAL_COHERENCE
    ORIGIN_EAST = ids.ORIGIN_EAST
    ORIGIN_NORTH = ids.ORIGIN_NORTH
    OUTPUT = ids.OUTPUT
    OUTPUT_PLOTS = ids.OUTPUT_PLOTS
    OUTPUT_POINTS = ids.OUTPUT_POINTS
    OUTPUT_REPORT = ids.OUTPUT_REPORT
    OUTPUT_TIMESERIES = ids.OUTPUT_TIMESERIES
    PIXEL_SIZE = ids.PIXEL_SIZE
    PIXEL_SIZE_KM = ids.PIXEL_SIZE_KM
    POINTS = ids.POINTS
    POISSON = ids.POISSON
    REFERENCE = ids.REFERENCE
    SHEAR_MODULUS = ids.SHEAR_MODULUS
    SLANT_RANGE_M = ids.SLANT_RANGE_M
    STABLE_AREA = ids.STABLE_AREA
    THRESHOLD = ids.THRESHOLD
    TOP_DEPTH = ids.TOP_DEPTH
    VELOCITY_FIELD = ids.VELOCITY_FIELD
    VELOCITY_STD_FIELD = ids.VELOCITY_STD_FIELD
    WAVELENGTH = ids.WAVELENGTH
    WEIGHTING = ids.WEIGHTING

    def tr(self, text: str) -> str:
        return QCoreApplication.translate(type(self).__name__, text)

    def name(self) -> str:
        return self.NAME

    def displayName(self) -> str:
        return self.tr(self.DISPLAY_NAME)

    def groupId(self) -> str:
        return self.GROUP_ID

    def group(self) -> str:
        return self.tr(GROUPS[self.GROUP_ID])

    def shortHelpString(self) -> str:
        former = [a for a in self.FORMER_IDS if a.old_id not in self.HELP]
        note = ("\n\n<b>Former IDs</b> (still accepted in models and qgis_process): " + ", ".join(
            f"{a.old_id} (now {a.new_id}" + (f"; the former in {a.old_unit})" if a.old_unit else ")")
            for a in former)) if former else ""
        return self.tr(self.HELP + (knobs.help_text(self.ENGINE) if self.ENGINE else "")) + note

    def tags(self) -> list:  # the toolbox asks these at each filter and paint: once per class (read_once)
        return list(read_once(self, "tags", lambda: [self.tr(t) for t in (*COMMON_TAGS, *self.TAGS.split(",")) if t]))

    def helpUrl(self) -> str:
        return read_once(self, "help_url", lambda: help_url(self.HELP_PAGE, self.NAME))

    def svgIconPath(self) -> str:
        path = os.path.join(ICON_DIR, "families", self.FAMILY + ".svg")
        return read_once(self, "svg", lambda: path if os.path.exists(path) else PROVIDER_ICON)

    def icon(self) -> QIcon:
        return QIcon(read_once(self, "icon", lambda: QIcon(self.svgIconPath())))

    def createInstance(self):
        return type(self)()

    def __init_subclass__(cls, **kwargs):
        # Processing loads the input layers while checking the parameters; QGIS then computes
        # band statistics that GDAL would save as <input>.aux.xml. Open them with PAM off so
        # the plugin never writes next to its inputs (the tools' own checks included).
        super().__init_subclass__(**kwargs)
        parts = cls.__module__.split(".")
        if "tools" in parts[:-2]:
            cls.FAMILY = cls.GROUP_ID = parts[parts.index("tools") + 1]
        init = cls.__dict__.get("initAlgorithm")
        if init is not None:
            def init_with_knobs(self, config=None, _init=init):
                if self.STACK_PARAMETERS:
                    declare.add_stack_parameters(self, mintpy=self.MINTPY)
                _init(self, config)
                if self.ENGINE:
                    knobs.add_run_parameters(self, self.ENGINE)

            cls.initAlgorithm = init_with_knobs
        check = cls.__dict__.get("checkParameterValues")
        if check is not None and not getattr(check, "_quiet", False):
            def quiet_check(self, parameters, context, _check=check):
                return _guarded_check(self, parameters, context, lambda p: _check(self, p, context))

            quiet_check._quiet = True
            cls.checkParameterValues = quiet_check

    def checkParameterValues(self, parameters, context):
        return _guarded_check(self, parameters, context, lambda p: self._checked(p, context))

    checkParameterValues._quiet = True

    #: list parameters that also take folders (QGIS's own check of a layer list would refuse a folder)
    FOLDER_INPUTS: tuple = ()

    def _checked(self, parameters, context) -> tuple:
        """QGIS's check of each value (the folder lists and HDF5 results, which QGIS cannot load as one layer,
        excepted: :mod:`..inputs.delivered` reads them), then the tool's own :meth:`check`."""
        skip = set(self.FOLDER_INPUTS) | {d.name() for d in self.parameterDefinitions()
                                          if d.type() == "raster" and delivered.is_product(parameters.get(d.name()))}
        if not skip:
            ok, msg = QgsProcessingAlgorithm.checkParameterValues(self, parameters, context)
            if not ok:
                return ok, msg
        for d in self.parameterDefinitions() if skip else ():
            if d.name() in skip or d.isDestination():
                continue
            if not d.checkValueIsAcceptable(parameters.get(d.name()), context):
                return False, self.tr("Incorrect parameter value for {}").format(d.name())
        try:
            self.check(parameters, context)
        except (GeohazardError, QgsProcessingException) as exc:
            return False, str(exc)
        return True, ""

    def check(self, parameters, context) -> None:
        """The tool's cross-parameter checks (same grid, one of two inputs given ...), run by
        ``checkParameterValues``: raise :class:`GeohazardError` naming the parameter and the value."""

    COMPLEX_INPUTS: tuple = ()
    MULTIBAND_INPUTS: tuple = ()
    MM_INPUTS: tuple = ()
    HEIGHT_INPUTS: tuple = ()
    COHERENCE_INPUTS: tuple = ("COHERENCE",)
    CRS_FREE_INPUTS: tuple = ()
    OVERLAP: tuple = ()
    KEY_OUTPUT_FIELDS: dict = {}
    #: A stack tool: its rasters stay in the inputs' line of sight, so they carry on the inputs' acquisition
    #: geometry (INCIDENCE_DEG, HEADING_DEG, SLANT_RANGE_M, perpendicular baselines).
    CARRIES_GEOMETRY: bool = False

    def addParameter(self, definition, createOutput=True):
        """``QgsProcessingAlgorithm.addParameter`` with the label translated, the dialog's number of decimals set and
        the parameter's help (its tooltip) taken from the tool's help (:func:`..inputs.declare.parameter_help`); a
        parameter with former IDs (the class's ``FORMER_IDS``) is followed by their hidden aliases."""
        definition.setDescription(self.tr(definition.description()))
        text = inspect.getattr_static(type(self), "HELP", "")
        if not isinstance(text, str) and not listing():
            text = self.HELP  # a LazyText: built for the instances a dialog or a run creates, not at the listing
        if isinstance(text, str) and not definition.help():
            definition.setHelp(declare.parameter_help(text, definition.name(), definition.description()))
        ok = True
        for d in with_aliases(self, definition):
            set_decimals(d)
            # an output's former ID is no output of its own: the results carry it (with_former_outputs), and the
            # modeler would list the output twice
            former = d is not definition and d.isDestination()
            ok = super().addParameter(d, createOutput and not former) and ok
        return ok

    def processAlgorithm(self, parameters, context, feedback):
        try:
            with gdal_exceptions():  # GDAL's errors as exceptions for this run, the process's mode restored after
                return self._process_algorithm(parameters, context, feedback)
        except BaseException as exc:
            error = released(exc)
        # QGIS keeps every exception a Python processAlgorithm raises, and this frame with it: nothing of the run here
        del self, parameters, context, feedback
        raise error

    def _process_algorithm(self, parameters, context, feedback):
        run = self._run = OutputTransaction()
        self._geohazard_products = None  # the products this run opens (inputs.stacks.product_stack), made anew
        self._geohazard_expanded = {}  # the lists of rasters this run expanded (inputs.stacks.expand_raster_inputs)
        targets: dict = {}
        kernels_starting = early_kernels.start(self.KERNELS)
        # the optional packages missing, in the first run's log (the desktop: message bar), numba's cost by tool
        missing = notice_once(numba_cost=lambda: kernel_families.numba_notice_cost())
        if missing and feedback is not None:
            feedback.pushInfo(missing)
        try:
            with quiet_gdal_reads(), run_headers(), closed_after_run():
                # the layers QGIS loaded for the whole run (a model's inputs), watched before this step may refuse
                model_checks.watch_input_layers(context)
                parameters = resolve_aliases(self, parameters, context)
                problem = received_problem(self, parameters)  # a model step linked to a report, named as such
                if problem:
                    raise GeohazardError(problem)
                params, targets = check_before(self, parameters, context, feedback)
                model_checks.watch_input_layers(context, input_files(self, params, context))
                self.check(params, context)  # also when a model or a script runs the tool without checking it
                run.begin(targets)
                if feedback is not None and feedback.isCanceled():
                    raise OperationCanceled()
                early_kernels.join(kernels_starting)
                with compilation_progress(self.KERNELS, feedback, self.work_bytes(params, context),
                                          self.compile_entry(params, context)):
                    results = self.process(params, context, feedback)
                if feedback is not None and feedback.isCanceled():
                    raise OperationCanceled()
                for message in degenerate_outputs(targets, results or {}, self.KEY_OUTPUT_FIELDS):
                    if feedback is not None:
                        feedback.pushWarning(message)
                steps = history(self, params, context, run.used)
                stamp_history(run.written_files(), steps)
                # the files the run was asked for (a folder of corrected interferograms, read by the next step
                # rather than drawn, gets none)
                files = set(real_paths(path.split("|")[0] for path, _ in targets.values()))
                written = run.written_files()
                asked = [p for p, real in zip(written, real_paths(written)) if real in files]
                build_overviews(asked, log=FeedbackProgress(feedback))
                if self.CARRIES_GEOMETRY:
                    stamp_geometry(run.written_files(), list(input_files(self, params, context)),
                                   {**stacks.opened_product_geometry(self), **run.geometry},
                                   log=FeedbackProgress(feedback))
            run.commit()
            if model_checks.in_shipped_model():  # the next steps' variables find the single rasters as layers
                model_checks.keep_rasters(context, asked)
            if isinstance(results, dict):
                results = with_former_outputs(self, results)
                remember_reports(self, results)
                dests = [(d.name(), d.description(), d.type() in ("vectorDestination", "sink"))
                         for d in self.destinationParameterDefinitions() if not d.metadata().get("geohazard_alias")]
                arrange_outputs(self.NAME, dests, context, results, self.MAIN_OUTPUTS, steps=steps,
                                title=run_title(self, params, context))
            return results
        except OperationCanceled:
            run.rollback()
            raise QgsProcessingException(self.tr("Canceled by the user; no output was written.")) from None
        except GeohazardError as exc:
            run.rollback()
            raise QgsProcessingException(str(exc)) from None
        except MemoryError:
            run.rollback()
            raise QgsProcessingException(self.memory_advice()) from None
        except (OSError, RuntimeError) as exc:  # GDAL's write errors arrive as RuntimeError with the C message
            full = disk_full(exc, targets)  # before the rollback frees the space
            run.rollback()
            if full:
                raise QgsProcessingException(self.tr(
                    "No space left to write the outputs ({full}); nothing was kept. Free some space or choose "
                    "an output folder on another disk.").format(full=full)) from None
            raise
        except BaseException:
            run.rollback()
            raise
        finally:
            early_kernels.join(kernels_starting)  # a refused run ends with no thread of its own left
            self._geohazard_input_files = None  # the listing check_before kept for this run (guard.input_files)
            self._geohazard_products = None
            self._geohazard_expanded = None

    def work_bytes(self, parameters, context) -> int | None:
        """The size of this run's work for the choice between compiling its kernels and running them as Python
        (:func:`~..inputs.compilation.plan_compilation`): the bytes of its input files (None: no kernels, or a
        kernel family whose work the input files do not show, unless the tool counts it: ``OutputWork``)."""
        if not self.KERNELS or not all(f.by_input_size for f in kernel_families.families_of(self.KERNELS)):
            return None
        total = 0
        for path in input_files(self, parameters, context):  # one stat a name (most side-cars listed are absent)
            try:
                st = os.stat(path)
            except (OSError, ValueError):
                continue
            total += st.st_size if stat.S_ISREG(st.st_mode) else 0
        return total

    def compile_variant(self, parameters, context) -> str:
        """Which of :attr:`COMPILE_VARIANTS` this run is ("": the tool's plain run)."""
        return ""

    def compile_entry(self, parameters, context) -> str | None:
        """This run's row of measured compile costs per family (``compile_costs.json``'s ``tools``: ``<id>`` or
        ``<id>:<variant>``), what its first run compiles; None: the families' whole warm-up."""
        if not self.KERNELS or not self.COMPILE_VARIANTS:
            return None
        variant = self.compile_variant(parameters, context)
        return self.name() + (f":{variant}" if variant else "")

    def carry_geometry(self, **values) -> None:
        """Record acquisition geometry this run used (``INCIDENCE_DEG=...``, ``pairs={(d1, d2): m}``,
        ``dates={date: m}``): its raster outputs carry it (:func:`~fileio.base.metadata.stamp_geometry`), over the
        inputs' metadata."""
        run = getattr(self, "_run", None)
        if run is not None:
            run.geometry.update({k: v for k, v in values.items() if v is not None})

    def record_used(self, pid: str, text: str) -> None:
        """Record the value this run used for ``pid`` when it is not the one the parameters hold (a default
        replaced by the inputs' metadata, a per-pixel raster instead of a number): the processing history says
        ``pid=text`` instead of the parameter's value."""
        run = getattr(self, "_run", None)
        if run is not None:
            run.used[pid] = text

    def note(self, text: str) -> str:
        """A one-line summary of what this run did, kept for the summary a model prints at its end; returns
        ``text`` (``feedback.pushInfo(self.note(...))`` logs it too)."""
        run = getattr(self, "_run", None)
        if run is not None and text:
            run.note(f"{self.name()}: {text}")
        return text

    def finish(self, outcome, feedback) -> dict:
        """The results of a run function's :class:`~..fileio.base.runs.Outcome`: its notes logged (and kept for a
        model's summary), the geometry it used carried on its rasters, its outputs and values returned."""
        self.carry_geometry(**outcome.geometry)
        for text in outcome.notes:
            feedback.pushInfo(self.note(text))
        return {**outcome.outputs, **outcome.values}

    def memory_advice(self) -> str:
        """What to change when the run ran out of memory (names parameters this tool has)."""
        hints = []
        if knobs.MAX_MEMORY_MB in self.ENGINE:
            hints.append(f"lower {knobs.MAX_MEMORY_MB} (smaller blocks)")
        hints.append("clip the inputs to a smaller area")
        if self.parameterDefinition("INTERFEROGRAMS") is not None:
            hints.append("use fewer interferograms")
        return self.tr("Not enough memory; " + ", or ".join(hints) + ".")

    def process(self, parameters, context, feedback) -> dict:  # pragma: no cover - abstract
        raise QgsProcessingException(f"{type(self).__name__}.process is not implemented")

    # ------------------------------------------------------------------ helpers
    def raster_path(self, parameters, name: str, context) -> str:
        """File path of a raster parameter; raises naming the parameter when it is not a GDAL raster."""
        return raster_path(self, parameters, name, context)

    def values(self, parameters, context, *names: str):
        """The scalar parameters ``names`` as plain values, attributes named by their IDs
        (:func:`..inputs.values.values`)."""
        return values.values(self, parameters, context, *names)

    def raster_info(self, parameters, name: str, context) -> RasterInfo:
        return raster_info(self.raster_path(parameters, name, context), name)


class StackAlgorithm(GeohazardAlgorithm):
    """A tool on a stack of interferograms whose lists also take folders (:data:`..inputs.stacks.STACK_LISTS`):
    its stack parameters are declared before its own (``STACK_PARAMETERS``), the stack is checked as
    :func:`..inputs.stacks.check_stack` does (a MintPy ``ifgramStack.h5`` accepted when ``MINTPY``), its
    weighting too when ``WEIGHTED``; the guard layer reads the files the folders hold."""

    FOLDER_INPUTS = stacks.STACK_LISTS
    STACK_PARAMETERS = True
    CARRIES_GEOMETRY = True
    WEIGHTED = False
    input_raster_files = stacks.stack_raster_files

    def check(self, parameters, context) -> None:
        stacks.check_stack(self, parameters, context, mintpy=self.MINTPY)
        if self.WEIGHTED:
            stacks.check_weighting(self, parameters, context)
