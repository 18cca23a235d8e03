"""The benchmark runner: one family (a folder of benchmarks/ with a ``cases.py``) or all of them, case by case.

Usage (from anywhere; ``make bench FAMILY=x [CASE=y]`` calls it after ``make link``)::

    python3 benchmarks/run.py --list                      # families and their cases
    python3 benchmarks/run.py FAMILY [CASE ...]           # run them, record the results
    python3 benchmarks/run.py FAMILY --dry-run            # print what would run
    python3 benchmarks/run.py FAMILY --quick              # only the family's quick case(s), not recorded

A family's ``cases.py`` holds ``ABOUT`` (one line) and ``CASES``, a list of dicts, one a case::

    dict(name="whole_run",                      # the case's name, unique in the family
         measures="30 dates x 200 x 200 px ...", # what it measures: the table's first column
         peer="dolphin 0.42.9, net phase linking",  # the peer and its settings, or "none: floor only"
         setup="peers dolphin; peers_gdal",     # optional: setup_env.sh functions to call first
         run='python3 "$HERE/whole_run.py" ...',  # bash, from the repository root
         quick=True,                            # optional: small enough for a check on a shared machine
         table="dask")                          # optional: its BENCHMARKS.md table (default: family; None: none)

Each case runs in bash after ``source benchmarks/setup_env.sh`` with ``HERE`` the family's folder and ``OUT`` a
work folder of its own (``.build/bench/FAMILY/CASE``). The runner measures the whole case (wall seconds, CPU seconds
of every child, the largest child's peak RSS) and keeps the lines of its output of the form
``{"bench": {...}}``: the cells a script states itself (``ours``, ``ratio``, ``accuracy``, ``floor``, ``peak_rss``,
``peer``); a script that measures several rows adds ``"case": NAME`` for the others (cases declared with
``part_of``: rows of another case's run; naming one runs that case). The records are appended to
``benchmarks/FAMILY/results.json``; ``benchmarks/render.py`` writes BENCHMARKS.md's tables from the latest record
of each case.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import subprocess
import sys
import time

from common import cpu_model

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CELLS = ("peer", "ours", "ratio", "accuracy", "floor", "peak_rss", "cpu", "date")


def families():
    """{family: folder} for every folder of benchmarks/ with a cases.py."""
    return {name: os.path.join(HERE, name) for name in sorted(os.listdir(HERE))
            if os.path.isfile(os.path.join(HERE, name, "cases.py"))}


def load(family):
    """The family's cases module (ABOUT, CASES), checked."""
    path = os.path.join(HERE, family, "cases.py")
    if not os.path.isfile(path):
        raise SystemExit(f"no benchmark family {family!r}: one of {', '.join(families())}")
    spec = importlib.util.spec_from_file_location(f"bench_cases_{family}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    names = [c["name"] for c in module.CASES]
    if len(set(names)) != len(names):
        raise SystemExit(f"{path}: a case name is used twice")
    for c in module.CASES:
        missing = {"name", "measures", "peer"} - set(c) | ({"run"} - set(c) if "part_of" not in c else set())
        if missing:
            raise SystemExit(f"{path}: case {c.get('name')!r} lacks {sorted(missing)}")
    return module


def results_path(family):
    return os.path.join(HERE, family, "results.json")


def read_results(family):
    path = results_path(family)
    if not os.path.isfile(path):
        return []
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def latest(family):
    """{case name: its latest record}."""
    out = {}
    for record in read_results(family):
        out[record["case"]] = record
    return out


def script(family, case):
    return "\n".join(["set -euo pipefail", f'cd "{ROOT}"', "source benchmarks/setup_env.sh",
                      case.get("setup", ""), case["run"]])


def _commit():
    try:
        return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def run_case(family, case, record=True):
    """Run one case, print its output as it comes, return its record."""
    out = os.path.join(ROOT, ".build", "bench", family, case["name"])
    os.makedirs(out, exist_ok=True)
    env = dict(os.environ, HERE=os.path.join(HERE, family), OUT=out, ROOT=ROOT)
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen(["bash", "-c", script(family, case)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1)
    stated = {}  # {case name: the cells its script stated}
    with open(os.path.join(out, "log.txt"), "w", encoding="utf-8") as log:
        for line in proc.stdout:
            sys.stdout.write(line)
            log.write(line)
            if line.startswith('{"bench"'):
                try:
                    said = json.loads(line)
                    stated[said.get("case", case["name"])] = dict(said["bench"])
                except (ValueError, KeyError, TypeError):
                    pass
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    rc = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    measured = {"ours": f"{wall:.1f} s / {cpu:.1f} CPU-s (whole case)",
                "peak_rss": f"{usage.ru_maxrss / 1024:.0f} MB", "cpu": cpu_model(),
                "date": f"{datetime.date.today().isoformat()}, load {load_before:.1f}"}
    recs = []
    for name in [case["name"]] + [n for n in stated if n != case["name"]]:
        cells = dict(measured) if name == case["name"] else {"cpu": measured["cpu"], "date": measured["date"]}
        cells.update({k: v for k, v in stated.get(name, {}).items() if k in CELLS})
        recs.append({"case": name, "commit": _commit(), "rc": rc, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                     "cells": cells})
    rec = recs[0]
    print(f"== {family}/{case['name']}: exit {rc}, {wall:.1f} s, {cpu:.1f} CPU-s, peak RSS {measured['peak_rss']}")
    if record and rc == 0:
        records = read_results(family) + recs
        with open(results_path(family), "w", encoding="utf-8") as f:
            json.dump(records, f, indent=1, ensure_ascii=False)
            f.write("\n")
    return rec


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("family", nargs="?", help="a folder of benchmarks/ with a cases.py (default: every family)")
    ap.add_argument("cases", nargs="*", help="case names (default: all the family's cases)")
    ap.add_argument("--list", action="store_true", help="list the families and their cases")
    ap.add_argument("--dry-run", action="store_true", help="print each case's script, run nothing")
    ap.add_argument("--quick", action="store_true", help="only the cases marked quick, and record nothing")
    args = ap.parse_args(argv)
    chosen = [args.family] if args.family else list(families())
    failed = 0
    for family in chosen:
        module = load(family)
        known = {c["name"]: c for c in module.CASES}
        unknown = [n for n in args.cases if n not in known]
        if unknown:
            raise SystemExit(f"{family}: no case {', '.join(unknown)}; cases: {', '.join(known)}")
        # a case measured as part of another (part_of) runs as that one
        names = [known[n].get("part_of", n) for n in args.cases] or [c["name"] for c in module.CASES]
        cases = [known[n] for n in dict.fromkeys(names)]
        if args.quick:
            cases = [c for c in cases if c.get("quick")]
        if not args.list:
            cases = [c for c in cases if not c.get("part_of")]
        if args.list:
            print(f"{family}: {module.ABOUT}")
            for c in cases:
                print(f"  {c['name']:<24} {c['measures'][:90]}")
            continue
        for c in cases:
            if args.dry_run:
                print(f"### {family}/{c['name']}: {c['measures']}\n{script(family, c)}\n")
                continue
            failed += run_case(family, c, record=not args.quick)["rc"] != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
