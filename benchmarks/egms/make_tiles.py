"""Write EGMS-L2b-like zipped CSV tiles: two tracks, different dates, overlapping bursts, a damaged zip.

Usage: /usr/bin/python3 make_tiles.py OUT_DIR [--points N] [--tiles K] [--corrupt C] [--seed S] [--jobs J]

The real L2b tile's columns and decimals (the bundled Ustica product); half the tiles ascending track 117, half
descending 022 (6-day dates); each tile a burst whose last 5 % of points repeat in the next tile (other noise);
velocities: 1 mm/yr noise with planted areas moving 5-25 mm/yr (as the ADA benchmark's); the last C tiles' data
overwritten half-way (the header reads, the CRC fails). Deterministic for a seed. Writes the zips and
OUT_DIR/truth.json.
"""

import argparse
import os
import sys

from testutils_egms import write_tiles


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--tiles", type=int, default=10)
    ap.add_argument("--corrupt", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    a = ap.parse_args(argv)
    p = write_tiles(a.out_dir, points=a.points, tiles=a.tiles, corrupt=a.corrupt, seed=a.seed, jobs=a.jobs)
    size = sum(os.path.getsize(os.path.join(a.out_dir, f)) for f in p["files"])
    print(f"{len(p['files'])} tiles, {a.points} points (+{p['duplicates']} repeated), {size / 1e6:.1f} MB zipped "
          f"in {a.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
