"""DEM co-registration (algorithms/hazard/demdifference.py): the bilinear shift against scipy's map_coordinates, NMAD
against scipy's median_abs_deviation, Nuth & Kääb on analytic terrain (shift, vertical offset, tilt), the windowed
fit, the block function giving the same bits for any block layout, refusals."""

import numpy as np
import pytest

from insar_geohazards.algorithms.engine import plan_blocks
from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.hazard import demdifference as dd

DX = 10.0
GT = (500000.0, DX, 0.0, 9800000.0, 0.0, -DX)


def terrain(x, y):
    return 300 + 60 * np.sin(x / 230.0) * np.cos(y / 310.0) + 25 * np.sin((x + 2 * y) / 97.0) \
        + 12 * np.cos((3 * x - y) / 61.0)


def grids(shape):
    r, c = np.mgrid[0:shape[0], 0:shape[1]].astype(float)
    return GT[0] + (c + 0.5) * DX, GT[3] - (r + 0.5) * DX


def test_sample_shifted_is_scipys_bilinear_interpolation():
    from scipy import ndimage

    arr = np.random.default_rng(0).normal(size=(30, 40))
    for sr, sc in ((0.3, -1.7), (-2.0, 0.25), (1.0, 3.0), (0.0, 0.0)):
        got = dd.sample_shifted(arr, 0, 0, 30, 40, sr, sc)
        r, c = np.mgrid[0:30, 0:40].astype(float)
        want = ndimage.map_coordinates(arr, [r + sr, c + sc], order=1, mode="constant", cval=np.nan)
        inside = (r + sr >= 0) & (r + sr <= 29) & (c + sc >= 0) & (c + sc <= 39)
        np.testing.assert_allclose(got[inside], want[inside], rtol=0, atol=1e-12)
        assert np.isnan(got[~inside]).all()


def test_nmad_is_scipys_normal_scaled_median_absolute_deviation():
    from scipy.stats import median_abs_deviation

    v = np.random.default_rng(1).standard_t(3, 5000)
    assert dd.nmad(v) == pytest.approx(median_abs_deviation(v, scale="normal"), rel=1e-4)
    assert np.isnan(dd.nmad([np.nan]))


@pytest.mark.parametrize("sx, sy, tilted", [(4.3, -2.6, False), (-17.0, 9.5, True), (0.0, 0.0, True)])
def test_nuth_kaab_finds_the_known_shift(sx, sy, tilted):
    shape = (220, 240)
    x, y = grids(shape)
    xc, yc = GT[0] + shape[1] * DX / 2, GT[3] - shape[0] * DX / 2
    tilt = (3e-4, -1e-4) if tilted else (0.0, 0.0)
    ref = terrain(x, y)
    other = terrain(x - sx, y - sy) + 1.2 + tilt[0] * (x - xc) + tilt[1] * (y - yc)
    other += np.random.default_rng(2).normal(0, 0.2, shape)
    res = dd.coregister([dd.FitTile(ref, other, np.ones(shape, bool), 0, 0, 0)], dx_m=DX, dy_m=DX, geotransform=GT,
                        n_rows=shape[0], n_cols=shape[1], tilt=tilted)
    assert abs(res.shift_x_m + sx) < 0.02 * DX and abs(res.shift_y_m + sy) < 0.02 * DX
    assert abs(res.shift_z_m + 1.2) < 0.03 and res.converged
    if tilted:
        assert abs(res.tilt_x + tilt[0]) < 1e-5 and abs(res.tilt_y + tilt[1]) < 1e-5
    assert res.nmad_m < 0.45 and res.nmad_before_m > (1.0 if sx else 0.0)


def test_windows_with_a_halo_give_the_shift_of_the_whole_grid():
    shape = (300, 300)
    x, y = grids(shape)
    ref, other = terrain(x, y), terrain(x - 23.0, y + 11.0)
    whole = dd.coregister([dd.FitTile(ref, other, np.ones(shape, bool), 0, 0, 0)], dx_m=DX, dy_m=DX,
                          geotransform=GT, n_rows=300, n_cols=300, tilt=False)
    h = 8
    tiles = []
    for r0, c0 in ((20, 20), (20, 180), (180, 20), (180, 180)):
        win = (slice(r0 - h, r0 + 100 + h), slice(c0 - h, c0 + 100 + h))
        tiles.append(dd.FitTile(ref[win], other[win], np.ones((100, 100), bool), r0, c0, h))
    part = dd.coregister(tiles, dx_m=DX, dy_m=DX, geotransform=GT, n_rows=300, n_cols=300, tilt=False)
    assert abs(part.shift_x_m - whole.shift_x_m) < 0.05 * DX and abs(part.shift_y_m - whole.shift_y_m) < 0.05 * DX
    far = [dd.FitTile(t.ref, terrain(*grids(shape))[0:116, 0:116] * 0 + t.other, t.stable, t.row0, t.col0, 2)
           for t in tiles]
    with pytest.raises(GeohazardError, match="more than 0 pixels apart"):
        dd.coregister(far, dx_m=DX, dy_m=DX, geotransform=GT, n_rows=300, n_cols=300, tilt=False)


def test_too_few_stable_cells_are_refused():
    shape = (40, 40)
    x, y = grids(shape)
    stable = np.zeros(shape, bool)
    stable[:10, :10] = True
    with pytest.raises(GeohazardError, match="only 100 stable cells"):
        dd.coregister([dd.FitTile(terrain(x, y), terrain(x, y), stable, 0, 0, 0)], dx_m=DX, dy_m=DX,
                      geotransform=GT, n_rows=40, n_cols=40)


def test_the_block_function_gives_the_same_bits_for_any_layout():
    shape = (57, 33)
    x, y = grids(shape)
    ref, other = terrain(x, y), terrain(x - 6.1, y + 13.7) + 0.4
    zones = np.zeros(shape, np.int32)
    zones[10:30, 5:20] = 1
    zones[35:50, 10:30] = 2
    res = dd.Coregistration(shift_x_m=-6.1, shift_y_m=13.7, shift_z_m=-0.4, tilt_x=1e-4, tilt_y=0.0,
                            centre_x_m=x.mean(), centre_y_m=y.mean(), nmad_before_m=1.0, nmad_m=0.1,
                            median_after_m=0.0, iterations=3, n_stable=100, converged=True)
    halo = dd.halo_rows(res, DX)
    outs = {}
    for rows in (57, 1, 5, 16):
        parts = []
        for b in plan_blocks(shape[0], shape[1], halo=halo, block_rows=rows):
            inputs = {"ref": ref[b.read0:b.read1].copy(), "other": other[b.read0:b.read1].copy(),
                      "zones": zones[b.read0:b.read1].copy()}
            parts.append(dd.dem_difference_block(b, inputs, result=res, geotransform=GT, n_zones=2,
                                                 row_areas_m2=np.full(shape[0], DX * DX)))
        outs[rows] = {k: np.concatenate([p[k] for p in parts]) for k in ("difference", "aligned", "zone_rows")}
    for rows in (1, 5, 16):
        for k in outs[57]:
            assert outs[rows][k].tobytes() == outs[57][k].tobytes(), (rows, k)
    diff = outs[57]["difference"].astype(float)
    assert np.nanmax(np.abs(diff[2:-2, 2:-2] - 1e-4 * (x - x.mean())[2:-2, 2:-2])) < 1.0  # bilinear on the hills
