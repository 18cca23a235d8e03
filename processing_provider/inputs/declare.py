"""Parameter declarations: one short constructor per kind of parameter, and the quantities several tools share.

``number("ALPHA", "Significance level", 0.05, 0.0, 1.0)`` stands for
``QgsProcessingParameterNumber("ALPHA", "Significance level", QgsProcessingParameterNumber.Type.Double,
defaultValue=0.05, minValue=0.0, maxValue=1.0)``; ``advanced=True`` puts a parameter in the dialog's advanced
group. Labels are translated when the tool adds the parameter (:meth:`..tools._base.GeohazardAlgorithm.addParameter`).

The stack tools' inputs (:func:`add_stack_parameters`), the two LOS geometries of the fault tools
(:func:`add_los_pair`), the network filters, the wavelength (empty = the inputs' metadata, else
Sentinel-1) and lengths in km of the Coulomb dialogs.

Length units of the dialogs: one length unit per dialog, written in every length parameter's
description: metres for the InSAR, ADA and geometry tools and for the fault tools driven by InSAR
(okadaforward, slipinversion, uniformslipinversion); kilometres for fault geometry in the Coulomb
tools, as in Coulomb 3 (slip stays in metres there, and frame origins are map coordinates in the
CRS's metres). A parameter whose unit changed gets a new ID (``TOP_DEPTH_KM``) and keeps the old one
(``TOP_DEPTH``, m) as a hidden alias with its unit factor (:mod:`.aliases`).
"""

from __future__ import annotations

import functools
import os
import re

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputFile,
    QgsProcessingOutputHtml,
    QgsProcessingOutputMultipleLayers,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterCrs,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMapLayer,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterPoint,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
    QgsProcessingParameterVectorLayer,
    QgsProcessingUtils,
)

from ...algorithms.conventions import SENTINEL1_WAVELENGTH_M
from ...fileio.base.probe import quiet_gdal_reads
from ...fileio.formats.mintpy import parse_source
from ..model_checks import layer_ids, mark_quiet
from . import ids
from .delivered import is_gamma
from .ids import ASC_HEADING, ASC_INCIDENCE, DESC_HEADING, DESC_INCIDENCE, LOS_ASC, LOS_DESC, WAVELENGTH

#: Geometry types of vector inputs and outputs, by name.
GEOMETRY = {"point": QgsProcessing.SourceType.TypeVectorPoint, "line": QgsProcessing.SourceType.TypeVectorLine,
            "polygon": QgsProcessing.SourceType.TypeVectorPolygon, "table": QgsProcessing.SourceType.TypeVector,
            "any": QgsProcessing.SourceType.TypeVectorAnyGeometry}
_ADVANCED = QgsProcessingParameterDefinition.Flag.FlagAdvanced


def _flagged(definition, advanced: bool):
    if advanced:
        definition.setFlags(definition.flags() | _ADVANCED)
    return definition


def _range(lo, hi) -> dict:
    return {**({"minValue": lo} if lo is not None else {}), **({"maxValue": hi} if hi is not None else {})}


def number(pid, label, default=None, lo=None, hi=None, *, optional=False, advanced=False):
    """A real number (Double)."""
    return _flagged(QgsProcessingParameterNumber(pid, label, QgsProcessingParameterNumber.Type.Double, default,
                                                 optional, **_range(lo, hi)), advanced)


def integer(pid, label, default=None, lo=None, hi=None, *, optional=False, advanced=False):
    """A whole number (a count, a window size ...)."""
    return _flagged(QgsProcessingParameterNumber(pid, label, QgsProcessingParameterNumber.Type.Integer, default,
                                                 optional, **_range(lo, hi)), advanced)


def enum(pid, label, options, default=0, *, multiple=False, optional=False, advanced=False):
    """One of ``options`` (its index), or several with ``multiple``."""
    return _flagged(QgsProcessingParameterEnum(pid, label, options, multiple, default, optional), advanced)


def boolean(pid, label, default=None, *, optional=False, advanced=False):
    return _flagged(QgsProcessingParameterBoolean(pid, label, default, optional), advanced)


def text(pid, label, default=None, *, optional=False, advanced=False):
    return _flagged(QgsProcessingParameterString(pid, label, default, False, optional), advanced)


def raster(pid, label, *, optional=False):
    return QuietRaster(pid, label, optional=optional)


