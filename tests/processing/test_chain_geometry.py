"""The acquisition geometry travels with a stack: interferograms tagged with INCIDENCE_DEG, HEADING_DEG,
SLANT_RANGE_M and their PERPENDICULAR_BASELINE_M keep them through every stack tool of the Corrected SBAS chain,
the SBAS time series carries the date baselines, and the DEM-error step estimates the DEM error with that
geometry (no BASELINES, no typed angle); a typed value that contradicts the metadata is a warning naming both."""

import datetime as dt
import math
import os

import numpy as np
import pytest
import testutils_hostile as hk
from testutils import recording_feedback, write_geotiff

S1 = 0.05546576
INC, HEAD, RANGE = 34.0, -12.5, 880_000.0
DATES = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(9)]
BPERP = np.array([0.0, 62.0, -48.0, 115.0, 21.0, -83.0, 141.0, -27.0, 74.0])  # m, per date
SHAPE = (30, 32)


def _dz():
    """DEM error (m): two bumps of opposite sign on a flat field, no plane (ramp removal would take a plane)."""
    r, c = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    return 30.0 * np.exp(-((r - 9) ** 2 + (c - 10) ** 2) / 30.0) - 22.0 * np.exp(-((r - 20) ** 2 + (c - 23) ** 2)
                                                                               / 25.0)


def _stack(folder, *, tag=True, noise=0.0):
    """Interferograms (radians growing with range) of a linear motion plus the DEM-error term
    B_perp / (R sin inc) * dz of the geometry above; tagged with it when ``tag``."""
    from osgeo import gdal

    rng = np.random.default_rng(5)
    r, c = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    vel_mm_day = -0.05 * np.exp(-((r - 15) ** 2 + (c - 6) ** 2) / 40.0)
    dz = _dz()
    to_rad = -4.0 * math.pi / (S1 * 1000.0)  # LOS mm toward the satellite -> phase growing with range
    files = []
    os.makedirs(folder, exist_ok=True)
    n = len(DATES)
    for a in range(n):
        for b in range(a + 1, min(a + 4, n)):
            bp = BPERP[b] - BPERP[a]
            los_mm = vel_mm_day * (DATES[b] - DATES[a]).days + 1000.0 * bp / (RANGE * math.sin(math.radians(INC))) * dz
            arr = to_rad * los_mm + rng.normal(0.0, noise, SHAPE)
            path = os.path.join(folder, f"{DATES[a]:%Y%m%d}_{DATES[b]:%Y%m%d}.tif")
            write_geotiff(path, arr)
            if tag:
                ds = gdal.Open(path, gdal.GA_Update)
                ds.SetMetadata({"INCIDENCE_DEG": str(INC), "HEADING_DEG": str(HEAD), "SLANT_RANGE_M": str(RANGE),
                                "PERPENDICULAR_BASELINE_M": f"{bp:.3f}", "WAVELENGTH_METRES": str(S1)})
                ds = None
            files.append(path)
    return files


def _meta(path):
    from osgeo import gdal

    ds = gdal.Open(str(path))
    md = ds.GetMetadata() or {}
    ds = None
    return md


def _band(path):
    from osgeo import gdal

    ds = gdal.Open(str(path))
    arr = ds.GetRasterBand(1).ReadAsArray().astype(float)
    ds = None
    return arr


def _geometry(path) -> tuple:
    """(incidence, heading, slant range) a raster carries in its metadata."""
    md = _meta(path)
    return float(md["INCIDENCE_DEG"]), float(md["HEADING_DEG"]), float(md["SLANT_RANGE_M"])


def _dem_error_correlation(dem_error_path) -> float:
    """Correlation of the estimated DEM error with the truth's bumps, over the pixels estimated."""
    est, truth = _band(dem_error_path), _dz()
    ok = np.isfinite(est)
    return float(np.corrcoef(est[ok], truth[ok])[0, 1])


def _dem_error_ratio(dem_error_path):
    """Median of estimated / true DEM error where the truth is over 5 m (the truth relative to the reference
    pixel, row 1 column 1: SBAS references every date there, its DEM-error term with it)."""
    est, truth = _band(dem_error_path), _dz()
    truth = truth - truth[1, 1]
    ok = np.isfinite(est) & (np.abs(truth) > 5.0)
    assert ok.sum() > 30
    return float(np.median(est[ok] / truth[ok]))


