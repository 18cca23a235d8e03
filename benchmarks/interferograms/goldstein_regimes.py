"""The Goldstein filter's spectrum smoothing (SMOOTH_PX) across regimes, against Goldstein & Werner's classic filter
and dolphin's ``goldstein``, on known-truth frames and on real fringes.

Frames (tests/testutils_goldstein.regime_frames, two seeds): gentle fringes with 0.5 and 0.9 rad of phase noise,
steep fringes at coherence 0.4-0.8, a bowl of ~1 rad/px at coherence 0.3-0.9. Real: the 30 Sentinel-1 Mexico City
pairs of tests/data (8 looks, steep subsidence bowl; their unwrapped phase wrapped, no data left out). Scores: residues
(summed over the frames of a regime) and RMS of the wrapped difference from the truth (for Mexico City: from the
unwrapped phase, which holds the real noise too); CPU: the filter calls of the whole run, one thread. Steps, each in
its own Python (cases.py runs them):

    python3 goldstein_regimes.py frames DIR [SIZE]           # DIR/frames.npz
    python3 goldstein_regimes.py classic DIR                 # the independent classic filter (3 x 3 smoothing)
    PEER_PYTHON goldstein_regimes.py dolphin DIR             # dolphin.goldstein.goldstein(psize=32)
    python3 goldstein_regimes.py ours DIR SMOOTH [QUALITY]   # algorithms.interferograms.interferogramfilter,
                                                             # SMOOTH_PX and SMOOTH_QUALITY (the default when left out)
    python3 goldstein_regimes.py table DIR                   # everything found in DIR, side by side
"""

from __future__ import annotations

import glob
import os
import sys
import time

import numpy as np

ALPHA = 0.5
PATCH = 32
SEEDS = (0, 1)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MEXICO = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city", "geotiffs")


def frames(folder: str, size: int) -> None:
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from osgeo import gdal
    from testutils_goldstein import regime_frames

    out, names = {}, []
    for seed in SEEDS:
        for k, (regime, truth, z) in enumerate(regime_frames(size, seed)):
            key = f"f{seed}_{k}"
            out[key], out[key + "_truth"] = z.astype(np.complex64), truth
            names.append((key, regime))
    for k, path in enumerate(sorted(glob.glob(os.path.join(MEXICO, "*_unw.tif")))):
        ds = gdal.Open(path)
        unw = ds.GetRasterBand(1).ReadAsArray().astype(np.float64)
        nodata = ds.GetRasterBand(1).GetNoDataValue()
        ds = None
        if nodata is not None:
            unw[unw == nodata] = np.nan
        key = f"m{k}"
        out[key], out[key + "_truth"] = np.exp(1j * unw).astype(np.complex64), unw
        names.append((key, "Mexico City, 30 real pairs"))
    out["names"] = np.array([f"{k}|{r}" for k, r in names])
    os.makedirs(folder, exist_ok=True)
    np.savez(os.path.join(folder, "frames.npz"), **out)


def _run(folder: str, tag: str, fn) -> None:
    data = np.load(os.path.join(folder, "frames.npz"))
    results, cpu = {}, 0.0
    for item in data["names"]:
        key = str(item).split("|")[0]
        z = data[key]
        t0 = time.process_time()
        res = fn(z)
        cpu += time.process_time() - t0
        results[key] = np.asarray(res, np.complex64)
    results["cpu"] = np.array(cpu)
    np.savez(os.path.join(folder, f"{tag}.npz"), **results)


def table(folder: str) -> None:
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from testutils_goldstein import phase_error, residue_count

    data = np.load(os.path.join(folder, "frames.npz"))
    ours = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(folder, "ours_*.npz")))
    paths = {t: os.path.join(folder, f"{t}.npz") for t in ["classic", "dolphin"] + ours}
    runs = {t: np.load(p) for t, p in paths.items() if os.path.exists(p)}
    regimes: dict = {}
    for item in data["names"]:
        key, regime = str(item).split("|")
        regimes.setdefault(regime, []).append(key)
    cols = ["input"] + list(runs)
    print(f"alpha {ALPHA}, patch {PATCH}; residues summed over the frames / mean RMS error (rad); "
          f"frames {data[data['names'][0].split('|')[0]].shape}, seeds {SEEDS}")
    print("| regime | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for regime, keys in regimes.items():
        cells = []
        for c in cols:
            res, err = 0, []
            for k in keys:
                truth = data[k + "_truth"]
                v = data[k] if c == "input" else runs[c][k]
                v = np.where(np.isfinite(truth), v, np.nan)
                res += residue_count(v)
                err.append(phase_error(v, truth))
            cells.append(f"{res} / {np.mean(err):.3f}")
        print(f"| {regime} | " + " | ".join(cells) + " |")
    print("| CPU-s, whole run | - | " + " | ".join(f"{float(r['cpu']):.2f}" for r in runs.values()) + " |")


def main(argv):
    mode, folder = argv[1], argv[2]
    if mode == "frames":
        frames(folder, int(argv[3]) if len(argv) > 3 else 512)
    elif mode == "classic":
        sys.path.insert(0, os.path.join(ROOT, "tests"))
        from testutils_goldstein import classic_goldstein

        _run(folder, "classic", lambda z: classic_goldstein(z, ALPHA, PATCH, PATCH // 2, 3))
    elif mode == "dolphin":
        from dolphin.goldstein import goldstein

        _run(folder, "dolphin", lambda z: goldstein(z, ALPHA, psize=PATCH))
    elif mode == "ours":
        smooth = int(argv[3])
        sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))
        from insar_geohazards.algorithms.interferograms import interferogramfilter as filtering

        quality = float(argv[4]) if len(argv) > 4 else filtering.SMOOTH_QUALITY_DEFAULT
        _run(folder, f"ours_s{smooth}_q{quality:g}", lambda z: filtering.filter_array(
            z, method="goldstein", alpha=ALPHA, patch=PATCH, step=PATCH // 2, smooth=smooth,
            smooth_quality=quality)[0])
    elif mode == "table":
        table(folder)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv)
