"""The gap's z-scores when the velocity change inside a multi-year gap happens at a time drawn evenly over the gap,
against the scenarios' own change times (near the middle of their gaps).

The bridge states the spread of the displacement across a gap as if the change could happen at any time inside it
(``|dv| T / sqrt(12)`` for one change: docs/multisensor.md, "Where the gap's sigma comes from"). A scenario whose
change sits at mid-gap is the one case where the trapezoid of the edge velocities is nearly exact, so its z-scores
there say how the bridge does on that placement, not whether its sigma is honest over the times a change can take.
This script runs each scenario with a change inside a gap twice per seed: at the scenario's change time, and at a
time drawn evenly over the gap (its own generator, seeded by the seed; ``sc.extra``, see ``scenarios.truth_enu``).

For every multi-year gap and component it pools over seeds: the pixels the change moves (the truth's displacement
across the gap differs by more than 1 mm between a change at the gap's first and last date) and the others.
Prints, per scenario and placement: within 2 sigma, z rms and mean z on the moved pixels and on the rest.

Usage: /usr/bin/python3 gap_change_time.py OUT_JSON [scenario ...] [--seeds 0,1,...]   (default: seeds 0-11)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402
import honesty  # noqa: E402
import scenarios as scn  # noqa: E402

from insar_geohazards.algorithms.timeseries.multisensor import solve_multisensor  # noqa: E402

#: scenario -> the ``extra`` key of its change inside the multi-year gap
CHANGES = {
    "gap_env_s1": "t_change",
    "rsat_tsx_gap": "t_slowing",
    "rs2_csk_cycle": "t_onset",
    "env_tsx_slide": "t_eastslide",
}


def _year(d: dt.date) -> float:
    return float(scn.years([d])[0])


def gap_z(name: str, seed: int, key: str, when):
    """Solve scenario ``name`` (seed offset ``seed``) with its change at ``when`` (None: the scenario's own time;
    a callable (gap start, gap end) -> year: drawn there); z-scores across its first multi-year gap (the one that
    holds the change in every scenario of ``CHANGES``), split into the pixels the change moves and the rest."""
    sc = scn.SCENARIOS[name]
    saved = dict(sc.extra)
    try:
        gen = honesty.generate(name, seed)
        res = solve_multisensor(common.to_stacks(gen), north=honesty.north_model(gen))
        out = []
        for gi, gp in enumerate(res.gaps):
            if gp.days < 365:
                continue
            t0, t1 = _year(gp.last_before), _year(gp.first_after)
            moved = {}
            for at in (t0, t1):
                sc.extra[key] = at
                te, _, tu = scn.truth_at(sc, [gp.last_before, gp.first_after])
                moved[at] = (te[1] - te[0], tu[1] - tu[0])
            if when is not None:
                sc.extra[key] = when(t0, t1)
                gen = honesty.generate(name, seed)
                res = solve_multisensor(common.to_stacks(gen), north=honesty.north_model(gen))
                gp = res.gaps[gi]
            else:
                sc.extra.clear()
                sc.extra.update(saved)
            te, _, tu = scn.truth_at(sc, [gp.last_before, gp.first_after])
            rec = {"gap": f"{gp.last_before}..{gp.first_after}", "change_year": sc.extra.get(key)}
            for ci, (c, t) in enumerate((("east", te), ("up", tu))):
                z = (res["gap_displacement"][gi, ci] - (t[1] - t[0])) / res["gap_sigma"][gi, ci]
                mask = np.abs(moved[t0][ci] - moved[t1][ci]) > 1.0
                ok = np.isfinite(z)
                rec[c] = {"moved": z[ok & mask].tolist(), "rest": z[ok & ~mask].tolist()}
            out.append(rec)
            break  # one multi-year gap holds the change
        return out
    finally:
        sc.extra.clear()
        sc.extra.update(saved)


def summary(zs) -> str:
    z = np.asarray(zs, float)
    if z.size == 0:
        return "-"
    return f"{100 * np.mean(np.abs(z) < 2):.1f} % / {np.sqrt(np.mean(z ** 2)):.2f} / {z.mean():+.2f} (n {z.size})"


def main() -> None:
    out = sys.argv[1]
    names = [a for a in sys.argv[2:] if a in CHANGES] or list(CHANGES)
    seeds, _ = common.seeds_and_options(sys.argv, list(range(12)))
    results = {}
    lines = ["| scenario | change | east, moved pixels | east, rest | up, moved pixels | up, rest |",
             "|---|---|---|---|---|---|"]
    for name in names:
        key = CHANGES[name]
        for label in ("scenario's time", "drawn evenly over the gap"):
            recs = []
            for sd in seeds:
                rng = np.random.default_rng(7000 + sd)
                when = None if label == "scenario's time" else (lambda a, b, r=rng: float(r.uniform(a, b)))
                recs += gap_z(name, sd, key, when)
            results[f"{name}: {label}"] = recs
            cells = [summary([v for r in recs for v in r[c][part]])
                     for c in ("east", "up") for part in ("moved", "rest")]
            lines.append(f"| {name} | {label} | " + " | ".join(cells) + " |")
            print(lines[-1], flush=True)
    with open(out, "w") as fh:
        json.dump(results, fh)
    print("cells: within 2 sigma / z rms / mean z (pixels pooled over seeds " + ",".join(map(str, seeds)) + ")")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
