"""Where the Corrected SBAS model's CPU goes: the shipped model run once in this process (QGIS headless, as
``qgis_process`` runs it) under cProfile, CPU seconds per child step and the top functions.

    /usr/bin/python3 benchmarks/corrections/chain_profile.py STACK_DIR OUT_DIR [--top 40] [--stats FILE]

STACK_DIR is a stack chain_stacks.write_stack wrote (chain_speed.py writes them under .build/bench/chain_speed).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# QGIS's own Processing plugin before tests/processing (on the benchmarks' PYTHONPATH)
sys.path[:0] = [HERE, "/usr/share/qgis/python/plugins", "/usr/share/qgis/python",
                os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests")]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stack")
    ap.add_argument("out")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--stats", default="")
    ap.add_argument("--no-profile", action="store_true", help="CPU seconds per step only (no profiler overhead)")
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from chain_speed import model_args
    from public_api import start_qgis

    app, plugin = start_qgis()  # noqa: F841 - the application lives as long as the run
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    os.makedirs(args.out, exist_ok=True)
    params = {}
    for a in model_args(args.stack, args.out):
        key, _, value = a.partition("=")
        if key in ("INTERFEROGRAMS", "COHERENCE"):
            params.setdefault(key, []).append(value)
        else:
            params[key] = value

    from insar_geohazards.processing_provider.tools._base import GeohazardAlgorithm

    steps = []
    inner = GeohazardAlgorithm.processAlgorithm

    def timed_step(self, parameters, context, feedback):
        t0 = time.process_time()
        try:
            return inner(self, parameters, context, feedback)
        finally:
            steps.append((self.name(), time.process_time() - t0))

    GeohazardAlgorithm.processAlgorithm = timed_step
    context = QgsProcessingContext()
    if args.no_profile:
        c0 = time.process_time()
        processing.run("geohazard:correctedsbas", params, context=context, feedback=QgsProcessingFeedback())
        print(f"model: {time.process_time() - c0:.2f} CPU-s (this process)")
        for name, cpu in steps:
            print(f"  {cpu:7.2f}  {name}")
        plugin.unload()
        return
    prof = cProfile.Profile(time.process_time)  # CPU seconds of this process (every thread), not wall
    c0 = time.process_time()
    prof.enable()
    processing.run("geohazard:correctedsbas", params, context=context, feedback=QgsProcessingFeedback())
    prof.disable()
    total = time.process_time() - c0
    print(f"model: {total:.2f} CPU-s (this process, under the profiler)")
    s = io.StringIO()
    st = pstats.Stats(prof, stream=s)
    for (path, _line, func), row in sorted(st.stats.items(), key=lambda kv: -kv[1][3]):
        if func == "process" and f"{os.sep}tools{os.sep}" in path:
            print(f"  {row[3]:7.2f}  {os.path.basename(path)[:-3]}")
    if args.stats:
        st.dump_stats(args.stats)
    st.sort_stats("cumulative").print_stats(args.top)
    st.sort_stats("tottime").print_stats(args.top)
    print(s.getvalue())
    plugin.unload()


if __name__ == "__main__":
    main()
