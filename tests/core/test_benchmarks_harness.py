"""The benchmarks are a harness plus cases: every family's cases load, every script is reachable from a case, no
page names a benchmark file that is gone or a family or case that is not there, BENCHMARKS.md's tables are what the
recorded results give, and benchmarks/ stays under its size limit."""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "benchmarks")
sys.path.insert(0, BENCH)

import render  # noqa: E402
import run  # noqa: E402


def _scripts():
    out = subprocess.run(["git", "-C", ROOT, "ls-files", "-co", "--exclude-standard", "benchmarks"],
                         capture_output=True, text=True, check=True).stdout.split()
    return [p for p in out if p.endswith((".py", ".sh"))]


#: What a line ceiling on benchmarks/ was meant to protect, tested directly: no script a reader cannot take in (a file
#: of at most MAX_FILE_LINES lines), and no code written twice (no run of REPEAT_LINES statement lines, blank and
#: comment lines left out, found at two places of the harness). Writing code densely to fit a number is not asked.
MAX_FILE_LINES = 500
REPEAT_LINES = 10
_CLOSERS = (")", "]", "}", '"""', "'''")


def _statement_lines(path):
    lines = (ln.strip() for ln in open(os.path.join(ROOT, path), encoding="utf-8"))
    return [ln for ln in lines if ln and not ln.startswith("#") and ln not in _CLOSERS]


def test_benchmark_scripts_stay_readable_and_say_each_thing_once():
    """The .py and .sh files git tracks under benchmarks/: each at most MAX_FILE_LINES lines (``wc -l``), and no
    REPEAT_LINES consecutive statement lines repeated anywhere in the harness (a copied block belongs in a helper of
    common.py or the family's own module)."""
    out = subprocess.run(["git", "-C", ROOT, "ls-files", "benchmarks"], capture_output=True, text=True,
                         check=True).stdout.split()
    files = [p for p in out if p.endswith((".py", ".sh")) and os.path.isfile(os.path.join(ROOT, p))]
    assert files, "no benchmark script found"
    sizes = {p: open(os.path.join(ROOT, p), "rb").read().count(b"\n") for p in files}
    long = {p: n for p, n in sizes.items() if n > MAX_FILE_LINES}
    assert not long, f"benchmark scripts over {MAX_FILE_LINES} lines: {long}"
    where, repeated = {}, []
    for p in files:
        lines = _statement_lines(p)
        for i in range(len(lines) - REPEAT_LINES + 1):
            key = "\n".join(lines[i:i + REPEAT_LINES])
            first = where.setdefault(key, (p, i))
            if first[0] != p or i - first[1] >= REPEAT_LINES:
                repeated.append(f"{first[0]} and {p}: {lines[i][:60]!r} ...")
    assert not repeated, f"code written twice in benchmarks/: {sorted(set(repeated))[:5]}"


def test_every_family_declares_its_cases():
    fams = run.families()
    assert {"psds", "timeseries", "unwrap", "faults"} <= set(fams)
    for family in fams:
        module = run.load(family)
        assert module.ABOUT and module.CASES, family
        names = {c["name"] for c in module.CASES}
        for c in module.CASES:
            assert c.get("part_of", c["name"]) in names, (family, c["name"])
            assert "part_of" in c or c["run"].strip(), (family, c["name"])


def test_every_script_is_reachable_from_a_case():
    """From the cases' commands, follow the files each reachable file names or imports (siblings and
    benchmarks/'s own); a folder put on a path (``timeline``) reaches its files."""
    scripts = _scripts()
    texts = {p: open(os.path.join(ROOT, p), encoding="utf-8").read() for p in scripts}
    todo = [f"benchmarks/{f}/cases.py" for f in run.families()] + ["benchmarks/run.py", "benchmarks/render.py",
                                                                    "benchmarks/setup_env.sh"]
    seen = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        text, here = texts.get(path, ""), os.path.dirname(path)
        for other in scripts:
            folder, base = os.path.split(other)
            near = folder in (here, "benchmarks") or os.path.dirname(folder) == here
            named = re.search(rf"(?<![\w.-]){re.escape(base)}\b", text) or other[len("benchmarks/"):] in text
            imported = other.endswith(".py") and re.search(rf"\b(import|from) {base[:-3]}\b", text)
            on_path = folder != here and os.path.dirname(folder) == here and f'"{os.path.basename(folder)}"' in text
            if other not in seen and near and (named or imported or on_path):
                todo.append(other)
    assert sorted(set(scripts) - seen) == []


