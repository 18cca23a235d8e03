"""Every tool's and shipped model's help opens with what it does, what it needs and what it gives, in at most three
sentences a person reads at a glance (about 70 words); the inputs (``<b>...</b>``), the method and the references
follow. The opening is the text before the first blank line or the first ``<b>``."""

import os
import re
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAX_SENTENCES, MAX_WORDS = 3, 80
#: abbreviations whose full stop ends no sentence
ABBREVIATIONS = re.compile(r"\b(e\.g|i\.e|et al|vs|cf|approx|etc|Fig|No|resp)\.", re.IGNORECASE)
#: an opening says what the tool needs (its input: "from", "->", "given" ...) ...
NEEDS = re.compile(r"->|\b(from|needs?|takes?|reads?|given|opens?|compares?|between|of|in|on|onto|into)\b",
                   re.IGNORECASE)
#: ... and what it gives: a verb of making, or "<what it gives> from <what it needs>"
GIVES = re.compile(r"->|\w.*\b(from|into|onto)\b|\b(gives?|writes?|returns?|produces?|outputs?|maps?|makes?|"
                   r"creates?|opens?|draws?|lists?|flags?|classif(y|ies)|estimates?|computes?|projects?|fits?|"
                   r"inverts?|corrects?|removes?|converts?|imports?|finds?|detects?|chooses?|measures?|forecasts?|"
                   r"reports?|turns?|reveals?)\b", re.IGNORECASE)
#: where the inputs' detail starts: a bold label or a line "Inputs:"
INPUTS = re.compile(r"<b>|^Inputs?:", re.MULTILINE)


def opening(text: str) -> str:
    """The text before the first blank line or the first ``<b>``, stripped."""
    return re.split(r"\n\s*\n|<b>", text, maxsplit=1)[0].strip()


def words(text: str) -> list:
    return re.sub(r"<[^>]+>", " ", text).split()


def sentences(text: str) -> list:
    """The sentences of ``text``: split after ``.``, ``!`` or ``?`` followed by a space or the end (abbreviations and
    decimal points end none)."""
    text = ABBREVIATIONS.sub(lambda m: m.group(0)[:-1], text.strip())
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def problems(text: str) -> list:
    """What is wrong with the opening of ``text`` (empty: nothing)."""
    head = opening(text)
    out = []
    if not head:
        out.append("no opening before the inputs")
    if len(sentences(head)) > MAX_SENTENCES:
        out.append(f"{len(sentences(head))} sentences (at most {MAX_SENTENCES})")
    if len(words(head)) > MAX_WORDS:
        out.append(f"{len(words(head))} words (at most {MAX_WORDS})")
    if not NEEDS.search(head):
        out.append("names no input")
    if not GIVES.search(head):
        out.append("names no output")
    before = words(INPUTS.split(text, maxsplit=1)[0])
    if len(before) > MAX_WORDS and len(words(head)) <= MAX_WORDS:
        out.append(f"{len(before)} words before the inputs (at most {MAX_WORDS}: the method follows them)")
    return out


def _helps():
    from insar_geohazards.processing_provider.provider import algorithm_classes

    sys.path.insert(0, os.path.join(ROOT, "models"))
    try:
        import build_models
    finally:
        sys.path.remove(os.path.join(ROOT, "models"))
    tools = [(cls.NAME, cls.HELP) for cls in algorithm_classes()]
    models = [(build_models.MODEL_NAME, build_models.HELP), (build_models.SLC_MODEL_NAME, build_models.SLC_HELP),
              (build_models.CORR_MODEL_NAME, build_models.CORR_HELP)]
    return tools, models


def test_every_help_opens_with_what_the_tool_needs_and_gives(qgis_app):
    tools, models = _helps()
    assert len(tools) >= 40 and len(models) == 3
    bad = [f"{name}: {'; '.join(problems(text))}\n    {opening(text)[:200]}" for name, text in tools + models
           if problems(text)]
    assert not bad, f"{len(bad)} helps open with more than a glance:\n" + "\n".join(bad)


