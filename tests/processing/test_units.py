"""Length units in the dialogs (never metres and kilometres mixed in one dialog).

Every length parameter of every tool is listed with its unit (``lengths`` in tests/registry.py); the tests check
that the description states it, that no parameter speaking of a length is missing from the table, and that no dialog
shows both metres and kilometres except where EXCEPTIONS says why. The former
metre IDs of the Coulomb tools (now in km) are proven to give the same results."""

import os
import re

import numpy as np
import pytest
import registry
from testutils import one_step_model
from testutils_faults import DATA, read_features, read_raster, write_lines

#: tool -> {parameter ID: unit of its value (or of a raster's content)}; hidden former IDs included: the ``lengths``
#: of tests/registry.py
LENGTHS = {tool: entry.lengths for tool, entry in registry.TOOLS.items() if entry.lengths}

#: Parameters in m shown in a km dialog, and why (docs/architecture.md, "Units in the dialogs").
_COULOMB_EXCEPTIONS = {
    "SLIP": "slip is a displacement, in m as in Coulomb 3 (whose geometry is in km)",
    "ORIGIN_EAST": "a map coordinate of the projected CRS (m), read off the map like the output extent",
    "ORIGIN_NORTH": "a map coordinate of the projected CRS (m), read off the map like the output extent",
}
EXCEPTIONS = {(tool, pid): why for tool in ("coulombstress", "coulombonfaults")
              for pid, why in _COULOMB_EXCEPTIONS.items()}

#: Former IDs of the Coulomb tools: old ID -> (new ID, factor old unit per new unit).
FORMER = {"coulombstress": {"TOP_DEPTH": ("TOP_DEPTH_KM", 1000.0), "BOTTOM_DEPTH": ("BOTTOM_DEPTH_KM", 1000.0),
                            "PIXEL_SIZE": ("PIXEL_SIZE_KM", 1000.0)},
          "coulombonfaults": {"TOP_DEPTH": ("TOP_DEPTH_KM", 1000.0), "BOTTOM_DEPTH": ("BOTTOM_DEPTH_KM", 1000.0)}}

#: tool -> IDs that look like lengths but are not (angles, velocities, dates, polygons, pixels): the ``not_lengths`` of
#: tests/registry.py
NOT_LENGTHS = {tool: set(entry.not_lengths) for tool, entry in registry.TOOLS.items() if entry.not_lengths}
LENGTH_ID = re.compile(r"DEPTH|SIZE|RADIUS|LENGTH|WIDTH|DIST(?!ORT)|MARGIN|BANDS|EAST|NORTH|ORIGIN|AREA|HEIGHT|SLANT|"
                       r"WAVELENGTH|PERP|^DEM$|^SLIP$|_RANGE$")
#: unit tokens a description may carry -> the unit they name
TOKENS = {"m": "m", "metres": "m", "meters": "m", "km": "km", "m2": "m2", "km2": "km2"}


def _units_in(description):
    """Length units named inside the parentheses of a description."""
    found = set()
    for group in re.findall(r"\(([^()]*)\)", description):
        for tok in re.split(r"[\s;,:]+", group):
            if tok in TOKENS:
                found.add(TOKENS[tok])
    return found


def _tools():
    from qgis.core import QgsApplication, QgsProcessingModelAlgorithm

    algs = QgsApplication.processingRegistry().providerById("geohazard").algorithms()
    # the shipped model's inputs are its child tools' inputs, checked on the tools themselves
    return {a.name(): a for a in algs if not isinstance(a, QgsProcessingModelAlgorithm)}


def _inputs(alg, *, hidden=True):
    from qgis.core import QgsProcessingParameterDefinition

    out = []
    for d in alg.parameterDefinitions():
        if d.isDestination():
            continue
        if not hidden and d.flags() & QgsProcessingParameterDefinition.Flag.FlagHidden:
            continue
        out.append(d)
    return out


def test_table_lists_existing_parameters(qgis_app):
    tools = _tools()
    for tool, params in LENGTHS.items():
        assert tool in tools, tool
        for pid in params:
            assert tools[tool].parameterDefinition(pid) is not None, (tool, pid)


@pytest.mark.parametrize("tool,pid,unit", [(t, p, u) for t, ps in sorted(LENGTHS.items()) for p, u in ps.items()])
def test_every_length_parameter_states_its_unit(qgis_app, tool, pid, unit):
    d = _tools()[tool].parameterDefinition(pid)
    assert _units_in(d.description()) == {unit}, (tool, pid, d.description())


