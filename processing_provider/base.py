"""Base class shared by every InSAR Geohazards Processing tool.

Subclasses set the class attributes ``NAME``, ``DISPLAY_NAME``, ``GROUP_ID`` and
``HELP``, implement ``initAlgorithm`` and ``process`` (instead of ``processAlgorithm``), and
stay thin: parameters -> arrays -> one core call -> outputs. Core errors become
``QgsProcessingException`` with the core's message; a cancel request becomes a clean
stop with no output left behind.

Every run goes through the guard layer (``checks.py``) before ``process`` is called and
inside a run-level transaction (``transaction.py``): outputs are published together or
not at all. A tool tunes the guard with class attributes:

``COMPLEX_INPUTS``
    raster parameters that accept complex data (SLCs); complex rasters are refused elsewhere.
``MULTIBAND_INPUTS``
    raster parameters whose every band is data (a 2-band amplitude + phase ``.unw`` is refused
    there; elsewhere its phase band is read).
``COHERENCE_INPUTS``
    raster parameters holding a coherence (0-1 scale checked); default ``("COHERENCE",)``.
``CRS_FREE_INPUTS``
    vector parameters whose geometry is not used (a layer without CRS is accepted).
``OVERLAP``
    pairs of parameters that must cover a common area when both are given.
``KEY_OUTPUT_FIELDS``
    ``{output: (field, ...)}``: a vector output whose key fields are NULL in every feature is
    reported as empty (default: any numeric field).
"""

from __future__ import annotations

import os

from qgis.core import QgsProcessingAlgorithm, QgsProcessingException, QgsRasterLayer
from qgis.PyQt.QtCore import QCoreApplication

from ..algorithms.errors import GeohazardError, OperationCanceled
from .checks import check_before, degenerate_outputs, quiet_gdal_reads, range_problem
from .raster_io import RasterInfo, raster_info
from .transaction import OutputTransaction

#: Processing groups: id -> display name.
GROUPS = {
    "timeseries": "Time series",
    "ada": "Active deformation areas",
    "geometry": "Geometry and line of sight",
    "faults": "Faults and stress",
    "formats": "Import and formats",
}

ICON_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "icons")


class GeohazardAlgorithm(QgsProcessingAlgorithm):
    """Common plumbing: names, groups, help, translation and error mapping."""

    NAME = ""
    DISPLAY_NAME = ""
    GROUP_ID = ""
    HELP = ""

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
        return self.tr(self.HELP)

    def createInstance(self):
        return type(self)()

    def __init_subclass__(cls, **kwargs):
        # Processing loads the input layers while checking the parameters; QGIS then computes
        # band statistics that GDAL would save as <input>.aux.xml. Open them with PAM off so
        # the plugin never writes next to its inputs (the tools' own checks included).
        super().__init_subclass__(**kwargs)
        check = cls.__dict__.get("checkParameterValues")
        if check is not None and not getattr(check, "_quiet", False):
            def quiet_check(self, parameters, context, _check=check):
                problem = range_problem(self, parameters, context)
                if problem:
                    return False, problem
                with quiet_gdal_reads():
                    return _check(self, parameters, context)

            quiet_check._quiet = True
            cls.checkParameterValues = quiet_check

    def checkParameterValues(self, parameters, context):
        problem = range_problem(self, parameters, context)
        if problem:
            return False, problem
        with quiet_gdal_reads():
            return super().checkParameterValues(parameters, context)

    checkParameterValues._quiet = True

    COMPLEX_INPUTS: tuple = ()
    MULTIBAND_INPUTS: tuple = ()
    COHERENCE_INPUTS: tuple = ("COHERENCE",)
    CRS_FREE_INPUTS: tuple = ()
    OVERLAP: tuple = ()
    KEY_OUTPUT_FIELDS: dict = {}

    def processAlgorithm(self, parameters, context, feedback):
        run = OutputTransaction()
        try:
            with quiet_gdal_reads():
                params, targets = check_before(self, parameters, context, feedback)
                run.begin(targets)
                if feedback is not None and feedback.isCanceled():
                    raise OperationCanceled()
                results = self.process(params, context, feedback)
                if feedback is not None and feedback.isCanceled():
                    raise OperationCanceled()
                for message in degenerate_outputs(targets, results or {}, self.KEY_OUTPUT_FIELDS):
                    if feedback is not None:
                        feedback.pushWarning(message)
            run.commit()
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
        except BaseException:
            run.rollback()
            raise

    def memory_advice(self) -> str:
        """What to change when the run ran out of memory (names parameters this tool has)."""
        hints = []
        if self.parameterDefinition("MAX_MEMORY_MB") is not None:
            hints.append("lower MAX_MEMORY_MB (smaller blocks)")
        hints.append("clip the inputs to a smaller area")
        if self.parameterDefinition("INTERFEROGRAMS") is not None:
            hints.append("use fewer interferograms")
        return self.tr("Not enough memory; " + ", or ".join(hints) + ".")

    def process(self, parameters, context, feedback) -> dict:  # pragma: no cover - abstract
        raise QgsProcessingException(f"{type(self).__name__}.process is not implemented")

    # ------------------------------------------------------------------ helpers
    def raster_path(self, parameters, name: str, context) -> str:
        """File path of a raster parameter; raises naming the parameter when it is not a GDAL raster."""
        layer = self.parameterAsRasterLayer(parameters, name, context)
        if layer is None:
            value = parameters.get(name)
            if value is None or value == "":
                raise QgsProcessingException(self.invalidRasterError(parameters, name))
            raise QgsProcessingException(f"{name}: {value!r} is not a raster layer or file QGIS can read")
        if not isinstance(layer, QgsRasterLayer) or layer.providerType() != "gdal":
            raise QgsProcessingException(f"{name}: layer {layer.name()!r} is not a file-based (GDAL) raster")
        return layer.source()

    def raster_info(self, parameters, name: str, context) -> RasterInfo:
        return raster_info(self.raster_path(parameters, name, context), name)
