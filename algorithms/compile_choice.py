"""A first run's kernels that another process is compiling: wait for it, compile them here, or run them as numpy,
whichever ends sooner at the current load.

A process compiling a kernel family holds the family's lock file and records in it who it is
(:func:`algorithms._numba.lock_holder`: process id, niceness; a background compile also its queue of families).
:func:`progress` reads from the system how far that process got (its CPU seconds, how fast it gets CPU now, whether
it is stopped) and :func:`choose` compares three ends, each in wall seconds at this load:

* **numpy**: the run's numpy estimate at this process's share of a core;
* **compile**: the run's own compile (the tool's measured row) and its compiled run, at this process's share;
* **wait**: what the other process has left to compile at the speed it gets the CPU, then the compiled run.

A process below this one's priority (a larger niceness: the background compile beside a numpy run, the desktop's
idle warm-up) is never waited for: what it gets is what the others leave, so a wait on it is a wait on the whole
machine (a priority inversion). The same for a stopped process, or one whose measured speed is zero. Its lock is
then passed by (numba's cache saves stay whole when two processes compile one family: the saves are ordered and
locked per kernel), and the other process loads what this one saved instead of compiling it.

The share of a core follows Linux's fair scheduler: a process of weight ``w`` beside ``load`` runnable processes of
nice 0 on ``cores`` cores gets ``min(1, cores * w / (w + 1024 * load))`` of a core, with ``w = 1024 / 1.25**nice``
(the kernel's ``sched_prio_to_weight`` table, about 1.25 times per nice level). Where the holder's speed can be
measured (Linux's ``/proc``) the measure replaces the model.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from dataclasses import dataclass
from typing import Optional

from . import _numba, kernel_families

#: the weight of nice 0 in Linux's fair scheduler; each nice level divides it by about 1.25
NICE_0_WEIGHT = 1024.0
#: a process whose measured speed is below this (CPU-s per wall second) is counted as not progressing
STALLED_RATE = 1e-3
#: the shortest time over which a holder's speed is measured (shorter, a busy machine's time slices would show a
#: working process as stopped)
MIN_SAMPLE_SECONDS = 1.0
#: the least a compile still to do counts for, as a fraction of its family's measured compile (a process near the
#: end of its estimate may still have more to do: the table is measured on another day, at another load)
MIN_LEFT_FRACTION = 0.1
#: a holder that spent more than this many times its compile's measured CPU since it took the lock is not waited
#: for: it is past compiling (a run holds its family's lock while it works) or far slower than the table knows
OVERRUN = 2.0


def nice_weight(nice: float) -> float:
    """Linux's scheduler weight of a niceness (1024 at 0, 110 at 10, 15 at 19)."""
    return NICE_0_WEIGHT / 1.25 ** float(nice)


def cpu_share(load: float, cores: int, nice: float = 0.0) -> float:
    """The fraction of one core a single-threaded process of niceness ``nice`` gets beside ``load`` runnable
    processes of niceness 0 on ``cores`` cores (1.0 on an idle machine; 0.4 at load 4 on 2 cores at nice 0;
    about 0.05 there at nice 10): the cores shared in proportion to the weights, no process more than one core,
    what a process cannot use going to the others (a niced process beside one busy process on two cores gets a
    whole core)."""
    cores, others, w = max(1, int(cores)), max(0.0, float(load)), nice_weight(nice)
    per_weight = cores / (w + NICE_0_WEIGHT * others)
    if NICE_0_WEIGHT * per_weight > 1.0:  # the others get a core each: this process the cores they leave
        return min(1.0, max(cores - others, w * per_weight))
    return min(1.0, w * per_weight)


