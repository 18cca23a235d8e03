"""Adapter from ``QgsProcessingFeedback`` to the core's progress protocol."""

from __future__ import annotations

from qgis.core import QgsProcessingFeedback


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
            self._feedback.setProgress(self._start + self._span * percent / 100.0)

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
