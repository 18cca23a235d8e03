"""ROI_PAC stacks as ROI_PAC writes them: ``geo_<yymmdd>-<yymmdd>.unw`` with its ``.unw.rsc`` header, walked into
a :class:`~.stack_spec.StackSpec`.

Sources: ROI_PAC's ``.rsc`` headers (``KEY value`` lines: ``WIDTH``, ``FILE_LENGTH``, ``X_FIRST``, ``Y_FIRST``,
``X_STEP``, ``Y_STEP`` of a geocoded file, ``WAVELENGTH`` in metres, ``DATE12``, ``PLATFORM``, and
``PROJECTION``/``DATUM`` where the geocoding wrote them), as PyRate's ROI_PAC test data
(``tests/test_data/small_test/roipac_obs/geo_060828-061211.unw.rsc``) and GDAL's ROI_PAC driver read them; the
``.unw`` is ROI_PAC's ``rmg`` format: float32 rows of amplitude then unwrapped phase (band 1 amplitude, band 2 the
phase in radians), and the correlation ``.cor`` alike (band 2 the coherence).

* The grid: ``X_FIRST``/``Y_FIRST`` and the steps, as GDAL reads them. ROI_PAC geocodes to longitude/latitude
  (``geocode.pl``): without a ``PROJECTION`` (or with ``LL``/``LATLON``) the grid is geographic WGS 84, checked to
  be degrees; another ``PROJECTION`` is GDAL's to read. A header without ``X_FIRST`` is of a file in radar
  coordinates: refused.
* 0 is no data: ROI_PAC's unwrapping writes exactly 0 where it did not unwrap (outside the valid area).
* The wavelength: ``WAVELENGTH`` (metres; a unit written after the number is read as such), checked against
  ``PLATFORM``'s band (:func:`~.wavelength.header_wavelength`).

Pure Python: names and text; ``fileio/formats/products.py`` opens the rasters.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Optional

from ..errors import GeohazardError
from .dates import parse_date_pair
from .producer_spec import WRAPPED_STACK, Producer
from .stack_spec import Entry, PairSpec, StackSpec
from .stack_spec import reason as _reason
from .wavelength import header_wavelength

#: ``PROJECTION`` values of a longitude/latitude grid.
GEOGRAPHIC = ("", "LL", "LATLON", "LAT/LON", "GEOGRAPHIC", "EQA")


def parse_rsc(text: str) -> dict:
    """``KEY value`` pairs of a ``.rsc`` header (keys upper case; the value is the rest of the line)."""
    out = {}
    for line in text.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2:
            out[parts[0].upper()] = parts[1].strip()
    return out


def rsc_of(e: Entry) -> Optional[str]:
    """The ``.rsc`` header beside a file (``<file>.rsc``), None when there is none (zip members are not read)."""
    if e.zip:
        return None
    path = e.path + ".rsc"
    return path if os.path.isfile(path) else None


def is_roipac_unw(e: Entry) -> bool:
    """A ``.unw`` named after its date pair with its ``.rsc`` beside it."""
    if not e.name.lower().endswith(".unw") or rsc_of(e) is None:
        return False
    try:
        parse_date_pair(e.name)
    except (GeohazardError, ValueError):
        return False
    return True


def _rsc(path: str) -> dict:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return parse_rsc(fh.read())


def roipac_stack(entries: list) -> StackSpec:
    """ROI_PAC interferograms (see the module docstring).

    Raises
    ------
    GeohazardError
        Naming the header: a file in radar coordinates (no ``X_FIRST``), a header whose size is not the file's,
        a wavelength that is not a SAR wavelength or not of its platform's band, two wavelengths in one stack, a
        pair given twice.
    """
    left: OrderedDict = OrderedDict()
    spec = StackSpec("ROI_PAC", "<pair>.unw with its .unw.rsc (band 2 the unwrapped phase)", [])
    cors = {e.path[:-4]: e for e in entries if e.name.lower().endswith(".cor") and rsc_of(e)}
    wavelengths, seen, projections = [], {}, set()
    cor_paths = {c.path for c in cors.values()}
    for e in entries:
        if e.name.lower().endswith(".rsc") or e.path in cor_paths:
            continue
        if not is_roipac_unw(e):
            _reason(left, "not a file of the stack (<pair>.unw with its .rsc is read)", e)
            continue
        rsc_rel = e.rel + ".rsc"
        rsc = _rsc(e.path + ".rsc")
        if "X_FIRST" not in rsc or "Y_FIRST" not in rsc:
            raise GeohazardError(f"{rsc_rel} has no X_FIRST/Y_FIRST: {e.name} is in radar coordinates; geocode it "
                                 "(ROI_PAC's geocode.pl writes geo_<pair>.unw with its grid in the .rsc) and give that")
        try:
            width, length = int(rsc["WIDTH"]), int(rsc["FILE_LENGTH"])
        except (KeyError, ValueError):
            raise GeohazardError(f"{rsc_rel}: no readable WIDTH and FILE_LENGTH") from None
        size = os.path.getsize(e.path)
        if size != width * length * 8:
            raise GeohazardError(f"{e.rel} has {size:,} bytes but its .rsc says {width} x {length} pixels of "
                                 f"amplitude and phase ({width * length * 8:,} bytes): cut short, or the header of "
                                 "another file")
        pair = parse_date_pair(e.name)
        key = f"{pair[0]:%Y%m%d}_{pair[1]:%Y%m%d}"
        if key in seen:
            raise GeohazardError(f"the pair {key} is given twice: {seen[key]} and {e.rel}; keep one copy")
        seen[key] = e.rel
        if rsc.get("WAVELENGTH"):
            wavelengths.append((header_wavelength(rsc["WAVELENGTH"], key="WAVELENGTH", where=rsc_rel,
                                                  default_unit="m", sensor=rsc.get("PLATFORM")), rsc_rel))
        projections.add(rsc.get("PROJECTION", "").split()[0].upper() if rsc.get("PROJECTION", "").split() else "")
        cor = cors.get(e.path[:-4])
        spec.pairs.append(PairSpec(pair, e.path, cor.path if cor else None, label=e.rel))
        spec.bands[e.path] = 2
        if cor is not None:
            spec.bands[cor.path] = 2
    if not spec.pairs:
        raise GeohazardError("the ROI_PAC folder holds no <date1>-<date2>.unw with its .rsc")
    spec.sort_pairs(".cor (correlation)")
    spec.left_out = [(rel, why) for why, rels in left.items() for rel in rels]
    if wavelengths:
        ref, where = wavelengths[0]
        odd = next(((w, r) for w, r in wavelengths if abs(w - ref) > 1e-6 * ref), None)
        if odd is not None:
            raise GeohazardError(f"the .rsc headers carry two wavelengths: {where} {ref:.8g} m and {odd[1]} "
                                 f"{odd[0]:.8g} m; one stack is one sensor")
        spec.wavelength = (f"WAVELENGTH of the .rsc headers ({where} ...)", ref)
    if projections <= set(GEOGRAPHIC):
        spec.crs_if_missing = "EPSG:4326"  # ROI_PAC geocodes to longitude/latitude, WGS 84
    spec.zero_is_nodata = True
    spec.taken = [f"ROI_PAC stack: {len(spec.pairs)} interferograms ({spec.pairs[0].name} .. {spec.pairs[-1].name}), "
                  f"{sum(p.coh is not None for p in spec.pairs)} correlation rasters; the unwrapped phase is band 2 of "
                  "each .unw (band 1 the amplitude); the grid from the .rsc headers"
                  + (" (longitude/latitude, WGS 84: no PROJECTION in them, as ROI_PAC geocodes)"
                     if spec.crs_if_missing else "")]
    return spec


# ------------------------------------------------------------------ the producer
#: ROI_PAC interferograms (``<d1>-<d2>.unw`` with their ``.rsc``).
PRODUCER = Producer("ROI_PAC", claims=lambda e, listing=None: is_roipac_unw(e),
                    read_stack=lambda entries, roots, wrapped: roipac_stack(entries), wrapped_refusal=WRAPPED_STACK,
                    radar_hint="give ROI_PAC's geocoded geo_<pair>.unw (geocode.pl) with a .rsc whose PROJECTION and "
                               "DATUM GDAL reads (UTM<zone>, WGS84), or none for longitude/latitude")
