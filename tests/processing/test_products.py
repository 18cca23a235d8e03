"""Products as delivered into the stack tools (inputs/stacks.product_stack, fileio/formats/products.py): the oracle per
product.

The result from the product as delivered equals, value for value, the result from the same data flattened and typed
by hand (as a user had to: one folder, no-data and coherence scale set, products clipped to their common area), and
both equal the synthetic truth. Layouts (tests/testutils_products.py, its docstring cites each source): LiCSAR as
LiCSBAS's ``LiCSBAS01_get_geotiff.py`` / ``LiCSBAS02_ml_prep.py`` and the COMET portal (``licsar2licsbas.sh``) lay
it out; HyP3 INSAR_GAMMA as ``hyp3-gamma`` packages it (https://hyp3-docs.asf.alaska.edu/guides/
insar_product_guide/). The signs: LiCSBAS13_sb_inv.py ``coef_r2m = -wavelength/4/pi*1000`` (phase grows with range);
the HyP3 README ("positive values indicate movement away from the sensor").
"""

import os

import numpy as np
import pytest
from testutils import read_array, read_raster, recording_feedback
from testutils_products import (
    FRAME,
    S1_WAVELENGTH_M,
    Truth,
    flatten_hyp3,
    flatten_licsar,
    hyp3_common_window,
    hyp3_incidence,
    hyp3_products,
    licsar_frame,
    output_files,
    pair_shifts,
)

OUTS = ("OUTPUT_TIMESERIES", "OUTPUT_VELOCITY")
LICSAR_REF = "25.0335,39.9955 [EPSG:4326]"  # row 4, column 33: still ground
HYP3_REF = "394960,3960720 [EPSG:32611]"  # inside every product, still ground


def _outs(folder):
    return output_files(folder, OUTS)


# ------------------------------------------------------------------ LiCSAR
def test_licsar_geoc_as_delivered_equals_flattened_by_hand_and_the_truth(run_alg, tmp_path):
    t = Truth()
    geoc = licsar_frame(tmp_path / "work", t)
    flat = flatten_licsar(geoc, tmp_path / "flat", t)
    common = {"REFERENCE": LICSAR_REF, "WEIGHTING": 1, "MIN_TEMPORAL_COHERENCE": 0}
    fb = recording_feedback()
    a = run_alg("sbasinversion", {"INTERFEROGRAMS": geoc, **common, **_outs(tmp_path / "a")}, feedback=fb)
    b = run_alg("sbasinversion", {"INTERFEROGRAMS": flat, "COHERENCE": flat, "WAVELENGTH_M": S1_WAVELENGTH_M,
                                  **common, **_outs(tmp_path / "b")})
    for key in OUTS:
        assert read_array(a[key]).tobytes() == read_array(b[key]).tobytes(), key
    vel, ds = read_raster(a["OUTPUT_VELOCITY"])
    np.testing.assert_allclose(vel[3:, :], t.velocity[3:, :], atol=2e-3)  # still ground at the reference
    assert np.isnan(vel[:3, :4]).all()  # LiCSAR's 0 = no data
    text = fb.text
    assert f"LiCSAR frame {FRAME}, LiCSBAS GEOC folder" in text and "15 interferograms" in text
    assert "read as value / 255" in text and "0 is read as no data" in text
    assert "stated by the product (LiCSAR processes Sentinel-1 only" in text
    assert "perpendicular baselines of the 15 interferograms: from GEOC/baselines" in text
    assert "left out 15 file(s), wrapped phase" in text and "COHERENCE: the product's coherence is used" in text
    md = ds.GetMetadata()
    assert abs(float(md["INCIDENCE_DEG"]) - 37.5) < 0.2 and abs(float(md["HEADING_DEG"]) % 360 - 190.0) < 1e-3
    ts = read_raster(a["OUTPUT_TIMESERIES"])[1].GetMetadata()
    bperp = [float(v) for v in ts["PERPENDICULAR_BASELINES_M"].split(",")]
    np.testing.assert_allclose(bperp, [t.bperp[d] - t.bperp[t.dates[0]] for d in t.dates], atol=1e-3)


