"""`make test`'s time is said in one measured place: benchmarks/suite/suite_time.json (written by
benchmarks/suite/measure.py). README.md, BENCHMARKS.md and docs/architecture.md quote it word for word between their
markers (wrapped to the pages' lines), and none of them states another fresh-clone time beside it."""

import importlib.util
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def measure():
    spec = importlib.util.spec_from_file_location("suite_measure",
                                                  os.path.join(ROOT, "benchmarks", "suite", "measure.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _page(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as fh:
        return fh.read()


def test_the_three_pages_quote_the_measured_file(measure):
    data = measure.load_file()
    assert data.get("entries"), "benchmarks/suite/suite_time.json has no measurement"
    expected = measure.render(data)
    for page in measure.PAGES:
        text = _page(page)
        found = re.findall(re.escape(measure.BEGIN) + r"(.*?)" + re.escape(measure.END), text, flags=re.S)
        assert [" ".join(f.split()) for f in found] == [expected], \
            f"{page}: run `benchmarks/suite/measure.py --pages-only`"


def test_no_page_states_another_fresh_clone_time(measure):
    """Outside the markers, no sentence of the three pages gives `make test` a duration on a fresh clone."""
    claim = re.compile(r"[^.\n]*(fresh clone|make test)[^.\n]*\b\d[\d,.]*\s*(s|min|minutes)\b[^.\n]*")
    for page in measure.PAGES:
        text = re.sub(re.escape(measure.BEGIN) + r".*?" + re.escape(measure.END), "", _page(page), flags=re.S)
        stated = [m.group(0).strip() for m in claim.finditer(text)
                  if "fresh clone" in m.group(0) and "make test" in m.group(0)]
        assert stated == [], f"{page} states the suite's time outside the measured sentence: {stated}"


def test_each_entry_says_what_where_and_when(measure):
    for key, entry in measure.load_file()["entries"].items():
        assert key in ("idle", "load"), key
        assert entry["wall_s"] > 0 and entry["cpu_s"] > 0 and entry["cores"] >= 1, entry
        assert re.fullmatch(r"[0-9a-f]{7,40}", entry["commit"]) and re.fullmatch(r"\d{4}-\d\d-\d\d", entry["date"])
        assert "make test" in entry["what"], entry
        if key == "load":
            assert entry["load_min"] <= entry["load_mean"] <= entry["load_max"], entry


def test_a_make_logs_counts_and_waits_are_read_as_pytest_and_the_plugin_print_them(measure):
    """Summary lines as pytest prints them (three parts of one run), the warm-up's and a run's waits as
    warm_kernels.py and the runs' log print them."""
    log = "\n".join([
        "[warm-up] sbas: 39 kernels compiled, 60.2 CPU-s, 75.0 s; waited 2.5 s on another process's compile",
        "[warm-up] okada: 46 kernels compiled, 40.1 CPU-s, 41.0 s",
        "  Kernels ready (unwrap) after 0.8 s of waiting; this run loads them from the cache.",
        "  Not waiting any longer (10.3 s waited): this run compiles its kernels itself; ...",
        "14 passed in 3.05s",
        "=========== 2 failed, 3290 passed, 74 skipped, 3 warnings in 1500.12s (0:25:00) ===========",
        "1 passed, 1 deselected in 9.80s",
        "tests/core/test_x.py::test_y 12 passed in a loop",  # not a summary line
        "E         Not waiting any longer (99.0 s waited): a test's assertion quoting a run's log",  # not a wait
    ])
    out = measure.summarize(log)
    assert out["counts"] == {"passed": 3305, "failed": 2, "skipped": 74, "deselected": 1}, out
    assert out["waits_s"] == [10.3, 2.5, 0.8], out
