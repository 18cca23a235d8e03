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
from typing import Optional

from qgis.core import (
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingParameterNumber,
    QgsProject,
    QgsRasterLayer,
)
from qgis.PyQt.QtCore import QCoreApplication

from ..algorithms.errors import GeohazardError, OperationCanceled
from .checks import check_before, degenerate_outputs, quiet_gdal_reads, range_problem
from .params import resolve_aliases, with_aliases
from .raster_io import RasterInfo, raster_info
from .transaction import OutputTransaction

#: Processing groups: id -> display name.
GROUPS = {
    "timeseries": "Time series",
    "ada": "Active deformation areas",
    "geometry": "Geometry and line of sight",
    "faults": "Faults and stress",
    "formats": "Import and formats",
    "kinematics": "Landslide and glacier kinematics",
    "corrections": "Corrections",
}

ICON_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "icons")

#: Documentation of each tool family (module ``tools_<family>.py`` -> ``docs/<family>.md``).
DOCS_URL = "https://github.com/insar-geohazards/insar_geohazards/blob/main/docs/{}.md"

#: Search words of the Processing toolbox (``tags()``), by tool name; every tool also gets
#: "InSAR" and "geohazard" so searching the toolbox for the provider's topic lists all of them.
TAGS = {
    "sbasinversion": "SBAS,ISBAS,time series,velocity,displacement,subsidence,landslide,deformation,"
                     "interferogram,unwrapped,MintPy,ground motion",
    "stackingvelocity": "stacking,velocity,rate,subsidence,landslide,deformation,interferogram,ground motion",
    "phasegradientstacking": "phase gradient,landslide,detection,velocity,wrapped,interferogram",
    "timeseriesmodels": "time series,velocity,seasonal,acceleration,logarithmic,consolidation,breakpoint,"
                        "subsidence,landslide,model fitting",
    "inversevelocity": "inverse velocity,Fukuzono,failure forecast,early warning,landslide,velocity,alert",
    "amplitudedispersion": "PS,persistent scatterers,amplitude dispersion,SLC",
    "phaselinking": "DS,distributed scatterers,phase linking,EMI,EVD,SHP,SLC,time series",
    "unwrap": "unwrapping,SNAPHU,phase,interferogram,connected components,wrapped,MCF,time series",
    "unwrapclosurecorrection": "unwrapping error,phase closure,loop closure,triplet,correction,interferogram,MintPy,"
                               "LiCSBAS",
    "demerrorcorrection": "DEM error,topographic residual,perpendicular baseline,correction,time series,MintPy",
    "pcaatmosphere": "PCA,principal components,atmosphere,troposphere,APS,correction,time series,interferogram",
    "pstimeseries": "PS,DS,persistent scatterers,points,time series,velocity,subsidence,landslide",
    "adadetection": "ADA,active deformation areas,hotspot,velocity,landslide,subsidence,deformation,ground motion",
    "adaclassification": "ADA,active deformation areas,classification,landslide,subsidence,sinkhole,settlement",
    "landslideactivity": "landslide,activity,inventory,IFFI,velocity,state of activity",
    "faultproximity": "fault,distance,landslide,ADA,active deformation areas",
    "loadegms": "EGMS,European Ground Motion Service,Copernicus,import,velocity,subsidence,ground motion,points",
    "losvelocitytovertical": "LOS,line of sight,vertical,velocity,subsidence,incidence",
    "geometricdistortion": "layover,shadow,foreshortening,R-index,visibility,sensitivity,landslide,DEM",
    "losprojection": "LOS,line of sight,vertical,downslope,slope,landslide,velocity,subsidence",
    "ascdescdecomposition": "ascending,descending,decomposition,east-west,vertical,velocity,subsidence,uplift",
    "okadaforward": "Okada,dislocation,fault,earthquake,displacement,forward model",
    "coulombstress": "Coulomb,stress,CFS,fault,earthquake,triggering",
    "coulombonfaults": "Coulomb,stress,CFS,receiver faults,earthquake,triggering",
    "importcoulombinput": "Coulomb,.inp,fault,import",
    "slipinversion": "slip,inversion,fault,earthquake,Okada,distributed slip,coseismic",
    "uniformslipinversion": "slip,inversion,fault,earthquake,Okada,uniform slip,coseismic,Monte Carlo",
    "landslide3d": "3-D,three-dimensional,landslide,east,north,up,azimuth offsets,surface-parallel,Huber,TLS",
    "landslidethickness": "landslide,thickness,depth,volume,mass conservation,flux,rheology,3-D",
    "validateinsar": "validation,GNSS,GPS,levelling,accuracy,RMSE,ValInSAR,ground truth",
    "triggercorrelation": "rainfall,trigger,antecedent,water level,lag,cross-correlation,seasonal,landslide",
    "offsettracking": "offset tracking,pixel tracking,feature tracking,cross-correlation,NCC,glacier,landslide,"
                      "Sentinel-2,amplitude,velocity,displacement",
    "offsettimeseries": "offset tracking,time series,glacier,landslide,velocity,network,least squares",
    "modifynetwork": "network,interferogram,baseline,coherence,loop closure,drop,MintPy,LiCSBAS,SBAS,time series",
    "referencepoint": "reference point,stable,coherence,SBAS,time series,MintPy",
    "rampremoval": "ramp,orbital,deramp,plane,quadratic,ionosphere,interferogram,correction,MintPy",
    "troposphericcorrection": "troposphere,atmosphere,GACOS,phase-elevation,stratified,DEM,delay,ZTD,"
                              "correction,interferogram,MintPy,LiCSBAS",
}
COMMON_TAGS = ("InSAR", "SAR", "geohazard")

