"""Layover/shadow/foreshortening classes, R-index and range scans on analytic terrain."""

import math

import numpy as np
import pytest
from testutils import RecordingProgress
from testutils_geometry import plane, ridge

from insar_geohazards.algorithms._numba import HAVE_NUMBA
from insar_geohazards.algorithms.errors import GeohazardError, OperationCanceled
from insar_geohazards.algorithms.geometry import distortion as dist
from insar_geohazards.algorithms.geometry.terrain import (
    geographic_pixel_size_m,
    slope_aspect,
    slope_aspect_metric,
)

THETA = 35.0


def classes_of_plane(slope, aspect, heading=0.0, theta=THETA):
    dem = plane(slope, aspect, n=12)
    s, a = slope_aspect(dem, 10.0, 10.0)
    lay, sha = dist.scan_layover_shadow(dem, theta, heading_deg=heading, dx_m=10.0, dy_m=10.0)
    cls, ri = dist.classify_distortion(s, a, theta, heading, layover=lay, shadow=sha)
    return cls[2:-2, 2:-2], ri[2:-2, 2:-2]


@pytest.mark.parametrize("slope, aspect, expected, r_expected", [
    # heading 0, right-looking: the sensor looks east, slopes facing west (aspect 270) face it
    (40.0, 270.0, dist.ACTIVE_LAYOVER, math.sin(math.radians(THETA - 40.0))),
    (20.0, 270.0, dist.STRONG_FORESHORTENING, math.sin(math.radians(THETA - 20.0))),   # ratio 0.45
    (8.0, 270.0, dist.MODERATE_FORESHORTENING, math.sin(math.radians(THETA - 8.0))),   # ratio 0.79
    (30.0, 0.0, dist.GOOD_VISIBILITY, math.sin(math.radians(THETA))),                  # facing north: alpha = 0
    (10.0, 90.0, dist.GOOD_VISIBILITY, math.sin(math.radians(THETA + 10.0))),
    (60.0, 90.0, dist.ACTIVE_SHADOW, np.nan),                                          # steeper than 90 - 35
])
def test_planar_slopes_give_known_class_and_r_index(slope, aspect, expected, r_expected):
    cls, ri = classes_of_plane(slope, aspect)
    assert np.all(cls == expected), np.unique(cls)
    if np.isnan(r_expected):
        assert np.all(np.isnan(ri))
    else:
        np.testing.assert_allclose(ri, r_expected, atol=1e-9)


def test_r_index_exact_and_notti_forms():
    # oblique aspect: exact alpha = atan(tan s cos d), Notti's linear form alpha = s cos d
    s, asp, heading = 25.0, 300.0, -10.0
    az_sat = (heading + 90.0 + 180.0) % 360.0
    d = math.radians(asp - az_sat)
    exact = math.sin(math.radians(THETA) - math.atan(math.tan(math.radians(s)) * math.cos(d)))
    notti = math.sin(math.radians(THETA - s * math.cos(d)))
    assert dist.r_index(s, asp, THETA, heading) == pytest.approx(exact, abs=1e-12)
    assert dist.r_index(s, asp, THETA, heading, method="notti") == pytest.approx(notti, abs=1e-12)


def test_visibility_classes_of_planes():
    # east-facing 30 deg slope, sensor looking east: C = -(sin35 cos30 + cos35 sin30)
    cls, c = dist.classify_visibility(30.0, 90.0, THETA, 0.0)
    assert cls == dist.VIS_SENSITIVITY
    assert c == pytest.approx(-math.sin(math.radians(THETA + 30.0)), abs=1e-12)
    cls, c = dist.classify_visibility(10.0, 0.0, THETA, 0.0)  # north-facing: C = -cos35 sin10
    assert cls == dist.VIS_LOW_SENSITIVITY
    assert c == pytest.approx(-math.cos(math.radians(THETA)) * math.sin(math.radians(10.0)), abs=1e-12)
    cls, c = dist.classify_visibility(2.0, 0.0, THETA, 0.0)
    assert cls == dist.VIS_FLAT and c == pytest.approx(math.cos(math.radians(THETA)))
    assert dist.classify_visibility(50.0, 270.0, THETA, 0.0)[0] == dist.VIS_LAYOVER
    assert dist.classify_visibility(60.0, 90.0, THETA, 0.0)[0] == dist.VIS_SHADOW
    # back slope at 50 deg: local incidence 85 deg (grazing), not yet shadow (55)
    assert dist.local_incidence_deg(50.0, 90.0, THETA, 0.0) == pytest.approx(85.0)
    assert dist.classify_visibility(50.0, 90.0, THETA, 0.0)[0] == dist.VIS_PARALLEL


