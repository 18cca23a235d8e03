"""geohazard:adadetection — parameters, wrong parameters, synthetic truth, real data, cancel."""

import os

import numpy as np
import pytest
from testutils_ada import inside_ellipse, planted_field, read_layer, write_points, write_wkt_layer

NAME = "adadetection"


def test_parameters(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    assert ids[:3] == ["INPUT", "VELOCITY_FIELD", "VELOCITY_STD_FIELD"]
    assert {"THRESHOLD", "N_SIGMA", "RADIUS", "MIN_NEIGHBOURS", "MIN_ACTIVE_FRACTION", "Z_MAX", "MIN_POINTS",
            "OUTPUT", "OUTPUT_POINTS"} <= set(ids)
    assert a.parameterDefinition("VELOCITY_FIELD").flags() & a.parameterDefinition("VELOCITY_FIELD").FlagOptional
    assert a.parameterDefinition("N_SIGMA").defaultValue() == 2.0
    assert "Barra" in a.shortHelpString() and "mm/yr" in a.shortHelpString()
    assert a.group() == "Active deformation areas"


def test_no_velocity_field_is_a_clear_error_and_no_output(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    src = write_points(tmp_path / "p.gpkg", [0.0, 10.0], [0.0, 0.0], {"coherence": [0.9, 0.8]})
    out = tmp_path / "ada.gpkg"
    with pytest.raises(QgsProcessingException, match="velocity"):
        run_alg(NAME, {"INPUT": src, "OUTPUT": str(out), "OUTPUT_POINTS": str(tmp_path / "pts.gpkg")})
    assert not out.exists() and not (tmp_path / "pts.gpkg").exists()
    poly = write_wkt_layer(tmp_path / "poly.gpkg", ["POLYGON((0 0,1 0,1 1,0 0))"], fields={"VEL": [1.0]})
    with pytest.raises(QgsProcessingException):
        run_alg(NAME, {"INPUT": poly, "OUTPUT": str(out)})
    assert not out.exists()


def test_synthetic_geographic_input_recall_precision_and_area(run_alg, tmp_path):
    """Planted ellipses in UTM 33N, layer written in EPSG:4326: outputs in 4326, outlines in metres."""
    from osgeo import ogr, osr
    from pyproj import Transformer

    x, y, v, areas, _ = planted_field(60_000, size_m=10_000, n_areas=8, n_noisy=8, seed=5)
    x0, y0 = 400_000.0, 4_500_000.0
    lon, lat = Transformer.from_crs(32633, 4326, always_xy=True).transform(x + x0, y + y0)
    src = write_points(tmp_path / "pts4326.gpkg", lon, lat, {"mean_velocity": v}, epsg=4326)
    res = run_alg(NAME, {"INPUT": src, "OUTPUT": str(tmp_path / "ada.gpkg"),
                         "OUTPUT_POINTS": str(tmp_path / "flags.gpkg")})
    ds = ogr.Open(res["OUTPUT"])
    lyr = ds.GetLayer(0)
    assert lyr.GetSpatialRef().GetAuthorityCode(None) == "4326"
    to_utm = osr.CoordinateTransformation(*[_srs(e) for e in (4326, 32633)])
    polys = []
    for f in lyr:
        g = f.GetGeometryRef().Clone()
        g.Transform(to_utm)
        polys.append((g, f.GetField("area_m2"), f.GetField("n_points")))
    assert len(polys) >= 1
    resolved = [a for a in areas if inside_ellipse(x, y, a).sum() >= 10]
    matched, tp = set(), 0
    for g, area_m2, _ in polys:
        assert g.GetArea() == pytest.approx(area_m2, rel=0.01)
        overl = [g.Intersection(_ellipse(a, x0, y0)).GetArea() for a in areas]
        k = int(np.argmax(overl))
        if overl[k] >= 0.5 * g.GetArea():
            tp += 1
            matched.add(k)
            if inside_ellipse(x, y, areas[k]).sum() >= 30:
                true_area = np.pi * areas[k][2] * areas[k][3]
                assert abs(g.GetArea() - true_area) / true_area < 0.3
    assert tp / len(polys) >= 0.9
    assert len([a for a in resolved if areas.index(a) in matched]) / len(resolved) >= 0.9
    pds = ogr.Open(res["OUTPUT_POINTS"])
    pts = pds.GetLayer(0)
    assert pts.GetFeatureCount() == x.size
    names = [pts.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(pts.GetLayerDefn().GetFieldCount())]
    assert {"src_fid", "ada_id", "flag"} <= set(names)
    assert os.path.exists(os.path.splitext(res["OUTPUT"])[0] + ".qml")


def _srs(epsg):
    from osgeo import osr

    s = osr.SpatialReference()
    s.ImportFromEPSG(epsg)
    s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return s


def _ellipse(area, x0, y0):
    from osgeo import ogr

    cx, cy, a, b, th = area[:5]
    t = np.linspace(0, 2 * np.pi, 200)
    u, w = a * np.cos(t), b * np.sin(t)
    px = cx + x0 + u * np.cos(th) - w * np.sin(th)
    py = cy + y0 + u * np.sin(th) + w * np.cos(th)
    ring = ", ".join(f"{p} {q}" for p, q in zip(px, py))
    return ogr.CreateGeometryFromWkt(f"POLYGON(({ring}, {px[0]} {py[0]}))")


def test_real_radarsat_boissano(run_alg, tmp_path, data_dir):
    shp = os.path.join(data_dir, "radarsat_boissano", "BOISSANO_RSAT_S3_A_T290_COMUNEBOISSANO_GBO-TSR.shp")
    res = run_alg(NAME, {"INPUT": shp, "OUTPUT": str(tmp_path / "ada.gpkg"), "OUTPUT_POINTS": str(tmp_path / "p.gpkg")})
    feats = read_layer(res["OUTPUT"])
    assert len(feats) >= 1
    a = feats[0][1]
    assert a["n_points"] >= 5 and abs(a["mean_vel"]) >= a["threshold"] * 0.5
    assert a["slope_pts_deg"] is not None  # HEIGHT field -> slope of the point plane
    assert any(k.startswith("D2003") for k in a)  # mean time series from the DYYYYMMDD fields
    from osgeo import ogr

    ds = ogr.Open(res["OUTPUT"])
    assert "Monte" in ds.GetLayer(0).GetSpatialRef().GetAttrValue("PROJCS")
    pds = ogr.Open(res["OUTPUT_POINTS"])
    assert pds.GetLayer(0).GetFeatureCount() == 1372


def test_all_stable_is_zero_adas_not_an_error(run_alg, tmp_path):
    g = np.arange(20) * 10.0
    xx, yy = np.meshgrid(g, g)
    src = write_points(tmp_path / "s.gpkg", xx.ravel(), yy.ravel(), {"VEL": np.zeros(400)})
    res = run_alg(NAME, {"INPUT": src, "THRESHOLD": 2.0, "OUTPUT": str(tmp_path / "ada.gpkg")})
    assert read_layer(res["OUTPUT"]) == []


def test_cancel_leaves_no_output(run_alg, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    x, y, v, _, _ = planted_field(5000, size_m=3000, n_areas=2, n_noisy=1, seed=1)
    src = write_points(tmp_path / "p.gpkg", x, y, {"VEL": v})
    fb = QgsProcessingFeedback()
    fb.cancel()
    with pytest.raises(QgsProcessingException, match="Canceled"):
        run_alg(NAME, {"INPUT": src, "OUTPUT": str(tmp_path / "ada.gpkg")}, feedback=fb)
    assert not (tmp_path / "ada.gpkg").exists()


def test_memory_layer_and_selection_use_the_feature_path(run_alg, tmp_path):
    """Non-file providers and 'selected features only' are read through QGIS features."""
    from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsVectorLayer

    g = np.arange(20) * 10.0
    xx, yy = np.meshgrid(g, g)
    v = np.where((xx < 100) & (yy < 100), -8.0, 0.0).ravel()
    layer = QgsVectorLayer("Point?crs=EPSG:32633&field=velocity:double", "mem", "memory")
    feats = []
    for px, py, pv in zip(xx.ravel(), yy.ravel(), v):
        f = QgsFeature(layer.fields())
        f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(px, py)))
        f.setAttributes([float(pv)])
        feats.append(f)
    layer.dataProvider().addFeatures(feats)
    res = run_alg(NAME, {"INPUT": layer, "THRESHOLD": 2.0, "OUTPUT": str(tmp_path / "a.gpkg")})
    out = read_layer(res["OUTPUT"])
    assert len(out) == 1 and out[0][1]["n_points"] == 100 and out[0][1]["mean_vel"] == -8.0
    # a file layer with a subset string: only the stable points pass the subset
    src = write_points(tmp_path / "s.gpkg", xx.ravel(), yy.ravel(), {"VEL": v})
    sub = QgsVectorLayer(src, "sub", "ogr")
    assert sub.setSubsetString('"VEL" > -1')
    res = run_alg(NAME, {"INPUT": sub, "THRESHOLD": 2.0, "OUTPUT": str(tmp_path / "b.gpkg"),
                         "OUTPUT_POINTS": str(tmp_path / "bp.gpkg")})
    assert read_layer(res["OUTPUT"]) == []
    assert len(read_layer(res["OUTPUT_POINTS"])) == 300


def test_empty_layer_is_a_clear_error(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    src = write_points(tmp_path / "empty.gpkg", [], [], {"VEL": []})
    with pytest.raises(QgsProcessingException, match="no point features"):
        run_alg(NAME, {"INPUT": src, "OUTPUT": str(tmp_path / "a.gpkg")})
    assert not (tmp_path / "a.gpkg").exists()


def _polygon_fields(path):
    from osgeo import ogr

    ds = ogr.Open(path)
    lyr = ds.GetLayer(0)
    return [(f.items(), f.GetGeometryRef().ExportToWkt()) for f in lyr]


def test_streamed_series_equal_the_whole_read(run_alg, tmp_path, data_dir):
    """A file layer streams its dated fields after the detection (the ADA points' only); a memory copy of it
    is read whole through QGIS features, as every layer was: the same polygons, TC and mean series."""
    from qgis.core import QgsFeatureRequest, QgsVectorLayer

    shp = os.path.join(data_dir, "radarsat_boissano", "BOISSANO_RSAT_S3_A_T290_COMUNEBOISSANO_GBO-TSR.shp")
    rng = np.random.default_rng(2)
    x, y, v, _, _ = planted_field(20_000, size_m=6_000, n_areas=5, n_noisy=3, seed=8)
    t = np.arange(130) * 12 / 365.25  # more fields than one Arrow stream of GDAL 3.6 gives
    series = v[:, None] * t + rng.normal(0, 2, (x.size, t.size))
    series[rng.random(series.shape) < 0.05] = np.nan  # NULLs in the dated fields
    days = [str(np.datetime64("2020-01-01") + np.timedelta64(12 * k, "D")).replace("-", "") for k in range(t.size)]
    fields = {"mean_velocity": v, **{f"D{d}": series[:, k] for k, d in enumerate(days)}}
    gpkg = write_points(tmp_path / "ts.gpkg", x, y, fields)
    for k, src in enumerate((shp, gpkg)):
        layer = QgsVectorLayer(src, "pts", "ogr")
        assert layer.isValid()
        memory = layer.materialize(QgsFeatureRequest())
        outs = [run_alg(NAME, {"INPUT": inp, "OUTPUT": str(tmp_path / f"ada{k}_{j}.gpkg")})["OUTPUT"]
                for j, inp in enumerate((src, memory))]
        streamed, whole = (_polygon_fields(o) for o in outs)
        assert len(streamed) == len(whole) >= 1
        assert streamed == whole
        assert any(name.startswith("D20") and val is not None for name, val in streamed[0][0].items())
        assert all(a["tc"] is not None for a, _ in streamed)


def _egms_to_ada_model():
    """A user's model: EGMS tiles -> loadegms -> adadetection (its points output kept), as drawn in the modeler."""
    from qgis.core import QgsProcessing, QgsProcessingParameterMultipleLayers
    from testutils_models import build_models_module, drawn_model

    model = drawn_model("EGMS to ADA", [
        QgsProcessingParameterMultipleLayers("TILES", "EGMS tiles", QgsProcessing.SourceType.TypeFile),
    ], [
        ("load", "geohazard:loadegms", {"INPUTS": "TILES", "SERIES_STORAGE": 2}, {}),
        ("ada", "geohazard:adadetection", {"INPUT": ("load", "OUTPUT")},
         {"POINTS": ("OUTPUT_POINTS", "ADA points")}),
    ])
    return build_models_module().pin_output_names(model)  # "ada:POINTS" on every QGIS version


def test_loadegms_geopackage_of_two_tracks_chained_into_adadetection_reads_every_track(run_alg, tmp_path):
    """loadegms writes one layer per track (real EGMS L2b tiles of Ustica: ascending 117 and descending 022, 20
    points each) into one GeoPackage; adadetection given that file used to read its first layer only (half the
    points, with a warning). It now reads every track on its own (tracks are never merged: their velocities are
    along different lines of sight) and writes them together with a layer field: each track's points are those
    of the same run with |layername=. Run step by step and as a user's model (loadegms -> adadetection). The point
    counts are those of the EGMS files themselves (20 data rows each, read by Python's csv, not our reader)."""
    import csv

    import processing
    from qgis.core import QgsProcessingContext
    from testutils import recording_feedback

    data = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "egms_ustica")
    tiles = [os.path.join(data, "asc_117_first20.csv"), os.path.join(data, "desc_022_first20.csv")]
    rows = []
    for t in tiles:
        with open(t, newline="") as fh:
            rows.append(sum(1 for _ in csv.DictReader(fh)))
    egms = run_alg("loadegms", {"INPUTS": tiles, "SERIES_STORAGE": 2, "OUTPUT": str(tmp_path / "egms.gpkg")})["OUTPUT"]
    fb = recording_feedback()
    res = run_alg(NAME, {"INPUT": egms, "OUTPUT": str(tmp_path / "ada.gpkg"),
                         "OUTPUT_POINTS": str(tmp_path / "pts.gpkg")}, feedback=fb)
    assert not [w for w in fb.warnings if "left out" in w], fb.warnings
    listed = f"asc_117_first20 ({rows[0]} points), desc_022_first20 ({rows[1]} points)"
    assert any("INPUT: egms.gpkg holds 2 point layers, each read on its own" in m and listed in m
               for m in fb.info), fb.info
    points = [r for _, r in read_layer(res["OUTPUT_POINTS"])]
    assert [r["layer"] for r in points] == ["asc_117_first20"] * rows[0] + ["desc_022_first20"] * rows[1]
    for k, track in enumerate(("asc_117_first20", "desc_022_first20")):
        one = run_alg(NAME, {"INPUT": f"{egms}|layername={track}", "OUTPUT": str(tmp_path / f"ada{k}.gpkg"),
                             "OUTPUT_POINTS": str(tmp_path / f"pts{k}.gpkg")})
        alone = [r for _, r in read_layer(one["OUTPUT_POINTS"])]
        assert len(alone) == rows[k]
        mine = [r for r in points if r["layer"] == track]
        assert [(r["src_fid"], r["mean_velocity"], r["flag"]) for r in mine] == \
            [(r["src_fid"], r["mean_velocity"], r["flag"]) for r in alone]
    fb = recording_feedback()
    out = processing.run(_egms_to_ada_model(), {"TILES": tiles, "ada:POINTS": str(tmp_path / "model_pts.gpkg")},
                         context=QgsProcessingContext(), feedback=fb)
    assert not [w for w in fb.warnings if "left out" in w], fb.warnings
    assert len(read_layer(out["ada:POINTS"])) == rows[0] + rows[1]
    # a tool that reads one layer (a forecast per point) reads the first, warning with what it leaves out
    fb = recording_feedback()
    egms = run_alg("loadegms", {"INPUTS": tiles, "OUTPUT": str(tmp_path / "dated.gpkg")})["OUTPUT"]
    res = run_alg("inversevelocity", {"INPUT": egms, "OUTPUT": str(tmp_path / "iv.gpkg")}, feedback=fb)
    said = [w for w in fb.warnings if "left out" in w]
    assert len(said) == 1, fb.warnings
    assert "INPUT: dated.gpkg holds 2 point layers" in said[0] and "asc_117_first20 (20 features)" in said[0]
    assert f"desc_022_first20 ({rows[1]} features) is left out" in said[0]
    assert "dated.gpkg|layername=desc_022_first20" in said[0]
    assert len(read_layer(res["OUTPUT"])) == rows[0]


def test_every_layer_of_a_file_gets_its_own_adas(run_alg, tmp_path):
    """Two point layers in one GeoPackage (two tracks over the same ground, each with its own moving area): the
    ADAs of each are those of the layer read alone (same outline, same statistics), in layer order with a layer
    field and ada_id running on; the points' ada_id follow. A third layer of polygons is not read as points."""
    from osgeo import ogr, osr

    rng = np.random.default_rng(3)
    path = str(tmp_path / "tracks.gpkg")
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    truth = {}
    for name, (cx, cy, v0) in (("EGMS_L2b_117_asc", (1500.0, 1500.0, -20.0)),
                               ("EGMS_L2b_022_desc", (3500.0, 3000.0, 15.0))):
        x, y = rng.uniform(0, 5000, 3000), rng.uniform(0, 5000, 3000)
        v = rng.normal(0, 1.0, x.size)
        inside = (x - cx) ** 2 + (y - cy) ** 2 < 400.0 ** 2
        v[inside] += v0
        truth[name] = inside.sum()
        layer = ds.CreateLayer(name, srs, ogr.wkbPoint)
        layer.CreateField(ogr.FieldDefn("mean_velocity", ogr.OFTReal))
        for xi, yi, vi in zip(x, y, v):
            f = ogr.Feature(layer.GetLayerDefn())
            f.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT ({xi} {yi})"))
            f["mean_velocity"] = float(vi)
            layer.CreateFeature(f)
    poly = ds.CreateLayer("inventory", srs, ogr.wkbPolygon)
    f = ogr.Feature(poly.GetLayerDefn())
    f.SetGeometry(ogr.CreateGeometryFromWkt("POLYGON ((0 0,10 0,10 10,0 0))"))
    poly.CreateFeature(f)
    ds = None
    res = run_alg(NAME, {"INPUT": path, "OUTPUT": str(tmp_path / "ada.gpkg"),
                         "OUTPUT_POINTS": str(tmp_path / "pts.gpkg")})
    both = read_layer(res["OUTPUT"])
    assert [r["layer"] for _, r in both] == ["EGMS_L2b_117_asc", "EGMS_L2b_022_desc"]
    assert [r["ada_id"] for _, r in both] == [0, 1]
    for k, name in enumerate(("EGMS_L2b_117_asc", "EGMS_L2b_022_desc")):
        alone = read_layer(run_alg(NAME, {"INPUT": f"{path}|layername={name}",
                                          "OUTPUT": str(tmp_path / f"a{k}.gpkg")})["OUTPUT"])
        assert len(alone) == 1
        wkt, attrs = both[k]
        assert wkt == alone[0][0]
        assert {n: v for n, v in attrs.items() if n not in ("layer", "ada_id")} == \
            {n: v for n, v in alone[0][1].items() if n != "ada_id"}
        assert attrs["n_points"] >= 0.8 * truth[name]
        assert attrs["mean_vel"] == pytest.approx((-20.0, 15.0)[k], abs=2.0)
    pts = [r for _, r in read_layer(res["OUTPUT_POINTS"])]
    assert len(pts) == 6000 and {r["ada_id"] for r in pts if r["layer"] == "EGMS_L2b_022_desc"} == {-1, 1}
    # a third track with 3 points (under MIN_POINTS): left out with a warning, the others' ADAs as before (it
    # stopped the whole run, naming the track, before the tracks were read on their own)
    from testutils import recording_feedback

    ds = ogr.Open(path, 1)
    few = ds.CreateLayer("EGMS_L2b_095_asc", srs, ogr.wkbPoint)
    few.CreateField(ogr.FieldDefn("mean_velocity", ogr.OFTReal))
    for k in range(3):
        f = ogr.Feature(few.GetLayerDefn())
        f.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT ({100.0 * k} 10)"))
        f["mean_velocity"] = -30.0
        few.CreateFeature(f)
    ds = None
    fb = recording_feedback()
    again = run_alg(NAME, {"INPUT": path, "OUTPUT": str(tmp_path / "ada3.gpkg")}, feedback=fb)
    assert any("INPUT: EGMS_L2b_095_asc (3 points) of tracks.gpkg has fewer than MIN_POINTS = 5 points" in w
               for w in fb.warnings), fb.warnings
    assert read_layer(again["OUTPUT"]) == both


def test_the_run_reads_the_points_and_their_series(qgis_app, monkeypatch):
    """The job carries the layer and its fields; the run reads them: the velocities and the dated fields as written
    (a memory layer: read whole with the other fields), and beyond MAX_SERIES_VALUES points x dates no series, with
    the warning on the run's progress."""
    from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsVectorLayer

    from insar_geohazards.algorithms.progress import NullProgress
    from insar_geohazards.fileio.ada import adadetection as io_det

    rng = np.random.default_rng(1)
    vel, series = rng.normal(0, 3, 40), rng.normal(0, 5, (40, 3))
    layer = QgsVectorLayer("Point?crs=EPSG:32633&field=VEL:double&field=D20200101:double&field=D20200113:double"
                           "&field=D20200125:double", "mem", "memory")
    feats = []
    for k in range(vel.size):
        f = QgsFeature(layer.fields())
        f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(500000.0 + 10 * k, 4100000.0)))
        f.setAttributes([float(vel[k]), *map(float, series[k])])
        feats.append(f)
    assert layer.dataProvider().addFeatures(feats)[0]
    src = io_det.PointLayer(name=None, layer=layer, source=lambda: layer, velocity="VEL")
    job = io_det.Job(layers=(src,), options={}, margin_m=0.0, output="", output_points="", settings=None)

    class Said(NullProgress):
        def __init__(self):
            self.warnings = []

        def push_warning(self, text):
            self.warnings.append(text)

    pts = io_det.read_points(job, src, Said())
    np.testing.assert_array_equal(pts.table.attributes["VEL"], vel)
    assert [f for f, _ in pts.dates] == ["D20200101", "D20200113", "D20200125"]
    np.testing.assert_array_equal(pts.series, series)
    monkeypatch.setattr(io_det, "MAX_SERIES_VALUES", 100)
    said = Said()
    pts = io_det.read_points(job, src, said)
    assert pts.series is None and pts.dates == []
    assert any("40 points x 3 dates is too large to hold in memory" in w for w in said.warnings), said.warnings
