"""Stacks of interferograms as their producers deliver them: the folder trees and zips of LiCSAR and HyP3, walked
into plain specs (files, dates, wavelength, geometry, baselines, what was left out and why).

:func:`read_stack_items` takes what a user gives a stack parameter (folders, zips, files, or the list QGIS's
"Add Directory..." makes of a whole tree) and returns a :class:`StackSpec` when the items are one producer's
product, or None when they are plain rasters (read as before, by their names). Zips are listed and their text
files read here with :mod:`zipfile`; their rasters are named as GDAL virtual paths (``/vsizip/<zip>/<member>``)
that the readers open in place: nothing is extracted. The layouts are those of :mod:`.licsar` and :mod:`.hyp3`.

Pure Python (no GDAL): the rasters' grids, data types and E/N/U values are read by ``fileio/formats/products.py``.
"""

from __future__ import annotations

import os
import zipfile
from collections import OrderedDict
from typing import Optional

from ..errors import GeohazardError
from . import hyp3, licsar
from .stack_spec import Entry, PairSpec, StackSpec
from .stack_spec import reason as _reason

#: Extensions of the files QGIS's dialogs list as rasters; a zip is opened as a product archive.
ZIP_EXT = (".zip",)


# ------------------------------------------------------------------ listing what was given
def zip_entries(path: str, rel: str = "") -> list:
    """The files of a zip as :class:`Entry` items (GDAL paths ``/vsizip/<abs zip>/<member>``).

    Raises
    ------
    GeohazardError
        Naming the zip when it is not a complete archive (a download cut short has no central directory).
    """
    apath = os.path.abspath(path)
    try:
        with zipfile.ZipFile(apath) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        size = os.path.getsize(apath) if os.path.exists(apath) else 0
        raise GeohazardError(
            f"{rel or os.path.basename(path)} is not a complete zip archive ({size:,} bytes; {exc}): a download cut "
            "short ends before the archive's table of contents. Download it again (its size is listed where it "
            "was ordered) or leave it out") from None
    base = rel or os.path.basename(path)
    return [Entry(f"/vsizip/{apath}/{i.filename}", f"{base}/{i.filename}", zip=apath, member=i.filename)
            for i in sorted(infos, key=lambda i: i.filename)]


def walk_folder(folder: str, broken: Optional[list] = None) -> list:
    """Every file under ``folder`` (sorted, links to folders not followed) and the files of the zips among them.

    A zip found in the folder that is not complete is left out and named in ``broken`` (when given; else refused):
    one failed download among hundreds does not stop the stack, the log says which."""
    out = []
    root = os.path.abspath(folder)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for f in sorted(filenames):
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, os.path.dirname(root))
            if f.lower().endswith(ZIP_EXT):
                try:
                    out += zip_entries(path, rel)
                except GeohazardError as exc:
                    if broken is None:
                        raise
                    broken.append(str(exc))
            else:
                out.append(Entry(path, rel))
    return out


def item_entries(items, broken: Optional[list] = None) -> tuple[list, list]:
    """``(entries, roots)``: the files of the items given (folders walked, zips listed, files as they are) and the
    folders they came from (a file's own folder), in the order given. Incomplete zips inside a folder go to
    ``broken`` (:func:`walk_folder`); a zip given itself is refused."""
    entries, roots = [], []
    for item in items:
        text = str(item)
        if os.path.isdir(text):
            entries += walk_folder(text, broken)
            roots.append(os.path.abspath(text))
        elif os.path.isfile(text) and text.lower().endswith(ZIP_EXT):
            entries += zip_entries(text)
            roots.append(os.path.dirname(os.path.abspath(text)))
        elif os.path.isfile(text):
            entries.append(Entry(os.path.abspath(text), os.path.basename(text)))
            roots.append(os.path.dirname(os.path.abspath(text)))
    return entries, roots


# ------------------------------------------------------------------ which producer
def _is_licsar_unw(e: Entry) -> bool:
    folder = os.path.basename(os.path.dirname(e.member or e.path))
    return e.name.endswith(licsar.UNW_SUFFIX) and e.name == folder + licsar.UNW_SUFFIX \
        and licsar.pair_of_folder(folder) is not None