def _ridge_case(look_az, n_rows, n_cols, dx, heading):
    crest, height, front, back = 300.0, 100.0, 50.0, 60.0
    dem, p = ridge(n_rows, n_cols, dx, look_azimuth_deg=look_az, crest_m=crest, height_m=height,
                   front_deg=front, back_deg=back)
    return dem, p, crest, height, front, back


@pytest.mark.parametrize("heading, block_rows", [(0.0, 7), (0.0, 1000), (-12.0, 16), (192.0, 16)])
def test_ridge_passive_layover_and_shadow_where_geometry_says(heading, block_rows):
    look_az = (heading + 90.0) % 360.0
    dx = 2.0
    dem, p, crest, height, front, back = _ridge_case(look_az, 200, 330, dx, heading)
    if look_az > 180:  # the ridge coordinate grows toward the sensor looking west: mirror it
        crest = crest - 660.0 * abs(math.sin(math.radians(look_az)))
        dem, p = ridge(200, 330, dx, look_azimuth_deg=look_az, crest_m=crest, height_m=height, front_deg=front,
                       back_deg=back)
    lay, sha = dist.scan_layover_shadow(dem, THETA, heading_deg=heading, dx_m=dx, dy_m=dx, block_rows=block_rows)
    t = math.radians(THETA)
    # analytic: passive layover on the flat ground in front from crest - H cot(theta) to the front foot,
    # shadow from the crest to crest + H tan(theta)
    lay_start = crest - height / math.tan(t)
    foot = crest - height / math.tan(math.radians(front))
    shadow_end = crest + height * math.tan(t)
    # lines entering from the top/bottom edge start late: check rows whose line started west of the ridge
    tol = 1.5 * dx
    interior = (slice(60, 140), slice(1, -1))
    pi, li, si = p[interior], lay[interior], sha[interior]
    assert np.all(li[(pi > lay_start + tol) & (pi < crest - tol)])
    assert not np.any(li[pi < lay_start - tol])
    assert np.all(si[(pi > crest + tol) & (pi < shadow_end - tol)])
    assert not np.any(si[(pi > shadow_end + tol) | (pi < crest - tol)])
    # and the classes split active from passive at the foot of each face
    s, a = slope_aspect(dem, dx, dx)
    cls, _ = dist.classify_distortion(s, a, THETA, heading, layover=lay, shadow=sha)
    ci = cls[interior]
    assert np.all(ci[(pi > lay_start + tol) & (pi < foot - tol)] == dist.PASSIVE_LAYOVER)
    assert np.all(ci[(pi > foot + tol) & (pi < crest - tol)] == dist.ACTIVE_LAYOVER)
    back_foot = crest + height / math.tan(math.radians(back))
    assert np.all(ci[(pi > crest + tol) & (pi < back_foot - tol)] == dist.ACTIVE_SHADOW)
    assert np.all(ci[(pi > back_foot + tol) & (pi < shadow_end - tol)] == dist.PASSIVE_SHADOW)
    assert np.all(ci[(pi > shadow_end + tol) & (pi < 600)] == dist.GOOD_VISIBILITY)