#: the most characters of a help's first paragraph (before the first blank line, tags left out): what the help panel
#: shows above the fold
MAX_FIRST_PARAGRAPH = 600


def first_paragraph(text: str) -> str:
    return re.sub(r"<[^>]+>", "", re.split(r"\n\s*\n", text, maxsplit=1)[0]).strip()


def test_every_help_first_paragraph_fits_above_the_fold(qgis_app):
    """An opening may end at its first ``<b>``; the paragraph around it still has to be short: the help panel shows
    the first paragraph whole before anything else."""
    tools, models = _helps()
    long = sorted((len(first_paragraph(text)), name) for name, text in tools + models
                  if len(first_paragraph(text)) > MAX_FIRST_PARAGRAPH)
    assert not long, f"first paragraphs over {MAX_FIRST_PARAGRAPH} characters: {long}"


def test_the_shipped_models_carry_that_help(qgis_app):
    """The .model3 files hold the help of the build script (the opening a person reads in the modeler)."""
    from qgis.core import QgsProcessingModelAlgorithm

    _, models = _helps()
    files = {m: os.path.join(ROOT, "models", f) for m, f in (
        ("sbastolandslideactivity", "sbas_to_landslide_activity.model3"),
        ("slcstacktotimeseries", "slc_stack_to_time_series.model3"), ("correctedsbas", "corrected_sbas.model3"))}
    for name, text in models:
        model = QgsProcessingModelAlgorithm()
        assert model.fromFile(files[name]), files[name]
        assert model.helpContent()["ALG_DESC"] == text


@pytest.mark.parametrize("text, expected", [
    ("Maps ground motion from a velocity raster. Writes classes.\n\n<b>Input</b>: ...", []),
    ("Maps ground motion from a velocity raster, e.g. EGMS. Writes classes (mm/yr, 0.5 steps). <b>Input</b>", []),
    ("One. Two. Three. Four from a raster, writes x.\n\nMore.", ["4 sentences (at most 3)"]),
    ("Maps " + "word " * 90 + "from x.", ["93 words (at most 80)"]),
    ("\n\n<b>Input</b>: a raster", ["no opening before the inputs", "names no input", "names no output"]),
    ("Maps x from y.\n\n" + "word " * 90 + "\nInputs: a raster", ["94 words before the inputs (at most 80: the "
                                                                  "method follows them)"]),
], ids=["short", "abbreviations", "four sentences", "long opening", "no opening", "long before the inputs"])
def test_the_check_counts_sentences_and_words(text, expected):
    """The check itself: abbreviations and decimal points end no sentence, the opening stops at the first blank line
    or ``<b>``, an empty opening is found."""
    assert problems(text) == expected


def test_help_pages_link_only_to_what_the_installed_plugin_holds():
    """Every relative link of every rendered help page reaches a file the installed plugin holds (another page, an
    image); a link to a file of the source repository only (BENCHMARKS.md) goes to the repository instead of to an
    ``../BENCHMARKS.html`` no install has."""
    pytest.importorskip("markdown_it", reason="docs/build_help.py needs markdown-it-py (python3-markdown-it)")
    sys.path.insert(0, os.path.join(ROOT, "docs"))
    try:
        import build_help
    finally:
        sys.path.pop(0)
    docs = os.path.join(ROOT, "docs")
    pages = sorted(n[:-3] for n in os.listdir(docs) if n.endswith(".md"))
    broken = []
    for name in pages:
        with open(os.path.join(docs, name + ".md"), encoding="utf-8") as fh:
            page = build_help.render(fh.read(), name, tuple(pages))
        for href in re.findall(r'(?:href|src)="([^"]+)"', page):
            target = href.split("#")[0]
            if not target or re.match(r"^[\w-]+:", target):
                continue
            shipped = os.path.join(docs, target[:-5] + ".md") if target.endswith(".html") else \
                os.path.join(docs, target)
            if target.startswith("..") or not os.path.exists(shipped):
                broken.append((name, href))
    assert broken == []
    page = build_help.render("# T\n\nSee [the table](../BENCHMARKS.md#interferograms) and [SBAS](timeseries.md#x).")
    assert f'href="{build_help.REPOSITORY}/blob/main/BENCHMARKS.md#interferograms"' in page
    assert 'href="timeseries.html#x"' in page