def _is_hyp3(e: Entry) -> bool:
    name = hyp3.product_name(e.name)
    return name is not None and hyp3.file_role(e.name, name) is not None


def gamma_par(basename: str) -> bool:
    from . import gamma

    return gamma.is_dem_par_name(basename) or gamma.is_image_par_name(basename)


def producer_of(entries: list) -> Optional[str]:
    """``"LiCSAR"``, ``"HyP3"``, ``"ARIA"`` (GUNW), ``"NISAR"`` (GUNW), ``"OPERA"`` (DISP-S1), ``"ISCE2"``,
    ``"GMTSAR"``, ``"SNAP"``, ``"GAMMA"`` or ``"ROI_PAC"`` when the entries hold that producer's stack files, None
    for plain rasters (a GAMMA stack needs a DEM/MAP or image parameter file).

    Raises
    ------
    GeohazardError
        When the entries mix two producers' products (both named).
    """
    from . import gunw, nisar, opera
    from . import product_walks as walks
    from .roipac import is_roipac_unw

    found = OrderedDict()
    # GAMMA's .unw names are a date pair and an extension: a stack only with an image or DEM/MAP parameter file
    gamma_pars = any(gamma_par(e.name) for e in entries)
    for e in entries:
        if _is_licsar_unw(e) or (e.name.endswith(licsar.CC_SUFFIX)
                                 and licsar.pair_of_folder(os.path.basename(os.path.dirname(e.member or e.path)))):
            found.setdefault("LiCSAR", e.rel)
        elif _is_hyp3(e):
            found.setdefault("HyP3", e.rel)
        elif gunw.is_gunw_name(e.name):
            found.setdefault("ARIA", e.rel)
        elif nisar.NAME.match(e.name):
            found.setdefault("NISAR", e.rel)
        elif e.name.upper().startswith("NISAR_"):
            gunw.refuse_nisar(e.name)
        elif opera.name_parts(e.name) is not None:
            found.setdefault("OPERA", e.rel)
        elif walks.is_isce_unw(e):
            found.setdefault("ISCE2", e.rel)
        elif walks.is_gmtsar_unw(e):
            found.setdefault("GMTSAR", e.rel)
        elif walks.is_snap_unw(e):
            found.setdefault("SNAP", e.rel)
        elif walks.is_gamma_unw(e) and gamma_pars:
            found.setdefault("GAMMA", e.rel)
        elif is_roipac_unw(e):
            found.setdefault("ROI_PAC", e.rel)
    if not found:
        # SNAP headers whose .data folders were left behind: the SNAP walk names them
        hit = next((e for e in entries if walks.is_snap_header(e)), None)
        if hit is not None:
            found["SNAP"] = hit.rel
    if len(found) > 1:
        (a, fa), (b, fb) = list(found.items())[:2]
        raise GeohazardError(f"the inputs mix products of two producers: {a} ({fa}) and {b} ({fb}); one stack comes "
                             "from one producer and one frame: give them apart")
    return next(iter(found), None)


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
    try:
        entries, roots = item_entries(items, broken)
        kind = producer_of(entries)
        spec = licsar_stack(entries, roots, wrapped) if kind == "LiCSAR" else \
            hyp3_stack(entries, wrapped) if kind == "HyP3" else None
        if kind in ("ARIA", "OPERA", "NISAR"):
            if wrapped:
                raise GeohazardError(f"{kind} products hold unwrapped phase or displacement, no wrapped phase: give "
                                     "them to the stack tools' INTERFEROGRAMS")
            from . import gunw, nisar, opera

            spec = gunw.gunw_stack(entries) if kind == "ARIA" else opera.opera_stack(entries) \
                if kind == "OPERA" else nisar.nisar_stack(entries)
        if kind == "ISCE2":
            from .product_walks import isce_stack

            spec = isce_stack(entries) if not wrapped else None
            if spec is None:
                isce_refusal(entries)
        if kind in ("GAMMA", "GMTSAR", "SNAP", "ROI_PAC"):
            if wrapped:
                raise GeohazardError(f"{kind} stacks are read for their unwrapped interferograms (give them to the "
                                     "stack tools' INTERFEROGRAMS); their wrapped phase is not read here")
            from . import product_walks as walks
            from .roipac import roipac_stack

            spec = {"GAMMA": walks.gamma_stack, "GMTSAR": walks.gmtsar_stack, "SNAP": walks.snap_stack,
                    "ROI_PAC": roipac_stack}[kind](entries)
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