def _csv(path):
    path.write_text("".join(f"{d:%Y%m%d},{b}\n" for d, b in zip(DATES, BPERP)))
    return str(path)


def test_the_dem_error_step_uses_the_geometry_the_stack_carries(qgis_app, tmp_path):
    """With the geometry only in the files' metadata, the DEM error is the truth within 1 %; the former defaults
    (850 km, 39 deg) would scale it by 850 sin 39 / (880 sin 34) = 1.087, the physics the tolerance separates."""
    files = _stack(str(tmp_path / "ifg"))
    sbas = hk.run("sbasinversion", {"INTERFEROGRAMS": files, "REFERENCE": "500030,4099970 [EPSG:32633]",
                                    "OUTPUT_TIMESERIES": str(tmp_path / "ts.tif"),
                                    "OUTPUT_VELOCITY": str(tmp_path / "v.tif")})
    md = _meta(sbas["OUTPUT_TIMESERIES"])
    carried = np.array([float(v) for v in md["PERPENDICULAR_BASELINES_M"].split(",")])
    np.testing.assert_allclose(carried, BPERP - BPERP[0], atol=2e-3)
    assert float(md["INCIDENCE_DEG"]) == INC and float(md["SLANT_RANGE_M"]) == RANGE
    fb = recording_feedback()
    # INCIDENCE and SLANT_RANGE left empty (their default): the geometry the series carries
    res = hk.run("demerrorcorrection", {"INPUT": sbas["OUTPUT_TIMESERIES"], "OUTPUT": str(tmp_path / "c.tif"),
                                        "OUTPUT_DEM_ERROR": str(tmp_path / "dz.tif")}, feedback=fb)
    assert _dem_error_ratio(res["OUTPUT_DEM_ERROR"]) == pytest.approx(1.0, abs=0.01)
    assert "incidence angle 34 deg: from the inputs' metadata" in fb.text
    assert "slant range 880000 m: from the inputs' metadata" in fb.text
    assert "PERPENDICULAR_BASELINES_M" in fb.text
    out = _meta(res["OUTPUT_DEM_ERROR"])
    assert float(out["INCIDENCE_DEG"]) == INC and float(out["SLANT_RANGE_M"]) == RANGE


def test_without_geometry_it_is_refused_unless_typed_and_baselines_are_required(qgis_app, tmp_path):
    """Formerly the middle of a Sentinel-1 IW swath (850 km, 39 deg) was assumed with an info line: now the step
    stops and says what to type; typed, the values scale the DEM error as the physics says."""
    from qgis.core import QgsProcessingException

    files = _stack(str(tmp_path / "ifg"), tag=False)
    sbas = hk.run("sbasinversion", {"INTERFEROGRAMS": files, "REFERENCE": "500030,4099970 [EPSG:32633]",
                                    "OUTPUT_TIMESERIES": str(tmp_path / "ts.tif"),
                                    "OUTPUT_VELOCITY": str(tmp_path / "v.tif")})
    assert "PERPENDICULAR_BASELINES_M" not in _meta(sbas["OUTPUT_TIMESERIES"])
    with pytest.raises(QgsProcessingException, match="BASELINES: the DEM-error correction needs the perpendicular"):
        hk.run("demerrorcorrection", {"INPUT": sbas["OUTPUT_TIMESERIES"], "OUTPUT": str(tmp_path / "c.tif"),
                                      "OUTPUT_DEM_ERROR": str(tmp_path / "dz.tif")})
    assert not (tmp_path / "c.tif").exists()
    with pytest.raises(QgsProcessingException, match=r"SLANT_RANGE_M: the inputs carry no slant range "
                                                     r"\(SLANT_RANGE_M\) and none was given; type SLANT_RANGE_M "
                                                     r"\(one value in metres"):
        hk.run("demerrorcorrection", {"INPUT": sbas["OUTPUT_TIMESERIES"], "BASELINES": [_csv(tmp_path / "b.csv")],
                                      "OUTPUT": str(tmp_path / "c2.tif"),
                                      "OUTPUT_DEM_ERROR": str(tmp_path / "dz2.tif")})
    assert not (tmp_path / "c2.tif").exists()
    fb = recording_feedback()
    params = {"INPUT": sbas["OUTPUT_TIMESERIES"], "BASELINES": [_csv(tmp_path / "b.csv")], "SLANT_RANGE_M": 850000.0,
              "INCIDENCE": 39.0, "OUTPUT": str(tmp_path / "c2.tif"), "OUTPUT_DEM_ERROR": str(tmp_path / "dz2.tif")}
    res = hk.run("demerrorcorrection", params, feedback=fb)
    assert "slant range 850000 m: given by SLANT_RANGE_M" in fb.text
    expected = 850_000.0 * math.sin(math.radians(39.0)) / (RANGE * math.sin(math.radians(INC)))
    assert _dem_error_ratio(res["OUTPUT_DEM_ERROR"]) == pytest.approx(expected, abs=0.01)
    # the baselines the user gave travel on
    carried = [float(v) for v in _meta(res["OUTPUT"])["PERPENDICULAR_BASELINES_M"].split(",")]
    np.testing.assert_allclose(carried, BPERP - BPERP[0], atol=2e-3)


