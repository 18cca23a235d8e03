"""Put the plugin on ``sys.path`` as the package ``insar_geohazards`` (the name the tests and QGIS use), so the
kernels' on-disk numba cache is shared and never built under another module name."""

import hashlib
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LINK = os.path.join(tempfile.gettempdir(), "insar_geohazards_bench_" + hashlib.sha1(ROOT.encode()).hexdigest()[:10])
os.makedirs(LINK, exist_ok=True)
if not os.path.lexists(os.path.join(LINK, "insar_geohazards")):
    os.symlink(ROOT, os.path.join(LINK, "insar_geohazards"))
for p in (LINK, HERE):
    if p not in sys.path:
        sys.path.insert(0, p)
