"""The rent-or-buy ledger of a kernel family whose numpy form is as fast as its compiled one
(algorithms/compile_ledger.py): read and added to safely (a corrupt or missing ledger counts as empty, two processes
adding at once both count), and the rule it keeps is the ski-rental one: over any sequence of runs the CPU spent
(the numpy form's extra, then the compile) stays within twice what the best choice made knowing the sequence in
advance would spend, plus one run's extra (an independent brute-force of that optimum over random sequences)."""

import json
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from testutils_seed import drawn_seed

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGINS = os.path.join(ROOT, ".build", "plugins")


def test_a_missing_or_corrupt_ledger_counts_as_empty_and_is_replaced_whole(tmp_path):
    from insar_geohazards.algorithms.compile_ledger import Ledger, add_to_ledger, ledger_path, read_ledger

    path = ledger_path(str(tmp_path), "sbas")
    assert os.path.basename(path) == ".geohazard-ledger-sbas.json"
    assert read_ledger(path) == Ledger()  # missing
    bad = [b"\x00\xff garbage", b'{"extra_cpu_s": 3.0, "ru', b"[]", b'"text"', b'{"extra_cpu_s": "3", "runs": 1}',
           b'{"extra_cpu_s": -1.0, "runs": 1}', b'{"extra_cpu_s": NaN, "runs": 1}',
           b'{"extra_cpu_s": Infinity, "runs": 1}', b'{"extra_cpu_s": 1.0, "runs": 1.5}',
           b'{"extra_cpu_s": true, "runs": 1}', b'{"extra_cpu_s": 1.0, "runs": -2}', b'{"runs": 4}', b""]
    for content in bad:
        with open(path, "wb") as fh:
            fh.write(content)
        assert read_ledger(path) == Ledger(), content
        assert add_to_ledger(path, 0.25) == Ledger(0.25, 1), content  # the corrupt one replaced, this run counted
        with open(path, encoding="utf-8") as fh:
            assert json.load(fh) == {"extra_cpu_s": 0.25, "runs": 1}
    assert add_to_ledger(path, 0.5) == Ledger(0.75, 2)
    assert add_to_ledger(path, -3.0) == Ledger(0.75, 3)  # a run cheaper compiled adds nothing, still counted
    assert add_to_ledger(path, math.nan) == Ledger(0.75, 4)
    assert read_ledger(path) == Ledger(0.75, 4)
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]  # no half-written file left
    # a folder that cannot be written (missing here; a read-only cache alike): this run's totals, no traceback
    gone = ledger_path(str(tmp_path / "missing" / "deeper"), "sbas")
    assert add_to_ledger(gone, 2.0) == Ledger(2.0, 1) and not os.path.exists(gone)
    os.mkdir(tmp_path / "as_dir.json")  # a folder where the ledger should be
    assert read_ledger(str(tmp_path / "as_dir.json")) == Ledger()
    assert add_to_ledger(str(tmp_path / "as_dir.json"), 1.0) == Ledger(1.0, 1)


WRITER = textwrap.dedent(r"""
    import sys
    sys.path.insert(0, PLUGINS)
    from insar_geohazards.algorithms.compile_ledger import add_to_ledger
    path, n, extra = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    for _ in range(n):
        add_to_ledger(path, extra)
""").replace("PLUGINS", repr(PLUGINS))


def test_two_processes_adding_at_once_both_count(tmp_path):
    """Writers in separate processes, each adding many runs as fast as it can: every run is counted once (the read
    and the replace under the ledger's lock file), the file stays a whole ledger."""
    from insar_geohazards.algorithms.compile_ledger import Ledger, ledger_path, read_ledger

    path = ledger_path(str(tmp_path), "sbas")
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    rng = np.random.default_rng(drawn_seed())
    n = [int(k) for k in rng.integers(40, 80, size=3)]
    extras = [0.25, 0.5, 1.0]  # exact in binary: the sum does not depend on the order
    procs = [subprocess.Popen([sys.executable, str(script), path, str(k), str(e)]) for k, e in zip(n, extras)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    assert read_ledger(path) == Ledger(sum(k * e for k, e in zip(n, extras)), sum(n))


def _offline_optimum(extras, buy):
    """The least CPU over a known sequence of runs: compile before the first run, or never (compiling later only
    adds the rent paid before it): brute force over every moment of compiling, 0 to len(extras)."""
    prefix = np.concatenate([[0.0], np.cumsum(extras)])
    return min([prefix[-1]] + [prefix[k] + buy for k in range(len(extras) + 1)])


def test_the_rule_spends_at_most_twice_the_best_choice_over_random_runs(tmp_path):
    """Random machines: a compile's cost, runs of random sizes (some tiny, some large), of random number; the
    ledger decides after each run whether to compile (the rule of the plugin's runs). The CPU spent (the rent paid,
    then the compile once) is within 2x of the offline optimum plus one run's extra, and no run pays rent after the
    compile; a machine whose runs never add up to the compile's cost never compiles."""
    from insar_geohazards.algorithms.compile_ledger import add_to_ledger, ledger_path, time_to_compile

    rng = np.random.default_rng(drawn_seed())
    for case in range(40):
        buy = float(rng.uniform(1.0, 60.0))
        extras = rng.lognormal(np.log(buy / rng.uniform(2.0, 300.0)), 1.0, size=int(rng.integers(1, 400)))
        path = ledger_path(str(tmp_path), f"case{case}")
        spent, compiled_at = 0.0, None
        for i, e in enumerate(extras):
            spent += e  # this run on the numpy path
            if time_to_compile(add_to_ledger(path, e), buy):
                spent += buy
                compiled_at = i
                break
        best = _offline_optimum(extras, buy)
        assert spent <= 2.0 * best + extras.max() + 1e-9, (case, spent, best)
        if extras.sum() < buy:
            assert compiled_at is None and spent == pytest.approx(extras.sum())
        else:
            assert compiled_at is not None and np.cumsum(extras)[compiled_at] >= buy
            assert compiled_at == 0 or np.cumsum(extras)[compiled_at - 1] < buy  # not one run later than due


def test_the_extra_per_run_from_the_table_and_from_the_cpu_spent():
    from insar_geohazards.algorithms import kernel_families
    from insar_geohazards.algorithms.compile_ledger import estimated_extra_cpu_s, measured_extra_cpu_s

    row = kernel_families.measured_costs()["families"]["sbas"]
    for mb in (0.0, 1.0, 25.0, 400.0):
        numpy_s = row["numpy_cpu_s_per_mb"] * mb + row.get("numpy_cpu_s_small", 0.0)
        numba_s = row["numba_cpu_s_per_mb"] * mb + row.get("numba_cpu_s_small", 0.0)
        assert estimated_extra_cpu_s(row, mb) == pytest.approx(max(0.0, numpy_s - numba_s))
    # a run of 10 CPU-s on the numpy path saves the compiled form's share of it: 1 - numba/numpy per MB
    share = 1.0 - row["numba_cpu_s_per_mb"] / row["numpy_cpu_s_per_mb"]
    assert measured_extra_cpu_s(row, 10.0) == pytest.approx(10.0 * share) and 0.0 < share < 1.0
    assert measured_extra_cpu_s({}, 10.0) == 0.0 and measured_extra_cpu_s(row, -1.0) == 0.0