def test_a_typed_value_that_contradicts_the_metadata_is_a_warning_naming_both(qgis_app, tmp_path):
    files = _stack(str(tmp_path / "ifg"))
    sbas = hk.run("sbasinversion", {"INTERFEROGRAMS": files, "REFERENCE": "500030,4099970 [EPSG:32633]",
                                    "OUTPUT_TIMESERIES": str(tmp_path / "ts.tif"),
                                    "OUTPUT_VELOCITY": str(tmp_path / "v.tif")})
    wrong = tmp_path / "b.csv"
    wrong.write_text("".join(f"{d:%Y%m%d},{b}\n" for d, b in zip(DATES, BPERP * 1.5)))
    fb = recording_feedback()
    res = hk.run("demerrorcorrection", {"INPUT": sbas["OUTPUT_TIMESERIES"], "INCIDENCE": 30.0,
                                        "BASELINES": [str(wrong)], "OUTPUT": str(tmp_path / "c.tif"),
                                        "OUTPUT_DEM_ERROR": str(tmp_path / "dz.tif")}, feedback=fb)
    warnings = "\n".join(fb.warnings)
    assert "INCIDENCE = 30 deg disagrees with the inputs' metadata (ts.tif INCIDENCE_DEG = 34 deg)" in warnings
    assert "BASELINES disagrees with the inputs' metadata (ts.tif PERPENDICULAR_BASELINES_M)" in warnings
    # the typed values are used, and the outputs say so
    assert float(_meta(res["OUTPUT_DEM_ERROR"])["INCIDENCE_DEG"]) == 30.0
    carried = [float(v) for v in _meta(res["OUTPUT"])["PERPENDICULAR_BASELINES_M"].split(",")]
    np.testing.assert_allclose(carried, 1.5 * (BPERP - BPERP[0]), atol=2e-3)
    expected = math.sin(math.radians(30.0)) / math.sin(math.radians(INC)) / 1.5
    assert _dem_error_ratio(res["OUTPUT_DEM_ERROR"]) == pytest.approx(expected, abs=0.01)


