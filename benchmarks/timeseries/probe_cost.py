"""CPU seconds of the input guard's per-file probe (open, first/last rows, validity, coherence scale, header
with CRS) over every raster of a stack folder, one thread, three passes; the plugin imported from PLUGINS_DIR
(a folder holding ``insar_geohazards``) so two versions can be alternated in one window:

    /usr/bin/python3 benchmarks/timeseries/probe_cost.py .build/plugins .build/bench_ts/s300/tif
    /usr/bin/python3 benchmarks/timeseries/probe_cost.py /tmp/main/.build/plugins .build/bench_ts/s300/tif

(``git archive main | tar -x -C /tmp/main`` and a ``.build/plugins/insar_geohazards -> ../..`` link make the
second.) Files named ``*_cc.tif`` are probed as coherences, the rest as interferograms, as the SBAS tool does.
"""

import glob
import os
import sys

sys.path.insert(0, os.path.abspath(sys.argv[1]))
from insar_geohazards.io import probe  # noqa: E402

files = sorted(glob.glob(os.path.join(sys.argv[2], "*.tif")))


def cpu() -> float:
    t = os.times()
    return t.user + t.system


passes = []
for _ in range(3):
    t0 = cpu()
    for f in files:
        probe.probe_raster("X", f, complex_ok=False, multiband_ok=False, coherence=f.endswith("_cc.tif"))
    passes.append(cpu() - t0)
print(f"{sys.argv[1]}: {len(files)} files, CPU-s per pass " + " / ".join(f"{p:.2f}" for p in passes))
