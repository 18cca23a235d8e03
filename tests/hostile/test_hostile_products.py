"""Hostile inputs for the stack-spec reader: products as an attacker (or a tired user) would give them.

A product in the wrong parameter, a zip cut short, two frames or two tracks in one folder, a pair folder without its
interferogram, pairs on grids that cannot be shared, geometry rasters holding other quantities: each is refused
with a message naming the file and what was expected, or (a pair or zip that can be left out) run with a warning
naming it. Layouts: tests/testutils_products.py (sources in its docstring).
"""

import os
import shutil

import numpy as np
import pytest
import testutils_hostile as hk
from testutils import recording_feedback
from testutils_products import FRAME, Truth, hyp3_name, hyp3_products, licsar_frame, write_tif


def _refused(tool, params, match):
    return hk.expect_refusal(tool, params, match)


def _vel(tmp_path, name="v.tif"):
    return {"OUTPUT_VELOCITY": str(tmp_path / name)}


def test_a_zip_cut_short_is_refused_when_given_and_left_out_with_a_warning_in_a_folder(qgis_app, tmp_path):
    t = Truth(n_dates=5)
    prods = hyp3_products(tmp_path / "hyp3", t, zipped=t.pairs, truncate=t.pairs[:1])
    cut = prods[t.pairs[0]]
    _refused("stackingvelocity", {"INTERFEROGRAMS": [cut, prods[t.pairs[1]]], **_vel(tmp_path)},
             f"INTERFEROGRAMS: {os.path.basename(cut)} is not a complete zip archive .*a download cut short")
    fb = recording_feedback()
    hk.run("stackingvelocity", {"INTERFEROGRAMS": str(tmp_path / "hyp3"), **_vel(tmp_path, "w.tif")}, fb)
    assert any(f"left out: hyp3/{os.path.basename(cut)} is not a complete zip archive" in w for w in fb.warnings)
    assert f"{len(t.pairs) - 1} interferograms" in fb.text


def test_two_frames_and_two_tracks_are_refused_naming_both(qgis_app, tmp_path):
    t = Truth(n_dates=4)
    a = licsar_frame(tmp_path / "a", t)
    b = licsar_frame(tmp_path / "b", t, frame="021D_04972_131213")
    _refused("sbasinversion", {"INTERFEROGRAMS": [a, b], "OUTPUT_TIMESERIES": str(tmp_path / "ts.tif"),
                               "OUTPUT_VELOCITY": str(tmp_path / "v.tif")},
             f"two LiCSAR frames are mixed: {FRAME} .* and 021D_04972_131213")
    hyp3_products(tmp_path / "h", t, pids={p: "1111" for p in t.pairs})
    other = Truth(n_dates=5)
    other.pairs = [(other.dates[0], other.dates[4])]  # a pair the first track does not have
    other.pair_offset_rad[other.pairs[0]] = 0.0
    hyp3_products(tmp_path / "h2", other, orbit=31007, pids={other.pairs[0]: "2222"})
    shutil.move(str(tmp_path / "h2" / hyp3_name(other.pairs[0], "2222")), str(tmp_path / "h"))
    _refused("stackingvelocity", {"INTERFEROGRAMS": str(tmp_path / "h"), **_vel(tmp_path)},
             r"two tracks are mixed: .*\(relative orbit 128, ASCENDING\) and .*\(relative orbit 135, ASCENDING\)")


def test_a_pair_folder_without_its_interferogram_is_left_out_with_a_warning(qgis_app, tmp_path):
    t = Truth(n_dates=5)
    missing = t.pairs[2]
    geoc = licsar_frame(tmp_path / "w", t, drop_unw=[missing])
    fb = recording_feedback()
    hk.run("stackingvelocity", {"INTERFEROGRAMS": geoc, **_vel(tmp_path)}, fb)
    name = f"{missing[0]:%Y%m%d}_{missing[1]:%Y%m%d}"
    assert any(f"GEOC/{name}: no {name}.geo.unw.tif (the unwrapped interferogram) in the pair folder" in w
               for w in fb.warnings), fb.warnings
    assert f"{len(t.pairs) - 1} interferograms" in fb.text
    prods = hyp3_products(tmp_path / "h", t, drop_unw=[missing])
    fb = recording_feedback()
    hk.run("stackingvelocity", {"INTERFEROGRAMS": str(tmp_path / "h"), **_vel(tmp_path, "w.tif")}, fb)
    assert any(f"{os.path.basename(prods[missing])}: no {os.path.basename(prods[missing])}_unw_phase.tif" in w
               for w in fb.warnings), fb.warnings