# ------------------------------------------------------------------ LiCSAR
_LICSAR_OTHER = ((".png", "browse images"), (".kmz", "browse images"), (".geo.diff_pha.tif", "wrapped phase"),
                 (".geo.diff.tif", "wrapped phase"), (".mli.tif", "amplitude"), ("network.png", "browse images"),
                 ("-poly.txt", "the frame outline"))


def _licsar_frames(entries: list) -> dict:
    frames: OrderedDict = OrderedDict()
    for e in entries:
        for part in e.rel.replace("\\", "/").split("/"):
            f = licsar.frame_id(part)
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
    main = licsar.DIFF_SUFFIX if wrapped else licsar.UNW_SUFFIX
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
                     wavelength=(licsar.WAVELENGTH_LABEL, licsar.WAVELENGTH_M))
    by_folder: OrderedDict = OrderedDict()
    scene: dict = {}
    left: OrderedDict = OrderedDict()
    text_files = {}
    for e in entries:
        folder = os.path.basename(os.path.dirname(e.member or e.path))
        pair = licsar.pair_of_folder(folder)
        if pair is not None and e.name in (folder + main, folder + licsar.CC_SUFFIX):
            by_folder.setdefault(e.folder, {"pair": pair, "rel": os.path.dirname(e.rel)})[
                "unw" if e.name.endswith(main) else "cc"] = e
            continue
        if wrapped and pair is not None and e.name == folder + licsar.UNW_SUFFIX:
            _reason(left, "unwrapped phase (this input takes the wrapped phase)", e)
            continue
        m = licsar.SCENE_RE.match(e.name)
        if m and m.group("key") in ("E", "N", "U", "hgt"):
            key = m.group("key")
            if key in scene:
                raise GeohazardError(f"two {key} rasters of the frame: {scene[key].rel} and {e.rel}; keep one copy")
            scene[key] = e
            continue
        g = licsar.GACOS_RE.match(e.name)
        if g:
            day = licsar.pair_of_folder(f"{g.group(1)}_{g.group(1)}")
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
        values = licsar.metadata_geometry(licsar.parse_metadata(meta.read_text(), meta.rel), meta.rel)
        for key, val in values.items():
            spec.geometry.setdefault(key, []).append((f"{meta.rel}", val))
    base = text_files.get("baselines")
    if base is not None:
        spec.scene["baselines"] = base.path
        per_date = licsar.parse_baselines(base.read_text(), base.rel)
        table, missing = licsar.pair_baselines(per_date, [p.pair for p in spec.pairs])
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


# ------------------------------------------------------------------ HyP3
_HYP3_UNUSED = {"amp": "amplitude", "los_disp": "displacement maps (the unwrapped phase is read)",
                "vert_disp": "displacement maps (the unwrapped phase is read)", "wrapped": "wrapped phase",
                "inc_map": "incidence maps (lv_theta is read)", "inc_map_ell": "incidence maps (lv_theta is read)",
                "readme": "README", "water_mask": "water mask"}


def _hyp3_txt_beside(products: dict) -> None:
    """The ``<name>.txt`` of a product whose files were given one by one (a list of its ``_unw_phase.tif`` or
    ``_clip.tif``), read from the folder beside them: its baseline, heading and reference are the product's."""
    for (name, where), files in products.items():
        if "txt" in files or "!" in where:
            continue
        first = next(iter(files.values()))
        path = os.path.join(os.path.dirname(first.path), f"{name}.txt")
        if os.path.isfile(path):
            rel = first.rel.rsplit("/", 1)[0] + f"/{name}.txt" if "/" in first.rel else f"{name}.txt"
            files["txt"] = Entry(path, rel)


def _relative_orbit(meta: dict) -> Optional[int]:
    """Relative orbit of a HyP3 pair from its reference granule's satellite and absolute orbit (ESA's cycle of 175
    orbits; the offsets as in MintPy's prep_hyp3)."""
    try:
        sat = meta["Reference Granule"][:3]
        orbit = int(meta["Reference Orbit Number"])
    except (KeyError, ValueError):
        return None
    offset = {"S1A": 73, "S1B": 202, "S1D": 42}.get(sat)
    if sat == "S1C":
        offset = 172 if orbit <= 8018 else 99
    return None if offset is None else (orbit - offset) % 175 + 1


