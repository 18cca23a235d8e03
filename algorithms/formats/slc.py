"""SLC stacks: acquisition dates from names / band descriptions, perpendicular baselines.

Dates (first match wins): an 8-digit ``YYYYMMDD`` (optionally followed by ``T hhmmss``)
in the file name, then in the parent folder (ISCE ``merged/SLC/20200101/20200101.slc.full``),
then SNAP's ``01Jan2020``. Band descriptions may hold ISO dates or the same tokens.

Perpendicular baselines (metres) are read by :func:`read_baselines` from

* a plain table: one ``date bperp`` per line (comma, semicolon or blanks; ``#`` comments;
  a header line is skipped);
* a GAMMA ``base_calc`` ``bperp_file`` (columns: index, reference date, secondary date,
  ``bperp``, ``btemp`` ...);
* an ISCE2 ``baselines`` folder (``REF_SEC/REF_SEC.txt`` or ``REF_SEC.txt`` with a
  ``Bperp (average):`` line, topsStack / stripmapStack), or any one of its pair files
  (the whole folder is then read);
* a SNAP BEAM-DIMAP ``.dim`` header (``Baselines`` metadata element, ``Perp Baseline``
  attribute per reference/secondary pair).

Pairs are turned into one baseline per date by least squares with the first date at 0
(they are differences of orbit positions, so any connected set of pairs determines them).
"""

from __future__ import annotations

import datetime as _dt
import glob
import os
import re
from typing import Sequence

import numpy as np

from ..errors import GeohazardError
from .dates import _dmony, _ymd8, parse_date

_YMD8 = re.compile(r"(?<!\d)(\d{8})(?:T\d{6})?(?!\d)")
_DMONY = re.compile(r"(?<!\d)(\d{2}[A-Za-z]{3}\d{4})(?!\d)")


def _find_date(text: str):
    for m in _YMD8.finditer(text):
        try:
            d = _ymd8(m.group(1))
        except ValueError:
            continue
        if 1970 < d.year < 2100:
            return d
    for m in _DMONY.finditer(text):
        try:
            return _dmony(m.group(1))
        except (ValueError, KeyError):
            continue
    return None


def date_from_name(path: str) -> _dt.date:
    """Acquisition date of one SLC from its file name (or its parent folder's name).

    Raises
    ------
    GeohazardError
        Naming the file when no date is found.
    """
    base = os.path.basename(str(path))
    parent = os.path.basename(os.path.dirname(str(path)))
    for text in (base, parent):
        d = _find_date(text)
        if d is not None:
            return d
    raise GeohazardError(f"no acquisition date (YYYYMMDD or 01Jan2020) found in the file name {base!r}")


#: Extensions of the files a folder given as an SLC stack contributes, in the order one date's files are
#: preferred (ISCE writes ``X.slc.full`` and the ``X.slc.full.vrt`` that describes it; SNAP a ``.dim`` header
#: beside its ``.data`` folder).
SLC_EXT = (".vrt", ".tif", ".tiff", ".dim", ".slc", ".full", ".img", ".bil", ".h5", ".nc")

_NOT_SLC = re.compile(r"(^|[_.\-])(cc|coh|cor|coherence|unw|mask|dem|hgt|lat|lon|los|incidence|amp|amplitude)"
                      r"([_.\-]|$)", re.I)


def _slc_rank(path: str) -> int:
    low = path.lower()
    return next(i for i, ext in enumerate(SLC_EXT) if low.endswith(ext))


def _name_or_folder_date(path: str):
    return _find_date(os.path.basename(path)) or _find_date(os.path.basename(os.path.dirname(path)))


