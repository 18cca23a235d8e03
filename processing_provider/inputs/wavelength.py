"""The wavelength parameter's value and its one rule (see algorithms/formats/wavelength.py).

Every tool that converts phase to millimetres declares its wavelength with
:func:`.declare.wavelength_parameter` (optional, empty = "from the inputs' metadata, else Sentinel-1") and
gets the value with :func:`resolve_wavelength`, which logs which value was used and where it came from.
"""

from __future__ import annotations

from typing import Iterable, Optional

from ...algorithms.formats.wavelength import WavelengthChoice
from ...fileio.base.metadata import wavelength_choice
from .aliases import given
from .feedback import FeedbackProgress


def user_wavelength(alg, parameters, pid: str, context) -> Optional[float]:
    """The value the user gave, or ``None`` when the parameter is empty."""
    return alg.parameterAsDouble(parameters, pid, context) if given(parameters, pid) else None


def resolve_wavelength(alg, parameters, pid: str, context, feedback, *, rasters: Iterable[str] = (),
                       attributes: Iterable = ()) -> WavelengthChoice:
    """Apply the rule to ``pid`` and the metadata of ``rasters`` / ``attributes`` and log it.

    ``attributes`` are ``(name, mapping)`` pairs (e.g. a MintPy file's attributes).
    """
    return wavelength_choice(user_wavelength(alg, parameters, pid, context), rasters=rasters, attributes=attributes,
                             parameter=pid, log=FeedbackProgress(feedback))