class QuietRaster(QgsProcessingParameterRasterLayer):
    """A raster layer input whose check leaves nothing beside the file.

    QGIS checks a file path (``qgis_process`` every parameter, before the run) by loading it as a layer; the layer's
    default renderer computes band statistics, which GDAL saves as ``<file>.aux.xml`` beside the input. Here that
    layer is opened with GDAL's side-car files off, as the tools read their inputs
    (:func:`..fileio.base.probe.quiet_gdal_reads`); the answer and the layer are QGIS's."""

    def checkValueIsAcceptable(self, value, context=None):
        if isinstance(value, str) and is_gamma(value):
            return True  # a GAMMA raster (no header): read through its DEM/MAP parameter file

        before = layer_ids(context)
        with quiet_gdal_reads():
            ok = super().checkValueIsAcceptable(value, context)
        mark_quiet(context, before)
        return ok

    def clone(self):
        return QuietRaster.of(self)

    @staticmethod
    def of(definition) -> QuietRaster:
        """A quiet raster input like the raster layer ``definition``."""
        copy = QuietRaster(definition.name(), definition.description(), definition.defaultValue(),
                           bool(definition.flags() & QgsProcessingParameterDefinition.Flag.FlagOptional))
        copy.setFlags(definition.flags())
        copy.setMetadata(definition.metadata())
        copy.setHelp(definition.help())
        return copy


#: The dialog widget of a :class:`PathList` (a dotted path the Processing dialog imports; the provider never does).
PATH_LIST_WIDGET = __package__.split(".")[0] + ".ui.path_list_widget.PathListWrapper"


class PathList(QgsProcessingParameterMultipleLayers):
    """Several layers or files, or folders holding them (the tools list a folder's files themselves).

    QGIS checks such a value, and writes the run's Python command (dialog log, history, ``qgis_process``), by
    opening every item with every data provider: a folder or a non-layer file (a ``.par.gz`` baseline table)
    then prints "[OGR] Cannot open", GDAL's "not recognized as a supported file format" and MDAL's "Unable to
    load mesh" lines although the tool reads it fine. Here folders (and every item of a file list) are checked
    as paths and written as strings; layers are checked as QGIS does. The toolbox dialog shows it with
    :data:`PATH_LIST_WIDGET`, which keeps every item it is given (QGIS's widget keeps only what loads as a layer: a
    History re-run would lose the baseline tables)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setMetadata({**self.metadata(), "widget_wrapper": {"class": PATH_LIST_WIDGET}})

    def _paths(self, value):
        """The items of ``value`` as paths when none needs opening as a layer (each a folder, or any path of a
        file list); None otherwise."""
        items = value if isinstance(value, (list, tuple)) else [value] if isinstance(value, str) and value else None
        if not items or not all(isinstance(i, str) and i for i in items):
            return None
        if self.layerType() == QgsProcessing.SourceType.TypeFile or \
                all(os.path.isdir(i) or (i.lower().endswith(".zip") and os.path.isfile(i)) for i in items):
            return list(items)  # folders, and zips of products read in place (inputs/stacks.product_stack)
        return None

    def checkValueIsAcceptable(self, value, context=None):
        items = self._paths(value)
        if items is None:
            if context is not None and self._gdal_rasters(value):
                return True
            return super().checkValueIsAcceptable(value, context)
        return len(items) >= max(self.minimumNumberInputs(), 1)

    def _gdal_rasters(self, value) -> bool:
        """Whether ``value`` is enough files that GDAL opens as rasters with a band each: QGIS would accept them
        too (its GDAL provider opens them), but it loads each as a layer with the statistics of a default
        renderer: ~2 CPU-ms a file against ~0.03 ms here, and an ``.aux.xml`` of statistics left beside each
        input (qgis_process checks before the run, outside its PAM-off reads). Anything else (a layer, a name, a
        file GDAL does not open) goes to QGIS's own check, which keeps its answer and its messages."""
        items = value if isinstance(value, (list, tuple)) else [value] if isinstance(value, str) else None
        if (not items or len(items) < max(self.minimumNumberInputs(), 1)
                or self.layerType() != QgsProcessing.SourceType.TypeRaster
                or not all(isinstance(i, str) for i in items)):
            return False
        from osgeo import gdal

        hdf5 = [parse_source(i) for i in items]  # MintPy results: read (and named when wrong) by .delivered
        if not all(os.path.isfile(h[0] if h else i) for h, i in zip(hdf5, items)):
            return False
        items = [i for h, i in zip(hdf5, items) if h is None]

        gdal.PushErrorHandler("CPLQuietErrorHandler")
        try:
            with quiet_gdal_reads():
                for item in items:
                    try:
                        ds = gdal.OpenEx(item, gdal.OF_RASTER | gdal.OF_READONLY)
                    except RuntimeError:
                        return False
                    if ds is None or ds.RasterCount < 1:
                        return False
                    ds = None
        finally:
            gdal.PopErrorHandler()
        return True

    def valueAsPythonString(self, value, context):
        items = self._paths(value)
        if items is None and isinstance(value, (list, tuple)) and value and all(
                isinstance(i, str) and os.path.isfile(i.split("|")[0]) for i in value):
            # files (a model's SLCs, interferograms): written as the paths they are. QGIS would open each with
            # every data provider first ("[OGR] Cannot open slc_20200101.tif" in the log for each, at each step)
            items = list(value)
        if items is None:
            items = self._files(value)
        if items is None:
            return super().valueAsPythonString(value, context)
        return "[" + ",".join(QgsProcessingUtils.stringToPythonLiteral(i) for i in items) + "]"

    @staticmethod
    def _files(value):
        """The items of ``value`` when each is a path to an existing file: written as they are. QGIS's own
        ``valueAsPythonString`` loads each as a layer to write its source, which is the same path (a model logs
        every step's command: 1 CPU-s for each list of 84 interferograms of 0.5 Mpx, 12 lists in Corrected
        SBAS); None for anything else (layer IDs, names, layers), which QGIS writes."""
        items = value if isinstance(value, (list, tuple)) else [value] if isinstance(value, str) and value else None
        if not items or not all(isinstance(i, str) and i and os.path.isfile(i) for i in items):
            return None
        return list(items)

    def clone(self):
        return PathList.of(self)

    @staticmethod
    def of(definition) -> PathList:
        """A path list like the multiple-layer ``definition``."""
        copy = PathList(definition.name(), definition.description(), definition.layerType(),
                        definition.defaultValue(),
                        bool(definition.flags() & QgsProcessingParameterDefinition.Flag.FlagOptional))
        copy.setFlags(definition.flags())
        copy.setMetadata({**definition.metadata(), "widget_wrapper": {"class": PATH_LIST_WIDGET}})
        copy.setHelp(definition.help())
        copy.setMinimumNumberInputs(definition.minimumNumberInputs())
        return copy


