"""Adapter from ``QgsProcessingFeedback`` to the core's progress protocol."""

from __future__ import annotations

import threading

from qgis.core import QgsProcessingFeedback

#: feedback -> :class:`CompilationShare` while a first run compiles numba kernels under it
_COMPILING: dict = {}


class CompilationShare:
    """The progress bar of a run that compiles numba kernels (first run on a machine): compiling moves it.

    The bar shows ``p + (100 - p) * SHARE * compiled / total``, with ``p`` the tool's own progress (0..100):
    each compiled kernel advances it while the first block, which compiles them, reports nothing, and the
    tool's progress still ends it at 100. Never moves backwards. ``total`` is the number of kernels that may
    compile (a run compiles those it calls only)."""

    #: part of the bar left above the tool's progress that the compilation of every kernel would take
    SHARE = 0.4

    def __init__(self, feedback, total: int):
        self._feedback, self._total, self._compiled = feedback, max(int(total), 1), 0
        self._tool = self._shown = self._partial = 0.0
        self._lock = threading.Lock()

    def tool_progress(self, percent: float) -> None:
        """The tool reports ``percent`` (0..100 of its bar)."""
        self._show(tool=float(percent))

    #: part of one kernel's share each compiler pass takes of what is left of it (numba runs tens of passes per
    #: function, hundreds for a parallel kernel and the functions it calls): the bar creeps while one large kernel
    #: compiles, never past that kernel's share, and jumps to the share's end when the kernel is done
    PASS_STEP = 0.02

    def kernel_compiled(self) -> None:
        self._show(compiled=1)

    def compiler_pass(self) -> None:
        """numba ran one compiler pass of the kernel being compiled."""
        self._show(passed=True)

    def _show(self, tool=None, compiled=0, passed=False):
        with self._lock:
            if tool is not None:
                self._tool = tool
            if compiled:
                self._partial = 0.0
            elif passed:
                self._partial += (1.0 - self._partial) * self.PASS_STEP
            self._compiled = min(self._compiled + compiled, self._total)
            done = min(self._compiled + self._partial, self._total)
            value = self._tool + (100.0 - self._tool) * self.SHARE * done / self._total
            # a pass moves the bar by a fraction of a percent: shown once it adds a tenth of a percent
            if value <= self._shown or (passed and value < self._shown + 0.1):
                return
            self._shown = value
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
