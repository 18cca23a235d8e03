"""Accuracy of the joint east/up solver against the baselines, on every scenario (the honesty of the sigma:
honesty.py).

Usage: /usr/bin/python3 run_accuracy.py OUT_DIR [scenario ...] [--seeds 0,1,2] [--option name=value ...]
Per scenario and period where geometries overlap: the RMS over pixels of each method's per-pixel error with its
temporal mean removed. Writes OUT_DIR/accuracy.json and prints the tables of docs/multisensor.md.
"""

from __future__ import annotations

import json
import os
import sys
import time

import baselines as bl
import numpy as np
import scenarios as scn
from common import save_json


def series_rms(dates, est_e, est_u, sc, lo, hi, mask):
    sel = [i for i, d in enumerate(dates) if lo <= d <= hi]
    ds = [dates[i] for i in sel]
    te, _, tu = scn.truth_at(sc, ds)
    out = []
    for est, t in ((est_e, te), (est_u, tu)):
        r = scn.demeaned_rms(np.asarray(est)[sel], t)
        out.append(float(np.sqrt(np.nanmean(r[mask] ** 2))))
    return out


def run(name, seed_offset=0, north_removed=False, **options):
    sc = scn.SCENARIOS[name]
    gen = scn.generate_seeded(name, seed_offset, north_removed=north_removed)
    rec = {"scenario": name, "seed": seed_offset, "north_removed": north_removed, "periods": []}
    t0 = time.time()
    ours = scn.run_ours(gen, **options)
    rec["ours_s"] = round(time.time() - t0, 1)
    t0 = time.time()
    ts = bl.ts_route(gen)
    nn = bl.nearest(gen)
    rec["baseline_a_s"] = round(time.time() - t0, 1)
    t0 = time.time()
    ms, ms_best = [], []
    for pi, (_, lo, hi) in enumerate(bl.periods(gen)):
        def oracle(dates, e, u, cols, lo=lo, hi=hi):
            sel = [i for i, d in enumerate(dates) if lo <= d <= hi]
            te, _, tu = scn.truth_at(sc, [dates[i] for i in sel])
            err = [scn.demeaned_rms(np.asarray(x)[sel], t[:, :, cols]) for x, t in ((e, te), (u, tu))]
            return float(np.nanmean(err[0] ** 2) + np.nanmean(err[1] ** 2))
        both = bl.msbas(gen, oracle=oracle, periods_only=[pi])[0]
        ms.append(both[0])
        ms_best.append(both[1])
    rec["msbas_s"] = round(time.time() - t0, 1)
    for pi, (grp, lo, hi) in enumerate(bl.periods(gen)):
        methods = {"ours": (ours.dates, ours["east"], ours["up"]), "ts_route": ts[pi], "nearest": nn[pi],
                   "msbas": ms[pi][:3], "msbas_best": ms_best[pi][:3]}
        mask = np.ones(sc.shape, bool)
        for dates, e, u in methods.values():
            # pixels every method solved on a quarter of its dates or more (the 6-day route leaves gaps longer than
            # 90 days empty: ALOS at 46 days with missing acquisitions keeps under half of them)
            sel = [i for i, d in enumerate(dates) if lo <= d <= hi]
            mask &= (np.isfinite(np.asarray(e)[sel]).mean(axis=0) >= 0.25) \
                & (np.isfinite(np.asarray(u)[sel]).mean(axis=0) >= 0.25)
        row = {"stacks": [gen["stacks"][i]["sensor"].name for i in grp], "window": [str(lo), str(hi)],
               "pixels": int(mask.sum()), "msbas_lambda": ms[pi][3], "msbas_best_lambda": ms_best[pi][3]}
        for m, (dates, e, u) in methods.items():
            row[m] = series_rms(dates, e, u, sc, lo, hi, mask)
        rec["periods"].append(row)
    return rec


def _mean(vals):
    return float(np.mean(vals))


def table(recs):
    """Markdown tables: RMS (mean over seeds) per scenario and period, for north neglected and removed."""
    lines = []
    for removed in (False, True):
        sub = [r for r in recs if r["north_removed"] == removed]
        if not sub:
            continue
        lines += ["", f"North {'removed from every input' if removed else 'neglected by every method'} "
                  "(RMS mm, mean over seeds):", "",
                  "| scenario | period (stacks) | px | ours E / U | ts route E / U | nearest E / U "
                  "| MSBAS L-curve E / U "
                  "| MSBAS best lambda E / U | ours below (a) and (b) E / U | ours below MSBAS best lambda E / U |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        keys = []
        for r in sub:
            for i in range(len(r["periods"])):
                if (r["scenario"], i) not in keys:
                    keys.append((r["scenario"], i))
        for name, i in keys:
            ps = [r["periods"][i] for r in sub if r["scenario"] == name]
            m = {k: [_mean([p[k][c] for p in ps]) for c in (0, 1)] for k in ("ours", "ts_route", "nearest", "msbas",
                                                                             "msbas_best")}
            best = [min(m[k][c] for k in ("ts_route", "nearest", "msbas")) for c in (0, 1)]
            orc = m["msbas_best"]
            p0 = ps[0]
            lines.append(f"| {name} | {p0['window'][0][:7]}..{p0['window'][1][:7]} ({', '.join(p0['stacks'])}) "
                         f"| {p0['pixels']} | " + " | ".join(f"{m[k][0]:.2f} / {m[k][1]:.2f}" for k in
                                                           ("ours", "ts_route", "nearest", "msbas", "msbas_best"))
                         + f" | {100 * (1 - m['ours'][0] / best[0]):.0f} % / "
                         f"{100 * (1 - m['ours'][1] / best[1]):.0f} % | {100 * (1 - m['ours'][0] / orc[0]):.0f} % / "
                         f"{100 * (1 - m['ours'][1] / orc[1]):.0f} % |")
    return "\n".join(lines)


def main():
    out_dir = sys.argv[1]
    names = [a for a in sys.argv[2:] if not a.startswith("--") and a in scn.SCENARIOS] or scn.ORDER + scn.HOLDOUT
    seeds, options = scn.seeds_and_options(sys.argv, [0])
    recs = []
    for name in names:
        for sd in seeds:
            for removed in (False, True):
                rec = run(name, sd, removed, **options)
                recs.append(rec)
                print(json.dumps(rec), flush=True)
    save_json(os.path.join(out_dir, "accuracy.json"), recs)
    print(table(recs))


if __name__ == "__main__":
    main()