def test_no_length_parameter_is_missing_from_the_table(qgis_app):
    """A parameter whose description names a length unit, or whose ID reads like a length, is in the tool's
    ``lengths`` of tests/registry.py, or its ``not_lengths`` (so a new length parameter must state its unit and is
    checked for mixing)."""
    missing = []
    for tool, alg in sorted(_tools().items()):
        for d in _inputs(alg):
            listed = d.name() in LENGTHS.get(tool, {})
            looks = (bool(_units_in(d.description())) or bool(LENGTH_ID.search(d.name()))) \
                and d.name() not in NOT_LENGTHS.get(tool, ())
            if looks and not listed:
                missing.append((tool, d.name(), d.description()))
    assert not missing, f"tests/registry.py: lengths missing (tool, ID, label): {missing}"


@pytest.mark.parametrize("tool", sorted(LENGTHS))
def test_no_dialog_mixes_m_and_km(qgis_app, tool):
    alg = _tools()[tool]
    shown = {d.name() for d in _inputs(alg, hidden=False)}
    units = {}
    for pid, unit in LENGTHS[tool].items():
        if pid in shown and (tool, pid) not in EXCEPTIONS:
            units.setdefault(unit.rstrip("2"), []).append(pid)
    assert len(units) == 1, f"{tool} mixes length units: {units}"
    for (t, pid), why in EXCEPTIONS.items():
        if t == tool:
            assert pid in shown and why


def test_former_ids_are_hidden_and_named_in_the_help(qgis_app):
    from qgis.core import QgsProcessingParameterDefinition

    tools = _tools()
    for tool, former in FORMER.items():
        alg = tools[tool]
        for old, (new, _) in former.items():
            d = alg.parameterDefinition(old)
            assert d.flags() & QgsProcessingParameterDefinition.Flag.FlagHidden, (tool, old)
            assert d.flags() & QgsProcessingParameterDefinition.Flag.FlagOptional, (tool, old)
            assert new in d.description()
            assert re.search(rf"\b{old}\b(?!_)", alg.shortHelpString()) and new in alg.shortHelpString(), old
            n = alg.parameterDefinition(new)
            assert not n.flags() & QgsProcessingParameterDefinition.Flag.FlagHidden
    # the former IDs accept every value they accepted before (main at 38bb2db: m)
    before = {"TOP_DEPTH": (0.0, 1e6), "BOTTOM_DEPTH": (0.001, 1e6), "PIXEL_SIZE": (0.01, None)}
    for tool, former in FORMER.items():
        for old in former:
            d = tools[tool].parameterDefinition(old)
            lo, hi = before[old]
            assert d.minimum() == lo, (tool, old, d.minimum())
            assert hi is None and d.maximum() > 1e300 or d.maximum() == hi, (tool, old, d.maximum())
    # the InSAR-driven fault tools stay in metres under their original IDs
    for tool in ("okadaforward", "slipinversion"):
        assert tools[tool].parameterDefinition("TOP_DEPTH_KM") is None
        assert not tools[tool].parameterDefinition("TOP_DEPTH").flags() & \
            QgsProcessingParameterDefinition.Flag.FlagHidden


# ------------------------------------------------------------------ former IDs keep their meaning
E0, N0 = 400000.0, 4500000.0


def _source_lines(tmp_path):
    """Two traces without depth fields: the default depths (the parameters under test) apply."""
    return write_lines(tmp_path / "src.gpkg", [[(E0 - 12000, N0 - 3000), (E0 + 12000, N0 + 3000)],
                                               [(E0 + 15000, N0 - 20000), (E0 + 20000, N0 - 5000)]],
                       fields={"slip_m": [2.0, 0.7], "rake_deg": [180.0, 90.0], "dip_deg": [70.0, 45.0]})


