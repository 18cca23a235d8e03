"""One parameter ID per quantity; former IDs keep working as hidden aliases (processing_provider/inputs/aliases.py).

Every former ID of a tool's FORMER_IDS is declared hidden and optional next to its new ID and is
resolved (and converted) before a tool checks or runs; a run, a ``qgis_process`` line and a saved
model with the former ID give what the new ID gives, and the two IDs disagreeing are refused.
"""

import os
import subprocess

import numpy as np
import pytest
from testutils import one_step_model
from testutils_psds import write_slc_files

from insar_geohazards.algorithms.timeseries.simulate import simulate_slc_stack

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _tools():
    from insar_geohazards.processing_provider.provider import algorithm_classes

    out = {}
    for cls in algorithm_classes():
        a = cls()
        a.initAlgorithm()
        out[a.name()] = a
    return out


def test_every_former_id_is_a_hidden_alias_of_a_visible_new_id(qgis_app):
    from qgis.core import QgsProcessingParameterDefinition as D

    tools = _tools()
    FORMER_IDS = {name: alg.FORMER_IDS for name, alg in tools.items() if alg.FORMER_IDS}
    assert len(FORMER_IDS) >= 7
    for tool, aliases in FORMER_IDS.items():
        alg = tools[tool]
        names = [d.name() for d in alg.parameterDefinitions()]
        for a in aliases:
            old, new = alg.parameterDefinition(a.old_id), alg.parameterDefinition(a.new_id)
            assert old is not None and new is not None, (tool, a)
            assert old.flags() & D.Flag.FlagHidden and old.flags() & D.Flag.FlagOptional, (tool, a.old_id)
            assert not new.flags() & D.Flag.FlagHidden, (tool, a.new_id)
            assert new.flags() & D.Flag.FlagOptional, (tool, a.new_id)  # models saved before it still validate
            assert old.type() == new.type() and a.new_id in old.description()
            assert names.index(a.old_id) == names.index(a.new_id) + 1  # declared right after the new ID
    # no tool shows a hidden alias that is not in the table (one list of former IDs)
    for tool, alg in tools.items():
        for d in alg.parameterDefinitions():
            meta = d.metadata().get("geohazard_alias")
            if meta:
                assert any(a.old_id == d.name() and a.new_id == meta["of"] for a in alg.FORMER_IDS), (tool, d.name())


# quantities whose ID is shared by tools that declare them with different parameter types, on purpose
SAME_ID_OTHER_TYPE = {
    # ascdescdecomposition and landslide3d take several point layers: their fields are names typed once for all
    "VELOCITY_FIELD": "ascdescdecomposition", "VELOCITY_STD_FIELD": "ascdescdecomposition, landslide3d",
    # offsettracking honours a selection of the polygons (a feature source); the stack corrections burn a layer
    "STABLE_AREA": "offsettracking",
    # sbasinversion takes GAMMA baseline files or a folder, pstimeseries one table file
    "BASELINES": "sbasinversion",
    # INPUT is each tool's main input (a file, a layer, a stack), not one quantity
    "INPUT": "every tool",
    # damageproxy's MASK keeps land-cover classes of a raster or the inside of polygons (a layer of either kind)
    "MASK": "damageproxy",
    # comparelayers' REFERENCE is the layer compared with (a raster or points), not a reference point
    "REFERENCE": "comparelayers",
    # the unit of the input: strainrate chooses what its rasters hold (as declared, a rate or a displacement), the
    # swath profile's points field takes any unit typed as text (mm/yr, cm, degrees ...)
    "UNIT": "strainrate, swathprofile",
}


def test_a_shared_id_means_one_kind_of_parameter(qgis_app):
    """The same visible ID in two tools is the same kind of parameter (number, raster, field ...)."""
    from qgis.core import QgsProcessingParameterDefinition as D

    kinds = {}
    for tool, alg in _tools().items():
        for d in alg.parameterDefinitions():
            if d.isDestination() or d.flags() & D.Flag.FlagHidden or d.name() in SAME_ID_OTHER_TYPE:
                continue
            kinds.setdefault(d.name(), {}).setdefault(d.type(), []).append(tool)
    mixed = {pid: k for pid, k in kinds.items() if len(k) > 1}
    assert not mixed, mixed
    # the quantities of params.py keep their one ID (the wavelength was WAVELENGTH in pstimeseries)
    assert {t for t in kinds["WAVELENGTH_M"]["number"]} >= {"sbasinversion", "stackingvelocity",
                                                            "phasegradientstacking", "pstimeseries"}
    assert "WAVELENGTH" not in kinds


@pytest.mark.parametrize("tool", ["pstimeseries", "amplitudedispersion", "slipinversion", "uniformslipinversion",
                                  "ascdescdecomposition", "coulombstress", "coulombonfaults"])
def test_resolution_copies_and_converts_the_former_value(qgis_app, tool):
    from qgis.core import QgsProcessingContext

    from insar_geohazards.algorithms.errors import GeohazardError
    from insar_geohazards.processing_provider.inputs.aliases import id_given, resolve_aliases

    alg = _tools()[tool]
    ctx = QgsProcessingContext()
    for a in alg.FORMER_IDS:
        value = "V_STD" if alg.parameterDefinition(a.new_id).type() == "string" else 2000.0
        got = resolve_aliases(alg, {a.old_id: value}, ctx)
        want = value / a.factor if isinstance(value, float) else value
        assert got[a.new_id] == want, (tool, a)
        assert id_given(alg, {a.old_id: value}, a.new_id) == a.old_id
        assert resolve_aliases(alg, {a.old_id: value, a.new_id: want}, ctx)[a.new_id] == want  # agreeing: fine
        other = "OTHER" if isinstance(value, str) else want + 1.0
        with pytest.raises(GeohazardError, match=rf"{a.old_id} = .* and {a.new_id} = .* disagree; give only"):
            resolve_aliases(alg, {a.old_id: value, a.new_id: other}, ctx)
        assert resolve_aliases(alg, {a.new_id: want}, ctx) == {a.new_id: want}  # nothing to do


