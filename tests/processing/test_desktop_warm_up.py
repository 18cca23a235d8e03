"""Quitting QGIS while the kernels' warm-up runs quits: no "Active Tasks" question, the warm-up's compiling process
stopped, the warm-up not recorded as done (the real desktop under Xvfb, desktop_warm_up_session.py)."""

import json
import os
import shutil
import subprocess
import time

import pytest

pytestmark = pytest.mark.serial

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SESSION = os.path.join(os.path.dirname(os.path.abspath(__file__)), "desktop_warm_up_session.py")


def _qgis_desktop():
    return shutil.which("qgis") or shutil.which("qgis.bin")


def _warm_up_children():
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True).stdout
    return [ln for ln in out.splitlines() if "warm_kernels" in ln and "--one phase_linking" in ln]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed (apt-get install xvfb)")
@pytest.mark.skipif(_qgis_desktop() is None, reason="the QGIS desktop (qgis) is not installed")
def test_quitting_during_the_warm_up_quits_without_asking(tmp_path):
    pytest.importorskip("numba", reason="numba is not installed: no warm-up")
    (tmp_path / "session.json").write_text("{}")
    profile = tmp_path / "profile"
    ini = profile / "profiles" / "default" / "QGIS"
    ini.mkdir(parents=True)
    (ini / "QGIS3.ini").write_text("[PythonPlugins]\ninsar_geohazards=true\nprocessing=true\n"
                                   "[qgis]\nshowTips=false\ncheckVersion=false\n")
    cache = tmp_path / "numba_cache"
    cache.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(QT_QPA_PLATFORM="xcb", QGIS_PLUGINPATH=os.path.join(ROOT, ".build", "plugins"),
               INSAR_WARM_UP_SESSION=str(tmp_path / "session.json"), INSAR_GEOHAZARDS_WARM_UP="0",
               NUMBA_CACHE_DIR=str(cache))
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", _qgis_desktop(), "--nologo", "--noversioncheck",
           "--profiles-path", str(profile), "--code", SESSION]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=400)
    report_path = tmp_path / "report.json"
    assert report_path.exists(), f"QGIS exited {proc.returncode} without a report:\n{proc.stdout}\n{proc.stderr}"
    report = json.loads(report_path.read_text())
    assert "error" not in report, report["error"]
    assert report["task_started"] and report["active_tasks"] >= 1, report
    assert not report.get("still_up_after_quit"), report  # the quit was not aborted
    assert report["dialogs"] == [], report["dialogs"]  # no "Active Tasks" question
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    for _ in range(50):  # the compiling child is stopped with the task
        if not _warm_up_children():
            break
        time.sleep(0.1)
    assert not _warm_up_children()
    assert not list(cache.rglob(".geohazard-ready-*.json"))  # nothing recorded as compiled
