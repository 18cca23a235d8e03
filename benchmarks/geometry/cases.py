"""Geometric distortion at 100 Mpx-1 Gpx (fractal DEMs), slope against gdaldem, EGMS Ustica decomposition."""
ABOUT = __doc__
_DEM = 'mkdir -p "$BUILD/bench-geometry"; [ -f "$BUILD/bench-geometry/fractal_$1x$2.tif" ] || DEM_ZLEVEL=1 "$PY" ' \
       '"$HERE/make_fractal_dem.py" "$BUILD/bench-geometry/fractal_$1x$2.tif" $1 $2 20 2500'
# the distortion tool on the DEM under /usr/bin/time -v, then the CPU of each part and the GDAL read + write floor
_GPX = _DEM + ('\nrm -f "$OUT"/*.tif "$OUT"/*.csv; stamp\n'
               '/usr/bin/time -v qgis_process.bin run geohazard:geometricdistortion -- HEADING=-12 INCIDENCE=37 '
               'DEM="$BUILD/bench-geometry/fractal_$1x$2.tif" OUTPUT_CLASSES="$OUT/classes.tif" '
               'OUTPUT_RINDEX="$OUT/rindex.tif" OUTPUT_VISIBILITY="$OUT/visibility.tif" OUTPUT_TABLE="$OUT/shares.csv" '
               '> "$OUT/stdout.log" 2> "$OUT/time.log"\n'
               'grep -E "User time|System time|Elapsed|Maximum resident|Percent of CPU" "$OUT/time.log"; stamp\n'
               '"$PY" "$HERE/profile_distortion.py" "$BUILD/bench-geometry/fractal_$1x$2.tif" "$OUT/profile"')

CASES = [
    dict(name="gpx", table="kinematics",
         measures="1 Gpx DEM, 31623 x 31623", peer="none: floor only", setup="enable_plugin",
         run="set -- 31623 31623\n" + _GPX),
    dict(name="gpx_wide", table="kinematics",
         measures="1 Gpx DEM, wide: 16667 x 60000", peer="none", setup="enable_plugin",
         run="set -- 16667 60000\n" + _GPX),
    dict(name="dem_100mp", table="kinematics",
         measures="100 MP DEM, 10000 x 10000", peer="none: floor only", setup="enable_plugin",
         run="set -- 10000 10000\n" + _GPX),
    dict(name="slope_gdaldem", table="kinematics", measures="slope and aspect (Horn), 4000 x 4000 window",
         peer="`gdaldem slope` + `aspect` (GDAL 3.6), with file I/O",
         run="set -- 10000 10000\n" + _DEM + '\n"$PY" "$HERE/compare_slope_gdaldem.py" '
             '"$BUILD/bench-geometry/fractal_10000x10000.tif" 4000'),
    dict(name="egms_ustica", table="kinematics",
         measures="EGMS Ustica L2b asc + desc (23,349 points) to 100 m east/up, 640 cells",
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
