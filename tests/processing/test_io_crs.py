"""CRS texts compared and named for the log (fileio/base/crs.py)."""

from osgeo import osr


def _wkt(epsg):
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    return srs.ExportToWkt()


def test_two_texts_of_one_crs_are_the_same_and_an_empty_text_only_matches_another():
    from insar_geohazards.fileio.base.crs import same_crs

    utm = _wkt(32633)
    assert same_crs(utm, utm) and same_crs("", "")
    srs = osr.SpatialReference()
    srs.ImportFromWkt(utm)
    assert same_crs(utm, srs.ExportToWkt(["FORMAT=WKT2"]))
    assert not same_crs(utm, _wkt(32634))
    assert not same_crs(utm, "") and not same_crs("", utm)


def test_the_log_names_the_epsg_code_else_the_name_else_says_no_crs():
    from insar_geohazards.fileio.base.crs import crs_name

    assert crs_name(_wkt(32633)) == "EPSG:32633"
    assert crs_name("") == "no CRS"
    custom = osr.SpatialReference()
    custom.SetProjCS("my grid")
    custom.SetWellKnownGeogCS("WGS84")
    custom.SetTM(0.0, 15.0, 0.9996, 500000.0, 0.0)
    assert crs_name(custom.ExportToWkt()) in ("my grid", "EPSG:32633")
