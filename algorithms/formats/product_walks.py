"""Stacks of GAMMA, GMTSAR, SNAP and ISCE2 as their users keep them, walked into a
:class:`~.stack_spec.StackSpec` (the other producers' walks are in their own modules: :mod:`.licsar`, :mod:`.hyp3_walk`,
:mod:`.gunw`, :mod:`.nisar`, :mod:`.opera`, :mod:`.roipac`); the four producers' declarations, :data:`PRODUCERS`,
go into :mod:`.producers` in that order (ISCE2, GMTSAR, SNAP, GAMMA).

* **GAMMA** (the DIFF&GEO outputs, :mod:`.gamma`): geocoded unwrapped interferograms ``*<d1>_<d2>*.unw`` (or
  ``<d1>-<d2>``; flat or one folder per pair), their coherence ``.cc`` / ``.cor`` / ``.coh`` of the same pair in the
  same folder, the DEM/MAP parameter file of their grid (``*.dem_par``, ``*_dem.par``, ``dem_seg.par``: by size),
  the image parameter files (``*.slc.par``, ``*.mli.par`` ...: incidence, heading, centre slant range, radar
  frequency), the heights ``*.dem``/``*.hgt`` on the grid and GAMMA's baseline tables (``*_bperp.par``). Without a
  DEM/MAP parameter file that fits them the interferograms are in radar coordinates (or the file was left behind):
  refused, saying so.
* **GMTSAR** (``intf_all/<yyyyddd>_<yyyyddd>/``, MintPy's ``prep_gmtsar.py``): ``unwrap_ll.grd`` (netCDF, geographic)
  and ``corr_ll.grd``; the dates are those of the two ``.PRM`` files in the pair folder (Sentinel-1
  ``S1_<yyyymmdd>_ALL_F<n>.PRM``; their ``radar_wavelength``), since the folder's day of year counts from 0 for
  Sentinel-1, TerraSAR-X, COSMO-SkyMed and RADARSAT-2 and from 1 for the others (as GMTSAR's authors say,
  gmtsar/gmtsar#13). The PRM files carry no heading: the tools that need one say to type it. Only ``unwrap.grd``
  (radar coordinates): refused.
* **SNAP** (BEAM-DIMAP: ``<product>.dim`` + ``<product>.data/`` with ENVI ``.img``/``.hdr`` bands): the bands
  ``Unw_Phase_*<ddMonYYYY>_<ddMonYYYY>*.img`` (SNAP's snaphu import) and ``coh_*<dates>*.img`` of one or several
  products, geocoded by *Terrain Correction* (the ``.hdr`` has a ``map info``); the ``.dim``'s abstracted metadata
  gives the radar frequency (MHz), the incidence (``incidence_near``/``incidence_far``) and ``centre_heading``.

Pure Python: names, text and XML; ``fileio/formats/products.py`` opens the rasters.
"""

from __future__ import annotations

import math
import os
import re
import xml.etree.ElementTree as ET
from collections import OrderedDict
from typing import Optional

from ..errors import GeohazardError
from . import gamma
from .baselines import read_gamma_bperp
from .dates import parse_date_pair
from .producer_spec import WRAPPED_STACK, Producer
from .stack_spec import Entry, PairSpec, StackSpec, one_wavelength
from .stack_spec import reason as _reason
from .wavelength import GMTSAR_SC_IDENTITY, header_wavelength

C_M_S = 299_792_458.0


# ------------------------------------------------------------------ which producer
#: ISCE2 stack processors' interferogram folders (topsStack ``merged/interferograms``, stripmapStack ``Igrams``)
#: and unwrapped files (``filt*.unw``; MintPy's ``defaults/auto_path.py``).
_ISCE_FOLDERS = ("interferograms", "Igrams")


