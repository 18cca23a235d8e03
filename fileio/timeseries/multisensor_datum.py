"""The stacks of the multi-sensor tool as core :class:`~algorithms.timeseries.multisensor.Stack` objects on the
output grid, each with its datum: the common REFERENCE pixel, its own reference (a series; an interferogram stack all
0 at one pixel), or the ground every stack covers (interferograms carrying each its own constant,
:mod:`~algorithms.timeseries.common_ground`). Per-pixel LOS vectors are checked here, and a stack holding another's
values is refused."""

from __future__ import annotations

import warnings
from typing import Optional

import numpy as np

from ...algorithms.conventions import DAYS_PER_YEAR
from ...algorithms.errors import GeohazardError
from ...algorithms.timeseries.common_ground import (
    MIN_GROUND_PIXELS,
    ground_offsets,
    ground_window,
    interferogram_offsets,
    sample_rows_cols,
)
from ...algorithms.timeseries.multisensor import MIN_DATES, Stack, los_mm
from .multisensor import (
    Grid,
    GridFolder,
    check_footprints,
    check_los_rasters,
    footprint,
    interferogram_source,
    pixel_values,
    raster_on_grid,
    sample_values,
    series_source,
    zero_pixel,
)

GEOMETRY_KEYS = ("incidence_deg", "heading_deg", "los_east", "los_north", "los_up")
_VECTOR = ("los_east", "los_north", "los_up")


def _log(log, text, warn=False):
    if log is not None:
        (log.push_warning if warn else log.push_info)(text)


def _to_mm(values: np.ndarray, units: str, wavelength_m: Optional[float]) -> np.ndarray:
    return values if units == "rad" and not wavelength_m else los_mm(values, units, wavelength_m)


def core_stacks(entries: list, grid: Grid, folder: GridFolder, ref: Optional[tuple], log=None) -> list:
    """Core :class:`Stack` objects whose values and per-pixel rasters are block sources on the output grid.

    With REFERENCE, every stack is referenced there (its values at that pixel subtracted; checked inside the stack and
    valid). Without, a per-date series keeps its own reference, and so does an interferogram stack whose
    interferograms are all 0 at one pixel (referenced there); an interferogram stack with no such pixel carries one
    constant per interferogram and is tied to the ground every stack covers (each interferogram's median there,
    :mod:`~algorithms.timeseries.common_ground`). Per-pixel LOS vectors are checked, and a stack holding another's
    values is refused."""
    windows = {e.file.name: footprint(e.file.info, grid) for e in entries}
    check_footprints(windows)
    ground = ground_window(windows)
    built = []
    for e in entries:
        f, g = e.file, e.given
        geo = {}
        for key in GEOMETRY_KEYS:
            v = g.get(key)
            if isinstance(v, str):
                band = g.get("bands", {}).get(key, 1)
                geo[key] = raster_on_grid(folder.on_grid(v, f"stack {f.name!r} {key}"), f"{f.name}:{key}",
                                                band=band)
            elif v is not None:
                geo[key] = float(v)
        if all(_is_raster(geo.get(k)) for k in _VECTOR):
            check_los_rasters(tuple(geo[k] for k in _VECTOR), f.name, grid)
        wl = g.get("wavelength_m")
        if f.kind == "series":
            values = series_source(folder.on_grid(f.paths[0], f"stack {f.name!r}"), f.name)
            kw = {"dates": f.dates}
        else:
            paths = [folder.on_grid(p, f"stack {f.name!r}") for p in f.paths]
            pairs, values = interferogram_source(paths, f.name, wl)
            kw = {"pairs": pairs}
        built.append((e, geo, wl, values, kw))
    tie = [] if ref is not None else _stacks_to_tie(entries, log)
    if tie and ground is None:
        raise GeohazardError(f"the interferograms of stack(s) {', '.join(repr(t) for t in tie)} carry each its own "
                             "constant and the stacks share no ground that every one of them covers, to tie them to: "
                             "give REFERENCE (a stable point every stack covers), or stacks that overlap one area")
    samples = {}
    if ground is not None:
        rows, cols = sample_rows_cols(ground)
        samples = {e.file.name: sample_values(values, rows, cols, grid.width) for e, _, _, values, _ in built}
        _refuse_same_values(built, samples)
    if tie:
        on_ground = _common_ground(samples)
        _log(log, f"No REFERENCE: the interferograms of {', '.join(repr(t) for t in tie)} carry each its own constant "
                  "(no pixel where they are all 0); they are tied to the ground every stack covers (rows "
                  f"{ground[0]}..{ground[1] - 1}, columns {ground[2]}..{ground[3] - 1} of the output grid): at "
                  f"{int(on_ground.sum())} pixels sampled there each network is inverted and its median per date "
                  "taken as the datum, that ground read as stable, and each interferogram's offset from it is "
                  "subtracted; the other stacks keep their own reference (give REFERENCE for one point known to be "
                  "stable)")
        _warn_moving_ground(built, samples, on_ground, tie, log)
    stacks = []
    for e, geo, wl, values, kw in built:
        f, g = e.file, e.given
        raw = None
        if ref is not None:
            r, c = ref
            w = windows[f.name]
            if not (w[0] <= r < w[1] and w[2] <= c < w[3]):
                raise GeohazardError(f"REFERENCE: the reference point (row {r}, column {c} of the output grid) lies "
                                     f"outside stack {f.name!r}; choose a point every stack covers")
            raw = pixel_values(values, r, c, grid.width)
            if not np.isfinite(raw).all():
                raise GeohazardError(f"REFERENCE: stack {f.name!r} has no data at the reference point on "
                                     f"{int((~np.isfinite(raw)).sum())} of its {raw.size} bands; choose a pixel "
                                     "valid in every stack")
        elif f.name in tie:
            raw = interferogram_offsets(samples[f.name], kw["pairs"], on_ground)
            if raw is None:  # too few ground pixels with every interferogram: each one's own median
                raw = ground_offsets(samples[f.name], on_ground)
                _untied(f, kw, raw, log)
        stacks.append(Stack(f.name, values=values, units=g["units"], wavelength_m=wl, look=g["look"],
                            reference_values=None if raw is None else _to_mm(raw, g["units"], wl),
                            reference_date=g.get("reference_date"), **kw, **geo))
    return stacks


