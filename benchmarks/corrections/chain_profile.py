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
sys.path[:0] = [HERE, "/usr/share/qgis/python/plugins", "/usr/share/qgis/python"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stack")
    ap.add_argument("out")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--stats", default="")
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from chain_speed import model_args
    from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingFeedback

    app = QgsApplication([], False)
    app.initQgis()
    from processing.core.Processing import Processing

    Processing.initialize()
    from insar_geohazards.plugin import InsarGeohazardsPlugin

    plugin = InsarGeohazardsPlugin(None)
    plugin.initProcessing()
    import processing

    os.makedirs(args.out, exist_ok=True)
    params = {}
    for a in model_args(args.stack, args.out):
        key, _, value = a.partition("=")
        if key in ("INTERFEROGRAMS", "COHERENCE"):
            params.setdefault(key, []).append(value)
        else:
            params[key] = value

    steps = []

    class Feedback(QgsProcessingFeedback):
        def pushInfo(self, info):
            if info.startswith("Prepare algorithm") or info.startswith("Running "):
                steps.append((info.strip(), time.process_time()))
            super().pushInfo(info)

    context = QgsProcessingContext()
    prof = cProfile.Profile()
    c0 = time.process_time()
    prof.enable()
    processing.run("geohazard:correctedsbas", params, context=context, feedback=Feedback())
    prof.disable()
    total = time.process_time() - c0
    print(f"model: {total:.2f} CPU-s (this process)")
    marks = steps + [("end", c0 + total)]
    for (name, t), (_, t2) in zip(marks, marks[1:]):
        print(f"  {t2 - t:7.2f}  {name}")
    s = io.StringIO()
    st = pstats.Stats(prof, stream=s)
    if args.stats:
        st.dump_stats(args.stats)
    st.sort_stats("cumulative").print_stats(args.top)
    st.sort_stats("tottime").print_stats(args.top)
    print(s.getvalue())
    plugin.unload()


if __name__ == "__main__":
    main()
