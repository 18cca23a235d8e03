"""A run on the numpy path of kernel families whose numpy form is as fast as their compiled one: each family's
rent-or-buy account (:mod:`algorithms.compile_ledger`) read when the run plans, said in its log, and settled when
it ends: the run's extra CPU added, and the family's background compile started once the sum reached its compile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from ...algorithms import _numba, compile_ledger


@dataclass
class Rent:
    """A numpy-as-fast family's account on this machine when a run planned: its ledger (``path``; ``ledger``: the
    extra CPU its numpy form cost over the compiled form so far), the compile's measured CPU seconds, this run's
    estimated extra (None: measured when the run ends, its work being unknown) and the family's row of the table."""
    family: object
    path: str
    ledger: compile_ledger.Ledger
    compile_cpu_s: float
    run_extra_s: Optional[float]
    row: dict

    @property
    def due(self) -> bool:
        """Whether the family is worth compiling already (before this run's extra)."""
        return compile_ledger.time_to_compile(self.ledger, self.compile_cpu_s)


def rents(families, costs: dict, work_bytes=None) -> list:
    """The :class:`Rent` of each of ``families`` (numpy-as-fast families on a run's numpy path): its ledger read now,
    its whole warm-up's measured compile (what the background compiles), this run's extra CPU estimated from the
    table for ``work_bytes`` (the run's input bytes; with ``numpy_s`` and ``numba_s``, the tool's own estimate of
    both paths, shared evenly between the families; None: unknown)."""
    table = costs.get("families", {})
    out = []
    for f in families:
        row = table.get(f.name, {})
        if hasattr(work_bytes, "numpy_s") and hasattr(work_bytes, "numba_s"):
            extra = max(0.0, float(work_bytes.numpy_s) - float(work_bytes.numba_s)) / len(families)
        elif work_bytes is not None:
            extra = compile_ledger.estimated_extra_cpu_s(row, int(work_bytes) / 2**20)
        else:
            extra = None
        path = compile_ledger.ledger_path(_numba.family_folder(f.modules()), f.name)
        out.append(Rent(f, path, compile_ledger.read_ledger(path), float(row.get("compile_cpu_s", 0.0)), extra, row))
    return out


def rent_text(accounts) -> str:
    """What the rent-or-buy rule chose for each :class:`Rent` of ``accounts``, for the log: the compile's cost, the
    extra CPU the numpy form has cost on this machine so far and this run's estimate; "" without accounts."""
    parts = []
    for r in accounts:
        now = f"now {r.ledger.extra_cpu_s:.1f} over {r.ledger.runs} run{'s' if r.ledger.runs != 1 else ''}"
        if r.due:
            parts.append(f"{r.family.name}: compiling would cost ~{r.compile_cpu_s:.0f} CPU-s and the numpy form has "
                         f"cost more than that on this machine ({now}), so it compiles now")
            continue
        run = (f"this run ~{r.run_extra_s:.2f} more" if r.run_extra_s is not None else
               "this run's share measured at its end")
        parts.append(f"{r.family.name}: compiling would cost ~{r.compile_cpu_s:.0f} CPU-s; it starts after "
                     f"~{r.compile_cpu_s:.0f} CPU-s of extra work on this machine ({now}; {run})")
    return "; ".join(parts)


def settle_rent(accounts, cpu_s: float, start: Callable, feedback=None) -> list:
    """After a run on the numpy path of numpy-as-fast families: add its extra CPU to each family's ledger (its
    estimate, or from ``cpu_s``, the CPU the run spent on that path, where its work was not known:
    :func:`~algorithms.compile_ledger.measured_extra_cpu_s`) and start the background compile (``start(families,
    low_priority=True)``, returning the launcher or None first) of the families whose ledger reached their compile's
    cost now, said in the log. Returns the families started."""
    due = []
    for r in accounts:
        extra = r.run_extra_s if r.run_extra_s is not None else \
            compile_ledger.measured_extra_cpu_s(r.row, cpu_s / len(accounts))
        total = compile_ledger.add_to_ledger(r.path, extra)
        if not r.due and compile_ledger.time_to_compile(total, r.compile_cpu_s):
            due.append((r, total))
    if not due:
        return []
    families = [r.family for r, _ in due]
    started = start(families, low_priority=True)[0] is not None
    if feedback is not None:
        said = "; ".join(f"{r.family.name}: ~{total.extra_cpu_s:.1f} CPU-s over {total.runs} runs against "
                         f"~{r.compile_cpu_s:.0f} of compiling" for r, total in due)
        feedback.pushInfo(f"The numpy form has now cost this machine as much CPU over the compiled one as compiling "
                          f"would ({said}): "
                          + ("compiling in the background now, below normal priority, for the later runs."
                             if started else "no Python of this installation was found to compile it in the "
                             "background; a later run tries again."))
    return families if started else []
