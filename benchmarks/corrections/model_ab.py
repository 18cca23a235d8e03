"""What the Corrected SBAS model costs beside its numbers, before and after a change, back to back:

    /usr/bin/python3 benchmarks/corrections/model_ab.py BEFORE_PLUGINS [--after AFTER_PLUGINS] [--stack DIR]
        [--repeat 4] [--json OUT]

BEFORE_PLUGINS and AFTER_PLUGINS are folders holding an ``insar_geohazards`` plugin (for the one before, a copy of
another commit whose numba cache is filled: ``cp -a`` of a warmed checkout keeps the cache valid); AFTER defaults to
this checkout's ``.build/plugins``. Alternated (before, after; then after, before ...): ``qgis_process run
geohazard:correctedsbas`` with stack_compare.py's arguments and ``qgis_process help geohazard:correctedsbas``, each
run's CPU (the process and its children, user + system) and the load; every output file of every model run is
compared byte for byte with the first run's. Each plugin's bytecode is written first (an untimed ``help``).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import sys

from common import ROOT, loadavg, qgis_env, time_v

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack_compare import model_args  # noqa: E402

HELP = ["qgis_process.bin", "help", "geohazard:correctedsbas"]


def outputs(folder: str) -> list:
    return sorted(os.path.relpath(os.path.join(d, f), folder) for d, _, fs in os.walk(folder) for f in fs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("before")
    ap.add_argument("--after", default=os.path.join(ROOT, ".build", "plugins"))
    ap.add_argument("--stack", default="/work/shared/data/practice/corrections_stack")
    ap.add_argument("--work", default=os.path.join(ROOT, ".build", "bench", "model_ab"))
    ap.add_argument("--repeat", type=int, default=4)
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    plugins = {"before": os.path.abspath(args.before), "after": os.path.abspath(args.after)}
    for path in plugins.values():
        time_v(HELP, env=qgis_env(QGIS_PLUGINPATH=path))
    rows, first = [], None
    for i in range(args.repeat):
        for label in ("before", "after") if i % 2 == 0 else ("after", "before"):
            env = qgis_env(QGIS_PLUGINPATH=plugins[label])
            out = os.path.join(args.work, f"{label}_{i}")
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)
            run = time_v(["qgis_process.bin", "run", "geohazard:correctedsbas", "--",
                          *model_args(args.stack, out, 850000)], env=env)
            first = first or (out, outputs(out))
            same = outputs(out) == first[1] and all(
                filecmp.cmp(os.path.join(out, f), os.path.join(first[0], f), shallow=False) for f in first[1])
            rows.append({"plugins": label, "model_cpu_s": run["cpu_s"], "help_cpu_s": time_v(HELP, env=env)["cpu_s"],
                         "same_bytes_as_first": same, "files": len(first[1]), "load": loadavg()})
            print(json.dumps(rows[-1]), flush=True)
    for label in plugins:
        model = sorted(r["model_cpu_s"] for r in rows if r["plugins"] == label)
        helps = sorted(r["help_cpu_s"] for r in rows if r["plugins"] == label)
        print(f"{label}: model CPU-s {model} (median {model[len(model) // 2]}), help {helps}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
