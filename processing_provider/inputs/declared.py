"""What a tool's declaration adds to its parameters (the decimals a number shows), and the declaration made once a
session and copied into each later instance of the tool's class.

QGIS makes a new instance of a model's step each time it copies the step (a run of the Corrected SBAS model makes
150-180: the expression variables of each step hold the other steps' outputs by value), and the toolbox's dialog and
``qgis_process`` make theirs. The first instance of a tool class made after the provider's listing records what its
``initAlgorithm`` declares (:meth:`..tools._base.GeohazardAlgorithm.addParameter` and ``addOutput`` report to it);
each later instance gets copies of those definitions, in the same order, instead of declaring them again (its
labels translated, help looked up in the tool's help, decimals set, former IDs added)."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingAlgorithm,
    QgsProcessingOutputFile,
    QgsProcessingOutputFolder,
    QgsProcessingOutputHtml,
    QgsProcessingOutputMultipleLayers,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterNumber,
)

from ..lazy import listing
from .declare import ReportOutput


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

#: Output classes a tool adds itself (``addOutput``), made again from their name and description alone.
_PLAIN_OUTPUTS = (QgsProcessingOutputMultipleLayers, QgsProcessingOutputNumber, QgsProcessingOutputString,
                  QgsProcessingOutputHtml, QgsProcessingOutputFile, QgsProcessingOutputFolder, ReportOutput)


class Declared:
    """What a tool's ``initAlgorithm`` declared, in order: its parameters (kept as copies of their final state) and
    the outputs it added, to give a new instance of the same class the same definitions without running it again.

    QGIS makes a new instance of a model's step each time it copies the step (a run of a model copies each step
    some twenty times: its expression variables take each earlier step's outputs by value), and the toolbox, the
    dialog and ``qgis_process`` make theirs: each instance gets copies (``clone``, which every parameter class of
    the plugin implements) of one declaration per tool class and session. A class whose declaration cannot be
    copied that way (a refused parameter, an output of another class) declares afresh each time."""

    def __init__(self):
        self.steps: list = []  # ("parameter", create its output) or ("output", class, name, description)
        self.parameters: list = []
        self.ok = True

    def parameter(self, create: bool) -> None:
        self.steps.append(("parameter", create))

    def output(self, definition) -> None:
        if type(definition) not in _PLAIN_OUTPUTS:
            self.ok = False
        self.steps.append(("output", type(definition), definition.name(), definition.description()))

    def refuse(self) -> None:
        self.ok = False

    def kept(self, alg) -> bool:
        """Keep copies of ``alg``'s parameters as declared; False when the declaration cannot be replayed."""
        definitions = alg.parameterDefinitions()
        if not self.ok or len(definitions) != sum(1 for s in self.steps if s[0] == "parameter"):
            return False
        self.parameters = [_copy(d) for d in definitions]
        return all(type(c) is type(d) for c, d in zip(self.parameters, definitions))

    def replay(self, alg) -> None:
        """Give ``alg`` (a new instance of the class) the parameters and outputs declared, in the same order."""
        parameters = iter(self.parameters)
        for step in self.steps:
            if step[0] == "parameter":
                QgsProcessingAlgorithm.addParameter(alg, _copy(next(parameters)), step[1])
            else:
                QgsProcessingAlgorithm.addOutput(alg, step[1](step[2], step[3]))


def _copy(definition):
    """A copy of a parameter definition: its ``clone``, with what the plugin's parameter classes do not pass to their
    constructor (whether a destination may be a memory layer, which QGIS sets from the provider) set as it is."""
    copy = definition.clone()
    if definition.isDestination():
        copy.setSupportsNonFileBasedOutput(definition.supportsNonFileBasedOutput())
    return copy


#: ``{tool class: Declared}``: each tool class's declaration, made once a session by the first instance made after
#: the provider's listing (the listing makes one instance a tool, its help texts built on first read left unbuilt)
DECLARED: dict = {}


def declare_once(alg, config, declare) -> None:
    """``declare()`` (the tool's ``initAlgorithm``, its stack and run-wide parameters with it) for the first instance
    of ``alg``'s class, its declaration kept; a copy of the declaration for the later ones. An instance made with a
    configuration (a model step's), or while the provider lists its tools (help texts built on first read left
    unbuilt), declares afresh."""
    key = None if config or listing() else type(alg)
    declared = DECLARED.get(key) if key else None
    if declared is not None:
        declared.replay(alg)
        return
    alg._declaring = Declared() if key else None
    try:
        declare()
        if key and alg._declaring.kept(alg):
            DECLARED[key] = alg._declaring
    finally:
        alg._declaring = None