#: Outputs loaded visible when a tool finishes in QGIS (default: its first output); the others
#: load unchecked below them.
MAIN_OUTPUTS = {
    "sbasinversion": ("OUTPUT_VELOCITY", "OUTPUT_POINTS"),
    "stackingvelocity": ("OUTPUT_VELOCITY",),
    "amplitudedispersion": ("OUTPUT_PS_MASK",),
    "unwrap": ("OUTPUT_REPORT",),
    "unwrapclosurecorrection": ("OUTPUT_NONCLOSING", "OUTPUT_STATS"),
    "ascdescdecomposition": ("OUTPUT_UP",),
    "losprojection": ("OUTPUT_VERTICAL", "OUTPUT_POINTS"),
    "adadetection": ("OUTPUT",),
    "slipinversion": ("OUTPUT_PATCHES",),
    "importcoulombinput": ("OUTPUT_SOURCES", "OUTPUT_RECEIVERS"),
    "timeseriesmodels": ("OUTPUT", "OUTPUT_RASTER"),
    "offsettimeseries": ("OUTPUT_VELOCITY",),
    "modifynetwork": ("OUTPUT_REPORT",),
}

#: Core modules holding the numba kernels each tool calls (for the first-run compile notice).
_OKADA = ("elastic.okada",)
KERNELS = {
    "sbasinversion": ("timeseries.sbas",),
    "phaselinking": ("timeseries.shp", "timeseries.phase_linking"),
    "pstimeseries": ("timeseries.psi",),
    "unwrap": ("timeseries.unwrap", "timeseries.unwrap_tiles"),
    "geometricdistortion": ("geometry.distortion",),
    "landslideactivity": ("ada.activity",),
    "unwrapclosurecorrection": ("corrections.closure",),
    "okadaforward": _OKADA, "coulombstress": _OKADA, "coulombonfaults": _OKADA,
    "slipinversion": _OKADA, "uniformslipinversion": _OKADA,
    "offsettracking": ("kinematics.offsets",),
    "offsettimeseries": ("kinematics.offset_timeseries",),
}


def announce_compilation(name: str, feedback) -> bool:
    """Tell the user when this run compiles the tool's numba kernels (first run on a machine:
    tens of seconds with the progress bar still); returns True when it does."""
    import importlib

    from ..algorithms import _numba

    modules = [importlib.import_module(f"..algorithms.{m}", __package__) for m in KERNELS.get(name, ())]
    if not modules or not _numba.first_compilation(modules):
        return False
    if feedback is None:
        return True
    todo = _numba.kernels_to_compile(modules)
    folder = _numba.cache_folder(modules[0])
    feedback.setProgressText(QCoreApplication.translate("GeohazardAlgorithm",
                                                        "Compiling fast kernels, first run only..."))
    feedback.pushInfo(f"Compiling fast kernels (numba, {len(todo)} functions), first run only: this run takes "
                      "up to a minute longer; later runs load them from the cache"
                      + (f" ({folder})" if folder else "") + ".")
    return True


def _decimals(value) -> int:
    text = f"{abs(float(value)):.9f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def set_decimals(definition) -> None:
    """Decimals shown by a Double parameter's spin box: enough for its default and bounds
    (at least 2, 3 for fractions in 0..1, at most 9) instead of QGIS's fixed "0.000000"."""
    if definition.type() != "number" or definition.dataType() != QgsProcessingParameterNumber.Type.Double:
        return
    values = [v for v in (definition.defaultValue(), definition.minimum(), definition.maximum())
              if isinstance(v, (int, float)) and abs(v) < 1e15]
    wanted = max([_decimals(v) for v in values] + [2])
    if definition.maximum() <= 1.0:
        wanted = max(wanted, 3)
    meta = definition.metadata()
    wrapper = dict(meta.get("widget_wrapper", {}) or {})
    wrapper.setdefault("decimals", min(wanted, 9))
    meta["widget_wrapper"] = wrapper
    definition.setMetadata(meta)


def _disk_full(exc: BaseException, targets: Optional[dict] = None) -> str:
    """The reason when ``exc`` says the disk (or the user's quota) is full, or when it is a write error and the
    disk of an output has (almost) no room left (GDAL >= 3.9 reports only "IO error writing ..."); else ""."""
    import errno

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"{exc.strerror}: {exc.filename}" if exc.filename else str(exc.strerror)
    text = str(exc)
    for marker in ("No space left on device", "Disk quota exceeded"):
        if marker in text:
            return marker
    if isinstance(exc, RuntimeError) and not any(w in text.lower() for w in ("write", "i/o", "io error")):
        return ""
    for path, _ in (targets or {}).values():
        folder = os.path.dirname(os.path.abspath(path.split("|")[0]))
        try:
            st = os.statvfs(folder)
        except OSError:
            continue
        if st.f_bavail * st.f_frsize < (1 << 20):
            return f"{st.f_bavail * st.f_frsize // 1024} KiB free in {folder}"
    return ""


