"""A tool's run, as its fileio function takes and gives it.

A tool reads its parameters into a job (a frozen dataclass of plain values: paths, numbers, WKB, the run-wide
:class:`~.blocks.RunSettings`; where the run needs what only the provider can make, such as a feature sink, a
callable that makes it), built by keyword, and calls its floor's ``run(job, progress=...)`` once
(``fileio/<group>/<tool ID>.py``); the block loops, the memory model and the outputs live there. ``run`` returns an
:class:`Outcome`: the outputs written, keyed by output ID, the numbers a tool returns, and the one-line notes the
tool logs (and keeps for a model's summary).

What a run opens is closed when it ends, however it ends: readers that keep files open across blocks register with
:func:`close_with_run`, and the exception of a refused run lets go of its frames (:func:`released`)."""

from __future__ import annotations

import contextlib
import contextvars
import traceback
import weakref
from dataclasses import dataclass, field


@dataclass
class Outcome:
    """What a run wrote and said: ``outputs`` ``{output ID: path}`` of the outputs written, ``values`` ``{output ID:
    value}`` of the values it returns (numbers, a text, a table), ``notes`` the summary lines for the log,
    ``geometry`` the acquisition geometry the run used that its raster outputs carry (a tool's ``carry_geometry``:
    ``dates={date: m}`` ...)."""

    outputs: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    geometry: dict = field(default_factory=dict)


#: What the tool run in progress opened and closes when it ends (weak references; None outside a run).
_RUN_OPENED: contextvars.ContextVar = contextvars.ContextVar("geohazard_run_opened", default=None)


@contextlib.contextmanager
def closed_after_run():
    """The body is a tool run: what it registers with :func:`close_with_run` is closed when the body ends."""
    token = _RUN_OPENED.set([])
    try:
        yield
    finally:
        opened = _RUN_OPENED.get()
        _RUN_OPENED.reset(token)
        for ref in reversed(opened):
            item = ref()
            if item is not None:
                item.close()


def close_with_run(item) -> None:
    """``item.close()`` called when the tool run in progress ends (done, refused or canceled), whoever still holds
    ``item`` then (the frames of a refused run's exception, which QGIS keeps); nothing outside a run."""
    opened = _RUN_OPENED.get()
    if opened is not None:
        opened.append(weakref.ref(item))


def released(exc: BaseException) -> BaseException:
    """``exc`` with the local variables of the finished frames of its traceback, and of the exceptions it was raised
    from, let go (the text of the traceback is kept: files, lines, functions).

    An exception that leaves a tool holds every frame it went through, and those frames hold the run's datasets,
    layers and context. QGIS keeps each exception a Python ``processAlgorithm`` raises for the rest of the session
    (a reference its error handler never gives back), so without this each refused run would keep its inputs open:
    one GeoPackage or GeoTIFF descriptor or more per refusal, until the process ends."""
    seen = set()
    e = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        traceback.clear_frames(e.__traceback__)
        e = e.__cause__ or e.__context__
    return exc
