"""Tiled vs global built-in unwrapping: correct-cycle share on compare.py's synthetic cases and on re-wrapped real
interferograms of tests/data, with tile heights and overlaps forced small.

Usage: /usr/bin/python3 benchmarks/unwrap/tiles.py [N_SEEDS]   (numpy, scipy, numba, GDAL; no QGIS)
"""

import glob
import os
import sys

import numpy as np
from testutils_unwrap import BENCH_CASES, correct_share, synthetic_interferogram

from insar_geohazards.algorithms.formats.dates import parse_date_pair
from insar_geohazards.algorithms.unwrap.unwrap import unwrap_interferogram
from insar_geohazards.algorithms.unwrap.unwrap_tiles import unwrap_array_tiled

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

CASES = BENCH_CASES
#: (tile rows, halo rows) tried on the 300-row synthetic rasters
TILINGS = [(64, 16), (64, 32), (100, 32), (100, 64), (150, 64)]
#: the real rasters are 60-72 rows: smaller tiles
REAL_TILINGS = [(16, 8), (20, 10), (30, 15)]


def real_sets():
    from osgeo import gdal

    sets = [("Mexico City S1 (30)", "sentinel1_mexico_city", "geotiffs/*_unw.tif", "geotiffs/*_cc.tif"),
            ("Envisat (17)", "envisat_small_test", "tif/*_unw.tif", None)]
    for label, dataset, pattern, coh_pattern in sets:
        root = os.path.join(ROOT, "tests", "data", dataset)
        cohs = {}
        if coh_pattern:
            for f in glob.glob(os.path.join(root, coh_pattern)):
                cohs[parse_date_pair(os.path.basename(f))] = f
        items = []
        for f in sorted(glob.glob(os.path.join(root, pattern))):
            ds = gdal.Open(f)
            band = ds.GetRasterBand(1)
            a = band.ReadAsArray().astype(np.float64)
            a[(a == band.GetNoDataValue()) | (a == 0)] = np.nan
            coh = None
            if coh_pattern:
                dc = gdal.Open(cohs[parse_date_pair(os.path.basename(f))])
                coh = dc.GetRasterBand(1).ReadAsArray().astype(np.float32)
            items.append((a, coh))
        yield label, items


def main(n_seeds=3):
    print(f"{'case':38s} {'global':>8s} " + " ".join(f"{f't{t}/h{h}':>9s}" for t, h in TILINGS))
    for case, kw in CASES.items():
        g, t = [], {k: [] for k in TILINGS}
        for seed in range(n_seeds):
            d = synthetic_interferogram(seed=seed, **kw)
            region = d["land"] & (d["coherence"] >= 0.3)
            r = unwrap_interferogram(d["wrapped"], d["coherence"])
            g.append(correct_share(r.unwrapped, r.components, d["truth"], region))
            for tr, h in TILINGS:
                u, c, _ = unwrap_array_tiled(d["wrapped"], d["coherence"], tile_rows=tr, halo=h)
                t[(tr, h)].append(correct_share(u, c, d["truth"], region))
        print(f"{case:38s} {100 * np.mean(g):8.3f} " + " ".join(f"{100 * np.mean(t[k]):9.3f}" for k in TILINGS))
    print(f"\n{'real, re-wrapped (mean / worst)':38s} {'global':>15s} "
          + " ".join(f"{f't{t}/h{h}':>15s}" for t, h in REAL_TILINGS))
    for label, items in real_sets():
        g, t = [], {k: [] for k in REAL_TILINGS}
        for a, coh in items:
            w = np.angle(np.exp(1j * a)).astype(np.float32)
            region = np.isfinite(a)
            opts = dict(min_coherence=0.0, min_component_size=1)
            r = unwrap_interferogram(w, coh, **opts)
            g.append(correct_share(r.unwrapped, r.components, a, region))
            for tr, h in REAL_TILINGS:
                u, c, _ = unwrap_array_tiled(w, coh, tile_rows=tr, halo=h, **opts)
                t[(tr, h)].append(correct_share(u, c, a, region))
        fmt = lambda v: f"{100 * np.mean(v):7.3f}/{100 * np.min(v):7.3f}"  # noqa: E731
        print(f"{label:38s} {fmt(g):>15s} " + " ".join(f"{fmt(t[k]):>15s}" for k in REAL_TILINGS))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
