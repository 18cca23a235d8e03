"""geohazard:slipinversion — parameters, wrong parameters, synthetic asc + desc earthquake recovered, cancel."""

import os
import re
import sys

import numpy as np
import pytest
from testutils import parameter_ids, recording_feedback, write_geotiff
from testutils_faults import E0, N0, los_pair, read_features, write_lines

NAME = "slipinversion"


def test_parameters(alg):
    ids = parameter_ids(a := alg(NAME))
    for pid in ("LOS_ASC", "ASC_INCIDENCE", "ASC_HEADING", "LOS_DESC", "DESC_INCIDENCE", "DESC_HEADING", "FAULT",
                "DIP", "TOP_DEPTH", "BOTTOM_DEPTH", "PATCH_LENGTH", "PATCH_WIDTH", "RAKE_MIN", "RAKE_MAX", "MAX_SLIP",
                "SMOOTHING", "QUADTREE_STD", "RAMP", "SHEAR_MODULUS", "POISSON", "OUTPUT_PATCHES",
                "OUTPUT_SAMPLES", "OUTPUT_MODEL", "OUTPUT_RESIDUAL", "OUTPUT_LCURVE"):
        assert pid in ids
    assert {o.name() for o in a.outputDefinitions()} >= {"M0", "MW", "RMS_MM", "VARIANCE_REDUCTION"}


def _synthetic(tmp_path):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "core"))
    from test_faults_inversion import synthetic_quake  # noqa: F401  (same truth as the core test)

    from insar_geohazards.algorithms.faults.faults import discretize, faults_from_traces, moment

    f = faults_from_traces([np.array([[E0 - 12e3, N0], [E0 + 12e3, N0]])], dip_deg=50.0, top_m=500.0,
                           bottom_m=11e3, slip_m=0.0, rake_deg=90.0)
    p, _ = discretize(f, patch_length_m=3e3, patch_width_m=2.75e3)
    c = p.centres()
    slip = 2.5 * np.exp(-(((c[:, 0] - E0) / 7e3) ** 2 + ((c[:, 2] - 5e3) / 3.5e3) ** 2))
    p.strike_slip_m = slip * np.cos(np.radians(75.0))
    p.dip_slip_m = slip * np.sin(np.radians(75.0))
    paths = los_pair(tmp_path, p.table(), (E0, N0), pixel_m=1000.0, n=80, noise_mm=3.0, seed=3)
    trace = write_lines(tmp_path / "trace.gpkg", [[(E0 - 12e3, N0), (E0 + 12e3, N0)]])
    return paths, trace, moment(p)[1]


def test_run_recovers_synthetic_earthquake(run_alg, tmp_path):
    (asc, desc), trace, mw_true = _synthetic(tmp_path)
    res = run_alg(NAME, {"LOS_ASC": asc, "ASC_INCIDENCE": 34.0, "ASC_HEADING": -12.0, "LOS_DESC": desc,
                         "DESC_INCIDENCE": 39.0, "DESC_HEADING": 192.0, "FAULT": trace, "DIP": 50.0,
                         "TOP_DEPTH": 500.0, "BOTTOM_DEPTH": 11000.0, "PATCH_LENGTH": 3000.0, "PATCH_WIDTH": 2750.0,
                         "RAKE_MIN": 30.0, "RAKE_MAX": 150.0, "QUADTREE_STD": 4.0,
                         "OUTPUT_PATCHES": str(tmp_path / "p.gpkg"), "OUTPUT_SAMPLES": str(tmp_path / "s.gpkg"),
                         "OUTPUT_MODEL": str(tmp_path / "m.tif"), "OUTPUT_RESIDUAL": str(tmp_path / "r.tif"),
                         "OUTPUT_LCURVE": str(tmp_path / "l.png")})
    assert abs(res["MW"] - mw_true) < 0.05
    assert res["VARIANCE_REDUCTION"] > 0.95
    rows = read_features(res["OUTPUT_PATCHES"])
    assert len(rows) == 8 * 5 and max(r["slip_m"] for r in rows) > 1.5
    assert os.path.getsize(res["OUTPUT_LCURVE"]) > 1000
    from osgeo import gdal

    r = gdal.Open(res["OUTPUT_RESIDUAL"]).ReadAsArray()
    assert np.nanstd(r) < 5.0


