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
    return results(qgis_process(*_json_run_line(alg, params)))


def _json_run_line(alg: str, params) -> list:
    """The arguments of ``qgis_process --json run ALG -- KEY=value ...`` (a list value repeats its key)."""
    if ":" not in alg:
        alg = f"geohazard:{alg}"
    if isinstance(params, dict):
        args = [f"{k}={item}" for k, v in params.items() for item in (v if isinstance(v, (list, tuple)) else [v])]
    else:
        args = list(params)
    return ["--json", "run", alg, "--", *args]


class _Log:
    """A feedback whose messages are kept as qgis_process prints them (infos on stdout, errors on stderr)."""

    def __new__(cls):
        from qgis.core import QgsProcessingFeedback

        class _Feedback(QgsProcessingFeedback):
            def __init__(self):
                super().__init__()
                self.out, self.err = [], []

            def pushInfo(self, text):  # noqa: N802 - Qt names
                self.out.append(text)

            def pushWarning(self, text):  # noqa: N802
                self.out.append(text)

            def pushCommandInfo(self, text):  # noqa: N802
                self.out.append(text)

            def pushDebugInfo(self, text):  # noqa: N802
                self.out.append(text)

            def pushConsoleInfo(self, text):  # noqa: N802
                self.out.append(text)

            def setProgressText(self, text):  # noqa: N802
                self.out.append(text)

            def reportError(self, text, fatal=False):  # noqa: N802
                self.err.append(text)

        return _Feedback()


def in_app(*args) -> subprocess.CompletedProcess:
    """What ``qgis_process(*args)`` does for ``run <algorithm ID> -- KEY=value ...`` (with or without ``--json``),
    run in this test process's QGIS instead (the ``qgis_app`` fixture must be active): the same ``KEY=value`` strings
    (a repeated key becomes a list, as qgis_process makes it), the provider's parameter check, then the tool's run,
    as qgis_process runs them. Returns a CompletedProcess: returncode 0 or 1, the run's messages on stdout, its
    errors (a refusal's message, or the traceback of a crash) on stderr; with ``--json`` stdout ends with the
    ``{"results": ...}`` object :func:`results` reads. About 2.7 CPU-s less than a start of qgis_process."""
    from qgis.core import QgsApplication, QgsProcessingContext

    args = list(args)
    as_json = args[:1] == ["--json"]
    args = args[1:] if as_json else args
    assert args[0] == "run" and args[2] == "--", args
    params: dict = {}
    for item in args[3:]:
        key, _, value = item.partition("=")
        if key not in params:
            params[key] = value
        elif isinstance(params[key], list):
            params[key].append(value)
        else:
            params[key] = [params[key], value]
    alg = QgsApplication.processingRegistry().createAlgorithmById(args[1])
    assert alg is not None, f"{args[1]} is not registered"
    feedback, context = _Log(), QgsProcessingContext()
    context.setFeedback(feedback)
    ok, msg = alg.checkParameterValues(params, context)
    out = {}
    if not ok:
        feedback.reportError(msg)
    else:
        out, ok = alg.run(params, context, feedback)
    del context  # the run's layers closed, as at the end of a qgis_process run
    stdout = "\n".join(feedback.out)
    if ok and as_json:
        stdout += "\n" + json.dumps({"results": out}, default=str)
    return subprocess.CompletedProcess(["in_app", *args], 0 if ok else 1, stdout, "\n".join(feedback.err))


def in_app_json(alg: str, params) -> dict:
    """:func:`run_json` in this test process's QGIS (:func:`in_app`): the same strings, the same results."""
    return results(in_app(*_json_run_line(alg, params)))
