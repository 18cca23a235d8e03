"""fileio/base/runs.py: what a run opened is closed when it ends, however it ends, and a refused run's exception lets
go of the frames' variables (the datasets they hold) while keeping its traceback's text."""

import gc
import traceback
import weakref

import pytest


class _Opened:
    def __init__(self, name, log):
        self.name, self.log = name, log

    def close(self):
        self.log.append(self.name)


def test_what_a_run_registers_is_closed_at_its_end_last_first_even_when_it_fails():
    from insar_geohazards.fileio.base.runs import close_with_run, closed_after_run

    log = []
    a, b = _Opened("a", log), _Opened("b", log)
    with pytest.raises(ValueError), closed_after_run():
        close_with_run(a)
        close_with_run(b)
        raise ValueError("refused half-way")
    assert log == ["b", "a"]
    close_with_run(_Opened("outside", log))  # outside a run: nothing registered, nothing closed later
    with closed_after_run():
        pass
    assert log == ["b", "a"]


def test_an_item_let_go_during_the_run_is_not_kept_alive_by_it():
    from insar_geohazards.fileio.base.runs import close_with_run, closed_after_run

    log = []
    with closed_after_run():
        item = _Opened("gone", log)
        ref = weakref.ref(item)
        close_with_run(item)
        del item
        gc.collect()
        assert ref() is None  # the run holds a weak reference only
    assert log == []


def test_a_released_exception_lets_go_of_its_frames_variables_and_keeps_its_text():
    from insar_geohazards.fileio.base.runs import released

    class Dataset:
        pass

    opened = []

    def read(dataset):
        raise ValueError("a refused input")

    def run():
        dataset = Dataset()
        opened.append(weakref.ref(dataset))
        try:
            read(dataset)
        except ValueError as e:
            raise RuntimeError("the run stops") from e

    try:
        run()
    except RuntimeError as exc:
        caught = exc
    gc.collect()
    assert opened[0]() is not None  # the exception's frames (run's, read's) hold the dataset
    text = "".join(traceback.format_exception(type(caught), caught, caught.__traceback__))
    assert released(caught) is caught
    gc.collect()
    assert opened[0]() is None, "the dataset is still held by the exception's frames"
    assert "".join(traceback.format_exception(type(caught), caught, caught.__traceback__)) == text
    assert "a refused input" in text and "in read" in text
