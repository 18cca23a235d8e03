"""The samples of a susceptibility run, drawn in one pass over the factor grid, whatever its blocks.

Each pixel gets a pseudo-random 64-bit key from its index in the grid and the seed (SplitMix64, a bijection of
the index: no two pixels share a key). A class of pixels (inventory, absence candidates, the whole valid area)
is sampled by keeping its ``k`` pixels of smallest key: each block keeps its own ``k`` smallest and the collector
merges them in plan order, so the sample is that of the whole grid for any block layout, thread count or
scheduler, and it is a uniform random sample of the class. The same pass gathers what the checks of the factors
need (each factor's minimum and maximum, the class codes of the categorical factors, non-integer codes).

Inventory raster codes (``inventory`` input of :func:`scan_block`): 1 = an inventory pixel (presence), 2 = within
the absence buffer of the inventory, 0 = an absence candidate, 3 = a surveyed absence (ABSENCE: then only these
are absences), 4 = outside the study area (no sample of any kind). An ``events`` input, when given, holds the
number of the inventory feature (1, 2 ...) each inventory pixel belongs to, so that validation never cuts an event.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...errors import GeohazardError

PRESENCE, BUFFER, ABSENCE, SURVEYED, OUTSIDE = 1, 2, 0, 3, 4
#: the three samples a scan draws: inventory pixels, absence candidates, the whole valid area
KINDS = ("presence", "absence", "area")

_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def pixel_keys(index, seed: int) -> np.ndarray:
    """SplitMix64 of ``index + golden * (seed + 1)``: a uint64 key per pixel index, uniform and unique."""
    with np.errstate(over="ignore"):
        z = np.asarray(index, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15) * np.uint64(int(seed) + 1)
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def _smallest(keys, k: int) -> np.ndarray:
    """Positions of the ``k`` smallest keys, in increasing key order."""
    if keys.size > k:
        part = np.argpartition(keys, k - 1)[:k]
        return part[np.argsort(keys[part], kind="stable")]
    return np.argsort(keys, kind="stable")


def scan_bytes_per_pixel(n_factors: int) -> float:
    """Memory of one pixel of a sampling block: the factors (float64) and their stack, the inventory and the event
    numbers, each valid pixel's index, key and row/column, and the kept samples' values (every pixel of a block
    smaller than ``k``)."""
    return 40.0 * n_factors + 112.0


def scan_block(block, inputs, *, n_factors: int, categorical, seed: int, k: int, max_classes: int,
               absence_code: int = ABSENCE) -> dict:
    """Samples and factor statistics of one block (the block function of the sampling pass).

    Parameters
    ----------
    block : algorithms.engine.Block
        Rows ``row0:row1`` of a grid ``n_cols`` wide (no halo).
    inputs : dict
        ``f0`` ... ``f{n-1}``: the factors, ``(rows, cols)`` float64, NaN = nodata; ``inventory``: the inventory
        codes (module docstring); ``events`` (optional): the event number of each inventory pixel.
    n_factors : int
    categorical : sequence of bool
        Which factors hold class codes.
    seed : int
        Seed of the pixel keys.
    k : int
        Most samples kept per kind.
    max_classes : int
        Class codes kept per categorical factor (one more says "too many").
    absence_code : int
        The inventory code of the absence candidates: :data:`ABSENCE` (drawn at random beyond the buffer) or
        :data:`SURVEYED` (the surveyed absences).

    Returns
    -------
    dict
        ``<kind>_index`` (int64 pixel index row * n_cols + col), ``<kind>_key`` (uint64), ``<kind>_values``
        (n, n_factors) float64 for each kind of :data:`KINDS`; ``presence_event`` (int64, -1 = none);
        ``minimum``, ``maximum`` (n_factors,);
        ``classes_<i>`` (class codes of categorical factor i) and ``non_integer`` (n_factors,: one non-integer
        code or NaN); ``counts`` (presence pixels, presence pixels with every factor valid, valid pixels).
    """
    stack = np.stack([inputs[f"f{i}"] for i in range(n_factors)])
    inv = np.asarray(inputs["inventory"])
    valid = np.isfinite(stack).all(axis=0) & (inv != OUTSIDE)
    rows, cols = np.nonzero(valid)
    index = (rows.astype(np.int64) + block.row0) * block.n_cols + cols.astype(np.int64)
    keys = pixel_keys(index, seed)
    code = inv[rows, cols]
    out = {}
    for kind, sel in (("presence", code == PRESENCE), ("absence", code == absence_code), ("area", None)):
        idx, kk = (index, keys) if sel is None else (index[sel], keys[sel])
        r, c = (rows, cols) if sel is None else (rows[sel], cols[sel])
        keep = _smallest(kk, k)
        out[f"{kind}_index"], out[f"{kind}_key"] = idx[keep], kk[keep]
        out[f"{kind}_values"] = np.ascontiguousarray(stack[:, r[keep], c[keep]].T)
        if kind == "presence":
            ev = inputs.get("events")
            out["presence_event"] = np.full(keep.size, -1, np.int64) if ev is None else \
                np.asarray(ev)[r[keep], c[keep]].astype(np.int64)
    mins, maxs, odd = np.full(n_factors, np.nan), np.full(n_factors, np.nan), np.full(n_factors, np.nan)
    inside = inv != OUTSIDE
    for i in range(n_factors):
        v = stack[i][np.isfinite(stack[i]) & inside]
        if v.size:
            mins[i], maxs[i] = v.min(), v.max()
        if categorical[i] and v.size:
            frac = v[v != np.round(v)]
            if frac.size:
                odd[i] = frac[0]
            out[f"classes_{i}"] = np.unique(v)[:max_classes + 1]
    out.update(minimum=mins, maximum=maxs, non_integer=odd,
               counts=np.array([(inv == PRESENCE).sum(), (code == PRESENCE).sum(), index.size], np.int64))
    return out


@dataclass
class Samples:
    """What a scan drew: per kind of :data:`KINDS` the pixel index, key and factor values, in key order."""

    n_cols: int
    index: dict
    values: dict
    minimum: np.ndarray
    maximum: np.ndarray
    classes: dict
    non_integer: np.ndarray
    presence_pixels: int
    presence_valid: int
    valid_pixels: int
    too_many_classes: dict = field(default_factory=dict)
    #: event number of each presence sample (-1: none known)
    events: np.ndarray = None

    def __post_init__(self):
        if self.events is None:
            self.events = np.full(len(self.index["presence"]), -1, np.int64)

    def rows_cols(self, kind: str) -> tuple:
        idx = self.index[kind]
        return idx // self.n_cols, idx % self.n_cols


class ScanCollector:
    """Writer of the sampling pass: merges the blocks' samples (their ``k`` smallest keys) and statistics, in
    plan order; :meth:`samples` gives the result."""

    def __init__(self, n_factors: int, categorical, k: int, max_classes: int, n_cols: int):
        self.n, self.categorical, self.k, self.max_classes, self.n_cols = n_factors, list(categorical), k, \
            max_classes, n_cols
        empty = np.zeros(0, np.int64)
        self.index = {kind: empty for kind in KINDS}
        self.keys = {kind: np.zeros(0, np.uint64) for kind in KINDS}
        self.values = {kind: np.zeros((0, n_factors)) for kind in KINDS}
        self.minimum, self.maximum = np.full(n_factors, np.nan), np.full(n_factors, np.nan)
        self.non_integer = np.full(n_factors, np.nan)
        self.classes = {i: np.zeros(0) for i in range(n_factors) if self.categorical[i]}
        self.counts = np.zeros(3, np.int64)
        self.events = np.zeros(0, np.int64)

    def __call__(self, block, out) -> None:
        for kind in KINDS:
            keys = np.concatenate([self.keys[kind], out[f"{kind}_key"]])
            keep = _smallest(keys, self.k)
            if kind == "presence":
                self.events = np.concatenate([self.events, out["presence_event"]])[keep]
            self.keys[kind] = keys[keep]
            self.index[kind] = np.concatenate([self.index[kind], out[f"{kind}_index"]])[keep]
            self.values[kind] = np.concatenate([self.values[kind], out[f"{kind}_values"]])[keep]
        self.minimum = np.fmin(self.minimum, out["minimum"])
        self.maximum = np.fmax(self.maximum, out["maximum"])
        first = np.isnan(self.non_integer) & np.isfinite(out["non_integer"])
        self.non_integer[first] = out["non_integer"][first]
        for i in self.classes:
            if f"classes_{i}" in out:
                self.classes[i] = np.union1d(self.classes[i], out[f"classes_{i}"])[:self.max_classes + 1]
        self.counts += out["counts"]

    def samples(self) -> Samples:
        many = {i: len(c) for i, c in self.classes.items() if len(c) > self.max_classes}
        return Samples(self.n_cols, dict(self.index), dict(self.values), self.minimum.copy(), self.maximum.copy(),
                       {i: c.copy() for i, c in self.classes.items()}, self.non_integer.copy(),
                       int(self.counts[0]), int(self.counts[1]), int(self.counts[2]), many, self.events.copy())


def check_samples(s: Samples, names, *, min_presences: int, max_classes: int, inventory: str = "INVENTORY",
                  check_inventory: bool = True, surveyed: bool = False) -> None:
    """Refuse factors and inventories a susceptibility cannot be learnt from, naming the input.

    A factor with one value, a categorical factor with non-integer codes, one class or more than ``max_classes``
    classes; an inventory with fewer than ``min_presences`` pixels on valid factors; an inventory that leaves
    fewer absence candidates (beyond the buffer) than it has pixels (no balanced sample); ``surveyed`` absences
    (ABSENCE) fewer than ``min_presences`` on valid factors."""
    for i, name in enumerate(names):
        if np.isnan(s.minimum[i]):
            kind = "CATEGORICAL_FACTORS" if i in s.classes else "FACTORS"
            raise GeohazardError(f"{kind}: {name} has no valid pixel on the grid of {names[0]} (all nodata, or it "
                                 "does not overlap that grid)")
    if s.valid_pixels == 0:
        raise GeohazardError(f"FACTORS: no pixel has a valid value in every factor ({', '.join(names)}): "
                             "the factors do not overlap, or one is all nodata")
    for i, name in enumerate(names):
        if np.isfinite(s.non_integer[i]):
            raise GeohazardError(
                f"CATEGORICAL_FACTORS: {name} holds codes that are not whole numbers (e.g. {s.non_integer[i]:g}); a "
                "categorical factor holds class codes (1, 2, 3 ...): give a continuous quantity in FACTORS instead")
        if i in s.too_many_classes:
            raise GeohazardError(
                f"CATEGORICAL_FACTORS: {name} has more than {max_classes} classes; each class gets its own weight, "
                f"and so many cannot be learnt from an inventory: merge classes (at most {max_classes}), or give a "
                "continuous quantity in FACTORS instead")
        if i in s.classes and len(s.classes[i]) < 2:
            raise GeohazardError(f"CATEGORICAL_FACTORS: {name} has a single class ({s.classes[i][0]:g}) wherever it "
                                 "has data: it cannot tell one place from another; leave it out")
        if i not in s.classes and not s.maximum[i] > s.minimum[i]:
            raise GeohazardError(f"FACTORS: {name} is constant ({s.minimum[i]:g} wherever it has data): it cannot "
                                 "tell one place from another; leave it out")
    if not check_inventory:
        return
    n_p, n_a = s.presence_valid, len(s.index["absence"])
    if s.presence_pixels == 0:
        raise GeohazardError(f"{inventory}: no inventory feature falls on a pixel of the factors' grid")
    if n_p < min_presences:
        raise GeohazardError(
            f"{inventory}: only {n_p} inventory pixel(s) have a valid value in every factor ({s.presence_pixels} on "
            f"the grid); at least {min_presences} are needed to learn and validate a susceptibility: give more "
            "events, polygons rather than points, or factors on a finer grid")
    if surveyed:
        if n_a < min_presences:
            raise GeohazardError(
                f"ABSENCE: only {n_a} surveyed absence pixel(s) lie on valid factors (inside STUDY_AREA when given) "
                f"and off the inventory; at least {min_presences} are needed: give more absence points or polygons, "
                "or leave ABSENCE empty to draw absences at random beyond ABSENCE_BUFFER_M")
        return
    if n_a < min(n_p, len(s.index["presence"])):
        share = 100.0 * s.presence_valid / max(s.valid_pixels, 1)
        raise GeohazardError(
            f"{inventory}: the inventory covers {share:.0f} % of the factors' valid area and leaves {n_a} absence "
            f"pixel(s) beyond ABSENCE_BUFFER_M for {n_p} inventory pixels; the classes cannot be balanced: lower "
            "ABSENCE_BUFFER_M, or give factors over a larger area around the inventory")
