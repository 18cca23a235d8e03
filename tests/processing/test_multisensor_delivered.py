"""geohazard:multisensortimeseries takes stacks as their producers deliver them, each row of its MANIFEST through
the stack-spec reader the stack tools share: a LiCSAR frame (LiCSBAS's GEOC/, per-pair folders, 0 as no data, its
E/N/U rasters and metadata.txt), MintPy's timeseries.h5, EGMS L2b points as downloaded (zip or CSV). Each gives the
same outputs as the same data prepared by hand (flattened, converted, gridded) with the product's own values typed."""

import csv
import io
import os
import zipfile

import numpy as np
import pytest
from testutils import read_bands as _read
from testutils import recording_feedback

NAME = "multisensortimeseries"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _manifest(path, header, rows):
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(",".join(header) + "\n")
        for r in rows:
            fh.write(",".join(str(v) for v in r) + "\n")
    return str(path)


def _outputs(folder):
    os.makedirs(folder, exist_ok=True)
    return {"OUTPUT_UP": os.path.join(folder, "up.tif"), "OUTPUT_VELOCITY": os.path.join(folder, "vel.tif"),
            "OUTPUT_SIGMA_UP": os.path.join(folder, "sup.tif")}


def _same_outputs(a, b, atol=0.0):
    for key in ("OUTPUT_UP", "OUTPUT_VELOCITY", "OUTPUT_SIGMA_UP"):
        va, da = _read(a[key])
        vb, db = _read(b[key])
        assert da.GetGeoTransform() == db.GetGeoTransform(), key
        assert np.isfinite(va).mean() > 0.3, key
        if atol:
            np.testing.assert_array_equal(np.isfinite(va), np.isfinite(vb), err_msg=key)
            np.testing.assert_allclose(va, vb, rtol=0, atol=atol, err_msg=key)
        else:
            np.testing.assert_array_equal(va, vb, err_msg=key)


#: The columns of a manifest row that types an interferogram stack by hand.
STACK_COLUMNS = ["name", "path", "kind", "units", "wavelength_m", "incidence_deg", "heading_deg"]


def _delivered_as_by_hand(run_alg, tmp_path, delivered, header, rows):
    """Run the tool on the ``delivered`` manifest and on the manifest of ``rows`` typed by hand; both give the same
    outputs. Returns the two runs' results and the feedback of the first."""
    by_hand = _manifest(tmp_path / "by_hand.csv", header, rows)
    fb = recording_feedback()
    a = run_alg(NAME, {"MANIFEST": delivered, **_outputs(str(tmp_path / "out_a"))}, fb)
    b = run_alg(NAME, {"MANIFEST": by_hand, **_outputs(str(tmp_path / "out_b"))})
    _same_outputs(a, b)
    return a, b, fb


def test_licsar_frames_as_delivered_equal_the_same_files_flattened_and_typed_by_hand(run_alg, tmp_path):
    """Two LiCSAR frames (ascending and descending) as LiCSBAS downloads them, one manifest row each with nothing
    but the folder: the run reads them through the stack tools' product reader (the log says which files, the
    geometry from the frame's E/N/U, the wavelength) and gives the same bytes as the same pairs flattened by hand
    (no-data 0 declared) with that geometry and wavelength typed. Before, a frame's folder was refused (no
    interferogram at its top level)."""
    from testutils_products import Truth, flatten_licsar, licsar_frame

    from insar_geohazards.algorithms.formats import geometry_meta as gm
    from insar_geohazards.algorithms.formats.products import read_stack_items
    from insar_geohazards.fileio.formats.products import open_product

    truth = Truth(shape=(24, 30), n_dates=10)
    other = Truth(shape=(24, 30), n_dates=10, seed=2, rate_mm_yr=-45.0)  # its own pairs' constants and motion
    frames = {"asc": licsar_frame(tmp_path / "asc", truth, heading_deg=-12.0, frame="015A_05300_131313"),
              "desc": licsar_frame(tmp_path / "desc", other, heading_deg=-168.0)}
    delivered = _manifest(tmp_path / "delivered.csv", ["name", "path"], [(k, v) for k, v in frames.items()])
    rows = []
    for k, top in frames.items():
        product = open_product(read_stack_items([top]))
        flat = flatten_licsar(top, tmp_path / f"flat_{k}", truth if k == "asc" else other)
        for f in os.listdir(flat):
            if f.endswith(".cc.tif"):
                os.remove(os.path.join(flat, f))
        rows.append((k, flat, "interferograms", "rad", repr(product.spec.wavelength[1]),
                     repr(product.geometry[gm.INCIDENCE_KEY][0]), repr(product.geometry[gm.HEADING_KEY][0])))
    fb = _delivered_as_by_hand(run_alg, tmp_path, delivered, STACK_COLUMNS, rows)[2]
    assert "stack 'asc': " in fb.text and "LiCSAR" in fb.text
    assert "mean of the frame's E/N/U rasters" in fb.text
    assert "tied to the ground every stack covers" in fb.text  # each pair unwrapped from its own reference


