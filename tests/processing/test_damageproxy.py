"""geohazard:damageproxy — parameters, a synthetic town (a damaged block, a lake) against the hand formula and hand
areas, refusals by the pairs' dates and of 0-255 coherence, LiCSAR's byte coherence read as / 255, the bundled
Mexico City coherence."""

import os

import numpy as np
import pytest
from osgeo import gdal, ogr
from testutils import write_geotiff

NAME = "damageproxy"
GT = (500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0)
PRE = ["20200101_20200113", "20200113_20200125", "20200125_20200206", "20200206_20200218", "20200101_20200125"]
CO = ["20200218_20200301", "20200206_20200301"]
EVENT = "2020-02-25"
MEXICO = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "sentinel1_mexico_city",
                      "geotiffs")


def town(folder, *, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    shape = (40, 50)
    pre = np.clip(rng.normal(0.75, 0.04, (len(PRE),) + shape), 0, 1)
    co = np.clip(rng.normal(0.75, 0.04, (len(CO),) + shape), 0, 1)
    pre[:, 25:38, 2:20] = np.clip(rng.normal(0.12, 0.05, (len(PRE), 13, 18)), 0, 1)  # a lake
    co[:, 25:38, 2:20] = np.clip(rng.normal(0.1, 0.05, (len(CO), 13, 18)), 0, 1)
    co[:, 5:12, 30:41] = np.clip(rng.normal(0.3, 0.03, (len(CO), 7, 11)), 0, 1)  # the damaged block
    pre_paths = [write_geotiff(os.path.join(folder, f"{n}_coh.tif"), a * scale, geotransform=GT)
                 for n, a in zip(PRE, pre)]
    co_paths = [write_geotiff(os.path.join(folder, f"{n}_coh.tif"), a * scale, geotransform=GT)
                for n, a in zip(CO, co)]
    return pre_paths, co_paths, pre.astype(np.float32).astype(float), co.astype(np.float32).astype(float)


def test_parameters_and_help(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    for pid in ("PRE_COHERENCE", "CO_COHERENCE", "EVENT_DATE", "THRESHOLD", "MIN_AREA_M2", "MIN_MEAN_COHERENCE",
                "OUTPUT", "OUTPUT_AREAS", "OUTPUT_MEAN_COHERENCE", "MAX_MEMORY_MB"):
        assert pid in ids
    assert a.parameterDefinition("THRESHOLD").defaultValue() == 3.0
    text = a.shortHelpString()
    assert text.startswith("Maps where the coherence dropped") and "doi:10.1785/0220150103" in text
    assert "not damage" in text and a.group() == "Hazard maps"


def test_town_proxy_areas_and_classes(run_alg, tmp_path):
    pre_paths, co_paths, pre, co = town(str(tmp_path / "in"))
    res = run_alg(NAME, {"PRE_COHERENCE": pre_paths, "CO_COHERENCE": co_paths, "EVENT_DATE": EVENT,
                         "MIN_AREA_M2": 5000.0, "OUTPUT": str(tmp_path / "dpm.tif"),
                         "OUTPUT_AREAS": str(tmp_path / "areas.gpkg"), "OUTPUT_MEAN_COHERENCE": str(tmp_path / "m.tif"),
                         "OUTPUT_CLASSES": str(tmp_path / "c.tif")})
    proxy = gdal.Open(res["OUTPUT"]).ReadAsArray().astype(float)
    hand = (pre.mean(0) - co.mean(0)) / np.maximum(pre.std(0, ddof=1), 0.05)
    ok = pre.mean(0) >= 0.3
    np.testing.assert_allclose(proxy[ok], hand[ok], rtol=2e-6)
    assert np.isnan(proxy[25:38, 2:20]).all()  # the lake is no damage
    classes = gdal.Open(res["OUTPUT_CLASSES"]).ReadAsArray()
    assert (classes[25:38, 2:20] == 1).all() and (classes[5:12, 30:41] == 3).all()
    ds = ogr.Open(res["OUTPUT_AREAS"])
    feats = list(ds.GetLayer(0))
    assert len(feats) == 1  # isolated false alarms are below MIN_AREA_M2
    f = feats[0]
    mask = np.zeros_like(proxy, bool)
    mask[5:12, 30:41] = True
    extra = (proxy >= 3) & ~mask
    touching = [(r, c) for r, c in zip(*np.nonzero(extra)) if 4 <= r <= 12 and 29 <= c <= 41]
    assert f["n_pixels"] == 77 + len(touching)
    assert f["area_m2"] == pytest.approx(f["n_pixels"] * 900.0)
    assert f.GetGeometryRef().GetArea() == pytest.approx(f["area_m2"])
    assert f["mean_proxy"] == pytest.approx(proxy[mask].sum() / 77, rel=0.05)
    assert f["max_proxy"] == pytest.approx(np.nanmax(proxy[mask | extra]), rel=1e-6)
    np.testing.assert_allclose(gdal.Open(res["OUTPUT_MEAN_COHERENCE"]).ReadAsArray(), pre.mean(0), rtol=1e-6)


def test_pairs_that_do_not_fit_the_event_date_are_refused(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    pre_paths, co_paths, _, _ = town(str(tmp_path / "in"))
    base = {"PRE_COHERENCE": pre_paths, "CO_COHERENCE": co_paths, "EVENT_DATE": EVENT,
            "OUTPUT": str(tmp_path / "o.tif")}
    with pytest.raises(QgsProcessingException, match="PRE_COHERENCE: 20200218_20200301_coh.tif .* CO_COHERENCE"):
        run_alg(NAME, dict(base, PRE_COHERENCE=pre_paths + co_paths[:1]))
    with pytest.raises(QgsProcessingException, match="CO_COHERENCE: 20200101_20200113_coh.tif .* does not span"):
        run_alg(NAME, dict(base, CO_COHERENCE=pre_paths[:1]))
    with pytest.raises(QgsProcessingException, match="on the event date"):
        run_alg(NAME, dict(base, EVENT_DATE="2020-03-01"))
    with pytest.raises(QgsProcessingException, match="EVENT_DATE"):
        run_alg(NAME, dict(base, EVENT_DATE="soon"))
    assert not os.path.exists(tmp_path / "o.tif")


def test_byte_coherence_is_refused_unless_the_product_says_so(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    pre_paths, co_paths, pre, co = town(str(tmp_path / "in"), scale=255.0)
    with pytest.raises(QgsProcessingException, match="0-255"):
        run_alg(NAME, {"PRE_COHERENCE": pre_paths, "CO_COHERENCE": co_paths, "EVENT_DATE": EVENT,
                       "OUTPUT": str(tmp_path / "o.tif")})
    # LiCSAR's .geo.cc.tif in bytes (0 = no data): read as value / 255
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    folder = tmp_path / "licsar"
    folder.mkdir()
    paths = []
    for name, arr in zip(PRE + CO, list(pre) + list(co)):
        path = str(folder / f"{name}.geo.cc.tif")
        ds = gdal.GetDriverByName("GTiff").Create(path, 50, 40, 1, gdal.GDT_Byte)
        ds.SetGeoTransform(GT)
        ds.SetProjection(srs.ExportToWkt())
        ds.GetRasterBand(1).WriteArray(np.clip(np.round(arr * 255), 1, 255).astype(np.uint8))
        ds = None
        paths.append(path)
    res = run_alg(NAME, {"PRE_COHERENCE": paths[:len(PRE)], "CO_COHERENCE": paths[len(PRE):], "EVENT_DATE": EVENT,
                         "OUTPUT": str(tmp_path / "b.tif")})
    proxy = gdal.Open(res["OUTPUT"]).ReadAsArray().astype(float)
    bpre = np.clip(np.round(pre * 255), 1, 255) / 255
    bco = np.clip(np.round(co * 255), 1, 255) / 255
    hand = (bpre.mean(0) - bco.mean(0)) / np.maximum(bpre.std(0, ddof=1), 0.05)
    ok = bpre.mean(0) >= 0.3
    np.testing.assert_allclose(proxy[ok], hand[ok], rtol=1e-5, atol=1e-5)
    assert sorted(os.listdir(folder)) == sorted(os.path.basename(p) for p in paths)  # nothing written beside


@pytest.mark.parametrize("scale,advice", [(100.0, "percentage (0-100): divide by 100"),
                                          (255.0, "bytes (0-255): divide by 255"),
                                          (1.6, "neither a percentage (0-100) nor bytes (0-255)")])
def test_coherence_off_the_0_1_scale_gets_the_advice_of_its_scale(run_alg, tmp_path, scale, advice):
    """Coherence in percent is divided by 100, bytes by 255; another scale is named as unknown (never 255)."""
    from qgis.core import QgsProcessingException

    pre_paths, co_paths, _, _ = town(str(tmp_path / "in"), scale=scale)
    with pytest.raises(QgsProcessingException) as err:
        run_alg(NAME, {"PRE_COHERENCE": pre_paths, "CO_COHERENCE": co_paths, "EVENT_DATE": EVENT,
                       "OUTPUT": str(tmp_path / "o.tif")})
    assert advice in str(err.value) and "coherence must be 0-1" in str(err.value), str(err.value)
    if scale != 255.0:
        assert "255 first" not in str(err.value)


def test_mexico_city_coherence(run_alg, tmp_path):
    files = sorted(f for f in os.listdir(MEXICO) if f.endswith("_cc.tif"))
    pre = [os.path.join(MEXICO, f) for f in files if f[15:23] < "20180510"]
    co = [os.path.join(MEXICO, f) for f in files if f[6:14] < "20180510" < f[15:23]]
    assert len(pre) >= 8 and len(co) >= 4
    res = run_alg(NAME, {"PRE_COHERENCE": pre, "CO_COHERENCE": co, "EVENT_DATE": "2018-05-10",
                         "OUTPUT": str(tmp_path / "dpm.tif"), "OUTPUT_AREAS": str(tmp_path / "a.gpkg")})
    proxy = gdal.Open(res["OUTPUT"]).ReadAsArray()
    assert np.isfinite(proxy).mean() > 0.3
    ds = ogr.Open(res["OUTPUT_AREAS"])
    for f in ds.GetLayer(0):
        assert f["area_m2"] >= 2000.0 and f["mean_proxy"] >= 3.0


# ------------------------------------------------------------------ MASK: keep one land-cover class, or polygons
def _hand_proxy(pre, co, floor=0.05, min_mean=0.3):
    hand = (pre.mean(0) - co.mean(0)) / np.maximum(pre.std(0, ddof=1), floor)
    return np.where(pre.mean(0) >= min_mean, hand, np.nan)


def test_a_classes_mask_keeps_the_built_up_class_only(run_alg, tmp_path):
    """A land cover of 60 m pixels (twice the coherence's) with built-up (50, ESA WorldCover's code) over the
    north half, where the damaged block is: the proxy there is the hand formula's, elsewhere no data (class 0), and
    the one area of loss is kept."""
    pre_paths, co_paths, pre, co = town(str(tmp_path / "in"))
    lc = np.full((20, 25), 10.0)  # tree cover
    lc[:10, :] = 50.0
    lc_gt = (GT[0], 60.0, 0.0, GT[3], 0.0, -60.0)
    lc_path = write_geotiff(tmp_path / "worldcover.tif", lc, geotransform=lc_gt)
    res = run_alg(NAME, {"PRE_COHERENCE": pre_paths, "CO_COHERENCE": co_paths, "EVENT_DATE": EVENT,
                         "MASK": lc_path, "MASK_VALUES": "50", "MIN_AREA_M2": 5000.0,
                         "OUTPUT": str(tmp_path / "dpm.tif"), "OUTPUT_AREAS": str(tmp_path / "areas.gpkg"),
                         "OUTPUT_CLASSES": str(tmp_path / "c.tif")})
    proxy = gdal.Open(res["OUTPUT"]).ReadAsArray().astype(float)
    hand = _hand_proxy(pre, co)
    built = np.zeros(proxy.shape, bool)
    built[:20, :] = True  # 10 land-cover rows of 60 m = 20 coherence rows of 30 m
    np.testing.assert_allclose(proxy[built], hand[built], rtol=2e-6)
    assert np.isnan(proxy[~built]).all()
    classes = gdal.Open(res["OUTPUT_CLASSES"]).ReadAsArray()
    assert (classes[~built] == 0).all() and (classes[5:12, 30:41] == 3).all()
    areas = ogr.Open(res["OUTPUT_AREAS"])  # the layer dies with an unnamed dataset on GDAL >= 3.8
    assert len(list(areas.GetLayer(0))) == 1


def test_a_polygon_mask_keeps_what_is_inside(run_alg, tmp_path):
    import testutils_hostile as hk

    pre_paths, co_paths, pre, co = town(str(tmp_path / "in"))
    # the block's pixels 5:12 x 30:41 (30 m pixels from the origin), and a margin of one pixel
    x0, y0 = GT[0] + 29 * 30.0, GT[3] - 13 * 30.0
    poly = hk.polygon_layer(str(tmp_path / "keep.gpkg"), [hk.square(x0, y0, 13 * 30.0)])
    res = run_alg(NAME, {"PRE_COHERENCE": pre_paths, "CO_COHERENCE": co_paths, "EVENT_DATE": EVENT,
                         "MASK": poly, "OUTPUT": str(tmp_path / "dpm.tif")})
    proxy = gdal.Open(res["OUTPUT"]).ReadAsArray().astype(float)
    inside = np.zeros(proxy.shape, bool)
    inside[0:13, 29:42] = True
    np.testing.assert_allclose(proxy[inside], _hand_proxy(pre, co)[inside], rtol=2e-6)
    assert np.isnan(proxy[~inside]).all()


def test_a_mask_that_keeps_nothing_or_lacks_its_values_is_refused(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    pre_paths, co_paths, _, _ = town(str(tmp_path / "in"))
    lc_path = write_geotiff(tmp_path / "lc.tif", np.full((40, 50), 10.0), geotransform=GT)
    base = {"PRE_COHERENCE": pre_paths, "CO_COHERENCE": co_paths, "EVENT_DATE": EVENT, "MASK": lc_path,
            "OUTPUT": str(tmp_path / "o.tif")}
    with pytest.raises(QgsProcessingException, match=r"MASK_VALUES: no class value given"):
        run_alg(NAME, base)
    with pytest.raises(QgsProcessingException, match=r"MASK keeps no pixel of the classes 50"):
        run_alg(NAME, dict(base, MASK_VALUES="50"))
    with pytest.raises(QgsProcessingException, match=r"MASK_VALUES: 'urban' is not a class value"):
        run_alg(NAME, dict(base, MASK_VALUES="urban"))
    assert not os.path.exists(tmp_path / "o.tif")
