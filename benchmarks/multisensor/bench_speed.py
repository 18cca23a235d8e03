"""Speed and memory: 1 Mpx x 4 stacks x 400 dates, the joint solver against baseline (a), on the block engine.

Usage (make bench FAMILY=multisensor CASE=speed_ifg): bench_speed.py METHOD INPUT [--rows 1000] [--json out.json]
METHOD: ``ours`` (MultisensorProblem, calibrated as the tool does), ``baseline`` (SbasSolver per stack, then
``ascdescdecomposition``'s time-series route) or ``gen`` (the source alone); INPUT: ``ifg`` (four stacks of 294
interferograms) or ``series``. Blocks are generated where they run from fixed seeds; nothing is written.
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import sys
import time

import numpy as np
from common import loadavg, option

from insar_geohazards.algorithms.engine import CallableSource, plan_blocks, process_blocks
from insar_geohazards.algorithms.geometry.decomposition import (
    common_dates,
    decompose_los,
    interpolate_to_dates,
    velocity_from_series,
)
from insar_geohazards.algorithms.geometry.los import los_unit_vector
from insar_geohazards.algorithms.timeseries.multisensor import MultisensorProblem, Stack
from insar_geohazards.algorithms.timeseries.network import build_network
from insar_geohazards.algorithms.timeseries.sbas import SbasSolver

GEOMS = ((-12.0, 38.0, 0), (192.0, 41.0, 2), (-10.0, 28.0, 4), (190.0, 33.0, 5))
D0 = dt.date(2019, 1, 1)


def stack_dates(off):
    return [D0 + dt.timedelta(days=off + 7 * j) for j in range(100)]


def pairs_of(dates):
    return [(dates[a], dates[b]) for a in range(len(dates)) for b in range(a + 1, min(len(dates), a + 4))]


class RowSource:
    """Rows of one stack generated from (seed, stack, row): any block layout reads the same numbers."""

    def __init__(self, si, kind, cols):
        self.si, self.kind, self.cols = si, kind, cols
        dates = stack_dates(GEOMS[si][2])
        self.t = np.array([(d - D0).days for d in dates], float) / 365.25
        net = build_network(pairs_of(dates))
        self.ref, self.sec = net.ref_index, net.sec_index
        e, n, u = los_unit_vector(GEOMS[si][1], GEOMS[si][0])
        self.los = (float(e), float(n), float(u))

    def __call__(self, r0, r1):
        n_out = self.ref.size if self.kind == "ifg" else self.t.size
        out = np.empty((n_out, r1 - r0, self.cols), np.float32)
        x = np.arange(self.cols) / self.cols
        for r in range(r0, r1):
            rng = np.random.default_rng([7, self.si, r])
            up = -20.0 * np.exp(-((r / 1000.0 - 0.5) ** 2 + (x - 0.5) ** 2) / 0.02)
            east = 5.0 * (x - 0.5)
            motion = self.t[:, None] * (self.los[0] * east + self.los[2] * up)[None, :] \
                + 5.0 * np.sin(2 * np.pi * self.t)[:, None] * self.los[2]
            acq = motion + rng.normal(0.0, 4.0, (self.t.size, self.cols))
            if self.kind == "ifg":
                out[:, r - r0] = acq[self.sec] - acq[self.ref] + rng.normal(0.0, 1.5, (self.ref.size, self.cols))
            else:
                out[:, r - r0] = acq - acq[0]
        return out


def problem(kind, rows, cols, **options):
    stacks = []
    for si, (head, inc, off) in enumerate(GEOMS):
        dates = stack_dates(off)
        if kind == "ifg":
            stacks.append(Stack(f"s{si}", pairs=pairs_of(dates), incidence_deg=inc, heading_deg=head))
        else:
            stacks.append(Stack(f"s{si}", dates=dates, incidence_deg=inc, heading_deg=head))
    return MultisensorProblem(stacks, shape=(rows, cols), **options)


class Baseline:
    """Per-stack SBAS (interferograms) and the ascdescdecomposition time-series route with four geometries."""

    def __init__(self, kind):
        self.kind = kind
        self.dates = [stack_dates(g[2]) for g in GEOMS]
        self.solvers = [SbasSolver(build_network(pairs_of(d))) for d in self.dates] if kind == "ifg" else None
        lo = max(d[0] for d in self.dates)
        hi = min(d[-1] for d in self.dates)
        self.common = common_dates([lo, hi], [lo, hi], spacing_days=6)
        self.vec = [[float(v) for v in los_unit_vector(g[1], g[0])] for g in GEOMS]

    def __call__(self, block, inputs):
        series = []
        for si in range(len(GEOMS)):
            v = inputs[f"s{si}"]
            ts = self.solvers[si].solve(v).timeseries_mm if self.kind == "ifg" else np.asarray(v, np.float64)
            series.append(interpolate_to_dates(ts, self.dates[si], self.common, max_gap_days=90))
        res = decompose_los(series, *[[v[k] for v in self.vec] for k in range(3)])
        return {"east": res["east"], "up": res["up"], "ve": velocity_from_series(res["east"], self.common),
                "vu": velocity_from_series(res["up"], self.common)}


def touch(block, inputs):
    return {k: np.asarray(v[:1]).sum(keepdims=True) for k, v in inputs.items()}


def main():
    method, kind = sys.argv[1], sys.argv[2]
    rows, cols = option(sys.argv, "--rows", 1000, int), 1000
    out_json = option(sys.argv, "--json")
    sources = {f"s{si}": CallableSource(RowSource(si, kind, cols)) for si in range(len(GEOMS))}
    prob = problem(kind, rows, cols)
    if method == "ours":
        func, bpp = prob, prob.bytes_per_pixel()
        # compile the kernels on a tiny grid first (cached on disk afterwards)
        problem(kind, 2, 8).solve_arrays({f"s{si}": RowSource(si, kind, 8)(0, 2) for si in range(len(GEOMS))}, (2, 8))
    elif method == "baseline":
        func = Baseline(kind)
        n_in = sum(len(p) for p in (pairs_of(d) for d in func.dates)) if kind == "ifg" else 400
        bpp = 8.0 * (n_in + 400 * 3 + len(func.common) * 12)
    else:
        func, bpp = touch, 8.0 * 1200
    plan = plan_blocks(rows, cols, bytes_per_pixel=bpp)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    w0 = time.time()
    if method == "ours":
        # the scene's density priors from the fixed pixel sample, before the blocks, as the Processing tool does
        prob.calibrate(sources)
    process_blocks(plan, func, lambda b, o: None, sources=sources)
    wall = time.time() - w0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    res = {"method": method, "input": kind, "rows": rows, "cols": cols, "blocks": len(plan),
           "dates": len(prob.dates), "knots": len(prob.knot_dates), "cpu_s": round(cpu, 2), "wall_s": round(wall, 2),
           "peak_rss_mb": round(cpu1.ru_maxrss / 1024.0), "load": loadavg()}
    if method == "baseline":
        res["common_dates"] = len(func.common)
    print(json.dumps(res))
    if out_json:
        with open(out_json, "a") as fh:
            fh.write(json.dumps(res) + "\n")


if __name__ == "__main__":
    main()
