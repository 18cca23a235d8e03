"""Could the gap's sigma be calibrated by gaps cut out of the missions? Cut-out gaps against the real ones.

For each scenario and seed the solver runs as it is on the whole data (the real multi-year gaps), then once per
mission period long enough: every acquisition inside a window of the real gap's length (at most the period's length
minus two years, at least one year) centred in the period is removed, each stack split into its part before and
after the window (its own stack and offset, as two missions are), and the displacement across that cut-out gap is
compared with

* the truth (``cut-truth``), and
* the whole-data solution's displacement over the same two dates (``cut-data``): what a tool could measure without
  the truth (the whole-data solution's own error is small against the gap's sigma).

If the cut-out gaps' z rms followed the real gaps' on each scene, a scene-wide factor measured on them (``cut-data``)
would calibrate the real gap's sigma from the data. Prints one line per gap and component: z rms pooled over seeds.

Usage: /usr/bin/python3 gap_cv.py [scenario ...] [--seeds 0,1,2]
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys

import common
import honesty
import numpy as np
import scenarios as scn

from insar_geohazards.algorithms.timeseries.multisensor import solve_multisensor

GAP_SCENARIOS = ["gap_env_s1", "alos_mixed", "rsat_tsx_gap", "rs2_csk_cycle", "env_tsx_slide", "s1_rw_short_gap",
                 "env_s1_blobs", "ers_csk_s1"]


def cut(gen: dict, a: dt.date, b: dt.date) -> dict:
    """``gen`` with every acquisition strictly inside ``(a, b)`` removed (interferograms touching or spanning the
    window dropped); a stack with dates on both sides becomes two stacks (names ``-pre`` / ``-post``)."""
    out = dict(gen)
    stacks = []
    for st in gen["stacks"]:
        for side, keep_date in (("pre", lambda d: d <= a), ("post", lambda d: d >= b)):
            part = dict(st)
            if st["pairs"] is None:
                keep = [i for i, d in enumerate(st["dates"]) if keep_date(d)]
                part["dates"] = [st["dates"][i] for i in keep]
            else:
                keep = [i for i, (p, q) in enumerate(st["pairs"]) if keep_date(p) and keep_date(q)]
                part["pairs"] = [st["pairs"][i] for i in keep]
                part["dates"] = sorted({d for pq in part["pairs"] for d in pq})
            if len(part["dates"]) < 6:
                continue
            part["values"] = st["values"][keep]
            if len(keep) == len(st["values"]):  # the stack does not reach the window: kept whole
                stacks.append(part)
                break
            part["sensor"] = dataclasses.replace(st["sensor"], name=f"{st['sensor'].name}-{side}")
            stacks.append(part)
    out["stacks"] = stacks
    return out


def _gap_z(res, sc, gi, gp, reference=None):
    te, _, tu = scn.truth_at(sc, [gp.last_before, gp.first_after])
    for ci, (c, t) in enumerate((("east", te), ("up", tu))):
        d, s = res["gap_displacement"][gi, ci], res["gap_sigma"][gi, ci]
        yield c, "truth", (d - (t[1] - t[0])) / s
        if reference is not None:
            ia, ib = reference.dates.index(gp.last_before), reference.dates.index(gp.first_after)
            yield c, "data", (d - (reference[c][ib] - reference[c][ia])) / s


def scenario(name: str, seeds) -> dict:
    acc: dict = {}
    for seed in seeds:
        gen = honesty.generate(name, seed)
        sc = gen["scenario"]
        nm = honesty.north_model(gen)
        whole = solve_multisensor(common.to_stacks(gen), north=nm)
        real = [(gi, gp) for gi, gp in enumerate(whole.gaps) if gp.days >= 365]
        for gi, gp in real:
            for c, _, z in _gap_z(whole, sc, gi, gp):
                acc.setdefault(("real", f"{gp.last_before:%Y-%m}..{gp.first_after:%Y-%m}", c), []).append(z.ravel())
        observed = [d for d, o in zip(whole.dates, whole.observed) if o]
        edges = [observed[0]] + [x for _, gp in real for x in (gp.last_before, gp.first_after)] + [observed[-1]]
        span = max(gp.days for _, gp in real) / 365.25
        for a0, b0 in zip(edges[::2], edges[1::2]):
            t_cut = min(span, (b0 - a0).days / 365.25 - 2.0)
            if t_cut < 1.0:
                continue
            mid = a0 + (b0 - a0) / 2
            half = dt.timedelta(days=t_cut * 365.25 / 2)
            res = solve_multisensor(common.to_stacks(cut(gen, mid - half, mid + half)), north=nm)
            for gi, gp in enumerate(res.gaps):
                if gp.days >= 300 and abs((gp.last_before - (mid - half)).days) <= 60:
                    for c, kind, z in _gap_z(res, sc, gi, gp, whole):
                        acc.setdefault((f"cut-{kind}", f"{a0:%Y} period, {t_cut:.1f} yr", c), []).append(z.ravel())
    return acc


def main():
    names = [a for a in sys.argv[1:] if a in scn.SCENARIOS] or GAP_SCENARIOS
    seeds = [0, 1, 2]
    if "--seeds" in sys.argv:
        seeds = [int(v) for v in sys.argv[sys.argv.index("--seeds") + 1].split(",")]
    print("| scenario | gap | against | z rms E / U |\n|---|---|---|---|")
    for name in names:
        acc = scenario(name, seeds)
        for (kind, where) in dict.fromkeys((k[0], k[1]) for k in acc):
            rms = []
            for c in ("east", "up"):
                z = np.concatenate(acc[(kind, where, c)])
                z = z[np.isfinite(z)]
                rms.append(np.sqrt(np.mean(z ** 2)))
            label = "real gap" if kind == "real" else f"cut-out gap in the {where}"
            shown = where if kind == "real" else ""
            print(f"| {name} | {label} {shown} | {'truth' if kind != 'cut-data' else 'whole-data solution'} "
                  f"| {rms[0]:.2f} / {rms[1]:.2f} |", flush=True)


if __name__ == "__main__":
    main()