def is_isce_unw(e: Entry) -> bool:
    path = (e.member or e.path).replace("\\", "/")
    parts = path.split("/")
    return (len(parts) >= 3 and parts[-3] in _ISCE_FOLDERS and re.fullmatch(r"\d{8}_\d{8}", parts[-2]) is not None
            and e.name.startswith("filt") and e.name.endswith((".unw", ".unw.vrt")))


def is_gamma_unw(e: Entry) -> bool:
    return e.name.lower().endswith(gamma.UNW_EXTS) and gamma.pair_key(e.name) is not None


def is_gmtsar_unw(e: Entry) -> bool:
    folder = os.path.basename(os.path.dirname(e.member or e.path))
    return e.name in ("unwrap_ll.grd", "unwrap.grd") and re.fullmatch(r"\d{7}_\d{7}", folder) is not None


def is_snap_header(e: Entry) -> bool:
    """A SNAP BEAM-DIMAP header (``.dim`` with SNAP's ``Abstracted_Metadata`` element; SPOT's DIMAP has none)."""
    if not e.name.lower().endswith(".dim"):
        return False
    try:
        return "Abstracted_Metadata" in e.read_text()
    except OSError:
        return False


def is_snap_unw(e: Entry) -> bool:
    folder = os.path.basename(os.path.dirname(e.member or e.path))
    return folder.endswith(".data") and e.name.lower().startswith("unw_phase") and e.name.lower().endswith(".img")


