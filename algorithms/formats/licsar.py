"""LiCSAR frames as COMET's portal and LiCSBAS deliver them: names, metadata text, baselines, E/N/U geometry, and
the frame's folder walked into a :class:`~.stack_spec.StackSpec` (:func:`licsar_stack`; the producer's
declaration :data:`PRODUCER`, in :mod:`.producers`).

Two layouts hold the same files (LiCSBAS ``LiCSBAS01_get_geotiff.py`` and ``LiCSBAS02_ml_prep.py``, v1.x docstrings;
the portal tree as ``licsar_proc/bin/licsar2licsbas.sh`` reads it):

* LiCSBAS ``GEOC/``: ``<d1>_<d2>/<d1>_<d2>.geo.unw.tif`` and ``.geo.cc.tif`` per pair, and beside the pair folders
  ``<frame>.geo.E.tif``, ``.N.tif``, ``.U.tif``, ``.hgt.tif``, ``.mli.tif``, ``baselines``, ``metadata.txt``;
  GACOS delays in the sibling ``GACOS/<date>.sltd.geo.tif``;
* the portal frame ``<frame>/``: ``interferograms/<d1>_<d2>/`` (the same two files and browse images),
  ``metadata/`` (E/N/U, hgt, ``baselines``, ``metadata.txt``, ``network.png``) and ``epochs/<date>/`` (GACOS
  ``<date>.sltd.geo.tif``, ``<date>.geo.mli.tif``).

The frame ID is ``TTT[A|D]_NNNNN_NNNNNN`` (track, direction, burst code). Pixels at 0 carry no data in the unwrapped
phase, the coherence and E/N/U (LiCSBAS02 sets them to NaN). The coherence is stored as bytes 0-255 (older frames:
float32 0-1). The unwrapped phase grows with the range (LiCSBAS13 converts it with ``-lambda / (4 pi)`` to a
displacement positive toward the satellite). LiCSAR processes Sentinel-1 only (C band, 5.405 GHz).

``metadata.txt`` (``licsar_proc/bin/scripts/submit_to_public_metadata.sh``) holds ``key=value`` lines: ``master``,
``center_time``, ``heading`` (mean of the frame's heading raster, degrees clockwise from north),
``avg_incidence_angle`` (degrees, the reference scene's ``incidence_angle``), ``azimuth_resolution``,
``range_resolution``, ``centre_range_m`` (slant range at the scene centre, m), ``avg_height``, ``applied_DEM``.

``baselines`` (LiCSBAS ``io_lib.read_bperp_file``): one line per epoch ``<primary> <epoch> <bperp m> <days>``, or the
older 9-column form ``<n> <date1> <date2> <bp> <dt> <dt1> <dt2> <bp1> <bp2>`` whose last two columns are the
perpendicular baselines of ``date1`` and ``date2`` relative to the frame's primary epoch.

E/N/U are the east, north and up components of the unit vector from the ground to the satellite (LiCSBAS_plot_ts:
incidence = arccos(U)).
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import re
from collections import OrderedDict
from typing import Mapping, Optional

import numpy as np

from ..conventions import SENTINEL1_WAVELENGTH_M
from ..errors import GeohazardError
from ..plausibility import header_number
from .listing import walk_folder
from .producer_spec import Producer
from .stack_spec import Entry, PairSpec, StackSpec
from .stack_spec import reason as _reason

FRAME_RE = re.compile(r"(?<![0-9A-Za-z])(\d{3}[AD]_\d{5}_\d{6})(?![0-9])")
PAIR_RE = re.compile(r"^(\d{8})_(\d{8})$")
#: The unwrapped interferogram and the coherence of a pair, by name.
UNW_SUFFIX, CC_SUFFIX = ".geo.unw.tif", ".geo.cc.tif"
#: The wrapped phase of a pair (radians), the input of an unwrapping.
DIFF_SUFFIX = ".geo.diff_pha.tif"
#: Scene rasters beside the pair folders: ``<frame>.geo.<key>.tif``.
SCENE_RASTERS = ("E", "N", "U", "hgt", "mli", "landmask")
SCENE_RE = re.compile(r"^(?P<frame>.+?)\.geo\.(?P<key>E|N|U|hgt|mli|landmask)\.tif$")
GACOS_RE = re.compile(r"^(\d{8})\.sltd\.geo\.tif$")
WAVELENGTH_M = SENTINEL1_WAVELENGTH_M
WAVELENGTH_LABEL = "LiCSAR processes Sentinel-1 only (C band, 5.405 GHz)"

#: metadata.txt keys read as scene geometry: key -> (quantity key of geometry_meta, plausible range)
_GEOMETRY_KEYS = {"heading": ("HEADING_DEG", (-360.0, 360.0)), "avg_incidence_angle": ("INCIDENCE_DEG", (0.5, 89.5)),
                  "centre_range_m": ("SLANT_RANGE_M", (1.0e3, 5.0e6))}


def frame_id(text: str) -> Optional[str]:
    """The LiCSAR frame ID (``021D_04972_131213``) in a name or path, or None."""
    hits = FRAME_RE.findall(text or "")
    return hits[-1] if hits else None


def pair_of_folder(name: str) -> Optional[tuple]:
    """``(date1, date2)`` of a pair folder named ``YYYYMMDD_YYYYMMDD``, or None."""
    m = PAIR_RE.match(name)
    if not m:
        return None
    try:
        return tuple(_dt.date(int(t[:4]), int(t[4:6]), int(t[6:])) for t in m.groups())
    except ValueError:
        return None


def parse_metadata(text: str, name: str = "metadata.txt") -> dict:
    """The ``key=value`` lines of a LiCSAR ``metadata.txt`` (values as text, keys as written).

    Raises
    ------
    GeohazardError
        When no line has the ``key=value`` form (another file under that name).
    """
    out = {}
    for line in text.splitlines():
        if "=" not in line or line.lstrip().startswith("#"):
            continue
        key, value = line.split("=", 1)
        if key.strip():
            out[key.strip()] = value.strip()
    if not out:
        raise GeohazardError(f"{name}: no 'key=value' line; a LiCSAR metadata.txt holds lines such as "
                             "'heading=-169.9' and 'avg_incidence_angle=39.1'")
    return out


def metadata_geometry(meta: Mapping[str, str], name: str = "metadata.txt") -> dict:
    """``{INCIDENCE_DEG | HEADING_DEG | SLANT_RANGE_M: value}`` of the keys a ``metadata.txt`` carries.

    Raises
    ------
    GeohazardError
        A key is present but its value is not a number within the quantity's plausible range.
    """
    out = {}
    for key, (qkey, (lo, hi)) in _GEOMETRY_KEYS.items():
        if key not in meta:
            continue
        out[qkey] = header_number(meta[key], name, f"{key}={meta[key]!r}", lo, hi)
    return out


def _date(token: str, name: str, line: int) -> _dt.date:
    try:
        if not re.fullmatch(r"\d{8}", token):
            raise ValueError(token)
        return _dt.date(int(token[:4]), int(token[4:6]), int(token[6:]))
    except ValueError:
        raise GeohazardError(f"{name}, line {line}: {token!r} is not a date YYYYMMDD") from None


def parse_baselines(text: str, name: str = "baselines") -> dict:
    """Perpendicular baseline of each epoch relative to the frame's primary epoch (m): ``{date: metres}``.

    Reads both forms of LiCSAR's ``baselines`` file (module docstring); the primary epoch is 0.

    Raises
    ------
    GeohazardError
        Naming the file and line when a line has another number of columns, a date or a number is unreadable, or
        one epoch is given two different baselines.
    """
    out: dict = {}
    for k, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) == 4:
            items = [(_date(parts[0], name, k), 0.0), (_date(parts[1], name, k), parts[2])]
        elif len(parts) == 9:
            items = [(_date(parts[1], name, k), parts[7]), (_date(parts[2], name, k), parts[8])]
        else:
            raise GeohazardError(f"{name}, line {k}: {len(parts)} columns; a LiCSAR baselines file has 4 "
                                 "(primary, epoch, bperp, days) or 9 columns")
        for day, raw in items:
            try:
                val = float(raw)
            except ValueError:
                raise GeohazardError(f"{name}, line {k}: {raw!r} is not a perpendicular baseline in metres") \
                    from None
            if not math.isfinite(val) or abs(val) > 10_000.0:
                raise GeohazardError(f"{name}, line {k}: {raw!r} is not a perpendicular baseline in metres")
            if day in out and abs(out[day] - val) > 0.01:
                raise GeohazardError(f"{name}: epoch {day:%Y%m%d} has two baselines ({out[day]:g} and {val:g} m)")
            out[day] = val
    if not out:
        raise GeohazardError(f"{name}: no baseline line (expected '<primary> <epoch> <bperp> <days>')")
    return out


def pair_baselines(per_date: Mapping, pairs) -> tuple[dict, list]:
    """``({(earlier, later): bperp of later - bperp of earlier}, [dates without a baseline])`` for ``pairs``."""
    out, missing = {}, []
    for a, b in pairs:
        a, b = sorted((a, b))
        if a in per_date and b in per_date:
            out[(a, b)] = float(per_date[b]) - float(per_date[a])
        else:
            missing += [d for d in (a, b) if d not in per_date and d not in missing]
    return out, sorted(missing)


def enu_angles(east, north, up) -> tuple[np.ndarray, np.ndarray]:
    """Incidence (degrees from the vertical) and heading (degrees clockwise from north, right-looking sensor) of
    ground-to-satellite unit vectors; NaN where a component is NaN or all three are 0 (no data).

    ``incidence = arccos(up)``; the horizontal part points away from the look direction ``heading + 90``, so
    ``heading = atan2(-east, -north) - 90`` (the inverse of :func:`~..geometry.los.los_unit_vector`).

    Raises
    ------
    GeohazardError
        When valid pixels are not unit vectors (|v| outside 0.98..1.02: not an E/N/U triplet, or components from
        two different frames) or point downward (up <= 0: not a ground-to-satellite vector).
    """
    e, n, u = (np.asarray(a, dtype=np.float64) for a in (east, north, up))
    valid = np.isfinite(e) & np.isfinite(n) & np.isfinite(u) & ~((e == 0) & (n == 0) & (u == 0))
    if valid.any():
        norm = np.sqrt(e[valid] ** 2 + n[valid] ** 2 + u[valid] ** 2)
        if norm.min() < 0.98 or norm.max() > 1.02:
            raise GeohazardError(f"the E/N/U rasters are not unit vectors: |(E, N, U)| ranges {norm.min():.4g} to "
                                 f"{norm.max():.4g}, expected 1 (LiCSAR's ground-to-satellite unit vector)")
        if u[valid].min() <= 0.0:
            raise GeohazardError(f"the U raster holds values down to {u[valid].min():.4g}: a ground-to-satellite "
                                 "vector points up (U > 0); is it another quantity?")
    inc = np.full(e.shape, np.nan)
    head = np.full(e.shape, np.nan)
    inc[valid] = np.degrees(np.arccos(np.clip(u[valid], -1.0, 1.0)))
    head[valid] = (np.degrees(np.arctan2(-e[valid], -n[valid])) - 90.0) % 360.0
    return inc, head


def circular_mean_deg(values) -> float:
    """Mean of angles in degrees (NaN ignored), in [0, 360); NaN when none is finite."""
    v = np.radians(np.asarray(values, dtype=np.float64))
    v = v[np.isfinite(v)]
    if not v.size:
        return float("nan")
    return float(np.degrees(np.arctan2(np.sin(v).mean(), np.cos(v).mean())) % 360.0)


# ------------------------------------------------------------------ the frame's folder as a stack
_LICSAR_OTHER = ((".png", "browse images"), (".kmz", "browse images"), (".geo.diff_pha.tif", "wrapped phase"),
                 (".geo.diff.tif", "wrapped phase"), (".mli.tif", "amplitude"), ("network.png", "browse images"),
                 ("-poly.txt", "the frame outline"))


def _licsar_frames(entries: list) -> dict:
    frames: OrderedDict = OrderedDict()
    for e in entries:
        for part in e.rel.replace("\\", "/").split("/"):
            f = frame_id(part)
            if f:
                frames.setdefault(f, e.rel)
    return frames


def _beside(roots: list) -> list:
    """The frame's metadata and GACOS folders beside a folder given alone: ``<frame>/interferograms`` ->
    ``<frame>/metadata``, ``<frame>/epochs``; LiCSBAS ``GEOC`` -> ``GACOS``."""
    out = []
    for r in roots:
        parent, base = os.path.dirname(r), os.path.basename(r)
        names = ("metadata", "epochs") if base == "interferograms" else ("GACOS",) if base.startswith("GEOC") else ()
        for n in names:
            p = os.path.join(parent, n)
            if os.path.isdir(p) and p not in roots:
                out.append(p)
    return out


def licsar_stack(entries: list, roots: list, wrapped: bool = False) -> StackSpec:
    """A LiCSAR frame (LiCSBAS ``GEOC/`` or the portal's frame folder) as a :class:`StackSpec` (its wrapped phase
    ``.geo.diff_pha.tif`` with ``wrapped``)."""
    main = DIFF_SUFFIX if wrapped else UNW_SUFFIX
    what = "the wrapped interferogram" if wrapped else "the unwrapped interferogram"
    extra_roots = _beside(roots)
    for r in extra_roots:
        entries = entries + walk_folder(r)
    frames = _licsar_frames(entries)
    if len(frames) > 1:
        (a, fa), (b, fb) = list(frames.items())[:2]
        raise GeohazardError(f"two LiCSAR frames are mixed: {a} ({fa}) and {b} ({fb}); a stack is one frame, give "
                             "its folder alone")
    spec = StackSpec("LiCSAR", "", [], frame=next(iter(frames), ""), zero_is_nodata=True,
                     wavelength=(WAVELENGTH_LABEL, WAVELENGTH_M))
    by_folder: OrderedDict = OrderedDict()
    scene: dict = {}
    left: OrderedDict = OrderedDict()
    text_files = {}
    for e in entries:
        folder = os.path.basename(os.path.dirname(e.member or e.path))
        pair = pair_of_folder(folder)
        if pair is not None and e.name in (folder + main, folder + CC_SUFFIX):
            by_folder.setdefault(e.folder, {"pair": pair, "rel": os.path.dirname(e.rel)})[
                "unw" if e.name.endswith(main) else "cc"] = e
            continue
        if wrapped and pair is not None and e.name == folder + UNW_SUFFIX:
            _reason(left, "unwrapped phase (this input takes the wrapped phase)", e)
            continue
        m = SCENE_RE.match(e.name)
        if m and m.group("key") in ("E", "N", "U", "hgt"):
            key = m.group("key")
            if key in scene:
                raise GeohazardError(f"two {key} rasters of the frame: {scene[key].rel} and {e.rel}; keep one copy")
            scene[key] = e
            continue
        g = GACOS_RE.match(e.name)
        if g:
            day = pair_of_folder(f"{g.group(1)}_{g.group(1)}")
            if day is not None:
                if day[0] in spec.gacos:
                    _reason(left, "a second GACOS delay map of the same date", e)
                else:
                    spec.gacos[day[0]] = e.path
                continue
        if e.name in ("baselines", "metadata.txt"):
            if e.name in text_files:
                raise GeohazardError(f"two {e.name} files: {text_files[e.name].rel} and {e.rel}; keep the frame's one")
            text_files[e.name] = e
            continue
        why = next((w for suffix, w in _LICSAR_OTHER if e.name.endswith(suffix) and not (wrapped and w == "wrapped "
                                                                                          "phase")), None)
        if why is None and e.name.endswith((".unw", ".cc")) and "GEOCml" in e.rel:
            why = "LiCSBAS's multilooked copies (no georeference; the GEOC GeoTIFFs are read)"
        _reason(left, why or "not a file of the stack", e)
    # the pairs: one folder per pair, each with its unwrapped interferogram
    seen: dict = {}
    for d in by_folder.values():
        name = f"{d['pair'][0]:%Y%m%d}_{d['pair'][1]:%Y%m%d}"
        if "unw" not in d:
            spec.warnings.append(f"{d['rel']}: no {name}{main} ({what}) in the pair folder; the pair is left out (its "
                                 "download may have failed)")
            _reason(left, f"a pair folder without {what}", d["cc"])
            continue
        if name in seen:
            raise GeohazardError(f"the pair {name} is given twice: {seen[name]} and {d['rel']}; keep one copy")
        seen[name] = d["rel"]
        spec.pairs.append(PairSpec(d["pair"], d["unw"].path, d["cc"].path if "cc" in d else None, label=d["rel"]))
    if not spec.pairs:
        raise GeohazardError(f"the LiCSAR folder holds no pair folder with a <date1>_<date2>{main}")
    spec.sort_pairs(".geo.cc.tif (coherence)", "pair folder(s)")
    for key, e in scene.items():
        spec.scene[key] = e.path
    if spec.frame and scene and not any(spec.frame in e.name for e in scene.values()):
        raise GeohazardError(f"the geometry rasters ({next(iter(scene.values())).rel}) are not those of frame "
                             f"{spec.frame}")
    _licsar_text(spec, text_files, entries)
    spec.layout = _licsar_layout(spec, entries)
    spec.taken = _licsar_taken(spec, scene, text_files, extra_roots)
    spec.left_out = [(rel, why) for why, rels in left.items() for rel in rels]
    return spec


def _licsar_text(spec: StackSpec, text_files: dict, entries: list) -> None:
    """metadata.txt (geometry) and baselines (per epoch) of a frame; a list of files without them (the dialog's
    "Add Directory..." lists rasters only) finds them in the folder of the frame's E/N/U rasters."""
    for fname in ("metadata.txt", "baselines"):
        if fname in text_files:
            continue
        folders = {os.path.dirname(p) for p in spec.scene.values() if not p.startswith("/vsi")}
        for folder in sorted(folders):
            path = os.path.join(folder, fname)
            if os.path.isfile(path):
                text_files[fname] = Entry(path, os.path.join(os.path.basename(folder), fname))
                break
    meta = text_files.get("metadata.txt")
    if meta is not None:
        spec.scene["metadata"] = meta.path
        values = metadata_geometry(parse_metadata(meta.read_text(), meta.rel), meta.rel)
        for key, val in values.items():
            spec.geometry.setdefault(key, []).append((f"{meta.rel}", val))
    base = text_files.get("baselines")
    if base is not None:
        spec.scene["baselines"] = base.path
        per_date = parse_baselines(base.read_text(), base.rel)
        table, missing = pair_baselines(per_date, [p.pair for p in spec.pairs])
        if missing:
            spec.warnings.append(f"{base.rel} has no baseline for {len(missing)} epoch(s) of the stack, e.g. "
                                 f"{missing[0]:%Y%m%d}: the frame's baselines are not used (give BASELINES to "
                                 "use the DEM-error step or the perpendicular-baseline filter)")
        else:
            spec.baselines, spec.baselines_source = table, f"{base.rel} (the frame's baselines file)"


