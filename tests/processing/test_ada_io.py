"""ADA IO helpers: fast GeoPackage point writer (types, NULLs, dates) and point WKB parsing."""

import datetime as dt

import numpy as np


def test_write_points_gpkg_types_nulls_dates(qgis_app, tmp_path):
    from osgeo import ogr, osr

    from insar_geohazards.fileio.motion.ada import write_points_gpkg

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(3035)
    fields = {"v": np.array([1.5, np.nan, -2.0]), "n": np.array([1, 2, 3]), "ok": np.array([True, False, True]),
              "name": np.array(["a", None, "c"], dtype=object),
              "d": np.array([dt.date(2020, 1, 3), None, dt.date(2021, 2, 4)], dtype=object)}
    path = write_points_gpkg(str(tmp_path / "p.gpkg"), np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0]), fields,
                             crs_wkt=srs.ExportToWkt())
    ds = ogr.Open(path)
    lyr = ds.GetLayer(0)
    assert lyr.GetSpatialRef().GetAuthorityCode(None) == "3035"
    defn = lyr.GetLayerDefn()
    types = [defn.GetFieldDefn(i).GetTypeName() for i in range(defn.GetFieldCount())]
    assert types == ["Real", "Integer64", "Integer", "String", "Date"]
    rows = [(f.GetGeometryRef().GetX(), f.GetGeometryRef().GetY(), f.items()) for f in lyr]
    assert [r[:2] for r in rows] == [(1.0, 4.0), (2.0, 5.0), (3.0, 6.0)]
    assert rows[1][2]["v"] is None and rows[1][2]["name"] is None and rows[1][2]["d"] is None
    assert rows[0][2]["d"] == "2020/01/03" and rows[2][2]["n"] == 3
    assert lyr.TestCapability(ogr.OLCFastSpatialFilter)  # small layers get the R-tree


def test_parse_point_wkb_2d_3d_and_fallback(qgis_app):
    from osgeo import ogr

    from insar_geohazards.fileio.motion.ada import _parse_point_wkb

    pts = [ogr.CreateGeometryFromWkt(w).ExportToIsoWkb() for w in ("POINT (1 2)", "POINT (3 4)")]
    arr = np.array([bytes(p) for p in pts], dtype="V21")
    x, y = _parse_point_wkb(arr)
    assert x.tolist() == [1.0, 3.0] and y.tolist() == [2.0, 4.0]
    pz = np.array([bytes(ogr.CreateGeometryFromWkt("POINT Z (5 6 7)").ExportToIsoWkb())], dtype="V29")
    assert [v.tolist() for v in _parse_point_wkb(pz)] == [[5.0], [6.0]]
    mixed = np.array([bytes(ogr.CreateGeometryFromWkt("MULTIPOINT ((8 9))").ExportToIsoWkb()), None], dtype=object)
    x, y = _parse_point_wkb(mixed)
    assert x[0] == 8.0 and y[0] == 9.0 and np.isnan(x[1])


def test_closing_outline_equals_buffer_of_the_multipoint(qgis_app):
    """Per-point discs + cascaded union give the polygon GEOS makes by buffering the whole
    MultiPoint (the slower route used before), for one point, a pair, and scattered clusters."""
    from insar_geohazards.fileio.motion.ada import closing_outline, multipoint

    rng = np.random.default_rng(3)
    cases = [(np.array([5.0]), np.array([7.0])), (np.array([0.0, 20.0]), np.array([0.0, 0.0]))]
    cases += [(rng.uniform(0, 300, n), rng.uniform(0, 200, n)) for n in (30, 400)]
    for x, y in cases:
        link, margin = 25.0, 7.5
        g = closing_outline(x, y, link_m=link, margin_m=margin)
        ref = multipoint(x, y).Buffer(link / 2, 4).Buffer(-(link / 2 - margin), 4)
        assert g.GetGeometryName() == "MULTIPOLYGON"
        assert abs(g.GetArea() - ref.GetArea()) <= 1e-6 * ref.GetArea()
        # GEOS versions node the union differently: 1.1e-6 of the area on GEOS 3.14 (QGIS 3.44)
        assert g.SymDifference(ref).GetArea() <= 1e-5 * ref.GetArea()


def test_merge_layers_of_two_tracks_with_their_own_dates(qgis_app):
    """Two tracks' ADAs (one per layer of a loadegms file): a layer field first, ada_id running on (the points'
    with them, -1 kept), each track's dates NULL on the other's ADAs, one CRS; one layer is returned as it is;
    layers in two CRSs are refused naming them."""
    import pytest

    from insar_geohazards.algorithms.errors import GeohazardError
    from insar_geohazards.fileio.motion.ada import epsg_wkt, merge_layers

    wkt = epsg_wkt(3035)

    def part(n_ada, ids, dates, crs=wkt):
        fields = {"ada_id": np.arange(n_ada), "mean_vel": -np.arange(1.0, n_ada + 1)}
        fields.update({d: np.full(n_ada, 1.5) for d in dates})
        return {"fields": fields, "wkbs": [b"w%d" % k for k in range(n_ada)], "crs_wkt": crs,
                "points": {"x": np.arange(len(ids), dtype=float), "y": np.zeros(len(ids)),
                           "fields": {"ada_id": np.array(ids), "flag": np.ones(len(ids), np.int64)}}}

    asc, desc = part(2, [0, -1, 1], ["D20200101", "D20200113"]), part(1, [-1, 0], ["D20200107"])
    got = merge_layers(["asc", "desc"], [asc, desc])
    f = got["fields"]
    assert list(f) == ["layer", "ada_id", "mean_vel", "D20200101", "D20200113", "D20200107"]
    assert list(f["layer"]) == ["asc", "asc", "desc"] and list(f["ada_id"]) == [0, 1, 2]
    np.testing.assert_array_equal(f["D20200101"], [1.5, 1.5, np.nan])
    np.testing.assert_array_equal(f["D20200107"], [np.nan, np.nan, 1.5])
    assert got["wkbs"] == [b"w0", b"w1", b"w0"]
    pts = got["points"]["fields"]
    assert list(pts["layer"]) == ["asc"] * 3 + ["desc"] * 2 and list(pts["ada_id"]) == [0, -1, 1, -1, 2]
    np.testing.assert_array_equal(got["points"]["x"], [0, 1, 2, 0, 1])
    assert merge_layers([None], [asc]) is asc
    with pytest.raises(GeohazardError, match="INPUT: the layers asc, desc of one file are in different CRSs"):
        merge_layers(["asc", "desc"], [asc, part(1, [0], [], crs=epsg_wkt(4326))])
