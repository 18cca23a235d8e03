"""geohazard:loadegms — parameters, bad files, the real Ustica L2b product."""

import os

import numpy as np
import pytest

NAME = "loadegms"


def test_parameters(alg):
    a = alg(NAME)
    assert [p.name() for p in a.parameterDefinitions()] == ["INPUT", "INPUTS", "SERIES_STORAGE", "OUTPUT"]
    assert "EPSG:3035" in a.shortHelpString()
    assert a.group() == "Import and formats"


def test_bad_file_clear_error_no_output(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    bad = tmp_path / "notegms.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(QgsProcessingException, match="pid"):
        run_alg(NAME, {"INPUT": str(bad), "OUTPUT": str(tmp_path / "o.gpkg")})
    assert not (tmp_path / "o.gpkg").exists()


def test_real_ustica_l2b_zip(run_alg, tmp_path, data_dir):
    from osgeo import ogr

    src = os.path.join(data_dir, "egms_ustica", "EGMS_L2b_022_0845_IW2_VV_2020_2024_1.zip")
    out = run_alg(NAME, {"INPUT": src, "OUTPUT": str(tmp_path / "desc.gpkg")})["OUTPUT"]
    ds = ogr.Open(out)
    lyr = ds.GetLayer(0)
    assert lyr.GetFeatureCount() == 11590
    assert lyr.GetSpatialRef().GetAuthorityCode(None) == "3035"
    defn = lyr.GetLayerDefn()
    types = {defn.GetFieldDefn(i).GetName(): defn.GetFieldDefn(i).GetTypeName() for i in range(defn.GetFieldCount())}
    assert types["pid"] == "String" and types["mp_type"] == "Integer64"
    assert types["mean_velocity"] == "Real" and types["date_first"] == "Date"
    dated = [k for k in types if k.startswith("D20")]
    assert len(dated) == 210 and types[dated[0]] == "Real"
    f = lyr.GetNextFeature()
    g = f.GetGeometryRef()
    assert g.GetX() == pytest.approx(f.GetField("easting")) and g.GetY() == pytest.approx(f.GetField("northing"))
    assert f.GetField("date_first") == "2020/01/03"
    assert lyr.GetSpatialFilter() is None and ds.GetLayer(0).TestCapability("FastSpatialFilter")


# ----------------------------------------------------------------------------- many tiles
@pytest.fixture(scope="module")
def tiles(tmp_path_factory):
    """Four generated L2b tiles: two ascending (207 dates), two descending (210 dates), 10 % of each second
    burst repeating the first one's points; and the same with the last tile damaged half-way."""
    from testutils_egms import write_tiles

    root = tmp_path_factory.mktemp("egms_tiles")
    good = write_tiles(str(root / "good"), points=3000, tiles=4, overlap=0.1, seed=5)
    bad = write_tiles(str(root / "bad"), points=3000, tiles=4, overlap=0.1, seed=5, corrupt=1)
    return root, good, bad


def _layers(path):
    """Point layers of a GeoPackage: name -> (field names, {pid: {field: value}}), read with SQLite."""
    import sqlite3

    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents WHERE data_type='features'")]
        out = {}
        for name in names:
            cols = [r[1] for r in con.execute(f'PRAGMA table_info("{name}")') if r[1] not in ("fid", "geom")]
            sel = ", ".join(f'"{c}"' for c in cols)
            rows = {r[0]: dict(zip(cols, r)) for r in con.execute(f'SELECT {sel} FROM "{name}"')}
            out[name] = (cols, rows)
    finally:
        con.close()
    return out


def _csv_rows(zip_path):
    import zipfile

    with zipfile.ZipFile(zip_path) as zf:
        text = zf.read([n for n in zf.namelist() if n.endswith(".csv")][0]).decode()
    lines = text.splitlines()
    header = lines[0].split(",")
    return {r.split(",")[0]: dict(zip(header, r.split(","))) for r in lines[1:]}


def test_folder_of_tiles_one_layer_per_track_each_point_once(run_alg, tmp_path, tiles):
    root, truth, _ = tiles
    out = run_alg(NAME, {"INPUTS": [str(root / "good")], "OUTPUT": str(tmp_path / "f.gpkg")})["OUTPUT"]
    layers = _layers(out)
    assert sorted(layers) == ["EGMS_L2b_022_desc", "EGMS_L2b_117_asc"]
    asc_names, asc = layers["EGMS_L2b_117_asc"]
    desc_names, desc = layers["EGMS_L2b_022_desc"]
    assert len(asc) + len(desc) == truth["points"] == 3000
    assert sum(1 for n in asc_names if n.startswith("D20")) == 207
    assert sum(1 for n in desc_names if n.startswith("D20")) == 210
    # a point of the repeated strip: kept once, the copy of the first tile read (the earlier burst)
    first = _csv_rows(str(root / "good" / "EGMS_L2b_117_0000_IW2_VV_2020_2024_1.zip"))
    second = _csv_rows(str(root / "good" / "EGMS_L2b_117_0001_IW2_VV_2020_2024_1.zip"))
    repeated = sorted(set(first) & set(second))
    assert len(repeated) == truth["tiles"][1]["repeat_from_previous"] == 75
    for pid in repeated[:20]:
        assert first[pid]["temporal_coherence"] != second[pid]["temporal_coherence"] or \
            first[pid]["20200109"] != second[pid]["20200109"]
        assert asc[pid]["temporal_coherence"] == pytest.approx(float(first[pid]["temporal_coherence"]))
        assert asc[pid]["D20200109"] == pytest.approx(float(first[pid]["20200109"]))


def test_list_of_files_equals_the_folder(run_alg, tmp_path, tiles):
    root, truth, _ = tiles
    files = [str(root / "good" / f) for f in truth["files"]]
    a = run_alg(NAME, {"INPUTS": files, "SERIES_STORAGE": 2, "OUTPUT": str(tmp_path / "l.gpkg")})["OUTPUT"]
    b = run_alg(NAME, {"INPUTS": [str(root / "good")], "SERIES_STORAGE": 2,
                       "OUTPUT": str(tmp_path / "f.gpkg")})["OUTPUT"]
    la, lb = _layers(a), _layers(b)
    assert la.keys() == lb.keys()
    for k in la:
        assert la[k] == lb[k]
        assert not any(n.startswith("D20") for n in la[k][0]) and "mean_velocity" in la[k][0]
    # the folder given to INPUT (the one-file parameter, where a user gives a download folder first) is read alike
    c = run_alg(NAME, {"INPUT": str(root / "good"), "SERIES_STORAGE": 2, "OUTPUT": str(tmp_path / "i.gpkg")})["OUTPUT"]
    assert _layers(c) == la


def test_damaged_tile_named_the_others_load(run_alg, tmp_path, tiles):
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    root, truth, bad = tiles
    warnings = []

    class Feedback(QgsProcessingFeedback):
        def pushWarning(self, text):
            warnings.append(text)

    import processing

    out = processing.run(f"geohazard:{NAME}", {"INPUTS": [str(root / "bad")], "OUTPUT": str(tmp_path / "b.gpkg")},
                         context=QgsProcessingContext(), feedback=Feedback())["OUTPUT"]
    assert any(bad["damaged"][0] in w for w in warnings), warnings
    layers = _layers(out)
    damaged_track = "EGMS_L2b_022_desc"  # the last tile written is the second descending burst
    first_desc = _csv_rows(str(root / "bad" / "EGMS_L2b_022_0000_IW2_VV_2020_2024_1.zip"))
    assert set(layers[damaged_track][1]) == set(first_desc)
    assert len(layers["EGMS_L2b_117_asc"][1]) == 1500


def test_every_tile_damaged_is_an_error_naming_them(run_alg, tmp_path, tiles):
    from qgis.core import QgsProcessingException

    root, _, bad = tiles
    only = str(root / "bad" / bad["damaged"][0])
    junk = tmp_path / "EGMS_L2b_001_0001_IW1_VV_2020_2024_1.zip"
    junk.write_bytes(b"PK\x03\x04 not a zip at all")
    with pytest.raises(QgsProcessingException, match=bad["damaged"][0][:20]) as err:
        run_alg(NAME, {"INPUTS": [only, str(junk)], "OUTPUT": str(tmp_path / "x.gpkg")})
    assert junk.name in str(err.value)
    assert not (tmp_path / "x.gpkg").exists()


def test_series_table_same_values_smaller_and_the_dock_reads_it(run_alg, tmp_path, tiles):
    from qgis.core import QgsVectorLayer

    from insar_geohazards.fileio.formats.egms import read_series
    from insar_geohazards.ui.timeseries_data import feature_series, is_timeseries_points

    root, _, _ = tiles
    f = run_alg(NAME, {"INPUTS": [str(root / "good")], "SERIES_STORAGE": 0,
                       "OUTPUT": str(tmp_path / "f.gpkg")})["OUTPUT"]
    t = run_alg(NAME, {"INPUTS": [str(root / "good")], "SERIES_STORAGE": 1,
                       "OUTPUT": str(tmp_path / "t.gpkg")})["OUTPUT"]
    assert os.path.getsize(t) < os.path.getsize(f) / 3
    names, rows = _layers(f)["EGMS_L2b_022_desc"]
    dated = [n for n in names if n.startswith("D20")]
    fids = list(range(1, 1501, 97))
    dates, values = read_series(t, "EGMS_L2b_022_desc", fids)
    assert [d.strftime("D%Y%m%d") for d in dates] == dated
    by_fid = {}
    lf = QgsVectorLayer(f"{f}|layername=EGMS_L2b_022_desc", "f", "ogr")
    for feat in lf.getFeatures():
        by_fid[feat.id()] = [feat[n] for n in dated]
    for k, fid in enumerate(fids):
        assert np.allclose(values[k], np.array(by_fid[fid], float), equal_nan=True, atol=0, rtol=0) or \
            np.array_equal(values[k].astype(np.float32), np.array(by_fid[fid], np.float32), equal_nan=True)
    lt = QgsVectorLayer(f"{t}|layername=EGMS_L2b_022_desc", "t", "ogr")
    assert lt.isValid() and is_timeseries_points(lt) and is_timeseries_points(lf)
    (a,) = feature_series(lt, [7])
    (b,) = feature_series(lf, [7])
    assert a.dates == b.dates and a.point_id == b.point_id
    assert np.array_equal(a.values_mm.astype(np.float32), b.values_mm.astype(np.float32), equal_nan=True)


def test_same_bytes_whatever_the_chunk_size(tmp_path, tiles, qgis_app):
    import filecmp

    from osgeo import gdal

    from insar_geohazards.fileio.formats.egms import load_tiles

    root, truth, _ = tiles
    files = [str(root / "good" / f) for f in truth["files"]]
    gdal.SetConfigOption("OGR_CURRENT_DATE", "2020-01-01T00:00:00Z")
    try:
        outs = []
        for k, chunk in enumerate((3_000, 1 << 22)):
            out = str(tmp_path / f"c{k}.gpkg")
            load_tiles(files, out, series="table", chunk_bytes=chunk)
            outs.append(out)
    finally:
        gdal.SetConfigOption("OGR_CURRENT_DATE", None)
    assert filecmp.cmp(outs[0], outs[1], shallow=False)


def test_a_track_whose_tiles_are_all_damaged_leaves_no_layer(tmp_path, qgis_app):
    from testutils_egms import write_tiles

    from insar_geohazards.fileio.formats.egms import load_tiles

    truth = write_tiles(str(tmp_path / "t"), points=2000, tiles=4, corrupt=2, seed=9)
    files = [str(tmp_path / "t" / f) for f in truth["files"]]
    report = load_tiles(files, str(tmp_path / "o.gpkg"), series="table")
    assert list(report.layers) == ["EGMS_L2b_117_asc"] and sorted(report.skipped) == sorted(
        str(tmp_path / "t" / f) for f in truth["damaged"])
    layers = _layers(str(tmp_path / "o.gpkg"))
    assert list(layers) == ["EGMS_L2b_117_asc"] and len(layers["EGMS_L2b_117_asc"][1]) == 1000
    import sqlite3

    con = sqlite3.connect(str(tmp_path / "o.gpkg"))
    assert [r[0] for r in con.execute("SELECT table_name FROM gpkg_ogr_contents")] == ["EGMS_L2b_117_asc"]
    assert [r[0] for r in con.execute("SELECT layer FROM gh_series")] == ["EGMS_L2b_117_asc"]
    con.close()


@pytest.mark.parametrize("series", ["table", "fields", "none"])
def test_same_bytes_whatever_the_worker_count(tmp_path, tiles, qgis_app, series):
    import filecmp

    from osgeo import gdal

    from insar_geohazards.fileio.formats.egms import load_tiles

    root, _, bad = tiles
    files = [str(root / "bad" / f) for f in bad["files"]]  # the last one damaged half-way
    gdal.SetConfigOption("OGR_CURRENT_DATE", "2020-01-01T00:00:00Z")
    try:
        outs, reports = [], []
        for workers in (1, 2, 3):
            out = str(tmp_path / f"w{workers}.gpkg")
            reports.append(load_tiles(files, out, series=series, chunk_bytes=20_000, workers=workers))
            outs.append(out)
    finally:
        gdal.SetConfigOption("OGR_CURRENT_DATE", None)
    assert all(r.skipped == reports[0].skipped and r.duplicates == reports[0].duplicates for r in reports)
    assert list(reports[0].skipped) == [str(root / "bad" / f) for f in bad["damaged"]]
    assert all(filecmp.cmp(outs[0], o, shallow=False) for o in outs[1:])


# ----------------------------------------------------------------------------- the written file
def _differing_rows(path, other):
    """Every table of two GeoPackages compared in SQLite: ``{table: rows that differ}``, after asserting the same
    gpkg_contents rows and, per table, the same columns and rowids. Two rows differ where a column's SQLite type or
    value does (``IS NOT``: exact values, as quote()'s digits of a REAL show them); the
    comparison runs in SQLite, without a Python object per value."""
    import sqlite3

    con = sqlite3.connect(path)
    try:
        con.execute("ATTACH DATABASE ? AS other", (other,))
        contents = ("SELECT table_name, data_type, min_x, min_y, max_x, max_y, srs_id FROM {}.gpkg_contents "
                    "ORDER BY table_name")
        names = con.execute(contents.format("main")).fetchall()
        assert names == con.execute(contents.format("other")).fetchall()
        out = {}
        for name, *_ in names:
            cols = [r[1] for r in con.execute(f'PRAGMA main.table_info("{name}")')]
            assert cols == [r[1] for r in con.execute(f'PRAGMA other.table_info("{name}")')], name
            n = [con.execute(f'SELECT count(*) FROM {db}."{name}"').fetchone()[0] for db in ("main", "other")]
            join = f'FROM main."{name}" x JOIN other."{name}" y ON x.rowid = y.rowid'
            assert n[0] == n[1] == con.execute(f"SELECT count(*) {join}").fetchone()[0], (name, n)
            differ = 0
            for k in range(0, len(cols), 100):  # at most 100 columns a query: SQLite's expression depth
                cond = " OR ".join(f'x."{c}" IS NOT y."{c}" OR typeof(x."{c}") <> typeof(y."{c}")'
                                   for c in cols[k:k + 100])
                differ += con.execute(f"SELECT count(*) {join} WHERE {cond}").fetchone()[0]
            out[name] = differ
    finally:
        con.close()
    return out


@pytest.mark.parametrize("series", ["none", "table", "fields"])
def test_compiled_inserts_write_the_values_executemany_writes(tmp_path, tiles, data_dir, qgis_app, monkeypatch,
                                                              series):
    from insar_geohazards.fileio.base import sqlite_bulk
    from insar_geohazards.fileio.formats import egms

    root, _, bad = tiles
    files = sorted(str(p) for p in (root / "bad").glob("*.zip"))  # the last one damaged half-way: rolled back
    files += sorted(os.path.join(data_dir, "egms_ustica", f) for f in os.listdir(os.path.join(data_dir, "egms_ustica"))
                    if f.endswith(".zip"))
    if series == "fields":  # a column per date, the widest rows: a generated tile, the damaged one, one real tile
        damaged = str(root / "bad" / bad["damaged"][0])
        files = [next(f for f in files if f.endswith(".zip") and f != damaged), damaged,
                 os.path.join(data_dir, "egms_ustica", "EGMS_L2b_022_0845_IW2_VV_2020_2024_1.zip")]
    used = []
    real = sqlite_bulk.bulk_inserter

    def spy(*a):
        b = real(*a)
        used.append(b is not None)
        return b

    monkeypatch.setattr(sqlite_bulk, "bulk_inserter", spy)
    fast = egms.load_tiles(files, str(tmp_path / "fast.gpkg"), series=series, chunk_bytes=50_000, workers=2)
    if not all(used):
        pytest.skip("the compiled SQLite inserts are not available here (no numba, or another Python build): "
                    "executemany wrote both files")
    monkeypatch.setattr(sqlite_bulk, "bulk_inserter", lambda *a: None)
    slow = egms.load_tiles(files, str(tmp_path / "slow.gpkg"), series=series, chunk_bytes=50_000, workers=2)
    assert fast.layers == slow.layers and fast.skipped == slow.skipped and fast.duplicates == slow.duplicates
    assert len(fast.skipped) == 1 and fast.layers["EGMS_L2b_022_desc"] >= 11590
    differ = _differing_rows(str(tmp_path / "fast.gpkg"), str(tmp_path / "slow.gpkg"))
    assert differ and not any(differ.values()), differ


@pytest.mark.parametrize("series", ["none", "table", "fields"])
def test_the_output_is_a_valid_geopackage(tmp_path, data_dir, qgis_app, series):
    """SQLite's integrity check, GDAL's GeoPackage validator, the extents in gpkg_contents and the feature counts
    GDAL reads (kept by triggers after the load, so that later edits keep them)."""
    import sqlite3

    from osgeo import ogr

    from insar_geohazards.fileio.formats.egms import load_tiles

    try:
        from osgeo_utils.samples import validate_gpkg
    except ImportError:
        validate_gpkg = None
    files = sorted(os.path.join(data_dir, "egms_ustica", f) for f in os.listdir(os.path.join(data_dir, "egms_ustica"))
                   if f.endswith(".zip"))
    out = str(tmp_path / "u.gpkg")
    report = load_tiles(files, out, series=series)
    assert report.layers == {"EGMS_L2b_022_desc": 11590, "EGMS_L2b_117_asc": 11759}
    if validate_gpkg is not None:
        validate_gpkg.check(out)  # raises naming the requirement a file breaks
    con = sqlite3.connect(out)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        counts = dict(con.execute("SELECT table_name, feature_count FROM gpkg_ogr_contents").fetchall())
        assert counts == report.layers
        triggers = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
        for name in report.layers:
            assert {f"trigger_insert_feature_count_{name}", f"trigger_delete_feature_count_{name}"} <= triggers
            box = con.execute("SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name=?",
                              (name,)).fetchone()
            e, n = np.array(con.execute(f'SELECT easting, northing FROM "{name}"').fetchall()).T
            assert box == (e.min(), n.min(), e.max(), n.max())
    finally:
        con.close()
    ds = ogr.Open(out, 1)
    for name, n in report.layers.items():
        lyr = ds.GetLayerByName(name)
        assert lyr.GetFeatureCount() == n
        minx, maxx, miny, maxy = lyr.GetExtent(force=1)
        con = sqlite3.connect(out)
        assert con.execute("SELECT min_x, max_x, min_y, max_y FROM gpkg_contents WHERE table_name=?",
                           (name,)).fetchone() == (minx, maxx, miny, maxy)
        con.close()
    f = ogr.Feature(ds.GetLayerByName("EGMS_L2b_117_asc").GetLayerDefn())
    f.SetGeometry(ogr.CreateGeometryFromWkt("POINT (4300000 1900000)"))
    ds.GetLayerByName("EGMS_L2b_117_asc").CreateFeature(f)
    ds = None
    con = sqlite3.connect(out)
    assert con.execute("SELECT feature_count FROM gpkg_ogr_contents WHERE table_name='EGMS_L2b_117_asc'"
                       ).fetchone() == (11760,)
    con.close()
    if validate_gpkg is None:
        pytest.skip("GDAL's GeoPackage validator (osgeo_utils.samples.validate_gpkg) is not installed here")