def _licsar_layout(spec: StackSpec, entries: list) -> str:
    rels = [p.label.replace("\\", "/") for p in spec.pairs]
    if any("/interferograms/" in f"/{r}" for r in rels):
        return "COMET-LiCS portal frame (interferograms/<pair>/, metadata/, epochs/)"
    return "LiCSBAS GEOC folder (<pair>/<pair>.geo.unw.tif, .geo.cc.tif)"


def _licsar_taken(spec: StackSpec, scene: dict, text_files: dict, extra_roots: list) -> list:
    n_cc = sum(p.coh is not None for p in spec.pairs)
    lines = [f"LiCSAR frame {spec.frame or '(ID not in the names)'}, {spec.layout}: {len(spec.pairs)} interferograms "
             f"({spec.pairs[0].name} .. {spec.pairs[-1].name}), {n_cc} coherence rasters"]
    if scene:
        lines.append("geometry rasters: " + ", ".join(e.rel for e in scene.values()))
    for e in text_files.values():
        lines.append(f"{e.name}: {e.rel}")
    if spec.gacos:
        lines.append(f"{len(spec.gacos)} GACOS delay maps (<date>.sltd.geo.tif), for troposphericcorrection")
    for r in extra_roots:
        lines.append(f"read beside the folder given: {r}")
    return lines


# ------------------------------------------------------------------ the producer
def stack_claims(e: Entry, listing=None) -> bool:
    """A pair folder's unwrapped interferogram or coherence (``<d1>_<d2>/<d1>_<d2>.geo.unw.tif``, ``.geo.cc.tif``)."""
    folder = os.path.basename(os.path.dirname(e.member or e.path))
    if e.name.endswith(UNW_SUFFIX) and e.name == folder + UNW_SUFFIX and pair_of_folder(folder) is not None:
        return True
    return e.name.endswith(CC_SUFFIX) and pair_of_folder(folder) is not None


#: COMET-LiCSAR frames (the portal's frame folder, LiCSBAS's GEOC/).
PRODUCER = Producer("LiCSAR", claims=stack_claims, read_stack=licsar_stack)
