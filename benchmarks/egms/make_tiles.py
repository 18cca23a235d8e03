"""Write EGMS-L2b-like zipped CSV tiles: two tracks, different dates, overlapping bursts, a damaged zip.

Usage: /usr/bin/python3 make_tiles.py OUT_DIR [--points N] [--tiles K] [--corrupt C] [--seed S] [--jobs J]

The column layout is the real EGMS L2b tile's (the bundled Ustica product: pid, mp_type, latitude,
longitude, easting, northing, heights, line, pixel, rmse_ts, temporal_coherence, amplitude_dispersion,
incidence_angle, track_angle, los_east/north/up, mean_velocity(_std), acceleration(_std),
seasonality(_std), gnss_velocity, then one column YYYYMMDD per date, displacement in mm with one
decimal), with the decimals of each column as the real file writes them.

N unique points over K tiles, half the tiles ascending track 117 (dates every 6 days from
2020-01-03, 207 of them), half descending track 022 (every 6 days from 2020-01-06, 210 of them). Each
tile is a burst (a stripe of northing); 5 % of a tile's points are repeated in the next tile of
the same track (same pid and position, the copy's values processed again: other noise), as
EGMS bursts overlap. Velocities: 1 mm/yr noise with planted areas (ellipses 100 m - 1 km
across moving 5-25 mm/yr, one in five uplift, as the ADA benchmark's planted field); series =
velocity x time + a seasonal term + 2 mm noise, rounded to 0.1 mm. C tiles (the last ones) are
damaged: their compressed data is overwritten half-way, so the header reads and the CRC fails later.
Deterministic for a seed (tile by tile).

Writes OUT_DIR/EGMS_L2b_<track>_<burst>_IW2_VV_2020_2024_1.zip and OUT_DIR/truth.json (planted areas,
tiles, duplicates, damaged tiles). The text is formatted by numpy (digits written into a byte
matrix, then the unused bytes dropped), zipped with deflate level 1 (fast; 6 is EGMS's).
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
