"""Same input, same bytes, through Processing: each block-engine tool under forced block layouts, one or two
numba threads and an embedded Dask LocalCluster.

Every case (the ``determinism`` cases of tests/registry.py) runs its small valid run of the hostile-input kit
(``recipe`` in tests/hostile/), with the engine's
planners forced to other layouts: one-row blocks, blocks that do not divide the image, the tool's own
plan, and for the stack corrections row blocks instead of blocks of whole interferograms (and single
interferograms). The outputs (raster values and band names, vector attributes and geometries, CSV tables)
must be the same. The core side of the harness is tests/core/test_engine_determinism.py.

Not here: ``offsettracking`` (its blocks are multiples of its step, set by its memory budget: the core harness
runs it with several budgets) and the tile layout of ``unwrap`` (tiles are part of that method: it is run with
threads and Dask).
"""

from __future__ import annotations

import contextlib
import copy
import csv
import functools
import importlib.util
import os
import sys

import numpy as np
import pytest
import registry
from testutils_hostile import hostile_module

HOSTILE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "hostile")

#: case -> (tool, hostile family holding its recipe or a builder here, parameters changed), from the ``determinism``
#: cases of tests/registry.py; "@x.csv": an extra output (reports print every coefficient in full: they show a
#: last-bit change the float32 rasters hide)
TOOLS = {case: (tool, det.recipe, det.changed) for case, (tool, det) in registry.cases("determinism").items()}
_LAYOUT = {case: det.layout for case, (_, det) in registry.cases("determinism").items()}
NO_FORCED_LAYOUT = {case for case, layout in _LAYOUT.items() if layout == "none"}
FILE_GROUPS = {case for case, layout in _LAYOUT.items() if layout == "files"}
#: Point tools: their blocks are groups of points, not rows (``points_layout``).
POINT_TOOLS = {case for case, layout in _LAYOUT.items() if layout == "points"}
DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


def _dated_raster(path, n_dates=30, shape=(17, 23), seed=2):
    import datetime as dt

    from testutils import write_geotiff

    rng = np.random.default_rng(seed)
    dates = [dt.date(2019, 1, 4) + dt.timedelta(days=12 * k) for k in range(n_dates)]
    t = np.arange(n_dates) * 12 / 365.25
    v = rng.normal(-8, 4, shape)
    arr = v[None] * t[:, None, None] + 2.5 * np.sin(2 * np.pi * t)[:, None, None]
    arr = arr + rng.normal(0, 1.0, (n_dates,) + shape)
    arr[:, 3, 4:7] = np.nan
    arr -= arr[:1]
    return write_geotiff(path, arr, descriptions=[d.isoformat() for d in dates], epsg=32632), dates


def _custom_recipe(kind, tmp):
    from testutils_hostile import Recipe

    j = os.path.join
    out = j(tmp, "out")
    os.makedirs(out, exist_ok=True)
    if kind == "coulomb_optimal":  # optimally oriented planes at the free surface and at depth (ties everywhere)
        params = {"COULOMB_INP": j(DATA, "coulomb_inputs", "Example-2_CSZ_LL.inp"), "CRS": "EPSG:32610",
                  "EXTENT": "-100000,100000,-100000,100000 [EPSG:32610]", "PIXEL_SIZE_KM": 9.0,
                  "DEPTHS": "0, 7.5", "OPTIMAL": True, "OUTPUT": j(out, "c.tif")}
    elif kind == "trigger_raster":
        import datetime as dt

        path, dates = _dated_raster(j(tmp, "defo.tif"))
        rng = np.random.default_rng(0)
        start = dates[0] - dt.timedelta(days=40)
        rows = [f"{start + dt.timedelta(days=i)},{v:.2f}" for i, v in enumerate(rng.gamma(0.5, 6, 420))]
        with open(j(tmp, "rain.csv"), "w", encoding="utf-8") as fh:
            fh.write("date,rain\n" + "\n".join(rows) + "\n")
        params = {"INPUT_RASTER": path, "DRIVER_CSV": j(tmp, "rain.csv"), "OUTPUT_RASTER": j(out, "t.tif")}
    elif kind == "models_raster":
        path, _ = _dated_raster(j(tmp, "series.tif"))
        params = {"INPUT_RASTER": path, "OUTPUT_RASTER": j(out, "m.tif")}
    else:
        raise KeyError(f"tests/registry.py: determinism recipe {kind} is neither a hostile family nor a builder here")
    outputs = [k for k in params if k.startswith("OUTPUT")]
    return Recipe(params, outputs, (None, None), lambda *a: None)


