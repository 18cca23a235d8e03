"""Geometric distortion at 100 Mpx-1 Gpx (fractal DEMs), slope against gdaldem, EGMS Ustica decomposition."""
ABOUT = __doc__
_DEM = '[ -f "$BUILD/bench-geometry/fractal_$1x$2.tif" ] || DEM_ZLEVEL=1 "$PY" "$HERE/make_fractal_dem.py" ' \
       '"$BUILD/bench-geometry/fractal_$1x$2.tif" $1 $2 20 2500'
_GPX = _DEM + '\nbash "$HERE/run_gpx.sh" $1 $2'

CASES = [
    dict(name="gpx", measures="1 Gpx DEM, 31623 x 31623", peer="none: floor only", setup="enable_plugin",
         run="set -- 31623 31623\n" + _GPX),
    dict(name="gpx_wide", measures="1 Gpx DEM, wide: 16667 x 60000", peer="none", setup="enable_plugin",
         run="set -- 16667 60000\n" + _GPX),
    dict(name="dem_100mp", measures="100 MP DEM, 10000 x 10000", peer="none: floor only", setup="enable_plugin",
         run="set -- 10000 10000\n" + _GPX),
    dict(name="slope_gdaldem", measures="slope and aspect (Horn), 4000 x 4000 window",
         peer="`gdaldem slope` + `aspect` (GDAL 3.6), with file I/O",
         run="set -- 10000 10000\n" + _DEM + '\n"$PY" "$HERE/compare_slope_gdaldem.py" '
             '"$BUILD/bench-geometry/fractal_10000x10000.tif" 4000'),
    dict(name="egms_ustica", measures="EGMS Ustica L2b asc + desc (23,349 points) to 100 m east/up, 640 cells",
         peer="the EGMS L3 Ortho route (6-day interpolation, per-date least squares, velocity fit), written here",
         run='"$PY" "$HERE/egms_ustica.py" tests/data/egms_ustica "$OUT"', quick=True),
    dict(name="engine_dask", table="dask", peer="none: this process",
         measures="`geometricdistortion`, 100 MP, embedded cluster (2 worker threads)",
         run="set -- 10000 10000\n" + _DEM + '\nGDAL_CACHEMAX=256 "$PY" "$HERE/bench_engine_dask.py" '
             '"$BUILD/bench-geometry/fractal_10000x10000.tif" "$OUT" 3'),
    dict(name="engine_dask_processes", table="dask", peer="none: this process",
         measures="the same on 16 MP, 2 worker processes",
         run="set -- 4000 4000\n" + _DEM + '\nINSAR_GEOHAZARDS_DASK_PROCESSES=1 GDAL_CACHEMAX=256 "$PY" '
             '"$HERE/bench_engine_dask.py" "$BUILD/bench-geometry/fractal_4000x4000.tif" "$OUT" 3'),
]