def test_licsar_automatic_reference_is_still_ground_where_coherence_is_on_the_bowl(run_alg, tmp_path):
    """The bowl is the most coherent area (a city): the automatic reference lands on still ground all the same, so
    the velocity is the truth itself."""
    t = Truth(coherent_bowl=True)
    geoc = licsar_frame(tmp_path / "work", t)
    fb = recording_feedback()
    res = run_alg("sbasinversion", {"INTERFEROGRAMS": geoc, "MIN_TEMPORAL_COHERENCE": 0, **_outs(tmp_path / "o")},
                  feedback=fb)
    vel, ds = read_raster(res["OUTPUT_VELOCITY"])
    r, c = int(ds.GetMetadataItem("REFERENCE_ROW")), int(ds.GetMetadataItem("REFERENCE_COL"))
    assert t.velocity[r, c] == 0.0
    np.testing.assert_allclose(vel[3:], t.velocity[3:], atol=2e-3)
    assert f"REFERENCE: row {r}, column {c} (" in fb.text
    assert "automatic reference: the largest consistent ground" in fb.text
    from insar_geohazards.algorithms.timeseries.sbas import choose_reference

    count = np.full(t.shape, len(t.pairs))
    count[:3, :4] = 0
    old = choose_reference(count, len(t.pairs), mean_coherence=t.coherence(t.pairs[0]))
    assert t.velocity[old] < -30  # coherence alone would have put it on the bowl


def test_licsar_portal_frame_and_add_directory_list_are_the_same_stack(run_alg, tmp_path):
    t = Truth()
    geoc = licsar_frame(tmp_path / "work", t)
    frame = licsar_frame(tmp_path / "portal", t, layout="portal", gacos=True)
    listed = sorted(os.path.join(d, f) for d, _, fs in os.walk(geoc) for f in fs if f.endswith(".tif"))
    runs = {}
    for key, value in (("geoc", geoc), ("portal", frame), ("list", listed)):
        fb = recording_feedback()
        runs[key] = run_alg("stackingvelocity", {"INTERFEROGRAMS": value, "REFERENCE": LICSAR_REF,
                                                 "OUTPUT_VELOCITY": str(tmp_path / f"{key}.tif")}, feedback=fb)
        if key == "portal":
            assert "COMET-LiCS portal frame" in fb.text and "7 GACOS delay maps" in fb.text
    want = read_array(runs["geoc"]["OUTPUT_VELOCITY"]).tobytes()
    assert read_array(runs["portal"]["OUTPUT_VELOCITY"]).tobytes() == want
    assert read_array(runs["list"]["OUTPUT_VELOCITY"]).tobytes() == want


def test_licsar_correction_tools_equal_the_flattened_stack(run_alg, tmp_path):
    t = Truth()
    geoc = licsar_frame(tmp_path / "work", t)
    flat = flatten_licsar(geoc, tmp_path / "flat", t)
    a = run_alg("rampremoval", {"INTERFEROGRAMS": geoc, "OUTPUT": str(tmp_path / "ra")})
    b = run_alg("rampremoval", {"INTERFEROGRAMS": flat, "COHERENCE": flat, "OUTPUT": str(tmp_path / "rb")})
    names = sorted(os.listdir(a["OUTPUT"]))
    assert [n for n in names if n.endswith(".tif")] == sorted(f"{p[0]:%Y%m%d}_{p[1]:%Y%m%d}.unw.tif"
                                                              for p in t.pairs)
    for n in names:
        if n.endswith(".tif"):
            assert read_array(os.path.join(a["OUTPUT"], n)).tobytes() == \
                read_array(os.path.join(b["OUTPUT"], n)).tobytes(), n
    kept = run_alg("modifynetwork", {"INTERFEROGRAMS": geoc, "DROP_PAIRS": "20200101_20200113",
                                     "OUTPUT": str(tmp_path / "net")})
    files = sorted(f for f in os.listdir(kept["OUTPUT"]) if f.endswith(".tif"))
    assert len(files) == len(t.pairs) - 1 and "20200101_20200113.unw.tif" not in files
    got, ds = read_raster(os.path.join(kept["OUTPUT"], "20200101_20200125.unw.tif"))
    nodata = ds.GetRasterBand(1).GetNoDataValue()  # LiCSAR's 0, now declared
    want = read_array(os.path.join(flat, "20200101_20200125.unw.tif"))
    assert nodata == 0.0 and np.array_equal(want, got)


