"""Phase linking gives the same bytes whatever BLAS kernel the CPU selects, and its GLRT threshold is scipy's.

OpenBLAS picks its GEMM kernels for the CPU it runs on, and they add in other orders: a covariance computed by
BLAS differs in its last bits between an AVX2 and an AVX-512 machine (``OPENBLAS_CORETYPE`` selects the kernel
here). Phase linking sums its covariances itself, in window order, so the kernel choice must not matter.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from insar_geohazards.algorithms import _numba
from insar_geohazards.algorithms.psds.phase_linking.shp import shp_threshold

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.mark.skipif(not _numba.HAVE_NUMBA, reason="numba is not installed: the Python path has no BLAS kernel choice")
def test_phase_linking_bytes_do_not_depend_on_the_blas_kernel():
    got = {}
    for core in ("Haswell", "SkylakeX"):  # OpenBLAS's AVX2 and AVX-512 kernels (ignored by other BLAS libraries)
        env = {**os.environ, "OPENBLAS_CORETYPE": core}
        env.pop("INSAR_GEOHAZARDS_DISABLE_NUMBA", None)
        out = subprocess.run([sys.executable, os.path.join(HERE, "numba_target_cases.py"), "phase_linking"], env=env,
                             capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stderr[-2000:]
        got[core] = json.loads(out.stdout.strip().splitlines()[-1])["phase_linking"]
    assert got["Haswell"] == got["SkylakeX"]


def test_glrt_threshold_is_scipys_chi_square_quantile_bit_for_bit():
    chi2 = pytest.importorskip("scipy.stats").chi2
    for alpha in (1e-6, 0.001, 0.01, 0.05, 0.1, 0.2, 0.5, 0.9):
        assert shp_threshold("glrt", alpha, 30) == float(chi2.ppf(1.0 - alpha, 1))


def test_glrt_threshold_does_not_import_scipy_stats():
    code = ("import sys; sys.path.insert(0, sys.argv[1]);"
            "from insar_geohazards.algorithms.psds.phase_linking.shp import shp_threshold;"
            "shp_threshold('glrt', 0.05, 30); print('scipy.stats' in sys.modules)")
    plugins = os.path.join(os.path.dirname(os.path.dirname(HERE)), ".build", "plugins")
    out = subprocess.run([sys.executable, "-c", code, plugins], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False"
    assert np.isclose(shp_threshold("glrt", 0.05, 30), 3.841458820694124)
