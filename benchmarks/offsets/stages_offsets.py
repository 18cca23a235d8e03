"""Where the CPU of ``offset_field`` goes at its defaults (window 64, search +-16, step 16, high-pass 4 px,
upsampled DFT x10 + parabola) on the benchmark's 1024 x 1024 fractal pair: CPU seconds (process_time) per
stage, every library on one thread, from wrappers around the module's kernels and its FFT calls.

Run from the repository root after `make link` (any Python with numpy, scipy and numba; the bench venv works):
  .build/venv-bench/bin/python benchmarks/offsets/stages_offsets.py
"""

import collections
import os
import sys
import time
import types

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
os.environ.setdefault("INSAR_GEOHAZARDS_FFT_WORKERS", "1")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(ROOT, ".build", "plugins"), os.path.join(ROOT, "tests")]  # `make link` first

import testutils_kinematics as kt  # noqa: E402

from insar_geohazards.algorithms.kinematics import offsets as off  # noqa: E402

acc = collections.defaultdict(float)
state = {"in_refine": False}
def wrap(name, fn, cat):
    def w(*a, **k):
        t0 = time.process_time()
        try:
            return fn(*a, **k)
        finally:
            acc[cat] += time.process_time() - t0
    for mod in (off, off.levels, off.matching, off.search, off.field):  # every module that calls it
        if hasattr(mod, name):
            setattr(mod, name, w)
fft, kw = off.levels._fft_backend()
proxy = types.SimpleNamespace()
for fname in ("rfft2", "rfft", "fft", "ifft", "irfft"):
    def mk(f):
        def g(*a, **k):
            t0 = time.process_time()
            r = f(*a, **k)
            key = "FFT refinement (2 x rfft2 64x64)" if state["in_refine"] else "FFT integer search (tiles 48x48)"
            acc[key] += time.process_time() - t0
            return r
        return g
    setattr(proxy, fname, mk(getattr(fft, fname)))
for mod in (off.levels, off.matching, off.search):
    mod._fft_backend = lambda: (proxy, kw)
orig_refine = off.matching._refine_dft
def refine(*a, **k):
    state["in_refine"] = True
    try:
        return orig_refine(*a, **k)
    finally:
        state["in_refine"] = False
for mod in (off.matching, off.search):
    mod._refine_dft = refine
wrap("_upsampled_peaks", off.matching._upsampled_peaks, "upsampled DFT (17 x 17 around the peak)")
wrap("_tapered_windows", off.matching._tapered_windows, "tapered refinement windows")
for n in ("_tiled_ncc", "_integral", "_sum_tile_rows"):
    wrap(n, getattr(off.search, n), "NCC normalisation + peaks (integral images, tile sums)")
for n in ("_window_stats", "_shared_min_sub_std"):
    wrap(n, getattr(off.search, n), "window statistics (flatness tests)")
wrap("_gather_tiles", off.search._gather_tiles, "tile gathering")
wrap("highpass", off.highpass, "high-pass filters")
for n in ("robust_spread", "sampled_noise"):
    wrap(n, getattr(off, n), "image spread + noise estimates")
wrap("finalize_field", off.finalize_field, "median test")
img = kt.texture((1024, 1024), "fractal", seed=5)
sec = kt.fourier_shift(img, 1.58, -3.25)
off.offset_field(img, sec)
acc.clear()
REP = 10
t0 = time.process_time()
for _ in range(REP):
    off.offset_field(img, sec)
tot = (time.process_time() - t0) / REP
print(f"total {tot:.3f} s CPU per 1024 x 1024 field (3364 cells), load {os.getloadavg()[0]:.1f}")
named = 0
for k, v in sorted(acc.items(), key=lambda kv: -kv[1]):
    print(f"  {k}: {v / REP:.4f} s ({100 * v / REP / tot:.0f} %)")
    named += v / REP
print(f"  rest (Python, masks, bookkeeping): {tot - named:.4f} s ({100 * (tot - named) / tot:.0f} %)")
