"""Where a kernel family's compile CPU goes, kernel by kernel: the family's warm-up from an empty numba cache, each
compilation's CPU less that of the compilations it started (its callees), and its signatures.

    /usr/bin/python3 benchmarks/compile/per_kernel.py FAMILY [--top N] [--json OUT]

Each family runs in a child process with its own empty ``NUMBA_CACHE_DIR``. A parallel kernel's loop body is
compiled inside the kernel's own compilation, so it counts there; numba's own helpers (``np.empty``'s
implementation, ...) are listed under their numba names.
"""

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _name(event) -> str:
    func = getattr((event.data or {}).get("dispatcher"), "py_func", None)
    if func is None:
        return "?"
    module = (getattr(func, "__module__", None) or "").split(".algorithms.")[-1]
    return f"{module}.{getattr(func, '__qualname__', func)}"


def child(family: str, out: str) -> None:
    sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))
    from numba.core import event

    from insar_geohazards.algorithms import kernel_families as kf

    stack, own, sigs = [], collections.defaultdict(float), collections.defaultdict(list)

    class Listener(event.Listener):
        def on_start(self, ev):
            stack.append([time.process_time(), 0.0])

        def on_end(self, ev):
            start, inner = stack.pop()
            spent = time.process_time() - start
            name = _name(ev)
            own[name] += spent - inner
            sigs[name].append(str((ev.data or {}).get("args")))
            if stack:
                stack[-1][1] += spent

    fam = kf.BY_NAME[family]
    fam.modules()
    t0 = time.process_time()
    with event.install_listener("numba:compile", Listener()):
        fam.warm(1)
    with open(out, "w", encoding="utf-8") as fh:
        json.dump({"family": family, "cpu_s": time.process_time() - t0,
                   "kernels": {k: {"cpu_s": own[k], "signatures": sigs[k]} for k in own}}, fh)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("family")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--json", help="write the whole table here")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.family, args.child)
    with tempfile.TemporaryDirectory(prefix="per_kernel_") as tmp:
        out = os.path.join(tmp, "table.json")
        env = dict(os.environ, NUMBA_CACHE_DIR=os.path.join(tmp, "cache"))
        subprocess.run([sys.executable, os.path.abspath(__file__), args.family, "--child", out], env=env, check=True)
        with open(out, encoding="utf-8") as fh:
            table = json.load(fh)
    rows = sorted(table["kernels"].items(), key=lambda kv: -kv[1]["cpu_s"])
    own = [r for r in rows if not r[0].startswith(("numba.", "?", "."))]
    print(f"{args.family}: warm-up {table['cpu_s']:.1f} CPU-s from an empty cache; {len(own)} of our kernels, "
          f"{sum(len(r[1]['signatures']) for r in own)} signatures ({len(rows)} and "
          f"{sum(len(r[1]['signatures']) for r in rows)} with numba's helpers)")
    for name, row in rows[:args.top]:
        print(f"  {row['cpu_s']:7.2f} CPU-s  x{len(row['signatures']):<3d} {name}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(table, fh, indent=1)


if __name__ == "__main__":
    main()
