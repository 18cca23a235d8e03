"""Compile every numba kernel family into the cache once, one family per process (the warm-up).

    python3 -m insar_geohazards.warm_kernels [--jobs N] [FAMILY ...]

(with the folder holding the plugin on ``PYTHONPATH``, e.g. ``~/.local/share/QGIS/QGIS3/profiles/default/
python/plugins``). Each family's synthetic run (:mod:`algorithms.kernel_families`) calls the core functions the
tools call, so every tool's first run afterwards loads its kernels from numba's on-disk cache instead of compiling
them. Families run most used first, ``--jobs`` processes at a time (default 1: the machine stays usable); a family
that a tool's run is compiling at the same moment (the per-family lock beside the cache) is waited for, never
compiled twice. Imports no QGIS: usable before ``qgis_process`` runs, in a script, and by the test runner.

``--one FAMILY`` (what each child process runs) prints one JSON line: CPU seconds, kernels compiled, input bytes;
``--python`` runs the family's kernels as plain Python instead (the numpy path); ``--scale S`` times the warm-up at
scale 1 and S (inputs S times larger per side) after an untimed one: the CPU per MB of input.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

PACKAGE = __package__ or "insar_geohazards"


def _run_one(name: str, python: bool, scale: int) -> dict:
    import importlib

    kf = importlib.import_module(f"{PACKAGE}.algorithms.kernel_families")
    _numba = importlib.import_module(f"{PACKAGE}.algorithms._numba")
    family = kf.BY_NAME[name]
    compiled = []
    t0 = time.process_time()
    modules = family.modules()
    if scale > 1:  # the cost per MB: scale 1 once untimed (loads), then timed at scale 1 and at ``scale``
        import contextlib

        with _numba.python_kernels(modules) if python else contextlib.nullcontext():
            family.warm(1)
            t1 = time.process_time()
            small = family.warm(1)
            t2 = time.process_time()
            big = family.warm(scale)
            t3 = time.process_time()
        return {"family": name, "python": python, "small_s": t2 - t1, "small_bytes": int(small), "big_s": t3 - t2,
                "big_bytes": int(big), "cpu_s": t3 - t0, "compiled": 0, "bytes": int(big)}
    if python:
        with _numba.python_kernels(modules):
            nbytes = family.warm(scale)
    elif not _numba.HAVE_NUMBA:
        nbytes = family.warm(scale)
    else:
        from numba.core import event

        class Compiled(event.Listener):
            def on_start(self, event):
                pass

            def on_end(self, event):
                func = getattr((event.data or {}).get("dispatcher"), "py_func", None)
                if func is not None and (func.__module__ or "").startswith(PACKAGE + "."):
                    compiled.append(f"{func.__module__}.{func.__qualname__}")

        with _numba.family_lock(name, modules), event.install_listener("numba:compile", Compiled()):
            nbytes = family.warm(scale)
    return {"family": name, "cpu_s": time.process_time() - t0, "compiled": len(compiled), "kernels": compiled,
            "bytes": int(nbytes), "numba": _numba.HAVE_NUMBA}


def _child(name: str, env: dict, extra, out, err) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", f"{PACKAGE}.warm_kernels", "--one", name, *extra],
                            stdout=out, stderr=err, env=env)


def warm(names, jobs: int = 1, log=print, extra=(), env=None) -> list:
    """Run each family of ``names`` in its own process, ``jobs`` at a time; returns each child's result (with its
    wall seconds and the CPU seconds of the whole process) in the order they end."""
    import tempfile

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    pending, running, results = list(names), {}, []
    while pending or running:
        while pending and len(running) < max(1, jobs):
            name = pending.pop(0)
            out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
            running[name] = (_child(name, env, extra, out, err), time.monotonic(), out, err)
        for name, (proc, start, out, err) in list(running.items()):
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid == 0:
                continue
            proc.returncode = os.waitstatus_to_exitcode(status)
            del running[name]
            out.seek(0)
            err.seek(0)
            line = next((ln for ln in out.read().splitlines() if ln.startswith("{")), "")
            message = err.read().strip()[-600:]
            out.close()
            err.close()
            if proc.returncode != 0 or not line:
                log(f"[warm-up] {name}: failed ({proc.returncode}): {message}")
                results.append({"family": name, "failed": True})
                continue
            res = json.loads(line)
            res.update(wall_s=time.monotonic() - start, process_cpu_s=usage.ru_utime + usage.ru_stime)
            log(f"[warm-up] {name}: {res['compiled']} kernels compiled, {res['process_cpu_s']:.1f} CPU-s, "
                f"{res['wall_s']:.1f} s")
            results.append(res)
        if running:
            time.sleep(0.1)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m insar_geohazards.warm_kernels",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("families", nargs="*", help="families to compile (default: all, most used first)")
    parser.add_argument("--jobs", type=int, default=1, help="processes at a time (default 1)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--python", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(_run_one(args.one, args.python, args.scale)), flush=True)
        return 0
    import importlib

    kf = importlib.import_module(f"{PACKAGE}.algorithms.kernel_families")
    unknown = [n for n in args.families if n not in kf.BY_NAME]
    if unknown:
        parser.error(f"unknown families {unknown}; known: {', '.join(kf.BY_NAME)}")
    names = args.families or [f.name for f in kf.FAMILIES]
    t0 = time.monotonic()
    results = warm(names, jobs=args.jobs)
    cpu = sum(r.get("process_cpu_s", 0.0) for r in results)
    print(f"[warm-up] {len(names)} families in {time.monotonic() - t0:.0f} s, {cpu:.0f} CPU-s", flush=True)
    return 1 if any(r.get("failed") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