def test_the_geometry_survives_every_stack_tool_of_the_chain(qgis_app, tmp_path):
    files = _stack(str(tmp_path / "ifg"), noise=0.02)
    pairs = {os.path.basename(f): float(_meta(f)["PERPENDICULAR_BASELINE_M"]) for f in files}
    dem = hk.dem_raster(str(tmp_path / "dem.tif"), shape=SHAPE)

    def check_folder(folder, step):
        tifs = sorted(p for p in (tmp_path / folder).glob("*.tif"))
        assert tifs, step
        for p in tifs:
            md = _meta(p)
            assert float(md.get("INCIDENCE_DEG", "nan")) == INC, (step, p.name)
            assert float(md.get("HEADING_DEG", "nan")) == HEAD, (step, p.name)
            assert float(md.get("SLANT_RANGE_M", "nan")) == RANGE, (step, p.name)
            assert float(md.get("PERPENDICULAR_BASELINE_M", "nan")) == pytest.approx(pairs[p.name], abs=1e-3), \
                (step, p.name)
        return [str(p) for p in tifs]

    step = hk.run("unwrapclosurecorrection", {"INTERFEROGRAMS": files, "OUTPUT": str(tmp_path / "closure")})
    step = check_folder("closure", "unwrapclosurecorrection")
    hk.run("modifynetwork", {"INTERFEROGRAMS": step, "MAX_TEMPORAL_BASELINE": 30, "KEEP_CONNECTED": True,
                             "OUTPUT": str(tmp_path / "network")})
    step = check_folder("network", "modifynetwork")
    assert len(step) < len(files)  # the filter dropped the 36-day pairs
    hk.run("troposphericcorrection", {"INTERFEROGRAMS": step, "DEM": dem, "OUTPUT": str(tmp_path / "tropo")})
    step = check_folder("tropo", "troposphericcorrection")
    hk.run("rampremoval", {"INTERFEROGRAMS": step, "OUTPUT": str(tmp_path / "ramps")})
    step = check_folder("ramps", "rampremoval")
    ref = hk.run("referencepoint", {"INTERFEROGRAMS": step, "OUTPUT": str(tmp_path / "ref.gpkg")})
    sbas = hk.run("sbasinversion", {"INTERFEROGRAMS": step, "REFERENCE": ref["REFERENCE_POINT"],
                                    "OUTPUT_TIMESERIES": str(tmp_path / "ts.tif"),
                                    "OUTPUT_VELOCITY": str(tmp_path / "v.tif")})
    for out in ("OUTPUT_TIMESERIES", "OUTPUT_VELOCITY"):
        assert _geometry(sbas[out]) == (INC, HEAD, RANGE), out
    carried = [float(v) for v in _meta(sbas["OUTPUT_TIMESERIES"])["PERPENDICULAR_BASELINES_M"].split(",")]
    np.testing.assert_allclose(carried, BPERP - BPERP[0], atol=2e-3)
    dem_step = hk.run("demerrorcorrection", {"INPUT": sbas["OUTPUT_TIMESERIES"], "OUTPUT": str(tmp_path / "c.tif"),
                                             "OUTPUT_DEM_ERROR": str(tmp_path / "dz.tif"),
                                             "OUTPUT_VELOCITY": str(tmp_path / "vf.tif")})
    for out in ("OUTPUT", "OUTPUT_DEM_ERROR", "OUTPUT_VELOCITY"):
        assert _geometry(dem_step[out]) == (INC, HEAD, RANGE), out
    # the DEM error through the whole chain: the bumps survive (no plane to take), scaled by the carried geometry
    assert _dem_error_correlation(dem_step["OUTPUT_DEM_ERROR"]) > 0.95


def test_inputs_of_different_geometries_are_not_carried_and_are_refused_where_used(qgis_app, tmp_path):
    from osgeo import gdal
    from qgis.core import QgsProcessingException

    files = _stack(str(tmp_path / "ifg"))
    ds = gdal.Open(files[3], gdal.GA_Update)
    ds.SetMetadataItem("INCIDENCE_DEG", "41.5")
    ds = None
    fb = recording_feedback()
    hk.run("rampremoval", {"INTERFEROGRAMS": files, "OUTPUT": str(tmp_path / "ramps")}, feedback=fb)
    outs = sorted((tmp_path / "ramps").glob("*.tif"))
    assert outs and all("INCIDENCE_DEG" not in _meta(p) for p in outs)
    assert all(float(_meta(p)["SLANT_RANGE_M"]) == RANGE for p in outs)
    assert any("INCIDENCE_DEG not carried to the outputs: the inputs carry different incidence angles" in w
               for w in fb.warnings)
    ts = write_geotiff(str(tmp_path / "ts.tif"), np.zeros((len(DATES),) + SHAPE),
                       descriptions=[d.isoformat() for d in DATES],
                       metadata={"INCIDENCE_DEG": "200", "PERPENDICULAR_BASELINES_M": ",".join(map(str, BPERP))})
    with pytest.raises(QgsProcessingException, match=r"INCIDENCE_DEG='200' is not a valid incidence angle"):
        hk.run("demerrorcorrection", {"INPUT": ts, "SLANT_RANGE_M": RANGE, "OUTPUT": str(tmp_path / "c.tif"),
                                      "OUTPUT_DEM_ERROR": str(tmp_path / "dz.tif")})


