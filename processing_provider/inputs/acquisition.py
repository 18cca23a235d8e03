"""The acquisition geometry's parameters and their one rule (see algorithms/formats/geometry_meta.py).

A tool that needs a scene value (incidence, heading, slant range) gets it with :func:`resolve_geometry`: the
value the user gave > the inputs' metadata > the tool's default, logged with its source, and a given value
that contradicts the metadata is a warning naming both. A number parameter left at its declared default
counts as not given (the dialog always sends a number, and the defaults of the public parameters are kept for
the scripts that rely on them): the inputs' metadata wins over a default, never over a value the user changed.
"""

from __future__ import annotations

from typing import Iterable, Optional

from ...algorithms.formats.geometry_meta import Choice
from ...io.metadata import geometry_choice
from .aliases import given
from .feedback import FeedbackProgress


def user_number(alg, parameters, pid: str, context) -> Optional[float]:
    """The number the user gave for ``pid``; ``None`` when it is empty or at the parameter's declared default."""
    if not given(parameters, pid):
        return None
    value = alg.parameterAsDouble(parameters, pid, context)
    default = alg.parameterDefinition(pid).defaultValue()
    try:
        if default is not None and float(default) == value:
            return None
    except (TypeError, ValueError):
        pass
    return value


def resolve_geometry(alg, parameters, pid: str, context, feedback, key: str, *, rasters: Iterable[str] = (),
                     attributes: Iterable = (), default: Optional[float] = None, default_label: str = "default",
                     why_needed: str = "") -> Choice:
    """Apply the geometry rule to the scene value ``key`` (``INCIDENCE_DEG`` ...) of parameter ``pid`` and the
    metadata of ``rasters`` / ``attributes``, log it, and record the value for the run's outputs to carry."""
    choice = geometry_choice(key, user_number(alg, parameters, pid, context), rasters=rasters,
                             attributes=attributes, parameter=pid, default=default, default_label=default_label,
                             why_needed=why_needed, log=FeedbackProgress(feedback))
    if choice.from_metadata and given(parameters, pid):
        at_default = alg.parameterAsDouble(parameters, pid, context)
        if at_default != choice.value:
            FeedbackProgress(feedback).push_info(
                f"{pid} is at its default ({at_default:g}), which stands for 'not given': the value the inputs "
                f"carry ({choice.value:.10g}) is used; type another value to override it")
    carry = getattr(alg, "carry_geometry", None)
    if carry is not None and (choice.from_metadata or choice.source.startswith("given")):
        carry(**{key: choice.value})
    return choice
