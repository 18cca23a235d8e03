"""Enable the plugin once for the command-line test layer."""

import configparser
import os

import pytest
from testutils_cli import QGIS_PROCESS, qgis_process


def _enabled_in_profile() -> bool:
    """Whether the QGIS profile qgis_process reads already has the plugin enabled (``make link`` enables it):
    then the set-up needs no start of qgis_process (about 2.7 CPU-s in each test process)."""
    root = os.environ.get("QGIS_CUSTOM_CONFIG_PATH") or os.path.expanduser(os.path.join("~", ".local", "share",
                                                                                        "QGIS", "QGIS3"))
    ini = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        ini.read(os.path.join(root, "profiles", "default", "QGIS", "QGIS3.ini"), encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return False
    return ini.get("PythonPlugins", "insar_geohazards", fallback="").strip().lower() == "true"


@pytest.fixture(scope="session", autouse=True)
def enabled_plugin():
    if QGIS_PROCESS is None or _enabled_in_profile():
        return
    out = qgis_process("plugins", "enable", "insar_geohazards")
    assert out.returncode == 0 or "already enabled" in (out.stdout + out.stderr), out.stderr
