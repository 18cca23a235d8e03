"""How long `make demo && make test` take on a fresh clone, idle or beside a stress load: the one measured place
(suite_time.json beside this file) that README.md, BENCHMARKS.md and docs/architecture.md quote.

    /usr/bin/python3 benchmarks/suite/measure.py [--load N] [--targets "demo test"] [--entry idle|load]
                                                 [--write-pages | --pages-only]

Clones this checkout's HEAD into a new folder (nothing cached: no numba cache, no .build), starts ``--load`` busy
processes beside it at normal priority (0: none; the machine's own load counts too and is recorded), runs each make
target under ``/usr/bin/time -v`` and records per target its wall and CPU seconds, the pytest counts, the load
sampled every 5 s, and every wait on another process's compile the logs name (a run's "after N s of waiting", a
warm-up's "waited N s on another process's compile"): the entry ``idle`` (no stress and a load under 1 before it
began; the suite's own processes load the machine) or ``load`` (``--entry`` chooses) replaces the one before.
``--write-pages`` then writes the pages' sentences between their ``<!-- suite-time -->`` markers
(tests/core/test_suite_time.py checks that they say what the file says).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FILE = os.path.join(HERE, "suite_time.json")
#: the pages that state the suite's time, each between these markers, written by :func:`render`
PAGES = ("README.md", "BENCHMARKS.md", os.path.join("docs", "architecture.md"))
BEGIN, END = "<!-- suite-time -->", "<!-- end suite-time -->"
#: the goals: minutes on 2 cores, idle and at load 4
GOAL_IDLE_MIN, GOAL_LOAD_MIN = 15, 30
#: what the logs say of a wait on another process's compile: seconds
WAITS = (r"after ([\d.]+) s of waiting", r"waited ([\d.]+) s on another process's compile",
         r"Not waiting any longer \(([\d.]+) s waited\)")
COUNTS = r"(\d+) (passed|skipped|failed|deselected|errors?)\b"


def load_file(path: str = FILE) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return {}


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min"


def _entry_text(key: str, e: dict) -> str:
    where = "idle" if key == "idle" else f"at load {e['load_mean']:.1f} ({e['load_min']:.1f}-{e['load_max']:.1f})"
    stress = f", {e['stress']} busy processes beside it" if e.get("stress") else ""
    parts = [f"`{e['what']}` **{_minutes(e['wall_s'])}** ({e['wall_s']:,.0f} s, {e['cpu_s']:,.0f} CPU-s) {where}"
             f"{stress}"]
    if len(e.get("targets", ())) > 1:
        parts.append(", ".join(f"make {t['target']} {t['wall_s']:,.0f} s" for t in e["targets"]))
    if e.get("passed") is not None:
        parts.append(f"{e['passed']:,} passed, {e['skipped']} skipped, {e['failed']} failed")
    if e.get("max_wait_s") is not None:
        parts.append(f"longest wait on another process's compile {e['max_wait_s']:.1f} s")
    return "; ".join(parts) + f" (at {e['commit']}, {e['date']})"


def render(data: dict) -> str:
    """The sentence the pages carry between their markers."""
    entries = data.get("entries", {})
    keys = [k for k in ("idle", "load") if k in entries]
    cores = sorted({entries[k]["cores"] for k in keys})
    said = ". ".join(_entry_text(k, entries[k]) for k in keys)
    return (f"On a fresh clone, {'/'.join(map(str, cores))} cores: {said}. Goal: <= {GOAL_IDLE_MIN} min idle and "
            f"<= {GOAL_LOAD_MIN} min at load 4 on 2 cores. Measured by `benchmarks/suite/measure.py` into "
            "`benchmarks/suite/suite_time.json`, which this sentence quotes.")


#: the sentence's lines on a page: short enough for a page's own text before the marker on its first line
WRAP = 160


def write_pages(data: dict, root: str = ROOT) -> None:
    text = textwrap.fill(render(data), WRAP, break_long_words=False, break_on_hyphens=False)
    for page in PAGES:
        path = os.path.join(root, page)
        with open(path, encoding="utf-8") as fh:
            old = fh.read()
        new = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda m: f"{BEGIN}{text}{END}", old, flags=re.S)
        if new != old:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(new)


def _time_v(text: str) -> dict:
    def num(pattern):
        m = re.search(pattern, text)
        return float(m.group(1)) if m else 0.0

    return {"cpu_s": round(num(r"User time \(seconds\): ([\d.]+)") + num(r"System time \(seconds\): ([\d.]+)"), 1),
            "peak_rss_mb": round(num(r"Maximum resident set size \(kbytes\): (\d+)") / 1024)}


def _sampler(samples: list, stop: threading.Event) -> None:
    while not stop.wait(5.0):
        samples.append(os.getloadavg()[0])


def run_target(clone: str, target: str, log_dir: str) -> dict:
    """``make TARGET`` in the clone under ``/usr/bin/time -v``: wall, CPU, counts and waits; its log kept."""
    log = os.path.join(log_dir, f"{target}.log")
    t0 = time.monotonic()
    with open(log, "w", encoding="utf-8") as fh:
        rc = subprocess.run(["/usr/bin/time", "-v", "make", target], cwd=clone, stdout=fh, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL).returncode
    wall = time.monotonic() - t0
    with open(log, encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    return {"target": target, "rc": rc, "wall_s": round(wall, 1), **_time_v(text), **summarize(text), "log": log}


def summarize(text: str) -> dict:
    """From a make target's output: pytest's counts summed over its summary lines (the parts beside the warm-up,
    the workers, the serial tests) and the waits on another process's compile the logs name, longest first."""
    counts: dict = {}
    for line in text.splitlines():
        if re.match(r"^=*\s*\d+ (passed|failed|skipped|deselected|errors?)\b.* in [\d.]+s", line):
            for n, what in re.findall(COUNTS, line):
                key = "errors" if what.startswith("error") else what
                counts[key] = counts.get(key, 0) + int(n)
    # the runs' and warm-ups' own lines, not a test's assertion message quoting one (pytest's "E   " lines)
    said = "\n".join(line for line in text.splitlines() if not re.match(r"^E\s", line))
    waits = sorted((float(w) for p in WAITS for w in re.findall(p, said)), reverse=True)
    return {"counts": counts, "waits_s": waits[:20]}


