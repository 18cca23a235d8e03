"""The plugin's sizes are said in one measured place, scripts/sizes.py: README.md and docs/architecture.md quote its
sentence between their <!-- sizes --> markers, and the figures they quote stay within its tolerance of today's tree
(`python3 scripts/sizes.py --write-pages` writes them again)."""

import importlib.util
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def sizes():
    spec = importlib.util.spec_from_file_location("plugin_sizes", os.path.join(ROOT, "scripts", "sizes.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def today(sizes):
    return sizes.measure()


def _page(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as fh:
        return fh.read()


def test_the_pages_quote_sizes_within_the_tolerance_of_the_tree(sizes, today):
    for page in sizes.PAGES:
        assert sizes.disagreements(_page(page), today) == [], f"{page}: run `python3 scripts/sizes.py --write-pages`"
    assert len({sizes.quoted(_page(page))[0] for page in sizes.PAGES}) == 1, "the pages quote different sentences"


def test_lines_are_counted_as_wc_counts_them(sizes, today):
    files = sorted(sizes._python_files("ui"))
    wc = subprocess.run(["wc", "-l", *files], capture_output=True, text=True, check=True).stdout
    assert today["ui"]["lines"] == int(wc.splitlines()[-1].split()[0])


def test_a_stale_or_altered_sentence_is_named(sizes, today):
    sentence = sizes.render(today, "2026-01-01")
    page = f"x {sizes.BEGIN}{sentence}{sizes.END} y"
    assert sizes.disagreements(page, today) == []
    grown = {floor: dict(v) for floor, v in today.items()}
    grown["algorithms"]["lines"] = round(today["algorithms"]["lines"] * 1.3)  # the tree grew by 30 % since
    assert any("algorithms/ lines" in d for d in sizes.disagreements(page, grown)), grown
    assert sizes.disagreements(page.replace("`ui/`", "`dock/`"), today) == [
        "the sizes sentence is not the one scripts/sizes.py writes"]
    assert sizes.disagreements(page + page, today) == ["2 sizes sentences (one expected)"]
    help_k = sizes._k(today["processing_provider"]["help"])
    assert sizes.disagreements(page.replace(f"are {help_k}", "are 0.1k"), today) != []
