"""Are two adadetection outputs the same ADAs? Compares every feature row (geometry blob and all attributes)
of the single feature table of two GeoPackages, byte for byte, in fid order.
Usage: /usr/bin/python3 ada_same.py A.gpkg B.gpkg   (prints "same N ADAs" or what differs; exit 1 if they differ)"""

import sqlite3
import sys


def rows(path):
    con = sqlite3.connect(path)
    (table,) = con.execute("SELECT table_name FROM gpkg_contents WHERE data_type='features'").fetchone()
    out = con.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()
    cols = [d[1] for d in con.execute(f'PRAGMA table_info("{table}")')]
    con.close()
    return cols, out


def main(a, b):
    ca, ra = rows(a)
    cb, rb = rows(b)
    if ca != cb or len(ra) != len(rb):
        print(f"differ: columns {ca == cb}, {len(ra)} vs {len(rb)} ADAs")
        return 1
    bad = [i for i, (x, y) in enumerate(zip(ra, rb)) if x != y]
    if bad:
        print(f"differ: {len(bad)} of {len(ra)} ADAs (first row {bad[0]})")
        return 1
    print(f"same {len(ra)} ADAs (every geometry and attribute byte-identical)")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