def test_pairs_on_grids_that_cannot_be_shared_are_refused(qgis_app, tmp_path):
    t = Truth(n_dates=4)
    prods = hyp3_products(tmp_path / "zone", t)
    odd = prods[t.pairs[1]]
    name = os.path.basename(odd)
    from osgeo import gdal, osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32612)
    ds = gdal.Open(os.path.join(odd, f"{name}_unw_phase.tif"), gdal.GA_Update)
    ds.SetProjection(srs.ExportToWkt())
    ds = None
    _refused("stackingvelocity", {"INTERFEROGRAMS": str(tmp_path / "zone"), **_vel(tmp_path)},
             f"{name} is in another CRS than .*EPSG:32612 vs EPSG:32611.*reproject")
    prods = hyp3_products(tmp_path / "half", t)
    odd = prods[t.pairs[2]]
    name = os.path.basename(odd)
    ds = gdal.Open(os.path.join(odd, f"{name}_unw_phase.tif"), gdal.GA_Update)
    gt = list(ds.GetGeoTransform())
    gt[0] += 40.0
    ds.SetGeoTransform(gt)
    ds = None
    _refused("stackingvelocity", {"INTERFEROGRAMS": str(tmp_path / "half"), **_vel(tmp_path)},
             f"{name} is not aligned with .*0.500 x 0.000 pixels off the grid")
    prods = hyp3_products(tmp_path / "far", t)
    name = os.path.basename(prods[t.pairs[1]])
    ds = gdal.Open(os.path.join(prods[t.pairs[1]], f"{name}_unw_phase.tif"), gdal.GA_Update)
    gt = list(ds.GetGeoTransform())
    gt[0] += 80.0 * 1000  # 80 km east: the same lattice, no area in common
    ds.SetGeoTransform(gt)
    ds = None
    _refused("stackingvelocity", {"INTERFEROGRAMS": str(tmp_path / "far"), **_vel(tmp_path)},
             "do not overlap: the pairs have no area in common.*STACK_EXTENT = union")


def test_geometry_rasters_holding_other_quantities_are_refused(qgis_app, tmp_path):
    t = Truth(n_dates=4)
    geoc = licsar_frame(tmp_path / "w", t)
    u = os.path.join(geoc, f"{FRAME}.geo.U.tif")
    write_tif(u, np.full(t.shape, 39.0), geotransform=(25.0, 0.001, 0.0, 40.0, 0.0, -0.001))  # degrees, not a vector
    _refused("stackingvelocity", {"INTERFEROGRAMS": geoc, **_vel(tmp_path)},
             f"INTERFEROGRAMS: {FRAME}.geo.U.tif: the E/N/U rasters are not unit vectors")
    prods = hyp3_products(tmp_path / "h", t)
    name = os.path.basename(prods[t.pairs[0]])
    theta = os.path.join(prods[t.pairs[0]], f"{name}_lv_theta.tif")
    write_tif(theta, np.full((t.shape[0] - 4, t.shape[1] - 4), 52.0), geotransform=(392840.0, 80.0, 0.0, 3962200.0,
                                                                                    0.0, -80.0), epsg=32611,
              nodata=0.0)
    _refused("stackingvelocity", {"INTERFEROGRAMS": str(tmp_path / "h"), **_vel(tmp_path)},
             f"{name}_lv_theta.tif holds values from 52 to 52: HyP3's lv_theta is the look vector's elevation in "
             "radians")