def _one_per_date(files: list, date_of=None) -> list:
    """Of the files of one folder, each date's preferred file (:data:`SLC_EXT` order); files with no date in their
    name (``date_of``: the name's date) are kept only when no file has one (a multi-band stack whose bands carry
    the dates)."""
    dated: dict = {}
    undated = []
    for f in files:
        d = date_of(f) if date_of is not None else _find_date(os.path.basename(f))
        if d is None:
            undated.append(f)
            continue
        dated.setdefault(d, []).append(f)
    if not dated:
        return undated
    out = []
    for d in sorted(dated):
        group = dated[d]
        best = min(_slc_rank(f) for f in group)
        out += sorted(f for f in group if _slc_rank(f) == best)  # two of one kind: the stack names the date twice
    return out


def slc_list_files(files: list) -> list:
    """Of a list of several files (as QGIS's "Add Directory..." makes of a folder), the SLC rasters, the way
    :func:`slc_folder_files` picks them from a folder, except that a file with no date stays (the stack then
    refuses it, naming it: a file picked by hand is not dropped unsaid); the caller reports the others."""
    kept = [f for f in files if os.path.basename(f).lower().endswith(SLC_EXT) and not _NOT_SLC.search(
        os.path.basename(f))]
    undated = [f for f in kept if _name_or_folder_date(f) is None]
    dated = _one_per_date([f for f in kept if f not in undated], _name_or_folder_date)
    return [f for f in kept if f in dated or f in undated]


def slc_folder_files(folder: str) -> list:
    """The SLC rasters of a folder given as a stack, sorted by date.

    Its files with an :data:`SLC_EXT` extension (sidecars such as ``.aux.xml``, ``.hdr``, ``.xml`` are not data;
    coherence, unwrapped, mask, DEM, geometry and amplitude rasters are left out by their names); where one date has
    several files, the first kind of :data:`SLC_EXT` (the VRT that describes a raw ISCE file). When the folder holds
    no such file but dated subfolders (ISCE's ``merged/SLC/20200101/20200101.slc.full.vrt``), each subfolder's
    preferred file. Files without a date in their name count only when none has one (one multi-band stack)."""
    def rasters(d):
        names = sorted(os.listdir(d))
        return [os.path.join(d, n) for n in names if os.path.isfile(os.path.join(d, n))
                and n.lower().endswith(SLC_EXT) and not _NOT_SLC.search(n)]

    top = rasters(folder)
    if top:
        return _one_per_date(top)
    out = []
    for name in sorted(os.listdir(folder)):
        sub = os.path.join(folder, name)
        if not os.path.isdir(sub) or _find_date(name) is None:
            continue
        files = rasters(sub)  # one date's folder: its preferred kind of file
        if files:
            best = min(_slc_rank(f) for f in files)
            out += [f for f in files if _slc_rank(f) == best]
    return out


def date_from_description(text: str) -> _dt.date:
    """Date of a band from its description (ISO date, ``YYYYMMDD``, ``DYYYYMMDD`` or a name)."""
    try:
        return parse_date(text)
    except GeohazardError:
        d = _find_date(str(text))
        if d is None:
            raise GeohazardError(f"band description {text!r} holds no date (expected e.g. 2020-01-13)") from None
        return d


def _pairs_to_dates(pairs) -> dict:
    dates = sorted({d for p in pairs for d in p[:2]})
    index = {d: i for i, d in enumerate(dates)}
    a = np.zeros((len(pairs) + 1, len(dates)))
    b = np.zeros(len(pairs) + 1)
    for k, (d1, d2, v) in enumerate(pairs):
        a[k, index[d1]] = -1.0
        a[k, index[d2]] = 1.0
        b[k] = v
    a[-1, 0] = 1.0  # first date at 0
    sol, *_ = np.linalg.lstsq(a, b, rcond=None)
    rank = np.linalg.matrix_rank(a)
    if rank < len(dates):
        raise GeohazardError("the baseline pairs do not connect all dates; cannot give one baseline per date")
    return {d: float(sol[index[d]]) for d in dates}


