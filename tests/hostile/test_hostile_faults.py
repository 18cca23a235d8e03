"""Hostile inputs for the fault tools: okadaforward, coulombstress, coulombonfaults, slipinversion,
uniformslipinversion, interseismicslip, rupturetrace."""

import os

import numpy as np
import pytest
import registry
import testutils_hostile as hk
from testutils import write_geotiff
from testutils_faults import DATA

TOOLS = registry.hostile_tools("faults")  # the tools whose hostile family is "faults" in tests/registry.py
E0, N0 = 500000.0, 4100000.0
INP = os.path.join(DATA, "Example-1.inp")
LOS_GT = (E0 - 30e3, 1500.0, 0.0, N0 + 30e3, 0.0, -1500.0)


def los_data(path, *, gt=LOS_GT, epsg=32633, zero=False, nan=False):
    from insar_geohazards.algorithms.faults.inversion import uniform_fault
    from insar_geohazards.algorithms.faults.okada import okada_displacement
    from insar_geohazards.algorithms.geometry.los import los_unit_vector

    truth = uniform_fault([E0 + 2000.0, N0 - 1000.0, 110.0, 55.0, 2000.0, 16e3, 9e3], 0.4, 0.0)
    x = gt[0] + (np.arange(40) + 0.5) * gt[1]
    y = gt[3] + (np.arange(40) + 0.5) * gt[5]
    xx, yy = np.meshgrid(x, y)
    los = okada_displacement(xx, yy, truth.table()) @ np.array(los_unit_vector(34.0, -12.0)).ravel() * 1000.0
    los += np.random.default_rng(2).normal(0, 2.0, los.shape)
    if zero:
        los[:] = 0.0
    if nan:
        los[:] = np.nan
    return write_geotiff(path, los, geotransform=gt, epsg=epsg)


def fault_lines(path, *, epsg=32633, dx=0.0, fields=None, text_fields=()):
    return hk.line_layer(path, [[(E0 - 5e3 + dx, N0 + 5e3), (E0 + 9e3 + dx, N0 - 3e3)]], epsg=epsg, fields=fields,
                        text_fields=text_fields)


