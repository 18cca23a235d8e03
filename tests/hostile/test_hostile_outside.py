"""Hostile inputs found by checks from outside: each case was silent, wrong or a traceback before."""

import os
import shutil
import socket
import subprocess

import numpy as np
import pytest
import testutils_hostile as hk
from testutils import tag_wavelength


# ------------------------------------------------------------------ interferogram stacks
@pytest.mark.parametrize("tool,out", [("sbasinversion", "OUTPUT_VELOCITY"), ("stackingvelocity", "OUTPUT_VELOCITY"),
                                      ("phasegradientstacking", "OUTPUT")])
def test_zero_length_pair_is_refused_by_name(qgis_app, tool, out, tmp_path):
    files = hk.ifg_stack(str(tmp_path / "ifgs"))
    same = os.path.join(str(tmp_path / "ifgs"), "20200101_20200101.tif")
    shutil.copy(files[0], same)
    hk.expect_refusal(tool, {"INTERFEROGRAMS": files + [same], out: str(tmp_path / "v.tif")},
                      r"INTERFEROGRAMS.*20200101_20200101.*with itself")


# ------------------------------------------------------------------ EGMS points to other vector formats
EGMS = os.path.join(hk.DATA, "egms_ustica", "EGMS_L2b_022_0845_IW2_VV_2020_2024_1.zip")


def test_loadegms_to_a_shapefile_is_refused_with_the_fields_it_would_cut(qgis_app, tmp_path):
    msg = hk.expect_refusal("loadegms", {"INPUT": EGMS, "OUTPUT": str(tmp_path / "p.shp")},
                            r"Shapefile keeps field names of at most 10 characters.*temporal_coherence.*\.gpkg")
    assert "Traceback" not in msg
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize("ext", [".csv", ".geojson"])
def test_loadegms_writes_other_vector_formats(qgis_app, ext, tmp_path):
    from osgeo import ogr

    # the first 20 points of a real tile as delivered (CSV): every column of the product, a few seconds to write
    # (the whole tile's 11,590 points as GeoJSON cost 26 CPU-s and proved nothing more)
    csv = os.path.join(hk.DATA, "egms_ustica", "asc_117_first20.csv")
    out = hk.run("loadegms", {"INPUT": csv, "OUTPUT": str(tmp_path / f"p{ext}")})["OUTPUT"]
    ds = ogr.Open(out)
    lyr = ds.GetLayer(0)
    assert lyr.GetFeatureCount() == 20
    names = [lyr.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(lyr.GetLayerDefn().GetFieldCount())]
    assert "mean_velocity" in names and "D20200105" in names or any(n.startswith("D20") for n in names)


# ------------------------------------------------------------------ two runs, one destination
def _claim(path, pid):
    lock = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.geohazard-lock")
    with open(lock, "w") as fh:
        fh.write(f"{pid} {socket.gethostname()}")
    return lock


def test_second_run_on_a_destination_being_written_is_refused_and_touches_nothing(qgis_app, tmp_path):
    files = hk.ifg_stack(str(tmp_path / "ifgs"), shape=(20, 22))
    out = str(tmp_path / "v.tif")
    hk.run("stackingvelocity", {"INTERFEROGRAMS": files, "OUTPUT_VELOCITY": out})
    before = hk.digest([out])
    other = subprocess.Popen(["sleep", "60"])  # a live process of this host holds the destination
    try:
        lock = _claim(out, other.pid)
        msg = hk.expect_refusal("stackingvelocity", {"INTERFEROGRAMS": files, "OUTPUT_VELOCITY": out},
                                rf"OUTPUT_VELOCITY: .*being written by another run \(process {other.pid} ")
        assert "Traceback" not in msg
        assert hk.digest([out]) == before and os.path.exists(lock)
    finally:
        other.kill()
        other.wait()
    # the claim of a process that has ended is taken over, and released at the end of the run
    hk.run("stackingvelocity", {"INTERFEROGRAMS": files, "OUTPUT_VELOCITY": out})
    assert not os.path.exists(lock)
    assert hk.listing(str(tmp_path)) == {os.path.relpath(f, str(tmp_path)) for f in files} | {"v.tif"} | \
        {n for n in hk.listing(str(tmp_path)) if n.startswith("v.tif.aux") or n.endswith(".qml")}


