"""Compressed rasters decoded once per model run.

The steps of a shipped model read the same inputs again (the six steps of Corrected SBAS read one stack's
coherence, most in two passes), and each read of a deflate- or ZSTD-compressed file decodes its tiles anew: on the
practice corrections stack, decoding the 81 coherence files about ten times was a sixth of the model's CPU. Within
:func:`shared_decoded` (the model's run), :func:`window` keeps the whole decoded band of each compressed file a
step reads (up to a quarter of the block memory budget in all, first come; nothing is dropped before the run
ends) and serves every later window of it from there: the same values as a read of the window, as long as the
file is the same (size, modification and change times). Outside a model run it answers nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from typing import Optional

import numpy as np

from ...algorithms.engine import max_memory_bytes, register_thread_context
from .file_parts import compressed
from .probe import file_signature

#: ``{"arrays": {key: whole band}, "plain": keys of uncompressed files, "bytes": held, "cap": most bytes, "lock": ...}``
#: of the model run, else None.
_MODEL_DECODED: contextvars.ContextVar = contextvars.ContextVar("geohazard_model_decoded", default=None)
# the block engine's reading threads serve their reads from the run's copies too
register_thread_context("decoded", _MODEL_DECODED.get, _MODEL_DECODED.set)


@contextlib.contextmanager
def shared_decoded(max_bytes: Optional[int] = None):
    """For the ``with`` body (a model run): compressed bands decoded once, at most ``max_bytes`` in all (default a
    quarter of :func:`~...algorithms.engine.max_memory_bytes`), released at the end."""
    cap = max_memory_bytes() // 4 if max_bytes is None else int(max_bytes)
    state = {"arrays": {}, "plain": set(), "bytes": 0, "cap": cap, "lock": threading.Lock()}
    token = _MODEL_DECODED.set(state)
    try:
        yield state
    finally:
        _MODEL_DECODED.reset(token)
        state["arrays"].clear()


def window(ds, band, path: str, index: int, rows: tuple, cols: tuple) -> Optional[np.ndarray]:
    """The values of band ``index`` of ``path`` (``ds`` open, ``band`` its band) over ``rows`` x ``cols`` as
    ``band.ReadAsArray`` gives them, a copy of the run's decoded band (decoded now if room is left); None outside a
    model run, for an uncompressed file (read straight from it, nothing to save) or when the run's share is full."""
    state = _MODEL_DECODED.get()
    if state is None:
        return None
    signature = file_signature(path)
    if signature is None:
        return None
    key = (path, signature, int(index))
    with state["lock"]:
        whole = state["arrays"].get(key)
        if whole is None:
            if key in state["plain"] or not compressed(ds):
                state["plain"].add(key)
                return None
            nbytes = band.XSize * band.YSize * max(1, np.dtype(_numpy_type(band)).itemsize)
            if state["bytes"] + nbytes > state["cap"]:
                return None
            state["bytes"] += nbytes
    if whole is None:
        try:
            whole = band.ReadAsArray()
        finally:
            if whole is None:  # a failed read (raised, or None with GDAL's exceptions off) gives its share back
                with state["lock"]:
                    state["bytes"] -= nbytes
        if whole is None:
            return None  # the caller's own read meets the error as before
        whole.flags.writeable = False
        with state["lock"]:
            whole = state["arrays"].setdefault(key, whole)
    return np.array(whole[rows[0]:rows[1], cols[0]:cols[1]])  # the caller converts it in place


def _numpy_type(band):
    from osgeo import gdal_array

    return gdal_array.GDALTypeCodeToNumericTypeCode(band.DataType) or np.float64