def rasters(pid, label, *, optional=False):
    """Several rasters (or folders of them, for the tools that expand folders)."""
    return PathList(pid, label, QgsProcessing.SourceType.TypeRaster, optional=optional)


def files(pid, label, *, optional=False):
    """Several files, or folders of them (never opened as layers)."""
    return PathList(pid, label, QgsProcessing.SourceType.TypeFile, optional=optional)


def raster_or_polygons(pid, label, *, optional=False):
    """One layer, a raster or a polygon layer (a mask given either way: classes to keep, or areas)."""
    return QgsProcessingParameterMapLayer(pid, label, optional=optional,
                                          types=[QgsProcessing.SourceType.TypeRaster,
                                                 QgsProcessing.SourceType.TypeVectorPolygon])


def features(pid, label, geometry="any", *, optional=False):
    """A vector layer read feature by feature (honours "selected features only"); ``geometry`` one name of
    :data:`GEOMETRY` or a tuple of them ("table": any layer, with or without geometry)."""
    kinds = [geometry] if isinstance(geometry, str) else list(geometry)
    return QgsProcessingParameterFeatureSource(pid, label, [GEOMETRY[k] for k in kinds], optional=optional)


def layers(pid, label, geometry="any", *, optional=False):
    """Several vector layers."""
    return QgsProcessingParameterMultipleLayers(pid, label, GEOMETRY[geometry], optional=optional)


def vector_layer(pid, label, geometry="any", *, optional=False):
    """A whole vector layer (its selection is not honoured)."""
    return QgsProcessingParameterVectorLayer(pid, label, [GEOMETRY[geometry]], optional=optional)


def point(pid, label, *, optional=False):
    return QgsProcessingParameterPoint(pid, label, optional=optional)


def crs(pid, label, default=None, *, optional=False):
    return QgsProcessingParameterCrs(pid, label, default, optional)


