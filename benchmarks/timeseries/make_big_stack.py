"""Write a large synthetic SBAS stack quickly: ROWS x COLS px, N_DATES dates (88 dates give 300 interferograms),
tiled ZSTD GeoTIFFs, unwrapped phase only (no coherence: the unweighted run).

Usage (run_scale.sh): make_big_stack.py OUT_DIR [ROWS COLS N_DATES]   (default 3200 3200 88)

make_stack.py's truth and network, built for speed and disk: one noise sigma per interferogram (0.3..1.2 rad), the
phase rounded to 12 mantissa bits (far below the noise; ZSTD then stores it in half the bytes, as it does real
unwrapped phase), 3 % of the pixels missing ~2 % of their interferograms, a noise-free reference pixel. Writes
OUT_DIR/tif/, OUT_DIR/stack.json and OUT_DIR/truth_velocity.npy, in bands of 256 rows.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time

import numpy as np
from common import create_tif
from make_stack import GT, WAVELENGTH_M, bowl, finish, pairs_for

TILE = 256


def round_mantissa(a: np.ndarray, keep_bits: int = 12) -> None:
    """Round float32 ``a`` in place to ``keep_bits`` mantissa bits (NaN stays NaN)."""
    u = a.view(np.uint32)
    drop = 23 - keep_bits
    half = np.uint32(1 << (drop - 1))
    mask = np.uint32((0xFFFFFFFF >> drop) << drop)
    finite = np.isfinite(a)
    np.bitwise_and(u + half, mask, out=u, where=finite)


def main():
    out = sys.argv[1]
    rows, cols, n_dates = (int(v) for v in (sys.argv[2:5] if len(sys.argv) > 4 else (3200, 3200, 88)))
    os.makedirs(os.path.join(out, "tif"), exist_ok=True)
    t0 = time.perf_counter()
    dates = [dt.date(2019, 1, 3) + dt.timedelta(days=12 * i) for i in range(n_dates)]
    pairs = pairs_for(list(range(n_dates)))
    m = len(pairs)
    years = np.array([(d - dates[0]).days / 365.25 for d in dates], np.float32)
    ref = (rows // 5, cols // 5)
    rng = np.random.default_rng(42)
    sigma_rad = rng.uniform(0.3, 1.2, m).astype(np.float32)
    mm_to_rad = np.float32(-4 * np.pi / (WAVELENGTH_M * 1000.0))  # phase grows with range: -LOS
    opts = ["TILED=YES", f"BLOCKXSIZE={TILE}", f"BLOCKYSIZE={TILE}", "COMPRESS=ZSTD", "ZSTD_LEVEL=1",
            "PREDICTOR=3", "BIGTIFF=IF_SAFER"]
    ds_list = [create_tif(os.path.join(out, "tif", f"{dates[a]:%Y%m%d}-{dates[b]:%Y%m%d}_unw.tif"), rows, cols,
                          gt=GT, epsg=32614, options=opts, nodata=float("nan")) for a, b in pairs]
    xx = np.arange(cols, dtype=np.float32)
    truth = np.empty((rows, cols), np.float32)
    seasonal = (4.0 * np.sin(2 * np.pi * years)).astype(np.float32)
    for r0 in range(0, rows, TILE):
        r1 = min(rows, r0 + TILE)
        yy = np.arange(r0, r1, dtype=np.float32)[:, None]
        vel = bowl(yy, xx[None], rows, cols).astype(np.float32)
        truth[r0:r1] = vel
        ts = vel[None] * years[:, None, None] + seasonal[:, None, None]  # (n_dates, r, c) mm
        miss = rng.random((r1 - r0, cols)) < 0.03
        has_ref = r0 <= ref[0] < r1
        if has_ref:
            miss[ref[0] - r0, ref[1]] = False
        mr, mc = np.nonzero(miss)
        for k, (a, b) in enumerate(pairs):
            ph = ts[b] - ts[a]
            ph *= mm_to_rad
            clean = ph[ref[0] - r0, ref[1]] if has_ref else None
            noise = rng.standard_normal(ph.shape, dtype=np.float32)
            noise *= sigma_rad[k]
            ph += noise
            if has_ref:
                ph[ref[0] - r0, ref[1]] = clean
            drop = rng.random(mr.size) < 0.02
            ph[mr[drop], mc[drop]] = np.nan
            round_mantissa(ph)
            ds_list[k].GetRasterBand(1).WriteArray(ph, 0, r0)
        sys.stdout.write(f"\rrows {r1}/{rows}  {time.perf_counter() - t0:.0f} s")
        sys.stdout.flush()
    ds_list = None
    finish(out, truth, ref, rows=rows, cols=cols, n_dates=n_dates, n_ifgs=m)
    size = sum(os.path.getsize(os.path.join(out, "tif", f)) for f in os.listdir(os.path.join(out, "tif")))
    print(f"\nstack: {rows}x{cols} px, {n_dates} dates, {m} interferograms, {size / 1e9:.2f} GB on disk "
          f"({size / (rows * cols * m * 4):.2f} of float32), {time.perf_counter() - t0:.0f} s -> {out}")


if __name__ == "__main__":
    main()