def test_coulombstress_former_metre_ids_give_the_same_map(run_alg, tmp_path):
    src = _source_lines(tmp_path)
    ext = f"{E0 - 30000},{E0 + 30000},{N0 - 30000},{N0 + 30000} [EPSG:32633]"
    base = {"FAULTS": src, "EXTENT": ext, "DEPTHS": "3, 8.5", "RECEIVER_STRIKE": 30.0, "RECEIVER_DIP": 60.0}
    new = run_alg("coulombstress", {**base, "TOP_DEPTH_KM": 1.5, "BOTTOM_DEPTH_KM": 12.0, "PIXEL_SIZE_KM": 2.5,
                                    "OUTPUT": str(tmp_path / "new.tif")})["OUTPUT"]
    old = run_alg("coulombstress", {**base, "TOP_DEPTH": 1500.0, "BOTTOM_DEPTH": 12000.0, "PIXEL_SIZE": 2500.0,
                                    "OUTPUT": str(tmp_path / "old.tif")})["OUTPUT"]
    a, gt_a, desc_a = read_raster(new)
    b, gt_b, desc_b = read_raster(old)
    assert gt_a == gt_b and gt_a[1] == 2500.0 and a.shape == (6, 24, 24)
    assert desc_a == desc_b and desc_a[0] == "dcfs_bar_3km" and desc_a[3] == "dcfs_bar_8.5km"
    np.testing.assert_array_equal(a, b)
    # the defaults matter: other depths give another map
    other = run_alg("coulombstress", {**base, "TOP_DEPTH_KM": 0.0, "BOTTOM_DEPTH_KM": 12.0, "PIXEL_SIZE_KM": 2.5,
                                      "OUTPUT": str(tmp_path / "other.tif")})["OUTPUT"]
    assert np.nanmax(np.abs(read_raster(other)[0] - a)) > 0.01


def test_coulombonfaults_former_metre_ids_give_the_same_stresses(run_alg, tmp_path):
    src = _source_lines(tmp_path)
    rec = write_lines(tmp_path / "rec.gpkg", [[(E0 - 25000, N0 + 15000), (E0 - 5000, N0 + 22000)],
                                              [(E0 + 10000, N0 + 10000), (E0 + 25000, N0 - 2000)]])
    base = {"FAULTS": src, "RECEIVERS": rec, "DEPTHS": "5,10"}
    new = run_alg("coulombonfaults", {**base, "TOP_DEPTH_KM": 2.0, "BOTTOM_DEPTH_KM": 14.0,
                                      "OUTPUT": str(tmp_path / "new.gpkg")})["OUTPUT"]
    old = run_alg("coulombonfaults", {**base, "TOP_DEPTH": 2000.0, "BOTTOM_DEPTH": 14000.0,
                                      "OUTPUT": str(tmp_path / "old.gpkg")})["OUTPUT"]
    a, b = read_features(new), read_features(old)
    assert len(a) == len(b) == 2 and "dcfs_5km" in a[0] and "dcfs_10km" in a[0]
    for ra, rb in zip(a, b):
        assert ra == rb
    assert max(abs(r["dcfs_5km"]) for r in a) > 1e-3


