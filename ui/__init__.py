"""GUI parts (dock widgets, dialogs). No maths here.

A GUI part is a class taking ``iface`` with ``init_gui()`` and ``unload()``; list it in
:func:`gui_parts` so the plugin adds it on ``initGui`` and removes it on ``unload``.
"""
from .kernels import KernelsPart
from .optional_notice import OptionalPackagesPart
from .temporal import TemporalBandsPart
from .timeseries_viewer import TimeSeriesViewerPart


def gui_parts() -> list:
    """Classes of the GUI parts the plugin installs, in order."""
    return [TimeSeriesViewerPart, TemporalBandsPart, KernelsPart, OptionalPackagesPart]
