"""The optional packages' notice: what is missing, what it costs and how to install it, once per QGIS profile,
plugin version and QGIS version in the desktop; in the first tool run's log without the desktop."""

import pytest
from testutils_desktop import Iface


def test_the_notice_names_each_missing_package_its_cost_and_install_line():
    from insar_geohazards.algorithms import optional

    assert optional.notice([]) == ""
    text = optional.notice(["numba", "sklearn", "h5py", "matplotlib"])
    for name in ("numba", "sklearn", "h5py", "matplotlib"):
        assert optional.PACKAGES[name][0] in text and optional.install_line(name) in text, name
    assert "same results" in text and "susceptibility" in text and "charts" in text and "MintPy" in text
    assert "dask" not in text


def test_the_numba_cost_is_said_tool_by_tool_from_the_measured_table():
    """Without numba the notice gives each tool's own slowdown (its family's numpy / compiled CPU per MB in
    compile_costs.json, read here by hand), from the smallest to the largest, never one figure for every tool; a
    family of helpers no tool lists (the dense eigen-solvers, inside the multi-sensor rate) is not quoted; families
    whose compiled form is too fast to measure per MB are said to cost about the same; without a caller's text the
    notice quotes the table's range and points to each run's own estimate."""
    import json
    import re

    from insar_geohazards.algorithms import kernel_families, optional

    with open(kernel_families.COSTS_FILE, encoding="utf-8") as fh:
        rows = json.load(fh)["families"]
    text = optional.notice(["numba"], numba_cost=kernel_families.numba_notice_cost)
    shown = []
    for family in kernel_families.FAMILIES:
        row = rows[family.name]
        if not family.words:
            assert family.name == "dense", family.name  # every other family is some tool's own
            continue
        if row["numba_cpu_s_per_mb"] > 0:
            ratio = row["numpy_cpu_s_per_mb"] / row["numba_cpu_s_per_mb"]
            said = f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.1f}x"
            assert f"{family.words} about {said}" in text, (family.name, text)
            shown.append((ratio, family.words))
        else:
            assert row["numpy_cpu_s_per_mb"] <= kernel_families.FREE_S_PER_MB, family.name
            assert re.search(re.escape(family.words) + r"[^;.]* about the same", text), (family.name, text)
    assert len(shown) >= 8
    # in the order of their slowdown, from the least to the most
    positions = [text.index(words + " about") for _, words in sorted(shown)]
    assert positions == sorted(positions), text
    dense = rows["dense"]["numpy_cpu_s_per_mb"] / rows["dense"]["numba_cpu_s_per_mb"]
    assert f"{dense:.0f}x" not in text and "median" not in text
    assert "each run's log gives its own estimate" in text
    ratios = [r["numpy_cpu_s_per_mb"] / r["numba_cpu_s_per_mb"] for r in rows.values()
              if r.get("numba_cpu_s_per_mb", 0) > 0 and r.get("numpy_cpu_s_per_mb", 0) > 0]
    plain = optional.notice(["numba"])
    assert f"{min(ratios):.1f}x to {max(ratios):.0f}x slower by kernel family" in plain
    assert "each run's log gives its own estimate" in plain


def test_every_family_a_tool_lists_has_words_for_the_notice():
    """The notice names the tools by the families' words: every family some tool's KERNELS names has them."""
    import glob
    import os
    import re

    from insar_geohazards.algorithms import kernel_families

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    modules = set()
    for path in glob.glob(os.path.join(root, "processing_provider", "tools", "**", "*.py"), recursive=True):
        with open(path, encoding="utf-8") as fh:
            for group in re.findall(r"(?:kernels=|OKADA_KERNELS = )\(([^)]*)\)", fh.read()):
                modules.update(re.findall(r"\"([a-z_.]+)\"", group))
    used = kernel_families.families_of(modules)
    assert len(used) >= 10 and all(f.words for f in used), [f.name for f in used if not f.words]


@pytest.fixture
def fresh_notice(qgis_app, monkeypatch):
    from qgis.PyQt.QtCore import QSettings

    from insar_geohazards.algorithms import optional
    from insar_geohazards.ui import optional_notice

    QSettings().remove(optional_notice.SETTINGS_KEY)
    monkeypatch.setitem(optional._NOTICE, "given", False)
    yield optional, optional_notice
    QSettings().remove(optional_notice.SETTINGS_KEY)


def test_the_desktop_shows_it_once_per_profile_and_version(fresh_notice, monkeypatch):
    from qgis.PyQt.QtCore import QSettings

    optional, optional_notice = fresh_notice
    monkeypatch.setattr(optional, "missing_packages", lambda: ["h5py", "matplotlib"])
    iface = Iface()
    optional_notice.OptionalPackagesPart(iface).init_gui()
    assert len(iface.bar.messages) == 1
    title, text, _, duration = iface.bar.messages[0]
    assert title == "InSAR Geohazards" and duration == 0 and text == optional.notice(["h5py", "matplotlib"])
    assert optional.notice_once() == ""  # a tool run of this desktop does not say it again
    again = Iface()  # the next start of QGIS with the same profile
    optional_notice.OptionalPackagesPart(again).init_gui()
    assert again.bar.messages == []
    monkeypatch.setattr(optional, "missing_packages", lambda: ["h5py"])  # another set of missing packages
    optional_notice.OptionalPackagesPart(again).init_gui()
    assert len(again.bar.messages) == 1
    QSettings().setValue(optional_notice.SETTINGS_KEY, "0.0.1 | QGIS 3.22.0 | h5py")  # before an upgrade
    optional_notice.OptionalPackagesPart(again).init_gui()
    assert len(again.bar.messages) == 2


def test_nothing_missing_nothing_said(fresh_notice, monkeypatch):
    optional, optional_notice = fresh_notice
    monkeypatch.setattr(optional, "missing_packages", lambda: [])
    iface = Iface()
    optional_notice.OptionalPackagesPart(iface).init_gui()
    assert iface.bar.messages == []


def test_without_the_desktop_the_first_run_logs_it_once(fresh_notice, monkeypatch, tmp_path):
    from testutils import recording_feedback
    from testutils_hostile import los_raster, run

    optional, _ = fresh_notice
    monkeypatch.setattr(optional, "missing_packages", lambda: ["h5py"])
    src = los_raster(str(tmp_path / "los.tif"))
    logs = []
    for k in range(2):
        fb = recording_feedback()
        run("losvelocitytovertical", {"INPUT": src, "INCIDENCE": 35.0, "OUTPUT": str(tmp_path / f"v{k}.tif")}, fb)
        logs.append([t for t in fb.info if "optional Python packages missing" in t])
    assert len(logs[0]) == 1 and "h5py" in logs[0][0] and optional.install_line("h5py") in logs[0][0]
    assert logs[1] == []
