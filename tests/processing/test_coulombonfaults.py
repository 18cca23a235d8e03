"""geohazard:coulombonfaults — parameters, wrong parameters, run vs the core and Coulomb 3.4."""

import os

import numpy as np
import pytest
from testutils import recording_feedback
from testutils_faults import DATA, coulomb34_receiver, read_features, write_lines

NAME = "coulombonfaults"
INP = os.path.join(DATA, "simple_receiver_bm.inp")


def test_parameters(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    for pid in ("FAULTS", "COULOMB_INP", "RECEIVERS", "DEPTHS", "RECEIVER_DIP", "RECEIVER_RAKE", "FRICTION", "UNITS",
                "OUTPUT"):
        assert pid in ids
    assert "RECEIVER_STRIKE" not in ids  # strike comes from each segment


def test_import_then_coulombonfaults_reproduces_coulomb34_receiver(run_alg, tmp_path):
    """End to end: importcoulombinput writes the receiver as its top edge at top_m = 5 km;
    coulombonfaults at its mid-depth (5.5 km, Coulomb's element centre) gives Coulomb 3.4's values."""
    ref = coulomb34_receiver()
    imp = run_alg("importcoulombinput", {"INPUT": INP, "CRS": "EPSG:32610", "OUTPUT_SOURCES": str(tmp_path / "s.gpkg"),
                                         "OUTPUT_RECEIVERS": str(tmp_path / "r.gpkg")})
    rec = imp["OUTPUT_RECEIVERS"]
    r = read_features(rec)
    assert len(r) == 1 and r[0]["top_m"] == pytest.approx(5000.0) and r[0]["bottom_m"] == pytest.approx(6000.0)
    got = {}
    for rake in (90.0, 180.0):
        fb = recording_feedback()
        out = run_alg(NAME, {"COULOMB_INP": INP, "CRS": "EPSG:32610", "RECEIVERS": rec, "DEPTHS": "mid, 5.5, 7",
                             "RECEIVER_RAKE": rake, "OUTPUT": str(tmp_path / f"o{rake:g}.gpkg")},
                      feedback=fb)["OUTPUT"]
        got[rake] = read_features(out)[0]
        text = "\n".join(fb.info)
        assert "friction 0.4 (FRIC)" in text and "Poisson 0.25 (PR1)" in text
        assert "FRICTION 0.4 (from the Coulomb file COULOMB_INP (FRIC))" in text, text
        assert any("depth 7km lies outside" in w and "receiver-1 test 1" in w for w in fb.warnings)
        assert not any("5p5km" in w or "depth mid" in w for w in fb.warnings)
    g90, g180 = got[90.0], got[180.0]
    for tag in ("mid", "5p5km"):
        np.testing.assert_allclose([g90[f"normal_{tag}"], g90[f"shear_{tag}"], g90[f"dcfs_{tag}"]],
                                   [ref["normal"], ref["sig_reverse"], ref["coul_reverse"]], rtol=1e-4)
        np.testing.assert_allclose([g180[f"shear_{tag}"], g180[f"dcfs_{tag}"]],
                                   [ref["sig_right"], ref["coul_right"]], rtol=1e-4)
        # Coulomb's optimum rake on the fixed receiver (grid search in 0.1 degree steps) and its dCFS
        assert g90[f"opt_rake_{tag}"] == pytest.approx(ref["opt_rake"], abs=0.06)
        assert g90[f"opt_dcfs_{tag}"] == pytest.approx(ref["opt_coul"], rel=1e-4)
        assert g180[f"opt_dcfs_{tag}"] == pytest.approx(g90[f"opt_dcfs_{tag}"], rel=1e-9)
    assert g90["opt_dcfs_mid"] >= max(g90["dcfs_mid"], g180["dcfs_mid"])
    assert os.path.exists(os.path.splitext(out)[0] + ".qml")
    # a typed friction wins over the file's, with a warning naming both; dCFS = shear + mu' normal from Coulomb
    # 3.4's own shear and normal columns (friction changes neither)
    fb = recording_feedback()
    out = run_alg(NAME, {"COULOMB_INP": INP, "CRS": "EPSG:32610", "RECEIVERS": rec, "DEPTHS": "mid",
                         "RECEIVER_RAKE": 180.0, "FRICTION": 0.7, "OUTPUT": str(tmp_path / "typed.gpkg")},
                  feedback=fb)["OUTPUT"]
    assert any("FRICTION = 0.7 (typed) is used; the Coulomb file COULOMB_INP (FRIC) gives 0.4" in w
               for w in fb.warnings), fb.warnings
    assert read_features(out)[0]["dcfs_mid"] == pytest.approx(ref["sig_right"] + 0.7 * ref["normal"], rel=1e-4)


def test_receivers_without_depth_fields_are_surface_traces(run_alg, tmp_path):
    """Without top_m the line is the surface trace: the point at depth d lies d / tan(dip) down-dip."""
    ref = coulomb34_receiver()
    shift = 5000.0 / np.tan(np.radians(65.9))  # surface trace of the benchmark receiver's plane
    rec = write_lines(tmp_path / "r.gpkg", [[(-1000.0, -10000.0 + shift), (1000.0, -10000.0 + shift)],
                                            [(20e3, 20e3), (20e3, 30e3)]],
                      epsg=32610, fields={"dip_deg": [65.9, 45.0], "rake_deg": [90.0, 180.0]})
    out = run_alg(NAME, {"COULOMB_INP": INP, "CRS": "EPSG:32610", "RECEIVERS": rec, "DEPTHS": "5.5, 10",
                         "OUTPUT": str(tmp_path / "o.gpkg")})["OUTPUT"]
    rows = read_features(out)
    assert len(rows) == 2
    r0 = rows[0]
    assert r0["strike_deg"] == pytest.approx(90.0) and r0["dip_deg"] == pytest.approx(65.9)
    np.testing.assert_allclose([r0["dcfs_5p5km"], r0["shear_5p5km"], r0["normal_5p5km"]],
                               [ref["coul_reverse"], ref["sig_reverse"], ref["normal"]], rtol=1e-3)
    assert np.isfinite(rows[1]["dcfs_10km"])
    # the same line with top_m = 5 km is the top edge: the stress point moves 5 km / tan(dip) down-dip
    rec2 = write_lines(tmp_path / "r2.gpkg", [[(-1000.0, -10000.0), (1000.0, -10000.0)]], epsg=32610,
                       fields={"dip_deg": [65.9], "rake_deg": [90.0], "top_m": [5000.0], "bottom_m": [6000.0]})
    out2 = run_alg(NAME, {"COULOMB_INP": INP, "CRS": "EPSG:32610", "RECEIVERS": rec2, "DEPTHS": "5.5",
                          "OUTPUT": str(tmp_path / "o2.gpkg")})["OUTPUT"]
    assert read_features(out2)[0]["dcfs_5p5km"] == pytest.approx(r0["dcfs_5p5km"], rel=1e-9)


def test_wrong_parameters_give_clear_messages_and_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    out = tmp_path / "o.gpkg"
    rec = write_lines(tmp_path / "r.gpkg", [[(0.0, 0.0), (1000.0, 0.0)]], epsg=32610, fields={"dip_deg": [0.0]})
    with pytest.raises(QgsProcessingException, match="dip_deg must be in"):
        run_alg(NAME, {"COULOMB_INP": INP, "CRS": "EPSG:32610", "RECEIVERS": rec, "OUTPUT": str(out)})
    bad = write_lines(tmp_path / "b.gpkg", [[(0.0, 0.0), (1000.0, 0.0)]], epsg=32610,
                      fields={"dip_deg": [60.0], "top_m": [5000.0], "bottom_m": [4000.0]})
    with pytest.raises(QgsProcessingException, match="bottom_m 4000 not below top_m 5000"):
        run_alg(NAME, {"COULOMB_INP": INP, "CRS": "EPSG:32610", "RECEIVERS": bad, "OUTPUT": str(out)})
    nob = write_lines(tmp_path / "n.gpkg", [[(0.0, 0.0), (1000.0, 0.0)]], epsg=32610, fields={"dip_deg": [60.0]})
    with pytest.raises(QgsProcessingException, match="'mid' needs top_m and bottom_m"):
        run_alg(NAME, {"COULOMB_INP": INP, "CRS": "EPSG:32610", "RECEIVERS": nob, "DEPTHS": "mid", "OUTPUT": str(out)})
    with pytest.raises(QgsProcessingException, match="exactly one of FAULTS"):
        run_alg(NAME, {"RECEIVERS": rec, "OUTPUT": str(out)})
    assert not out.exists()


def _inp_with(tmp_path, name, **values):
    """simple_receiver_bm.inp with some of its constants replaced (FRIC, PR1 ...), written to tmp_path."""
    import re

    text = open(INP).read()
    for key, v in values.items():
        text, n = re.subn(rf"({key}=\s*)\S+", lambda m, v=v: f"{m.group(1)}{v:.3f}", text, count=1)
        assert n == 1, key
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_the_coulomb_files_constants_travel_with_the_imported_layers(run_alg, tmp_path):
    """A Coulomb file with FRIC = 0: importcoulombinput writes its constants on every feature (shear_modulus_pa,
    poisson, friction) and coulombonfaults given the imported layers uses them, so the receiver's dCFS is Coulomb
    3.4's shear stress on it (friction 0: dCFS = shear; 0.268 bar right-lateral), not -1.888 bar (the default
    friction 0.4 on Coulomb's normal stress of -5.39 bar). A typed friction wins, with a warning naming both.
    Coulomb 3.4's values: Coulomb34_benchmark_outs.csv (shear and normal do not depend on friction; dCFS =
    shear + mu' normal, Toda et al. 2011, doi:10.3133/ofr20111060)."""
    ref = coulomb34_receiver()
    inp = _inp_with(tmp_path, "fric0.inp", FRIC=0.0)
    imp = run_alg("importcoulombinput", {"INPUT": inp, "CRS": "EPSG:32610", "OUTPUT_SOURCES": str(tmp_path / "s.gpkg"),
                                         "OUTPUT_RECEIVERS": str(tmp_path / "r.gpkg")})
    for key in ("OUTPUT_SOURCES", "OUTPUT_RECEIVERS"):
        f = read_features(imp[key])[0]
        assert (f["friction"], f["poisson"]) == (0.0, 0.25)
        assert f["shear_modulus_pa"] == pytest.approx(0.8e6 * 1e5 / 2.5)  # E1 (bar) / (2 (1 + PR1)), in Pa
    params = {"FAULTS": imp["OUTPUT_SOURCES"], "RECEIVERS": imp["OUTPUT_RECEIVERS"], "DEPTHS": "mid",
              "RECEIVER_RAKE": 180.0}
    fb = recording_feedback()
    out = run_alg(NAME, dict(params, OUTPUT=str(tmp_path / "o.gpkg")), feedback=fb)["OUTPUT"]
    got = read_features(out)[0]
    assert got["dcfs_mid"] == pytest.approx(ref["sig_right"], rel=1e-4)  # 0.268 bar, not -1.888
    assert got["normal_mid"] == pytest.approx(ref["normal"], rel=1e-4)
    assert "FRICTION 0 (from FAULTS (field friction" in fb.text, fb.text
    fb = recording_feedback()
    out = run_alg(NAME, dict(params, FRICTION=0.6, OUTPUT=str(tmp_path / "o2.gpkg")), feedback=fb)["OUTPUT"]
    assert read_features(out)[0]["dcfs_mid"] == pytest.approx(ref["sig_right"] + 0.6 * ref["normal"], rel=1e-4)
    assert any("FRICTION = 0.6 (typed) is used; FAULTS (field friction" in w and "gives 0" in w
               for w in fb.warnings), fb.warnings


def test_the_constants_travel_into_coulombstress_and_okadaforward(run_alg, tmp_path):
    """coulombstress given the layers of a file with FRIC = 0 maps dCFS = shear (friction 0 from the layer);
    okadaforward given the layers of a file with PR1 = 0.30 gives the same displacements as from the file itself
    (the .inp read directly through COULOMB_INP), not those of the default Poisson's ratio 0.25."""
    from osgeo import gdal

    inp = _inp_with(tmp_path, "f.inp", FRIC=0.0, PR1=0.30)
    src = run_alg("importcoulombinput", {"INPUT": inp, "CRS": "EPSG:32610",
                                         "OUTPUT_SOURCES": str(tmp_path / "s.gpkg")})["OUTPUT_SOURCES"]
    ext = "-30000,30000,-30000,30000 [EPSG:32610]"
    cs = run_alg("coulombstress", {"FAULTS": src, "EXTENT": ext, "PIXEL_SIZE_KM": 5.0, "DEPTHS": "7.5",
                                   "OUTPUT": str(tmp_path / "c.tif")})["OUTPUT"]
    ds = gdal.Open(cs)
    dcfs, shear, normal = (ds.GetRasterBand(b).ReadAsArray() for b in (1, 2, 3))
    ok = np.isfinite(dcfs)
    assert ok.sum() > 100 and np.nanmax(np.abs(normal)) > 0.1
    np.testing.assert_allclose(dcfs[ok], shear[ok], rtol=1e-6, atol=1e-9)
    grids = {}
    for key, params in (("layer", {"FAULTS": src}), ("file", {"COULOMB_INP": inp, "CRS": "EPSG:32610"}),
                        ("default", {"FAULTS": src, "POISSON": 0.2})):
        out = run_alg("okadaforward", dict(params, EXTENT=ext, PIXEL_SIZE=5000.0,
                                           OUTPUT=str(tmp_path / f"d_{key}.tif")))["OUTPUT"]
        grids[key] = gdal.Open(out).ReadAsArray()
    np.testing.assert_array_equal(grids["layer"], grids["file"])
    assert np.nanmax(np.abs(grids["layer"] - grids["default"])) > 1e-3
