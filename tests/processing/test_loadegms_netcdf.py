"""loadegms's netCDF series files: what GDAL reads in them, the same values as the dated fields through every tool
that reads dated fields, refusals naming the file, the automatic choice, the same bytes whatever the threads."""

import os
import shutil

import numpy as np
import pytest

NAME = "loadegms"
USTICA = ("EGMS_L2b_117_0227_IW2_VV_2020_2024_1.zip", "EGMS_L2b_022_0845_IW2_VV_2020_2024_1.zip")


@pytest.fixture(scope="module")
def loads(tmp_path_factory, data_dir, qgis_app):
    """The real Ustica asc + desc tiles loaded twice: dated fields and netCDF files."""
    from insar_geohazards.fileio.formats.egms import load_tiles

    root = tmp_path_factory.mktemp("egms_nc")
    files = [os.path.join(data_dir, "egms_ustica", f) for f in USTICA]
    out = {}
    for mode in ("fields", "netcdf"):
        os.makedirs(root / mode)
        path = str(root / mode / "u.gpkg")
        out[mode] = (path, load_tiles(files, path, series=mode))
    return out


def _fields(path, layer):
    import sqlite3

    con = sqlite3.connect(path)
    try:
        cols = [r[1] for r in con.execute(f'PRAGMA table_info("{layer}")') if r[1].startswith("D20")]
        if not cols:
            return cols, None, None
        rows = con.execute(f'SELECT fid, {", ".join(cols)} FROM "{layer}" ORDER BY fid').fetchall()
    finally:
        con.close()
    arr = np.array([[np.nan if v is None else v for v in r] for r in rows], float)
    return cols, arr[:, 0].astype(np.int64), arr[:, 1:]


def test_netcdf_holds_the_dated_fields_values_and_gdal_reads_it(loads):
    from osgeo import gdal

    from insar_geohazards.fileio.motion import series_nc

    fpath, _ = loads["fields"]
    npath, report = loads["netcdf"]
    assert report.series == "netcdf" and sorted(report.files) == ["EGMS_L2b_022_desc", "EGMS_L2b_117_asc"]
    for layer, n in report.layers.items():
        nc_file = report.files[layer]
        assert nc_file == os.path.join(os.path.dirname(npath), f"u_{layer}.nc") and os.path.isfile(nc_file)
        cols, fids, want = _fields(fpath, layer)
        assert fids.tolist() == list(range(1, n + 1))
        sf = series_nc.open_series(npath, layer)
        assert [d.strftime("D%Y%m%d") for d in sf.dates] == cols
        got = sf.read(fids[::-1])[::-1]  # any order of fids
        assert np.array_equal(got, want, equal_nan=True)  # value for value at 0.1 mm
        # GDAL's netCDF driver (the netCDF library) reads it: CF time, int16 scaled by 0.1 mm, fill value
        ds = gdal.OpenEx(nc_file, gdal.OF_MULTIDIM_RASTER)
        assert ds.GetDriver().ShortName == "netCDF"
        rg = ds.GetRootGroup()
        d = rg.OpenMDArray("displacement")
        assert [x.GetName() for x in d.GetDimensions()] == ["point", "time"]
        assert d.GetDataType().GetNumericDataType() == gdal.GDT_Int16
        assert d.GetScale() == pytest.approx(0.1) and d.GetNoDataValueAsDouble() == -32768 and d.GetUnit() == "mm"
        raw = d.ReadAsArray().astype(float)
        scaled = np.where(raw == -32768, np.nan, raw * 0.1)
        assert np.allclose(scaled, want, equal_nan=True, atol=1e-6)
        t = rg.OpenMDArray("time")
        assert t.GetUnit() == "days since 1970-01-01"
        assert (t.ReadAsArray()[0] - sf.dates[0].toordinal() + 719163) == 0
        assert rg.OpenMDArray("point").ReadAsArray().tolist() == fids.tolist()
        assert rg.GetAttribute("featureType").Read() == "timeSeries"
    # the GeoPackage holds no dated field, and is smaller than the dated fields' by more than 4x
    assert not _fields(npath, "EGMS_L2b_117_asc")[0]
    total = os.path.getsize(npath) + sum(os.path.getsize(p) for p in report.files.values())
    assert total * 3 < os.path.getsize(fpath)


