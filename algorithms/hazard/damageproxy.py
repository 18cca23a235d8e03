"""Damage proxy from coherence change: the loss of interferometric coherence across an event, in units of the
coherence's variability before it, and the mean-coherence masks of always-decorrelated (active) ground.

For each pixel, with ``gamma_pre`` the coherence of the pairs before the event (both dates before it) and
``gamma_co`` that of the pairs spanning it::

    proxy = (mean(gamma_pre) - mean(gamma_co)) / max(std(gamma_pre), std_floor)

positive = loss of coherence (collapsed or changed structures, new debris, landslide scars). The floor keeps a
pixel whose few pre-event pairs happen to agree from turning a small change into a large proxy. Ground whose mean
pre-event coherence is below ``min_mean_coherence`` (water, dense vegetation, a working dump face: always
decorrelated) cannot lose coherence it never had: it is masked (no proxy) and classed as decorrelated.

Classes (``classes``): 0 no data, 1 always decorrelated (active or incoherent ground: the "active" mask of the
mean-coherence studies), 2 coherent and no significant loss ("stagnant"), 3 significant loss (proxy >= threshold).

Reference: Yun S.-H. et al. (2015) Rapid damage mapping for the 2015 Mw 7.8 Gorkha earthquake using synthetic
aperture radar data from COSMO-SkyMed and ALOS-2 satellites. Seismol. Res. Lett. 86(6) 1549-1556,
doi:10.1785/0220150103.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Sequence

import numpy as np

from ..errors import GeohazardError

#: The classes of the ``classes`` raster: code -> name.
CLASSES = {1: "always decorrelated (active ground, water, vegetation)", 2: "coherent, no significant loss",
           3: "significant coherence loss"}


def check_pair_dates(pre_pairs: Sequence[tuple], co_pairs: Sequence[tuple], event: _dt.date, *,
                     pre_names: Sequence[str], co_names: Sequence[str], pre_name: str = "PRE_COHERENCE",
                     co_name: str = "CO_COHERENCE") -> None:
    """Refuse a pre-event pair that does not end before ``event``, a co-event pair that does not span it, and a pair
    acquired on the event's day (before or after the event: it cannot be told), naming the file and its dates."""
    if not pre_pairs:
        raise GeohazardError(f"{pre_name}: no coherence raster was given (pairs before the event)")
    if not co_pairs:
        raise GeohazardError(f"{co_name}: no coherence raster was given (pairs spanning the event)")
    for pairs, names, pid, want in ((pre_pairs, pre_names, pre_name, "pre"), (co_pairs, co_names, co_name, "co")):
        for (d1, d2), name in zip(pairs, names):
            a, b = sorted((d1, d2))
            text = f"{pid}: {name} ({a.isoformat()} - {b.isoformat()})"
            if event in (a, b):
                raise GeohazardError(f"{text} has an acquisition on the event date {event.isoformat()}: it cannot be "
                                     "told whether before or after the event; leave it out")
            if want == "pre" and b > event:
                where = f" (it spans the event: give it in {co_name})" if a < event else ""
                raise GeohazardError(f"{text} does not end before the event ({event.isoformat()}): a pre-event pair "
                                     f"must have both dates before it{where}")
            if want == "co" and not a < event < b:
                raise GeohazardError(f"{text} does not span the event ({event.isoformat()}): a co-event pair has "
                                     "one date before the event and one after")