def extent(pid, label, *, optional=False):
    return QgsProcessingParameterExtent(pid, label, optional=optional)


def field(pid, label, parent, *, numeric=False, default=None, optional=False):
    kind = QgsProcessingParameterField.DataType.Numeric if numeric else QgsProcessingParameterField.DataType.Any
    return QgsProcessingParameterField(pid, label, default, parent, kind, optional=optional)


def file(pid, label, *, extension="", file_filter="", folder=False, optional=False, or_folder=False):
    """A file (or, ``folder``, a folder) input; ``or_folder``: a file of the filter's kinds, or a folder of them
    (the dialog browses files; a typed or scripted folder is accepted too)."""
    behavior = QgsProcessingParameterFile.Behavior.Folder if folder else QgsProcessingParameterFile.Behavior.File
    cls = FileOrFolder if or_folder else QgsProcessingParameterFile
    return cls(pid, label, behavior, extension, optional=optional, fileFilter=file_filter)


def _same_settings(definition, copy):
    """``copy`` (a new parameter built from ``definition``'s arguments) given its flags, metadata and help: what
    QGIS's ``clone`` of our parameter subclasses keeps."""
    copy.setFlags(definition.flags())
    copy.setMetadata(definition.metadata())
    copy.setHelp(definition.help())
    return copy


class FileOrFolder(QgsProcessingParameterFile):
    """A file input whose value may also be a folder (read by the tool for the files it takes): QGIS's own check
    refuses a folder when the parameter has a file filter."""

    def checkValueIsAcceptable(self, value, context=None):
        if isinstance(value, str) and value and os.path.isdir(value):
            return True
        return super().checkValueIsAcceptable(value, context)

    def clone(self):
        return _same_settings(self, FileOrFolder(
            self.name(), self.description(), self.behavior(), self.extension(), self.defaultValue(),
            bool(self.flags() & QgsProcessingParameterDefinition.Flag.FlagOptional), self.fileFilter()))


def raster_out(pid, label, *, optional=False, create=True):
    return QgsProcessingParameterRasterDestination(pid, label, optional=optional, createByDefault=create)


def vector_out(pid, label, geometry="any", *, optional=False, create=True):
    return QgsProcessingParameterVectorDestination(pid, label, GEOMETRY[geometry], optional=optional,
                                                   createByDefault=create)


def sink_out(pid, label, geometry="any", *, optional=False, create=True):
    """A vector output QGIS writes (memory layer, any OGR format)."""
    return QgsProcessingParameterFeatureSink(pid, label, GEOMETRY[geometry], optional=optional,
                                             createByDefault=create)


class ReportOutput(QgsProcessingOutputFile):
    """A report a tool writes (a CSV table, a PNG plot, a MintPy HDF5 file): a file, not a layer.

    QGIS's modeler offers a step's outputs to the next step's input by their type: an input taking several
    layers (a stack of rasters) or one layer accepts QGIS's file outputs (``outputFile``) as well, so a CSV report
    would be offered as interferograms (QgsProcessingParameterType::acceptedOutputTypes in QGIS 3.36+, the
    widget wrappers' compatibleOutputTypes before). A report has a type of its own, which no input lists: it is
    written where asked and returned as a path, and the lists show only what can be read as layers."""

    TYPE = "outputReport"

    def type(self):
        return ReportOutput.TYPE


class ReportDestination(QgsProcessingParameterFileDestination):
    """A file destination for a report (:class:`ReportOutput`); an HTML report keeps QGIS's HTML output (shown in
    the Results Viewer). Models copying it for their own outputs copy this class (``clone``)."""

    def toOutputDefinition(self):
        if "htm" in self.fileFilter().lower():
            return QgsProcessingOutputHtml(self.name(), self.description())
        return ReportOutput(self.name(), self.description())

    def clone(self):
        return _same_settings(self, ReportDestination(
            self.name(), self.description(), self.fileFilter(), self.defaultValue(),
            bool(self.flags() & QgsProcessingParameterDefinition.Flag.FlagOptional), self.createByDefault()))


def file_out(pid, label, file_filter, *, optional=False, create=True):
    """A report (CSV, PNG, HDF5, HTML), written where the user asks: :class:`ReportDestination`."""
    return ReportDestination(pid, label, file_filter, optional=optional, createByDefault=create)


