"""Shared inputs of the offset tools' processing tests: a textured pair and a dated offset series."""

import datetime as dt

import numpy as np
import testutils_kinematics as kt
from testutils import write_geotiff

GT = (500000.0, 10.0, 0.0, 4100000.0, 0.0, -10.0)


def _pair(tmp_path, dy=1.3, dx=-0.6, shape=(160, 192), kind="speckle", stable_motion=True):
    img = kt.texture(shape, kind, seed=7)
    sec = kt.fourier_shift(img, dy, dx)
    ref = write_geotiff(tmp_path / "ref.tif", img, geotransform=GT)
    sec = write_geotiff(tmp_path / "sec.tif", sec, geotransform=GT)
    return ref, sec


def _series(tmp_path, n_dates=6, shape=(4, 5), gross=True):
    d0 = dt.date(2021, 1, 1)
    dates = [d0 + dt.timedelta(days=12 * k) for k in range(n_dates)]
    t = np.array([(d - d0).days / 365.25 for d in dates])
    ve, vn = 36.5, -18.25  # m/yr
    paths = []
    rng = np.random.default_rng(2)
    for i in range(n_dates):
        for j in range(i + 1, min(n_dates, i + 3)):
            e = ve * (t[j] - t[i]) + rng.normal(0, 0.02, shape)
            n = vn * (t[j] - t[i]) + rng.normal(0, 0.02, shape)
            if gross and (i, j) == (1, 2):
                e = e + 5.0
            name = f"off_{dates[i]:%Y%m%d}_{dates[j]:%Y%m%d}.tif"
            paths.append(write_geotiff(tmp_path / name, np.stack([e, n, np.zeros(shape), np.zeros(shape)]),
                                       geotransform=GT))
    return paths, dates, t, ve, vn