# ------------------------------------------------------------------ GAMMA
def gamma_stack(entries: list) -> StackSpec:
    """A GAMMA stack (see the module docstring). Zip members are not read (GAMMA delivers no archives)."""
    left: OrderedDict = OrderedDict()
    grids, images, pairs, bperp, heights = [], [], OrderedDict(), {}, []
    for e in entries:
        if e.zip:
            _reason(left, "inside a zip (GAMMA rasters are read from folders)", e)
            continue
        try:
            if gamma.is_dem_par_name(e.name):
                grids.append(gamma.dem_par(e.read_text(), e.path))
                continue
        except GeohazardError as exc:
            _reason(left, f"unreadable parameter file ({exc})", e)
            continue
        if gamma.is_image_par_name(e.name):
            # the scene's wavelength and geometry: a file that cannot be read is named, not left out (without it the
            # stack would take another sensor's wavelength)
            images.append(gamma.image_par(e.read_text(), e.path))
            continue
        ext = gamma.raster_ext(e.name)
        key = gamma.pair_key(e.name)
        if e.name.endswith("_bperp.par") and key:
            bperp[key] = e
        elif key and ext in gamma.UNW_EXTS + gamma.COH_EXTS:
            role = "unw" if ext in gamma.UNW_EXTS else "coh"
            slot = pairs.setdefault((key, e.folder), {})
            if role in slot:
                raise GeohazardError(f"two {role} files of the pair {key} in one folder: {slot[role].rel} and {e.rel}; "
                                     "keep one")
            slot[role] = e
        elif ext in (".dem", ".hgt") and not key:
            heights.append(e)
        else:
            _reason(left, "not a file of the stack", e)
    first_unw = next((s["unw"] for s in pairs.values() if "unw" in s), None)
    if first_unw is None:
        raise GeohazardError("the GAMMA folder holds no <date1>_<date2>...unw interferogram")
    if not grids:
        raise GeohazardError(
            f"the GAMMA interferograms ({first_unw.rel} ...) have no DEM/MAP parameter file (*.dem_par, *_dem.par, "
            "dem_seg.par) with them: they are in radar coordinates, or the parameter file of their map grid was "
            "left behind. Geocode them (GAMMA geocode_back with the lookup table of gc_map) and keep the DEM/MAP "
            "parameter file of that grid in the folder given")
    spec = StackSpec("GAMMA", "folder of geocoded GAMMA rasters", [])
    seen: dict = {}
    for (key, _), slot in pairs.items():
        if "unw" not in slot:
            _reason(left, "a coherence without its interferogram", slot["coh"])
            continue
        unw = slot["unw"]
        grid = gamma.pick_grid(os.path.getsize(unw.path), grids, ".unw", unw.rel)
        if grid is None:
            sizes = ", ".join(f"{os.path.basename(g.path)} {g.width} x {g.lines}" for g in grids)
            raise GeohazardError(f"{unw.rel} ({os.path.getsize(unw.path):,} bytes) fits none of the DEM/MAP grids "
                                 f"({sizes}; 4 bytes a pixel): cut short, in radar coordinates, or of another grid")
        if key in seen:
            raise GeohazardError(f"the pair {key} is given twice: {seen[key]} and {unw.rel}; keep one copy")
        seen[key] = unw.rel
        pair = parse_date_pair(key)
        coh = slot.get("coh")
        spec.raw[unw.path] = _raw(unw, grid, ".unw", spec)
        if coh is not None:
            cgrid = gamma.pick_grid(os.path.getsize(coh.path), [grid], ".cc", coh.rel)
            if cgrid is None:
                raise GeohazardError(f"{coh.rel}: the coherence is not on the interferogram's grid "
                                     f"({os.path.basename(grid.path)})")
            spec.raw[coh.path] = _raw(coh, grid, ".cc", spec)
        spec.pairs.append(PairSpec(pair, unw.path, coh.path if coh else None, label=unw.rel))
    _finish(spec, left, "coherence (.cc/.cor/.coh)")
    grid0 = spec.raw[spec.pairs[0].unw][0]
    for g in {spec.raw[p.unw][0].path for p in spec.pairs} - {grid0.path}:
        raise GeohazardError(f"the interferograms are on two GAMMA grids ({os.path.basename(grid0.path)} and "
                             f"{os.path.basename(g)}): one stack is one grid")
    for h in heights:
        if gamma.pick_grid(os.path.getsize(h.path), [grid0], gamma.raster_ext(h.name), h.rel) is not None:
            spec.scene["hgt"] = h.path
            spec.raw[h.path] = _raw(h, grid0, gamma.raster_ext(h.name), spec)
            break
    values, warnings = gamma.scene_values(images)
    spec.warnings += warnings
    for key, (val, where) in values.items():
        if key == "WAVELENGTH_M":
            spec.wavelength = (f"radar_frequency of {where}", val)
        else:
            spec.geometry.setdefault(key, []).append((where, val))
    if bperp:
        table = {}
        for key, e in bperp.items():
            d1, d2 = parse_date_pair(key)
            b = read_gamma_bperp(e.path)
            table[tuple(sorted((d1, d2)))] = b if d1 <= d2 else -b
        missing = [p.name for p in spec.pairs if tuple(sorted(p.pair)) not in table]
        if missing:
            spec.warnings.append(f"{len(missing)} pair(s) have no _bperp.par, e.g. {missing[0]}: the baselines are "
                                 "not used")
        else:
            spec.baselines, spec.baselines_source = table, "the pairs' GAMMA _bperp.par tables"
    spec.zero_is_nodata = True
    spec.taken = [f"GAMMA stack: {len(spec.pairs)} geocoded interferograms ({spec.pairs[0].name} .. "
                  f"{spec.pairs[-1].name}), {sum(p.coh is not None for p in spec.pairs)} coherence rasters, "
                  f"{_endian(spec)} float32 on the grid of {os.path.basename(grid0.path)} ({grid0.projection}, "
                  f"EPSG:{grid0.epsg}, {grid0.width} x {grid0.lines})"]
    if images:
        spec.taken.append("image parameter files: " + ", ".join(os.path.basename(p.path) for p in images[:3])
                          + (" ..." if len(images) > 3 else ""))
    if "hgt" in spec.scene:
        spec.taken.append(f"heights: {os.path.basename(spec.scene['hgt'])}")
    return spec


def _raw(e: Entry, grid, ext: str, spec: StackSpec) -> tuple:
    """``(grid, data type, byte order)`` of a headerless GAMMA raster; a little-endian one is warned about."""
    dtype = gamma.raster_dtype(os.path.getsize(e.path), grid, ext)
    order, note = gamma.byte_order(e.path, dtype, e.rel)
    if note:
        spec.warnings.append(note)
    return grid, dtype, order