def table_out(pid, label, file_filter, *, optional=False, create=True):
    """A table (CSV) another tool's file input reads, written where the user asks: QGIS's own file destination,
    whose output (``outputFile``) the modeler offers to file inputs, so a model links it to the next step."""
    return QgsProcessingParameterFileDestination(pid, label, file_filter, optional=optional,
                                                 createByDefault=create)


def report_output(pid, label):
    """A report written beside another output (a PNG next to an HTML report): an output only."""
    return ReportOutput(pid, label)


def folder_out(pid, label, *, optional=False, create=True):
    return QgsProcessingParameterFolderDestination(pid, label, optional=optional, createByDefault=create)


#: The suffix of the output that lists, as layers, the rasters a tool wrote into its folder output ``<ID>``.
LAYERS = "_LAYERS"


def layers_help(pid: str, label: str) -> str:
    """What a tool's help says about its folder output ``pid`` in a model (:func:`raster_folder_out`)."""
    return (f"<b>In a model</b>: link the next step to \u201c{label}\u201d ({pid}{LAYERS}), the rasters this run wrote "
            f"into the {pid} folder: QGIS's modeler offers it to every input taking rasters (a folder it offers to "
            "none); the folder is for scripts and qgis_process. Reports (CSV, PNG) are offered to no such input.\n")


def raster_folder_out(alg, pid, label, layers_label, *, optional=False, create=True) -> None:
    """A set of rasters a tool writes: the folder destination ``pid`` (scripts and ``qgis_process`` name the
    folder; the next tool may read the folder) and the multiple-layers output ``pid + LAYERS``, the rasters this
    run wrote there, which QGIS's modeler offers to every input taking several rasters (it offers no folder to
    them). The tool returns both (:func:`raster_set`)."""
    alg.addParameter(folder_out(pid, label, optional=optional, create=create))
    alg.addOutput(QgsProcessingOutputMultipleLayers(pid + LAYERS, alg.tr(layers_label)))


def raster_set(pid, folder: str, files) -> dict:
    """The results of a :func:`raster_folder_out`: ``{pid: folder, pid + LAYERS: [file, ...]}``."""
    return {pid: folder, pid + LAYERS: [str(f) for f in files]}


WAVELENGTH_HELP = ("<b>Wavelength</b> (m): leave empty to use the inputs' metadata (GeoTIFF WAVELENGTH_METRES / "
                   "WAVELENGTH, MintPy attribute WAVELENGTH), else the Sentinel-1 C-band value "
                   f"{SENTINEL1_WAVELENGTH_M:.8f} m; a value given here is used and any disagreement with the metadata "
                   "is warned about. The log says which value was used and where it came from.")


def wavelength_parameter(alg, pid: str = WAVELENGTH) -> QgsProcessingParameterNumber:
    """Optional wavelength (m) with no default: empty means metadata, else Sentinel-1."""
    return QgsProcessingParameterNumber(
        pid, alg.tr("Radar wavelength (m; empty = metadata)"),
        QgsProcessingParameterNumber.Type.Double, defaultValue=None, optional=True, minValue=1e-4)


def km_parameter(alg, pid, label, default, *, minimum, maximum=None) -> QgsProcessingParameterNumber:
    """A length in km (``label (km)``), with metre resolution in the spin box."""
    kwargs = {"minValue": minimum}
    if maximum is not None:
        kwargs["maxValue"] = maximum
    p = QgsProcessingParameterNumber(pid, alg.tr(label) + " (km)", QgsProcessingParameterNumber.Type.Double,
                                     default, **kwargs)
    p.setMetadata({"widget_wrapper": {"decimals": 3}})
    return p


#: Options of INPUT_UNITS (the stack tools) and WEIGHTING (sbasinversion, stackingvelocity).
INPUT_UNITS = [
    "Radians, phase grows with range (GAMMA, ISCE ...)",
    "Radians, phase grows toward the satellite",
    "Metres of LOS (+ toward the satellite)",
    "Millimetres of LOS (+ toward the satellite)",
]


WEIGHTING = ["None (ordinary least squares, as MintPy -w no)",
             "Phase variance from coherence (MintPy -w var)"]