def _recipe(case, tmp):
    tool, mod, _ = TOOLS[case]
    path = os.path.join(HOSTILE, f"test_hostile_{mod}.py")
    if not os.path.exists(path):
        return _custom_recipe(mod, str(tmp))
    m = hostile_module(mod)
    return m.recipe(tmp) if mod == "unwrap" else m.recipe(tool, tmp)


@contextlib.contextmanager
def points_layout(case, size):
    """Blocks (tiles) of ``size`` points for the point tools (None: the tool's own)."""
    from insar_geohazards.algorithms.ada import activity, neighbourhood
    from insar_geohazards.processing_provider.tools.models import timeseriesmodels

    calls = {"plans": 1}
    with pytest.MonkeyPatch.context() as m:
        if size is not None:
            if case == "adadetection":
                m.setattr(neighbourhood, "tile_points_for", lambda share, max_memory_mb=None: size)
            elif case == "landslideactivity":
                m.setattr(activity, "points_in_polygons_blocks",
                          functools.partial(activity.points_in_polygons_blocks, block_points=size))
            else:
                m.setattr(timeseriesmodels.TimeSeriesModels, "BLOCK_POINTS", size)
        yield calls


@contextlib.contextmanager
def forced_layout(rows=None, files=None):
    """Every planner of the engine, wherever it was imported, forced to ``rows`` rows per block (None: the
    tool's own plan) and, for blocks of whole interferograms, to groups of ``files`` files (0: no such blocks,
    the tools fall back to row blocks; None: the tool's own plan)."""
    from insar_geohazards.algorithms import engine

    orig_pb, orig_fg = engine.plan_blocks, engine.plan_file_groups
    calls = {"plans": 0}

    def plan_blocks(n_rows, n_cols, **kw):
        calls["plans"] += 1
        if rows is not None:
            kw = {k: v for k, v in kw.items() if k == "halo"}
            kw["block_rows"] = rows
        return orig_pb(n_rows, n_cols, **kw)

    def plan_file_groups(n_files, n_rows, n_cols, **kw):
        calls["plans"] += 1
        if files is None:
            return orig_fg(n_files, n_rows, n_cols, **kw)
        if files == 0:
            return None
        return [engine.Block(i, 0, n_rows, 0, n_rows, n_rows, n_cols, (f, min(f + files, n_files)))
                for i, f in enumerate(range(0, n_files, files))]

    patched = []
    for mod in list(sys.modules.values()):
        if not getattr(mod, "__name__", "").startswith("insar_geohazards"):
            continue
        for name, new, old in (("plan_blocks", plan_blocks, orig_pb), ("plan_file_groups", plan_file_groups, orig_fg)):
            if getattr(mod, name, None) is old:
                setattr(mod, name, new)
                patched.append((mod, name, old))
    try:
        yield calls
    finally:
        for mod, name, old in patched:
            setattr(mod, name, old)