def test_hyp3_products_as_delivered_equal_the_same_files_clipped_and_typed_by_hand(run_alg, tmp_path):
    """Two tracks of HyP3 INSAR_GAMMA products (ascending, some zipped; descending, extracted), one manifest row
    each with nothing but the folder the products were downloaded to: the same bytes as the same pairs clipped by
    hand (HyP3 / MintPy's recipe) with the products' wavelength, incidence (90 deg - lv_theta) and heading (.txt)
    typed. Before, a folder of product folders or zips gave no interferogram."""
    from testutils_products import Truth, flatten_hyp3, hyp3_products

    from insar_geohazards.algorithms.formats import geometry_meta as gm
    from insar_geohazards.algorithms.formats.products import read_stack_items
    from insar_geohazards.fileio.formats.products import open_product

    asc = Truth(shape=(24, 30), n_dates=10)
    desc = Truth(shape=(24, 30), n_dates=10, seed=2, rate_mm_yr=-45.0)
    tracks = {"asc": (asc, hyp3_products(tmp_path / "asc", asc, zipped=asc.pairs[:4], heading=-12.5,
                                         incidence_deg=36.0)),
              "desc": (desc, hyp3_products(tmp_path / "desc", desc, heading=-167.5, incidence_deg=41.0,
                                           orbit=32000))}
    delivered = _manifest(tmp_path / "delivered.csv", ["name", "path"], [(k, tmp_path / k) for k in tracks])
    rows = []
    for k, (truth, prods) in tracks.items():
        product = open_product(read_stack_items([str(tmp_path / k)]))
        flat = flatten_hyp3(prods, tmp_path / f"flat_{k}", truth, {})
        for f in os.listdir(flat):
            if not f.endswith("_unw_phase_flat.tif"):
                os.remove(os.path.join(flat, f))
        rows.append((k, flat, "interferograms", "rad", repr(product.spec.wavelength[1]),
                     repr(product.geometry[gm.INCIDENCE_KEY][0]), repr(product.geometry[gm.HEADING_KEY][0])))
        assert abs(product.geometry[gm.HEADING_KEY][0] - {"asc": 347.5, "desc": 192.5}[k]) < 1e-6
    fb = _delivered_as_by_hand(run_alg, tmp_path, delivered, STACK_COLUMNS, rows)[2]
    assert "stack 'asc': " in fb.text and "HyP3" in fb.text and "4 zip(s) read in place" in fb.text
    assert sorted(os.listdir(tmp_path / "asc")) == sorted(os.path.basename(p) for p in tracks["asc"][1].values())


def test_mintpy_timeseries_in_a_manifest_row_as_in_series(run_alg, tmp_path):
    """A MintPy timeseries.h5 named by a manifest row is read as SERIES reads it (metres -> mm, dates, grid, HEADING
    and CENTER_INCIDENCE_ANGLE from its attributes): the same bytes. Before, the row was refused (not a raster with
    dated bands)."""
    pytest.importorskip("h5py", reason="MintPy files are written with h5py")
    from testutils_mintpy import dates, write_timeseries

    rng = np.random.default_rng(3)
    day_list = dates(12)
    t = np.array([(d - day_list[0]).days for d in day_list], float) / 365.25
    h5 = []
    for name, head, inc, rate in (("asc", -12.0, 35.0, -0.010), ("desc", -168.0, 40.0, -0.014)):
        ts = rate * t[:, None, None] * np.ones((1, 12, 15)) + rng.normal(0, 0.001, (12, 12, 15))
        ts -= ts[:, 2:3, 3:4]
        ts -= ts[:1]
        h5.append(write_timeseries(str(tmp_path / f"{name}_timeseries.h5"), ts, day_list,
                                   extra={"HEADING": head, "CENTER_INCIDENCE_ANGLE": inc}))
    manifest = _manifest(tmp_path / "stacks.csv", ["name", "path"], [("asc_timeseries", h5[0]),
                                                                      ("desc_timeseries", h5[1])])
    a = run_alg(NAME, {"SERIES": h5, **_outputs(str(tmp_path / "out_a"))})
    b = run_alg(NAME, {"MANIFEST": manifest, **_outputs(str(tmp_path / "out_b"))})
    _same_outputs(a, b)


