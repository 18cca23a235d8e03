"""Several processes saving compiled kernels into numba's on-disk cache at once never mix two kernels' code.

A batch of ``qgis_process`` runs or Dask worker processes on a fresh install compile the same kernel at the same
moment, often for different argument types (float32 and float64 rasters, contiguous or not). numba's own save
reads the kernel's index, takes the first free data-file number, writes the index, then the data: two processes
can both take number 1, and the index can name one signature while the file holds the other's machine code. Our
kernels save under a lock beside the index, data before index (``_numba._ordered_cache_file_class``).

Each case below starts four processes that save four different signatures (keys) of one kernel into one cache
folder, with pauses that force the worst interleaving: all four read the index before any writes it, the index
writes go in order 0-3 and the data writes in order 3-0.
"""

import os
import subprocess
import sys
import time

import pytest

from insar_geohazards.algorithms import _numba

pytestmark = pytest.mark.skipif(not _numba.HAVE_NUMBA, reason="numba is not installed: no on-disk kernel cache")

PLUGINS = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(_numba.__file__))))
N = 4

CHILD = r"""
import sys, time
folder, which, i, n, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
from numba.core import caching
if which == "ordered":
    from insar_geohazards.algorithms import _numba
    base = _numba._ordered_cache_file_class()
else:
    base = caching.IndexDataCacheFile

class Paced(base):
    def _load_index(self):
        out = super()._load_index()
        time.sleep(0.3)  # every process has read the (empty) index before any writes it
        return out

    def _save_index(self, overloads):
        time.sleep(0.1 * i)  # index writes in order 0, 1, 2, 3
        super()._save_index(overloads)

    def _save_data(self, name, data):
        time.sleep(0.2 * (n - i))  # after its index write: data writes in order 3, 2, 1, 0
        super()._save_data(name, data)

f = Paced(cache_path=folder, filename_base="kernel-12.py3", source_stamp=("stamp", 1))
time.sleep(max(0.0, start - time.time()))
f.save(("signature", i), ("machine code of signature", i))
"""


def _race(tmp_path, which):
    folder = tmp_path / which
    folder.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([PLUGINS, os.environ.get("PYTHONPATH", "")])}
    start = time.time() + 3.0  # every child imported numba and waits at the same starting line
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, str(folder), which, str(i), str(N), repr(start)],
                              env=env, stderr=subprocess.PIPE, text=True) for i in range(N)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-2000:]
    from numba.core import caching

    reader = caching.IndexDataCacheFile(cache_path=str(folder), filename_base="kernel-12.py3",
                                        source_stamp=("stamp", 1))
    return {i: reader.load(("signature", i)) for i in range(N)}, reader


def test_concurrent_saves_keep_each_signature_with_its_own_code(tmp_path):
    got, reader = _race(tmp_path, "ordered")
    assert got == {i: ("machine code of signature", i) for i in range(N)}
    names = reader._load_index()
    assert len(set(names.values())) == N  # four data files, one per signature


def test_the_race_is_real_with_numbas_own_saves(tmp_path):
    """The control: the same interleaving with numba's own class loses signatures and, worse, names one
    signature's code under another (what the ordered saves above prevent)."""
    got, _ = _race(tmp_path, "numba")
    mixed = {i: code for i, code in got.items() if code is not None and code != ("machine code of signature", i)}
    if not mixed:
        pytest.skip("this numba's own cache saves did not mix signatures under the forced interleaving "
                    "(numba may have fixed its save): nothing to compare against")
    # typically {3: ("machine code of signature", 0)}: the last index write names 3, the last data write is 0's
    assert all(code[1] != i for i, code in mixed.items())


def test_our_kernels_save_in_order():
    """Every kernel the plugin compiles with an on-disk cache uses the ordered saves; numba's own class is left
    untouched for other numba users in the same QGIS process."""
    from numba.core import caching

    from insar_geohazards.algorithms import _numba
    from insar_geohazards.algorithms.psds.phase_linking import kernel as pl_kernel
    from insar_geohazards.algorithms.psds.phase_linking import lane as pl_lane
    from insar_geohazards.algorithms.timeseries import sbas

    kernels = [obj.dispatcher() for module in (sbas, pl_kernel, pl_lane) for obj in vars(module).values()
               if isinstance(obj, _numba.Kernel)]
    assert kernels
    for kernel in kernels:
        cache_file = getattr(getattr(kernel, "_cache", None), "_cache_file", None)
        if cache_file is not None:  # None: no writable cache folder, nothing saved
            # by name: a test that reloads the shim (numba on / off) makes the class again
            assert type(cache_file).__name__ == "OrderedIndexDataCacheFile", kernel
            assert type(cache_file).save is not caching.IndexDataCacheFile.save, kernel
    assert caching.IndexDataCacheFile.save.__qualname__ == "IndexDataCacheFile.save"