def test_no_page_names_a_benchmark_file_that_is_gone():
    cited = re.compile(r"benchmarks/(?!x/)[\w/]+\.(?:py|sh|cfg)\b")  # benchmarks/x/: the pages' placeholder family
    missing = set()
    for top in ("docs", "tests", "algorithms", "fileio", "processing_provider", "ui", "demo", "benchmarks"):
        for folder, _dirs, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                if name.endswith((".md", ".py", ".sh")):
                    text = open(os.path.join(folder, name), encoding="utf-8", errors="replace").read()
                    missing |= {m for m in cited.findall(text) if not os.path.exists(os.path.join(ROOT, m))}
    for name in ("BENCHMARKS.md", "Makefile"):
        text = open(os.path.join(ROOT, name), encoding="utf-8").read()
        missing |= {m for m in cited.findall(text) if not os.path.exists(os.path.join(ROOT, m))}
    assert sorted(missing) == []


#: Other tools' scripts the pages name (MintPy, LiCSBAS, GDAL, ISCE): not benchmark files.
OTHER_TOOLS = {"gdal_edit.py", "geocode.py", "geocodeGdal.py", "ifgram_inversion.py", "invers_disp2coef.py",
               "LiCSBAS01_get_geotiff.py", "LiCSBAS13_sb_inv.py", "LiCSBAS16_filt_ts.py", "modify_network.py",
               "prep_aria.py", "prep_nisar.py", "save_gdal.py", "save_hdfeos5.py", "timeseries2velocity.py"}


def test_no_page_cites_a_benchmark_script_that_is_gone():
    """A script cited in backticks on BENCHMARKS.md or a docs page as ``FAMILY/name.py`` (FAMILY a benchmarks
    family, with or without ``benchmarks/``; not a path of the product such as ``psds/ps.py``) is that
    family's file; a bare ``name.py`` is a file of the repository or another tool's script (:data:`OTHER_TOOLS`)."""
    tracked = subprocess.run(["git", "-C", ROOT, "ls-files"], capture_output=True, text=True,
                             check=True).stdout.split()
    bases, fams = {os.path.basename(p) for p in tracked}, run.families()
    docs = os.path.join(ROOT, "docs")
    pages = [os.path.join(docs, n) for n in os.listdir(docs) if n.endswith(".md")]
    missing = set()
    for page in pages + [os.path.join(ROOT, "BENCHMARKS.md"), os.path.join(BENCH, "README.md")]:
        text = open(page, encoding="utf-8").read()
        for cited in re.findall(r"`(?:benchmarks/)?([\w/.-]*?[\w-]+\.py)(?![\w.])[^`]*`", text):
            folder, name = os.path.split(cited)
            elsewhere = any(p == cited or p.endswith("/" + cited) for p in tracked)
            if folder in fams and not elsewhere and not os.path.isfile(os.path.join(BENCH, cited)):
                missing.add((os.path.basename(page), cited))
            elif not folder and name not in bases | OTHER_TOOLS:
                missing.add((os.path.basename(page), cited))
    assert sorted(missing) == []


def test_every_make_bench_command_names_a_family_and_its_case():
    """``make bench FAMILY=x [CASE=y]`` on BENCHMARKS.md and the docs pages: x has a cases.py and y is one of its
    cases (a case measured as part of another runs that one)."""
    docs = os.path.join(ROOT, "docs")
    pages = [os.path.join(docs, n) for n in os.listdir(docs) if n.endswith(".md")]
    pages += [os.path.join(ROOT, "BENCHMARKS.md"), os.path.join(BENCH, "README.md")]
    fams = run.families()
    wrong = set()
    for page in pages:
        for family, case in re.findall(r"make bench FAMILY=(\w+)(?: CASE=(\w+))?", open(page, encoding="utf-8").read()):
            if family not in fams or case and case not in {c["name"] for c in run.load(family).CASES}:
                wrong.add((os.path.basename(page), family, case))
    assert sorted(wrong) == []


def test_benchmarks_page_tables_are_the_recorded_results():
    with open(render.PAGE, encoding="utf-8") as f:
        page = f.read()
    assert render.render(page) == page, "run `make bench-tables` (benchmarks/render.py)"
    assert not re.search(r"\| before[ :]", page)