def test_the_tools_give_the_same_results_from_the_netcdf(loads, run_alg, tmp_path):
    from osgeo import ogr

    fpath, _ = loads["fields"]
    npath, _ = loads["netcdf"]
    outs = {}
    for mode, path in (("fields", fpath), ("netcdf", npath)):
        src = f"{path}|layername=EGMS_L2b_117_asc|subset=\"fid\" % 100 = 0"  # ~120 points, the fids read by the tool
        outs[mode] = run_alg("timeseriesmodels", {"INPUT": src, "OUTPUT": str(tmp_path / f"m_{mode}.gpkg")})["OUTPUT"]
    rows = {}
    for mode, path in outs.items():
        ds = ogr.Open(path)
        lyr = ds.GetLayer(0)
        defn = lyr.GetLayerDefn()
        names = [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())]
        rows[mode] = (names, [tuple(f.GetField(i) for i in range(len(names))) for f in lyr])
    common = [n for n in rows["fields"][0] if n in rows["netcdf"][0]]
    assert "velocity_mm_yr" in common or any("vel" in n for n in common)
    for n in common:
        i, j = rows["fields"][0].index(n), rows["netcdf"][0].index(n)
        assert [r[i] for r in rows["fields"][1]] == [r[j] for r in rows["netcdf"][1]], n


def test_ada_and_the_dock_read_the_netcdf(loads, run_alg, tmp_path):
    from osgeo import ogr
    from qgis.core import QgsVectorLayer

    from insar_geohazards.ui.timeseries_data import feature_series, is_timeseries_points

    fpath, _ = loads["fields"]
    npath, _ = loads["netcdf"]
    res = {}
    for mode, path in (("fields", fpath), ("netcdf", npath)):
        src = f"{path}|layername=EGMS_L2b_022_desc"
        out = run_alg("adadetection", {"INPUT": src, "USE_TIME_SERIES": True,
                                       "OUTPUT": str(tmp_path / f"a_{mode}.gpkg")})["OUTPUT"]
        ds = ogr.Open(out)
        lyr = ds.GetLayer(0)
        defn = lyr.GetLayerDefn()
        names = [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())]
        res[mode] = (names, [[f.GetField(i) for i in range(len(names))] for f in lyr])
    assert res["fields"] == res["netcdf"]
    lf = QgsVectorLayer(f"{fpath}|layername=EGMS_L2b_022_desc", "f", "ogr")
    ln = QgsVectorLayer(f"{npath}|layername=EGMS_L2b_022_desc", "n", "ogr")
    assert is_timeseries_points(ln)
    (a,) = feature_series(ln, [123])
    (b,) = feature_series(lf, [123])
    assert a.dates == b.dates and a.point_id == b.point_id
    assert np.array_equal(a.values_mm, b.values_mm, equal_nan=True)


def test_missing_or_foreign_netcdf_refused_naming_the_file(loads, tmp_path, data_dir, qgis_app):
    from insar_geohazards.algorithms.errors import GeohazardError
    from insar_geohazards.fileio.formats.egms import load_tiles
    from insar_geohazards.fileio.motion import series_nc

    npath, report = loads["netcdf"]
    work = tmp_path / "copy"
    work.mkdir()
    shutil.copy(npath, work / "u.gpkg")
    gpkg = str(work / "u.gpkg")
    with pytest.raises(GeohazardError, match="u_EGMS_L2b_117_asc.nc, which is missing"):
        series_nc.open_series(gpkg, "EGMS_L2b_117_asc")
    # another load's file under this layer's name: the asc tile alone, loaded elsewhere
    other = tmp_path / "other"
    other.mkdir()
    load_tiles([os.path.join(data_dir, "egms_ustica", USTICA[1])], str(other / "u.gpkg"), series="netcdf")
    shutil.copy(other / "u_EGMS_L2b_022_desc.nc", work / "u_EGMS_L2b_117_asc.nc")
    with pytest.raises(GeohazardError, match="u_EGMS_L2b_117_asc.nc, but that file holds the series of another"):
        series_nc.open_series(gpkg, "EGMS_L2b_117_asc")
    # the same refusal through a tool
    import processing
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="another load"):
        processing.run("geohazard:timeseriesmodels", {"INPUT": f"{gpkg}|layername=EGMS_L2b_117_asc",
                                                      "OUTPUT": str(tmp_path / "m.gpkg")})