def _stacks_to_tie(entries: list, log=None) -> list:
    """The interferogram stacks with no pixel where every interferogram is 0 (each carries its own constant); the
    others are said to keep their reference."""
    tie = []
    for e in entries:
        f = e.file
        if f.kind != "interferograms":
            continue
        zp = zero_pixel(f.paths)
        if zp is None:
            tie.append(f.name)
        else:
            _log(log, f"stack {f.name!r}: its interferograms are all 0 at row {zp[0]}, column {zp[1]} of their grid "
                      "(a reference pixel): it keeps that reference")
    return tie


def _warn_moving_ground(built: list, samples: dict, on_ground: np.ndarray, tie: list, log=None) -> None:
    """Warn when a per-date series sees the ground the interferograms are tied to move (more than 1 mm/yr along its
    line of sight, in its own reference): the two datums then differ by that motion."""
    for e, _, wl, _, _ in built:
        f = e.file
        if f.kind != "series":
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a date without data on the ground: NaN
            med = _to_mm(np.nanmedian(samples[f.name][:, on_ground], axis=1), e.given["units"], wl)
        t = np.array([(d - f.dates[0]).days for d in f.dates], float) / DAYS_PER_YEAR
        ok = np.isfinite(med)
        if ok.sum() < 3 or np.ptp(t[ok]) <= 0:
            continue
        v = float(np.polyfit(t[ok], med[ok], 1)[0])
        if abs(v) > 1.0:
            _log(log, f"stack {f.name!r} sees the ground the interferograms of {', '.join(repr(x) for x in tie)} are "
                      f"tied to move at {v:+.1f} mm/yr along its line of sight, in its own reference: the two datums "
                      "differ by that motion; give REFERENCE, a stable point every stack covers", warn=True)


def _untied(f, kw: dict, offsets: np.ndarray, log=None) -> None:
    """Bands too empty on the common ground to be tied to the datum are left out (their offset is NaN), said in the
    log; a stack left with fewer dates than a pixel needs is refused."""
    bad = np.flatnonzero(~np.isfinite(offsets))
    if not bad.size:
        return
    labels = [d.isoformat() for d in f.dates] if f.kind == "series" else \
        [f"{a:%Y%m%d}_{b:%Y%m%d}" for a, b in kw["pairs"]]
    what = "dates" if f.kind == "series" else "interferograms"
    kept = f.dates if f.kind == "series" else kw["pairs"]
    left = {d for i, d in enumerate(kept) if i not in set(bad.tolist())}
    n_left = len(left) if f.kind == "series" else len({x for pair in left for x in pair})
    if n_left < MIN_DATES:
        raise GeohazardError(
            f"stack {f.name!r}: on {bad.size} of its {len(labels)} {what} fewer than {MIN_GROUND_PIXELS} sampled "
            f"pixels of the ground every stack covers have data, so they cannot be tied to the other stacks, and too "
            f"few dates are left ({n_left}); give REFERENCE, a stable point where every stack has data on every date")
    shown = ", ".join(labels[i] for i in bad[:5]) + (f" and {bad.size - 5} more" if bad.size > 5 else "")
    _log(log, f"stack {f.name!r}: {bad.size} of its {what} ({shown}) have fewer than {MIN_GROUND_PIXELS} sampled "
              "pixels with data on the ground every stack covers: they cannot be tied to the other stacks and are "
              "left out", warn=True)


def _common_ground(samples: dict) -> np.ndarray:
    """The sampled pixels with data (on half of the bands or more) in every stack; too few of them are refused,
    naming the stack with the fewest."""
    has = {name: np.isfinite(v).mean(axis=0) >= 0.5 for name, v in samples.items()}
    on_ground = np.logical_and.reduce(list(has.values()))
    if on_ground.sum() < MIN_GROUND_PIXELS:
        name = min(has, key=lambda k: int(has[k].sum()))
        raise GeohazardError(
            f"stack {name!r} has data on only {int(has[name].sum())} of the {on_ground.size} pixels sampled on the "
            f"ground every stack covers ({int(on_ground.sum())} with data in every stack; at least "
            f"{MIN_GROUND_PIXELS} are needed to tie the stacks to one datum); give REFERENCE, a stable point where "
            "every stack has data on every date")
    return on_ground


def _is_raster(v) -> bool:
    return v is not None and not isinstance(v, float)


def _refuse_same_values(built: list, samples: dict) -> None:
    """Two stacks with the same dates (or pairs) and the same values on every sampled pixel are one stack given twice
    (a copy under another name): refused."""
    for i, (a, _, _, _, ka) in enumerate(built):
        for b, _, _, _, kb in built[:i]:
            if a.file.kind != b.file.kind or ka != kb:
                continue
            sa, sb = samples[a.file.name], samples[b.file.name]
            if sa.shape == sb.shape and np.isfinite(sa).any() and np.array_equal(sa, sb, equal_nan=True):
                raise GeohazardError(
                    f"stack {a.file.name!r} holds the same values as stack {b.file.name!r} (the same dates, equal on "
                    "every sampled pixel): a stack given twice counts its data twice and every sigma comes out too "
                    "small; give each stack once")
