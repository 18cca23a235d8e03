"""EGMS loading at scale (synthetic L2b tiles, real Ustica), series storage forms, ADA on 10 M points."""
ABOUT = __doc__



def _loaded(points, modes="2"):
    """The commands that leave POINTS synthetic points loaded in .build/egms/scale_POINTS.gpkg (kept once made)."""
    return (f'[ -f "$BUILD/egms/scale_{points}.gpkg" ] || '
            f'SCALE=1 bash "$HERE/series_forms.sh" {points} {points // 100000} "{modes}"\n')


_INDEX = '"$PY" "$HERE/spatial_index.py" "$BUILD/egms/scale_{}.gpkg"'
CASES = [
    dict(name="scale_10m", table="ada", measures="10 M points in 100 tiles (4,386 MB zipped), `SERIES_STORAGE=fields`",
         peer="none: the zips", run='SCALE=1 bash "$HERE/series_forms.sh" 10000000 100 "2 1"\n'
                                    + _INDEX.format(10000000)),
    dict(name="scale_10m_table", table=None,
         part_of="scale_10m", measures="the same, compressed series table", peer="none"),
    dict(name="series_forms_1m", table="ada",
         peer="none: the zips", run='bash "$HERE/series_forms.sh" 1000000 10 "3 0 1 2"',
         measures="1 M points in 10 tiles (436 MB zipped, 436 B a point), every `SERIES_STORAGE`"),
    dict(name="series_forms_ustica", table="ada", part_of="series_forms_1m", peer="none: the zips",
         measures="real Ustica L2b asc + desc (23,349 points, 207/210 dates)"),
    dict(name="spatial_index", table="ada",
         measures="spatial index on a 5 M-point layer (past the 2 M cap)", peer="none",
         run=_loaded(5000000) + _INDEX.format(5000000)),
    dict(name="ada_10m", table="ada", peer="none", run=_loaded(10000000) + 'bash "$HERE/ada_dask.sh" 10000000 2',
         measures="10 M points: two 5 M-point EGMS-like track layers, velocities only"),
    dict(name="ada_dask", table="dask", part_of="ada_10m", peer="none: local",
         measures="ADA, 10 M points (two layers), 2 worker processes"),
    dict(name="tiles_small", table="ada",
         quick=True, peer="none", measures="20,000 points in 2 tiles, written (a check)",
         run='"$PY" "$HERE/make_tiles.py" "$OUT/tiles" --points 20000 --tiles 2 --corrupt 1'),
]