def test_a_product_in_the_wrong_parameter_is_named(qgis_app, tmp_path):
    t = Truth(n_dates=4)
    geoc = licsar_frame(tmp_path / "w", t)
    # HyP3 products ordered without their wrapped phase, given to the unwrapping tool
    hyp3_products(tmp_path / "unwrapped", t)
    _refused("unwrap", {"INPUT": str(tmp_path / "unwrapped"), "OUTPUT": str(tmp_path / "unw")},
             "INPUT: no HyP3 product with its _wrapped_phase.tif was found: HyP3 includes the wrapped phase only when "
             "ordered with 'Include Wrapped Phase'; the products' _unw_phase.tif are already unwrapped")
    # a geometry raster of the frame given alone to the unwrapping tool
    _refused("unwrap", {"INPUT": [os.path.join(geoc, f"{FRAME}.geo.E.tif")], "OUTPUT": str(tmp_path / "unw2")},
             f"INPUT: '{FRAME}.geo.E.tif' has no date pair in its name .*is a file of LiCSAR frame {FRAME}")
    # a geometry raster of the frame in a list of interferograms
    plain = tmp_path / "plain"
    plain.mkdir()
    for p in t.pairs[:3]:
        write_tif(plain / f"{p[0]:%Y%m%d}_{p[1]:%Y%m%d}.unw.tif", t.pair_phase(p),
                  geotransform=(25.0, 0.001, 0.0, 40.0, 0.0, -0.001))
    listed = sorted(str(f) for f in plain.iterdir()) + [os.path.join(geoc, f"{FRAME}.geo.N.tif")]
    fb = recording_feedback()  # beside interferograms named unw, it is left out and named
    hk.run("stackingvelocity", {"INTERFEROGRAMS": listed, **_vel(tmp_path)}, fb)
    assert f"INTERFEROGRAMS: left out 1 file(s) of the list that are not interferograms of the stack; 1 raster(s): " \
           f"{FRAME}.geo.N.tif" in fb.text
    bare = plain / "20200101_20200113.tif"  # a name without 'unw': every raster of the list is taken, and named
    shutil.copy(listed[0], bare)
    _refused("stackingvelocity", {"INTERFEROGRAMS": [str(bare), listed[-1]], **_vel(tmp_path, "w.tif")},
             f"{FRAME}.geo.N.tif is a file of LiCSAR frame {FRAME}: the north component")
    # HyP3 products given as COHERENCE beside interferograms of another grid
    hyp3_products(tmp_path / "h", t)
    _refused("stackingvelocity", {"INTERFEROGRAMS": str(plain), "COHERENCE": str(tmp_path / "h"),
                                  "WEIGHTING": 1, **_vel(tmp_path)},
             "COHERENCE: 20200101_20200113.cc.vrt has 26 rows x 32 columns, expected 30 x 36 like "
             "20200101_20200113.unw.tif; the coherence must be on the interferograms' grid")


def test_nothing_is_written_beside_the_products(qgis_app, tmp_path):
    t = Truth(n_dates=4)
    prods = hyp3_products(tmp_path / "h", t, zipped=t.pairs[:2])
    geoc = licsar_frame(tmp_path / "w", t)

    def listing(root):
        return sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)

    before = listing(tmp_path)
    hk.run("stackingvelocity", {"INTERFEROGRAMS": str(tmp_path / "h"), **_vel(tmp_path / "h", "v.tif")})
    hk.run("stackingvelocity", {"INTERFEROGRAMS": geoc, "OUTPUT_VELOCITY": str(tmp_path / "v2.tif")})
    after = [f for f in listing(tmp_path) if not f.endswith(("v.tif", "v2.tif", ".qml"))]
    assert after == before
    assert len(prods) == len(t.pairs)


@pytest.mark.parametrize("extent", [0, 1])
def test_one_product_pair_alone_is_a_stack_of_one(qgis_app, tmp_path, extent):
    t = Truth(n_dates=3)
    prods = hyp3_products(tmp_path / "h", t, zipped=t.pairs[:1])
    res = hk.run("stackingvelocity", {"INTERFEROGRAMS": [prods[t.pairs[0]]], "STACK_EXTENT": extent,
                                      **_vel(tmp_path)})
    assert os.path.exists(res["OUTPUT_VELOCITY"])