def hyp3_stack(entries: list, wrapped: bool = False) -> StackSpec:
    """HyP3 products (zips, their extracted folders, or their files) as a :class:`StackSpec` (their optional
    ``_wrapped_phase.tif`` with ``wrapped``)."""
    main, other = ("wrapped", "unw") if wrapped else ("unw", "wrapped")
    suffix = "_wrapped_phase.tif" if wrapped else "_unw_phase.tif"
    unused = {**_HYP3_UNUSED, other: "unwrapped phase (this input takes the wrapped phase)" if wrapped
              else "wrapped phase"}
    products: OrderedDict = OrderedDict()  # (product name, zip or folder) -> {role: Entry}
    left: OrderedDict = OrderedDict()
    for e in entries:
        name = hyp3.product_name(e.name)
        role = hyp3.file_role(e.name, name) if name else None
        if role is None:
            why = "browse images and XML metadata" if name else "not a file of a HyP3 product"
            _reason(left, why, e)
            continue
        files = products.setdefault((name, e.zip or e.folder), {})
        old = files.get(role)
        if old is not None and hyp3.is_clipped(old.name) != hyp3.is_clipped(e.name):
            keep, drop = (old, e) if hyp3.is_clipped(old.name) else (e, old)
            _reason(left, "unclipped copies of the files clipped by ASF's MintPy recipe (the _clip.tif are read)",
                    drop)
            e = keep
        files[role] = e
    _hyp3_txt_beside(products)
    # one copy of each product: its extracted folder rather than its zip
    by_name: OrderedDict = OrderedDict()
    for (name, where), files in products.items():
        by_name.setdefault(name, []).append((where, files))
    spec = StackSpec("HyP3", "", [], wavelength=(hyp3.WAVELENGTH_LABEL, hyp3.WAVELENGTH_M))
    table: dict = {}
    no_baseline = []
    orbits: OrderedDict = OrderedDict()
    seen_pair: dict = {}
    for name, copies in by_name.items():
        copies.sort(key=lambda c: c[0].endswith(".zip!" + name) or ".zip!" in c[0])  # folders first
        where, files = copies[0]
        for _, other in copies[1:]:
            for e in other.values():
                _reason(left, "a second copy of a product (its extracted folder is read)", e)
        label = next(iter(files.values())).rel.rsplit("/", 1)[0] if "/" in next(iter(files.values())).rel else name
        if main not in files:
            what = "the wrapped phase, included when ordered with 'Include Wrapped Phase'" if wrapped \
                else "the unwrapped phase"
            spec.warnings.append(f"{label}: no {name}{suffix} ({what}) in the product; it is left out")
            for e in files.values():
                _reason(left, f"files of a product without {suffix}", e)
            continue
        meta = {}
        if "txt" in files:
            meta = hyp3.parse_parameters(files["txt"].read_text(), files["txt"].rel)
        from .dates import parse_date_pair

        pair = parse_date_pair(name)
        key = f"{pair[0]:%Y%m%d}_{pair[1]:%Y%m%d}"
        if key in seen_pair:
            raise GeohazardError(f"the pair {key} is given twice: {seen_pair[key]} and {name}; keep one product per "
                                 "pair")
        seen_pair[key] = name
        extras = {r: e.path for r, e in files.items() if r in ("dem", "lv_theta", "lv_phi", "water_mask")}
        spec.pairs.append(PairSpec(pair, files[main].path, files["coh"].path if "coh" in files else None,
                                   label=label, extras=extras, meta=meta))
        for r, e in files.items():
            if r in unused and r != "water_mask":
                _reason(left, unused[r], e)
        if meta:
            rel = files["txt"].rel
            for qkey, val in hyp3.parameters_geometry(meta, rel).items():
                spec.geometry.setdefault(qkey, []).append((rel, val))
            b = hyp3.parameters_baseline(meta, rel)
            if b is None:
                no_baseline.append(name)
            else:
                table[tuple(sorted(pair))] = b if pair[0] <= pair[1] else -b
            ref = hyp3.parameters_reference(meta)
            if ref is not None:
                spec.references[key] = ref
            orbit = _relative_orbit(meta)
            direction = hyp3.pass_direction(meta)
            if orbit is not None or direction:
                orbits.setdefault((orbit, direction), rel)
        else:
            no_baseline.append(name)
    if not spec.pairs:
        raise GeohazardError(f"no HyP3 product with its {suffix} was found"
                             + (": HyP3 includes the wrapped phase only when ordered with 'Include Wrapped Phase'; "
                                "the products' _unw_phase.tif are already unwrapped (give them to the stack tools' "
                                "INTERFEROGRAMS)" if wrapped else ""))
    if len(orbits) > 1:
        (a, fa), (b, fb) = list(orbits.items())[:2]
        raise GeohazardError(f"two tracks are mixed: {fa} (relative orbit {a[0]}, {a[1] or '?'}) and {fb} (relative "
                             f"orbit {b[0]}, {b[1] or '?'}); a stack is one track, give its products apart")
    n_coh = sum(p.coh is not None for p in spec.pairs)
    spec.sort_pairs("_corr.tif (coherence)", "product(s)", by_label=True)
    if no_baseline:
        spec.warnings.append(f"{len(no_baseline)} product(s) carry no 'Baseline:' in their .txt, e.g. "
                             f"{no_baseline[0]}: the products' baselines are not used")
    else:
        spec.baselines, spec.baselines_source = table, "the products' .txt files ('Baseline:')"
    zips = sum(p.unw.startswith("/vsizip/") for p in spec.pairs)
    spec.layout = f"{len(spec.pairs) - zips} product folder(s), {zips} zip(s) read in place"
    orbit = next(iter(orbits), (None, None))
    spec.frame = f"relative orbit {orbit[0]}" if orbit[0] is not None else ""
    spec.taken = [f"HyP3 InSAR products ({spec.layout}): {len(spec.pairs)} interferograms "
                  f"({spec.pairs[0].name} .. {spec.pairs[-1].name}), {n_coh} coherence rasters"
                  + (f", {spec.frame} {orbit[1].lower()}" if spec.frame and orbit[1] else "")]
    clipped = sum(hyp3.is_clipped(os.path.basename(p.unw)) for p in spec.pairs)
    if clipped:
        spec.taken.append(f"{clipped} product(s) read from the GeoTIFFs ASF's MintPy recipe clipped to the common "
                          "overlap (<name>_unw_phase_clip.tif, _corr_clip.tif ...; _clipped.tif alike), with the "
                          "product's .txt beside them")
    looks = sorted({r for p in spec.pairs for r in p.extras if r in ("lv_theta", "lv_phi", "dem")})
    if looks:
        spec.taken.append("per-pair geometry and DEM rasters: " + ", ".join(f"_{r}.tif" for r in looks))
    spec.left_out = [(rel, why) for why, rels in left.items() for rel in rels]
    return spec


