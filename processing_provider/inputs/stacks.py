"""Stack inputs: the stack tools' parameters into plain file lists and an opened
:class:`..fileio.timeseries.stacks.StackInput`.

The one stack-spec reader of every stack tool. INTERFEROGRAMS takes a product as its producer delivers it (a LiCSAR
frame: LiCSBAS's ``GEOC/`` or the portal's frame folder; HyP3 zips or their folders; the list the dialog's "Add
Directory..." makes of such a tree): :func:`product_stack` walks the producer's layout
(:mod:`..algorithms.formats.products`), puts the pairs on one grid (STACK_EXTENT) and hands the tools the product's
coherence, wavelength, geometry and baselines, the log saying what was taken, what was left out and why
(:mod:`..fileio.formats.products`). Otherwise a raster-list parameter takes plain rasters and folders: a folder's files,
or a list the dialog's "Add Directory..." made, are filtered to the stack's rasters (interferograms or coherence) as
:func:`..fileio.timeseries.stacks.filter_stack_files` does; a MintPy ``ifgramStack.h5`` may stand as the one item of
INTERFEROGRAMS.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from typing import Optional

from qgis.core import QgsCoordinateReferenceSystem

from ...algorithms.errors import GeohazardError
from ...algorithms.formats import geometry_meta as gm
from ...algorithms.formats.baselines import read_baselines
from ...algorithms.formats.dates import parse_date_pair, parse_date_pairs
from ...algorithms.formats.product_files import date_pair_problem
from ...algorithms.formats.products import read_stack_items
from ...algorithms.formats.slc import SLC_EXT, slc_folder_files, slc_list_files
from ...fileio.base.raster import RASTER_EXT, RasterInfo, check_same_grid, raster_info
from ...fileio.corrections.corrections import Stack as CorrectionStack
from ...fileio.formats.products import EXTENTS, ProductStack, open_product
from ...fileio.psds.slc import SlcStack
from ...fileio.timeseries import stack_reference
from ...fileio.timeseries.stacks import (
    StackInput,
    filter_stack_files,
    has_date_pair,
    is_mintpy_stack,
    open_stack,
    write_network_report,
)
from . import ids
from .feedback import FeedbackProgress
from .ids import (
    BASELINES,
    COHERENCE,
    INPUT_UNITS,
    INTERFEROGRAMS,
    MINTPY_STACK,
    OUTPUT_REPORT,
    STACK_EXTENT,
    WAVELENGTH,
)
from .wavelength import user_wavelength


def ignored_report(ignored: dict) -> list:
    """One line per input list that had files left out (as after the dialog's "Add Directory...")."""
    lines = []
    for name, files in (ignored or {}).items():
        if not files:
            continue
        sidecars = [f for f in files if not f.lower().endswith(RASTER_EXT)]
        rasters = sorted((f for f in files if f.lower().endswith(RASTER_EXT)), key=lambda f: (has_date_pair(f), f))
        what = "interferograms" if name == "INTERFEROGRAMS" else "coherence rasters"
        text = f"{name}: left out {len(files)} file(s) of the list that are not {what} of the stack"
        if sidecars:
            text += f"; {len(sidecars)} sidecar file(s) (.aux.xml ...)"
        if rasters:
            text += f"; {len(rasters)} raster(s): " + ", ".join(os.path.basename(f) for f in rasters[:6]) \
                + (" ..." if len(rasters) > 6 else "")
        lines.append(text)
    return lines


def raw_list(value) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def stack_extent(alg, parameters, context) -> str:
    """STACK_EXTENT as :data:`..fileio.formats.products.EXTENTS` names it ("common" when the tool has no such
    parameter)."""
    if alg.parameterDefinition(STACK_EXTENT) is None or parameters.get(STACK_EXTENT) in (None, ""):
        return EXTENTS[0]
    return EXTENTS[alg.parameterAsEnum(parameters, STACK_EXTENT, context)]


def product_stack(alg, parameters, context, name: str = INTERFEROGRAMS, *,
                  wrapped: bool = False) -> Optional[ProductStack]:
    """The product given as ``name`` (LiCSAR frame, HyP3 zips or folders ...) opened on one grid, or None when the
    items are plain rasters (or layers, or a MintPy stack).

    Made once per run and parameter values (the guard, the checks and the run share it: kept on ``alg`` until
    the run ends, :meth:`..tools._base.GeohazardAlgorithm.processAlgorithm`). ``wrapped``: the pairs' wrapped phase
    (the unwrapping tool's INPUT)."""
    items = raw_list(parameters.get(name))
    if not items or not all(isinstance(i, str) for i in items):
        return None
    extent = stack_extent(alg, parameters, context)
    key = (name, tuple(items), extent, wrapped)
    cache = getattr(alg, "_geohazard_products", None)
    if cache is not None and key in cache:  # kept only for items that hold no MintPy stack (names alone tell)
        return cache[key]
    if any(is_mintpy_stack(i) for i in items):
        return None
    if cache is None:
        cache = {}
        alg._geohazard_products = cache
    if key not in cache:
        spec = read_stack_items(items, name=name, wrapped=wrapped)
        cache[key] = open_product(spec, extent=extent, name=name, wrapped=wrapped) if spec is not None else None
    return cache[key]


def opened_product_geometry(alg) -> dict:
    """What the products this run opened say of the acquisition (``{INCIDENCE_DEG | HEADING_DEG | SLANT_RANGE_M:
    value}`` and ``pairs``: ``{(earlier, later): perpendicular baseline m}``), for the run's outputs to carry on
    (:func:`~...fileio.base.metadata.stamp_geometry`): a product's scene values are in its own files (metadata.txt, the
    .txt beside each pair), not in the rasters the run lists."""
    out: dict = {}
    for product in (getattr(alg, "_geohazard_products", None) or {}).values():
        if product is None:
            continue
        for key, (value, where) in product.geometry.items():
            if key not in out:
                out[key] = float(value)
                out[key + gm.SOURCE_SUFFIX] = f"the {product.spec.producer} product: {where}"
        if product.spec.baselines:
            out.setdefault("pairs", {}).update({tuple(sorted(k)): float(v) for k, v in product.spec.baselines.items()})
    return out


def _product_coherence(alg, parameters, context, product: ProductStack) -> Optional[list]:
    """The coherence of a product stack: the product's own when COHERENCE is empty or names the same items as
    INTERFEROGRAMS; None when COHERENCE names other files (read as given)."""
    given = raw_list(parameters.get(COHERENCE))
    if not given or given == raw_list(parameters.get(INTERFEROGRAMS)):
        return list(product.coh_paths)
    return None


def _folder_problem(name: str, folder: str, want: str) -> str:
    """Why a folder gives no raster: its top level holds none (naming what its subfolders hold)."""
    what = "coherence raster" if want == "coh" else "interferogram"
    deeper = 0
    for _root, _dirs, files in os.walk(folder):
        deeper += sum(f.lower().endswith(RASTER_EXT + (".zip",)) for f in files)
    try:
        spec = read_stack_items([folder], name=name) if deeper else None
    except GeohazardError:
        spec = None
    if spec is not None:
        return (f"{name}: the folder {folder!r} holds {spec.producer} products ({len(spec.pairs)} unwrapped "
                f"interferograms): they are read as delivered by the stack tools' {INTERFEROGRAMS} (with their "
                f"coherence); {name} of this tool takes rasters at the folder's top level")
    if deeper:
        return (f"{name}: the folder {folder!r} holds no {what} at its top level, and its subfolders hold {deeper} "
                "raster(s) in a layout not recognised as a product: give a LiCSAR frame (LiCSBAS GEOC/ or the "
                "portal's frame folder), HyP3 zips or their folders, or the folder holding the rasters themselves "
                f"({', '.join(RASTER_EXT)})")
    return f"{name}: the folder {folder!r} holds no {what} ({', '.join(RASTER_EXT)})"


def expand_raster_inputs(alg, parameters, name: str, context, *, want: str,
                         ignored: Optional[list] = None) -> list[str]:
    """File paths of a multiple-raster parameter that also accepts folders (:func:`_expand_raster_inputs`).

    Within a run (``alg._geohazard_expanded`` a dict: the guard, the tool's check and its reading ask the same
    lists several times) a list of paths is expanded once and the answer reused; a value with layers in it, or
    one refused, is expanded each time."""
    memo = getattr(alg, "_geohazard_expanded", None)
    items = raw_list(parameters.get(name))
    if not isinstance(memo, dict) or not all(isinstance(i, str) for i in items):
        return _expand_raster_inputs(alg, parameters, name, context, want=want, ignored=ignored)
    # what the expansion reads besides the list: the product given as INTERFEROGRAMS (COHERENCE may take its
    # coherence) and the grid of a product's pairs
    key = (name, want, tuple(items), repr(parameters.get(INTERFEROGRAMS)), repr(parameters.get(STACK_EXTENT)))
    if key not in memo:
        left_out: list = []
        memo[key] = (_expand_raster_inputs(alg, parameters, name, context, want=want, ignored=left_out), left_out)
    paths, left_out = memo[key]
    if ignored is not None:
        ignored += left_out
    return list(paths)


def _expand_raster_inputs(alg, parameters, name: str, context, *, want: str,
                          ignored: Optional[list] = None) -> list[str]:
    """File paths of a multiple-raster parameter that also accepts folders.

    INTERFEROGRAMS given as a product (:func:`product_stack`) gives the product's interferograms, and COHERENCE
    its coherence (when COHERENCE is empty or names the same items). Otherwise ``want="ifg"`` keeps
    unwrapped-looking files from a folder (names with ``unw``, or every raster that is not a coherence file);
    ``want="coh"`` keeps coherence files (``cc``, ``coh``, ``cor``). A list of several files is filtered the same
    way (the dialog's "Add Directory..." adds every file of the folder); the files left out are appended to
    ``ignored``. A MintPy ``.h5`` item is not a raster and is left out (see :func:`mintpy_stack_path`).
    """
    if name in (INTERFEROGRAMS, COHERENCE):
        product = product_stack(alg, parameters, context)
        if product is not None:
            if name == INTERFEROGRAMS:
                return list(product.ifg_paths)
            coh = _product_coherence(alg, parameters, context, product)
            if coh is not None:
                return coh
        if name == COHERENCE:  # a product's coherence beside plain interferograms (e.g. corrected ones)
            own = product_stack(alg, parameters, context, name=COHERENCE)
            if own is not None:
                if not own.coh_paths:
                    raise GeohazardError(f"{COHERENCE}: the {own.spec.producer} product given holds no coherence "
                                         "raster")
                return list(own.coh_paths)
    paths: list[str] = []
    listed: list[str] = []
    others = []
    for item in raw_list(parameters.get(name)):
        text = item if isinstance(item, str) else None
        if text and os.path.isdir(text):
            try:
                files = filter_stack_files(sorted(glob.glob(os.path.join(text, "*"))), want)
            except GeohazardError as exc:
                raise GeohazardError(f"{name}: {exc}") from None
            if not files:
                raise GeohazardError(_folder_problem(name, text, want))
            paths += files
        elif is_mintpy_stack(text):
            continue
        elif text and os.path.isfile(text):
            listed.append(text)
        else:
            others.append(item)
    if len(listed) > 1:
        try:
            kept = filter_stack_files(listed, want)
        except GeohazardError as exc:
            raise GeohazardError(f"{name}: {exc}") from None
        if ignored is not None:
            ignored += [f for f in listed if f not in kept]
        listed = kept
    paths += listed
    if others:
        layers = alg.parameterAsLayerList({name: others}, name, context)
        if len(layers) != len(others):
            raise GeohazardError(f"{name}: {others!r} could not be loaded as raster layers")
        paths += [lyr.source() for lyr in layers]
    return paths


def mintpy_stack_path(alg, parameters, context) -> str:
    """A MintPy ifgramStack.h5: MINTPY_STACK (kept for scripts), or an ``.h5`` given as INTERFEROGRAMS."""
    h5 = alg.parameterAsFile(parameters, "MINTPY_STACK", context) if "MINTPY_STACK" in parameters else ""
    if h5:
        return h5
    items = [i for i in raw_list(parameters.get("INTERFEROGRAMS")) if is_mintpy_stack(i)]
    if len(items) > 1:
        raise GeohazardError("INTERFEROGRAMS: give one MintPy ifgramStack.h5, not several")
    return items[0] if items else ""


def expand_file_inputs(value) -> list[str]:
    out = []
    for item in raw_list(value):
        text = str(item)
        if os.path.isdir(text) or os.path.isfile(text):
            out.append(text)
        elif text:
            raise GeohazardError(f"BASELINES: {text!r} is neither a file nor a folder")
    return out


def stack_raster_files(alg, parameters, context) -> dict:
    """The raster files the stack tools read (for the guard layer): folder contents filtered as they are."""
    return {name: expand_raster_inputs(alg, parameters, name, context, want=want)
            for name, want in (("INTERFEROGRAMS", "ifg"), ("COHERENCE", "coh"))}


#: The list parameters of the stack tools that also take folders.
STACK_LISTS = (INTERFEROGRAMS, COHERENCE, BASELINES)


def check_stack(alg, parameters, context, *, mintpy: bool = False) -> None:
    """The stack tools' checks: interferograms given (or a MintPy stack), dated, folders readable."""
    has_h5 = mintpy and bool(mintpy_stack_path(alg, parameters, context))
    ifgs = expand_raster_inputs(alg, parameters, INTERFEROGRAMS, context, want="ifg")
    if not ifgs and not has_h5:
        raise GeohazardError("INTERFEROGRAMS: give a folder or a list of unwrapped interferograms"
                             + (", or a MINTPY_STACK" if mintpy else ""))
    if ifgs and has_h5:
        raise GeohazardError("give either INTERFEROGRAMS or MINTPY_STACK, not both")
    parse_date_pairs(ifgs, name=INTERFEROGRAMS)
    expand_raster_inputs(alg, parameters, COHERENCE, context, want="coh")
    expand_file_inputs(parameters.get(BASELINES))


def check_weighting(alg, parameters, context) -> None:
    """Coherence-based WEIGHTING and a COHERENCE_THRESHOLD need coherence (rasters, or a MintPy stack's)."""
    raw = raw_list(parameters.get(COHERENCE))
    has_coh = bool(raw) or bool(parameters.get(MINTPY_STACK)) \
        or any(is_mintpy_stack(i) for i in raw_list(parameters.get(INTERFEROGRAMS)))
    if not has_coh:
        product = product_stack(alg, parameters, context)
        has_coh = product is not None and bool(product.coh_paths)
    if (alg.parameterAsEnum(parameters, "WEIGHTING", context) == 1
            or alg.parameterAsDouble(parameters, ids.COHERENCE_THRESHOLD, context) > 0) and not has_coh:
        raise GeohazardError("WEIGHTING by coherence and COHERENCE_THRESHOLD need COHERENCE rasters (or a product "
                             "that carries its coherence)")


def _carry_stack_geometry(alg, stack, attributes=()) -> None:
    """The stack's baselines (read from BASELINES or a MintPy stack) and the scene geometry a MintPy stack's
    attributes hold, for the run's outputs to carry (:meth:`..tools._base.GeohazardAlgorithm.carry_geometry`)."""
    carry = getattr(alg, "carry_geometry", None)
    if carry is None:
        return
    net = stack.network
    if net.bperp_m is not None:
        carry(pairs={tuple(sorted(p)): float(b) for p, b in zip(net.pairs, net.bperp_m)})
    for key, q in gm.QUANTITIES.items():
        try:
            hit = gm.single_value(q, *gm.collect(q, attributes))
        except GeohazardError:
            continue
        if hit is not None:
            carry(**{key: hit[0]})


def gather_stack(alg, parameters, context, *, allow_mintpy: bool = True, units_param: str = INPUT_UNITS,
                 baselines: bool = True, feedback=None) -> StackInput:
    """INTERFEROGRAMS / COHERENCE / MINTPY_STACK / BASELINES / WAVELENGTH_M as a :class:`StackInput`.

    The wavelength follows the one rule (WAVELENGTH_M if given, else what the product or the inputs' metadata
    say, else Sentinel-1), as do the baselines (BASELINES > the product's files > the interferograms' metadata);
    all are logged on ``feedback``, as are the files of the lists left out."""
    units = alg.parameterAsEnum(parameters, units_param, context) if units_param in parameters else 0
    log = FeedbackProgress(feedback)
    h5 = mintpy_stack_path(alg, parameters, context) if allow_mintpy else ""
    wavelength = user_wavelength(alg, parameters, WAVELENGTH, context)
    if h5:
        stack = open_stack([], mintpy_h5=h5, wavelength_m=wavelength, log=log)
        _carry_stack_geometry(alg, stack, attributes=[(os.path.basename(h5), stack.mintpy.attrs)])
        return stack
    product = product_stack(alg, parameters, context)
    if product is not None:
        return _product_input(alg, parameters, context, product, units=units, units_param=units_param,
                              wavelength=wavelength, baselines=baselines, log=log)
    ignored: dict = {INTERFEROGRAMS: [], COHERENCE: []}
    paths = expand_raster_inputs(alg, parameters, INTERFEROGRAMS, context, want="ifg", ignored=ignored[INTERFEROGRAMS])
    if not paths:
        raise GeohazardError("INTERFEROGRAMS: give a folder or a list of unwrapped interferograms"
                             + (", or a MINTPY_STACK" if allow_mintpy else ""))
    coh = expand_raster_inputs(alg, parameters, COHERENCE, context, want="coh", ignored=ignored[COHERENCE])
    files = expand_file_inputs(parameters.get(BASELINES)) if baselines else []
    stack = open_stack(paths, coh_paths=coh, baseline_files=files, units=units, wavelength_m=wavelength,
                       ignored=ignored, log=log)
    if files:
        _carry_stack_geometry(alg, stack)
    for line in ignored_report(ignored):
        log.push_info(line)
    return stack


def _product_input(alg, parameters, context, product: ProductStack, *, units: int, units_param: str, wavelength,
                   baselines: bool, log) -> StackInput:
    """A product's stack as a :class:`StackInput`: its files on one grid, its wavelength, baselines and geometry
    (carried onto the run's outputs), each typed value over the product's and a contradiction warned about."""
    product.log(log)
    coh = expand_raster_inputs(alg, parameters, COHERENCE, context, want="coh")
    if coh and not raw_list(parameters.get(COHERENCE)):
        log.push_info(f"{COHERENCE}: the product's coherence is used ({len(coh)} rasters)")
    if units != 0 and units_param in parameters:
        log.push_warning(f"{units_param}: the product's unwrapped phase is in radians growing with the range "
                         f"(positive away from the satellite), but {units_param} = {units} was given; "
                         f"{units_param} is used. Leave it at its first option to read the product as delivered")
    files = expand_file_inputs(parameters.get(BASELINES)) if baselines else []
    spec = product.spec
    table = None
    if files:
        table = read_baselines(files)
        if spec.baselines:
            common = [p for p in table if p in spec.baselines]
            odd = [p for p in common if abs(table[p] - spec.baselines[p]) > gm.BASELINE_AGREE_M]
            if odd:
                p = odd[0]
                log.push_warning(f"{BASELINES}: {len(odd)} baseline(s) disagree with {spec.baselines_source}, e.g. "
                                 f"{p[0]:%Y%m%d}_{p[1]:%Y%m%d}: {table[p]:.2f} m given, {spec.baselines[p]:.2f} m in "
                                 f"the product; {BASELINES} is used")
    elif baselines and spec.baselines:
        table = dict(spec.baselines)
        log.push_info(f"perpendicular baselines of the {len(spec.pairs)} interferograms: from {spec.baselines_source}")
    stack = open_stack(product.ifg_paths, coh_paths=coh, baseline_table=table, units=units, wavelength_m=wavelength,
                       product_wavelength=spec.wavelength, log=log)
    stack.product = product  # the VRTs live as long as the stack reads them
    carry = getattr(alg, "carry_geometry", None)
    if carry is not None:
        carry(**{key: value for key, (value, _) in product.geometry.items()})
    if table is not None:
        _carry_stack_geometry(alg, stack)
    return stack


def write_report(alg, parameters, context, net, full, flt, ref_rc, log=None) -> dict:
    """The network report asked for as OUTPUT_REPORT (HTML, with PNG and text next to it; the PNG left out with a
    warning on ``log`` when matplotlib is missing)."""
    if not parameters.get(OUTPUT_REPORT):
        return {}
    return write_network_report(alg.parameterAsFileOutput(parameters, OUTPUT_REPORT, context), net, full, flt, ref_rc,
                                log=log)


def raster_list_paths(alg, parameters, name: str, context) -> list[str]:
    """The files of a multiple-raster parameter: a list of file paths as given (what QGIS's layers of them
    report as their source), without loading each as a QGIS layer; layers, names and URIs through QGIS."""
    items = raw_list(parameters.get(name))
    if items and all(isinstance(i, str) and os.path.isfile(i) for i in items):
        return list(items)
    return [lyr.source() for lyr in alg.parameterAsLayerList(parameters, name, context)]


def slc_paths(alg, parameters, context, ignored: Optional[list] = None) -> list[str]:
    """The SLC rasters of INPUT: a folder's SLC files (:func:`slc_folder_files`: one file per date, ISCE's dated
    subfolders too); a list of several files filtered the same way (the dialog's "Add Directory..." lists every
    file of a folder), the files left out appended to ``ignored``; layers as QGIS gives them."""
    paths, listed, rest = [], [], []
    for item in raw_list(parameters.get("INPUT")):
        if isinstance(item, str) and os.path.isdir(item):
            files = slc_folder_files(item)
            if not files:
                raise GeohazardError(f"INPUT: the folder {item!r} holds no SLC raster (one file per date named with "
                                     f"its date, {', '.join(SLC_EXT)}; or one subfolder per date as ISCE's "
                                     "merged/SLC)")
            paths += files
        elif isinstance(item, str) and os.path.isfile(item):
            listed.append(item)
        else:
            rest.append(item)
    if len(listed) > 1:
        kept = slc_list_files(listed)
        if kept:
            if ignored is not None:
                ignored += [f for f in listed if f not in kept]
            listed = kept
    paths += listed
    if rest:
        paths += raster_list_paths(alg, {"INPUT": rest}, "INPUT", context)
    return paths


def slc_raster_files(alg, parameters, context) -> dict:
    """The files the SLC-stack tools read, for the guard (a folder's SLC files, not every raster in it)."""
    return {"INPUT": slc_paths(alg, parameters, context)}


def slc_stack(alg, parameters, context, need_complex=True, feedback=None) -> SlcStack:
    """The SLC rasters of INPUT as an :class:`..fileio.psds.slc.SlcStack` (dates from band descriptions or names); the
    files of a list left out are named on ``feedback``."""
    ignored: list = []
    paths = slc_paths(alg, parameters, context, ignored)
    if not paths:
        raise GeohazardError("INPUT: no SLC raster was given")
    if ignored and feedback is not None:
        names = [os.path.basename(f) for f in ignored]
        feedback.pushInfo(f"INPUT: left out {len(names)} file(s) of the list that are not SLC rasters of the stack "
                          "(sidecars, coherence, unwrapped, mask, DEM or geometry rasters, or a raw file beside its "
                          "VRT): " + ", ".join(names[:6]) + (" ..." if len(names) > 6 else ""))
    return SlcStack(paths, "INPUT", need_complex=need_complex)


def check_slc_stack(alg, parameters, context, min_dates, need_complex=True) -> SlcStack:
    """The SLC stack of INPUT, refused with a message when it has fewer than ``min_dates`` dates."""
    stack = slc_stack(alg, parameters, context, need_complex)
    if len(stack) < min_dates:
        raise GeohazardError(f"INPUT has {len(stack)} date(s); this tool needs at least {min_dates}")
    return stack


def pair_name(path: str, name: str) -> str:
    """``YYYYMMDD_YYYYMMDD`` of a file named after its date pair; refused naming the parameter otherwise."""
    try:
        d1, d2 = parse_date_pair(os.path.basename(path))
    except GeohazardError:
        raise GeohazardError(f"{name}: " + date_pair_problem(
            f"{os.path.basename(path)!r} has no date pair in its name (e.g. 20200101_20200113.wrapped.tif), needed "
            "to name the outputs for the time-series tools", path)) from None
    return f"{d1:%Y%m%d}_{d2:%Y%m%d}"


@dataclass
class WrappedStack:
    """Wrapped interferograms named by their date pairs, their grid, the coherence of each pair (or none)."""

    paths: list
    pairs: list
    info: RasterInfo
    coherence_for: dict
    product: object = None  # the product whose VRTs the paths name (kept alive while they are read)


def wrapped_stack(alg, parameters, context, *, mask=None, ignored=None, feedback=None) -> WrappedStack:
    """INPUT (rasters or a folder, or a product as delivered: its wrapped phase, e.g. LiCSAR's .geo.diff_pha.tif,
    HyP3's _wrapped_phase.tif) and COHERENCE (one raster for all, one per date pair, or the product's when empty)
    of the unwrapping tool, every raster (and ``mask``) on one grid."""
    product = product_stack(alg, parameters, context, "INPUT", wrapped=True)
    if product is not None:
        if feedback is not None and not getattr(product, "_logged", False):
            product.log(FeedbackProgress(feedback), "INPUT")
            product._logged = True
        pairs = [pair_name(p, "INPUT") for p in product.ifg_paths]
        coh = raw_list(parameters.get(COHERENCE))
        if coh and coh != raw_list(parameters.get("INPUT")):
            raise GeohazardError(f"{COHERENCE}: with a product as INPUT, leave COHERENCE empty (the product's "
                                 "coherence is used) or give the same product")
        coh_for = dict(zip(pairs, product.coh_paths)) if product.coh_paths else {}
        if mask:
            info = raster_info(mask, "MASK")
            if info.shape != product.info.shape or info.other_grid(product.info):
                raise GeohazardError(f"MASK: {os.path.basename(mask)} is not on the product's grid "
                                     f"({product.info.height} rows x {product.info.width} columns)")
        return WrappedStack(list(product.ifg_paths), pairs, product.info, coh_for, product)
    ifgs = expand_raster_inputs(alg, parameters, "INPUT", context, want="ifg", ignored=ignored)
    if not ifgs:
        raise GeohazardError("INPUT: give wrapped interferograms (rasters or a folder)")
    pairs = [pair_name(p, "INPUT") for p in ifgs]
    dup = sorted({p for p in pairs if pairs.count(p) > 1})
    if dup:
        raise GeohazardError(f"INPUT: date pair(s) {', '.join(dup)} given more than once")
    infos = [raster_info(p, os.path.basename(p)) for p in ifgs]
    check_same_grid(infos, [os.path.basename(p) for p in ifgs])
    coh = expand_raster_inputs(alg, parameters, COHERENCE, context, want="coh") if parameters.get(COHERENCE) else []
    by_pair = {p: coh[0] for p in pairs} if len(coh) == 1 else {pair_name(c, COHERENCE): c for c in coh}
    missing = [p for p in pairs if p not in by_pair] if coh else []
    if missing:
        raise GeohazardError(f"COHERENCE: no coherence raster for {', '.join(missing[:5])}"
                             + (" ..." if len(missing) > 5 else ""))
    coh_for = {p: by_pair[p] for p in pairs} if coh else {}
    for name, path in [(COHERENCE, c) for c in sorted(set(coh_for.values()))] + ([("MASK", mask)] if mask else []):
        info = raster_info(path, name)
        if info.shape != infos[0].shape:
            raise GeohazardError(f"{name}: {os.path.basename(path)} has {info.height} rows x {info.width} "
                                 f"columns, expected {infos[0].height} x {infos[0].width} like INPUT")
        if info.other_grid(infos[0]):
            raise GeohazardError(f"{name}: {os.path.basename(path)} is not on the same grid (origin, pixel size "
                                 f"or CRS) as the interferogram {os.path.basename(ifgs[0])}")
    return WrappedStack(ifgs, pairs, infos[0], coh_for)


def wrapped_raster_files(alg, parameters, context) -> dict:
    """The files the unwrapping tool reads, for the guard: a product's wrapped phase and coherence (its VRTs), else
    the filtered files of INPUT and COHERENCE."""
    product = product_stack(alg, parameters, context, "INPUT", wrapped=True)
    if product is not None:
        return {"INPUT": list(product.ifg_paths), COHERENCE: list(product.coh_paths)}
    out = {"INPUT": expand_raster_inputs(alg, parameters, "INPUT", context, want="ifg")}
    if parameters.get(COHERENCE):
        out[COHERENCE] = expand_raster_inputs(alg, parameters, COHERENCE, context, want="coh")
    return out


def network_filters(alg, parameters, context) -> dict:
    """The interferogram filters the tool declares (:func:`..inputs.declare.add_network_filter_parameters`, or
    the temporal baseline alone), as keywords of :func:`~algorithms.timeseries.network.filter_network`."""
    out = {"max_temporal_baseline_days": alg.parameterAsDouble(parameters, ids.MAX_TEMPORAL_BASELINE, context)}
    if alg.parameterDefinition(ids.MAX_PERP_BASELINE) is not None:
        out["max_perp_baseline_m"] = alg.parameterAsDouble(parameters, ids.MAX_PERP_BASELINE, context) or None
        out["min_mean_coherence"] = alg.parameterAsDouble(parameters, ids.MIN_MEAN_COHERENCE, context)
        text = alg.parameterAsString(parameters, ids.DROP_PAIRS, context) or ""
        out["drop_pairs"] = text.replace(";", ",").split(",")
    return out


def reference_xy(alg, parameters, context, stack: StackInput):
    """The REFERENCE point as map ``(x, y)`` in the stack's CRS, or None when empty (the automatic choice)."""
    if not parameters.get(ids.REFERENCE):
        return None
    info = stack.info
    crs = QgsCoordinateReferenceSystem.fromWkt(info.crs_wkt) if info.crs_wkt else QgsCoordinateReferenceSystem()
    pt = alg.parameterAsPoint(parameters, ids.REFERENCE, context, crs)
    return float(pt.x()), float(pt.y())


def reference_pixel(alg, parameters, context, stack: StackInput, count, mean_coh, feedback=None) -> tuple[int, int]:
    """Pixel (row, col) of REFERENCE, or the automatic choice; checked valid in every interferogram
    (:func:`...fileio.timeseries.stack_reference.reference_pixel`: the one rule of every stack tool, from the scan
    pass's sums ``stack.ground``), logged on ``feedback``."""
    return stack_reference.reference_pixel(stack, reference_xy(alg, parameters, context, stack), count,
                                           FeedbackProgress(feedback))


def correction_stack(alg, parameters, context, feedback, run, *, baselines: bool = False):
    """The stack of a correction tool (rasters, not a MintPy file) in network order, read within the run's
    memory budget (:class:`..fileio.corrections.corrections.Stack`)."""
    return CorrectionStack(gather_stack(alg, parameters, context, allow_mintpy=False, baselines=baselines,
                                        feedback=feedback), run)