@dataclass
class Progress:
    """How far another process got with a kernel family it compiles (:func:`progress`)."""
    family: str
    pid: int = 0
    #: its niceness (None: unknown, e.g. on Windows, where ``below_normal`` tells a background's class)
    nice: Optional[float] = None
    below_normal: bool = False
    #: "background" (a detached warm-up, its queue of families before this one counted) or "compile" (a run or
    #: a warm-up compiling the family itself)
    kind: str = "compile"
    #: CPU seconds it spent on its current family so far
    done_cpu_s: float = 0.0
    #: CPU seconds it still has to compile until this family is done (its queue ahead included)
    left_cpu_s: float = 0.0
    #: CPU seconds it gets per wall second, measured (None: not measurable here)
    rate: Optional[float] = None
    stopped: bool = False
    #: spent over :data:`OVERRUN` times its compile's measured CPU since it took the lock
    overrun: bool = False
    #: (monotonic time, CPU seconds) when read: the next :func:`progress` measures the speed since then
    sample: Optional[tuple] = None

    def lower_than(self, own_nice: Optional[float]) -> bool:
        """True when this process runs below a process of niceness ``own_nice``."""
        if self.nice is not None and own_nice is not None:
            return self.nice > own_nice
        return self.below_normal

    def speed(self, load: float, cores: int) -> float:
        """CPU seconds per wall second it compiles at: measured, else modelled from its niceness and the load."""
        if self.stopped:
            return 0.0
        if self.rate is not None:
            return max(0.0, self.rate)
        nice = self.nice if self.nice is not None else (10.0 if self.below_normal else 0.0)
        return cpu_share(load, cores, nice)

    def wait_s(self, load: float, cores: int) -> float:
        """Wall seconds until it is done with the family (inf when it is stopped, gets no CPU or overran its
        compile)."""
        speed = self.speed(load, cores)
        return math.inf if speed < STALLED_RATE or self.overrun else self.left_cpu_s / speed

    def describe(self, load: float, cores: int) -> str:
        who = "a background compile" if self.kind == "background" else "another process"
        nice = f"nice {self.nice:g}" if self.nice is not None else ("below normal" if self.below_normal else
                                                                  "priority unknown")
        if self.stopped:
            state = "stopped"
        elif self.overrun:
            state = f"over {OVERRUN:g} times the family's measured compile since it took the lock"
        else:
            speed = self.speed(load, cores)
            how = "measured" if self.rate is not None else "modelled"
            state = f"{speed:.2f} CPU-s per s ({how})"
        return (f"{self.family}: {who} (pid {self.pid}, {nice}), {self.done_cpu_s:.0f} CPU-s done, "
                f"~{self.left_cpu_s:.0f} left, {state}")


@dataclass
class Choice:
    """What a run does (``numpy``, ``compile``, ``wait``), why (a sentence for the log), and the three estimates
    in wall seconds at this load (inf: not an option)."""
    mode: str
    reason: str
    numpy_s: float
    compile_s: float
    wait_s: float


def _wall(s: float) -> str:
    return "never" if math.isinf(s) else f"~{s:,.0f} s" if s >= 10 else f"~{s:.1f} s"


def choose(*, numpy_cpu_s: float, compile_cpu_s: float, run_cpu_s: float, holders, load: float, cores: int,
           own_nice: Optional[float] = 0.0) -> Choice:
    """The sooner of the numpy path, compiling here and waiting for ``holders`` (:class:`Progress` of the processes
    compiling the run's families now), in wall seconds at ``load`` on ``cores`` cores for a process of niceness
    ``own_nice``. ``numpy_cpu_s``: the numpy path's CPU seconds (inf: not an option, e.g. a warm-up, whose job is to
    compile); ``compile_cpu_s``: what this run would compile; ``run_cpu_s``: the compiled run's CPU seconds. Waiting
    is an option only when every holder runs at this process's priority or above and progresses; ties go to
    compiling here (it depends on no other process), then to numpy."""
    holders = list(holders)
    share = cpu_share(load, cores, own_nice or 0.0)
    run_s = max(0.0, run_cpu_s) / share
    numpy_s = numpy_cpu_s / share if not math.isinf(numpy_cpu_s) else math.inf
    compile_s = max(0.0, compile_cpu_s) / share + run_s
    below = [h for h in holders if h.lower_than(own_nice)]
    stalled = [h for h in holders if h not in below and math.isinf(h.wait_s(load, cores))]
    wait_s = math.inf
    if holders and not below and not stalled:
        wait_s = max(h.wait_s(load, cores) for h in holders) + run_s
    at = f"at load {load:.1f} on {cores} cores"
    estimates = f"numpy {_wall(numpy_s)}, compiling here {_wall(compile_s)}, waiting {_wall(wait_s)} {at}"
    if below:
        why = (f"not waiting for {', '.join(h.describe(load, cores) for h in below)}: it runs below this run's "
               "priority and gets only what the others leave")
    elif stalled:
        why = (f"not waiting for {', '.join(h.describe(load, cores) for h in stalled)}: it makes no progress, or is "
               "past compiling")
    elif holders:
        why = f"{'; '.join(h.describe(load, cores) for h in holders)}"
    else:
        why = "no other process compiles them"
    if wait_s < compile_s and wait_s < numpy_s:
        return Choice("wait", f"waiting is sooner ({estimates}); {why}", numpy_s, compile_s, wait_s)
    if numpy_s < compile_s:
        return Choice("numpy", f"the numpy path is sooner ({estimates}); {why}", numpy_s, compile_s, wait_s)
    return Choice("compile", f"compiling here is sooner ({estimates}); {why}", numpy_s, compile_s, wait_s)