def test_block_size_does_not_change_the_scan():
    rng = np.random.default_rng(3)
    dem = np.cumsum(np.cumsum(rng.normal(size=(90, 120)), 0), 1) * 0.8
    dem[40:43, 50:60] = np.nan
    ref = dist.scan_layover_shadow(dem, 30.0, heading_deg=-12.0, dx_m=10.0, dy_m=10.0, block_rows=1000)
    assert ref[0].any() and ref[1].any()
    for b in (1, 5, 33):
        got = dist.scan_layover_shadow(dem, 30.0, heading_deg=-12.0, dx_m=10.0, dy_m=10.0, block_rows=b)
        np.testing.assert_array_equal(got[0], ref[0])
        np.testing.assert_array_equal(got[1], ref[1])


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed: only the Python kernel exists")
def test_numba_kernel_matches_python():
    rng = np.random.default_rng(4)
    dem = np.cumsum(np.cumsum(rng.normal(size=(40, 50)), 0), 1)
    inc = np.full(dem.shape, 33.0)
    out = []
    for kernel in (dist._scan_block_kernel, dist._scan_block_kernel.py_func):
        flags = []
        for forward in (False, True):
            sc = dist.RangeScanner(40, 50, heading_deg=190.0, dx_m=10.0, dy_m=10.0, forward=forward)
            f = np.zeros(dem.shape, np.uint8)
            for r0, r1 in sc.block_order([(0, 15), (15, 30), (30, 40)]):
                f[r0:r1] = sc.scan_block(dem[r0:r1], inc[r0:r1], 10.0, r0, kernel=kernel)
            flags.append(f)
        out.append(np.stack(flags))
    np.testing.assert_array_equal(out[0], out[1])
    assert out[0].any()


def test_geographic_pixel_size_and_metric_slope():
    pyproj = pytest.importorskip("pyproj")
    geod = pyproj.Geod(ellps="WGS84")
    step = 1 / 3600  # 1 arc-second
    for lat in (0.0, 38.7, 60.0):
        dx, dy = geographic_pixel_size_m(lat, step, step)
        ref_dx = geod.inv(0.0, lat, step, lat)[2]
        ref_dy = geod.inv(0.0, lat - step / 2, 0.0, lat + step / 2)[2]
        assert dx == pytest.approx(ref_dx, rel=1e-6) and dy == pytest.approx(ref_dy, rel=1e-6)
    rows, cols = np.mgrid[0:9, 0:9]
    a = np.radians(135.0)
    z = -np.tan(np.radians(20.0)) * (cols * 15.0 * np.sin(a) - rows * 30.0 * np.cos(a))
    s, asp = slope_aspect_metric(z, np.full(9, 15.0), 30.0)
    np.testing.assert_allclose(s[1:-1, 1:-1], 20.0, atol=1e-9)
    np.testing.assert_allclose(asp[1:-1, 1:-1], 135.0, atol=1e-9)


def test_distortion_map_blocks_match_whole_array_and_cancel():
    dem, *_ = _ridge_case(90.0, 60, 330, 2.0, 0.0)
    got = {}

    def write(r0, r1, gi, arrays):
        for k, v in arrays.items():
            got.setdefault((gi, k), np.zeros(dem.shape, v.dtype))[r0:r1] = v

    geos = [dist.AcquisitionGeometry(heading_deg=0.0, incidence_deg=THETA),
            dist.AcquisitionGeometry(heading_deg=180.0, incidence_deg=THETA)]
    tables = dist.distortion_map(lambda a, b: dem[a:b], write, n_rows=60, n_cols=330, geometries=geos,
                              dx_rows_m=2.0, dy_m=2.0, block_rows=9)
    lay, sha = dist.scan_layover_shadow(dem, THETA, heading_deg=0.0, dx_m=2.0, dy_m=2.0)
    s, a = slope_aspect(dem, 2.0, 2.0)
    cls, ri = dist.classify_distortion(s, a, THETA, 0.0, layover=lay, shadow=sha)
    np.testing.assert_array_equal(got[(0, "classes")][1:-1], cls[1:-1])
    best = got[(-1, "best")]
    # seen from the east (heading 180, looking west) the west face is the back face: best of both
    # is never worse than either
    rank = np.vectorize(lambda k: dist.DISTORTION_RANK.get(int(k), -1))
    assert np.all(rank(best) >= rank(got[(0, "classes")]))
    assert np.all(rank(best) >= rank(got[(1, "classes")]))
    shares = {r["name"]: r["share_pct"] for r in tables[0]["distortion"]}
    assert sum(shares.values()) == pytest.approx(100.0)
    assert shares["passive shadow"] > 0 and shares["passive layover"] > 0

    with pytest.raises(OperationCanceled):
        dist.distortion_map(lambda a, b: dem[a:b], write, n_rows=60, n_cols=330, geometries=geos[:1],
                         dx_rows_m=2.0, dy_m=2.0, progress=RecordingProgress(canceled=True))


