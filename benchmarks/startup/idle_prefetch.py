"""Whole runs after the machine sat idle, with and without asking the kernel to read files ahead first.

    /usr/bin/python3 benchmarks/startup/idle_prefetch.py {phaselinking,sbas300} [MODE ...]   (env IDLE, default 80 s)

MODE: ``none`` (default ``none libs inputs libs+inputs``): before each run, IDLE seconds of nothing (on a guest that
pages out memory nobody touched for a minute, everything the run needs leaves the cache), then at the run's start
``posix_fadvise(WILLNEED)`` on numba's and llvmlite's libraries (``libLLVM``, ``libz3``, the ``.so`` files of numba)
and this checkout's kernel cache (``libs``), on numba's and llvmlite's bytecode and the kernel cache (``pyc``), on
the run's input files (``inputs``), or a combination (``libs+inputs``), from a process beside the run. Prints one
line per run: wall, user + sys, major page faults. The runs are ``run_timeline.py``'s commands (same stacks, outputs
in a temporary folder). Linux only.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "psds"))
import run_timeline  # noqa: E402

INPUTS = {"phaselinking": os.path.join(ROOT, "benchmarks", "results", "psds_whole", "tifs", "slc"),
          "sbas300": os.path.join(ROOT, ".build", "bench_ts", "s300", "tif")}


def _numba_files(*patterns) -> list:
    """Files under numba's and llvmlite's package folders matching ``patterns`` (globs relative to them; their
    tests left out), plus this checkout's kernel cache (``*.nbi``/``*.nbc``)."""
    import importlib.util

    files = []
    for pkg in ("numba", "llvmlite"):
        spec = importlib.util.find_spec(pkg)
        for d in (spec.submodule_search_locations or []) if spec is not None else []:
            for pattern in patterns:
                files += glob.glob(os.path.join(d, pattern), recursive=True)
    files = [f for f in files if f"{os.sep}tests{os.sep}" not in f]
    files += glob.glob(os.path.join(ROOT, "algorithms", "**", "__pycache__", "*.nb[ic]"), recursive=True)
    return sorted(set(files))


def _bytecode() -> list:
    """numba's and llvmlite's compiled modules (``__pycache__/*.pyc`` of this Python), llvmlite's own library (not
    the LLVM it links) and the kernel cache: the small files a tool's numba start reads one by one."""
    tag = sys.implementation.cache_tag
    return _numba_files(os.path.join("**", "__pycache__", f"*.{tag}.pyc"), os.path.join("binding", "libllvmlite.so"))


def _libraries() -> list:
    """numba's and llvmlite's shared libraries, the LLVM and z3 libraries they link, and the kernel cache."""
    files = _numba_files(os.path.join("**", "*.so"))
    for pattern in ("libLLVM*.so*", "libz3.so*"):
        for d in ("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"):
            files += glob.glob(os.path.join(d, pattern))
    return sorted(set(files))


def _advise(paths) -> None:
    for p in paths:
        try:
            fd = os.open(p, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        finally:
            os.close(fd)


def main() -> None:
    tool = sys.argv[1]
    modes = sys.argv[2:] or ["none", "libs", "inputs", "libs+inputs"]
    idle = float(os.environ.get("IDLE", 80))
    work = tempfile.mkdtemp(prefix="geohazard-idle-")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_PLUGINPATH": os.path.join(ROOT, ".build", "plugins"),
           "NUMBA_NUM_THREADS": "2", "OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2"}
    for mode in modes:
        time.sleep(idle)
        out = os.path.join(work, "out")
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        files = (_libraries() if "libs" in mode else []) + (_bytecode() if "pyc" in mode else []) + \
            (sorted(glob.glob(os.path.join(INPUTS[tool], "*.tif"))) if "inputs" in mode else [])
        helper = None
        if files:
            helper = subprocess.Popen([sys.executable, "-c", "import sys, idle_prefetch as p; p._advise(sys.argv[1:])",
                                       *files], env={**os.environ, "PYTHONPATH": HERE})
        proc = subprocess.run(["/usr/bin/time", "-f", "TIMES %e %U %S %F", *run_timeline.command(tool, out)],
                              env=env, capture_output=True, text=True)
        if helper is not None:
            helper.wait()
        m = re.search(r"TIMES ([\d.]+) ([\d.]+) ([\d.]+) (\d+)", proc.stderr)
        if proc.returncode != 0 or m is None:
            raise SystemExit(f"{tool} {mode}: the run failed\n{proc.stderr[-2000:]}")
        wall, user, syst, faults = m.groups()
        print(f"{tool} {mode}: {float(wall):.2f} s wall, {float(user) + float(syst):.2f} CPU-s "
              f"(sys {float(syst):.2f}), {faults} major faults, {len(files)} files advised", flush=True)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
