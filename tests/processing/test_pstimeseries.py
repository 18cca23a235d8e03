"""geohazard:pstimeseries — parameters, wrong parameters, PS+DS run against simulator truth, radar geometry."""

import numpy as np
import pytest
from testutils import write_geotiff
from testutils_psds import write_baseline_table, write_slc_files, write_slc_multiband

from insar_geohazards.algorithms.timeseries.simulate import simulate_slc_stack

NAME = "pstimeseries"
GT = (500000.0, 20.0, 0.0, 4100000.0, 0.0, -20.0)


@pytest.fixture(scope="module")
def chain(tmp_path_factory, qgis_app):
    """Simulated stack -> amplitudedispersion -> phaselinking outputs."""
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    tmp = tmp_path_factory.mktemp("psds")
    sim = simulate_slc_stack(shape=(50, 60), n_dates=30, seed=11, water_fraction=0.2, atmosphere_std_rad=0.0,
                             max_velocity_mm_yr=-25.0)
    files = write_slc_files(tmp, sim)

    def run(name, params):
        return processing.run(f"geohazard:{name}", params, context=QgsProcessingContext(),
                              feedback=QgsProcessingFeedback())

    da = run("amplitudedispersion", {"INPUT": files, "OUTPUT_MEAN_AMPLITUDE": str(tmp / "m.tif"),
                                      "OUTPUT_DISPERSION": str(tmp / "da.tif"), "OUTPUT_PS_MASK": str(tmp / "ps.tif")})
    pl = run("phaselinking", {"INPUT": files, "PS_MASK": da["OUTPUT_PS_MASK"], "WINDOW_ROWS": 7, "WINDOW_COLS": 9,
                              "OUTPUT": str(tmp / "ph.tif"), "OUTPUT_TEMPORAL_COHERENCE": str(tmp / "tc.tif"),
                              "OUTPUT_SHP_COUNT": str(tmp / "n.tif")})
    return sim, tmp, files, da, pl, write_baseline_table(tmp / "bperp.txt", sim)


def _layer(path):
    from osgeo import ogr

    ds = ogr.Open(path)
    lyr = ds.GetLayer(0)
    names = [lyr.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(lyr.GetLayerDefn().GetFieldCount())]
    rows = [[f.GetField(i) for i in range(len(names))] + [f.GetGeometryRef().GetX(), f.GetGeometryRef().GetY()]
            for f in lyr]
    cols = {n: np.array([r[i] for r in rows]) for i, n in enumerate(names + ["_X", "_Y"])}
    srs = lyr.GetSpatialRef()
    return cols, (srs.GetAuthorityCode(None) if srs is not None else None)


