"""Another process holding a kernel family's compile lock, as the background compile of a numpy run, the desktop's
warm-up or another run hold it: started at a given niceness, it takes the lock (recording itself as the plugin's
processes do), says so, then sleeps (a starved or stopped compile) or spins the CPU for a while (a compile that
progresses) and, when told, records the family compiled whole before it lets the lock go."""

import os
import signal
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLUGINS = os.path.join(ROOT, ".build", "plugins")

HOLDER = textwrap.dedent(r"""
    import os, sys, time
    sys.path.insert(0, PLUGINS)
    from insar_geohazards.algorithms import _numba, kernel_families
    nice, name, folder, spin_s, before_s = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4]), \
        float(sys.argv[5])


    def spin(seconds):
        t0 = time.process_time()
        while time.process_time() - t0 < seconds:
            pass


    if nice:
        os.nice(nice)
    family = kernel_families.BY_NAME[name]
    if folder != "-":  # the lock and ready files in the test's folder, as the test process has them
        _numba.family_folder = lambda modules: folder
    with _numba.family_lock(name, family.modules()):
        spin(before_s)
        print("locked", flush=True)
        if spin_s <= 0:
            while True:
                time.sleep(0.05)
        spin(spin_s)
        kernel_families.mark_ready(family)
""").replace("PLUGINS", repr(PLUGINS))


class Holders:
    """Start holder processes (:meth:`start`) and end them all (:meth:`close`: killed, a stopped one too)."""

    def __init__(self, folder):
        self.folder, self.procs = folder, []

    def start(self, family: str, nice: int = 0, lock_folder: str = "-", spin_s: float = 0.0, before_s: float = 0.0,
              env=None):
        """A process holding ``family``'s lock (in ``lock_folder``, or ``-``: the environment's cache), at niceness
        ``nice``, returned once it holds it and spun ``before_s`` CPU seconds (its compile done so far); then,
        ``spin_s`` > 0: it spins that many CPU seconds, records the family ready and ends; else it sleeps until
        killed."""
        script = os.path.join(str(self.folder), "holder.py")
        with open(script, "w", encoding="utf-8") as fh:
            fh.write(HOLDER)
        proc = subprocess.Popen([sys.executable, script, str(nice), family, str(lock_folder), str(spin_s),
                                 str(before_s)],
                                stdout=subprocess.PIPE, text=True, env=env)
        self.procs.append(proc)
        line = proc.stdout.readline().strip()
        assert line == "locked", f"the holder did not take the lock: {line!r}"
        return proc

    @staticmethod
    def stop(proc):
        """Stop the holder (SIGSTOP), returned once the system says it is stopped."""
        os.kill(proc.pid, signal.SIGSTOP)
        os.waitpid(proc.pid, os.WUNTRACED)  # reports the stop (the child is not reaped)

    def close(self):
        for proc in self.procs:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                os.kill(proc.pid, signal.SIGCONT)
            proc.wait()
            proc.stdout.close()