def recipe(tool, tmp):
    tmp, out = hk.folders(tmp)
    j = os.path.join
    extent = f"{E0 - 20e3},{E0 + 20e3},{N0 - 20e3},{N0 + 20e3} [EPSG:32633]"
    if tool in ("okadaforward", "coulombstress"):
        faults = fault_lines(j(tmp, "faults.gpkg"), fields={"slip_m": [2.0], "rake_deg": [90.0]})
        params = {"FAULTS": faults, "EXTENT": extent, "PIXEL_SIZE": 4000.0, "OUTPUT": j(out, "grid.tif")}
        if tool == "coulombstress":
            params["DEPTHS"] = "5"
        implausible = {"INCIDENCE": 89.999} if tool == "okadaforward" else {"FRICTION": 5.0}

        def spoil(kind, folder):
            if kind == "truncated":
                return {"FAULTS": hk.garbage(j(folder, "broken.gpkg"))}, "broken.gpkg"
            if kind == "nan":
                return {"FAULTS": hk.write_layer(j(folder, "empty.gpkg"), ["LINESTRING EMPTY"])}, "FAULTS"
            return {"FAULTS": fault_lines(j(folder, "nocrs.gpkg"), epsg=None)}, None

        return hk.Recipe(params, ["OUTPUT"], ("FAULTS", "OUTPUT"), spoil, vector="FAULTS", implausible=implausible)
    if tool == "coulombonfaults":
        rec = hk.line_layer(j(tmp, "rec.gpkg"), [[(-5000.0, 2000.0), (5000.0, 2000.0)],
                                                 [(-3000.0, -8000.0), (3000.0, -9000.0)]], epsg=32610)
        params = {"COULOMB_INP": INP, "CRS": "EPSG:32610", "RECEIVERS": rec, "DEPTHS": "5", "OUTPUT": j(out, "o.gpkg")}

        def spoil(kind, folder):
            if kind == "truncated":
                return {"RECEIVERS": hk.garbage(j(folder, "broken.gpkg"))}, "broken.gpkg"
            if kind == "nan":
                return {"RECEIVERS": hk.write_layer(j(folder, "empty.gpkg"), ["LINESTRING EMPTY"])}, "RECEIVERS"
            return {"RECEIVERS": hk.line_layer(j(folder, "nocrs.gpkg"), [[(-5000.0, 2000.0), (5000.0, 2000.0)]],
                                              epsg=None)}, None

        return hk.Recipe(params, ["OUTPUT"], ("RECEIVERS", "OUTPUT"), spoil, vector="RECEIVERS",
                        implausible={"SHEAR_MODULUS": 3.2e5})
    if tool == "slipinversion":
        los = los_data(j(tmp, "asc.tif"))
        trace = fault_lines(j(tmp, "trace.gpkg"))
        params = {"LOS_ASC": los, "ASC_INCIDENCE": 34.0, "ASC_HEADING": -12.0, "FAULT": trace, "DIP": 55.0,
                  "BOTTOM_DEPTH": 9000.0, "PATCH_LENGTH": 4000.0, "PATCH_WIDTH": 4500.0, "QUADTREE_STD": 4.0,
                  "RAMP": False, "OUTPUT_PATCHES": j(out, "p.gpkg")}

        spoil = hk.spoil_input("LOS_ASC", los_data, ".tif", trunc_message="trunc.tif",
                               nan_message="no valid pixel")

        return hk.Recipe(params, ["OUTPUT_PATCHES"], ("FAULT", "OUTPUT_PATCHES"), spoil, raster="LOS_ASC",
                        overlap={"FAULT": fault_lines(j(tmp, "far.gpkg"), dx=9e5)},
                        implausible={"ASC_INCIDENCE": 89.999})
    if tool == "uniformslipinversion":
        los = los_data(j(tmp, "asc.tif"))
        params = {"LOS_ASC": los, "ASC_INCIDENCE": 34.0, "ASC_HEADING": -12.0,
                  "EAST_RANGE": f"{E0 - 5e3},{E0 + 5e3}", "NORTH_RANGE": f"{N0 - 5e3},{N0 + 5e3}",
                  "STRIKE_RANGE": "90,130", "DIP_RANGE": "40,70", "TOP_RANGE": "0,4000",
                  "LENGTH_RANGE": "10000,20000", "WIDTH_RANGE": "5000,12000", "QUADTREE_STD": 4.0,
                  "N_MONTE_CARLO": 0, "MAX_ITERATIONS": 8, "OUTPUT_FAULT": j(out, "f.gpkg")}

        spoil = hk.spoil_input("LOS_ASC", los_data, ".tif", trunc_message="trunc.tif",
                               nan_message="no valid pixel")

        far = los_data(j(tmp, "far.tif"), gt=(E0 + 9e5, 1500.0, 0.0, N0, 0.0, -1500.0))
        return hk.Recipe(params, ["OUTPUT_FAULT"], ("LOS_ASC", "OUTPUT_FAULT"), spoil, raster="LOS_ASC",
                        overlap={"LOS_DESC": far}, implausible={"SHEAR_MODULUS": 3.2e5})
    if tool == "interseismicslip":
        params = {"INPUT": interseismic_los(j(tmp, "los.tif")), "INCIDENCE": 38.0, "HEADING": -12.0,
                  "FAULT": hk.line_layer(j(tmp, "fault.gpkg"), [[(E0, N0 - 30e3), (E0 + 3e3, N0 + 30e3)]]),
                  "LENGTH_M": 40e3, "WIDTH_M": 30e3, "OUTPUT_PROFILE": j(out, "profile.gpkg")}
        spoil = hk.spoil_input("INPUT", interseismic_los, ".tif", trunc_message="trunc.tif")
        far = hk.line_layer(j(tmp, "far.gpkg"), [[(E0 + 9e5, N0 - 30e3), (E0 + 9e5, N0 + 30e3)]])
        return hk.Recipe(params, ["OUTPUT_PROFILE"], ("INPUT", "OUTPUT_PROFILE"), spoil, raster="INPUT",
                         overlap={"FAULT": far}, implausible={"INCIDENCE": 89.999})
    if tool == "rupturetrace":
        params = {"INPUT": offsets(j(tmp, "azi.tif")), "SMOOTHING_M": 200.0, "MIN_OFFSET_M": 0.5,
                  "OUTPUT": j(out, "trace.gpkg")}
        spoil = hk.spoil_input("INPUT", offsets, ".tif", trunc_message="trunc.tif")
        return hk.Recipe(params, ["OUTPUT"], ("INPUT", "OUTPUT"), spoil, raster="INPUT")
    raise KeyError(tool)


def interseismic_los(path, *, epsg=32633, nan=False):
    """A LOS velocity (mm/yr) across a right-lateral fault striking north through (E0, N0): 70 x 70 pixels of 1 km,
    an arctangent of 20 mm/yr and 8 km seen at a share of 0.2, with 1 mm/yr of noise."""
    x = (np.arange(70) - 35 + 0.5) * 1000.0
    xx, _ = np.meshgrid(x, x)
    v = 0.2 * -20.0 / np.pi * np.arctan(xx / 8000.0) + np.random.default_rng(1).normal(0, 1.0, xx.shape)
    gt = (E0 - 35e3, 1000.0, 0.0, N0 + 35e3, 0.0, -1000.0)
    return write_geotiff(path, np.full_like(v, np.nan) if nan else v, geotransform=gt, epsg=epsg)


def offsets(path, *, epsg=32633, nan=False):
    """Along-track offsets (m): +-1 m either side of a line through the middle of 80 x 80 pixels of 100 m, 0.2 m
    of noise."""
    r, c = np.mgrid[0:80, 0:80]
    v = np.where(c + 0.3 * r > 52, 1.0, -1.0) + np.random.default_rng(2).normal(0, 0.2, r.shape)
    gt = (E0 - 4e3, 100.0, 0.0, N0 + 4e3, 0.0, -100.0)
    return write_geotiff(path, np.full_like(v, np.nan) if nan else v, geotransform=gt, epsg=epsg)