def test_automatic_form_by_size_and_said_in_the_log(tmp_path, data_dir, qgis_app, monkeypatch):
    from insar_geohazards.fileio.formats import egms
    from insar_geohazards.processing_provider.tools.formats.loadegms import LoadEgms

    files = [os.path.join(data_dir, "egms_ustica", USTICA[0])]
    small = egms.load_tiles(files, str(tmp_path / "s.gpkg"), series="auto")
    assert small.series == "fields" and not small.files
    monkeypatch.setattr(egms.series_nc, "AUTO_NETCDF_BYTES", 1000)
    big = egms.load_tiles(files, str(tmp_path / "b.gpkg"), series="auto")
    assert big.series == "netcdf" and os.path.isfile(big.files["EGMS_L2b_117_asc"])
    line = LoadEgms._series_line(big, "auto")
    assert line.startswith("Series written as netCDF-4 (automatic: the tiles weigh more than 0 MB)")
    assert "b_EGMS_L2b_117_asc.nc" in line
    assert LoadEgms._series_line(small, "fields") == "Series written as dated fields DYYYYMMDD"
    with pytest.raises(egms.GeohazardError, match="GeoPackage"):
        egms.load_tiles(files, str(tmp_path / "x.csv"), series="netcdf")


def test_same_bytes_whatever_the_worker_count_with_a_tile_rolled_back(tmp_path, qgis_app):
    import filecmp

    from testutils_egms import write_tiles

    from insar_geohazards.fileio.formats.egms import load_tiles
    from insar_geohazards.fileio.motion import series_nc

    truth = write_tiles(str(tmp_path / "t"), points=3000, tiles=4, overlap=0.1, seed=5, corrupt=1)
    files = [str(tmp_path / "t" / f) for f in truth["files"]]
    reports = []
    for w in (1, 3):
        os.makedirs(tmp_path / f"w{w}")
        reports.append(load_tiles(files, str(tmp_path / f"w{w}" / "o.gpkg"), series="netcdf", chunk_bytes=20_000,
                                  workers=w))
    assert len(reports[0].skipped) == 1 and reports[0].layers == reports[1].layers
    for layer, n in reports[0].layers.items():
        a, b = reports[0].files[layer], reports[1].files[layer]
        assert filecmp.cmp(a, b, shallow=False)
        sf = series_nc.open_series(str(tmp_path / "w1" / "o.gpkg"), layer)
        assert sf.n_points == n  # the damaged tile's points were dropped from the file too


def test_the_feature_readers_give_the_same_series(loads, qgis_app):
    """fileio.motion.points.read_dated_features (timeseriesmodels, inversevelocity) and
    fileio.kinematics.kinematics.dated_features (triggercorrelation) give from the netCDF file what they give from the
    dated fields."""
    from qgis.core import QgsProcessingContext, QgsVectorLayer

    from insar_geohazards.fileio.kinematics import kinematics
    from insar_geohazards.fileio.motion import points

    fpath, _ = loads["fields"]
    npath, _ = loads["netcdf"]
    lf = QgsVectorLayer(f"{fpath}|layername=EGMS_L2b_022_desc", "f", "ogr")
    ln = QgsVectorLayer(f"{npath}|layername=EGMS_L2b_022_desc", "n", "ogr")
    a = points.read_dated_features(lf, "f", uri=points.source_uri(lf))
    b = points.read_dated_features(ln, "n", uri=points.source_uri(ln))
    assert a.dates == b.dates and a.date_fields == b.date_fields
    assert np.array_equal(a.displacement_mm, b.displacement_mm, equal_nan=True)
    assert np.array_equal(a.attributes["mean_velocity"], b.attributes["mean_velocity"])
    ctx = QgsProcessingContext()
    fa, da, sa = kinematics.dated_features(lf, "f", ctx)
    fb, db, sb = kinematics.dated_features(ln, "n", ctx, points.source_uri(ln))
    assert da == db and np.array_equal(fa["fid"], fb["fid"]) and np.array_equal(sa, sb, equal_nan=True)
    with pytest.raises(points.GeohazardError, match="no numeric dated displacement fields"):
        points.read_dated_features(ln, "n")  # without the layer's source the file is not looked for