def test_bad_geometry_is_explained():
    with pytest.raises(GeohazardError, match="between 0 and 90"):
        dist.r_index(10.0, 90.0, 95.0, 0.0)
    with pytest.raises(GeohazardError, match="heading_deg"):
        dist.plan_range_scan(10, 10, heading_deg=500.0, dx_m=1, dy_m=1)
    with pytest.raises(GeohazardError, match="north-south"):
        dist.plan_range_scan(10, 10, heading_deg=90.0, dx_m=1, dy_m=1)
    with pytest.raises(GeohazardError, match="strong_ratio"):
        dist.classify_distortion(10.0, 0.0, 30.0, 0.0, strong_ratio=0.9, moderate_ratio=0.5)


@pytest.mark.parametrize("heading, method", [(-12.0, "exact"), (192.0, "exact"), (-8.0, "notti")])
def test_fused_block_kernel_matches_the_numpy_reference(heading, method):
    rng = np.random.default_rng(5)
    dem = np.cumsum(np.cumsum(rng.normal(size=(50, 60)), 0), 1) * 3.0
    inc = np.linspace(30.0, 44.0, 60)[None, :] * np.ones((50, 1))
    dx_rows = np.linspace(18.0, 22.0, 50)
    lay, sha = dist.scan_layover_shadow(dem, inc, heading_deg=heading, dx_m=dx_rows, dy_m=20.0)
    flags = (lay * dist.FLAG_LAYOVER + sha * dist.FLAG_SHADOW).astype(np.uint8)
    s, a = slope_aspect_metric(dem, dx_rows, 20.0)
    cls_ref, ri_ref = dist.classify_distortion(s, a, inc, heading, layover=lay, shadow=sha, method=method)
    vis_ref, sens_ref = dist.classify_visibility(s, a, inc, heading, layover=lay, shadow=sha)
    halo = np.full((52, 60), np.nan)
    halo[1:-1] = dem
    kernels = [None] + ([dist._classify_block_kernel.py_func] if HAVE_NUMBA else [])
    for kernel in kernels:
        cls, ri, vis, sens = dist.classify_block(halo, dx_rows, 20.0, inc, flags, heading_deg=heading, method=method,
                                                 kernel=kernel)
        inner = (slice(1, -1), slice(1, -1))
        np.testing.assert_array_equal(cls[inner], cls_ref[inner])
        np.testing.assert_array_equal(vis[inner], vis_ref[inner])
        np.testing.assert_allclose(ri[inner], ri_ref[inner], atol=1e-10)
        np.testing.assert_allclose(sens[inner], sens_ref[inner], atol=1e-10)
        assert len(np.unique(cls[inner])) >= 4


