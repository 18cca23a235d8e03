"""Where the stated sigma of the displacement across a gap comes from: the same scenario solved with the default
settings and with one option changed, the gap's error and stated sigma compared.

For each gap of a year or more, per component: RMS error and RMS stated sigma over the solved pixels, the spread
(std) and RMS of z = error / sigma, the fraction within 2 sigma; then the same over the pixels whose density across
the gap ``q_gap`` sits at its floor (the deterministic terms explain their motion).

Usage: /usr/bin/python3 gap_budget.py SCENARIO [SEED] [--option name=value ...]
(default: ``--option min_process_noise=0.1``, the floor of the segments' velocity random-walk density).
"""

from __future__ import annotations

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402
import honesty  # noqa: E402
import scenarios as scn  # noqa: E402

from insar_geohazards.algorithms.timeseries.multisensor import solve_multisensor  # noqa: E402


def gap_rows(res, sc, floor):
    rows = []
    for gi, gp in enumerate(res.gaps):
        if gp.days < 365:
            continue
        te, _, tu = scn.truth_at(sc, [gp.last_before, gp.first_after])
        for ci, t in enumerate((te, tu)):
            err = (res["gap_displacement"][gi, ci] - (t[1] - t[0])).ravel()
            sig = res["gap_sigma"][gi, ci].ravel()
            at_floor = res["gap_process_noise"][gi, ci].ravel() <= floor * 1.0001
            ok = np.isfinite(err) & np.isfinite(sig)
            for label, m in (("all", ok), ("q_gap at floor", ok & at_floor)):
                if not m.any():
                    continue
                z = err[m] / sig[m]
                rows.append((f"{gp.last_before}..{gp.first_after}", "EU"[ci], label, int(m.sum()),
                             float(np.sqrt(np.mean(err[m] ** 2))), float(np.median(np.abs(err[m]))),
                             float(np.median(sig[m])), float(z.std()), float(np.sqrt(np.mean(z ** 2))),
                             float(np.mean(np.abs(z) < 2))))
    return rows


def main():
    args = [a for a in sys.argv[1:]]
    options = {}
    while "--option" in args:
        i = args.index("--option")
        k, v = args[i + 1].split("=")
        options[k] = float(v)
        del args[i:i + 2]
    options = options or {"min_process_noise": 0.1}
    name = args[0]
    seed = int(args[1]) if len(args) > 1 else 0
    gen = honesty.generate(name, seed)
    sc = gen["scenario"]
    nm = honesty.north_model(gen)
    print("| settings | gap | comp | pixels | n | RMS error | median abs error | median sigma | z std | z rms "
          "| within 2 sigma |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for label, opts in (("default", {}), (", ".join(f"{k}={v:g}" for k, v in options.items()), options)):
        res = solve_multisensor(common.to_stacks(gen), north=nm, **opts)
        floor = opts.get("min_gap_process_noise", 0.25)
        for r in gap_rows(res, sc, floor):
            print(f"| {label} | {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]:.2f} | {r[5]:.2f} | {r[6]:.2f} | "
                  f"{r[7]:.2f} | {r[8]:.2f} | {100 * r[9]:.1f} % |")


if __name__ == "__main__":
    main()