def test_defaults_find_a_thrust_and_say_so(run_alg, tmp_path):
    """No rake typed (free rake, the default): the rake-75 thrust is found (Mw within 0.05, moment-weighted
    rake within 5 degrees; 74.9 found) and the log states the mechanism. With the former default bounds 0-180
    this event came out as strike-slip."""
    (asc, desc), trace, mw_true = _synthetic(tmp_path)
    fb = recording_feedback()
    res = run_alg(NAME, {"LOS_ASC": asc, "ASC_INCIDENCE": 34.0, "ASC_HEADING": -12.0, "LOS_DESC": desc,
                         "DESC_INCIDENCE": 39.0, "DESC_HEADING": 192.0, "FAULT": trace, "DIP": 50.0,
                         "TOP_DEPTH": 500.0, "BOTTOM_DEPTH": 11000.0, "PATCH_LENGTH": 3000.0, "PATCH_WIDTH": 2750.0,
                         "QUADTREE_STD": 4.0, "OUTPUT_PATCHES": str(tmp_path / "p.gpkg")}, feedback=fb)
    assert abs(res["MW"] - mw_true) < 0.05
    rows = read_features(res["OUTPUT_PATCHES"])
    ss = sum(r["strike_slip_m"] for r in rows)
    ds = sum(r["dip_slip_m"] for r in rows)  # patches of one size: the moment-weighted rake
    assert abs(np.degrees(np.arctan2(ds, ss)) - 75.0) < 5.0
    said = [t for t in fb.info if t.startswith("mechanism found (free rake)")]
    assert said and re.search(r"rake 7\d\.\d degrees, thrust \(reverse\)", said[0]), fb.info
    assert f"Mw {res['MW']:.3f}" in said[0]


def test_wrong_parameters_give_clear_messages_and_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    los = write_geotiff(tmp_path / "los.tif", np.zeros((10, 10)))
    geo = write_geotiff(tmp_path / "geo.tif", np.zeros((10, 10)), geotransform=(10.0, 0.01, 0, 45.0, 0, -0.01),
                        epsg=4326)
    trace = write_lines(tmp_path / "t.gpkg", [[(E0, N0), (E0 + 1e3, N0)]])
    out = tmp_path / "p.gpkg"
    with pytest.raises(QgsProcessingException, match="RAKE_MAX - RAKE_MIN"):
        run_alg(NAME, {"LOS_ASC": los, "FAULT": trace, "RAKE_MIN": 0.0, "RAKE_MAX": 270.0, "OUTPUT_PATCHES": str(out)})
    with pytest.raises(QgsProcessingException, match="only strike-slip.*empty for free rake"):
        run_alg(NAME, {"LOS_ASC": los, "FAULT": trace, "RAKE_MIN": 0.0, "RAKE_MAX": 180.0, "OUTPUT_PATCHES": str(out)})
    with pytest.raises(QgsProcessingException, match="give both rake bounds"):
        run_alg(NAME, {"LOS_ASC": los, "FAULT": trace, "RAKE_MIN": 30.0, "OUTPUT_PATCHES": str(out)})
    with pytest.raises(QgsProcessingException, match="BOTTOM_DEPTH"):
        run_alg(NAME, {"LOS_ASC": los, "FAULT": trace, "TOP_DEPTH": 5000.0, "BOTTOM_DEPTH": 1000.0,
                       "OUTPUT_PATCHES": str(out)})
    # (the guard layer may first notice that the data and the fault are 1000 km apart)
    with pytest.raises(QgsProcessingException, match="geographic|do not overlap"):
        run_alg(NAME, {"LOS_ASC": geo, "FAULT": trace, "OUTPUT_PATCHES": str(out)})
    assert not out.exists()


