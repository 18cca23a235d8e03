"""Progress and cancellation protocol used by long core functions.

The core never imports QGIS. A long function takes an optional ``progress`` object
with two methods and calls them between blocks:

* ``set_progress(percent: float)`` — 0..100;
* ``is_canceled() -> bool``.

The Processing layer passes an adapter around ``QgsProcessingFeedback``; scripts may
pass nothing (:data:`NULL_PROGRESS` is used) or their own object. Warnings about data
that are not fatal (pixels with too few interferograms, dropped pairs) go through the
optional ``push_warning(message)`` / ``push_info(message)`` methods when present.
"""

from __future__ import annotations

from typing import Iterator, Optional, Protocol, runtime_checkable

from .errors import OperationCanceled


@runtime_checkable
class Progress(Protocol):
    def set_progress(self, percent: float) -> None: ...

    def is_canceled(self) -> bool: ...


class NullProgress:
    """Progress sink that ignores everything and is never canceled."""

    def set_progress(self, percent: float) -> None:
        pass

    def is_canceled(self) -> bool:
        return False

    def push_warning(self, message: str) -> None:
        pass

    def push_info(self, message: str) -> None:
        pass


NULL_PROGRESS = NullProgress()


class SubProgress:
    """Maps 0..100 of a sub-task onto ``start..end`` of a parent progress."""

    def __init__(self, parent: Optional[Progress], start: float, end: float):
        self._parent = parent or NULL_PROGRESS
        self._start = float(start)
        self._span = float(end) - float(start)

    def set_progress(self, percent: float) -> None:
        self._parent.set_progress(self._start + self._span * min(max(percent, 0.0), 100.0) / 100.0)

    def is_canceled(self) -> bool:
        return self._parent.is_canceled()

    def push_warning(self, message: str) -> None:
        warn(self._parent, message)

    def push_info(self, message: str) -> None:
        info(self._parent, message)


def ensure(progress: Optional[Progress]) -> Progress:
    """Return ``progress`` or the null sink when it is ``None``."""
    return NULL_PROGRESS if progress is None else progress


def check_canceled(progress: Optional[Progress]) -> None:
    """Raise :class:`OperationCanceled` when ``progress`` reports a cancel request."""
    if progress is not None and progress.is_canceled():
        raise OperationCanceled("canceled by the user")


def warn(progress: Optional[Progress], message: str) -> None:
    """Report a non-fatal data problem through ``progress`` when it can take one."""
    fn = getattr(progress, "push_warning", None)
    if fn is not None:
        fn(message)


def info(progress: Optional[Progress], message: str) -> None:
    """Report an informative message through ``progress`` when it can take one."""
    fn = getattr(progress, "push_info", None)
    if fn is not None:
        fn(message)


def iter_blocks(
    n_rows: int,
    block_rows: int,
    *,
    overlap: int = 0,
    progress: Optional[Progress] = None,
) -> Iterator[tuple[int, int, int, int]]:
    """Yield row blocks ``(read_start, read_stop, core_start, core_stop)``.

    ``core_start:core_stop`` are the rows a block is responsible for writing;
    ``read_start:read_stop`` add up to ``overlap`` rows on each side for kernels that
    need neighbours (slope, windows). Progress is set and cancellation checked before
    each block, so a cancel request stops work between blocks.
    """
    if block_rows < 1:
        raise ValueError(f"block_rows must be >= 1, got {block_rows}")
    n_blocks = max(1, -(-n_rows // block_rows))
    for i, core_start in enumerate(range(0, n_rows, block_rows)):
        check_canceled(progress)
        if progress is not None:
            progress.set_progress(100.0 * i / n_blocks)
        core_stop = min(core_start + block_rows, n_rows)
        yield (max(0, core_start - overlap), min(n_rows, core_stop + overlap), core_start, core_stop)
    if progress is not None:
        progress.set_progress(100.0)
