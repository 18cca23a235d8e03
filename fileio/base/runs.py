"""A tool's run, as its fileio function takes and gives it.

A tool reads its parameters into a job (a frozen dataclass of plain values: paths, numbers, WKB, the run-wide
:class:`~.blocks.RunSettings`; where the run needs what only the provider can make, such as a feature sink, a
callable that makes it), built by keyword, and calls its floor's ``run(job, progress=...)`` once
(``fileio/<group>/<tool ID>.py``); the block loops, the memory model and the outputs live there. ``run`` returns an
:class:`Outcome`: the outputs written, keyed by output ID, the numbers a tool returns, and the one-line notes the
tool logs (and keeps for a model's summary)."""

from __future__ import annotations

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