def test_folder_destination_is_claimed_too(qgis_app, tmp_path):
    files = hk.ifg_stack(str(tmp_path / "ifgs"), shape=(20, 22))
    out = str(tmp_path / "corrected")
    other = subprocess.Popen(["sleep", "60"])
    try:
        _claim(out, other.pid)
        hk.expect_refusal("rampremoval", {"INTERFEROGRAMS": files, "OUTPUT": out}, r"being written by another run")
        assert not os.path.exists(out)
    finally:
        other.kill()
        other.wait()


# ------------------------------------------------------------------ PS / DS
def test_phaselinking_window_of_one_pixel_is_refused(qgis_app, tmp_path):
    files, _ = hk.slc_files(str(tmp_path / "slc"))
    hk.expect_refusal("phaselinking", {"INPUT": files, "WINDOW_ROWS": 1, "WINDOW_COLS": 1,
                                       "OUTPUT": str(tmp_path / "pl.tif")}, r"WINDOW_ROWS x WINDOW_COLS.*1 pixel")


def _zero_slc(folder, n=8, shape=(14, 16)):
    import datetime as dt

    from osgeo import gdal

    os.makedirs(folder, exist_ok=True)
    out = []
    for i in range(n):
        d = dt.date(2020, 1, 1) + dt.timedelta(days=12 * i)
        p = os.path.join(folder, f"{d:%Y%m%d}.slc.tif")
        ds = gdal.GetDriverByName("GTiff").Create(p, shape[1], shape[0], 1, gdal.GDT_CFloat32)
        ds.SetGeoTransform((500000.0, 20.0, 0.0, 4100000.0, 0.0, -20.0))
        ds.GetRasterBand(1).Fill(0.0)
        ds = None
        out.append(p)
    return out


def test_pstimeseries_on_an_all_zero_stack_finds_no_signal(qgis_app, tmp_path):
    from testutils import write_geotiff

    files = _zero_slc(str(tmp_path / "slc"))
    disp = write_geotiff(str(tmp_path / "da.tif"), __import__("numpy").full((14, 16), 0.1),
                         geotransform=(500000.0, 20.0, 0.0, 4100000.0, 0.0, -20.0))
    hk.expect_refusal("pstimeseries", {"INPUT": files, "DISPERSION": disp, "OUTPUT": str(tmp_path / "p.gpkg")},
                      r"INPUT: all \d+ selected pixels have zero amplitude")


def test_pstimeseries_reference_row_without_column_is_refused(qgis_app, tmp_path):
    from testutils import write_geotiff

    files, _ = hk.slc_files(str(tmp_path / "slc"))
    disp = write_geotiff(str(tmp_path / "da.tif"), __import__("numpy").full((14, 16), 0.1),
                         geotransform=(500000.0, 20.0, 0.0, 4100000.0, 0.0, -20.0))
    hk.expect_refusal("pstimeseries", {"INPUT": files, "DISPERSION": disp, "REFERENCE_ROW": 3,
                                       "OUTPUT": str(tmp_path / "p.gpkg")}, r"REFERENCE_ROW \(3\) and REFERENCE_COL")


# ------------------------------------------------------------------ corrections
def test_demerrorcorrection_refuses_baselines_of_1e11_m(qgis_app, tmp_path):
    import datetime as dt

    import numpy as np
    from testutils import write_geotiff

    dates = [dt.date(2021, 1, 5) + dt.timedelta(days=12 * i) for i in range(12)]
    rng = np.random.default_rng(0)
    ts = write_geotiff(str(tmp_path / "ts.tif"), np.cumsum(rng.normal(0, 2, (12, 16, 18)), axis=0),
                       geotransform=hk.GT, epsg=32633, descriptions=[d.isoformat() for d in dates])
    csvf = str(tmp_path / "bperp.csv")
    with open(csvf, "w") as fh:
        fh.write("".join(f"{d.isoformat()},{1e11 * np.sin(i):.6g}\n" for i, d in enumerate(dates)))
    hk.expect_refusal("demerrorcorrection", {"INPUT": ts, "BASELINES": [csvf], "OUTPUT": str(tmp_path / "c.tif"),
                                              "OUTPUT_DEM_ERROR": str(tmp_path / "dz.tif")},
                      r"BASELINES: a perpendicular baseline of .*e\+10 m .*beyond any spaceborne")


