"""What a step of a model receives from the steps before it.

In QGIS's modeler a step's input is linked to another step's output. The outputs that are reports (a CSV table, a
PNG plot, a MintPy HDF5 file, an HTML page: :class:`.declare.ReportOutput`) are not offered to inputs taking rasters,
but a model drawn before, a step whose list was edited, or a script can still hand one over. An input taking several
rasters that receives a report is refused before anything is read, with a message naming the input, the file and,
when a tool of this plugin wrote it in this session, that tool's output, and the output to link instead (QGIS adds
the step: "Error encountered while running <step>"). An input that receives an empty list of rasters (a step's
"(layers)" output when that step wrote none) is named the same way.
"""

from __future__ import annotations

import os
from collections import OrderedDict

from qgis.core import QgsProcessing, QgsProcessingParameterDefinition

from .declare import LAYERS, ReportOutput
from .listing import real_path

#: Extensions of files that are never one of the rasters a stack input reads (reports, tables, pages).
REPORT_EXT = {".csv": "CSV table", ".txt": "text file", ".json": "JSON file", ".html": "HTML page",
              ".htm": "HTML page", ".pdf": "PDF document", ".png": "PNG plot", ".svg": "SVG plot"}
#: The report files the plugin's tools wrote in this session: real path -> (tool ID, output ID, output label).
_WRITTEN: "OrderedDict[str, tuple]" = OrderedDict()
_KEEP = 2000


def _is_report_output(definition) -> bool:
    return definition.type() in (ReportOutput.TYPE, "outputHtml", "outputFile")


def remember_reports(alg, results: dict) -> None:
    """Keep which of ``alg``'s outputs in ``results`` are reports (for :func:`received_problem`)."""
    for out in alg.outputDefinitions():
        path = results.get(out.name())
        if not _is_report_output(out) or not isinstance(path, str) or not path:
            continue
        key = os.path.realpath(path)
        _WRITTEN[key] = (alg.id(), out.name(), out.description())
        _WRITTEN.move_to_end(key)
    while len(_WRITTEN) > _KEEP:
        _WRITTEN.popitem(last=False)


def _raster_lists(alg):
    for d in alg.parameterDefinitions():
        if (d.type() == "multilayer" and d.layerType() == QgsProcessing.SourceType.TypeRaster
                and not d.flags() & QgsProcessingParameterDefinition.Flag.FlagHidden):
            yield d


def _layers_of(tool_id: str) -> list:
    """The "(layers)" outputs of the tool ``tool_id`` (what to link to a raster list instead of its report)."""
    from qgis.core import QgsApplication

    alg = QgsApplication.processingRegistry().algorithmById(tool_id)
    return [o for o in (alg.outputDefinitions() if alg is not None else []) if o.name().endswith(LAYERS)]


def _report_message(d, item: str) -> str:
    name = os.path.basename(item)
    known = _WRITTEN.get(os.path.realpath(item))
    if known is not None:
        tool_id, out_id, label = known
        layers = _layers_of(tool_id)
        instead = (" or ".join(f"its \u201c{o.description()}\u201d ({o.name()})" for o in layers)
                   if layers else "a step's rasters")
        return (f"{d.name()}: {name!r} is the report \u201c{label}\u201d ({out_id}) that {tool_id} wrote, not one of "
                f"the rasters {d.name()} takes ({d.description()}). In the model, link {d.name()} to {instead} "
                "instead of this report")
    ext = os.path.splitext(name)[1].lower()
    return (f"{d.name()}: {name!r} is a {REPORT_EXT[ext]} (a report), not one of the rasters {d.name()} takes "
            f"({d.description()}). In a model, link {d.name()} to the previous step's rasters (an output named "
            "\u201c... (layers)\u201d, or a raster), not to its report")


def received_problem(alg, parameters) -> str:
    """A message when an input of ``alg`` taking several rasters received a report or an empty list; "" else."""
    mintpy = getattr(alg, "MINTPY", False) and bool(parameters.get("MINTPY_STACK"))
    real_dirs: dict = {}
    for d in _raster_lists(alg):
        value = parameters.get(d.name())
        if isinstance(value, (list, tuple)) and not value and not mintpy \
                and not d.flags() & QgsProcessingParameterDefinition.Flag.FlagOptional:
            return (f"{d.name()}: received an empty list of rasters. In a model, the step linked to {d.name()} "
                    "wrote none: a \u201c(layers)\u201d output is empty when its step left that folder output unset "
                    "(DS phase linking writes its wrapped interferograms only when OUTPUT_INTERFEROGRAMS names a "
                    "folder or a model output)")
        items = value if isinstance(value, (list, tuple)) else [value]
        for item in items:
            if not isinstance(item, str) or not os.path.isfile(item):
                continue
            known = real_path(item, real_dirs) in _WRITTEN
            if known or os.path.splitext(item)[1].lower() in REPORT_EXT:
                return _report_message(d, item)
    return ""
