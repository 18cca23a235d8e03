"""geohazard:strainrate — parameters and help, rasters and points against an analytic velocity field (uniform
strain and rotation plus a screw dislocation, differentiated in closed form here), wrong inputs named."""

import math

import numpy as np
import pytest
import testutils_hostile as hk
from osgeo import gdal, ogr
from testutils import write_geotiff

NAME = "strainrate"
E0, N0, PIX, NPIX = 500000.0, 4200000.0, 400.0, 100
GT = (E0, PIX, 0.0, N0, 0.0, -PIX)
SLIP, LOCK, AZ = 24.0, 6000.0, 150.0  # mm/yr, m, fault strike (degrees from north)
A = np.array([[1.5e-5, -0.6e-5], [0.9e-5, 0.4e-5]])  # uniform gradient, mm/yr per m


def analytic(x, y):
    """(ve, vn) mm/yr and (dilatation, max shear, rotation) nanostrain/yr at local x, y (m)."""
    s, c = math.sin(math.radians(AZ)), math.cos(math.radians(AZ))
    xp = x * c - y * s  # distance across the strike
    v = SLIP / math.pi * np.arctan(xp / LOCK)
    dv = SLIP / (math.pi * LOCK) / (1 + (xp / LOCK) ** 2)
    ve, vn = A[0, 0] * x + A[0, 1] * y + v * s, A[1, 0] * x + A[1, 1] * y + v * c
    lxx, lxy = A[0, 0] + dv * s * c, A[0, 1] - dv * s * s  # d(ve)/dx, d(ve)/dy
    lyx, lyy = A[1, 0] + dv * c * c, A[1, 1] - dv * c * s  # d(vn)/dx, d(vn)/dy
    exy = 0.5 * (lxy + lyx)
    return ve, vn, {"dil": (lxx + lyy) * 1e6, "shear": np.hypot(0.5 * (lxx - lyy), exy) * 1e6,
                    "rot": 0.5 * (lyx - lxy) * 1e6}


def velocity_rasters(tmp_path, *, east_meta=None, north_meta=None):
    x = (np.arange(NPIX) + 0.5) * PIX - NPIX * PIX / 2
    xx, yy = np.meshgrid(x, -x)
    ve, vn, truth = analytic(xx, yy)
    ve[40:43, 10:13] = np.nan
    e = write_geotiff(tmp_path / "ve.tif", ve, geotransform=GT,
                      metadata=east_meta if east_meta is not None else {"UNIT": "mm/yr", "COMPONENT": "EAST"})
    n = write_geotiff(tmp_path / "vn.tif", vn, geotransform=GT,
                      metadata=north_meta if north_meta is not None else {"UNIT": "mm/yr", "COMPONENT": "NORTH"})
    return str(e), str(n), truth


def band(path, b=1):
    ds = gdal.Open(str(path))
    return ds.GetRasterBand(b).ReadAsArray().astype(float)


