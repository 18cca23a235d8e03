"""Stacks of interferograms as their producers deliver them, walked into plain specs (files, dates, wavelength,
geometry, baselines, what was left out and why).

:func:`read_stack_items` takes what a user gives a stack parameter (folders, zips, files, or the list QGIS's
"Add Directory..." makes of a whole tree; listed by :mod:`.listing`) and returns a :class:`StackSpec` when the
items are one producer's product, or None when they are plain rasters (read as before, by their names). The
producer is the first of :data:`.producers.PRODUCERS` that claims an entry; its stack reader makes the spec. Zips
are read in place: their rasters are named as GDAL virtual paths (``/vsizip/<zip>/<member>``).

Pure Python (no GDAL): the rasters' grids, data types and E/N/U values are read by ``fileio/formats/products.py``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Optional

from ..errors import GeohazardError
from . import producers
from .listing import item_entries
from .stack_spec import StackSpec

__all__ = ["StackSpec", "item_entries", "producer_of", "read_stack_items", "summarise_left_out"]


# ------------------------------------------------------------------ which producer
def producer_of(entries: list) -> Optional[str]:
    """The name of the producer whose stack files the entries hold (the first of :data:`.producers.PRODUCERS` that
    claims an entry: LiCSAR, HyP3, ARIA, NISAR, OPERA, ISCE2, GMTSAR, SNAP, GAMMA, ROI_PAC), None for plain rasters
    (a GAMMA stack needs a DEM/MAP or image parameter file).

    Raises
    ------
    GeohazardError
        When the entries mix two producers' products (both named).
    """
    producer = producers.stack_producer(entries)
    return producer.name if producer is not None else None


def read_stack_items(items, *, name: str = "INTERFEROGRAMS", wrapped: bool = False) -> Optional[StackSpec]:
    """The :class:`StackSpec` of a product given as ``items`` (folders, zips, files), or None for plain rasters.

    ``wrapped``: the pairs' wrapped phase instead of their unwrapped phase (the unwrapping tool's input: LiCSAR's
    ``.geo.diff_pha.tif``, HyP3's ``_wrapped_phase.tif``), in :attr:`PairSpec.unw`.

    Raises
    ------
    GeohazardError
        Naming ``name`` and the file: a zip that is not complete, two producers or two frames mixed, a pair given
        twice, a product with no interferogram.
    """
    broken: list = []
    spec = None
    try:
        entries, roots = item_entries(items, broken)
        producer = producers.stack_producer(entries)
        if producer is not None:
            spec = producers.read_stack(producer, entries, roots, wrapped)
    except GeohazardError as exc:
        raise GeohazardError(f"{name}: {exc}") from None
    if broken and spec is None:
        raise GeohazardError(f"{name}: {broken[0]}")
    if spec is not None:
        spec.warnings += [f"left out: {b}" for b in broken]
    return spec


def summarise_left_out(left_out: list, limit: int = 3) -> list:
    """One log line per reason: ``"<n> file(s) <reason>: a, b, c ..."``."""
    by: OrderedDict = OrderedDict()
    for rel, why in left_out:
        by.setdefault(why, []).append(rel)
    return [f"left out {len(v)} file(s), {why}: " + ", ".join(v[:limit]) + (" ..." if len(v) > limit else "")
            for why, v in by.items()]
