"""QGIS started headless with this plugin's provider registered, for the benchmarks run in QGIS's Python
(the same start as the tests' public-API snapshot: ``tests/public_api.py``)."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from public_api import start_qgis  # noqa: E402

__all__ = ["ROOT", "start_qgis"]
