"""Write BENCHMARKS.md's tables from the latest recorded result of each case (benchmarks/FAMILY/results.json).

Usage: python3 benchmarks/render.py [--check]
Each table stands between ``<!-- table: NAME -->`` and ``<!-- end table -->`` and lists, in cases.py order, every
case whose table is NAME and that has a record; the prose around is kept. A cell over 400 characters is refused.
``--check`` writes nothing and exits 1 when BENCHMARKS.md is not what the results give.
"""

from __future__ import annotations

import re
import sys

from run import ROOT, families, latest, load

PAGE = f"{ROOT}/BENCHMARKS.md"
HEADER = ("| work | peer, settings | ours | ratio | accuracy | floor | peak RSS | CPU | date | command |\n"
          "|---|---|---|---|---|---|---|---|---|---|")
BLOCK = re.compile(r"(<!-- table: (\S+) -->\n).*?(<!-- end table -->)", re.S)
MAX_CELL = 400


def _cell(value, where):
    text = str(value if value not in (None, "") else "-").replace("\n", " ").replace("|", "\\|")
    if len(text) > MAX_CELL:
        raise SystemExit(f"{where}: a cell of {len(text)} characters (at most {MAX_CELL}): {text[:80]}...")
    return text


def rows():
    """{table name: [row, ...]} from every family's cases and latest records."""
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
            tables.setdefault(case.get("table", family), []).append(
                "| " + " | ".join(_cell(v, where) for v in line) + " |")
    return tables


def render(text):
    tables = rows()
    seen = set()

    def block(m):
        seen.add(m.group(2))
        return m.group(1) + "\n".join([HEADER] + tables.get(m.group(2), [])) + "\n" + m.group(3)

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