def measure(stress: int, targets, keep: bool, work: str = "") -> dict:
    work = work or tempfile.mkdtemp(prefix="suite_time_")
    clone = os.path.join(work, "clone")
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", ROOT, clone], check=True)
    commit = subprocess.run(["git", "-C", clone, "rev-parse", "--short=8", "HEAD"], capture_output=True, text=True,
                            check=True).stdout.strip()
    before = os.getloadavg()[0]  # the machine's own load, before the stress and the make targets
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(stress)]
    samples: list = [before]
    stop = threading.Event()
    sampler = threading.Thread(target=_sampler, args=(samples, stop), daemon=True)
    sampler.start()
    results = []
    try:
        for target in targets:
            res = run_target(clone, target, work)
            results.append(res)
            print(json.dumps({k: v for k, v in res.items()}), flush=True)
            if res["rc"] != 0:
                break
    finally:
        stop.set()
        for proc in busy:
            proc.kill()
            proc.wait()
        if not keep:
            shutil.rmtree(clone, ignore_errors=True)
    counts = [r["counts"] for r in results if r["target"] == "test"]
    waits = [w for r in results for w in r["waits_s"]]
    return {"what": " && ".join(f"make {t}" for t in targets), "commit": commit,
            "date": time.strftime("%Y-%m-%d", time.gmtime()), "cores": os.cpu_count(), "stress": stress,
            "wall_s": round(sum(r["wall_s"] for r in results), 1), "cpu_s": round(sum(r["cpu_s"] for r in results), 1),
            "load_before": round(before, 1),
            "load_mean": round(sum(samples) / len(samples), 1), "load_min": round(min(samples), 1),
            "load_max": round(max(samples), 1), "rc": max(r["rc"] for r in results),
            "targets": [{"target": r["target"], "wall_s": r["wall_s"], "cpu_s": r["cpu_s"], "rc": r["rc"],
                         "peak_rss_mb": r["peak_rss_mb"]} for r in results],
            "passed": counts[0].get("passed", 0) if counts else None,
            "skipped": counts[0].get("skipped", 0) if counts else None,
            "failed": counts[0].get("failed", 0) + counts[0].get("errors", 0) if counts else None,
            "max_wait_s": max(waits) if waits else 0.0,
            "command": "benchmarks/suite/measure.py" + (f" --load {stress}" if stress else "")}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--load", type=int, default=0, help="busy processes to run beside it (0: none)")
    parser.add_argument("--targets", default="demo test", help="make targets, in order (default: demo test)")
    parser.add_argument("--keep", action="store_true", help="keep the clone (its logs are kept anyway)")
    parser.add_argument("--write-pages", action="store_true", help="then write the pages' sentences from the file")
    parser.add_argument("--pages-only", action="store_true", help="only write the pages' sentences from the file")
    parser.add_argument("--out", default=FILE, help="the JSON to update")
    parser.add_argument("--entry", choices=("idle", "load"),
                        help="the entry to replace (default: idle when no stress and the load before was under 1)")
    args = parser.parse_args(argv)
    data = load_file(args.out)
    if not args.pages_only:
        entry = measure(args.load, args.targets.split(), args.keep)
        # the suite's own processes load the machine (~2-3 on 2 cores): idle means nothing else before it began
        key = args.entry or ("idle" if not args.load and entry["load_before"] < 1.0 else "load")
        data.setdefault("entries", {})[key] = entry
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
            fh.write("\n")
        print(f"{key}: {_entry_text(key, entry)}", flush=True)
    if args.write_pages or args.pages_only:
        write_pages(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