# ------------------------------------------------------------------ geometry
def test_losvelocitytovertical_on_an_all_infinite_raster_is_refused(qgis_app, tmp_path):
    import numpy as np

    src = hk.los_raster(str(tmp_path / "ifg.tif"), value=np.inf)
    hk.expect_refusal("losvelocitytovertical", {"INPUT": src, "INCIDENCE": 37.0, "OUTPUT": str(tmp_path / "v.tif")},
                      r"INPUT: (ifg.tif has no valid pixel \(every pixel is no-data or infinite\)|every cell of "
                      r"ifg.tif holds inf, a value software writes for 'no data': there is no valid pixel)")
    assert not (tmp_path / "v.tif").exists()


@pytest.mark.parametrize("kind", ["text", "null"])
def test_losprojection_velocity_field_of_text_or_nulls_is_refused(qgis_app, kind, tmp_path):
    wkts = [f"POINT({500100 + 20 * i} 4099700)" for i in range(6)]
    if kind == "text":
        path = hk.write_layer(str(tmp_path / "p.gpkg"), wkts, {"vel": [f"v{i}" for i in range(6)]},
                              text_fields=("vel",))
        match = r"VELOCITY_FIELD 'vel' is a .*(String|Text).* field"
    else:
        path = hk.write_layer(str(tmp_path / "p.gpkg"), wkts, {"vel": [None] * 6, "other": [1.0] * 6})
        match = r"VELOCITY_FIELD 'vel' has no value in any of the 6 points"
    hk.expect_refusal("losprojection", {"POINTS": path, "VELOCITY_FIELD": "vel", "HEADING": -10.0, "INCIDENCE": 39.0,
                                        "OUTPUT_POINTS": str(tmp_path / "o.gpkg")}, match)


# ------------------------------------------------------------------ landslide inventories
def test_landslideactivity_repairs_a_self_intersecting_polygon_and_leaves_out_null_geometries(qgis_app, tmp_path):
    from osgeo import ogr

    x0, y0 = 500000.0, 4099300.0
    pts = hk.points_layer(str(tmp_path / "pts.gpkg"))  # a disc moving -15 mm/yr around (x0 + 350, y0 + 350)
    bowtie = (f"POLYGON(({x0 + 200} {y0 + 200},{x0 + 500} {y0 + 500},{x0 + 500} {y0 + 200},{x0 + 200} {y0 + 500},"
              f"{x0 + 200} {y0 + 200}))")
    inv = hk.polygon_layer(str(tmp_path / "inv.gpkg"), [bowtie, hk.square(x0 + 10, y0 + 10, 80), None],
                           fields={"name": ["bowtie", "quiet", "lost"]}, text_fields=("name",))
    fb = hk.warning_feedback()
    out = hk.run("landslideactivity", {"INVENTORY": inv, "POINTS": pts, "OUTPUT": str(tmp_path / "a.gpkg")},
                 fb)["OUTPUT"]
    ds = ogr.Open(out.split("|")[0])
    rows = {f.GetField("name"): (f.GetField("state"), f.GetField("area_km2")) for f in ds.GetLayer(0)}
    assert set(rows) == {"bowtie", "quiet"}
    assert rows["bowtie"][0] == "active" and rows["bowtie"][1] == pytest.approx(0.045, rel=1e-6)
    assert any("1 feature(s) without a polygon are left out" in w for w in fb.warnings)
    assert any("1 invalid polygon(s)" in w and "repaired" in w for w in fb.warnings)


def test_empty_inventory_is_named_not_reported_as_far_away(qgis_app, tmp_path):
    from osgeo import ogr, osr

    pts = hk.points_layer(str(tmp_path / "pts.gpkg"))
    path = str(tmp_path / "empty.gpkg")
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    ds.CreateLayer("inv", srs, ogr.wkbPolygon)
    ds = None
    msg = hk.expect_refusal("landslideactivity", {"INVENTORY": path, "POINTS": pts, "OUTPUT": str(tmp_path / "a.gpkg")},
                            r"INVENTORY: the layer has no features")
    assert "1.79769e+308" not in msg