# ------------------------------------------------------------------ ISCE2
def isce_refusal(entries: list) -> None:
    """An ISCE2 stack (topsStack ``merged/interferograms/<pair>/filt_fine.unw``, stripmapStack ``Igrams/``) is on the
    radar grid: its pixels have no map position of their own (``geom_reference/lat.rdr`` and ``lon.rdr`` hold it).
    Refused with what to give instead; geocoding with the lookup tables is not done here.

    Raises
    ------
    GeohazardError
        Always, naming the stack's first interferogram and its lookup tables when present.
    """
    from .product_walks import is_isce_unw

    unw = next(e for e in entries if is_isce_unw(e))
    lookup = [e.rel for e in entries if e.name in ("lat.rdr", "lon.rdr", "lat.rdr.full", "lon.rdr.full")]
    where = f" (the map position of each pixel is in {' and '.join(lookup[:2])})" if lookup else ""
    raise GeohazardError(
        f"the ISCE2 stack ({unw.rel} ...) is in radar coordinates: its pixels are on the radar grid, not on a "
        f"map{where}, and the outputs would have no map position. Geocode it first, then give the geocoded files: "
        "MintPy (load_data.py with the stack's lat.rdr/lon.rdr, then geocode.py: give the geocoded "
        "ifgramStack.h5 here), or gdalwarp -geoloc with the lookup tables, or ISCE's geocodeGdal.py")
