"""Write a synthetic fractal DEM (spectral synthesis, beta = 3.2) as a tiled GeoTIFF: a 4096 x 4096 tile mirrored
to fill the grid, so memory stays small up to a gigapixel; ``DEM_ZLEVEL`` sets the DEFLATE level (default 6).

Usage: python3 make_fractal_dem.py OUT.tif N_ROWS N_COLS [PIXEL_M] [RELIEF_M]
"""

import os
import sys

import numpy as np
from common import create_tif


def fractal_tile(n, beta=3.2, seed=0):
    rng = np.random.default_rng(seed)
    kx = np.fft.fftfreq(n)[None, :]
    ky = np.fft.fftfreq(n)[:, None]
    k = np.hypot(kx, ky)
    k[0, 0] = 1.0
    spec = (rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))) * k ** (-beta / 2)
    spec[0, 0] = 0
    z = np.real(np.fft.ifft2(spec))
    return ((z - z.min()) / (z.max() - z.min())).astype(np.float32)


def main():
    out, rows, cols = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    pixel = float(sys.argv[4]) if len(sys.argv) > 4 else 20.0
    relief = float(sys.argv[5]) if len(sys.argv) > 5 else 2500.0
    tile = fractal_tile(4096) * relief
    mirrored = np.block([[tile, tile[:, ::-1]], [tile[::-1], tile[::-1, ::-1]]])
    ds = create_tif(out, rows, cols, gt=(4000000.0, pixel, 0.0, 3000000.0, 0.0, -pixel), epsg=3035,
                    options=["TILED=YES", "COMPRESS=DEFLATE", "PREDICTOR=3", "BIGTIFF=YES", "NUM_THREADS=ALL_CPUS",
                             "ZLEVEL=" + os.environ.get("DEM_ZLEVEL", "6")])
    band = ds.GetRasterBand(1)
    period = mirrored.shape[0]
    for r0 in range(0, rows, 1024):
        r1 = min(rows, r0 + 1024)
        rr = np.arange(r0, r1) % period
        block = np.empty((r1 - r0, cols), np.float32)
        for c0 in range(0, cols, period):
            c1 = min(cols, c0 + period)
            block[:, c0:c1] = mirrored[rr][:, : c1 - c0]
        band.WriteArray(block, 0, r0)
    ds = None


if __name__ == "__main__":
    main()