# ------------------------------------------------------------------ Coulomb input files
M65 = os.path.join(hk.DATA, "coulomb_inputs", "M6.5.inp")


def _spoiled_inp(tmp_path, old, new):
    with open(M65) as fh:
        text = fh.read()
    assert old in text
    path = str(tmp_path / "bad.inp")
    with open(path, "w") as fh:
        fh.write(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize("old,new,match", [
    ("    -0.6500     0.1300", "        abc     0.1300",
     r"line 14: column 6 \(slip or opening\) is 'abc', not a number"),
    ("   -14.8400    40.0400", "   -14.8400    1e300", r"line 14: a fault end 1e\+300 km .* beyond the Earth"),
    ("    18.5000    29.5000", "    18.5000    -29.500", r"line 14: top 18.5 km and bottom -29.5 km must satisfy"),
])
def test_importcoulombinput_names_the_bad_fault_line(qgis_app, tmp_path, old, new, match):
    path = _spoiled_inp(tmp_path, old, new)
    msg = hk.expect_refusal("importcoulombinput", {"INPUT": path, "CRS": "EPSG:32610",
                                                   "OUTPUT_SOURCES": str(tmp_path / "s.gpkg")}, match)
    assert "no fault lines" not in msg


# ------------------------------------------------------------------ outputs that cannot be written
def test_timeseriesmodels_without_output_is_refused(qgis_app, tmp_path):
    src = hk.dated_layer(str(tmp_path / "pts.gpkg"))
    hk.expect_refusal("timeseriesmodels", {"INPUT": src}, r"INPUT \(points\) needs OUTPUT")


def test_plot_folder_that_is_a_file_is_refused_before_running(qgis_app, tmp_path):
    src = hk.dated_layer(str(tmp_path / "pts.gpkg"))
    afile = tmp_path / "afile"
    afile.write_text("x")
    msg = hk.expect_refusal("inversevelocity", {"INPUT": src, "OUTPUT": str(tmp_path / "iv.gpkg"),
                                                "OUTPUT_PLOTS": str(afile)},
                            r"OUTPUT_PLOTS: .*afile' is a file, not a folder")
    assert "Traceback" not in msg and not (tmp_path / "iv.gpkg").exists()


def test_vector_output_that_is_a_folder_is_refused(qgis_app, tmp_path):
    src = hk.dated_layer(str(tmp_path / "pts.gpkg"))
    (tmp_path / "out.gpkg").mkdir()
    hk.expect_refusal("inversevelocity", {"INPUT": src, "OUTPUT": str(tmp_path / "out.gpkg")},
                      r"OUTPUT: .*out.gpkg' is a folder")


@pytest.mark.parametrize("tool,params", [
    ("amplitudedispersion", {"OUTPUT_DISPERSION": "a.tif"}),
    ("phaselinking", {"OUTPUT": "p.tif"}),
])
def test_missing_slc_file_is_named(qgis_app, tool, params, tmp_path):
    files, _ = hk.slc_files(str(tmp_path / "slc"))
    gone = str(tmp_path / "slc" / "20990101.slc.tif")
    msg = hk.expect_refusal(tool, {"INPUT": files[:3] + [gone] + files[3:],
                                   **{k: str(tmp_path / v) for k, v in params.items()}},
                            r"INPUT: the file .*20990101.slc.tif' does not exist")
    assert "Incorrect parameter value" not in msg


# ------------------------------------------------------------------ slip inversion size
def test_slipinversion_with_millions_of_patches_is_refused_up_front(qgis_app, tmp_path):
    from hostile.test_hostile_faults import fault_lines, los_data

    params = {"LOS_ASC": los_data(str(tmp_path / "asc.tif")), "ASC_INCIDENCE": 34.0, "ASC_HEADING": -12.0,
              "FAULT": fault_lines(str(tmp_path / "trace.gpkg")), "DIP": 55.0, "BOTTOM_DEPTH": 9000.0,
              "PATCH_LENGTH": 10.0, "PATCH_WIDTH": 10.0, "QUADTREE_STD": 4.0, "RAMP": False,
              "OUTPUT_PATCHES": str(tmp_path / "p.gpkg")}
    hk.expect_refusal("slipinversion", params, r"PATCH_LENGTH 10 m x PATCH_WIDTH 10 m cut the fault into about "
                                               r"[0-9,]+ patches.*use larger patches")
    assert not (tmp_path / "p.gpkg").exists()


# ------------------------------------------------------------------ a full disk
@pytest.fixture
def tiny_disk(tmp_path):
    """A 96 KiB tmpfs: room for the first bytes of an output, not for the whole (needs root and mount)."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a full disk is simulated with a small tmpfs, which needs root and mount")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mnt)], capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield str(mnt)
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)  # lazy: GDAL may still hold a handle


@pytest.mark.parametrize("tool,outputs", [
    ("rampremoval", {"OUTPUT": "corr"}),
    ("sbasinversion", {"OUTPUT_TIMESERIES": "ts.tif", "OUTPUT_VELOCITY": "v.tif"}),
    ("pcaatmosphere", None),
])
def test_full_disk_is_a_clear_message_and_leaves_nothing(qgis_app, tiny_disk, tool, outputs, tmp_path):
    import datetime as dt

    import numpy as np
    from testutils import write_geotiff

    if outputs is None:  # a time series for the PCA tool
        dates = [dt.date(2021, 1, 5) + dt.timedelta(days=12 * i) for i in range(24)]
        rng = np.random.default_rng(0)
        ts = write_geotiff(str(tmp_path / "ts.tif"), np.cumsum(rng.normal(0, 2, (24, 60, 70)), axis=0),
                           geotransform=hk.GT, epsg=32633, descriptions=[d.isoformat() for d in dates])
        params = {"INPUT": ts, "TILE_PIXELS": 8, "OUTPUT": os.path.join(tiny_disk, "cor.tif")}
    else:
        files = hk.ifg_stack(str(tmp_path / "ifgs"), shape=(60, 70), n_dates=8)
        params = {"INTERFEROGRAMS": files, **{k: os.path.join(tiny_disk, v) for k, v in outputs.items()}}
    msg = hk.expect_refusal(tool, params, r"No space left to write the outputs .*nothing was kept")
    assert "Traceback" not in msg
    assert os.listdir(tiny_disk) == []


def test_sbas_on_one_interferogram_warns_that_nothing_checks_it(qgis_app, tmp_path):
    files = hk.ifg_stack(str(tmp_path / "ifgs"))
    fb = hk.warning_feedback()
    hk.run("sbasinversion", {"INTERFEROGRAMS": files[:1], "OUTPUT_VELOCITY": str(tmp_path / "v.tif")}, fb)
    assert any("1 interferogram(s) for 2 dates leave no redundancy" in w for w in fb.warnings)
    fb = hk.warning_feedback()  # a network with loops: no such warning
    hk.run("sbasinversion", {"INTERFEROGRAMS": files, "OUTPUT_VELOCITY": str(tmp_path / "v2.tif")}, fb)
    assert not any("no redundancy" in w for w in fb.warnings)


# ------------------------------------------------------------------ the wavelength travels through a chain



@pytest.mark.parametrize("band,wavelength_m", [("L", 0.2362), ("X", 0.031)])
def test_wavelength_of_the_stack_reaches_the_velocity_through_a_correction(qgis_app, band, wavelength_m, tmp_path):
    from osgeo import gdal

    def velocity(path):
        ds = gdal.Open(path)
        return ds.GetRasterBand(1).ReadAsArray().astype(float)

    files = tag_wavelength(hk.ifg_stack(str(tmp_path / "ifgs"), n_dates=6), wavelength_m)
    plain = hk.ifg_stack(str(tmp_path / "c_band"), n_dates=6)  # the same phases, no tag: Sentinel-1
    ref = "500300,4099700 [EPSG:32633]"
    alone = velocity(hk.run("sbasinversion", {"INTERFEROGRAMS": files, "REFERENCE": ref,
                                              "OUTPUT_VELOCITY": str(tmp_path / "alone.tif")})["OUTPUT_VELOCITY"])
    c_band = velocity(hk.run("sbasinversion", {"INTERFEROGRAMS": plain, "REFERENCE": ref,
                                               "OUTPUT_VELOCITY": str(tmp_path / "c.tif")})["OUTPUT_VELOCITY"])
    fixed = hk.run("unwrapclosurecorrection", {"INTERFEROGRAMS": files, "OUTPUT": str(tmp_path / "fixed")})["OUTPUT"]
    fixed_files = sorted(str(p) for p in __import__("pathlib").Path(fixed).glob("*.tif"))
    fb = hk.warning_feedback()
    chain = velocity(hk.run("sbasinversion", {"INTERFEROGRAMS": fixed_files, "REFERENCE": ref,
                                              "OUTPUT_VELOCITY": str(tmp_path / "chain.tif")}, fb)["OUTPUT_VELOCITY"])
    ok = np.isfinite(alone) & (np.abs(c_band) > 1)
    np.testing.assert_allclose(chain[ok], alone[ok], rtol=0.01)
    assert np.median(alone[ok] / c_band[ok]) == pytest.approx(wavelength_m / 0.05546576, rel=0.01)


# ------------------------------------------------------------------ a model's outputs against its inputs
def test_model_refuses_an_output_that_is_its_own_input(qgis_app, tmp_path):
    files = hk.ifg_stack(str(tmp_path / "ifgs"))
    dem = hk.dem_raster(str(tmp_path / "dem.tif"), shape=(16, 18))
    before = hk.digest([dem])
    (tmp_path / "bperp.csv").write_text("".join(f"2020{m:02d}01,{10 * m}\n" for m in range(1, 6)))
    msg = hk.expect_refusal("correctedsbas", {
        "INTERFEROGRAMS": files, "DEM": dem, "BASELINES": [str(tmp_path / "bperp.csv")],
        "network:NETWORK_REPORT": str(tmp_path / "net.csv"), "unwrapping:LOOP_STATS": str(tmp_path / "loops.csv"),
        "ramps:CORRECTED": str(tmp_path / "corrected"), "reference:REFERENCE": str(tmp_path / "ref.gpkg"),
        "sbas:TIMESERIES": str(tmp_path / "ts.tif"), "sbas:VELOCITY": str(tmp_path / "v.tif"),
        "demerror:TIMESERIES": str(tmp_path / "ts_dem.tif"), "demerror:DEM_ERROR": dem},
        r"demerror:DEM_ERROR: .*dem.tif' is the model's input DEM")
    assert "Traceback" not in msg and hk.digest([dem]) == before
    assert not (tmp_path / "v.tif").exists()


def test_models_take_a_folder_and_need_only_the_outputs_a_user_names(qgis_app, tmp_path):
    import datetime as dt

    from qgis.core import QgsApplication, QgsProcessingParameterDefinition

    for mid in ("correctedsbas", "sbastolandslideactivity"):
        alg = QgsApplication.processingRegistry().algorithmById(f"geohazard:{mid}")
        assert all(d.flags() & QgsProcessingParameterDefinition.Flag.FlagOptional
                   for d in alg.destinationParameterDefinitions())
    hk.ifg_stack(str(tmp_path / "ifgs"), n_dates=6, shape=(30, 32))
    dem = hk.dem_raster(str(tmp_path / "dem.tif"), shape=(30, 32))
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(6)]
    (tmp_path / "b.csv").write_text("".join(f"{d:%Y%m%d},{b}\n" for d, b in zip(dates, [3, -40, 25, 60, -12, 33])))
    res = hk.run("correctedsbas", {"INTERFEROGRAMS": str(tmp_path / "ifgs"), "DEM": dem,
                                   "BASELINES": [str(tmp_path / "b.csv")], "INCIDENCE_DEG": 39.0,
                                   "SLANT_RANGE_M": 850000.0,
                                   "demerror:VELOCITY": str(tmp_path / "final.tif")})
    assert res["demerror:VELOCITY"] == str(tmp_path / "final.tif") and os.path.exists(res["demerror:VELOCITY"])
    # the landslide model without its optional points output: the ADA step still gets the points
    inv = hk.polygon_layer(str(tmp_path / "inv.gpkg"), [hk.square(500000.0, 4099520.0, 400.0)])
    res = hk.run("sbastolandslideactivity", {"INTERFEROGRAMS": str(tmp_path / "ifgs"), "INVENTORY": inv,
                                             "activity:ACTIVITY": str(tmp_path / "act.gpkg")})
    assert os.path.exists(res["activity:ACTIVITY"]) and os.path.exists(str(res["sbas:POINTS"]))