def _endian(spec: StackSpec) -> str:
    orders = {spec.raw[p.unw][2] for p in spec.pairs}
    return {frozenset({"MSB"}): "big-endian", frozenset({"LSB"}): "little-endian"}.get(frozenset(orders),
                                                                                        "big- and little-endian")


def _finish(spec: StackSpec, left: OrderedDict, coh_name: str) -> None:
    spec.sort_pairs(coh_name)
    spec.left_out = [(rel, why) for why, rels in left.items() for rel in rels]


# ------------------------------------------------------------------ GMTSAR
_PRM_DATE = re.compile(r"(?<!\d)(\d{8})(?!\d)")


def parse_prm(text: str) -> dict:
    """``key = value`` pairs of a GMTSAR ``.PRM`` file."""
    out = {}
    for line in text.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def prm_wavelength(prm: dict, rel: str) -> Optional[float]:
    """The ``radar_wavelength`` (m) of a parsed ``.PRM`` (GMTSAR writes metres, ``prm->lambda = SOL /
    radarFrequency``; a unit written after the number is honoured), checked against the band of its
    ``SC_identity``; None when the file has none.

    Raises
    ------
    GeohazardError
        Naming the file: not a number, not a SAR wavelength (millimetres read as metres), not of the band of the
        spacecraft ``SC_identity`` names.
    """
    raw = prm.get("radar_wavelength")
    if not raw:
        return None
    sensor = None
    try:
        sensor = GMTSAR_SC_IDENTITY.get(int(float(prm.get("SC_identity", "").split()[0])))
    except (ValueError, IndexError):
        sensor = None
    return header_wavelength(raw, key="radar_wavelength", where=rel, default_unit="m", sensor=sensor)