@pytest.fixture(scope="module")
def slc_files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("slc")
    sim = simulate_slc_stack(shape=(24, 30), n_dates=10, seed=7, water_fraction=0.3)
    return write_slc_files(tmp, sim)


def _ps_run(run_alg, tmp_path, files, name, extra):
    out = {k: str(tmp_path / f"{name}_{k.lower()}.tif") for k in ("OUTPUT_MEAN_AMPLITUDE", "OUTPUT_DISPERSION",
                                                                    "OUTPUT_PS_MASK")}
    res = run_alg("amplitudedispersion", {"INPUT": files, **extra, **out})
    from osgeo import gdal

    ds = gdal.Open(res["OUTPUT_PS_MASK"])
    return ds.ReadAsArray()


def test_former_id_run_equals_the_new_id_run(run_alg, tmp_path, slc_files):
    from qgis.core import QgsProcessingException

    new = _ps_run(run_alg, tmp_path, slc_files, "new", {"DISPERSION_THRESHOLD": 0.4})
    old = _ps_run(run_alg, tmp_path, slc_files, "old", {"THRESHOLD": 0.4})
    np.testing.assert_array_equal(new, old)
    default = _ps_run(run_alg, tmp_path, slc_files, "default", {})
    assert new.sum() > default.sum()  # the value matters (0.4 keeps more PS than the default 0.25)
    bad = tmp_path / "bad_ps.tif"
    with pytest.raises(QgsProcessingException, match="THRESHOLD = 0.4 and DISPERSION_THRESHOLD = 0.3 disagree"):
        run_alg("amplitudedispersion", {"INPUT": slc_files, "THRESHOLD": 0.4, "DISPERSION_THRESHOLD": 0.3,
                                        "OUTPUT_PS_MASK": str(bad)})
    assert not bad.exists()


def test_former_id_through_qgis_process(qgis_app, tmp_path, slc_files):
    env = {**os.environ, "QGIS_PLUGINPATH": os.path.join(ROOT, ".build", "plugins"), "QT_QPA_PLATFORM": "offscreen"}
    outs = {}
    for pid in ("THRESHOLD", "DISPERSION_THRESHOLD"):
        mask = tmp_path / f"cli_{pid}.tif"
        args = ["qgis_process.bin", "run", "geohazard:amplitudedispersion", "--"]
        args += [f"INPUT={f}" for f in slc_files] + [f"{pid}=0.4", f"OUTPUT_PS_MASK={mask}",
                                                     f"OUTPUT_DISPERSION={tmp_path / (pid + '_da.tif')}"]
        res = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
        assert res.returncode == 0, res.stdout + res.stderr
        from osgeo import gdal

        ds = gdal.Open(str(mask))
        outs[pid] = ds.ReadAsArray()
        ds = None
    np.testing.assert_array_equal(outs["THRESHOLD"], outs["DISPERSION_THRESHOLD"])


def test_a_model_saved_with_the_former_id_validates_and_runs(qgis_app, tmp_path, slc_files):
    """The shipped SLC model as saved before DISPERSION_THRESHOLD (its amplitudedispersion step carries
    THRESHOLD) validates, and a one-step model with THRESHOLD gives the map of DISPERSION_THRESHOLD."""
    import processing
    from osgeo import gdal
    from qgis.core import (
        QgsProcessingContext,
        QgsProcessingFeedback,
        QgsProcessingModelAlgorithm,
    )

    with open(os.path.join(ROOT, "models", "slc_stack_to_time_series.model3")) as f:
        text = f.read()
    assert 'name="DISPERSION_THRESHOLD"' in text
    old_file = tmp_path / "slc_before.model3"
    old_file.write_text(text.replace('name="DISPERSION_THRESHOLD"', 'name="THRESHOLD"'))
    old = QgsProcessingModelAlgorithm()
    assert old.fromFile(str(old_file))
    old.initAlgorithm({})
    ok, issues = old.validate()
    assert ok, issues

    loaded = one_step_model(tmp_path / "old_ps.model3", "geohazard:amplitudedispersion",
                            {"INPUT": slc_files, "CALIBRATE": True, "THRESHOLD": 0.4}, {"mask": "OUTPUT_PS_MASK"})
    dest = loaded.destinationParameterDefinitions()[0].name()
    res = processing.run(loaded, {dest: str(tmp_path / "model_mask.tif")}, context=QgsProcessingContext(),
                         feedback=QgsProcessingFeedback())
    ds = gdal.Open(res[dest])
    got = ds.ReadAsArray()
    ds = None
    ref = processing.run("geohazard:amplitudedispersion", {"INPUT": slc_files, "DISPERSION_THRESHOLD": 0.4,
                                                           "OUTPUT_PS_MASK": str(tmp_path / "ref_mask.tif"),
                                                           "OUTPUT_DISPERSION": str(tmp_path / "ref_da.tif")},
                         context=QgsProcessingContext(), feedback=QgsProcessingFeedback())["OUTPUT_PS_MASK"]
    ds = gdal.Open(ref)
    np.testing.assert_array_equal(got, ds.ReadAsArray())