def test_left_looking_equals_right_looking_with_opposite_heading():
    rng = np.random.default_rng(7)
    dem = np.cumsum(np.cumsum(rng.normal(size=(40, 60)), 0), 1) * 2.0
    right = dist.scan_layover_shadow(dem, 35.0, heading_deg=10.0, dx_m=10.0, dy_m=10.0)
    left = dist.scan_layover_shadow(dem, 35.0, heading_deg=190.0, dx_m=10.0, dy_m=10.0, look="left")
    np.testing.assert_array_equal(right[0], left[0])
    np.testing.assert_array_equal(right[1], left[1])
    s, a = slope_aspect(dem, 10.0, 10.0)
    np.testing.assert_array_equal(dist.classify_distortion(s, a, 35.0, 10.0)[0],
                                  dist.classify_distortion(s, a, 35.0, 190.0, look="left")[0])


def test_float32_heights_and_one_value_geometry_give_the_same_bits():
    # the fast path of distortion_map: float32 heights (exact in float64) and a (1, 1)
    # incidence/heading instead of full per-pixel arrays must not change a single bit
    rng = np.random.default_rng(11)
    dem32 = (np.cumsum(np.cumsum(rng.normal(size=(48, 70)), 0), 1) * 3.0).astype(np.float32)
    dem32[20:23, 30:40] = np.nan
    dem64 = dem32.astype(np.float64)
    blocks = [(0, 17), (17, 35), (35, 48)]
    scan_kernels = [None] + ([dist._scan_block_kernel.py_func] if HAVE_NUMBA else [])
    for kernel in scan_kernels:
        flags = []
        for dem, inc in ((dem64, np.full(dem64.shape, 34.0)), (dem32, 34.0)):
            f = np.zeros(dem.shape, np.uint8)
            for forward in (False, True):
                sc = dist.RangeScanner(48, 70, heading_deg=-12.0, dx_m=10.0, dy_m=10.0, forward=forward)
                for r0, r1 in sc.block_order(blocks):
                    blk_inc = inc if np.ndim(inc) == 0 else inc[r0:r1]
                    f[r0:r1] |= sc.scan_block(dem[r0:r1], blk_inc, 10.0, r0, kernel=kernel)
            flags.append(f)
        np.testing.assert_array_equal(flags[0], flags[1])
        assert (flags[0] & dist.FLAG_LAYOVER).any() and (flags[0] & dist.FLAG_SHADOW).any()
    halo64 = np.full((50, 70), np.nan)
    halo64[1:-1] = dem64
    classify_kernels = [None] + ([dist._classify_block_kernel.py_func] if HAVE_NUMBA else [])
    for kernel in classify_kernels:
        full = dist.classify_block(halo64, 10.0, 10.0, np.full((48, 70), 34.0), flags[0],
                                   heading_deg=np.full((48, 70), -12.0), kernel=kernel)
        fast = dist.classify_block(halo64.astype(np.float32), 10.0, 10.0, 34.0, flags[0], heading_deg=-12.0,
                                   kernel=kernel)
        for a, b in zip(full, fast):
            np.testing.assert_array_equal(a.view(np.uint8), b.view(np.uint8))
    got = {}

    def write(r0, r1, gi, arrays):
        for k, v in arrays.items():
            got.setdefault((gi, k), np.zeros(dem64.shape, v.dtype))[r0:r1] = v

    for dem in (dem64, dem32):
        dist.distortion_map(lambda a, b, z=dem: z[a:b], write, n_rows=48, n_cols=70, dx_rows_m=10.0, dy_m=10.0,
                            geometries=[dist.AcquisitionGeometry(heading_deg=-12.0, incidence_deg=34.0)],
                            block_rows=13)
        if dem is dem64:
            ref = {k: v.copy() for k, v in got.items()}
    for k, v in ref.items():
        np.testing.assert_array_equal(v.view(np.uint8), got[k].view(np.uint8))
    assert len(np.unique(ref[(0, "classes")])) >= 4