def test_parameters_and_help(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    for pid in ("INPUT_EAST", "INPUT_NORTH", "POINTS", "EAST_FIELD", "NORTH_FIELD", "SMOOTHING_M",
                "OUTPUT_DILATATION", "OUTPUT_MAX_SHEAR", "OUTPUT_ROTATION", "OUTPUT_PRINCIPAL", "OUTPUT_POINTS"):
        assert pid in ids
    text = a.shortHelpString()
    assert text.startswith("Horizontal strain rates from east and north velocity fields")
    assert "(e1 - e2) / 2" in text and "counter-clockwise" in text and "without mirroring" in text
    assert "doi:10.1029/JB078i005p00832" in text and a.group() == "Geometry and line of sight"


def test_rasters_match_the_analytic_field(run_alg, tmp_path):
    e, n, truth = velocity_rasters(tmp_path)
    res = run_alg(NAME, {"INPUT_EAST": e, "INPUT_NORTH": n, "SMOOTHING_M": 800.0,
                         "OUTPUT_DILATATION": str(tmp_path / "dil.tif"), "OUTPUT_MAX_SHEAR": str(tmp_path / "sh.tif"),
                         "OUTPUT_ROTATION": str(tmp_path / "rot.tif"), "OUTPUT_PRINCIPAL": str(tmp_path / "pr.tif")})
    inner = (slice(8, -8), slice(8, -8))
    scale = np.max((np.abs(truth["dil"]) / 2 + truth["shear"])[inner])  # the largest principal rate
    for pid, key in (("OUTPUT_DILATATION", "dil"), ("OUTPUT_MAX_SHEAR", "shear"), ("OUTPUT_ROTATION", "rot")):
        got, want = band(res[pid]), truth[key]
        ok = np.isfinite(got[inner])
        assert ok.mean() > 0.99
        assert np.max(np.abs(got[inner] - want[inner])[ok]) <= 0.02 * scale, pid
    assert np.isnan(band(res["OUTPUT_DILATATION"])[41, 11])  # a gap stays a gap
    pr = gdal.Open(res["OUTPUT_PRINCIPAL"])
    assert pr.RasterCount == 4 and pr.GetRasterBand(1).GetDescription() == "azimuth_e1_deg"
    pr = None
    e1, e2 = band(res["OUTPUT_PRINCIPAL"], 3), band(res["OUTPUT_PRINCIPAL"], 4)
    assert np.nanmax(np.abs((e1 - e2) / 2 - band(res["OUTPUT_MAX_SHEAR"]))) < 1e-2
    meta = gdal.Open(res["OUTPUT_ROTATION"]).GetMetadata()
    assert meta["UNIT"] == "nanoradian/yr" and "counter-clockwise" in meta["SIGN"]


def test_points_match_the_analytic_field(run_alg, tmp_path):
    rng = np.random.default_rng(5)
    g = np.arange(-16000.0, 16001.0, 500.0)
    xx, yy = np.meshgrid(g, g)
    x, y = xx.ravel() + rng.uniform(-120, 120, xx.size), yy.ravel() + rng.uniform(-120, 120, xx.size)
    ve, vn, truth = analytic(x, y)
    wkts = [f"POINT({E0 + a} {N0 + b})" for a, b in zip(x, y)]
    src = hk.write_layer(tmp_path / "gnss.gpkg", wkts, {"ve": list(ve), "vn": list(vn)})
    res = run_alg(NAME, {"POINTS": src, "EAST_FIELD": "ve", "NORTH_FIELD": "vn", "SMOOTHING_M": 700.0,
                         "OUTPUT_POINTS": str(tmp_path / "strain.gpkg")})
    ds = ogr.Open(res["OUTPUT_POINTS"])
    lyr = ds.GetLayer(0)
    rows = [(f.GetGeometryRef().GetX() - E0, f.GetGeometryRef().GetY() - N0, f["dilatation"], f["max_shear"],
             f["rotation"]) for f in lyr]
    px, py, dil, sh, rot = (np.array(c, dtype=float) for c in zip(*rows))
    _, _, want = analytic(px, py)
    inner = (np.abs(px) < 13000) & (np.abs(py) < 13000)
    scale = np.max((np.abs(want["dil"]) / 2 + want["shear"])[inner])  # the largest principal rate
    for got, key in ((dil, "dil"), (sh, "shear"), (rot, "rot")):
        assert np.max(np.abs(got - want[key])[inner]) <= 0.02 * scale, key


def test_wrong_inputs_are_named(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    e, n, _ = velocity_rasters(tmp_path)
    out = {"OUTPUT_DILATATION": str(tmp_path / "d.tif")}
    with pytest.raises(QgsProcessingException, match="INPUT_NORTH"):
        run_alg(NAME, dict(out, INPUT_EAST=e))
    with pytest.raises(QgsProcessingException, match="COMPONENT=NORTH"):
        run_alg(NAME, dict(out, INPUT_EAST=n, INPUT_NORTH=n))
    with pytest.raises(QgsProcessingException, match="SMOOTHING_M = 100 m is smaller than the pixel"):
        run_alg(NAME, dict(out, INPUT_EAST=e, INPUT_NORTH=n, SMOOTHING_M=100.0))
    (tmp_path / "mm").mkdir()
    e2, n2, _ = velocity_rasters(tmp_path / "mm", east_meta={"UNIT": "mm"}, north_meta={})
    with pytest.raises(QgsProcessingException, match="UNIT says rate but INPUT_EAST and INPUT_NORTH declare a "
                                                     "displacement"):  # mm: a displacement, typed a rate
        run_alg(NAME, dict(out, INPUT_EAST=e2, INPUT_NORTH=n2, UNIT=1))
    (tmp_path / "rad").mkdir()
    e3, n3, _ = velocity_rasters(tmp_path / "rad", east_meta={"UNIT": "radian"}, north_meta={})
    with pytest.raises(QgsProcessingException, match="UNIT=RADIAN: expected a velocity .mm/yr. or a displacement"):
        run_alg(NAME, dict(out, INPUT_EAST=e3, INPUT_NORTH=n3))
