"""Compile CPU per numba kernel family from an empty cache, and the numpy path's cost per MB of input: the table
``algorithms/compile_costs.json`` a run reads to choose between compiling and the numpy path and to say how long
compiling takes (docs/architecture.md explains the choice).

Per family, each in its own process (``warm_kernels.py --one``): compile CPU = a warm-up on an empty cache minus the
same on that cache; seconds per MB = the CPU difference of the numpy-path warm-up at two scales over their input
bytes. ``--tools COLD_WARM.json`` writes the per-tool rows from ``benchmarks/startup/cold_warm.py``'s output
(run with ``COLD_WARM_COMPILE=always``), keeping the families' columns.

    /usr/bin/python3 benchmarks/compile/measure.py [--jobs 2] [--out algorithms/compile_costs.json] [FAMILY ...]
    .build/venv-numba/bin/python benchmarks/compile/measure.py --compile-only --out .build/compile_costs_pip.json
    /usr/bin/python3 benchmarks/compile/measure.py --tools COLD_WARM.json
"""

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))

from insar_geohazards import warm_kernels  # noqa: E402
from insar_geohazards.algorithms import kernel_families as kf  # noqa: E402

#: inputs enlarged this much (per side) for the numpy cost: seconds of pure Python, not milliseconds
BIG = {"phase_linking": 2, "multisensor": 4}


def per_mb(res) -> float:
    return max(0.0, (res["big_s"] - res["small_s"]) / max(1e-9, (res["big_bytes"] - res["small_bytes"]) / 2**20))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("families", nargs="*")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(ROOT, "algorithms", "compile_costs.json"))
    ap.add_argument("--compile-only", action="store_true",
                    help="only the compile columns (another numba in a venv: the costs per MB are the shipped table's)")
    ap.add_argument("--tools", help="cold_warm.py's JSON (COLD_WARM_COMPILE=always): the per-tool rows from it")
    args = ap.parse_args()
    if args.tools:
        return tool_rows(args.tools, args.out)
    names = args.families or [f.name for f in kf.FAMILIES]
    table = {}
    old = {}
    with tempfile.TemporaryDirectory(prefix="compile_costs_") as tmp:
        def env_for(name):
            folder = os.path.join(tmp, name)
            os.makedirs(folder, exist_ok=True)
            return dict(os.environ, NUMBA_CACHE_DIR=folder)

        cold = {r["family"]: r for r in _each(names, env_for, (), args.jobs)}
        warm = {r["family"]: r for r in _each(names, env_for, (), args.jobs)}
        for name in names:
            c, w = cold[name], warm[name]
            old[name] = {"compile_cpu_s": round(c["process_cpu_s"] - w["process_cpu_s"], 1), "kernels": c["compiled"],
                         "cold_wall_s": round(c["wall_s"], 1)}
        for name in [] if args.compile_only else names:  # one at a time, on the project's cache (warm it first)
            scale = ("--scale", str(BIG.get(name, 3)))
            py = _each([name], lambda n: dict(os.environ), ("--python",) + scale, 1)[0]
            nb = _each([name], lambda n: dict(os.environ), scale, 1)[0]
            row = {k: old[name][k] for k in ("compile_cpu_s", "kernels", "cold_wall_s")}
            row.update(numpy_cpu_s_per_mb=round(per_mb(py), 3), numba_cpu_s_per_mb=round(per_mb(nb), 4),
                       numpy_cpu_s_small=round(py["small_s"], 3), numba_cpu_s_small=round(nb["small_s"], 4))
            table[name] = row
            print(name, row, flush=True)
        if args.compile_only:
            table = {name: dict(old[name]) for name in names}
            print(json.dumps(table), flush=True)
    import numba
    doc = {"numba": numba.__version__, "python": platform.python_version(), "machine": platform.machine(),
           "measured": datetime.date.today().isoformat(),
           "how": "benchmarks/compile/measure.py (empty NUMBA_CACHE_DIR per family)", "families": table}
    try:  # the per-tool rows (--tools) and the per-configuration models (benchmarks/psds/work_costs.py) are kept
        with open(args.out, encoding="utf-8") as fh:
            kept = json.load(fh)
        doc["tools"] = kept.get("tools", {})
        if kept.get("work"):
            doc["work"] = kept["work"]
    except (OSError, ValueError):
        pass
    _write(doc, args.out)


def tool_rows(cold_warm_json, out):
    """The table at ``out`` with its ``tools`` rows measured by ``cold_warm.py`` (a row per tool and variant: the
    compile CPU-s per family of the tool's families; the median where a row was run several times)."""
    import statistics

    with open(out, encoding="utf-8") as fh:
        doc = json.load(fh)
    with open(cold_warm_json, encoding="utf-8") as fh:
        cold_warm = json.load(fh)
    runs, machine = cold_warm["tools"], cold_warm["machine"]
    measured = {}
    for r in runs:
        entry = r["cold"].get("entry") or r.get("entry")
        if entry and r["cold"]["ok"] and r["warm"]["ok"]:
            measured.setdefault(entry, []).append(max(0.0, r["compile_cpu_s"]))
    tools = doc.setdefault("tools", {})
    loads = [r["cold"]["load_1min"] for r in runs]
    how = doc["tools_how"] = doc.get("tools_how") if isinstance(doc.get("tools_how"), dict) else {}
    for entry, values in sorted(measured.items()):
        alg = entry.split(":", 1)[0]
        families = _families_of_tool(alg)
        whole = {f: doc["families"][f]["compile_cpu_s"] for f in families}
        total = statistics.median(values)
        tools[entry] = {f: round(total * w / max(1e-9, sum(whole.values())), 2) for f, w in whole.items()}
        how[entry] = (f"benchmarks/startup/cold_warm.py, COLD_WARM_COMPILE=always: first - second run CPU-s, "
                      f"{machine['date']}, load {min(loads):.1f}-{max(loads):.1f}")
        print(entry, tools[entry], flush=True)
    _write(doc, out)


def _write(doc, out):
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1, sort_keys=True)
        fh.write("\n")


def _families_of_tool(alg: str) -> list:
    """The kernel families a tool's ``kernels=(...)`` names (read from its source: no QGIS needed here)."""
    import ast
    import glob

    for path in glob.glob(os.path.join(ROOT, "processing_provider", "tools", "*", f"{alg}.py")):
        tree = ast.parse(open(path, encoding="utf-8").read())
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "kernels":
                kernels = _kernels_value(node.value, path)
                return [f.name for f in kf.families_of(kernels)]
    raise SystemExit(f"{alg}: no tool file with kernels=(...) under processing_provider/tools")


def _kernels_value(node, path):
    """A ``kernels=`` value: a literal tuple, or a name bound to one in the tool's family (``_common.py``)."""
    import ast

    if isinstance(node, ast.Name):
        for source in (path, os.path.join(os.path.dirname(path), "_common.py")):
            tree = ast.parse(open(source, encoding="utf-8").read())
            for stmt in tree.body:
                if isinstance(stmt, ast.Assign) and any(getattr(t, "id", "") == node.id for t in stmt.targets):
                    return ast.literal_eval(stmt.value)
        raise SystemExit(f"{path}: {node.id} not found")
    return ast.literal_eval(node)


def _each(names, env_for, extra, jobs):
    """Each family in its own process with its own cache folder, ``jobs`` at a time."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max(1, jobs)) as pool:
        runs = pool.map(lambda name: warm_kernels.warm([name], jobs=1, extra=extra, env=env_for(name)), names)
        return [r for res in runs for r in res]


if __name__ == "__main__":
    main()
