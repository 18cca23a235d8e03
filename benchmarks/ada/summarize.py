"""Pool bench_generators.py JSON lines per generator and noise case: precision, recall.

Usage: /usr/bin/python3 benchmarks/ada/summarize.py before.jsonl after.jsonl
Prints a Markdown table: per generator and noise level (seeds pooled), ADAs (true / all),
recall of the detectable areas (found / detectable), recall of all planted areas, core seconds.
"""

import json
import sys
from collections import OrderedDict


def pool(path):
    out = OrderedDict()
    for line in open(path):
        d = json.loads(line)
        noise = f'{d.get("noise_mm_yr", "default")}' + (f' / corr. {d["atmo_mm_yr"]}' if "atmo_mm_yr" in d else "")
        key = (d["generator"], noise, d.get("ratio", ""))
        t = out.setdefault(key, {"tp": 0, "ada": 0, "hit": 0, "det": 0, "all_hit": 0, "planted": 0, "s": 0.0,
                                 "n": 0, "runs": 0, "thr": [], "corr": 0})
        t["tp"] += round(d["precision"] * d["n_ada"])
        t["ada"] += d["n_ada"]
        t["hit"] += round(d["recall_detectable"] * d["n_detectable"])
        t["det"] += d["n_detectable"]
        t["all_hit"] += round(d["recall_all"] * d["n_planted"])
        t["planted"] += d["n_planted"]
        t["s"] += d["core_s"]
        t["n"] += d["n_points"]
        t["runs"] += 1
        t["corr"] += d.get("false_on_correlated_noise", 0)
        t["thr"].append(d["threshold"])
    return out


def main(paths):
    pools = [pool(p) for p in paths]
    print("| generator | noise | points/run | threshold (mm/yr) | " + " | ".join(
        f"{p}: precision (true/ADAs; false on corr. noise) | recall detectable | recall all | core s/run"
        for p in paths) + " |")
    print("|---" * (4 + 4 * len(paths)) + "|")
    for key in pools[0]:
        g, noise, ratio = key
        t0 = pools[0][key]
        row = [g + (f" (ratio {ratio:g})" if ratio else ""), str(noise), f"{t0['n'] // t0['runs']:,}",
               f"{min(t0['thr']):.1f}-{max(t0['thr']):.1f}"]
        for p in pools:
            t = p[key]
            corr = f"; {t['corr']}" if t["corr"] else ""
            row += [f"{t['tp'] / max(t['ada'], 1):.2f} ({t['tp']}/{t['ada']}{corr})",
                    f"**{t['hit'] / max(t['det'], 1):.2f}** ({t['hit']}/{t['det']})",
                    f"{t['all_hit'] / max(t['planted'], 1):.2f}", f"{t['s'] / t['runs']:.2f}"]
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