def test_dem_error_step_takes_the_baselines_the_product_carried(run_alg, tmp_path):
    t = Truth()
    geoc = licsar_frame(tmp_path / "work", t)
    sbas = run_alg("sbasinversion", {"INTERFEROGRAMS": geoc, "REFERENCE": LICSAR_REF, "MIN_TEMPORAL_COHERENCE": 0,
                                     **_outs(tmp_path / "s")})
    fb = recording_feedback()
    res = run_alg("demerrorcorrection", {"INPUT": sbas["OUTPUT_TIMESERIES"], "OUTPUT": str(tmp_path / "ts.tif"),
                                         "OUTPUT_DEM_ERROR": str(tmp_path / "dz.tif")}, feedback=fb)
    assert os.path.exists(res["OUTPUT"])
    want = ", ".join(f"{t.bperp[d] - t.bperp[t.dates[0]]:+.1f}" for d in t.dates)
    assert f"perpendicular baselines (m) of the dates: {want}" in fb.text
    assert "incidence angle 37.5" in fb.text  # the E/N/U mean the SBAS outputs carry
    # the frame's baselines file given as BASELINES says the same
    fb2 = recording_feedback()
    run_alg("demerrorcorrection", {"INPUT": sbas["OUTPUT_TIMESERIES"], "BASELINES": os.path.join(geoc, "baselines"),
                                   "OUTPUT": str(tmp_path / "ts2.tif"), "OUTPUT_DEM_ERROR": str(tmp_path / "dz2.tif")},
            feedback=fb2)
    assert f"perpendicular baselines (m) of the dates: {want}" in fb2.text


def test_a_typed_wavelength_wins_with_a_warning_naming_both(run_alg, tmp_path):
    t = Truth()
    geoc = licsar_frame(tmp_path / "work", t)
    fb = recording_feedback()
    run_alg("stackingvelocity", {"INTERFEROGRAMS": geoc, "REFERENCE": LICSAR_REF, "WAVELENGTH_M": 0.0562,
                                 "OUTPUT_VELOCITY": str(tmp_path / "v.tif")}, feedback=fb)
    assert any("WAVELENGTH_M = 0.0562 m disagrees with the inputs' metadata (LiCSAR processes Sentinel-1 only"
               in w for w in fb.warnings), fb.warnings


# ------------------------------------------------------------------ HyP3
def test_hyp3_zips_and_folders_equal_the_products_clipped_by_hand_and_the_truth(run_alg, tmp_path):
    t = Truth()
    shifts = pair_shifts(t)
    prods = hyp3_products(tmp_path / "hyp3", t, zipped=t.pairs[:6], shifts=shifts)
    flat = flatten_hyp3(prods, tmp_path / "flat", t, shifts)
    common = {"REFERENCE": HYP3_REF, "WEIGHTING": 1, "MIN_TEMPORAL_COHERENCE": 0}
    fb = recording_feedback()
    a = run_alg("sbasinversion", {"INTERFEROGRAMS": str(tmp_path / "hyp3"), **common, **_outs(tmp_path / "a")},
                feedback=fb)
    b = run_alg("sbasinversion", {"INTERFEROGRAMS": flat, "COHERENCE": flat, **common, **_outs(tmp_path / "b")})
    for key in OUTS:
        assert read_array(a[key]).tobytes() == read_array(b[key]).tobytes(), key
    rw, cw = hyp3_common_window(t, shifts)
    vel, ds = read_raster(a["OUTPUT_VELOCITY"])
    np.testing.assert_allclose(vel, t.velocity[rw, cw], atol=2e-3)
    text = fb.text
    assert "HyP3 InSAR products (9 product folder(s), 6 zip(s) read in place): 15 interferograms" in text
    assert "the stack's grid is their common area" in text and "STACK_EXTENT" in text
    assert "deg: 90 deg - mean of" in text and "heading 347.5 deg" in text
    assert "unwraps each pair from its own reference point" in text
    assert "perpendicular baselines of the 15 interferograms: from the products' .txt files" in text
    want = np.degrees(np.float32(np.radians(90.0 - hyp3_incidence(t)[rw, cw]))).mean()
    assert abs(float(ds.GetMetadataItem("INCIDENCE_DEG")) - (90.0 - want)) < 1e-5  # the stack's area, not a product's
    assert not os.listdir(tmp_path / "hyp3") == []  # nothing extracted beside the zips:
    assert sorted(f for f in os.listdir(tmp_path / "hyp3") if not f.endswith(".zip")) == \
        sorted(os.path.basename(p) for p in prods.values() if not p.endswith(".zip"))


