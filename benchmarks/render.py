"""Write BENCHMARKS.md's tables from the latest recorded result of each case (benchmarks/FAMILY/results.json).

Usage: python3 benchmarks/render.py [--check]
Each table stands between ``<!-- table: NAME -->`` and ``<!-- end table -->`` and lists, in cases.py order, every
case whose table is NAME and that has a record; the prose around is kept. A cell over 400 characters is refused.
No line of the page is over ``MAX_LINE`` characters: a row that would be longer keeps its short cells and gives its
longest ones, in full, to a note under the table (``[n]`` in the cell, ``[n] column: text`` below: the table's notes
in one paragraph, wrapped).
``--check`` writes nothing and exits 1 when BENCHMARKS.md is not what the results give.
"""

from __future__ import annotations

import re
import sys
import textwrap

from run import ROOT, families, latest, load

PAGE = f"{ROOT}/BENCHMARKS.md"
HEADER = ("| work | peer, settings | ours | ratio | accuracy | floor | peak RSS | CPU | date | command |\n"
          "|---|---|---|---|---|---|---|---|---|---|")
BLOCK = re.compile(r"(<!-- table: (\S+) -->\n).*?(<!-- end table -->)", re.S)
MAX_CELL = 400
#: the longest line of the page and the page's length (tests/core/test_benchmarks_page.py)
MAX_LINE = 200
MAX_PAGE_LINES = 400
COLUMNS = ("work", "peer, settings", "ours", "ratio", "accuracy", "floor", "peak RSS", "CPU", "date", "command")


def _cell(value, where):
    text = str(value if value not in (None, "") else "-").replace("\n", " ").replace("|", "\\|")
    if len(text) > MAX_CELL:
        raise SystemExit(f"{where}: a cell of {len(text)} characters (at most {MAX_CELL}): {text[:80]}...")
    return text


def fit_row(cells, number, width=MAX_LINE, columns=COLUMNS):
    """``(row, note lines)``: the row's cells joined, its longest cells moved to note ``number`` until the row fits in
    ``width`` characters (the work that names the row last, the command never); no note when it fits as it is."""
    cells, mark, moved = list(cells), f"[{number}]", {}

    def line():
        return "| " + " | ".join(cells) + " |"

    for i in sorted(range(len(cells) - 1), key=lambda i: (i == 0, -len(cells[i]), i)):
        if len(line()) <= width:
            break
        if len(cells[i]) > len(mark):
            moved[i], cells[i] = cells[i], mark
    if not moved:
        return line(), []
    said = "; ".join(f"{columns[i] if i < len(columns) else i}: {moved[i]}" for i in sorted(moved))
    return line(), [f"{mark} {said}"]


def table(rows_cells, header=HEADER, width=MAX_LINE, columns=COLUMNS):
    """A table's lines: the header, each row fitted, then the notes of the rows that needed one, in one paragraph
    (``[1] ... [2] ...``) wrapped to ``width``."""
    lines, notes = header.split("\n"), []
    for cells in rows_cells:
        row, note = fit_row(cells, len(notes) + 1, width, columns)
        lines.append(row)
        notes += note
    if not notes:
        return lines
    return lines + [""] + textwrap.wrap(" ".join(notes), width, break_long_words=False, break_on_hyphens=False)


def rows():
    """{table name: [cells of a row, ...]} from every family's cases and latest records."""
    tables = {}
    for family in families():
        records = latest(family)
        for case in load(family).CASES:
            rec = records.get(case["name"])
            if rec is None or case.get("table", family) is None:
                continue
            cells = rec["cells"]
            where = f"{family}/{case['name']}"
            line = [case["measures"], cells.get("peer", case["peer"]), cells.get("ours"), cells.get("ratio"),
                    cells.get("accuracy"), cells.get("floor"), cells.get("peak_rss"), cells.get("cpu"),
                    cells.get("date"), f"`make bench FAMILY={family} CASE={case['name']}`"]
            tables.setdefault(case.get("table", family), []).append([_cell(v, where) for v in line])
    return tables


def render(text):
    tables = rows()
    seen = set()

    def block(m):
        seen.add(m.group(2))
        return m.group(1) + "\n".join(table(tables.get(m.group(2), []))) + "\n" + m.group(3)

    text = BLOCK.sub(block, text)
    lost = sorted(set(tables) - seen)
    if lost:
        raise SystemExit(f"BENCHMARKS.md has no `<!-- table: NAME -->` for {', '.join(lost)}")
    return text


def main(argv):
    with open(PAGE, encoding="utf-8") as f:
        old = f.read()
    new = render(old)
    if "--check" in argv:
        return 0 if new == old else 1
    with open(PAGE, "w", encoding="utf-8") as f:
        f.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
