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


def test_the_numba_cost_is_the_measured_range(monkeypatch):
    """The slowdown range quoted is the smallest and largest numpy/numba ratio of compile_costs.json."""
    import json

    from insar_geohazards.algorithms import kernel_families, optional

    with open(kernel_families.COSTS_FILE, encoding="utf-8") as fh:
        rows = json.load(fh)["families"].values()
    ratios = [r["numpy_cpu_s_per_mb"] / r["numba_cpu_s_per_mb"] for r in rows
              if r.get("numba_cpu_s_per_mb", 0) > 0 and r.get("numpy_cpu_s_per_mb", 0) > 0]
    assert f"{min(ratios):.1f}x to {max(ratios):.0f}x slower" in optional.notice(["numba"])


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
