"""Parameter IDs: one ID per quantity across all tools, shared declarations, former IDs as aliases.

A quantity that several tools take has one ID everywhere (the constants below): the radar
wavelength is ``WAVELENGTH_M`` in every tool, an incidence angle of a second geometry is
``ASC_INCIDENCE``/``DESC_INCIDENCE``, a temporal-coherence gate ``MIN_TEMPORAL_COHERENCE`` ...
IDs are public API (models and ``qgis_process`` lines use them), so an ID that changed is kept
as a **hidden alias** of its new ID, listed once in :data:`FORMER_IDS`:

* ``GeohazardAlgorithm.addParameter`` declares, right after the new parameter, a hidden optional
  copy named by the former ID (range converted when the unit changed, e.g. m -> km) and makes
  the new ID optional (empty = its default), so a model saved before still validates;
* ``GeohazardAlgorithm`` resolves the aliases before checking and running
  (:func:`resolve_aliases`): the former ID's value, converted, becomes the new ID's value; both
  given with different values are refused naming both. Tools read only the new IDs.

Re-saving an old model step in the modeler drops the hidden value (the modeler does not keep
hidden parameters): set the new parameter then.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterFile,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..algorithms.errors import GeohazardError
from ..algorithms.formats.dates import parse_date_pair
from .io.stacks import expand_file_inputs, expand_raster_inputs, mintpy_stack_path
from .wavelength import HELP as _WAVELENGTH_HELP
from .wavelength import wavelength_parameter

# ------------------------------------------------------------------ one ID per quantity
WAVELENGTH = "WAVELENGTH_M"  #: radar wavelength (m); empty = the inputs' metadata, else Sentinel-1
INCIDENCE, HEADING = "INCIDENCE", "HEADING"  #: one geometry (degrees; heading clockwise from north)
ASC_INCIDENCE, ASC_HEADING = "ASC_INCIDENCE", "ASC_HEADING"  #: first of two geometries
DESC_INCIDENCE, DESC_HEADING = "DESC_INCIDENCE", "DESC_HEADING"  #: second of two geometries
DEM = "DEM"  #: heights (m)
REFERENCE = "REFERENCE"  #: reference point of a stack (a map point; empty = automatic)
COHERENCE_THRESHOLD = "COHERENCE_THRESHOLD"  #: pixel (spatial) coherence gate of the stack tools
MIN_TEMPORAL_COHERENCE = "MIN_TEMPORAL_COHERENCE"  #: temporal-coherence gate (0-1)
DISPERSION_THRESHOLD = "DISPERSION_THRESHOLD"  #: largest amplitude dispersion D_A of a PS
VELOCITY_FIELD, VELOCITY_STD_FIELD = "VELOCITY_FIELD", "VELOCITY_STD_FIELD"  #: point fields (mm/yr)
PIXEL_SIZE, PIXEL_SIZE_KM = "PIXEL_SIZE", "PIXEL_SIZE_KM"  #: output pixel (m; km in the Coulomb dialogs)
SHEAR_MODULUS, POISSON = "SHEAR_MODULUS", "POISSON"  #: elastic medium (Pa; -)


@dataclass(frozen=True)
class Alias:
    """``old_id`` is the former name of ``new_id``; ``factor`` = old unit per new unit (1000 for m -> km)."""

    old_id: str
    new_id: str
    factor: float = 1.0
    old_unit: str = ""
    unit: str = ""  # the new ID's unit (when it differs from old_unit)
    old_minimum: Optional[float] = None  # the former lower bound (in the old unit) when it differed


_LOS_PAIR = (Alias("INCIDENCE_ASC", ASC_INCIDENCE), Alias("HEADING_ASC", ASC_HEADING),
             Alias("INCIDENCE_DESC", DESC_INCIDENCE), Alias("HEADING_DESC", DESC_HEADING))
_DEPTHS_KM = (Alias("TOP_DEPTH", "TOP_DEPTH_KM", 1000.0, "m", "km"),
              Alias("BOTTOM_DEPTH", "BOTTOM_DEPTH_KM", 1000.0, "m", "km", old_minimum=0.001))

#: Former IDs of each tool (tool name -> aliases). The only place they are listed.
FORMER_IDS = {
    "pstimeseries": (Alias("WAVELENGTH", WAVELENGTH), Alias("COHERENCE_THRESHOLD", MIN_TEMPORAL_COHERENCE)),
    "amplitudedispersion": (Alias("THRESHOLD", DISPERSION_THRESHOLD),),
    "slipinversion": _LOS_PAIR,
    "uniformslipinversion": _LOS_PAIR,
    "ascdescdecomposition": (Alias("STD_FIELD", VELOCITY_STD_FIELD), Alias("CELL_SIZE", PIXEL_SIZE)),
    "coulombstress": _DEPTHS_KM + (Alias("PIXEL_SIZE", PIXEL_SIZE_KM, 1000.0, "m", "km", old_minimum=0.01),),
    "coulombonfaults": _DEPTHS_KM,
}

_META = "geohazard_alias"


def aliases_of(tool: str, new_id: str) -> list:
    return [a for a in FORMER_IDS.get(tool, ()) if a.new_id == new_id]


def alias_definition(alg, definition, alias: Alias):
    """Hidden, optional copy of ``definition`` named ``alias.old_id`` (range in the old unit)."""
    old = definition.clone()
    old.setName(alias.old_id)
    unit = f"{alias.old_unit}; " if alias.old_unit else ""
    label = definition.description()
    if alias.old_unit and label.endswith(")") and "(" in label:
        label = label[:label.rindex("(")].rstrip()
    old.setDescription(alg.tr(f"{label} ({unit}former ID of {alias.new_id})"))
    old.setDefaultValue(None)
    old.setFlags(old.flags() | QgsProcessingParameterDefinition.Flag.FlagHidden
                 | QgsProcessingParameterDefinition.Flag.FlagOptional)
    if isinstance(old, QgsProcessingParameterNumber) and alias.factor != 1.0:
        lo, hi = definition.minimum(), definition.maximum()
        old.setMinimum(lo * alias.factor if alias.old_minimum is None else alias.old_minimum)
        if hi < 1e300:
            old.setMaximum(hi * alias.factor)
        old.setMetadata({})
    meta = dict(old.metadata())
    meta[_META] = {"of": alias.new_id, "factor": alias.factor, "old_unit": alias.old_unit, "unit": alias.unit}
    old.setMetadata(meta)
    return old


def with_aliases(alg, definition) -> list:
    """``definition`` (made optional when it has former IDs) followed by the hidden alias definitions."""
    aliases = aliases_of(alg.name(), definition.name())
    if not aliases:
        return [definition]
    definition.setFlags(definition.flags() | QgsProcessingParameterDefinition.Flag.FlagOptional)
    return [definition] + [alias_definition(alg, definition, a) for a in aliases]


def given(parameters, pid) -> bool:
    """True when ``pid`` carries a value (not absent, None or blank)."""
    value = parameters.get(pid)
    return value is not None and not (isinstance(value, str) and not value.strip())


def _show(value, factor) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return repr(value)


def _same(a, b) -> bool:
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    except (TypeError, ValueError):
        return str(a) == str(b)


def resolve_aliases(alg, parameters, context) -> dict:
    """``parameters`` with the value of every former ID given copied to its new ID (converted).

    The former ID stays in the dict (messages can name the ID the user gave: :func:`id_given`).
    Raises :class:`GeohazardError` naming both IDs when the former and the new ID are both given
    with different values."""
    params = dict(parameters)
    for d in alg.parameterDefinitions():
        meta = d.metadata().get(_META)
        if not meta:
            continue
        old_id, new_id, factor = d.name(), meta["of"], float(meta["factor"])
        if not given(params, old_id):
            continue
        value = params[old_id]
        if factor != 1.0:
            value = alg.parameterAsDouble({old_id: value}, old_id, context) / factor
        if given(params, new_id):
            new = params[new_id]
            if factor != 1.0 or isinstance(new, (int, float)):
                new = alg.parameterAsDouble(params, new_id, context)
            if not _same(new, value):
                old_unit = f" {meta['old_unit']}" if meta["old_unit"] else ""
                unit = f" {meta['unit']}" if meta["unit"] else ""
                raise GeohazardError(
                    f"{old_id} = {_show(params[old_id], factor)}{old_unit} and {new_id} = {_show(new, factor)}{unit} "
                    f"disagree; give only {new_id}" + (f" (in{unit})" if unit else "")
                    + f"; {old_id} is its former name" + (f" in{old_unit}" if old_unit else ""))
        params[new_id] = value
    return params


# ------------------------------------------------------------------ shared declarations
#: Options of INPUT_UNITS (the stack tools) and WEIGHTING (sbasinversion, stackingvelocity).
INPUT_UNITS = [
    "Radians, phase grows with range (GAMMA, ISCE, MintPy, LiCSAR, HyP3, SNAP)",
    "Radians, phase grows toward the satellite",
    "Metres of LOS displacement (positive toward the satellite)",
    "Millimetres of LOS displacement (positive toward the satellite)",
]


WEIGHTING = ["None (ordinary least squares, as MintPy -w no)",
             "Coherence-based phase variance (as MintPy -w var)"]


UNITS_HELP = (
    "<b>Input unit / sign</b>: radians with the producer's sign (most processors: phase grows "
    "with range, i.e. positive = away from the satellite; PyRate/GAMMA GeoTIFFs such as the "
    "Mexico City test data follow it), or LOS metres / millimetres positive toward the satellite.\n"
    + _WAVELENGTH_HELP + "\n"
)


def add_los_pair(alg) -> None:
    """LOS_ASC / LOS_DESC displacement rasters (mm) with the incidence and heading of each geometry."""
    from qgis.core import QgsProcessingParameterRasterLayer

    num = QgsProcessingParameterNumber.Type.Double
    for los, inc, head, n, heading, optional in (("LOS_ASC", ASC_INCIDENCE, ASC_HEADING, 1, -12.0, False),
                                                  ("LOS_DESC", DESC_INCIDENCE, DESC_HEADING, 2, 192.0, True)):
        alg.addParameter(QgsProcessingParameterRasterLayer(los, alg.tr(f"LOS displacement {n} (mm)"),
                                                           optional=optional))
        alg.addParameter(QgsProcessingParameterNumber(inc, alg.tr(f"Incidence {n} (degrees)"), num, 37.0,
                                                      minValue=0.001, maxValue=89.999))
        alg.addParameter(QgsProcessingParameterNumber(head, alg.tr(f"Heading {n} (degrees)"), num, heading,
                                                      minValue=-360.0, maxValue=360.0))


def add_stack_parameters(alg, *, mintpy: bool, coherence_label: str = "Coherence rasters or folder"):
    """INTERFEROGRAMS, COHERENCE, (hidden) MINTPY_STACK and WAVELENGTH_M of the stack tools."""
    # the main input is mandatory; a MintPy stack is given as its (single) item. MINTPY_STACK is
    # kept, hidden, for scripts and qgis_process lines written before
    label = "Unwrapped interferograms (rasters, a folder, or a MintPy ifgramStack.h5)" if mintpy else \
        "Unwrapped interferograms (rasters, or a folder)"
    p = QgsProcessingParameterMultipleLayers("INTERFEROGRAMS", alg.tr(label), QgsProcessing.SourceType.TypeRaster)
    alg.addParameter(p)
    alg.addParameter(QgsProcessingParameterMultipleLayers(
        "COHERENCE", alg.tr(coherence_label), QgsProcessing.SourceType.TypeRaster, optional=True))
    if mintpy:
        p = QgsProcessingParameterFile(
            "MINTPY_STACK", alg.tr("MintPy ifgramStack.h5 (instead of rasters)"), extension="h5", optional=True)
        p.setFlags(p.flags() | QgsProcessingParameterDefinition.Flag.FlagHidden)
        alg.addParameter(p)
    alg.addParameter(wavelength_parameter(alg, WAVELENGTH))


def check_stack_parameters(alg, parameters, context, *, mintpy: bool):
    """Cross-parameter checks shared by the tools (folders accepted for raster lists)."""
    skip = {"INTERFEROGRAMS", "COHERENCE", "BASELINES"}
    for d in alg.parameterDefinitions():
        if d.name() in skip or d.isDestination():
            continue
        if not d.checkValueIsAcceptable(parameters.get(d.name()), context):
            return False, alg.tr("Incorrect parameter value for {}").format(d.name())
    try:
        has_h5 = mintpy and bool(mintpy_stack_path(alg, parameters, context))
        ifgs = expand_raster_inputs(alg, parameters, "INTERFEROGRAMS", context, want="ifg")
        if not ifgs and not has_h5:
            return False, ("INTERFEROGRAMS: give a folder or a list of unwrapped interferograms"
                           + (", or a MINTPY_STACK" if mintpy else ""))
        if ifgs and has_h5:
            return False, "give either INTERFEROGRAMS or MINTPY_STACK, not both"
        for p in ifgs:
            parse_date_pair(p)
        expand_raster_inputs(alg, parameters, "COHERENCE", context, want="coh")
        expand_file_inputs(parameters.get("BASELINES"))
    except GeohazardError as exc:
        return False, str(exc)
    return True, ""


def id_given(alg, parameters, new_id: str) -> str:
    """The ID the user gave for ``new_id``: its former ID when that carries the value, else ``new_id``."""
    for a in aliases_of(alg.name(), new_id):
        if given(parameters, a.old_id):
            return a.old_id
    return new_id


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
        "MIN_MEAN_COHERENCE", alg.tr("Minimum mean coherence of an interferogram (0 = keep all)"),
        QgsProcessingParameterNumber.Type.Double, defaultValue=0.0, minValue=0.0, maxValue=1.0))
    alg.addParameter(QgsProcessingParameterString(
        "DROP_PAIRS", alg.tr("Interferograms to drop (YYYYMMDD_YYYYMMDD, comma separated)"), optional=True))
