"""Per-thread CPU of one whole ``qgis_process.bin run geohazard:phaselinking``, sampled from outside.

    /usr/bin/python3 benchmarks/psds/thread_cpu.py [PLUGINS_DIR]

Runs the command of ``benchmarks/startup/run_timeline.py phaselinking`` (the stack of ``whole_run.sh``, two numba
threads) with its timeline stamps, reads every thread's CPU seconds (user + sys) from ``/proc/PID/task`` every
10 ms, and prints each thread's CPU over the run and over the block pass, and how many cores the process kept busy
in each 0.1 s (Linux only). ``PLUGINS_DIR``: a folder holding ``insar_geohazards`` (default this checkout's
``.build/plugins``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "startup"))


def _threads(pid: int, tick: float) -> dict:
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                s = f.read()
        except OSError:
            continue
        fields = s[s.rindex(")") + 2:].split()
        out[tid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def main(plugins: str) -> None:
    import run_timeline

    out = tempfile.mkdtemp(prefix="geohazard-threads-")
    trace = os.path.join(out, "timeline.tsv")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NUMBA_NUM_THREADS": "2", "OMP_NUM_THREADS": "2",
           "OPENBLAS_NUM_THREADS": "2", "QGIS_PLUGINPATH": plugins, "GEOHAZARD_TIMELINE": trace,
           "PYTHONPATH": os.path.join(ROOT, "benchmarks", "startup", "timeline")}
    tick = float(os.sysconf("SC_CLK_TCK"))
    t0 = time.perf_counter()
    proc = subprocess.Popen(run_timeline.command("phaselinking", out), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    samples = []
    while proc.poll() is None:
        try:
            samples.append((time.perf_counter() - t0, _threads(proc.pid, tick)))
        except OSError:
            break
        time.sleep(0.01)
    wall = time.perf_counter() - t0
    marks = {}
    for line in open(trace):
        t, _, _, name = line.rstrip("\n").split("\t")
        marks.setdefault(name, float(t))
    b0, b1 = marks["> blocks.run_blocks"], marks["< blocks.run_blocks"]

    def at(t, tid):
        v = 0.0
        for ts, snap in samples:
            if ts > t:
                break
            v = snap.get(tid, v)
        return v

    tids = sorted({tid for _, snap in samples for tid in snap}, key=int)
    print(f"whole run {wall:.2f} s wall; block pass {b0:.2f}-{b1:.2f} s ({b1 - b0:.2f} s); load {os.getloadavg()}")
    busy = 0.0
    for tid in tids:
        total = max(snap.get(tid, 0.0) for _, snap in samples)
        inside = at(b1, tid) - at(b0, tid)
        busy += inside
        if total >= 0.02:
            print(f"  thread {tid}: {total:.2f} CPU-s in the run, {inside:.2f} in the block pass")
    print(f"block pass: {busy:.2f} CPU-s over {b1 - b0:.2f} s wall = {busy / max(b1 - b0, 1e-9):.2f} cores busy")
    cores, t = [], 0.0
    while t < wall:
        cores.append(sum(at(t + 0.1, tid) - at(t, tid) for tid in tids) / 0.1)
        t += 0.1
    print("cores busy per 0.1 s:", " ".join(f"{c:.1f}" for c in cores))


if __name__ == "__main__":
    main(os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "plugins"))
