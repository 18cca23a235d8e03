"""The pure core never pulls in QGIS, Qt or GDAL's bindings (ARCHITECTURE.md section 1)."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PROBE = r"""
import importlib, pkgutil, sys
sys.path.insert(0, {plugins!r})
import insar_geohazards.algorithms as core
names = [core.__name__]
for m in pkgutil.walk_packages(core.__path__, core.__name__ + "."):
    names.append(m.name)
for n in names:
    importlib.import_module(n)
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("qgis", "PyQt5", "PyQt6", "osgeo", "processing")
             or m.startswith(("insar_geohazards.processing_provider", "insar_geohazards.ui")))
print(len(names))
print(",".join(bad))
"""


def test_core_imports_no_qgis_qt_or_gdal():
    plugins = os.path.join(ROOT, ".build", "plugins")
    out = subprocess.run([sys.executable, "-c", PROBE.format(plugins=plugins)], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": ""})
    n_modules, bad = out.stdout.strip().split("\n") + [""] * (2 - len(out.stdout.strip().split("\n")))
    assert int(n_modules) >= 6
    assert bad == "", f"algorithms/ imported forbidden modules: {bad}"


def test_core_imports_without_numba():
    plugins = os.path.join(ROOT, ".build", "plugins")
    code = PROBE.format(plugins=plugins) + "\nimport insar_geohazards.algorithms._numba as s; assert not s.HAVE_NUMBA"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": "", "INSAR_GEOHAZARDS_DISABLE_NUMBA": "1"})