def test_distortion_map_background_writer_keeps_order_and_raises_write_errors():
    dem, *_ = _ridge_case(90.0, 60, 330, 2.0, 0.0)
    geos = [dist.AcquisitionGeometry(heading_deg=0.0, incidence_deg=THETA)]
    seen = []

    def write(r0, r1, gi, arrays):
        seen.append(r0)

    dist.distortion_map(lambda a, b: dem[a:b], write, n_rows=60, n_cols=330, geometries=geos,
                        dx_rows_m=2.0, dy_m=2.0, block_rows=7)
    # every block, top to bottom (the classification rides on the scan that runs down the grid), before
    # distortion_map returned
    assert seen == list(range(0, 60, 7))
    calls = []

    def failing(r0, r1, gi, arrays):
        calls.append(r0)
        if len(calls) == 2:
            raise OSError(f"disk full while writing row {r0}")

    with pytest.raises(OSError, match="disk full while writing row 7"):
        dist.distortion_map(lambda a, b: dem[a:b], failing, n_rows=60, n_cols=330, geometries=geos,
                            dx_rows_m=2.0, dy_m=2.0, block_rows=7)


def _rough_dem(n_rows, n_cols, seed=11):
    rng = np.random.default_rng(seed)
    z = np.cumsum(np.cumsum(rng.normal(0, 3.0, (n_rows, n_cols)), axis=0), axis=1) / 8.0
    z[rng.random(z.shape) < 0.005] = np.nan
    return z.astype(np.float32)


def _map(dem, heading, block_rows, outputs, n_geo=1):
    got, order = {}, []

    def write(r0, r1, gi, arrays):
        order.append((gi, r0))
        for k, v in arrays.items():
            got.setdefault((gi, k), {})[r0] = np.array(v)

    geos = [dist.AcquisitionGeometry(heading_deg=heading, incidence_deg=36.0)]
    if n_geo == 2:
        geos.append(dist.AcquisitionGeometry(heading_deg=180.0 - heading, incidence_deg=41.0, name="second"))
    tables = dist.distortion_map(lambda a, b: dem[a:b], write, n_rows=dem.shape[0], n_cols=dem.shape[1],
                                 geometries=geos, dx_rows_m=15.0, dy_m=15.0, block_rows=block_rows, outputs=outputs)
    arrays = {k: np.concatenate([v[r] for r in sorted(v)]) for k, v in got.items()}
    return arrays, tables, order


@pytest.mark.parametrize("heading", [-12.0, 192.0])
def test_outputs_stream_top_down_and_are_the_same_bytes_for_any_block_height_and_thread_count(heading):
    # the tool's outputs: float32 R-index written by the kernel, no sensitivity
    dem = _rough_dem(90, 700)
    tool = {"classes": None, "rindex": np.float32, "visibility": None}
    ref, ref_tables, order = _map(dem, heading, 256, tool, n_geo=2)
    assert [r0 for gi, r0 in order if gi == 0] == [0]
    full, full_tables, _ = _map(dem, heading, 256, None, n_geo=2)
    # the float32 R-index is the float64 one rounded by astype, bit for bit; the rest is unchanged
    assert ref[(0, "rindex")].tobytes() == full[(0, "rindex")].astype(np.float32).tobytes()
    assert all(ref[k].tobytes() == full[k].tobytes() for k in ref if k[1] != "rindex")
    assert ref_tables == full_tables
    assert len(np.unique(ref[(0, "classes")])) >= 4
    threads = [None]
    if HAVE_NUMBA:
        import numba

        threads = [None, 1] if numba.get_num_threads() > 1 else [None]
    for block_rows in (3, 16, 37):
        for n in threads:
            if n is not None:
                before = numba.get_num_threads()
                numba.set_num_threads(n)
            try:
                got, tables, order = _map(dem, heading, block_rows, tool, n_geo=2)
            finally:
                if n is not None:
                    numba.set_num_threads(before)
            # every geometry's blocks reach the writer top to bottom (each row of output tiles once)
            for gi in (0, 1, -1):
                rows = [r0 for g, r0 in order if g == gi]
                assert rows == sorted(rows) and rows[0] == 0, (gi, rows)
            for k in ref:
                assert got[k].tobytes() == ref[k].tobytes(), (k, block_rows, n)
            assert tables == ref_tables, (block_rows, n)

