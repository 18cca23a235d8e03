"""Headless ``qgis_process`` for the command-line test layer (tests/qgis_process)."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QGIS_PROCESS = shutil.which("qgis_process.bin")
requires_qgis_process = pytest.mark.skipif(
    QGIS_PROCESS is None, reason="qgis_process.bin is not installed (run `make test`)")


#: A watchdog against a hung process, not a speed check. A tool's first run on a fresh machine compiles its numba
#: kernels: the multi-sensor tool's took 220 s of one core here (Debian 12, numba 0.56) and passed 300 s in CI's
#: Debian 13 chroot, where the other test worker compiles beside it.
TIMEOUT_S = 1800


def qgis_process(*args, timeout=TIMEOUT_S) -> subprocess.CompletedProcess:
    """Run qgis_process.bin offscreen with the plugin folder of this checkout."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_PLUGINPATH": os.path.join(ROOT, ".build", "plugins")}
    return subprocess.run([QGIS_PROCESS, *args], capture_output=True, text=True, env=env, timeout=timeout)


@functools.cache
def listed() -> subprocess.CompletedProcess:
    """``qgis_process list``, run once per test process: the tests that check a tool is listed read the same
    listing (each start of qgis_process costs about 2.7 CPU-s before any work). Callers only read it."""
    return qgis_process("list")


def results(out: subprocess.CompletedProcess) -> dict:
    """The ``results`` of a successful ``--json run`` (asserts success, shows the tail of the log)."""
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return json.loads(out.stdout[out.stdout.index("{"):])["results"]


def run_json(alg: str, params) -> dict:
    """``qgis_process --json run`` and its results. ``alg`` may omit the ``geohazard:`` prefix;
    ``params`` is a dict (list values repeat the key, as qgis_process expects for multiple
    inputs) or a sequence of ready ``KEY=value`` strings."""
    if ":" not in alg:
        alg = f"geohazard:{alg}"
    if isinstance(params, dict):
        args = [f"{k}={item}" for k, v in params.items() for item in (v if isinstance(v, (list, tuple)) else [v])]
    else:
        args = list(params)
    return results(qgis_process("--json", "run", alg, "--", *args))
