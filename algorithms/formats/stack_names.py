"""Which files of a folder (or of a list made by QGIS's "Add Directory...") belong to a stack of
interferograms or coherence rasters, read from their names: the raster extensions, the ``unw`` and coherence
words, and the date pair (:func:`~.dates.parse_date_pair`)."""

from __future__ import annotations

import os
import re

from ..errors import GeohazardError
from .dates import parse_date_pair

#: Extensions of the raster files a folder given as a raster-list input contributes (sidecars such as .aux.xml
#: are not rasters).
RASTER_EXT = (".tif", ".tiff", ".vrt", ".img", ".grd", ".nc", ".unw", ".cor", ".int", ".bil", ".cc", ".coh")

_COH_RE = re.compile(r"(^|[_.\-])(cc|coh|cor|corr|coherence)([_.\-]|$)", re.I)


_UNW_RE = re.compile(r"unw", re.I)


def has_date_pair(path: str) -> bool:
    try:
        parse_date_pair(path)
    except GeohazardError:
        return False
    return True


def is_coherence_file(path: str) -> bool:
    """A coherence raster by its name: a ``cc``/``coh``/``cor``/``corr``/``coherence`` word (HyP3's ``_corr.tif``), or
    such an extension."""
    return bool(_COH_RE.search(os.path.basename(path)))


def _pairs_a_date_with_itself(path: str) -> bool:
    try:
        parse_date_pair(path)
    except GeohazardError as exc:
        return "with itself" in str(exc)
    return False


def filter_stack_files(files: list, want: str) -> list:
    """The files of a folder (or of a list made by the dialog's "Add Directory...") that belong to
    the stack: rasters only (no ``.aux.xml``/``.ovr`` sidecars); for ``want="ifg"`` the names with
    ``unw`` when there are any, else every raster that is not a coherence file, and only files
    whose name carries a date pair when some do (a DEM in the folder is skipped); for
    ``want="coh"`` the coherence files (``cc``, ``coh``, ``cor``) when there are any."""
    files = [f for f in files if f.lower().endswith(RASTER_EXT)]
    if want == "coh":
        coh = [f for f in files if is_coherence_file(f)]
        return coh or files
    unw = [f for f in files if _UNW_RE.search(os.path.basename(f))]
    files = unw or [f for f in files if not is_coherence_file(f)]
    dated = [f for f in files if has_date_pair(f)]
    if len(dated) >= 2:
        for f in files:  # a same-date pair among dated files is an interferogram with a wrong name, not a DEM
            if f not in dated and _pairs_a_date_with_itself(f):
                parse_date_pair(f)  # raises, naming the file
    return dated if len(dated) >= 2 else files