def _read_outputs(results: dict) -> dict:
    """The values of every output file (rasters: bands and names; vectors: attributes and geometry; text)."""
    from osgeo import gdal, ogr

    out = {}

    def read(key, path):
        low = path.lower()
        if low.endswith((".tif", ".tiff")):
            ds = gdal.Open(path)
            for b in range(1, ds.RasterCount + 1):
                band = ds.GetRasterBand(b)
                out[f"{key}:{b}:{band.GetDescription()}"] = band.ReadAsArray()
        elif low.endswith((".gpkg", ".shp", ".geojson")):
            ds = ogr.Open(path)
            for li in range(ds.GetLayerCount()):
                lyr = ds.GetLayerByIndex(li)
                rows = []
                for f in lyr:
                    g = f.GetGeometryRef()
                    rows.append((tuple(f.GetField(i) for i in range(f.GetFieldCount())),
                                 g.ExportToWkb() if g is not None else None))
                out[f"{key}:{lyr.GetName()}"] = repr(rows)
        elif low.endswith((".csv", ".txt")):
            with open(path, newline="", encoding="utf-8") as fh:
                out[key] = repr(list(csv.reader(fh)))
        elif low.endswith((".h5", ".png", ".html", ".json", ".qml", ".aux.xml")):
            pass  # formats with timestamps or renderings; their numbers are in the rasters and tables
        elif os.path.isdir(path):
            for name in sorted(os.listdir(path)):
                read(f"{key}/{name}", os.path.join(path, name))

    for key, value in results.items():
        if isinstance(value, str) and os.path.exists(value):
            read(key, value)
    return out


def _run(case, recipe, folder, **extra):
    from testutils_hostile import run

    tool, _, changed = TOOLS[case]
    params = copy.deepcopy(recipe.params)
    os.makedirs(folder, exist_ok=True)
    params.update({k: os.path.join(folder, v[1:]) if isinstance(v, str) and v.startswith("@") else v
                   for k, v in changed.items()})
    for name in recipe.outputs:
        if isinstance(params.get(name), str):
            params[name] = os.path.join(folder, os.path.basename(params[name].rstrip("/")))
    params.update(extra)
    return _read_outputs(run(tool, params))


def _differences(a: dict, b: dict) -> list:
    if set(a) != set(b):
        return [f"outputs {sorted(set(a) ^ set(b))}"]
    bad = []
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, np.ndarray):
            if x.shape != y.shape or x.tobytes() != y.tobytes():
                n = int((~((x == y) | (np.isnan(x) & np.isnan(y)) if x.dtype.kind == "f" else (x == y))).sum()) \
                    if x.shape == y.shape else -1
                bad.append(f"{k} ({n} of {x.size} values)")
        elif x != y:
            bad.append(k)
    return bad


def _layouts(case):
    if case in NO_FORCED_LAYOUT:
        return []
    if case in POINT_TOOLS:
        return [(1, None), (7, None), (50, None)]
    out = [(1, None), (7, None)]
    if case in FILE_GROUPS:
        out += [(None, 0), (None, 1), (3, 0)]
    return out


@pytest.mark.parametrize("case", sorted(TOOLS))
def test_layouts_threads_and_dask_give_the_same_outputs(qgis_app, case, tmp_path):
    numba = pytest.importorskip("numba", reason="numba is not installed")
    recipe = _recipe(case, tmp_path / "in")
    ref = _run(case, recipe, str(tmp_path / "ref"))
    assert ref, f"{case}: no output read"
    problems = []
    for i, (rows, files) in enumerate(_layouts(case)):
        layout = points_layout(case, rows) if case in POINT_TOOLS else forced_layout(rows, files)
        with layout as calls:
            got = _run(case, recipe, str(tmp_path / f"layout{i}"))
        assert calls["plans"], f"{case}: the forced planner was never called"
        bad = _differences(ref, got)
        if bad:
            problems.append(f"blocks of {rows} {'points' if case in POINT_TOOLS else 'rows'}, file groups {files}: "
                            f"{bad[:4]}")
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        got = _run(case, recipe, str(tmp_path / "one_thread"))
    finally:
        numba.set_num_threads(before)
    bad = _differences(ref, got)
    if bad:
        problems.append(f"one numba thread: {bad[:4]}")
    if importlib.util.find_spec("distributed") is not None:
        got = _run(case, recipe, str(tmp_path / "dask"), DASK_SCHEDULER="local")
        bad = _differences(ref, got)
        if bad:
            problems.append(f"Dask LocalCluster: {bad[:4]}")
    assert not problems, f"{case}: " + " | ".join(problems)