def test_the_corrected_sbas_model_takes_its_geometry_from_the_files(qgis_app, tmp_path):
    """No BASELINES, no geometry raster: the model's DEM-error step uses what the interferograms carry, and its
    final rasters carry it on; an untagged stack without BASELINES stops with a message naming BASELINES."""
    from qgis.core import QgsProcessingException

    dem = hk.dem_raster(str(tmp_path / "dem.tif"), shape=SHAPE)
    files = _stack(str(tmp_path / "ifg"), noise=0.02)
    fb = recording_feedback()
    res = hk.run("correctedsbas", {"INTERFEROGRAMS": files, "DEM": dem,
                                   "demerror:VELOCITY": str(tmp_path / "v.tif"),
                                   "demerror:DEM_ERROR": str(tmp_path / "dz.tif")}, feedback=fb)
    assert "incidence angle 34 deg: from the inputs' metadata" in fb.text
    assert "perpendicular baselines: from the inputs' metadata" in fb.text
    for out in ("demerror:VELOCITY", "demerror:DEM_ERROR"):
        assert _geometry(res[out]) == (INC, HEAD, RANGE), out
    assert _dem_error_correlation(res["demerror:DEM_ERROR"]) > 0.95
    plain = _stack(str(tmp_path / "plain"), tag=False)
    errors = []

    class Errors(type(fb)):
        def reportError(self, error, fatalError=False):  # noqa: N802 - QGIS API name
            errors.append(error)

    log = Errors()
    with pytest.raises(QgsProcessingException) as exc:
        hk.run("correctedsbas", {"INTERFEROGRAMS": plain, "DEM": dem, "demerror:VELOCITY": str(tmp_path / "p.tif")},
               feedback=log)
    said = errors + [log.text]
    if not any("BASELINES: the DEM-error correction needs the perpendicular baselines" in e for e in said):
        # QGIS 3.40 keeps a child step's error in the step's own log and raises naming the step
        assert "DEM-error correction" in str(exc.value), (str(exc.value), said)


def test_the_los_projections_read_the_geometry_the_velocity_carries(qgis_app, tmp_path):
    """losvelocitytovertical and losprojection: the incidence / heading the velocity raster carries replace the
    parameters' defaults (v / cos 34 deg, not / cos 37 deg); a typed value wins with a warning naming both."""
    v = np.linspace(-20.0, 10.0, SHAPE[0] * SHAPE[1]).reshape(SHAPE)
    path = write_geotiff(str(tmp_path / "v.tif"), v, metadata={"INCIDENCE_DEG": str(INC), "HEADING_DEG": str(HEAD)})
    fb = recording_feedback()
    res = hk.run("losvelocitytovertical", {"INPUT": path, "OUTPUT": str(tmp_path / "up.tif")}, feedback=fb)
    np.testing.assert_allclose(_band(res["OUTPUT"]), v / math.cos(math.radians(INC)), rtol=1e-5)
    assert "incidence angle 34 deg: from the inputs' metadata (v.tif INCIDENCE_DEG)" in fb.text
    fb = recording_feedback()
    res = hk.run("losvelocitytovertical", {"INPUT": path, "INCIDENCE": 40.0, "OUTPUT": str(tmp_path / "up2.tif")},
                 feedback=fb)
    np.testing.assert_allclose(_band(res["OUTPUT"]), v / math.cos(math.radians(40.0)), rtol=1e-5)
    assert any("INCIDENCE = 40 deg disagrees with the inputs' metadata (v.tif INCIDENCE_DEG = 34 deg)" in w
               for w in fb.warnings)
    fb = recording_feedback()
    dem = write_geotiff(str(tmp_path / "dem.tif"), np.add.outer(np.arange(SHAPE[0]), np.arange(SHAPE[1])) * 5.0)
    res = hk.run("losprojection", {"INPUT": path, "DEM": dem, "OUTPUT_VERTICAL": str(tmp_path / "vert.tif"),
                                   "OUTPUT_DOWNSLOPE": str(tmp_path / "down.tif")}, feedback=fb)
    np.testing.assert_allclose(_band(res["OUTPUT_VERTICAL"]), v / math.cos(math.radians(INC)), rtol=1e-5)
    assert "heading -12.5 deg: from the inputs' metadata (v.tif HEADING_DEG)" in fb.text  # for the downslope


