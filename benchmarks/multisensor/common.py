"""Shared pieces of the multi-sensor benchmarks: our solver on a scenario, error statistics."""

from __future__ import annotations

import numpy as np
import scenarios as scn

from insar_geohazards.algorithms.timeseries.multisensor import NorthModel, Stack, solve_multisensor


def to_stacks(gen: dict) -> list:
    out = []
    for st in gen["stacks"]:
        s = st["sensor"]
        out.append(Stack(name=s.name, dates=st["dates"] if st["pairs"] is None else None, pairs=st["pairs"],
                         values=st["values"], units=s.units if st["pairs"] is not None else "mm",
                         wavelength_m=s.wavelength_m, incidence_deg=st["incidence"], heading_deg=st["heading"],
                         reference_rc=scn.REF_RC))
    return out


def generate_seeded(name: str, seed_offset: int = 0, *, north_removed: bool = False) -> dict:
    """Scenario ``name`` drawn with its seed shifted by ``1000 x seed_offset`` (the seeds of every table)."""
    sc = scn.SCENARIOS[name]
    base = sc.seed
    sc.seed = base + 1000 * seed_offset
    try:
        return scn.generate(name, north_removed=north_removed)
    finally:
        sc.seed = base


def seeds_and_options(argv, default_seeds) -> tuple:
    """``--seeds 0,1,...`` (else ``default_seeds``) and the solver options ``--option key=value`` (floats)."""
    seeds = list(default_seeds)
    if "--seeds" in argv:
        seeds = [int(x) for x in argv[argv.index("--seeds") + 1].split(",")]
    options = {}
    for i, a in enumerate(argv):
        if a == "--option":
            k, v = argv[i + 1].split("=")
            options[k] = float(v)
    return seeds, options


def run_ours(gen: dict, *, north: str = "zero", **options):
    nm = NorthModel()
    if north == "slope":
        nm = NorthModel("slope", slope_deg=gen["slope"], aspect_deg=gen["aspect"])
    return solve_multisensor(to_stacks(gen), north=nm, **options)


def overlap_window(gen: dict):
    """The period every geometry covers (first date, last date) over the stacks' spans."""
    starts = [st["dates"][0] for st in gen["stacks"]]
    ends = [st["dates"][-1] for st in gen["stacks"]]
    return max(starts), min(ends)


def demeaned_rms(est, truth, mask_dates=None):
    """Per-pixel RMS over dates of the error with its temporal mean removed (datum-free), (rows, cols)."""
    err = np.asarray(est, float) - np.asarray(truth, float)
    if mask_dates is not None:
        err = err[mask_dates]
    err = err - np.nanmean(err, axis=0, keepdims=True)
    return np.sqrt(np.nanmean(err ** 2, axis=0))


def zscores(res, sc, *, observed_only=True, comps=("east", "up")):
    """z = (estimate - truth relative to the reference date) / sigma over dates and pixels, per component."""
    dates = [d for d, o in zip(res.dates, res.observed) if o or not observed_only]
    sel = np.array([o or not observed_only for o in res.observed])
    te, tn, tu = scn.truth_at(sc, dates, res.reference_date)
    out = {}
    for c, t in (("east", te), ("up", tu), ("north", tn)):
        if c not in comps or c not in res.arrays:
            continue
        est = res[c][sel]
        sig = res["sigma_" + c][sel]
        keep = [d != res.reference_date for d in dates]
        z = (est[keep] - t[keep]) / sig[keep]
        out[c] = z[np.isfinite(z)]
    return out