def gmtsar_stack(entries: list) -> StackSpec:
    """A GMTSAR ``intf_all`` tree (see the module docstring)."""
    left: OrderedDict = OrderedDict()
    folders: OrderedDict = OrderedDict()
    for e in entries:
        folder = os.path.basename(os.path.dirname(e.member or e.path))
        if re.fullmatch(r"\d{7}_\d{7}", folder):
            folders.setdefault(e.folder, {"name": folder, "rel": os.path.dirname(e.rel), "prm": []})
            slot = folders[e.folder]
            if e.name in ("unwrap_ll.grd", "corr_ll.grd", "unwrap.grd"):
                slot[e.name] = e
                continue
            if e.name.endswith(".PRM"):
                slot["prm"].append(e)
                continue
        _reason(left, "not a file of the stack (unwrap_ll.grd, corr_ll.grd and the pair's .PRM are read)", e)
    spec = StackSpec("GMTSAR", "intf_all/<yyyyddd>_<yyyyddd>/unwrap_ll.grd, corr_ll.grd", [])
    radar = [s for s in folders.values() if "unwrap.grd" in s and "unwrap_ll.grd" not in s]
    if radar and not any("unwrap_ll.grd" in s for s in folders.values()):
        raise GeohazardError(
            f"the GMTSAR interferograms ({radar[0]['rel']}/unwrap.grd ...) are in radar coordinates: GMTSAR geocodes "
            "them to unwrap_ll.grd (geocode.csh, or proj_ra2ll.csh with trans.dat); give the pairs with their "
            "unwrap_ll.grd")
    wavelengths, seen = [], {}
    for slot in folders.values():
        if "unwrap_ll.grd" not in slot:
            if "unwrap.grd" in slot:
                _reason(left, "radar coordinates only (no unwrap_ll.grd)", slot["unwrap.grd"])
            continue
        dates = sorted({m for p in slot["prm"] for m in _PRM_DATE.findall(p.name)})
        if len(dates) != 2:
            raise GeohazardError(
                f"{slot['rel']}: the pair's dates are not known: GMTSAR names the folder by day of year counted from 0 "
                "for Sentinel-1, TerraSAR-X, COSMO-SkyMed and RADARSAT-2 and from 1 for the others, and the folder "
                f"holds {len(slot['prm'])} .PRM file(s) with a date in their name (the reference and repeat "
                "S1_<yyyymmdd>_ALL_F<n>.PRM that intf_tops.csh links there). Keep them in the pair folders")
        pair = parse_date_pair(f"{dates[0]}_{dates[1]}")
        key = f"{dates[0]}_{dates[1]}"
        if key in seen:
            raise GeohazardError(f"the pair {key} is given twice: {seen[key]} and {slot['rel']}; keep one copy")
        seen[key] = slot["rel"]
        _check_doy(slot["name"], pair, slot["rel"], spec)
        for p in slot["prm"]:
            wl = prm_wavelength(parse_prm(p.read_text()), p.rel)
            if wl is not None:
                wavelengths.append((wl, p.rel))
        coh = slot.get("corr_ll.grd")
        spec.pairs.append(PairSpec(pair, slot["unwrap_ll.grd"].path, coh.path if coh else None,
                                   label=slot["rel"]))
    if not spec.pairs:
        raise GeohazardError("the GMTSAR folder holds no <yyyyddd>_<yyyyddd>/unwrap_ll.grd")
    _finish(spec, left, "corr_ll.grd")
    if wavelengths:
        w0 = one_wavelength([(rel, w) for w, rel in wavelengths], " in radar_wavelength of their .PRM files")
        spec.wavelength = (f"radar_wavelength of the pairs' .PRM files ({wavelengths[0][1]} ...)", w0)
    spec.crs_if_missing = "EPSG:4326"  # GMT grids carry no CRS; *_ll.grd are longitude/latitude
    spec.taken = [f"GMTSAR stack: {len(spec.pairs)} geocoded interferograms ({spec.pairs[0].name} .. "
                  f"{spec.pairs[-1].name}), {sum(p.coh is not None for p in spec.pairs)} coherence rasters; dates from "
                  "the pairs' .PRM files; longitude/latitude (WGS 84) as GMTSAR's _ll.grd are"]
    spec.warnings.append("GMTSAR's files carry no heading: a tool that needs the acquisition geometry asks for it "
                         "(type HEADING and INCIDENCE)")
    return spec


def _check_doy(folder: str, pair: tuple, rel: str, spec: StackSpec) -> None:
    """The folder's yyyyddd against the PRM dates: day of year counted from 0 or 1, else refused."""
    for token, day in zip(folder.split("_"), pair):
        year, doy = int(token[:4]), int(token[4:])
        true = day.timetuple().tm_yday
        if year != day.year or doy not in (true, true - 1):
            raise GeohazardError(f"{rel}: the folder's {token} is not the date of its .PRM files ({day:%Y%m%d}, day "
                                 f"{true} of the year): the .PRM files are of another pair")