@pytest.mark.parametrize("producer", ["HyP3", "LiCSAR"])
def test_a_products_geometry_reaches_the_dem_error_step_through_a_chain(qgis_app, tmp_path, producer):
    """A product as delivered into a correction step (ramp removal, as a model's first steps take it), then the SBAS
    inversion and the DEM-error step, nothing typed: the corrected interferograms carry the product's scene values
    (HyP3's .txt 'Slant range center', LiCSAR's metadata.txt centre_range_m; the incidence of lv_theta / E-N-U) and
    where they came from (SLANT_RANGE_M_SOURCE ...), so the DEM-error step takes them and its log names the
    producer's file, not only the time series that carried the value last."""
    from testutils_products import Truth, hyp3_products, licsar_frame

    t = Truth()
    if producer == "HyP3":
        items = list(hyp3_products(tmp_path / "h", t).values())
        want_range, source, ref = 880000.0, "the HyP3 product: 'Slant range center:' of the products' .txt", \
            "394960,3960720 [EPSG:32611]"
    else:
        items = licsar_frame(tmp_path / "work", t)
        want_range, source, ref = 880461.8, "the LiCSAR product: ", "25.0335,39.9955 [EPSG:4326]"
    ramps = hk.run("rampremoval", {"INTERFEROGRAMS": items, "OUTPUT": str(tmp_path / "ramps")})["OUTPUT"]
    first = os.path.join(ramps, sorted(f for f in os.listdir(ramps) if f.endswith(".tif"))[0])
    md = _meta(first)
    assert float(md["SLANT_RANGE_M"]) == want_range and md["SLANT_RANGE_M_SOURCE"].startswith(source), md
    assert "INCIDENCE_DEG" in md and "INCIDENCE_DEG_SOURCE" in md
    sbas = hk.run("sbasinversion", {"INTERFEROGRAMS": ramps, "REFERENCE": ref, "MIN_TEMPORAL_COHERENCE": 0,
                                    "OUTPUT_TIMESERIES": str(tmp_path / "ts.tif"),
                                    "OUTPUT_VELOCITY": str(tmp_path / "v.tif")})
    fb = recording_feedback()
    res = hk.run("demerrorcorrection", {"INPUT": sbas["OUTPUT_TIMESERIES"], "OUTPUT": str(tmp_path / "c.tif"),
                                        "OUTPUT_DEM_ERROR": str(tmp_path / "dz.tif")}, feedback=fb)
    said = [line for line in fb.info if line.startswith("slant range ")]
    assert said and said[0].startswith(f"slant range {want_range:.10g} m: from the inputs' metadata (ts.tif "
                                       f"SLANT_RANGE_M, from {source}"), fb.text
    assert float(_meta(res["OUTPUT"])["SLANT_RANGE_M"]) == want_range


@pytest.mark.parametrize("producer", ["HyP3", "LiCSAR"])
def test_a_product_through_the_corrected_sbas_model_needs_no_typed_geometry(qgis_app, tmp_path, producer):
    """A product's folders given to the Corrected SBAS model, nothing typed: its steps read the product whole (the
    model used to hand them the folders' top-level rasters: a LiCSAR frame's E/N/U files, refused as
    interferograms; HyP3's unwrapped phase without its .txt, so the DEM-error step asked to type the slant range),
    and the DEM-error step takes the product's slant range, naming the producer's file."""
    from testutils_products import Truth, hyp3_products, licsar_frame

    t = Truth()
    if producer == "HyP3":
        items = list(hyp3_products(tmp_path / "h", t).values())
        dem = next(os.path.join(r, f) for r, _, fs in os.walk(str(tmp_path / "h")) for f in fs
                   if f.endswith("_dem.tif"))
        want_range, source = 880000.0, "the HyP3 product: 'Slant range center:' of the products' .txt"
    else:
        items = [licsar_frame(tmp_path / "work", t)]
        dem = next(os.path.join(r, f) for r, _, fs in os.walk(items[0]) for f in fs if f.endswith("hgt.tif"))
        want_range, source = 880461.8, "the LiCSAR product: "
    fb = recording_feedback()
    params = {"INTERFEROGRAMS": items, "DEM": dem, "demerror:VELOCITY": str(tmp_path / "v.tif"),
              "demerror:DEM_ERROR": str(tmp_path / "dz.tif")}
    if producer == "HyP3":
        params["BASELINES"] = items  # these products' .txt carry no 'Baseline:'
    res = hk.run("correctedsbas", params, feedback=fb)
    said = [line for line in fb.text.splitlines() if line.startswith("slant range ")]
    assert said and f"slant range {want_range:.10g} m: from the inputs' metadata" in said[-1], fb.text
    assert f"SLANT_RANGE_M, from {source}" in said[-1]
    assert float(_meta(res["demerror:VELOCITY"])["SLANT_RANGE_M"]) == want_range
