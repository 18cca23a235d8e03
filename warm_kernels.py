"""Compile every numba kernel family into the cache once, one family per process (the warm-up).

    python3 <plugin folder>/warm_kernels.py [--jobs N] [FAMILY ...]

e.g. ``python3 ~/.local/share/QGIS/QGIS3/profiles/default/python/plugins/insar_geohazards/warm_kernels.py`` (with
QGIS's own Python: on Windows ``python`` in the OSGeo4W Shell; ``python3 -m insar_geohazards.warm_kernels`` works
too with the plugins folder on ``PYTHONPATH``). Each family's synthetic run (:mod:`algorithms.kernel_families`)
calls the core functions the tools call, so every tool's first run afterwards loads its kernels from numba's
on-disk cache instead of compiling them; a family compiled whole is recorded beside its cache (its ready file).
Families run most used first, ``--jobs`` processes at a time (default 1: the machine stays usable); a family that a
tool's run is compiling at the same moment (the per-family lock beside the cache) is waited for, never compiled
twice. Imports no QGIS: usable before ``qgis_process`` runs, in a script, and by the test runner.

A tool's first run on a machine can start the same warm-up for its own families in the background
(:func:`start_background`: a detached process, so the run's own CPU time is its own work); a family whose numpy
form is as fast as its compiled one only once its numpy form has cost its compile (``algorithms/compile_ledger.py``).
Run by hand, the warm-up compiles every family named, those too.

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

if not __package__:  # run as a file (python3 .../insar_geohazards/warm_kernels.py): the plugin as a package
    _HERE = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.dirname(_HERE))
    PACKAGE = os.path.basename(_HERE)
else:
    PACKAGE = __package__


def _run_one(name: str, python: bool, scale: int) -> dict:
    import importlib

    kf = importlib.import_module(f"{PACKAGE}.algorithms.kernel_families")
    _numba = importlib.import_module(f"{PACKAGE}.algorithms._numba")
    family = kf.BY_NAME[name]
    compiled = []
    turn: dict = {}
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

        choice = importlib.import_module(f"{PACKAGE}.algorithms.compile_choice")
        kind = "background" if os.environ.get(BACKGROUND_ENV) else "compile"  # said to a run deciding to wait
        with choice.family_turn(family, kf.measured_costs(), kind=kind,
                                log=lambda text: print(f"[warm-up] {text}", file=sys.stderr, flush=True)) as turn, \
                event.install_listener("numba:compile", Compiled()):
            ours = _stop_when_compiled_elsewhere(kf, family, lambda: {
                "family": name, "cpu_s": time.process_time() - t0, "compiled": len(compiled), "kernels": compiled,
                "bytes": 0, "numba": True, "python": list(sys.version_info[:2]), "ready": True,
                "done_elsewhere": True, **turn}) if scale == 1 and not kf.family_ready(family) else None
            nbytes = family.warm(scale)
            if ours is not None:
                ours.set()
            if scale == 1:
                kf.mark_ready(family)  # every kernel saved: later runs load the family whole
    return {"family": name, "cpu_s": time.process_time() - t0, "compiled": len(compiled), "kernels": compiled,
            "bytes": int(nbytes), "numba": _numba.HAVE_NUMBA, "python": list(sys.version_info[:2]),
            "ready": bool(_numba.HAVE_NUMBA and not python and scale == 1 and kf.family_ready(family)), **turn}


#: set in the family processes of a background compile (:func:`_detached`): their lock records say so
BACKGROUND_ENV = "GEOHAZARD_WARM_BACKGROUND"
#: seconds between two looks, while a family compiles, at whether another process recorded it compiled whole
ELSEWHERE_SECONDS = 2.0


def _stop_when_compiled_elsewhere(kf, family, result):
    """While this process compiles ``family``: when another process records the family compiled whole (a run's or
    the test runner's warm-up that passed this one by, :mod:`algorithms.compile_choice`), print ``result()`` (with
    ``done_elsewhere``) as this process's line and end it at once: what is left is in the cache (numba's saves are
    whole files, replaced atomically). Returns the event to set before this process records the family itself.
    Started only when the family is not recorded whole yet (else this process only loads it)."""
    import threading

    ours = threading.Event()

    def watch():
        while not ours.wait(ELSEWHERE_SECONDS):
            if kf.family_ready(family) and not ours.is_set():
                print(json.dumps(result()), flush=True)
                os._exit(0)

    threading.Thread(target=watch, name="geohazard-elsewhere", daemon=True).start()
    return ours


def _child(name: str, env: dict, extra, out, err) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", f"{PACKAGE}.warm_kernels", "--one", name, *extra],
                            stdout=out, stderr=err, env=env)


def find_python() -> str:
    """The Python interpreter of this process's own installation, to run the warm-up in ("" if none is found).

    Inside QGIS ``sys.executable`` can be QGIS itself (the desktop, ``qgis_process``) or, where an embedded Python
    guesses it, the first ``python3`` on PATH, which can be another installation without numba (a pyenv shim).
    So an interpreter counts only inside this Python's own installation (``sys.exec_prefix``, or the base
    installation of a virtual environment): ``sys.executable`` or ``sys._base_executable`` when they are there,
    else ``python.exe``, ``bin/python3.X`` or ``bin/python3`` of that prefix. The child checks that it runs this
    version with numba before it records anything (:func:`_run_one`)."""
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    prefixes = [os.path.abspath(p) for p in dict.fromkeys([sys.exec_prefix, sys.base_exec_prefix]) if p]

    def inside(path: str) -> bool:
        paths = {os.path.abspath(path), os.path.realpath(path)}
        return any(os.path.commonpath([p, prefix]) == prefix for p in paths for prefix in prefixes
                   if os.path.splitdrive(p)[0] == os.path.splitdrive(prefix)[0])

    def is_python(path: str) -> bool:
        name = os.path.basename(path or "").lower()
        return name.startswith("python") and os.path.isfile(path) and inside(path)

    candidates = [sys.executable, getattr(sys, "_base_executable", "")]
    for prefix in prefixes:
        candidates += [os.path.join(prefix, "python.exe"), os.path.join(prefix, "bin", f"python{version}"),
                       os.path.join(prefix, "bin", "python3")]
    return next((c for c in candidates if c and is_python(c)), "")


def _script_command(python: str) -> list:
    """The command that runs this file in ``python`` without ``PYTHONPATH`` (it puts the plugins folder first)."""
    return [python, os.path.abspath(__file__)]


def background_lock_path(family_folder: str, name: str) -> str:
    """The lock a background warm-up holds for its whole life, one per family (:func:`start_background`)."""
    import importlib

    return importlib.import_module(f"{PACKAGE}.algorithms._numba").background_lock_path(family_folder, name)


def background_log_path(family_folder: str) -> str:
    return os.path.join(family_folder, ".geohazard-background.log")


#: the niceness of a background compile started ``low_priority`` on POSIX (its family processes inherit it): a run
#: on the numpy path gets the cores first, the compile takes what is left (the desktop's idle warm-up: 19)
LOW_PRIORITY_NICE = 10
#: Windows' priority class of the same (``BELOW_NORMAL_PRIORITY_CLASS``; the family processes inherit it)
BELOW_NORMAL_PRIORITY_CLASS = 0x00004000


def start_background(names, folders, python: str = "", log_path: str = "", low_priority: bool = False):
    """Start compiling the kernel families ``names`` (their lock and ready files in ``folders``, one per name) in a
    detached process of this installation's Python (:func:`find_python`), its output appended to ``log_path``;
    at normal priority (a run waits for it), or with ``low_priority`` below it (a run on the numpy path meanwhile:
    :data:`LOW_PRIORITY_NICE` on POSIX, :data:`BELOW_NORMAL_PRIORITY_CLASS` on Windows). The process holds each
    family's background lock (:func:`background_lock_path`) until its warm-up ends; a family whose lock another
    background warm-up holds is left to it. On POSIX the process detaches itself (a second fork), so its CPU time is
    not counted in the caller's children.

    Returns the launcher process (waited for on POSIX: the locks are held when it returns), or None when no Python
    was found or it could not be started."""
    python = python or find_python()
    if not python:
        return None
    args = _script_command(python) + ["--detach"] + (["--low-priority"] if low_priority else [])
    for name, folder in zip(names, folders):
        args += [f"{name}={background_lock_path(folder, name)}"]
    kwargs: dict = {"stdin": subprocess.DEVNULL}
    if os.name == "nt":
        kwargs["creationflags"] = 0x00000008 | 0x00000200  # DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP
        if low_priority:
            kwargs["creationflags"] |= BELOW_NORMAL_PRIORITY_CLASS
    else:
        kwargs["start_new_session"] = True
    try:
        log = open(log_path, "ab") if log_path else subprocess.DEVNULL
    except OSError:
        log = subprocess.DEVNULL
    try:
        proc = subprocess.Popen(args, stdout=log, stderr=log, **kwargs)
    except OSError:
        return None
    finally:
        if log is not subprocess.DEVNULL:
            log.close()
    if os.name != "nt":
        proc.wait()  # the launcher returns once the detached warm-up holds its locks
    return proc


#: Linux's scheduler group of this process's session (``/autogroup-N nice K``), where the kernel has them
AUTOGROUP = "/proc/self/autogroup"


def _autogroup() -> str:
    try:
        with open(AUTOGROUP, encoding="ascii") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def _lower_priority() -> None:
    """This process (and the family processes it starts) below normal priority: its niceness, and on Linux with
    session scheduler groups (autogroups, on by default in desktop kernels) its session's group too. The launcher
    starts a session of its own, and the scheduler first shares the cores between groups, so the niceness alone
    would only rank it within its own session and leave it a whole group's share beside the user's run."""
    if hasattr(os, "nice"):
        os.nice(LOW_PRIORITY_NICE)
    if _autogroup():
        try:
            with open(AUTOGROUP, "w", encoding="ascii") as fh:
                fh.write(str(LOW_PRIORITY_NICE))
        except OSError:  # a kernel that refuses it: the niceness is still lowered
            pass


def _record_holders(specs, record: dict) -> None:
    """``record`` as the holder of each lock of ``specs`` (``name=path``), in the file beside it that
    ``algorithms._numba.lock_holder`` reads (the same format as ``_numba.write_holder``, without importing numba
    here: the caller waits for the launcher)."""
    for spec in specs:
        path = spec.partition("=")[2] + ".holder"
        tmp = f"{path}.{os.getpid()}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(record, fh)
            os.replace(tmp, path)
        except OSError:
            continue


def _detached(specs, low_priority: bool = False) -> int:
    """The ``--detach`` launcher (:func:`start_background`): lock each family, fork away on POSIX (lowering its
    priority there with ``low_priority``: Windows gave it its class at its start), warm them."""
    import datetime

    held, names = [], []
    for spec in specs:
        name, _, path = spec.partition("=")
        try:
            handle = open(path, "a+b")
        except OSError:
            continue
        try:
            if os.name == "nt":
                import msvcrt

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another background warm-up has it
            handle.close()
            continue
        held.append(handle)
        names.append(name)
    if not names:
        return 0
    # who holds the locks, for a run deciding whether to wait for it (algorithms.compile_choice): written before
    # the fork with the niceness the process takes after it, again after it with its own id
    nice = min(19, os.nice(0) + LOW_PRIORITY_NICE) if low_priority and hasattr(os, "nice") else \
        (os.nice(0) if hasattr(os, "nice") else None)
    record = {"pid": os.getpid(), "nice": nice, "below_normal": low_priority, "since": time.time(), "queue": names,
              "kind": "background"}
    _record_holders(specs, record)
    if hasattr(os, "fork") and os.fork() != 0:
        os._exit(0)  # the launcher: its child keeps the locks (the same open files)
    if low_priority:
        _lower_priority()
    _record_holders(specs, dict(record, pid=os.getpid(), nice=os.nice(0) if hasattr(os, "nice") else None))
    stamp = datetime.datetime.now().isoformat(timespec="seconds")
    nice = f", nice {os.nice(0)}" if hasattr(os, "nice") else ""
    group = _autogroup()
    nice += f", {group}" if group else ""
    print(f"[warm-up {stamp}] pid {os.getpid()}{nice}, {sys.executable} (Python {sys.version.split()[0]}): "
          f"{', '.join(names)}", flush=True)
    try:
        import importlib

        _numba = importlib.import_module(f"{PACKAGE}.algorithms._numba")
        if not _numba.HAVE_NUMBA:
            print("[warm-up] numba cannot be imported in this Python: nothing compiled", flush=True)
            return 1
        results = warm(names, skip_ready=True, env=dict(os.environ, **{BACKGROUND_ENV: "1"}))
    finally:
        for handle in held:
            handle.close()
    return 1 if any(r.get("failed") for r in results) else 0


def warm(names, jobs: int = 1, log=print, extra=(), env=None, skip_ready: bool = False) -> list:
    """Run each family of ``names`` in its own process, ``jobs`` at a time; returns each child's result (with its
    wall seconds and the CPU seconds of the whole process) in the order they end. ``skip_ready``: a family recorded
    compiled whole when its turn comes (another process compiled it meanwhile: a run, the test suite's warm-up) is
    left out, said in the log (the caller's own environment's cache)."""
    import tempfile

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    pending, running, results = list(names), {}, []
    while pending or running:
        while pending and len(running) < max(1, jobs):
            name = pending.pop(0)
            if skip_ready and _ready(name):
                log(f"[warm-up] {name}: compiled whole already (another process), skipped")
                results.append({"family": name, "skipped": True, "compiled": 0, "process_cpu_s": 0.0})
                continue
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
                f"{res['wall_s']:.1f} s" + _turn_text(res))
            results.append(res)
        if running:
            time.sleep(0.1)
    return results


def _ready(name: str) -> bool:
    import importlib

    kf = importlib.import_module(f"{PACKAGE}.algorithms.kernel_families")
    return name in kf.BY_NAME and kf.family_ready(kf.BY_NAME[name])


def _turn_text(res: dict) -> str:
    """What a family's process did about another process compiling the family (:func:`_run_one`'s note): how long
    it waited for it, and whether it compiled beside it instead, and why."""
    text = ""
    if res.get("waited_s", 0.0) >= 0.05:
        text += f"; waited {res['waited_s']:.1f} s on another process's compile"
    if res.get("beside"):
        text += f"; compiled beside pid {res['beside']} instead of waiting ({res.get('reason', '')})"
    if res.get("done_elsewhere"):
        text += "; stopped: another process compiled the family whole meanwhile"
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 warm_kernels.py",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("families", nargs="*", help="families to compile (default: all, most used first)")
    parser.add_argument("--jobs", type=int, default=1, help="processes at a time (default 1)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--python", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--detach", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--low-priority", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.detach:
        return _detached(args.families, args.low_priority)
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
    results = warm(names, jobs=args.jobs, skip_ready=True)
    cpu = sum(r.get("process_cpu_s", 0.0) for r in results)
    print(f"[warm-up] {len(names)} families in {time.monotonic() - t0:.0f} s, {cpu:.0f} CPU-s", flush=True)
    return 1 if any(r.get("failed") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
