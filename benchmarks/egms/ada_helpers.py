"""What ada_dask.sh asks between its runs:

    ada_helpers.py layers GPKG                  the feature layers of a GeoPackage, on one line
    ada_helpers.py same A.gpkg B.gpkg           the same ADAs? (every feature row byte for byte; exit 1 if not)
    ada_helpers.py score TRUTH.json POINTS.gpkg LAYER ADA.gpkg   a track layer's ADAs against make_tiles.py's
                                                planted areas, with benchmarks/ada/synthetic.py's rules
    ada_helpers.py proc-tree PID                CPU seconds and peak RSS (VmHWM) of a process and its live
                                                descendants: ``cpu_s=<total> rss_mb=<pid>:<MB>,...``
"""

import json
import os
import sqlite3
import sys
import tempfile

from common import steps


def _features(path):
    con = sqlite3.connect(path)
    names = [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents WHERE data_type='features'")]
    return con, names


def layers(path):
    print(" ".join(_features(path)[1]))


def same(a, b):
    def rows(path):
        con, tables = _features(path)
        table = tables[0]
        out = con.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()
        cols = [d[1] for d in con.execute(f'PRAGMA table_info("{table}")')]
        con.close()
        return cols, out

    (ca, ra), (cb, rb) = rows(a), rows(b)
    bad = [i for i, (x, y) in enumerate(zip(ra, rb)) if x != y]
    if ca != cb or len(ra) != len(rb) or bad:
        print(f"differ: columns {ca == cb}, {len(ra)} vs {len(rb)} ADAs" if ca != cb or len(ra) != len(rb) else
              f"differ: {len(bad)} of {len(ra)} ADAs (first row {bad[0]})")
        sys.exit(1)
    print(f"same {len(ra)} ADAs (every geometry and attribute byte-identical)")


def score(truth, points, layer, ada):
    import numpy as np

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "ada"))
    from synthetic import load
    from synthetic import score as evaluate

    areas = np.array(json.load(open(truth))["areas"], float)
    con = sqlite3.connect(points)
    xyz = np.array(con.execute(f'SELECT easting, northing, mean_velocity FROM "{layer}"').fetchall(), float)
    con.close()
    with tempfile.TemporaryDirectory() as tmp:
        npz = os.path.join(tmp, "truth.npz")
        np.savez(npz, x=xyz[:, 0], y=xyz[:, 1], v=xyz[:, 2], areas=areas)
        s = evaluate(npz, load(ada))
    print(f"  {layer}: {xyz.shape[0]} points, {s['n_polygons']} ADAs, precision {s['precision']:.2f}, recall "
          f"{s['recall_all']:.2f} of {s['n_planted']} planted, {s['recall_resolvable']:.2f} of {s['n_resolvable']} "
          "resolvable")


def proc_tree(pid):
    todo, tree = [int(pid)], []
    while todo:
        p = todo.pop()
        tree.append(p)
        for t in os.listdir(f"/proc/{p}/task"):
            try:
                with open(f"/proc/{p}/task/{t}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
            except OSError:
                pass
    tick = os.sysconf("SC_CLK_TCK")
    cpu, rss = 0.0, []
    for p in tree:
        try:
            with open(f"/proc/{p}/stat") as fh:
                f = fh.read().rsplit(")", 1)[1].split()
            cpu += (int(f[11]) + int(f[12])) / tick  # utime, stime
            with open(f"/proc/{p}/status") as fh:
                hwm = next(line for line in fh if line.startswith("VmHWM"))
            rss.append(f"{p}:{int(hwm.split()[1]) / 1024:.0f}")
        except (OSError, StopIteration):
            pass
    print(f"cpu_s={cpu:.2f} rss_mb={','.join(rss)}")


if __name__ == "__main__":
    steps(__doc__, layers=layers, same=same, score=score, proc_tree=proc_tree)
