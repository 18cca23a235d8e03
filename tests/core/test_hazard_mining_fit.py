"""The PIM inversion (algorithms/hazard/mining_fit.py) on synthetic LOS maps of known parameters and noise:
several panel shapes and sizes, one or two geometries, the three ways of moving the plan; one world held out
(written once, with parameters and a shape none of the others has, and run as it came)."""

import math

import numpy as np
import pytest

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.geometry.los import los_unit_vector
from insar_geohazards.algorithms.hazard import mining_fit as pimfit
from insar_geohazards.algorithms.hazard import miningsubsidence as pim

ASC = (39.0, -12.0)
DESC = (34.0, 192.0)


def world(panels, truth: pim.PimParameters, *, geometries=(ASC,), extent=(-700, 1700, -700, 900), step=40.0,
          noise="normal", sigma=4.0, seed=0, ramp=(3.0, 1.5, -0.8), moved=None):
    """LOS samples of the true (moved) panels plus an offset, a ramp (mm, mm/km) and noise."""
    rng = np.random.default_rng(seed)
    truth_panels = moved or panels
    x, y = np.meshgrid(np.arange(extent[0], extent[1], step), np.arange(extent[2], extent[3], step))
    x, y = x.ravel() + 7.0, y.ravel() - 3.0
    out = []
    for k, (inc, head) in enumerate(geometries):
        lv = tuple(float(v) for v in np.array(los_unit_vector(inc, head)).ravel())
        e, n, u = pim.pim_displacement(x, y, truth_panels, subsidence_factor=truth.subsidence_factor,
                                     tan_beta=truth.tan_beta, offset_m=truth.offset_m,
                                     horizontal_factor=truth.horizontal_factor,
                                     propagation_angle_deg=truth.propagation_angle_deg,
                                     shift_azimuth_deg=truth.shift_azimuth_deg)
        los = pim.los_from_enu(e, n, u, lv) + ramp[0] + k + ramp[1] * x / 1000 + ramp[2] * y / 1000
        los += rng.normal(0, sigma, x.size) if noise == "normal" else rng.laplace(0, sigma / math.sqrt(2), x.size)
        out.append(pimfit.LosSamples(x, y, los, lv, f"INPUT{'' if k == 0 else '_2'}"))
    return out


def assert_recovered(fit, truth: dict, k=4.0):
    got = dict(zip(fit.names, zip(fit.values, fit.std_errors)))
    for name, value in truth.items():
        v, s = got[name]
        assert np.isfinite(s) and s > 0, (name, s)
        assert abs(v - value) < k * s, f"{name}: {v:.6g} +- {s:.3g}, truth {value:.6g}"


def rect(x0, y0, length, width, depth, thick, name=""):
    return pim.Panel.from_vertices([(x0, y0), (x0 + length, y0), (x0 + length, y0 + width), (x0, y0 + width)],
                                 depth, thick, name=name)


def test_longwall_rectangle_ascending_translation():
    panel = rect(0, 0, 900, 220, 350, 3.2)
    truth = pim.PimParameters(0.78, 2.1, 35.0, 0.27)
    data = world([panel], truth, moved=[pim.moved_panel(panel, dx_m=60, dy_m=-40)], seed=1)
    fit = pimfit.fit_pim(data, [panel], pim.PimParameters(0.6, 1.8, 10.0, 0.2))
    assert_recovered(fit, {"subsidence_factor": 0.78, "tan_beta": 2.1, "offset_m": 35.0, "horizontal_factor": 0.27,
                           "shift_east_m": 60.0, "shift_north_m": -40.0})
    assert fit.rms_mm[0] == pytest.approx(4.0, rel=0.1)
    moved = fit.panels[0].rings[0]
    np.testing.assert_allclose(moved.min(axis=0), [60, -40], atol=2.0)  # the goaf located


def test_trapezoid_ascending_and_descending_with_rotation():
    panel = pim.Panel.from_vertices([(0, 0), (1000, 80), (950, 420), (60, 330)], 420.0, 4.0)
    truth = pim.PimParameters(0.66, 1.7, 25.0, 0.35)
    moved = [pim.moved_panel(panel, dx_m=-35, dy_m=50, rotation_deg=4.0,
                           centre=np.mean(pim.oriented_rings(panel)[0], axis=0))]
    data = world([panel], truth, geometries=(ASC, DESC), moved=moved, seed=2, extent=(-800, 1800, -700, 1100),
                 step=50.0)
    fit = pimfit.fit_pim(data, [panel], pim.PimParameters(0.8, 2.0, 5.0, 0.2), position="translation_rotation")
    assert_recovered(fit, {"subsidence_factor": 0.66, "tan_beta": 1.7, "offset_m": 25.0, "horizontal_factor": 0.35,
                           "shift_east_m": -35.0, "shift_north_m": 50.0, "rotation_deg": 4.0})
    assert len(fit.rms_mm) == 2