def _mintpy_stack(tmp_path, *, geocoded=True, drop=None):
    """An ``ifgramStack.h5`` as MintPy's ``load_data.py`` writes it (``unwrapPhase``, ``coherence``, ``date``,
    ``bperp``, ``dropIfgram``; attributes ``FILE_TYPE``, ``LENGTH``, ``WIDTH``, ``WAVELENGTH``, and ``X_FIRST``/
    ``Y_FIRST``/``X_STEP``/``Y_STEP``/``EPSG`` only when its inputs were geocoded; MintPy's ``objects/stack.py``);
    ``drop``: the ``dropIfgram`` flags ``modify_network.py`` leaves."""
    import h5py
    from testutils_products import S1_WAVELENGTH_M

    from insar_geohazards.algorithms.formats.mintpy import write_ifgram_stack

    t = Truth(n_dates=4)
    phase = np.stack([t.pair_phase(p) for p in t.pairs])
    h5 = write_ifgram_stack(str(tmp_path / "ifgramStack.h5"), phase, t.pairs, wavelength_m=S1_WAVELENGTH_M,
                            geotransform=(500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0) if geocoded else None,
                            epsg=32633 if geocoded else None)
    if drop is not None:
        with h5py.File(h5, "r+") as f:
            f["dropIfgram"][:] = drop
    return h5, t


def test_a_mintpy_stack_in_radar_coordinates_is_refused_saying_how_mintpy_geocodes_it(qgis_app, tmp_path):
    """MintPy's ifgramStack.h5 of a radar-coded stack (no X_FIRST...): it ran at exit 0 with outputs without CRS and
    no word; it is refused as MintPy's own results before geocode.py are."""
    h5, _ = _mintpy_stack(tmp_path, geocoded=False)
    _refused("sbasinversion", {"INTERFEROGRAMS": h5, "OUTPUT_TIMESERIES": str(tmp_path / "ts.tif"),
                               "OUTPUT_VELOCITY": str(tmp_path / "v.tif")},
             r"ifgramStack.h5 is in radar coordinates \(no map coordinates; attributes X_FIRST, Y_FIRST, X_STEP, "
             r"Y_STEP missing\): geocode it first with MintPy \(geocode.py")
    assert sorted(os.listdir(tmp_path)) == ["ifgramStack.h5"]


def test_a_mintpy_stack_with_every_interferogram_dropped_names_drop_ifgram(qgis_app, tmp_path):
    h5, t = _mintpy_stack(tmp_path, drop=False)
    _refused("sbasinversion", {"INTERFEROGRAMS": h5, "OUTPUT_TIMESERIES": str(tmp_path / "ts.tif"),
                               "OUTPUT_VELOCITY": str(tmp_path / "v.tif")},
             rf"ifgramStack.h5: all {len(t.pairs)} interferograms are dropped by dropIfgram")
    assert sorted(os.listdir(tmp_path)) == ["ifgramStack.h5"]


def test_an_output_over_a_file_inside_a_pair_folder_is_refused_first(qgis_app, tmp_path):
    """An output named like a LiCSAR pair's own file (GEOC/<pair>/<pair>.geo.unw.tif) ended in a traceback (the
    file moved aside for the output, then read); the refusal comes first, naming the input, and nothing changes."""
    t = Truth(n_dates=4)
    geoc = licsar_frame(tmp_path / "w", t)
    pair = f"{t.pairs[0][0]:%Y%m%d}_{t.pairs[0][1]:%Y%m%d}"
    target = os.path.join(geoc, pair, pair + ".geo.unw.tif")
    before = hk.digest(os.path.join(r, f) for r, _, fs in os.walk(geoc) for f in fs)
    _refused("stackingvelocity", {"INTERFEROGRAMS": geoc, "OUTPUT_VELOCITY": target},
             rf"OUTPUT_VELOCITY: '.*{pair}.geo.unw.tif' is \(or belongs to\) the input INTERFEROGRAMS of this run")
    assert hk.digest(os.path.join(r, f) for r, _, fs in os.walk(geoc) for f in fs) == before
    hyp3 = hyp3_products(tmp_path / "h", t, zipped=t.pairs)
    _refused("stackingvelocity", {"INTERFEROGRAMS": str(tmp_path / "h"), "OUTPUT_VELOCITY": hyp3[t.pairs[0]]},
             r"OUTPUT_VELOCITY: .*\.zip' is \(or belongs to\) the input INTERFEROGRAMS of this run")
