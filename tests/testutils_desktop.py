"""The QGIS desktop in tests: a message bar and an ``iface`` that record what is pushed (no window), and a session
of the real desktop under Xvfb with a throw-away profile that enables the plugin."""

import json
import os
import shutil
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class MessageBar:
    def __init__(self):
        self.messages = []

    def pushMessage(self, title, text, level, duration):  # noqa: N802 - QGIS API name
        self.messages.append((title, text, level, duration))


class Iface:
    def __init__(self):
        self.bar = MessageBar()

    def messageBar(self):  # noqa: N802 - QGIS API name
        return self.bar


def toolbox_role(name: str):
    """QgsProcessingToolboxModel's data role ``name`` on this QGIS (``CustomRole.<name>`` from 3.36, the
    ``Roles`` enum's ``Role<name>`` before)."""
    from qgis.gui import QgsProcessingToolboxModel

    for owner, member in (("CustomRole", name), ("Roles", "Role" + name)):
        value = getattr(getattr(QgsProcessingToolboxModel, owner, None), member, None)
        if value is not None:
            return value
    return getattr(QgsProcessingToolboxModel, "Role" + name)


def qgis_desktop():
    """The QGIS desktop's executable, None when it is not installed."""
    return shutil.which("qgis") or shutil.which("qgis.bin")


def run_desktop_session(tmp_path, session: str, *, screen: str, timeout: float, **env_vars):
    """Runs the desktop under Xvfb (``screen`` as ``WIDTHxHEIGHTxDEPTH``) on a new profile in ``tmp_path`` with
    ``session`` as its start-up code and ``env_vars`` added to the environment; the process and the session's
    ``report.json`` (written in ``tmp_path``, with no ``error``)."""
    profile = tmp_path / "profile"
    ini = profile / "profiles" / "default" / "QGIS"
    ini.mkdir(parents=True)
    (ini / "QGIS3.ini").write_text("[PythonPlugins]\ninsar_geohazards=true\nprocessing=true\n"
                                   "[qgis]\nshowTips=false\ncheckVersion=false\n")
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(QT_QPA_PLATFORM="xcb", QGIS_PLUGINPATH=os.path.join(ROOT, ".build", "plugins"), **env_vars)
    cmd = ["xvfb-run", "-a", "-s", f"-screen 0 {screen}", qgis_desktop(), "--nologo", "--noversioncheck",
           "--profiles-path", str(profile), "--code", session]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    report_path = tmp_path / "report.json"
    assert report_path.exists(), f"QGIS exited {proc.returncode} without a report:\n{proc.stdout}\n{proc.stderr}"
    report = json.loads(report_path.read_text())
    assert "error" not in report, report["error"]
    return proc, report