test_hostile = hk.hostile_cases(TOOLS, recipe)


def test_uniformslip_at_its_maxima_is_refused_at_once_with_a_cost_estimate(qgis_app, tmp_path, monkeypatch):
    """Refused from the estimate, before the search starts: not one misfit is evaluated (no clock: the machine's
    load does not change what is checked)."""
    from insar_geohazards.algorithms.faults import inversion

    evaluated = []

    def fit(*args, **kwargs):
        evaluated.append(1)
        raise AssertionError("the search started")

    monkeypatch.setattr(inversion, "_fit_linear", fit)
    r = recipe("uniformslipinversion", tmp_path)
    msg = hk.expect_refusal("uniformslipinversion", dict(r.params, N_MONTE_CARLO=1000, MAX_ITERATIONS=10000),
                           "budget")
    assert not evaluated
    assert "Monte-Carlo" in msg and "generations" in msg


def test_uniformslip_search_box_outside_the_data_is_refused(qgis_app, tmp_path):
    r = recipe("uniformslipinversion", tmp_path)
    hk.expect_refusal("uniformslipinversion", dict(r.params, EAST_RANGE=f"{E0 + 5e5},{E0 + 5.1e5}"), "far")


def test_uniformslip_zero_los_is_refused(qgis_app, tmp_path):
    r = recipe("uniformslipinversion", tmp_path)
    zero = los_data(str(tmp_path / "zero.tif"), zero=True)
    hk.expect_refusal("uniformslipinversion", dict(r.params, LOS_ASC=zero), "zero")


def test_uniformslip_cancel_during_the_search(qgis_app, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    r = recipe("uniformslipinversion", tmp_path)
    fb = QgsProcessingFeedback()  # cancels at the first progress of the search (the log lines before it do not)
    seen = []
    fb.progressChanged.connect(seen.append)
    fb.progressChanged.connect(lambda v: v > 0 and not fb.isCanceled() and fb.cancel())
    with pytest.raises(QgsProcessingException, match="[Cc]ancel"):
        hk.run("uniformslipinversion", dict(r.params, MAX_ITERATIONS=400, N_MONTE_CARLO=5), fb)
    assert 0 < max(seen) < 50
    assert not os.listdir(tmp_path / "out")


def test_text_in_a_numeric_fault_field_is_refused(qgis_app, tmp_path):
    faults = fault_lines(str(tmp_path / "f.gpkg"), fields={"slip_m": ["2,5"]}, text_fields=("slip_m",))
    msg = hk.expect_refusal("okadaforward", {"FAULTS": faults, "EXTENT": f"{E0 - 2e4},{E0 + 2e4},{N0 - 2e4},"
                                            f"{N0 + 2e4} [EPSG:32633]", "PIXEL_SIZE": 4000.0,
                                            "OUTPUT": str(tmp_path / "o.tif")}, "slip_m")
    assert "2,5" in msg and "decimal" in msg


def test_slip_inversion_without_a_geometry_is_refused(qgis_app, tmp_path):
    """A LOS raster carrying no INCIDENCE_DEG / HEADING_DEG and nothing typed: formerly 37 degrees / -12, silently."""
    r = recipe("slipinversion", tmp_path)
    params = {k: v for k, v in r.params.items() if k not in ("ASC_INCIDENCE", "ASC_HEADING")}
    hk.expect_refusal("slipinversion", params, r"ASC_INCIDENCE: the inputs carry no incidence angle .*type "
                                               r"ASC_INCIDENCE")
    assert not os.listdir(tmp_path / "out")


@pytest.mark.parametrize("tool", ["slipinversion", "uniformslipinversion"])
def test_slip_inversions_refuse_opposite_bounding_rakes(qgis_app, tmp_path, tool):
    """The former default rake range 0-180 (two opposite rakes: only strike-slip possible, a thrust came out as a
    strike-slip event of the wrong size at exit 0) and any range of 180 degrees or more are refused naming free
    rake; one bound alone is refused too. Nothing is written."""
    r = recipe(tool, tmp_path)
    for lo, hi in ((0.0, 180.0), (-90.0, 90.0), (-180.0, 180.0)):
        msg = hk.expect_refusal(tool, dict(r.params, RAKE_MIN=lo, RAKE_MAX=hi), "RAKE_MAX - RAKE_MIN")
        assert "only strike-slip" in msg and "empty for free rake" in msg
    hk.expect_refusal(tool, dict(r.params, RAKE_MAX=120.0), "give both rake bounds, or leave both empty")
    assert not os.listdir(tmp_path / "out")


def test_slip_inversion_log_states_the_mechanism_found(qgis_app, tmp_path):
    """The hostile scene is a left-lateral strike-slip event: free rake (the default) says so."""
    from testutils import recording_feedback

    r = recipe("slipinversion", tmp_path)
    fb = recording_feedback()
    hk.run("slipinversion", r.params, fb)
    said = [t for t in fb.info if t.startswith("mechanism found (free rake)")]
    assert said and "strike-slip (left-lateral)" in said[0], fb.info
