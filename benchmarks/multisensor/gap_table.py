"""Per multi-year gap, from honesty.py JSON files: within 2-sigma and z rms (east / up) pooled over the seeds,
one column per file (e.g. before and after a change run on the same seeds).

Usage: /usr/bin/python3 gap_table.py A.json [B.json ...]   (seconds; the runs themselves: honesty.py)
"""

from __future__ import annotations

import json
import sys

from honesty import pooled


def gaps(path):
    out = {}
    for r in json.load(open(path))["records"]:
        for g in r["gaps"]:
            if g["days"] >= 365:
                out.setdefault((r["scenario"], g["from"][:7] + ".." + g["to"][:7]), []).append(g)
    return out


def main():
    runs = [gaps(p) for p in sys.argv[1:]]
    print("| scenario | gap | " + " | ".join(f"{p}: within 2 sigma E / U (z rms E / U)" for p in sys.argv[1:]) + " |")
    print("|---|---|" + "---|" * len(runs))
    for key in runs[0]:
        cells = []
        for run in runs:
            gs = run.get(key, [])
            if not gs:
                cells.append("-")
                continue
            e, u = pooled([g["east"] for g in gs]), pooled([g["up"] for g in gs])
            cells.append(f"{100 * e[2]:.1f} / {100 * u[2]:.1f} % ({e[1]:.2f} / {u[1]:.2f}; {len(gs)} seeds)")
        print(f"| {key[0]} | {key[1]} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
