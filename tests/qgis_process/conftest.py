"""Enable the plugin once for the command-line test layer."""

import pytest
from testutils_cli import QGIS_PROCESS, qgis_process


@pytest.fixture(scope="session", autouse=True)
def enabled_plugin():
    if QGIS_PROCESS is None:
        return
    out = qgis_process("plugins", "enable", "insar_geohazards")
    assert out.returncode == 0 or "already enabled" in (out.stdout + out.stderr), out.stderr
