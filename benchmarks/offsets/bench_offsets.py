"""Offset tracking vs scikit-image ``phase_cross_correlation``: accuracy and speed on the same patches.

Synthetic 1024 x 1024 textures (tests/testutils_kinematics.py) moved by a sub-pixel translation and by a rotation +
translation; 64 x 64 windows every 16 px (ours searches +-16 px; scikit-image ``upsample_factor=50``). RMS of the
offset error on the cells both return; CPU time of the whole field, one thread, after an untimed full-size run.

  INSAR_GEOHAZARDS_FFT_WORKERS=1 .build/venv-bench/bin/python benchmarks/offsets/bench_offsets.py
or `make bench FAMILY=offsets CASE=tracking`.
"""

import os
import time

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")  # before numpy/numba load: one thread each, CPU time comparable

import numpy as np  # noqa: E402
import testutils_kinematics as kt  # noqa: E402
from skimage.registration import phase_cross_correlation  # noqa: E402

from insar_geohazards.algorithms.kinematics import offsets as off  # noqa: E402

N = int(os.environ.get("BENCH_N", "1024"))
W, S, STEP, UP, UP_SK = 64, 16, 16, 10, 50


def skimage_field(ref, sec, normalization):
    n_r, n_c, shift = off.output_grid(*ref.shape, window=W, step=STEP)
    dx = np.full((n_r, n_c), np.nan)
    dy = np.full((n_r, n_c), np.nan)
    start = (STEP - W) // 2
    for i in range(n_r):
        r0 = i * STEP + start
        if r0 - S < 0 or r0 + W + S > ref.shape[0]:
            continue
        for j in range(n_c):
            c0 = j * STEP + start
            if c0 - S < 0 or c0 + W + S > ref.shape[1]:
                continue
            # skimage returns the shift that registers moving onto reference: -(displacement)
            shift_rc, _, _ = phase_cross_correlation(ref[r0:r0 + W, c0:c0 + W], sec[r0:r0 + W, c0:c0 + W],
                                                     upsample_factor=UP_SK, normalization=normalization)
            dy[i, j], dx[i, j] = -shift_rc[0], -shift_rc[1]
    return dx, dy


def main():
    rng = np.random.default_rng(42)
    img0 = kt.texture((64, 64), "smooth", 0)
    off.offset_field(img0, img0, window=32, search=4, step=16)  # compile the kernels
    warm = kt.texture((N, N), "smooth", seed=999)
    warm_sec = kt.fourier_shift(warm, 0.3, -0.7)
    off.offset_field(warm, warm_sec, window=W, search=S, step=STEP, upsample=UP)  # untimed full-size runs
    off.offset_field(warm, warm_sec, window=W, search=S, step=STEP, subpixel="parabolic")
    skimage_field(warm[:256, :256], warm_sec[:256, :256], "phase")
    print(f"image {N} x {N}, window {W}, search +-{S}, step {STEP}, upsample ours {UP} (+ parabola), skimage "
          f"{UP_SK}; load: {os.getloadavg()}")
    print("| texture | motion | ours dft RMS (px) | ours parabolic RMS | skimage phase RMS | skimage plain RMS | "
          "cells | ours dft (s) | ours parabolic (s) | skimage phase (s) | skimage plain (s) | "
          "speed-up dft / parabolic (vs faster skimage) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for kind in ("smooth", "fractal", "speckle"):
        img = kt.texture((N, N), kind, seed=int(rng.integers(1000)))
        dy, dx = rng.uniform(-4, 4, 2)
        cases = [(f"shift ({dy:.2f}, {dx:.2f})", kt.fourier_shift(img, dy, dx), None)]
        sec, truth = kt.affine_pair(img, rotation_deg=1.0, dy=dy, dx=dx)
        cases.append(("rotation 1 deg + shift", sec, truth))
        for name, sec, truth in cases:
            t0 = time.process_time()
            r = off.offset_field(img, sec, window=W, search=S, step=STEP, upsample=UP)
            t_ours = time.process_time() - t0
            t0 = time.process_time()
            rp = off.offset_field(img, sec, window=W, search=S, step=STEP, subpixel="parabolic")
            t_par = time.process_time() - t0
            t0 = time.process_time()
            sx, sy = skimage_field(img, sec, "phase")
            t_sk = time.process_time() - t0
            t0 = time.process_time()
            px, py = skimage_field(img, sec, None)
            t_pl = time.process_time() - t0
            rr, cc = kt.cell_centres(*r["dx"].shape, step=STEP, shift_px=r["shift_px"])
            if truth is None:
                ty, tx = np.full(rr.shape, dy), np.full(rr.shape, dx)
            else:
                ty, tx = truth(rr, cc)
            both = np.isfinite(r["dx"]) & np.isfinite(sx)
            e_o = np.concatenate([(r["dx"] - tx)[both], (r["dy"] - ty)[both]])
            e_s = np.concatenate([(sx - tx)[both], (sy - ty)[both]])
            e_p = np.concatenate([(px - tx)[both], (py - ty)[both]])
            both_p = both & np.isfinite(rp["dx"])
            e_q = np.concatenate([(rp["dx"] - tx)[both_p], (rp["dy"] - ty)[both_p]])
            fast = min(t_sk, t_pl)
            print(f"| {kind} | {name} | {np.sqrt(np.mean(e_o ** 2)):.4f} | {np.sqrt(np.mean(e_q ** 2)):.4f} | "
                  f"{np.sqrt(np.mean(e_s ** 2)):.4f} | {np.sqrt(np.mean(e_p ** 2)):.4f} | "
                  f"{int(both.sum())} of {int(np.isfinite(sx).sum())} | {t_ours:.2f} | {t_par:.2f} | {t_sk:.2f} | "
                  f"{t_pl:.2f} | {fast / t_ours:.1f}x / {fast / t_par:.1f}x |", flush=True)


def fft_floor(n_cells=3364):
    """CPU time of the FFTs the method needs for ``n_cells`` (single precision, batched): the integer search
    on shared 16 x 16 tiles (one tile per cell at step 16: tile and search area forward, product inverse, all
    48 x 48) and the refinement (two 64 x 64 windows forward)."""
    from scipy import fft

    t, w = STEP + 2 * S, W
    a = np.random.default_rng(0).random((n_cells // 4, t, t)).astype(np.float32)
    g = np.random.default_rng(2).random((n_cells // 4, STEP, STEP)).astype(np.float32)
    b = np.random.default_rng(1).random((n_cells // 4, w, w)).astype(np.float32)
    t0 = time.process_time()
    for _ in range(4):
        fa, fg = fft.rfft2(a, workers=1), fft.rfft2(g, s=(t, t), workers=1)
        fft.irfft2(fa * fg, s=(t, t), workers=1)
        fft.rfft2(b, workers=1)
        fft.rfft2(b, workers=1)
    print(f"FFT floor for {n_cells} cells (single precision, one thread): {time.process_time() - t0:.2f} s CPU")


if __name__ == "__main__":
    main()
    fft_floor()