def test_two_panels_and_laplace_noise():
    panels = [rect(0, 0, 700, 180, 280, 2.5, "a"), rect(0, 260, 700, 180, 300, 2.0, "b")]
    truth = pim.PimParameters(0.85, 2.4, 20.0, 0.3)
    moved = [pim.moved_panel(p, dx_m=25, dy_m=15) for p in panels]
    data = world(panels, truth, geometries=(DESC,), moved=moved, noise="laplace", sigma=6.0, seed=3)
    fit = pimfit.fit_pim(data, panels, pim.PimParameters(0.7, 2.0, 5.0, 0.25))
    assert_recovered(fit, {"subsidence_factor": 0.85, "tan_beta": 2.4, "offset_m": 20.0, "horizontal_factor": 0.3,
                           "shift_east_m": 25.0, "shift_north_m": 15.0})


def test_fixed_plan_fits_the_propagation_angle():
    panel = pim.Panel.from_vertices([(0, 0), (800, 0), (800, 300), (400, 300), (400, 500), (0, 500)], 300.0, 3.0)
    truth = pim.PimParameters(0.72, 2.0, 30.0, 0.28, propagation_angle_deg=82.0, shift_azimuth_deg=135.0)
    data = world([panel], truth, geometries=(ASC, DESC), seed=4, extent=(-700, 1500, -700, 1200), step=50.0)
    start = pim.PimParameters(0.6, 1.8, 10.0, 0.2, propagation_angle_deg=90.0, shift_azimuth_deg=135.0)
    fit = pimfit.fit_pim(data, [panel], start, position="fixed")
    assert_recovered(fit, {"subsidence_factor": 0.72, "tan_beta": 2.0, "offset_m": 30.0, "horizontal_factor": 0.28,
                           "propagation_angle_deg": 82.0})
    assert "shift_east_m" not in fit.names


def test_held_out_world():
    """Held out: a small, deep, irregular pentagon under a descending map with a strong ramp."""
    panel = pim.Panel.from_vertices([(0, 0), (420, -60), (560, 200), (300, 380), (-40, 250)], 510.0, 5.5)
    truth = pim.PimParameters(0.58, 1.5, 15.0, 0.22)
    moved = [pim.moved_panel(panel, dx_m=-80, dy_m=-25)]
    data = world([panel], truth, geometries=(DESC,), moved=moved, seed=11, ramp=(-12.0, 6.0, 4.0), sigma=3.0,
                 extent=(-1100, 1500, -1000, 1300), step=45.0)
    fit = pimfit.fit_pim(data, [panel], pim.PimParameters(0.8, 2.2, 0.0, 0.3))
    assert_recovered(fit, {"subsidence_factor": 0.58, "tan_beta": 1.5, "offset_m": 15.0, "horizontal_factor": 0.22,
                           "shift_east_m": -80.0, "shift_north_m": -25.0})


def test_table_holds_every_row_and_the_held_angle():
    panel = rect(0, 0, 600, 200, 250, 2.0)
    truth = pim.PimParameters(0.8, 2.0, 20.0, 0.3)
    fit = pimfit.fit_pim(world([panel], truth, seed=5, step=60.0), [panel], truth, ramp=False)
    table = fit.table()
    names = list(table["parameter"])
    assert names[:6] == ["subsidence_factor", "tan_beta", "offset_m", "horizontal_factor", "shift_east_m",
                         "shift_north_m"]
    assert "ramp_east_mm_per_km_1" not in names and "reference_offset_mm_1" in names
    i = names.index("propagation_angle_deg")
    assert table["value"][i] == 90.0 and np.isnan(table["std_error"][i])
    assert np.isnan(table["std_error"][names.index("rms_mm_1")])


def test_a_plan_far_from_the_data_is_refused():
    panel = rect(0, 0, 600, 200, 250, 2.0)
    far = rect(50_000, 0, 600, 200, 250, 2.0)
    data = world([panel], pim.PimParameters(0.8, 2.0, 20.0, 0.3), seed=6, step=80.0)
    with pytest.raises(GeohazardError, match="do not overlap"):
        pimfit.fit_pim(data, [far], pim.PimParameters(0.8, 2.0, 20.0, 0.3))


def test_too_few_samples_and_bad_position_are_refused():
    panel = rect(0, 0, 600, 200, 250, 2.0)
    few = [pimfit.LosSamples(np.arange(5.0), np.arange(5.0), np.zeros(5), (0.6, -0.1, 0.79))]
    with pytest.raises(GeohazardError, match="at least 20"):
        pimfit.fit_pim(few, [panel], pim.PimParameters(0.8, 2.0))
    with pytest.raises(GeohazardError, match="position"):
        pimfit.fit_pim(few, [panel], pim.PimParameters(0.8, 2.0), position="sideways")
