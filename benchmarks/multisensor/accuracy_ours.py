"""Our east and up series' RMS per period only (no baselines): a quick check that a change of the solver's settings
leaves the accuracy of ``run_accuracy.py`` where it was.

RMS of the error with its temporal mean removed, per pixel over our dates in each period every geometry covers
(the periods of ``run_accuracy.py``), then over the pixels we solve on a quarter of those dates or more where
every stack of the period has data (the baselines' own pixels leave out the shadowed rectangle likewise); north
neglected; mean over the seeds. ``run_accuracy.py`` takes the pixels every method solved, so its numbers can
differ slightly.

Usage: /usr/bin/python3 accuracy_ours.py [scenario ...] [--seeds 0,1] [--option name=value ...]
"""

from __future__ import annotations

import sys

import _path  # noqa: F401
import baselines as bl
import common
import numpy as np
import scenarios as scn

from insar_geohazards.algorithms.timeseries.multisensor import solve_multisensor


def main():
    names = [a for a in sys.argv[1:] if a in scn.SCENARIOS] or scn.ORDER + scn.HOLDOUT
    seeds, options = common.seeds_and_options(sys.argv, [0, 1])
    print("| scenario | period | ours E / U (RMS mm) |\n|---|---|---|")
    for name in names:
        sc = scn.SCENARIOS[name]
        rows = {}
        for sd in seeds:
            gen = common.generate_seeded(name, sd)
            res = solve_multisensor(common.to_stacks(gen), **options)
            for grp, lo, hi in bl.periods(gen):
                sel = [i for i, d in enumerate(res.dates) if lo <= d <= hi]
                seen = (res["observations"][list(grp)] > 0).all(axis=0)
                te, _, tu = scn.truth_at(sc, [res.dates[i] for i in sel])
                out = []
                for x, t in ((res["east"], te), (res["up"], tu)):
                    x = np.asarray(x)[sel]
                    ok = (np.isfinite(x).mean(axis=0) >= 0.25) & seen
                    out.append(np.sqrt(np.nanmean(common.demeaned_rms(x, t)[ok] ** 2)))
                rows.setdefault(f"{lo:%Y-%m}..{hi:%Y-%m}", []).append(out)
        for span, v in rows.items():
            e, u = np.mean(v, axis=0)
            print(f"| {name} | {span} | {e:.2f} / {u:.2f} |", flush=True)


if __name__ == "__main__":
    main()
