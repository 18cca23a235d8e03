"""Do the machine's two cores slow each other down? A core-bound loop and the phase-linking kernel, alone and two
copies side by side, CPU seconds (user + sys) per process.

    /usr/bin/python3 benchmarks/psds/core_sharing.py [ROUNDS] [STACK.npz] [PLUGINS_DIR]

Each round runs, in fresh processes started on a shared clock so that the pair overlaps: three loops that keep their
data in registers (16 independent double multiply-add chains: floating-point ports; one dependent chain with a
division: latency; four xorshift chains: integer ALUs), then ``phase_link`` (EMI, GLRT, 11 x 11, PS mask, one numba
thread) on STACK.npz (default ``benchmarks/results/psds_whole/stack.npz`` of whole_run.sh) with the plugin in
PLUGINS_DIR (default this checkout's ``.build/plugins``), each first alone and then as two copies at once. Two
hyper-threads of one physical core would share the ports: the core-bound loops would take up to twice the CPU seconds
side by side. A kernel that shared a cache level or memory bandwidth would slow down side by side while the
register-only loops do not. Other work on the machine blurs "alone": state the load. ~1.5 min idle for 2 rounds.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LOOPS = {"fp_ports": 400_000_000, "fp_latency": 150_000_000, "integer": 300_000_000}


def _loops():
    import numpy as np
    from numba import njit

    @njit
    def fp_ports(n, x):
        a0, a1, a2, a3, a4, a5, a6, a7 = x, x + 1.0, x + 2.0, x + 3.0, x + 4.0, x + 5.0, x + 6.0, x + 7.0
        a8, a9, a10, a11, a12, a13, a14, a15 = a0, a1, a2, a3, a4, a5, a6, a7
        m, c = 0.9999999, 1e-9
        for _ in range(n):
            a0 = a0 * m + c; a1 = a1 * m + c; a2 = a2 * m + c; a3 = a3 * m + c  # noqa: E702
            a4 = a4 * m + c; a5 = a5 * m + c; a6 = a6 * m + c; a7 = a7 * m + c  # noqa: E702
            a8 = a8 * m + c; a9 = a9 * m + c; a10 = a10 * m + c; a11 = a11 * m + c  # noqa: E702
            a12 = a12 * m + c; a13 = a13 * m + c; a14 = a14 * m + c; a15 = a15 * m + c  # noqa: E702
        return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15

    @njit
    def fp_latency(n, x):
        for _ in range(n):
            x = x / 1.0000001 + 1e-9
        return x

    @njit
    def integer(n, x):
        a = np.uint64(int(x)) | np.uint64(1)
        b, c, d = a * np.uint64(3), a * np.uint64(5), a * np.uint64(7)
        s13, s7, s17 = np.uint64(13), np.uint64(7), np.uint64(17)
        for _ in range(n):
            a ^= a << s13; a ^= a >> s7; a ^= a << s17  # noqa: E702
            b ^= b << s13; b ^= b >> s7; b ^= b << s17  # noqa: E702
            c ^= c << s13; c ^= c >> s7; c ^= c << s17  # noqa: E702
            d ^= d << s13; d ^= d >> s7; d ^= d << s17  # noqa: E702
        return float(a ^ b ^ c ^ d)

    return {"fp_ports": fp_ports, "fp_latency": fp_latency, "integer": integer}


def child(what: str, start: float, stack: str, plugins: str) -> None:
    """One timed piece of work, begun at the wall-clock time ``start``; prints its CPU and wall seconds."""
    extra = {}
    if what == "kernel":
        sys.path.insert(0, plugins)
        import numpy as np

        from insar_geohazards.algorithms.timeseries.phase_linking import phase_link

        d = np.load(stack)
        slc, ps = d["slc"], d["ps_mask"]
        phase_link(slc[:, :20], window=(11, 11), ps_mask=ps[:20])  # numba's cache load

        def work():
            r = phase_link(slc, window=(11, 11), ps_mask=ps)
            extra["md5"] = hashlib.md5(r.phase.tobytes() + r.temporal_coherence.tobytes()
                                       + r.shp_count.tobytes()).hexdigest()[:12]
    else:
        fn = _loops()[what]
        fn(1000, 1.0)  # compiled before the clock

        def work():
            fn(LOOPS[what], 1.0)
    while time.time() < start:
        time.sleep(0.001)
    c, w = time.process_time(), time.perf_counter()
    work()
    print(json.dumps({"cpu_s": round(time.process_time() - c, 3), "wall_s": round(time.perf_counter() - w, 3),
                      **extra}))


def _run(what: str, copies: int, stack: str, plugins: str) -> list:
    start = time.time() + (12.0 if what == "kernel" else 3.0)  # after the imports and the cache load
    env = {**os.environ, "NUMBA_NUM_THREADS": "1"}
    procs = [subprocess.Popen([sys.executable, __file__, "--child", what, str(start), stack, plugins], env=env,
                              stdout=subprocess.PIPE, text=True) for _ in range(copies)]
    return [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]


def main(rounds: int = 2, stack: str = "", plugins: str = "") -> None:
    stack = stack or os.path.join(ROOT, "benchmarks", "results", "psds_whole", "stack.npz")
    plugins = plugins or os.path.join(ROOT, ".build", "plugins")
    for r in range(rounds):
        for what in (*LOOPS, "kernel"):
            alone = _run(what, 1, stack, plugins)
            pair = _run(what, 2, stack, plugins)
            print(json.dumps({"round": r + 1, "work": what, "alone_cpu_s": alone[0]["cpu_s"],
                              "side_by_side_cpu_s": [p["cpu_s"] for p in pair],
                              "md5": sorted({p.get("md5", "") for p in alone + pair}),
                              "load": round(os.getloadavg()[0], 2)}), flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5])
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 2, *sys.argv[2:4])
