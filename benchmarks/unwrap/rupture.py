"""Built-in unwrapper vs SNAPHU on co-seismic interferograms cut by a decorrelated surface rupture.

Usage: python rupture.py [--coherence true|estimated] [--seed-offset N]
(numpy, scipy, numba and snaphu 0.4.1; make bench FAMILY=unwrap CASE=rupture, in .build/venv-unwrap; no QGIS)

The cases (:data:`CASES`) and the score: docs/unwrap.md, "Co-seismic interferograms cut by a surface rupture". Both
get the same coherence, true or estimated; ``--seed-offset`` draws other fields for the same cases. SNAPHU:
snaphu-py 0.4.1, ``cost="smooth", init="mcf"``, scored with its own connected components.
"""

import sys
import time

import numpy as np
from testutils_unwrap import correct_share, rupture_interferogram

from insar_geohazards.algorithms.unwrap.unwrap import unwrap_interferogram

#: hidden-like coherence beside the rupture: it falls towards 0.25 over 40 px with pixel-scale patchiness,
#: so the ground beside the strip is a lace of coherent patches around the 0.3 threshold
LACE = dict(edge_coherence=0.25, drop_px=40.0, patch_sigma_px=0.0, patch_std=0.1)
PATCHY = dict(edge_coherence=0.3, drop_px=30.0, patch_sigma_px=0.0, patch_std=0.15)

# name: kwargs of rupture_interferogram. Mechanism, slip (m), trace shape, strip width (px), looks,
# coherence beside the rupture; seeds fixed per case.
CASES = {
    "strike-slip 1 m straight w3 L9": dict(seed=0, slip_m=1.0),
    "strike-slip 3 m straight w1 L20": dict(seed=1, slip_m=3.0, strip_px=1.0, looks=20),
    "strike-slip 0.5 m curved w6 L4": dict(seed=2, slip_m=0.5, trace="curved", strip_px=6.0, looks=4),
    "strike-slip 1.5 m en-echelon w3 L9": dict(seed=3, slip_m=1.5, trace="en-echelon"),
    "strike-slip 1.5 m partial w3 L9": dict(seed=4, slip_m=1.5, partial=True),
    "strike-slip 3 m curved partial w10 L20": dict(seed=5, slip_m=3.0, trace="curved", partial=True,
                                                   strip_px=10.0, looks=20, bottom_m=20000.0),
    "strike-slip 2 m straight w3 L20 lace": dict(seed=6, slip_m=2.0, looks=20, **LACE),
    "strike-slip 1 m partial w1 L20 lace": dict(seed=7, slip_m=1.0, partial=True, strip_px=1.0, looks=20, **LACE),
    "strike-slip 2 m curved w3 L9 patchy, coh 0.2-0.95": dict(seed=8, slip_m=2.0, trace="curved",
                                                              coh_range=(0.2, 0.95), **PATCHY),
    "thrust 1 m straight w3 L9": dict(seed=10, mechanism="thrust", slip_m=1.0),
    "thrust 3 m curved w6 L20": dict(seed=11, mechanism="thrust", slip_m=3.0, trace="curved", strip_px=6.0,
                                     looks=20, bottom_m=20000.0),
    "thrust 2 m partial w1 L9": dict(seed=12, mechanism="thrust", slip_m=2.0, partial=True, strip_px=1.0),
    "thrust 1 m en-echelon w3 L4": dict(seed=13, mechanism="thrust", slip_m=1.0, trace="en-echelon", looks=4),
    "thrust 2 m straight w3 L20 lace": dict(seed=14, mechanism="thrust", slip_m=2.0, looks=20, **LACE),
    "thrust 1.5 m partial w6 L9 patchy": dict(seed=15, mechanism="thrust", slip_m=1.5, partial=True,
                                              strip_px=6.0, **PATCHY),
    "normal 1 m straight w10 L9": dict(seed=20, mechanism="normal", slip_m=1.0, strip_px=10.0),
    "normal 2 m partial w3 L20": dict(seed=21, mechanism="normal", slip_m=2.0, partial=True, looks=20),
    "normal 0.5 m en-echelon w1 L9": dict(seed=22, mechanism="normal", slip_m=0.5, trace="en-echelon",
                                          strip_px=1.0),
    "normal 3 m curved w6 L4": dict(seed=23, mechanism="normal", slip_m=3.0, trace="curved", strip_px=6.0,
                                    looks=4, bottom_m=20000.0),
    "normal 1.5 m curved partial w3 L20 lace": dict(seed=24, mechanism="normal", slip_m=1.5, trace="curved",
                                                    partial=True, looks=20, **LACE),
    "normal 2 m straight w1 L9 patchy, coh 0.2-0.95": dict(seed=25, mechanism="normal", slip_m=2.0,
                                                           strip_px=1.0, coh_range=(0.2, 0.95), **PATCHY),
}


def snaphu_run(d, coherence, looks):
    import snaphu

    t = time.perf_counter()
    unw, cc = snaphu.unwrap(np.exp(1j * d["wrapped"]).astype(np.complex64), coherence, nlooks=float(looks),
                            cost="smooth", init="mcf")
    return np.where(cc > 0, unw, np.nan), cc, time.perf_counter() - t


def main(coherence="true", seed_offset=0):
    print(f"coherence given to both: {coherence}; seeds: the case list's + {seed_offset}")
    print(f"{'case':50s} {'ours %':>7s} {'SNAPHU %':>8s} {'diff':>6s} {'out ours':>8s} {'out SN':>6s} "
          f"{'comp':>4s} {'SN':>3s} {'s ours':>6s} {'s SN':>5s}")
    diffs, ours_all = [], []
    for name, kw in CASES.items():
        d = rupture_interferogram(**{**kw, "seed": kw["seed"] + seed_offset})
        region = d["land"] & (d["coherence"] >= 0.3)
        coh = d["coherence"] if coherence == "true" else d["estimated_coherence"]
        t = time.perf_counter()
        r = unwrap_interferogram(d["wrapped"], coh)
        sec = time.perf_counter() - t
        ours = correct_share(r.unwrapped, r.components, d["truth"], region)
        out = (region & (r.components == 0)).sum() / region.sum()
        ncomp = len(np.unique(r.components[r.components > 0]))
        ours_all.append(ours)
        su, sc, ssec = snaphu_run(d, coh, kw.get("looks", 9))
        sn = correct_share(su, sc, d["truth"], region)
        sout = (region & (sc == 0)).sum() / region.sum()
        diffs.append(ours - sn)
        print(f"{name:50s} {100 * ours:7.2f} {100 * sn:8.2f} {100 * (ours - sn):+6.2f} {100 * out:8.2f} "
              f"{100 * sout:6.2f} {ncomp:4d} {len(np.unique(sc[sc > 0])):3d} {sec:6.2f} {ssec:5.2f}", flush=True)
    print(f"mean ours {100 * np.mean(ours_all):.2f} %, worst {100 * np.min(ours_all):.2f} %")
    print(f"ours - SNAPHU: worst {100 * min(diffs):+.2f} points, mean {100 * np.mean(diffs):+.2f}")


if __name__ == "__main__":
    args = sys.argv[1:]
    coh = args[args.index("--coherence") + 1] if "--coherence" in args else "true"
    offset = int(args[args.index("--seed-offset") + 1]) if "--seed-offset" in args else 0
    main(coh, offset)
