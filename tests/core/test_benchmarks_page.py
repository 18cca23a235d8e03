"""BENCHMARKS.md is one current page that reads on a screen: at most benchmarks/render.py's MAX_PAGE_LINES lines (one
row per work at today's defaults; superseded rows leave the page), no line over its MAX_LINE characters (a long table
row keeps its short cells and gives the long ones to a note under its table), and its generated tables are what the
recorded results give (`python3 benchmarks/render.py` writes them)."""

import importlib.util
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAGE = os.path.join(ROOT, "BENCHMARKS.md")


@pytest.fixture(scope="module")
def render():
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))  # render.py imports the runner as `run`
    try:
        spec = importlib.util.spec_from_file_location("bench_render", os.path.join(ROOT, "benchmarks", "render.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(os.path.join(ROOT, "benchmarks"))
    return mod


def _page():
    with open(PAGE, encoding="utf-8") as fh:
        return fh.read()


def test_no_line_of_the_page_is_over_the_limit(render):
    long = [(n, len(line)) for n, line in enumerate(_page().splitlines(), 1) if len(line) > render.MAX_LINE]
    assert long == [], f"BENCHMARKS.md lines over {render.MAX_LINE} characters (line, length): {long}"


def test_the_page_is_one_current_page(render):
    lines = _page().splitlines()
    assert len(lines) <= render.MAX_PAGE_LINES, (
        f"BENCHMARKS.md has {len(lines)} lines (at most {render.MAX_PAGE_LINES}): keep one row per work at today's "
        "defaults (a superseded case: `table=None` in its cases.py) and move the method's prose to "
        "benchmarks/README.md")


def test_the_generated_tables_are_what_the_results_give(render):
    assert render.render(_page()) == _page(), "BENCHMARKS.md: run `python3 benchmarks/render.py`"


def test_a_long_row_keeps_its_work_and_command_and_gives_the_rest_to_a_note(render):
    cells = ["1 Mpx x 202 ifgs", "MintPy " + "-w no, 1 thread " * 10, "5.00 s", "**7.3x**", "RMS " + "2.28 " * 20,
             "-", "704 MB", "Z4", "2026-11-25", "`make bench FAMILY=timeseries CASE=sbas`"]
    row, note = render.fit_row(cells, 3, width=120)
    assert len(row) <= 120 and row.startswith("| 1 Mpx x 202 ifgs | [3] |") and row.endswith("CASE=sbas` |"), row
    assert note[0].startswith("[3] peer, settings: MintPy -w no"), note
    said = " ".join(line.strip() for line in note)
    assert f"peer, settings: {cells[1]}" in said and f"accuracy: {cells[4].strip()}" in said, said
    assert "5.00 s" in row and "**7.3x**" in row  # the short cells stay in the row
    short = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "`cmd`"]
    assert render.fit_row(short, 1) == ("| a | b | c | d | e | f | g | h | i | `cmd` |", [])


def test_notes_are_numbered_in_their_table(render):
    rest = ["o", "r", "a", "f", "m", "c", "d"]
    rows = [["w1", "pp " * 84, *rest, "`c1`"], ["w2", "p", *rest, "`c2`"], ["w3", "qq " * 84, *rest, "`c3`"]]
    lines = render.table(rows)
    assert lines[:2] == render.HEADER.split("\n")
    assert lines[2].startswith("| w1 | [1] |") and lines[3].startswith("| w2 | p |"), lines
    assert lines[4].startswith("| w3 | [2] |"), lines
    notes = " ".join(lines[6:])
    assert lines[5] == "" and all(len(line) <= render.MAX_LINE for line in lines), lines
    assert notes.startswith("[1] peer, settings: pp pp") and " [2] peer, settings: qq qq" in notes, notes
    assert notes.count("pp") == 84 and notes.count("qq") == 84, notes  # wrapped between words, nothing lost
