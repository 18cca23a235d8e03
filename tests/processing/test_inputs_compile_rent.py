"""A first run of a kernel family whose numpy form is measured as fast as its compiled one (SBAS's solver, the
shipped table): it runs as numpy and starts no background compile; the extra CPU its numpy form costs over the
compiled one is added up run after run in the family's ledger, and the compile starts in the background (below
normal priority) at the end of the first run that brings the sum to the family's measured compile, then at the
start of every later run until the family is compiled. The log says which and why. Families whose numpy form is
slower keep compiling behind their first run at once; ``never`` writes no ledger."""

import os

import numpy as np
import pytest
from testutils import recording_feedback
from testutils_seed import drawn_seed

SBAS = ("timeseries.sbas",)


@pytest.fixture
def cold_in_tmp(qgis_app, cold_kernels, monkeypatch, tmp_path):
    """Every family cold, its lock, ready and ledger files in ``tmp_path``, background compiles recorded (families,
    low priority) instead of started."""
    from insar_geohazards.algorithms import _numba
    from insar_geohazards.processing_provider.inputs import compilation

    monkeypatch.setattr(_numba, "family_folder", lambda modules: str(tmp_path))
    started = []

    def start(families, low_priority=False):
        started.append(([f.name for f in families], low_priority))
        return object(), ""

    monkeypatch.setattr(compilation, "_start_background", start)
    return started


def _run(kernels, work, monkeypatch=None):
    from insar_geohazards.processing_provider.inputs import compilation

    fb = recording_feedback()
    with compilation.compilation_progress(kernels, fb, work):
        pass
    return fb


def _extra(row, mb):
    """The numpy form's CPU over the compiled form's for ``mb`` MB, by the table's rates and fixed costs."""
    numpy_s = row["numpy_cpu_s_per_mb"] * mb + row.get("numpy_cpu_s_small", 0.0)
    numba_s = row["numba_cpu_s_per_mb"] * mb + row.get("numba_cpu_s_small", 0.0)
    return max(0.0, numpy_s - numba_s)


def test_runs_of_sbas_compile_it_only_once_their_numpy_form_has_cost_the_compile(cold_in_tmp, tmp_path):
    from insar_geohazards.algorithms import kernel_families

    started = cold_in_tmp
    costs = kernel_families.measured_costs()
    assert kernel_families.numpy_as_fast("sbas", costs)
    row = costs["families"]["sbas"]
    buy = row["compile_cpu_s"]
    rng = np.random.default_rng(drawn_seed())
    # runs of random sizes, a few to a dozen of them before the sum reaches the compile
    per_mb = row["numpy_cpu_s_per_mb"] - row["numba_cpu_s_per_mb"]
    sizes = rng.uniform(buy / 12, buy / 3, size=40) / per_mb
    total, due_at = 0.0, None
    for i, mb in enumerate(sizes):
        fb = _run(SBAS, int(mb * 2**20))
        extra = _extra(row, int(mb * 2**20) / 2**20)
        if i == 0:  # the first run on a fresh install: numpy, no compile behind it, and the log says why
            assert started == [], fb.text
            assert "this run runs them as numpy (their numpy form is measured as fast as the compiled one (sbas: " \
                   f"compiling would cost ~{buy:.0f} CPU-s; it starts after ~{buy:.0f} CPU-s of extra work on " \
                   f"this machine (now 0.0 over 0 runs; this run ~{extra:.2f} more))" in fb.text, fb.text
            assert "They compile in the background meanwhile" not in fb.text
        total += extra
        if total < buy:
            assert started == [], (i, total, buy)
            assert f"(now {total - extra:.1f} over {i} run{'s' if i != 1 else ''}; " in fb.text, fb.text
            continue
        due_at = i
        break
    assert due_at is not None and due_at >= 2
    assert started == [(["sbas"], True)]  # at the end of the run that made it due, below normal priority
    assert f"(sbas: ~{total:.1f} CPU-s over {due_at + 1} runs against ~{buy:.0f} of compiling): compiling in the " \
           "background now, below normal priority, for the later runs." in fb.text, fb.text
    # a later run while the family is still not compiled: due already, its compile starts with the run
    fb = _run(SBAS, 2**20)
    assert started == [(["sbas"], True)] * 2
    assert "so it compiles now" in fb.text and "They compile in the background meanwhile" in fb.text, fb.text
    assert "compiling in the background now" not in fb.text  # said once, by the run that made it due


def test_a_run_whose_work_is_unknown_counts_the_cpu_it_spent(cold_in_tmp, monkeypatch):
    """Without the run's input size the extra is the CPU the run spent on the numpy path times the share the
    compiled form saves (the table's rates): a run of ~3 compiles' worth of CPU makes it due at once."""
    from insar_geohazards.algorithms import compile_ledger, kernel_families
    from insar_geohazards.processing_provider.inputs import compilation

    started = cold_in_tmp
    row = kernel_families.measured_costs()["families"]["sbas"]
    share = 1.0 - row["numba_cpu_s_per_mb"] / row["numpy_cpu_s_per_mb"]
    cpu = 0.4 * row["compile_cpu_s"] / share  # each run: 0.4 compile's worth of extra

    class Clock:
        t = 0.0

        @classmethod
        def process_time(cls):
            cls.t += cpu  # read at the block's start and end: ``cpu`` apart
            return cls.t

    monkeypatch.setattr(compilation, "time", Clock)
    fb = _run(SBAS, None)
    assert "this run's share measured at its end" in fb.text and started == [], fb.text
    rent = compilation.plan_compilation(SBAS, None).rent[0]
    assert rent.ledger.runs == 1 and rent.ledger.extra_cpu_s == pytest.approx(0.4 * row["compile_cpu_s"])
    _run(SBAS, None)
    assert started == []
    _run(SBAS, None)  # 1.2 compiles' worth: due at its end
    assert started == [(["sbas"], True)]
    assert compile_ledger.read_ledger(rent.path).runs == 3


def test_the_other_paths_keep_their_behaviour(cold_in_tmp, monkeypatch, tmp_path):
    """A small run of a family whose numpy form is much slower (distortion) still starts its compile behind it at
    once and writes no ledger; INSAR_GEOHAZARDS_COMPILE=never starts nothing and writes no ledger; a failed run on
    the numpy path adds nothing."""
    from insar_geohazards.processing_provider.inputs import compilation

    started = cold_in_tmp
    _run(("geometry.distortion",), 1)
    assert started == [(["distortion"], True)]
    monkeypatch.setenv("INSAR_GEOHAZARDS_COMPILE", "never")
    fb = _run(SBAS, 10 * 2**20)
    assert "INSAR_GEOHAZARDS_COMPILE=never" in fb.text and started == [(["distortion"], True)]
    assert not [f for f in os.listdir(tmp_path) if "ledger" in f]
    monkeypatch.delenv("INSAR_GEOHAZARDS_COMPILE")
    with pytest.raises(RuntimeError), compilation.compilation_progress(SBAS, recording_feedback(), 10 * 2**20):
        raise RuntimeError("the run failed")
    assert not [f for f in os.listdir(tmp_path) if "ledger" in f]
    _run(SBAS, 10 * 2**20)
    assert [f for f in os.listdir(tmp_path) if f.endswith(".json")] == [".geohazard-ledger-sbas.json"]
    assert started == [(["distortion"], True)]
