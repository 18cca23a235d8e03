"""The basin detector (``geohazard:basindetection``) on frames from generators it was not trained or tuned on.

Trained on ``algorithms/interferograms/basin_sim.py`` (models/detector/train_basin_detector.py); scored here on the
two independent generators of ``tests/testutils_basin_frames.py`` ("lobes": Mogi sources, multi-lobed and skewed
basins, octave-noise atmosphere, exponential stratification over ridges, coherence speckle, convective rings;
"ellipses": compact and flat-bottomed elliptic basins, random-phase power-law screens of exponent 5/3-11/3, the
stratification of a real DEM, patchy noise, blobs and dipoles) and, for comparison, on the training simulator's
held-out seeds. A detection is right when its centre lies in a basin's footprint not yet found, a repeat when the
footprint was found already, false otherwise (at bait or away from it).

    /usr/bin/python3 benchmarks/interferograms/basin_generalisation.py [--frames 100] [--seed0 500000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from testutils_basin_frames import GENERATORS, BasinFrame, precision_recall, score_frame  # noqa: E402

from insar_geohazards.algorithms.interferograms import basin_sim  # noqa: E402
from insar_geohazards.algorithms.interferograms import basindetection as detection  # noqa: E402
from insar_geohazards.fileio.interferograms.basindetection import load_model  # noqa: E402


def training_family(seed):
    """A frame of the training simulator with footprints: disks of each basin's radius (bait not located)."""
    fr = basin_sim.simulate_frame(seed)
    yy, xx = np.indices(fr.phase.shape)
    labels = np.zeros(fr.phase.shape, dtype=np.int32)
    for k, (r, c, rad) in enumerate(fr.truth):
        labels[(np.hypot(yy + 0.5 - r, xx + 0.5 - c) <= 0.5 * max(rad, 6.0)) & (labels == 0)] = k + 1
    return BasinFrame(fr.phase, fr.truth, labels, np.zeros_like(labels), fr.bait)


def evaluate(generator, seeds, model, threshold=None):
    counts = {"right": 0, "repeat": 0, "false_at_bait": 0, "false_away": 0, "missed": 0}
    cpu = 0.0
    for s in seeds:
        fr = generator(int(s))
        t0 = time.process_time()
        dets = detection.detect_frame(fr.phase, model, threshold=threshold)
        cpu += time.process_time() - t0
        for k, v in score_frame(dets, fr).items():
            counts[k] += v
    return counts, cpu


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--seed0", type=int, default=500000)
    ap.add_argument("--threshold", type=float, default=None)
    ap.add_argument("--model", default=None)
    args = ap.parse_args(argv)
    model = load_model(args.model) if args.model else load_model()
    seeds = range(args.seed0, args.seed0 + args.frames)
    gens = dict(GENERATORS, training=training_family)
    print(f"model threshold {model['threshold']}, frames {args.seed0}..{args.seed0 + args.frames - 1} per generator")
    print("| generator | basins | right | repeats | false at bait | false away | missed | precision | recall | CPU-s "
          "a frame |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    cells = []
    for name, gen in gens.items():
        c, cpu = evaluate(gen, seeds, model, args.threshold)
        p, r = precision_recall(c)
        n = c["right"] + c["missed"]
        print(f"| {name} | {n} | {c['right']} | {c['repeat']} | {c['false_at_bait']} | {c['false_away']} | "
              f"{c['missed']} | {p:.3f} | {r:.3f} | {cpu / args.frames:.2f} |", flush=True)
        cells.append(f"{name} {p:.3f} / {r:.3f}")
    print(json.dumps({"bench": {"accuracy": "precision / recall: " + ", ".join(cells)}}))


if __name__ == "__main__":
    main()