def test_a_parameters_help_calls_one_choice_the_default(qgis_app):
    """Within one parameter's part of a help (from its ``<b>label</b>`` to the next, or a paragraph), at most one
    choice is "(default)": the loadegms help called both the dated fields and Automatic so; the default is
    Automatic (which writes dated fields below 256 MB)."""
    tools, models = _helps()
    bad = [(name, part[:120]) for name, text in tools + models
           for part in re.split(r"\n\s*\n|<b>", text) if part.count("(default)") > 1]
    assert bad == []
    from qgis.core import QgsApplication

    alg = QgsApplication.processingRegistry().algorithmById("geohazard:loadegms")
    series = alg.parameterDefinition("SERIES_STORAGE")
    assert series.options()[series.defaultValue()].startswith("Auto")
    assert "<i>Automatic</i> (default)" in alg.shortHelpString()


def test_a_parameter_carries_its_part_of_the_help_as_its_tooltip(qgis_app):
    """A parameter's help (``setHelp``, shown by the dialog as its tooltip) is what the tool's help says about it:
    the paragraphs naming its ID, else those opening with its label in bold; the run-wide knobs carry their own.
    Counted over the visible input parameters of every tool: 20 of 736 had one before; at least 230 now (a help
    built on first read, a LazyText, stays unbuilt while the plugin lists its tools; the instances a dialog or a run
    creates get it)."""
    from qgis.core import QgsApplication
    from qgis.core import QgsProcessingParameterDefinition as D

    from insar_geohazards.processing_provider.inputs.declare import parameter_help

    text = ("Does a thing.\n\n<b>Land cover</b>: class codes.\n<b>Density reference</b> (DENSITY_REFERENCE, default "
            "per unit R-index): what a typed density counts.\n<b>Densities</b>: a CSV.")
    assert parameter_help(text, "LAND_COVER", "Land cover (class codes)") == "Land cover: class codes."
    assert parameter_help(text, "DENSITY_REFERENCE", "Densities count targets per km2").startswith("Density ref")
    assert parameter_help(text, "LAND_COVER_CODES", "Land-cover codes") == ""
    assert parameter_help(text, "DENSITIES", "Densities (CSV: class,density[,label])") == "Densities: a CSV."
    alg = QgsApplication.processingRegistry().algorithmById("geohazard:targetsuitability")
    assert "flat open ground" in alg.parameterDefinition("DENSITY_REFERENCE").help().lower()
    assert alg.parameterDefinition("R_INDEX").help().startswith("R-index: the R-index output of geometricdistortion")
    assert "Results are identical" in alg.parameterDefinition("THREADS").help()
    provider = QgsApplication.processingRegistry().providerById("geohazard")
    shown = [d for a in provider.algorithms() for d in a.parameterDefinitions()
             if not d.isDestination() and not d.flags() & D.Flag.FlagHidden]
    helped = [d for d in shown if d.help()]
    assert len(shown) > 700 and len(helped) >= 230, (len(shown), len(helped))
    assert not [d.name() for d in helped if re.search(r"</?[a-z]+>", d.help())]
    lazy = (("unwrap", "COHERENCE_THRESHOLD", "connected"), ("interferogramfilter", "SMOOTH_PX", "smooth"))
    for tool, pid, words in lazy:
        created = provider.algorithm(tool).create()  # the dialog's and a run's instance: its parameters carry help
        assert words in created.parameterDefinition(pid).help().lower(), (tool, pid)
        assert sum(bool(d.help()) for d in created.parameterDefinitions()) >= 4, tool