def test_hyp3_union_extent_keeps_every_pairs_area(run_alg, tmp_path):
    t = Truth()
    shifts = pair_shifts(t)
    hyp3_products(tmp_path / "hyp3", t, zipped=t.pairs[::2], shifts=shifts)
    common = {"INTERFEROGRAMS": str(tmp_path / "hyp3"), "REFERENCE": HYP3_REF, "MIN_TEMPORAL_COHERENCE": 0}
    inter = run_alg("stackingvelocity", {**common, "OUTPUT_VELOCITY": str(tmp_path / "i.tif")})
    fb = recording_feedback()
    union = run_alg("stackingvelocity", {**common, "STACK_EXTENT": 1, "MIN_COUNT": 1,
                                         "OUTPUT_VELOCITY": str(tmp_path / "u.tif")}, feedback=fb)
    vi, di = read_raster(inter["OUTPUT_VELOCITY"])
    vu, du = read_raster(union["OUTPUT_VELOCITY"])
    assert vu.shape[0] > vi.shape[0] and vu.shape[1] > vi.shape[1]
    assert "the union of their areas" in fb.text
    gi, gu = di.GetGeoTransform(), du.GetGeoTransform()
    r0, c0 = int(round((gu[3] - gi[3]) / 80.0)), int(round((gi[0] - gu[0]) / 80.0))
    inside = vu[r0:r0 + vi.shape[0], c0:c0 + vi.shape[1]]
    assert inside.tobytes() == vi.tobytes()
    rw, cw = hyp3_common_window(t, shifts)
    assert np.isfinite(vu).sum() > np.isfinite(vi).sum()


@pytest.mark.parametrize("tool, out", [("unwrapclosurecorrection", "OUTPUT"), ("referencepoint", "OUTPUT"),
                                       ("phasegradientstacking", "OUTPUT")])
def test_hyp3_products_go_into_the_other_stack_tools(run_alg, tmp_path, tool, out):
    t = Truth()
    hyp3_products(tmp_path / "hyp3", t, zipped=t.pairs[:3], shifts=pair_shifts(t))
    dest = str(tmp_path / ("o.gpkg" if tool == "referencepoint" else "o" if tool == "unwrapclosurecorrection"
                           else "o.tif"))
    res = run_alg(tool, {"INTERFEROGRAMS": str(tmp_path / "hyp3"), out: dest})
    assert os.path.exists(res[out])


# ------------------------------------------------------------------ ISCE2
def _isce_pair_vrt(folder, pair, truth, *, srs=None):
    """A pair folder ``<d1>_<d2>/`` with ISCE's two-band ``filt_fine.unw`` (amplitude, phase; here with an ENVI
    header instead of ISCE's .xml) seen through ``filt_fine.unw.vrt`` (radar coordinates: no geotransform; ``srs``
    as some ISCE VRTs carry)."""
    from osgeo import gdal

    d = os.path.join(str(folder), f"{pair[0]:%Y%m%d}_{pair[1]:%Y%m%d}")
    os.makedirs(d, exist_ok=True)
    rows, cols = truth.shape
    src = gdal.GetDriverByName("ENVI").Create(os.path.join(d, "filt_fine.unw"), cols, rows, 2, gdal.GDT_Float32,
                                              ["INTERLEAVE=BIL"])
    src.GetRasterBand(1).WriteArray(np.full(truth.shape, 7.0, np.float32))  # amplitude
    src.GetRasterBand(2).WriteArray(truth.pair_phase(pair).astype(np.float32))
    src = None
    vrt = gdal.Translate(os.path.join(d, "filt_fine.unw.vrt"), os.path.join(d, "filt_fine.unw"), format="VRT")
    if srs:
        vrt.SetProjection(srs)
    vrt = None
    return os.path.join(d, "filt_fine.unw.vrt")