def _egms_clip(zip_path, out_path, box):
    """The rows of an EGMS zip whose easting / northing lie in ``box`` (x0, x1, y0, y1), as a CSV named like the
    download."""
    with zipfile.ZipFile(zip_path) as z:
        name = next(n for n in z.namelist() if n.lower().endswith(".csv"))
        rows = list(csv.reader(io.TextIOWrapper(z.open(name), encoding="utf-8")))
    head = rows[0]
    ix, iy = head.index("easting"), head.index("northing")
    keep = [r for r in rows[1:] if box[0] <= float(r[ix]) < box[1] and box[2] <= float(r[iy]) < box[3]]
    with open(out_path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([head] + keep)
    return str(out_path)


def test_egms_points_as_downloaded_equal_the_points_gridded_by_hand(run_alg, tmp_path):
    """EGMS L2b points of the two Ustica tracks (clipped to 1.2 x 1 km) given as downloaded: each track averaged
    onto EGMS L3's 100 m cells (EPSG:3035) with its cells' mean LOS vector, the same bytes as the same points
    gridded by hand (docs/make_multisensor_example.py's way: one series GeoTIFF and one three-band LOS GeoTIFF per
    track, on the union grid). Before, an EGMS file in a manifest was refused (not a raster)."""
    from osgeo import gdal, osr

    from insar_geohazards.algorithms.geometry.decomposition import grid_for_points
    from insar_geohazards.algorithms.geometry.egms_csv import read_egms_csv
    from insar_geohazards.algorithms.timeseries.multisensor import grid_points_to_stack

    data = os.path.join(ROOT, "tests", "data", "egms_ustica")
    box = (4598000.0, 4599200.0, 1740500.0, 1741500.0)
    clips = [_egms_clip(os.path.join(data, z), tmp_path / (z[:-4] + ".csv"), box)
             for z in sorted(os.listdir(data)) if z.startswith("EGMS_L2b") and z.endswith(".zip")]
    assert len(clips) == 2
    delivered = _manifest(tmp_path / "delivered.csv", ["name", "path"], [(f"t{k}", c) for k, c in enumerate(clips)])
    sets = [read_egms_csv(c) for c in clips]
    grid = grid_for_points(np.concatenate([s["columns"]["easting"] for s in sets]),
                           np.concatenate([s["columns"]["northing"] for s in sets]), 100.0)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(3035)
    rows = []
    for k, s in enumerate(sets):
        c = s["columns"]
        g = grid_points_to_stack(c["easting"], c["northing"], s["series"], c["los_east"], c["los_north"],
                                 c["los_up"], grid)
        paths = []
        for stem, arr, desc in ((f"t{k}", g["values"], [d.isoformat() for d in s["dates"]]),
                                (f"t{k}_los", np.stack([g["los_east"], g["los_north"], g["los_up"]]),
                                 ["los_east", "los_north", "los_up"])):
            p = str(tmp_path / f"{stem}.tif")
            ds = gdal.GetDriverByName("GTiff").Create(p, grid.n_cols, grid.n_rows, arr.shape[0], gdal.GDT_Float32)
            ds.SetGeoTransform(grid.geotransform)
            ds.SetProjection(srs.ExportToWkt())
            ds.SetMetadata({"UNIT": "mm"})
            for i in range(arr.shape[0]):
                band = ds.GetRasterBand(i + 1)
                band.SetNoDataValue(float("nan"))
                band.SetDescription(desc[i])
                band.WriteArray(arr[i].astype(np.float32))
            ds = None
            paths.append(p)
        rows.append((f"t{k}", paths[0], paths[1], paths[1], paths[1]))
    a, _, fb = _delivered_as_by_hand(run_alg, tmp_path, delivered, ["name", "path", "los_east", "los_north", "los_up"],
                                     rows)
    _, ds = _read(a["OUTPUT_UP"])
    assert ds.GetGeoTransform()[1] == 100.0 and "3035" in ds.GetProjection()
    assert "east, north and up read from its bands 1, 2 and 3" in fb.text
    assert not os.listdir(tmp_path / "out_a") or all(not f.startswith("egms_") for f in os.listdir(tmp_path / "out_a"))
    assert sorted(os.listdir(tmp_path)) == sorted(set(os.listdir(tmp_path)))  # nothing written beside the inputs
    assert not [f for f in os.listdir(tmp_path) if f.startswith("egms_")]


def test_a_manifest_row_of_kind_points_that_is_not_egms_is_refused(run_alg, tmp_path):
    from qgis.core import QgsProcessingException
    from testutils_multisensor import scene

    sc = scene(str(tmp_path / "in"), with_ifg=False)
    manifest = _manifest(tmp_path / "m.csv", ["name", "path", "kind"], [("pts", sc["series"][0], "points")])
    with pytest.raises(QgsProcessingException, match=r"kind is points but .* is not an EGMS L2a/L2b point file"):
        run_alg(NAME, {"MANIFEST": manifest, "SERIES": sc["series"][1:], "INCIDENCES": "41", "HEADINGS": "192",
                       **_outputs(str(tmp_path / "out"))})


def test_egms_tracks_loaded_into_a_geopackage_equal_the_files_they_were_loaded_from(run_alg, tmp_path):
    """The GeoPackage Load EGMS writes from the two Ustica tracks (one point layer per track), named by one manifest
    row: one stack per track, the same results as the two files named by two rows (to 1e-5 mm: the layer keeps the
    displacements as float32, 1.5e-6 mm from the CSV's values at most). A row naming one layer (|layername=) of a
    load whose series went to a netCDF file beside the GeoPackage is that track alone, and so is a track reprojected
    to EPSG:4326 (taken back to EPSG:3035 for the cells). Before, a GeoPackage was refused (not an EGMS point
    file)."""
    from insar_geohazards.fileio.base.vector import file_layers

    data = os.path.join(ROOT, "tests", "data", "egms_ustica")
    box = (4598000.0, 4599200.0, 1740500.0, 1741500.0)
    clips = [_egms_clip(os.path.join(data, z), tmp_path / (z[:-4] + ".csv"), box)
             for z in sorted(os.listdir(data)) if z.startswith("EGMS_L2b") and z.endswith(".zip")]
    gpkg, nc_gpkg = (run_alg("loadegms", {"INPUTS": clips, "SERIES_STORAGE": storage,
                                          "OUTPUT": str(tmp_path / f"egms{storage}.gpkg")})["OUTPUT"]
                     for storage in (0, 3))  # dated fields; a netCDF series file beside the GeoPackage
    layers = [n for n, kind, _ in file_layers(nc_gpkg) if kind == "point"]
    assert len(layers) == 2 and any(f.endswith(".nc") for f in os.listdir(tmp_path))
    files = _manifest(tmp_path / "files.csv", ["name", "path"], [(f"t{k}", c) for k, c in enumerate(clips)])
    loaded = _manifest(tmp_path / "loaded.csv", ["name", "path"], [("ustica", gpkg)])
    fb = recording_feedback()
    a = run_alg(NAME, {"MANIFEST": files, **_outputs(str(tmp_path / "out_a"))})
    b = run_alg(NAME, {"MANIFEST": loaded, **_outputs(str(tmp_path / "out_b"))}, fb)
    _same_outputs(a, b, atol=1e-5)
    assert "stack 'ustica:EGMS_L2b_" in fb.text
    one = _manifest(tmp_path / "one.csv", ["name", "path"], [("desc", f"{nc_gpkg}|layername={layers[0]}"),
                                                              ("asc", clips[1])])
    c = run_alg(NAME, {"MANIFEST": one, **_outputs(str(tmp_path / "out_c"))})
    _same_outputs(a, c, atol=1e-5)
    from osgeo import gdal  # a layer in latitude / longitude (Load EGMS writes such files in EPSG:4326)

    geo = str(tmp_path / "geographic.gpkg")
    gdal.VectorTranslate(geo, gpkg, layers=[layers[0]], dstSRS="EPSG:4326", reproject=True)
    in_4326 = _manifest(tmp_path / "in_4326.csv", ["name", "path"], [("desc", geo), ("asc", clips[1])])
    d = run_alg(NAME, {"MANIFEST": in_4326, **_outputs(str(tmp_path / "out_d"))})
    _same_outputs(a, d, atol=1e-5)


def test_a_geopackage_row_without_egms_tracks_names_its_layers(run_alg, tmp_path):
    from qgis.core import QgsProcessingException
    from testutils_ada import write_points

    pts = write_points(tmp_path / "pts.gpkg", np.array([1.0, 2.0]), np.array([1.0, 2.0]), {"VEL": np.zeros(2)},
                       epsg=3035)
    manifest = _manifest(tmp_path / "m.csv", ["name", "path"], [("a", f"{pts}|layername=nope"), ("b", pts)])
    with pytest.raises(QgsProcessingException,
                       match=r"pts.gpkg has no point layer named 'nope' \(its layers: points \(point\)\)"):
        run_alg(NAME, {"MANIFEST": manifest, **_outputs(str(tmp_path / "out"))})
    manifest = _manifest(tmp_path / "m2.csv", ["name", "path"], [("b", pts), ("c", pts)])
    with pytest.raises(QgsProcessingException, match=r"no los_east, los_north, los_up field"):
        run_alg(NAME, {"MANIFEST": manifest, **_outputs(str(tmp_path / "out2"))})
