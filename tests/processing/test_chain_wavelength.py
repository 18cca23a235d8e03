"""Every shipped chain scales with the wavelength the stack carries (GeoTIFF WAVELENGTH_METRES): an L-band
or X-band stack gives the velocity Sentinel-1 phases would give, times its wavelength over Sentinel-1's."""

import datetime as dt

import numpy as np
import pytest
import testutils_hostile as hk
from testutils import tag_wavelength

S1 = 0.05546576
REF = "500300,4099700 [EPSG:32633]"





def _read(path):
    from osgeo import gdal

    ds = gdal.Open(str(path))
    return ds.GetRasterBand(1).ReadAsArray().astype(float)


def _ratio(tagged, plain):
    ok = np.isfinite(tagged) & np.isfinite(plain) & (np.abs(plain) > 0.5)
    assert ok.sum() > 100
    return float(np.median(tagged[ok] / plain[ok]))


@pytest.mark.parametrize("wavelength_m", [0.2362, 0.031])
def test_corrected_sbas_model_scales_with_the_wavelength(qgis_app, wavelength_m, tmp_path):
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(6)]
    (tmp_path / "b.csv").write_text("".join(f"{d:%Y%m%d},{b}\n" for d, b in zip(dates, [3, -40, 25, 60, -12, 33])))
    dem = hk.dem_raster(str(tmp_path / "dem.tif"), shape=(30, 32))
    got = {}
    for name, wl in (("plain", None), ("tagged", wavelength_m)):
        files = hk.ifg_stack(str(tmp_path / name), n_dates=6, shape=(30, 32))
        if wl:
            tag_wavelength(files, wl)
        res = hk.run("correctedsbas", {"INTERFEROGRAMS": files, "DEM": dem, "BASELINES": [str(tmp_path / "b.csv")],
                                   "INCIDENCE_DEG": 39.0, "SLANT_RANGE_M": 850000.0,
                                       "demerror:VELOCITY": str(tmp_path / f"{name}.tif")})
        got[name] = _read(res["demerror:VELOCITY"])
    assert _ratio(got["tagged"], got["plain"]) == pytest.approx(wavelength_m / S1, rel=0.01)


@pytest.mark.parametrize("wavelength_m", [0.2362, 0.031])
def test_landslide_model_scales_with_the_wavelength(qgis_app, wavelength_m, tmp_path):
    inv = hk.polygon_layer(str(tmp_path / "inv.gpkg"), [hk.square(500000.0, 4099520.0, 400.0)])
    got = {}
    for name, wl in (("plain", None), ("tagged", wavelength_m)):
        files = hk.ifg_stack(str(tmp_path / name), n_dates=6, shape=(30, 32))
        if wl:
            tag_wavelength(files, wl)
        res = hk.run("sbastolandslideactivity", {"INTERFEROGRAMS": files, "INVENTORY": inv, "REFERENCE": REF,
                                                 "sbas:VELOCITY": str(tmp_path / f"{name}.tif")})
        got[name] = _read(res["sbas:VELOCITY"])
    assert _ratio(got["tagged"], got["plain"]) == pytest.approx(wavelength_m / S1, rel=0.01)


def test_slc_model_carries_the_wavelength_to_the_velocity(qgis_app, tmp_path):
    got = {}
    for name, wl in (("plain", None), ("tagged", 0.2362)):
        files, _ = hk.slc_files(str(tmp_path / name), shape=(24, 26), n_dates=8)
        if wl:
            tag_wavelength(files, wl)
        res = hk.run("slcstacktotimeseries", {"SLC": files, "sbas:VELOCITY": str(tmp_path / f"{name}.tif")})
        got[name] = _read(res["sbas:VELOCITY"])
    assert _ratio(got["tagged"], got["plain"]) == pytest.approx(0.2362 / S1, rel=0.01)