def test_cancel_leaves_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    (asc, _), trace, _ = _synthetic(tmp_path)
    fb = QgsProcessingFeedback()
    fb.cancel()
    out = tmp_path / "p.gpkg"
    with pytest.raises(QgsProcessingException, match="Canceled"):
        run_alg(NAME, {"LOS_ASC": asc, "FAULT": trace, "DIP": 50.0, "BOTTOM_DEPTH": 11000.0,
                       "OUTPUT_PATCHES": str(out)}, feedback=fb)
    assert not out.exists()


def test_patches_feed_okadaforward(run_alg, tmp_path):
    """The inversion's patch layer is a source for the forward model, which reproduces the model raster."""
    (asc, desc), trace, _ = _synthetic(tmp_path)
    res = run_alg(NAME, {"LOS_ASC": asc, "ASC_INCIDENCE": 34.0, "ASC_HEADING": -12.0, "FAULT": trace, "DIP": 50.0,
                         "TOP_DEPTH": 500.0, "BOTTOM_DEPTH": 11000.0, "PATCH_LENGTH": 3000.0, "PATCH_WIDTH": 2750.0,
                         "RAKE_MIN": 30.0, "RAKE_MAX": 150.0, "SMOOTHING": 0.2, "RAMP": False,
                         "OUTPUT_PATCHES": str(tmp_path / "p.gpkg"), "OUTPUT_MODEL": str(tmp_path / "m.tif")})
    fwd = run_alg("okadaforward", {"FAULTS": res["OUTPUT_PATCHES"], "INCIDENCE": 34.0, "HEADING": -12.0,
                                   "EXTENT": f"{E0 - 40e3},{E0 + 40e3},{N0 - 40e3},{N0 + 40e3} [EPSG:32633]",
                                   "PIXEL_SIZE": 1000.0, "OUTPUT": str(tmp_path / "f.tif")})["OUTPUT"]
    from osgeo import gdal

    model = gdal.Open(res["OUTPUT_MODEL"]).ReadAsArray()
    ds = gdal.Open(fwd)
    los = ds.GetRasterBand(4).ReadAsArray()
    np.testing.assert_allclose(los, model, atol=0.05 + 1e-3 * np.abs(model).max())


def test_dip_grid_search(run_alg, tmp_path):
    (asc, desc), trace, mw_true = _synthetic(tmp_path)
    res = run_alg(NAME, {"LOS_ASC": asc, "ASC_INCIDENCE": 34.0, "ASC_HEADING": -12.0, "LOS_DESC": desc,
                         "DESC_INCIDENCE": 39.0, "DESC_HEADING": 192.0, "FAULT": trace, "DIP": 30.0,
                         "DIP_SEARCH": "30,70,10", "SMOOTHING": 0.15, "TOP_DEPTH": 500.0, "BOTTOM_DEPTH": 11000.0,
                         "PATCH_LENGTH": 3000.0, "PATCH_WIDTH": 2750.0, "RAKE_MIN": 30.0, "RAKE_MAX": 150.0,
                         "QUADTREE_STD": 4.0, "OUTPUT_PATCHES": str(tmp_path / "p.gpkg")})
    rows = read_features(res["OUTPUT_PATCHES"])
    assert {r["dip_deg"] for r in rows} == {50.0}
    assert abs(res["MW"] - mw_true) < 0.05


