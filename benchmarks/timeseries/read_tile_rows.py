"""Cost of reading one row of 256-row tiles of every interferogram of the big stack in 8-row blocks (what
sbasinversion's blocks do at 512 MB for 300 x 3200 px), with GDAL's cache at a given size.

Usage: /usr/bin/python3 read_tile_rows.py STACK_DIR CACHE_MB [BLOCK_ROWS] [FIRST_ROW]

A cache that holds the decoded row of tiles of all files (300 x 3200 x 256 x 4 B = 983 MB) decodes each
tile once; a smaller one decodes it again for every block crossing it. Prints wall and CPU seconds.
"""

import os
import sys
import time

from osgeo import gdal

gdal.UseExceptions()
stack, cache_mb = sys.argv[1], int(sys.argv[2])
step = int(sys.argv[3]) if len(sys.argv) > 3 else 8
r0 = int(sys.argv[4]) if len(sys.argv) > 4 else 2816
gdal.SetCacheMax(cache_mb << 20)
d = os.path.join(stack, "tif")
datasets = [gdal.Open(os.path.join(d, f)) for f in sorted(os.listdir(d))]
bands = [ds.GetRasterBand(1) for ds in datasets]
width = datasets[0].RasterXSize
t0, c0 = time.perf_counter(), time.process_time()
for r in range(r0, r0 + 256, step):
    for b in bands:
        b.ReadAsArray(0, r, width, step)
print(f"cache {cache_mb} MB, {step}-row reads of rows {r0}-{r0 + 255} of {len(bands)} files: "
      f"{time.perf_counter() - t0:.1f} s wall, {time.process_time() - c0:.1f} CPU-s")