def _read_table(path: str) -> dict:
    out = {}
    pairs = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            tok = [t for t in re.split(r"[,;\s]+", line) if t]
            kinds = []
            for t in tok:
                if re.fullmatch(r"\d{8}|\d{4}-\d{2}-\d{2}", t):
                    try:
                        kinds.append(parse_date(t))
                        continue
                    except GeohazardError:
                        pass
                try:
                    kinds.append(float(t))
                except ValueError:
                    kinds.append(None)
            dpos = [i for i, k in enumerate(kinds) if isinstance(k, _dt.date)]
            after = [k for k in kinds[dpos[-1] + 1:] if isinstance(k, float)] if dpos else []
            if not after:
                continue
            if len(dpos) == 1:
                out[kinds[dpos[0]]] = after[0]
            else:
                # GAMMA bperp_file: index ref sec bperp btemp ...; generic: ref sec bperp
                pairs.append((kinds[dpos[0]], kinds[dpos[1]], after[0]))
    if pairs:
        return _pairs_to_dates(pairs)
    if not out:
        raise GeohazardError(f"no 'date bperp' lines found in the baseline file {path!r}")
    return out


def _read_isce_folder(folder: str) -> dict:
    pairs = []
    files = glob.glob(os.path.join(folder, "*", "*.txt")) + glob.glob(os.path.join(folder, "*.txt"))
    for f in files:
        m = re.search(r"(\d{8})_(\d{8})", os.path.basename(f))
        if not m:
            continue
        vals = []
        with open(f, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if re.match(r"\s*Bperp", line, re.I):
                    try:
                        vals.append(float(line.split(":")[-1]))
                    except ValueError:
                        continue
        if vals:
            pairs.append((_ymd8(m.group(1)), _ymd8(m.group(2)), float(np.mean(vals))))
    if not pairs:
        raise GeohazardError(f"no ISCE baseline files (REF_SEC.txt with 'Bperp') found in {folder!r}")
    return _pairs_to_dates(pairs)


def _read_snap_dim(path: str) -> dict:
    import xml.etree.ElementTree as ET

    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise GeohazardError(f"{path!r} is not a readable BEAM-DIMAP header ({exc})") from None
    pairs = []
    for base in root.iter("MDElem"):
        if base.get("name") != "Baselines":
            continue
        for ref in base.findall("MDElem"):
            d_ref = _find_date(ref.get("name", ""))
            for sec in ref.findall("MDElem"):
                d_sec = _find_date(sec.get("name", ""))
                for att in sec.findall("MDATTR"):
                    if att.get("name") == "Perp Baseline" and d_ref and d_sec and d_ref != d_sec:
                        pairs.append((d_ref, d_sec, float(att.text)))
    if not pairs:
        raise GeohazardError(f"no 'Baselines' metadata with 'Perp Baseline' found in {path!r}")
    return _pairs_to_dates(pairs)


def read_baselines(path: str) -> dict:
    """Perpendicular baseline (m) per acquisition date from a table, GAMMA, ISCE or SNAP file.

    Returns
    -------
    dict of datetime.date -> float
        Baselines relative to the earliest date of a pair network (or as given in a table).
    """
    if not path or not os.path.exists(path):
        raise GeohazardError(f"baseline file {path!r} does not exist")
    if os.path.isdir(path):
        return _read_isce_folder(path)
    base = os.path.basename(path)
    if re.fullmatch(r"\d{8}_\d{8}\.txt", base):
        # one ISCE2 pair file: read the whole baselines folder it belongs to
        parent = os.path.dirname(os.path.abspath(path))
        if re.fullmatch(r"\d{8}_\d{8}", os.path.basename(parent)):
            parent = os.path.dirname(parent)
        return _read_isce_folder(parent)
    if path.lower().endswith(".dim"):
        return _read_snap_dim(path)
    return _read_table(path)


def baselines_for_dates(table: dict, dates: Sequence[_dt.date]) -> np.ndarray:
    """Baselines of ``dates`` (n_dates,), relative to the first of them."""
    missing = [d.isoformat() for d in dates if d not in table]
    if missing:
        raise GeohazardError(f"no perpendicular baseline for date(s) {', '.join(missing[:5])}")
    b = np.array([table[d] for d in dates], float)
    return b - b[0]