def machine_load() -> tuple:
    """(the 1-minute load average, the cores this process may run on); (0.0, cores) where the system has no load
    average (Windows): an idle machine is then assumed, and a measured holder's speed still counts."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        load = 0.0
    return float(load), max(1, cores)


def own_niceness() -> Optional[float]:
    return float(os.nice(0)) if hasattr(os, "nice") else None


def process_times(pid: int) -> Optional[dict]:
    """A process's CPU seconds (user + system), niceness, start (seconds after boot) and whether it is stopped,
    from Linux's ``/proc``; None where it is gone or there is no ``/proc``."""
    try:
        with open(f"/proc/{int(pid)}/stat", encoding="ascii", errors="replace") as fh:
            text = fh.read()
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
    except (OSError, ValueError):
        return None
    fields = text[text.rfind(")") + 2:].split()  # after the command's name, which may hold spaces
    try:
        tick = float(os.sysconf("SC_CLK_TCK"))
        state = fields[0]
        cpu = (int(fields[11]) + int(fields[12])) / tick
        nice = float(fields[16])
        start = int(fields[19]) / tick
    except (IndexError, ValueError, OSError):
        return None
    return {"cpu_s": cpu, "nice": nice, "age_s": max(0.0, uptime - start), "stopped": state in ("T", "t"),
            "zombie": state in ("Z", "X")}


def progress(family: str, record: dict, compile_cpu_s: float, *, queue_left_cpu_s: float = 0.0,
             kind: str = "compile", previous: Optional[tuple] = None) -> Progress:
    """The :class:`Progress` of the process named by ``record`` (:func:`~algorithms._numba.lock_holder` of the
    family's lock) on ``family``, whose compile costs ``compile_cpu_s`` (the family's measured whole compile);
    ``queue_left_cpu_s``: the compiles a background has queued before it. Its speed is measured: since
    ``previous`` (``(monotonic time, CPU seconds)`` of an earlier call, what :attr:`Progress.sample` keeps) when
    given and at least :data:`MIN_SAMPLE_SECONDS` old, else since the process started; not measured where the system
    does not tell (no ``/proc``). Its CPU done counts from when it took the lock (the record's ``cpu_s``); more than
    :data:`OVERRUN` times ``compile_cpu_s`` marks it :attr:`Progress.overrun`."""
    pid = int(record.get("pid") or 0)
    nice = record.get("nice")
    p = Progress(family, pid, None if nice is None else float(nice), bool(record.get("below_normal")),
                 str(record.get("kind") or kind))
    times = process_times(pid) if pid else None
    if times is not None and not times["zombie"]:
        # its CPU since it took the lock (the record's CPU then), not its start's
        p.nice, p.stopped = times["nice"], times["stopped"]
        p.done_cpu_s = max(0.0, times["cpu_s"] - float(record.get("cpu_s") or 0.0))
        now = time.monotonic()
        if previous is not None and now - previous[0] >= MIN_SAMPLE_SECONDS:
            p.rate = max(0.0, (times["cpu_s"] - previous[1]) / (now - previous[0]))
            p.sample = (now, times["cpu_s"])
        else:  # too short a time since the last sample to tell a slow process from one between time slices
            if times["age_s"] > 0.5:
                p.rate = times["cpu_s"] / times["age_s"]
            p.sample = previous if previous is not None else (now, times["cpu_s"])
    left = max(compile_cpu_s - p.done_cpu_s, MIN_LEFT_FRACTION * compile_cpu_s)
    p.left_cpu_s = left + max(0.0, queue_left_cpu_s)
    p.overrun = p.done_cpu_s > OVERRUN * compile_cpu_s > 0.0
    return p


def family_cost(costs: dict, name: str) -> float:
    """A family's whole compile in CPU seconds as measured (``compile_costs.json``), 0 when not in the table."""
    return float(costs.get("families", {}).get(name, {}).get("compile_cpu_s", 0.0))


