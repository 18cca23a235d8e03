"""Where the wall time of a whole ``qgis_process.bin run`` goes, part by part, for one or more plugin folders.

    /usr/bin/python3 benchmarks/startup/run_timeline.py [--repeat N] [--idle S] {phaselinking,sbas300} PLUGINS_DIR [...]

``phaselinking``: the stack of the psds family's whole_run case (``.build/bench/psds/whole_run/tifs``, EMI, GLRT,
11 x 11, PS mask); ``sbas300``: the weighted 300 x 300 x 202 run of the timeseries family's mintpy_300_var case
(``.build/bench_ts/s300``). ``PLUGINS_DIR``: a folder holding ``insar_geohazards`` (this checkout's
``.build/plugins``, or a ``git archive`` copy of another revision with ``.build/plugins/insar_geohazards -> ../..``,
its bytecode compiled and its numba kernels compiled by one run first). Runs alternate between the folders; each
writes into its own empty folder; the outputs of the folders' last runs are compared byte for byte (styles: the
same XML elements and attributes, Qt writes them in hash order). ``--idle S``: S seconds of nothing before each run
(a guest that pages out memory unused for a minute reads every library and input from the disk again:
docs/architecture.md, Performance notes).

Per run, ``timeline/sitecustomize.py`` stamps wall seconds since the process started and the process's CPU seconds
(all threads) at the edges of: QGIS's C++ start until Python, QGIS's Python start-up before the plugin, the plugin's
load (provider, tools, models), QGIS's processing plugin, the parameter checks, the run's input checks, the wait for
numba's start (``early_kernels``), the block pass and its last writes, styles and stamps, and the exit. Printed: the
medians of each part (wall / CPU), the whole runs' wall and CPU (user + sys, from outside) and the load.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "psds"))


def command(tool: str, out: str) -> list:
    if tool == "phaselinking":
        import whole_run

        work = os.path.join(ROOT, ".build", "bench", "psds", "whole_run", "tifs")
        moved = {os.path.join(work, n): os.path.join(out, n) for n in ("phase.tif", "tcoh.tif", "count.tif")}
        cmd = []
        for c in whole_run.qgis_command(work):
            key, _, value = c.partition("=")
            cmd.append(f"{key}={moved[value]}" if value in moved else c)
        return cmd
    stack = os.path.join(ROOT, ".build", "bench_ts", "s300")
    m = json.load(open(os.path.join(stack, "stack.json")))
    x, y = m["ref_xy"]
    return ["qgis_process.bin", "run", "geohazard:sbasinversion", "--", f"INTERFEROGRAMS={stack}/tif",
            f"COHERENCE={stack}/tif", f"REFERENCE={x},{y} [EPSG:{m['epsg']}]", f"WAVELENGTH_M={m['wavelength_m']}",
            "ISBAS_MIN_COUNT=1", "MIN_TEMPORAL_COHERENCE=0", "MAX_MEMORY_MB=512", "WEIGHTING=1", f"LOOKS={m['looks']}",
            *(f"OUTPUT_{k.upper()}={out}/output_{k}.tif" for k in
              ("timeseries", "velocity", "velocity_std", "temporal_coherence", "cohcount"))]


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


def _digest(path: str) -> str:
    if path.endswith(".qml"):
        def canon(e):
            return e.tag, sorted(e.attrib.items()), (e.text or "").strip(), [canon(k) for k in e]
        return repr(canon(ET.parse(path).getroot()))
    return hashlib.md5(open(path, "rb").read()).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--idle", type=float, default=0.0,
                    help="seconds of idle before each run (a machine that pages out memory unused for a while)")
    ap.add_argument("tool", choices=("phaselinking", "sbas300"))
    ap.add_argument("plugins", nargs="+")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="geohazard-timeline-")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": os.path.join(HERE, "timeline"),
           "NUMBA_NUM_THREADS": "2", "OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2"}
    runs = {p: [] for p in a.plugins}
    print("load before:", os.getloadavg())
    for i in range(a.repeat):
        for k, plugins in enumerate(a.plugins):
            out = os.path.join(work, f"out{k}")
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)
            trace = os.path.join(work, f"t{k}_{i}.tsv")
            time.sleep(a.idle)
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(command(a.tool, out), env={**env, "QGIS_PLUGINPATH": plugins, "GEOHAZARD_TIMELINE": trace},
                           capture_output=True, check=True)
            wall = time.perf_counter() - t0
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
            runs[plugins].append((wall, cpu, parts(trace)))
            print(f"{plugins}: {wall:.2f} s wall, {cpu:.2f} CPU-s", flush=True)
    print("load after:", os.getloadavg())
    names = [n for n in runs[a.plugins[0]][0][2]]
    width = max(len(n) for n in names) + 2
    print(f"\n{'part (medians: wall s / CPU s)':{width}s}" + "".join(f"  [{k}]{'':>12s}" for k in range(len(runs))))
    for n in names:
        row = f"{n:{width}s}"
        for p in a.plugins:
            w = [r[2][n][0] for r in runs[p] if n in r[2]]
            c = [r[2][n][1] for r in runs[p] if n in r[2]]
            row += f"  {statistics.median(w):6.3f} / {statistics.median(c):6.3f}" if w else f"  {'-':>15s}"
        print(row)
    row = f"{'whole run, from outside':{width}s}"
    for p in a.plugins:
        row += f"  {statistics.median(r[0] for r in runs[p]):6.3f} / {statistics.median(r[1] for r in runs[p]):6.3f}"
    print(row)
    for k, p in enumerate(a.plugins):
        print(f"[{k}] {p}")
    outs = [os.path.join(work, f"out{k}") for k in range(len(a.plugins))]
    files = sorted(os.listdir(outs[0]))
    same = all(sorted(os.listdir(o)) == files and all(_digest(os.path.join(o, f)) == _digest(os.path.join(outs[0], f))
                                                      for f in files) for o in outs[1:])
    print(f"outputs ({len(files)} files): " + ("identical across the folders" if same else "DIFFERENT"))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
