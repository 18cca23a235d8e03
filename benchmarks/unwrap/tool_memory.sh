#!/usr/bin/env bash
# Peak memory of the whole geohazard:unwrap run (qgis_process, built-in backend) on an N x N
# interferogram with its coherence (GeoTIFFs made by memory.py's generator), with the default
# MAX_MEMORY_MB (512) or the one given. Usage: benchmarks/unwrap/tool_memory.sh [N] [MAX_MEMORY_MB]
set -euo pipefail
source "$(dirname "$0")/../setup_env.sh"
N="${1:-5000}"
MEM="${2:-512}"
DIR="$BUILD/unwrap_tool_mem_$N"
mkdir -p "$DIR"
if [ ! -e "$DIR/20200101_20200113.wrapped.tif" ]; then
  PYTHONPATH="$HERE:$PYTHONPATH" /usr/bin/python3 - "$N" "$DIR" <<'PY'
import sys
import numpy as np
from osgeo import gdal
from memory import rows_of
n, d = int(sys.argv[1]), sys.argv[2]
drv = gdal.GetDriverByName("GTiff")
opts = ["TILED=YES", "COMPRESS=DEFLATE", "BIGTIFF=IF_SAFER"]
ds_p = drv.Create(d + "/20200101_20200113.wrapped.tif", n, n, 1, gdal.GDT_Float32, opts)
ds_c = drv.Create(d + "/coh.tif", n, n, 1, gdal.GDT_Float32, opts)
rng = np.random.default_rng(0)
for ds in (ds_p, ds_c):
    ds.SetGeoTransform((500000.0, 20.0, 0.0, 4100000.0, 0.0, -20.0))
    ds.SetProjection("EPSG:32633")
for r0 in range(0, n, 250):
    p, g = rows_of(n, r0, min(n, r0 + 250), rng)
    ds_p.GetRasterBand(1).WriteArray(p, 0, r0)
    ds_c.GetRasterBand(1).WriteArray(g, 0, r0)
ds_p = ds_c = None
PY
fi
rm -rf "$DIR/unw"
uptime
/usr/bin/time -v qgis_process.bin run geohazard:unwrap -- \
  INPUT="$DIR/20200101_20200113.wrapped.tif" COHERENCE="$DIR/coh.tif" MAX_MEMORY_MB="$MEM" OUTPUT="$DIR/unw" \
  2> "$DIR/time.txt" | grep -E "unwrapped in|tiles" || true
grep -E "Elapsed|Maximum resident" "$DIR/time.txt"
uptime
