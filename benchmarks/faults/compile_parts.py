"""What a first run of okadaforward / coulombstress compiles: CPU-s per compiled function, from an empty numba cache.

Each case runs in its own process with an empty ``NUMBA_CACHE_DIR``: the grid tool's block function
(``okada_grid_block``: displacement at the surface; ``coulomb_grid_block``: the gradients and stress at 10 km) on 4 x
500 pixels of the startup rows' fault (40 uniform-slip patches, or 1 patch: the compile does not depend on the
sources), numba's compile events recording each function's CPU-s (nested: a kernel's time includes the functions
it compiles) and its type signature. The first call (compile + run) is set against the second (run).

    /usr/bin/python3 benchmarks/faults/compile_parts.py OUT.json
"""

import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CASES = [("coulomb", 40), ("coulomb", 1), ("okada", 40)]


def one(which: str, n_patches: int) -> dict:
    """A case, in this process (its cache must be empty)."""
    sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))
    import numpy as np
    from numba.core import event

    from insar_geohazards.algorithms.faults.faults import faults_from_traces
    from insar_geohazards.algorithms.faults.grid_blocks import coulomb_grid_block, okada_grid_block
    from insar_geohazards.algorithms.kernel_families import _Block

    span = 24_000.0
    length = (span - 8000.0) / n_patches
    traces = [np.array([[4000.0 + k * length, -span / 2], [4000.0 + (k + 1) * length, -span / 2]])
              for k in range(n_patches)]
    table = faults_from_traces(traces, dip_deg=60.0, top_m=0.0, bottom_m=15000.0, slip_m=1.0, rake_deg=90.0).table()
    gt = (0.0, span / 500, 0.0, 0.0, 0.0, -span / 500)
    stack, recs = [], []

    class Listener(event.Listener):
        def on_start(self, ev):
            stack.append(time.process_time())

        def on_end(self, ev):
            c0 = stack.pop()
            func = getattr((ev.data or {}).get("dispatcher"), "py_func", None)
            recs.append({"function": f"{func.__module__.rsplit('.', 1)[-1]}.{func.__qualname__}" if func else "?",
                         "signature": str((ev.data or {}).get("args")), "nesting": len(stack),
                         "cpu_s": round(time.process_time() - c0, 3)})

    def call():
        block = _Block(4, 500)
        if which == "okada":
            return okada_grid_block(block, {}, geotransform=gt, table=table, poisson=0.25, los_vec=(0.6, -0.1, 0.79))
        return coulomb_grid_block(block, {}, geotransform=gt, table=table, depths_m=[10e3], regional=None,
                                  shear_modulus_pa=3.2e10, poisson=0.25, friction=0.4, scale_pa=1e5,
                                  receiver={"strike_deg": 90.0, "dip_deg": 60.0, "rake_deg": 90.0})

    c0 = time.process_time()
    with event.install_listener("numba:compile", Listener()):
        call()
    c1 = time.process_time()
    call()
    c2 = time.process_time()
    return {"case": f"{which}, {n_patches} patch(es)", "first_cpu_s": round(c1 - c0, 2),
            "second_cpu_s": round(c2 - c1, 3), "functions_compiled": len(recs), "load_1min": os.getloadavg()[0],
            "functions": sorted(recs, key=lambda r: -r["cpu_s"])}


def main(out: str) -> None:
    rows = []
    for which, n in CASES:
        env = {**os.environ, "NUMBA_CACHE_DIR": tempfile.mkdtemp(prefix="okada_compile_")}
        got = subprocess.run([sys.executable, __file__, "--one", which, str(n)], env=env, check=True,
                             capture_output=True, text=True).stdout
        rows.append(json.loads(got.strip().splitlines()[-1]))
        r = rows[-1]
        print(f"{r['case']}: first {r['first_cpu_s']} CPU-s, second {r['second_cpu_s']}, "
              f"{r['functions_compiled']} functions; " + ", ".join(
                  f"{f['function']} {f['cpu_s']}" for f in r["functions"][:6]), flush=True)
    with open(out, "w", encoding="utf-8") as fh:
        json.dump({"how": f"benchmarks/faults/compile_parts.py, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
                   "rows": rows}, fh, indent=1)


if __name__ == "__main__":
    if sys.argv[1] == "--one":
        print(json.dumps(one(sys.argv[2], int(sys.argv[3]))))
    else:
        main(sys.argv[1])
