"""The progress bar moves while a first run compiles the numba kernels, and never moves backwards; the progress text
counts the kernels compiled."""

import gc

import pytest
from testutils import recording_feedback


def test_compiling_kernels_moves_the_bar_then_the_tool_takes_it_to_the_end(qgis_app, monkeypatch):
    numba = pytest.importorskip("numba", reason="numba is not installed: nothing compiles")
    from insar_geohazards.algorithms import _numba
    from insar_geohazards.processing_provider.inputs import compilation
    from insar_geohazards.processing_provider.inputs.feedback import FeedbackProgress
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
    monkeypatch.setenv("INSAR_GEOHAZARDS_COMPILE", "always")  # compiled in the run, not in the background
    monkeypatch.setattr(_numba, "first_compilation", lambda modules: True)
    monkeypatch.setattr(_numba, "kernels_to_compile", lambda modules: names + ["elsewhere.kernel"])
    from insar_geohazards.algorithms import kernel_families

    monkeypatch.setattr(kernel_families, "family_ready", lambda family: False)  # a warm-up's record counts as none
    fb = recording_feedback()
    bar = []
    fb.progressChanged.connect(bar.append)
    progress = FeedbackProgress(fb)
    with compilation.compilation_progress(SbasInversion.KERNELS, fb):
        progress.set_progress(0.0)  # the first block starts: the tool reports nothing more while it compiles
        assert probe_a(1) == 2
        assert probe_a(2) == 3  # compiled once, counted once
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
    assert fb.progress_texts == ["Compiling fast kernels, first run only...",  # the kernels compiled, counted
                                 "Compiling fast kernels, first run only: 1 of 3...",
                                 "Compiling fast kernels, first run only: 2 of 3..."]
    assert bar == sorted(bar) and bar[-1] == pytest.approx(100.0), bar
    assert all(0.0 <= v <= 100.0 for v in bar), bar
    # after the run, the tool's progress goes to the bar unchanged
    fb2 = recording_feedback()
    assert after_the_run(1) == 0 and len(fb.progress_texts) == 3  # the counter ends with the run
    plain = []
    fb2.progressChanged.connect(plain.append)
    FeedbackProgress(fb2).set_progress(30.0)
    assert plain == [30.0]


def test_without_compilation_the_bar_is_the_tools_progress(qgis_app, monkeypatch):
    from insar_geohazards.algorithms import _numba
    from insar_geohazards.processing_provider.inputs import compilation
    from insar_geohazards.processing_provider.inputs.feedback import FeedbackProgress
    from insar_geohazards.processing_provider.tools.timeseries.sbasinversion import SbasInversion

    monkeypatch.setattr(_numba, "first_compilation", lambda modules: False)
    fb = recording_feedback()
    bar = []
    fb.progressChanged.connect(bar.append)
    with compilation.compilation_progress(SbasInversion.KERNELS, fb):
        for p in (10.0, 25.0, 50.0):
            FeedbackProgress(fb, 0.0, 50.0).set_progress(p * 2)
    assert bar == [10.0, 25.0, 50.0]


def test_compiling_creeps_toward_the_compilations_share_and_never_back(qgis_app):
    """One large kernel compiles for seconds as one event: while it compiles, the ticks move the bar toward the
    end of the compilation's share, never past it; the kernel done moves it on, never back."""
    from insar_geohazards.processing_provider.inputs.feedback import CompilationShare

    fb = recording_feedback()
    bar = []
    fb.progressChanged.connect(bar.append)
    share = CompilationShare(fb, 100.0)  # weights: 60 compiled quickly, then one kernel of 40 for seconds
    share.kernel_compiled(60.0)
    assert bar[-1] == pytest.approx(24.0)  # 100 * SHARE * 60 / 100
    for _ in range(8):  # 4 s of ticks
        share.compiling_tick()
    assert len(bar) == 9 and bar == sorted(bar) and 28.0 < bar[-1] < 40.0, bar  # each tick moved it
    for _ in range(300):
        share.compiling_tick()
    assert 39.9 < bar[-1] <= 40.0, bar  # close to the share's end, not past it
    share.kernel_compiled(40.0)
    share.tool_progress(50.0)  # the tool's own progress: the compilation's share of what is left above it
    assert bar[-1] == pytest.approx(70.0), bar
    share.tool_progress(100.0)
    assert bar == sorted(bar) and bar[-1] == pytest.approx(100.0), bar


def test_each_kernels_weight_is_its_bytecode():
    pytest.importorskip("numba", reason="numba is not installed: no kernels")
    from insar_geohazards.algorithms.psds.phase_linking import kernel
    from insar_geohazards.processing_provider.inputs.compilation import kernel_weights

    big = f"{kernel.__name__}._link_chunk"  # the kernel's row chunk, most of its code
    small = f"{kernel.__name__}._write_no_data"
    w = kernel_weights([big, small, "nowhere.kernel"])
    assert w[big] > 2 * w[small] > 0
    assert w["nowhere.kernel"] == pytest.approx((w[big] + w[small]) / 2)