PRODUCTS_HELP = (
    "<b>Products as delivered</b>: INTERFEROGRAMS also takes a product as its producer delivers it, read in place "
    "(docs/products.md): a LiCSAR frame (LiCSBAS's GEOC/ folder, or the COMET portal's frame folder with "
    "interferograms/, metadata/, epochs/; its .geo.cc.tif coherence as bytes 0-255 is read as value / 255, 0 as no "
    "data), HyP3 InSAR products (their zips, read without extracting, or their folders: _unw_phase.tif, _corr.tif, "
    ".txt), a GAMMA folder of geocoded .unw/.cc with its DEM/MAP and image parameter files (dem_seg.par, "
    "*.mli.par), GMTSAR's intf_all/ (unwrap_ll.grd, corr_ll.grd; dates from the pairs' .PRM files; no heading), SNAP "
    "BEAM-DIMAP products (.dim + .data/ Unw_Phase_* and coh_* bands, terrain-corrected), an ISCE2 stack's merged/ "
    "folder in radar coordinates (geocoded with its geom_reference/lat.rdr and lon.rdr, as gdalwarp -geoloc does), "
    "or the list the dialog's Add Directory... makes of such a tree. The product's coherence is used when "
    "COHERENCE is empty; its wavelength (Sentinel-1), baselines (LiCSAR's baselines file, HyP3's .txt) and scene "
    "geometry (incidence and heading from LiCSAR's E/N/U rasters or HyP3's lv_theta and .txt; slant range) are "
    "used and carried onto the outputs; a value typed in the tool wins, with a warning when it contradicts the "
    "product. Pairs covering different areas are put on one grid: their common area, or their union "
    "(STACK_EXTENT, advanced). The log lists what was taken, what was left out and why.\n"
)

UNITS_HELP = (
    "<b>Input unit / sign</b>: radians with the producer's sign (most processors: phase grows "
    "with range, i.e. positive = away from the satellite; PyRate/GAMMA GeoTIFFs such as the "
    "Mexico City test data follow it), or LOS metres / millimetres positive toward the satellite.\n"
    + WAVELENGTH_HELP + "\n"
)


def add_los_pair(alg) -> None:
    """LOS_ASC / LOS_DESC displacement rasters (mm) with the incidence and heading of each geometry (empty: the
    raster's INCIDENCE_DEG / HEADING_DEG; no assumed geometry)."""
    num = QgsProcessingParameterNumber.Type.Double
    for los, inc, head, n, optional in ((LOS_ASC, ASC_INCIDENCE, ASC_HEADING, 1, False),
                                        (LOS_DESC, DESC_INCIDENCE, DESC_HEADING, 2, True)):
        alg.addParameter(QuietRaster(los, alg.tr("LOS displacement {n} (mm)").format(n=n), optional=optional))
        inc_label = alg.tr("Incidence {n} (degrees; empty = metadata)").format(n=n)
        head_label = alg.tr("Heading {n} (degrees; empty = metadata)").format(n=n)
        alg.addParameter(QgsProcessingParameterNumber(inc, inc_label, num, None, True, minValue=0.001,
                                                      maxValue=89.999))
        alg.addParameter(QgsProcessingParameterNumber(head, head_label, num, None, True, minValue=-360.0,
                                                      maxValue=360.0))


#: The grid of a stack whose pairs cover different areas (HyP3 products): options of STACK_EXTENT, in the order of
#: :data:`..fileio.formats.products.EXTENTS`.
STACK_EXTENTS = ("Common area of all pairs (intersection)", "Every pair's area (union; no-data outside a pair)")


def add_stack_parameters(alg, *, mintpy: bool, units: bool = True,
                         coherence_label: str = "Coherence rasters or folder"):
    """INTERFEROGRAMS, COHERENCE, (hidden) MINTPY_STACK, WAVELENGTH_M and (``units``) INPUT_UNITS of the stack
    tools."""
    # the main input is mandatory; a MintPy stack is given as its (single) item. MINTPY_STACK is
    # kept, hidden, for scripts and qgis_process lines written before
    label = "Unwrapped interferograms (or folder, MintPy .h5)" if mintpy else \
        "Unwrapped interferograms (rasters, or a folder)"
    alg.addParameter(rasters("INTERFEROGRAMS", alg.tr(label)))
    alg.addParameter(rasters("COHERENCE", alg.tr(coherence_label), optional=True))
    if mintpy:
        p = QgsProcessingParameterFile(
            "MINTPY_STACK", alg.tr("MintPy ifgramStack.h5 (instead of rasters)"), extension="h5", optional=True)
        p.setFlags(p.flags() | QgsProcessingParameterDefinition.Flag.FlagHidden)
        alg.addParameter(p)
    alg.addParameter(wavelength_parameter(alg, WAVELENGTH))
    if units:
        alg.addParameter(QgsProcessingParameterEnum(ids.INPUT_UNITS, alg.tr("Input unit / sign"), options=INPUT_UNITS,
                                                    defaultValue=0))
    alg.addParameter(enum(ids.STACK_EXTENT, alg.tr("Stack extent when the pairs cover different areas"),
                          [alg.tr(t) for t in STACK_EXTENTS], 0, advanced=True))


