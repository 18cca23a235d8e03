"""`make demo`'s qgis_process runs leave nothing on stderr a user would read as an error or a warning.

Every demo step (demo/run_demo.py: the tools and shipped models on the bundled real data and the
simulated SLC stack) runs through qgis_process.bin as `make demo` runs it; what each run printed on
stderr must be QGIS's own start-up lines (:data:`QGIS_STARTUP_LINES`), nothing else: no GDAL or OGR
"ERROR n" or "Warning n" line, no provider probing a folder or a baseline table as a layer, no Python
warning, no resource-tracker notice at exit.
"""

import importlib.util
import os
import re

import pytest
from testutils_cli import ROOT, requires_qgis_process

#: Lines QGIS or Qt print at every start of qgis_process, whatever the tool (the allow-list).
QGIS_STARTUP_LINES = (
    # Qt, when XDG_RUNTIME_DIR is unset or not private (a headless shell, a chroot)
    r"QStandardPaths: XDG_RUNTIME_DIR not set, defaulting to '.*'",
    r"QStandardPaths: (wrong permissions|runtime directory) .*",
    # QGIS 3.22's Python start-up (qgis.PyQt calls sip.setapi)
    r"<string>:1: DeprecationWarning: setapi\(\) is deprecated",
)
#: A warning raised in QGIS's own Python files (QGIS 3.44 on Python 3.14: codecs.open in qgis.utils and the
#: Processing help loader, at every start); Python prints the offending source line indented below it.
QGIS_OWN_WARNING = re.compile(r"/usr/(lib/python3/dist-packages/qgis|share/qgis/python)/\S+:\d+: \w*Warning: .*")


def unexpected_lines(stderr: str) -> list:
    """The lines of ``stderr`` that are not QGIS start-up lines (nor the source line under a QGIS warning)."""
    out, source_next = [], False
    for line in stderr.splitlines():
        text = line.strip()
        if source_next and line[:1].isspace():
            source_next = False
            continue
        source_next = False
        if not text:
            continue
        if QGIS_OWN_WARNING.fullmatch(text):
            source_next = True
            continue
        if not any(re.fullmatch(p, text) for p in QGIS_STARTUP_LINES):
            out.append(line)
    return out


def _demo():
    spec = importlib.util.spec_from_file_location("run_demo", os.path.join(ROOT, "demo", "run_demo.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_allow_list_keeps_only_qgis_start_up_lines():
    log = ("QStandardPaths: XDG_RUNTIME_DIR not set, defaulting to '/tmp/runtime-root'\n"
           "<string>:1: DeprecationWarning: setapi() is deprecated\n"
           "ERROR 4: '/data/geotiffs' not recognized as being in a supported file format.\n"
           "ERROR: Status 3: Unable to load mesh (null)\n"
           "Warning 1: Passed SRS uses EPSG:3035 identification, but its definition is not compatible\n"
           "[OGR] Cannot open /vsigzip//data/baselines/20180106-20180130_bperp.par.gz\n"
           "ERROR 5: dfMax should be strictly greater than dfMin\n"
           "resource_tracker: There appear to be 1 leaked semaphore objects to clean up at shutdown\n"
           "/usr/lib/python3/dist-packages/qgis/utils.py:294: DeprecationWarning: codecs.open() is deprecated.\n"
           '  with codecs.open(metadataFile, "r", "utf8") as f:\n'
           "/repo/algorithms/x.py:3: RuntimeWarning: invalid value encountered in divide\n"
           "  z = a / b\n")
    assert len(unexpected_lines(log)) == 8  # ours kept (the warning and its source line), QGIS's own dropped


@pytest.mark.slow
@requires_qgis_process
def test_demo_runs_leave_no_error_or_warning_on_stderr(tmp_path, capsys):
    demo = _demo()
    demo.STDERR.clear()
    ran = []
    for step in demo.steps(str(tmp_path)):
        demo.run_step(step)
        ran.append(step["alg"])
    capsys.readouterr()
    assert len(demo.STDERR) == len(ran) >= 15
    noisy = {alg: unexpected_lines(err) for alg, err in demo.STDERR if unexpected_lines(err)}
    assert not noisy, "\n".join(f"{alg}:\n  " + "\n  ".join(lines) for alg, lines in noisy.items())