def family_progress(family, costs: dict, previous: Optional[dict] = None) -> Optional[Progress]:
    """The :class:`Progress` of whoever compiles ``family`` (a :class:`~algorithms.kernel_families.Family`) now: the
    holder of its compile lock, else the background compile holding its background lock (with the families its
    queue holds before this one and not ready yet); None when nobody does. ``previous``: the last call's
    :attr:`Progress.sample` per family name, to measure the speed since then. A lock whose holder recorded nothing
    (an older version, a record being written) counts as a process of normal priority, its speed modelled."""
    modules = family.modules()
    folder = _numba.family_folder(modules)
    own_path = _numba.family_lock_path(family.name, modules)
    background_path = _numba.background_lock_path(folder, family.name)
    prev = (previous or {}).get(family.name)
    record = _numba.lock_holder(own_path)
    if record:
        return progress(family.name, record, family_cost(costs, family.name), previous=prev)
    if _numba.lock_busy(own_path):
        return progress(family.name, {}, family_cost(costs, family.name))
    background = _numba.lock_holder(background_path)
    if not background:
        return progress(family.name, {}, family_cost(costs, family.name), kind="background") \
            if _numba.lock_busy(background_path) else None
    queue = [str(n) for n in background.get("queue", ())]
    ahead = [kernel_families.BY_NAME[n] for n in queue[:queue.index(family.name)] if n in kernel_families.BY_NAME] \
        if family.name in queue else []
    ahead = [f for f in ahead if not kernel_families.family_ready(f)]
    total = family_cost(costs, family.name) + sum(family_cost(costs, f.name) for f in ahead)
    for f in ahead:  # the family its process compiles now, by the child holding that family's lock
        child = _numba.lock_holder(_numba.family_lock_path(f.name, f.modules()))
        if child:
            p = progress(family.name, child, total, kind="background", previous=prev)
            p.below_normal = bool(background.get("below_normal"))
            return p
    p = progress(family.name, background, total, kind="background", previous=prev)
    p.done_cpu_s, p.left_cpu_s = 0.0, total  # the launcher's own CPU is not the compile's
    return p


#: seconds between two looks at a family's lock while a warm-up waits for another process compiling it
POLL_SECONDS = 0.5
#: seconds between two choices while a warm-up waits (the holder's speed measured over the last interval)
REDECIDE_SECONDS = 10.0


@contextlib.contextmanager
def family_turn(family, costs: dict, log=None, kind: str = "compile"):
    """A warm-up's turn at ``family`` (its job is to compile, so the numpy path is no option): with the family's
    lock when it is free or once its holder ends; without it when waiting for the holder is not sooner than
    compiling here (:func:`choose`: a holder below this process's priority, stopped or stalled, or with more left
    than this family's whole compile at this load), chosen again every :data:`REDECIDE_SECONDS` with the holder's
    speed measured meanwhile. Yields a note: ``waited_s``, ``beside`` (the pid compiled beside, 0 when none) and
    ``reason`` (the choice's sentence); ``log`` is told each choice made while waiting. ``kind`` is recorded with
    the lock (:class:`Progress`'s: ``background`` for a background compile's family process)."""
    modules = family.modules()
    t0 = time.monotonic()
    note = {"waited_s": 0.0, "beside": 0, "reason": ""}
    previous: dict = {}
    next_choice = t0
    while True:
        stack = contextlib.ExitStack()
        if stack.enter_context(_numba.family_lock(family.name, modules, wait=False, kind=kind)):
            with stack:
                note["waited_s"] = time.monotonic() - t0
                yield note
            return
        stack.close()
        now = time.monotonic()
        if kernel_families.family_ready(family):  # compiled whole meanwhile: loads it without the lock
            note["waited_s"] = now - t0
            yield note
            return
        if now >= next_choice:
            p = family_progress(family, costs, previous)
            if p is not None:
                previous[family.name] = p.sample
                load, cores = machine_load()
                choice = choose(numpy_cpu_s=math.inf, compile_cpu_s=family_cost(costs, family.name), run_cpu_s=0.0,
                                holders=[p], load=load, cores=cores, own_nice=own_niceness())
                note["reason"] = choice.reason
                if choice.mode != "wait":
                    note.update(waited_s=now - t0, beside=p.pid)
                    yield note
                    return
                if log is not None:
                    log(f"{family.name}: {choice.reason}")
            next_choice = now + REDECIDE_SECONDS
        time.sleep(POLL_SECONDS)