def test_a_first_run_estimates_its_design_matrices_per_configuration(alg, cold_kernels, tmp_path):
    """On a first run the tool's work is its design matrices in Okada's cost model: quadtree samples x patches (8 x 5
    here), and every pixel of the first raster x patches more with the model output; the numpy path costs less than
    compiling (compile_costs.json's tools row) plus the compiled run on this 80 x 80 px pair."""
    from qgis.core import QgsProcessingContext

    from insar_geohazards.algorithms import kernel_families
    from insar_geohazards.algorithms.faults.okada_cost import OkadaWork, okada_cost
    from insar_geohazards.fileio.faults.faults import read_los_datasets
    from insar_geohazards.processing_provider.inputs.compilation import WorkEstimate

    (asc, desc), trace, _ = _synthetic(tmp_path)
    params = {"LOS_ASC": asc, "ASC_INCIDENCE": 34.0, "ASC_HEADING": -12.0, "LOS_DESC": desc, "DESC_INCIDENCE": 39.0,
              "DESC_HEADING": 192.0, "FAULT": trace, "DIP": 50.0, "TOP_DEPTH": 500.0, "BOTTOM_DEPTH": 11000.0,
              "PATCH_LENGTH": 3000.0, "PATCH_WIDTH": 2750.0, "QUADTREE_STD": 4.0,
              "OUTPUT_PATCHES": str(tmp_path / "p.gpkg")}
    samples = sum(d[5].east_m.size for d in read_los_datasets([("LOS_ASC", asc, 34.0, -12.0),
                                                               ("LOS_DESC", desc, 39.0, 192.0)], 4.0))
    row = kernel_families.measured_costs()["work"]["okada"]
    a, context = alg(NAME), QgsProcessingContext()
    work = a.work_bytes(params, context)
    assert isinstance(work, WorkEstimate)
    expected = okada_cost(OkadaWork("greens", pairs=samples * 40, calls=40, stations=samples), row)
    assert (work.numpy_s, work.numba_s) == pytest.approx(expected)
    assert work.numpy_s <= kernel_families.measured_costs()["tools"]["slipinversion"]["okada"] + work.numba_s
    with_model = a.work_bytes({**params, "OUTPUT_MODEL": str(tmp_path / "m.tif")}, context)
    grid = okada_cost(OkadaWork("greens", pairs=80 * 80 * 40, calls=40, stations=80 * 80), row)
    assert with_model.numpy_s == pytest.approx(work.numpy_s + grid[0])


def test_the_run_reads_the_fault_in_the_rasters_crs(qgis_app, tmp_path):
    """The job carries the fault layer; the run reads it in the LOS rasters' CRS: a trace drawn in EPSG:4326 becomes
    the plane of its UTM coordinates (pyproj's transform of the ends, within 1 mm), at the dip and depths (m) the
    job gives; a layer without lines is refused naming the parameter."""
    from pyproj import Transformer
    from qgis.core import QgsProcessingContext, QgsVectorLayer

    from insar_geohazards.algorithms.errors import GeohazardError
    from insar_geohazards.fileio.faults.slipinversion import read_faults

    to_geo = Transformer.from_crs(32633, 4326, always_xy=True)
    ends = [(E0 - 5e3, N0 + 2e3), (E0 + 7e3, N0 - 1e3)]
    trace = write_lines(tmp_path / "t4326.gpkg", [[to_geo.transform(*p) for p in ends]], epsg=4326)
    los = write_geotiff(tmp_path / "los.tif", np.zeros((10, 10)), geotransform=(E0, 100.0, 0, N0, 0, -100.0))
    from osgeo import gdal

    crs_wkt = gdal.Open(los).GetProjection()
    f = read_faults(QgsVectorLayer(trace, "t", "ogr"), name="FAULT", dip_deg=50.0, top_m=500.0, bottom_m=11e3,
                    crs_wkt=crs_wkt, context=QgsProcessingContext())
    back = Transformer.from_crs(4326, 32633, always_xy=True)
    start = back.transform(*to_geo.transform(*ends[0]))
    end = back.transform(*to_geo.transform(*ends[1]))
    length = float(np.hypot(end[0] - start[0], end[1] - start[1]))
    assert len(f.east_m) == 1 and float(f.length_m[0]) == pytest.approx(length, abs=1e-3)
    assert (float(f.east_m[0]), float(f.north_m[0])) == pytest.approx(start, abs=1e-3)
    strike = np.degrees(np.arctan2(end[0] - start[0], end[1] - start[1])) % 360.0
    assert float(f.strike_deg[0]) == pytest.approx(strike, abs=1e-6)
    assert (float(f.dip_deg[0]), float(f.top_m[0]), float(f.bottom_m[0])) == (50.0, 500.0, 11e3)
    empty = write_lines(tmp_path / "empty.gpkg", [])
    with pytest.raises(GeohazardError, match="FAULT has no line features"):
        read_faults(QgsVectorLayer(empty, "e", "ogr"), name="FAULT", dip_deg=50.0, top_m=0.0, bottom_m=1e4,
                    crs_wkt=crs_wkt)
