"""Rent or buy: when a kernel family whose numpy form is about as fast as its compiled one is worth compiling.

A family whose numpy form costs about what its compiled form costs (:func:`~algorithms.kernel_families.numpy_as_fast`,
SBAS's solver) gains little from numba: each run on the numpy path costs only the difference of the two forms more,
while compiling the family costs its measured compile once (``compile_costs.json``'s ``compile_cpu_s``: SBAS's 39
kernels, ~48 CPU-s, against ~0.11 CPU-s more per run of the Corrected SBAS model on an 81-interferogram stack, by the
table's rates). Compiling on the first run would pay for hundreds of runs that may never come; never compiling would
pay without bound for a machine that runs the family every day. The rule here is the deterministic one of the
rent-or-buy (ski-rental) problem: keep "renting" (run the numpy form) while the extra CPU the numpy form has cost on
this machine stays below the compile's cost, and "buy" (compile the family in the background) once it reaches it.
Whatever the number of runs that follow, the CPU spent is then at most twice what the best choice made knowing them in
advance would have spent (Karlin, Manasse, Rudolph and Sleator 1988, competitive snoopy caching,
doi:10.1007/BF01762111), plus one run's extra (the compile starts as the run that makes it due ends). The bound is in
the table's figures: its compile cost and rates were measured on one machine (here SBAS's background compile took
21-22 CPU-s against the table's 48.5).

Each run's extra CPU is estimated from the measured table (the numpy form's CPU per MB of input less the compiled
form's, times the run's input) or, where the run's work is not known, from the CPU the run spent on the numpy path
times the share of it the compiled form saves (:func:`measured_extra_cpu_s`). The sum is kept per family and
cache folder in a small ledger file beside the family's cache (``.geohazard-ledger-<family>.json``), so that the
runs of every process on the machine count: it is read, added to and replaced atomically under a lock file of its
own (two runs ending at once both count), and a missing, unreadable or corrupt ledger counts as empty.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass

from . import _numba

#: the ledger's file name in the family's cache folder (``{}``: the family's name)
LEDGER_NAME = ".geohazard-ledger-{}.json"


@dataclass(frozen=True)
class Ledger:
    """What a family's numpy form has cost on this machine over its compiled form.

    Attributes
    ----------
    extra_cpu_s : float
        The CPU seconds the runs on the numpy path spent over what the compiled form would have (>= 0).
    runs : int
        The runs counted.
    """

    extra_cpu_s: float = 0.0
    runs: int = 0


def ledger_path(folder: str, name: str) -> str:
    """The ledger of family ``name`` in its cache folder ``folder``."""
    return os.path.join(folder, LEDGER_NAME.format(name))


def read_ledger(path: str) -> Ledger:
    """The ledger at ``path``; an empty one when the file is missing, unreadable or not a ledger (a value that is not
    a finite number >= 0, a count that is not a whole number >= 0)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError, UnicodeDecodeError):
        return Ledger()
    if not isinstance(data, dict):
        return Ledger()
    extra, runs = data.get("extra_cpu_s"), data.get("runs")
    if isinstance(extra, bool) or not isinstance(extra, (int, float)) or not math.isfinite(extra) or extra < 0:
        return Ledger()
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 0:
        return Ledger()
    return Ledger(float(extra), runs)


def add_to_ledger(path: str, extra_cpu_s: float) -> Ledger:
    """Add one run's ``extra_cpu_s`` (clipped to >= 0; a non-finite value counts as 0) to the ledger at ``path`` and
    return the new totals. The read and the write happen under the ledger's own lock file (``<path>.lock``), the
    write as a whole file replaced atomically, so two processes adding at once both count and a reader never sees
    half a file. Where the folder cannot be written the totals are returned all the same, not kept."""
    extra = float(extra_cpu_s) if math.isfinite(float(extra_cpu_s)) else 0.0
    extra = max(0.0, extra)
    with _numba._file_lock(path + ".lock"):
        old = read_ledger(path)
        new = Ledger(old.extra_cpu_s + extra, old.runs + 1)
        tmp = f"{path}.{os.getpid()}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump({"extra_cpu_s": new.extra_cpu_s, "runs": new.runs}, fh)
            os.replace(tmp, path)
        except OSError:
            try:
                os.remove(tmp)
            except OSError:
                pass
    return new


def estimated_extra_cpu_s(row: dict, mb: float) -> float:
    """The CPU seconds a run of ``mb`` MB of input spends on the family's numpy form over its compiled form, from the
    family's row of the measured table (``numpy_cpu_s_per_mb``, ``numba_cpu_s_per_mb`` and the fixed costs
    ``*_small``); never below 0 (on a tiny run the compiled form's fixed cost can be the larger)."""

    def rate(key):
        return float(row.get(key, 0.0) or 0.0)

    numpy_s = rate("numpy_cpu_s_per_mb") * mb + rate("numpy_cpu_s_small")
    numba_s = rate("numba_cpu_s_per_mb") * mb + rate("numba_cpu_s_small")
    return max(0.0, numpy_s - numba_s)


def measured_extra_cpu_s(row: dict, cpu_s: float) -> float:
    """The extra CPU seconds of a run whose work was not known beforehand: the CPU it spent on the numpy path
    (``cpu_s``, the whole run's: an upper bound of its kernels' part) times the share of the numpy form's cost per MB
    that the compiled form saves (``1 - numba / numpy``, from the family's row); 0 without the numpy rate."""
    numpy_mb = float(row.get("numpy_cpu_s_per_mb", 0.0) or 0.0)
    numba_mb = float(row.get("numba_cpu_s_per_mb", 0.0) or 0.0)
    if numpy_mb <= 0.0 or not math.isfinite(cpu_s) or cpu_s <= 0.0:
        return 0.0
    return cpu_s * max(0.0, 1.0 - numba_mb / numpy_mb)


def time_to_compile(ledger: Ledger, compile_cpu_s: float) -> bool:
    """Whether the family is now worth compiling: the numpy form's extra cost on this machine reached the compile's
    measured cost (the rent-or-buy rule; a family with no measured compile cost compiles at once)."""
    return ledger.extra_cpu_s >= max(0.0, float(compile_cpu_s))