def _mean_std(stack: np.ndarray):
    """Per-pixel count, mean and standard deviation (ddof 1; 0 with one value) over the first axis, NaN skipped,
    summed pair by pair in the given order (the same bits for any block)."""
    n = np.zeros(stack.shape[1:], dtype=np.int64)
    s = np.zeros(stack.shape[1:])
    for layer in stack:
        ok = np.isfinite(layer)
        n += ok
        s += np.where(ok, layer, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s / n
    ss = np.zeros_like(s)
    for layer in stack:
        ok = np.isfinite(layer)
        ss += np.where(ok, (np.where(ok, layer, 0.0) - np.where(n > 0, mean, 0.0)) ** 2, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        std = np.where(n > 1, np.sqrt(ss / np.maximum(n - 1, 1)), 0.0)
    return n, mean, std


def parse_class_values(text: str, name: str = "MASK_VALUES") -> np.ndarray:
    """The class values to keep, from ``"111, 112; 121-124"`` (numbers separated by commas, semicolons or spaces;
    ``a-b`` a range of whole numbers) as sorted float64; raises naming ``name`` when none can be read."""
    items = [t for t in re.split(r"[,;\s]+", str(text or "").strip()) if t]
    values = []
    for item in items:
        m = re.fullmatch(r"(-?\d+)-(-?\d+)", item)
        try:
            if m:
                lo, hi = int(m.group(1)), int(m.group(2))
                if hi < lo or hi - lo > 100000:
                    raise ValueError
                values += list(range(lo, hi + 1))
            else:
                values.append(float(item))
        except ValueError:
            raise GeohazardError(f"{name}: {item!r} is not a class value or a range a-b of whole numbers; give the "
                                 "classes to keep, e.g. 111, 112 (CORINE's urban fabric) or 1-3") from None
    if not values:
        raise GeohazardError(f"{name}: no class value given; with a classes raster as MASK give the values to keep, "
                             "e.g. 111, 112 (CORINE's urban fabric) or 50 (ESA WorldCover's built-up)")
    return np.unique(np.asarray(values, dtype=np.float64))


def damage_proxy(pre: np.ndarray, co: np.ndarray, *, threshold: float = 3.0, std_floor: float = 0.05,
                 min_mean_coherence: float = 0.3, keep=None) -> dict:
    """Damage proxy, mean pre-event coherence and classes of a block.

    Parameters
    ----------
    pre, co : ndarray, (n_pairs, rows, cols)
        Coherence (0-1) of the pairs before the event and of the pairs spanning it; NaN = no data.
    threshold : float
        Proxy at and above which the loss is significant (class 3).
    std_floor : float
        Smallest pre-event standard deviation divided by (coherence units).
    min_mean_coherence : float
        Mean pre-event coherence below which the ground is always decorrelated (masked, class 1).
    keep : ndarray of bool, (rows, cols), optional
        The pixels to keep (a land-cover class, polygons): elsewhere no proxy and class 0, as no data; the mean
        coherence is kept everywhere.

    Returns
    -------
    dict
        ``proxy`` (float64, NaN where masked or without data), ``mean_coherence`` (mean pre-event coherence),
        ``classes`` (uint8, :data:`CLASSES`, 0 = no data).
    """
    if not std_floor > 0:
        raise GeohazardError(f"STD_FLOOR = {std_floor!r}: the floor on the pre-event variability must be above 0")
    n_pre, mean_pre, std_pre = _mean_std(np.asarray(pre, dtype=np.float64))
    n_co, mean_co, _ = _mean_std(np.asarray(co, dtype=np.float64))
    has = (n_pre > 0) & (n_co > 0)
    if keep is not None:
        has &= np.asarray(keep, dtype=bool)
    decorrelated = has & (mean_pre < min_mean_coherence)
    usable = has & ~decorrelated
    with np.errstate(invalid="ignore"):
        proxy = np.where(usable, (mean_pre - mean_co) / np.maximum(std_pre, std_floor), np.nan)
    classes = np.zeros(proxy.shape, dtype=np.uint8)
    classes[decorrelated] = 1
    classes[usable] = 2
    classes[usable & (proxy >= threshold)] = 3
    return {"proxy": proxy, "mean_coherence": np.where(n_pre > 0, mean_pre, np.nan), "classes": classes}


def damage_block(block, inputs, *, threshold: float, std_floor: float, min_mean_coherence: float,
                 keep_values=None) -> dict:
    """Block function of the engine: ``inputs["pre"]`` and ``inputs["co"]`` ``(n_pairs, rows, cols)``; optionally
    ``inputs["mask"]`` ``(rows, cols)``: the classes of a classes raster (the pixels whose class is one of
    ``keep_values`` kept) or, without ``keep_values``, 1 where polygons cover a pixel."""
    keep = None
    if inputs.get("mask") is not None:
        m = np.asarray(inputs["mask"], dtype=np.float64)
        keep = np.isin(m, keep_values) if keep_values is not None else m > 0
    return damage_proxy(inputs["pre"], inputs["co"], threshold=threshold, std_floor=std_floor,
                        min_mean_coherence=min_mean_coherence, keep=keep)


def row_pixel_areas_m2(geotransform, n_rows: int, *, geographic: bool, semi_major_m: float = 6378137.0,
                       inverse_flattening: float = 298.257223563, unit_m: float = 1.0) -> np.ndarray:
    """Ground area (m^2) of one pixel of each row of a north-up grid: ``|dx dy|`` in a projected CRS (its linear
    unit ``unit_m``), the ellipsoidal quadrangle between the row's parallels in a geographic one (degrees)."""
    gt = geotransform
    if not geographic:
        return np.full(n_rows, abs(gt[1] * gt[5]) * unit_m * unit_m)
    f = 1.0 / inverse_flattening
    e2 = f * (2.0 - f)
    e = math.sqrt(e2)
    b2 = (semi_major_m * (1.0 - f)) ** 2
    lat = np.radians(gt[3] + np.arange(n_rows + 1) * gt[5])
    if np.any(np.abs(lat) > math.pi / 2 + 1e-12):
        raise GeohazardError("the grid reaches beyond the poles: its latitudes cannot be a geographic grid")
    sin = np.sin(lat)
    # the ellipsoid's area from the equator to a latitude, per radian of longitude: b^2 / 2 q(phi)
    q = sin / (1.0 - e2 * sin * sin) + np.log((1.0 + e * sin) / (1.0 - e * sin)) / (2.0 * e)
    return np.abs(np.diff(q)) * 0.5 * b2 * math.radians(abs(gt[1]))


def significant_areas(proxy: np.ndarray, classes: np.ndarray, row_areas_m2: np.ndarray, *,
                      min_area_m2: float = 0.0) -> tuple:
    """Connected areas (8-neighbours) of significant loss (class 3) of at least ``min_area_m2``.

    Returns
    -------
    labels : ndarray of int32
        1..k for the areas kept, 0 elsewhere.
    table : dict
        ``label``, ``n_pixels``, ``area_m2``, ``mean_proxy``, ``max_proxy`` per area (in label order: the areas
        ordered by their first pixel, row by row).
    """
    from scipy import ndimage

    mask = classes == 3
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    empty = {"label": np.zeros(0, np.int64), "n_pixels": np.zeros(0, np.int64), "area_m2": np.zeros(0),
             "mean_proxy": np.zeros(0), "max_proxy": np.zeros(0)}
    if n == 0:
        return labels.astype(np.int32), empty
    idx = np.arange(1, n + 1)
    area_per_pixel = np.broadcast_to(np.asarray(row_areas_m2, dtype=np.float64)[:, None], proxy.shape)
    lab = labels.ravel()
    sel = lab > 0
    count = np.bincount(lab[sel], minlength=n + 1)[1:]
    area = np.bincount(lab[sel], weights=area_per_pixel.ravel()[sel], minlength=n + 1)[1:]
    total = np.bincount(lab[sel], weights=proxy.ravel()[sel], minlength=n + 1)[1:]
    peak = np.asarray(ndimage.maximum(proxy, labels, idx), dtype=np.float64)
    keep = area >= min_area_m2
    new = np.zeros(n + 1, dtype=np.int32)
    new[idx[keep]] = np.arange(1, int(keep.sum()) + 1, dtype=np.int32)
    table = {"label": np.arange(1, int(keep.sum()) + 1, dtype=np.int64), "n_pixels": count[keep].astype(np.int64),
             "area_m2": area[keep], "mean_proxy": total[keep] / count[keep], "max_proxy": peak[keep]}
    return new[labels], table


#: Bytes per pixel of a block besides its pairs: the outputs, the sums and their temporaries.
DAMAGE_BYTES_PER_PIXEL = 80.0


def bytes_per_pixel(n_pairs: int) -> float:
    """Memory of one pixel of a block of ``n_pairs`` coherence rasters: each read as float32 and used as float64
    (12 bytes), plus :data:`DAMAGE_BYTES_PER_PIXEL` (measured with tracemalloc: 99 bytes for 4 pairs, 187 for 14;
    this bound gives 128 and 248)."""
    return 12.0 * int(n_pairs) + DAMAGE_BYTES_PER_PIXEL
