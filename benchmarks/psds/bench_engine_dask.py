"""Block engine on the PS/DS tools: per-block costs and the Dask overhead on one machine.

Usage: /usr/bin/python3 bench_engine_dask.py OUT_DIR [ROWS COLS DATES REPEAT]
In one QGIS session, phase linking and amplitude dispersion alternately in this process and on an embedded
LocalCluster (start-up included), REPEAT times each, every local block timed; the outputs must be byte-identical.
"""

import json
import os
import statistics
import sys
import time

BLOCK_TIMES: dict = {}


def _timed(name, fn):
    def wrapper(block, inputs, **kw):
        t0 = time.perf_counter()
        out = fn(block, inputs, **kw)
        BLOCK_TIMES.setdefault(name, []).append((time.perf_counter() - t0, block.rows, block.read1 - block.read0,
                                                 block.n_cols))
        return out
    return wrapper


def main():
    out = sys.argv[1]
    rows, cols, n_dates, repeat = (int(v) for v in (sys.argv[2:6] + ["240", "400", "30", "3"][len(sys.argv[2:6]):]))
    os.makedirs(out, exist_ok=True)
    from bench_qgis import local_against_cluster, start_qgis

    app, plugin = start_qgis()
    import pathlib

    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback
    from testutils_psds import write_slc_files

    from insar_geohazards.algorithms.psds import phase_linking, ps
    from insar_geohazards.algorithms.timeseries.simulate import simulate_slc_stack
    from insar_geohazards.fileio.psds.slc import SlcStack, slc_block_rows

    # the tools look the block functions up in their core modules at each run
    phase_linking.phase_link_block = _timed("phaselinking", phase_linking.phase_link_block)
    ps.amplitude_dispersion_block = _timed("amplitudedispersion", ps.amplitude_dispersion_block)
    sim = simulate_slc_stack(shape=(rows, cols), n_dates=n_dates, seed=11, water_fraction=0.1,
                             atmosphere_std_rad=0.5)
    files = write_slc_files(pathlib.Path(out), sim)

    def run(tool, sched, tag):
        d = os.path.join(out, tag)
        os.makedirs(d, exist_ok=True)
        if tool == "phaselinking":
            params = {"INPUT": files, "WINDOW_ROWS": 5, "WINDOW_COLS": 11, "DASK_SCHEDULER": sched,
                      "OUTPUT": f"{d}/ph.tif", "OUTPUT_TEMPORAL_COHERENCE": f"{d}/tc.tif",
                      "OUTPUT_SHP_COUNT": f"{d}/n.tif"}
        else:
            params = {"INPUT": files, "DASK_SCHEDULER": sched, "OUTPUT_MEAN_AMPLITUDE": f"{d}/m.tif",
                      "OUTPUT_DISPERSION": f"{d}/da.tif", "OUTPUT_PS_MASK": f"{d}/ps.tif"}
        return processing.run(f"geohazard:{tool}", params, context=QgsProcessingContext(),
                              feedback=QgsProcessingFeedback())

    report = {"rows": rows, "cols": cols, "dates": n_dates, "cpus": os.cpu_count(),
              "block_rows_phaselinking": slc_block_rows(SlcStack(files), cap=64, copies=5),
              "block_rows_amplitudedispersion": slc_block_rows(SlcStack(files))}
    for tool in ("phaselinking", "amplitudedispersion"):
        run(tool, "", f"warm_{tool}")  # numba compilation / cache load outside the timings
        BLOCK_TIMES.clear()
        report[tool] = local_against_cluster(lambda sched, tag, t=tool: run(t, sched, f"{t}_{tag}"), repeat)
        blocks = BLOCK_TIMES.get(tool, [])
        px = [r * c for _, r, _, c in blocks]
        report[tool].update({
            "blocks_per_run": len(blocks) // repeat,
            "block_compute_s_median": round(statistics.median(t for t, *_ in blocks), 4) if blocks else None,
            "compute_us_per_pixel_median": round(statistics.median(1e6 * t / p for (t, *_), p in zip(blocks, px)), 2)
            if blocks else None})
    print(json.dumps(report))


if __name__ == "__main__":
    main()
