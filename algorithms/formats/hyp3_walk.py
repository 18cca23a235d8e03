"""ASF HyP3 InSAR products (zips, their extracted folders, or their files) walked into a
:class:`~.stack_spec.StackSpec`, and the producer's declaration :data:`PRODUCER` (in :mod:`.producers`); the names
and parameter files are :mod:`.hyp3`'s. Pure Python (no GDAL)."""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Optional

from ..errors import GeohazardError
from . import hyp3
from .dates import parse_date_pair
from .producer_spec import Producer
from .stack_spec import Entry, PairSpec, StackSpec
from .stack_spec import reason as _reason

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


# ------------------------------------------------------------------ the producer
def stack_claims(e: Entry, listing=None) -> bool:
    """A file of a HyP3 InSAR product (named after its product, with a role: ``_unw_phase.tif``, ``_corr.tif`` ...)."""
    name = hyp3.product_name(e.name)
    return name is not None and hyp3.file_role(e.name, name) is not None


def _read_stack(entries: list, roots: list, wrapped: bool) -> StackSpec:
    return hyp3_stack(entries, wrapped)


#: ASF HyP3 InSAR products (zips, their folders or their files).
PRODUCER = Producer("HyP3", claims=stack_claims, read_stack=_read_stack)