def test_isce2_stack_in_radar_coordinates_is_refused_saying_what_to_give(run_alg, tmp_path):
    """MintPy's defaults/auto_path.py: topsStack ``merged/interferograms/*/filt*.unw``, lookup tables
    ``merged/geom_reference/lat.rdr``/``lon.rdr``."""
    from qgis.core import QgsProcessingException

    t = Truth(n_dates=4)
    merged = tmp_path / "merged"
    for p in t.pairs:
        _isce_pair_vrt(merged / "interferograms", p, t)
    (merged / "geom_reference").mkdir()
    for f in ("lat.rdr", "lon.rdr", "los.rdr"):
        (merged / "geom_reference" / f).write_bytes(b"\0" * 16)
    with pytest.raises(QgsProcessingException, match=r"INTERFEROGRAMS: the ISCE2 stack \(merged/interferograms/.*"
                                                     r"filt_fine.unw.* is in radar coordinates.*merged/geom_reference/"
                                                     r"lat.rdr and merged/geom_reference/lon.rdr.*Geocode it first"):
        run_alg("stackingvelocity", {"INTERFEROGRAMS": str(merged), "OUTPUT_VELOCITY": str(tmp_path / "v.tif")})


def test_isce2_unw_vrt_is_read_from_its_phase_band_and_radar_outputs_carry_no_crs(run_alg, tmp_path):
    """The file QGIS shows for ISCE's ``filt_fine.unw`` is its ``.vrt`` (two bands: amplitude, phase); a radar-grid
    stack that names a CRS must not come out on a map at 1-degree pixels."""
    t = Truth(n_dates=4)
    from osgeo import gdal, osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    files = [_isce_pair_vrt(tmp_path / "stack", p, t, srs=srs.ExportToWkt()) for p in t.pairs]
    fb = recording_feedback()
    res = run_alg("stackingvelocity", {"INTERFEROGRAMS": files, "REFERENCE": None,
                                       "OUTPUT_VELOCITY": str(tmp_path / "v.tif")}, feedback=fb)
    ds = gdal.Open(res["OUTPUT_VELOCITY"])
    assert ds.GetProjection() == "" and ds.GetGeoTransform(can_return_null=True) is None
    assert "has no map georeference (radar coordinates?)" in " ".join(fb.warnings)
    vel = ds.ReadAsArray()
    r, c = np.unravel_index(np.nanargmin(np.abs(vel)), vel.shape)
    assert np.nanmax(np.abs(vel - (t.velocity - t.velocity[r, c]))) < 0.05  # the phase band, not the amplitude


def test_troposphere_takes_the_products_heights_when_dem_is_empty(run_alg, tmp_path):
    """HyP3's _dem.tif of every product (mosaicked on the stack's grid) against one product's DEM clipped by hand;
    LiCSAR's .geo.hgt.tif against the same file given as DEM."""
    t = Truth()
    shifts = pair_shifts(t)
    prods = hyp3_products(tmp_path / "hyp3", t, zipped=t.pairs[:4], shifts=shifts)
    flat = flatten_hyp3(prods, tmp_path / "flat", t, shifts)
    fb = recording_feedback()
    a = run_alg("troposphericcorrection", {"INTERFEROGRAMS": str(tmp_path / "hyp3"), "OUTPUT": str(tmp_path / "ta")},
                feedback=fb)
    assert "DEM: the product's heights are used (DEM is empty): the product's DEM: " in fb.text
    assert "and 14 more (mosaicked), on the stack's grid" in fb.text
    b = run_alg("troposphericcorrection", {"INTERFEROGRAMS": flat, "COHERENCE": flat,
                                           "DEM": os.path.join(flat, "dem.tif"), "OUTPUT": str(tmp_path / "tb")})
    for pair in t.pairs:
        name = f"{pair[0]:%Y%m%d}_{pair[1]:%Y%m%d}"
        got = read_array(os.path.join(a["OUTPUT"], f"{name}.unw.tif"))
        want = read_array(next(os.path.join(b["OUTPUT"], f) for f in os.listdir(b["OUTPUT"])
                               if f.startswith(f"S1AA_{pair[0]:%Y%m%d}T") and f"_{pair[1]:%Y%m%d}T" in f
                               and f.endswith("_unw_phase_flat.tif")))
        assert got.tobytes() == want.tobytes(), name
    geoc = licsar_frame(tmp_path / "work", t)
    c = run_alg("troposphericcorrection", {"INTERFEROGRAMS": geoc, "OUTPUT": str(tmp_path / "tc")})
    d = run_alg("troposphericcorrection", {"INTERFEROGRAMS": geoc, "DEM": os.path.join(geoc, f"{FRAME}.geo.hgt.tif"),
                                           "OUTPUT": str(tmp_path / "td")})
    for f in sorted(os.listdir(c["OUTPUT"])):
        if f.endswith(".tif"):
            np.testing.assert_array_equal(read_array(os.path.join(c["OUTPUT"], f)),
                                          read_array(os.path.join(d["OUTPUT"], f)))