# ------------------------------------------------------------------ network filters of a stack
def max_temporal_baseline_parameter(alg) -> QgsProcessingParameterNumber:
    """``MAX_TEMPORAL_BASELINE``: longest interferogram kept (days; 0 = no limit)."""
    return QgsProcessingParameterNumber(
        "MAX_TEMPORAL_BASELINE", alg.tr("Maximum temporal baseline (days, 0 = no limit)"),
        QgsProcessingParameterNumber.Type.Integer, defaultValue=0, minValue=0)


def add_network_filter_parameters(alg) -> None:
    """The interferogram filters shared by ``sbasinversion`` and ``modifynetwork``: temporal and
    perpendicular baselines, mean coherence, pairs to drop."""
    alg.addParameter(max_temporal_baseline_parameter(alg))
    alg.addParameter(QgsProcessingParameterNumber(
        "MAX_PERP_BASELINE", alg.tr("Maximum perpendicular baseline (m, 0 = no limit)"),
        QgsProcessingParameterNumber.Type.Double, defaultValue=0.0, minValue=0.0))
    alg.addParameter(QgsProcessingParameterNumber(
        "MIN_MEAN_COHERENCE", alg.tr("Minimum mean coherence (0 = keep all)"),
        QgsProcessingParameterNumber.Type.Double, defaultValue=0.0, minValue=0.0, maxValue=1.0))
    alg.addParameter(QgsProcessingParameterString(
        "DROP_PAIRS", alg.tr("Interferograms to drop (date pairs)"), optional=True))


_TAGS = re.compile(r"<[^>]+>")
_LEAD = re.compile(r"^\s*<b>([^<]+)</b>")
_WORD = re.compile(r"[a-z0-9_]+")


@functools.lru_cache(maxsize=4096)
def parameter_help(text: str, pid: str, label: str) -> str:
    """What a tool's help (``HELP``) says about one parameter, as plain text: its paragraphs that name its ID in bold
    or in parentheses (``(DENSITY_REFERENCE, default ...)``), else those that open with its label in bold
    (``<b>Land cover</b>: ...`` for "Land cover (class codes)": the same words, parenthesised units left out). The
    dialog shows it as the parameter's tooltip; the help panel keeps the whole text (what, why, references). ""
    when the help says nothing of it. A pure function of its arguments, kept per ``(text, pid, label)``: QGIS's
    model run creates each step's tool many times over (every copy of a model step makes a new instance)."""
    name = _words(label)
    by_id, by_label = [], []
    for para, plain, lead in _paragraphs(text or ""):
        if _names_id(para, pid):
            by_id.append(plain)
        elif lead and name and lead == name:
            by_label.append(plain)
    return "\n".join(dict.fromkeys(p for p in (by_id or by_label) if p))


@functools.lru_cache(maxsize=256)
def _paragraphs(text: str) -> tuple:
    """``(paragraph, its plain text, the words of its bold lead or ())`` of each line of a help text (read once per
    tool: every parameter of the tool looks its part up in them)."""
    out = []
    for para in text.split("\n"):
        lead = _LEAD.match(para)
        out.append((para, re.sub(r"\s+", " ", _TAGS.sub("", para)).strip(), _words(lead.group(1)) if lead else ()))
    return tuple(out)


def _names_id(para: str, pid: str) -> bool:
    """True when ``para`` names ``pid`` in bold or in parentheses (``<b>PID``, ``(PID``, a whole word)."""
    for opener in ("<b>", "("):
        at = para.find(opener + pid)
        while at >= 0:
            end = at + len(opener) + len(pid)
            if end == len(para) or not (para[end].isalnum() or para[end] == "_"):
                return True
            at = para.find(opener + pid, end)
    return False


def _words(label: str) -> tuple:
    """A label's words, lower case, without its parenthesised parts."""
    return tuple(_WORD.findall(re.sub(r"\([^)]*\)", "", label or "").lower()))