_FILE_INPUT_TYPES = ("raster", "vector", "source", "multilayer", "file", "mesh", "pointcloud")


def missing_file_problem(alg, parameters) -> str:
    """A message naming the parameter and the path when an input given as a file path does not exist
    (QGIS's own check would only say "Incorrect parameter value"); "" when every path exists. Layer IDs,
    names of loaded layers, data-source URIs and GDAL virtual paths are left to QGIS."""
    for d in alg.parameterDefinitions():
        if d.isDestination() or d.type() not in _FILE_INPUT_TYPES:
            continue
        value = parameters.get(d.name())
        items = value if isinstance(value, (list, tuple)) else [value]
        for item in items:
            if not isinstance(item, str) or not item or "|" in item or "://" in item or item.startswith("/vsi"):
                continue
            if (os.sep in item or "/" in item) and not os.path.exists(item) \
                    and QgsProject.instance().mapLayer(item) is None:
                return f"{d.name()}: the file {item!r} does not exist"
    return ""


def _guarded_check(alg, parameters, context, check):
    """Ranges first, then former parameter IDs resolved, then ``check(parameters)`` with GDAL's PAM
    off (no ``.aux.xml`` written next to the inputs while QGIS loads them)."""
    problem = range_problem(alg, parameters, context) or missing_file_problem(alg, parameters)
    if problem:
        return False, problem
    try:
        parameters = resolve_aliases(alg, parameters, context)
    except GeohazardError as exc:
        return False, str(exc)
    with quiet_gdal_reads():
        return check(parameters)


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
        from .params import FORMER_IDS

        former = [a for a in FORMER_IDS.get(self.NAME, ()) if a.old_id not in self.HELP]
        note = ("\n\n<b>Former IDs</b> (still accepted in models and qgis_process): " + ", ".join(
            f"{a.old_id} (now {a.new_id}" + (f"; the former in {a.old_unit})" if a.old_unit else ")")
            for a in former)) if former else ""
        return self.tr(self.HELP) + note

    def tags(self) -> list:
        return [self.tr(t) for t in COMMON_TAGS + tuple(TAGS.get(self.NAME, "").split(",")) if t]

    def helpUrl(self) -> str:
        family = type(self).__module__.rsplit(".", 1)[-1].replace("tools_", "", 1)
        return DOCS_URL.format(family)

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
                return _guarded_check(self, parameters, context, lambda p: _check(self, p, context))

            quiet_check._quiet = True
            cls.checkParameterValues = quiet_check

    def checkParameterValues(self, parameters, context):
        return _guarded_check(self, parameters, context,
                              lambda p: super(GeohazardAlgorithm, self).checkParameterValues(p, context))

    checkParameterValues._quiet = True

    COMPLEX_INPUTS: tuple = ()
    MULTIBAND_INPUTS: tuple = ()
    COHERENCE_INPUTS: tuple = ("COHERENCE",)
    CRS_FREE_INPUTS: tuple = ()
    OVERLAP: tuple = ()
    KEY_OUTPUT_FIELDS: dict = {}

    def addParameter(self, definition, createOutput=True):
        """``QgsProcessingAlgorithm.addParameter`` with the dialog's number of decimals set; a parameter
        with former IDs (``params.FORMER_IDS``) is followed by their hidden aliases."""
        ok = True
        for d in with_aliases(self, definition):
            set_decimals(d)
            ok = super().addParameter(d, createOutput) and ok
        return ok

    def processAlgorithm(self, parameters, context, feedback):
        run = OutputTransaction()
        targets: dict = {}
        try:
            with quiet_gdal_reads():
                parameters = resolve_aliases(self, parameters, context)
                params, targets = check_before(self, parameters, context, feedback)
                run.begin(targets)
                if feedback is not None and feedback.isCanceled():
                    raise OperationCanceled()
                announce_compilation(self.NAME, feedback)
                results = self.process(params, context, feedback)
                if feedback is not None and feedback.isCanceled():
                    raise OperationCanceled()
                for message in degenerate_outputs(targets, results or {}, self.KEY_OUTPUT_FIELDS):
                    if feedback is not None:
                        feedback.pushWarning(message)
            run.commit()
            if isinstance(results, dict):
                from .styles import arrange_outputs

                arrange_outputs(self, context, results, MAIN_OUTPUTS.get(self.NAME, ()))
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
            full = _disk_full(exc, targets)  # before the rollback frees the space
            run.rollback()
            if full:
                raise QgsProcessingException(self.tr(
                    f"No space left to write the outputs ({full}); nothing was kept. Free some space or choose "
                    "an output folder on another disk.")) from None
            raise
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
