"""Adapter from ``QgsProcessingFeedback`` to the core's progress protocol."""

from __future__ import annotations

import threading

from qgis.core import QgsProcessingFeedback

#: feedback -> :class:`CompilationShare` while a first run compiles numba kernels under it
_COMPILING: dict = {}


class CompilationShare:
    """The progress bar of a run that compiles numba kernels (first run on a machine): compiling moves it.

    The bar shows ``p + (100 - p) * SHARE * done / total``, with ``p`` the tool's own progress (0..100) and
    ``done`` the weight of the kernels compiled (``total`` all of them: a run compiles those it calls only), so
    each compiled kernel advances the bar while the first block, which compiles them, reports nothing, and the
    tool's progress still ends it at 100. While a kernel compiles, :meth:`compiling_tick` (called at a fixed
    interval) creeps ``done`` toward ``total``: one large kernel can compile for seconds. Never moves backwards."""

    #: part of the bar left above the tool's progress that the compilation of every kernel would take
    SHARE = 0.4
    #: part of what is left of the compilation's share that each tick of a kernel still compiling takes
    TICK_STEP = 0.05

    def __init__(self, feedback, total: float):
        self._feedback, self._total, self._compiled = feedback, max(float(total), 1e-9), 0.0
        self._tool = self._shown = self._partial = 0.0
        self._lock = threading.RLock()  # a slot called at once (same thread) may report the tool's progress

    def tool_progress(self, percent: float) -> None:
        """The tool reports ``percent`` (0..100 of its bar)."""
        self._show(tool=float(percent))

    def kernel_compiled(self, weight: float = 1.0) -> None:
        """A kernel of ``weight`` (in the units of ``total``) is compiled."""
        self._show(compiled=float(weight))

    def compiling_tick(self) -> None:
        """A kernel is still compiling."""
        self._show(creep=self.TICK_STEP)

    def _show(self, tool=None, compiled=0.0, creep=0.0):
        with self._lock:
            if tool is not None:
                self._tool = tool
            if compiled:
                # the kernel done takes what the creep showed ahead of the compiled weight, up to its own weight
                self._compiled = min(self._compiled + compiled, self._total)
                self._partial = max(0.0, self._partial - compiled)
            self._partial += max(self._total - self._compiled - self._partial, 0.0) * creep
            done = min(self._compiled + self._partial, self._total)
            value = self._tool + (100.0 - self._tool) * self.SHARE * done / self._total
            if value <= self._shown:
                return
            self._shown = value
            # emitted under the lock: the compiling thread and the ticker post in the order the values grow
            self._feedback.setProgress(value)


def compilation_share(feedback, share: CompilationShare):
    """Route the progress that :class:`FeedbackProgress` reports on ``feedback`` through ``share`` until the
    returned callable is called."""
    key = id(feedback)
    outer = _COMPILING.get(key)  # a tool running another one on the same feedback: given back at the end
    _COMPILING[key] = share

    def end():
        if _COMPILING.get(key) is share:
            if outer is None:
                del _COMPILING[key]
            else:
                _COMPILING[key] = outer

    return end


class FeedbackProgress:
    """Implements ``set_progress``/``is_canceled``/``push_warning``/``push_info`` on a feedback.

    ``start``/``end`` map the core's 0..100 onto a part of the tool's progress bar.
    """

    def __init__(self, feedback: QgsProcessingFeedback | None, start: float = 0.0, end: float = 100.0):
        self._feedback = feedback
        self._start = start
        self._span = end - start

    def set_progress(self, percent: float) -> None:
        if self._feedback is not None:
            value = self._start + self._span * percent / 100.0
            share = _COMPILING.get(id(self._feedback))
            if share is not None:
                share.tool_progress(value)
            else:
                self._feedback.setProgress(value)

    def is_canceled(self) -> bool:
        return bool(self._feedback is not None and self._feedback.isCanceled())

    def push_warning(self, message: str) -> None:
        if self._feedback is not None:
            self._feedback.pushWarning(message)

    def push_info(self, message: str) -> None:
        if self._feedback is not None:
            self._feedback.pushInfo(message)

    def set_text(self, text: str) -> None:
        """The text above the progress bar (what is being done)."""
        if self._feedback is not None:
            self._feedback.setProgressText(text)
