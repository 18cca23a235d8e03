"""Shared inputs of the time-series correction tools' processing tests (closure, DEM error, PCA)."""

import datetime as dt

import numpy as np
from testutils import write_geotiff
from testutils_corrections import S1_WAVELENGTH_M


def _folder(tmp_path, net, data, *, to_rad=True, name="ifgs"):
    folder = tmp_path / name
    folder.mkdir()
    for k, (a, b) in enumerate(net.pairs):
        # radians, phase grows with range: rad = -mm * 4 pi / (lambda * 1000)
        arr = -data[k] * 4 * np.pi / (S1_WAVELENGTH_M * 1000) if to_rad else data[k]
        write_geotiff(folder / f"{a:%Y%m%d}_{b:%Y%m%d}.unw.tif", arr, nodata=-9999.0)
        write_geotiff(folder / f"{a:%Y%m%d}_{b:%Y%m%d}.cc.tif", np.full(arr.shape, 0.8))
    return folder


def _ts_raster(tmp_path, *, n=24, shape=(10, 12), seed=0, geometry=True):
    """A dated series in mm with a DEM error simulated at 850 km / 39 degrees; with ``geometry`` it carries that
    geometry (SLANT_RANGE_M, INCIDENCE_DEG), as the SBAS tool writes it when its interferograms carry it."""
    rng = np.random.default_rng(seed)
    dates = [dt.date(2021, 1, 5) + dt.timedelta(days=12 * i) for i in range(n)]
    b = rng.normal(0, 80, n)
    b -= b[0]
    t = np.array([(d - dates[0]).days for d in dates]) / 365.25
    s = 850e3 * np.sin(np.radians(39.0))
    dz = rng.normal(0, 25, shape)
    defo = rng.normal(-8, 6, shape)[None] * t[:, None, None]
    ts = defo + b[:, None, None] / s * dz[None] * 1000 + rng.normal(0, 0.3, (n,) + shape)
    ts -= ts[:1]
    path = write_geotiff(tmp_path / "ts.tif", ts, descriptions=[d.isoformat() for d in dates],
                         metadata={"SLANT_RANGE_M": "850000", "INCIDENCE_DEG": "39"} if geometry else None)
    csvf = tmp_path / "bperp.csv"
    csvf.write_text("date,bperp_m\n" + "".join(f"{d.isoformat()},{v:.4f}\n" for d, v in zip(dates, b + 12.0)))
    return path, str(csvf), dates, dz, defo
