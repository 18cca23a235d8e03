"""What a producer module declares as its ``PRODUCER``: its name, how it recognises a file, and its readers.
:mod:`.producers` lists them in the order they are tried; detection and dispatch iterate that list.

A producer has a stack reader (interferograms: a folder, zips or files given to a stack parameter, recognised
entry by entry with ``claims``), an HDF5 layer reader (a dated raster of an open HDF5 file, recognised with
``claims_h5``), or both. Pure Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

#: The refusal of ``wrapped`` (the unwrapping tool's input) by a producer whose files hold unwrapped phase or
#: displacement only; ``{name}`` is the producer's.
WRAPPED_PRODUCT = ("{name} products hold unwrapped phase or displacement, no wrapped phase: give them to the stack "
                   "tools' INTERFEROGRAMS")
#: The same for the stacks whose wrapped phase is not read.
WRAPPED_STACK = ("{name} stacks are read for their unwrapped interferograms (give them to the stack tools' "
                 "INTERFEROGRAMS); their wrapped phase is not read here")


#: What ``claims`` returns for an entry named as the producer's that is not one of its stack files: no later
#: producer claims it either (falsy: it makes no stack).
class _Reserved:
    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "RESERVED"


RESERVED = _Reserved()


class Listing:
    """The entries given to one stack parameter, for the recognisers that look beyond one entry (a GAMMA ``.unw``
    is a stack's only beside a parameter file): :meth:`any` answers once per question."""

    def __init__(self, entries: list):
        self.entries = entries
        self._any: dict = {}

    def any(self, test: Callable) -> bool:
        """Whether ``test(entry)`` holds for any entry (computed once per ``test``)."""
        if test not in self._any:
            self._any[test] = any(test(e) for e in self.entries)
        return self._any[test]


@dataclass(frozen=True)
class Producer:
    """One producer's declaration.

    name
        As the messages and :attr:`StackSpec.producer` name it (``"LiCSAR"``, ``"HyP3"``, ``"MintPy"`` ...).
    claims
        ``claims(entry, listing) -> bool``: the entry is a file of this producer's stack. It may raise a
        :class:`GeohazardError` for a file named as the producer's but not as it delivers them.
    read_stack
        ``read_stack(entries, roots, wrapped) -> StackSpec``: the stack of the entries (``roots``: the folders
        given; ``wrapped``: the wrapped phase instead of the unwrapped).
    wrapped_refusal
        When set, ``wrapped`` is refused with this message (``{name}`` filled) before ``read_stack`` is called.
    claims_alone
        ``claims_alone(entry) -> bool``: an entry that makes the stack this producer's only when no producer
        claimed any entry (SNAP's ``.dim`` headers without their ``.data`` folders: the SNAP walk names them).
    container_name
        ``container_name(basename) -> bool``: a raster-extension file (netCDF) that holds a whole product and is
        read by the stack reader, not as one raster by its name.
    claims_h5
        ``claims_h5(f, basename, attrs) -> bool``: the open HDF5 file ``f`` (root attributes ``attrs`` as text) is
        this producer's result.
    read_h5_layer
        ``read_h5_layer(f, path, label, found, dataset, purpose) -> DatedLayer``: one dataset of it as a layer
        (``found``: the 2-D/3-D datasets at its root).
    radar_hint
        How the producer's stacks are geocoded: what the refusal of a stack in radar coordinates tells the user.
    """

    name: str
    claims: Optional[Callable] = None
    read_stack: Optional[Callable] = None
    wrapped_refusal: Optional[str] = None
    claims_alone: Optional[Callable] = None
    container_name: Optional[Callable] = None
    claims_h5: Optional[Callable] = None
    read_h5_layer: Optional[Callable] = None
    radar_hint: Optional[str] = None

    @property
    def reads_stacks(self) -> bool:
        return self.claims is not None and self.read_stack is not None

    @property
    def reads_h5_layers(self) -> bool:
        return self.claims_h5 is not None and self.read_h5_layer is not None
