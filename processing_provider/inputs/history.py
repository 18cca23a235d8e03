"""The processing history of a run: one line naming the tool, the plugin's version and the parameters that
shape the result, appended to the history the inputs carry. No clock time: the same run writes the same
bytes (the file's own dates say when)."""

from __future__ import annotations

from ...fileio.base.metadata import inherited_history, plugin_version
from . import knobs
from .guard import input_files

#: Parameter types written into the history (files, layers and outputs are not: the history is about how,
#: the file names say what).
_SCALAR_TYPES = ("number", "distance", "enum", "boolean", "string", "datetime", "range", "point", "crs", "field",
                 "extent", "scale", "duration")
_RUN_KNOBS = (knobs.MAX_MEMORY_MB, knobs.DASK_SCHEDULER, knobs.THREADS)


def _value_text(d, value) -> str:
    if d.type() == "enum":
        options = d.options()
        picks = value if isinstance(value, (list, tuple)) else [value]
        words = []
        for v in picks:
            try:
                words.append(str(options[int(v)]))
            except (TypeError, ValueError, IndexError):
                words.append(str(v))
        return "+".join(words)
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def history_step(alg, parameters, used=None) -> str:
    """``geohazard:<tool> <version>: ID=value; ...`` for the scalar parameters this run was given; ``used``
    (``{ID: text}``) replaces the value of a parameter the run did not take as given (a default replaced by the
    inputs' metadata: ``INCIDENCE=39.7 (metadata: v.tif INCIDENCE_DEG)``, not the default 37)."""
    used = dict(used or {})
    parts = []
    for d in alg.parameterDefinitions():
        name = d.name()
        if d.isDestination() or d.type() not in _SCALAR_TYPES or name in _RUN_KNOBS \
                or d.metadata().get("geohazard_alias"):
            continue
        if name in used:
            parts.append(f"{name}={used.pop(name)}")
            continue
        value = parameters.get(name)
        if value is None or value == "":
            continue
        parts.append(f"{name}={_value_text(d, value)}")
    parts += [f"{name}={text}" for name, text in used.items()]
    version = plugin_version()
    head = f"geohazard:{alg.name()}" + (f" {version}" if version else "")
    return head + (": " + "; ".join(parts) if parts else "")


def history(alg, parameters, context, used=None) -> list:
    """The inputs' history with this run's step appended (``used``: :func:`history_step`)."""
    return inherited_history(list(input_files(alg, parameters, context))) + [history_step(alg, parameters, used)]
