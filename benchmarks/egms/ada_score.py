"""Score the ADA polygons of one track layer against the planted areas of make_tiles.py (truth.json), with
benchmarks/ada/evaluate.py's rules (a polygon is right when >= 50 % of it lies in one planted ellipse; recall
over all planted areas and over the resolvable ones: beyond 2 std of the velocities with >= 10 points).
Usage: /usr/bin/python3 ada_score.py TRUTH.json POINTS.gpkg LAYER ADA.gpkg"""

import json
import os
import sqlite3
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "ada"))
from evaluate import load, score  # noqa: E402


def main(truth, points, layer, ada):
    areas = np.array(json.load(open(truth))["areas"], float)
    con = sqlite3.connect(points)
    xyz = np.array(con.execute(f'SELECT easting, northing, mean_velocity FROM "{layer}"').fetchall(), float)
    con.close()
    with tempfile.TemporaryDirectory() as tmp:
        npz = os.path.join(tmp, "truth.npz")
        np.savez(npz, x=xyz[:, 0], y=xyz[:, 1], v=xyz[:, 2], areas=areas)
        s = score(npz, load(ada))
    print(f"  {layer}: {xyz.shape[0]} points, {s['n_polygons']} ADAs, precision {s['precision']:.2f}, recall "
          f"{s['recall_all']:.2f} of {s['n_planted']} planted, {s['recall_resolvable']:.2f} of {s['n_resolvable']} "
          "resolvable")


if __name__ == "__main__":
    main(*sys.argv[1:5])