def test_unwrap_takes_a_licsar_frame_and_unwraps_its_wrapped_phase(run_alg, tmp_path):
    """LiCSAR's ``<pair>.geo.diff_pha.tif`` (wrapped phase) and ``.geo.cc.tif`` go into the unwrapping tool as
    delivered; the unwrapped result equals LiCSAR's own unwrapped phase up to one constant (its reference)."""
    t = Truth(n_dates=4)
    geoc = licsar_frame(tmp_path / "work", t)
    fb = recording_feedback()
    res = run_alg("unwrap", {"INPUT": geoc, "OUTPUT": str(tmp_path / "unw")}, feedback=fb)
    assert "INPUT: LiCSAR frame" in fb.text and "unwrapped phase (this input takes the wrapped phase)" in fb.text
    for pair in t.pairs:
        name = f"{pair[0]:%Y%m%d}_{pair[1]:%Y%m%d}"
        got = read_array(os.path.join(res["OUTPUT"], f"{name}.unw.tif"))
        want = t.pair_phase(pair)
        diff = (got - want)[np.isfinite(got)]
        assert diff.size > 0.9 * (t.shape[0] * t.shape[1] - 12)
        cycles = (diff - diff[0]) / (2 * np.pi)
        np.testing.assert_allclose(cycles, np.round(cycles), atol=1e-4)  # the wrapped phase, unwrapped
        assert np.ptp(np.round(cycles)) == 0, name  # one constant: no unwrapping error


def test_a_mintpy_stack_keeps_its_own_reference(run_alg, tmp_path):
    """MintPy's ``reference_point`` step writes ``REF_Y``/``REF_X`` into ``ifgramStack.h5``: the stack's own
    reference is honoured (the same bytes as REFERENCE typed at that pixel), not replaced by an automatic one."""
    pytest.importorskip("h5py", reason="h5py is not installed")
    from insar_geohazards.algorithms.formats.mintpy import write_ifgram_stack

    t = Truth(coherent_bowl=True)
    phase = np.stack([t.pair_phase(p) for p in t.pairs])
    gt = (500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0)
    h5 = write_ifgram_stack(str(tmp_path / "ifgramStack.h5"), phase, t.pairs, wavelength_m=S1_WAVELENGTH_M,
                            geotransform=gt, epsg=32633, ref_yx=(20, 30))
    fb = recording_feedback()
    a = run_alg("sbasinversion", {"INTERFEROGRAMS": h5, "MIN_TEMPORAL_COHERENCE": 0, **_outs(tmp_path / "a")},
                feedback=fb)
    assert "REFERENCE: row 20, column 30 (" in fb.text
    assert "the stack's own reference, REF_Y = 20, REF_X = 30 of ifgramStack.h5" in fb.text
    b = run_alg("sbasinversion", {"INTERFEROGRAMS": h5, "MIN_TEMPORAL_COHERENCE": 0,
                                  "REFERENCE": f"{gt[0] + 30.5 * 30},{gt[3] - 20.5 * 30} [EPSG:32633]",
                                  **_outs(tmp_path / "b")})
    for key in OUTS:
        assert read_array(a[key]).tobytes() == read_array(b[key]).tobytes(), key