# ------------------------------------------------------------------ SNAP BEAM-DIMAP
def _dim_metadata(text: str, rel: str, units: Optional[dict] = None) -> dict:
    """Abstracted metadata of a ``.dim`` (``MDATTR`` name -> text); ``units`` (a dict) receives each attribute's
    ``unit`` (SNAP writes ``<MDATTR name="radar_frequency" unit="MHz">``)."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise GeohazardError(f"{rel} is not a readable BEAM-DIMAP header ({exc}): a download or copy cut short?") \
            from None
    out = {}
    for elem in root.iter("MDElem"):
        if elem.get("name") == "Abstracted_Metadata":
            for attr in elem.findall("MDATTR"):
                out.setdefault(attr.get("name"), (attr.text or "").strip())
                if units is not None and attr.get("unit"):
                    units.setdefault(attr.get("name"), attr.get("unit"))
            break
    return out


def snap_stack(entries: list) -> StackSpec:
    """SNAP BEAM-DIMAP products (see the module docstring)."""
    left: OrderedDict = OrderedDict()
    dims = {e.path[:-4]: e for e in entries if e.name.lower().endswith(".dim")}
    bands: OrderedDict = OrderedDict()
    for e in entries:
        folder = os.path.dirname(e.member or e.path)
        low = e.name.lower()
        if folder.endswith(".data") and low.endswith(".img"):
            role = "unw" if low.startswith("unw_phase") else "coh" if low.startswith("coh") else None
            if role is None:
                _reason(left, "other bands of the product (unwrapped phase and coherence are read)", e)
                continue
            try:
                pair = parse_date_pair(e.name)
            except (GeohazardError, ValueError):
                _reason(left, "a band without a date pair in its name", e)
                continue
            key = f"{pair[0]:%Y%m%d}_{pair[1]:%Y%m%d}"
            slot = bands.setdefault(key, {})
            if role in slot:
                raise GeohazardError(f"the pair {key} is given twice: {slot[role].rel} and {e.rel}; keep one copy")
            slot[role] = e
            slot["pair"], slot["product"] = pair, folder[:-5]
        elif not low.endswith((".dim", ".hdr")):
            _reason(left, "not a file of a BEAM-DIMAP product", e)
    spec = StackSpec("SNAP", "BEAM-DIMAP (<product>.dim + <product>.data/*.img, *.hdr)", [])
    with_data = {os.path.dirname(e.member or e.path)[:-5] for e in entries
                 if os.path.dirname(e.member or e.path).endswith(".data")}
    orphans = [d for stem, d in dims.items() if stem not in with_data]
    for d in orphans:
        # a header without its bands: named, never dropped without a word
        spec.warnings.append(f"{d.rel}: its folder {os.path.basename(d.path)[:-4]}.data (where SNAP writes the "
                             "product's bands) is not beside it; the product is left out. Copy it with its .data "
                             "folder")
        _reason(left, "a BEAM-DIMAP header without its .data folder", d)
    metas = []
    for slot in bands.values():
        if "unw" not in slot:
            _reason(left, "a coherence without its unwrapped phase", slot["coh"])
            continue
        dim = dims.get(slot["product"])
        if dim is None:
            raise GeohazardError(f"{slot['unw'].rel}: its product's header {os.path.basename(slot['product'])}.dim "
                                 "is not beside the .data folder; give the product as SNAP wrote it")
        units: dict = {}
        meta = _dim_metadata(dim.read_text(), dim.rel, units)
        meta["_units"] = units
        metas.append((meta, dim.rel))
        coh = slot.get("coh")
        spec.pairs.append(PairSpec(slot["pair"], slot["unw"].path, coh.path if coh else None, label=slot["unw"].rel))
    if not spec.pairs:
        if orphans:
            raise GeohazardError(f"{orphans[0].rel}: its folder {os.path.basename(orphans[0].path)[:-4]}.data (where "
                                 "SNAP writes the product's bands) is not beside it"
                                 + (f", nor are those of {len(orphans) - 1} other .dim" if len(orphans) > 1 else "")
                                 + ": the unwrapped phase is in the .data folder; give the products with their .data "
                                 "folders")
        raise GeohazardError("the BEAM-DIMAP products hold no Unw_Phase_*<date1>_<date2>*.img band (SNAP's "
                             "unwrapped phase, imported from SNAPHU)")
    _finish(spec, left, "coh_*.img band")
    _snap_values(spec, metas)
    spec.zero_is_nodata = True  # Terrain Correction fills the area outside the data with 0 (the bands' no-data)
    spec.taken = [f"SNAP BEAM-DIMAP: {len(spec.pairs)} unwrapped interferograms ({spec.pairs[0].name} .. "
                  f"{spec.pairs[-1].name}) in {len({m[1] for m in metas})} product(s), "
                  f"{sum(p.coh is not None for p in spec.pairs)} coherence bands"]
    return spec


def _snap_values(spec: StackSpec, metas: list) -> None:
    def num(meta, key):
        try:
            v = float(meta.get(key, "").split()[0])
        except (ValueError, IndexError):
            return None
        return v if math.isfinite(v) and v != 99999.0 else None  # SNAP's 'no value'

    # SNAP writes the frequency in MHz, its unit as the attribute's (read with it), checked against MISSION's band
    wls = [(header_wavelength(m["radar_frequency"], key="radar_frequency", where=rel, default_unit="MHz",
                              unit=m["_units"].get("radar_frequency", ""), sensor=m.get("MISSION")), rel)
           for m, rel in metas if num(m, "radar_frequency")]
    if wls:
        w0 = one_wavelength([(rel, w) for w, rel in wls], " from radar_frequency of their .dim")
        spec.wavelength = (f"radar_frequency of {wls[0][1]}", w0)
    for m, rel in metas[:1]:
        near, far = num(m, "incidence_near"), num(m, "incidence_far")
        if near is not None and far is not None and 0.5 <= near <= 89.5 and 0.5 <= far <= 89.5:
            spec.geometry.setdefault("INCIDENCE_DEG", []).append((f"{rel} (mean of incidence_near and "
                                                                  "incidence_far)", (near + far) / 2.0))
        head = num(m, "centre_heading")
        if head is not None and -360.0 <= head <= 360.0:
            spec.geometry.setdefault("HEADING_DEG", []).append((f"{rel} (centre_heading)", head))


# ------------------------------------------------------------------ ISCE2 (radar coordinates, lookup tables)
def _gdal_readable(e: Entry, names: dict) -> Optional[str]:
    """The path GDAL opens for an ISCE file: its ``.vrt`` (ISCE writes one beside each image), else the file with its
    ``.xml`` (GDAL's ISCE driver), else None."""
    if e.name.endswith(".vrt"):
        return e.path
    if e.name + ".vrt" in names.get(e.folder, ()):
        return e.path + ".vrt"
    if e.name + ".xml" in names.get(e.folder, ()):
        return e.path
    return None


def isce_stack(entries: list) -> Optional[StackSpec]:
    """An ISCE2 stack in radar coordinates with its lookup tables (topsStack ``merged/interferograms/<pair>/
    filt_fine.unw`` + ``filt_fine.cor``, ``merged/geom_reference/lat.rdr``, ``lon.rdr``, ``los.rdr``; stripmapStack
    ``Igrams/``, ``geom_reference/``), to be geocoded with the lookup tables as ``gdalwarp -geoloc`` does; None when
    the lookup tables are not there in a form GDAL reads (the caller refuses, saying so)."""
    names: dict = {}
    for e in entries:
        names.setdefault(e.folder, set()).add(e.name)
    lookup = {}
    for e in entries:
        base = e.name[:-4] if e.name.endswith(".vrt") else e.name
        if base in ("lat.rdr", "lon.rdr", "los.rdr") and not e.zip:
            path = _gdal_readable(e, names)
            if path is not None:
                lookup.setdefault(base.split(".")[0], path)
    if "lat" not in lookup or "lon" not in lookup:
        return None
    left: OrderedDict = OrderedDict()
    pairs: OrderedDict = OrderedDict()
    for e in entries:
        if e.zip:
            continue
        folder = os.path.basename(os.path.dirname(e.path))
        base = e.name[:-4] if e.name.endswith(".vrt") else e.name
        if is_isce_unw(e) or (base.startswith("filt") and base.endswith((".cor", ".coh"))
                               and re.fullmatch(r"\d{8}_\d{8}", folder)):
            role = "unw" if base.endswith(".unw") else "coh"
            path = _gdal_readable(e, names)
            if path is not None:
                pairs.setdefault(os.path.dirname(e.path), {})[role] = (path, e.rel)
            continue
        if base not in ("lat.rdr", "lon.rdr", "los.rdr") and not e.name.endswith((".xml", ".vrt")):
            _reason(left, "not a file of the stack (filt*.unw, filt*.cor and the lookup tables are read)", e)
    spec = StackSpec("ISCE2", "radar coordinates with lookup tables (geom_reference/lat.rdr, lon.rdr)", [])
    for folder, slot in pairs.items():
        if "unw" not in slot:
            continue
        pair = parse_date_pair(os.path.basename(folder))
        spec.pairs.append(PairSpec(pair, slot["unw"][0], slot["coh"][0] if "coh" in slot else None,
                                   label=os.path.dirname(slot["unw"][1])))
    if not spec.pairs:
        return None
    _finish(spec, left, "filt*.cor (coherence)")
    spec.lookup = dict(lookup)
    spec.zero_is_nodata = True  # ISCE's unwrapped files are 0 outside the data
    spec.taken = [f"ISCE2 stack in radar coordinates: {len(spec.pairs)} interferograms ({spec.pairs[0].name} .. "
                  f"{spec.pairs[-1].name}), {sum(p.coh is not None for p in spec.pairs)} coherence rasters, geocoded "
                  f"with the lookup tables {os.path.basename(lookup['lat'])} and {os.path.basename(lookup['lon'])} "
                  "(as gdalwarp -geoloc does; the unwrapped phase is band 2 of filt*.unw)"]
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
    unw = next(e for e in entries if is_isce_unw(e))
    lookup = [e.rel for e in entries if e.name in ("lat.rdr", "lon.rdr", "lat.rdr.full", "lon.rdr.full")]
    where = f" (the map position of each pixel is in {' and '.join(lookup[:2])})" if lookup else ""
    raise GeohazardError(
        f"the ISCE2 stack ({unw.rel} ...) is in radar coordinates: its pixels are on the radar grid, not on a "
        f"map{where}, and the outputs would have no map position. Geocode it first, then give the geocoded files: "
        "MintPy (load_data.py with the stack's lat.rdr/lon.rdr, then geocode.py: give the geocoded "
        "ifgramStack.h5 here), or gdalwarp -geoloc with the lookup tables, or ISCE's geocodeGdal.py")


# ------------------------------------------------------------------ the producers
def _gamma_par(e: Entry) -> bool:
    return gamma.is_dem_par_name(e.name) or gamma.is_image_par_name(e.name)


def _gamma_claims(e: Entry, listing) -> bool:
    """GAMMA's ``.unw`` names are a date pair and an extension: a stack's only beside an image or DEM/MAP parameter
    file."""
    return is_gamma_unw(e) and listing.any(_gamma_par)


def _read_isce(entries: list, roots: list, wrapped: bool) -> Optional[StackSpec]:
    spec = isce_stack(entries) if not wrapped else None
    if spec is None:
        isce_refusal(entries)
    return spec


#: The stacks walked here, in the order they are tried.
PRODUCERS = (
    Producer("ISCE2", claims=lambda e, listing=None: is_isce_unw(e), read_stack=_read_isce),
    Producer("GMTSAR", claims=lambda e, listing=None: is_gmtsar_unw(e),
             read_stack=lambda entries, roots, wrapped: gmtsar_stack(entries), wrapped_refusal=WRAPPED_STACK,
             radar_hint="give GMTSAR's geocoded unwrap_ll.grd (geocode.csh)"),
    Producer("SNAP", claims=lambda e, listing=None: is_snap_unw(e),
             read_stack=lambda entries, roots, wrapped: snap_stack(entries), wrapped_refusal=WRAPPED_STACK,
             claims_alone=is_snap_header,
             radar_hint="apply SNAP's Radar > Geometric > Terrain Correction to the products (the bands' .hdr then "
                        "has a 'map info') and give those"),
    Producer("GAMMA", claims=_gamma_claims, read_stack=lambda entries, roots, wrapped: gamma_stack(entries),
             wrapped_refusal=WRAPPED_STACK,
             radar_hint="geocode the interferograms with geocode_back and keep the DEM/MAP parameter file"),
)
