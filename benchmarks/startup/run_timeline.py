"""Where the wall time of a whole ``qgis_process.bin run`` goes, part by part.

    /usr/bin/python3 benchmarks/startup/run_timeline.py [--repeat N] [--idle S] phaselinking PLUGINS_DIR

The run: the psds family's whole_run case (EMI, GLRT, 11 x 11, PS mask) with the plugin of ``PLUGINS_DIR`` (a folder
holding ``insar_geohazards``, e.g. ``.build/plugins``). ``--idle S``: S seconds of nothing before each run (a guest
that pages out memory unused for a minute reads every library and input from the disk again: docs/architecture.md,
Performance notes). ``timeline/sitecustomize.py`` stamps wall and CPU seconds at the edges of each part (:func:`parts`);
printed: each part's medians (wall / CPU), the whole runs' from outside and the load.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "psds"))


def command(out: str) -> list:
    """The psds family's whole_run case's ``qgis_process`` run, its outputs moved into ``out``."""
    import whole_run

    work = os.path.join(ROOT, ".build", "bench", "psds", "whole_run", "tifs")
    moved = {os.path.join(work, n): os.path.join(out, n) for n in ("phase.tif", "tcoh.tif", "count.tif")}
    cmd = []
    for c in whole_run.qgis_command(work):
        key, _, value = c.partition("=")
        cmd.append(f"{key}={moved[value]}" if value in moved else c)
    return cmd


def parts(path: str) -> dict:
    ev = []
    for line in open(path):
        t, c, thread, name = line.rstrip("\n").split("\t")
        ev.append((float(t), float(c), thread, name))

    def at(name, thread="MainThread", last=False):
        for e in (reversed(ev) if last else ev):
            if e[3] == name and e[2] == thread:
                return e
        return None

    out = {}

    def span(label, a, b):
        if a is not None and b is not None:
            out[label] = (b[0] - a[0], b[1] - a[1])

    start = (0.0, 0.0, "", "")
    span("QGIS: C++ start until Python", start, at("python init"))
    span("QGIS: Python start-up before the plugin", at("python init"), at("> InsarGeohazardsPlugin.initProcessing"))
    span("plugin load (provider, tools, models)", at("> InsarGeohazardsPlugin.initProcessing"),
         at("< InsarGeohazardsPlugin.initProcessing"))
    span("QGIS: processing plugin", at("import processing"), at("imported processing"))
    span("parameter checks (QGIS's and the tool's)", at("imported processing"),
         at("> GeohazardAlgorithm.processAlgorithm"))
    span("run: input checks (listing, probe)", at("> GeohazardAlgorithm.processAlgorithm"), at("< guard.check_before"))
    span("run: waiting for numba's start", at("> early_kernels.join"), at("< early_kernels.join"))
    span("run: stack set-up until the block pass", at("< early_kernels.join"), at("> blocks.run_blocks"))
    span("run: block pass (read, kernels, write)", at("> blocks.run_blocks"), at("< blocks.run_blocks"))
    span("  of it: the last writes (writer thread joined)", at("> BackgroundWriter.stop"),
         at("< BackgroundWriter.stop"))
    end = at("< GeohazardAlgorithm.processAlgorithm", last=True)
    span("run: styles, stamps, commit", at("< blocks.run_blocks"), end)
    span("after the run until exit", end, at("exit"))
    span("(numba's start in its thread)", at("> early_kernels._start", "geohazard-kernels"),
         at("< early_kernels._start", "geohazard-kernels"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--idle", type=float, default=0.0,
                    help="seconds of idle before each run (a machine that pages out memory unused for a while)")
    ap.add_argument("tool", choices=("phaselinking",))
    ap.add_argument("plugins", help="a folder holding insar_geohazards")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="geohazard-timeline-")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": os.path.join(HERE, "timeline"),
           "NUMBA_NUM_THREADS": "2", "OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2", "QGIS_PLUGINPATH": a.plugins}
    runs = []
    print("load before:", os.getloadavg())
    for i in range(a.repeat):
        out = os.path.join(work, "out")
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        trace = os.path.join(work, f"t{i}.tsv")
        time.sleep(a.idle)
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(command(out), env={**env, "GEOHAZARD_TIMELINE": trace}, capture_output=True, check=True)
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
        runs.append((wall, cpu, parts(trace)))
        print(f"{wall:.2f} s wall, {cpu:.2f} CPU-s", flush=True)
    print("load after:", os.getloadavg())
    names = list(runs[0][2])
    width = max(len(n) for n in names) + 2
    print(f"\n{'part (medians: wall s / CPU s)':{width}s}")
    for n in names:
        w, c = [r[2][n][0] for r in runs if n in r[2]], [r[2][n][1] for r in runs if n in r[2]]
        print(f"{n:{width}s}  {statistics.median(w):6.3f} / {statistics.median(c):6.3f}")
    print(f"{'whole run, from outside':{width}s}  {statistics.median(r[0] for r in runs):6.3f} / "
          f"{statistics.median(r[1] for r in runs):6.3f}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