def test_both_ids_agreeing_run_and_disagreeing_are_refused(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    src = _source_lines(tmp_path)
    ext = f"{E0 - 10000},{E0 + 10000},{N0 - 10000},{N0 + 10000} [EPSG:32633]"
    base = {"FAULTS": src, "EXTENT": ext, "DEPTHS": "5"}
    out = run_alg("coulombstress", {**base, "PIXEL_SIZE_KM": 5.0, "PIXEL_SIZE": 5000.0,
                                    "OUTPUT": str(tmp_path / "ok.tif")})["OUTPUT"]
    assert read_raster(out)[0].shape == (3, 4, 4)
    bad = tmp_path / "bad.tif"
    with pytest.raises(QgsProcessingException, match=r"PIXEL_SIZE = 5000 m and PIXEL_SIZE_KM = 2 km disagree"):
        run_alg("coulombstress", {**base, "PIXEL_SIZE_KM": 2.0, "PIXEL_SIZE": 5000.0, "OUTPUT": str(bad)})
    with pytest.raises(QgsProcessingException, match=r"TOP_DEPTH = 1000 m and TOP_DEPTH_KM = 2 km disagree"):
        run_alg("coulombstress", {**base, "TOP_DEPTH_KM": 2.0, "TOP_DEPTH": 1000.0, "OUTPUT": str(bad)})
    assert not bad.exists()


def test_grid_message_names_the_id_the_user_gave(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    src = _source_lines(tmp_path)
    base = {"FAULTS": src, "EXTENT": f"{E0 - 50000},{E0 + 50000},{N0 - 50000},{N0 + 50000} [EPSG:32633]",
            "OUTPUT": str(tmp_path / "x.tif")}
    with pytest.raises(QgsProcessingException, match=r"^PIXEL_SIZE_KM: a pixel of 10 m .* 10000 x 10000 pixels"):
        run_alg("coulombstress", {**base, "PIXEL_SIZE_KM": 0.01})
    with pytest.raises(QgsProcessingException, match=r"^PIXEL_SIZE: a pixel of 10 m .* 10000 x 10000 pixels"):
        run_alg("coulombstress", {**base, "PIXEL_SIZE": 10.0})


def test_a_model_saved_with_the_former_ids_runs_unchanged(qgis_app, tmp_path):
    """A model whose coulombstress step carries TOP_DEPTH/BOTTOM_DEPTH/PIXEL_SIZE in metres (as saved
    before the km IDs) validates and gives the map of the km IDs."""
    import processing
    from qgis.core import (
        QgsProcessingContext,
        QgsProcessingFeedback,
    )

    src = _source_lines(tmp_path)
    ext = f"{E0 - 20000},{E0 + 20000},{N0 - 20000},{N0 + 20000} [EPSG:32633]"
    # every parameter the dialog showed before the km IDs, as the modeler saved it
    before = {"FAULTS": src, "COULOMB_INP": None, "CRS": None, "ORIGIN_EAST": 0.0, "ORIGIN_NORTH": 0.0, "DIP": 60.0,
              "TOP_DEPTH": 1000.0, "BOTTOM_DEPTH": 9000.0, "SLIP": 1.0, "RAKE": 0.0, "POISSON": 0.25, "DEPTHS": "6",
              "RECEIVER_STRIKE": 0.0, "RECEIVER_DIP": 90.0, "RECEIVER_RAKE": 180.0, "FRICTION": 0.4,
              "SHEAR_MODULUS": 3.2e10, "UNITS": 0, "OPTIMAL": False, "EXTENT": ext, "PIXEL_SIZE": 4000.0}
    # the new km IDs, absent from the saved step, do not make the model invalid
    loaded = one_step_model(tmp_path / "old.model3", "geohazard:coulombstress", before, {"dcfs": "OUTPUT"})
    # QGIS 3.22 names the model's output "step:dcfs", 3.40+ (model format version 2) "dcfs"
    dest = loaded.destinationParameterDefinitions()[0].name()
    res = processing.run(loaded, {dest: str(tmp_path / "model.tif")}, context=QgsProcessingContext(),
                         feedback=QgsProcessingFeedback())
    got = read_raster(res[dest])
    ref = processing.run("geohazard:coulombstress", {"FAULTS": src, "EXTENT": ext, "DEPTHS": "6",
                                                     "TOP_DEPTH_KM": 1.0, "BOTTOM_DEPTH_KM": 9.0,
                                                     "PIXEL_SIZE_KM": 4.0, "OUTPUT": str(tmp_path / "ref.tif")},
                         context=QgsProcessingContext(), feedback=QgsProcessingFeedback())["OUTPUT"]
    want = read_raster(ref)
    assert got[1] == want[1] and got[0].shape == (3, 10, 10)
    np.testing.assert_array_equal(got[0], want[0])


def test_coulomb_file_route_unchanged_by_the_pixel_alias(run_alg, tmp_path):
    """The Coulomb 3.4 benchmark pixel (test_coulombstress) through PIXEL_SIZE_KM gives the same values."""
    inp = os.path.join(DATA, "simple_receiver_bm.inp")
    x, y = 0.0, -10223.66080859
    ext = f"{x - 50},{x + 50},{y - 50},{y + 50} [EPSG:32610]"
    out = run_alg("coulombstress", {"COULOMB_INP": inp, "CRS": "EPSG:32610", "DEPTHS": "5.5", "RECEIVER_STRIKE": 90.0,
                                    "RECEIVER_DIP": 65.9, "RECEIVER_RAKE": 90.0, "EXTENT": ext, "PIXEL_SIZE_KM": 0.1,
                                    "UNITS": 0, "OUTPUT": str(tmp_path / "c.tif")})["OUTPUT"]
    arr, _, _ = read_raster(out)
    np.testing.assert_allclose(arr.ravel(), [-2.636127, -0.479979, -5.390370], rtol=5e-4)
