"""The plain specs a product walk returns (:mod:`.products`, :mod:`.product_walks`): the files found (:class:`Entry`),
each interferogram (:class:`PairSpec`) and the stack (:class:`StackSpec`)."""

from __future__ import annotations

import os
import re
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Optional

from ..errors import GeohazardError


@dataclass
class Entry:
    """One file of the items: ``path`` as GDAL or Python opens it (``/vsizip/...`` for a zip member), ``rel`` as
    messages name it (relative to the item given), ``zip``/``member`` for a zip member."""

    path: str
    rel: str
    zip: str = ""
    member: str = ""

    @property
    def name(self) -> str:
        return os.path.basename(self.member or self.path)

    @property
    def folder(self) -> str:
        """The folder holding the file (inside its zip for a member), as a key that tells copies apart."""
        return (self.zip + "!" + os.path.dirname(self.member)) if self.zip else os.path.dirname(self.path)

    def read_text(self) -> str:
        if self.zip:
            with zipfile.ZipFile(self.zip) as zf:
                return zf.read(self.member).decode("utf-8", errors="replace")
        with open(self.path, encoding="utf-8", errors="replace") as fh:
            return fh.read()


@dataclass
class PairSpec:
    """One interferogram of a product: its date pair (as the producer orders it), unwrapped phase and coherence
    files, where it came from, its other files by role and its own parameters (HyP3's ``.txt``)."""

    pair: tuple
    unw: str
    coh: Optional[str] = None
    label: str = ""
    extras: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.pair[0]:%Y%m%d}_{self.pair[1]:%Y%m%d}"


@dataclass
class StackSpec:
    """A product's stack as plain values (see the module docstring); lines for the log in ``taken``,
    ``left_out`` (``(file, reason)``), ``warnings``."""

    producer: str
    layout: str
    pairs: list
    frame: str = ""
    scene: dict = field(default_factory=dict)  # role -> path: E, N, U, hgt, baselines, metadata
    geometry: dict = field(default_factory=dict)  # quantity key -> [(label, value)] from the product's text files
    baselines: Optional[dict] = None  # {(earlier, later): m}
    baselines_source: str = ""
    wavelength: Optional[tuple] = None  # (label, metres)
    gacos: dict = field(default_factory=dict)  # date -> path
    zero_is_nodata: bool = False  # the producer marks no-data pixels with 0 (LiCSAR)
    references: dict = field(default_factory=dict)  # pair name -> (x, y) of each pair's own unwrapping reference
    raw: dict = field(default_factory=dict)  # path -> (grid, data type) of a headerless raster (GAMMA)
    lookup: dict = field(default_factory=dict)  # "lat"/"lon"/"los" -> path: radar coordinates geocoded with them
    crs_if_missing: str = ""  # the CRS of rasters that name none (GMTSAR's _ll.grd: longitude/latitude)
    bands: dict = field(default_factory=dict)  # path -> the band holding the data when not 1 (ROI_PAC .unw: 2)
    unw_scale: Optional[float] = None  # multiplies the stored values into radians growing with the range (OPERA)
    masks: dict = field(default_factory=dict)  # interferogram path -> raster whose 0 marks pixels to drop (OPERA)
    georef: dict = field(default_factory=dict)  # path -> (geotransform, EPSG, (width, height)) GDAL lacks (NISAR)
    taken: list = field(default_factory=list)
    left_out: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def dates(self) -> list:
        return sorted({d for p in self.pairs for d in p.pair})

    def sort_pairs(self, missing: str, what: str = "pair(s)", *, by_label: bool = False) -> None:
        """The pairs in date order. When some have no coherence, none keeps its own (the stack's pairs are weighed
        alike) and a warning names one: "<n> ``what`` have no ``missing``, e.g. <its name, or label>"."""
        self.pairs.sort(key=lambda p: p.pair)
        no_coh = [p for p in self.pairs if p.coh is None]
        if not no_coh:
            return
        if len(no_coh) < len(self.pairs):
            example = no_coh[0].label if by_label else no_coh[0].name
            self.warnings.append(f"{len(no_coh)} {what} have no {missing}, e.g. {example}: the coherence of the stack "
                                 "is not used")
        for p in self.pairs:
            p.coh = None

    def source_files(self) -> list:
        """Every file of the product this spec reads (interferograms, coherence, the pairs' other files, the scene's
        rasters and text files, lookup tables, delay maps; a zip member as its zip), as given: what no output may
        overwrite."""
        paths = [p for pair in self.pairs for p in (pair.unw, pair.coh, *pair.extras.values())]
        paths += list(self.masks.values()) + list(self.georef)
        paths += list(self.scene.values()) + list(self.lookup.values()) + list(self.gacos.values()) + list(self.raw)
        out = []
        for p in paths:
            if not p or p.startswith("/vsimem/"):
                continue
            if p.startswith("/vsizip/"):
                p = next((z for z in _zip_of(p)), p)
            m = _SUBDATASET.match(p)
            if m is not None:  # a dataset of a netCDF or HDF5 file (OPERA, ARIA, NISAR): the file
                p = m.group(1)
            if p not in out:
                out.append(p)
        return out


#: GDAL's name of a dataset of a netCDF or HDF5 file: ``NETCDF:"<file>":<dataset>``, ``HDF5:"<file>":<dataset>``.
_SUBDATASET = re.compile(r'^(?:NETCDF|HDF5):"([^"]+)":')


def _zip_of(vsi_path: str):
    """The zip file of a ``/vsizip/<zip>/<member>`` path (the longest prefix that is a file)."""
    parts = vsi_path[len("/vsizip"):].split("/")
    for k in range(len(parts), 1, -1):
        head = "/".join(parts[:k])
        if head.lower().endswith(".zip") and os.path.isfile(head):
            yield head
            return


def reason(counts: OrderedDict, why: str, e: Entry) -> None:
    counts.setdefault(why, []).append(e.rel)


def product_files(entries, match, left: OrderedDict, product: str, driver: str):
    """``(entry, what match found in its name)`` of each of ``entries`` whose file name ``match`` takes for a
    ``product`` file (e.g. "an ARIA GUNW file"); the others are left in ``left`` with the reason. One inside a zip
    is refused: GDAL's ``driver`` driver reads it from a folder only."""
    for e in entries:
        m = match(e.name)
        if m is None:
            reason(left, f"not {product}", e)
            continue
        if e.zip:
            raise GeohazardError(f"{e.rel}: {product} inside a zip cannot be read through GDAL's {driver} driver; "
                                 "extract it")
        yield e, m


def one_group(found: OrderedDict, files: str, group: str, show=" ".join) -> None:
    """Refuses a stack whose ``files`` are of two tracks or frames (``group``): ``found`` maps each one met, in order,
    to its first file; ``show`` writes one for the message."""
    if len(found) > 1:
        (a, fa), (b, fb) = list(found.items())[:2]
        raise GeohazardError(f"the {files} are of two {group}s: {show(a)} ({fa}) and {show(b)} ({fb}); one stack is "
                             f"one {group}: give them apart")


def one_wavelength(waves: list, where: str = "", one: str = "one sensor") -> float:
    """The wavelength (m) of every file of a stack (``waves``: (file, wavelength) in order), refusing two that
    differ by more than one part in a million; ``where`` says where the product holds it."""
    w0 = waves[0][1]
    odd = next(((r, w) for r, w in waves if abs(w - w0) > 1e-6 * w0), None)
    if odd is not None:
        raise GeohazardError(f"{waves[0][0]} and {odd[0]} give wavelengths {w0:g} m and {odd[1]:g} m{where}: one "
                             f"stack is {one}")
    return w0
