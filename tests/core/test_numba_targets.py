"""The numba kernels give the same bytes whatever x86 CPU they are compiled for.

numba compiles for the CPU it runs on (AVX2 on one machine, AVX-512 on another). Plain IEEE arithmetic
gives the same bits on both; fast-math flags would not (FMA contraction, sums reordered to the vector
width: the Okada corner loop gave other bits on skylake-avx512 than on haswell before they were removed).
Here a compact set of kernel runs (tests/core/numba_target_cases.py) is compiled for haswell (AVX2) and
skylake-avx512 (AVX-512) in two subprocesses with their own numba cache, and the outputs must match.
"""

import json
import os
import subprocess
import sys
import tempfile

import pytest

from insar_geohazards.algorithms import _numba

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = ("haswell", "skylake-avx512")


@pytest.mark.heavy
@pytest.mark.skipif(not _numba.HAVE_NUMBA, reason="numba is not installed: no compiled kernels to compare")
def test_kernels_give_the_same_bytes_on_avx2_and_avx512_targets():
    sys.path.insert(0, HERE)
    from numba_target_cases import QUICK

    with tempfile.TemporaryDirectory() as tmp:
        procs = {}
        for cpu in TARGETS:
            env = {**os.environ, "NUMBA_CPU_NAME": cpu, "NUMBA_CACHE_DIR": os.path.join(tmp, cpu)}
            env.pop("INSAR_GEOHAZARDS_DISABLE_NUMBA", None)
            procs[cpu] = subprocess.Popen([sys.executable, os.path.join(HERE, "numba_target_cases.py"), *QUICK],
                                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        got = {}
        for cpu, p in procs.items():
            out, err = p.communicate(timeout=600)
            assert p.returncode == 0, f"{cpu}: {err[-2000:]}"
            got[cpu] = json.loads(out.strip().splitlines()[-1])
    assert set(got[TARGETS[0]]) == set(QUICK)
    differ = [k for k in QUICK if got[TARGETS[0]][k] != got[TARGETS[1]][k]]
    assert not differ, f"kernels give other bytes on {TARGETS[1]} than on {TARGETS[0]}: {differ}"


def test_no_kernel_asks_for_fast_math():
    """Fast-math flags (contract, reassoc, fast ...) make a kernel's bits depend on the CPU it is compiled for;
    the compiled-kernel comparison above samples a few modules, this covers them all."""
    root = os.path.join(os.path.dirname(os.path.dirname(HERE)), "algorithms")
    found = []
    for dirpath, _, files in os.walk(root):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as fh:
                    for i, line in enumerate(fh, 1):
                        if "fastmath" in line and not line.lstrip().startswith("#"):
                            found.append(f"{os.path.relpath(path, root)}:{i}")
    assert not found, f"fastmath in kernels: {found}"