def test_parameters(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    # COHERENCE_THRESHOLD and WAVELENGTH: hidden former IDs of MIN_TEMPORAL_COHERENCE and WAVELENGTH_M
    assert ids == ["INPUT", "DISPERSION", "DISPERSION_THRESHOLD", "TEMPORAL_COHERENCE", "MIN_TEMPORAL_COHERENCE",
                   "COHERENCE_THRESHOLD", "BASELINES", "WAVELENGTH_M", "WAVELENGTH", "SLANT_RANGE_M", "SLANT_RANGE",
                   "INCIDENCE",
                   "ARC_COHERENCE", "MAX_VELOCITY",
                   "MAX_HEIGHT_ERROR", "MAX_ARC_LENGTH", "REFERENCE_ROW", "REFERENCE_COL", "LATITUDE", "LONGITUDE",
                   "OUTPUT"]
    assert "positive toward the" in a.shortHelpString()


def test_ps_ds_points_recover_simulated_velocity(run_alg, chain):
    sim, tmp, files, da, pl, bperp = chain
    r0, c0 = [int(v[0]) for v in np.nonzero(sim.ps_mask)]
    out = run_alg(NAME, {"INPUT": [pl["OUTPUT"]], "DISPERSION": da["OUTPUT_DISPERSION"],
                         "TEMPORAL_COHERENCE": pl["OUTPUT_TEMPORAL_COHERENCE"], "BASELINES": bperp,
                         "SLANT_RANGE": 850000.0, "INCIDENCE": 37.0,  # the simulation has no DEM error
                         "REFERENCE_ROW": r0, "REFERENCE_COL": c0, "OUTPUT": str(tmp / "pts.gpkg")})["OUTPUT"]
    f, epsg = _layer(out)
    assert epsg == "32633"
    assert {"PS", "DS"} <= set(f["TYPE"])
    d_fields = [k for k in f if k.startswith("D2")]
    assert len(d_fields) == 30 and d_fields[0] == f"D{sim.dates[0]:%Y%m%d}"
    rows, cols = f["ROW"].astype(int), f["COL"].astype(int)
    np.testing.assert_allclose(f["_X"], GT[0] + (cols + 0.5) * GT[1])
    # water (rows 20-29) is decorrelated: only pixels within half a window of its edge may borrow coherent
    # neighbours of similar brightness (GLRT cannot tell them apart); none deeper inside
    assert not ((rows >= 24) & (rows <= 25)).any()
    v_true = sim.velocity_mm_yr[rows, cols] - sim.velocity_mm_yr[r0, c0]
    err = f["VEL"] - v_true
    ps = f["TYPE"] == "PS"
    true_ps = sim.ps_mask[rows, cols]
    assert true_ps.sum() > 0.95 * sim.ps_mask.sum()
    # simulated PS: within their noise (D_A also picks some bright, slowly decorrelating DS pixels,
    # whose single-look phase is noisier: the candidates are not all true PS, as in real PSI)
    assert np.sqrt(np.mean(err[true_ps] ** 2)) < 0.6
    assert np.mean(np.abs(err[true_ps]) < 3 * f["V_STDEV"][true_ps] + 0.1) > 0.9
    # DS: the arc network adds nothing to the phase-linking error, whose temporal trend (random-walk-like
    # for exponentially decorrelating targets) is the DS velocity noise
    from osgeo import gdal

    from insar_geohazards.algorithms.conventions import phase_to_los_mm

    linked = gdal.Open(pl["OUTPUT"]).ReadAsArray().astype(float)
    e = np.angle(np.exp(1j * (linked[:, rows[~ps], cols[~ps]] - sim.phase_true[:, rows[~ps], cols[~ps]])))
    tc = sim.time_yr - sim.time_yr.mean()
    e_slope = phase_to_los_mm((e * tc[:, None]).sum(0) / (tc ** 2).sum(), sim.wavelength_m)
    ref_slope = np.sqrt(np.mean(e_slope ** 2))
    assert np.sqrt(np.mean(err[~ps] ** 2)) < 1.15 * ref_slope + 0.1, (np.sqrt(np.mean(err[~ps] ** 2)), ref_slope)
    assert np.sqrt(np.mean(err[~ps] ** 2)) < 3.0
    h_true = sim.dem_error_m[rows, cols] - sim.dem_error_m[r0, c0]
    assert np.median(np.abs(f["HEIGHT_ERR"][true_ps] - h_true[true_ps])) < 2.0


def test_radar_geometry_with_lat_lon_and_velocity_only(run_alg, chain, tmp_path):
    sim, tmp, files, da, pl, bperp = chain
    slc = write_slc_multiband(tmp_path / "stack.tif", sim)
    rr, cc = np.mgrid[0:50, 0:60]
    lat = write_geotiff(tmp_path / "lat.tif", 45.0 + rr * 1e-4, geotransform=None, epsg=None)
    lon = write_geotiff(tmp_path / "lon.tif", 7.0 + cc * 1e-4, geotransform=None, epsg=None)
    out = run_alg(NAME, {"INPUT": [slc], "DISPERSION": da["OUTPUT_DISPERSION"], "LATITUDE": lat, "LONGITUDE": lon,
                         "OUTPUT": str(tmp_path / "pts.gpkg")})["OUTPUT"]
    f, epsg = _layer(out)
    assert epsg == "4326"
    np.testing.assert_allclose(f["_Y"], 45.0 + f["ROW"] * 1e-4, atol=1e-6)
    assert set(f["TYPE"]) == {"PS"}
    assert np.all(np.isnan(f["HEIGHT_ERR"].astype(float)) | (f["HEIGHT_ERR"] == None))  # noqa: E711
    out2 = run_alg(NAME, {"INPUT": [slc], "DISPERSION": da["OUTPUT_DISPERSION"],
                          "OUTPUT": str(tmp_path / "pts2.gpkg")})["OUTPUT"]
    g, epsg2 = _layer(out2)
    assert epsg2 is None
    np.testing.assert_allclose(g["_X"], g["COL"] + 0.5)
    np.testing.assert_allclose(g["_Y"], -(g["ROW"] + 0.5))


def test_wrong_parameters_give_clear_messages_and_no_output(run_alg, chain, tmp_path):
    from qgis.core import QgsProcessingException

    sim, tmp, files, da, pl, bperp = chain
    out = str(tmp_path / "p.gpkg")
    with pytest.raises(QgsProcessingException, match="DISPERSION .*TEMPORAL_COHERENCE"):
        run_alg(NAME, {"INPUT": [pl["OUTPUT"]], "OUTPUT": out})
    with pytest.raises(QgsProcessingException, match="no PS .* or DS .* point found"):
        run_alg(NAME, {"INPUT": [pl["OUTPUT"]], "DISPERSION": da["OUTPUT_DISPERSION"], "DISPERSION_THRESHOLD": 0.01,
                       "OUTPUT": out})
    with pytest.raises(QgsProcessingException, match="LATITUDE and LONGITUDE"):
        run_alg(NAME, {"INPUT": [pl["OUTPUT"]], "DISPERSION": da["OUTPUT_DISPERSION"],
                       "LATITUDE": da["OUTPUT_DISPERSION"], "OUTPUT": out})
    with pytest.raises(QgsProcessingException, match="reference pixel"):
        run_alg(NAME, {"INPUT": [pl["OUTPUT"]], "DISPERSION": da["OUTPUT_DISPERSION"], "REFERENCE_ROW": 25,
                       "REFERENCE_COL": 0, "OUTPUT": out})
    small = write_geotiff(tmp_path / "da.tif", np.zeros((10, 60)), geotransform=GT)
    with pytest.raises(QgsProcessingException, match="DISPERSION has 10 rows x 60 columns, expected 50 x 60"):
        run_alg(NAME, {"INPUT": [pl["OUTPUT"]], "DISPERSION": small, "OUTPUT": out})
    assert not (tmp_path / "p.gpkg").exists()


def test_cancel_leaves_no_output(run_alg, chain, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    sim, tmp, files, da, pl, bperp = chain
    feedback = QgsProcessingFeedback()
    feedback.cancel()
    with pytest.raises(QgsProcessingException, match="Canceled"):
        run_alg(NAME, {"INPUT": [pl["OUTPUT"]], "DISPERSION": da["OUTPUT_DISPERSION"],
                       "OUTPUT": str(tmp_path / "c.gpkg")}, feedback=feedback)
    assert not (tmp_path / "c.gpkg").exists()


def test_baselines_without_a_geometry_are_refused(run_alg, chain):
    """Formerly a silent 850 km / 37 degrees scaled the height errors: with baselines, the geometry is typed or
    carried by the stack, else the run stops saying what to type."""
    from qgis.core import QgsProcessingException

    sim, tmp, files, da, pl, bperp = chain
    with pytest.raises(QgsProcessingException, match=r"SLANT_RANGE_M: the inputs carry no slant range .*type "
                                                     r"SLANT_RANGE_M \(one value in metres"):
        run_alg(NAME, {"INPUT": [pl["OUTPUT"]], "DISPERSION": da["OUTPUT_DISPERSION"], "BASELINES": bperp,
                       "OUTPUT": str(tmp / "refused.gpkg")})
    assert not (tmp / "refused.gpkg").exists()


def test_the_run_reads_the_baselines_for_the_stack_dates(qgis_app, tmp_path):
    """The job carries the BASELINES file; the run reads it for the stack's dates: the simulator's baselines
    relative to the first date (to the table's 0.1 mm), None without a file, a date the table lacks refused."""
    from insar_geohazards.algorithms.errors import GeohazardError
    from insar_geohazards.fileio.psds.pstimeseries import read_bperp

    sim = simulate_slc_stack(shape=(8, 8), n_dates=6, seed=4)
    table = write_baseline_table(tmp_path / "b.txt", sim)
    got = read_bperp(table, sim.dates)
    np.testing.assert_allclose(got, np.asarray(sim.bperp_m) - sim.bperp_m[0], atol=1e-4)
    assert read_bperp("", sim.dates) is None
    later = sim.dates[-1] + (sim.dates[-1] - sim.dates[-2])
    with pytest.raises(GeohazardError, match="no perpendicular baseline for date"):
        read_bperp(table, list(sim.dates) + [later])


def test_unreadable_baselines_are_refused_before_the_geometry_is_asked(run_alg, chain):
    """The run reads the baselines first: a file without 'date bperp' lines is refused as such (not with the
    geometry rule's request to type a slant range that would not help), and nothing is written."""
    from qgis.core import QgsProcessingException

    sim, tmp, files, da, pl, _ = chain
    bad = tmp / "not_baselines.txt"
    bad.write_text("no baselines here\n")
    with pytest.raises(QgsProcessingException, match="no 'date bperp' lines found in the baseline file"):
        run_alg(NAME, {"INPUT": [pl["OUTPUT"]], "DISPERSION": da["OUTPUT_DISPERSION"], "BASELINES": str(bad),
                       "OUTPUT": str(tmp / "bad_baselines.gpkg")})
    assert not (tmp / "bad_baselines.gpkg").exists()
