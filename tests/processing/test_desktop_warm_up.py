"""Quitting QGIS while the kernels' warm-up runs quits: no "Active Tasks" question, the warm-up's compiling process
stopped, the warm-up not recorded as done (the real desktop under Xvfb, desktop_warm_up_session.py)."""

import os
import shutil
import subprocess
import time

import pytest
from testutils_desktop import qgis_desktop, run_desktop_session

pytestmark = pytest.mark.serial

SESSION = os.path.join(os.path.dirname(os.path.abspath(__file__)), "desktop_warm_up_session.py")


def _warm_up_children(cache):
    """The phase-linking warm-up processes this session started: those whose NUMBA_CACHE_DIR is its ``cache`` (a
    warm-up of another session or a `make test` on the same machine is not this one's)."""
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True).stdout
    mine = b"NUMBA_CACHE_DIR=" + os.fsencode(str(cache))
    found = []
    for ln in out.splitlines():
        if "warm_kernels" not in ln or "--one phase_linking" not in ln:
            continue
        try:
            with open(f"/proc/{ln.split()[0]}/environ", "rb") as fh:
                env = fh.read().split(b"\0")
        except OSError:  # ended meanwhile
            continue
        if mine in env:
            found.append(ln)
    return found


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed (apt-get install xvfb)")
@pytest.mark.skipif(qgis_desktop() is None, reason="the QGIS desktop (qgis) is not installed")
def test_quitting_during_the_warm_up_quits_without_asking(tmp_path):
    pytest.importorskip("numba", reason="numba is not installed: no warm-up")
    (tmp_path / "session.json").write_text("{}")
    cache = tmp_path / "numba_cache"
    cache.mkdir()
    proc, report = run_desktop_session(tmp_path, SESSION, screen="1280x800x24", timeout=400,
                                       INSAR_WARM_UP_SESSION=str(tmp_path / "session.json"),
                                       INSAR_GEOHAZARDS_WARM_UP="0", NUMBA_CACHE_DIR=str(cache))
    assert report["task_started"] and report["active_tasks"] >= 1, report
    assert not report.get("still_up_after_quit"), report  # the quit was not aborted
    assert report["dialogs"] == [], report["dialogs"]  # no "Active Tasks" question
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    for _ in range(50):  # the compiling child is stopped with the task
        if not _warm_up_children(cache):
            break
        time.sleep(0.1)
    assert not _warm_up_children(cache)
    assert not list(cache.rglob(".geohazard-ready-*.json"))  # nothing recorded as compiled


CALLED_OFF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "desktop_quit_called_off_session.py")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed (apt-get install xvfb)")
@pytest.mark.skipif(qgis_desktop() is None, reason="the QGIS desktop (qgis) is not installed")
def test_a_quit_called_off_resumes_the_warm_up(tmp_path):
    """Exit QGIS with unsaved changes, then Cancel at QGIS's question: QGIS stays up, and the warm-up it cancelled
    without a prompt runs again with the families it had left (desktop_quit_called_off_session.py)."""
    pytest.importorskip("numba", reason="numba is not installed: no warm-up")
    (tmp_path / "session.json").write_text("{}")
    proc, report = run_desktop_session(tmp_path, CALLED_OFF, screen="1280x800x24", timeout=400,
                                       INSAR_WARM_UP_SESSION=str(tmp_path / "session.json"),
                                       INSAR_GEOHAZARDS_WARM_UP="0")
    assert report["first_started"] and report.get("still_up_after_cancel"), report
    assert [d["title"] for d in report["dialogs"]] == ["Save Project"], report["dialogs"]
    assert report["cancelled_when_asked"], report  # QGIS cancelled the warm-up before asking
    assert report["resumed"] and report["resumed_families"] == ["dense", "distortion"], report
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
