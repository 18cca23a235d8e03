"""Phase-closure correction on stacks of the second corrections-stack generator (tests/testutils_closure_banks.py:
components split by incoherent channels, whole components off by whole cycles, a cancelling pair, patches), ours
beside MintPy 1.6.4's own ``correct_unwrap_error`` (phase_closure, its defaults, the generator's components as the
unwrapper's), counted as the practice README counts (relative to a reference pixel of the largest component: fixed,
new where nothing was planted).

    /usr/bin/python3 benchmarks/corrections/banks_compare.py [--seeds 1,2,3,4,5,6] [--mintpy VENV_PYTHON]
        [--json OUT] [--no-reference]

Ours: the tool's core as the Corrected SBAS model runs the step (every value; the frame from a sample of 64 rows and
the stable area, the reference's 9 x 9 neighbourhood in its component; the two passes, components completed); with
``--no-reference`` also without the stable area.
MintPy: closure_tester.py's run (modify_network, reference_point at the same pixel, correct_unwrap_error).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(ROOT, "tests"), os.path.dirname(HERE), HERE]
os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.path.expanduser("~"), ".cache", "geohazard_bench_numba"))
import numpy as np  # noqa: E402
from closure_tester import run_mintpy  # noqa: E402
from testutils_closure_banks import CYCLE_MM, bank_stack  # noqa: E402


def reference(sc):
    """The most coherent pixel of the largest component (its planted cycles are the frame of the counts)."""
    comp = sc["components"]
    big = comp == np.argmax(np.bincount(comp.ravel())[1:]) + 1
    return np.unravel_index(int(np.argmax(np.where(big, sc["coherence"].mean(axis=0), -1.0))), comp.shape)


def counts(sc, cycles, ref):
    """fixed / new of integer ``cycles`` (M, rows, cols) added to the stack, both relative to ``ref``."""
    p = sc["planted"].astype(np.int64)
    rel = p - p[:, ref[0], ref[1]][:, None, None]
    c = cycles.astype(np.int64) - cycles[:, ref[0], ref[1]].astype(np.int64)[:, None, None]
    has = np.isfinite(sc["clean_mm"])
    was = (p != 0) & has
    ok = (rel + c) == 0
    return {"planted": int(was.sum()), "fixed": int((was & ok).sum()), "new": int(((p == 0) & has & ~ok).sum())}


def stable_area(sc, ref, half=4):
    """The reference's 9 x 9 neighbourhood within its component: the stable area the tool is given (MintPy is
    given the reference pixel)."""
    comp = sc["components"]
    area = np.zeros(comp.shape, bool)
    area[max(0, ref[0] - half):ref[0] + half + 1, max(0, ref[1] - half):ref[1] + half + 1] = True
    return area & (comp == comp[ref])


def run_ours(sc, ref=None):
    """Cycles the core adds and its CPU; with ``ref``, :func:`stable_area` around it as the tool's STABLE_AREA."""
    from insar_geohazards.algorithms.corrections import closure as cl

    d = sc["dates"]
    tri = cl.network_triplets([(d[i], d[j]) for i, j in sc["pairs"]])
    x = sc["clean_mm"] + sc["planted"] * CYCLE_MM
    rows = np.unique(np.linspace(0, x.shape[1] - 1, 64).astype(int))
    if ref is not None:  # the sample's rows and the stable area's pixels, as the tool reads them
        area = stable_area(sc, ref)
        sample = np.concatenate([x[:, rows].reshape(x.shape[0], -1), x[:, area]], axis=1)
        reference = np.zeros(sample.shape[1], bool)
        reference[-int(area.sum()):] = True
        off = cl.closure_offsets(sample, tri, cycle_mm=CYCLE_MM, reference=reference)
    else:
        off = cl.closure_offsets(x[:, rows], tri, cycle_mm=CYCLE_MM)
    t0 = time.process_time()
    res = cl.correct_closure_stack(x, tri, cycle_mm=CYCLE_MM, closure_offset=off)
    return np.nan_to_num(np.rint((res["corrected_mm"] - x) / CYCLE_MM)).astype(np.int16), time.process_time() - t0


def for_mintpy(sc, ref):
    """The keys closure_tester.run_mintpy reads (no data as MintPy's 0; flat geometry; the stable area = the
    reference's component, free of planted errors at the pixel it picks)."""
    m, h, w = sc["planted"].shape
    x = np.nan_to_num(sc["clean_mm"] + sc["planted"] * CYCLE_MM)
    stable = np.zeros((h, w), bool)
    stable[ref] = True
    return {"dates": sc["dates"], "pairs": sc["pairs"], "ifg_mm": x, "coherence": sc["coherence"],
            "components": np.broadcast_to(sc["components"], (m, h, w)).astype(np.int16),
            "bperp_m": np.zeros(len(sc["dates"])), "dem": np.zeros((h, w)), "incidence_deg": np.full((h, w), 38.0),
            "slant_range_m": np.full((h, w), 850e3), "stable": stable, "planted": np.zeros_like(sc["planted"])}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="1,2,3,4,5,6")
    ap.add_argument("--mintpy", default="")
    ap.add_argument("--json", default="")
    ap.add_argument("--no-reference", action="store_true", help="also ours without the stable area")
    a = ap.parse_args(argv)
    sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))
    rows = {}
    for s in (int(v) for v in a.seeds.split(",")):
        sc = bank_stack(s)
        ref = reference(sc)
        u, cpu = run_ours(sc, ref)
        row = {"ours": counts(sc, u, ref), "ours_cpu_s": round(cpu, 2), "interferograms": len(sc["pairs"])}
        if a.no_reference:
            u0, cpu0 = run_ours(sc)
            row["ours_without_stable_area"] = counts(sc, u0, ref)
        if a.mintpy:
            um, mcpu = run_mintpy(for_mintpy(sc, ref), a.mintpy)
            row["mintpy"] = counts(sc, um, ref)
            row["mintpy_process_cpu_s"] = round(mcpu, 1)
        rows[s] = row
        print(s, json.dumps(row), flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"rows": rows, "load": os.getloadavg()}, f, indent=1)


if __name__ == "__main__":
    main()
