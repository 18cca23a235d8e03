"""The README's ``qgis_process`` lines, frozen in tests/data/public_api.json, run unchanged."""

import glob
import json
import os
import shlex
import shutil

import pytest
from testutils_cli import ROOT, qgis_process, requires_qgis_process

with open(os.path.join(ROOT, "tests", "data", "public_api.json"), encoding="utf-8") as _f:
    LINES = json.load(_f)["readme_qgis_process"]


@requires_qgis_process
@pytest.mark.parametrize("line", LINES)
def test_readme_line_runs(tmp_path, line):
    # the README's file names stand for the user's files: a real Envisat interferogram plays them
    source = sorted(glob.glob(os.path.join(ROOT, "tests", "data", "envisat_small_test", "tif", "*_unw.tif")))[0]
    words = shlex.split(line)
    args = words[words.index("qgis_process") + 1:] if "qgis_process" in words else words[1:]
    for i, word in enumerate(args):
        key, _, value = word.partition("=")
        if value.endswith(".tif"):
            if key.startswith("OUTPUT"):
                args[i] = f"{key}={tmp_path / value}"
            else:
                shutil.copy(source, tmp_path / value)
                args[i] = f"{key}={tmp_path / value}"
    out = qgis_process(*args)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    written = [w.partition("=")[2] for w in args if w.startswith("OUTPUT")]
    assert written and all(os.path.exists(p) for p in written)
