"""distortion_map on the block engine gives the bytes of the loop it replaced (frozen in engine_reference.py).

Several terrain generators (ridge, rough random relief with gaps, plane), sizes that are
and are not multiples of the block, one and two geometries, per-pixel incidence and
heading, geographic rows (per-row pixel width), float32 and float64 heights; the share
tables must be equal too (same summation order).
"""

import numpy as np
import pytest
from engine_reference import distortion_map_frozen
from testutils_geometry import plane, ridge

from insar_geohazards.algorithms.geometry import distortion as dist


def _rough(n_rows, n_cols, seed):
    rng = np.random.default_rng(seed)
    z = np.cumsum(np.cumsum(rng.normal(0, 4.0, (n_rows, n_cols)), axis=0), axis=1) / 10.0
    z[rng.random(z.shape) < 0.01] = np.nan
    return z


def _cases():
    ridge_dem, _ = ridge(61, 200, 2.0, look_azimuth_deg=90.0, crest_m=200.0, height_m=80.0, front_deg=50.0,
                         back_deg=60.0)
    yield "ridge", ridge_dem, 2.0, 2.0, dict(n_geo=2, inc_raster=False, heading_raster=False), 16
    rough = _rough(77, 91, 3)
    yield "rough", rough, 10.0, 10.0, dict(n_geo=1, inc_raster=True, heading_raster=True), 8
    yield "rough32", rough.astype(np.float32), 10.0, 10.0, dict(n_geo=2, inc_raster=True, heading_raster=False), 5
    geo_dx = np.linspace(90.0, 70.0, 50)
    yield "geographic", _rough(50, 64, 7) + plane(20.0, 250.0, n=64, m=50), geo_dx, 92.0, \
        dict(n_geo=1, inc_raster=False, heading_raster=False), 256


def _geometries(dem, opts, seed=0):
    rng = np.random.default_rng(seed)
    inc = 30.0 + 10.0 * rng.random(dem.shape) if opts["inc_raster"] else None
    hdg = -12.0 + rng.normal(0, 0.3, dem.shape) if opts["heading_raster"] else None
    geos = [dist.AcquisitionGeometry(heading_deg=-12.0, incidence_deg=37.0, name="first",
                                     read_incidence=(lambda a, b, x=inc: x[a:b]) if inc is not None else None,
                                     read_heading=(lambda a, b, x=hdg: x[a:b]) if hdg is not None else None)]
    if opts["n_geo"] == 2:
        geos.append(dist.AcquisitionGeometry(heading_deg=-168.0, incidence_deg=41.0, name="second"))
    return geos


def _collect(store):
    def write(r0, r1, gi, arrays):
        for k, v in arrays.items():
            store.setdefault((gi, k), []).append((r0, np.array(v)))
    return write


def _assemble(store):
    return {key: np.concatenate([a for _, a in sorted(parts, key=lambda t: t[0])]) for key, parts in store.items()}


def _run(fn, dem, dx, dy, opts, block_rows, **kw):
    store = {}
    tables = fn(lambda a, b: dem[a:b], _collect(store), n_rows=dem.shape[0], n_cols=dem.shape[1],
                geometries=_geometries(dem, opts), dx_rows_m=dx, dy_m=dy, block_rows=block_rows, **kw)
    return _assemble(store), tables


@pytest.mark.parametrize("case", list(_cases()), ids=lambda c: c[0])
def test_engine_distortion_is_bit_identical_to_the_frozen_loop(case):
    _, dem, dx, dy, opts, block_rows = case
    ref, ref_tables = _run(distortion_map_frozen, dem, dx, dy, opts, block_rows)
    new, new_tables = _run(dist.distortion_map, dem, dx, dy, opts, block_rows)
    assert ref.keys() == new.keys()
    for key in ref:
        assert ref[key].dtype == new[key].dtype, key
        assert ref[key].tobytes() == new[key].tobytes(), key
    assert new_tables == ref_tables  # counts and float area sums, exactly


def test_engine_distortion_same_bits_without_background_writer_and_with_a_dem_source():
    from insar_geohazards.algorithms.engine import ArraySource

    _, dem, dx, dy, opts, block_rows = list(_cases())[1]
    ref, ref_tables = _run(distortion_map_frozen, dem, dx, dy, opts, block_rows)
    new, new_tables = _run(dist.distortion_map, dem, dx, dy, opts, block_rows, background_write=False,
                           dem_source=ArraySource(np.asarray(dem, np.float64)))
    assert all(ref[k].tobytes() == new[k].tobytes() for k in ref) and new_tables == ref_tables
