"""Reads of the time-series dock on a worker thread, their results delivered to the GUI thread by a signal.

A pick reads one pixel on every band of one or several rasters: on a series written in large tiles that decodes
hundreds of MB (every tile of every band) and the map, the dock and QGIS froze for seconds. The dock hands such a
read to :class:`BackgroundReads` (plain values in, series out: the read never touches a layer or the project) and
goes on; the result comes back through :attr:`BackgroundReads.finished`, a queued connection, so the callback runs
in the GUI thread, in the order the reads were asked for.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from qgis.PyQt.QtCore import QCoreApplication, QEventLoop, QObject, pyqtSignal

from ..fileio.base.probe import c_error_handler


class BackgroundReads(QObject):
    """One worker thread running reads in order; ``submit(read, done)`` returns at once, ``done(result, error)`` is
    called later in the GUI thread (``error``: the exception the read raised, else None)."""

    finished = pyqtSignal(int, object, object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="geohazard-dock-read")
        self._callbacks: dict = {}
        self._next = 0
        self.finished.connect(self._deliver)

    def submit(self, read, done) -> int:
        token = self._next
        self._next += 1
        self._callbacks[token] = done
        self._pool.submit(self._run, token, read)
        return token

    def _run(self, token: int, read) -> None:
        try:
            with c_error_handler():  # GDAL's messages of this thread never enter QGIS's handler (and its log's slots)
                result, error = read(), None
        except Exception as exc:  # noqa: BLE001 - handed to the GUI thread, which shows or raises it
            result, error = None, exc
        self.finished.emit(token, result, error)

    def _deliver(self, token: int, result, error) -> None:
        done = self._callbacks.pop(token, None)
        if done is not None:
            done(result, error)

    def pending(self) -> int:
        """Reads asked for whose result has not been delivered yet."""
        return len(self._callbacks)

    def wait(self, timeout_s: float = 60.0) -> bool:
        """Process events until every read is delivered (scripts and tests); False on timeout."""
        end = time.monotonic() + timeout_s
        while self._callbacks and time.monotonic() < end:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.002)
        return not self._callbacks

    def shutdown(self) -> None:
        """Forget the reads not delivered yet and let the worker end (a read under way finishes on its own)."""
        self._callbacks.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)
