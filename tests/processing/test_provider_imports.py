"""Loading the provider (what every qgis_process call and QGIS start pays) imports no heavy library a tool imports
only when it runs: scipy's big subpackages, scikit-learn, h5py, matplotlib, pyproj, Dask (the
fixed cost of every run). numba (and with it scipy's top package) is still imported: the kernels are compiled
functions defined at module level."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PROBE = r"""
import sys
sys.path.insert(0, {plugins!r})
from insar_geohazards.processing_provider.provider import algorithm_classes
classes = algorithm_classes()
heavy = ("scipy.stats", "scipy.spatial", "scipy.optimize", "scipy.interpolate", "scipy.ndimage", "scipy.sparse",
         "sklearn", "h5py", "matplotlib", "pyproj", "dask", "distributed")
print(len(classes))
print(",".join(sorted(h for h in heavy if any(m == h or m.startswith(h + ".") for m in sys.modules))))
"""


def test_loading_every_tool_module_imports_no_heavy_library():
    plugins = os.path.join(ROOT, ".build", "plugins")
    out = subprocess.run([sys.executable, "-c", PROBE.format(plugins=plugins)], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": ""})
    lines = out.stdout.strip().split("\n") + [""]
    assert int(lines[0]) >= 20  # the tool classes were collected
    assert lines[1] == "", f"loading the provider imported {lines[1]}; import them where the tool runs"
