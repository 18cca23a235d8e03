"""Write a synthetic SBAS stack with known truth twice, as GeoTIFFs (ours) and as MintPy's ifgramStack.h5, with
identical values (QGIS's Python: GDAL + h5py).

Usage: /usr/bin/python3 make_stack.py OUT_DIR [ROWS COLS N_DATES]

Truth: a -80 mm/yr bowl, +2 mm/yr elsewhere, a 4 mm annual term; each date paired with its next 1-3 dates and
every other date with its 4th (202 pairs for 60 dates); random coherence per pair and pixel with its 10-look phase
noise (Tough et al. 1995); 3 % of the pixels missing 1-10 interferograms.
"""

from __future__ import annotations

import datetime as dt
import os
import sys

import numpy as np
from common import create_tif, save_json

from insar_geohazards.algorithms.timeseries.network import build_network
from insar_geohazards.algorithms.timeseries.sbas import coherence_to_weight

WAVELENGTH_M = 0.05546576
LOOKS = 10
GT = (500000.0, 20.0, 0.0, 4200000.0, 0.0, -20.0)


def pairs_for(dates):
    """Each date with its next 1, 2, 3 dates and every other date with its 4th neighbour."""
    n = len(dates)
    pairs = [(dates[i], dates[j]) for i in range(n) for j in range(i + 1, min(i + 4, n))]
    pairs += [(dates[i], dates[i + 4]) for i in range(0, n - 4, 2)]
    return sorted(pairs)


def bowl(yy, xx, rows, cols):
    """The true velocity, mm/yr: a Gaussian bowl, -80 mm/yr at its centre, +2 mm/yr elsewhere."""
    return -82.0 * np.exp(-((yy - rows * 0.4) ** 2 + (xx - cols * 0.6) ** 2) / (2 * (0.15 * rows) ** 2)) + 2.0


def finish(out, truth, ref, **meta):
    """The referenced truth (truth_velocity.npy) and stack.json (sizes, reference pixel and point, wavelength)."""
    np.save(os.path.join(out, "truth_velocity.npy"), (truth - truth[ref]).astype(np.float32))
    rx, ry = GT[0] + (ref[1] + 0.5) * GT[1], GT[3] + (ref[0] + 0.5) * GT[5]
    save_json(os.path.join(out, "stack.json"), {**meta, "ref_yx": list(ref), "ref_xy": [rx, ry], "epsg": 32614,
                                                "wavelength_m": WAVELENGTH_M, "looks": LOOKS})


def main():
    out = sys.argv[1]
    rows, cols, n_dates = (int(v) for v in (sys.argv[2:5] if len(sys.argv) > 4 else (1000, 1000, 60)))
    os.makedirs(os.path.join(out, "tif"), exist_ok=True)
    import h5py

    dates = [dt.date(2019, 1, 3) + dt.timedelta(days=12 * i) for i in range(n_dates)]
    net = build_network(pairs_for(dates))
    m = net.n_pairs
    years = net.years
    yy, xx = np.mgrid[0:rows, 0:cols]
    vel = bowl(yy, xx, rows, cols)
    ref = (rows // 5, cols // 5)
    rng = np.random.default_rng(42)
    miss_pix = rng.random((rows, cols)) < 0.03
    miss_pix[ref] = False
    mm_to_rad = -4 * np.pi / (WAVELENGTH_M * 1000.0)  # phase grows with range: -LOS
    h5 = h5py.File(os.path.join(out, "ifgramStack.h5"), "w")
    chunks = (m, min(rows, 128), min(cols, 128))
    d_unw = h5.create_dataset("unwrapPhase", (m, rows, cols), np.float32, chunks=chunks)
    d_coh = h5.create_dataset("coherence", (m, rows, cols), np.float32, chunks=chunks)
    h5.create_dataset("date", data=np.array([[a.strftime("%Y%m%d").encode(), b.strftime("%Y%m%d").encode()]
                                             for a, b in net.pairs]))
    h5.create_dataset("bperp", data=np.zeros(m, np.float32))
    h5.create_dataset("dropIfgram", data=np.ones(m, bool))
    attrs = {"FILE_TYPE": "ifgramStack", "LENGTH": rows, "WIDTH": cols, "WAVELENGTH": WAVELENGTH_M,
             "ALOOKS": 1, "RLOOKS": 1, "NCORRLOOKS": LOOKS, "UNIT": "radian", "REF_Y": ref[0], "REF_X": ref[1],
             "X_FIRST": GT[0], "Y_FIRST": GT[3], "X_STEP": GT[1], "Y_STEP": GT[5], "EPSG": 32614,
             "X_UNIT": "meters", "Y_UNIT": "meters", "PROCESSOR": "synthetic", "PLATFORM": "Sen"}
    for k, v in attrs.items():
        h5.attrs[k] = v
    unw_ds, coh_ds = [], []
    for a, b in net.pairs:
        for kind, lst in (("unw", unw_ds), ("cc", coh_ds)):
            lst.append(create_tif(os.path.join(out, "tif", f"{a:%Y%m%d}-{b:%Y%m%d}_{kind}.tif"), rows, cols, gt=GT,
                                  epsg=32614, options=["TILED=YES", "COMPRESS=NONE"], nodata=float("nan")))
    block = 100
    # reference pixel noise: the same series everywhere is removed by referencing, so draw
    # noise at the reference pixel first and keep it
    for r0 in range(0, rows, block):
        r1 = min(rows, r0 + block)
        v = vel[r0:r1]
        ts = v[None] * years[:, None, None] + 4.0 * np.sin(2 * np.pi * years)[:, None, None]
        ifg = ts[net.sec_index] - ts[net.ref_index]
        coh = rng.uniform(0.2, 0.95, (m, r1 - r0, cols)).astype(np.float32)
        sigma_rad = 1.0 / np.sqrt(coherence_to_weight(coh, looks=LOOKS))
        phase = ifg * mm_to_rad + rng.normal(0.0, 1.0, ifg.shape) * sigma_rad
        if r0 <= ref[0] < r1:
            phase[:, ref[0] - r0, ref[1]] = ifg[:, ref[0] - r0, ref[1]] * mm_to_rad
            coh[:, ref[0] - r0, ref[1]] = 0.95
        mp = miss_pix[r0:r1]
        for rr, cc in zip(*np.nonzero(mp)):
            k = rng.choice(m, size=rng.integers(1, 11), replace=False)
            phase[k, rr, cc] = np.nan
        phase = phase.astype(np.float32)
        d_unw[:, r0:r1, :] = phase
        d_coh[:, r0:r1, :] = coh
        for k in range(m):
            unw_ds[k].GetRasterBand(1).WriteArray(phase[k], 0, r0)
            coh_ds[k].GetRasterBand(1).WriteArray(coh[k], 0, r0)
    h5.close()
    unw_ds = coh_ds = None
    finish(out, vel, ref, rows=rows, cols=cols, n_dates=n_dates, n_ifgs=m, pixels_with_missing=int(miss_pix.sum()))
    print(f"stack: {rows}x{cols} px, {n_dates} dates, {m} interferograms, {int(miss_pix.sum())} pixels with "
          f"missing interferograms -> {out}")


if __name__ == "__main__":
    main()
