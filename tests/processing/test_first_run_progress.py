"""The progress bar moves while a first run compiles the numba kernels, and never moves backwards."""

import gc

import pytest
from testutils import recording_feedback


def test_compiling_kernels_moves_the_bar_then_the_tool_takes_it_to_the_end(qgis_app, monkeypatch):
    numba = pytest.importorskip("numba", reason="numba is not installed: nothing compiles")
    from insar_geohazards.algorithms import _numba
    from insar_geohazards.processing_provider.inputs.feedback import FeedbackProgress
    from insar_geohazards.processing_provider.tools import _base
    from insar_geohazards.processing_provider.tools.timeseries.sbasinversion import SbasInversion

    @numba.njit
    def probe_a(x):
        return x + 1

    @numba.njit
    def probe_b(x):
        return x + 2

    @numba.njit
    def after_the_run(x):
        return x - 1

    names = [f"{f.py_func.__module__}.{f.py_func.__name__}" for f in (probe_a, probe_b)]
    monkeypatch.setattr(_numba, "first_compilation", lambda modules: True)
    monkeypatch.setattr(_numba, "kernels_to_compile", lambda modules: names + ["elsewhere.kernel"])
    fb = recording_feedback()
    bar = []
    fb.progressChanged.connect(bar.append)
    progress = FeedbackProgress(fb)
    with _base.compilation_progress(SbasInversion.KERNELS, fb):
        progress.set_progress(0.0)  # the first block starts: the tool reports nothing more while it compiles
        assert probe_a(1) == 2
        after_a = bar[-1]
        assert after_a > 0, bar  # compiling one kernel moved the bar
        assert probe_b(1) == 3
        assert bar[-1] > after_a, bar
        # the collector skips what the compilation left alive (full collections of numba's heap paused the desktop)
        assert gc.get_freeze_count() > 0
        progress.set_progress(1.0)  # the tool's own progress, lower than what compiling showed: no step back
        progress.set_progress(60.0)
        progress.set_progress(100.0)
    assert gc.get_freeze_count() == 0 and gc.isenabled()  # given back to the collector when the run ends
    assert bar == sorted(bar) and bar[-1] == pytest.approx(100.0), bar
    assert all(0.0 <= v <= 100.0 for v in bar), bar
    # after the run, the tool's progress goes to the bar unchanged
    fb2 = recording_feedback()
    assert after_the_run(1) == 0
    plain = []
    fb2.progressChanged.connect(plain.append)
    FeedbackProgress(fb2).set_progress(30.0)
    assert plain == [30.0]


def test_without_compilation_the_bar_is_the_tools_progress(qgis_app, monkeypatch):
    from insar_geohazards.algorithms import _numba
    from insar_geohazards.processing_provider.inputs.feedback import FeedbackProgress
    from insar_geohazards.processing_provider.tools import _base
    from insar_geohazards.processing_provider.tools.timeseries.sbasinversion import SbasInversion

    monkeypatch.setattr(_numba, "first_compilation", lambda modules: False)
    fb = recording_feedback()
    bar = []
    fb.progressChanged.connect(bar.append)
    with _base.compilation_progress(SbasInversion.KERNELS, fb):
        for p in (10.0, 25.0, 50.0):
            FeedbackProgress(fb, 0.0, 50.0).set_progress(p * 2)
    assert bar == [10.0, 25.0, 50.0]


def test_compiler_passes_move_the_bar_within_one_kernels_share(qgis_app):
    """One large kernel compiles for seconds as one event: its compiler passes move the bar, never past the
    kernel's share; the kernel's end takes the bar to the share's end."""
    from insar_geohazards.processing_provider.inputs.feedback import CompilationShare

    fb = recording_feedback()
    bar = []
    fb.progressChanged.connect(bar.append)
    share = CompilationShare(fb, 4)  # each kernel: 100 * SHARE / 4 = 10 % of the bar
    for _ in range(200):
        share.compiler_pass()
    assert len(bar) >= 20, bar  # moved in steps of at least a tenth of a percent
    assert bar == sorted(bar) and 0.0 < bar[-1] < 10.0, bar
    assert bar[-1] > 9.0, bar  # 200 passes: most of the kernel's share
    share.kernel_compiled()
    assert bar[-1] == pytest.approx(10.0)
    share.compiler_pass()  # the next kernel's first pass starts from its own share's start
    share.tool_progress(50.0)
    step = CompilationShare.PASS_STEP  # the one pass made of the second kernel
    assert bar == sorted(bar) and bar[-1] == pytest.approx(50.0 + 50.0 * 0.4 * (1 + step) / 4), bar
