"""The phase-closure correction's outputs as digests, to show that a change of the solver's speed changes no byte:
the core on the nine stacks of the tester generator (closure_tester.py's run) and the six of the banks generator
(banks_compare.py's run, with its stable area), and the tool through ``qgis_process`` on a stack laid out as the
practice corrections stack (the Corrected SBAS model's unwrapping step: its parameters and STABLE_AREA).

    /usr/bin/python3 benchmarks/corrections/closure_identity.py --json OUT [--check BEFORE.json] [--plugins DIR]
        [--tester 1,2,3,21,22,23,31,32,33] [--banks 1,2,3,4,5,6] [--practice STACK] [--no-proofs] [--inputs DIR]

Each case records the SHA-256 of every array the core returns (``correct_closure_stack``: corrected values, cycles,
ambiguous pixels, loop counts ...), or of every corrected raster's pixels and of the tool's tables, with the
solver's counts (patterns, parts, MILP calls) and the CPU of the core. With ``--check`` the digests are compared to
an earlier run's (e.g. of the code before the change, from a copy of that commit given as ``--plugins``): the
script exits 1 naming each case and array that differs. ``--plugins`` is the folder holding the plugin as
``insar_geohazards`` (default: this checkout's ``.build/plugins``). ``--no-proofs`` makes every part go through the
two HiGHS solves (no certificate), the reference of the same checkout: a run with it and one without, compared with
``--check``, show the proofs change nothing after other changes to the step. ``--inputs DIR`` keeps the core cases'
generated inputs in DIR (written by the first run, read by the next): numpy 2's ``exp`` and ``sin`` differ from numpy
1's in the last bits, so a run under each compares the step on the same bytes only with them.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(ROOT, "tests"), os.path.dirname(HERE), HERE]

import numpy as np  # noqa: E402


def digest(a) -> str:
    a = np.ascontiguousarray(np.asarray(a))
    return hashlib.sha256(str(a.dtype).encode() + str(a.shape).encode() + a.tobytes()).hexdigest()[:20]


def solver_counts(cl) -> dict:
    """Patterns, parts and MILP calls of the solvers of the run (all cleared before each case)."""
    out = {"patterns": 0, "parts": 0, "milp": 0}
    for s in cl._SOLVERS.values():
        out["patterns"] += len(s.cache)
        out["parts"] += len(s.part_cache)
        out["milp"] += int(s.n_milp)
    return out


def core_case(cl, run) -> dict:
    cl._SOLVERS.clear()
    t0 = time.process_time()
    res = run()
    cpu = time.process_time() - t0
    row = {k: digest(v) for k, v in sorted(res.items()) if isinstance(v, np.ndarray)}
    row.update({k: repr(v) for k, v in sorted(res.items()) if not isinstance(v, np.ndarray)})
    return {"digests": row, "cpu_s": round(cpu, 2), **solver_counts(cl)}


def cached(inputs: str, name: str, build) -> dict:
    """The arrays a case's core run reads (``build()``), kept as ``inputs/name.npz``: written where missing, read
    where present, so two Pythons (numpy versions whose ``exp`` and ``sin`` differ in the last bits) give the core
    the same bytes. No ``inputs``: built each time."""
    if not inputs:
        return build()
    path = os.path.join(inputs, f"{name}.npz")
    if os.path.exists(path):
        with np.load(path) as f:
            return {k: f[k] for k in f.files}
    arrays = build()
    os.makedirs(inputs, exist_ok=True)
    np.savez(path, **arrays)
    return arrays


def tester_case(cl, seed: int, inputs: str = "") -> dict:
    from testutils_closure_tester import CYCLE_MM, stack_for

    def build():
        sc = stack_for(seed)
        return {"pairs": np.asarray(sc["pairs"]), "ifg_mm": sc["ifg_mm"], "stable": sc["stable"],
                "coherence": sc["coherence"]}

    sc = cached(inputs, f"T{seed:02d}", build)

    def run():
        tri = cl.network_triplets([tuple(p) for p in sc["pairs"].tolist()])
        x = sc["ifg_mm"]
        off = cl.closure_offsets(x, tri, cycle_mm=CYCLE_MM, reference=sc["stable"])
        return cl.correct_closure_stack(x, tri, cycle_mm=CYCLE_MM, closure_offset=off, coherence=sc["coherence"],
                                        min_coherence=0.0)

    return core_case(cl, run)


def banks_case(cl, seed: int, inputs: str = "") -> dict:
    import banks_compare
    from testutils_closure_banks import CYCLE_MM, bank_stack

    def build():
        sc = bank_stack(seed)
        ref = banks_compare.reference(sc)
        d = sc["dates"]
        x = sc["clean_mm"] + sc["planted"] * CYCLE_MM
        return {"pairs": np.array([(d[i].toordinal(), d[j].toordinal()) for i, j in sc["pairs"]]), "x": x,
                "area": banks_compare.stable_area(sc, ref)}

    sc = cached(inputs, f"B{seed}", build)

    def run():
        import datetime as dt

        tri = cl.network_triplets([(dt.date.fromordinal(a), dt.date.fromordinal(b)) for a, b in sc["pairs"].tolist()])
        x = sc["x"]
        rows = np.unique(np.linspace(0, x.shape[1] - 1, 64).astype(int))
        area = sc["area"]
        sample = np.concatenate([x[:, rows].reshape(x.shape[0], -1), x[:, area]], axis=1)
        reference = np.zeros(sample.shape[1], bool)
        reference[-int(area.sum()):] = True
        off = cl.closure_offsets(sample, tri, cycle_mm=CYCLE_MM, reference=reference)
        return cl.correct_closure_stack(x, tri, cycle_mm=CYCLE_MM, closure_offset=off)

    return core_case(cl, run)


def practice_case(stack: str, plugins: str) -> dict:
    """The tool through qgis_process with the model's unwrapping parameters and the stack's stable area."""
    from osgeo import gdal
    from stack_compare import step_params

    params = step_params("unwrapping")
    with tempfile.TemporaryDirectory(prefix="closure_identity_") as tmp:
        out = os.path.join(tmp, "out")
        args = [f"INTERFEROGRAMS={p}" for p in sorted(glob.glob(os.path.join(stack, "unw", "*.unw.tif")))]
        args += [f"COHERENCE={p}" for p in sorted(glob.glob(os.path.join(stack, "coh", "*.cc.tif")))]
        args += [f"{k}={v}" for k, v in params.items()]
        args += [f"STABLE_AREA={os.path.join(stack, 'stable.gpkg')}", f"OUTPUT={out}",
                 f"OUTPUT_CYCLES={os.path.join(tmp, 'cycles.tif')}", f"OUTPUT_STATS={os.path.join(tmp, 'stats.csv')}",
                 f"OUTPUT_LOOPS={os.path.join(tmp, 'loops.csv')}"]
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QGIS_PLUGINPATH=plugins)
        t0 = os.times()
        proc = subprocess.run(["qgis_process.bin", "run", "geohazard:unwrapclosurecorrection", "--", *args],
                              capture_output=True, text=True, env=env)
        t1 = os.times()
        if proc.returncode != 0:
            raise SystemExit(f"the tool failed on {stack}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        row = {}
        for path in sorted(glob.glob(os.path.join(out, "*.tif"))) + [os.path.join(tmp, "cycles.tif")]:
            row[os.path.basename(path)] = digest(gdal.Open(path).ReadAsArray())
        for path in sorted(glob.glob(os.path.join(tmp, "*.csv"))):
            with open(path, "rb") as f:
                row[os.path.basename(path)] = hashlib.sha256(f.read()).hexdigest()[:20]
    cpu = (t1.children_user - t0.children_user) + (t1.children_system - t0.children_system)
    return {"digests": row, "cpu_s": round(cpu, 2)}


def compare(now: dict, before: dict) -> list:
    bad = []
    for case, row in now.items():
        if case not in before:
            continue
        a, b = row["digests"], before[case]["digests"]
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                bad.append(f"{case}: {k} differs ({b.get(k)} before, {a.get(k)} now)")
    return bad


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plugins", default=os.path.join(ROOT, ".build", "plugins"))
    ap.add_argument("--tester", default="1,2,3,21,22,23,31,32,33")
    ap.add_argument("--banks", default="1,2,3,4,5,6")
    ap.add_argument("--practice", default="")
    ap.add_argument("--json", required=True)
    ap.add_argument("--inputs", default="",
                    help="folder of the core cases' input arrays: written where missing, read where present (the same "
                         "inputs under two Pythons whose numpy differs in the last bits of exp and sin)")
    ap.add_argument("--check", default="")
    ap.add_argument("--no-proofs", action="store_true",
                    help="every part through the two HiGHS solves (the core cases only): the reference the proofs "
                         "give the same bytes as, in one checkout")
    a = ap.parse_args(argv)
    sys.path.insert(0, os.path.abspath(a.plugins))
    from insar_geohazards.algorithms.corrections import closure as cl

    if a.no_proofs:
        made = cl._Solver.__init__

        def without_proofs(self, *args, **kw):
            made(self, *args, **kw)
            self.proofs = False

        cl._Solver.__init__ = without_proofs
        a.practice = ""  # a qgis_process run takes the plugin as it is

    rows = {}
    cases = [(f"T{int(s):02d}", tester_case, int(s)) for s in a.tester.split(",") if s]
    cases += [(f"B{int(s)}", banks_case, int(s)) for s in a.banks.split(",") if s]
    for name, fn, seed in cases:
        rows[name] = fn(cl, seed, a.inputs)
        print(name, json.dumps({k: v for k, v in rows[name].items() if k != "digests"}), flush=True)
    if a.practice:
        rows["practice"] = practice_case(os.path.abspath(a.practice), os.path.abspath(a.plugins))
        print("practice", json.dumps({"cpu_s": rows["practice"]["cpu_s"]}), flush=True)
    with open(a.json, "w") as f:
        json.dump({"load": os.getloadavg(), "code": cl.__file__, "rows": rows}, f, indent=1)
    if a.check:
        with open(a.check) as f:
            before = json.load(f)["rows"]
        bad = compare(rows, before)
        for line in bad:
            print(line)
        print(f"{len(rows)} case(s) compared with {a.check}: " + ("all identical" if not bad else
                                                                     f"{len(bad)} difference(s)"))
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
